"""What a validated launch records: the user, the course, the resource link and the user's role there."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from models import Course, CourseMembership, Pathway, PathwayRescore, ResourceLink, Role, User, db, utcnow

from ..domain_errors import LaunchRefused
from . import launch_state

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

VOCAB = "http://purl.imsglobal.org/vocab/lis/v2/"
ADMINISTRATOR_ROLES = {
    VOCAB + "institution/person#Administrator",
    VOCAB + "system/person#Administrator",
    VOCAB + "system/person#SysAdmin",
    VOCAB + "membership#Administrator",
}
INSTRUCTOR_ROLES = {
    VOCAB + "membership#Instructor",
    VOCAB + "membership#ContentDeveloper",
    VOCAB + "membership/Instructor#TeachingAssistant",
    VOCAB + "membership#Mentor/TeachingAssistant",
    VOCAB + "institution/person#Instructor",
    VOCAB + "institution/person#Faculty",
    # Short names, as Moodle's names-and-roles service and LTI 1.1-era platforms send them.
    "Instructor", "ContentDeveloper", "TeachingAssistant",
}


def map_role(lti_roles: list[str]) -> str:
    """Moodle role URIs to the tool's three roles; the highest wins, anything unknown is a learner."""
    roles = set(lti_roles or [])
    if roles & ADMINISTRATOR_ROLES or "Administrator" in roles:
        return Role.ADMINISTRATOR
    if roles & INSTRUCTOR_ROLES:
        return Role.INSTRUCTOR
    return Role.LEARNER


@dataclass(frozen=True)
class LaunchRecord:
    user_id: int
    course_id: int
    resource_link_id: int | None
    role: str
    locale: str
    pathway_id: int | None = None


def _upsert_statements(model, index_elements: tuple[str, ...], columns: tuple[str, ...],
                       update_keys: tuple[str, ...], keep_keys: tuple[str, ...] = ()) -> dict:
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING id, one per dialect, built once at import (SQLAlchemy caches
    their compiled form). `keep_keys` are updated only by a value: a launch without one keeps what was learned."""
    table = model.__table__
    statements = {}
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
        statement = dialect.insert(table).values({column: bindparam(column, type_=table.c[column].type)
                                                  for column in columns})
        statement = statement.on_conflict_do_update(index_elements=list(index_elements), set_={
            key: func.coalesce(statement.excluded[key], table.c[key]) if key in keep_keys else statement.excluded[key]
            for key in update_keys})
        statements[name] = statement.returning(table.c.id) if "id" in table.c else statement
    return statements


USER_UPSERT = _upsert_statements(
    User, ("platform_id", "sub"),
    ("platform_id", "sub", "name", "given_name", "family_name", "email", "person_sourcedid", "locale", "created_at",
     "last_launch_at"),
    ("name", "given_name", "family_name", "email", "person_sourcedid", "locale", "last_launch_at"))
COURSE_UPDATES = ("deployment_id", "label", "title", "memberships_url", "lineitems_url", "services_platform_id")
COURSE_UPSERT = _upsert_statements(
    Course, ("platform_id", "context_id"),
    ("platform_id", "deployment_id", "context_id", "label", "title", "memberships_url", "lineitems_url",
     "services_platform_id", "created_at"), COURSE_UPDATES)
COURSE_STATE = select(Course.id, *(Course.__table__.c[key] for key in COURSE_UPDATES)).where(
    Course.platform_id == bindparam("platform_id"), Course.context_id == bindparam("context_id"))
LINK_UPSERT = _upsert_statements(
    ResourceLink, ("course_id", "resource_link_id"),
    ("course_id", "resource_link_id", "title", "custom", "lineitem_url", "platform_id", "lineitems_url", "pathway_id",
     "grade_problem", "created_at"),
    ("title", "custom", "lineitem_url", "platform_id", "lineitems_url", "pathway_id"), keep_keys=("lineitem_url",))
MEMBERSHIP_UPSERT = _upsert_statements(
    CourseMembership, ("user_id", "course_id"), ("user_id", "course_id", "role", "lti_roles", "updated_at"),
    ("role", "lti_roles", "updated_at"))


def _upsert(connection, statements: dict, values: dict[str, Any]) -> int:
    """One statement, safe when two launches race; the row's id (0 for a table without one)."""
    result = connection.execute(statements[connection.dialect.name], values)
    return result.scalar_one() if result.returns_rows else 0


def _record_course(connection, values: dict[str, Any]) -> int:
    """Courses rarely change, yet every launch describes its course: read it (a read costs less than a write and
    holds no lock), write it only when Moodle describes it differently — what the database holds, not what this
    process remembers, so every worker agrees."""
    before = connection.execute(COURSE_STATE, {"platform_id": values["platform_id"],
                                               "context_id": values["context_id"]}).first()
    if before is not None and tuple(before)[1:] == tuple(values[key] for key in COURSE_UPDATES):
        return before.id
    return _upsert(connection, COURSE_UPSERT, values)


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ("" if value is None else str(value)[:limit])


def _url(value) -> str | None:
    """Service URLs are stored only when they are plausible (the platform's, below the column's size)."""
    plausible = isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 1000
    return value if plausible else None


PATHWAY_COURSE = select(Pathway.course_id).where(Pathway.id == bindparam("pathway_id"))


def _linked_pathway(connection, custom: dict, course_id: int) -> int | None:
    """The pathway a placement opens (custom parameter from deep linking); refused if it is another course's
    (an activity copied to another course keeps its custom parameters)."""
    raw = custom.get("pathway_id")
    if raw in (None, ""):
        return None
    try:
        pathway_id = int(raw)
    except (TypeError, ValueError):
        raise LaunchRefused("pathway_not_in_course", f"pathway_id {raw!r}") from None
    owner = connection.execute(PATHWAY_COURSE, {"pathway_id": pathway_id}).scalar()
    if owner != course_id:
        raise LaunchRefused("pathway_not_in_course", f"pathway {pathway_id} belongs to course {owner}")
    return pathway_id


LINK_STATE = select(ResourceLink.id, ResourceLink.pathway_id, ResourceLink.lineitem_url, ResourceLink.platform_id,
                    ResourceLink.lineitems_url, ResourceLink.title, ResourceLink.custom).where(
    ResourceLink.course_id == bindparam("course_id"), ResourceLink.resource_link_id == bindparam("rlid"))
REQUEST_RESCORE = {
    name: dialect.insert(PathwayRescore).values(
        pathway_id=bindparam("pathway_id"), reason="placement",
        requested_at=bindparam("now", type_=PathwayRescore.__table__.c.requested_at.type)).on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def _record_link(connection, course_id: int, platform_id: int, resource_link: dict, custom: dict, ags: dict,
                 pathway_id: int | None, now) -> int:
    """The placement, written only when something changed. A launch without a `lineitem` claim never clears
    the one learned before (Moodle drops it when the link holds two line items). A new placement of a pathway,
    or one whose line item is now known, asks for every enrolled learner to be scored there."""
    values = {"course_id": course_id, "resource_link_id": _text(resource_link["id"], 255),
              "title": _text(resource_link.get("title"), 500), "custom": custom,
              "lineitem_url": _url(ags.get("lineitem")), "platform_id": platform_id,
              "lineitems_url": _url(ags.get("lineitems")), "pathway_id": pathway_id, "grade_problem": "",
              "created_at": now}
    before = connection.execute(LINK_STATE, {"course_id": course_id, "rlid": values["resource_link_id"]}).first()
    lineitem_url = values["lineitem_url"] or (before.lineitem_url if before else None)
    if before is not None and (before.pathway_id, before.lineitem_url, before.platform_id, before.lineitems_url,
                               before.title, before.custom) == (pathway_id, lineitem_url, platform_id,
                                                                values["lineitems_url"], values["title"], custom):
        return before.id
    link_id = _upsert(connection, LINK_UPSERT, values)
    if pathway_id is not None and (before is None or before.pathway_id != pathway_id
                                   or (lineitem_url and not before.lineitem_url)):
        connection.execute(REQUEST_RESCORE[connection.dialect.name], {"pathway_id": pathway_id, "now": now})
    return link_id


def record_launch(platform_id: int, deployment_pk: int | None, claims: dict[str, Any],
                  redemption: launch_state.Redemption, site_id: int | None = None) -> LaunchRecord:
    """Spend the launch's state and record who launched from where, in the request's transaction: a launch
    refused on the way (a replay, a copied activity) is rolled back and leaves nothing behind. People and courses
    belong to the site (`site_id`, its first registration), placements and service URLs to the registration
    launched."""
    site_id = site_id or platform_id
    context = _object(claims.get(LTI + "context"))
    if not context.get("id"):
        raise LaunchRefused("missing_context", "no context claim")
    now = utcnow()
    lis = _object(claims.get(LTI + "lis"))
    presentation = _object(claims.get(LTI + "launch_presentation"))
    locale = _text(presentation.get("locale"), 20)
    ags = _object(claims.get(AGS_ENDPOINT))
    nrps = _object(claims.get(NRPS))
    resource_link = _object(claims.get(LTI + "resource_link"))
    custom = _object(claims.get(LTI + "custom"))
    lti_roles = [role[:300] for role in claims.get(LTI + "roles") or [] if isinstance(role, str)][:50]
    role = map_role(lti_roles)
    connection = db.session.connection()
    launch_state.spend(connection, redemption)
    user_id = _upsert(connection, USER_UPSERT, {
        "platform_id": site_id, "sub": _text(claims["sub"], 255),
        "name": _text(claims.get("name"), 300), "given_name": _text(claims.get("given_name"), 200),
        "family_name": _text(claims.get("family_name"), 200), "email": _text(claims.get("email"), 320),
        "person_sourcedid": _text(lis.get("person_sourcedid"), 255),
        "locale": locale, "created_at": now, "last_launch_at": now,
    })
    course_id = _record_course(connection, {
        "platform_id": site_id, "deployment_id": deployment_pk, "context_id": _text(context["id"], 255),
        "label": _text(context.get("label"), 255), "title": _text(context.get("title"), 500),
        "memberships_url": _url(nrps.get("context_memberships_url")),
        "lineitems_url": _url(ags.get("lineitems")), "services_platform_id": platform_id, "created_at": now,
    })
    pathway_id = _linked_pathway(connection, custom, course_id)
    link_id = None
    if resource_link.get("id"):
        link_id = _record_link(connection, course_id, platform_id, resource_link, custom, ags, pathway_id, now)
    _upsert(connection, MEMBERSHIP_UPSERT, {
        "user_id": user_id, "course_id": course_id, "role": role, "lti_roles": lti_roles, "updated_at": now,
    })
    return LaunchRecord(user_id=user_id, course_id=course_id, resource_link_id=link_id, role=role, locale=locale,
                        pathway_id=pathway_id)
