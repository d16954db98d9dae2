"""Registrations and deployments, for a platform administrator (their own platform) or the tool operator
(every platform, with a CLI-created admin token)."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from models import Platform, Role, db

from ..auth import current_launch
from ..errors import Forbidden, InvalidInput, NotFound, NotLaunched
from ..services import admin_tokens, keys, moodle, platforms

bp = Blueprint("admin", __name__, url_prefix="/admin")

ALL_PLATFORMS = "all"


def admin_scope():
    """`ALL_PLATFORMS` for an operator token; a platform id for an administrator launch; else refused."""
    if session.get("admin_scope") == ALL_PLATFORMS:
        if admin_tokens.is_active(session.get("admin_token_id")):
            return ALL_PLATFORMS
        session.clear()  # the token was revoked: its sessions end with it
        raise NotLaunched()
    if session.get("uid") is None:
        raise NotLaunched()
    launch = current_launch()
    if launch.role != Role.ADMINISTRATOR:
        raise Forbidden()
    return launch.user.platform_id


def _render(scope, *, checks=None, moodle_errors=None, kept=None, status=200):
    listed = platforms.list_platforms(None if scope == ALL_PLATFORMS else scope)
    return render_template("admin/registrations.html", platforms=listed, scope=scope,
                           keys=keys.list_keys() if scope == ALL_PLATFORMS else [],
                           connections={p.id: moodle.connection_for(platforms.site_id(p)) for p in listed},
                           default_rest_urls={p.id: moodle.default_rest_url(p) for p in listed},
                           checks=checks or {}, moodle_errors=moodle_errors or {}, kept=kept or {}), status


@bp.get("/")
def registrations():
    return _render(admin_scope())


def _platform_in_scope(platform_id: int):
    scope = admin_scope()
    platform = db.session.get(Platform, platform_id)
    if platform is None or (scope != ALL_PLATFORMS and platforms.site_id(platform) != scope):
        raise NotFound(detail=f"platform {platform_id} outside the administrator's scope")
    return scope, platform


@bp.post("/platforms/<int:platform_id>/moodle")
def save_moodle_connection(platform_id: int):
    """The web service token is write-only: stored encrypted, never shown back (an empty field keeps it)."""
    scope, platform = _platform_in_scope(platform_id)
    try:
        check, kept = moodle.save_and_check(platform, token=request.form.get("token", ""),
                                            rest_url_override=request.form.get("rest_url", ""))
    except InvalidInput as error:
        db.session.rollback()
        return _render(scope, moodle_errors={platform.id: error.errors}, status=422)
    return _render(scope, checks={platform.id: check}, kept={platform.id: kept})


@bp.post("/platforms/<int:platform_id>/moodle/check")
def check_moodle_connection(platform_id: int):
    scope, platform = _platform_in_scope(platform_id)
    return _render(scope, checks={platform.id: moodle.check_connection(platform)})


@bp.post("/platforms/<int:platform_id>/moodle/remove")
def remove_moodle_connection(platform_id: int):
    _, platform = _platform_in_scope(platform_id)
    moodle.remove_connection(platform)
    return redirect(url_for("admin.registrations", _anchor=f"platform-{platform.id}"), code=303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        token = admin_tokens.check(request.form.get("token", ""))
        if token is not None:
            session.clear()
            session.update(admin_scope=ALL_PLATFORMS, admin_token_id=token.id)
            return redirect(url_for("admin.registrations"), code=303)
        error = _("This token is not valid or has been revoked.")
    return render_template("admin/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    session.pop("admin_scope", None)
    return redirect(url_for("admin.login"), code=303)
