"""Regressions found in review: each was a real way to oversell, double count, or change another course."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lti_tool.errors import Refused
from lti_tool.services import attendance, completion, pathways, profile_import, workshops
from models import Booking, CourseMembership, Enrolment, StepKind, User, WorkshopSession, db
from tests.fixtures.concurrency import at_once


def workshop_step(make_pathway):
    return make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier"}]).steps[0]


def test_double_cancel_never_frees_two_seats(app, make_pathway, make_user, make_session, tenant):
    session = make_session(workshop_step(make_pathway), capacity=2)
    people = [make_user() for _ in range(4)]
    for person in people:
        workshops.book(session, person)
    session_id, first_id = session.id, people[0].id
    db.session.commit()
    barrier = threading.Barrier(2)

    def cancel():
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                workshops.cancel(db.session.get(WorkshopSession, session_id), db.session.get(User, first_id))
                db.session.commit()
            except Exception:
                db.session.rollback()

    at_once(cancel, cancel)
    db.session.expire_all()
    confirmed = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session_id, Booking.status == "confirmed"))
    assert confirmed == 2 == db.session.get(WorkshopSession, session_id).confirmed_count


def test_profile_import_only_touches_members_of_the_course(make_user, tenant):
    outsider = make_user("infirmier", sub="elsewhere")
    member = make_user("infirmier", sub="here")
    db.session.add(CourseMembership(user_id=member.id, course_id=tenant["course"].id, role="learner"))
    db.session.flush()
    report = profile_import.import_profiles(tenant["course"], b"moodle_id;profession\nelsewhere;autre\nhere;medecin\n")
    assert report.updated == 1 and report.errors[0][0] == 2
    db.session.refresh(outsider)
    from models import LearnerProfile
    assert db.session.get(LearnerProfile, outsider.id).profession == "infirmier"
    assert db.session.get(LearnerProfile, member.id).profession == "medecin"


def test_changing_profession_recomputes_progress(make_pathway, make_user):
    from lti_tool.services import profiles

    pathway = make_pathway(steps=[{"kind": StepKind.MODULE, "title": "Tous"},
                                  {"kind": StepKind.MODULE, "title": "Médecins", "required_for": ["medecin"]}])
    nurse = make_user("infirmier")
    enrolment = pathways.enrol(pathway, nurse)
    completion.record_completion(enrolment, pathway.steps[0], source="learner")
    assert enrolment.state == Enrolment.COMPLETED
    profiles.save_profile(nurse, {"profession": "medecin"})
    assert (enrolment.state, enrolment.progress) == (Enrolment.IN_PROGRESS, 50)


def test_deleting_a_step_recomputes_and_certified_sheets_protect_it(make_pathway, make_user, make_session):
    pathway = make_pathway(steps=[{"kind": StepKind.MODULE, "title": "A"}, {"kind": StepKind.MODULE, "title": "B"},
                                  {"kind": StepKind.WORKSHOP, "title": "Atelier"}])
    learner = make_user()
    enrolment = pathways.enrol(pathway, learner)
    completion.record_completion(enrolment, pathway.steps[0], source="learner")
    completion.record_completion(enrolment, pathway.steps[2], source="instructor", reason="x")
    pathways.delete_step(pathway.steps[1])
    assert enrolment.state == Enrolment.COMPLETED
    session = make_session(pathway.steps[-1], starts_in=timedelta(days=-2))
    attendance.certify(session.half_days[0], learner.id)
    with pytest.raises(Refused) as refused:
        pathways.delete_step(pathway.steps[-1])
    assert refused.value.code == "step_has_certified_sheets"


def test_two_modules_open_side_by_side_do_not_count_double(make_pathway, make_user):
    pathway = make_pathway(steps=[{"kind": StepKind.MODULE, "title": "A"}, {"kind": StepKind.MODULE, "title": "B"}])
    enrolment = pathways.enrol(pathway, make_user())
    start = datetime.now(timezone.utc)
    for second in range(0, 601, 30):
        completion.heartbeat(enrolment, pathway.steps[0], start + timedelta(seconds=second))
        completion.heartbeat(enrolment, pathway.steps[1], start + timedelta(seconds=second, milliseconds=10))
    assert sum(row.minutes for row in completion.statuses(enrolment)) <= 10.1


def test_self_check_in_never_overrides_the_facilitator_nor_a_certified_sheet(app, make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway))
    learner, facilitator = make_user(), make_user("medecin")
    workshops.book(session, learner)
    half = session.half_days[0]
    secret = app.config["SECRET_KEY"]
    with pytest.raises(Refused) as closed:  # days before the workshop
        attendance.self_checkin(half, learner, attendance.current_code(secret, half.id), secret)
    assert closed.value.code == "checkin_closed"
    half.starts_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    attendance.mark(half, learner.id, "absent", method="roster", by_user_id=facilitator.id)
    with pytest.raises(Refused) as marked:
        attendance.self_checkin(half, learner, attendance.current_code(secret, half.id), secret)
    assert marked.value.code == "already_marked"


def test_concurrent_first_bookings_by_one_person_take_one_seat(app, make_pathway, make_user, make_session, tenant):
    session = make_session(workshop_step(make_pathway), capacity=5)
    learner = make_user()
    session_id, user_id = session.id, learner.id
    db.session.commit()
    barrier, errors = threading.Barrier(4), []

    def book():
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                workshops.book(db.session.get(WorkshopSession, session_id), db.session.get(User, user_id))
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(repr(error))

    at_once(*[book] * 4)
    db.session.expire_all()
    assert [e for e in errors if "IntegrityError" in e or "UniqueViolation" in e] == []
    assert db.session.get(WorkshopSession, session_id).confirmed_count == 1
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
