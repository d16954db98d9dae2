"""The learner's page: when Moodle was last read for them, and a refresh when that is stale."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from models import Course, MoodleCourseSync, MoodleLearnerSync, Step, User, db, utcnow

from .catalog import _contents_stale, _linked_steps_query
from .sync import _record_learner_failure, sync_learners


@dataclass
class LearnerState:
    """For the learner's pathway page: when Moodle was last read, whether it should be read now."""
    linked: bool
    synced_at: datetime | None = None
    error_code: str = ""
    stale: bool = False


def learner_state(user_id: int, course: Course, *, linked: bool | None = None) -> LearnerState:
    """The learner's Moodle state in the course; not linked when no step shown is a Moodle activity, so such a
    page says nothing of Moodle. The pathway page says whether one of its steps is (`linked`); else any step of
    the course counts (the refresh)."""
    if linked is None:
        linked = db.session.scalar(
            _linked_steps_query(course.id).with_only_columns(Step.id).limit(1)) is not None
    if not linked:
        return LearnerState(linked=False)
    mirror = db.session.get(MoodleLearnerSync, (course.id, user_id))
    config, now = current_app.config, utcnow()
    if mirror is None:
        return LearnerState(linked=True, stale=True)
    fresh = mirror.synced_at is not None and not mirror.error_code and \
        now - mirror.synced_at < timedelta(seconds=config["MOODLE_LEARNER_FRESH_SECONDS"])
    waiting = bool(mirror.error_code) and \
        now - mirror.attempted_at < timedelta(seconds=config["MOODLE_RETRY_AFTER_SECONDS"])
    return LearnerState(linked=True, synced_at=mirror.synced_at, error_code=mirror.error_code,
                        stale=not fresh and not waiting)


def refresh_learner(user: User, course: Course) -> tuple[bool, LearnerState]:
    """The learner page's background call: reads Moodle for this learner when their state is stale.
    Returns (whether their pathways changed, the state after). Never raises for Moodle's failures."""
    state = learner_state(user.id, course)
    if not state.linked or not state.stale:
        return False, state
    contents_stale = _contents_stale(db.session.get(MoodleCourseSync, course.id))
    report = sync_learners(course, [(user.id, user.sub)], threads=1, refresh_contents=contents_stale,
                           complete_pass=False)
    if report.error is not None and report.synced == 0:
        _record_learner_failure(course.id, user.id, report.error)
    return bool(report.changed), learner_state(user.id, course)
