"""The notification outbox: every message to a person (convocation, reminder, promotion, DPC validation...) is a
row written in the same transaction as its cause, then delivered by the `lti notify` worker, one row per channel.

A row is unique per (person, subject, kind, version, channel): reruns of a pass, replays of an event and several
workers never make a second row, and a row is sent by the worker that holds its lease only. The rows are also
the record of what was sent: who, what, when, on which channel, with which result.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .people import User


class Notification(TimestampMixin, Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "subject", "kind", "version", "channel",
                                       name="uq_notification_once"),
                      Index("ix_notification_due", "state", "next_attempt_at"),
                      Index("ix_notification_user", "user_id", "created_at"))

    EMAIL = "email"
    MOODLE = "moodle"

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # not sent on this channel, for a recorded reason (e-mail off, no address, opted out)
    FAILED = "failed"  # refused for good by the channel (address rejected, user unknown to Moodle)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("pathway.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_session.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(60))  # what it is about: "session:12", "enrolment:5"
    kind: Mapped[str] = mapped_column(String(30))  # convocation, session_updated, reminder_7, ...
    version: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the message needs (ICS sequence...)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(40))
    locked_until: Mapped[datetime | None]
    recipient: Mapped[str] = mapped_column(String(320), default="")  # the address or Moodle user id used
    title: Mapped[str] = mapped_column(String(300), default="")  # the subject line as sent
    result: Mapped[str] = mapped_column(Text, default="")  # the channel's answer, or why it was skipped
    sent_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class NotificationPreference(Base):
    """A learner's choice for one pathway: reminders and nudges off (convocations and legal notices still go)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"), primary_key=True)
    reminders: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationSettings(Base):
    """Per pathway: the days before a session when reminders go (D-7 and D-1 when there is no row), and the days
    without progress after which a learner is nudged (None: 14; 0: never)."""

    __tablename__ = "notification_settings"

    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id", ondelete="CASCADE"), primary_key=True)
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [7, 1])
    nudge_days: Mapped[int | None]
    cold_survey_days: Mapped[int | None]  # days after a session for the "à froid" survey (None: 60; 0: none)


class SessionRevision(Base):
    """What learners were last told of a session: its calendar SEQUENCE and the fingerprint of its schedule,
    place and facilitators. A change of fingerprint raises the sequence and sends the update."""

    __tablename__ = "session_revision"

    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), primary_key=True)
    sequence: Mapped[int] = mapped_column(default=0)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
