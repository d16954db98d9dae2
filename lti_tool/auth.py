"""Who is calling: the launch context kept in the session, and role checks for views."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, session
from sqlalchemy import bindparam, select

from models import Course, LearnerProfile, Role, User, db

from .errors import Forbidden, NotLaunched

# An administrator launch can do everything an instructor can.
ROLE_ALLOWS = {
    Role.LEARNER: {Role.LEARNER},
    Role.INSTRUCTOR: {Role.INSTRUCTOR},
    Role.ADMINISTRATOR: {Role.ADMINISTRATOR, Role.INSTRUCTOR},
}


@dataclass(frozen=True)
class LaunchContext:
    user: User
    course: Course
    role: str
    resource_link_id: int | None
    profile: LearnerProfile | None = None  # as the request began (a learner's profession, RPPS...)

    def can(self, role: str) -> bool:
        return role in ROLE_ALLOWS.get(self.role, set())


def start_session(*, user_id: int, course_id: int, platform_id: int, role: str, link_id: int | None, locale: str,
                  registration_id: int | None = None) -> None:
    """A fresh session per launch: nothing from a previous user survives it. `platform_id` is the site the user
    and course belong to; `registration_id` the registration (client id) launched, which signs replies."""
    session.clear()
    session.permanent = True
    session.update(uid=user_id, cid=course_id, pid=platform_id, reg=registration_id or platform_id, role=role,
                   link=link_id)
    if locale:
        session["locale"] = locale


# Every page after a launch reads this: the user, the course and the learner's profile, in one query built once
# (building a statement costs more than running it). The course must belong to the user's site: a tampered
# session never crosses tenants.
LAUNCH_CONTEXT = (
    select(User, Course, LearnerProfile).select_from(User)
    .join(Course, (Course.id == bindparam("course_id")) & (Course.platform_id == User.platform_id))
    .outerjoin(LearnerProfile, LearnerProfile.user_id == User.id)
    .where(User.id == bindparam("user_id"), User.platform_id == bindparam("site_id")))


def current_launch() -> LaunchContext:
    if "launch_context" in g:
        return g.launch_context
    uid, cid = session.get("uid"), session.get("cid")
    if uid is None or cid is None:
        raise NotLaunched()
    row = db.session.execute(LAUNCH_CONTEXT, {"user_id": uid, "course_id": cid, "site_id": session.get("pid")}).first()
    if row is None:
        session.clear()
        raise NotLaunched()
    g.launch_context = LaunchContext(user=row[0], course=row[1], role=session.get("role", Role.LEARNER),
                                     resource_link_id=session.get("link"), profile=row[2])
    return g.launch_context


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            launch = current_launch()
            if not any(launch.can(role) for role in roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped

    return decorator
