"""Messages around each session (issue 14): what each event writes to the notification outbox, in the event's
own transaction. One call per event from the services that make it happen (workshops, session_lifecycle, dpc);
this package imports none of them back.

Kinds: convocation (booked, with an .ics REQUEST), waitlisted, promoted (a seat came from the waitlist, .ics
REQUEST), booking_cancelled (the learner's own, .ics CANCEL), seat_freed (to people waiting for another session
of the same workshop), session_updated (.ics REQUEST with a new SEQUENCE), session_cancelled (.ics CANCEL),
reminder_<n> (n days before, from the `lti notify` pass; learners may turn them off), dpc_validated.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from models import Booking, Enrolment, SessionRevision, User, WorkshopSession, db, utcnow

from .outbox import enqueue, moodle_platform_ids

LEGAL = ("convocation", "promoted", "booking_cancelled", "session_updated", "session_cancelled", "dpc_validated")


def fingerprint(session: WorkshopSession) -> str:
    """What a learner was told: when, where, how, with whom."""
    told = [session.starts_at.isoformat(), session.ends_at.isoformat(), session.place or "", session.video_url or "",
            session.format, session.title or "", session.facilitators or []]
    return hashlib.sha256(json.dumps(told, sort_keys=True, default=str).encode()).hexdigest()


def revision(session: WorkshopSession) -> SessionRevision:
    found = db.session.get(SessionRevision, session.id)
    if found is None:
        found = SessionRevision(session_id=session.id, sequence=0, fingerprint=fingerprint(session),
                                updated_at=utcnow())
        db.session.add(found)
        db.session.flush()
    return found


def _bump(session: WorkshopSession) -> int:
    told = revision(session)
    told.sequence, told.fingerprint, told.updated_at = told.sequence + 1, fingerprint(session), utcnow()
    db.session.flush()
    return told.sequence


def _session_message(booking: Booking, kind: str, *, version: int | None = None, platforms=None) -> None:
    session = booking.session
    enqueue(db.session.get(User, booking.user_id), kind, f"session:{session.id}", pathway_id=session.step.pathway_id,
            session_id=session.id, version=version, moodle_platforms=platforms)


def booked(booking: Booking) -> None:
    """A booking made: the convocation (confirmed) or the waitlist place."""
    revision(booking.session)
    _session_message(booking, "convocation" if booking.status == Booking.CONFIRMED else "waitlisted")


def promoted(bookings: list[Booking]) -> None:
    platforms = moodle_platform_ids() if bookings else set()
    for booking in bookings:
        revision(booking.session)
        _session_message(booking, "promoted", platforms=platforms)


def booking_cancelled(booking: Booking, *, was_confirmed: bool, seat_freed: bool) -> None:
    """The learner cancelled: a confirmation (the .ics removes the event); a seat nobody on this session's
    waitlist could take is offered to the people waiting for another session of the same workshop."""
    session = booking.session
    _session_message(booking, "booking_cancelled")
    if not (was_confirmed and seat_freed):
        return
    waiting = list(db.session.scalars(
        select(Booking).join(WorkshopSession, WorkshopSession.id == Booking.session_id)
        .where(WorkshopSession.step_id == session.step_id, WorkshopSession.id != session.id,
               WorkshopSession.cancelled.is_(False), WorkshopSession.starts_at > utcnow(),
               Booking.status == Booking.WAITLISTED, Booking.user_id != booking.user_id)))
    platforms = moodle_platform_ids() if waiting else set()
    for other in waiting:
        enqueue(db.session.get(User, other.user_id), "seat_freed", f"session:{session.id}",
                pathway_id=session.step.pathway_id, session_id=session.id, moodle_platforms=platforms,
                payload={"waiting_session_id": other.session_id})


def session_changed(session: WorkshopSession) -> None:
    """After an edit: when what learners were told changed, every confirmed learner gets the update (a new
    calendar SEQUENCE); an edit of the capacity alone says nothing."""
    told = db.session.get(SessionRevision, session.id)
    if told is None or told.fingerprint == fingerprint(session):
        return  # nobody was told anything yet, or nothing they were told changed
    sequence = _bump(session)
    confirmed = list(db.session.scalars(select(Booking).where(Booking.session_id == session.id,
                                                              Booking.status == Booking.CONFIRMED)))
    platforms = moodle_platform_ids() if confirmed else set()
    for booking in confirmed:
        _session_message(booking, "session_updated", version=sequence, platforms=platforms)


def session_cancelled(session: WorkshopSession, bookings: list[Booking]) -> None:
    sequence = _bump(session)
    platforms = moodle_platform_ids() if bookings else set()
    for booking in bookings:
        _session_message(booking, "session_cancelled", version=sequence, platforms=platforms)


def dpc_validated(enrolment: Enrolment, validation) -> None:
    enqueue(db.session.get(User, enrolment.user_id), "dpc_validated", f"enrolment:{enrolment.id}",
            pathway_id=enrolment.pathway_id, payload={"certificate_number": validation.certificate_number})
