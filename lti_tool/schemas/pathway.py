"""Schemas for pathway, step and session forms, and for sharing a pathway definition as JSON."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from marshmallow import (EXCLUDE, ValidationError, fields, pre_load, validate, validates,
                         validates_schema)

from models import SessionFormat, StepKind

from ..services import professions
from .base import BaseSchema

PARIS = ZoneInfo("Europe/Paris")
PROFESSION = fields.String(validate=validate.OneOf(list(professions.PROFESSIONS)))


class PathwaySchema(BaseSchema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    organisation = fields.String(load_default="", validate=validate.Length(max=200))
    territory = fields.String(load_default="", validate=validate.Length(max=200))
    published = fields.Boolean(load_default=True)


class QuestionSchema(BaseSchema):
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=500)), required=True,
                          validate=validate.Length(min=2, max=8))
    answer = fields.Integer(required=True)
    points = fields.Float(load_default=1, validate=validate.Range(min=0, max=100))

    @validates_schema
    def answer_is_a_choice(self, data, **kwargs):
        if not 0 <= data["answer"] < len(data["choices"]):
            raise ValidationError(str(_l("The right answer must be one of the choices.")), "answer")


class StepSchema(BaseSchema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(StepKind.ALL))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    required_for = fields.List(PROFESSION, load_default=list)
    unlock_after_step_id = fields.Integer(load_default=None, allow_none=True)
    estimated_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    minimum_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    weight = fields.Float(load_default=1, validate=validate.Range(min=0, max=100))
    content_url = fields.Url(load_default="", schemes={"http", "https"}, allow_none=False)
    embed = fields.Boolean(load_default=False)
    questionnaire_role = fields.String(load_default="", validate=validate.OneOf(["", "pre", "post"]))
    questions = fields.List(fields.Nested(QuestionSchema), load_default=list)
    moodle_cmid = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))

    @pre_load
    def blanks(self, data, **kwargs):
        data = dict(data)
        for key in ("unlock_after_step_id", "estimated_minutes", "minimum_minutes", "weight"):
            if data.get(key) in ("", None):
                data.pop(key, None)
        if data.get("content_url") == "":
            data.pop("content_url")
        return data

    @validates_schema
    def questionnaire_has_questions(self, data, **kwargs):
        if data["kind"] == StepKind.QUESTIONNAIRE and not data.get("questions"):
            raise ValidationError(str(_l("A questionnaire needs at least one question.")), "questions")


def parse_questions(text: str) -> list[dict]:
    """Questions typed in a textarea: a question line, then choices, the right one starting with '*';
    a blank line between questions."""
    questions = []
    for block in [b for b in (text or "").replace("\r", "").split("\n\n") if b.strip()]:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        choices, answer = [], -1
        for line in lines[1:]:
            if line.startswith("*"):
                answer = len(choices)
                line = line[1:].strip()
            choices.append(line.lstrip("-").strip())
        questions.append({"prompt": lines[0], "choices": choices, "answer": answer})
    return questions


def format_questions(questions: list[dict]) -> str:
    blocks = []
    for question in questions or []:
        lines = [question["prompt"]] + [("* " if i == question["answer"] else "- ") + c
                                        for i, c in enumerate(question["choices"])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class ParisDateTime(fields.DateTime):
    """Dates typed by people are Paris wall-clock times (datetime-local inputs)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=PARIS)


class FacilitatorSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    profession = PROFESSION


class SessionSchema(BaseSchema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(required=True, validate=validate.OneOf(SessionFormat.ALL))
    title = fields.String(load_default="", validate=validate.Length(max=300))
    starts_at = ParisDateTime(required=True)
    ends_at = ParisDateTime(required=True)
    place = fields.String(load_default="", validate=validate.Length(max=500))
    video_url = fields.Url(load_default="", schemes={"http", "https"})
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    registration_deadline = ParisDateTime(load_default=None, allow_none=True)
    target_professions = fields.List(PROFESSION, load_default=list)
    quotas = fields.Dict(keys=PROFESSION, values=fields.Integer(validate=validate.Range(min=0, max=1000)),
                         load_default=dict)
    facilitators = fields.List(fields.Nested(FacilitatorSchema), load_default=list, validate=validate.Length(max=6))

    @pre_load
    def blanks(self, data, **kwargs):
        data = dict(data)
        for key in ("registration_deadline", "video_url"):
            if data.get(key) in ("", None):
                data.pop(key, None)
        return data

    @validates_schema
    def consistent(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError(str(_l("The end must come after the start.")), "ends_at")
        if data["format"] == SessionFormat.VIDEO and not data.get("video_url"):
            raise ValidationError(str(_l("A video conference needs its link.")), "video_url")
        if data["format"] != SessionFormat.VIDEO and not data.get("place"):
            raise ValidationError(str(_l("An in-person session needs a place.")), "place")


class SharedStepSchema(StepSchema):
    """A step in a shared pathway definition: unlock rules refer to positions, not database ids. A link to a
    Moodle activity stays home: the other CPTS's course has its own activities."""

    class Meta(StepSchema.Meta):
        exclude = ("moodle_cmid",)

    unlock_after_position = fields.Integer(load_default=None, allow_none=True)
    unlock_after_step_id = fields.Integer(load_default=None, allow_none=True, load_only=True)


class SharedPathwaySchema(BaseSchema):
    """A pathway definition one CPTS exports and another imports."""

    class Meta:
        unknown = EXCLUDE

    format = fields.Constant("parcours-hybrides/pathway@1")
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default="")
    organisation = fields.String(load_default="")
    steps = fields.List(fields.Nested(SharedStepSchema), required=True, validate=validate.Length(min=1, max=100))

    @validates("steps")
    def unlock_positions(self, steps, **kwargs):
        for index, step in enumerate(steps, start=1):
            position = step.get("unlock_after_position")
            if position is not None and not 1 <= position < index:
                raise ValidationError(str(_l("A step can only wait for an earlier step.")))


class DpcProgrammeSchema(BaseSchema):
    class Meta:
        unknown = EXCLUDE

    action_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z.-]{3,40}$"))
    session_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z.-]{1,40}$"))
    type = fields.String(required=True, validate=validate.OneOf(["formation_continue", "epp", "gestion_risques",
                                                                  "programme_integre"]))
    eligible_professions = fields.List(PROFESSION, load_default=list)
    required_half_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    required_online_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))
    requires_pre_post = fields.Boolean(load_default=False)
    minimum_participants = fields.Integer(load_default=5, validate=validate.Range(min=1, max=1000))
