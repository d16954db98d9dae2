"""Satisfaction surveys: the page a learner opens from the message (signed link, no launch needed) and the
results for instructors (per session and per profession, comments, CSV)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from models import Role, User, WorkshopSession, db

from .auth import current_launch, role_required
from .domain_errors import InvalidInput
from .downloads import csv_attachment
from .errors import NotFound
from .services import pathways, surveys
from .services.notifications.messages import locale_of

bp = Blueprint("surveys", __name__)


@bp.route("/messages/survey/<token>", methods=["GET", "POST"])
def answer(token: str):
    found = surveys.from_token(token)
    session = db.session.get(WorkshopSession, found[0]) if found else None
    user = db.session.get(User, found[1]) if found else None
    if session is None or user is None:
        raise NotFound()
    kind = found[2]
    existing = surveys.answer_of(session.id, user.id, kind)
    errors, values, status = {}, {}, 200
    if request.method == "POST" and existing is None:
        try:
            existing = surveys.save(session, user, kind, request.form)
        except InvalidInput as error:
            errors, values, status = error.errors, request.form, 422
    with force_locale(locale_of(user)):  # the person's launch language, as the message was: not the browser's
        page = render_template("surveys/answer.html", session=session, user=user, kind=kind, kinds=surveys.KINDS,
                               questions=surveys.QUESTIONS, answered=existing, errors=errors, values=values)
    return page, status


@bp.get("/instructor/pathways/<int:pathway_id>/surveys")
@role_required(Role.INSTRUCTOR)
def results(pathway_id: int):
    launch = current_launch()
    pathway = pathways.get_pathway(pathway_id, launch.course.id)
    if request.args.get("format") == "csv":
        columns, rows = surveys.answers_table(pathway.id)
        return csv_attachment(columns, rows, f"satisfaction-parcours-{pathway.id}.csv")
    return render_template("surveys/results.html", launch=launch, pathway=pathway, kinds=surveys.KINDS,
                           results=surveys.results(pathway.id), questions=surveys.QUESTIONS)
