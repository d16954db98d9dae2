"""LTI endpoints: OIDC login, launch, JWKS, configuration, dynamic registration, deep linking."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy.exc import IntegrityError

from models import Role, db

from ..auth import current_launch, role_required, start_session
from ..errors import LaunchRefused, wants_json
from ..extensions import csrf
from ..services import keys, launches, pathways
from ..sessions import cookies_secure
from ..urls import external_url, tool_urls
from . import bp
from .dynamic_registration import SCOPES, ToolRegistration
from .launch import MAX_LOGIN_PARAMETER, LoginRefused, ToolMessageLaunch, ToolOIDCLogin
from .tool_conf import DatabaseToolConf, registration_for

HOME_BY_ROLE = {Role.LEARNER: "learner.home", Role.INSTRUCTOR: "instructor.home", Role.ADMINISTRATOR: "instructor.home"}


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    params = request.values
    if any(len(value) > MAX_LOGIN_PARAMETER for value in params.values()):
        raise LoginRefused("oversized_parameter", "a login parameter is too long")  # never into a Location
    if not params.get("iss"):
        raise LaunchRefused("missing_issuer")
    if not params.get("login_hint"):
        raise LaunchRefused("missing_login_hint")
    tool_conf = DatabaseToolConf()
    deployment_id = params.get("lti_deployment_id") or None
    if tool_conf.load(params["iss"], params.get("client_id"), deployment_id) is None:
        raise LaunchRefused("unknown_platform", f"{params['iss']} / {params.get('client_id')}")
    if deployment_id and tool_conf.deployment_pk is None:
        raise LaunchRefused("unknown_deployment", f"deployment {deployment_id!r}")
    oidc = ToolOIDCLogin(_lti_request(params), tool_conf)
    if request.headers.get("Sec-Fetch-Dest") == "iframe":
        # Only inside a frame can third-party cookie blocking lose the state cookie: check it there.
        oidc.enable_check_cookies()
    try:
        return oidc.redirect(external_url("lti.launch"))
    except (OIDCException, LtiException) as error:
        raise LaunchRefused("unknown_platform", str(error)) from error


@bp.route("/launch", methods=["POST"])
@csrf.exempt
def launch():
    tool_conf = DatabaseToolConf()
    message = ToolMessageLaunch(_lti_request(request.form), tool_conf, current_app.extensions["lti_platform_keys"])
    message.validate()
    claims = message.claims()
    try:
        record = launches.record_launch(tool_conf.platform.id, tool_conf.deployment_pk, claims, message.redemption,
                                        site_id=tool_conf.platform.site_id)
        db.session.commit()  # recorded before the browser gets a session that points at it
    except IntegrityError as error:  # the registration was removed meanwhile, by another request
        raise LaunchRefused("unknown_platform", "registration removed") from error
    start_session(user_id=record.user_id, course_id=record.course_id, platform_id=tool_conf.platform.site_id,
                  registration_id=tool_conf.platform.id, role=record.role, link_id=record.resource_link_id, locale=_short_locale(record.locale))
    if message.is_deep_link_launch():
        settings = claims[launches.DEEP_LINKING_SETTINGS]
        session["deep_link"] = {"deployment_id": tool_conf.platform.deployment_id, "settings": {
            key: settings.get(key) for key in ("deep_link_return_url", "accept_types", "accept_multiple",
                                               "accept_presentation_document_targets", "data", "title", "text")}}
        return redirect(url_for("lti.deep_link"), code=303)
    if record.pathway_id is not None:  # a placement of one pathway (or of one of its steps) opens it
        step_id = str((claims.get(launches.LTI + "custom") or {}).get("step_id") or "")
        if record.role == Role.LEARNER and step_id.isdigit():
            return redirect(url_for("learner.step", step_id=int(step_id)), code=303)
        if record.role == Role.LEARNER:
            return redirect(url_for("learner.pathway", pathway_id=record.pathway_id), code=303)
        return redirect(url_for("instructor.pathway_dashboard", pathway_id=record.pathway_id), code=303)
    return redirect(url_for(HOME_BY_ROLE[record.role]), code=303)


def _lti_request(params) -> FlaskRequest:
    """pylti1p3's request over parameters read once: it would otherwise look each one up through Flask's proxies
    (about forty lookups a launch)."""
    # The state cookie's Secure/SameSite=None follow PUBLIC_BASE_URL, not request.is_secure (a TLS proxy).
    return FlaskRequest(request_data=params.to_dict(), request_is_secure=cookies_secure(current_app))


def _short_locale(locale: str) -> str:
    return (locale or "").replace("-", "_").split("_")[0].lower()


@bp.get("/jwks")
def jwks():
    response = jsonify(keys.published_jwks())
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/config")
def config():
    urls = tool_urls()
    document = {
        "title": current_app.config["TOOL_NAME"],
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["launch"],
        "redirect_uris": [urls["redirect"]],
        "deep_linking_url": urls["deep_linking"],
        "public_jwk_url": urls["jwks"],
        "dynamic_registration_url": urls["dynamic_registration"],
        "scopes": SCOPES,
        "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
        "messages": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
        "custom_parameters": {"person_sourcedid": "$Person.sourcedId"},
    }
    if wants_json() or request.args.get("format") == "json" or not request.accept_mimetypes.accept_html:
        return jsonify(document)
    return render_template("lti/config.html", document=document)


@bp.route("/register", methods=["GET", "POST"])
def register():
    source = request.form if request.method == "POST" else request.args
    registration = ToolRegistration(
        openid_configuration=source.get("openid_configuration", ""),
        registration_token=source.get("registration_token", ""),
        urls=tool_urls(), client_name=current_app.config["TOOL_NAME"],
        description=_("Hybrid training pathways (online modules and CPTS workshops) with DPC tracking."),
        timeout=current_app.config["LTI_HTTP_TIMEOUT_SECONDS"],
        allow_http=current_app.config["LTI_ALLOW_HTTP_PLATFORMS"],
    )
    if request.method == "GET":
        return render_template("lti/register.html", platform=registration.describe_platform(),
                               openid_configuration=registration.openid_configuration_url,
                               registration_token=registration.registration_token)
    platform = registration.register()
    db.session.commit()  # the platform has the registration: keep ours even if rendering fails
    return render_template("lti/register_done.html", platform=platform)


@bp.route("/deep-link", methods=["GET", "POST"])
@role_required(Role.INSTRUCTOR)
def deep_link():
    launch = current_launch()
    pending = session.get("deep_link")
    if not pending:
        raise LaunchRefused("invalid_message", "no deep-linking request in this session")
    course_pathways = pathways.list_pathways(launch.course.id)
    if request.method == "GET":
        return render_template("lti/deep_link.html", launch=launch, settings=pending["settings"],
                               pathways=course_pathways)
    chosen, step = None, None
    target = request.form.get("target") or request.form.get("pathway_id") or ""
    if target.startswith("step-"):  # a single step of a pathway: opens that step, no grade item of its own
        step = pathways.get_step(int(target[5:]) if target[5:].isdigit() else 0, launch.course.id)
    elif target:
        chosen = pathways.get_pathway(int(target) if target.isdigit() else 0, launch.course.id)
    default_title = step.title if step else (chosen.title if chosen else current_app.config["TOOL_NAME"])
    title = (request.form.get("title") or "").strip()[:200] or default_title
    resource = DeepLinkResource().set_url(tool_urls()["launch"]).set_title(title)
    if step is not None:
        resource.set_custom_params({"pathway_id": str(step.pathway_id), "step_id": str(step.id)})
    elif chosen is not None:
        # Moodle keeps the custom parameter with the activity and creates a grade item from the lineItem.
        resource.set_custom_params({"pathway_id": str(chosen.id)})
        resource.set_lineitem(LineItem().set_score_maximum(100).set_label(title)
                              .set_resource_id(f"pathway-{chosen.id}").set_tag("parcours-hybride"))
    else:
        resource.set_custom_params({"placement": "course"})
    registration = registration_for(session.get("reg") or session["pid"])
    deep_link = DeepLink(registration, pending["deployment_id"], pending["settings"])
    token = deep_link.get_response_jwt([resource])
    session.pop("deep_link", None)
    return render_template("lti/deep_link_return.html", return_url=pending["settings"]["deep_link_return_url"],
                           jwt=token)
