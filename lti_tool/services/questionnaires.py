"""Multiple-choice questionnaires (pre-test / post-test): attempts kept, latest attempt scores the step."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import Enrolment, QuestionnaireAttempt, Step, db, utcnow

from ..domain_errors import Refused
from . import completion

DOUBLE_SUBMIT = timedelta(seconds=10)  # the same answers again within this delay: the same submit, sent twice


def submit(enrolment: Enrolment, step: Step, raw_answers: list[str | None]) -> QuestionnaireAttempt:
    answers = []
    for raw in raw_answers:
        try:
            answers.append(int(raw))
        except (TypeError, ValueError):
            raise Refused("invalid_form", "every question needs an answer") from None
    if len(answers) != len(step.questions) or any(
            not 0 <= a < len(q["choices"]) for a, q in zip(answers, step.questions, strict=True)):
        raise Refused("invalid_form", "answers do not match the questions")
    rows = {row.step.id: row for row in completion.statuses(enrolment)}
    if not rows[step.id].unlocked:
        raise Refused("step_locked")
    # A double click waits for the first submit, then finds its attempt and answers with it.
    completion.lock_enrolment(enrolment)
    latest = db.session.scalars(select(QuestionnaireAttempt).where(
        QuestionnaireAttempt.enrolment_id == enrolment.id, QuestionnaireAttempt.step_id == step.id)
        .order_by(QuestionnaireAttempt.id.desc()).limit(1)).first()
    if latest is not None and latest.answers == answers and utcnow() - latest.submitted_at < DOUBLE_SUBMIT:
        return latest
    total = sum(q.get("points", 1) for q in step.questions) or 1
    earned = sum(q.get("points", 1) for a, q in zip(answers, step.questions, strict=True) if a == q["answer"])
    attempt = QuestionnaireAttempt(enrolment_id=enrolment.id, step_id=step.id, answers=answers,
                                   score=round(100 * earned / total, 1))
    db.session.add(attempt)
    db.session.flush()
    completion.record_completion(enrolment, step, source="questionnaire", score=attempt.score)
    return attempt


def attempts(enrolment: Enrolment, step: Step) -> list[QuestionnaireAttempt]:
    return list(db.session.scalars(select(QuestionnaireAttempt).where(
        QuestionnaireAttempt.enrolment_id == enrolment.id, QuestionnaireAttempt.step_id == step.id)
        .order_by(QuestionnaireAttempt.id)))


def pre_post_by_profession(pathway_id: int) -> list[dict]:
    """Average latest pre-test and post-test scores per profession, over learners who took both (in SQL)."""
    latest = (select(QuestionnaireAttempt.enrolment_id, Step.questionnaire_role.label("role"),
                     func.max(QuestionnaireAttempt.id).label("attempt_id"))
              .join(Step, Step.id == QuestionnaireAttempt.step_id)
              .where(Step.pathway_id == pathway_id, Step.questionnaire_role.in_(("pre", "post")))
              .group_by(QuestionnaireAttempt.enrolment_id, Step.questionnaire_role).subquery())
    scored = (select(latest.c.enrolment_id, latest.c.role, QuestionnaireAttempt.score)
              .join(QuestionnaireAttempt, QuestionnaireAttempt.id == latest.c.attempt_id).subquery())
    pre, post = scored.alias("pre"), scored.alias("post")
    rows = db.session.execute(
        select(Enrolment.profession, func.count(), func.avg(pre.c.score), func.avg(post.c.score))
        .join(pre, (pre.c.enrolment_id == Enrolment.id) & (pre.c.role == "pre"))
        .join(post, (post.c.enrolment_id == Enrolment.id) & (post.c.role == "post"))
        .where(Enrolment.pathway_id == pathway_id).group_by(Enrolment.profession).order_by(Enrolment.profession))
    return [{"profession": p, "learners": n, "pre": round(a or 0, 1), "post": round(b or 0, 1),
             "gain": round((b or 0) - (a or 0), 1)} for p, n, a, b in rows]


def pre_post_for(enrolment: Enrolment) -> dict[str, float | None]:
    """The learner's latest pre-test and post-test scores in the pathway (None when not taken)."""
    rows = db.session.execute(
        select(Step.questionnaire_role, QuestionnaireAttempt.score)
        .join(Step, Step.id == QuestionnaireAttempt.step_id)
        .where(QuestionnaireAttempt.enrolment_id == enrolment.id, Step.questionnaire_role.in_(("pre", "post")))
        .order_by(QuestionnaireAttempt.id)).all()
    latest = {"pre": None, "post": None}
    for role, score in rows:
        latest[role] = score
    return latest
