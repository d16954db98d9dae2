"""Learners' completion (and SCORM time) read from Moodle and applied to the completion engine.

Web service calls run in threads (no database there); what they bring back is applied in the calling thread, one
learner at a time, with the completion engine — so grades and DPC follow as for any step. Moodle's answers are
mirrored in MoodleLearnerSync: when Moodle fails, the last known state stays.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import func, select

from models import (
    ActivityInterval,
    Course,
    CourseMembership,
    Enrolment,
    MoodleActivity,
    MoodleCourseSync,
    Pathway,
    Platform,
    Role,
    Step,
    StepCompletion,
    User,
    db,
    utcnow,
)

from .. import completion, pathways
from ..moodle_links import mirror as learner_mirror
from ..moodle_ws import (
    COMPLETION_STATUS,
    REQUIRED_FUNCTIONS,
    SCORM_FUNCTIONS,
    SCORM_SCOES,
    SCORM_TRACKS,
    SCORMS_BY_COURSES,
    MoodleClient,
    MoodleError,
    tracks_total_seconds,
)
from .catalog import _moodle_course_id, _reading, activities, course_sync_record, linked_steps, refresh_activities
from .connection import _clear_error, _record_error, client_for, connection_for

DONE_STATES = {1, 2}  # complete, complete pass (3, complete fail, is not done: Moodle's course completion agrees)
MOODLE = "moodle"  # the source of completions and time intervals that come from Moodle


@dataclass(frozen=True)
class SyncPlan:
    moodle_course_id: int
    cmids: frozenset[int]
    scorm_scoes: dict[int, tuple[int, ...]]  # SCORM cmid → its SCO ids (only when SCORM time is readable)


def plan(course: Course, client: MoodleClient, steps: list[Step], allowed: set[str]) -> SyncPlan:
    by_cmid = {a.cmid: a for a in activities(course.id, include_deleted=True)}
    cmids = frozenset(step.moodle_cmid for step in steps)
    scorm_cmids = {cmid for cmid in cmids if by_cmid.get(cmid) and by_cmid[cmid].modname == "scorm"
                   and by_cmid[cmid].deleted_at is None}
    scoes: dict[int, tuple[int, ...]] = {}
    if scorm_cmids and set(SCORM_FUNCTIONS) <= allowed:
        course_id = _moodle_course_id(course)
        try:
            answer = client.call(SCORMS_BY_COURSES, courseids=[course_id])
            for scorm in answer.get("scorms") or []:
                if int(scorm.get("coursemodule") or 0) in scorm_cmids:
                    found = client.call(SCORM_SCOES, scormid=int(scorm["id"]))
                    scoes[int(scorm["coursemodule"])] = tuple(
                        int(sco["id"]) for sco in found.get("scoes") or [] if sco.get("scormtype") == "sco")
        except MoodleError as error:
            if error.code not in ("function_not_allowed", "no_permission", "not_found"):
                raise
            scoes = {}  # SCORM time is optional: completion still syncs
    return SyncPlan(_moodle_course_id(course), cmids, scoes)


def fetch_states(client: MoodleClient, plan_: SyncPlan, sub: str) -> dict[str, dict]:
    """What Moodle knows of one learner for the linked activities: {cmid: {state, time, seconds}}."""
    if not sub.isdigit():
        raise MoodleError("not_tracked", f"user {sub!r} is not a Moodle user id")
    answer = client.call(COMPLETION_STATUS, courseid=plan_.moodle_course_id, userid=int(sub))
    statuses = answer.get("statuses") if isinstance(answer, dict) else None
    if not isinstance(statuses, list):
        raise MoodleError("bad_answer", "no statuses in the completion answer", COMPLETION_STATUS)
    states: dict[str, dict] = {}
    for status in statuses:
        if isinstance(status, dict) and int(status.get("cmid") or 0) in plan_.cmids:
            states[str(int(status["cmid"]))] = {"state": int(status.get("state") or 0),
                                                "time": int(status.get("timecompleted") or 0), "seconds": None}
    for cmid, scoes in plan_.scorm_scoes.items():
        try:
            seconds = sum(_sco_seconds(client, scoid, int(sub)) for scoid in scoes)
        except MoodleError as error:
            if error.code in ("unavailable", "invalid_token", "bad_answer"):
                raise
            continue  # the time is optional: a refusal of the SCORM reports never holds back the completions
        states.setdefault(str(cmid), {"state": 0, "time": 0, "seconds": None})["seconds"] = seconds
    return states


def _sco_seconds(client: MoodleClient, scoid: int, userid: int) -> int:
    """Time of every attempt: `attempt=0` answers the last one and says its number; earlier ones are asked
    only when there are some."""
    last = client.call(SCORM_TRACKS, scoid=scoid, userid=userid, attempt=0)
    total = tracks_total_seconds(last)
    attempts = int(((last or {}).get("data") or {}).get("attempt") or 1)
    for attempt in range(1, min(attempts, 50)):
        total += tracks_total_seconds(client.call(SCORM_TRACKS, scoid=scoid, userid=userid, attempt=attempt))
    return total


def _epoch(value: int) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value and value > 0 else None


def apply_states(course: Course, user_id: int, states: dict[str, dict], steps: list[Step],
                 now: datetime | None = None) -> bool:
    """Mirror Moodle's answer, then bring the linked steps in line; returns whether any pathway changed.

    A completion from Moodle is withdrawn when Moodle withdraws it, never one given by an instructor. An
    activity Moodle no longer reports (deleted, tracking turned off) keeps its last known state.
    """
    now = now or utcnow()
    mirror = learner_mirror(course.id, user_id)
    merged = {**(mirror.states or {}), **states}
    if merged != mirror.states:
        mirror.states = merged
    mirror.synced_at, mirror.attempted_at, mirror.error_code = now, now, ""
    withdrawn = set(mirror.withdrawn_step_ids or [])
    changed = False
    by_pathway: dict[int, list[Step]] = {}
    for step in steps:
        by_pathway.setdefault(step.pathway_id, []).append(step)
    user = None
    for pathway_id, pathway_steps in by_pathway.items():
        enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway_id,
                                                               Enrolment.user_id == user_id)).first()
        if enrolment is None:
            pathway = db.session.get(Pathway, pathway_id)
            if not pathway.published or not any(
                    merged.get(str(step.moodle_cmid), {}).get("state") in DONE_STATES for step in pathway_steps):
                continue  # nothing done yet (or a draft): the learner is enrolled when they open the pathway
            user = user or db.session.get(User, user_id)
            enrolment = pathways.enrol(pathway, user)
        if _apply_to_enrolment(enrolment, pathway_steps, merged, withdrawn):
            completion.recompute(enrolment)
            changed = True
    return changed


def _apply_to_enrolment(enrolment: Enrolment, steps: list[Step], states: dict[str, dict],
                        withdrawn: set[int]) -> bool:
    changed = False
    existing = {c.step_id: c for c in db.session.scalars(select(StepCompletion).where(
        StepCompletion.enrolment_id == enrolment.id, StepCompletion.step_id.in_([s.id for s in steps])))}
    for step in steps:
        state = states.get(str(step.moodle_cmid))
        if state is None:
            continue
        done, completion = state["state"] in DONE_STATES, existing.get(step.id)
        if done and completion is None and step.id not in withdrawn:
            db.session.add(StepCompletion(enrolment_id=enrolment.id, step_id=step.id, source=MOODLE, score=100.0,
                                          completed_at=_epoch(state["time"]) or utcnow()))
            changed = True
        elif not done and completion is not None and completion.source == MOODLE:
            db.session.delete(completion)
            changed = True
        if state.get("seconds") is not None:
            changed |= _record_moodle_time(enrolment, step, int(state["seconds"]))
    if changed:
        db.session.flush()
    return changed


def _record_moodle_time(enrolment: Enrolment, step: Step, seconds: int) -> bool:
    """SCORM time as one interval marked as coming from Moodle, kept equal to the tracks' total."""
    interval = db.session.scalars(select(ActivityInterval).where(
        ActivityInterval.enrolment_id == enrolment.id, ActivityInterval.step_id == step.id,
        ActivityInterval.source == MOODLE)).first()
    if seconds <= 0 and interval is None:
        return False
    now = utcnow()
    if interval is None:
        interval = ActivityInterval(enrolment_id=enrolment.id, step_id=step.id, source=MOODLE, seconds=0,
                                    started_at=now - timedelta(seconds=seconds), ended_at=now)
        db.session.add(interval)
    if seconds <= interval.seconds:  # logged time never shrinks (Moodle may forget an attempt; DPC proof stays)
        return False
    interval.seconds, interval.ended_at = seconds, now
    interval.started_at = min(interval.started_at, now - timedelta(seconds=seconds))
    return True


def _record_learner_failure(course_id: int, user_id: int, error: MoodleError) -> None:
    mirror = learner_mirror(course_id, user_id)
    mirror.attempted_at, mirror.error_code = utcnow(), error.code


def _record_failure(record: MoodleCourseSync, platform: Platform, error: MoodleError) -> None:
    """On the course's record for the instructor; a failure of the token itself also on the connection, where
    the administrator looks."""
    _record_error(record, error)
    connection = connection_for(platform.id)
    if connection is not None and error.code in ("invalid_token", "function_not_allowed", "token_unreadable"):
        _record_error(connection, error)


@dataclass
class SyncReport:
    total: int = 0
    synced: int = 0
    changed: int = 0
    skipped: int = 0  # learners Moodle does not track (left the course, not a Moodle user id)
    error: MoodleError | None = None  # the failure that stopped the sync, if any
    deleted_activities: list[MoodleActivity] = field(default_factory=list)
    untracked_activities: list[MoodleActivity] = field(default_factory=list)
    seconds: float = 0.0


def _learner_ids(course: Course):
    """Learners of the course: those enrolled in one of its pathways and members with the learner role (from
    launches or the roster), so that completions made in Moodle count before the first visit."""
    enrolled = select(Enrolment.user_id).join(Pathway, Pathway.id == Enrolment.pathway_id).where(
        Pathway.course_id == course.id)
    members = select(CourseMembership.user_id).where(CourseMembership.course_id == course.id,
                                                     CourseMembership.role == Role.LEARNER)
    return enrolled.union(members)


def learners_to_sync(course: Course, *, offset: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
    query = select(User.id, User.sub).where(User.id.in_(_learner_ids(course))).order_by(User.id).offset(offset)
    return [(user_id, sub) for user_id, sub in db.session.execute(query.limit(limit) if limit else query)]


def count_learners(course: Course) -> int:
    return db.session.scalar(select(func.count()).select_from(_learner_ids(course).subquery()))


def _fetch_and_apply(course: Course, client: MoodleClient, plan_: SyncPlan, learners, steps: list[Step],
                     threads: int, report: SyncReport, commit_every: int | None, progress) -> None:
    """Learners' states read in threads (no database there), applied here one learner at a time; a failure of the
    whole connection (a revoked token) stops the remaining reads."""
    stop = threading.Event()

    def fetch(learner: tuple[int, str]):
        if stop.is_set():
            return learner, None, None
        try:
            with _reading(COMPLETION_STATUS):
                return learner, fetch_states(client, plan_, learner[1]), None
        except MoodleError as error:
            if error.fatal:
                stop.set()
            return learner, None, error

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="moodle-sync") as pool:
        futures = [pool.submit(fetch, learner) for learner in learners]
        for done_count, future in enumerate(as_completed(futures), start=1):
            (user_id, _sub), states, error = future.result()
            if states is not None:
                report.synced += 1
                report.changed += apply_states(course, user_id, states, steps)
            elif error is not None:
                _record_learner_failure(course.id, user_id, error)
                if error.fatal:
                    report.error = report.error or error
                else:
                    report.skipped += 1
            if commit_every and done_count % commit_every == 0:
                db.session.commit()
            if progress:
                progress(report)


def sync_learners(course: Course, learners: Iterable[tuple[int, str]], *, threads: int | None = None,
                  refresh_contents: bool = True, progress: Callable[[SyncReport], None] | None = None,
                  commit_every: int | None = None, complete_pass: bool = True) -> SyncReport:
    """Fetch each learner's state from Moodle (in threads) and apply it (here). Stops at the first failure of
    the connection itself (token, function, Moodle down): the learners not reached keep their last state."""
    import time

    started = time.perf_counter()
    learners = list(learners)
    report = SyncReport(total=len(learners))
    record = course_sync_record(course.id)
    steps = linked_steps(course.id)
    if not steps:
        return report
    platform = db.session.get(Platform, course.platform_id)
    threads = max(1, threads or current_app.config["MOODLE_SYNC_THREADS"])
    client = None
    try:
        connection = connection_for(platform.id)
        client = client_for(platform, connection, pool_size=threads)
        if refresh_contents:
            refresh_activities(course, client)
        current = {a.cmid: a for a in activities(course.id, include_deleted=True)}
        report.deleted_activities = [current[s.moodle_cmid] for s in steps
                                     if s.moodle_cmid in current and current[s.moodle_cmid].deleted_at]
        report.untracked_activities = [current[s.moodle_cmid] for s in steps if s.moodle_cmid in current
                                       and not current[s.moodle_cmid].deleted_at
                                       and not current[s.moodle_cmid].tracking]
        # Until the administrator checks the connection, try the optional SCORM functions too.
        allowed = set(connection.allowed_functions if connection.checked_at else REQUIRED_FUNCTIONS + SCORM_FUNCTIONS)
        with _reading(SCORMS_BY_COURSES):
            plan_ = plan(course, client, steps, allowed)
    except MoodleError as error:
        if client is not None:
            client.close()
        report.error = error
        _record_failure(record, platform, error)
        return report
    with closing(client):
        _fetch_and_apply(course, client, plan_, learners, steps, threads, report, commit_every, progress)
    now = utcnow()
    if report.error is None:
        _clear_error(record)
        if complete_pass:  # a learner's own refresh or one batch of many is not a pass over the course
            record.synced_at, record.learners_synced = now, report.synced
    else:
        _record_failure(record, platform, report.error)
    report.seconds = time.perf_counter() - started
    db.session.flush()
    return report


def sync_batch(course: Course, offset: int, size: int = 50) -> tuple[SyncReport, int | None]:
    """One batch of the course's learners (the instructor's page loops over batches to show the progress);
    returns the report and the next offset, None after the last batch."""
    total = count_learners(course)
    next_offset = offset + size if offset + size < total else None
    report = sync_learners(course, learners_to_sync(course, offset=offset, limit=size),
                           refresh_contents=offset == 0, complete_pass=False)
    report.total = total
    if next_offset is None and report.error is None:
        record = course_sync_record(course.id)
        record.synced_at, record.learners_synced = utcnow(), total
    return report, next_offset


@dataclass
class CourseOverview:
    connected: bool
    record: MoodleCourseSync | None
    links: list[tuple[Step, MoodleActivity | None]]
    learners: int


def course_overview(course: Course) -> CourseOverview:
    by_cmid = {a.cmid: a for a in activities(course.id, include_deleted=True)}
    return CourseOverview(connected=connection_for(course.platform_id) is not None,
                          record=db.session.get(MoodleCourseSync, course.id),
                          links=[(step, by_cmid.get(step.moodle_cmid)) for step in linked_steps(course.id)],
                          learners=count_learners(course))
