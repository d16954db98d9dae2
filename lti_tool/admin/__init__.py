"""Registrations and deployments, for a platform administrator (their own platform) or the tool operator
(every platform, with a CLI-created admin token)."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from models import Role

from ..auth import current_launch
from ..errors import Forbidden, NotLaunched
from ..services import admin_tokens, keys, platforms

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


@bp.get("/")
def registrations():
    scope = admin_scope()
    listed = platforms.list_platforms(None if scope == ALL_PLATFORMS else scope)
    return render_template("admin/registrations.html", platforms=listed, scope=scope,
                           keys=keys.list_keys() if scope == ALL_PLATFORMS else [])


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
