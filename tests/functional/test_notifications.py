"""Messages around sessions (issue 14) through a real SMTP server: the French convocation with its .ics, the
update and the cancellation (new SEQUENCE, METHOD:CANCEL), reminders at D-7 and D-1 on a simulated date, the
learner's opt-out, waitlist promotion and a freed seat, e-mail off, retries with backoff, two workers at once."""
from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lti_tool.services import session_lifecycle, workshops
from lti_tool.services.notifications import delivery
from models import Notification, NotificationPreference, StepKind, db
from tests.functional.notify_support import calendar_of, smtp, text_of  # noqa: F401

PARIS = ZoneInfo("Europe/Paris")


def deliver(app, **kwargs):
    report = delivery.deliver_once(app, **kwargs)
    db.session.expire_all()
    return report


def workshop(make_pathway):
    return make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier ACR"}]).steps[0]


def subject(message) -> str:
    return str(message["Subject"]).strip()  # a long encoded subject is folded after "Subject:"


def rows(**where):
    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.session.scalars(query))


def test_convocation_in_french_with_its_invitation(app, smtp, make_pathway, make_user, make_session):
    session = make_session(workshop(make_pathway), title="Arrêt cardiaque", place="Maison de santé, 3 rue Haute",
                           hours=6)
    learner = make_user(email="claire@example.org", name="Claire Martin", locale="fr-FR")
    workshops.book(session, learner)
    db.session.commit()
    report = deliver(app)
    assert report.states["sent"] == 1
    [message] = smtp.to("claire@example.org")
    starts = session.starts_at.astimezone(PARIS)
    assert subject(message).startswith("Convocation : Arrêt cardiaque, ")
    assert message["Message-ID"].startswith("<notification-")
    text = text_of(message)
    assert "Bonjour Claire Martin," in text
    assert "Votre inscription est confirmée. Voici votre convocation." in text
    assert "Lieu : Maison de santé, 3 rue Haute" in text
    assert "Format : Atelier en présentiel / simulation" in text
    assert f"matin ({starts:%H:%M}–12:00)" in text and "après-midi (12:00–" in text  # two Paris half-days
    assert "Animation : Dr A (Médecin), B (Infirmier" in text
    assert "Ouvrir le parcours dans Moodle : http" in text and "/course/view.php?id=11" in text
    assert "rappels" not in text  # a convocation cannot be turned off: no opt-out line
    method, calendar = calendar_of(message)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@parcours-hybrides"
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == starts and str(event["DTSTART"].params["TZID"]) == "Europe/Paris"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(event["LOCATION"]) == "Maison de santé, 3 rue Haute"
    [row] = rows(channel="email")
    assert (row.state, row.recipient, row.kind, row.attempts) == ("sent", "claire@example.org", "convocation", 1)
    assert row.title == subject(message) and row.sent_at is not None and "250" in row.result
    assert deliver(app).attempted == 0 and len(smtp.messages) == 1  # a rerun sends nothing again


def test_english_launch_locale_gets_english(app, smtp, make_pathway, make_user, make_session):
    session = make_session(workshop(make_pathway))
    learner = make_user(email="sam@example.org", name="Sam", locale="en_GB")
    workshops.book(session, learner)
    db.session.commit()
    deliver(app)
    [message] = smtp.messages
    assert subject(message).startswith("Convocation: Session, ")
    assert "Your registration is confirmed. Here is your convocation." in text_of(message)


def test_session_change_then_cancellation_update_the_calendar(app, smtp, make_pathway, make_user, make_session):
    session = make_session(workshop(make_pathway))
    learners = [make_user(email=f"p{n}@example.org") for n in range(2)]
    for learner in learners:
        workshops.book(session, learner)
    db.session.commit()
    deliver(app)
    data = session_lifecycle.form_values(session)
    values = {"format": session.format, "title": session.title, "starts_at": session.starts_at + timedelta(hours=1),
              "ends_at": session.ends_at + timedelta(hours=1), "capacity": 12, "place": "Salle B",
              "video_url": "", "registration_deadline": None, "target_professions": data["target_professions"],
              "quotas": None, "facilitators": session.facilitators}
    session_lifecycle.update_session(session, values)
    session_lifecycle.update_session(session, {**values, "capacity": 14})  # seats only: nobody is told
    db.session.commit()
    deliver(app)
    updates = [m for m in smtp.messages if subject(m).startswith("Séance modifiée")]
    assert len(updates) == 2
    assert "Lieu : Salle B" in text_of(updates[0]) and "a changé" in text_of(updates[0])
    method, calendar = calendar_of(updates[0])
    [event] = calendar.walk("VEVENT")
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == session.starts_at.astimezone(PARIS)
    session_lifecycle.cancel_session(session)
    db.session.commit()
    deliver(app)
    cancels = [m for m in smtp.messages if subject(m).startswith("Séance annulée")]
    assert sorted(m["To"] for m in cancels) == ["p0@example.org", "p1@example.org"]
    method, calendar = calendar_of(cancels[0])
    [event] = calendar.walk("VEVENT")
    assert (method, str(calendar["METHOD"]), int(event["SEQUENCE"]), str(event["STATUS"])) == \
        ("CANCEL", "CANCEL", 2, "CANCELLED")
    assert str(event["UID"]) == f"session-{session.id}@parcours-hybrides"
    assert len(smtp.messages) == 6


def test_reminders_at_d7_and_d1_on_a_simulated_date_and_the_opt_out(app, smtp, runner, make_pathway, make_user,
                                                                    make_session):
    step = workshop(make_pathway)
    session = make_session(step, starts_in=timedelta(days=10))
    keen, busy = make_user(email="keen@example.org"), make_user(email="busy@example.org")
    for learner in (keen, busy):
        workshops.book(session, learner)
    db.session.commit()
    deliver(app)
    assert len(smtp.messages) == 2  # the convocations
    assert deliver(app, now=session.starts_at - timedelta(days=8)).scheduled == 0
    busy_id, pathway_id, starts_at = busy.id, step.pathway_id, session.starts_at  # the CLI ends this session
    d7 = (starts_at - timedelta(days=7) + timedelta(hours=1)).isoformat()
    result = runner.invoke(args=["lti", "notify", "--now", d7])
    assert result.exit_code == 0, result.output
    # Two people, two channels (the demo site's web services are connected); these subs are no Moodle user ids.
    assert "scheduled 4 attempted 4 sent=2 skipped=2" in result.output
    reminders = [m for m in smtp.messages if subject(m).startswith("Rappel")]
    assert sorted(m["To"] for m in reminders) == ["busy@example.org", "keen@example.org"]
    assert "Votre séance commence dans 7 jours." in text_of(reminders[0])
    assert "Vous pouvez désactiver les rappels et relances depuis la page de votre parcours." in text_of(reminders[0])
    assert runner.invoke(args=["lti", "notify", "--now", d7]).output.startswith("scheduled 0 attempted 0")
    db.session.add(NotificationPreference(user_id=busy_id, pathway_id=pathway_id, reminders=False))
    db.session.commit()
    deliver(app, now=starts_at - timedelta(hours=20))
    tomorrow = [m for m in smtp.messages if "demain" in text_of(m)]
    assert [m["To"] for m in tomorrow] == ["keen@example.org"]
    assert len(rows(kind="reminder_1", channel="email")) == 1


def test_a_worker_down_for_a_week_sends_the_nearest_reminder_only(app, smtp, make_pathway, make_user, make_session):
    session = make_session(workshop(make_pathway), starts_in=timedelta(days=10))
    workshops.book(session, make_user(email="late@example.org"))
    db.session.commit()
    deliver(app, now=session.starts_at - timedelta(hours=3))
    assert [row.kind for row in rows(channel="email")] == ["convocation", "reminder_1"]


def test_booked_after_the_reminder_time_gets_no_reminder(app, smtp, make_pathway, make_user, make_session):
    session = make_session(workshop(make_pathway), starts_in=timedelta(days=3))
    workshops.book(session, make_user(email="new@example.org"))
    db.session.commit()
    deliver(app, now=session.starts_at - timedelta(days=2))  # D-7 passed before the booking: the convocation only
    assert [row.kind for row in rows(channel="email")] == ["convocation"]


def test_promotion_cancellation_and_a_freed_seat(app, smtp, make_pathway, make_user, make_session):
    step = workshop(make_pathway)
    first = make_session(step, capacity=1, title="Séance 1")
    second = make_session(step, capacity=1, title="Séance 2", starts_in=timedelta(days=14))
    anna, bob, chloe = (make_user(email=f"{name}@example.org") for name in ("anna", "bob", "chloe"))
    workshops.book(first, anna)
    workshops.book(first, bob)  # waitlisted
    workshops.book(second, chloe)
    db.session.commit()
    workshops.cancel(first, anna)  # bob is promoted
    db.session.commit()
    deliver(app)
    by_person = {address: sorted(subject(m).split(" :")[0] for m in smtp.to(address))  # threads: any order
                 for address in ("anna@example.org", "bob@example.org", "chloe@example.org")}
    assert by_person == {"anna@example.org": ["Convocation", "Inscription annulée"],
                         "bob@example.org": ["Liste d'attente", "Place confirmée"],
                         "chloe@example.org": ["Convocation"]}
    [promoted] = [m for m in smtp.to("bob@example.org") if subject(m).startswith("Place confirmée")]
    assert "Une place s'est libérée : votre inscription est maintenant confirmée." in text_of(promoted)
    assert calendar_of(promoted)[0] == "REQUEST"
    [cancelled] = [m for m in smtp.to("anna@example.org") if subject(m).startswith("Inscription annulée")]
    assert calendar_of(cancelled)[0] == "CANCEL"
    # Bob waits for nothing now; Anna moves to the waitlist of the second session, then Chloé leaves it.
    workshops.book(second, anna)
    db.session.commit()
    workshops.cancel(second, chloe)  # anna is promoted: no seat is left to offer
    db.session.commit()
    deliver(app)
    assert not [m for m in smtp.messages if subject(m).startswith("Une place est libre")]
    third = make_session(step, capacity=1, title="Séance 3", starts_in=timedelta(days=21))
    waiting = make_user(email="dan@example.org")
    workshops.book(third, make_user(email="eve@example.org"))
    workshops.book(third, waiting)  # waitlisted on the third session
    workshops.cancel(second, anna)  # a seat in the second session, nobody waiting there: offered to Dan
    db.session.commit()
    deliver(app)
    [offer] = [m for m in smtp.messages if subject(m).startswith("Une place est libre")]
    assert offer["To"] == "dan@example.org" and "Séance 2" in subject(offer)


def test_without_mail_server_nothing_fails_and_rows_say_why(app, make_pathway, make_user, make_session):
    assert not app.config.get("MAIL_SERVER")
    session = make_session(workshop(make_pathway))
    workshops.book(session, make_user(email="x@example.org"))
    db.session.commit()
    report = deliver(app)
    assert report.states == {"skipped": 2}  # e-mail off; the Moodle row: this sub is no Moodle user id
    [row] = rows(channel="email")
    assert row.state == "skipped" and row.result.startswith("mail_off")


def test_a_person_without_address_is_recorded_as_not_sent(app, smtp, make_pathway, make_user, make_session):
    workshops.book(make_session(workshop(make_pathway)), make_user(email=""))
    db.session.commit()
    deliver(app)
    [row] = rows(channel="email")
    assert (row.state, row.result[:10]) == ("skipped", "no_address") and smtp.messages == []


def test_a_refusing_server_is_retried_with_backoff_and_sends_once(app, smtp, make_pathway, make_user, make_session):
    workshops.book(make_session(workshop(make_pathway)), make_user(email="r@example.org"))
    db.session.commit()
    smtp.refuse = 1
    report = deliver(app)
    [row] = rows(channel="email")
    assert report.states == {"pending": 1, "skipped": 1} and row.attempts == 1 and "451" in row.result
    assert row.next_attempt_at > row.created_at + timedelta(seconds=20)  # backoff: not due again at once
    assert deliver(app).attempted == 0
    deliver(app, now=row.next_attempt_at + timedelta(seconds=1))
    db.session.refresh(row)
    assert (row.state, row.attempts) == ("sent", 2) and len(smtp.messages) == 1


def test_two_workers_at_once_send_each_message_once(app, smtp, make_pathway, make_user, make_session):
    step = workshop(make_pathway)
    session = make_session(step, capacity=60)
    for n in range(40):
        workshops.book(session, make_user(email=f"w{n}@example.org"))
    db.session.commit()

    def worker():
        with app.app_context():
            delivery.deliver_once(app, chunk=5, threads=2)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {row.state for row in rows(channel="email")} == {"sent"}


def test_the_loop_survives_database_and_network_errors(app, smtp, runner, monkeypatch, make_pathway, make_user,
                                                       make_session):
    from sqlalchemy.exc import OperationalError

    workshops.book(make_session(workshop(make_pathway)), make_user(email="loop@example.org"))
    db.session.commit()
    real, calls = delivery.deliver_once, []

    def flaky(app_, **options):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        if len(calls) == 2:
            raise ConnectionRefusedError("network down")
        return real(app_, **options)

    monkeypatch.setattr(delivery, "deliver_once", flaky)
    result = runner.invoke(args=["lti", "notify", "--loop", "--interval", "0.01", "--max-seconds", "1.5"])
    assert result.exit_code == 0, result.output
    assert len(calls) >= 3 and "sent=1" in result.output
    assert [m["To"] for m in smtp.messages] == ["loop@example.org"]
    assert runner.invoke(args=["lti", "notify"]).exit_code == 0  # and a single pass after it: nothing more
    assert len(smtp.messages) == 1


def test_nudges_after_days_without_progress_once_per_spell(app, smtp, make_pathway, make_user):
    from lti_tool.services import pathways
    from models import NotificationSettings, StepCompletion

    pathway = make_pathway()
    idle, busy, done_with_it = (make_user(email=f"{name}@example.org") for name in ("idle", "busy", "quiet"))
    enrolments = {user.email: pathways.enrol(pathway, user) for user in (idle, busy, done_with_it)}
    started = enrolments["idle@example.org"].created_at
    db.session.add(NotificationPreference(user_id=done_with_it.id, pathway_id=pathway.id, reminders=False))
    db.session.add(StepCompletion(enrolment_id=enrolments["busy@example.org"].id, step_id=pathway.steps[0].id,
                                  source="learner", completed_at=started + timedelta(days=10)))
    db.session.commit()
    deliver(app, now=started + timedelta(days=13))
    assert smtp.messages == []
    deliver(app, now=started + timedelta(days=15))
    [nudge] = smtp.messages
    assert nudge["To"] == "idle@example.org" and subject(nudge) == "Votre parcours vous attend : Iatrogénie"
    assert "Cela fait 14 jours depuis votre dernière étape dans le parcours « Iatrogénie »." in text_of(nudge)
    assert "Vous pouvez désactiver les rappels et relances" in text_of(nudge)
    deliver(app, now=started + timedelta(days=20))
    assert [m["To"] for m in smtp.messages] == ["idle@example.org"]  # one nudge per spell
    deliver(app, now=started + timedelta(days=25))
    assert [m["To"] for m in smtp.messages][1:] == ["busy@example.org"]  # 14 days after their last step
    db.session.add(StepCompletion(enrolment_id=enrolments["idle@example.org"].id, step_id=pathway.steps[0].id,
                                  source="learner", completed_at=started + timedelta(days=26)))
    db.session.add(NotificationSettings(pathway_id=pathway.id, reminder_days=[7, 1], nudge_days=5))
    db.session.commit()
    deliver(app, now=started + timedelta(days=32))  # moved, then stopped again: the next spell, after 5 days
    assert [m["To"] for m in smtp.messages][2:] == ["idle@example.org"]


def test_instructors_daily_digest(app, smtp, tenant, make_pathway, make_user, make_session):
    from datetime import datetime, time

    from models import CourseMembership, utcnow

    session = make_session(workshop(make_pathway), capacity=1)
    for name in ("a", "b"):
        workshops.book(session, make_user(email=f"{name}@example.org"))  # one confirmed, one waitlisted
    teacher = make_user(profession=None, email="formatrice@example.org", locale="fr")
    db.session.add(CourseMembership(user_id=teacher.id, course_id=tenant["course"].id, role="instructor"))
    db.session.commit()
    now = utcnow() + timedelta(hours=1)
    if now.astimezone(PARIS).hour < 7:  # digests go from 7:00 in Paris
        now = datetime.combine(now.astimezone(PARIS).date(), time(8), tzinfo=PARIS)
    early = datetime.combine(now.astimezone(PARIS).date(), time(6), tzinfo=PARIS)
    deliver(app, now=early)
    assert smtp.to("formatrice@example.org") == []
    deliver(app, now=now)
    [digest] = smtp.to("formatrice@example.org")
    assert subject(digest) == "Récapitulatif du jour : Iatrogénie"
    text = text_of(digest)
    assert "Ce qui a changé ces dernières 24 heures et ce qui vous attend dans « Iatrogénie » :" in text
    assert ("Iatrogénie : 2 nouvelle(s) inscription(s), 1 en liste d'attente, 0 feuille(s) d'émargement à "
            "certifier.") in text
    assert "Ouvrir le cours dans Moodle : http" in text
    deliver(app, now=now + timedelta(hours=2))
    assert len(smtp.to("formatrice@example.org")) == 1  # one a day


def test_an_online_module_left_before_a_workshop(app, smtp, make_pathway, make_user, make_session):
    from lti_tool.services import pathways
    from models import StepCompletion

    pathway = make_pathway()  # "Module 1", then the workshop
    session = make_session(pathway.steps[1], starts_in=timedelta(days=6))
    late, ready = make_user(email="late@example.org"), make_user(email="ready@example.org")
    for learner in (late, ready):
        pathways.enrol(pathway, learner)
        workshops.book(session, learner)
    db.session.add(StepCompletion(enrolment_id=pathways.enrol(pathway, ready).id, step_id=pathway.steps[0].id,
                                  source="learner"))
    db.session.commit()
    deliver(app, now=session.starts_at - timedelta(days=4))
    assert [m for m in smtp.messages if subject(m).startswith("Avant votre séance")] == []  # not yet
    deliver(app, now=session.starts_at - timedelta(days=2))
    [nudge] = [m for m in smtp.messages if subject(m).startswith("Avant votre séance")]
    assert nudge["To"] == "late@example.org"
    assert "Avant d'y aller, terminez votre ou vos module(s) en ligne : Module 1." in text_of(nudge)
    deliver(app, now=session.starts_at - timedelta(days=1, hours=12))
    assert len([m for m in smtp.messages if subject(m).startswith("Avant votre séance")]) == 1  # once
