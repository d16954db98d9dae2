"""Flask's signed-cookie session, cheaper per request: one serializer per set of keys, keys derived once, and
plain JSON.

Flask builds a new URLSafeTimedSerializer on every request and encodes through its tagged JSON (for bytes,
tuples, datetimes, Markup), which this tool never keeps in a session: ids, a role, a locale, the CSRF token and
the pending deep-linking settings. Cookies signed by Flask's own interface read the same (tagged JSON without
tags is plain JSON), and SECRET_KEY_FALLBACKS still verifies cookies signed with a previous key.
"""
from __future__ import annotations

import json
from functools import lru_cache

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from .signing import KeyCachingTimestampSigner, secret_keys


class CompactJSON:
    @staticmethod
    def dumps(value) -> str:
        return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def loads(text):
        return json.loads(text)


def public_https(app: Flask) -> bool | None:
    """True/False when PUBLIC_BASE_URL says https/http, None when it is not set."""
    base = (app.config.get("PUBLIC_BASE_URL") or "").lower()
    return base.startswith("https://") if base else None


def cookies_secure(app: Flask) -> bool:
    """Behind a TLS proxy the request may look like plain http (no X-Forwarded-Proto): the configured public
    origin decides whether cookies are Secure and SameSite=None (needed inside Moodle's iframe)."""
    https = public_https(app)
    return request.is_secure if https is None else https


class CookieSessionInterface(SecureCookieSessionInterface):
    serializer = CompactJSON()

    # The session cookie follows PUBLIC_BASE_URL too (read at each response: it may be set after start-up).
    def get_cookie_secure(self, app: Flask) -> bool:
        https = public_https(app)
        return super().get_cookie_secure(app) if https is None else https

    def get_cookie_samesite(self, app: Flask) -> str | None:
        https = public_https(app)
        return super().get_cookie_samesite(app) if https is None else ("None" if https else "Lax")

    def get_cookie_partitioned(self, app: Flask) -> bool:
        https = public_https(app)
        return super().get_cookie_partitioned(app) if https is None else https

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return self._serializer(secret_keys(app.config))

    @lru_cache(maxsize=8)  # noqa: B019 - one interface per app, a handful of key sets over its life
    def _serializer(self, keys: tuple) -> URLSafeTimedSerializer:
        # The current key signs (last), all of them verify.
        return URLSafeTimedSerializer(list(keys), salt=self.salt, serializer=self.serializer,
                                      signer=KeyCachingTimestampSigner,
                                      signer_kwargs={"key_derivation": self.key_derivation,
                                                     "digest_method": self.digest_method})
