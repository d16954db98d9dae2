"""Bookings: capacity, waitlist, promotion on cancellation, quotas, deadlines — and no oversell under load."""
import threading
from functools import partial
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lti_tool.errors import Refused
from lti_tool.services import workshops
from models import Booking, StepKind, User, WorkshopSession, db
from tests.fixtures.concurrency import at_once


def workshop_step(make_pathway):
    return make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier ACR"}]).steps[0]


def test_capacity_then_waitlist_then_promotion(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=2)
    people = [make_user() for _ in range(4)]
    statuses = [workshops.book(session, person).status for person in people]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    promoted = workshops.cancel(session, people[0])
    assert promoted.user_id == people[2].id and promoted.status == "confirmed"
    db.session.refresh(session)
    assert session.confirmed_count == 2
    assert workshops.counts(session.id) == {"confirmed": 2, "waitlisted": 1, "cancelled": 1}


def test_booking_twice_is_idempotent(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=1)
    learner = make_user()
    assert workshops.book(session, learner).id == workshops.book(session, learner).id
    db.session.refresh(session)
    assert session.confirmed_count == 1


def test_quota_per_profession(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=4, quotas={"medecin": 1})
    first, second, nurse = make_user("medecin"), make_user("medecin"), make_user("infirmier")
    assert workshops.book(session, first).status == "confirmed"
    assert workshops.book(session, second).status == "waitlisted"
    assert workshops.book(session, nurse).status == "confirmed"
    # the freed doctor seat goes to the waiting doctor
    assert workshops.cancel(session, first).user_id == second.id


def test_past_full_cancelled_and_targeted_sessions(make_pathway, make_user, make_session):
    step = workshop_step(make_pathway)
    past = make_session(step, starts_in=timedelta(days=-1))
    with pytest.raises(Refused) as refused:
        workshops.book(past, make_user())
    assert refused.value.code == "session_past"
    targeted = make_session(step, target_professions=["medecin", "pharmacien"])
    with pytest.raises(Refused) as refused:
        workshops.book(targeted, make_user("infirmier"))
    assert refused.value.code == "not_bookable"
    with pytest.raises(Refused) as refused:
        workshops.cancel(targeted, make_user())
    assert refused.value.code == "not_booked"


def test_half_days_in_paris_time(make_pathway, make_session):
    from datetime import datetime, timezone

    step = workshop_step(make_pathway)
    # 09:00 to 17:00 Paris (07:00-15:00 UTC in summer): two half-days
    session = make_session(step, starts_at=datetime(2027, 6, 10, 7, 0, tzinfo=timezone.utc),
                           ends_at=datetime(2027, 6, 10, 15, 0, tzinfo=timezone.utc))
    assert [(h.day.isoformat(), h.period) for h in session.half_days] == [("2027-06-10", "am"), ("2027-06-10", "pm")]
    assert workshops.pair_warning(session) is False
    session.facilitators = [{"name": "A", "profession": "medecin"}, {"name": "B", "profession": "pharmacien"}]
    assert workshops.pair_warning(session) is True


def test_ical_file(make_pathway, make_session):
    session = make_session(workshop_step(make_pathway), title="Simulation ACR")
    data = workshops.ical([session], url_for_session=lambda s: f"https://tool/s/{s.id}", calendar_name="Mes ateliers")
    text = data.decode()
    assert "BEGIN:VEVENT" in text and "Simulation ACR" in text and "Europe/Paris" in text and "Maison de sant" in text


def test_fifty_concurrent_bookings_for_ten_seats(app, platform, make_pathway, make_user, make_session, tenant):
    """Each booking in its own transaction, all at once: exactly 10 confirmed and 40 waitlisted."""
    session = make_session(workshop_step(make_pathway), capacity=10)
    learners = [make_user("infirmier") for _ in range(50)]
    session_id, learner_ids = session.id, [learner.id for learner in learners]
    db.session.commit()
    barrier = threading.Barrier(50)
    errors = []

    def book(user_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                workshops.book(db.session.get(WorkshopSession, session_id), db.session.get(User, user_id))
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                db.session.rollback()
                errors.append(repr(error))

    at_once(*(partial(book, user_id) for user_id in learner_ids))
    assert errors == []
    db.session.expire_all()
    counted = dict(db.session.execute(select(Booking.status, func.count()).where(Booking.session_id == session_id)
                                      .group_by(Booking.status)).all())
    assert counted == {"confirmed": 10, "waitlisted": 40}
    assert db.session.get(WorkshopSession, session_id).confirmed_count == 10
