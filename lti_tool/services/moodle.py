"""Moodle activities as online modules: the web service connection of a platform, the course's activities for
the step picker, and the sync of learners' completion (and SCORM time) into the completion engine.

The LTI context id Moodle sends is the Moodle course id, and the LTI `sub` is the Moodle user id, so no mapping
table is needed. Web service calls run in threads (no database there); what they bring back is applied in the
calling thread, one learner at a time, with the completion engine — so grades and DPC follow as for any step.
Moodle's answers are mirrored in MoodleLearnerSync: when Moodle fails, the last known state stays.
"""
from __future__ import annotations

import threading
from contextlib import closing, contextmanager
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from models import (ActivityInterval, Course, CourseMembership, Enrolment, MoodleActivity, MoodleConnection,
                    MoodleCourseSync, MoodleLearnerSync, Pathway, Platform, Role, Step, StepCompletion, StepKind,
                    User, db, utcnow)

from ..errors import InvalidInput
from . import platforms, secrets_box
from .moodle_ws import (COMPLETION_STATUS, COURSE_CONTENTS, REQUIRED_FUNCTIONS, SCORM_FUNCTIONS, SCORM_SCOES,
                        SCORM_TRACKS, SCORMS_BY_COURSES, SITE_INFO, MoodleClient, MoodleError, tracks_total_seconds)

DONE_STATES = {1, 2}  # complete, complete pass (3, complete fail, is not done: Moodle's course completion agrees)
MOODLE = "moodle"  # the source of completions and time intervals that come from Moodle


# -- connection ------------------------------------------------------------------------------------------------
def connection_for(platform_id: int) -> MoodleConnection | None:
    return db.session.scalars(select(MoodleConnection).where(MoodleConnection.platform_id == platform_id)).first()


def default_rest_url(platform: Platform) -> str:
    return platform.issuer.rstrip("/") + "/webservice/rest/server.php"


def rest_url(platform: Platform, connection: MoodleConnection | None) -> str:
    return (connection.rest_url if connection and connection.rest_url else "") or default_rest_url(platform)


def save_connection(platform: Platform, *, token: str, rest_url_override: str = "") -> MoodleConnection:
    """An empty token keeps the stored one (the form never shows it back)."""
    token, rest_url_override = (token or "").strip(), (rest_url_override or "").strip()
    errors = {}
    if rest_url_override:
        allow_http = current_app.config["LTI_ALLOW_HTTP_PLATFORMS"]
        try:
            platforms.check_url(rest_url_override, allow_http=allow_http)
            if len(rest_url_override) > 1000:
                raise platforms.PlatformError("too long")
        except platforms.PlatformError:
            errors["rest_url"] = _l("An https address is expected.")
        else:  # the tool posts the token there: never to a host inside our own network
            if not allow_http and not platforms.is_public_host(rest_url_override):
                errors["rest_url"] = _l("This address is not a public Moodle site.")
    if token and (len(token) > 200 or any(char.isspace() for char in token)):
        errors["token"] = _l("A Moodle token is a single word of letters and digits.")
    connection = connection_for(platform.id)
    if not token and (connection is None or rest_url_override != connection.rest_url):
        # The stored token is only ever sent where it was given for.
        errors["token"] = _l("Required.") if connection is None else _l("Give the token again for a new address.")
    if errors:
        raise InvalidInput(errors)
    if connection is None:
        connection = MoodleConnection(platform_id=platform.id, token_ciphertext="")
        db.session.add(connection)
    if token:
        connection.token_ciphertext = secrets_box.encrypt(token)
        connection.allowed_functions, connection.checked_at = [], None  # a new token must be checked again
        _clear_error(connection)
    connection.rest_url = rest_url_override
    db.session.flush()
    return connection


def remove_connection(platform: Platform) -> None:
    db.session.execute(delete(MoodleConnection).where(MoodleConnection.platform_id == platform.id))


def client_for(platform: Platform, connection: MoodleConnection | None = None, *, pool_size: int = 1) -> MoodleClient:
    connection = connection or connection_for(platform.id)
    if connection is None:
        raise MoodleError("not_connected")
    try:
        token = secrets_box.decrypt(connection.token_ciphertext)
    except secrets_box.InvalidToken as error:  # the encryption keys changed: the token must be given again
        raise MoodleError("token_unreadable") from error
    return MoodleClient(rest_url(platform, connection), token, timeout=current_app.config["MOODLE_WS_TIMEOUT_SECONDS"],
                        pool_size=pool_size)


def _clear_error(record) -> None:
    record.last_error_code, record.last_error_detail, record.last_error_at = "", "", None


def _record_error(record, error: MoodleError) -> None:
    record.last_error_code, record.last_error_detail, record.last_error_at = error.code, error.detail, utcnow()


@dataclass
class ConnectionCheck:
    ok: bool
    site_name: str = ""
    release: str = ""
    username: str = ""
    functions: list[tuple[str, bool, bool]] = field(default_factory=list)  # (name, allowed, required)
    error: MoodleError | None = None

    @property
    def missing_required(self) -> list[str]:
        return [name for name, allowed, required in self.functions if required and not allowed]

    @property
    def scorm_time(self) -> bool:
        return all(allowed for name, allowed, required in self.functions if not required)


def check_connection(platform: Platform) -> ConnectionCheck:
    """`core_webservice_get_site_info` tells which functions the token's service allows: each one we use is
    listed with its verdict (the page explains what to enable in Moodle)."""
    connection = connection_for(platform.id)
    try:
        with closing(client_for(platform, connection)) as client:
            info = client.call(SITE_INFO)
    except MoodleError as error:
        if connection is not None:  # not `checked_at`: a failed check says nothing of the functions allowed
            _record_error(connection, error)
        return ConnectionCheck(ok=False, error=error)
    if not isinstance(info, dict):
        error = MoodleError("bad_answer", "site information is not an object", SITE_INFO)
        _record_error(connection, error)
        return ConnectionCheck(ok=False, error=error)
    allowed = {str(item.get("name")) for item in info.get("functions") or [] if isinstance(item, dict)}
    functions = [(name, name in allowed, True) for name in REQUIRED_FUNCTIONS] + \
                [(name, name in allowed, False) for name in SCORM_FUNCTIONS]
    connection.site_name = str(info.get("sitename") or "")[:300]
    connection.site_release = str(info.get("release") or "")[:100]
    connection.allowed_functions = sorted(allowed & set(REQUIRED_FUNCTIONS + SCORM_FUNCTIONS))
    connection.checked_at = utcnow()
    check = ConnectionCheck(ok=True, site_name=connection.site_name, release=connection.site_release,
                            username=str(info.get("username") or ""), functions=functions)
    if check.missing_required:
        check.ok = False
        _record_error(connection, MoodleError("function_not_allowed", ", ".join(check.missing_required)))
    else:
        _clear_error(connection)
    return check


# -- the course's activities -------------------------------------------------------------------------------------
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


def activity(course_id: int, cmid: int | None) -> MoodleActivity | None:
    if cmid is None:
        return None
    return db.session.scalars(select(MoodleActivity).where(MoodleActivity.course_id == course_id,
                                                           MoodleActivity.cmid == cmid)).first()


MAX_ID = 2**31 - 1  # Moodle's ids are bigint, ours integer: larger ones would not fit


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


def validate_link(course_id: int, cmid: int) -> MoodleActivity:
    """The step form accepts only an activity Moodle listed for this very course."""
    found = activity(course_id, cmid)
    if found is None or found.deleted_at is not None:
        raise InvalidInput({"moodle_cmid": "not an activity of this course"})
    return found


def _linked_steps_query(course_id: int, pathway_id: int | None = None):
    """Online-module steps of the course (or of one of its pathways) that are activities of its Moodle course."""
    query = select(Step).join(Pathway, Pathway.id == Step.pathway_id).where(
        Pathway.course_id == course_id, Step.moodle_cmid.is_not(None), Step.kind == StepKind.MODULE)
    return query.where(Step.pathway_id == pathway_id) if pathway_id is not None else query


def linked_steps(course_id: int) -> list[Step]:
    return list(db.session.scalars(_linked_steps_query(course_id).order_by(Step.pathway_id, Step.position)))


# -- fetching (threads, no database) -----------------------------------------------------------------------------
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


# -- applying (database) -----------------------------------------------------------------------------------------
def _epoch(value: int) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value and value > 0 else None


def apply_states(course: Course, user_id: int, states: dict[str, dict], steps: list[Step],
                 now: datetime | None = None) -> bool:
    """Mirror Moodle's answer, then bring the linked steps in line; returns whether any pathway changed.

    A completion from Moodle is withdrawn when Moodle withdraws it, never one given by an instructor. An
    activity Moodle no longer reports (deleted, tracking turned off) keeps its last known state.
    """
    from . import completion, pathways

    now = now or utcnow()
    mirror = _mirror(course.id, user_id)
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


def _mirror(course_id: int, user_id: int) -> MoodleLearnerSync:
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
    mirror = _mirror(enrolment.pathway.course_id, enrolment.user_id)
    ids = set(mirror.withdrawn_step_ids or [])
    ids = ids | {step.id} if withdrawn else ids - {step.id}
    mirror.withdrawn_step_ids = sorted(ids)


def _record_learner_failure(course_id: int, user_id: int, error: MoodleError) -> None:
    mirror = _mirror(course_id, user_id)
    mirror.attempted_at, mirror.error_code = utcnow(), error.code


def _record_failure(record: MoodleCourseSync, platform: Platform, error: MoodleError) -> None:
    """On the course's record for the instructor; a failure of the token itself also on the connection, where
    the administrator looks."""
    _record_error(record, error)
    connection = connection_for(platform.id)
    if connection is not None and error.code in ("invalid_token", "function_not_allowed", "token_unreadable"):
        _record_error(connection, error)


# -- syncing -----------------------------------------------------------------------------------------------------
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
                                       and not current[s.moodle_cmid].deleted_at and not current[s.moodle_cmid].tracking]
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


# -- the learner's page ------------------------------------------------------------------------------------------
@dataclass
class LearnerState:
    """For the learner's pathway page: when Moodle was last read, whether it should be read now."""
    linked: bool
    synced_at: datetime | None = None
    error_code: str = ""
    stale: bool = False


def learner_state(user_id: int, course: Course, pathway_id: int | None = None) -> LearnerState:
    """The learner's Moodle state in the course; not linked when the pathway shown (or the whole course) has no
    step that is a Moodle activity, so such a page says nothing of Moodle."""
    if db.session.scalar(_linked_steps_query(course.id, pathway_id).with_only_columns(Step.id).limit(1)) is None:
        return LearnerState(linked=False)
    mirror = db.session.get(MoodleLearnerSync, (course.id, user_id))
    config, now = current_app.config, utcnow()
    if mirror is None:
        return LearnerState(linked=True, stale=True)
    fresh = mirror.synced_at is not None and not mirror.error_code and \
        now - mirror.synced_at < timedelta(seconds=config["MOODLE_LEARNER_FRESH_SECONDS"])
    waiting = bool(mirror.error_code) and now - mirror.attempted_at < timedelta(seconds=config["MOODLE_RETRY_AFTER_SECONDS"])
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
