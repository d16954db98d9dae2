"""Instructor pages for the life of pathways and sessions: publish, archive, delete (after a confirmation page),
edit, cancel and duplicate a session, and the administrator's audited reopening of a certified sheet."""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from models import Role

from ..auth import current_launch, role_required
from ..errors import Refused
from ..forms import session_errors
from ..schemas.pathway import SessionSchema
from ..services import attendance, pathway_lifecycle, pathways, professions, session_lifecycle, workshops
from . import bp
from .common import INSTRUCTOR
from .sessions import get_session, session_form_data, session_formats, typed_session_form

log = logging.getLogger("lti_tool")
# Where the reason of a refused session edit shows in the form.
REFUSED_FIELD = {"capacity_below_confirmed": "capacity", "quota_below_confirmed": "capacity",
                 "target_excludes_booked": "target_professions", "session_started_dates": "starts_at"}


@bp.before_request
def archived_pathways_are_read_only():
    """Every change under an archived pathway (steps, sessions, marks, DPC decisions) is refused in one place."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_launch().can(INSTRUCTOR):
        pathway_lifecycle.refuse_changes_when_archived(request.method, request.endpoint, request.view_args)


def _pathway(pathway_id: int):
    return pathways.get_pathway(pathway_id, current_launch().course.id)


def _back(pathway, message: str):
    flash(message, "success")
    return redirect(url_for("instructor.edit_pathway", pathway_id=pathway.id), code=303)


@bp.post("/pathways/<int:pathway_id>/publish")
@role_required(INSTRUCTOR)
def publish_pathway(pathway_id: int):
    return _back(pathway_lifecycle.publish(_pathway(pathway_id)), _("Pathway published: learners see it."))


@bp.post("/pathways/<int:pathway_id>/unpublish")
@role_required(INSTRUCTOR)
def unpublish_pathway(pathway_id: int):
    return _back(pathway_lifecycle.unpublish(_pathway(pathway_id)), _("The pathway is a draft again."))


def _confirm(*, title: str, message: str, action: str, button: str, cancel_url: str, reason: bool = False,
             status: int = 200, error: str | None = None):
    return render_template("instructor/confirm.html", launch=current_launch(), title=title, message=message,
                           action=action, button=button, cancel_url=cancel_url, reason=reason, error=error), status


@bp.route("/pathways/<int:pathway_id>/archive", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def archive_pathway(pathway_id: int):
    pathway = _pathway(pathway_id)
    if request.method == "POST":
        return _back(pathway_lifecycle.archive(pathway), _("Pathway archived."))
    return _confirm(title=_("Archive “%(title)s”?", title=pathway.title),
                    message=_("Learners will no longer see it and it becomes read-only. Attendance, DPC decisions "
                              "and grades are kept. You can unarchive it later."),
                    action=url_for("instructor.archive_pathway", pathway_id=pathway.id), button=_("Archive"),
                    cancel_url=url_for("instructor.edit_pathway", pathway_id=pathway.id))


@bp.post("/pathways/<int:pathway_id>/unarchive")
@role_required(INSTRUCTOR)
def unarchive_pathway(pathway_id: int):
    return _back(pathway_lifecycle.unarchive(_pathway(pathway_id)),
                 _("Pathway unarchived: it is a draft, publish it again when ready."))


@bp.route("/pathways/<int:pathway_id>/delete", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def delete_pathway(pathway_id: int):
    pathway = _pathway(pathway_id)
    if request.method == "POST":
        pathway_lifecycle.delete(pathway)
        flash(_("Pathway deleted."), "success")
        return redirect(url_for("instructor.home"), code=303)
    if pathway_lifecycle.has_learner_activity(pathway):
        return _confirm(title=_("This pathway cannot be deleted"),
                        message=_("Learners have already taken part in this pathway: archive it instead."),
                        action=url_for("instructor.archive_pathway", pathway_id=pathway.id), button=_("Archive"),
                        cancel_url=url_for("instructor.edit_pathway", pathway_id=pathway.id), status=409)
    return _confirm(title=_("Delete “%(title)s”?", title=pathway.title),
                    message=_("Its steps and sessions are deleted for good. No learner has taken part in it yet."),
                    action=url_for("instructor.delete_pathway", pathway_id=pathway.id), button=_("Delete"),
                    cancel_url=url_for("instructor.edit_pathway", pathway_id=pathway.id))


def _session_form(session, *, values, errors, action, title, status=200):
    return render_template("instructor/session_form.html", launch=current_launch(), session=session,
                           session_values=values, session_errors=errors, action=action, heading=title,
                           professions=professions.choices(), formats=session_formats()), status


def _posted_session(session, *, action, title):
    """The sent form's data, or (None, the form again with its errors by field)."""
    try:
        return SessionSchema().load(session_form_data()), None
    except ValidationError as error:
        return None, _session_form(session, values=typed_session_form(), errors=session_errors(error.messages),
                                   action=action, title=title, status=422)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def edit_session(session_id: int):
    session = get_session(session_id)
    action, title = url_for("instructor.edit_session", session_id=session.id), _("Edit the session")
    if request.method == "POST":
        data, refused_form = _posted_session(session, action=action, title=title)
        if refused_form:
            return refused_form
        try:
            session_lifecycle.update_session(session, data)
        except Refused as refused:  # a change that would break bookings: the form again, the reason on its field
            log.warning("refused session edit %s: %s %s", session.id, refused.code, refused.detail)
            return _session_form(session, values=typed_session_form(),
                                 errors={REFUSED_FIELD.get(refused.code, "starts_at"): refused.message},
                                 action=action, title=title, status=refused.status)
        flash(_("Session saved."), "success")
        return redirect(url_for("instructor.session", session_id=session.id), code=303)
    return _session_form(session, values=session_lifecycle.form_values(session), errors={}, action=action,
                         title=title)


@bp.route("/sessions/<int:session_id>/duplicate", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def duplicate_session(session_id: int):
    """The copy is only created once its form (dates one week later) is checked and sent."""
    session = get_session(session_id)
    action, title = url_for("instructor.duplicate_session", session_id=session.id), _("Duplicate the session")
    if request.method == "POST":
        data, refused_form = _posted_session(session, action=action, title=title)
        if refused_form:
            return refused_form
        copy = workshops.save_session(session.step, data)
        flash(_("Session scheduled."), "success")
        return redirect(url_for("instructor.session", session_id=copy.id), code=303)
    return _session_form(session, values=session_lifecycle.duplicate_values(session), errors={}, action=action,
                         title=title)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def cancel_session(session_id: int):
    session = get_session(session_id)
    if request.method == "POST":
        session_lifecycle.cancel_session(session)
        flash(_("Session cancelled: its registrations are cancelled and learners see it on their page."), "success")
        return redirect(url_for("instructor.session", session_id=session.id), code=303)
    counts = workshops.counts(session.id)
    return _confirm(title=_("Cancel this session?"),
                    message=_("%(confirmed)s confirmed and %(waitlisted)s waitlisted registrations will be cancelled; "
                              "learners will see it on their pathway page.",
                              confirmed=counts.get("confirmed", 0), waitlisted=counts.get("waitlisted", 0)),
                    action=url_for("instructor.cancel_session", session_id=session.id), button=_("Cancel the session"),
                    cancel_url=url_for("instructor.session", session_id=session.id))


@bp.route("/halfdays/<int:half_day_id>/reopen", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def reopen_sheet(half_day_id: int):
    launch = current_launch()
    half_day = attendance.get_half_day(half_day_id, launch.course.id)
    page = dict(title=_("Reopen this certified sheet?"),
                message=_("Only to correct an error. The reason is recorded with the previous certification; "
                          "corrected marks keep their history and the sheet must be certified again."),
                action=url_for("instructor.reopen_sheet", half_day_id=half_day.id), button=_("Reopen the sheet"),
                cancel_url=url_for("instructor.sheet", half_day_id=half_day.id), reason=True)
    if request.method == "POST":
        reason = (request.form.get("reason") or "").strip()
        if not reason:
            return _confirm(**page, status=422, error=_("Give a reason for this correction."))
        session_lifecycle.reopen_sheet(half_day, by_user_id=launch.user.id, reason=reason,
                                       is_administrator=launch.role == Role.ADMINISTRATOR)
        flash(_("Sheet reopened: correct the marks, then certify it again."), "success")
        return redirect(url_for("instructor.roster", half_day_id=half_day.id), code=303)
    if launch.role != Role.ADMINISTRATOR:
        raise Refused("administrator_only", status=403)
    if half_day.certified_at is None:
        raise Refused("sheet_not_certified")
    return _confirm(**page)
