"""Registrations: the Moodle sites (platforms) the tool trusts, their deployments and the tool's own keys."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin


class ToolKey(TimestampMixin, Base):
    """An RSA key of the tool. `active` signs; `previous` is still published in the JWKS until retired."""

    __tablename__ = "tool_key"

    ACTIVE = "active"
    PREVIOUS = "previous"
    RETIRED = "retired"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    retired_at: Mapped[datetime | None]


class Platform(TimestampMixin, Base):
    """One LTI registration: an issuer (a Moodle site) and the client id it gave the tool."""

    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # Which tool key signs for this platform; None means the currently active one.
    tool_key_id: Mapped[int | None] = mapped_column(ForeignKey("tool_key.id", ondelete="SET NULL"))
    registered_via: Mapped[str] = mapped_column(String(20), default="cli")
    product_family: Mapped[str | None] = mapped_column(String(50))
    scopes: Mapped[str | None] = mapped_column(Text)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )
    tool_key: Mapped[ToolKey | None] = relationship()


class Deployment(TimestampMixin, Base):
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[Platform] = relationship(back_populates="deployments")
