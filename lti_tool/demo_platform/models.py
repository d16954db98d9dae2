"""What the demo platform remembers: activities placed by deep linking, grade items, scores, registrations."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

from models.base import NAMING_CONVENTION, TimestampMixin, UTCDateTime, db


class DemoBase(DeclarativeBase):
    """The demo's own metadata: its tables are not in the product's migrations, so a production database never
    gets them. `create_demo_tables()` (run by `flask lti-demo setup`) creates them on a demo database."""

    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


def create_demo_tables() -> None:
    # create_all, not a migration: the demo's data is disposable (delete the demo database to start over), and a
    # second Alembic branch would make every `db upgrade` name its heads. Idempotent (checkfirst).
    DemoBase.metadata.create_all(db.engine)


class DemoActivity(TimestampMixin, DemoBase):
    __tablename__ = "demo_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    context_id: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DemoLineItem(TimestampMixin, DemoBase):
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


class DemoScore(DemoBase):
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


class DemoToolRegistration(TimestampMixin, DemoBase):
    """A tool registered with a demo site through dynamic registration."""

    __tablename__ = "demo_tool_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    deployment_id: Mapped[str] = mapped_column(String(50))
    registration: Mapped[dict[str, Any]] = mapped_column(JSON)


class DemoRegistrationToken(TimestampMixin, DemoBase):
    __tablename__ = "demo_registration_token"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    used_at: Mapped[datetime | None]


class DemoCompletion(DemoBase):
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
