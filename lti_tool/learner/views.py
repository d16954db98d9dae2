from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from marshmallow import ValidationError

from models import Role, StepKind, WorkshopSession, db

from ..auth import current_launch, role_required
from ..documents import certificate_file
from ..downloads import attachment
from ..errors import NotFound, Refused, wants_json
from ..forms import first_errors, form_data
from ..schemas.profile import ProfileSchema
from ..services import (attendance, completion, learner_pathway, moodle, pathways, professions, profiles,
                        questionnaires, signatures, workshops)
from ..signing import secret_keys
from . import bp


def _require_profile(launch):
    if launch.profile is None:
        raise Refused("profile_required")
    return launch.profile


@bp.get("/")
@role_required(Role.LEARNER)
def home():
    """Where a launch lands: the profile form first, then the course's pathway (shown here when there is one
    only: no redirect more), else the list of its pathways."""
    launch = current_launch()
    if launch.profile is None:
        return redirect(url_for("learner.profile"), code=303)
    found = pathways.list_pathways(launch.course.id, published_only=True)
    if len(found) == 1:
        return _render_pathway(launch, found[0].id)
    enrolments = {p.id: pathways.enrol(p, launch.user) for p in found}
    return render_template("learner/home.html", launch=launch, pathways=found, enrolments=enrolments)


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.LEARNER)
def profile():
    launch = current_launch()
    existing = launch.profile
    values = ({k: getattr(existing, k) for k in ("profession", "rpps", "adeli", "practice_mode", "cpts")}
              if existing else profiles.prefill(launch.user))
    errors = {}
    if request.method == "POST":
        try:
            data = ProfileSchema().load(form_data(request.form))
        except ValidationError as error:
            errors, values = first_errors(error.messages), form_data(request.form)
        else:
            profiles.save_profile(launch.user, data)
            flash(_("Profile saved."), "success")
            return redirect(url_for("learner.home"), code=303)
    return render_template("learner/profile.html", launch=launch, values=values, errors=errors,
                           professions=professions.choices(), modes=professions.PRACTICE_MODES,
                           first_time=existing is None), (422 if errors else 200)


@bp.get("/pathways/<int:pathway_id>")
@role_required(Role.LEARNER)
def pathway(pathway_id: int):
    launch = current_launch()
    if launch.profile is None:  # e.g. a placed pathway opened from Moodle before the first profile
        return redirect(url_for("learner.profile"), code=303)
    return _render_pathway(launch, pathway_id)


def _render_pathway(launch, pathway_id: int):
    page = learner_pathway.learner_pathway(pathway_id, launch.user, launch.course)
    return render_template("learner/pathway.html", launch=launch, **vars(page), profile=launch.profile,
                           profession_label=professions.label(launch.profile.profession))


@bp.post("/moodle/refresh")
@role_required(Role.LEARNER)
def moodle_refresh():
    """Called by the pathway page once shown: reads the learner's completions in Moodle when they are stale.
    The page never waits for Moodle; a failure keeps the last known state and is said in plain words."""
    launch = current_launch()
    changed, state = moodle.refresh_learner(launch.user, launch.course)
    if not wants_json():  # the no-script button of the page
        pathway_id = request.form.get("pathway_id", "")
        return redirect(url_for("learner.pathway", pathway_id=int(pathway_id))
                        if pathway_id.isascii() and pathway_id.isdigit()
                        else url_for("learner.home"), code=303)
    return jsonify(changed=changed, linked=state.linked, error=state.error_code or None,
                   synced_at=state.synced_at.isoformat() if state.synced_at else None,
                   synced_label=format_datetime(state.synced_at, "short") if state.synced_at else None)


def _step_and_enrolment(step_id: int):
    launch = current_launch()
    _require_profile(launch)
    step = pathways.get_step(step_id, launch.course.id)
    if not step.pathway.published:
        raise NotFound()
    return launch, step, pathways.enrol(step.pathway, launch.user)


@bp.get("/steps/<int:step_id>")
@role_required(Role.LEARNER)
def step(step_id: int):
    if current_launch().profile is None:
        return redirect(url_for("learner.profile"), code=303)
    launch, found, enrolment = _step_and_enrolment(step_id)
    if found.kind == StepKind.WORKSHOP:
        return redirect(url_for("learner.pathway", pathway_id=found.pathway_id, _anchor=f"step-{found.id}"))
    return _render_step(launch, found, enrolment)


def _render_step(launch, found, enrolment, *, problem=None, answers=None, status=200):
    """A module or questionnaire page; after a refused action, the same page with what went wrong and what was
    answered (never a dead end)."""
    rows = {row.step.id: row for row in completion.statuses(enrolment)}
    template = "learner/module.html" if found.kind == StepKind.MODULE else "learner/questionnaire.html"
    attempts = questionnaires.attempts(enrolment, found) if found.kind == StepKind.QUESTIONNAIRE else []
    return render_template(template, launch=launch, step=found, row=rows[found.id], enrolment=enrolment,
                           attempts=attempts, problem=problem, answers=answers or {}), status


@bp.post("/steps/<int:step_id>/heartbeat")
@role_required(Role.LEARNER)
def heartbeat(step_id: int):
    _, found, enrolment = _step_and_enrolment(step_id)
    if found.kind != StepKind.MODULE:
        raise NotFound()
    seconds = completion.heartbeat(enrolment, found)
    return jsonify(seconds=seconds, minimum_seconds=found.minimum_minutes * 60)


@bp.post("/steps/<int:step_id>/done")
@role_required(Role.LEARNER)
def mark_done(step_id: int):
    launch, found, enrolment = _step_and_enrolment(step_id)
    if found.kind != StepKind.MODULE:
        raise NotFound()
    try:
        completion.learner_marks_module_done(enrolment, found)
    except Refused as refused:  # e.g. too early: the module page again, with the time still needed
        return _render_step(launch, found, enrolment, problem=refused, status=refused.status)
    return redirect(url_for("learner.pathway", pathway_id=found.pathway_id), code=303)


@bp.post("/steps/<int:step_id>/answers")
@role_required(Role.LEARNER)
def answer(step_id: int):
    launch, found, enrolment = _step_and_enrolment(step_id)
    if found.kind != StepKind.QUESTIONNAIRE:
        raise NotFound()
    answers = [request.form.get(f"q{index}") for index in range(len(found.questions))]
    try:
        questionnaires.submit(enrolment, found, answers)
    except Refused as refused:  # e.g. a question left unanswered: the answers given stay ticked
        return _render_step(launch, found, enrolment, problem=refused, status=422 if refused.code == "invalid_form"
                            else refused.status, answers={f"q{i}": a for i, a in enumerate(answers) if a is not None})
    return redirect(url_for("learner.step", step_id=found.id), code=303)


def _session(session_id: int) -> WorkshopSession:
    return workshops.get_session(session_id, current_launch().course.id)


@bp.post("/sessions/<int:session_id>/book")
@role_required(Role.LEARNER)
def book(session_id: int):
    launch = current_launch()
    _require_profile(launch)
    session = _session(session_id)
    pathways.enrol(session.step.pathway, launch.user)
    booking = workshops.book(session, launch.user)
    flash(_("Registration confirmed.") if booking.status == booking.CONFIRMED
          else _("You are on the waiting list: you will be registered if a seat frees up."), "success")
    return redirect(url_for("learner.pathway", pathway_id=session.step.pathway_id, _anchor=f"step-{session.step_id}"),
                    code=303)


@bp.post("/sessions/<int:session_id>/cancel")
@role_required(Role.LEARNER)
def cancel(session_id: int):
    launch = current_launch()
    session = _session(session_id)
    workshops.cancel(session, launch.user)
    return redirect(url_for("learner.pathway", pathway_id=session.step.pathway_id, _anchor=f"step-{session.step_id}"),
                    code=303)


@bp.get("/sessions/<int:session_id>.ics")
@role_required(Role.LEARNER)
def session_ical(session_id: int):
    session = _session(session_id)
    body = workshops.ical([session], url_for_session=lambda s: url_for("learner.pathway", pathway_id=s.step.pathway_id,
                                                                        _external=True),
                          calendar_name=session.step.pathway.title)
    return attachment(body, f"atelier-{session.id}.ics", "text/calendar")


@bp.get("/calendar")
@role_required(Role.LEARNER)
def calendar_link():
    launch = current_launch()
    token = workshops.feed_token(secret_keys(current_app.config), launch.user.id)
    return render_template("learner/calendar.html", launch=launch,
                           feed_url=url_for("calendar_feed", token=token, _external=True))


@bp.route("/checkin", methods=["GET", "POST"])
@role_required(Role.LEARNER)
def checkin():
    launch = current_launch()
    source = request.form if request.method == "POST" else request.args
    half_day_id = source.get("half_day", type=int)
    half_day = attendance.get_half_day(half_day_id, launch.course.id) if half_day_id else None
    marked, refusal = None, None
    if request.method == "POST":
        if half_day is None:
            raise NotFound()
        try:
            marked = attendance.self_checkin(half_day, launch.user, source.get("code", ""),
                                             current_app.config["SECRET_KEY"], device=request.user_agent.string)
        except Refused as error:  # said on the check-in page, the code kept and a way on: never a dead end
            current_app.logger.warning("check-in refused: user %s, half-day %s: %s (%s)", launch.user.id,
                                       half_day.id, error.code, error.detail)
            db.session.commit()  # the tries counted stay (nothing else was written): a refusal is a 4xx
            if wants_json():
                return jsonify(error=error.code, message=str(error.message)), error.status
            refusal = error
    present = (half_day is not None and marked is None and
               getattr(attendance.latest_marks(half_day.id).get(launch.user.id), "status", "") in attendance.ATTENDED)
    return render_template("learner/checkin.html", launch=launch, half_day=half_day, marked=marked,
                           refusal=refusal, code=source.get("code", ""), present=present), \
        (refusal.status if refusal else 200)


@bp.route("/halfdays/<int:half_day_id>/signature", methods=["GET", "POST"])
@role_required(Role.LEARNER)
def signature(half_day_id: int):
    """The learner draws their signature for a half-day they checked in to (the check-in already signs it)."""
    launch = current_launch()
    half_day = attendance.get_half_day(half_day_id, launch.course.id)
    refusal = None
    if request.method == "POST":
        try:
            signatures.sign_as_learner(half_day, launch.user, request.form.get("signature", ""),
                                       device=request.user_agent.string)
        except Refused as error:  # the page again with the reason, the pad empty: nothing was stored
            current_app.logger.warning("signature refused: user %s, half-day %s: %s (%s)", launch.user.id,
                                       half_day.id, error.code, error.detail)
            if wants_json():
                return jsonify(error=error.code, message=str(error.message)), error.status
            refusal = error
        else:
            flash(_("Your signature is recorded. Thank you!"), "success")
            return redirect(url_for("learner.signature", half_day_id=half_day.id), code=303)
    mine = signatures.for_sheet(half_day.id)
    return render_template("learner/signature.html", launch=launch, half_day=half_day, refusal=refusal,
                           drawn=signatures.data_url(mine.drawn.get(launch.user.id)),
                           checkin=mine.checkin.get(launch.user.id)), (refusal.status if refusal else 200)


@bp.get("/pathways/<int:pathway_id>/certificate.pdf")
@role_required(Role.LEARNER)
def certificate(pathway_id: int):
    launch = current_launch()
    found = pathways.get_pathway(pathway_id, launch.course.id)
    body, filename = certificate_file(pathways.enrol(found, launch.user))
    return attachment(body, filename, "application/pdf")
