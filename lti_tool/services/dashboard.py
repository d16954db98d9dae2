"""Aggregates for the instructor dashboard, computed in SQL (GROUP BY), never by loading every learner."""
from __future__ import annotations

from sqlalchemy import case, func, select

from models import (AttendanceMark, CourseMembership, AttendanceStatus, Booking, Enrolment, HalfDay, Step, StepCompletion, User,
                    WorkshopSession, db)

from . import professions


def completion_by_profession(pathway_id: int) -> list[dict]:
    completed = func.sum(case((Enrolment.state == Enrolment.COMPLETED, 1), else_=0))
    in_progress = func.sum(case((Enrolment.state == Enrolment.IN_PROGRESS, 1), else_=0))
    rows = db.session.execute(
        select(Enrolment.profession, func.count(), completed, in_progress, func.avg(Enrolment.progress))
        .where(Enrolment.pathway_id == pathway_id).group_by(Enrolment.profession)
        .order_by(func.count().desc(), Enrolment.profession))
    result = []
    for profession, enrolled, done, started, average in rows:
        result.append({"profession": profession, "label": professions.label(profession), "enrolled": enrolled,
                       "completed": int(done or 0), "in_progress": int(started or 0),
                       "not_started": enrolled - int(done or 0) - int(started or 0),
                       "completion_rate": round(100 * int(done or 0) / enrolled, 1) if enrolled else 0.0,
                       "average_progress": round(float(average or 0), 1)})
    return result


def summary(pathway_id: int) -> dict:
    """The tiles at the top of the follow-up: learners by state and the attendance over every session."""
    completed = func.sum(case((Enrolment.state == Enrolment.COMPLETED, 1), else_=0))
    in_progress = func.sum(case((Enrolment.state == Enrolment.IN_PROGRESS, 1), else_=0))
    enrolled, done, started = db.session.execute(
        select(func.count(), completed, in_progress).where(Enrolment.pathway_id == pathway_id)).one()
    done, started = int(done or 0), int(started or 0)
    sessions = sessions_overview(pathway_id)
    expected = sum(row["confirmed"] * row["half_days"] for row in sessions)
    attended = sum(row["attended"] for row in sessions)
    return {"enrolled": enrolled, "completed": done, "in_progress": started,
            "not_started": enrolled - done - started,
            "completion_rate": round(100 * done / enrolled, 1) if enrolled else None,
            "attendance_rate": round(100 * attended / expected, 1) if expected else None,
            "attended": attended, "expected": expected}


def dropoff_per_step(pathway_id: int) -> list[dict]:
    """Per step, in order: who completed it, and who stopped there (completed the step before, not this one):
    the drop-off is what is lost between two steps, not the share that completed."""
    enrolled = db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.pathway_id == pathway_id))
    steps = db.session.execute(select(Step.id, Step.title, Step.kind).where(Step.pathway_id == pathway_id)
                               .order_by(Step.position)).all()
    # One index range count per step (ix_step_completion_step), no join over the completions.
    done = dict(db.session.execute(
        select(StepCompletion.step_id, func.count()).where(StepCompletion.step_id.in_([row[0] for row in steps]))
        .group_by(StepCompletion.step_id)).all()) if steps else {}
    rows, before = [], enrolled
    for step_id, title, kind in steps:
        count = done.get(step_id, 0)
        lost = max(before - count, 0)
        rows.append({"step_id": step_id, "title": title, "kind": kind, "done": count, "enrolled": enrolled,
                     "rate": round(100 * count / enrolled, 1) if enrolled else 0.0,
                     "lost": lost, "lost_rate": round(100 * lost / enrolled, 1) if enrolled else 0.0})
        before = count
    return rows


def sessions_overview(pathway_id: int) -> list[dict]:
    """Per session: confirmed and waitlisted people, attendance rate over its half-days, professions present."""
    sessions = db.session.execute(
        select(WorkshopSession.id, WorkshopSession.title, WorkshopSession.starts_at, WorkshopSession.capacity,
               WorkshopSession.format, Step.title)
        .join(Step, Step.id == WorkshopSession.step_id).where(Step.pathway_id == pathway_id)
        .order_by(WorkshopSession.starts_at)).all()
    if not sessions:
        return []
    ids = [row[0] for row in sessions]
    bookings = db.session.execute(
        select(Booking.session_id, Booking.status, func.count()).where(Booking.session_id.in_(ids))
        .group_by(Booking.session_id, Booking.status)).all()
    half_days = dict(db.session.execute(
        select(HalfDay.session_id, func.count()).where(HalfDay.session_id.in_(ids)).group_by(HalfDay.session_id)).all())
    attended_statuses = (AttendanceMark.PRESENT, AttendanceMark.LATE)
    # Only confirmed people count on both sides of the rate, so it never exceeds 100 %.
    attended = dict(db.session.execute(
        select(AttendanceStatus.session_id, func.count())
        .join(Booking, (Booking.session_id == AttendanceStatus.session_id) & (Booking.user_id == AttendanceStatus.user_id))
        .where(AttendanceStatus.session_id.in_(ids), AttendanceStatus.status.in_(attended_statuses),
               Booking.status == Booking.CONFIRMED)
        .group_by(AttendanceStatus.session_id)).all())
    present_professions = db.session.execute(
        select(AttendanceStatus.session_id, AttendanceStatus.profession, func.count(func.distinct(AttendanceStatus.user_id)))
        .where(AttendanceStatus.session_id.in_(ids), AttendanceStatus.status.in_(attended_statuses))
        .group_by(AttendanceStatus.session_id, AttendanceStatus.profession)).all()
    by_status: dict[int, dict[str, int]] = {}
    for session_id, status, count in bookings:
        by_status.setdefault(session_id, {})[status] = count
    mix: dict[int, dict[str, int]] = {}
    for session_id, profession, count in present_professions:
        mix.setdefault(session_id, {})[professions.label(profession)] = count
    result = []
    for session_id, title, starts_at, capacity, session_format, step_title in sessions:
        confirmed = by_status.get(session_id, {}).get(Booking.CONFIRMED, 0)
        expected = confirmed * half_days.get(session_id, 0)
        result.append({"session_id": session_id, "title": title or step_title, "starts_at": starts_at,
                       "format": session_format, "capacity": capacity, "confirmed": confirmed,
                       "waitlisted": by_status.get(session_id, {}).get(Booking.WAITLISTED, 0),
                       "half_days": half_days.get(session_id, 0),
                       "attendance_rate": round(100 * attended.get(session_id, 0) / expected, 1) if expected else None,
                       "attended": attended.get(session_id, 0),
                       "professions_present": mix.get(session_id, {}),
                       "interprofessional": len(mix.get(session_id, {})) >= 2})
    return result


def _search_terms(search: str | None) -> list:
    """Each word typed must appear in the name or the e-mail (case-insensitive, LIKE wildcards taken literally)."""
    conditions = []
    for word in (search or "").split()[:5]:
        pattern = "%" + word[:100].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(func.lower(User.name).like(pattern, escape="\\")
                          | func.lower(func.coalesce(User.email, "")).like(pattern, escape="\\"))
    return conditions


def learners(pathway_id: int, *, profession: str | None = None, state: str | None = None, search: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    query = (select(Enrolment.id, User.id, User.name, User.email, Enrolment.profession, Enrolment.state,
                    Enrolment.progress, Enrolment.score).join(User, User.id == Enrolment.user_id)
             .where(Enrolment.pathway_id == pathway_id))
    counted = select(func.count()).select_from(Enrolment).where(Enrolment.pathway_id == pathway_id)
    if profession:
        query, counted = query.where(Enrolment.profession == profession), counted.where(Enrolment.profession == profession)
    if state:
        query, counted = query.where(Enrolment.state == state), counted.where(Enrolment.state == state)
    terms = _search_terms(search)
    if terms:
        query = query.where(*terms)
        counted = counted.join(User, User.id == Enrolment.user_id).where(*terms)
    total = db.session.scalar(counted)  # without a search, from the enrolment index alone
    # Least advanced first: who needs a nudge (and the order an index serves at 50,000 learners).
    rows = db.session.execute(query.order_by(Enrolment.progress, Enrolment.id).limit(limit).offset(offset))
    return [{"enrolment_id": e, "user_id": u, "name": n, "email": m, "profession": p,
             "profession_label": professions.label(p), "state": s, "progress": pr, "score": sc}
            for e, u, n, m, p, s, pr, sc in rows], total


def members_by_role(course_id: int) -> dict[str, int]:
    """The course's members as launches and the roster recorded them, counted by role."""
    return dict(db.session.execute(select(CourseMembership.role, func.count())
                                   .where(CourseMembership.course_id == course_id)
                                   .group_by(CourseMembership.role)).all())


def enrolled_by_pathway(pathway_ids: list[int]) -> dict[int, int]:
    if not pathway_ids:
        return {}
    return dict(db.session.execute(select(Enrolment.pathway_id, func.count())
                                   .where(Enrolment.pathway_id.in_(pathway_ids))
                                   .group_by(Enrolment.pathway_id)).all())

