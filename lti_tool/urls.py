"""Absolute URLs of the tool, from PUBLIC_BASE_URL when set (behind a proxy) or else from the request."""
from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def tool_urls() -> dict[str, str]:
    """Every URL an administrator needs to register the tool by hand or dynamically."""
    return {
        "login": external_url("lti.login"),
        "launch": external_url("lti.launch"),
        "redirect": external_url("lti.launch"),
        "deep_linking": external_url("lti.launch"),
        "jwks": external_url("lti.jwks"),
        "dynamic_registration": external_url("lti.register"),
        "config": external_url("lti.config"),
    }
