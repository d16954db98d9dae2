"""Satisfaction surveys (issue 14, item 5): the standard questions, the signed link each person gets by
message, one answer per person, session and kind, and the results per session and per profession."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Integer, case, func, select
from sqlalchemy.exc import IntegrityError

from models import LearnerProfile, Step, SurveyResponse, User, WorkshopSession, db

from ..domain_errors import InvalidInput
from ..signing import secret_keys
from . import csv_export, professions

SCALES = ("satisfaction", "usefulness", "interprofessional")
QUESTIONS = {
    "satisfaction": _l("Overall, how satisfied are you with this session?"),
    "usefulness": _l("How useful is it for your practice?"),
    "interprofessional": _l("What did working with other professions bring you?"),
}
KINDS = {SurveyResponse.HOT: _l("Right after the session"), SurveyResponse.COLD: _l("Some weeks later")}
MAX_COMMENT = 2000


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(list(secret_keys(current_app.config)), salt="satisfaction-survey")


def token(session_id: int, user_id: int, kind: str) -> str:
    return _serializer().dumps([session_id, user_id, kind])


def from_token(value: str) -> tuple[int, int, str] | None:
    try:
        session_id, user_id, kind = _serializer().loads(value)
    except (BadSignature, TypeError, ValueError):
        return None
    return (int(session_id), int(user_id), kind) if kind in KINDS else None


def answer_of(session_id: int, user_id: int, kind: str) -> SurveyResponse | None:
    return db.session.scalars(select(SurveyResponse).where(SurveyResponse.session_id == session_id,
                                                           SurveyResponse.user_id == user_id,
                                                           SurveyResponse.kind == kind)).first()


def save(session: WorkshopSession, user: User, kind: str, form) -> SurveyResponse:
    """Answered once: a second submit (a double click, the link opened again) returns the first answer."""
    errors, values = {}, {}
    for name in SCALES:
        raw = (form.get(name) or "").strip()
        if raw not in ("1", "2", "3", "4", "5"):
            errors[name] = _l("Choose a value from 1 to 5.")
        else:
            values[name] = int(raw)
    if form.get("recommend") not in ("yes", "no"):
        errors["recommend"] = _l("Answer yes or no.")
    comment = (form.get("comment") or "").replace("\x00", "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = _l("At most %(count)s characters.", count=MAX_COMMENT)
    if errors:
        raise InvalidInput(errors)
    existing = answer_of(session.id, user.id, kind)
    if existing is not None:
        return existing
    profile = db.session.get(LearnerProfile, user.id)
    answer = SurveyResponse(session_id=session.id, user_id=user.id, kind=kind, recommend=form["recommend"] == "yes",
                            profession=profile.profession if profile else "", comment=comment, **values)
    try:
        with db.session.begin_nested():
            db.session.add(answer)
    except IntegrityError:
        return answer_of(session.id, user.id, kind)
    return answer


def _aggregates(*group):
    return select(*group, func.count().label("answers"),
                  *[func.avg(getattr(SurveyResponse, name)).label(name) for name in SCALES],
                  (func.avg(case((SurveyResponse.recommend.is_(True), 100), else_=0).cast(Integer)))
                  .label("recommend"))


def results(pathway_id: int) -> dict:
    """Averages (1 to 5) and the share who would recommend, per session and kind, and per profession and kind."""
    scope = (SurveyResponse.session_id.in_(select(WorkshopSession.id).join(Step, Step.id == WorkshopSession.step_id)
                                           .where(Step.pathway_id == pathway_id)))
    per_session = [dict(row._mapping) for row in db.session.execute(
        _aggregates(WorkshopSession.id.label("session_id"), WorkshopSession.title, WorkshopSession.starts_at,
                    SurveyResponse.kind)
        .join(WorkshopSession, WorkshopSession.id == SurveyResponse.session_id).where(scope)
        .group_by(WorkshopSession.id, WorkshopSession.title, WorkshopSession.starts_at, SurveyResponse.kind)
        .order_by(WorkshopSession.starts_at, SurveyResponse.kind))]
    per_profession = [dict(row._mapping) for row in db.session.execute(
        _aggregates(SurveyResponse.profession, SurveyResponse.kind).where(scope)
        .group_by(SurveyResponse.profession, SurveyResponse.kind)
        .order_by(SurveyResponse.profession, SurveyResponse.kind))]
    comments = list(db.session.execute(
        select(WorkshopSession.title, SurveyResponse.kind, SurveyResponse.profession, SurveyResponse.comment)
        .join(WorkshopSession, WorkshopSession.id == SurveyResponse.session_id)
        .where(scope, SurveyResponse.comment != "").order_by(SurveyResponse.submitted_at)))
    return {"sessions": per_session, "professions": per_profession, "comments": comments}


def answers_table(pathway_id: int) -> tuple[list[csv_export.Column], list[dict]]:
    """Every answer, one line each: the columns and rows of the CSV export."""
    rows = [dict(row._mapping) for row in db.session.execute(
        select(WorkshopSession.title.label("session"), WorkshopSession.starts_at, SurveyResponse.kind,
               SurveyResponse.profession, SurveyResponse.satisfaction, SurveyResponse.usefulness,
               SurveyResponse.interprofessional, SurveyResponse.recommend, SurveyResponse.comment,
               SurveyResponse.submitted_at)
        .join(WorkshopSession, WorkshopSession.id == SurveyResponse.session_id)
        .join(Step, Step.id == WorkshopSession.step_id).where(Step.pathway_id == pathway_id)
        .order_by(WorkshopSession.starts_at, SurveyResponse.id))]
    Column = csv_export.Column
    columns = [Column("session", _l("Session")), Column("starts_at", _l("Date")),
               Column("kind", _l("Survey"), KINDS), Column("profession", _l("Profession"), professions.label),
               Column("satisfaction", _l("Satisfaction")), Column("usefulness", _l("Usefulness for practice")),
               Column("interprofessional", _l("Interprofessional value")),
               Column("recommend", _l("Would recommend")), Column("comment", _l("Comment")),
               Column("submitted_at", _l("Answered"))]
    return columns, rows
