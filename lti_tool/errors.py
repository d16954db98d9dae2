"""The one error renderer: an HTML page in Moodle's iframe, JSON for API clients. The domain exceptions it
renders live in `domain_errors` (no Flask there: services raise them); they are re-exported here."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .domain_errors import (  # noqa: F401  (the domain exceptions, re-exported for the views)
    LAUNCH_MESSAGES,
    Forbidden,
    InvalidInput,
    LaunchRefused,
    NotFound,
    NotLaunched,
    Refused,
    RegistrationError,
    ToolError,
)

log = logging.getLogger("lti_tool")


GENERIC_HTTP_MESSAGES = {
    400: _l("The request is malformed."),
    403: _l("Access denied."),
    404: _l("This page does not exist."),
    405: _l("This address does not accept this kind of request."),
    413: _l("The file or form sent is too large."),
    429: _l("Too many requests: wait a moment."),
    500: _l("An unexpected error occurred. It has been logged."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(status: int, code: str, message: str):
    if wants_json():
        return jsonify(error=code, message=message), status
    return render_template("errors/error.html", status=status, code=code, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ToolError)
    def handle_tool_error(error: ToolError):
        if isinstance(error, LaunchRefused) and request.endpoint in ("lti.launch", "lti.login"):
            session.clear()  # a refused launch never leaves a session behind, not even the previous one
        log.warning("refused %s %s: %s %s (%s)", request.method, request.path, error.status, error.code, error.detail)
        return render_error(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        if isinstance(error, CSRFError):
            code = "csrf"  # its own code, not bad_request: the page says to reload the form
        log.info("http %s %s: %s %s", request.method, request.path, status, code)
        message = str(GENERIC_HTTP_MESSAGES.get(status, error.name))
        if code == "csrf":
            message = str(_l("The form has expired or was not sent from the tool. Reload the page and try again."))
        return render_error(status, code, message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(500, "internal_error", str(GENERIC_HTTP_MESSAGES[500]))
