"""Benchmark: a step added to a pathway with 2,000 enrolled learners.

    .venv/bin/python bench/rescore.py [--learners 2000] [--database-url postgresql://127.0.0.1:5432/test]

The instructor's change (the step saved, in its transaction) only asks for a rescoring; the grades worker then
recomputes every learner and queues their new score for the pathway's placement, once. Measured: the change's
time as the request spends it, the worker's time, the scores queued, and what a second pass queues (nothing).
Ends with `name: value` lines.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from bench._stack import throwaway_database  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    instance = Path(tempfile.mkdtemp(prefix="bench-rescore-"))
    try:
        with throwaway_database("rescore", args.database_url, instance) as url:
            return run(url, instance, args.learners)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def run(url: str, instance: Path, learners: int) -> int:
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.services import pathways, rescoring
    from models import (
        Course,
        Enrolment,
        GradeOutbox,
        PathwayRescore,
        Platform,
        ResourceLink,
        StepCompletion,
        User,
        db,
        utcnow,
    )

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        now = utcnow()
        site = "https://moodle.example.org"
        platform = Platform(issuer=site, client_id="bench", auth_login_url=site, auth_token_url=site, key_set_url=site)
        db.session.add(platform)
        db.session.flush()
        course = Course(platform_id=platform.id, context_id="7", title="LTI101")
        db.session.add(course)
        db.session.flush()
        pathway = pathways.save_pathway(course, {"title": "Iatrogénie", "published": True})
        steps = [pathways.save_step(pathway, {"kind": "module", "title": f"Module {n}", "weight": 1.0}) for n in (1, 2)]
        db.session.add(ResourceLink(course_id=course.id, resource_link_id="rl-1", pathway_id=pathway.id,
                                    platform_id=platform.id, lineitem_url=f"{site}/lineitems/1/lineitem?type_id=1",
                                    lineitems_url=f"{site}/lineitems?type_id=1"))
        db.session.execute(insert(User), [{"platform_id": platform.id, "sub": str(n), "name": f"Learner {n}",
                                           "created_at": now, "last_launch_at": now} for n in range(learners)])
        user_ids = db.session.scalars(select(User.id)).all()
        db.session.execute(insert(Enrolment), [{"pathway_id": pathway.id, "user_id": uid, "profession": "infirmier",
                                                "state": "completed", "progress": 100.0, "score": 100.0,
                                                "created_at": now} for uid in user_ids])
        enrolment_ids = db.session.scalars(select(Enrolment.id)).all()
        db.session.execute(insert(StepCompletion), [{"enrolment_id": e, "step_id": s.id, "source": "learner",
                                                     "score": 100.0, "reason": "", "completed_at": now}
                                                    for e in enrolment_ids for s in steps])
        db.session.commit()

        started = time.perf_counter()
        pathways.save_step(db.session.get(type(pathway), pathway.id), {"kind": "module", "title": "Module 3",
                                                                       "weight": 1.0})
        db.session.commit()
        request_ms = (time.perf_counter() - started) * 1000
        assert db.session.scalar(select(func.count()).select_from(PathwayRescore)) == 1

        started = time.perf_counter()
        rescoring.process_requests()
        worker_s = time.perf_counter() - started
        queued = db.session.scalar(select(func.count()).select_from(GradeOutbox))
        distinct = db.session.scalar(select(func.count(func.distinct(GradeOutbox.user_sub))))
        rescoring.request_rescore(pathway.id, "again")
        db.session.commit()
        rescoring.process_requests()
        second = db.session.scalar(select(func.count()).select_from(GradeOutbox)) - queued
        db.engine.dispose()

    print(f"learners: {learners}")
    print(f"step_added_request_ms: {request_ms:.1f}")
    print(f"rescore_worker_s: {worker_s:.2f}")
    print(f"rescore_learners_per_s: {learners / worker_s:.0f}")
    print(f"scores_queued: {queued}")
    print(f"learners_scored_once: {'yes' if distinct == queued == learners else 'no'}")
    print(f"queued_by_second_pass: {second}")
    return 0 if queued == learners and second == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
