"""Headers on every response and checks before every view.

- Content-Security-Policy: scripts only from the tool's own files (no inline script: the templates pass their
  data in data-* attributes), framing only by the tool itself and the registered platforms (Moodle shows the
  tool in an iframe; any other site framing the instructor pages is refused). Inline style="" attributes are
  still used by the templates, hence style-src 'unsafe-inline' (styles cannot run code).
- X-Content-Type-Options, Referrer-Policy.
- Cache-Control: no-store on personal data (CSV, JSON, PDF, ZIP, calendar feeds): no copy in a shared
  computer's cache or a proxy.
- A NUL byte in a query or form field is refused with a 400 (PostgreSQL cannot store it: it was a 500).
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .errors import ToolError
from .services.cache import local_cache

log = logging.getLogger("lti_tool.security")

PERSONAL_DATA_TYPES = {"text/csv", "application/json", "application/pdf", "application/zip",
                       "application/x-zip-compressed", "text/calendar"}
FRAME_ORIGINS_SECONDS = 30  # a newly registered platform can frame the tool within this time
_frame_origins = local_cache(size=16)  # by database


class BadInput(ToolError):
    status = 400
    code = "bad_input"
    messages = {"nul_byte": _l("The request contains a forbidden character (NUL).")}


def _origin(url: str | None) -> str | None:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in parts.netloc for c in " ;,'\""):
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def platform_origins(app: Flask) -> tuple[str, ...]:
    """Origins of the registered platforms (issuer and login URL), read at most every FRAME_ORIGINS_SECONDS."""
    from models import Platform, db

    key = app.config["SQLALCHEMY_DATABASE_URI"]
    origins = _frame_origins.get(key)
    if origins is not None:
        return origins
    try:
        # Its own connection: the request's transaction may have failed (this runs on error pages too).
        with db.engine.connect() as connection:
            rows = connection.execute(select(Platform.issuer, Platform.auth_login_url)).all()
    except SQLAlchemyError:
        log.warning("frame-ancestors: platforms could not be read; only the tool may frame this response")
        return ()
    origins = tuple(sorted({found for row in rows for found in map(_origin, row) if found}))
    _frame_origins.set(key, origins, timeout=FRAME_ORIGINS_SECONDS)
    return origins


def content_security_policy(app: Flask) -> str:
    frames = "'self' https:" + (" http:" if app.config.get("LTI_ALLOW_HTTP_PLATFORMS") else "")  # module content
    ancestors = " ".join(("'self'", *platform_origins(app)))
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"frame-src {frames}; frame-ancestors {ancestors}; base-uri 'self'; object-src 'none'")


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def init_security(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        if "\x00" in request.path or _has_nul(request.args) or \
                (request.method in ("POST", "PUT", "PATCH", "DELETE") and _has_nul(request.form)):
            raise BadInput("nul_byte", "NUL byte in the request")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(current_app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype in PERSONAL_DATA_TYPES and not response.cache_control.public:
            headers["Cache-Control"] = "no-store"
        return response
