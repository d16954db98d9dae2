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

from flask import Flask
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


class CookieSessionInterface(SecureCookieSessionInterface):
    serializer = CompactJSON()

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
