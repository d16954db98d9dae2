"""Integrity rules of bookings, sessions, certified sheets and pathways, on the services (no HTTP)."""
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lti_tool.errors import Refused
from lti_tool.services import attendance, completion, pathway_lifecycle, pathways, session_lifecycle, workshops
from models import (Booking, BookingNotice, DpcValidation, Pathway, SheetReopening, StepKind, User,
                    WorkshopSession, db)
from tests.fixtures.concurrency import at_once


def workshop_step(make_pathway):
    return make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier ACR"}]).steps[0]


def refused(code, call, *args, **kwargs):
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


def booked_past_session(make_pathway, make_user, make_session):
    """A learner booked (a week before) a session that took place yesterday."""
    step = workshop_step(make_pathway)
    session = make_session(step, starts_in=timedelta(days=-1))
    learner = make_user()
    workshops.book(session, learner, now=session.starts_at - timedelta(days=7))
    return step, session, learner


def test_a_booking_cannot_be_cancelled_once_the_session_has_started(make_pathway, make_user, make_session):
    _, session, learner = booked_past_session(make_pathway, make_user, make_session)
    refused("booking_locked", workshops.cancel, session, learner)
    assert workshops.booking_of(session.id, learner.id).status == Booking.CONFIRMED
    # nor an hour after its start, with the registration deadline set later by mistake
    future = make_session(session.step, starts_in=timedelta(days=3))
    other = make_user()
    workshops.book(future, other)
    refused("booking_locked", workshops.cancel, future, other, now=future.starts_at + timedelta(hours=1))


def test_one_active_booking_per_workshop_step(make_pathway, make_user, make_session):
    step = workshop_step(make_pathway)
    first, second = make_session(step), make_session(step, starts_in=timedelta(days=14))
    learner = make_user()
    workshops.book(first, learner)
    refused("already_booked_in_step", workshops.book, second, learner)
    workshops.cancel(first, learner)
    assert workshops.book(second, learner).status == Booking.CONFIRMED
    # and re-booking the first one is now the one refused
    refused("already_booked_in_step", workshops.book, first, learner)


def test_the_database_holds_one_active_booking_per_step(make_pathway, make_user, make_session):
    step = workshop_step(make_pathway)
    first, second = make_session(step), make_session(step, starts_in=timedelta(days=14))
    learner = make_user()
    db.session.add(Booking(session_id=first.id, user_id=learner.id, status=Booking.CONFIRMED))
    db.session.flush()
    assert db.session.scalars(select(Booking)).one().step_id == step.id  # filled from the session
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Booking(session_id=second.id, user_id=learner.id, status=Booking.WAITLISTED))
            db.session.flush()
    # a cancelled booking is not active: the index lets it be
    db.session.add(Booking(session_id=second.id, user_id=learner.id, status=Booking.CANCELLED))
    db.session.flush()


def test_no_booking_after_completing_the_workshop(make_pathway, make_user, make_session):
    step = workshop_step(make_pathway)
    session = make_session(step)
    learner = make_user()
    enrolment = pathways.enrol(step.pathway, learner)
    completion.record_completion(enrolment, step, source="instructor", reason="attesté ailleurs")
    refused("step_already_done", workshops.book, session, learner)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_no_show_can_book_a_later_session_and_the_past_booking_stays(make_pathway, make_user, make_session):
    step, past, learner = booked_past_session(make_pathway, make_user, make_session)
    later = make_session(step, starts_in=timedelta(days=5))
    assert workshops.book(later, learner).status == Booking.CONFIRMED
    kept = workshops.booking_of(past.id, learner.id)
    assert kept.status == Booking.CONFIRMED and kept.released is True


def test_two_sessions_of_one_step_booked_at_once_give_one_booking(app, make_pathway, make_user, make_session):
    step = workshop_step(make_pathway)
    session_ids = [make_session(step).id, make_session(step, starts_in=timedelta(days=14)).id]
    learner_id = make_user().id
    db.session.commit()
    outcomes = []

    def book(session_id):
        with app.app_context():
            try:
                workshops.book(db.session.get(WorkshopSession, session_id), db.session.get(User, learner_id))
                db.session.commit()
                outcomes.append("booked")
            except Refused as error:
                db.session.rollback()
                outcomes.append(error.code)

    at_once(*(partial(book, session_id) for session_id in session_ids))
    assert sorted(outcomes) == ["already_booked_in_step", "booked"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status.in_(workshops.ACTIVE))) == 1


def test_promotion_is_recorded_and_shown_once(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=1)
    first, second = make_user(), make_user()
    workshops.book(session, first)
    workshops.book(session, second)
    assert workshops.cancel(session, first).user_id == second.id
    notice = db.session.scalars(select(BookingNotice)).one()
    assert (notice.user_id, notice.kind, notice.seen_at, notice.mailed_at) == (second.id, "promoted", None, None)
    assert [n.id for n in workshops.take_notices(second.id, session.step.pathway_id)] == [notice.id]
    assert workshops.take_notices(second.id, session.step.pathway_id) == []


def test_session_edits_that_would_break_bookings_are_refused(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=2)
    people = [make_user() for _ in range(3)]
    for person in people:
        workshops.book(session, person)
    values = {"format": "workshop", "title": "Session", "starts_at": session.starts_at, "ends_at": session.ends_at,
              "capacity": 1, "place": "Ailleurs", "facilitators": []}
    refused("capacity_below_confirmed", session_lifecycle.update_session, session, values)
    refused("quota_below_confirmed", session_lifecycle.update_session, session,
            dict(values, capacity=2, quotas={"infirmier": 1}))
    refused("target_excludes_booked", session_lifecycle.update_session, session,
            dict(values, capacity=2, target_professions=["medecin"]))
    refused("session_started_dates", session_lifecycle.update_session, session,
            dict(values, capacity=2, starts_at=session.starts_at + timedelta(hours=1)),
            now=session.starts_at + timedelta(minutes=5))
    session_lifecycle.update_session(session, dict(values, capacity=3))  # one more seat: the waitlist moves up
    assert session.place == "Ailleurs" and workshops.counts(session.id) == {"confirmed": 3}
    assert db.session.scalars(select(BookingNotice.user_id)).all() == [people[2].id]


def test_cancelling_a_session_cancels_its_bookings_and_tells_the_learners(make_pathway, make_user, make_session):
    session = make_session(workshop_step(make_pathway), capacity=1)
    first, second = make_user(), make_user()
    workshops.book(session, first)
    workshops.book(session, second)
    refused("session_started", session_lifecycle.cancel_session, session, now=session.starts_at)
    session_lifecycle.cancel_session(session)
    assert workshops.counts(session.id) == {"cancelled": 2} and session.confirmed_count == 0
    assert sorted(db.session.scalars(select(BookingNotice.kind)).all()) == ["session_cancelled"] * 2
    refused("session_cancelled", workshops.book, session, make_user())


def test_duplicate_values_are_a_week_later(make_pathway, make_session):
    session = make_session(workshop_step(make_pathway), quotas={"medecin": 2}, title="Simulation")
    values = session_lifecycle.duplicate_values(session)
    original = session_lifecycle.form_values(session)
    assert values["title"] == "Simulation" and values["quota_medecin"] == 2
    assert values["starts_at"] != original["starts_at"] and values["facilitator_name_1"] == "Dr A"


def certified_half_day(make_pathway, make_user, make_session):
    step, session, learner = booked_past_session(make_pathway, make_user, make_session)
    half = session.half_days[0]
    attendance.mark(half, learner.id, "present", method="roster", by_user_id=learner.id)
    attendance.certify(half, learner.id)
    return half, learner


def test_a_certified_sheet_takes_no_mark_and_only_an_administrator_reopens_it(make_pathway, make_user, make_session):
    half, learner = certified_half_day(make_pathway, make_user, make_session)
    refused("sheet_certified", attendance.mark, half, learner.id, "absent", method="roster", by_user_id=learner.id,
            reason="erreur")
    refused("administrator_only", session_lifecycle.reopen_sheet, half, by_user_id=learner.id, reason="erreur",
            is_administrator=False)
    refused("reason_required", session_lifecycle.reopen_sheet, half, by_user_id=learner.id, reason="  ",
            is_administrator=True)
    certified_at = half.certified_at
    record = session_lifecycle.reopen_sheet(half, by_user_id=learner.id, reason="Absente notée présente",
                                            is_administrator=True)
    assert half.certified_at is None and record.previously_certified_at == certified_at
    attendance.mark(half, learner.id, "absent", method="roster", by_user_id=learner.id, reason="Absente")
    attendance.certify(half, learner.id)
    assert [m.status for m in attendance.history(half.id)] == ["present", "absent"]
    assert db.session.scalar(select(func.count()).select_from(SheetReopening)) == 1


def test_a_sheet_a_dpc_validation_rests_on_is_not_reopened(make_pathway, make_user, make_session):
    half, learner = certified_half_day(make_pathway, make_user, make_session)
    enrolment = pathways.enrol(half.session.step.pathway, learner)
    db.session.add(DpcValidation(enrolment_id=enrolment.id, state=DpcValidation.GRANTED, certificate_number="X-1"))
    db.session.flush()
    refused("dpc_validated_on_sheet", session_lifecycle.reopen_sheet, half, by_user_id=learner.id, reason="erreur",
            is_administrator=True)
    assert half.certified_at is not None


def test_pathway_lifecycle(tenant, make_pathway, make_user, make_session):
    draft = pathway_lifecycle.create_draft(tenant["course"], {"title": "Nouveau"})
    assert pathway_lifecycle.status(draft) == "draft"
    refused("pathway_without_steps", pathway_lifecycle.publish, draft)
    pathways.save_step(draft, {"kind": StepKind.MODULE, "title": "M"})
    assert pathway_lifecycle.status(pathway_lifecycle.publish(draft)) == "published"
    pathway_lifecycle.archive(draft)
    assert pathway_lifecycle.status(draft) == "archived" and draft not in pathways.list_pathways(
        tenant["course"].id, published_only=True)
    refused("pathway_archived", pathway_lifecycle.publish, draft)
    assert pathway_lifecycle.status(pathway_lifecycle.unarchive(draft)) == "draft"
    pathway_id = draft.id
    pathway_lifecycle.delete(draft)
    assert db.session.get(Pathway, pathway_id) is None
    # with learner activity: no deletion, no going back to draft
    step = workshop_step(make_pathway)
    workshops.book(make_session(step), make_user())
    refused("pathway_has_activity", pathway_lifecycle.delete, step.pathway)
    refused("pathway_has_activity", pathway_lifecycle.unpublish, step.pathway)
    pathway_lifecycle.archive(step.pathway)  # archived: no more booking, its bookings kept
    refused("pathway_closed", workshops.book, make_session(step), make_user())
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
