"""Guards against guessing and double clicks: wrong check-in codes per learner and half-day, and the forms
already submitted (an idempotency key per rendered form)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CheckinAttempt(Base):
    """Wrong check-in codes of one learner for one half-day. In the database (not a worker's memory) so the
    limit holds across gunicorn workers; `streak` counts towards the next lockout, `failures` is the total."""

    __tablename__ = "checkin_attempt"
    __table_args__ = (UniqueConstraint("half_day_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    half_day_id: Mapped[int] = mapped_column(ForeignKey("half_day.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    streak: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormSubmission(Base):
    """A form's one-time token, claimed by its first submission: a second submission of the same rendered
    form (double click, resent POST) finds the row and gets the first one's result."""

    __tablename__ = "form_submission"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(60))
    result_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
