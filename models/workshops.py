"""Workshop sessions of a pathway step, split in half-days; bookings with a waitlist; append-only attendance."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .pathways import Step
from .people import User


class SessionFormat:
    WORKSHOP = "workshop"  # atelier présentiel / simulation
    VIDEO = "video"  # visioconférence
    IMMERSION = "immersion"  # immersion en structure
    PRACTICE_ANALYSIS = "practice_analysis"  # groupe d'analyse de pratiques
    SEMINAR = "seminar"
    ALL = (WORKSHOP, VIDEO, IMMERSION, PRACTICE_ANALYSIS, SEMINAR)
    IN_PERSON = (WORKSHOP, IMMERSION, PRACTICE_ANALYSIS, SEMINAR)


class WorkshopSession(TimestampMixin, Base):
    __tablename__ = "workshop_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(500), default="")
    video_url: Mapped[str] = mapped_column(String(1000), default="")
    capacity: Mapped[int]
    registration_deadline: Mapped[datetime | None]
    target_professions: Mapped[list[str] | None] = mapped_column(JSON)
    quotas: Mapped[dict[str, int] | None] = mapped_column(JSON)  # profession -> maximum seats
    facilitators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{name, profession}]
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None]
    confirmed_count: Mapped[int] = mapped_column(default=0)  # kept in the booking transaction (row lock)

    step: Mapped[Step] = relationship()
    half_days: Mapped[list[HalfDay]] = relationship(back_populates="session", order_by="HalfDay.starts_at",
                                                    cascade="all, delete-orphan")


class HalfDay(Base):
    """The unit of attendance (feuille d'émargement par demi-journée)."""

    __tablename__ = "half_day"
    __table_args__ = (UniqueConstraint("session_id", "day", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    day: Mapped[date]
    period: Mapped[str] = mapped_column(String(2))  # "am" / "pm"
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    certified_at: Mapped[datetime | None]
    certified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    session: Mapped[WorkshopSession] = relationship(back_populates="half_days")


def _step_of_session(context) -> int | None:
    """Booking.step_id defaults to its session's step (kept on the row for the one-booking-per-step index)."""
    return context.connection.scalar(select(WorkshopSession.step_id).where(
        WorkshopSession.id == context.get_current_parameters()["session_id"]))


# One active booking (confirmed or waitlisted) per learner and workshop step, held by the database too: a
# partial unique index, the same on SQLite and PostgreSQL. `released` lets a no-show of a past session book a
# later one without touching the past booking (the attendance proof).
ACTIVE_BOOKING = "status IN ('confirmed', 'waitlisted') AND NOT released"


class Booking(TimestampMixin, Base):
    __tablename__ = "booking"
    __table_args__ = (UniqueConstraint("session_id", "user_id"), Index("ix_booking_session_status", "session_id", "status"),
                      Index("ux_booking_active_step_user", "step_id", "user_id", unique=True,
                            sqlite_where=text(ACTIVE_BOOKING), postgresql_where=text(ACTIVE_BOOKING)))

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"), default=_step_of_session)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    profession: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20))
    released: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    session: Mapped[WorkshopSession] = relationship()


class BookingNotice(Base):
    """What happened to a learner's booking without them (promoted from the waitlist, session cancelled):
    shown on their pathway page until seen; `mailed_at` is for the mail sender to come."""

    __tablename__ = "booking_notice"
    __table_args__ = (Index("ix_booking_notice_user_seen", "user_id", "seen_at"),)

    PROMOTED = "promoted"
    SESSION_CANCELLED = "session_cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]
    mailed_at: Mapped[datetime | None]

    session: Mapped[WorkshopSession] = relationship()


class SheetReopening(Base):
    """The audited path to correct a certified sheet: an administrator reopens it with a reason; the previous
    certification is kept here, the marks stay append-only, and the sheet is certified again after."""

    __tablename__ = "sheet_reopening"

    id: Mapped[int] = mapped_column(primary_key=True)
    half_day_id: Mapped[int] = mapped_column(ForeignKey("half_day.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reopened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime] = mapped_column(default=utcnow)
    previously_certified_at: Mapped[datetime]
    previously_certified_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))


class AttendanceMark(Base):
    """Append-only: a correction is a new mark with a reason; the latest mark per person and half-day counts."""

    __tablename__ = "attendance_mark"
    __table_args__ = (Index("ix_attendance_mark_half_day_user", "half_day_id", "user_id"),)

    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"
    LATE = "late"
    ALL = (PRESENT, ABSENT, EXCUSED, LATE)

    id: Mapped[int] = mapped_column(primary_key=True)
    half_day_id: Mapped[int] = mapped_column(ForeignKey("half_day.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(20))  # roster / self_checkin
    recorded_by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class AttendanceStatus(Base):
    """The current mark per person and half-day (the latest of the append-only history), kept in the same
    transaction as the mark, so that dashboards count attendance without scanning the history."""

    __tablename__ = "attendance_status"
    __table_args__ = (Index("ix_attendance_status_session_status", "session_id", "status", "profession"),)

    half_day_id: Mapped[int] = mapped_column(ForeignKey("half_day.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    profession: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10))
    mark_id: Mapped[int] = mapped_column(ForeignKey("attendance_mark.id", ondelete="CASCADE"))
