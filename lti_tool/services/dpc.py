"""DPC validation: the rules of the programme applied to attendance, online time and questionnaires; the
instructor validates or withdraws; each decision goes to Moodle as a score on a "Validation DPC" grade item
(1 validated, 0 withdrawn) through the outbox; certificate and declaration file for the agency."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select, update

from models import (
    ActivityInterval,
    AttendanceStatus,
    DpcProgramme,
    DpcValidation,
    Enrolment,
    GradeOutbox,
    HalfDay,
    LearnerProfile,
    QuestionnaireAttempt,
    ResourceLink,
    Step,
    StepKind,
    User,
    WorkshopSession,
    db,
    utcnow,
)

from ..domain_errors import Refused
from . import csv_export, grades, notifications, professions
from .completion import COUNTED_TIME

ATTENDED = ("present", "late")


@dataclass(frozen=True)
class Evaluation:
    half_days: int
    online_minutes: int
    pre_post: bool
    participants: int
    unmet: list[str]

    @property
    def eligible(self) -> bool:
        return not self.unmet


def programme_of(pathway_id: int) -> DpcProgramme | None:
    return db.session.scalars(select(DpcProgramme).where(DpcProgramme.pathway_id == pathway_id)).first()


def save_programme(pathway, data: dict) -> DpcProgramme:
    programme = programme_of(pathway.id) or DpcProgramme(pathway_id=pathway.id)
    for key, value in data.items():
        setattr(programme, key, value)
    db.session.add(programme)
    db.session.flush()
    return programme


def _attended(pathway_id: int, *columns):
    """What counts as DPC attendance: present or late on a certified half-day of the pathway's sessions."""
    return (select(*columns).select_from(AttendanceStatus)
            .join(HalfDay, HalfDay.id == AttendanceStatus.half_day_id)
            .join(WorkshopSession, WorkshopSession.id == AttendanceStatus.session_id)
            .join(Step, Step.id == WorkshopSession.step_id)
            .where(Step.pathway_id == pathway_id, AttendanceStatus.status.in_(ATTENDED),
                   HalfDay.certified_at.is_not(None)))


def participants(pathway_id: int) -> int:
    """People who attended at least one certified half-day of the pathway's sessions."""
    return db.session.scalar(_attended(pathway_id, func.count(func.distinct(AttendanceStatus.user_id))))


def evaluate(enrolment: Enrolment, programme: DpcProgramme, participant_count: int | None = None) -> Evaluation:
    profile = db.session.get(LearnerProfile, enrolment.user_id)
    unmet = []
    profession = profile.profession if profile else ""
    if not professions.is_dpc(profession) or (programme.eligible_professions and
                                               profession not in programme.eligible_professions):
        unmet.append("profession")
    if not profile or not (profile.rpps or profile.adeli):
        unmet.append("identifier")
    half_days = db.session.scalar(_attended(enrolment.pathway_id, func.count())
                                  .where(AttendanceStatus.user_id == enrolment.user_id))
    if half_days < programme.required_half_days:
        unmet.append("half_days")
    seconds = db.session.scalar(
        select(func.coalesce(func.sum(ActivityInterval.seconds), 0)).join(Step, Step.id == ActivityInterval.step_id)
        .where(ActivityInterval.enrolment_id == enrolment.id, Step.kind == StepKind.MODULE, COUNTED_TIME))
    if seconds // 60 < programme.required_online_minutes:
        unmet.append("online_minutes")
    roles = set(db.session.scalars(
        select(Step.questionnaire_role).join(QuestionnaireAttempt, QuestionnaireAttempt.step_id == Step.id)
        .where(QuestionnaireAttempt.enrolment_id == enrolment.id)))
    pre_post = {"pre", "post"} <= roles
    if programme.requires_pre_post and not pre_post:
        unmet.append("pre_post")
    count = participants(enrolment.pathway_id) if participant_count is None else participant_count
    if count < programme.minimum_participants:
        unmet.append("minimum_participants")
    return Evaluation(half_days=half_days, online_minutes=int(seconds // 60), pre_post=pre_post,
                      participants=count, unmet=unmet)


def certificate_number(programme: DpcProgramme, enrolment: Enrolment) -> str:
    return f"DPC-{programme.action_number}-{programme.session_number}-{enrolment.id:06d}"


def _publish(enrolment: Enrolment, programme: DpcProgramme, score: int, comment: str) -> None:
    """The decision goes to a course-level "Validation DPC" item (no resource link: an item on the pathway's
    activity would take the `lineitem` claim away from its launches), once per registration the pathway is
    placed with (each has its own line items container in Moodle)."""
    links = [link for link in db.session.scalars(select(ResourceLink).where(
        ResourceLink.pathway_id == enrolment.pathway_id, ResourceLink.platform_id.is_not(None),
        ResourceLink.lineitems_url.is_not(None)).order_by(ResourceLink.id)) if not grades.is_step_placement(link)]
    containers = {}
    for link in links:
        containers.setdefault((link.platform_id, link.lineitems_url), link)
    user = db.session.get(User, enrolment.user_id)
    for (platform_id, container), link in containers.items():
        same = (GradeOutbox.kind == "dpc", GradeOutbox.enrolment_id == enrolment.id,
                GradeOutbox.platform_id == platform_id)
        # A newer decision replaces an unsent older one; timestamps increase in the order decisions were taken.
        db.session.execute(update(GradeOutbox).where(*same, grades.unleased_pending())
                           .values(state=GradeOutbox.SUPERSEDED).execution_options(synchronize_session=False))
        db.session.add(GradeOutbox(
            platform_id=platform_id, course_id=link.course_id, resource_link_id=link.id,
            enrolment_id=enrolment.id, kind="dpc", lineitem_url=container, user_sub=user.sub,
            lineitem_spec={"label": f"Validation DPC — action {programme.action_number} / session "
                                    f"{programme.session_number}", "scoreMaximum": 1,
                           "resourceId": f"dpc-{programme.pathway_id}", "tag": "validation-dpc"},
            payload={"scoreGiven": score, "scoreMaximum": 1, "activityProgress": "Completed",
                     "gradingProgress": "FullyGraded", "comment": comment},
            timestamp=grades.next_timestamp(*same), next_attempt_at=utcnow()))
    db.session.flush()


def _decision_lock(enrolment: Enrolment) -> DpcValidation | None:
    """Decisions on one participant are taken one at a time: a write on the enrolment row holds the others
    (a row lock on PostgreSQL, the database's write lock on SQLite) until this transaction ends; the validation
    is then read as the previous decision left it."""
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id).values(id=Enrolment.id)
                       .execution_options(synchronize_session=False))
    return db.session.scalars(select(DpcValidation).where(DpcValidation.enrolment_id == enrolment.id)
                              .execution_options(populate_existing=True)).first()


def validate(enrolment: Enrolment, by_user_id: int) -> DpcValidation:
    programme = programme_of(enrolment.pathway_id)
    if programme is None:
        raise Refused("dpc_no_programme")
    evaluation = evaluate(enrolment, programme)
    if not evaluation.eligible:
        raise Refused("dpc_criteria_unmet", ", ".join(evaluation.unmet))
    validation = _decision_lock(enrolment)
    if validation is None:
        validation = DpcValidation(enrolment_id=enrolment.id,
                                   certificate_number=certificate_number(programme, enrolment))
        db.session.add(validation)
    validation.state, validation.reason = DpcValidation.GRANTED, ""
    validation.decided_by_user_id, validation.decided_at = by_user_id, utcnow()
    db.session.flush()
    _publish(enrolment, programme, 1, f"DPC validé — action {programme.action_number}, session "
             f"{programme.session_number}, le {validation.decided_at:%d/%m/%Y}, "
             f"attestation {validation.certificate_number}")
    notifications.dpc_validated(enrolment, validation)  # the learner's message with the certificate link
    return validation


def withdraw(enrolment: Enrolment, by_user_id: int, reason: str) -> DpcValidation:
    programme = programme_of(enrolment.pathway_id)
    validation = _decision_lock(enrolment) if programme is not None else None
    if programme is None or validation is None or validation.state != DpcValidation.GRANTED:
        raise Refused("dpc_not_validated")
    if not reason.strip():
        raise Refused("reason_required")
    validation.state, validation.reason = DpcValidation.WITHDRAWN, reason.strip()
    validation.decided_by_user_id, validation.decided_at = by_user_id, utcnow()
    db.session.flush()
    _publish(enrolment, programme, 0, f"Validation DPC retirée — action {programme.action_number}, session "
             f"{programme.session_number} : {validation.reason}")
    return validation


def validations(pathway_id: int) -> dict[int, DpcValidation]:
    return {v.enrolment_id: v for v in db.session.scalars(
        select(DpcValidation).join(Enrolment, Enrolment.id == DpcValidation.enrolment_id)
        .where(Enrolment.pathway_id == pathway_id))}


def session_participants(pathway_id: int) -> list[Enrolment]:
    """The DPC session's group: learners who attended a half-day, or whose participation was decided."""
    attended = (select(AttendanceStatus.user_id)
                .join(WorkshopSession, WorkshopSession.id == AttendanceStatus.session_id)
                .join(Step, Step.id == WorkshopSession.step_id)
                .where(Step.pathway_id == pathway_id, AttendanceStatus.status.in_(ATTENDED)))
    decided = select(DpcValidation.enrolment_id)
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.pathway_id == pathway_id, (Enrolment.user_id.in_(attended)) | (Enrolment.id.in_(decided)))
        .order_by(Enrolment.id)))


def hours(enrolment: Enrolment) -> tuple[float, float]:
    """Hours in person (attended, certified half-days) and online (module time), for the certificate."""
    seconds_in_person = 0.0
    for start, end in db.session.execute(_attended(enrolment.pathway_id, HalfDay.starts_at, HalfDay.ends_at)
                                         .where(AttendanceStatus.user_id == enrolment.user_id)):
        seconds_in_person += (end - start).total_seconds()
    online = db.session.scalar(select(func.coalesce(func.sum(ActivityInterval.seconds), 0))
                               .join(Step, Step.id == ActivityInterval.step_id)
                               .where(ActivityInterval.enrolment_id == enrolment.id, COUNTED_TIME))
    return round(seconds_in_person / 3600, 1), round(online / 3600, 1)


def declaration_rows(pathway_id: int) -> list[dict]:
    """One line per validated participant, for the declaration to the agency."""
    programme = programme_of(pathway_id)
    rows = []
    for validation in validations(pathway_id).values():
        if validation.state != DpcValidation.GRANTED:
            continue
        enrolment = validation.enrolment
        profile = db.session.get(LearnerProfile, enrolment.user_id)
        user = db.session.get(User, enrolment.user_id)
        in_person, online = hours(enrolment)
        rows.append({"action": programme.action_number, "session": programme.session_number,
                     "nom": user.family_name or user.display_name, "prenom": user.given_name,
                     "profession": profile.profession if profile else "", "rpps": profile.rpps if profile else "",
                     "adeli": profile.adeli if profile else "",
                     "mode_exercice": profile.practice_mode if profile else "",
                     "heures_presentiel": in_person, "heures_en_ligne": online,
                     "date_validation": validation.decided_at.astimezone(csv_export.PARIS).date(),  # in France
                     "attestation": validation.certificate_number})
    return rows


def granted(enrolment: Enrolment) -> tuple[DpcProgramme, DpcValidation]:
    """The programme and the validation of a validated participation (what its certificate says); refused when
    there is none or it was withdrawn."""
    programme = programme_of(enrolment.pathway_id)
    validation = validations(enrolment.pathway_id).get(enrolment.id)
    if programme is None or validation is None or validation.state != DpcValidation.GRANTED:
        raise Refused("dpc_not_validated")
    return programme, validation


# Whether an enrolment's DPC participation is validated, as a correlated EXISTS (the learner's pathway page).
VALIDATED = exists().where(DpcValidation.enrolment_id == Enrolment.id, DpcValidation.state == DpcValidation.GRANTED)


@dataclass(frozen=True)
class SessionEvidence:
    """What the DPC file of one workshop session holds besides its sheets: its confirmed participants, their
    online time log and their questionnaire results (rows of csv_export.TIME_LOG and QUESTIONNAIRE_RESULTS)."""
    people: list  # rows of (id, name, profession), by family name
    times: list[dict]
    results: list[dict]


def session_evidence(session: WorkshopSession) -> SessionEvidence:
    from models import Booking

    people = db.session.execute(
        select(User.id, User.name, Booking.profession).join(Booking, Booking.user_id == User.id)
        .where(Booking.session_id == session.id, Booking.status == Booking.CONFIRMED)
        .order_by(User.family_name, User.name)).all()
    user_ids = [person.id for person in people]
    enrolments = {e.user_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.pathway_id == session.step.pathway_id, Enrolment.user_id.in_(user_ids)))}
    names = {person.id: person.name for person in people}
    owners = {enrolment.id: names[user_id] for user_id, enrolment in enrolments.items()}
    times = [{"participant": owners[interval.enrolment_id], "step": step_title, "start": interval.started_at,
              "end": interval.ended_at, "seconds": interval.seconds, "source": interval.source}
             for interval, step_title in db.session.execute(
                 select(ActivityInterval, Step.title).join(Step, Step.id == ActivityInterval.step_id)
                 .where(ActivityInterval.enrolment_id.in_(list(owners)))
                 .order_by(ActivityInterval.enrolment_id, ActivityInterval.started_at))]
    results = [{"participant": owners[attempt.enrolment_id], "questionnaire": step_title, "role": role,
                "score": attempt.score, "date": attempt.submitted_at}
               for attempt, step_title, role in db.session.execute(
                   select(QuestionnaireAttempt, Step.title, Step.questionnaire_role)
                   .join(Step, Step.id == QuestionnaireAttempt.step_id)
                   .where(QuestionnaireAttempt.enrolment_id.in_(list(owners)))
                   .order_by(QuestionnaireAttempt.enrolment_id, QuestionnaireAttempt.id))]
    return SessionEvidence(people=people, times=times, results=results)


def attended_dates(enrolment: Enrolment) -> list[str]:
    from flask_babel import format_datetime

    rows = db.session.execute(_attended(enrolment.pathway_id, HalfDay.starts_at, HalfDay.period)
                              .where(AttendanceStatus.user_id == enrolment.user_id).order_by(HalfDay.starts_at)).all()
    return [f"{format_datetime(start, 'd MMMM y')} ({'matin' if period == 'am' else 'après-midi'})"
            for start, period in rows]
