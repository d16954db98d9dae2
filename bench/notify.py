"""Benchmark: reminders for 10,000 booked learners through a real SMTP server.

    .venv/bin/python bench/notify.py [--learners 10000] [--workers 2] [--threads 4] [--database-url ...]

A throwaway instance (SQLite in it, or a PostgreSQL schema of its own) holds 10,000 learners, each with a
confirmed booking in one of 500 sessions that start in six days and a half: the D-7 reminder is due for all.
An SMTP sink (aiosmtpd, its own process) writes down the Message-ID of every e-mail it accepts. `--workers`
processes of `flask lti notify` (each `--threads` SMTP connections) run one pass at the same time: both write
the reminders (INSERT ... ON CONFLICT DO NOTHING: once each) and share the sending by leases. Then the sink's
record is compared with the learners: a learner without a message is lost, a Message-ID seen twice is a
duplicate. Ends with `messages_per_s: N`, `lost: N`, `duplicated: N`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stack import FLASK, free_port, throwaway_database  # noqa: E402

SESSION_SIZE = 20


def sink(port: int, path: str) -> None:
    """The SMTP server: one line per accepted message (Message-ID and recipient), until killed."""
    import email
    from email import policy

    from aiosmtpd.controller import Controller

    class Record:
        def __init__(self):
            self.out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            headers = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=policy.compat32)
            self.out.write(f"{headers['Message-ID']}\t{','.join(envelope.rcpt_tos)}\n")
            return "250 OK"

    controller = Controller(Record(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def seed(learners: int) -> None:
    from sqlalchemy import insert

    from lti_tool import create_app
    from models import Booking, Course, Pathway, Platform, Step, User, WorkshopSession, db, utcnow

    app = create_app()
    now = utcnow()
    with app.app_context():
        platform = Platform(issuer="https://moodle.bench.example", client_id="bench", auth_login_url="https://x/l",
                            auth_token_url="https://x/t", key_set_url="https://x/k", name="Bench")
        db.session.add(platform)
        db.session.flush()
        course = Course(platform_id=platform.id, context_id="11", label="B", title="Bench")
        db.session.add(course)
        db.session.flush()
        pathway = Pathway(course_id=course.id, title="Iatrogénie", published=True)
        db.session.add(pathway)
        db.session.flush()
        step = Step(pathway_id=pathway.id, kind="workshop", title="Atelier", position=1)
        db.session.add(step)
        db.session.flush()
        starts = now + timedelta(days=6, hours=12)
        sessions = []
        for index in range((learners + SESSION_SIZE - 1) // SESSION_SIZE):
            session = WorkshopSession(step_id=step.id, format="workshop", title=f"Séance {index + 1}",
                                      starts_at=starts, ends_at=starts + timedelta(hours=3), place="Maison de santé",
                                      capacity=SESSION_SIZE, facilitators=[{"name": "Dr A", "profession": "medecin"}],
                                      confirmed_count=0)
            db.session.add(session)
            sessions.append(session)
        db.session.flush()
        db.session.execute(insert(User), [
            {"platform_id": platform.id, "sub": f"b{n}", "name": f"Personne {n}", "given_name": "", "family_name": "",
             "email": f"p{n}@bench.example", "person_sourcedid": "", "locale": "fr", "last_launch_at": now,
             "created_at": now} for n in range(learners)])
        ids = db.session.scalars(db.select(User.id).order_by(User.id)).all()
        db.session.execute(insert(Booking), [
            {"session_id": sessions[n // SESSION_SIZE].id, "step_id": step.id, "user_id": user_id, "profession": "",
             "status": "confirmed", "released": False, "updated_at": now - timedelta(days=30),
             "created_at": now - timedelta(days=30)} for n, user_id in enumerate(ids)])
        db.session.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--sink", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sink:
        sink(int(args.sink[0]), args.sink[1])
        return 0

    from sqlalchemy import create_engine, text

    instance = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    processes = []
    try:
        with throwaway_database("notify", args.database_url, instance) as url:
            port, record = free_port(), instance / "received.tsv"
            env = dict(os.environ, DATABASE_URL=url, LTI_TOOL_INSTANCE_PATH=str(instance), SECRET_KEY="bench-notify",
                       PUBLIC_BASE_URL="https://parcours.bench.example", MAIL_SERVER="127.0.0.1",
                       MAIL_PORT=str(port), MAIL_DEFAULT_SENDER="parcours@bench.example")
            subprocess.run(FLASK + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
            os.environ.update(env)
            started = time.monotonic()
            seed(args.learners)
            print(f"seeded {args.learners} learners in {time.monotonic() - started:.1f} s", flush=True)
            processes.append(subprocess.Popen([sys.executable, __file__, "--sink", str(port), str(record)], cwd=ROOT))
            time.sleep(1.5)
            started = time.monotonic()
            workers = [subprocess.Popen(FLASK + ["lti", "notify", "--threads", str(args.threads), "--batch", "100000"],
                                        cwd=ROOT, env=env) for _ in range(args.workers)]
            processes.extend(workers)
            for worker in workers:
                worker.wait(timeout=args.timeout)
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            lines = [line.split("\t") for line in record.read_text().splitlines()] if record.exists() else []
            ids = [line[0] for line in lines]
            recipients = {line[1] for line in lines}
            expected = {f"p{n}@bench.example" for n in range(args.learners)}
            engine = create_engine(url)
            with engine.connect() as connection:
                states = dict(connection.execute(text("SELECT state, count(*) FROM notification GROUP BY state")).all())
            engine.dispose()
            print(f"backend: {'postgresql' if args.database_url else 'sqlite'}")
            print(f"workers: {args.workers}")
            print(f"threads_per_worker: {args.threads}")
            print(f"messages: {len(ids)}")
            print(f"seconds: {elapsed:.2f}")
            print(f"messages_per_s: {len(ids) / elapsed:.0f}")
            print(f"rows_sent: {states.get('sent', 0)}")
            print(f"lost: {len(expected - recipients)}")
            print(f"duplicated: {len(ids) - len(set(ids))}")
            print(f"load_average: {os.getloadavg()[0]:.1f}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
