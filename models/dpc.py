"""DPC: a pathway may carry a DPC programme (action and session registered with the ANDPC); the instructor
validates or withdraws each participant's validation, which goes to Moodle as its own grade item."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .pathways import Enrolment, Pathway


class DpcType:
    CONTINUING_EDUCATION = "formation_continue"
    EPP = "epp"
    RISK_MANAGEMENT = "gestion_risques"
    INTEGRATED = "programme_integre"
    ALL = (CONTINUING_EDUCATION, EPP, RISK_MANAGEMENT, INTEGRATED)


class DpcProgramme(TimestampMixin, Base):
    __tablename__ = "dpc_programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"), unique=True)
    action_number: Mapped[str] = mapped_column(String(40))
    session_number: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(30))
    eligible_professions: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_half_days: Mapped[int] = mapped_column(default=0)
    required_online_minutes: Mapped[int] = mapped_column(default=0)
    requires_pre_post: Mapped[bool] = mapped_column(default=False)
    minimum_participants: Mapped[int] = mapped_column(default=5)

    pathway: Mapped[Pathway] = relationship()


class DpcValidation(Base):
    __tablename__ = "dpc_validation"

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    certificate_number: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
