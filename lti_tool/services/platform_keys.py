"""Platform public keys (JWKS): fetched once, shared by all workers, refetched once when an unknown kid arrives.

Two levels: a per-process cache (a minute at most, so a launch costs no I/O) over the shared cache (Redis or
the database, an hour), over the platform's key set URL.
"""
from __future__ import annotations

import json
import threading
from typing import Any

import jwt
import requests

from ..domain_errors import LaunchRefused
from .cache import local_cache
from .http import OutboundSession

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
MEMO_SECONDS = 60
MAX_JWKS_BYTES = 512 * 1024  # a key set is a few kilobytes


class PlatformKeys:
    def __init__(self, cache, *, cache_seconds: int, refetch_interval: int, timeout: float,
                 max_bytes: int = MAX_JWKS_BYTES, allow_private: bool | None = None):
        self.cache = cache
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        # A total deadline: a key set that trickles in ends as the 502 page, not a worker held until killed.
        self.http = OutboundSession(timeout, max_bytes=max_bytes, allow_private=allow_private)
        self.recent = local_cache()  # key sets by URL, for a minute at most
        self._parsed: dict[str, jwt.PyJWK] = {}
        self._lock = threading.Lock()

    def signing_key(self, key_set_url: str, kid: str, alg: str) -> jwt.PyJWK:
        key = self._find(self._key_set(key_set_url), kid, alg)
        if key is None:  # another worker may already have fetched the platform's new keys
            shared = self.cache.get(f"jwks:{key_set_url}")
            if shared is not None:
                self._remember(key_set_url, shared)
                key = self._find(shared, kid, alg)
        if key is None and self.cache.add(f"jwks-refetch:{key_set_url}", 1, self.refetch_interval):
            key = self._find(self._fetch(key_set_url), kid, alg)  # the platform may have rotated its keys
        if key is None:
            raise LaunchRefused("unknown_kid", f"kid {kid!r} ({alg}) not in {key_set_url}")
        return key

    def _key_set(self, url: str) -> dict:
        key_set = self.recent.get(url)
        if key_set is not None:
            return key_set
        key_set = self.cache.get(f"jwks:{url}")
        if key_set is None:
            return self._fetch(url)
        self._remember(url, key_set)
        return key_set

    def _fetch(self, url: str) -> dict:
        try:
            response = self.http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            key_set = response.json()
        except (requests.RequestException, ValueError) as error:
            raise LaunchRefused("platform_keys_unavailable", f"{url}: {error}", status=502) from error
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise LaunchRefused("platform_keys_unavailable", f"{url}: not a JWKS document", status=502)
        self.cache.set(f"jwks:{url}", key_set, self.cache_seconds)
        self._remember(url, key_set)
        return key_set

    def _remember(self, url: str, key_set: dict) -> None:
        seconds = min(MEMO_SECONDS, self.cache_seconds)
        if seconds > 0:  # no caching asked for: nothing kept here either (cachelib's 0 would mean forever)
            self.recent.set(url, key_set, timeout=seconds)

    def _find(self, key_set: dict, kid: str, alg: str) -> jwt.PyJWK | None:
        for candidate in key_set.get("keys", []):
            if not isinstance(candidate, dict) or candidate.get("kid") != kid:
                continue
            if candidate.get("kty") != "RSA" or candidate.get("alg", alg) != alg or candidate.get("use", "sig") != "sig":
                continue
            return self._parse(candidate, alg)
        return None

    def _parse(self, jwk: dict[str, Any], alg: str) -> jwt.PyJWK | None:
        # Parsing an RSA key costs more than verifying with it: keep parsed keys, keyed by their content.
        fingerprint = json.dumps(jwk, sort_keys=True) + alg
        parsed = self._parsed.get(fingerprint)
        if parsed is None:
            try:
                parsed = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                return None
            with self._lock:
                self._parsed[fingerprint] = parsed
        return parsed
