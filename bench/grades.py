"""Benchmark: score deliveries through the outbox to a platform answering with 20 ms latency.

    .venv/bin/python bench/grades.py [--scores 10000] [--workers 2] [--latency-ms 20] [--database-url ...]

The demo platform (gunicorn, 2 processes x 16 threads, every AGS answer delayed by --latency-ms) plays Moodle;
10,000 scores (one per learner and grade item) are put in the outbox; `--workers` delivery workers
(`flask lti grades deliver --loop`, 8 sends at a time each) empty it. Then the platform's records are compared
with the outbox: a score missing there is lost, a score received twice is duplicated. Ends with
`scores_per_s: N`, `lost: N`, `duplicated: N`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from sqlalchemy import create_engine, func, select, text  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)

    instance = Path(tempfile.mkdtemp(prefix="bench-grades-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    schema = None
    if args.database_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        raw = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(raw)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{raw}{'&' if '?' in raw else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{instance}/bench.sqlite"
    env = dict(os.environ, DATABASE_URL=url, LTI_TOOL_INSTANCE_PATH=str(instance), DEMO_PLATFORM="1",
               LTI_ALLOW_HTTP_PLATFORMS="1", PUBLIC_BASE_URL=base, SECRET_KEY="bench-grades",
               DEMO_PLATFORM_LATENCY_MS=str(args.latency_ms))
    flask = [str(BIN / "flask"), "--app", "lti_tool"]
    processes = []
    try:
        for command in (["db", "upgrade"], ["lti", "keys", "ensure"], ["lti-demo", "setup", "--base-url", base]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        platform = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "16", "-b",
                                     f"127.0.0.1:{port}", "lti_tool:create_app()"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(platform)
        os.environ.update(env)
        from lti_tool import create_app
        from lti_tool.demo_platform.models import DemoLineItem, DemoScore
        from models import Course, GradeOutbox, Platform, db, utcnow

        app = create_app()
        learners = ["101", "102", "103", "104", "105", "106", "201", "202"]
        with app.app_context():
            registration = db.session.scalars(select(Platform)).one()
            course = Course(platform_id=registration.id, context_id="11", label="B", title="Bench")
            db.session.add(course)
            db.session.flush()
            rows, items = [], 0
            while len(rows) < args.scores:
                line = DemoLineItem(site="moodle-a", context_id="11", label=f"Item {items}", score_maximum=100)
                db.session.add(line)
                db.session.flush()
                items += 1
                for user in learners[: args.scores - len(rows)]:
                    rows.append({"platform_id": registration.id, "course_id": course.id, "kind": "score",
                                 "lineitem_url": f"{base}/demo/moodle-a/11/lineitems/{line.id}", "user_sub": user,
                                 "payload": {"scoreGiven": 80, "scoreMaximum": 100, "activityProgress": "Completed",
                                             "gradingProgress": "FullyGraded", "comment": "bench"},
                                 "timestamp": utcnow(), "state": "pending", "attempts": 0,
                                 "next_attempt_at": utcnow(), "last_error": "", "created_at": utcnow()})
            db.session.execute(GradeOutbox.__table__.insert(), rows)
            db.session.commit()
        for _ in range(100):  # the platform answers
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        print(f"{args.scores} scores in the outbox ({items} grade items x {len(learners)} learners), "
              f"platform latency {args.latency_ms} ms, {args.workers} workers", flush=True)
        started = time.perf_counter()
        for _ in range(args.workers):
            processes.append(subprocess.Popen(flask + ["lti", "grades", "deliver", "--loop", "--threads", "8",
                                                       "--batch", "64", "--interval", "0.2", "--max-seconds",
                                                       str(args.timeout)], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        with app.app_context():
            while time.perf_counter() - started < args.timeout:
                remaining = db.session.scalar(select(func.count()).select_from(GradeOutbox)
                                              .where(GradeOutbox.state == "pending"))
                db.session.commit()
                if remaining == 0:
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            sent = db.session.scalar(select(func.count()).select_from(GradeOutbox).where(GradeOutbox.state == "sent"))
            retried = db.session.scalar(select(func.count()).select_from(GradeOutbox).where(GradeOutbox.attempts > 1))
            received = dict(db.session.execute(
                select(DemoScore.lineitem_id, func.count()).group_by(DemoScore.lineitem_id, DemoScore.user_id)
                .having(func.count() > 1)).all())
            pairs = db.session.scalar(select(func.count()).select_from(
                select(DemoScore.lineitem_id, DemoScore.user_id).distinct().subquery()))
            conflicts = db.session.scalar(select(func.count()).select_from(GradeOutbox)
                                          .where(GradeOutbox.last_status == 409))
        lost = args.scores - pairs
        duplicated = sum(count - 1 for count in received.values())  # recorded twice by the platform
        print(f"delivered {sent} of {args.scores} in {elapsed:.2f} s, {retried} needed a retry, "
              f"{conflicts} resent and refused by the platform as already recorded (409, harmless)")
        print(f"scores_per_s: {sent / elapsed:.1f}")
        print(f"lost: {lost}")
        print(f"duplicated: {duplicated}")
        return 0 if lost == 0 and duplicated == 0 else 1
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
