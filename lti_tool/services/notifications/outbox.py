"""The outbox itself: rows written in the caller's transaction, claimed by workers under a lease, recorded one
by one as each channel answers (a worker killed mid-batch loses only its lease: the rows it had not sent are
taken again when the lease runs out, the rows it sent are already recorded)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from models import MoodleConnection, Notification, Platform, User, db, utcnow

LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600


def moodle_platform_ids() -> set[int]:
    """Registrations whose Moodle site has a web service connection (any registration of the same issuer)."""
    issuers = select(Platform.issuer).join(MoodleConnection, MoodleConnection.platform_id == Platform.id)
    return set(db.session.scalars(select(Platform.id).where(Platform.issuer.in_(issuers))))


def channels_for(user: User, moodle_platforms: set[int] | None = None) -> list[str]:
    moodle_platforms = moodle_platform_ids() if moodle_platforms is None else moodle_platforms
    return [Notification.EMAIL] + ([Notification.MOODLE] if user.platform_id in moodle_platforms else [])


def next_version(user_id: int, subject: str, kind: str) -> int:
    return (db.session.scalar(select(func.max(Notification.version)).where(
        Notification.user_id == user_id, Notification.subject == subject, Notification.kind == kind)) or 0) + 1


def enqueue(user: User, kind: str, subject: str, *, pathway_id: int | None = None, session_id: int | None = None,
            version: int | None = None, payload: dict | None = None, moodle_platforms: set[int] | None = None,
            due: datetime | None = None) -> list[Notification]:
    """One row per channel, in the caller's transaction. A row that exists already (same person, subject, kind,
    version and channel) is left as it is: replaying a cause never makes a second message."""
    version = next_version(user.id, subject, kind) if version is None else version
    rows = []
    for channel in channels_for(user, moodle_platforms):
        row = Notification(user_id=user.id, kind=kind, subject=subject, version=version, channel=channel,
                           pathway_id=pathway_id, session_id=session_id, payload=dict(payload or {}),
                           state=Notification.PENDING, attempts=0, next_attempt_at=due or utcnow(),
                           recipient="", title="", result="")
        try:
            with db.session.begin_nested():  # a concurrent writer of the same message: keep theirs
                db.session.add(row)
        except IntegrityError:
            continue
        rows.append(row)
    return rows


def _due(now: datetime, real_now: datetime):
    # Due at the (possibly simulated) `now`; leases always run on the real clock.
    return and_(Notification.state == Notification.PENDING, Notification.next_attempt_at <= now,
                or_(Notification.locked_until.is_(None), Notification.locked_until < real_now))


def claim_due(batch: int, now: datetime | None = None, lease: timedelta = LEASE) -> tuple[str, list[Notification]]:
    """Lease up to `batch` due rows to this worker (FOR UPDATE SKIP LOCKED on PostgreSQL; the conditional
    UPDATE re-checks the condition, so two workers never hold the same row)."""
    real_now = utcnow()
    now = now or real_now
    token = uuid.uuid4().hex
    due = _due(now, real_now)
    candidates = (select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
                  .limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # The ids first, then the update: inside `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`
    # PostgreSQL does not hold to the LIMIT (one worker would lease every due row, then outlive its lease).
    ids = list(db.session.scalars(candidates))
    if ids:
        db.session.execute(update(Notification).where(Notification.id.in_(ids), due)
                           .values(claim=token, locked_until=real_now + lease)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    rows = list(db.session.scalars(select(Notification).where(Notification.claim == token)
                                   .order_by(Notification.id)))
    return token, rows


def outcome_values(state: str, result: str, *, attempts: int, now: datetime, recipient: str = "",
                   title: str = "") -> dict:
    """The columns to write for one attempt's outcome (a retry gets its backoff)."""
    values = {"state": state, "result": result[:2000], "attempts": attempts, "claim": None, "locked_until": None}
    if recipient:
        values["recipient"] = recipient[:320]
    if title:
        values["title"] = title[:300]
    if state == Notification.SENT:
        values["sent_at"] = now
    if state == Notification.PENDING:
        delay = min(BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 12), BACKOFF_MAX_SECONDS)
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    return values


def record(connection, row_id: int, token: str, values: dict) -> bool:
    """Write one outcome at once, in its own transaction, only while this worker still holds the row."""
    with connection.begin():
        done = connection.execute(update(Notification.__table__).where(
            Notification.__table__.c.id == row_id, Notification.__table__.c.claim == token).values(**values))
    return done.rowcount == 1


def history(user_id: int, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def counts_by_state() -> dict[str, int]:
    return dict(db.session.execute(select(Notification.state, func.count()).group_by(Notification.state)).all())
