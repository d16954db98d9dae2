"""Exactly once across a worker kill: a real `flask lti notify` process is killed (SIGKILL) mid-batch while
the SMTP server is still taking its next message; the rows it had sent are recorded, the rows it held are taken
again by another worker once its lease runs out, and every person gets their message once."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from lti_tool.services import workshops
from lti_tool.services.notifications import delivery
from models import Notification, StepKind, db
from tests.functional.notify_support import Inbox, free_port

LEASE = 8  # seconds, the killed worker's lease


class SlowInbox(Inbox):
    """Takes its time before accepting each recipient: a killed client dies before sending that message."""

    delay = 0.3

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _worker(app, tmp_path, port, *args):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret",
           "LTI_TOOL_INSTANCE_PATH": str(tmp_path), "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_DEFAULT_SENDER": "parcours@example.org"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "lti_tool", "lti", "notify", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, tmp_path, make_pathway, make_user,
                                                                          make_session):
    step = make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier"}]).steps[0]
    session = make_session(step, capacity=40)
    for n in range(24):
        workshops.book(session, make_user(email=f"k{n}@example.org"))
    db.session.commit()
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    worker = None
    try:
        # A lease long enough for five slow sends on a loaded machine (with 4 s the worker could stop after four,
        # its lease nearly over, before being killed mid-batch).
        worker = _worker(app, tmp_path, port, "--threads", "1", "--chunk", "100", "--lease-seconds", str(LEASE))
        deadline = time.monotonic() + 90
        while len(inbox.messages) < 5:
            assert worker.poll() is None, worker.stdout.read().decode()
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.02)
        time.sleep(0.1)  # the fifth is recorded; the sixth is on its way (its recipient not yet accepted)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed_at = time.monotonic()
        sent_before = len(inbox.messages)
        assert 5 <= sent_before < 24
        db.session.expire_all()
        states = dict(db.session.execute(select(Notification.state, func.count()).where(
            Notification.channel == "email").group_by(Notification.state)).all())
        assert states == {"sent": sent_before, "pending": 24 - sent_before}  # every message it sent is recorded
        held = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.channel == "email", Notification.state == "pending", Notification.claim.is_not(None)))
        assert held == 24 - sent_before  # still leased to the dead worker

        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        inbox.delay = 0
        report = delivery.deliver_once(app)
        if time.monotonic() - killed_at < LEASE:
            assert report.states.get("sent", 0) == 0  # within the lease nobody takes the dead worker's rows
        time.sleep(max(0.0, LEASE + 0.2 - (time.monotonic() - killed_at)))
        report = delivery.deliver_once(app)
        assert report.states["sent"] == 24 - sent_before
        ids = [m["Message-ID"] for m in inbox.messages]
        assert len(ids) == 24 and len(set(ids)) == 24  # nobody got theirs twice, nobody was forgotten
        assert sorted(m["To"] for m in inbox.messages) == sorted(f"k{n}@example.org" for n in range(24))
        db.session.expire_all()
        assert {row.state for row in db.session.scalars(select(Notification).where(
            Notification.channel == "email"))} == {"sent"}
    finally:
        if worker is not None:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
            worker.stdout.close()
        controller.stop()
        app.config.pop("MAIL_SERVER", None)
        app.config.pop("MAIL_PORT", None)



def test_no_message_starts_once_the_lease_may_be_over(app, make_pathway, make_user, make_session):
    from datetime import timedelta

    step = make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier"}]).steps[0]
    session = make_session(step, capacity=20)
    for n in range(10):
        workshops.book(session, make_user(email=f"l{n}@example.org"))
    db.session.commit()
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        lease = timedelta(seconds=2)  # a message takes 0.3 s: about 3 fit in the 1 s left to start sending
        report = delivery.deliver_once(app, threads=1, lease=lease)
        assert 1 <= report.states["sent"] < 10 and report.states["left"] == 10 - report.states["sent"]
        inbox.delay = 0
        assert delivery.deliver_once(app, threads=1).states["sent"] == 0  # still leased: nobody sends them
        time.sleep(2.1)
        assert delivery.deliver_once(app, threads=1).states["sent"] == 10 - report.states["sent"]
        ids = [m["Message-ID"] for m in inbox.messages]
        assert len(ids) == 10 and len(set(ids)) == 10
    finally:
        controller.stop()
        app.config.pop("MAIL_SERVER", None)
        app.config.pop("MAIL_PORT", None)
