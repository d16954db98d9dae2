"""The two channels: e-mail through the configured SMTP server (Flask-Mailman's SMTP backend, one connection
per sending thread, reused for the whole pass) and Moodle's own notifications (`core_message_send_instant_messages`
through the site's web service connection: Moodle's bell and mobile app). No database access here."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.mime.text import MIMEText

from flask import current_app
from flask_mailman import EmailMessage, Mail
from flask_mailman.backends.smtp import EmailBackend

from models import Notification

from ..moodle_ws import MoodleClient, MoodleError

SEND_MESSAGES = "core_message_send_instant_messages"
FORMAT_PLAIN = 2  # Moodle's FORMAT_PLAIN


@dataclass(frozen=True)
class Outcome:
    state: str
    result: str


def mail_enabled(config) -> bool:
    """E-mail is on when MAIL_SERVER is set; without it messages are recorded as not sent by e-mail."""
    return bool(config.get("MAIL_SERVER"))


def smtp_backend(config) -> EmailBackend:
    """A backend on the configuration as it is now (tests and operators may change MAIL_* after start)."""
    state = Mail.init_mail({**config, "MAIL_BACKEND": "smtp"})
    return EmailBackend(mailman=state, host=config["MAIL_SERVER"], port=int(config.get("MAIL_PORT") or 25),
                        username=config.get("MAIL_USERNAME") or None, password=config.get("MAIL_PASSWORD") or None,
                        use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
                        timeout=float(config.get("MAIL_TIMEOUT") or 30))


def email_message(*, row_id: int, to: str, title: str, text: str, ics: bytes | None, ics_method: str,
                  backend: EmailBackend) -> EmailMessage:
    config = current_app.config
    domain = (config.get("PUBLIC_BASE_URL") or "parcours-hybrides.local").split("//")[-1].split("/")[0].split(":")[0]
    # A stable Message-ID per outbox row: were a row ever delivered twice, mail clients would show it once.
    message = EmailMessage(title, text, config.get("MAIL_DEFAULT_SENDER") or f"no-reply@{domain}", [to],
                           connection=backend, headers={"Message-ID": f"<notification-{row_id}@{domain}>",
                                                        "Auto-Submitted": "auto-generated"})
    if ics:
        part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", ics_method)
        part.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        message.attach(part)
    return message


def send_email(backend: EmailBackend, message: EmailMessage) -> Outcome:
    try:
        backend.open()
        if backend.send_messages([message]) != 1:
            return Outcome(Notification.PENDING, "smtp: not accepted")
    except smtplib.SMTPRecipientsRefused as error:
        return Outcome(Notification.FAILED, f"smtp: recipient refused {error.recipients}"[:500])
    except smtplib.SMTPResponseException as error:
        _reset(backend)
        text = f"smtp {error.smtp_code}: {error.smtp_error!r}"[:500]
        return Outcome(Notification.FAILED if 500 <= error.smtp_code < 600 else Notification.PENDING, text)
    except (smtplib.SMTPException, OSError) as error:
        _reset(backend)
        return Outcome(Notification.PENDING, f"smtp: {type(error).__name__}: {error}"[:500])
    return Outcome(Notification.SENT, "smtp: 250 accepted")


def _reset(backend: EmailBackend) -> None:
    try:
        backend.close()
    except (smtplib.SMTPException, OSError):
        backend.connection = None


def send_moodle(client: MoodleClient, *, row_id: int, moodle_user_id: int, title: str, text: str) -> Outcome:
    try:
        answer = client.call(SEND_MESSAGES, messages=[{"touserid": moodle_user_id, "text": f"{title}\n\n{text}",
                                                       "textformat": FORMAT_PLAIN,
                                                       "clientmsgid": f"notification-{row_id}"}])
    except MoodleError as error:
        if error.code in ("function_not_allowed", "no_permission"):
            return Outcome(Notification.SKIPPED, f"moodle: {error.code} (add {SEND_MESSAGES} to the service)")
        return Outcome(Notification.PENDING, f"moodle: {error}"[:500])
    item = answer[0] if isinstance(answer, list) and answer and isinstance(answer[0], dict) else {}
    msgid = int(item.get("msgid") or -1)
    if msgid > 0:
        return Outcome(Notification.SENT, f"moodle: message {msgid}")
    return Outcome(Notification.FAILED, f"moodle: {item.get('errormessage') or 'refused'}"[:500])
