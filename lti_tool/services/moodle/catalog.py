"""The course's activities as Moodle lists them (`core_course_get_contents`), stored for the step picker."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Course, MoodleActivity, MoodleCourseSync, Pathway, Platform, Step, StepKind, db, utcnow

from ..moodle_ws import COURSE_CONTENTS, MoodleClient, MoodleError
from .connection import _record_error, client_for, connection_for

MAX_ID = 2**31 - 1  # Moodle's ids are bigint, ours integer: larger ones would not fit


def course_sync_record(course_id: int) -> MoodleCourseSync:
    record = db.session.get(MoodleCourseSync, course_id)
    if record is None:
        try:
            with db.session.begin_nested():  # two instructor pages at once: one creates it
                record = MoodleCourseSync(course_id=course_id, learners_synced=0, last_error_code="",
                                          last_error_detail="")
                db.session.add(record)
        except IntegrityError:
            record = db.session.get(MoodleCourseSync, course_id, populate_existing=True)
    return record


def _moodle_course_id(course: Course) -> int:
    if not course.context_id.isdigit():
        raise MoodleError("not_found", f"context id {course.context_id!r} is not a Moodle course id")
    return int(course.context_id)


@contextmanager
def _reading(function: str):
    """An answer of an unexpected shape is Moodle's problem, reported as such — never a crash of ours."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise MoodleError("bad_answer", f"unexpected answer: {error}"[:300], function) from error


def refresh_activities(course: Course, client: MoodleClient) -> list[MoodleActivity]:
    """Ask Moodle for the course page; activities that left it are marked deleted (steps keep their link)."""
    with _reading(COURSE_CONTENTS):
        return _store_contents(course, client.call(COURSE_CONTENTS, courseid=_moodle_course_id(course)))


def _store_contents(course: Course, sections) -> list[MoodleActivity]:
    if not isinstance(sections, list):
        raise MoodleError("bad_answer", "course contents is not a list", COURSE_CONTENTS)
    now = utcnow()
    known = {activity.cmid: activity for activity in db.session.scalars(
        select(MoodleActivity).where(MoodleActivity.course_id == course.id))}
    seen = set()
    position = 0
    for section in sections:
        if not isinstance(section, dict):
            continue
        for module in section.get("modules") or []:
            if not isinstance(module, dict) or not isinstance(module.get("id"), int) \
                    or not 0 < module["id"] <= MAX_ID:
                continue
            position += 1
            cmid = int(module["id"])
            seen.add(cmid)
            activity = known.get(cmid) or _new_activity(course.id, cmid)
            known[cmid] = activity
            activity.modname = str(module.get("modname") or "")[:50]
            activity.instance = int(module.get("instance") or 0)
            activity.name = str(module.get("name") or "")[:500]
            activity.section_number = int(section.get("section") or 0)
            activity.section_name = str(section.get("name") or "")[:500]
            activity.position = position
            activity.tracking = int(module.get("completion") or 0)
            url = str(module.get("url") or "")
            activity.url = url[:1000] if url.startswith(("https://", "http://")) else ""  # it becomes a link
            activity.visible = bool(module.get("visible", 1))
            activity.fetched_at, activity.deleted_at = now, None
    for cmid, activity in known.items():
        if cmid not in seen and activity.deleted_at is None:
            activity.deleted_at = now
    record = course_sync_record(course.id)
    record.contents_fetched_at = now
    db.session.flush()
    return sorted((a for a in known.values() if a.deleted_at is None), key=lambda a: a.position)


def activities(course_id: int, *, include_deleted: bool = False) -> list[MoodleActivity]:
    query = select(MoodleActivity).where(MoodleActivity.course_id == course_id)
    if not include_deleted:
        query = query.where(MoodleActivity.deleted_at.is_(None))
    return list(db.session.scalars(query.order_by(MoodleActivity.position)))


def _new_activity(course_id: int, cmid: int) -> MoodleActivity:
    """Two first readings of the course at once: one inserts, the other finds its row."""
    try:
        with db.session.begin_nested():
            activity = MoodleActivity(course_id=course_id, cmid=cmid, modname="", name="", fetched_at=utcnow())
            db.session.add(activity)
    except IntegrityError:
        activity = db.session.scalars(select(MoodleActivity).where(MoodleActivity.course_id == course_id,
                                                                   MoodleActivity.cmid == cmid)).one()
    return activity


@dataclass
class Picker:
    """What the step form needs: the activities by section, and why there are none when there are none."""
    sections: list[tuple[str, list[MoodleActivity]]]
    connected: bool
    error: MoodleError | None = None
    fetched_at: datetime | None = None


def _contents_stale(record: MoodleCourseSync | None) -> bool:
    """The course's activity list is read again from Moodle after MOODLE_CONTENTS_FRESH_SECONDS."""
    return record is None or record.contents_fetched_at is None or \
        utcnow() - record.contents_fetched_at > timedelta(seconds=current_app.config["MOODLE_CONTENTS_FRESH_SECONDS"])


def picker(course: Course, *, refresh: bool = False) -> Picker:
    """Stored activities, refreshed from Moodle when stale (or asked): the form still opens when Moodle fails."""
    platform = db.session.get(Platform, course.platform_id)
    connection = connection_for(platform.id)
    record = db.session.get(MoodleCourseSync, course.id)
    error = None
    stale = _contents_stale(record)
    failed_lately = record is not None and record.last_error_at is not None and \
        utcnow() - record.last_error_at < timedelta(seconds=current_app.config["MOODLE_RETRY_AFTER_SECONDS"])
    if connection is not None and (refresh or (stale and not failed_lately)):
        try:
            refresh_activities(course, client_for(platform, connection))
        except MoodleError as failure:
            error = failure
            _record_error(course_sync_record(course.id), failure)
    sections: dict[tuple[int, str], list[MoodleActivity]] = {}
    for item in activities(course.id):
        sections.setdefault((item.section_number, item.section_name), []).append(item)
    record = db.session.get(MoodleCourseSync, course.id)
    if error is None and connection is not None and record is not None and record.last_error_code:
        error = MoodleError(record.last_error_code, record.last_error_detail)
    return Picker(sections=[(name or f"Section {number}", items) for (number, name), items in sections.items()],
                  connected=connection is not None, error=error,
                  fetched_at=record.contents_fetched_at if record else None)


def _linked_steps_query(course_id: int, pathway_id: int | None = None):
    """Online-module steps of the course (or of one of its pathways) that are activities of its Moodle course
    (in SQL, the rule of `Step.is_moodle_activity`)."""
    query = select(Step).join(Pathway, Pathway.id == Step.pathway_id).where(
        Pathway.course_id == course_id, Step.moodle_cmid.is_not(None), Step.kind == StepKind.MODULE)
    return query.where(Step.pathway_id == pathway_id) if pathway_id is not None else query


def linked_steps(course_id: int) -> list[Step]:
    return list(db.session.scalars(_linked_steps_query(course_id).order_by(Step.pathway_id, Step.position)))
