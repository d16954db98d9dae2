"""Signatures of an attendance sheet (issue 14): each learner's per half-day, drawn on a phone or the check-in
itself as an electronic signature, and the facilitators'. Proof, so append-only like the marks: a new
signature never overwrites one, the latest per person (or facilitator box) and half-day is the one shown."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AttendanceSignature(Base):
    __tablename__ = "attendance_signature"
    __table_args__ = (Index("ix_attendance_signature_half_day_user", "half_day_id", "user_id"),)

    LEARNER = "learner"
    FACILITATOR = "facilitator"
    DRAWN = "drawn"  # a PNG drawn with a finger or a mouse
    CHECKIN = "checkin"  # the check-in with the rotating code, as an electronic signature

    id: Mapped[int] = mapped_column(primary_key=True)
    half_day_id: Mapped[int] = mapped_column(ForeignKey("half_day.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))  # who signed
    role: Mapped[str] = mapped_column(String(12))
    facilitator_slot: Mapped[int | None]  # the facilitator's box (index in the session's facilitators)
    signer_name: Mapped[str] = mapped_column(String(300), default="")  # as printed when signed
    method: Mapped[str] = mapped_column(String(12))
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_sha256: Mapped[str] = mapped_column(String(64), default="")
    code: Mapped[str] = mapped_column(String(12), default="")  # the check-in code verified
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    mark_id: Mapped[int | None] = mapped_column(ForeignKey("attendance_mark.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
