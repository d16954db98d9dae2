"""The .ics sent with convocations, updates and cancellations (RFC 5546 iTIP): one stable UID per session (the
same as the learner's calendar feed), SEQUENCE raised at each change told to learners, METHOD:REQUEST to add or
update, METHOD:CANCEL to remove; times in Europe/Paris with its VTIMEZONE."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from models import User, utcnow

PARIS = ZoneInfo("Europe/Paris")
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def session_uid(session_id: int) -> str:
    return f"session-{session_id}@parcours-hybrides"  # as in workshops.ical: the feed and the mail agree


def invitation(session, user: User, *, method: str, organiser: str, description: str, url: str) -> bytes:
    """`session`: messages.SessionFacts (id, title, times, place, video link, calendar sequence)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Parcours hybrides CPTS//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", session_uid(session.id))
    event.add("sequence", session.sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at.astimezone(PARIS))
    event.add("dtend", session.ends_at.astimezone(PARIS))
    event.add("summary", session.title)
    event.add("description", description)
    if session.place:
        event.add("location", session.place)
    elif session.video_url:
        event.add("location", session.video_url)
    if url:
        event.add("url", url)
    if organiser:
        address = vCalAddress(f"mailto:{organiser}")
        address.params["cn"] = vText("Parcours hybrides")
        event.add("organizer", address)
    if user.email:
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = vText(user.display_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION" if method == REQUEST else "DECLINED")
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE of Europe/Paris, from the zone database
    return calendar.to_ical()
