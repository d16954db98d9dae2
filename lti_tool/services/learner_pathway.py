"""What a learner's pathway page shows, read in a handful of queries: it is the page every launch lands on.

The pathway, the learner's enrolment, their reminders choice and whether their DPC participation is validated
come in one query; the steps with their completions and counted time in one (`completion.statuses`); the
sessions with the learner's bookings in one. Notices are read only when the learner has a booking in the pathway,
whatever its state (a notice is about a booking), the Moodle mirror only when a step is a Moodle activity.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from models import (
    Booking,
    BookingNotice,
    Course,
    Enrolment,
    NotificationPreference,
    Pathway,
    User,
    WorkshopSession,
    db,
    utcnow,
)

from ..domain_errors import NotFound
from . import completion, dpc, moodle, pathways, workshops
from .completion import StepStatus


@dataclass(frozen=True)
class LearnerPathway:
    pathway: Pathway
    enrolment: Enrolment
    rows: list[StepStatus]
    next_row: StepStatus | None
    sessions: dict[int, list[WorkshopSession]]  # by step: sessions to come, or booked (workshops show them)
    bookings: dict[int, Booking]  # by session
    notices: list[BookingNotice]  # unseen until now: marked seen
    dpc_validated: bool
    reminders: bool
    moodle_state: moodle.LearnerState
    now: datetime


# The pathway with the learner's enrolment, reminders choice and DPC validation (built once: see `learner_pathway`).
PATHWAY_FOR_LEARNER = (
    select(Pathway, Enrolment, NotificationPreference.reminders, dpc.VALIDATED)
    .outerjoin(Enrolment, (Enrolment.pathway_id == Pathway.id) & (Enrolment.user_id == bindparam("user_id")))
    .outerjoin(NotificationPreference, (NotificationPreference.pathway_id == Pathway.id)
               & (NotificationPreference.user_id == bindparam("user_id")))
    .where(Pathway.id == bindparam("pathway_id"), Pathway.course_id == bindparam("course_id")))


def learner_pathway(pathway_id: int, user: User, course: Course) -> LearnerPathway:
    """A published pathway of the course as `user` follows it; enrols them on their first visit."""
    found = db.session.execute(PATHWAY_FOR_LEARNER, {"user_id": user.id, "pathway_id": pathway_id,
                                                     "course_id": course.id}).first()
    if found is None or not found[0].published:
        raise NotFound(detail=f"no published pathway {pathway_id} in course {course.id}")
    pathway, enrolment, reminders, dpc_validated = found
    if enrolment is None:
        enrolment = pathways.enrol(pathway, user)
    rows = completion.statuses(enrolment)
    # Every step's sessions: a step that is no longer a workshop keeps its bookings, and their notices.
    sessions, bookings = workshops.learner_sessions([row.step.id for row in rows], user.id)
    return LearnerPathway(
        pathway=pathway, enrolment=enrolment, rows=rows, next_row=completion.next_step(rows),
        sessions=sessions, bookings=bookings,
        notices=workshops.take_notices(user.id, pathway.id) if bookings else [],
        dpc_validated=bool(dpc_validated), reminders=reminders is not False,
        moodle_state=moodle.learner_state(user.id, course, linked=any(row.step.is_moodle_activity for row in rows)),
        now=utcnow())
