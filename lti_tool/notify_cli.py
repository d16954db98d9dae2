"""`flask --app lti_tool lti notify [--loop] [--now ISO8601]`: deliver the notification outbox."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from models import db


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("an ISO 8601 date and time, e.g. 2026-12-10T09:00:00+01:00") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.command("notify")
@click.option("--loop", is_flag=True, help="Keep delivering (what `make run` starts).")
@click.option("--now", "now_text", default=None, help="Simulate this date (ISO 8601): what is due then is sent.")
@click.option("--batch", default=5000, show_default=True, help="Rows at most per pass.")
@click.option("--chunk", default=200, show_default=True, help="Rows claimed at once.")
@click.option("--threads", default=4, show_default=True, help="Messages sent at once (one SMTP connection each).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--lease-seconds", default=120.0, show_default=True,
              help="Rows a dead worker held are taken again after this long.")
@click.option("--max-seconds", default=0.0, help="With --loop: stop after this long (0: never).")
@with_appcontext
def notify_command(loop, now_text, batch, chunk, threads, interval, lease_seconds, max_seconds):
    """Write the reminders due now, then send every due message (e-mail, Moodle notifications) with retries and
    backoff; several workers may run at once and none sends a message twice. With --loop a database or network
    failure is logged and retried: the worker never stops on its own."""
    from datetime import timedelta

    from sqlalchemy.exc import SQLAlchemyError

    from .services.notifications import delivery

    log = logging.getLogger("lti_tool.notifications")
    app = current_app._get_current_object()
    now = _parse_now(now_text)
    started, failures, total = time.monotonic(), 0, 0
    while True:
        try:
            report = delivery.deliver_once(app, now=now, batch=batch, threads=threads, chunk=chunk,
                                           lease=timedelta(seconds=lease_seconds))
            failures = 0
            total += report.attempted
            if not loop or report.attempted:
                states = " ".join(f"{state}={count}" for state, count in sorted(report.states.items()))
                click.echo(f"scheduled {report.scheduled} attempted {report.attempted} {states}".strip())
        except Exception as error:  # database, network, or a fault of ours: the loop goes on, with backoff
            if not loop:
                raise
            if not isinstance(error, (SQLAlchemyError, OSError)):
                log.exception("notify worker: unexpected error")
            failures += 1
            report = None
            pause = min(interval * 2 ** min(failures, 5), 60)
            log.error("notify worker: %s: %s; retrying in %.0f s", type(error).__name__, error, pause)
            db.session.rollback()
            time.sleep(pause)
        finally:
            db.session.remove()
        if not loop or (max_seconds and time.monotonic() - started > max_seconds):
            break
        if report is not None and not report.attempted:
            time.sleep(interval)


@click.command("notify-settings")
@click.argument("pathway_id", type=int)
@click.option("--reminder-days", default=None, help="Days before a session when reminders go, e.g. 7,1 (default) "
              "or 14,3,1; empty: no reminder for this pathway.")
@click.option("--nudge-days", type=click.IntRange(0, 365), default=None,
              help="Days without progress before a learner is nudged (default 14; 0: never).")
@click.option("--cold-survey-days", type=click.IntRange(0, 365), default=None,
              help="Days after a session for the later satisfaction survey (default 60; 0: none).")
@with_appcontext
def notify_settings_command(pathway_id, reminder_days, nudge_days, cold_survey_days):
    """Show or set a pathway's reminder days and nudge delay."""
    from models import NotificationSettings, Pathway

    from .services.notifications.delivery import DEFAULT_REMINDER_DAYS
    from .services.notifications.nudges import DEFAULT_NUDGE_DAYS

    if db.session.get(Pathway, pathway_id) is None:
        raise click.ClickException(f"no pathway {pathway_id}")
    settings = db.session.get(NotificationSettings, pathway_id)
    if (reminder_days is not None or nudge_days is not None or cold_survey_days is not None) and settings is None:
        settings = NotificationSettings(pathway_id=pathway_id, reminder_days=list(DEFAULT_REMINDER_DAYS))
        db.session.add(settings)
    if nudge_days is not None:
        settings.nudge_days = nudge_days
    if cold_survey_days is not None:
        settings.cold_survey_days = cold_survey_days
    if reminder_days is not None:
        try:
            days = sorted({int(part) for part in reminder_days.split(",") if part.strip()}, reverse=True)
        except ValueError as error:
            raise click.BadParameter("whole numbers of days, comma-separated") from error
        if any(day < 1 or day > 60 for day in days):
            raise click.BadParameter("each day between 1 and 60")
        settings.reminder_days = days or [0]  # [0]: reminders off for the pathway
    db.session.commit()
    current = settings.reminder_days if settings else list(DEFAULT_REMINDER_DAYS)
    shown = ", ".join(f"D-{day}" for day in current if day > 0) or "none"
    nudge = DEFAULT_NUDGE_DAYS if settings is None or settings.nudge_days is None else settings.nudge_days
    click.echo(f"pathway {pathway_id}: reminders {shown}; nudge after {nudge} days without progress"
               if nudge else f"pathway {pathway_id}: reminders {shown}; no nudge")


notify_commands = (notify_command, notify_settings_command)
