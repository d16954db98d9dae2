"""The grade outbox: every score for Moodle is written here in the same transaction as the event that causes
it, then delivered by workers with retries. A Moodle outage delays grades; it never drops them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin, utcnow


class GradeOutbox(TimestampMixin, Base):
    __tablename__ = "grade_outbox"
    __table_args__ = (Index("ix_grade_outbox_due", "state", "next_attempt_at"),
                      Index("ix_grade_outbox_target", "lineitem_url", "user_sub"))

    PENDING = "pending"
    SENT = "sent"
    SUPERSEDED = "superseded"  # a newer score for the same learner and line item replaced it before sending
    ABANDONED = "abandoned"  # the platform refuses it for good (learner left the course)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="SET NULL"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="score")
    lineitem_url: Mapped[str] = mapped_column(String(1000))  # for "dpc": the course's line items container
    lineitem_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # "dpc": the item to find or create
    user_sub: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    timestamp: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(40))
    locked_until: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]


class PathwayRescore(Base):
    """A pathway whose every enrolled learner must be recomputed and scored again (a step added, removed or
    re-weighted, a new placement). Written in the transaction of that change; the grades worker (or the request
    itself, for a small pathway) does the work once and deletes the row."""

    __tablename__ = "pathway_rescore"

    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(50), default="")
