"""Attendance per half-day: append-only marks (who, when, how), self check-in with a short-lived code shown as
a QR code by the facilitator, and certification of the sheet when the half-day ends."""
from __future__ import annotations

import hashlib
import hmac
import logging
import time as clock
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import (
    AttendanceMark,
    AttendanceSignature,
    AttendanceStatus,
    Booking,
    CheckinAttempt,
    Enrolment,
    HalfDay,
    User,
    db,
    utcnow,
)

from ..domain_errors import Refused
from . import completion

log = logging.getLogger("lti_tool.attendance")
CODE_WINDOW_SECONDS = 60  # a code changes every minute and is accepted for two windows
LATE_AFTER = timedelta(minutes=15)
ATTENDED = (AttendanceMark.PRESENT, AttendanceMark.LATE)


def _code(secret: str, half_day_id: int, window: int) -> str:
    digest = hmac.new(secret.encode(), f"checkin:{half_day_id}:{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def current_code(secret: str, half_day_id: int, now: float | None = None) -> str:
    return _code(secret, half_day_id, int((now or clock.time()) // CODE_WINDOW_SECONDS))


def code_valid(secret: str, half_day_id: int, code: str, now: float | None = None) -> bool:
    window = int((now or clock.time()) // CODE_WINDOW_SECONDS)
    code = (code or "").strip()
    return any(hmac.compare_digest(_code(secret, half_day_id, w), code) for w in (window, window - 1))


def mark(half_day: HalfDay, user_id: int, status: str, *, method: str, by_user_id: int,
         reason: str = "") -> AttendanceMark:
    """Append a mark. Changing an existing mark needs a reason; a certified sheet takes no mark."""
    if status not in AttendanceMark.ALL:
        raise Refused("invalid_form", f"status {status!r}")
    if half_day.certified_at is not None:  # certified proof never changes; an administrator may reopen it
        raise Refused("sheet_certified")
    previous = latest_marks(half_day.id).get(user_id)
    if previous is not None and previous.status != status and not reason.strip():
        raise Refused("reason_required")
    entry = AttendanceMark(half_day_id=half_day.id, user_id=user_id, status=status, method=method,
                           recorded_by_user_id=by_user_id, reason=reason.strip(), recorded_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    current = db.session.get(AttendanceStatus, (half_day.id, user_id))
    if current is None:
        profession = db.session.scalar(select(Booking.profession).where(
            Booking.session_id == half_day.session_id, Booking.user_id == user_id)) or ""
        db.session.add(AttendanceStatus(half_day_id=half_day.id, user_id=user_id, session_id=half_day.session_id,
                                        profession=profession, status=status, mark_id=entry.id))
    else:
        current.status, current.mark_id = status, entry.id
    db.session.flush()
    sync_workshop_completion(half_day.session, user_id, by_user_id)
    return entry


def sync_workshop_completion(session, user_id: int, by_user_id: int) -> None:
    """The workshop step is done when the learner attended every half-day of a session of it."""
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == session.step.pathway_id,
                                                           Enrolment.user_id == user_id)).first()
    if enrolment is None:
        return
    attended_all = all(
        (m := latest_marks(half.id).get(user_id)) is not None and m.status in ATTENDED for half in session.half_days)
    done = completion.completions(enrolment).get(session.step_id)
    if attended_all and done is None:
        completion.record_completion(enrolment, session.step, source="attendance", by_user_id=by_user_id)
    elif not attended_all and done is not None and done.source == "attendance":
        completion.withdraw_completion(enrolment, session.step)


CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


MAX_WRONG_CODES = 5  # wrong codes in a row before a lockout (a typo or two is normal, 10^6 codes are not)
LOCKOUT = timedelta(minutes=10)


class CheckinLocked(Refused):
    """Too many wrong codes: a 429 the check-in page explains, with the time the learner may try again."""

    status = 429
    messages = {"checkin_locked": _l("Too many wrong check-in codes: wait a few minutes, or ask the facilitator.")}

    def __init__(self, until):
        super().__init__("checkin_locked", f"locked until {until.isoformat()}")
        self.until = until


class WrongCode(Refused):
    def __init__(self, tries_left: int):
        super().__init__("checkin_code_invalid", f"{tries_left} tries left", status=422)
        self.tries_left = tries_left


# One row per learner and half-day, in the database so the limit holds across gunicorn workers. A try is
# reserved by an UPDATE of that row, which holds it (PostgreSQL row lock, SQLite write lock) until the request
# ends: the same learner's submits are checked one after the other, so parallel guesses see every count, and a
# storm of right codes records one mark. The check-in view commits the counts even when it refuses.
_ATTEMPTS = CheckinAttempt.__table__


def _key(half_day_id: int, user_id: int):
    return (_ATTEMPTS.c.half_day_id == half_day_id) & (_ATTEMPTS.c.user_id == user_id)


def _take_a_try(half_day_id: int, user_id: int):
    """Reserve one try before the code is looked at. Returns None, or the end of the lockout."""
    now = utcnow()
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(_ATTEMPTS).values(half_day_id=half_day_id, user_id=user_id, failures=0,
                                                        streak=0, last_failure_at=now).on_conflict_do_nothing())
    db.session.execute(update(_ATTEMPTS).where(_key(half_day_id, user_id), _ATTEMPTS.c.locked_until <= now)
                       .values(locked_until=None, streak=0))  # a lockout over: a new series of tries
    taken = db.session.execute(
        update(_ATTEMPTS).where(_key(half_day_id, user_id), _ATTEMPTS.c.locked_until.is_(None),
                                _ATTEMPTS.c.streak < MAX_WRONG_CODES)
        .values(streak=_ATTEMPTS.c.streak + 1)).rowcount == 1
    if taken:
        return None
    until = db.session.scalar(select(_ATTEMPTS.c.locked_until).where(_key(half_day_id, user_id)))
    return until or now + LOCKOUT


def _count(half_day_id: int, user_id: int, *, right: bool) -> tuple[int, object]:
    """After the check: a right code ends the series; a wrong one counts, and the last allowed one locks."""
    if right:
        db.session.execute(update(_ATTEMPTS).where(_key(half_day_id, user_id)).values(streak=0))
        return 0, None
    now = utcnow()
    db.session.execute(update(_ATTEMPTS).where(_key(half_day_id, user_id))
                       .values(failures=_ATTEMPTS.c.failures + 1, last_failure_at=now))
    db.session.execute(update(_ATTEMPTS).where(_key(half_day_id, user_id), _ATTEMPTS.c.streak >= MAX_WRONG_CODES)
                       .values(locked_until=now + LOCKOUT))
    row = db.session.execute(select(_ATTEMPTS.c.streak, _ATTEMPTS.c.locked_until)
                             .where(_key(half_day_id, user_id))).one()
    return MAX_WRONG_CODES - row.streak, row.locked_until


def attempts_summary(half_day_id: int) -> dict:
    """For the facilitator's roster: wrong codes typed, and who is locked out now (name, until)."""
    rows = db.session.execute(select(CheckinAttempt, User.name).join(User, User.id == CheckinAttempt.user_id)
                              .where(CheckinAttempt.half_day_id == half_day_id, CheckinAttempt.failures > 0)
                              .order_by(User.name)).all()
    now = utcnow()
    return {"wrong_codes": sum(attempt.failures for attempt, _ in rows), "learners": len(rows),
            "locked": [(name, attempt.locked_until) for attempt, name in rows
                       if attempt.locked_until is not None and attempt.locked_until > now]}


def self_checkin(half_day: HalfDay, user: User, code: str, secret: str, now: float | None = None,
                 device: str = "") -> AttendanceMark:
    """Open from 30 minutes before the half-day to its end, until the sheet is certified; never over a mark
    the facilitator made. Wrong codes are limited per learner and half-day; a double submit (or a storm of
    them) records one mark and answers each submit with it. The check-in is also the learner's electronic
    signature of the half-day: its time, the code verified and the device (User-Agent) are kept as proof."""
    locked = _take_a_try(half_day.id, user.id)
    if locked is not None:  # even the right code: else the lockout would not stop guessing
        previous = latest_marks(half_day.id).get(user.id)
        if previous is not None and previous.method == "self_checkin":
            return previous  # one more click after the check-in: its answer is the check-in
        log.warning("check-in refused, locked out: user %s, half-day %s, until %s", user.id, half_day.id, locked)
        raise CheckinLocked(locked)
    right = code_valid(secret, half_day.id, code, now)
    tries_left, locked = _count(half_day.id, user.id, right=right)
    if locked is not None:
        log.warning("check-in locked after %s wrong codes: user %s, half-day %s", MAX_WRONG_CODES, user.id,
                    half_day.id)
        raise CheckinLocked(locked)
    if not right:
        log.info("wrong check-in code: user %s, half-day %s, %s tries left", user.id, half_day.id, tries_left)
        raise WrongCode(tries_left)
    moment = utcnow()
    opens = half_day.starts_at - CHECKIN_OPENS_BEFORE
    if half_day.certified_at is not None or not opens <= moment <= half_day.ends_at:
        raise Refused("checkin_closed")
    booking = db.session.scalars(select(Booking).where(Booking.session_id == half_day.session_id,
                                                       Booking.user_id == user.id,
                                                       Booking.status == Booking.CONFIRMED)).first()
    if booking is None:
        raise Refused("not_booked")
    # This learner's other submits for the half-day wait for this one (their attempts row is held): a storm of
    # them records one mark, each answered with it.
    previous = latest_marks(half_day.id).get(user.id)
    if previous is not None and previous.method != "self_checkin":
        raise Refused("already_marked")
    if previous is not None:
        return previous
    late = utcnow() > half_day.starts_at + LATE_AFTER
    entry = mark(half_day, user.id, AttendanceMark.LATE if late else AttendanceMark.PRESENT, method="self_checkin",
                 by_user_id=user.id)
    db.session.add(AttendanceSignature(half_day_id=half_day.id, user_id=user.id, role=AttendanceSignature.LEARNER,
                                       signer_name=user.name or "", method=AttendanceSignature.CHECKIN,
                                       code=code.strip()[:12], user_agent=(device or "")[:500], mark_id=entry.id,
                                       signed_at=entry.recorded_at))
    db.session.flush()
    return entry


def latest_marks(half_day_id: int) -> dict[int, AttendanceMark]:
    rows = db.session.scalars(select(AttendanceMark)
                              .join(AttendanceStatus, AttendanceStatus.mark_id == AttendanceMark.id)
                              .where(AttendanceStatus.half_day_id == half_day_id))
    return {row.user_id: row for row in rows}


def history(half_day_id: int) -> list[AttendanceMark]:
    return list(db.session.scalars(select(AttendanceMark).where(AttendanceMark.half_day_id == half_day_id)
                                   .order_by(AttendanceMark.id)))


def certify(half_day: HalfDay, by_user_id: int, now=None) -> HalfDay:
    """The facilitator certifies the sheet once the half-day is over (not before: people may still arrive)."""
    if (now or utcnow()) < half_day.ends_at:
        raise Refused("half_day_not_over")
    if half_day.certified_at is None:
        half_day.certified_at, half_day.certified_by_user_id = utcnow(), by_user_id
        db.session.flush()
    return half_day


def get_half_day(half_day_id: int, course_id: int) -> HalfDay:
    from ..domain_errors import NotFound

    half_day = db.session.get(HalfDay, half_day_id)
    if half_day is None or half_day.session.step.pathway.course_id != course_id:
        raise NotFound(detail=f"half-day {half_day_id} not in course {course_id}")
    return half_day


def qr_svg(url: str) -> str:
    """The check-in URL (with the current code) as an inline SVG QR code."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=5, dark="#1b1f24", light="#ffffff")


def confirmed_people(session_id: int) -> list:
    """Who the roster and the sheet list: the confirmed registrations of the session, by family name."""
    return db.session.execute(
        select(User.id, User.name, Booking.profession).join(Booking, Booking.user_id == User.id)
        .where(Booking.session_id == session_id, Booking.status == Booking.CONFIRMED)
        .order_by(User.family_name, User.name)).all()

