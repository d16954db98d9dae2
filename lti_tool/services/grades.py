"""Grades back to Moodle through an outbox.

Enqueue: the pathway score of a learner goes into `grade_outbox` in the transaction of the event that changed
it (one row per placement of the pathway that has a line item), with a timestamp strictly newer than the last
one for that learner and line item (Moodle answers 409 otherwise). Older unsent rows are superseded.

Deliver: workers claim due rows (a lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL), post them with pylti1p3 and
tokens shared by all workers, and classify Moodle's answer: 2xx sent; 409 already up to date (sent); 400 the
learner has no gradebook role any more (abandoned, reported); 401/403 the token is dropped and the row retried;
5xx, timeouts and network errors are retried with backoff, forever — nothing is lost.
"""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from sqlalchemy import and_, func, or_, select, update

from models import Enrolment, GradeOutbox, ResourceLink, User, db, utcnow

from .http import TimeoutSession
from .platform_services import grades_service

_local = threading.local()

log = logging.getLogger("lti_tool.grades")
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600


def score_payload(enrolment: Enrolment, done: int, required: int) -> dict:
    completed = enrolment.state == Enrolment.COMPLETED
    return {
        "scoreGiven": round(enrolment.score, 2), "scoreMaximum": 100,
        "activityProgress": "Completed" if completed else ("InProgress" if enrolment.state == Enrolment.IN_PROGRESS
                                                           else "Initialized"),
        # Moodle records scoreGiven only when FullyGraded: before completion the progress travels in the comment.
        "gradingProgress": "FullyGraded" if completed else "Pending",
        "comment": f"Parcours : {enrolment.progress:.0f} % ({done}/{required} étapes obligatoires), "
                   f"score {enrolment.score:.1f}/100",
    }


def next_timestamp(lineitem_url: str, user_sub: str) -> datetime:
    last = db.session.scalar(select(func.max(GradeOutbox.timestamp)).where(
        GradeOutbox.lineitem_url == lineitem_url, GradeOutbox.user_sub == user_sub))
    now = utcnow().replace(microsecond=(utcnow().microsecond // 1000) * 1000)
    return max(now, last + timedelta(milliseconds=1)) if last else now


def enqueue_score(enrolment: Enrolment, done: int, required: int) -> list[GradeOutbox]:
    """One outbox row per placement (resource link with a line item) of the enrolment's pathway."""
    links = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == enrolment.pathway_id,
                                                          ResourceLink.lineitem_url.is_not(None))).all()
    if not links:
        return []
    user = db.session.get(User, enrolment.user_id)
    payload = score_payload(enrolment, done, required)
    rows = []
    for link in links:
        db.session.execute(update(GradeOutbox).where(
            GradeOutbox.lineitem_url == link.lineitem_url, GradeOutbox.user_sub == user.sub,
            GradeOutbox.kind == "score", GradeOutbox.state == GradeOutbox.PENDING,
            or_(GradeOutbox.locked_until.is_(None), GradeOutbox.locked_until < utcnow()))
            .values(state=GradeOutbox.SUPERSEDED).execution_options(synchronize_session=False))
        row = GradeOutbox(platform_id=user.platform_id, course_id=link.course_id, resource_link_id=link.id,
                          enrolment_id=enrolment.id, kind="score", lineitem_url=link.lineitem_url, user_sub=user.sub,
                          payload=payload, timestamp=next_timestamp(link.lineitem_url, user.sub),
                          next_attempt_at=utcnow())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


# -- delivery ---------------------------------------------------------------------------------------------
def claim_due(batch: int, now: datetime | None = None, lease_seconds: float = 0) -> list[GradeOutbox]:
    """Lease up to `batch` due rows to this worker. Two workers never hold the same row."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    lease = max(LEASE, timedelta(seconds=lease_seconds)) if lease_seconds else LEASE
    due = and_(GradeOutbox.state == GradeOutbox.PENDING, GradeOutbox.next_attempt_at <= now,
               or_(GradeOutbox.locked_until.is_(None), GradeOutbox.locked_until < now))
    candidates = select(GradeOutbox.id).where(due).order_by(GradeOutbox.next_attempt_at, GradeOutbox.id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # The outer condition is re-checked on a concurrently updated row, so a row is never claimed twice.
    db.session.execute(update(GradeOutbox).where(GradeOutbox.id.in_(candidates.scalar_subquery()), due)
                       .values(claim=token, locked_until=now + lease).execution_options(synchronize_session=False))
    db.session.commit()
    return list(db.session.scalars(select(GradeOutbox).where(GradeOutbox.claim == token).order_by(GradeOutbox.id)))


@dataclass(frozen=True)
class Snapshot:
    """What a sending thread needs of a row, detached from the database session."""

    id: int
    lineitem_url: str
    user_sub: str
    payload: dict
    timestamp: datetime
    lineitem_spec: dict | None = None

    @classmethod
    def of(cls, row: GradeOutbox) -> "Snapshot":
        return cls(row.id, row.lineitem_url, row.user_sub, dict(row.payload), row.timestamp,
                   dict(row.lineitem_spec) if row.lineitem_spec else None)


@dataclass(frozen=True)
class Outcome:
    row_id: int
    state: str
    status: int | None
    error: str
    retry: bool


def send(row: Snapshot, registration, cache, timeout: float, session=None) -> Outcome:
    """Post one score (no database access: safe in a thread)."""
    grade = (Grade().set_score_given(row.payload["scoreGiven"]).set_score_maximum(row.payload["scoreMaximum"])
             .set_activity_progress(row.payload["activityProgress"])
             .set_grading_progress(row.payload["gradingProgress"]).set_timestamp(row.timestamp.isoformat())
             .set_user_id(row.user_sub))
    if row.payload.get("comment"):
        grade.set_comment(row.payload["comment"])
    scopes = [SCORE_SCOPE] + ([LINEITEM_SCOPE] if row.lineitem_spec else [])
    if row.lineitem_spec:  # a grade item the tool creates itself (DPC validation): found by tag, else created
        service = grades_service(registration, cache, lineitems_url=row.lineitem_url, lineitem_url=None,
                                 scopes=scopes, timeout=timeout, session=session)
    else:
        service = grades_service(registration, cache, lineitems_url=None, lineitem_url=row.lineitem_url,
                                 scopes=scopes, timeout=timeout, session=session)
    try:
        if row.lineitem_spec:
            spec = row.lineitem_spec
            wanted = (LineItem().set_label(spec["label"]).set_score_maximum(spec["scoreMaximum"])
                      .set_resource_id(spec["resourceId"]).set_tag(spec["tag"])
                      .set_resource_link_id(spec.get("resourceLinkId")))
            found = service.find_or_create_lineitem(wanted, condition=lambda item: (
                item.get("tag") == spec["tag"] and item.get("resourceId") == spec["resourceId"]
                and item.get("resourceLinkId", "") == (spec.get("resourceLinkId") or "")))
            service.put_grade(grade, found)
        else:
            service.put_grade(grade)
    except LtiServiceException as error:
        status = error.response.status_code
        body = (error.response.text or "")[:300]
        if status == 409:  # Moodle holds this grade or a newer one: nothing more to send
            return Outcome(row.id, GradeOutbox.SENT, status, "already up to date", False)
        if status == 400:
            return Outcome(row.id, GradeOutbox.ABANDONED, status, body or "refused by the platform", False)
        if status in (401, 403):
            service._service_connector.forget_token(scopes)
        return Outcome(row.id, GradeOutbox.PENDING, status, body or f"HTTP {status}", True)
    except (requests.RequestException, LtiException, ValueError) as error:
        return Outcome(row.id, GradeOutbox.PENDING, None, f"{type(error).__name__}: {error}"[:300], True)
    return Outcome(row.id, GradeOutbox.SENT, 200, "", False)


def record(outcomes: list[Outcome], rows: dict[int, GradeOutbox], now: datetime | None = None) -> None:
    now = now or utcnow()
    claims = {row.id: row.claim for row in rows.values()}
    held = dict(db.session.execute(select(GradeOutbox.id, GradeOutbox.claim)
                                   .where(GradeOutbox.id.in_(list(claims)))).all())
    for outcome in outcomes:
        row = rows[outcome.row_id]
        if held.get(row.id) != claims[row.id]:  # our lease ran out and another worker holds the row now
            db.session.expire(row)
            continue
        row.attempts += 1
        row.last_status, row.last_error, row.claim, row.locked_until = outcome.status, outcome.error, None, None
        row.state = outcome.state
        if outcome.state == GradeOutbox.SENT:
            row.sent_at = now
        if outcome.retry:
            delay = min(BACKOFF_BASE_SECONDS * 2 ** min(row.attempts - 1, 12), BACKOFF_MAX_SECONDS)
            row.next_attempt_at = now + timedelta(seconds=delay)
            log.warning("grade %s to %s: attempt %s failed (%s), next in %ss", row.id, row.lineitem_url,
                        row.attempts, outcome.error, delay)
    db.session.commit()


def status_counts(course_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(GradeOutbox.state, func.count()).where(GradeOutbox.course_id == course_id)
                                   .group_by(GradeOutbox.state)).all())


def retry_now(course_id: int, row_id: int | None = None) -> int:
    query = update(GradeOutbox).where(GradeOutbox.course_id == course_id, GradeOutbox.state == GradeOutbox.PENDING)
    if row_id is not None:
        query = query.where(GradeOutbox.id == row_id)
    return db.session.execute(query.values(next_attempt_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount


def deliver_once(app, *, batch: int = 200, threads: int = 8) -> int:
    """Claim due rows and send them, several at a time; returns how many were attempted."""
    from concurrent.futures import ThreadPoolExecutor

    from ..lti.tool_conf import registration_for

    timeout = app.config["LTI_HTTP_TIMEOUT_SECONDS"]
    # The lease outlives the slowest batch (every send timing out, twice: token and score).
    rows = claim_due(batch, lease_seconds=-(-batch // max(1, threads)) * timeout * 2 + 30)
    if not rows:
        return 0
    cache = app.extensions["lti_cache"]
    registrations = {}
    for platform_id in {row.platform_id for row in rows}:
        registration = registration_for(platform_id)
        if registration is not None:
            registration._key()  # load the signing key here, not in the threads
        registrations[platform_id] = registration
    work = [(Snapshot.of(row), registrations[row.platform_id]) for row in rows]

    def attempt(item):
        snapshot, registration = item
        if registration is None:
            return Outcome(snapshot.id, GradeOutbox.ABANDONED, None, "platform registration removed", False)
        if not hasattr(_local, "session"):  # one HTTP session per thread: connections are reused
            _local.session = TimeoutSession(timeout)
        with app.app_context():
            return send(snapshot, registration, cache, timeout, session=_local.session)

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        outcomes = list(pool.map(attempt, work))
    record(outcomes, {row.id: row for row in rows})
    return len(rows)


def problems(course_id: int, limit: int = 100) -> list[dict]:
    """Scores not delivered yet or refused for good, with the learner and the placement, newest first."""
    rows = db.session.execute(
        select(GradeOutbox, User.name, ResourceLink.title)
        .join(User, and_(User.platform_id == GradeOutbox.platform_id, User.sub == GradeOutbox.user_sub), isouter=True)
        .join(ResourceLink, ResourceLink.id == GradeOutbox.resource_link_id, isouter=True)
        .where(GradeOutbox.course_id == course_id,
               GradeOutbox.state.in_((GradeOutbox.PENDING, GradeOutbox.ABANDONED)))
        .order_by(GradeOutbox.id.desc()).limit(limit)).all()
    return [{"row": row, "learner": name or row.user_sub, "placement": title or row.lineitem_url,
             "reason": plain_reason(row)} for row, name, title in rows]


def plain_reason(row: GradeOutbox) -> str:
    """Moodle's answer in words a coordinator understands."""
    from flask_babel import gettext as _

    if row.state == GradeOutbox.ABANDONED:
        return _("Moodle refuses this score: the learner is no longer enrolled with a gradebook role in the course.")
    if row.attempts == 0:
        return _("Waiting to be sent.")
    if row.last_status is None:
        return _("Moodle could not be reached (network or timeout). The tool keeps trying.")
    if row.last_status in (401, 403):
        return _("Moodle refused the tool's access token; a new one is requested at the next try.")
    if row.last_status >= 500:
        return _("Moodle is unavailable (error %(status)s). The tool keeps trying.", status=row.last_status)
    return _("Moodle answered %(status)s: %(error)s", status=row.last_status, error=row.last_error[:200])
