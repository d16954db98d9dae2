"""Workshop sessions of a step: scheduling one, its page."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from models import StepKind, WorkshopSession

from ..auth import current_launch, role_required
from ..errors import NotFound
from ..forms import form_data, session_errors, session_quotas
from ..schemas.pathway import SessionSchema, format_questions
from ..services import pathways, professions, workshops
from . import bp
from .common import INSTRUCTOR, launch_course, moodle_context


def session_formats():
    from flask_babel import lazy_gettext as _l

    return [("workshop", _l("In-person workshop / simulation")), ("video", _l("Video conference")),
            ("immersion", _l("Immersion in a facility")), ("practice_analysis", _l("Practice analysis group")),
            ("seminar", _l("Seminar"))]


def typed_session_form() -> dict:
    """The session form as typed, to show it again with its errors."""
    return form_data(request.form, lists=("target_professions",))


def session_form_data():
    data = typed_session_form()
    facilitators = []
    for index in (1, 2, 3):
        name = (request.form.get(f"facilitator_name_{index}") or "").strip()
        if name:
            profession = request.form.get(f"facilitator_profession_{index}") or "autre"
            facilitators.append({"name": name, "profession": profession})
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
    step = pathways.get_step(step_id, launch_course().id)
    if step.kind != StepKind.WORKSHOP:
        raise NotFound()
    raw = session_form_data()
    try:
        data = SessionSchema().load(raw)
    except ValidationError as error:
        # The whole page again (it needs the Moodle picker too), with what was typed and the errors by field.
        return render_step(step, step_values(step), {}, typed_session_form(), session_errors(error.messages))
    session = workshops.save_session(step, data)
    flash(_("Session scheduled."), "success")
    return redirect(url_for("instructor.session", session_id=session.id), code=303)


def get_session(session_id: int) -> WorkshopSession:
    return workshops.get_session(session_id, launch_course().id)


@bp.get("/sessions/<int:session_id>")
@role_required(INSTRUCTOR)
def session(session_id: int):
    found = get_session(session_id)
    bookings = workshops.registrations(found.id)
    return render_template("instructor/session.html", launch=current_launch(), session=found, bookings=bookings,
                           pair_warning=workshops.pair_warning(found), label=professions.label,
                           started=workshops.has_started(found))


def render_step(step, values, errors, session_values=None, session_errors=None):
    """The step page, also after a refused step or session form: what was typed comes back with its errors."""
    return render_template("instructor/step.html", launch=current_launch(), step=step, values=values, errors=errors,
                           professions=professions.choices(), sessions=workshops.sessions_for_step(step.id),
                           other_steps=[(str(s.id), s.title) for s in step.pathway.steps if s.id != step.id],
                           session_values=session_values or {"format": "workshop", "capacity": 12},
                           session_errors=session_errors or {}, formats=session_formats(),
                           **moodle_context(step.pathway.course)), (422 if errors or session_errors else 200)


def step_values(step) -> dict:
    """The step form's values as the step holds them (the step page, and its session form's errors)."""
    return {"kind": step.kind, "title": step.title, "description": step.description,
            "required_for": step.required_for or [], "unlock_after_step_id": step.unlock_after_step_id,
            "estimated_minutes": step.estimated_minutes, "minimum_minutes": step.minimum_minutes,
            "weight": step.weight, "content_url": step.content_url, "embed": step.embed,
            "questionnaire_role": step.questionnaire_role, "moodle_cmid": step.moodle_cmid,
            "questions_text": format_questions(step.questions)}

