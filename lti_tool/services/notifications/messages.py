"""What each message says, in the person's launch language (French by default), rendered when it is sent from
the current state of the session (the latest place and times), with a link back into the Moodle activity."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from models import Course, Notification, Pathway, ResourceLink, SessionRevision, User, WorkshopSession, db

from ...signing import secret_keys
from ...urls import external_url
from .. import professions
from ..csv_export import SESSION_FORMATS
from .calendar import CANCEL, REQUEST, invitation

ICS_METHODS = {"convocation": REQUEST, "promoted": REQUEST, "session_updated": REQUEST,
               "booking_cancelled": CANCEL, "session_cancelled": CANCEL}
OPTIONAL_KINDS = ("reminder",)  # what a learner may turn off (prefix of the kind)


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    ics: bytes | None = None
    ics_method: str = ""


KINDS = {"convocation": _l("Convocation"), "waitlisted": _l("Waiting list"), "promoted": _l("Seat confirmed"),
         "booking_cancelled": _l("Registration cancelled"), "seat_freed": _l("A seat is free"),
         "session_updated": _l("Session changed"), "session_cancelled": _l("Session cancelled"),
         "dpc_validated": _l("DPC validated")}


def kind_label(kind: str) -> str:
    if kind.startswith("reminder_"):
        return gettext("Reminder D-%(days)s", days=kind.split("_", 1)[1])
    return str(KINDS.get(kind, kind))


def locale_of(user: User) -> str:
    """The launch's locale (Moodle's `fr_FR`, `en-US`...) when the tool speaks it, else French."""
    code = (user.locale or "").replace("-", "_").split("_")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def moodle_link(pathway: Pathway | None, user: User) -> str:
    """Back into Moodle: the activity that opens the pathway (`mod/lti/view.php?l=<instance>`, Moodle's resource
    link id), else the course page."""
    if pathway is None:
        return ""
    course = db.session.get(Course, pathway.course_id)
    issuer = course.platform.issuer.rstrip("/")
    link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway.id)
                              .order_by(ResourceLink.id)).first()
    if link is not None and link.resource_link_id.isdigit():
        return f"{issuer}/mod/lti/view.php?l={link.resource_link_id}"
    return f"{issuer}/course/view.php?id={course.context_id}"


def certificate_token(enrolment_id: int) -> str:
    return URLSafeSerializer(list(secret_keys(current_app.config)), salt="dpc-certificate").dumps(enrolment_id)


def enrolment_from_token(token: str) -> int | None:
    from itsdangerous import BadSignature

    try:
        return int(URLSafeSerializer(list(secret_keys(current_app.config)), salt="dpc-certificate").loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def half_days(session: WorkshopSession) -> list[str]:
    lines = []
    for half in session.half_days:
        period = gettext("morning") if half.period == "am" else gettext("afternoon")
        lines.append(f"{format_datetime(half.starts_at, 'EEEE d MMMM y')}, {period} "
                     f"({format_datetime(half.starts_at, 'HH:mm')}–{format_datetime(half.ends_at, 'HH:mm')})")
    return lines


def _title(kind: str, what: str, when: str) -> str:
    if kind.startswith("reminder_"):
        return gettext("Reminder: %(title)s, %(date)s", title=what, date=when)
    titles = {
        "convocation": gettext("Convocation: %(title)s, %(date)s", title=what, date=when),
        "waitlisted": gettext("Waiting list: %(title)s", title=what),
        "promoted": gettext("Seat confirmed: %(title)s, %(date)s", title=what, date=when),
        "booking_cancelled": gettext("Registration cancelled: %(title)s", title=what),
        "seat_freed": gettext("A seat is free: %(title)s, %(date)s", title=what, date=when),
        "session_updated": gettext("Session changed: %(title)s, %(date)s", title=what, date=when),
        "session_cancelled": gettext("Session cancelled: %(title)s, %(date)s", title=what, date=when),
        "dpc_validated": gettext("DPC validated: %(title)s", title=what),
    }
    return titles[kind]


def render(row: Notification, user: User) -> Rendered:
    """Needs a request context (URLs) — the worker makes one per pass."""
    with force_locale(locale_of(user)):
        return _render(row, user)


def _render(row: Notification, user: User) -> Rendered:
    pathway = db.session.get(Pathway, row.pathway_id) if row.pathway_id else None
    session = db.session.get(WorkshopSession, row.session_id) if row.session_id else None
    context = {"kind": row.kind, "user": user, "pathway": pathway, "session": session,
               "link": moodle_link(pathway, user), "tool_name": current_app.config["TOOL_NAME"],
               "optional": row.kind.startswith(OPTIONAL_KINDS), "payload": row.payload or {}}
    what, when, ics, method = (pathway.title if pathway else ""), "", None, ICS_METHODS.get(row.kind, "")
    if session is not None:
        what = session.title or session.step.title
        when = format_datetime(session.starts_at, "d MMMM y, HH:mm")
        context.update(half_days=half_days(session), format=str(SESSION_FORMATS.get(session.format, session.format)),
                       facilitators=", ".join(f"{f.get('name', '')} ({professions.label(f.get('profession'))})"
                                              if f.get("profession") else f.get("name", "")
                                              for f in session.facilitators or []))
        if row.kind.startswith("reminder_"):
            days = int(row.kind.split("_", 1)[1])
            context["reminder"] = ngettext("Your session starts tomorrow.", "Your session starts in %(num)d days.",
                                           days)
    if row.kind == "dpc_validated":
        context["certificate_url"] = external_url("notify_links.certificate",
                                                  token=certificate_token(int(row.subject.split(":")[1])))
    text = render_template("emails/message.txt", **context)
    if method and session is not None:
        told = db.session.get(SessionRevision, session.id)
        ics = invitation(session, user, method=method, sequence=told.sequence if told else 0,
                         organiser=sender_address(), description=text, url=context["link"])
    return Rendered(_title(row.kind, what, when), text, ics, method)


def sender_address() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender, (tuple, list)):
        sender = sender[1]
    return sender.split("<")[-1].rstrip(">").strip() if sender else ""
