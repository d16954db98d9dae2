"""A pathway's life: a draft until published (with at least one step), published, archived (hidden from
learners, read-only, its proof kept) and back; deleted only while no learner has done anything in it."""
from __future__ import annotations

from sqlalchemy import exists, select

from models import (ActivityInterval, AttendanceMark, Booking, Course, DpcValidation, Enrolment, HalfDay, Pathway,
                    QuestionnaireAttempt, Step, StepCompletion, WorkshopSession, db, utcnow)

from ..domain_errors import Refused
from . import pathways

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"


def status(pathway: Pathway) -> str:
    if pathway.archived_at is not None:
        return ARCHIVED
    return PUBLISHED if pathway.published else DRAFT


def create_draft(course: Course, data: dict) -> Pathway:
    """A new pathway starts as a draft: learners see it once the instructor publishes it."""
    return pathways.save_pathway(course, {**data, "published": False})


def save(course: Course, data: dict, pathway: Pathway) -> Pathway:
    """Title, description, organisation; publication only through publish()/unpublish()."""
    ensure_editable(pathway)
    return pathways.save_pathway(course, {**data, "published": pathway.published}, pathway)


def ensure_editable(pathway: Pathway) -> None:
    if pathway.archived_at is not None:
        raise Refused("pathway_archived")


def publish(pathway: Pathway) -> Pathway:
    ensure_editable(pathway)
    if not pathway.steps:
        raise Refused("pathway_without_steps")
    pathway.published = True
    db.session.flush()
    return pathway


def unpublish(pathway: Pathway) -> Pathway:
    """Back to draft only while no learner has done anything: once they have, archive it instead."""
    ensure_editable(pathway)
    if has_learner_activity(pathway):
        raise Refused("pathway_has_activity")
    pathway.published = False
    db.session.flush()
    return pathway


def archive(pathway: Pathway) -> Pathway:
    """Hidden from learners and read-only; enrolments, attendance, DPC decisions and grades stay as they are."""
    if pathway.archived_at is None:
        pathway.archived_at, pathway.published = utcnow(), False
        db.session.flush()
    return pathway


def unarchive(pathway: Pathway) -> Pathway:
    """Back as a draft: the instructor checks it and publishes it again."""
    pathway.archived_at = None
    db.session.flush()
    return pathway


def has_learner_activity(pathway: Pathway) -> bool:
    """Anything a learner did or that proves it: completions, online time, answers, bookings, attendance, DPC
    decisions. Opening the pathway page alone (an empty enrolment) is not activity."""
    enrolments = select(Enrolment.id).where(Enrolment.pathway_id == pathway.id)
    steps = select(Step.id).where(Step.pathway_id == pathway.id)
    half_days = (select(HalfDay.id).join(WorkshopSession, WorkshopSession.id == HalfDay.session_id)
                 .where(WorkshopSession.step_id.in_(steps)))
    checks = [
        exists().where(StepCompletion.enrolment_id.in_(enrolments)),
        exists().where(ActivityInterval.enrolment_id.in_(enrolments)),
        exists().where(QuestionnaireAttempt.enrolment_id.in_(enrolments)),
        exists().where(DpcValidation.enrolment_id.in_(enrolments)),
        exists().where(Booking.session_id.in_(select(WorkshopSession.id).where(WorkshopSession.step_id.in_(steps)))),
        exists().where(AttendanceMark.half_day_id.in_(half_days)),
    ]
    return any(db.session.scalar(select(check)) for check in checks)


def delete(pathway: Pathway) -> None:
    if has_learner_activity(pathway):
        raise Refused("pathway_has_activity")
    db.session.delete(pathway)  # steps, sessions, empty enrolments and the DPC programme go with it
    db.session.flush()


def pathway_of(endpoint: str | None, view_args: dict | None) -> Pathway | None:
    """The pathway an instructor URL acts on (by pathway, step, session or half-day id), if any."""
    args = view_args or {}
    if "pathway_id" in args:
        return db.session.get(Pathway, args["pathway_id"])
    if "step_id" in args:
        step = db.session.get(Step, args["step_id"])
        return step.pathway if step else None
    if "session_id" in args:
        session = db.session.get(WorkshopSession, args["session_id"])
        return session.step.pathway if session else None
    if "half_day_id" in args:
        half_day = db.session.get(HalfDay, args["half_day_id"])
        return half_day.session.step.pathway if half_day else None
    return None


# What an archived pathway still allows: bringing it back, deleting it (if nothing was done), and reading.
ALLOWED_WHEN_ARCHIVED = {"instructor.unarchive_pathway", "instructor.delete_pathway"}


def refuse_changes_when_archived(method: str, endpoint: str | None, view_args: dict | None) -> None:
    if method in ("GET", "HEAD", "OPTIONS") or endpoint in ALLOWED_WHEN_ARCHIVED:
        return
    pathway = pathway_of(endpoint, view_args)
    if pathway is not None and pathway.archived_at is not None:
        raise Refused("pathway_archived")
