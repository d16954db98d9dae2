"""Rules of the messages: which reminder is due when, the person's language, what counts as a change of a
session, per-pathway reminder days, and the uniqueness rule that makes a replayed event write nothing twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lti_tool.services import workshops
from lti_tool.services.notifications import booked, fingerprint, outbox
from lti_tool.services.notifications.delivery import due_reminder, schedule_reminders
from lti_tool.services.notifications.messages import locale_of
from models import Notification, NotificationSettings, StepKind, db

START = datetime(2026, 12, 20, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("now", "expected"), [
    (START - timedelta(days=8), None),
    (START - timedelta(days=7), 7),
    (START - timedelta(days=2), 7),
    (START - timedelta(days=1), 1),
    (START - timedelta(minutes=1), 1),
    (START, None),  # started: no reminder any more
])
def test_the_nearest_reminder_whose_time_has_come(now, expected):
    assert due_reminder(START, [7, 1], now) == expected


def test_locale_of_the_launch_else_french(app):
    with app.app_context():
        assert locale_of(SimpleNamespace(locale="en-US")) == "en"
        assert locale_of(SimpleNamespace(locale="fr_CA")) == "fr"
        assert locale_of(SimpleNamespace(locale="de")) == "fr"
        assert locale_of(SimpleNamespace(locale="")) == "fr"


def test_a_change_is_what_learners_were_told(make_pathway, make_session):
    session = make_session(make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "A"}]).steps[0])
    before = fingerprint(session)
    session.capacity = 30
    assert fingerprint(session) == before  # seats are not news
    session.place = "Salle B"
    assert fingerprint(session) != before


def test_replaying_an_event_writes_no_second_message(make_pathway, make_user, make_session):
    session = make_session(make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "A"}]).steps[0])
    learner = make_user(email="a@example.org")
    booking = workshops.book(session, learner)
    rows = outbox.enqueue(learner, "convocation", f"session:{session.id}", session_id=session.id, version=1)
    assert rows == []  # the booking wrote version 1 already: same person, subject, kind, version, channel
    booked(booking)  # a new booking event is a new version
    versions = db.session.scalars(select(Notification.version).where(Notification.kind == "convocation",
                                                                      Notification.channel == "email")).all()
    assert sorted(versions) == [1, 2]


def test_reminder_days_per_pathway_and_reruns(make_pathway, make_user, make_session, runner):
    pathway = make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "A"}])
    session = make_session(pathway.steps[0], starts_in=timedelta(days=20))
    learner = make_user(email="a@example.org")
    workshops.book(session, learner)
    db.session.add(NotificationSettings(pathway_id=pathway.id, reminder_days=[14, 3]))
    db.session.flush()
    booking = db.session.scalars(select(workshops.Booking)).one()
    booking.updated_at = session.starts_at - timedelta(days=30)
    db.session.commit()
    assert schedule_reminders(session.starts_at - timedelta(days=15)) == 0
    assert schedule_reminders(session.starts_at - timedelta(days=13)) == 2  # D-14, e-mail and Moodle rows
    assert schedule_reminders(session.starts_at - timedelta(days=13)) == 0  # a rerun writes nothing
    assert schedule_reminders(session.starts_at - timedelta(days=7)) == 0  # no D-7 on this pathway
    assert schedule_reminders(session.starts_at - timedelta(days=2)) == 2  # D-3
    kinds = db.session.scalars(select(Notification.kind).where(Notification.channel == "email")
                               .order_by(Notification.id)).all()
    assert kinds == ["convocation", "reminder_14", "reminder_3"]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 6


def test_notify_settings_command(make_pathway, runner):
    pathway = make_pathway()
    db.session.commit()
    pathway_id = pathway.id
    assert runner.invoke(args=["lti", "notify-settings", str(pathway_id)]).output.strip() == \
        f"pathway {pathway_id}: reminders D-7, D-1; nudge after 14 days without progress"
    result = runner.invoke(args=["lti", "notify-settings", str(pathway_id), "--reminder-days", "3,14"])
    assert result.output.strip() == f"pathway {pathway_id}: reminders D-14, D-3; nudge after 14 days without progress"
    result = runner.invoke(args=["lti", "notify-settings", str(pathway_id), "--nudge-days", "0"])
    assert result.output.strip() == f"pathway {pathway_id}: reminders D-14, D-3; no nudge"
    assert runner.invoke(args=["lti", "notify-settings", str(pathway_id), "--nudge-days", "-1"]).exit_code == 2
    assert runner.invoke(args=["lti", "notify-settings", str(pathway_id), "--reminder-days", "x"]).exit_code == 2
    assert runner.invoke(args=["lti", "notify-settings", str(pathway_id), "--reminder-days", "0"]).exit_code == 2
    assert "reminders none" in runner.invoke(args=["lti", "notify-settings", str(pathway_id),
                                                   "--reminder-days", ""]).output
    assert runner.invoke(args=["lti", "notify", "--now", "hier"]).exit_code == 2


def test_a_claim_takes_no_more_rows_than_asked(make_pathway, make_user, make_session):
    session = make_session(make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "A"}]).steps[0], capacity=30)
    for n in range(12):
        workshops.book(session, make_user(email=f"c{n}@example.org"))
    db.session.commit()
    first_token, first = outbox.claim_due(5)
    second_token, second = outbox.claim_due(5)
    assert len(first) == 5 and len(second) == 5 and not {r.id for r in first} & {r.id for r in second}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.claim.is_not(None))) == 10
