"""Calling a platform's services (AGS, NRPS) with pylti1p3, access tokens shared by all workers.

pylti1p3's Flask connector keeps tokens per process, keyed on issuer and scopes only: two registrations under
one issuer would share a token. Here the key is (issuer, client id, scopes), the store is the shared cache,
and a token is dropped a minute before it expires.

Service URLs come from launch claims (AGS line items, NRPS memberships) and from the platform's answers (next
pages, created line items): the platform's bearer token goes only to the registration's own origins (issuer,
token URL, login URL) and to those listed in `LTI_SERVICE_EXTRA_ORIGINS` (split-host sites). Checked in the
connector, so grades, roster and DPC all get it.
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from urllib.parse import urlsplit

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from .cache import local_cache
from .http import OutboundSession

EXPIRY_MARGIN_SECONDS = 60
DEFAULT_PORTS = {"https": 443, "http": 80}


class ServiceURLRefused(LtiException):
    """A service URL outside the registration's origins: the platform's token is not sent there."""


def origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url or "")
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def extra_origins(issuer: str) -> list[str]:
    """`LTI_SERVICE_EXTRA_ORIGINS`: a list (every platform) or {issuer: [origins]}; comma-separated in the
    environment."""
    from flask import current_app, has_app_context

    configured = current_app.config.get("LTI_SERVICE_EXTRA_ORIGINS") if has_app_context() else None
    if isinstance(configured, str):
        configured = [item.strip() for item in configured.split(",") if item.strip()]
    if isinstance(configured, dict):
        configured = configured.get(issuer) or configured.get(issuer.rstrip("/")) or []
    return list(configured or [])


def allowed_origins(registration) -> set[tuple[str, str, int]]:
    urls = [registration.get_issuer(), registration.get_auth_token_url(), registration.get_auth_login_url(),
            *extra_origins(registration.get_issuer() or "")]
    return {found for found in map(origin, urls) if found is not None}


# Per-process copy of the shared tokens (seconds), so that a burst of scores reads the shared cache once.
_recent_tokens = local_cache()


class SharedTokenConnector(ServiceConnector):
    MEMO_SECONDS = 30

    def __init__(self, registration, cache, *, timeout: float = 10, session=None):
        super().__init__(registration, session or OutboundSession(timeout))
        self.registration = registration
        self.cache = cache
        self.origins = allowed_origins(registration)

    def check_url(self, url: str) -> None:
        if origin(url) not in self.origins:
            raise ServiceURLRefused(f"service URL {url[:200]!r} is not on the platform's origins")

    def make_service_request(self, scopes, url, *args, **kwargs):
        self.check_url(url)  # before the token is even asked for
        return super().make_service_request(scopes, url, *args, **kwargs)

    def _scope_key(self, scopes: Iterable[str]) -> str:
        parts = [self.registration.get_issuer() or "", self.registration.get_client_id() or "", *sorted(scopes)]
        return "token:" + hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        token = _recent_tokens.get(scope_key)
        if token is not None:
            return token
        token = self.cache.get(scope_key)
        if token:
            _recent_tokens.set(scope_key, token, timeout=self.MEMO_SECONDS)
        return token

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        ttl = int(expires_in or 0) - EXPIRY_MARGIN_SECONDS
        if ttl > 0:
            self.cache.set(scope_key, access_token, ttl)
            _recent_tokens.set(scope_key, access_token, timeout=min(ttl, self.MEMO_SECONDS))

    def forget_token(self, scopes: Iterable[str]) -> None:
        """After a 401: the platform no longer accepts the cached token (revoked, expired early)."""
        key = self._scope_key(sorted(scopes))
        _recent_tokens.delete(key)
        self.cache.delete(key)


def grades_service(registration, cache, *, lineitems_url: str | None, lineitem_url: str | None,
                   scopes: list[str], timeout: float = 10, session=None) -> AssignmentsGradesService:
    endpoint = {"scope": scopes, "lineitems": lineitems_url}
    if lineitem_url:
        endpoint["lineitem"] = lineitem_url
    return AssignmentsGradesService(SharedTokenConnector(registration, cache, timeout=timeout, session=session),
                                    endpoint)


def roster_service(registration, cache, *, memberships_url: str, timeout: float = 10) -> NamesRolesProvisioningService:
    return NamesRolesProvisioningService(SharedTokenConnector(registration, cache, timeout=timeout),
                                         {"context_memberships_url": memberships_url, "service_versions": ["2.0"]})
