"""Benchmark: the instructor dashboard and a learner page at 50,000 learners.

    .venv/bin/python bench/dashboard.py [--learners 50000] [--steps 20] [--database-url postgresql://...]

Builds one pathway of 20 steps (modules, workshops, questionnaires) in a fresh database (SQLite in a temporary
folder by default; a dedicated schema on PostgreSQL), with 50,000 learners of all professions at various
stages, their step completions, online time intervals, workshop bookings and attendance marks. Then times the
real pages through the Flask test client (instructor dashboard; a learner's pathway page), after warm-up, and
prints medians. Ends with `dashboard_ms: N` and `learner_page_ms: N`.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

PROFESSIONS = ["infirmier", "medecin", "pharmacien", "masseur_kinesitherapeute", "sage_femme", "aide_soignant",
               "preparateur_pharmacie", "assistant_social", "psychologue", "dieteticien", "orthophoniste",
               "chirurgien_dentiste"]


def postgres_schema_url(url: str, schema: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def build(app, learners: int, step_count: int, rng: random.Random):
    from lti_tool.services import pathways, workshops
    from models import (ActivityInterval, AttendanceMark, Booking, Course, CourseMembership, Enrolment,
                        LearnerProfile, Platform, StepCompletion, StepKind, User, db)

    now = datetime.now(timezone.utc)
    platform = Platform(issuer="https://moodle.bench", client_id="bench", auth_login_url="https://moodle.bench/a",
                        auth_token_url="https://moodle.bench/t", key_set_url="https://moodle.bench/k")
    db.session.add(platform)
    db.session.flush()
    course = Course(platform_id=platform.id, context_id="1", label="BENCH", title="Bench")
    db.session.add(course)
    db.session.flush()
    pathway = pathways.save_pathway(course, {"title": "Parcours de 20 étapes", "organisation": "CPTS Bench"})
    kinds = [StepKind.MODULE, StepKind.MODULE, StepKind.WORKSHOP, StepKind.QUESTIONNAIRE]
    steps = []
    for index in range(step_count):
        kind = kinds[index % len(kinds)]
        data = {"kind": kind, "title": f"Étape {index + 1}", "weight": 1, "minimum_minutes": 10,
                "required_for": [PROFESSIONS[index % len(PROFESSIONS)]] if index % 7 == 6 else None}
        if kind == StepKind.QUESTIONNAIRE:
            data["questions"] = [{"prompt": "?", "choices": ["a", "b"], "answer": 0}]
        steps.append(pathways.save_step(pathway, data))
    sessions = []
    for step in steps:
        if step.kind == StepKind.WORKSHOP:
            for week in range(10):
                start = now - timedelta(days=7 * week + 1)
                sessions.append(workshops.save_session(step, {
                    "format": "workshop", "title": f"Session {week}", "starts_at": start,
                    "ends_at": start + timedelta(hours=7), "place": "Maison de santé", "capacity": 10_000,
                    "facilitators": [{"name": "A", "profession": "medecin"}, {"name": "B", "profession": "infirmier"}]}))
    instructor = User(platform_id=platform.id, sub="instructor", name="Formatrice")
    db.session.add(instructor)
    db.session.flush()
    db.session.add(CourseMembership(user_id=instructor.id, course_id=course.id, role="instructor"))
    db.session.commit()

    half_days = {s.id: [h.id for h in s.half_days] for s in sessions}
    workshop_sessions = {}
    for session in sessions:
        workshop_sessions.setdefault(session.step_id, []).append(session.id)
    connection = db.session.connection()
    batch = 5000
    first_user_id = None
    for start in range(0, learners, batch):
        count = min(batch, learners - start)
        users = [{"platform_id": platform.id, "sub": f"l{start + i}", "name": f"Apprenant {start + i}",
                  "given_name": "Apprenant", "family_name": str(start + i), "email": "", "person_sourcedid": "",
                  "locale": "fr", "created_at": now, "last_launch_at": now} for i in range(count)]
        ids = [row[0] for row in connection.execute(insert(User).returning(User.id), users)]
        first_user_id = first_user_id or ids[0]
        professions = [PROFESSIONS[(start + i) % len(PROFESSIONS)] for i in range(count)]
        connection.execute(insert(LearnerProfile), [{"user_id": uid, "profession": p, "rpps": "", "adeli": "",
                                                     "practice_mode": "", "cpts": "", "updated_at": now}
                                                    for uid, p in zip(ids, professions)])
        reached = [rng.choice([0, 2, 5, 8, 12, 16, step_count, step_count]) for _ in ids]
        enrolments = [{"pathway_id": pathway.id, "user_id": uid, "profession": p,
                       "state": "completed" if r == step_count else ("in_progress" if r else "not_started"),
                       "progress": round(100 * r / step_count, 1), "score": round(100 * r / step_count, 1),
                       "completed_at": now if r == step_count else None, "created_at": now}
                      for uid, p, r in zip(ids, professions, reached)]
        enrolment_ids = [row[0] for row in connection.execute(insert(Enrolment).returning(Enrolment.id), enrolments)]
        completions, intervals, bookings, marks = [], [], [], []
        for enrolment_id, uid, p, r in zip(enrolment_ids, ids, professions, reached):
            for step in steps[:r]:
                completions.append({"enrolment_id": enrolment_id, "step_id": step.id, "score": 100.0,
                                    "source": "learner", "reason": "", "completed_at": now})
                if step.kind == StepKind.MODULE:
                    intervals.append({"enrolment_id": enrolment_id, "step_id": step.id, "started_at": now,
                                      "ended_at": now + timedelta(minutes=12), "seconds": 720, "source": "tool"})
                elif step.kind == StepKind.WORKSHOP:
                    session_id = rng.choice(workshop_sessions[step.id])
                    bookings.append({"session_id": session_id, "user_id": uid, "profession": p, "status": "confirmed",
                                     "created_at": now, "updated_at": now})
                    for half_day_id in half_days[session_id]:
                        marks.append({"half_day_id": half_day_id, "user_id": uid,
                                      "status": "present" if rng.random() < 0.9 else "absent", "method": "roster",
                                      "recorded_by_user_id": instructor.id, "recorded_at": now, "reason": ""})
        for rows, model in ((completions, StepCompletion), (intervals, ActivityInterval), (bookings, Booking),
                            (marks, AttendanceMark)):
            if rows:
                connection.execute(insert(model), rows)
        db.session.commit()
        connection = db.session.connection()
        print(f"  {start + count} learners", flush=True)
    for session in sessions:
        db.session.execute(text("UPDATE workshop_session SET confirmed_count = "
                                "(SELECT count(*) FROM booking WHERE session_id = :id AND status = 'confirmed') "
                                "WHERE id = :id"), {"id": session.id})
    db.session.commit()
    # Statistics as a live database has them (autovacuum on PostgreSQL, ANALYZE on SQLite).
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return pathway.id, instructor.id, course.id, platform.id, first_user_id


def time_page(client, path: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    instance = tempfile.mkdtemp(prefix="bench-dashboard-")
    schema = None
    if args.database_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(postgres_schema_url(args.database_url, "public"))
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = postgres_schema_url(args.database_url, schema)
    else:
        url = f"sqlite:///{instance}/bench.sqlite"
    from flask_migrate import upgrade

    from lti_tool import create_app
    from models import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                      "PUBLIC_BASE_URL": "http://127.0.0.1"})
    try:
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            print(f"building {args.learners} learners, {args.steps} steps on {db.engine.dialect.name}...", flush=True)
            pathway_id, instructor_id, course_id, platform_id, first_user_id = build(
                app, args.learners, args.steps, random.Random(7))
            print(f"built in {time.perf_counter() - started:.1f} s", flush=True)

        instructor = app.test_client()
        with instructor.session_transaction() as session:
            session.update(uid=instructor_id, cid=course_id, pid=platform_id, role="instructor")
        learner = app.test_client()
        with learner.session_transaction() as session:
            session.update(uid=first_user_id + args.learners // 2, cid=course_id, pid=platform_id, role="learner")

        dashboard_path = f"/instructor/pathways/{pathway_id}/dashboard"
        learner_path = f"/learner/pathways/{pathway_id}"
        time_page(instructor, dashboard_path, 3)
        time_page(learner, learner_path, 5)
        dashboard = time_page(instructor, dashboard_path, args.runs)
        learner_page = time_page(learner, learner_path, args.runs * 4)
        api = time_page(instructor, f"/api/pathways/{pathway_id}/dashboard", args.runs)
        print(f"dashboard page: median {statistics.median(dashboard):.1f} ms, max {max(dashboard):.1f} ms")
        print(f"dashboard JSON: median {statistics.median(api):.1f} ms")
        print(f"learner page: median {statistics.median(learner_page):.1f} ms, max {max(learner_page):.1f} ms")
        with app.test_request_context():
            from lti_tool.services import dashboard as queries
            from lti_tool.services import questionnaires

            for name, call in (("completion_by_profession", lambda: queries.completion_by_profession(pathway_id)),
                               ("dropoff_per_step", lambda: queries.dropoff_per_step(pathway_id)),
                               ("sessions_overview", lambda: queries.sessions_overview(pathway_id)),
                               ("learners (first page + count)", lambda: queries.learners(pathway_id)),
                               ("pre_post_by_profession", lambda: questionnaires.pre_post_by_profession(pathway_id))):
                call()
                started = time.perf_counter()
                call()
                print(f"    {name}: {(time.perf_counter() - started) * 1000:.1f} ms")
        print(f"dashboard_ms: {statistics.median(dashboard):.1f}")
        print(f"learner_page_ms: {statistics.median(learner_page):.1f}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
        import shutil

        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
