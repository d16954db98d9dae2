"""One pass of `lti notify`: write the reminders due at `now`, then claim due rows a chunk at a time, render
them (main thread: database and templates) and send them (a few threads, each with its own SMTP connection and
its own database connection to record each outcome as soon as the channel answers)."""
from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import JSON, cast, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import (
    Booking,
    MoodleConnection,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Platform,
    SessionRevision,
    Step,
    User,
    WorkshopSession,
    db,
    utcnow,
)

from . import channels, messages
from .digest import schedule_digests
from .nudges import schedule_module_nudges, schedule_nudges
from .outbox import LEASE, claim_due, moodle_platform_ids, outcome_values, record
from .surveys import schedule_surveys

log = logging.getLogger("lti_tool.notifications")
DEFAULT_REMINDER_DAYS = (7, 1)


# -- reminders ---------------------------------------------------------------------------------------------------
def reminder_days(pathway_id: int, settings: dict[int, list[int]]) -> list[int]:
    days = settings.get(pathway_id) or list(DEFAULT_REMINDER_DAYS)
    return sorted({int(day) for day in days if int(day) > 0}, reverse=True)


def due_reminder(starts_at: datetime, days: list[int], now: datetime) -> int | None:
    """The reminder whose time has come and whose next one has not (a worker down for a week sends D-1 only)."""
    for index, day in enumerate(days):
        later = days[index + 1] if index + 1 < len(days) else 0
        if starts_at - timedelta(days=day) <= now < starts_at - timedelta(days=later):
            return day
    return None


def schedule_reminders(now: datetime) -> int:
    """Reminder rows for every confirmed booking whose reminder is due at `now`, in bulk (INSERT ... SELECT, ON
    CONFLICT DO NOTHING: a rerun, or two workers, write each reminder once). Learners who turned reminders off for
    the pathway, and bookings made after the reminder's time (their convocation is fresher), get none."""
    settings = dict(db.session.execute(select(NotificationSettings.pathway_id,
                                              NotificationSettings.reminder_days)).all())
    horizon = max([max(days) for days in settings.values() if days] + list(DEFAULT_REMINDER_DAYS))
    upcoming = db.session.execute(
        select(WorkshopSession.id, WorkshopSession.starts_at, Step.pathway_id, SessionRevision.sequence)
        .join(Step, Step.id == WorkshopSession.step_id)
        .outerjoin(SessionRevision, SessionRevision.session_id == WorkshopSession.id)
        .where(WorkshopSession.cancelled.is_(False), WorkshopSession.starts_at > now,
               WorkshopSession.starts_at <= now + timedelta(days=horizon))).all()
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    moodle_platforms = moodle_platform_ids()
    created = 0
    for session_id, starts_at, pathway_id, sequence in upcoming:
        day = due_reminder(starts_at, reminder_days(pathway_id, settings), now)
        if day is None:
            continue
        opted_out = select(NotificationPreference.user_id).where(NotificationPreference.pathway_id == pathway_id,
                                                                 NotificationPreference.reminders.is_(False))
        for channel in [Notification.EMAIL] + ([Notification.MOODLE] if moodle_platforms else []):
            wanted = (select(Booking.user_id, literal(pathway_id), literal(session_id),
                             literal(f"session:{session_id}"),
                             literal(f"reminder_{day}"), literal(sequence or 0), literal(channel),
                             cast(literal("{}"), JSON), literal(Notification.PENDING), literal(0), literal(now),
                             literal(""), literal(""), literal(""), literal(utcnow()))
                      .join(User, User.id == Booking.user_id)
                      .where(Booking.session_id == session_id, Booking.status == Booking.CONFIRMED,
                             Booking.released.is_(False), Booking.updated_at <= starts_at - timedelta(days=day),
                             Booking.user_id.not_in(opted_out)))
            if channel == Notification.MOODLE:
                wanted = wanted.where(User.platform_id.in_(moodle_platforms))
            statement = insert(Notification).from_select(
                ["user_id", "pathway_id", "session_id", "subject", "kind", "version", "channel", "payload", "state",
                 "attempts", "next_attempt_at", "recipient", "title", "result", "created_at"], wanted
            ).on_conflict_do_nothing().returning(Notification.id)  # rowcount is -1 here on psycopg
            created += len(db.session.execute(statement).all())
    db.session.commit()
    return created


# -- delivery ------------------------------------------------------------------------------------------------------
@dataclass
class Job:
    row_id: int
    attempts: int
    channel: str
    recipient: str
    rendered: messages.Rendered
    moodle_client: object = None


@dataclass
class PassReport:
    scheduled: int = 0
    attempted: int = 0
    states: Counter = field(default_factory=Counter)


class Sender:
    """One sending thread's SMTP connection and database connection, kept for the whole pass."""

    def __init__(self, app):
        self.app = app
        self.backend = channels.smtp_backend(app.config) if channels.mail_enabled(app.config) else None
        self.connection = None

    def run(self, token: str, jobs: list[Job], now: datetime, send_until: float = float("inf")) -> Counter:
        """`send_until` (time.monotonic()): no message starts after it, so none is sent once the lease may have
        run out (another worker could be sending it); the rows left are taken again when the lease ends."""
        states: Counter = Counter()
        if not jobs:
            return states
        with self.app.app_context():
            if self.connection is None:
                self.connection = db.engine.connect()
            for job in jobs:
                if time.monotonic() >= send_until:
                    states["left"] += 1
                    continue
                try:
                    outcome = self._send(job)
                except Exception as error:  # never lose the row for a fault of ours: it is retried, and says why
                    log.exception("notification %s could not be sent", job.row_id)
                    outcome = channels.Outcome(Notification.PENDING, f"error: {type(error).__name__}: {error}"[:500])
                values = outcome_values(outcome.state, outcome.result, attempts=job.attempts + 1, now=now,
                                        recipient=job.recipient, title=job.rendered.title)
                if not record(self.connection, job.row_id, token, values):
                    log.warning("notification %s: lease lost before its outcome was recorded", job.row_id)
                states[outcome.state] += 1
        if states["left"]:
            log.warning("notifications: lease nearly over, %s rows left for a later pass", states["left"])
        return states

    def _send(self, job: Job) -> channels.Outcome:
        rendered = job.rendered
        if job.channel == Notification.MOODLE:
            return channels.send_moodle(job.moodle_client, row_id=job.row_id, moodle_user_id=int(job.recipient),
                                        title=rendered.title, text=rendered.text)
        message = channels.email_message(row_id=job.row_id, to=job.recipient, title=rendered.title, text=rendered.text,
                                         ics=rendered.ics, ics_method=rendered.ics_method, backend=self.backend)
        return channels.send_email(self.backend, message)

    def close(self) -> None:
        if self.backend is not None:
            channels._reset(self.backend)
        if self.connection is not None:
            self.connection.close()


def _moodle_clients(rows: list[Notification], users: dict, clients: dict) -> None:
    from ..moodle.connection import client_for  # noqa: PLC0415  (the web service client, only when needed)

    for platform_id in {users[row.user_id].platform_id for row in rows if row.channel == Notification.MOODLE}:
        if platform_id in clients:
            continue
        platform = db.session.get(Platform, platform_id)
        connection = db.session.scalars(select(MoodleConnection)
                                        .join(Platform, Platform.id == MoodleConnection.platform_id)
                                        .where(Platform.issuer == platform.issuer)).first()
        try:
            clients[platform_id] = client_for(db.session.get(Platform, connection.platform_id), connection,
                                              pool_size=4) if connection else None
        except Exception as error:  # an unreadable token: the rows wait, the pass goes on
            log.warning("Moodle messages for platform %s: %s", platform_id, error)
            clients[platform_id] = None


def _prepare(row: Notification, user: User, opted_out: set, clients: dict, mail_on: bool,
             memo: dict) -> Job | channels.Outcome:
    if row.kind.startswith(messages.OPTIONAL_KINDS) and (row.user_id, row.pathway_id) in opted_out:
        return channels.Outcome(Notification.SKIPPED, "opted_out")
    if row.channel == Notification.EMAIL:
        if not mail_on:
            return channels.Outcome(Notification.SKIPPED, "mail_off: MAIL_SERVER is not set")
        if not user.email or "@" not in user.email:
            return channels.Outcome(Notification.SKIPPED, "no_address: no e-mail from the launch or the roster")
        recipient = user.email
    else:
        if not user.sub.isdigit():
            return channels.Outcome(Notification.SKIPPED, "no_moodle_user: the LTI user is not a Moodle user id")
        if clients.get(user.platform_id) is None:
            return channels.Outcome(Notification.PENDING, "moodle: web service connection unusable")
        recipient = user.sub
    return Job(row.id, row.attempts, row.channel, recipient, messages.render(row, user, memo),
               clients.get(user.platform_id))


def deliver_once(app, *, now: datetime | None = None, batch: int = 5000, threads: int = 4, chunk: int = 200,
                 lease: timedelta = LEASE) -> PassReport:
    """Everything due at `now` (the real time by default), up to `batch` rows. Call inside an app context.
    While the threads send one chunk, the next is claimed and rendered."""
    explicit_now, now = now is not None, now or utcnow()
    report = PassReport(scheduled=schedule_reminders(now) + schedule_nudges(now, force=explicit_now)
                        + schedule_module_nudges(now, force=explicit_now) + schedule_digests(now, force=explicit_now)
                        + schedule_surveys(now, force=explicit_now))
    mail_on = channels.mail_enabled(app.config)
    senders = [Sender(app) for _ in range(max(1, threads))]
    clients: dict = {}
    memo: dict = {}  # what this pass already read of pathways and sessions
    sending: list = []
    base_url = app.config.get("PUBLIC_BASE_URL") or "http://localhost"

    def collect() -> None:
        for future in sending:
            report.states.update(future.result())
        sending.clear()

    try:
        with ThreadPoolExecutor(max_workers=len(senders)) as pool, app.test_request_context(base_url=base_url), \
                closing(db.engine.connect()) as main_connection:
            while report.attempted < batch:
                token, rows = claim_due(min(chunk, batch - report.attempted), now, lease)
                # The last message must start early enough to be answered (and recorded) within the lease.
                send_until = time.monotonic() + lease.total_seconds() - min(
                    float(app.config.get("MAIL_TIMEOUT") or 30) + 5, lease.total_seconds() / 2)
                if not rows:
                    break
                user_ids = {row.user_id for row in rows}
                users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
                opted_out = set(db.session.execute(
                    select(NotificationPreference.user_id, NotificationPreference.pathway_id)
                    .where(NotificationPreference.reminders.is_(False),
                           NotificationPreference.user_id.in_(user_ids))).all())
                _moodle_clients(rows, users, clients)
                jobs: list[Job] = []
                for row in rows:
                    try:
                        prepared = _prepare(row, users[row.user_id], opted_out, clients, mail_on, memo)
                    except Exception as error:  # a message that cannot be rendered waits, and says why
                        log.exception("notification %s cannot be rendered", row.id)
                        prepared = channels.Outcome(Notification.PENDING, f"render: {type(error).__name__}: {error}")
                    if isinstance(prepared, Job):
                        jobs.append(prepared)
                    else:
                        record(main_connection, row.id, token,
                               outcome_values(prepared.state, prepared.result, attempts=row.attempts + 1, now=now))
                        report.states[prepared.state] += 1
                db.session.rollback()  # end the read transaction: the senders write
                collect()  # the previous chunk is sent before this one starts: a sender runs one list at a time
                buckets = [jobs[index::len(senders)] for index in range(len(senders))]
                sending.extend(pool.submit(sender.run, token, bucket, now, send_until)
                               for sender, bucket in zip(senders, buckets, strict=True))
                report.attempted += len(rows)
            collect()
    finally:
        for sender in senders:
            sender.close()
        for client in clients.values():
            if client is not None:
                client.close()
    return report
