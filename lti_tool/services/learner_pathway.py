"""What a learner's pathway page shows, read in a handful of queries: it is the page every launch lands on.

The pathway, the learner's enrolment, their reminders choice and whether their DPC participation is validated
come in one query; the steps with their completions and counted time in one (`completion.statuses`); the
workshop sessions with the learner's bookings in one. Notices are read only when the learner holds a booking
(they are about bookings), the Moodle mirror only when a step is a Moodle activity.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, select

from models import (
    Booking,
    BookingNotice,
    Course,
    DpcValidation,
    Enrolment,
    NotificationPreference,
    Pathway,
    StepKind,
    User,
    WorkshopSession,
    db,
    utcnow,
)

from ..domain_errors import NotFound
from . import completion, moodle, pathways, workshops
from .completion import StepStatus


@dataclass(frozen=True)
class LearnerPathway:
    pathway: Pathway
    enrolment: Enrolment
    rows: list[StepStatus]
    next_row: StepStatus | None
    sessions: dict[int, list[WorkshopSession]]  # by workshop step: sessions to come, or booked
    bookings: dict[int, Booking]  # by session
    notices: list[BookingNotice]  # unseen until now: marked seen
    dpc_validated: bool
    reminders: bool
    moodle_state: moodle.LearnerState
    now: datetime


# The pathway with the learner's enrolment, reminders choice and DPC validation (built once: see `learner_pathway`).
PATHWAY_FOR_LEARNER = (
    select(Pathway, Enrolment, NotificationPreference.reminders,
           exists().where(DpcValidation.enrolment_id == Enrolment.id, DpcValidation.state == DpcValidation.GRANTED))
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
    sessions, bookings = workshops.learner_sessions(
        [row.step.id for row in rows if row.step.kind == StepKind.WORKSHOP], user.id)
    return LearnerPathway(
        pathway=pathway, enrolment=enrolment, rows=rows, next_row=completion.next_step(rows),
        sessions=sessions, bookings=bookings,
        notices=workshops.take_notices(user.id, pathway.id) if bookings else [],
        dpc_validated=bool(dpc_validated), reminders=reminders is not False,
        moodle_state=moodle.learner_state(user.id, course, linked=any(row.step.is_moodle_activity for row in rows)),
        now=utcnow())
