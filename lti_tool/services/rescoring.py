"""Scores follow the pathway: when a step is added, removed or re-weighted, when who it is required for changes,
or when the pathway gets a new placement, every enrolled learner is recomputed and their current score queued
for each placement — once per learner and line item (an unchanged score already queued or sent is not queued
again).

A small pathway is rescored inside the request that changed it; a large one gets a `pathway_rescore` row in
that same transaction (so the change is never lost) and the grades worker does it in batches, set-based: a few
queries per batch of learners, not per learner.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import (
    ActivityInterval,
    Enrolment,
    GradeOutbox,
    Pathway,
    PathwayRescore,
    Step,
    StepCompletion,
    User,
    db,
    utcnow,
)

from . import completion, grades

log = logging.getLogger("lti_tool.grades")
INLINE_LIMIT = 200  # learners rescored inside the request; above, the worker does it
BATCH = 500


def pathway_changed(pathway: Pathway, reason: str) -> None:
    """Call after a change that can move every learner's score (in the transaction of the change)."""
    db.session.flush()
    enrolled = db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.pathway_id == pathway.id))
    if not enrolled:
        return
    if enrolled <= INLINE_LIMIT:
        rescore_pathway(pathway.id)
    else:
        request_rescore(pathway.id, reason)


def request_rescore(pathway_id: int, reason: str) -> None:
    insert_ = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert_(PathwayRescore).values(pathway_id=pathway_id, requested_at=utcnow(), reason=reason)
                       .on_conflict_do_update(index_elements=["pathway_id"],
                                              set_={"requested_at": utcnow(), "reason": reason}))


def process_requests(limit: int = 20) -> int:
    """The worker's part: rescore each requested pathway, committing per batch. A request made again while
    its pathway is being rescored (a newer `requested_at`) is kept for the next pass."""
    done = 0
    for pathway_id, requested_at in db.session.execute(select(PathwayRescore.pathway_id, PathwayRescore.requested_at)
                                                       .order_by(PathwayRescore.requested_at).limit(limit)).all():
        queued = rescore_pathway(pathway_id, commit=True)
        db.session.execute(PathwayRescore.__table__.delete().where(PathwayRescore.pathway_id == pathway_id,
                                                                   PathwayRescore.requested_at == requested_at))
        db.session.commit()
        log.info("pathway %s rescored: %s scores queued", pathway_id, queued)
        done += 1
    return done


def rescore_pathway(pathway_id: int, *, commit: bool = False) -> int:
    """Recompute every enrolment of the pathway and queue the scores that Moodle does not have; returns how
    many outbox rows were queued."""
    pathway = db.session.get(Pathway, pathway_id)
    if pathway is None:
        return 0
    steps = list(db.session.scalars(select(Step).where(Step.pathway_id == pathway_id).order_by(Step.position)))
    links = grades.placements(pathway_id)
    queued, after = 0, 0
    while True:
        enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway_id,
                                                                     Enrolment.id > after)
                                             .order_by(Enrolment.id).limit(BATCH)))
        if not enrolments:
            return queued
        after = enrolments[-1].id
        queued += _rescore_batch(pathway, steps, links, enrolments)
        if commit:
            db.session.commit()


def _rescore_batch(pathway: Pathway, steps: list[Step], links, enrolments: list[Enrolment]) -> int:
    ids = [enrolment.id for enrolment in enrolments]
    scores: dict[int, dict[int, float | None]] = {enrolment_id: {} for enrolment_id in ids}
    for enrolment_id, step_id, score in db.session.execute(
            select(StepCompletion.enrolment_id, StepCompletion.step_id, StepCompletion.score)
            .where(StepCompletion.enrolment_id.in_(ids))):
        scores[enrolment_id][step_id] = score
    active = set(db.session.scalars(select(ActivityInterval.enrolment_id).where(ActivityInterval.enrolment_id.in_(ids))
                                    .distinct()))
    changed, results = set(), {}
    for enrolment in enrolments:
        result = completion.evaluate(steps, enrolment.profession, scores[enrolment.id], enrolment.id in active)
        results[enrolment.id] = result
        if completion.apply(enrolment, result):
            changed.add(enrolment.id)
    db.session.flush()
    if not links:
        return 0
    subs = dict(db.session.execute(select(User.id, User.sub).where(User.id.in_([e.user_id for e in enrolments]))).all())
    link_ids = [link.id for link in links]
    user_subs = list(subs.values())
    # What each learner already has on each placement: latest payload and timestamp.
    latest = {}
    for link_id, sub, payload, stamp, state in db.session.execute(
            select(GradeOutbox.resource_link_id, GradeOutbox.user_sub, GradeOutbox.payload, GradeOutbox.timestamp,
                   GradeOutbox.state)
            .where(GradeOutbox.resource_link_id.in_(link_ids), GradeOutbox.kind == "score",
                   GradeOutbox.user_sub.in_(user_subs)).order_by(GradeOutbox.timestamp)):
        latest[(link_id, sub)] = (payload if state != GradeOutbox.SUPERSEDED else None, stamp)
    rows, superseded = [], []
    now = utcnow()
    for enrolment in enrolments:
        result, sub = results[enrolment.id], subs[enrolment.user_id]
        payload = grades.score_payload(enrolment, result.done, result.required)
        for link in links:
            known, stamp = latest.get((link.id, sub), (None, None))
            if known is None and stamp is None and enrolment.state == Enrolment.NOT_STARTED:
                continue  # nothing to say yet about someone who never started, and nothing to correct
            if known is not None and _same_score(known, payload):
                continue
            stamp = max(grades.millis(now), stamp + timedelta(milliseconds=1)) if stamp else grades.millis(now)
            superseded.append((link.id, sub))
            rows.append(grades.score_row(link, pathway.title, enrolment_id=enrolment.id, user_sub=sub,
                                         payload=payload, timestamp=stamp, now=now))
    for link_id in {link_id for link_id, _ in superseded}:
        subs_here = [sub for other, sub in superseded if other == link_id]
        db.session.execute(update(GradeOutbox).where(
            GradeOutbox.resource_link_id == link_id, GradeOutbox.kind == "score", GradeOutbox.user_sub.in_(subs_here),
            grades.unleased_pending()).values(state=GradeOutbox.SUPERSEDED).execution_options(synchronize_session=False))
    if rows:
        db.session.execute(insert(GradeOutbox), rows)
    return len(rows)


def _same_score(known: dict, payload: dict) -> bool:
    return all(known.get(key) == payload[key] for key in ("scoreGiven", "activityProgress", "gradingProgress"))
