"""Satisfaction surveys after each session: "à chaud" when it ends, "à froid" some weeks later (issue 14)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class SurveyResponse(Base):
    """One person's answer to one survey of one session (answered once: a second submit changes nothing)."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("session_id", "user_id", "kind", name="uq_survey_response_once"),)

    HOT = "hot"
    COLD = "cold"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    profession: Mapped[str] = mapped_column(String(60), default="")
    satisfaction: Mapped[int]  # 1 to 5, as the three below
    usefulness: Mapped[int]  # usefulness for practice
    interprofessional: Mapped[int]  # what working with other professions brought
    recommend: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
