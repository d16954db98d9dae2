"""Launch state shared by every worker: OIDC state/nonce pairs (single use) and a small key-value cache."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin


class LaunchState(TimestampMixin, Base):
    """Issued at OIDC login, consumed by exactly one launch (`used_at` set atomically)."""

    __tablename__ = "launch_state"

    state: Mapped[str] = mapped_column(String(100), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), unique=True)
    platform_id: Mapped[int | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class CacheEntry(Base):
    """Database fallback of the shared cache when no Redis is configured."""

    __tablename__ = "cache_entry"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)
