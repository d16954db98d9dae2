"""What the demo platform remembers: activities placed by deep linking, grade items, scores, registrations."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin


class DemoActivity(TimestampMixin, Base):
    __tablename__ = "demo_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    context_id: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DemoLineItem(TimestampMixin, Base):
    __tablename__ = "demo_lineitem"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    context_id: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(300))
    score_maximum: Mapped[float]
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(255), default="")
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")

    scores: Mapped[list[DemoScore]] = relationship(back_populates="lineitem", cascade="all, delete-orphan",
                                                   order_by="DemoScore.id")


class DemoScore(Base):
    __tablename__ = "demo_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    lineitem_id: Mapped[int] = mapped_column(ForeignKey("demo_lineitem.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(50))
    score_given: Mapped[float | None]
    score_maximum: Mapped[float | None]
    activity_progress: Mapped[str] = mapped_column(String(30))
    grading_progress: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]

    lineitem: Mapped[DemoLineItem] = relationship(back_populates="scores")


class DemoToolRegistration(TimestampMixin, Base):
    """A tool registered with a demo site through dynamic registration."""

    __tablename__ = "demo_tool_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    deployment_id: Mapped[str] = mapped_column(String(50))
    registration: Mapped[dict[str, Any]] = mapped_column(JSON)


class DemoRegistrationToken(TimestampMixin, Base):
    __tablename__ = "demo_registration_token"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    used_at: Mapped[datetime | None]


class DemoCompletion(Base):
    """A learner's completion of a demo course's activity (and SCORM time), as Moodle's
    course_modules_completion and scorm tracks hold them."""

    __tablename__ = "demo_completion"

    site: Mapped[str] = mapped_column(String(50), primary_key=True)
    cmid: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    state: Mapped[int] = mapped_column(default=0)  # 0 incomplete, 1 complete, 2 complete pass, 3 complete fail
    time_completed: Mapped[int] = mapped_column(default=0)  # epoch seconds, as Moodle
    scorm_seconds: Mapped[int] = mapped_column(default=0)
    time_modified: Mapped[int] = mapped_column(default=0)
