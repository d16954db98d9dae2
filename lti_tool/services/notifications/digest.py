"""The instructors' daily digest: once a day (from 7:00 Europe/Paris), per course with something to act on, each
instructor of the course gets what changed in the last 24 hours (new registrations), what waits (waiting lists,
attendance sheets of past half-days not certified) and grades Moodle has not accepted yet. No digest on a quiet
day. The snapshot is kept in the row's payload: the message says what was true when it was written."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import Booking, Course, CourseMembership, GradeOutbox, HalfDay, Pathway, Step, User, WorkshopSession, db

from .outbox import enqueue, moodle_platform_ids

PARIS = ZoneInfo("Europe/Paris")
HOUR = 7
SCAN_EVERY_SECONDS = 600
_last_scan: dict[str, float] = {}


def _per_pathway(query) -> dict[int, int]:
    return dict(db.session.execute(query.group_by(Step.pathway_id)).all())


def schedule_digests(now: datetime, *, force: bool = False) -> int:
    local = now.astimezone(PARIS)
    key = str(db.engine.url)
    if local.hour < HOUR or (not force and time.monotonic() - _last_scan.get(key, -SCAN_EVERY_SECONDS)
                             < SCAN_EVERY_SECONDS):
        return 0
    _last_scan[key] = time.monotonic()
    since = now - timedelta(hours=24)
    pathways = list(db.session.execute(select(Pathway.id, Pathway.course_id, Pathway.title).where(
        Pathway.published.is_(True), Pathway.archived_at.is_(None)).order_by(Pathway.course_id, Pathway.id)))
    if not pathways:
        return 0
    booked = _per_pathway(select(Step.pathway_id, func.count()).select_from(Booking)
                          .join(Step, Step.id == Booking.step_id)
                          .where(Booking.created_at >= since, Booking.status.in_(("confirmed", "waitlisted"))))
    waiting = _per_pathway(select(Step.pathway_id, func.count()).select_from(Booking)
                           .join(WorkshopSession, WorkshopSession.id == Booking.session_id)
                           .join(Step, Step.id == WorkshopSession.step_id)
                           .where(Booking.status == "waitlisted", WorkshopSession.starts_at > now))
    sheets = _per_pathway(select(Step.pathway_id, func.count()).select_from(HalfDay)
                          .join(WorkshopSession, WorkshopSession.id == HalfDay.session_id)
                          .join(Step, Step.id == WorkshopSession.step_id)
                          .where(HalfDay.ends_at <= now, HalfDay.certified_at.is_(None),
                                 WorkshopSession.cancelled.is_(False)))
    grades = dict(db.session.execute(select(GradeOutbox.course_id, func.count()).where(
        GradeOutbox.state == GradeOutbox.PENDING, GradeOutbox.attempts > 0).group_by(GradeOutbox.course_id)).all())
    by_course: dict[int, list[dict]] = {}
    for pathway_id, course_id, title in pathways:
        counts = {"bookings": booked.get(pathway_id, 0), "waitlisted": waiting.get(pathway_id, 0),
                  "sheets": sheets.get(pathway_id, 0)}
        if any(counts.values()):
            by_course.setdefault(course_id, []).append({"title": title, **counts})
    for course_id in grades:
        by_course.setdefault(course_id, [])
    platforms = moodle_platform_ids()
    created = 0
    for course_id, lines in by_course.items():
        course = db.session.get(Course, course_id)
        if course is None:
            continue
        instructors = list(db.session.scalars(select(User).join(CourseMembership, CourseMembership.user_id == User.id)
                                              .where(CourseMembership.course_id == course_id,
                                                     CourseMembership.role == "instructor")))
        payload = {"course": course.title or course.label or course.context_id, "date": local.date().isoformat(),
                   "pathways": lines, "grades_pending": grades.get(course_id, 0),
                   "link": f"{course.platform.issuer.rstrip('/')}/course/view.php?id={course.context_id}"}
        for instructor in instructors:
            created += len(enqueue(instructor, "digest", f"course:{course_id}:{payload['date']}", version=1,
                                   payload=payload, moodle_platforms=platforms, due=now))
    db.session.commit()
    return created
