"""The follow-up of a pathway: completion by profession, drop-off, the learners, CSV exports, one learner's detail."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_launch, role_required
from ..downloads import csv_attachment
from ..errors import NotFound
from ..services import completion, csv_export, dashboard, pathways, professions, questionnaires, session_lifecycle
from ..services.roster import never_opened
from . import bp
from .common import INSTRUCTOR, enrolment_in, launch_course


@bp.get("/pathways/<int:pathway_id>/dashboard")
@role_required(INSTRUCTOR)
def pathway_dashboard(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
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
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    if table == "learners":
        rows, _ = dashboard.learners(pathway.id, limit=1_000_000)
    elif table in EXPORTS:
        rows = EXPORTS[table](pathway.id)
    else:
        raise NotFound()
    return csv_attachment(csv_export.DASHBOARD[table], rows, f"parcours-{pathway.id}-{table}.csv")


@bp.route("/pathways/<int:pathway_id>/learners/<int:enrolment_id>", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def learner(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    enrolment = enrolment_in(pathway, enrolment_id)
    if request.method == "POST":
        step = pathways.get_step(request.form.get("step_id", type=int) or 0, launch_course().id)
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
