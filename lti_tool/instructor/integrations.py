"""What comes from and goes to Moodle: grades delivery, the roster from names-and-roles, Moodle activities."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_launch, role_required
from ..services import grades, moodle, pathways, rescoring
from ..services.roster import RosterError, sync_page
from . import bp
from .common import INSTRUCTOR, launch_course


@bp.get("/grades")
@role_required(INSTRUCTOR)
def grade_delivery():
    course = launch_course()
    return render_template("instructor/grades.html", launch=current_launch(), counts=grades.status_counts(course.id),
                           problems=grades.problems(course.id), placements=grades.placement_problems(course.id),
                           unplaced=grades.unplaced_pathways(course.id),
                           missing=grades.missing_scores(course.id))


@bp.post("/grades/rescore")
@role_required(INSTRUCTOR)
def rescore_grades():
    """Every learner's current score sent again where Moodle does not have it (small pathways at once, large
    ones by the grades worker)."""
    for pathway in pathways.list_pathways(launch_course().id):
        rescoring.pathway_changed(pathway, "instructor")
    flash(_("The current scores are being sent to Moodle."), "success")
    return redirect(url_for("instructor.grade_delivery"), code=303)


@bp.post("/grades/retry")
@role_required(INSTRUCTOR)
def retry_grades():
    grades.retry_now(launch_course().id, request.form.get("row_id", type=int))
    return redirect(url_for("instructor.grade_delivery"), code=303)


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

    course = launch_course()
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
                           overview=moodle.course_overview(launch_course()))


@bp.post("/moodle/sync")
@role_required(INSTRUCTOR)
def moodle_sync():
    """One batch of learners per call: the page's script loops and shows the progress."""
    from flask import jsonify

    offset = request.form.get("offset", "0")
    offset = int(offset) if offset.isascii() and offset.isdigit() else 0
    report, next_offset = moodle.sync_batch(launch_course(), offset)
    body = {"done": min(report.total, offset + report.synced + report.skipped),
            "total": report.total, "changed": report.changed, "next": next_offset}
    if report.error is not None:
        body["error"] = {"code": report.error.code, "detail": report.error.detail,
                         "message": render_template("instructor/_moodle_problem.html", error=report.error)}
        return jsonify(body), 502
    return jsonify(body)
