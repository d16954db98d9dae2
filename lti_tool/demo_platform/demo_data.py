"""Demo data for `make run`: two hybrid pathways drawn from the sources, with sessions, and learners of many
professions at various stages — built through the same services as real use."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from models import Booking, Course, Platform, StepKind, User, db, utcnow

from ..services import attendance, completion, pathways, profiles, questionnaires, workshops
from ..services.workshops import PARIS
from .simulator import DEMO_COURSES, DEMO_USERS

QUIZ = [
    {"prompt": "Quel est le premier facteur de risque d'iatrogénie chez la personne âgée ?",
     "choices": ["La polymédication", "L'âge seul", "Le sexe"], "answer": 0},
    {"prompt": "Quels médicaments exposent le plus aux accidents graves ?",
     "choices": ["Anticoagulants, antiagrégants, psychotropes", "Vitamines", "Collyres"], "answer": 0},
    {"prompt": "Qui peut repérer une interaction lors de la dispensation ?",
     "choices": ["Le pharmacien", "Personne", "Uniquement le médecin"], "answer": 0},
]
ACR_QUIZ = [
    {"prompt": "Devant une personne inconsciente qui ne respire pas normalement, on :",
     "choices": ["Appelle le 15 et commence le massage cardiaque", "Attend les secours", "Fait boire"], "answer": 0},
    {"prompt": "Fréquence des compressions thoraciques chez l'adulte :", "choices": ["100 à 120/min", "60/min", "200/min"],
     "answer": 0},
]
PROFESSIONS = ["infirmier", "medecin", "pharmacien", "masseur_kinesitherapeute", "sage_femme", "aide_soignant",
               "preparateur_pharmacie", "assistant_social", "psychologue", "dieteticien", "orthophoniste"]
FIRST = ["Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan", "Camille", "Louis", "Inès", "Jules", "Sarah", "Adam",
         "Zoé", "Arthur", "Lina", "Gabriel", "Emma", "Raphaël", "Jade", "Paul"]
LAST = ["Bernard", "Durand", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]


def _paris(days: int, hour: int) -> datetime:
    day = (datetime.now(PARIS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)


def seed(platform: Platform) -> bool:
    """Create the demo pathways once (False when they are already there)."""
    courses = {}
    for demo in DEMO_COURSES:
        course = db.session.scalars(select(Course).where(Course.platform_id == platform.id,
                                                         Course.context_id == demo.context_id)).first()
        if course is None:
            course = Course(platform_id=platform.id, context_id=demo.context_id, label=demo.label, title=demo.title)
            db.session.add(course)
            db.session.flush()
        courses[demo.context_id] = course
    if pathways.list_pathways(courses["11"].id):
        return False
    rng = random.Random(2026)
    users = _users(platform, rng)
    _iatrogenesis(courses["11"], users, rng)
    _cardiac_arrest(courses["12"], users, rng)
    db.session.flush()
    return True


def _users(platform: Platform, rng: random.Random) -> list[User]:
    people = []
    for demo in DEMO_USERS:
        user = db.session.scalars(select(User).where(User.platform_id == platform.id, User.sub == demo.id)).first()
        if user is None:
            user = User(platform_id=platform.id, sub=demo.id, name=demo.name, given_name=demo.given_name,
                        family_name=demo.family_name, email=demo.email, person_sourcedid=demo.idnumber)
            db.session.add(user)
            db.session.flush()
        if demo.role == "Learner" and demo.id not in ("101", "102"):  # 101 and 102 discover the profile form
            code = {"103": "pharmacien", "104": "masseur_kinesitherapeute", "105": "sage_femme",
                    "106": "assistant_social"}[demo.id]
            profiles.save_profile(user, {"profession": code})
            people.append(user)
    for index in range(40):
        name = f"{FIRST[index % len(FIRST)]} {LAST[index % len(LAST)]}"
        user = User(platform_id=platform.id, sub=f"demo-{300 + index}", name=name, given_name=name.split()[0],
                    family_name=name.split()[1], email=f"demo{300 + index}@exemple-cpts.fr")
        db.session.add(user)
        db.session.flush()
        profiles.save_profile(user, {"profession": PROFESSIONS[index % len(PROFESSIONS)],
                                     "practice_mode": rng.choice(["liberal", "salarie", "mixte"])})
        people.append(user)
    return people


def _progress(pathway, users, rng, secret_session):
    """Learners at various stages: some not started, some halfway, some completed."""
    steps = pathway.steps
    for user in users:
        enrolment = pathways.enrol(pathway, user)
        reached = rng.choice([0, 1, 1, 2, 3, len(steps), len(steps), len(steps)])
        for step in steps[:reached]:
            if step.kind == StepKind.MODULE:
                start = utcnow() - timedelta(days=rng.randint(3, 40))
                for second in range(0, (step.minimum_minutes + 5) * 60 + 1, 30):
                    completion.heartbeat(enrolment, step, start + timedelta(seconds=second))
                completion.record_completion(enrolment, step, source="learner")
            elif step.kind == StepKind.QUESTIONNAIRE:
                answers = [str(q["answer"] if rng.random() < (0.55 if step.questionnaire_role == "pre" else 0.85)
                               else (q["answer"] + 1) % len(q["choices"])) for q in step.questions]
                questionnaires.submit(enrolment, step, answers)
            elif step.kind == StepKind.WORKSHOP and secret_session is not None:
                db.session.add(Booking(session_id=secret_session.id, user_id=user.id,
                                       profession=enrolment.profession, status=Booking.CONFIRMED))
                secret_session.confirmed_count += 1
                db.session.flush()
                for half in secret_session.half_days:
                    attendance.mark(half, user.id, rng.choice(["present"] * 9 + ["late"]), method="roster",
                                    by_user_id=user.id)


def _iatrogenesis(course: Course, users: list[User], rng: random.Random) -> None:
    pathway = pathways.save_pathway(course, {
        "title": "Prévenir l'iatrogénie médicamenteuse chez la personne âgée",
        "description": "Parcours hybride de la CPTS : modules en ligne puis séminaire interprofessionnel "
                       "trimestriel (médecins, pharmaciens, infirmiers, kinésithérapeutes…).",
        "organisation": "CPTS Rives de Seine", "territory": "Mantes-la-Jolie"})
    pre = pathways.save_step(pathway, {"kind": StepKind.QUESTIONNAIRE, "title": "Pré-test : vos repères",
                                       "questionnaire_role": "pre", "questions": QUIZ, "weight": 0,
                                       "estimated_minutes": 5})
    mooc = pathways.save_step(pathway, {"kind": StepKind.MODULE, "title": "MOOC : iatrogénie et sujet âgé",
                                        "content_url": "https://www.has-sante.fr/", "estimated_minutes": 45,
                                        "minimum_minutes": 20, "weight": 1, "unlock_after_step_id": pre.id})
    pathways.save_step(pathway, {"kind": StepKind.MODULE, "title": "Conciliation médicamenteuse en ville",
                                 "content_url": "https://www.omedit-idf.fr/", "estimated_minutes": 30,
                                 "minimum_minutes": 10, "weight": 1,
                                 "required_for": ["medecin", "pharmacien", "infirmier", "preparateur_pharmacie"]})
    seminar = pathways.save_step(pathway, {"kind": StepKind.WORKSHOP, "title": "Séminaire interprofessionnel",
                                           "estimated_minutes": 240, "weight": 2, "unlock_after_step_id": mooc.id})
    pathways.save_step(pathway, {"kind": StepKind.QUESTIONNAIRE, "title": "Post-test", "questionnaire_role": "post",
                                 "questions": QUIZ, "weight": 1, "estimated_minutes": 5})
    facilitators = [{"name": "Dr Hélène Garnier", "profession": "medecin"},
                    {"name": "Marc Dubois", "profession": "infirmier"}]
    past = workshops.save_session(seminar, {
        "format": "seminar", "title": "Séminaire d'automne", "starts_at": _paris(-20, 9), "ends_at": _paris(-20, 17),
        "place": "Maison de santé pluriprofessionnelle, Mantes-la-Jolie", "capacity": 30,
        "facilitators": facilitators})
    workshops.save_session(seminar, {
        "format": "seminar", "title": "Séminaire d'hiver", "starts_at": _paris(25, 9), "ends_at": _paris(25, 17),
        "place": "Maison de santé pluriprofessionnelle, Mantes-la-Jolie", "capacity": 30,
        "registration_deadline": _paris(20, 18), "facilitators": facilitators})
    workshops.save_session(seminar, {
        "format": "video", "title": "Retour d'expérience en visioconférence", "starts_at": _paris(40, 13),
        "ends_at": _paris(40, 15), "video_url": "https://visio.exemple-cpts.fr/iatro", "capacity": 50,
        "facilitators": facilitators[:1] + [{"name": "Sophie Laurent", "profession": "pharmacien"}]})
    _progress(pathway, users, rng, past)
    for half in past.half_days:  # the facilitators certified the autumn sheets
        attendance.certify(half, users[0].id)


def _cardiac_arrest(course: Course, users: list[User], rng: random.Random) -> None:
    pathway = pathways.save_pathway(course, {
        "title": "Arrêt cardiaque en soins primaires",
        "description": "E-learning puis atelier de simulation en maison de santé, animé par un binôme "
                       "médecin / infirmier.", "organisation": "CPTS Val d'Oise Est", "territory": "Val d'Oise"})
    pathways.save_step(pathway, {"kind": StepKind.MODULE, "title": "E-learning : reconnaître l'ACR et alerter",
                                 "content_url": "https://www.france-assos-sante.org/", "estimated_minutes": 30,
                                 "minimum_minutes": 15, "weight": 1})
    simulation = pathways.save_step(pathway, {"kind": StepKind.WORKSHOP, "title": "Atelier de simulation ACR",
                                              "estimated_minutes": 180, "weight": 2})
    pathways.save_step(pathway, {"kind": StepKind.QUESTIONNAIRE, "title": "Évaluation des acquis",
                                 "questions": ACR_QUIZ, "weight": 1, "questionnaire_role": "post"})
    facilitators = [{"name": "Dr Karim Benali", "profession": "medecin"},
                    {"name": "Claire Martin", "profession": "infirmier"}]
    past = workshops.save_session(simulation, {
        "format": "workshop", "title": "Simulation ACR — printemps", "starts_at": _paris(-45, 14),
        "ends_at": _paris(-45, 17), "place": "Centre de santé, Sarcelles", "capacity": 12,
        "facilitators": facilitators})
    workshops.save_session(simulation, {
        "format": "workshop", "title": "Simulation ACR — session d'hiver", "starts_at": _paris(12, 14),
        "ends_at": _paris(12, 17), "place": "Centre de santé, Sarcelles", "capacity": 8,
        "quotas": {"medecin": 3}, "facilitators": facilitators,
        "target_professions": ["medecin", "infirmier", "pharmacien", "masseur_kinesitherapeute", "sage_femme",
                               "aide_soignant"]})
    _progress(pathway, [u for u in users if rng.random() < 0.7], rng, past)
