"""The completion engine: for a learner and a pathway, which required steps (given the profession) are done,
the progress, the weighted score and the state — recomputed on each event."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update

from models import ActivityInterval, Enrolment, Step, StepCompletion, db, utcnow

from ..domain_errors import Refused
from . import moodle_links

HEARTBEAT_GAP_SECONDS = 90  # a page seen again within this gap continues the same interval
HEARTBEAT_MAX_CREDIT = 60  # never credit more than this per heartbeat (a tab left open is not study time)


@dataclass(frozen=True)
class StepStatus:
    step: Step
    required: bool
    done: bool
    unlocked: bool
    score: float | None
    minutes: float


def completions(enrolment: Enrolment) -> dict[int, StepCompletion]:
    return {c.step_id: c for c in db.session.scalars(
        select(StepCompletion).where(StepCompletion.enrolment_id == enrolment.id))}


# On a step linked to a Moodle activity only Moodle's time counts: time the tool logged on it before the link
# (the same content, embedded) must not be added to Moodle's total. Needs ActivityInterval joined with Step.
COUNTED_TIME = or_(Step.moodle_cmid.is_(None), ActivityInterval.source == "moodle")


# The pathway's steps in order, each with the learner's completion and counted seconds (built once: the
# learner's pathway page reads it on every visit).
STEP_STATUSES = (
    select(Step, StepCompletion,
           select(func.sum(ActivityInterval.seconds))
           .where(ActivityInterval.enrolment_id == bindparam("enrolment_id"), ActivityInterval.step_id == Step.id,
                  COUNTED_TIME)
           .correlate(Step).scalar_subquery())
    .outerjoin(StepCompletion, (StepCompletion.step_id == Step.id)
               & (StepCompletion.enrolment_id == bindparam("enrolment_id")))
    .where(Step.pathway_id == bindparam("pathway_id")).order_by(Step.position, Step.id))


def statuses(enrolment: Enrolment) -> list[StepStatus]:
    rows = db.session.execute(STEP_STATUSES, {"enrolment_id": enrolment.id, "pathway_id": enrolment.pathway_id}).all()
    done = {step.id for step, completion, _ in rows if completion is not None}
    return [StepStatus(step=step, required=step.required_for_profession(enrolment.profession),
                       done=completion is not None,
                       unlocked=step.unlock_after_step_id is None or step.unlock_after_step_id in done,
                       score=completion.score if completion else None, minutes=(seconds or 0) / 60)
            for step, completion, seconds in rows]


@dataclass(frozen=True)
class Progress:
    progress: float
    score: float
    state: str
    done: int
    required: int


def evaluate(steps, profession: str | None, scores: dict[int, float | None], active: bool) -> Progress:
    """The rule, on plain values: progress = share of the steps required for the profession that are done;
    score = weighted mean of those steps' scores (0 if not done); `scores` holds the done steps."""
    required = [step for step in steps if step.required_for_profession(profession)]
    done = [step for step in required if step.id in scores]
    total_weight = sum(max(step.weight, 0) for step in required) or 1
    progress = round(100 * len(done) / len(required), 1) if required else 0.0
    score = round(sum(max(step.weight, 0) * (scores[step.id] or 0) for step in done) / total_weight, 1)
    if required and len(done) == len(required):
        state = Enrolment.COMPLETED
    else:
        state = Enrolment.IN_PROGRESS if active or scores else Enrolment.NOT_STARTED
    return Progress(progress, score, state, len(done), len(required))


def apply(enrolment: Enrolment, result: Progress) -> bool:
    """Store the result on the enrolment; True when something a grade shows changed."""
    before = (enrolment.progress, enrolment.score, enrolment.state)
    if result.state == Enrolment.COMPLETED and enrolment.state != Enrolment.COMPLETED:
        enrolment.completed_at = utcnow()
    elif result.state != Enrolment.COMPLETED:
        enrolment.completed_at = None
    enrolment.progress, enrolment.score, enrolment.state = result.progress, result.score, result.state
    return (enrolment.progress, enrolment.score, enrolment.state) != before


def recompute(enrolment: Enrolment) -> Enrolment:
    """Recompute one enrolment from its events; a change goes to Moodle's gradebook in this transaction."""
    rows = statuses(enrolment)
    active = any(row.minutes for row in rows) or db.session.scalar(
        select(ActivityInterval.id).where(ActivityInterval.enrolment_id == enrolment.id).limit(1)) is not None
    result = evaluate([row.step for row in rows], enrolment.profession,
                      {row.step.id: row.score for row in rows if row.done}, active)
    changed = apply(enrolment, result)
    db.session.flush()
    if changed:
        from . import grades  # the score goes to Moodle's gradebook through the outbox, in this transaction

        grades.enqueue_score(enrolment, result.done, result.required)
    return enrolment


def next_step(rows: list[StepStatus]) -> StepStatus | None:
    return next((row for row in rows if row.required and not row.done and row.unlocked), None)


def record_completion(enrolment: Enrolment, step: Step, *, source: str, score: float = 100.0, reason: str = "",
                      by_user_id: int | None = None) -> StepCompletion:
    completion = db.session.scalars(select(StepCompletion).where(
        StepCompletion.enrolment_id == enrolment.id, StepCompletion.step_id == step.id)).first()
    if completion is None:
        completion = StepCompletion(enrolment_id=enrolment.id, step_id=step.id, source=source)
        db.session.add(completion)
    completion.score, completion.source, completion.reason = score, source, reason
    completion.recorded_by_user_id, completion.completed_at = by_user_id, utcnow()
    if step.moodle_cmid is not None and source == "instructor":
        moodle_links.remember_withdrawal(enrolment, step, withdrawn=False)
    db.session.flush()
    recompute(enrolment)
    return completion


def withdraw_completion(enrolment: Enrolment, step: Step) -> None:
    completion = db.session.scalars(select(StepCompletion).where(
        StepCompletion.enrolment_id == enrolment.id, StepCompletion.step_id == step.id)).first()
    if step.moodle_cmid is not None:  # else the next Moodle sync would give it back
        moodle_links.remember_withdrawal(enrolment, step, withdrawn=True)
    if completion is not None:
        db.session.delete(completion)
        db.session.flush()
    recompute(enrolment)


def heartbeat(enrolment: Enrolment, step: Step, now: datetime | None = None) -> int:
    """Extend the learner's current interval on the module (or open one); returns seconds on the step."""
    if step.moodle_cmid is not None:  # Moodle's own time counts there, not the tool's page
        raise Refused("completed_in_moodle")
    now = now or utcnow()
    last = db.session.scalars(select(ActivityInterval).where(
        ActivityInterval.enrolment_id == enrolment.id, ActivityInterval.step_id == step.id,
        ActivityInterval.source == "tool").order_by(ActivityInterval.ended_at.desc()).limit(1)).first()
    # Time is credited once per learner: two modules open side by side do not count double.
    latest_any = db.session.scalar(select(func.max(ActivityInterval.ended_at)).where(
        ActivityInterval.enrolment_id == enrolment.id, ActivityInterval.source == "tool"))
    if last is not None and now - last.ended_at <= timedelta(seconds=HEARTBEAT_GAP_SECONDS) and now >= last.ended_at:
        since = max(last.ended_at, latest_any or last.ended_at)
        credit = max(0.0, min((now - since).total_seconds(), HEARTBEAT_MAX_CREDIT))
        last.ended_at = now
        last.seconds += int(credit)
    else:
        db.session.add(ActivityInterval(enrolment_id=enrolment.id, step_id=step.id, started_at=now, ended_at=now,
                                        seconds=0))
    db.session.flush()
    if enrolment.state == Enrolment.NOT_STARTED:  # the first minute studied starts the pathway, in Moodle too
        recompute(enrolment)
    return int(db.session.scalar(select(func.coalesce(func.sum(ActivityInterval.seconds), 0)).where(
        ActivityInterval.enrolment_id == enrolment.id, ActivityInterval.step_id == step.id)))


def learner_marks_module_done(enrolment: Enrolment, step: Step) -> StepCompletion:
    if step.moodle_cmid is not None:  # done when Moodle says so, never by the learner's own declaration
        raise Refused("completed_in_moodle")
    rows = {row.step.id: row for row in statuses(enrolment)}
    row = rows[step.id]
    if not row.unlocked:
        raise Refused("step_locked")
    if row.minutes < step.minimum_minutes:
        raise Refused("minimum_time_not_reached", f"{row.minutes:.1f} < {step.minimum_minutes} min")
    lock_enrolment(enrolment)
    done = completions(enrolment).get(step.id)
    if done is not None:  # a second click (or a resent form): the first one's completion stands, not a new date
        return done
    return record_completion(enrolment, step, source="learner")


def lock_enrolment(enrolment: Enrolment) -> None:
    """Serialise a learner's submits on one pathway (double clicks): a row lock on PostgreSQL, the write lock
    on SQLite, both held to the end of the request. Taken before reading what the first submit did, so the
    second one reads it (a unique constraint alone would make it a 500, or "database is locked" on SQLite)."""
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id).values(state=Enrolment.state)
                       .execution_options(synchronize_session=False))
    db.session.refresh(enrolment)
