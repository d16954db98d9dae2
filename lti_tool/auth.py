"""Who is calling: the launch context kept in the session, and role checks for views."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, session

from models import Course, Role, User, db

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


def current_launch() -> LaunchContext:
    if "launch_context" in g:
        return g.launch_context
    uid, cid = session.get("uid"), session.get("cid")
    if uid is None or cid is None:
        raise NotLaunched()
    user = db.session.get(User, uid)
    course = db.session.get(Course, cid)
    # The course must belong to the user's platform: a tampered session never crosses tenants.
    if (user is None or course is None or course.platform_id != user.platform_id
            or user.platform_id != session.get("pid")):
        session.clear()
        raise NotLaunched()
    g.launch_context = LaunchContext(user=user, course=course, role=session.get("role", Role.LEARNER),
                                     resource_link_id=session.get("link"))
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
