"""Roster sync with Moodle's names and roles service: course members who never opened the tool appear in the
follow-up. One page at a time (paging by `Link: rel="next"`), so a long roster shows its progress."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import lazy_gettext as _l
from pylti1p3.exception import LtiServiceException
from sqlalchemy import func, select

from models import Course, CourseMembership, Enrolment, User, db

from . import launches
from .platform_services import ServiceURLRefused, SharedTokenConnector

log = logging.getLogger("lti_tool.roster")

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ACCEPT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


REASONS = {
    "no_service": _l("Moodle did not give this course a names-and-roles service: open the tool from Moodle first."),
    "other_site": _l("Moodle named a roster address on another site: it was not called."),
    "refused": _l("Moodle refused the roster request."),
    "unavailable": _l("Moodle did not answer in time or could not be reached."),
    "bad_answer": _l("Moodle's answer could not be read."),
}


class RosterError(RuntimeError):
    """What the page shows is one of our sentences, never the platform's answer (logged instead)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(str(REASONS[code]))
        self.code, self.detail = code, detail


def same_origin(url: str, reference: str) -> bool:
    a, b = urlsplit(url), urlsplit(reference)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def sync_page(course: Course, registration, cache, url: str | None = None, *, limit: int = 100) -> tuple[int, str | None]:
    """Fetch one page of members and record them; returns (members on the page, next page URL or None)."""
    if not course.memberships_url:
        raise RosterError("no_service")
    url = url or f"{course.memberships_url}{'&' if '?' in course.memberships_url else '?'}limit={limit}"
    if not same_origin(url, course.memberships_url):  # next links come from the platform: stay on it
        log.warning("roster of course %s: next page on another site %r", course.id, url[:300])
        raise RosterError("other_site", url)
    connector = SharedTokenConnector(registration, cache, timeout=current_app.config["LTI_HTTP_TIMEOUT_SECONDS"])
    try:
        page = connector.make_service_request([NRPS_SCOPE], url, accept=ACCEPT)
    except Exception as error:  # network, 4xx, 5xx: the instructor sees a plain reason, nothing is changed
        code = ("other_site" if isinstance(error, ServiceURLRefused) else
                "refused" if isinstance(error, LtiServiceException) else
                "unavailable" if isinstance(error, requests.RequestException) else "bad_answer")
        log.warning("roster of course %s from %s: %s (%s)", course.id, url[:300], code, str(error)[:300])
        raise RosterError(code, str(error)[:300]) from error
    members = (page.get("body") or {}).get("members") or []
    for member in members:
        if not isinstance(member, dict) or not member.get("user_id") or member.get("status", "Active") != "Active":
            continue
        user = db.session.scalars(select(User).where(User.platform_id == course.platform_id,
                                                    User.sub == str(member["user_id"]))).first()
        if user is None:
            user = User(platform_id=course.platform_id, sub=str(member["user_id"])[:255])
            db.session.add(user)
        user.name = str(member.get("name") or user.name or "")[:300]
        user.given_name = str(member.get("given_name") or user.given_name or "")[:200]
        user.family_name = str(member.get("family_name") or user.family_name or "")[:200]
        user.email = str(member.get("email") or user.email or "")[:320]
        user.person_sourcedid = str(member.get("lis_person_sourcedid") or user.person_sourcedid or "")[:255]
        db.session.flush()
        roles = [str(role) for role in member.get("roles") or [] if isinstance(role, str)]
        membership = db.session.get(CourseMembership, (user.id, course.id))
        if membership is None:
            db.session.add(CourseMembership(user_id=user.id, course_id=course.id, role=launches.map_role(roles),
                                            lti_roles=roles))
        else:
            membership.role, membership.lti_roles = launches.map_role(roles), roles
    db.session.flush()
    return len(members), page.get("next_page_url")


def never_opened(course_id: int, pathway_id: int, limit: int = 200) -> tuple[list[User], int]:
    """Learners of the course (from launches or the roster) who have not opened this pathway."""
    opened = select(Enrolment.user_id).where(Enrolment.pathway_id == pathway_id)
    query = (select(User).join(CourseMembership, CourseMembership.user_id == User.id)
             .where(CourseMembership.course_id == course_id, CourseMembership.role == "learner",
                    User.id.not_in(opened)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    return list(db.session.scalars(query.order_by(User.family_name, User.name).limit(limit))), total
