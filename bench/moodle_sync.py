"""Benchmark: `flask lti moodle sync` on a course of 1,000 learners and 10 linked Moodle activities, against a
platform answering every web service call in 50 ms.

    .venv/bin/python bench/moodle_sync.py [--learners 1000] [--latency-ms 50] [--threads 16] [--database-url ...]

The demo platform (gunicorn, 2 processes x 16 threads, each answer delayed by --latency-ms) plays Moodle 4.5's
REST web services for demo course 12, whose ten activities with completion tracking (two of them SCORM packages,
whose tracks carry the time spent) are linked as steps of one pathway. Learners have completed a random share of
them in Moodle. The command runs twice: the first pass brings every completion in (and so recomputes progress and
queues grades), the second finds nothing new. Afterwards the tool's completions are compared with Moodle's.
Ends with `first_sync_s: N`, `second_sync_s: N`, `learners_per_s: N`, `mismatches: N`.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench._stack import FLASK, ROOT, demo_stack, wait_for_port  # noqa: E402


COURSE = "12"


def run_sync(env: dict, threads: int) -> tuple[float, str]:
    started = time.perf_counter()
    process = subprocess.Popen(FLASK + ["lti", "moodle", "sync", "--course", COURSE, "--threads", str(threads)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:  # the command's own progress, shown as it comes
        print("  | " + line.rstrip(), flush=True)
        lines.append(line)
    process.wait(timeout=600)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"sync failed ({process.returncode})")
    return elapsed, "".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    with demo_stack("moodle", args.database_url, latency_ms=args.latency_ms) as stack:
        from lti_tool import create_app
        from lti_tool.demo_platform.models import DemoCompletion
        from lti_tool.demo_platform.moodle_catalog import modules
        from models import (ActivityInterval, Course, CourseMembership, Enrolment, LearnerProfile, Pathway, Platform,
                            Step, StepCompletion, User, db)

        app = create_app()
        tracked = [module for _, module in modules(COURSE) if module.tracking]
        rng = random.Random(5)
        with app.app_context():
            registration = db.session.scalars(select(Platform)).one()
            course = Course(platform_id=registration.id, context_id=COURSE, label="ACR-SP", title="Bench")
            db.session.add(course)
            db.session.flush()
            pathway = Pathway(course_id=course.id, title="Arrêt cardiaque (bench)")
            db.session.add(pathway)
            db.session.flush()
            for position, module in enumerate(tracked, start=1):
                db.session.add(Step(pathway_id=pathway.id, position=position, kind="module", title=module.name,
                                    moodle_cmid=module.cmid, weight=1.0))
            users = [{"platform_id": registration.id, "sub": str(10000 + n), "name": f"Apprenant {n}"}
                     for n in range(args.learners)]
            db.session.execute(User.__table__.insert(), users)
            ids = db.session.scalars(select(User.id).where(User.platform_id == registration.id)
                                     .order_by(User.id)).all()
            db.session.execute(LearnerProfile.__table__.insert(), [{"user_id": i, "profession": "infirmier"} for i in ids])
            db.session.execute(CourseMembership.__table__.insert(),
                               [{"user_id": i, "course_id": course.id, "role": "learner", "lti_roles": []} for i in ids])
            db.session.execute(Enrolment.__table__.insert(),
                               [{"pathway_id": pathway.id, "user_id": i, "profession": "infirmier"} for i in ids[::2]])
            expected = 0
            rows = []
            for n in range(args.learners):
                for module in tracked:
                    done = rng.random() < 0.6
                    seconds = rng.randint(300, 3600) if module.modname == "scorm" else 0
                    if done or seconds:
                        rows.append({"site": "moodle-a", "cmid": module.cmid, "user_id": str(10000 + n),
                                     "state": 1 if done else 0, "time_completed": 1_790_000_000 if done else 0,
                                     "scorm_seconds": seconds, "time_modified": 1_790_000_000})
                    expected += done
            db.session.execute(DemoCompletion.__table__.insert(), rows)
            db.session.commit()
        wait_for_port(stack.base)
        scorms = sum(1 for module in tracked if module.modname == "scorm")
        print(f"{args.learners} learners x {len(tracked)} linked activities ({scorms} SCORM), platform latency "
              f"{args.latency_ms} ms, {args.threads} calls at once; {expected} completions to bring in", flush=True)
        first, _ = run_sync(stack.env, args.threads)
        second, _ = run_sync(stack.env, args.threads)
        with app.app_context():
            got = db.session.scalar(select(func.count()).select_from(StepCompletion)
                                    .where(StepCompletion.source == "moodle"))
            intervals = db.session.scalar(select(func.count()).select_from(ActivityInterval)
                                          .where(ActivityInterval.source == "moodle"))
            enrolled = db.session.scalar(select(func.count()).select_from(Enrolment))
        calls = args.learners * (1 + scorms)
        print(f"first pass {first:.1f} s ({calls} completion and SCORM calls + course contents), second pass "
              f"{second:.1f} s; {got} completions and {intervals} SCORM time records brought in, "
              f"{enrolled} learners enrolled")
        print(f"first_sync_s: {first:.1f}")
        print(f"second_sync_s: {second:.1f}")
        print(f"learners_per_s: {args.learners / first:.0f}")
        print(f"mismatches: {abs(expected - got)}")
        return 0 if got == expected and first < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
