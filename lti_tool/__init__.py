"""Parcours hybrides CPTS: an LTI 1.3 tool for Moodle. `create_app` is the only entry point."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from models import db

from .config import (DefaultConfig, instance_secret, load_environment, normalise_database_url,
                     prepare_instance_folder, secure_sqlite_file)
from .errors import register_error_handlers
from .extensions import init_extensions
from .security import init_security
from .sessions import CookieSessionInterface
from .signing import secret_keys
from .urls import external_url

ROOT = Path(__file__).resolve().parent.parent
# Templates sit at the top of a checkout; an installed wheel carries them inside the package (setup.py).
TEMPLATES = next(p for p in (Path(__file__).resolve().parent / "templates", ROOT / "templates") if p.is_dir())


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("LTI_TOOL_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATES),
                instance_path=instance_path or None)
    app.session_interface = CookieSessionInterface()
    configure(app, test_config)
    init_extensions(app)
    configure_lti(app)
    from .notify_views import init_notifications

    init_notifications(app, from_environment=test_config is None)  # messages and reminders (issue 14)
    register_blueprints(app)
    register_error_handlers(app)
    configure_requests(app)
    init_security(app)
    from .cli import register_cli

    register_cli(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(DefaultConfig)
    prepare_instance_folder(app.instance_path)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        load_environment(app.config)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path, "secret_key")
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{Path(app.instance_path) / 'lti_tool.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    secure_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    # Inside Moodle's iframe the session cookie is third-party: over https it must be SameSite=None,
    # Secure and partitioned (CHIPS) to survive third-party cookie blocking.
    https = (app.config.get("PUBLIC_BASE_URL") or "").startswith("https://")
    app.config.update(
        SESSION_COOKIE_SECURE=https, SESSION_COOKIE_SAMESITE="None" if https else "Lax",
        SESSION_COOKIE_PARTITIONED=https, SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    if app.config["TRUST_PROXY_HEADERS"]:
        hops = int(app.config["TRUST_PROXY_HEADERS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_lti(app: Flask) -> None:
    from .services.cache import make_cache
    from .services.platform_keys import PlatformKeys

    app.extensions["lti_cache"] = make_cache(app.config.get("REDIS_URL"))
    app.extensions["lti_platform_keys"] = PlatformKeys(
        app.extensions["lti_cache"],
        cache_seconds=app.config["LTI_JWKS_CACHE_SECONDS"],
        refetch_interval=app.config["LTI_JWKS_REFETCH_MIN_INTERVAL_SECONDS"],
        timeout=app.config["LTI_HTTP_TIMEOUT_SECONDS"],
    )


def register_blueprints(app: Flask) -> None:
    from . import admin, api, instructor, learner, lti

    app.register_blueprint(lti.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(learner.bp)
    app.register_blueprint(instructor.bp)
    app.register_blueprint(admin.bp)
    if app.config["DEMO_PLATFORM"]:
        from .demo_platform import init_demo_platform

        init_demo_platform(app)

    @app.get("/calendar/<token>.ics")
    def calendar_feed(token: str):
        """A learner's booked sessions, for calendar apps (no session: the URL carries a signed token)."""
        from .errors import NotFound
        from .services import workshops

        user_id = workshops.user_from_feed_token(secret_keys(app.config), token)
        if user_id is None:
            raise NotFound()
        body = workshops.ical(workshops.sessions_booked_by(user_id), calendar_name=app.config["TOOL_NAME"],
                              url_for_session=lambda s: external_url("lti.config"))
        return body, 200, {"Content-Type": "text/calendar; charset=utf-8"}

    @app.get("/")
    def index():
        if app.config["DEMO_PLATFORM"]:
            return redirect(url_for("demo.index"))
        return redirect(url_for("lti.config"))


def configure_requests(app: Flask) -> None:
    """One transaction per request: services flush, the request commits once, or rolls back on error."""

    @app.after_request
    def commit(response):
        if db.session.registry.has() and db.session().in_transaction():  # nothing to do for most GETs
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        return response  # security headers: security.py

    @app.teardown_request
    def rollback_on_error(error):
        if error is not None:
            db.session.rollback()

    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"tool_name": app.config["TOOL_NAME"], "current_locale": str(get_locale() or "fr")}
