"""Registrations of platforms (Moodle sites) and their deployments."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import and_, bindparam, func, select, update

from models import Deployment, Platform, db


class PlatformError(ValueError):
    pass


def check_url(url: str, *, allow_http: bool) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.netloc:
        raise PlatformError(f"not an {'http(s)' if allow_http else 'https'} URL: {url!r}")
    return url


@dataclass(frozen=True)
class RegistrationRecord:
    """A platform registration and (when asked) one of its deployments, read in one query on the launch path."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    tool_key_id: int | None
    site_id: int  # the site's first registration: courses, people and organisations of the site hang on it
    deployment_pk: int | None = None
    deployment_id: str | None = None


def _lookup_statement(with_client_id: bool, with_deployment: bool):
    platform, deployment = Platform.__table__, Deployment.__table__
    columns = [platform.c[name] for name in RegistrationRecord.__dataclass_fields__ if name in platform.c]
    first = platform.alias("first")
    columns.append(select(func.min(first.c.id)).where(first.c.issuer == platform.c.issuer)
                   .scalar_subquery().label("site_id"))
    source = platform
    if with_deployment:
        source = platform.outerjoin(deployment, and_(deployment.c.platform_id == platform.c.id,
                                                     deployment.c.deployment_id == bindparam("deployment_id")))
        columns += [deployment.c.id.label("deployment_pk"), deployment.c.deployment_id]
    statement = select(*columns).select_from(source).where(platform.c.issuer == bindparam("issuer"))
    if with_client_id:
        statement = statement.where(platform.c.client_id == bindparam("client_id"))
    return statement.limit(2)


# Built once (a launch runs one at its login and one at the launch): with or without a client id, a deployment.
LOOKUP_STATEMENTS = {(client, deployment): _lookup_statement(client, deployment)
                     for client in (False, True) for deployment in (False, True)}


def lookup_registration(issuer: str, client_id: str | None,
                        deployment_id: str | None = None) -> RegistrationRecord | None:
    """The registration for (issuer, client id) — without a client id only if the issuer has just one — with
    the deployment named, if any (`deployment_pk` is None when that deployment is unknown). Read from the
    database every time: a registration removed, or a deployment added, counts at once on every worker."""
    statement = LOOKUP_STATEMENTS[bool(client_id), deployment_id is not None]
    rows = db.session.connection().execute(statement, {"issuer": issuer, "client_id": client_id,
                                                       "deployment_id": deployment_id}).all()
    if len(rows) != 1:
        return None
    return RegistrationRecord(**rows[0]._asdict())


def is_public_host(url: str) -> bool:
    """False unless the host resolves only to globally routable addresses (no fetching inside our network,
    nor 100.64.0.0/10 such as a cloud metadata service): the rule every outbound call follows (services/http)."""
    from .http import is_public_host as resolves_to_public

    return resolves_to_public(urlsplit(url).hostname or "")


def find_platform(issuer: str, client_id: str | None) -> Platform | None:
    """The registration for an issuer and client id; without a client id only if the issuer has just one."""
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id:
        return db.session.scalars(query.where(Platform.client_id == client_id)).first()
    candidates = db.session.scalars(query.limit(2)).all()
    return candidates[0] if len(candidates) == 1 else None


def find_deployment(platform_id: int, deployment_id: str) -> Deployment | None:
    return db.session.scalars(
        select(Deployment).where(Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id)
    ).first()


def add_platform(*, issuer: str, client_id: str, auth_login_url: str, auth_token_url: str, key_set_url: str,
                 deployment_ids: list[str] = (), name: str = "", auth_audience: str | None = None,
                 registered_via: str = "cli", allow_http: bool = False, product_family: str | None = None,
                 scopes: str | None = None) -> Platform:
    """Create or update the registration (issuer, client id) and add the deployments given."""
    for url in (issuer, auth_login_url, auth_token_url, key_set_url):
        check_url(url, allow_http=allow_http)
    if not client_id:
        raise PlatformError("client id is required")
    platform = find_platform(issuer, client_id)
    if platform is None:
        platform = Platform(issuer=issuer, client_id=client_id)
        db.session.add(platform)
    platform.name = name or platform.name or urlsplit(issuer).netloc
    platform.auth_login_url = auth_login_url
    platform.auth_token_url = auth_token_url
    platform.auth_audience = auth_audience
    platform.key_set_url = key_set_url
    platform.registered_via = registered_via
    platform.product_family = product_family or platform.product_family
    platform.scopes = scopes or platform.scopes
    db.session.flush()
    for deployment_id in deployment_ids:
        add_deployment(platform, deployment_id)
    return platform


def add_deployment(platform: Platform, deployment_id: str) -> Deployment:
    if not deployment_id:
        raise PlatformError("deployment id is required")
    deployment = find_deployment(platform.id, deployment_id)
    if deployment is None:
        deployment = Deployment(platform=platform, deployment_id=deployment_id)
        db.session.add(deployment)
        db.session.flush()
    return deployment


def site_id(platform: Platform) -> int:
    """One identity per Moodle site: whatever registration (client id) a launch comes through, the site's
    courses, people and organisations are those of its first registration."""
    return db.session.scalar(select(func.min(Platform.id)).where(Platform.issuer == platform.issuer))


def site_registrations(platform_id: int) -> list[int]:
    """Every registration of the site that `platform_id` belongs to."""
    issuer = select(Platform.issuer).where(Platform.id == platform_id).scalar_subquery()
    return list(db.session.scalars(select(Platform.id).where(Platform.issuer == issuer).order_by(Platform.id)))


def remove_platform(platform_id: int) -> bool:
    """Removing a registration removes what only it holds; the site's data stays with the site while another
    registration of it remains (moved to the next one when this was the first)."""
    from models import Course, MoodleConnection, Organisation, User

    platform = db.session.get(Platform, platform_id)
    if platform is None:
        return False
    others = [other for other in site_registrations(platform_id) if other != platform_id]
    if others and site_id(platform) == platform_id:
        for model in (Course, User, Organisation, MoodleConnection):
            db.session.execute(update(model).where(model.platform_id == platform_id).values(platform_id=others[0])
                               .execution_options(synchronize_session=False))
    db.session.delete(platform)
    db.session.flush()
    return True


def list_platforms(site_id: int | None = None) -> list[Platform]:
    """Every registration, or those of one site (all its client ids)."""
    query = select(Platform).order_by(Platform.issuer, Platform.client_id)
    if site_id is not None:
        query = query.where(Platform.issuer == select(Platform.issuer).where(Platform.id == site_id).scalar_subquery())
    return list(db.session.scalars(query))
