"""What the demo sends out, made visible: a local SMTP sink (aiosmtpd) that keeps every e-mail the tool sends,
Moodle's `core_message_send_instant_messages` answering as Moodle 4.5 does, and the page /demo/mail that shows
both (the e-mails with their .ics invitation, the Moodle notifications as the bell would list them)."""
from __future__ import annotations

import email
import time
from datetime import datetime
from email import policy

import click
from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from models import db, utcnow

from .models import DemoBase
from .simulator import find_user

bp = Blueprint("demo_mail", __name__, url_prefix="/demo")


class DemoMail(DemoBase):
    """One e-mail as the sink received it."""

    __tablename__ = "demo_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    mail_from: Mapped[str] = mapped_column(String(320), default="")
    rcpt_to: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(300), default="")
    raw: Mapped[str] = mapped_column(Text, default="")


class DemoMoodleMessage(DemoBase):
    """A message sent with `core_message_send_instant_messages` (what the learner sees in Moodle's bell)."""

    __tablename__ = "demo_moodle_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(50))
    useridfrom: Mapped[int] = mapped_column(Integer)
    touserid: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    textformat: Mapped[int] = mapped_column(Integer, default=1)
    clientmsgid: Mapped[str] = mapped_column(String(100), default="")
    timecreated: Mapped[int] = mapped_column(Integer)


# -- Moodle's core_message_send_instant_messages --------------------------------------------------------------
WS_USER_ID = 3  # the web service user of the demo sites (core_webservice_get_site_info's userid)


def send_instant_messages(site: str, profile: str, params: dict) -> list:
    """As Moodle 4.5: one answer per message, in order; a message that cannot go gets msgid -1 and an
    errormessage (the call itself succeeds); the sender is the token's user."""
    answers = []
    for message in params["messages"]:
        to = message["touserid"]
        answer = {"msgid": -1, "clientmsgid": message.get("clientmsgid") or None}
        if to <= 0 or (find_user(str(to)) is None and to > 100000):
            answer["errormessage"] = "Utilisateur invalide"
        elif to == WS_USER_ID:
            answer["errormessage"] = "Vous ne pouvez pas envoyer de message à vous-même"
        else:
            row = DemoMoodleMessage(site=site, useridfrom=WS_USER_ID, touserid=to, text=message["text"],
                                    textformat=message["textformat"], clientmsgid=message.get("clientmsgid") or "",
                                    timecreated=int(time.time()))
            db.session.add(row)
            db.session.commit()
            answer.update(msgid=row.id, text=row.text, timecreated=row.timecreated, conversationid=to * 1000 + 3,
                          useridfrom=WS_USER_ID, candeletemessagesforallusers=False)
        answers.append({key: value for key, value in answer.items() if value is not None})
    return answers


# -- the SMTP sink ----------------------------------------------------------------------------------------------
class SinkHandler:
    """aiosmtpd handler: every message accepted and kept in demo_mail."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=policy.default)
        with self.app.app_context():
            db.session.add(DemoMail(mail_from=envelope.mail_from or "", rcpt_to=", ".join(envelope.rcpt_tos),
                                    subject=str(parsed.get("Subject", "")).strip()[:500],
                                    message_id=str(parsed.get("Message-ID", ""))[:300],
                                    raw=raw.decode("utf-8", "replace")))
            db.session.commit()
            db.session.remove()
        return "250 Message accepted for delivery"


@click.command("mail-sink")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
def mail_sink(host, port):
    """A local SMTP server that keeps every e-mail for /demo/mail (what `make run` starts)."""
    from aiosmtpd.controller import Controller

    from .models import create_demo_tables

    create_demo_tables()
    controller = Controller(SinkHandler(current_app._get_current_object()), hostname=host, port=port)
    controller.start()
    click.echo(f"SMTP sink on {host}:{port}: e-mails at /demo/mail")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


# -- the page --------------------------------------------------------------------------------------------------
def _parts(raw: str) -> dict:
    parsed = email.message_from_string(raw, policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    calendars = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    return {"to": str(parsed.get("To", "")), "date": str(parsed.get("Date", "")),
            "text": body.get_content() if body is not None else "",
            "ics": calendars[0].get_content() if calendars else "",
            "ics_method": calendars[0].get_param("method") if calendars else ""}


@bp.get("/mail")
def mailbox():
    mails = list(db.session.scalars(select(DemoMail).order_by(DemoMail.id.desc()).limit(200)))
    notes = list(db.session.scalars(select(DemoMoodleMessage).order_by(DemoMoodleMessage.id.desc()).limit(200)))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(mails=[{"id": m.id, "to": m.rcpt_to, "subject": m.subject, "message_id": m.message_id}
                              for m in mails],
                       moodle=[{"id": n.id, "site": n.site, "touserid": n.touserid, "text": n.text} for n in notes])
    return render_template("demo/mail.html", mails=[(mail, _parts(mail.raw)) for mail in mails], notes=notes,
                           mail_server=current_app.config.get("MAIL_SERVER"),
                           mail_port=current_app.config.get("MAIL_PORT"))


def init_demo_mail(app: Flask) -> None:
    from .cli import demo_cli

    app.register_blueprint(bp)
    demo_cli.add_command(mail_sink)
