"""Delivering the grade outbox to Moodle.

Workers claim due rows (a lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL), post them with pylti1p3 through the
registration that owns the placement (Moodle accepts a tool type's tokens only on its own URLs) with tokens shared
by all workers, and classify Moodle's answer: 2xx sent; 409 already up to date (sent); 400 the learner has no
gradebook role any more (abandoned, reported); 401/403 the token is dropped and the row retried; 404 the line
item is gone (the placement is flagged); 5xx, timeouts and network errors are retried with backoff, forever —
nothing is lost.

A row whose line item is not known yet carries a `lineitem_spec`: the worker finds the item through AGS
(`GET lineitems?resource_link_id=…`) or creates it, and the placement remembers the URL it found.
"""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from sqlalchemy import and_, or_, select, update

from models import GradeOutbox, ResourceLink, db, utcnow

from .http import TimeoutSession
from .platform_services import ServiceURLRefused, SharedTokenConnector
from .registrations import registration_for

_local = threading.local()

log = logging.getLogger("lti_tool.grades")
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LEASE = timedelta(seconds=45)  # rows a dead worker held are taken again within a minute
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600

# Why a placement cannot receive grades, as the worker learns it from Moodle (ResourceLink.grade_problem).
LINEITEM_GONE = "lineitem_gone"  # 404 on the line item or its container: activity or grade item deleted
TOKEN_REFUSED = "token_refused"  # the token endpoint refuses the AGS scopes (services off for the tool type)
SERVICE_URL_REFUSED = "service_url_refused"  # a line item URL on another origin than the registration's


def claim_due(batch: int, now: datetime | None = None, lease_seconds: float = 0) -> list[GradeOutbox]:
    """Lease up to `batch` due rows to this worker. Two workers never hold the same row."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    lease = timedelta(seconds=lease_seconds) if lease_seconds else LEASE
    due = and_(GradeOutbox.state == GradeOutbox.PENDING, GradeOutbox.next_attempt_at <= now,
               or_(GradeOutbox.locked_until.is_(None), GradeOutbox.locked_until < now))
    candidates = select(GradeOutbox.id).where(due).order_by(GradeOutbox.next_attempt_at, GradeOutbox.id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # The ids first, then the update: inside `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`
    # PostgreSQL does not hold to the LIMIT (one worker claimed every pending row). The rows stay locked until the
    # commit; the update re-checks `due`, so a row is never claimed twice (on SQLite, the write lock orders them).
    ids = list(db.session.scalars(candidates))
    if ids:
        db.session.execute(update(GradeOutbox).where(GradeOutbox.id.in_(ids), due)
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
    lineitem_url: str | None = None  # the line item found or created for a row that had only its description
    problem: str = ""  # what the placement's owner must fix (LINEITEM_GONE, TOKEN_REFUSED)


def with_query(url: str, **params: str) -> str:
    """Moodle's container URL already carries `type_id`: filters are added to its query."""
    parts = urlsplit(url)
    extra = urlencode({key: value for key, value in params.items() if value})
    return urlunsplit(parts._replace(query="&".join(part for part in (parts.query, extra) if part)))


def _matches(item: dict, spec: dict) -> bool:
    if spec.get("resourceLinkId"):  # the placement's own item: its resource id, else any item but the DPC one
        return item.get("resourceLinkId") == spec["resourceLinkId"] and (
            item.get("resourceId") == spec["resourceId"]
            or not str(item.get("resourceId") or "").startswith("dpc-") and item.get("tag") != "validation-dpc")
    return item.get("resourceId") == spec["resourceId"] and item.get("tag") == spec["tag"]


def find_or_create(connector, container_url: str, spec: dict) -> LineItem:
    """The item described by `spec`, looked up with Moodle's filters, else created (course-level when the spec
    names no resource link, so it never takes the `lineitem` claim away from the pathway's own activity)."""
    scopes = [LINEITEM_SCOPE, SCORE_SCOPE]
    filtered = with_query(container_url, resource_link_id=spec.get("resourceLinkId") or "",
                          resource_id="" if spec.get("resourceLinkId") else spec["resourceId"])
    finder = AssignmentsGradesService(connector, {"scope": scopes, "lineitems": filtered})
    candidates = [item for item in finder.get_lineitems() if _matches(item, spec)]
    exact = [item for item in candidates if item.get("resourceId") == spec["resourceId"]]
    if exact or candidates:
        return LineItem((exact or candidates)[0])
    wanted = (LineItem().set_label(spec["label"]).set_score_maximum(spec["scoreMaximum"])
              .set_resource_id(spec["resourceId"]).set_tag(spec["tag"]))
    if spec.get("resourceLinkId"):
        wanted.set_resource_link_id(spec["resourceLinkId"])
    creator = AssignmentsGradesService(connector, {"scope": scopes, "lineitems": container_url})
    return creator.create_lineitem(wanted)


def send(row: Snapshot, registration, cache, timeout: float, session=None) -> Outcome:
    """Post one score (no database access: safe in a thread)."""
    grade = (Grade().set_score_given(row.payload["scoreGiven"]).set_score_maximum(row.payload["scoreMaximum"])
             .set_activity_progress(row.payload["activityProgress"])
             .set_grading_progress(row.payload["gradingProgress"]).set_timestamp(row.timestamp.isoformat())
             .set_user_id(row.user_sub))
    if row.payload.get("comment"):
        grade.set_comment(row.payload["comment"])
    scopes = [SCORE_SCOPE] + ([LINEITEM_SCOPE] if row.lineitem_spec else [])
    connector = SharedTokenConnector(registration, cache, timeout=timeout, session=session)
    found_url = None
    try:
        if row.lineitem_spec:
            found = find_or_create(connector, row.lineitem_url, row.lineitem_spec)
            found_url = found.get_id()
            if not found_url:
                raise LtiException("the platform returned a line item without an id")
            service = AssignmentsGradesService(connector, {"scope": scopes, "lineitems": row.lineitem_url,
                                                           "lineitem": found_url})
        else:
            service = AssignmentsGradesService(connector, {"scope": scopes, "lineitem": row.lineitem_url})
        service.put_grade(grade)
    except LtiServiceException as error:
        status = error.response.status_code
        body = (error.response.text or "")[:300]
        if urlsplit(error.response.url or "")._replace(query="").geturl() == registration.get_auth_token_url():
            # The token endpoint itself refuses: the tool type lacks the grade services (or the scope).
            return Outcome(row.id, GradeOutbox.PENDING, status, body or f"HTTP {status}", True, found_url,
                           TOKEN_REFUSED)
        if status == 409:  # Moodle holds this grade or a newer one: nothing more to send
            return Outcome(row.id, GradeOutbox.SENT, status, "already up to date", False, found_url)
        if status == 400:
            return Outcome(row.id, GradeOutbox.ABANDONED, status, body or "refused by the platform", False, found_url)
        if status in (401, 403):
            connector.forget_token(scopes)
        return Outcome(row.id, GradeOutbox.PENDING, status, body or f"HTTP {status}", True, found_url,
                       LINEITEM_GONE if status == 404 else "")
    except ServiceURLRefused as error:  # a URL outside the registration's origins: never sent, never retried
        return Outcome(row.id, GradeOutbox.ABANDONED, None, f"service URL refused: {error}"[:300], False, found_url,
                       SERVICE_URL_REFUSED)
    except (requests.RequestException, LtiException, ValueError) as error:
        return Outcome(row.id, GradeOutbox.PENDING, None, f"{type(error).__name__}: {error}"[:300], True, found_url)
    return Outcome(row.id, GradeOutbox.SENT, 200, "", False, found_url)


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
        if row.resource_link_id is not None:
            _learn(row, outcome)
    db.session.commit()


def _learn(row: GradeOutbox, outcome: Outcome) -> None:
    """What the answer teaches about the placement: its line item, once found, and whether grades reach it."""
    link_id = row.resource_link_id
    if outcome.lineitem_url and row.kind == "score" and row.lineitem_spec:
        db.session.execute(update(ResourceLink).where(ResourceLink.id == link_id, ResourceLink.lineitem_url.is_(None))
                           .values(lineitem_url=outcome.lineitem_url).execution_options(synchronize_session=False))
        # Scores waiting for the same placement go straight to the item now known.
        db.session.execute(update(GradeOutbox).where(
            GradeOutbox.resource_link_id == link_id, GradeOutbox.kind == "score",
            GradeOutbox.state == GradeOutbox.PENDING, GradeOutbox.lineitem_spec.is_not(None),
            GradeOutbox.id != row.id).values(lineitem_url=outcome.lineitem_url, lineitem_spec=None)
            .execution_options(synchronize_session=False))
    if outcome.problem or outcome.state == GradeOutbox.SENT:
        db.session.execute(update(ResourceLink).where(ResourceLink.id == link_id,
                                                      ResourceLink.grade_problem != outcome.problem)
                           .values(grade_problem=outcome.problem).execution_options(synchronize_session=False))


def retry_now(course_id: int, row_id: int | None = None) -> int:
    """Due now, and released from any lease: rows a crashed worker held are taken at once (a live worker that
    still holds one finds its claim gone and drops its outcome; Moodle's 409 absorbs a duplicate)."""
    query = update(GradeOutbox).where(GradeOutbox.course_id == course_id, GradeOutbox.state == GradeOutbox.PENDING)
    if row_id is not None:
        query = query.where(GradeOutbox.id == row_id)
    return db.session.execute(query.values(next_attempt_at=utcnow(), claim=None, locked_until=None)
                              .execution_options(synchronize_session=False)).rowcount


def lease_seconds(timeout: float) -> float:
    """A chunk is one send per thread: at most three calls (token, line item lookup, score) each bounded by the
    timeout. Rows a dead worker leased are taken again when this runs out (under a minute by default)."""
    return 3 * timeout + 15


def deliver_once(app, *, batch: int = 200, threads: int = 8) -> int:
    """Claim due rows a chunk at a time (one row per thread) and send them; the next chunk is claimed while the
    threads send this one. Returns how many were attempted. (Were a chunk to wait past its lease, another worker
    may take it: the outcome of a row whose claim was lost is dropped, and Moodle's 409 absorbs a resend.)"""
    from concurrent.futures import ThreadPoolExecutor

    timeout = app.config["LTI_HTTP_TIMEOUT_SECONDS"]
    cache = app.extensions["lti_cache"]
    threads = max(1, threads)
    attempted, registrations = 0, {}

    def claim() -> list[GradeOutbox]:
        return claim_due(min(threads, batch - attempted), lease_seconds=lease_seconds(timeout)) \
            if attempted < batch else []

    with ThreadPoolExecutor(max_workers=threads) as pool:
        rows = claim()
        while rows:
            sending = [pool.submit(_attempt, app, cache, timeout, *item) for item in _work(rows, registrations)]
            attempted += len(rows)
            upcoming = claim()
            record([future.result() for future in sending], {row.id: row for row in rows})
            rows = upcoming
    return attempted


def _work(rows: list[GradeOutbox], registrations: dict) -> list[tuple]:
    """Each row with the registration that sends it (read once per pass, its key loaded here, not in threads)."""
    for platform_id in {row.platform_id for row in rows} - set(registrations):
        registration = registration_for(platform_id)
        registrations[platform_id] = registration.detach() if registration is not None else None
    return [(Snapshot.of(row), registrations[row.platform_id]) for row in rows]


def _attempt(app, cache, timeout: float, snapshot: Snapshot, registration) -> Outcome:
    if registration is None:
        return Outcome(snapshot.id, GradeOutbox.ABANDONED, None, "platform registration removed", False)
    if not hasattr(_local, "session"):  # one HTTP session per thread: connections are reused
        _local.session = TimeoutSession(timeout)
    with app.app_context():
        return send(snapshot, registration, cache, timeout, session=_local.session)
