"""Grades back to Moodle through an outbox: what is queued, and what an instructor needs to know about it.

Enqueue: the pathway score of a learner goes into `grade_outbox` in the transaction of the event that changed
it, one row per placement of the pathway (a resource link whose line item is known, or whose registration's line
items container lets the worker find or create it), with a timestamp strictly newer than the last one for that
learner and placement (Moodle answers 409 otherwise). Older unsent rows are superseded.

Policy: the current score is always sent as FullyGraded (Moodle records `scoreGiven` only then), so the gradebook
shows each learner's progress as it is; a learner going back from completed sees the score go down, never a
blank grade. `activityProgress` says Completed, InProgress or Initialized.

Delivery lives in `grade_delivery`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from models import Enrolment, GradeOutbox, Pathway, Platform, ResourceLink, User, db, utcnow

from .grade_delivery import (  # noqa: F401
    LINEITEM_GONE,
    LINEITEM_SCOPE,
    SCORE_SCOPE,
    SERVICE_URL_REFUSED,
    TOKEN_REFUSED,
    deliver_once,
    retry_now,
)

PATHWAY_TAG = "parcours-hybride"


def score_payload(enrolment: Enrolment, done: int, required: int) -> dict:
    completed = enrolment.state == Enrolment.COMPLETED
    return {
        "scoreGiven": round(enrolment.score, 2), "scoreMaximum": 100,
        "activityProgress": "Completed" if completed else ("InProgress" if enrolment.state == Enrolment.IN_PROGRESS
                                                           else "Initialized"),
        "gradingProgress": "FullyGraded",
        "comment": f"Parcours : {enrolment.progress:.0f} % ({done}/{required} étapes obligatoires), "
                   f"score {enrolment.score:.1f}/100",
    }


def is_step_placement(link: ResourceLink) -> bool:
    """A placement of one step (deep linking a single step) opens the step; it carries no pathway score."""
    return bool((link.custom or {}).get("step_id"))


def placements(pathway_id: int) -> list[ResourceLink]:
    """The pathway's placements that can receive its score: line item known, or findable through AGS."""
    links = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id,
                                                          ResourceLink.platform_id.is_not(None))
                               .order_by(ResourceLink.id)).all()
    return [link for link in links if link.lineitem_url or (link.lineitems_url and not is_step_placement(link))]


def target(link: ResourceLink, pathway_title: str) -> tuple[str, dict | None]:
    """Where a score for this placement goes: its line item, or its container and how to find the item there
    (the same resource id and tag deep linking gives the item Moodle creates)."""
    if link.lineitem_url:
        return link.lineitem_url, None
    return link.lineitems_url, {"label": pathway_title[:300], "scoreMaximum": 100,
                                "resourceId": f"pathway-{link.pathway_id}", "tag": PATHWAY_TAG,
                                "resourceLinkId": link.resource_link_id}


def score_row(link: ResourceLink, pathway_title: str, *, enrolment_id: int, user_sub: str, payload: dict,
              timestamp: datetime, now: datetime) -> dict:
    """The outbox row of one learner's score for one placement (written one at a time, or in bulk)."""
    url, spec = target(link, pathway_title)
    return {"platform_id": link.platform_id, "course_id": link.course_id, "resource_link_id": link.id,
            "enrolment_id": enrolment_id, "kind": "score", "lineitem_url": url, "lineitem_spec": spec,
            "user_sub": user_sub, "payload": payload, "timestamp": timestamp, "state": GradeOutbox.PENDING,
            "attempts": 0, "next_attempt_at": now, "last_error": "", "created_at": now}


def millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def next_timestamp(*conditions) -> datetime:
    """Strictly newer than every row already queued for the same learner and item (`conditions` say which)."""
    last = db.session.scalar(select(func.max(GradeOutbox.timestamp)).where(*conditions))
    now = millis(utcnow())
    return max(now, last + timedelta(milliseconds=1)) if last else now


def unleased_pending():
    return and_(GradeOutbox.state == GradeOutbox.PENDING,
                or_(GradeOutbox.locked_until.is_(None), GradeOutbox.locked_until < utcnow()))


def enqueue_score(enrolment: Enrolment, done: int, required: int) -> list[GradeOutbox]:
    """One outbox row per placement of the enrolment's pathway that can receive grades."""
    links = placements(enrolment.pathway_id)
    if not links:
        return []
    user = db.session.get(User, enrolment.user_id)
    title = db.session.scalar(select(Pathway.title).where(Pathway.id == enrolment.pathway_id))
    payload = score_payload(enrolment, done, required)
    rows = []
    for link in links:
        same = (GradeOutbox.resource_link_id == link.id, GradeOutbox.kind == "score", GradeOutbox.user_sub == user.sub)
        db.session.execute(update(GradeOutbox).where(*same, unleased_pending()).values(state=GradeOutbox.SUPERSEDED)
                           .execution_options(synchronize_session=False))
        row = GradeOutbox(**score_row(link, title, enrolment_id=enrolment.id, user_sub=user.sub, payload=payload,
                                      timestamp=next_timestamp(*same), now=utcnow()))
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


# -- what the instructor sees ---------------------------------------------------------------------------------
def status_counts(course_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(GradeOutbox.state, func.count()).where(GradeOutbox.course_id == course_id)
                                   .group_by(GradeOutbox.state)).all())


def problems(course_id: int, limit: int = 100) -> list[dict]:
    """Scores not delivered yet or refused for good, with the learner and the placement, newest first."""
    rows = db.session.execute(
        select(GradeOutbox, User.name, ResourceLink.title)
        .join(Enrolment, Enrolment.id == GradeOutbox.enrolment_id, isouter=True)
        .join(User, User.id == Enrolment.user_id, isouter=True)
        .join(ResourceLink, ResourceLink.id == GradeOutbox.resource_link_id, isouter=True)
        .where(GradeOutbox.course_id == course_id,
               GradeOutbox.state.in_((GradeOutbox.PENDING, GradeOutbox.ABANDONED)))
        .order_by(GradeOutbox.id.desc()).limit(limit)).all()
    return [{"row": row, "learner": name or row.user_sub, "placement": title or row.lineitem_url,
             "reason": plain_reason(row)} for row, name, title in rows]


def plain_reason(row: GradeOutbox) -> str:
    """Moodle's answer in words a coordinator understands."""
    from flask_babel import gettext as _

    if row.state == GradeOutbox.ABANDONED and row.last_error.startswith("service URL refused"):
        return _("Not sent: the grade item's address is not on the Moodle site the tool is registered with.")
    if row.state == GradeOutbox.ABANDONED and row.last_status is None:
        return _("Not sent: the tool registration of this activity has been removed.")
    if row.state == GradeOutbox.ABANDONED:
        return _("Moodle refuses this score: the learner is no longer enrolled with a gradebook role in the course.")
    if row.attempts == 0:
        return _("Waiting to be sent.")
    if row.last_status is None:
        return _("Moodle could not be reached (network or timeout). The tool keeps trying.")
    if row.last_status in (401, 403):
        return _("Moodle refused the tool's access token; a new one is requested at the next try.")
    if row.last_status == 404:
        return _("Moodle no longer has this grade item (activity or grade item deleted). The tool keeps trying.")
    if row.last_status >= 500:
        return _("Moodle is unavailable (error %(status)s). The tool keeps trying.", status=row.last_status)
    # The platform's own words stay in the log and the CLI: a page never shows a remote body.
    return _("Moodle refused this score (error %(status)s). The tool keeps trying.", status=row.last_status)


def placement_problems(course_id: int) -> list[dict]:
    """Placements of the course's pathways that cannot receive grades, each with what to do about it. A problem
    here means scores are not reaching Moodle, whatever the outbox says."""
    from flask_babel import gettext as _

    found = []
    links = db.session.execute(select(ResourceLink, Pathway.title, Platform.scopes)
                               .join(Pathway, Pathway.id == ResourceLink.pathway_id)
                               .join(Platform, Platform.id == ResourceLink.platform_id, isouter=True)
                               .where(ResourceLink.course_id == course_id).order_by(ResourceLink.id)).all()
    for link, pathway_title, scopes in links:
        if is_step_placement(link) and not link.lineitem_url:
            continue  # a single step's activity: no pathway score expected there
        code, advice = "", ""
        if link.platform_id is None:
            code, advice = "registration_removed", _(
                "The tool registration this activity was added with has been removed: add the activity again with "
                "a registered tool, or register the tool again.")
        elif not link.lineitem_url and not link.lineitems_url:
            code, advice = "no_grade_service", _(
                "Moodle sends no grade service for this activity: in the tool's settings in Moodle, turn on "
                "'IMS LTI Assignment and Grade Services' (use this service for grade sync and column management) "
                "and set the activity's grade type to Point, then open the activity once.")
        elif scopes and SCORE_SCOPE not in scopes.split():
            code, advice = "scope_missing", _(
                "The tool's registration does not allow sending scores: allow the grade services in the tool's "
                "configuration in Moodle (Site administration › Plugins › External tool › Manage tools).")
        elif link.grade_problem == LINEITEM_GONE:
            code, advice = LINEITEM_GONE, _(
                "Moodle no longer finds this activity's grade item (activity or grade item deleted): restore it in "
                "Moodle, or add the pathway again by deep linking.")
        elif link.grade_problem == SERVICE_URL_REFUSED:
            code, advice = SERVICE_URL_REFUSED, _(
                "This activity's grade item is on another address than the Moodle site the tool is registered with: "
                "if the site answers on several hosts, list them in LTI_SERVICE_EXTRA_ORIGINS.")
        elif link.grade_problem == TOKEN_REFUSED:
            code, advice = TOKEN_REFUSED, _(
                "Moodle refuses the tool access to the grade services: check that the tool type allows "
                "'IMS LTI Assignment and Grade Services' in Moodle.")
        if code:
            found.append({"link": link, "pathway": pathway_title, "code": code, "advice": advice})
    return found


def missing_scores(course_id: int) -> int:
    """Learners who have started a pathway placed in the course whose latest score for a placement is not in
    Moodle and not on its way (none queued at all, e.g. scored before the placement existed)."""
    links = db.session.scalars(select(ResourceLink).where(ResourceLink.course_id == course_id,
                                                          ResourceLink.pathway_id.is_not(None),
                                                          ResourceLink.platform_id.is_not(None))).all()
    receiving = [link.id for link in links if link.lineitem_url or (link.lineitems_url and not is_step_placement(link))]
    if not receiving:
        return 0
    latest = (select(GradeOutbox.resource_link_id, GradeOutbox.user_sub)
              .where(GradeOutbox.course_id == course_id, GradeOutbox.kind == "score",
                     GradeOutbox.state.in_((GradeOutbox.SENT, GradeOutbox.PENDING, GradeOutbox.ABANDONED)))
              .distinct().subquery())
    query = (select(func.count()).select_from(Enrolment)
             .join(ResourceLink, ResourceLink.pathway_id == Enrolment.pathway_id)
             .join(User, User.id == Enrolment.user_id)
             .join(latest, and_(latest.c.resource_link_id == ResourceLink.id, latest.c.user_sub == User.sub),
                   isouter=True)
             .where(ResourceLink.id.in_(receiving), Enrolment.state != Enrolment.NOT_STARTED,
                    latest.c.user_sub.is_(None)))
    return db.session.scalar(query) or 0


def unplaced_pathways(course_id: int) -> list[Pathway]:
    """Published pathways with learners under way that no graded Moodle activity holds: their scores go nowhere
    until the pathway is added to the course by deep linking."""
    started = (select(Enrolment.pathway_id).where(Enrolment.state != Enrolment.NOT_STARTED).distinct())
    candidates = db.session.scalars(select(Pathway).where(Pathway.course_id == course_id,
                                                          Pathway.published.is_(True), Pathway.id.in_(started))
                                    .order_by(Pathway.id)).all()
    return [pathway for pathway in candidates if not placements(pathway.id)]

