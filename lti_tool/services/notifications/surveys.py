"""Survey messages: "à chaud" to the people who attended a session once it has ended, "à froid" some weeks later
(60 days, per pathway: `lti notify-settings --cold-survey-days`); never to someone who already answered."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import select

from models import AttendanceStatus, NotificationSettings, Step, SurveyResponse, User, WorkshopSession, db

from .outbox import enqueue, moodle_platform_ids

DEFAULT_COLD_DAYS = 60
WINDOW = timedelta(days=7)  # a worker down for a while still sends surveys of the last week, not older ones
SCAN_EVERY_SECONDS = 600
_last_scan: dict[str, float] = {}


def schedule_surveys(now: datetime, *, force: bool = False) -> int:
    key = str(db.engine.url)
    if not force and time.monotonic() - _last_scan.get(key, -SCAN_EVERY_SECONDS) < SCAN_EVERY_SECONDS:
        return 0
    _last_scan[key] = time.monotonic()
    cold_days = dict(db.session.execute(select(NotificationSettings.pathway_id, NotificationSettings.cold_survey_days)
                                        .where(NotificationSettings.cold_survey_days.is_not(None))).all())
    longest = max([DEFAULT_COLD_DAYS, *cold_days.values()])
    ended = db.session.execute(
        select(WorkshopSession.id, WorkshopSession.ends_at, Step.pathway_id)
        .join(Step, Step.id == WorkshopSession.step_id)
        .where(WorkshopSession.cancelled.is_(False), WorkshopSession.ends_at <= now,
               WorkshopSession.ends_at > now - timedelta(days=longest) - WINDOW)).all()
    platforms = moodle_platform_ids() if ended else set()
    created = 0
    for session_id, ends_at, pathway_id in ended:
        cold = cold_days.get(pathway_id, DEFAULT_COLD_DAYS)
        if ends_at > now - WINDOW:
            kind = SurveyResponse.HOT
        elif cold and ends_at + timedelta(days=cold) <= now < ends_at + timedelta(days=cold) + WINDOW:
            kind = SurveyResponse.COLD
        else:
            continue
        answered = select(SurveyResponse.user_id).where(SurveyResponse.session_id == session_id,
                                                        SurveyResponse.kind == kind)
        attendees = list(db.session.scalars(
            select(User).where(User.id.in_(select(AttendanceStatus.user_id).where(
                AttendanceStatus.session_id == session_id, AttendanceStatus.status.in_(("present", "late")))),
                User.id.not_in(answered))))
        for user in attendees:
            created += len(enqueue(user, f"survey_{kind}", f"session:{session_id}", pathway_id=pathway_id,
                                   session_id=session_id, version=1, moodle_platforms=platforms, due=now))
    db.session.commit()
    return created
