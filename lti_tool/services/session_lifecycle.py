"""What happens to a workshop session after it is scheduled: edited (never in a way that breaks its bookings),
cancelled (bookings cancelled, learners told), duplicated; and the one audited path to correct a certified
attendance sheet (an administrator reopens it with a reason)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import (AttendanceStatus, Booking, BookingNotice, DpcValidation, Enrolment, HalfDay, SheetReopening,
                    WorkshopSession, db, utcnow)

from ..domain_errors import Refused
from . import completion, notifications, workshops

PARIS = ZoneInfo("Europe/Paris")


def _confirmed_by_profession(session: WorkshopSession) -> dict[str, int]:
    return dict(db.session.execute(select(Booking.profession, func.count()).where(
        Booking.session_id == session.id, Booking.status == Booking.CONFIRMED).group_by(Booking.profession)).all())


def update_session(session: WorkshopSession, data: dict, now: datetime | None = None) -> WorkshopSession:
    """`data` is validated by SessionSchema, as at creation. Refused: a cancelled session; new dates once it has
    started; fewer seats (or a smaller quota) than people already confirmed; excluding a booked profession."""
    now = now or utcnow()
    if session.cancelled:
        raise Refused("session_cancelled")
    started = workshops.has_started(session, now)
    db.session.refresh(session, ["confirmed_count"])  # kept by conditional UPDATEs, not by the ORM
    if started and (data["starts_at"] != session.starts_at or data["ends_at"] != session.ends_at):
        raise Refused("session_started_dates")
    if data["capacity"] < session.confirmed_count:
        raise Refused("capacity_below_confirmed", f"{data['capacity']} < {session.confirmed_count}")
    confirmed = _confirmed_by_profession(session)
    for profession, quota in (data.get("quotas") or {}).items():
        if quota < confirmed.get(profession, 0):
            raise Refused("quota_below_confirmed", f"{profession}: {quota} < {confirmed[profession]}")
    targets = data.get("target_professions") or []
    if targets and any(count and profession not in targets for profession, count in confirmed.items()):
        raise Refused("target_excludes_booked")
    workshops.save_session(session.step, data, session)
    notifications.session_changed(session)  # learners told of new times, place or facilitators
    workshops.promote_waitlist(session)  # more seats: the waitlist moves up
    return session


def cancel_session(session: WorkshopSession, now: datetime | None = None) -> list[Booking]:
    """Not once started nor with a certified sheet (that is what happened). Every active booking is cancelled
    and its learner gets a notice; seats are freed; progress recomputed."""
    if session.cancelled:
        return []
    if workshops.has_started(session, now) or any(half.certified_at for half in session.half_days):
        raise Refused("session_started")
    cancelled = list(db.session.scalars(select(Booking).where(Booking.session_id == session.id,
                                                              Booking.status.in_(workshops.ACTIVE))))
    for booking in cancelled:
        booking.status, booking.updated_at = Booking.CANCELLED, utcnow()
        db.session.add(BookingNotice(booking_id=booking.id, user_id=booking.user_id, session_id=session.id,
                                     kind=BookingNotice.SESSION_CANCELLED))
    session.cancelled, session.cancelled_at, session.confirmed_count = True, utcnow(), 0
    db.session.flush()
    workshops.recompute_learners(session, [b.user_id for b in cancelled])
    notifications.session_cancelled(session, cancelled)
    return cancelled


def form_values(session: WorkshopSession, shift: timedelta = timedelta(0)) -> dict:
    """The session as the scheduling form shows it (Paris wall-clock times), dates moved by `shift` for a copy."""
    def local(moment):
        return (moment + shift).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") if moment else ""

    values = {"format": session.format, "title": session.title, "starts_at": local(session.starts_at),
              "ends_at": local(session.ends_at), "registration_deadline": local(session.registration_deadline),
              "capacity": session.capacity, "place": session.place, "video_url": session.video_url,
              "target_professions": list(session.target_professions or [])}
    for code, number in (session.quotas or {}).items():  # the form's number field per profession
        values[f"quota_{code}"] = number
    for index, facilitator in enumerate(session.facilitators or [], start=1):
        values[f"facilitator_name_{index}"] = facilitator.get("name", "")
        values[f"facilitator_profession_{index}"] = facilitator.get("profession", "")
    return values


def duplicate_values(session: WorkshopSession) -> dict:
    """A copy one week later (the usual rhythm of a repeated workshop), to be checked in the form."""
    return form_values(session, timedelta(days=7))


def reopen_sheet(half_day: HalfDay, *, by_user_id: int, reason: str, is_administrator: bool) -> SheetReopening:
    """A certified sheet never changes; to correct it an administrator reopens it with a reason. The previous
    certification is recorded, marks stay append-only (each correction has its reason), and the facilitator
    certifies again. Refused while a participant's DPC participation rests on it: withdraw that first."""
    if not is_administrator:
        raise Refused("administrator_only", status=403)
    if half_day.certified_at is None:
        raise Refused("sheet_not_certified")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("reason_required")
    pathway_id = half_day.session.step.pathway_id
    validated = db.session.scalar(select(func.count()).select_from(DpcValidation)
                                  .join(Enrolment, Enrolment.id == DpcValidation.enrolment_id)
                                  .join(AttendanceStatus, AttendanceStatus.user_id == Enrolment.user_id)
                                  .where(AttendanceStatus.half_day_id == half_day.id,
                                         Enrolment.pathway_id == pathway_id,
                                         DpcValidation.state == DpcValidation.GRANTED))
    if validated:
        raise Refused("dpc_validated_on_sheet")
    record = SheetReopening(half_day_id=half_day.id, reason=reason, reopened_by_user_id=by_user_id,
                            reopened_at=utcnow(), previously_certified_at=half_day.certified_at,
                            previously_certified_by_user_id=half_day.certified_by_user_id)
    db.session.add(record)
    half_day.certified_at, half_day.certified_by_user_id = None, None
    db.session.flush()
    return record


def refuse_if_certified_completion(enrolment: Enrolment, step) -> None:
    """A workshop step done through attendance on certified sheets is proof: an instructor neither withdraws nor
    overwrites it by hand; the sheet is what gets corrected (reopened by an administrator)."""
    done = completion.completions(enrolment).get(step.id)
    if done is None or done.source != "attendance":
        return
    certified = db.session.scalar(select(func.count()).select_from(AttendanceStatus)
                                  .join(HalfDay, HalfDay.id == AttendanceStatus.half_day_id)
                                  .join(WorkshopSession, WorkshopSession.id == HalfDay.session_id)
                                  .where(WorkshopSession.step_id == step.id,
                                         AttendanceStatus.user_id == enrolment.user_id,
                                         HalfDay.certified_at.is_not(None)))
    if certified:
        raise Refused("completion_certified")


def reopenings(half_day_id: int) -> list[SheetReopening]:
    return list(db.session.scalars(select(SheetReopening).where(SheetReopening.half_day_id == half_day_id)
                                   .order_by(SheetReopening.id)))
