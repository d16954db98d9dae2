"""A real SMTP server for the notification tests (aiosmtpd on 127.0.0.1, a free port), and helpers."""
from __future__ import annotations

import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message; `refuse` makes it answer a temporary failure (451)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]).strip() for m in self.messages]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def calendar_of(message) -> tuple[str, Calendar]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), Calendar.from_ical(part.get_content())


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="Parcours <parcours@example.org>")
    inbox.port = port
    yield inbox
    controller.stop()
    for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_DEFAULT_SENDER"):
        app.config.pop(key, None)
