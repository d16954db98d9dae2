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
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench._stack import FLASK, demo_stack, wait_for_port  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)

    with demo_stack("grades", args.database_url, latency_ms=args.latency_ms) as stack:
        base = stack.base
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
        wait_for_port(base)
        print(f"{args.scores} scores in the outbox ({items} grade items x {len(learners)} learners), "
              f"platform latency {args.latency_ms} ms, {args.workers} workers", flush=True)
        started = time.perf_counter()
        for _ in range(args.workers):
            stack.start(FLASK + ["lti", "grades", "deliver", "--loop", "--threads", "8", "--batch", "64",
                                 "--interval", "0.2", "--max-seconds", str(args.timeout)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


if __name__ == "__main__":
    sys.exit(main())
