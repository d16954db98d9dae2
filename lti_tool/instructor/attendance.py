"""Half-days of a session: the roster (marks, rotating check-in code), certification, the printable sheet."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for

from models import utcnow

from .. import documents
from ..auth import current_launch, role_required
from ..downloads import attachment
from ..errors import NotFound, Refused, wants_json
from ..services import attendance, professions, signatures
from . import bp
from .common import INSTRUCTOR, launch_course


def _half_day(half_day_id: int):
    return attendance.get_half_day(half_day_id, launch_course().id)


def _roster(half_day):
    return attendance.confirmed_people(half_day.session_id), attendance.latest_marks(half_day.id)


@bp.get("/halfdays/<int:half_day_id>/roster")
@role_required(INSTRUCTOR)
def roster(half_day_id: int):
    return _render_roster(_half_day(half_day_id))


def _render_roster(half_day, mark_errors=None):
    people, marks = _roster(half_day)
    code = attendance.current_code(current_app.config["SECRET_KEY"], half_day.id)
    checkin_url = url_for("learner.checkin", half_day=half_day.id, code=code, _external=True)
    return render_template("instructor/roster.html", launch=current_launch(), half_day=half_day, people=people,
                           marks=marks, code=code, qr_svg=attendance.qr_svg(checkin_url), label=professions.label,
                           half_day_is_over=half_day.ends_at <= utcnow(), mark_errors=mark_errors or {},
                           checkin_attempts=attendance.attempts_summary(half_day.id))


@bp.post("/halfdays/<int:half_day_id>/marks")
@role_required(INSTRUCTOR)
def mark(half_day_id: int):
    half_day = _half_day(half_day_id)
    user_id = request.form.get("user_id", type=int)
    people, _ = _roster(half_day)
    if user_id not in {person.id for person in people}:
        raise NotFound(detail="not on this roster")
    try:
        attendance.mark(half_day, user_id, request.form.get("status", ""), method="roster",
                        by_user_id=current_launch().user.id, reason=request.form.get("reason", ""))
    except Refused as refused:
        if refused.code != "reason_required":
            raise
        # The roster again, the error on this person's reason field (the facilitator is mid-session).
        return _render_roster(half_day, mark_errors={user_id: refused.message}), 422
    return redirect(url_for("instructor.roster", half_day_id=half_day.id, _anchor=f"person-{user_id}"), code=303)


@bp.post("/halfdays/<int:half_day_id>/certify")
@role_required(INSTRUCTOR)
def certify(half_day_id: int):
    half_day = _half_day(half_day_id)
    attendance.certify(half_day, current_launch().user.id)
    return redirect(url_for("instructor.roster", half_day_id=half_day.id), code=303)


@bp.get("/halfdays/<int:half_day_id>/sheet")
@role_required(INSTRUCTOR)
def sheet(half_day_id: int):
    half_day = _half_day(half_day_id)
    people, marks = _roster(half_day)
    if request.args.get("format") == "pdf":
        pdf = documents.sheet_pdf(half_day, people, marks, label=professions.label,
                                  signatures=signatures.for_sheet(half_day.id))
        return attachment(pdf, f"emargement-{half_day.day.isoformat()}-{half_day.period}.pdf", "application/pdf")
    return _render_sheet(half_day, people, marks)


def _render_sheet(half_day, people, marks, refusal=None, slot=None):
    return render_template("instructor/sheet.html", launch=current_launch(), half_day=half_day, people=people,
                           marks=marks, history=attendance.history(half_day.id), label=professions.label,
                           signed=signatures.for_sheet(half_day.id), image=signatures.data_url,
                           facilitators=signatures.facilitator_names(half_day, current_launch().user),
                           half_day_is_over=half_day.ends_at <= utcnow(), refusal=refusal,
                           slot=slot), (refusal.status if refusal else 200)


@bp.post("/halfdays/<int:half_day_id>/signatures")
@role_required(INSTRUCTOR)
def sign(half_day_id: int):
    """A facilitator signs their box of the sheet; "sign and certify" certifies it in the same transaction."""
    half_day = _half_day(half_day_id)
    slot = request.form.get("slot", type=int)
    try:
        signatures.sign_as_facilitator(half_day, current_launch().user, slot, request.form.get("signature", ""),
                                       device=request.user_agent.string,
                                       certify=request.form.get("action") == "certify")
    except Refused as refused:  # the sheet again with the reason (nothing stored), never a dead end
        current_app.logger.warning("facilitator signature refused: half-day %s: %s (%s)", half_day.id,
                                   refused.code, refused.detail)
        if wants_json():
            return jsonify(error=refused.code, message=str(refused.message)), refused.status
        people, marks = _roster(half_day)
        return _render_sheet(half_day, people, marks, refusal=refused, slot=slot)
    return redirect(url_for("instructor.sheet", half_day_id=half_day.id, _anchor="facilitators"), code=303)
