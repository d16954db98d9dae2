"""What each message says, in the person's launch language (French by default), rendered when it is sent from
the current state of the session (the latest place and times), with a link back into the Moodle activity."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
from ..surveys import token as survey_token
from .calendar import CANCEL, REQUEST, invitation

ICS_METHODS = {"convocation": REQUEST, "promoted": REQUEST, "session_updated": REQUEST,
               "booking_cancelled": CANCEL, "session_cancelled": CANCEL}
OPTIONAL_KINDS = ("reminder", "nudge")  # what a learner may turn off (prefix of the kind)


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    ics: bytes | None = None
    ics_method: str = ""


KINDS = {"convocation": _l("Convocation"), "waitlisted": _l("Waiting list"), "promoted": _l("Seat confirmed"),
         "booking_cancelled": _l("Registration cancelled"), "seat_freed": _l("A seat is free"),
         "session_updated": _l("Session changed"), "session_cancelled": _l("Session cancelled"),
         "dpc_validated": _l("DPC validated"), "nudge": _l("Nudge"), "digest": _l("Daily summary"),
         "nudge_module": _l("Online module before a session"), "survey_hot": _l("Satisfaction survey"),
         "survey_cold": _l("Satisfaction survey, some weeks later")}


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
        "nudge": gettext("Your pathway is waiting for you: %(title)s", title=what),
        "digest": gettext("Daily summary: %(title)s", title=what),
        "nudge_module": gettext("Before your session: %(title)s, %(date)s", title=what, date=when),
        "survey_hot": gettext("Your opinion on the session: %(title)s", title=what),
        "survey_cold": gettext("A few weeks later, your opinion on: %(title)s", title=what),
    }
    return titles[kind]


@dataclass(frozen=True)
class SessionFacts:
    """What messages say of a session, read once per pass (a pass renders thousands of messages)."""

    id: int
    title: str
    place: str
    video_url: str
    format: str
    starts_at: datetime
    ends_at: datetime
    half_days: tuple
    facilitators: tuple
    sequence: int

    @classmethod
    def of(cls, session: WorkshopSession) -> "SessionFacts":
        told = db.session.get(SessionRevision, session.id)
        return cls(session.id, session.title or session.step.title, session.place or "", session.video_url or "",
                   session.format, session.starts_at, session.ends_at,
                   tuple((half.period, half.starts_at, half.ends_at) for half in session.half_days),
                   tuple(dict(f) for f in session.facilitators or []), told.sequence if told else 0)


def render(row: Notification, user: User, memo: dict | None = None) -> Rendered:
    """Needs a request context (URLs) — the worker makes one per pass; `memo` keeps what a pass already read."""
    memo = {} if memo is None else memo
    with force_locale(locale_of(user)):
        return _render(row, user, memo)


def _remember(memo: dict, key, make):
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _pathway(memo: dict, pathway_id: int | None, user: User) -> tuple[str, str]:
    if not pathway_id:
        return "", ""
    def read():
        pathway = db.session.get(Pathway, pathway_id)
        return (pathway.title, moodle_link(pathway, user)) if pathway else ("", "")
    return _remember(memo, ("pathway", pathway_id), read)


def _session_text(memo: dict, facts: SessionFacts, locale: str) -> dict:
    def make():
        lines = []
        for period, starts, ends in facts.half_days:
            label = gettext("morning") if period == "am" else gettext("afternoon")
            lines.append(f"{format_datetime(starts, 'EEEE d MMMM y')}, {label} "
                         f"({format_datetime(starts, 'HH:mm')}–{format_datetime(ends, 'HH:mm')})")
        return {"when": format_datetime(facts.starts_at, "d MMMM y, HH:mm"), "half_days": lines,
                "format": str(SESSION_FORMATS.get(facts.format, facts.format)),
                "facilitators": ", ".join(f"{f.get('name', '')} ({professions.label(f.get('profession'))})"
                                          if f.get("profession") else f.get("name", "") for f in facts.facilitators)}
    return _remember(memo, ("session-text", facts.id, locale), make)


def _render(row: Notification, user: User, memo: dict) -> Rendered:
    locale = locale_of(user)
    pathway_title, link = _pathway(memo, row.pathway_id, user)
    facts = None
    if row.session_id:
        facts = _remember(memo, ("session", row.session_id),
                          lambda: SessionFacts.of(db.session.get(WorkshopSession, row.session_id)))
    context = {"kind": row.kind, "user": user, "pathway_title": pathway_title, "session": facts, "link": link,
               "tool_name": current_app.config["TOOL_NAME"], "optional": row.kind.startswith(OPTIONAL_KINDS),
               "payload": row.payload or {}}
    what, when, ics, method = pathway_title, "", None, ICS_METHODS.get(row.kind, "")
    if facts is not None:
        context.update(_session_text(memo, facts, locale))
        what, when = facts.title, context["when"]
        if row.kind.startswith("reminder_"):
            days = int(row.kind.split("_", 1)[1])
            context["reminder"] = ngettext("Your session starts tomorrow.", "Your session starts in %(num)d days.",
                                           days)
    if row.kind == "digest":
        what, link = context["payload"].get("course", ""), context["payload"].get("link", "")
        context["link"] = link
    if row.kind.startswith("survey_"):
        context["survey_url"] = external_url("surveys.answer", token=survey_token(row.session_id, user.id,
                                                                                   row.kind.split("_", 1)[1]))
    if row.kind == "dpc_validated":
        context["certificate_url"] = external_url("notify_links.certificate",
                                                  token=certificate_token(int(row.subject.split(":")[1])))
    text = render_template("emails/message.txt", **context)
    if method and facts is not None:
        ics = invitation(facts, user, method=method, organiser=sender_address(), description=text, url=link)
    return Rendered(_title(row.kind, what, when), text, ics, method)


def sender_address() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender, (tuple, list)):
        sender = sender[1]
    return sender.split("<")[-1].rstrip(">").strip() if sender else ""
