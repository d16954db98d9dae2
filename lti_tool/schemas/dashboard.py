"""The dashboard's JSON: one schema per table, the same data as the page and the CSV exports."""
from marshmallow import fields

from .base import BaseSchema


class ProfessionRowSchema(BaseSchema):
    profession = fields.String()
    label = fields.String()
    enrolled = fields.Integer()
    completed = fields.Integer()
    in_progress = fields.Integer()
    not_started = fields.Integer()
    completion_rate = fields.Float()
    average_progress = fields.Float()


class StepRowSchema(BaseSchema):
    step_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    enrolled = fields.Integer()
    done = fields.Integer()
    rate = fields.Float()
    lost = fields.Integer()  # learners who completed the step before and not this one
    lost_rate = fields.Float()


class SessionRowSchema(BaseSchema):
    session_id = fields.Integer()
    title = fields.String()
    starts_at = fields.AwareDateTime()
    format = fields.String()
    capacity = fields.Integer()
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    half_days = fields.Integer()
    attendance_rate = fields.Float(allow_none=True)
    professions_present = fields.Dict(keys=fields.String(), values=fields.Integer())
    interprofessional = fields.Boolean()


class LearnerRowSchema(BaseSchema):
    enrolment_id = fields.Integer()
    name = fields.String()
    profession = fields.String()
    state = fields.String()
    progress = fields.Float()
    score = fields.Float()


class DashboardSchema(BaseSchema):
    pathway_id = fields.Integer()
    title = fields.String()
    by_profession = fields.List(fields.Nested(ProfessionRowSchema))
    steps = fields.List(fields.Nested(StepRowSchema))
    sessions = fields.List(fields.Nested(SessionRowSchema))
    learners = fields.List(fields.Nested(LearnerRowSchema))
    learners_total = fields.Integer()
