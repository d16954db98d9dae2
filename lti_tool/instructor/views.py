from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select

from models import CourseMembership, Enrolment, Role, StepKind, User, WorkshopSession, db, utcnow

from .. import documents
from ..auth import current_launch, role_required
from ..errors import InvalidInput, NotFound, Refused
from ..forms import first_errors, form_data, session_errors, session_quotas
from ..schemas.pathway import (DpcProgrammeSchema, PathwaySchema, SessionSchema, SharedPathwaySchema, StepSchema, format_questions,
                               parse_questions)
from ..services import (attendance, completion, csv_export, dashboard, dpc, grades, moodle, pathway_lifecycle,
                        pathways, profile_import, professions, questionnaires, sharing, submissions,
                        workshops)
from ..services import rescoring, session_lifecycle
from ..services.roster import RosterError, never_opened, sync_page
from . import bp

INSTRUCTOR = Role.INSTRUCTOR


def _course():
    return current_launch().course


@bp.get("/")
@role_required(INSTRUCTOR)
def home():
    return _home_page()


def _home_page(import_errors=None):
    """The course dashboard; after a refused pathway file, with the reason under the file field."""
    launch = current_launch()
    counts = dict(db.session.execute(
        select(CourseMembership.role, func.count()).where(CourseMembership.course_id == launch.course.id)
        .group_by(CourseMembership.role)).all())
    found = pathways.list_pathways(launch.course.id)
    enrolled = dict(db.session.execute(select(Enrolment.pathway_id, func.count()).where(
        Enrolment.pathway_id.in_([p.id for p in found])).group_by(Enrolment.pathway_id)).all()) if found else {}
    return render_template("instructor/home.html", launch=launch, counts=counts, pathways=found, enrolled=enrolled,
                           values={}, errors={}, form_token=submissions.new_token(),
                           import_errors=import_errors or {}), (422 if import_errors else 200)


@bp.post("/pathways")
@role_required(INSTRUCTOR)
def create_pathway():
    raw = form_data(request.form)
    token = raw.pop(submissions.TOKEN_FIELD, None)
    try:
        data = PathwaySchema().load(raw)
    except ValidationError as error:
        launch = current_launch()
        return render_template("instructor/home.html", launch=launch, counts={}, pathways=pathways.list_pathways(
            launch.course.id), enrolled={}, values=raw, errors=first_errors(error.messages),
            form_token=submissions.new_token()), 422
    first, done_url = submissions.claim(token, current_launch().user.id, "create_pathway")
    if not first:  # the same form sent twice (double click): the pathway the first submit created
        return redirect(done_url or url_for("instructor.home"), code=303)
    pathway = pathway_lifecycle.create_draft(_course(), data)  # learners see it once published
    url = url_for("instructor.edit_pathway", pathway_id=pathway.id)
    submissions.remember(token, url)
    return redirect(url, code=303)


def _step_form_data():
    data = form_data(request.form, lists=("required_for",))
    data["embed"] = "embed" in request.form
    data["questions"] = parse_questions(request.form.get("questions_text", ""))
    data.pop("questions_text", None)
    if data.pop("module_source", "link") != "moodle" or data.get("kind") != StepKind.MODULE:
        data["moodle_cmid"] = None
    elif not data.get("moodle_cmid"):
        data["moodle_cmid"] = ""  # "moodle" chosen without an activity: the schema says it is missing
    return data


def _load_step(raw: dict) -> dict:
    """The form through its schema, then the Moodle activity checked against this course's activities."""
    data = StepSchema().load(raw)
    if data.get("moodle_cmid") is not None:
        try:
            moodle.validate_link(_course().id, data["moodle_cmid"])
        except InvalidInput as error:
            raise ValidationError({"moodle_cmid": [_("Choose one of the course's Moodle activities.")]}) from error
    return data


def _moodle_context(course) -> dict:
    """The step picker (refreshed from Moodle when stale or asked) and the activities steps link to."""
    links = {a.cmid: a for a in moodle.activities(course.id, include_deleted=True)}
    return {"moodle_picker": moodle.picker(course, refresh=bool(request.args.get("refresh_moodle"))),
            "moodle_links": links}


def _render_pathway(pathway, *, values=None, errors=None, step_values=None, step_errors=None, status=200):
    return render_template(
        "instructor/pathway.html", launch=current_launch(), pathway=pathway,
        values=values or {"title": pathway.title, "description": pathway.description,
                          "organisation": pathway.organisation.name if pathway.organisation else "",
                          "territory": pathway.organisation.territory if pathway.organisation else "",
                          "published": pathway.published},
        errors=errors or {}, step_values=step_values or {"kind": StepKind.MODULE, "weight": 1},
        step_errors=step_errors or {}, professions=professions.choices(),
        other_steps=[(str(s.id), s.title) for s in pathway.steps],
        sessions={s.id: workshops.sessions_for_step(s.id) for s in pathway.steps if s.kind == StepKind.WORKSHOP},
        **_moodle_context(pathway.course)), status


@bp.route("/pathways/<int:pathway_id>", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def edit_pathway(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    if request.method == "POST":
        raw = form_data(request.form)
        try:
            data = PathwaySchema().load(raw)
        except ValidationError as error:
            return _render_pathway(pathway, values=raw, errors=first_errors(error.messages), status=422)
        pathway_lifecycle.save(_course(), data, pathway)  # publication has its own buttons
        return redirect(url_for("instructor.edit_pathway", pathway_id=pathway.id), code=303)
    return _render_pathway(pathway)


@bp.post("/pathways/<int:pathway_id>/steps")
@role_required(INSTRUCTOR)
def add_step(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    raw = _step_form_data()
    try:
        data = _load_step(raw)
    except ValidationError as error:
        raw["questions_text"] = request.form.get("questions_text", "")
        return _render_pathway(pathway, step_values=raw, step_errors=first_errors(error.messages), status=422)
    step = pathways.save_step(pathway, data)
    flash(_("Step added."), "success")
    return redirect(url_for("instructor.edit_pathway", pathway_id=pathway.id, _anchor=f"step-{step.id}"), code=303)


@bp.route("/steps/<int:step_id>", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def edit_step(step_id: int):
    step = pathways.get_step(step_id, _course().id)
    errors, values = {}, None
    if request.method == "POST":
        raw = _step_form_data()
        try:
            data = _load_step(raw)
        except ValidationError as error:
            errors = first_errors(error.messages)
            values = dict(raw, questions_text=request.form.get("questions_text", ""))
        else:
            pathways.save_step(step.pathway, data, step)
            flash(_("Step saved."), "success")
            return redirect(url_for("instructor.edit_pathway", pathway_id=step.pathway_id), code=303)
    values = values or {"kind": step.kind, "title": step.title, "description": step.description,
                        "required_for": step.required_for or [], "unlock_after_step_id": step.unlock_after_step_id,
                        "estimated_minutes": step.estimated_minutes, "minimum_minutes": step.minimum_minutes,
                        "weight": step.weight, "content_url": step.content_url, "embed": step.embed,
                        "questionnaire_role": step.questionnaire_role, "moodle_cmid": step.moodle_cmid,
                        "questions_text": format_questions(step.questions)}
    return _render_step(step, values, errors)


def _render_step(step, values, errors, session_values=None, session_errors=None):
    """The step page, also after a refused step or session form: what was typed comes back with its errors."""
    return render_template("instructor/step.html", launch=current_launch(), step=step, values=values, errors=errors,
                           professions=professions.choices(), sessions=workshops.sessions_for_step(step.id),
                           other_steps=[(str(s.id), s.title) for s in step.pathway.steps if s.id != step.id],
                           session_values=session_values or {"format": "workshop", "capacity": 12},
                           session_errors=session_errors or {}, formats=_formats(),
                           **_moodle_context(step.pathway.course)), (422 if errors or session_errors else 200)


@bp.post("/steps/<int:step_id>/delete")
@role_required(INSTRUCTOR)
def delete_step(step_id: int):
    step = pathways.get_step(step_id, _course().id)
    pathway_id = step.pathway_id
    pathways.delete_step(step)
    return redirect(url_for("instructor.edit_pathway", pathway_id=pathway_id), code=303)


@bp.post("/steps/<int:step_id>/move")
@role_required(INSTRUCTOR)
def move_step(step_id: int):
    step = pathways.get_step(step_id, _course().id)
    pathways.move_step(step, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("instructor.edit_pathway", pathway_id=step.pathway_id), code=303)


def _formats():
    from flask_babel import lazy_gettext as _l

    return [("workshop", _l("In-person workshop / simulation")), ("video", _l("Video conference")),
            ("immersion", _l("Immersion in a facility")), ("practice_analysis", _l("Practice analysis group")),
            ("seminar", _l("Seminar"))]


def _session_form_data():
    data = form_data(request.form, lists=("target_professions",))
    facilitators = []
    for index in (1, 2, 3):
        name = (request.form.get(f"facilitator_name_{index}") or "").strip()
        if name:
            facilitators.append({"name": name, "profession": request.form.get(f"facilitator_profession_{index}") or "autre"})
        data.pop(f"facilitator_name_{index}", None)
        data.pop(f"facilitator_profession_{index}", None)
    data["facilitators"] = facilitators
    data["quotas"] = session_quotas(request.form)  # one number field per profession: quota_<code>
    for key in [key for key in data if key.startswith("quota_")]:
        data.pop(key)
    return data


@bp.post("/steps/<int:step_id>/sessions")
@role_required(INSTRUCTOR)
def add_session(step_id: int):
    step = pathways.get_step(step_id, _course().id)
    if step.kind != StepKind.WORKSHOP:
        raise NotFound()
    raw = _session_form_data()
    try:
        data = SessionSchema().load(raw)
    except ValidationError as error:
        # The whole page again (it needs the Moodle picker too), with what was typed and the errors by field.
        step_values = {"kind": step.kind, "title": step.title, "description": step.description,
                       "required_for": step.required_for or [], "weight": step.weight,
                       "estimated_minutes": step.estimated_minutes, "minimum_minutes": step.minimum_minutes,
                       "unlock_after_step_id": step.unlock_after_step_id}
        return _render_step(step, step_values, {}, form_data(request.form, lists=("target_professions",)),
                            session_errors(error.messages))
    session = workshops.save_session(step, data)
    flash(_("Session scheduled."), "success")
    return redirect(url_for("instructor.session", session_id=session.id), code=303)


def _session(session_id: int) -> WorkshopSession:
    session = db.session.get(WorkshopSession, session_id)
    if session is None or session.step.pathway.course_id != _course().id:
        raise NotFound()
    return session


@bp.get("/sessions/<int:session_id>")
@role_required(INSTRUCTOR)
def session(session_id: int):
    found = _session(session_id)
    bookings = db.session.execute(
        select(User.name, User.email, workshops.Booking.profession, workshops.Booking.status, workshops.Booking.created_at)
        .join(User, User.id == workshops.Booking.user_id).where(workshops.Booking.session_id == found.id)
        .order_by(workshops.Booking.status, workshops.Booking.created_at)).all()
    return render_template("instructor/session.html", launch=current_launch(), session=found, bookings=bookings,
                           pair_warning=workshops.pair_warning(found), label=professions.label,
                           started=workshops.has_started(found))


def _half_day(half_day_id: int):
    return attendance.get_half_day(half_day_id, _course().id)


def _roster(half_day):
    people = db.session.execute(
        select(User.id, User.name, workshops.Booking.profession).join(workshops.Booking, workshops.Booking.user_id == User.id)
        .where(workshops.Booking.session_id == half_day.session_id, workshops.Booking.status == workshops.Booking.CONFIRMED)
        .order_by(User.family_name, User.name)).all()
    return people, attendance.latest_marks(half_day.id)


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
        pdf = documents.sheet_pdf(half_day, people, marks, label=professions.label)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="emargement-{half_day.day.isoformat()}-{half_day.period}.pdf"'})
    return render_template("instructor/sheet.html", launch=current_launch(), half_day=half_day, people=people,
                           marks=marks, history=attendance.history(half_day.id), label=professions.label)


@bp.get("/pathways/<int:pathway_id>/dashboard")
@role_required(INSTRUCTOR)
def pathway_dashboard(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    profession = request.args.get("profession") or None
    state = request.args.get("state") or None
    search = (request.args.get("q") or "").strip()[:200] or None
    page = max(1, request.args.get("page", 1, type=int))
    learners, total = dashboard.learners(pathway.id, profession=profession, state=state, search=search, limit=50,
                                         offset=(page - 1) * 50)
    by_profession = dashboard.completion_by_profession(pathway.id)
    absent, absent_total = never_opened(pathway.course_id, pathway.id, limit=20)
    return render_template("instructor/dashboard.html", launch=current_launch(), pathway=pathway,
                           by_profession=by_profession, steps=dashboard.dropoff_per_step(pathway.id),
                           sessions=dashboard.sessions_overview(pathway.id), learners=learners, total=total,
                           summary=dashboard.summary(pathway.id), search=search,
                           page=page, pages=(total + 49) // 50, profession=profession, state=state,
                           pre_post=questionnaires.pre_post_by_profession(pathway.id),
                           max_enrolled=max([row["enrolled"] for row in by_profession] or [1]),
                           never_opened=absent, never_opened_total=absent_total,
                           professions=professions.choices())


EXPORTS = {"professions": dashboard.completion_by_profession, "steps": dashboard.dropoff_per_step,
           "sessions": dashboard.sessions_overview}


@bp.get("/pathways/<int:pathway_id>/export/<table>.csv")
@role_required(INSTRUCTOR)
def export_csv(pathway_id: int, table: str):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    if table == "learners":
        rows, _ = dashboard.learners(pathway.id, limit=1_000_000)
    elif table in EXPORTS:
        rows = EXPORTS[table](pathway.id)
    else:
        raise NotFound()
    return csv_export.response(csv_export.DASHBOARD[table], rows, f"parcours-{pathway.id}-{table}.csv")


@bp.route("/pathways/<int:pathway_id>/learners/<int:enrolment_id>", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def learner(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.pathway_id != pathway.id:
        raise NotFound()
    if request.method == "POST":
        step = pathways.get_step(request.form.get("step_id", type=int) or 0, _course().id)
        reason = (request.form.get("reason") or "").strip()
        if step.pathway_id != pathway.id:
            raise NotFound()
        if not reason:  # the page again, the error on this step's reason field
            return _render_learner(pathway, enrolment, {step.id: _("Give a reason for this correction.")}), 422
        session_lifecycle.refuse_if_certified_completion(enrolment, step)  # certified proof: correct the sheet
        if request.form.get("action") == "withdraw":
            completion.withdraw_completion(enrolment, step)
        else:
            completion.record_completion(enrolment, step, source="instructor", reason=reason,
                                         by_user_id=current_launch().user.id)
        return redirect(url_for("instructor.learner", pathway_id=pathway.id, enrolment_id=enrolment.id), code=303)
    return _render_learner(pathway, enrolment, {})


def _render_learner(pathway, enrolment, step_errors: dict):
    return render_template("instructor/learner.html", launch=current_launch(), pathway=pathway, enrolment=enrolment,
                           rows=completion.statuses(enrolment), completions=completion.completions(enrolment),
                           pre_post=questionnaires.pre_post_for(enrolment), label=professions.label,
                           step_errors=step_errors)


@bp.get("/pathways/<int:pathway_id>/share.json")
@role_required(INSTRUCTOR)
def share(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    body = json.dumps(sharing.export_pathway(pathway), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="parcours-{pathway.id}.json"'})


@bp.post("/pathways/import")
@role_required(INSTRUCTOR)
def import_pathway():
    upload = request.files.get("definition")
    if upload is None or not upload.filename:
        return _home_page({"definition": _("Choose the pathway file (JSON) to import.")})
    try:
        document = json.loads(upload.read(512 * 1024 + 1)[: 512 * 1024].decode("utf-8"))
        data = SharedPathwaySchema().load(document)
    except (ValueError, UnicodeDecodeError) as error:
        current_app.logger.info("pathway import refused: %s", error)
        return _home_page({"definition": _("This file is not a pathway exported by the tool (JSON file).")})
    except ValidationError as error:
        problems = "; ".join(f"{field} : {message}" for field, message in first_errors(error.messages).items())
        return _home_page({"definition": _("This pathway file is incomplete or damaged (%(problems)s).",
                                           problems=problems)})
    pathway = sharing.import_pathway(_course(), data)
    return redirect(url_for("instructor.edit_pathway", pathway_id=pathway.id), code=303)


@bp.route("/profiles/import", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def import_profiles():
    report = None
    if request.method == "POST":
        upload = request.files.get("profiles")
        if upload is None or not upload.filename:
            return render_template("instructor/import_profiles.html", launch=current_launch(), report=None,
                                   errors={"profiles": _("Choose the CSV file to import.")}), 422
        try:
            report = profile_import.import_profiles(_course(), upload.read(1024 * 1024))
        except profile_import.ImportFileError as error:  # the page again, the reason under the file field
            return render_template("instructor/import_profiles.html", launch=current_launch(), report=None,
                                   errors={"profiles": str(error)}), 422
    return render_template("instructor/import_profiles.html", launch=current_launch(), report=report, errors={})


@bp.get("/grades")
@role_required(INSTRUCTOR)
def grade_delivery():
    course = _course()
    return render_template("instructor/grades.html", launch=current_launch(), counts=grades.status_counts(course.id),
                           problems=grades.problems(course.id), placements=grades.placement_problems(course.id),
                           missing=grades.missing_scores(course.id))


@bp.post("/grades/rescore")
@role_required(INSTRUCTOR)
def rescore_grades():
    """Every learner's current score sent again where Moodle does not have it (small pathways at once, large
    ones by the grades worker)."""
    for pathway in pathways.list_pathways(_course().id):
        rescoring.pathway_changed(pathway, "instructor")
    flash(_("The current scores are being sent to Moodle."), "success")
    return redirect(url_for("instructor.grade_delivery"), code=303)


@bp.post("/grades/retry")
@role_required(INSTRUCTOR)
def retry_grades():
    grades.retry_now(_course().id, request.form.get("row_id", type=int))
    return redirect(url_for("instructor.grade_delivery"), code=303)


@bp.route("/pathways/<int:pathway_id>/dpc", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def dpc_programme(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    programme = dpc.programme_of(pathway.id)
    errors, values = {}, None
    if request.method == "POST":
        raw = form_data(request.form, lists=("eligible_professions",))
        raw["requires_pre_post"] = "requires_pre_post" in request.form
        try:
            data = DpcProgrammeSchema().load(raw)
        except ValidationError as error:
            errors, values = first_errors(error.messages), raw
        else:
            dpc.save_programme(pathway, data)
            flash(_("DPC programme saved."), "success")
            return redirect(url_for("instructor.dpc_programme", pathway_id=pathway.id), code=303)
    if values is None:
        values = ({key: getattr(programme, key) for key in DpcProgrammeSchema().fields} if programme
                  else {"type": "formation_continue", "minimum_participants": 5})
    group, evaluations = [], {}
    if programme is not None:
        group = dpc.session_participants(pathway.id)
        count = dpc.participants(pathway.id)
        evaluations = {e.id: dpc.evaluate(e, programme, count) for e in group}
    return render_template("instructor/dpc.html", launch=current_launch(), pathway=pathway, programme=programme,
                           values=values, errors=errors, professions=professions.choices(), group=group,
                           evaluations=evaluations, validations=dpc.validations(pathway.id),
                           label=professions.label), (422 if errors else 200)


def _enrolment_in(pathway, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.pathway_id != pathway.id:
        raise NotFound()
    return enrolment


@bp.post("/pathways/<int:pathway_id>/dpc/<int:enrolment_id>")
@role_required(INSTRUCTOR)
def dpc_decide(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    enrolment = _enrolment_in(pathway, enrolment_id)
    if request.form.get("action") == "withdraw":
        dpc.withdraw(enrolment, current_launch().user.id, request.form.get("reason", ""))
    else:
        dpc.validate(enrolment, current_launch().user.id)
    return redirect(url_for("instructor.dpc_programme", pathway_id=pathway.id), code=303)


@bp.get("/pathways/<int:pathway_id>/dpc/<int:enrolment_id>/certificate.pdf")
@role_required(INSTRUCTOR)
def dpc_certificate(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    body, filename = dpc.certificate_for(_enrolment_in(pathway, enrolment_id))
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/pathways/<int:pathway_id>/dpc/declaration.csv")
@role_required(INSTRUCTOR)
def dpc_declaration(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, _course().id)
    if dpc.programme_of(pathway.id) is None:
        raise Refused("dpc_no_programme")
    return csv_export.response(csv_export.DECLARATION, dpc.declaration_rows(pathway.id),
                               f"declaration-dpc-{pathway.id}.csv")


@bp.get("/roster")
@role_required(INSTRUCTOR)
def roster_page():
    return render_template("instructor/roster_sync.html", launch=current_launch())


@bp.post("/roster/sync")
@role_required(INSTRUCTOR)
def roster_sync():
    """One page of the names-and-roles list per call: the page's script loops and shows the progress."""
    from flask import jsonify

    from ..services.registrations import registration_for

    course = _course()
    try:
        count, next_url = sync_page(course, registration_for(course.services_platform_id or course.platform_id),
                                           current_app.extensions["lti_cache"], request.form.get("next") or None)
    except RosterError as error:
        return jsonify(error="roster_unavailable", message=str(error)), 502
    return jsonify(members=count, next=next_url)


@bp.get("/moodle")
@role_required(INSTRUCTOR)
def moodle_sync_page():
    return render_template("instructor/moodle.html", launch=current_launch(),
                           overview=moodle.course_overview(_course()))


@bp.post("/moodle/sync")
@role_required(INSTRUCTOR)
def moodle_sync():
    """One batch of learners per call: the page's script loops and shows the progress."""
    from flask import jsonify

    offset = request.form.get("offset", "0")
    offset = int(offset) if offset.isascii() and offset.isdigit() else 0
    report, next_offset = moodle.sync_batch(_course(), offset)
    body = {"done": min(report.total, offset + report.synced + report.skipped),
            "total": report.total, "changed": report.changed, "next": next_offset}
    if report.error is not None:
        body["error"] = {"code": report.error.code, "detail": report.error.detail,
                         "message": render_template("instructor/_moodle_problem.html", error=report.error)}
        return jsonify(body), 502
    return jsonify(body)


@bp.get("/sessions/<int:session_id>/evidence.zip")
@role_required(INSTRUCTOR)
def evidence(session_id: int):
    found = _session(session_id)
    return Response(dpc.evidence_pack(found, professions.label), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="dossier-dpc-session-{found.id}.zip"'})
