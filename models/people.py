"""Who launched, from where: users, courses (LTI contexts), resource links and course roles."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .platform import Platform


class Role:
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMINISTRATOR = "administrator"
    ALL = (LEARNER, INSTRUCTOR, ADMINISTRATOR)


class User(TimestampMixin, Base):
    """A person as one Moodle site knows them: keyed by (site, sub), never by e-mail. `platform_id` is the site's
    first registration (see `platforms.site_id`): every registration of the same issuer sees the same person."""

    __tablename__ = "user_account"
    # AUTOINCREMENT: SQLite must never hand a rolled-back id to someone else (sessions hold ids).
    __table_args__ = (UniqueConstraint("platform_id", "sub"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    # Moodle's idnumber ($Person.sourcedId): where a training body may keep the RPPS number.
    person_sourcedid: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(20), default="")
    last_launch_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship()

    @property
    def display_name(self) -> str:
        return self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or self.sub


class Course(TimestampMixin, Base):
    """An LTI context (a Moodle course) of one Moodle site, keyed by (site, context id) like users."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id", ondelete="SET NULL"))
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    # The registration whose launch gave the service URLs above: Moodle's URLs name its tool type, and only that
    # registration's tokens are accepted there.
    services_platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id", ondelete="SET NULL"))

    platform: Mapped[Platform] = relationship(foreign_keys=[platform_id])


class ResourceLink(TimestampMixin, Base):
    """A placement of the tool in a course (a Moodle activity)."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The placement's own line item, learned once (deep linking, a launch's `lineitem` claim, or found through AGS)
    # and never cleared by a launch without it: Moodle drops that claim when a link holds two line items.
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    # The registration (tool type) the activity belongs to, and its line items container: grades go through them.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id", ondelete="SET NULL"))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    # Why grades cannot reach this placement, as the delivery worker last learned it ("" when they can).
    grade_problem: Mapped[str] = mapped_column(String(50), default="")
    # The pathway this placement opens (from the deep-linking custom parameter `pathway_id`).
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("pathway.id", ondelete="SET NULL"), index=True)

    course: Mapped[Course] = relationship()


class CourseMembership(Base):
    """The role a user had at their last launch in a course."""

    __tablename__ = "course_membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
