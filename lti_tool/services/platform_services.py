"""Calling a platform's services (AGS, NRPS) with pylti1p3, access tokens shared by all workers.

pylti1p3's Flask connector keeps tokens per process, keyed on issuer and scopes only: two registrations under
one issuer would share a token. Here the key is (issuer, client id, scopes), the store is the shared cache,
and a token is dropped a minute before it expires.
"""
from __future__ import annotations

import hashlib
import time
from typing import Iterable

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from .http import TimeoutSession

EXPIRY_MARGIN_SECONDS = 60


class SharedTokenConnector(ServiceConnector):
    # Per-process copy of the shared tokens (a few seconds), so that a burst of scores reads the cache once.
    _memo: dict[str, tuple[float, str]] = {}
    MEMO_SECONDS = 30

    def __init__(self, registration, cache, *, timeout: float = 10, session=None):
        super().__init__(registration, session or TimeoutSession(timeout))
        self.cache = cache

    def _scope_key(self, scopes: Iterable[str]) -> str:
        parts = [self._registration.get_issuer() or "", self._registration.get_client_id() or "", *sorted(scopes)]
        return "token:" + hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        memo = self._memo.get(scope_key)
        if memo and memo[0] > time.monotonic():
            return memo[1]
        token = self.cache.get(scope_key)
        if token:
            self._memo[scope_key] = (time.monotonic() + self.MEMO_SECONDS, token)
        return token

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        ttl = int(expires_in or 0) - EXPIRY_MARGIN_SECONDS
        if ttl > 0:
            self.cache.set(scope_key, access_token, ttl)
            self._memo[scope_key] = (time.monotonic() + min(ttl, self.MEMO_SECONDS), access_token)

    def forget_token(self, scopes: Iterable[str]) -> None:
        """After a 401: the platform no longer accepts the cached token (revoked, expired early)."""
        key = self._scope_key(sorted(scopes))
        self._memo.pop(key, None)
        self.cache.delete(key)


def grades_service(registration, cache, *, lineitems_url: str | None, lineitem_url: str | None,
                   scopes: list[str], timeout: float = 10, session=None) -> AssignmentsGradesService:
    endpoint = {"scope": scopes, "lineitems": lineitems_url}
    if lineitem_url:
        endpoint["lineitem"] = lineitem_url
    return AssignmentsGradesService(SharedTokenConnector(registration, cache, timeout=timeout, session=session),
                                    endpoint)


def roster_service(registration, cache, *, memberships_url: str) -> NamesRolesProvisioningService:
    return NamesRolesProvisioningService(SharedTokenConnector(registration, cache),
                                         {"context_memberships_url": memberships_url, "service_versions": ["2.0"]})
