"""Workshop sessions: scheduling in half-days (Europe/Paris), bookings that never oversell, a waitlist promoted
on cancellation, per-profession quotas, the facilitator pair check and iCal files."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from models import (Booking, BookingNotice, Enrolment, HalfDay, LearnerProfile, Pathway, Step, StepCompletion,
                    User, WorkshopSession, db, utcnow)

from ..domain_errors import NotFound, Refused
from . import completion, notifications, professions

PARIS = ZoneInfo("Europe/Paris")
NOON = time(12, 0)
ACTIVE = (Booking.CONFIRMED, Booking.WAITLISTED)


def half_days_between(starts_at: datetime, ends_at: datetime) -> list[tuple[date, str, datetime, datetime]]:
    """Split [start, end) in Paris half-days: morning before noon, afternoon from noon."""
    start, end = starts_at.astimezone(PARIS), ends_at.astimezone(PARIS)
    parts = []
    day = start.date()
    while day <= end.date():
        noon = datetime.combine(day, NOON, tzinfo=PARIS)
        midnight = datetime.combine(day, time(0), tzinfo=PARIS)
        next_midnight = midnight + timedelta(days=1)
        for period, lower, upper in (("am", midnight, noon), ("pm", noon, next_midnight)):
            lo, hi = max(start, lower), min(end, upper)
            if lo < hi:
                parts.append((day, period, lo, hi))
        day += timedelta(days=1)
    return parts


def save_session(step: Step, data: dict, session: WorkshopSession | None = None) -> WorkshopSession:
    if session is None:
        session = WorkshopSession(step_id=step.id, confirmed_count=0)
        db.session.add(session)
    for key in ("format", "title", "starts_at", "ends_at", "place", "video_url", "capacity",
                "registration_deadline", "target_professions", "quotas", "facilitators"):
        if key in data:
            setattr(session, key, data[key])
    session.target_professions = session.target_professions or None
    session.quotas = session.quotas or None
    db.session.flush()
    existing = {(h.day, h.period): h for h in session.half_days}
    wanted = half_days_between(session.starts_at, session.ends_at)
    for day, period, lo, hi in wanted:
        half = existing.pop((day, period), None)
        if half is None:
            session.half_days.append(HalfDay(day=day, period=period, starts_at=lo, ends_at=hi))
        else:
            half.starts_at, half.ends_at = lo, hi
    for stale in existing.values():
        if stale.certified_at is None:
            session.half_days.remove(stale)
    db.session.flush()
    return session


def pair_warning(session: WorkshopSession) -> bool:
    return not professions.is_interprofessional_pair([f.get("profession", "") for f in session.facilitators or []])


def sessions_for_step(step_id: int) -> list[WorkshopSession]:
    return list(db.session.scalars(select(WorkshopSession).where(WorkshopSession.step_id == step_id)
                                   .order_by(WorkshopSession.starts_at)))


# A learner's pathway page: the sessions of its steps, each with the learner's booking if any.
SESSIONS_WITH_BOOKING = (
    select(WorkshopSession, Booking)
    .outerjoin(Booking, (Booking.session_id == WorkshopSession.id) & (Booking.user_id == bindparam("user_id")))
    .where(WorkshopSession.step_id.in_(bindparam("step_ids", expanding=True)))
    .order_by(WorkshopSession.starts_at, WorkshopSession.id))


def learner_sessions(step_ids: list[int], user_id: int, now: datetime | None = None):
    """For a learner's pathway page, in one query: per step the sessions still to come or booked, and the
    learner's bookings by session."""
    now = now or utcnow()
    if not step_ids:
        return {}, {}
    sessions: dict[int, list[WorkshopSession]] = {step_id: [] for step_id in step_ids}
    bookings: dict[int, Booking] = {}
    for session, booking in db.session.execute(SESSIONS_WITH_BOOKING, {"user_id": user_id, "step_ids": step_ids}):
        if booking is not None:
            bookings[session.id] = booking
        if session.ends_at > now or booking is not None:
            sessions[session.step_id].append(session)
    return sessions, bookings


def booking_of(session_id: int, user_id: int) -> Booking | None:
    return db.session.scalars(select(Booking).where(Booking.session_id == session_id,
                                                    Booking.user_id == user_id)).first()


def _profession_of(user: User) -> str:
    profile = db.session.get(LearnerProfile, user.id)
    return profile.profession if profile else ""


def _take_seat(session: WorkshopSession, profession: str) -> bool:
    """Atomically take a seat: a conditional UPDATE holds the session row (PostgreSQL row lock, SQLite write
    lock) until the transaction ends, so concurrent bookings are serialised and never oversell."""
    taken = db.session.execute(
        update(WorkshopSession).where(WorkshopSession.id == session.id,
                                      WorkshopSession.confirmed_count < WorkshopSession.capacity)
        .values(confirmed_count=WorkshopSession.confirmed_count + 1)
        .execution_options(synchronize_session=False)).rowcount == 1
    if taken and session.quotas and profession in session.quotas:
        confirmed_here = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.session_id == session.id, Booking.status == Booking.CONFIRMED, Booking.profession == profession))
        if confirmed_here >= session.quotas[profession]:
            _release_seat(session)
            taken = False
    return taken


def _release_seat(session: WorkshopSession) -> None:
    db.session.execute(update(WorkshopSession).where(WorkshopSession.id == session.id)
                       .values(confirmed_count=WorkshopSession.confirmed_count - 1)
                       .execution_options(synchronize_session=False))


def has_started(session: WorkshopSession, now: datetime | None = None) -> bool:
    """From its start a session is what happened: its bookings are the roster of the attendance sheets."""
    return (now or utcnow()) >= session.starts_at


def _step_done(step: Step, user_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(StepCompletion).join(
        Enrolment, Enrolment.id == StepCompletion.enrolment_id).where(
        Enrolment.pathway_id == step.pathway_id, Enrolment.user_id == user_id,
        StepCompletion.step_id == step.id)) > 0


def _hold_step(session: WorkshopSession, user: User, now: datetime) -> None:
    """One active booking per learner and workshop step; a booking of a past session that the learner did not
    complete is released (kept as it is, with its attendance) so that they can book a later session."""
    if _step_done(session.step, user.id):
        raise Refused("step_already_done")
    for other in db.session.scalars(select(Booking).where(
            Booking.step_id == session.step_id, Booking.user_id == user.id, Booking.session_id != session.id,
            Booking.status.in_(ACTIVE), Booking.released.is_(False))):
        if other.session.ends_at > now:
            raise Refused("already_booked_in_step")
        other.released = True
    db.session.flush()


def book(session: WorkshopSession, user: User, now: datetime | None = None) -> Booking:
    """Confirmed if a seat (and the profession's quota) allows, else waitlisted. Idempotent per person."""
    now = now or utcnow()
    if session.cancelled:
        raise Refused("session_cancelled")
    if not session.step.pathway.published:
        raise Refused("pathway_closed")
    deadline = session.registration_deadline or session.starts_at
    if now >= min(deadline, session.starts_at):
        raise Refused("session_past")
    profession = _profession_of(user)
    if session.target_professions and profession not in session.target_professions:
        raise Refused("not_bookable")
    booking = booking_of(session.id, user.id)
    if booking is not None and booking.status != Booking.CANCELLED:
        return booking
    _hold_step(session, user, now)
    if booking is None:
        try:
            with db.session.begin_nested():  # a concurrent first booking by the same person wins, not a 500
                booking = Booking(session_id=session.id, step_id=session.step_id, user_id=user.id,
                                  profession=profession, status=Booking.CANCELLED)
                db.session.add(booking)
        except IntegrityError:
            booking = booking_of(session.id, user.id)
    # Claim the (cancelled) booking first, then the seat: two concurrent clicks take one seat at most. The
    # partial unique index refuses a second active booking in the step made at the same moment.
    try:
        with db.session.begin_nested():
            claimed = db.session.execute(
                update(Booking).where(Booking.id == booking.id, Booking.status == Booking.CANCELLED)
                .values(status=Booking.WAITLISTED, profession=profession, released=False, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
    except IntegrityError as error:
        raise Refused("already_booked_in_step", "concurrent booking in the step") from error
    if claimed != 1:
        db.session.refresh(booking)
        return booking
    if _take_seat(session, profession):
        db.session.execute(update(Booking).where(Booking.id == booking.id).values(status=Booking.CONFIRMED)
                           .execution_options(synchronize_session=False))
    db.session.refresh(booking)
    recompute_learners(session, [user.id])
    notifications.booked(booking)  # the convocation (or the waitlist place), in this transaction
    return booking


def cancel(session: WorkshopSession, user: User, now: datetime | None = None) -> Booking | None:
    """Cancel before the session starts; a freed seat goes to the first person on the waitlist whom the quotas
    allow (they are told on their pathway page)."""
    booking = booking_of(session.id, user.id)
    if booking is None or booking.status == Booking.CANCELLED:
        raise Refused("not_booked")
    if has_started(session, now) or any(half.certified_at for half in session.half_days):
        raise Refused("booking_locked")
    if not session.step.pathway.published:
        raise Refused("pathway_closed")
    # Conditional: of two concurrent cancellations (a double click), only one frees the seat.
    changed = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == booking.status)
        .values(status=Booking.CANCELLED, updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Refused("not_booked", "cancelled concurrently")
    was_confirmed = booking.status == Booking.CONFIRMED
    db.session.refresh(booking)
    if was_confirmed:
        _release_seat(session)
    promoted = promote_waitlist(session)
    recompute_learners(session, [user.id])
    notifications.booking_cancelled(booking, was_confirmed=was_confirmed, seat_freed=not promoted)
    return promoted[0] if promoted else None


def promote_waitlist(session: WorkshopSession) -> list[Booking]:
    """Fill free seats from the waitlist, in order, as quotas allow; each promotion is recorded as a notice.
    Never once the session has started: its bookings are then the roster."""
    promoted: list[Booking] = []
    if session.cancelled or has_started(session):
        return promoted
    waiting = list(db.session.scalars(select(Booking).where(Booking.session_id == session.id,
                                                            Booking.status == Booking.WAITLISTED)
                                      .order_by(Booking.created_at, Booking.id)))
    for candidate in waiting:
        if _take_seat(session, candidate.profession):
            candidate.status, candidate.updated_at = Booking.CONFIRMED, utcnow()
            db.session.add(BookingNotice(booking_id=candidate.id, user_id=candidate.user_id, session_id=session.id,
                                         kind=BookingNotice.PROMOTED))
            promoted.append(candidate)
    db.session.flush()
    recompute_learners(session, [b.user_id for b in promoted])
    notifications.promoted(promoted)
    return promoted


def recompute_learners(session: WorkshopSession, user_ids: list[int]) -> None:
    """What a learner has done changed: progress and grade through the completion service."""
    if not user_ids:
        return
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == session.step.pathway_id,
                                                                Enrolment.user_id.in_(user_ids))):
        completion.recompute(enrolment)


def take_notices(user_id: int, pathway_id: int) -> list[BookingNotice]:
    """The learner's unseen notices for this pathway, marked seen as they are shown."""
    found = list(db.session.scalars(select(BookingNotice).join(WorkshopSession, WorkshopSession.id ==
                                                               BookingNotice.session_id)
                                    .join(Step, Step.id == WorkshopSession.step_id)
                                    .where(BookingNotice.user_id == user_id, BookingNotice.seen_at.is_(None),
                                           Step.pathway_id == pathway_id).order_by(BookingNotice.id)))
    for notice in found:
        notice.seen_at = utcnow()
    db.session.flush()
    return found


def counts(session_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Booking.status, func.count()).where(Booking.session_id == session_id)
                              .group_by(Booking.status))
    return dict(rows.all())


def ical(sessions: list[WorkshopSession], *, url_for_session, calendar_name: str) -> bytes:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Parcours hybrides CPTS//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    for session in sessions:
        event = Event()
        event.add("uid", f"session-{session.id}@parcours-hybrides")
        event.add("summary", session.title or session.step.title)
        event.add("dtstart", session.starts_at.astimezone(PARIS))
        event.add("dtend", session.ends_at.astimezone(PARIS))
        event.add("dtstamp", utcnow())
        if session.place:
            event.add("location", session.place)
        description = session.step.description or ""
        if session.video_url:
            description = (description + "\n" + session.video_url).strip()
        event.add("description", description)
        event.add("url", url_for_session(session))
        if session.cancelled:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE of Europe/Paris, which TZID=Europe/Paris names
    return calendar.to_ical()


def feed_token(keys: str | tuple[str, ...], user_id: int) -> str:
    """A calendar feed is fetched by calendar apps, without the session: its URL carries a signed token (signed
    with the last key; the others, SECRET_KEY_FALLBACKS, still open the URLs calendars already subscribed to)."""
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(list(keys) if isinstance(keys, tuple) else keys, salt="calendar-feed").dumps(user_id)


def user_from_feed_token(keys: str | tuple[str, ...], token: str) -> int | None:
    from itsdangerous import BadSignature, URLSafeSerializer

    try:
        return int(URLSafeSerializer(list(keys) if isinstance(keys, tuple) else keys, salt="calendar-feed")
                   .loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def sessions_booked_by(user_id: int) -> list[WorkshopSession]:
    return list(db.session.scalars(select(WorkshopSession).join(Booking, Booking.session_id == WorkshopSession.id)
                                   .where(Booking.user_id == user_id, Booking.status == Booking.CONFIRMED)
                                   .order_by(WorkshopSession.starts_at)))


def registrations(session_id: int) -> list:
    """Everyone registered to the session (any status), for the session page: by status, then arrival."""
    return db.session.execute(
        select(User.name, User.email, Booking.profession, Booking.status, Booking.created_at)
        .join(User, User.id == Booking.user_id).where(Booking.session_id == session_id)
        .order_by(Booking.status, Booking.created_at)).all()


def get_session(session_id: int, course_id: int) -> WorkshopSession:
    """A session, only within the caller's course (tenant isolation): one joined query."""
    session = db.session.scalars(
        select(WorkshopSession).join(Step, Step.id == WorkshopSession.step_id)
        .join(Pathway, Pathway.id == Step.pathway_id)
        .where(WorkshopSession.id == session_id, Pathway.course_id == course_id)).first()
    if session is None:
        raise NotFound(detail=f"session {session_id} not in course {course_id}")
    return session

