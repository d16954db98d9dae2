"""Pathways and their steps, always looked up within the caller's course (tenant isolation)."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from models import Course, Enrolment, LearnerProfile, Organisation, Pathway, Step, StepKind, User, db

from ..domain_errors import NotFound
from . import moodle_links

PUBLISHED_PATHWAYS = (select(Pathway).where(Pathway.course_id == bindparam("course_id"), Pathway.published.is_(True))
                      .order_by(Pathway.id))  # where a learner's launch lands: built once


def list_pathways(course_id: int, *, published_only: bool = False) -> list[Pathway]:
    if published_only:
        return list(db.session.scalars(PUBLISHED_PATHWAYS, {"course_id": course_id}))
    return list(db.session.scalars(select(Pathway).where(Pathway.course_id == course_id).order_by(Pathway.id)))


def get_pathway(pathway_id: int, course_id: int) -> Pathway:
    pathway = db.session.get(Pathway, pathway_id)
    if pathway is None or pathway.course_id != course_id:
        raise NotFound(detail=f"pathway {pathway_id} not in course {course_id}")
    return pathway


def get_step(step_id: int, course_id: int) -> Step:
    step = db.session.scalars(select(Step).join(Pathway, Pathway.id == Step.pathway_id)
                              .where(Step.id == step_id, Pathway.course_id == course_id)).first()
    if step is None:
        raise NotFound(detail=f"step {step_id} not in course {course_id}")
    return step


def get_enrolment(enrolment_id: int, pathway: Pathway) -> Enrolment:
    """A learner's enrolment, only in the pathway given (itself looked up within the caller's course)."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.pathway_id != pathway.id:
        raise NotFound(detail=f"enrolment {enrolment_id} not in pathway {pathway.id}")
    return enrolment


def organisation_for(platform_id: int, name: str, territory: str = "") -> Organisation | None:
    name = (name or "").strip()
    if not name:
        return None
    found = db.session.scalars(select(Organisation).where(Organisation.platform_id == platform_id,
                                                          Organisation.name == name)).first()
    if found is None:
        try:
            with db.session.begin_nested():  # two pathways of a new CPTS created at once: one inserts it
                found = Organisation(platform_id=platform_id, name=name, territory=territory)
                db.session.add(found)
        except IntegrityError:
            found = db.session.scalars(select(Organisation).where(Organisation.platform_id == platform_id,
                                                                  Organisation.name == name)).one()
    return found


def save_pathway(course: Course, data: dict, pathway: Pathway | None = None) -> Pathway:
    if pathway is None:
        pathway = Pathway(course_id=course.id)
        db.session.add(pathway)
    pathway.title = data["title"]
    pathway.description = data.get("description", "")
    pathway.published = data.get("published", True)
    pathway.organisation = organisation_for(course.platform_id, data.get("organisation", ""),
                                            data.get("territory", ""))
    db.session.flush()
    return pathway


def save_step(pathway: Pathway, data: dict, step: Step | None = None) -> Step:
    """Add or change a step; a change that can move scores (a new step, its weight, who it is required for)
    rescores every enrolled learner, so Moodle's gradebook follows the pathway."""
    from . import rescoring

    before = None if step is None else (step.weight, step.required_for)
    if step is None:
        position = db.session.scalar(select(func.coalesce(func.max(Step.position), 0)).where(
            Step.pathway_id == pathway.id)) + 1
        step = Step(position=position)
        pathway.steps.append(step)
    for key in ("kind", "title", "description", "estimated_minutes", "minimum_minutes", "weight", "content_url",
                "embed", "questionnaire_role", "questions"):
        if key in data:
            setattr(step, key, data[key])
    step.required_for = data.get("required_for") or None
    unlock = data.get("unlock_after_step_id")
    step.unlock_after_step_id = (unlock if unlock and unlock != step.id and any(s.id == unlock for s in pathway.steps)
                                 else None)
    if step.kind != StepKind.QUESTIONNAIRE:
        step.questions, step.questionnaire_role = [], ""
    if "moodle_cmid" in data or step.kind != StepKind.MODULE:
        _link_moodle_activity(pathway, step, data.get("moodle_cmid") if step.kind == StepKind.MODULE else None)
    db.session.flush()
    if before != (step.weight, step.required_for):
        rescoring.pathway_changed(pathway, "step_added" if before is None else "step_changed")
    return step


def _link_moodle_activity(pathway: Pathway, step: Step, cmid: int | None) -> None:
    """Only an activity Moodle listed for this course; a new link makes every learner's Moodle state stale,
    so their next visit (or the next sync) reads it."""
    from models import MoodleLearnerSync

    if cmid == step.moodle_cmid:
        return
    if cmid is not None:
        found = moodle_links.validate_link(pathway.course_id, cmid)
        previous = moodle_links.activity(pathway.course_id, step.moodle_cmid)
        if not step.content_url or (previous is not None and step.content_url == previous.url):
            step.content_url = found.url  # the old activity's address would open the wrong activity
    step.moodle_cmid = cmid
    db.session.execute(update(MoodleLearnerSync).where(MoodleLearnerSync.course_id == pathway.course_id)
                       .values(synced_at=None))


def delete_step(step: Step) -> None:
    """Refused when certified attendance sheets hang on it (DPC proof); progress is recomputed after."""
    from models import HalfDay, WorkshopSession

    from ..domain_errors import Refused
    from . import rescoring

    certified = db.session.scalar(select(func.count()).select_from(HalfDay)
                                  .join(WorkshopSession, WorkshopSession.id == HalfDay.session_id)
                                  .where(WorkshopSession.step_id == step.id, HalfDay.certified_at.is_not(None)))
    if certified:
        raise Refused("step_has_certified_sheets")
    pathway = step.pathway
    pathway.steps.remove(step)
    db.session.delete(step)
    db.session.flush()
    rescoring.pathway_changed(pathway, "step_removed")


def move_step(step: Step, offset: int) -> None:
    steps = sorted(step.pathway.steps, key=lambda s: s.position)
    index = steps.index(step)
    other = index + offset
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
        for position, item in enumerate(steps, start=1):
            item.position = position
    db.session.flush()


def enrol(pathway: Pathway, user: User) -> Enrolment:
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway.id,
                                                           Enrolment.user_id == user.id)).first()
    if enrolment is None:
        profile = db.session.get(LearnerProfile, user.id)
        try:
            with db.session.begin_nested():  # two pages opened at once: one inserts, the other reads it
                enrolment = Enrolment(pathway_id=pathway.id, user_id=user.id,
                                      profession=profile.profession if profile else "")
                db.session.add(enrolment)
        except IntegrityError:
            enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway.id,
                                                                   Enrolment.user_id == user.id)).one()
    return enrolment
