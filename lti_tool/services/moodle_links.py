"""What the pathways and the completion engine share with the Moodle sync: which Moodle activity a step may link
to, and the learner's Moodle mirror where an instructor's decision on a linked step is remembered.

Below `services.moodle` (which imports pathways and completion to apply what Moodle says): pathways and
completion import this module, never the `moodle` package, so the services import one another without a cycle.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Enrolment, MoodleActivity, MoodleLearnerSync, Step, db, utcnow

from ..domain_errors import InvalidInput


def activity(course_id: int, cmid: int | None) -> MoodleActivity | None:
    if cmid is None:
        return None
    return db.session.scalars(select(MoodleActivity).where(MoodleActivity.course_id == course_id,
                                                           MoodleActivity.cmid == cmid)).first()


def validate_link(course_id: int, cmid: int) -> MoodleActivity:
    """The step form accepts only an activity Moodle listed for this very course."""
    found = activity(course_id, cmid)
    if found is None or found.deleted_at is not None:
        raise InvalidInput({"moodle_cmid": "not an activity of this course"})
    return found


def mirror(course_id: int, user_id: int) -> MoodleLearnerSync:
    """The learner's row, created once even when two pages of theirs refresh at the same moment."""
    mirror = db.session.get(MoodleLearnerSync, (course_id, user_id))
    if mirror is None:
        try:
            with db.session.begin_nested():
                mirror = MoodleLearnerSync(course_id=course_id, user_id=user_id, attempted_at=utcnow(), states={},
                                           error_code="", withdrawn_step_ids=[])
                db.session.add(mirror)
        except IntegrityError:
            mirror = db.session.get(MoodleLearnerSync, (course_id, user_id), populate_existing=True)
    return mirror


def remember_withdrawal(enrolment: Enrolment, step: Step, *, withdrawn: bool) -> None:
    """An instructor's decision on a Moodle-linked step outlives the next sync."""
    record = mirror(enrolment.pathway.course_id, enrolment.user_id)
    ids = set(record.withdrawn_step_ids or [])
    ids = ids | {step.id} if withdrawn else ids - {step.id}
    record.withdrawn_step_ids = sorted(ids)
