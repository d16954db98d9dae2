"""Flask's signed-cookie session and the OIDC state cookie, with their Secure/SameSite/Partitioned attributes
decided by PUBLIC_BASE_URL (behind a TLS proxy the request may look like plain http). The session itself is
Flask's own: its serializer, its signer, SECRET_KEY_FALLBACKS for key rotation."""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


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
