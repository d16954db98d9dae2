"""Hybrid pathways: organisations (CPTS), learner profiles, pathways of ordered steps, enrolments and what
learners did (step completions, online time intervals, questionnaire attempts)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .people import Course, User


class Organisation(TimestampMixin, Base):
    """A CPTS (or any training body) of one platform: owns pathways and workshop sessions."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("platform_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(200), default="")


class LearnerProfile(Base):
    """Declared once at the first launch, editable; RPPS/ADELI are personal data."""

    __tablename__ = "learner_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    profession: Mapped[str] = mapped_column(String(60), index=True)
    rpps: Mapped[str] = mapped_column(String(11), default="")
    adeli: Mapped[str] = mapped_column(String(9), default="")
    practice_mode: Mapped[str] = mapped_column(String(20), default="")
    cpts: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Pathway(TimestampMixin, Base):
    __tablename__ = "pathway"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=False)  # a draft until the instructor publishes it
    archived_at: Mapped[datetime | None]  # archived: hidden from learners, read-only, its proof kept

    course: Mapped[Course] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    steps: Mapped[list[Step]] = relationship(back_populates="pathway", order_by="Step.position",
                                             cascade="all, delete-orphan")


class StepKind:
    MODULE = "module"
    WORKSHOP = "workshop"
    QUESTIONNAIRE = "questionnaire"
    ALL = (MODULE, WORKSHOP, QUESTIONNAIRE)


class Step(Base):
    """One step of a pathway. `required_for` None means required for everyone; a list names professions."""

    __tablename__ = "step"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    required_for: Mapped[list[str] | None] = mapped_column(JSON)
    unlock_after_step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id", ondelete="SET NULL"))
    estimated_minutes: Mapped[int] = mapped_column(default=0)
    minimum_minutes: Mapped[int] = mapped_column(default=0)
    weight: Mapped[float] = mapped_column(default=1.0)
    content_url: Mapped[str] = mapped_column(String(1000), default="")
    embed: Mapped[bool] = mapped_column(default=False)  # show the content inside the module page
    questionnaire_role: Mapped[str] = mapped_column(String(10), default="")  # "pre" / "post" / ""
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # A Moodle activity of the course (course module id): its completion in Moodle completes the step.
    moodle_cmid: Mapped[int | None] = mapped_column(index=True)

    pathway: Mapped[Pathway] = relationship(back_populates="steps")

    def required_for_profession(self, profession: str | None) -> bool:
        return not self.required_for or (profession in self.required_for)

    @property
    def is_moodle_activity(self) -> bool:
        """An online module done in Moodle: Moodle's completion completes it (the linked-steps query's rule)."""
        return self.moodle_cmid is not None and self.kind == StepKind.MODULE


class Enrolment(TimestampMixin, Base):
    """A learner in a pathway, with the completion computed from their events (kept up to date)."""

    __tablename__ = "enrolment"
    # The dashboard's GROUP BY profession reads this index alone (covering: state and progress included).
    __table_args__ = (UniqueConstraint("pathway_id", "user_id"),
                      Index("ix_enrolment_pathway_profession", "pathway_id", "profession", "state", "progress"),
                      Index("ix_enrolment_pathway_progress", "pathway_id", "progress"))

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    profession: Mapped[str] = mapped_column(String(60), default="")  # copied from the profile for aggregates
    state: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    progress: Mapped[float] = mapped_column(default=0.0)  # percent of required steps done
    score: Mapped[float] = mapped_column(default=0.0)  # weighted, out of 100
    completed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    pathway: Mapped[Pathway] = relationship()


class StepCompletion(Base):
    __tablename__ = "step_completion"
    __table_args__ = (UniqueConstraint("enrolment_id", "step_id"), Index("ix_step_completion_step", "step_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(default=100.0)  # out of 100
    source: Mapped[str] = mapped_column(String(20))  # learner / instructor / attendance / questionnaire / moodle
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityInterval(Base):
    """Time actually spent on an online module (the DPC traceability log), from page heartbeats."""

    __tablename__ = "activity_interval"
    __table_args__ = (Index("ix_activity_interval_enrolment_step", "enrolment_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    seconds: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(20), default="tool")


class QuestionnaireAttempt(Base):
    __tablename__ = "questionnaire_attempt"
    __table_args__ = (Index("ix_questionnaire_attempt_enrolment_step", "enrolment_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"))
    answers: Mapped[list[int]] = mapped_column(JSON)
    score: Mapped[float]  # percent
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
