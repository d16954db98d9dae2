"""The course's pathways and their steps: the course dashboard, creating and editing, sharing and imports."""
from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from models import StepKind

from ..auth import current_launch, role_required
from ..downloads import attachment
from ..errors import InvalidInput
from ..forms import first_errors, form_data
from ..schemas.pathway import PathwaySchema, SharedPathwaySchema, StepSchema, parse_questions
from ..services import (
    dashboard,
    moodle,
    pathway_lifecycle,
    pathways,
    professions,
    profile_import,
    sharing,
    submissions,
    workshops,
)
from . import bp
from .common import INSTRUCTOR, launch_course, moodle_context
from .sessions import render_step, step_values


@bp.get("/")
@role_required(INSTRUCTOR)
def home():
    return _home_page()


def _home_page(import_errors=None):
    """The course dashboard; after a refused pathway file, with the reason under the file field."""
    launch = current_launch()
    counts = dashboard.members_by_role(launch.course.id)
    found = pathways.list_pathways(launch.course.id)
    enrolled = dashboard.enrolled_by_pathway([p.id for p in found])
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
    pathway = pathway_lifecycle.create_draft(launch_course(), data)  # learners see it once published
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
            moodle.validate_link(launch_course().id, data["moodle_cmid"])
        except InvalidInput as error:
            raise ValidationError({"moodle_cmid": [_("Choose one of the course's Moodle activities.")]}) from error
    return data




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
        **moodle_context(pathway.course)), status


@bp.route("/pathways/<int:pathway_id>", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def edit_pathway(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    if request.method == "POST":
        raw = form_data(request.form)
        try:
            data = PathwaySchema().load(raw)
        except ValidationError as error:
            return _render_pathway(pathway, values=raw, errors=first_errors(error.messages), status=422)
        pathway_lifecycle.save(launch_course(), data, pathway)  # publication has its own buttons
        return redirect(url_for("instructor.edit_pathway", pathway_id=pathway.id), code=303)
    return _render_pathway(pathway)


@bp.post("/pathways/<int:pathway_id>/steps")
@role_required(INSTRUCTOR)
def add_step(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
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
    step = pathways.get_step(step_id, launch_course().id)
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
    return render_step(step, values or step_values(step), errors)


@bp.post("/steps/<int:step_id>/delete")
@role_required(INSTRUCTOR)
def delete_step(step_id: int):
    step = pathways.get_step(step_id, launch_course().id)
    pathway_id = step.pathway_id
    pathways.delete_step(step)
    return redirect(url_for("instructor.edit_pathway", pathway_id=pathway_id), code=303)


@bp.post("/steps/<int:step_id>/move")
@role_required(INSTRUCTOR)
def move_step(step_id: int):
    step = pathways.get_step(step_id, launch_course().id)
    pathways.move_step(step, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("instructor.edit_pathway", pathway_id=step.pathway_id), code=303)


@bp.get("/pathways/<int:pathway_id>/share.json")
@role_required(INSTRUCTOR)
def share(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    body = json.dumps(sharing.export_pathway(pathway), ensure_ascii=False, indent=2)
    return attachment(body, f"parcours-{pathway.id}.json", "application/json")


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
    pathway = sharing.import_pathway(launch_course(), data)
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
            report = profile_import.import_profiles(launch_course(), upload.read(1024 * 1024))
        except profile_import.ImportFileError as error:  # the page again, the reason under the file field
            return render_template("instructor/import_profiles.html", launch=current_launch(), report=None,
                                   errors={"profiles": str(error)}), 422
    return render_template("instructor/import_profiles.html", launch=current_launch(), report=report, errors={})
