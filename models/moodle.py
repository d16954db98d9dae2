"""Moodle's own activities as online modules: the web service connection of a platform, the activities of a
course as Moodle last described them, and how fresh each learner's synced state is."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin


class MoodleConnection(TimestampMixin, Base):
    """The web service token an administrator gave for one platform (encrypted at rest, never shown back)."""

    __tablename__ = "moodle_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), unique=True)
    rest_url: Mapped[str] = mapped_column(String(1000), default="")  # empty: the issuer's server.php
    token_ciphertext: Mapped[str] = mapped_column(Text)
    site_name: Mapped[str] = mapped_column(String(300), default="")
    site_release: Mapped[str] = mapped_column(String(100), default="")
    allowed_functions: Mapped[list[str]] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime | None]
    last_error_code: Mapped[str] = mapped_column(String(50), default="")
    last_error_detail: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None]


class MoodleActivity(Base):
    """A course module of a Moodle course, as `core_course_get_contents` last listed it."""

    __tablename__ = "moodle_activity"
    __table_args__ = (UniqueConstraint("course_id", "cmid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    cmid: Mapped[int]
    modname: Mapped[str] = mapped_column(String(50))
    instance: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(500))
    section_number: Mapped[int] = mapped_column(default=0)
    section_name: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)  # order inside the course page
    tracking: Mapped[int] = mapped_column(default=0)  # completion tracking: 0 none, 1 manual, 2 automatic
    url: Mapped[str] = mapped_column(String(1000), default="")
    visible: Mapped[bool] = mapped_column(default=True)
    fetched_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]  # gone from the course when Moodle was last asked


class MoodleCourseSync(Base):
    """Where the course's synchronisation with Moodle stands, for the instructor's page."""

    __tablename__ = "moodle_course_sync"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    contents_fetched_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]  # last complete pass over the learners
    learners_synced: Mapped[int] = mapped_column(default=0)
    last_error_code: Mapped[str] = mapped_column(String(50), default="")
    last_error_detail: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None]


class MoodleLearnerSync(Base):
    """Freshness of one learner's synced state in one course: the learner page refreshes it when stale."""

    __tablename__ = "moodle_learner_sync"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    synced_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime]
    error_code: Mapped[str] = mapped_column(String(50), default="")
    # What Moodle said last, by cmid: {"state": 0-3, "time": epoch or 0, "seconds": SCORM time or null}.
    states: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Steps an instructor declared not done although Moodle says done: the sync leaves them so.
    withdrawn_step_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
