"""Pages of the messages feature: the certificate link a DPC validation message carries (signed, no session
needed: it is opened from a mail client), the learner's choice about reminders, and the template helpers that
show a learner's messages to instructors and the e-mail status to administrators."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from models import Enrolment, NotificationPreference, Role, db, utcnow

from .auth import current_launch, role_required
from .documents import certificate_file
from .downloads import attachment
from .errors import NotFound
from .services import pathways
from .services.notifications import channels, outbox
from .services.notifications.messages import enrolment_from_token, kind_label

bp = Blueprint("notify_links", __name__)


@bp.get("/messages/certificate/<token>.pdf")
def certificate(token: str):
    enrolment_id = enrolment_from_token(token)
    enrolment = db.session.get(Enrolment, enrolment_id) if enrolment_id else None
    if enrolment is None:
        raise NotFound()
    body, filename = certificate_file(enrolment)  # refused (4xx) once the validation is withdrawn
    return attachment(body, filename, "application/pdf")


@bp.post("/learner/pathways/<int:pathway_id>/reminders")
@role_required(Role.LEARNER)
def reminders(pathway_id: int):
    """Reminders on or off for this pathway (convocations, changes and legal notices always go)."""
    from flask import request

    launch = current_launch()
    found = pathways.get_pathway(pathway_id, launch.course.id)
    wanted = request.form.get("reminders") == "1"
    preference = db.session.get(NotificationPreference, (launch.user.id, found.id))
    if preference is None:
        preference = NotificationPreference(user_id=launch.user.id, pathway_id=found.id)
        db.session.add(preference)
    preference.reminders, preference.updated_at = wanted, utcnow()
    flash(_("Reminders are on.") if wanted else _("Reminders are off. Convocations and changes will still reach you."))
    return redirect(url_for("learner.pathway", pathway_id=found.id), code=303)


def mail_status() -> dict:
    config = current_app.config
    return {"on": channels.mail_enabled(config), "server": config.get("MAIL_SERVER") or "",
            "port": config.get("MAIL_PORT") or 25, "sender": config.get("MAIL_DEFAULT_SENDER") or "",
            "states": outbox.counts_by_state()}


MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_DEFAULT_SENDER")


def init_notifications(app: Flask, *, from_environment: bool) -> None:
    """MAIL_* from the environment (as config.load_environment does for the others), Flask-Mailman, the
    blueprint and the template helpers."""
    import os

    from flask_mailman import Mail

    if from_environment:
        for key in MAIL_SETTINGS:
            value = os.environ.get(key)
            if value not in (None, ""):
                if key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
                    app.config[key] = value.lower() in ("1", "true", "yes", "on")
                else:
                    app.config[key] = int(value) if key == "MAIL_PORT" else value
    from .services import professions
    from .survey_views import bp as surveys_bp

    Mail().init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(surveys_bp)
    app.jinja_env.globals.update(notification_history=outbox.history,
                                 mail_status=mail_status, message_kind_label=kind_label,
                                 profession_label=professions.label)
