"""Signatures of the attendance sheet (issue 14): a learner draws theirs for a half-day on their phone after
checking in (the check-in already is an electronic signature: see attendance.self_checkin), the facilitators
sign the sheet, before or while certifying it. Append-only: the latest per person and half-day is shown."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import AttendanceSignature, Booking, HalfDay, User, db, utcnow

from ..domain_errors import Refused
from . import attendance

log = logging.getLogger("lti_tool.signatures")
PNG_PREFIX = "data:image/png;base64,"
MAX_PNG_BYTES = 150_000  # a phone's drawn signature is 5 to 40 kB
MAX_DATA_URL = len(PNG_PREFIX) + (MAX_PNG_BYTES * 4) // 3 + 4
MAX_SIDE = 2400  # pixels: a canvas at 3x device pixel ratio is ~1200 wide


class SignatureRefused(Refused):
    messages = {
        **Refused.messages,
        "signature_missing": _l("Draw your signature in the box before saving it."),
        "signature_too_large": _l("This signature image is too large."),
        "signature_not_png": _l("This signature is not a valid PNG image."),
        "signature_needs_checkin": _l("Check in to the half-day first: then you can sign it."),
        "facilitator_unknown": _l("Choose one of the session's facilitators."),
    }


def png_from_data_url(data_url: str) -> bytes:
    """The PNG bytes of a `data:image/png;base64,…` URL, refused unless it is a real PNG of a sane size."""
    from PIL import Image, UnidentifiedImageError

    data_url = (data_url or "").strip()
    if not data_url:
        raise SignatureRefused("signature_missing", status=422)
    if len(data_url) > MAX_DATA_URL:
        raise SignatureRefused("signature_too_large", f"{len(data_url)} characters", status=413)
    if not data_url.startswith(PNG_PREFIX):
        raise SignatureRefused("signature_not_png", "not a PNG data URL", status=422)
    try:
        png = base64.b64decode(data_url[len(PNG_PREFIX):], validate=True)
    except (binascii.Error, ValueError) as error:
        raise SignatureRefused("signature_not_png", f"base64: {error}", status=422) from error
    if len(png) > MAX_PNG_BYTES:
        raise SignatureRefused("signature_too_large", f"{len(png)} bytes", status=413)
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise SignatureRefused("signature_not_png", f"format {image.format}", status=422)
            width, height = image.size
            image.verify()  # checks the chunks' CRCs: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise SignatureRefused("signature_not_png", f"{type(error).__name__}: {error}", status=422) from error
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise SignatureRefused("signature_too_large", f"{width}x{height} pixels", status=413)
    return png


def _open_sheet(half_day: HalfDay) -> None:
    if half_day.certified_at is not None:  # certified proof never changes
        raise SignatureRefused("sheet_certified")


def _drawn(half_day: HalfDay, user_id: int, role: str, png: bytes, device: str, **extra) -> AttendanceSignature:
    entry = AttendanceSignature(half_day_id=half_day.id, user_id=user_id, role=role, method=AttendanceSignature.DRAWN,
                                image=png, image_sha256=hashlib.sha256(png).hexdigest(),
                                user_agent=(device or "")[:500], signed_at=utcnow(), **extra)
    db.session.add(entry)
    db.session.flush()
    return entry


def sign_as_learner(half_day: HalfDay, user: User, data_url: str, device: str = "") -> AttendanceSignature:
    """A confirmed participant who checked in (or was marked present or late) signs their half-day."""
    _open_sheet(half_day)
    booked = db.session.scalar(select(Booking.id).where(Booking.session_id == half_day.session_id,
                                                        Booking.user_id == user.id,
                                                        Booking.status == Booking.CONFIRMED))
    if booked is None:
        raise SignatureRefused("not_booked", status=403)
    current = attendance.latest_marks(half_day.id).get(user.id)
    if current is None or current.status not in attendance.ATTENDED:
        raise SignatureRefused("signature_needs_checkin")
    png = png_from_data_url(data_url)
    entry = _drawn(half_day, user.id, AttendanceSignature.LEARNER, png, device, signer_name=user.name or "",
                   mark_id=current.id)
    log.info("learner %s signed half-day %s (%s bytes)", user.id, half_day.id, len(png))
    return entry


def facilitator_names(half_day: HalfDay, signer: User) -> list[str]:
    """The facilitators' boxes of the sheet: the session's facilitators, or the signer when it names none."""
    names = [(f.get("name") or "").strip() for f in half_day.session.facilitators or []]
    return names or [signer.name or ""]


def sign_as_facilitator(half_day: HalfDay, signer: User, slot: int | None, data_url: str, device: str = "", *,
                        certify: bool = False) -> AttendanceSignature:
    """The instructor signs one facilitator's box; with `certify`, the sheet is certified in the same
    transaction (the one signature a sheet takes as it becomes certified)."""
    _open_sheet(half_day)
    names = facilitator_names(half_day, signer)
    if slot is None or not 0 <= slot < len(names):
        raise SignatureRefused("facilitator_unknown", f"slot {slot!r}", status=422)
    png = png_from_data_url(data_url)
    if certify and utcnow() < half_day.ends_at:
        raise SignatureRefused("half_day_not_over")
    entry = _drawn(half_day, signer.id, AttendanceSignature.FACILITATOR, png, device, facilitator_slot=slot,
                   signer_name=names[slot])
    if certify:
        attendance.certify(half_day, signer.id)
    log.info("facilitator box %s of half-day %s signed by user %s%s", slot, half_day.id, signer.id,
             " and certified" if certify else "")
    return entry


@dataclass
class SheetSignatures:
    """What the sheet shows: per learner the latest drawn signature and the latest check-in signature; per
    facilitator box the latest drawn signature."""

    drawn: dict[int, AttendanceSignature] = field(default_factory=dict)
    checkin: dict[int, AttendanceSignature] = field(default_factory=dict)
    facilitators: dict[int, AttendanceSignature] = field(default_factory=dict)


def for_sheet(half_day_id: int) -> SheetSignatures:
    found = SheetSignatures()
    for entry in db.session.scalars(select(AttendanceSignature).where(AttendanceSignature.half_day_id == half_day_id)
                                    .order_by(AttendanceSignature.id)):  # later ones replace earlier ones
        if entry.role == AttendanceSignature.FACILITATOR:
            found.facilitators[entry.facilitator_slot or 0] = entry
        elif entry.method == AttendanceSignature.DRAWN:
            found.drawn[entry.user_id] = entry
        else:
            found.checkin[entry.user_id] = entry
    return found


def data_url(entry: AttendanceSignature | None) -> str:
    """A stored drawing as a data URL, to show it back on a page (the CSP allows data: images)."""
    if entry is None or not entry.image:
        return ""
    return PNG_PREFIX + base64.b64encode(entry.image).decode()
