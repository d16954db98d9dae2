"""Nudges: a learner enrolled in a published pathway who has not moved for N days (per pathway, 14 by default)
gets one message per spell of inactivity (its version is the day of their last move: moving again, then
stopping again, brings the next one); a learner with an online module left before a workshop they attend within
three days is told which. Learners who turned reminders off get none."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from models import (
    ActivityInterval,
    Booking,
    Enrolment,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Pathway,
    SessionRevision,
    Step,
    StepCompletion,
    User,
    WorkshopSession,
    db,
)

from .outbox import enqueue, moodle_platform_ids

DEFAULT_NUDGE_DAYS = 14
SCAN_EVERY_SECONDS = 600  # a worker looping every few seconds scans the enrolments at most this often
_last_scan: dict[str, float] = {}


def schedule_nudges(now: datetime, *, force: bool = False) -> int:
    key = str(db.engine.url)
    if not force and time.monotonic() - _last_scan.get(key, -SCAN_EVERY_SECONDS) < SCAN_EVERY_SECONDS:
        return 0
    _last_scan[key] = time.monotonic()
    settings = dict(db.session.execute(select(NotificationSettings.pathway_id, NotificationSettings.nudge_days)
                                       .where(NotificationSettings.nudge_days.is_not(None))).all())
    shortest = min([days for days in settings.values() if days > 0] + [DEFAULT_NUDGE_DAYS])
    candidates = db.session.execute(
        select(Enrolment.id, Enrolment.user_id, Enrolment.pathway_id, Enrolment.created_at)
        .join(Pathway, Pathway.id == Enrolment.pathway_id)
        .where(Pathway.published.is_(True), Pathway.archived_at.is_(None), Enrolment.state != Enrolment.COMPLETED,
               Enrolment.created_at <= now - timedelta(days=shortest))).all()
    if not candidates:
        return 0
    ids = [row.id for row in candidates]
    last_done = dict(db.session.execute(select(StepCompletion.enrolment_id, func.max(StepCompletion.completed_at))
                                        .where(StepCompletion.enrolment_id.in_(ids))
                                        .group_by(StepCompletion.enrolment_id)).all())
    last_online = dict(db.session.execute(select(ActivityInterval.enrolment_id, func.max(ActivityInterval.ended_at))
                                          .where(ActivityInterval.enrolment_id.in_(ids))
                                          .group_by(ActivityInterval.enrolment_id)).all())
    opted_out = set(db.session.execute(select(NotificationPreference.user_id, NotificationPreference.pathway_id)
                                       .where(NotificationPreference.reminders.is_(False))).all())
    due = []
    for enrolment_id, user_id, pathway_id, created_at in candidates:
        days = settings.get(pathway_id, DEFAULT_NUDGE_DAYS)
        last = max(moment for moment in (created_at, last_done.get(enrolment_id), last_online.get(enrolment_id))
                   if moment is not None)
        if days and now - last >= timedelta(days=days) and (user_id, pathway_id) not in opted_out:
            due.append((enrolment_id, user_id, pathway_id, days, int(last.timestamp()) // 86400))
    if not due:
        return 0
    sent = set(db.session.execute(select(Notification.subject, Notification.version).where(
        Notification.kind == "nudge", Notification.subject.in_([f"enrolment:{row[0]}" for row in due]))).all())
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_({row[1] for row in due})))}
    platforms = moodle_platform_ids()
    created = 0
    for enrolment_id, user_id, pathway_id, days, version in due:
        if (f"enrolment:{enrolment_id}", version) in sent:
            continue
        created += len(enqueue(users[user_id], "nudge", f"enrolment:{enrolment_id}", pathway_id=pathway_id,
                               version=version, payload={"days": days}, moodle_platforms=platforms, due=now))
    db.session.commit()
    return created


MODULE_NUDGE_DAYS = 3  # days before a session when a learner with an online module left is told


def schedule_module_nudges(now: datetime, *, force: bool = False) -> int:
    """A learner booked on a session in the next three days who has a required online module of the pathway
    left before that workshop: one message per session (and calendar version), listing the modules."""
    from .. import completion  # what is done, as the learner's page shows it

    key = "modules:" + str(db.engine.url)
    if not force and time.monotonic() - _last_scan.get(key, -SCAN_EVERY_SECONDS) < SCAN_EVERY_SECONDS:
        return 0
    _last_scan[key] = time.monotonic()
    booked = db.session.execute(
        select(Booking.user_id, WorkshopSession.id, WorkshopSession.step_id, Step.pathway_id, Step.position,
               SessionRevision.sequence)
        .join(WorkshopSession, WorkshopSession.id == Booking.session_id)
        .join(Step, Step.id == WorkshopSession.step_id)
        .outerjoin(SessionRevision, SessionRevision.session_id == WorkshopSession.id)
        .where(Booking.status == Booking.CONFIRMED, Booking.released.is_(False), WorkshopSession.cancelled.is_(False),
               WorkshopSession.starts_at > now, WorkshopSession.starts_at <= now + timedelta(days=MODULE_NUDGE_DAYS))
    ).all()
    if not booked:
        return 0
    opted_out = set(db.session.execute(select(NotificationPreference.user_id, NotificationPreference.pathway_id)
                                       .where(NotificationPreference.reminders.is_(False))).all())
    told = set(db.session.execute(select(Notification.user_id, Notification.subject, Notification.version).where(
        Notification.kind == "nudge_module")).all())
    platforms = moodle_platform_ids()
    created = 0
    for user_id, session_id, _step_id, pathway_id, position, sequence in booked:
        if (user_id, pathway_id) in opted_out or (user_id, f"session:{session_id}", sequence or 0) in told:
            continue
        enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway_id,
                                                               Enrolment.user_id == user_id)).first()
        if enrolment is None:
            continue
        left = [row.step.title for row in completion.statuses(enrolment)
                if row.step.kind == "module" and row.required and not row.done and row.step.position < position]
        if left:
            created += len(enqueue(db.session.get(User, user_id), "nudge_module", f"session:{session_id}",
                                   pathway_id=pathway_id, session_id=session_id, version=sequence or 0,
                                   payload={"modules": left}, moodle_platforms=platforms, due=now))
    db.session.commit()
    return created
