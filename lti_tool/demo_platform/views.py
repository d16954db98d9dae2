"""The demo platform's pages and services: launch picker, OIDC auth, JWKS, token, AGS, NRPS, deep-linking
return and dynamic registration, behaving like Moodle 4.5 where the tool can tell the difference."""
from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime, timezone
from functools import wraps
from urllib.parse import urlencode

import jwt
import requests
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from models import db

from ..extensions import csrf
from .models import DemoActivity, DemoLineItem, DemoRegistrationToken, DemoScore, DemoToolRegistration
from .simulator import DEMO_COURSES, DEMO_USERS, find_course, find_user
from .sites import SITES, base_url, simulator, tool_url

bp = Blueprint("demo", __name__, url_prefix="/demo")
csrf.exempt(bp)  # a platform's endpoints are called by the tool, not by forms of ours

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


def _hints() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="demo-platform-message-hint")


def _site_or_404(site: str, client_id: str | None = None):
    platform = simulator(site, client_id)
    if platform is None:
        abort(404)
    return platform


def _default_link(course_id: str) -> dict:
    return {"id": f"{course_id}-pathway", "title": "Parcours hybride", "description": "Activité LTI du cours"}


# -- launch picker ----------------------------------------------------------------------------------------
@bp.get("/")
def index():
    activities = db.session.scalars(select(DemoActivity).order_by(DemoActivity.id)).all()
    sites = {name: {**conf, "ready": simulator(name) is not None} for name, conf in SITES.items()}
    return render_template("demo/index.html", users=DEMO_USERS, courses=DEMO_COURSES, activities=activities,
                           sites=sites)


@bp.post("/start")
def start():
    """Platform-initiated login: an auto-submitted form to the tool's login URL, as Moodle does."""
    site = request.form.get("site", "moodle-a")
    platform = _site_or_404(site, request.form.get("client_id") or None)
    user, course = find_user(request.form.get("user", "")), find_course(request.form.get("course", ""))
    if user is None or course is None:
        abort(400)
    kind = request.form.get("kind", "resource")
    hint = {"course": course.context_id, "kind": kind, "activity": request.form.get("activity") or None,
            "locale": request.form.get("locale", "fr")}
    params = platform.login_initiation(tool_login_url=tool_url("/lti/login"), target_link_uri=tool_url("/lti/launch"),
                                       user=user, message_hint=_hints().dumps(hint))
    return render_template("demo/autopost.html", action=tool_url("/lti/login"), fields=params,
                           title="Connexion à l'outil…")


@bp.get("/<site>/auth")
def auth(site: str):
    """The OIDC authorization endpoint: checks the tool's request and posts back a signed id_token."""
    platform = _site_or_404(site, request.args.get("client_id") or None)
    args = request.args
    problems = [name for name, ok in (
        ("scope", args.get("scope") == "openid"), ("response_type", args.get("response_type") == "id_token"),
        ("response_mode", args.get("response_mode") == "form_post"), ("prompt", args.get("prompt") == "none"),
        ("client_id", args.get("client_id") == platform.client_id),
        ("redirect_uri", args.get("redirect_uri") == tool_url("/lti/launch")),
        ("nonce", bool(args.get("nonce"))), ("state", bool(args.get("state"))),
    ) if not ok]
    user = find_user(args.get("login_hint", ""))
    try:
        hint = _hints().loads(args.get("lti_message_hint", ""))
    except BadSignature:
        hint = None
    if problems or user is None or hint is None:
        return render_template("demo/message.html", title="Requête d'authentification refusée",
                               message="Paramètres invalides : " + ", ".join(problems or ["login_hint"])), 400
    course = find_course(hint["course"])
    if hint["kind"] == "deep_link":
        claims = platform.launch_claims(user=user, course=course, nonce=args["nonce"],
                                        target_link_uri=tool_url("/lti/launch"), message_type="LtiDeepLinkingRequest",
                                        deep_link_return_url=base_url() + url_for(
                                            "demo.deep_link_return", site=site, course=course.context_id),
                                        locale=hint.get("locale", "fr"))
    else:
        activity = db.session.get(DemoActivity, int(hint["activity"])) if hint.get("activity") else None
        link = ({"id": f"activity-{activity.id}", "title": activity.title} if activity
                else _default_link(course.context_id))
        lineitem = _lineitem_for_link(site, course.context_id, link)
        # Moodle (gradebookservices, get_launch_parameters): "if a link has more than one attached grade items,
        # per spec we do not populate line item url" — launches then carry only `lineitems`.
        attached = db.session.scalar(select(func.count()).select_from(DemoLineItem).where(
            DemoLineItem.site == site, DemoLineItem.context_id == course.context_id,
            DemoLineItem.resource_link_id == link["id"]))
        claims = platform.launch_claims(
            user=user, course=course, nonce=args["nonce"], target_link_uri=tool_url("/lti/launch"),
            resource_link=link, custom=activity.custom if activity else {},
            lineitem_url=_lineitem_url(site, lineitem, platform.client_id) if attached == 1 else None,
            locale=hint.get("locale", "fr"))
        db.session.commit()
    return render_template("demo/autopost.html", action=args["redirect_uri"],
                           fields={"id_token": platform.sign(claims), "state": args["state"]},
                           title="Ouverture de l'activité…")


def _lineitem_for_link(site: str, context_id: str, link: dict) -> DemoLineItem:
    lineitem = db.session.scalars(select(DemoLineItem).where(
        DemoLineItem.site == site, DemoLineItem.context_id == context_id,
        DemoLineItem.resource_link_id == link["id"])).first()
    if lineitem is None:
        lineitem = DemoLineItem(site=site, context_id=context_id, label=link["title"], score_maximum=100,
                                resource_link_id=link["id"])
        db.session.add(lineitem)
        db.session.flush()
    return lineitem


def _lineitem_url(site: str, lineitem: DemoLineItem, type_id: str | None = None) -> str:
    """As Moodle's: the line item's URL names the tool type whose tokens it accepts."""
    return base_url() + url_for("demo.lineitem", site=site, course=lineitem.context_id, item_id=lineitem.id,
                                **({"type_id": type_id} if type_id else {}))


@bp.get("/<site>/jwks")
def jwks(site: str):
    return jsonify(_site_or_404(site).jwks())


def _outage(site: str) -> bool:
    return bool(current_app.extensions["lti_cache"].get(f"demo-outage:{site}"))


def simulated_network(view):
    """A service of the site (token, AGS, NRPS): slow (DEMO_PLATFORM_LATENCY_MS) or down (the outage switch), before
    the view opens its transaction — the switch is read through the shared cache on a connection of its own, and a
    view already holding one would need two at once (sixteen score posts then exhausted the test server's pool)."""
    @wraps(view)
    def wrapped(site: str, *args, **kwargs):
        latency = current_app.config.get("DEMO_PLATFORM_LATENCY_MS") or 0
        if latency:
            time.sleep(latency / 1000)
        if _outage(site):
            abort(_json_error(503, "the platform is down (simulated outage)"))
        return view(site, *args, **kwargs)

    return wrapped


# -- OAuth2 client credentials (private_key_jwt), as Moodle's token.php -----------------------------------
@bp.post("/<site>/token")
@simulated_network
def token(site: str):
    form = request.form
    try:  # the client id is the assertion's issuer: one of the site's tool types
        claimed = jwt.decode(form.get("client_assertion", ""), options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        claimed = None
    platform = simulator(site, claimed if isinstance(claimed, str) else None) or _site_or_404(site)
    if form.get("grant_type") != "client_credentials" or \
            form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        return jsonify(error="unsupported_grant_type"), 400
    try:
        tool_keys = requests.get(tool_url("/lti/jwks"), timeout=5).json()
        claims = platform.verify_tool_jwt(form.get("client_assertion", ""), tool_keys, audience=platform.auth_token_url)
    except (requests.RequestException, ValueError, jwt.PyJWTError):
        return jsonify(error="invalid_client"), 401
    if claims.get("iss") != platform.client_id or claims.get("sub") != platform.client_id:
        return jsonify(error="invalid_client"), 401
    allowed = set(platform_scopes())
    scopes = [scope for scope in form.get("scope", "").split() if scope in allowed]
    if not scopes:
        return jsonify(error="invalid_scope"), 400
    return jsonify(access_token=platform.access_token(scopes), token_type="Bearer", expires_in=3600,
                   scope=" ".join(scopes))


def platform_scopes() -> list[str]:
    return [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score", NRPS_SCOPE]


@bp.post("/<site>/outage")
def outage(site: str):
    """Simulate a Moodle outage of the services (AGS, NRPS, token) to watch grades wait and arrive."""
    if site not in SITES:
        abort(404)
    down = request.form.get("down") == "1"
    cache = current_app.extensions["lti_cache"]
    if down:
        cache.set(f"demo-outage:{site}", 1, 24 * 3600)
    else:
        cache.delete(f"demo-outage:{site}")
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(site=site, down=down)
    return redirect(url_for("demo.grades"), code=303)


def _require_scope(platform, *accepted: str) -> None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        abort(_json_error(401, "missing bearer token"))
    try:
        granted = platform.check_access_token(header[len("Bearer "):])
    except jwt.PyJWTError:
        abort(_json_error(401, "invalid or expired access token"))
    # Moodle looks the token up for the tool type the URL names: another type's token is not found.
    type_id = request.args.get("type_id")
    if type_id and platform.token_owner(header[len("Bearer "):]) != type_id:
        abort(_json_error(401, "access token issued to another tool type"))
    if not granted & set(accepted):
        abort(_json_error(403, "scope not granted"))


def _json_error(status: int, message: str):
    response = jsonify(status=status, reason=message)
    response.status_code = status
    return response


# -- Assignment and Grade Services ------------------------------------------------------------------------
def _lineitem_json(site: str, item: DemoLineItem) -> dict:
    return {"id": _lineitem_url(site, item, request.args.get("type_id")), "label": item.label, "scoreMaximum": item.score_maximum,
            "resourceId": item.resource_id, "tag": item.tag, "resourceLinkId": item.resource_link_id}


@bp.route("/<site>/<course>/lineitems", methods=["GET", "POST"])
@simulated_network
def lineitems(site: str, course: str):
    platform = _site_or_404(site)
    if find_course(course) is None:
        abort(_json_error(404, "no such course"))
    if request.method == "GET":
        _require_scope(platform, AGS + "lineitem", AGS + "lineitem.readonly")
        query = select(DemoLineItem).where(DemoLineItem.site == site, DemoLineItem.context_id == course)
        for arg, column in (("resource_link_id", DemoLineItem.resource_link_id),
                            ("resource_id", DemoLineItem.resource_id), ("tag", DemoLineItem.tag)):
            if request.args.get(arg):
                query = query.where(column == request.args[arg])
        items = [_lineitem_json(site, item) for item in db.session.scalars(query.order_by(DemoLineItem.id))]
        return jsonify(items), 200, {"Content-Type": "application/vnd.ims.lis.v2.lineitemcontainer+json"}
    _require_scope(platform, AGS + "lineitem")
    data = request.get_json(silent=True) or {}
    try:
        maximum = float(data.get("scoreMaximum"))
    except (TypeError, ValueError):
        maximum = 0
    if not data.get("label") or maximum <= 0:
        abort(_json_error(400, "label and a positive scoreMaximum are required"))
    item = DemoLineItem(site=site, context_id=course, label=str(data["label"])[:300], score_maximum=maximum,
                        resource_id=str(data.get("resourceId") or ""), tag=str(data.get("tag") or ""),
                        resource_link_id=str(data.get("resourceLinkId") or ""))
    db.session.add(item)
    db.session.commit()
    return jsonify(_lineitem_json(site, item)), 201, {"Content-Type": LINEITEM_TYPE}


def _get_lineitem(site: str, course: str, item_id: int) -> DemoLineItem:
    item = db.session.get(DemoLineItem, item_id)
    if item is None or item.site != site or item.context_id != course:
        abort(_json_error(404, "no such line item"))
    return item


@bp.route("/<site>/<course>/lineitems/<int:item_id>", methods=["GET", "PUT", "DELETE"])
@simulated_network
def lineitem(site: str, course: str, item_id: int):
    platform = _site_or_404(site)
    item = _get_lineitem(site, course, item_id)
    if request.method == "GET":
        _require_scope(platform, AGS + "lineitem", AGS + "lineitem.readonly")
        return jsonify(_lineitem_json(site, item)), 200, {"Content-Type": LINEITEM_TYPE}
    _require_scope(platform, AGS + "lineitem")
    if request.method == "DELETE":
        db.session.delete(item)
        db.session.commit()
        return "", 204
    data = request.get_json(silent=True) or {}
    item.label = str(data.get("label") or item.label)[:300]
    if data.get("scoreMaximum"):
        item.score_maximum = float(data["scoreMaximum"])
    item.tag = str(data.get("tag", item.tag) or "")
    item.resource_id = str(data.get("resourceId", item.resource_id) or "")
    db.session.commit()
    return jsonify(_lineitem_json(site, item)), 200, {"Content-Type": LINEITEM_TYPE}


def _parse_timestamp(value) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@bp.route("/<site>/<course>/lineitems/<int:item_id>/scores", methods=["GET", "POST"])
@simulated_network
def scores(site: str, course: str, item_id: int):
    """Moodle's rules: required fields, 409 unless the timestamp is strictly newer, scoreGiven only counts
    when FullyGraded, 400 for a user without a gradebook role, 405 on GET."""
    platform = _site_or_404(site)
    item = _get_lineitem(site, course, item_id)
    if request.method == "GET":
        abort(_json_error(405, "GET not allowed on scores"))
    _require_scope(platform, AGS + "score")
    data = request.get_json(silent=True) or {}
    stamp = _parse_timestamp(data.get("timestamp"))
    if not data.get("userId") or stamp is None or data.get("activityProgress") not in PROGRESS \
            or data.get("gradingProgress") not in GRADING:
        abort(_json_error(400, "userId, timestamp, activityProgress and gradingProgress are required"))
    user = find_user(str(data["userId"]))
    if user is None or not user.enrolled:
        abort(_json_error(400, "user has no gradebook role in this course"))
    last = db.session.scalars(select(DemoScore).where(DemoScore.lineitem_id == item.id,
                                                      DemoScore.user_id == user.id)
                              .order_by(DemoScore.timestamp.desc()).limit(1)).first()
    if last is not None and stamp <= last.timestamp:
        abort(_json_error(409, "timestamp is not newer than the stored grade"))
    graded = data["gradingProgress"] == "FullyGraded"
    db.session.add(DemoScore(
        lineitem_id=item.id, user_id=user.id,
        score_given=float(data["scoreGiven"]) if graded and data.get("scoreGiven") is not None else None,
        score_maximum=float(data.get("scoreMaximum") or 1), activity_progress=data["activityProgress"],
        grading_progress=data["gradingProgress"], comment=str(data.get("comment") or ""), timestamp=stamp,
        received_at=datetime.now(timezone.utc)))
    db.session.commit()
    return "", 200, {"Content-Type": "application/vnd.ims.lis.v1.score+json; charset=utf-8"}


@bp.get("/<site>/<course>/lineitems/<int:item_id>/results")
@simulated_network
def results(site: str, course: str, item_id: int):
    platform = _site_or_404(site)
    item = _get_lineitem(site, course, item_id)
    _require_scope(platform, AGS + "result.readonly")
    latest: dict[str, DemoScore] = {}
    for score in item.scores:
        if score.user_id not in latest or score.timestamp > latest[score.user_id].timestamp:
            latest[score.user_id] = score
    rows = []
    for user_id, score in latest.items():
        if request.args.get("user_id") and request.args["user_id"] != user_id:
            continue
        row = {"id": f"{_lineitem_url(site, item)}/results?user_id={user_id}", "userId": user_id,
               "scoreOf": _lineitem_url(site, item), "timestamp": score.timestamp.isoformat(),
               "comment": score.comment}
        if score.score_given is not None:
            row.update(resultScore=score.score_given / (score.score_maximum or 1) * item.score_maximum,
                       resultMaximum=item.score_maximum)
        rows.append(row)
    return jsonify(rows), 200, {"Content-Type": "application/vnd.ims.lis.v2.resultcontainer+json"}


# -- Names and Role Provisioning Services -----------------------------------------------------------------
@bp.get("/<site>/<course>/memberships")
@simulated_network
def memberships(site: str, course: str):
    """Paged by `limit` with a `Link: <...>; rel="next"` header; short role names, as Moodle answers."""
    platform = _site_or_404(site)
    found = find_course(course)
    if found is None:
        abort(_json_error(404, "no such course"))
    _require_scope(platform, NRPS_SCOPE)
    members = [user for user in DEMO_USERS if user.enrolled]
    if request.args.get("role"):
        wanted = request.args["role"].rsplit("#", 1)[-1]
        members = [user for user in members if user.role == wanted]
    limit = max(1, min(int(request.args.get("limit", 100) or 100), 1000))
    offset = max(0, int(request.args.get("from", 0) or 0))
    page = members[offset:offset + limit]
    body = {"id": request.url, "context": {"id": found.context_id, "label": found.label, "title": found.title},
            "members": [{"user_id": user.id, "name": user.name, "given_name": user.given_name,
                         "family_name": user.family_name, "email": user.email, "roles": [user.role],
                         "status": "Active", "lis_person_sourcedid": user.idnumber} for user in page]}
    headers = {"Content-Type": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}
    if offset + limit < len(members):
        next_url = base_url() + url_for("demo.memberships", site=site, course=course) + "?" + urlencode(
            {"limit": limit, "from": offset + limit, **({"role": request.args["role"]} if request.args.get("role") else {}),
             **({"type_id": request.args["type_id"]} if request.args.get("type_id") else {})})
        headers["Link"] = f'<{next_url}>; rel="next"'
    return jsonify(body), 200, headers


# -- deep linking return --------------------------------------------------------------------------------------
@bp.post("/<site>/<course>/deep-link-return")
def deep_link_return(site: str, course: str):
    platform = _site_or_404(site)
    try:
        tool_keys = requests.get(tool_url("/lti/jwks"), timeout=5).json()
        claims = platform.verify_tool_jwt(request.form.get("JWT", ""), tool_keys, audience=platform.issuer)
    except (requests.RequestException, ValueError, jwt.PyJWTError) as error:
        return render_template("demo/message.html", title="Réponse de l'outil refusée", message=str(error)), 400
    if not isinstance(claims.get("iss"), str) or simulator(site, claims["iss"]) is None or \
            claims.get("https://purl.imsglobal.org/spec/lti/claim/message_type") != "LtiDeepLinkingResponse":
        return render_template("demo/message.html", title="Réponse de l'outil refusée",
                               message="Émetteur ou type de message inattendu"), 400
    created = []
    for item in claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items") or []:
        if item.get("type") != "ltiResourceLink":
            continue
        activity = DemoActivity(site=site, context_id=course, title=str(item.get("title") or "Activité")[:300],
                                url=str(item.get("url") or tool_url("/lti/launch")), custom=item.get("custom") or {})
        db.session.add(activity)
        db.session.flush()
        if item.get("lineItem"):
            line = item["lineItem"]
            db.session.add(DemoLineItem(site=site, context_id=course, label=str(line.get("label") or activity.title),
                                        score_maximum=float(line.get("scoreMaximum") or 100),
                                        resource_id=str(line.get("resourceId") or ""), tag=str(line.get("tag") or ""),
                                        resource_link_id=f"activity-{activity.id}"))
        created.append(activity)
    db.session.commit()
    return render_template("demo/deep_link_done.html", activities=created)


# -- grades page ----------------------------------------------------------------------------------------------
@bp.get("/grades")
def grades():
    items = db.session.scalars(select(DemoLineItem).order_by(DemoLineItem.id)).all()
    users = {user.id: user for user in DEMO_USERS}
    # The gradebook as Moodle's grader report shows it: one row per person, one column per item of the course.
    gradebook: dict[tuple[str, str], dict] = {}
    for item in items:
        book = gradebook.setdefault((item.site, item.context_id), {"items": [], "rows": {}})
        book["items"].append(item)
        for score in sorted(item.scores, key=lambda s: s.timestamp):
            book["rows"].setdefault(score.user_id, {})[item.id] = score
    return render_template("demo/grades.html", lineitems=items, users=users, gradebook=gradebook,
                           outages={site: _outage(site) for site in SITES})


# -- dynamic registration (platform side) ------------------------------------------------------------------
@bp.post("/<site>/register-tool")
def register_tool(site: str):
    """What an administrator does in Moodle: paste the tool's registration URL; the platform opens it."""
    if site not in SITES or SITES[site]["client_id"] is not None:
        abort(404)
    token = DemoRegistrationToken(token=secrets.token_urlsafe(24), site=site)
    db.session.add(token)
    db.session.commit()
    query = urlencode({"openid_configuration": base_url() + url_for("demo.openid_configuration", site=site),
                       "registration_token": token.token})
    return redirect(tool_url("/lti/register") + "?" + query, code=303)


@bp.get("/<site>/openid-configuration")
def openid_configuration(site: str):
    if site not in SITES:
        abort(404)
    root = f"{base_url()}/demo/{site}"
    return jsonify({
        "issuer": root, "authorization_endpoint": root + "/auth", "token_endpoint": root + "/token",
        "jwks_uri": root + "/jwks", "registration_endpoint": root + "/openid-registration",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", *platform_scopes()], "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle", "version": "4.5",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
            "variables": ["Person.sourcedId", "Person.name.full"]},
    })


@bp.post("/<site>/openid-registration")
def openid_registration(site: str):
    """Moodle's openid-registration.php: a registration token works once (401 token_already_used)."""
    if site not in SITES:
        abort(404)
    header = request.headers.get("Authorization", "")
    token = db.session.get(DemoRegistrationToken, header[len("Bearer "):]) if header.startswith("Bearer ") else None
    if token is None or token.site != site:
        return jsonify(error="invalid_token"), 401
    if token.used_at is not None:
        return jsonify(error="token_already_used"), 401
    data = request.get_json(silent=True) or {}
    tool_conf = data.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
    if "id_token" not in (data.get("response_types") or []) or data.get("token_endpoint_auth_method") != "private_key_jwt" \
            or not data.get("initiate_login_uri") or not data.get("jwks_uri") or not data.get("redirect_uris"):
        return jsonify(error="invalid_client_metadata"), 400
    token.used_at = datetime.now(timezone.utc)
    registration = DemoToolRegistration(site=site, client_id="dyn-" + uuid.uuid4().hex[:12],
                                        deployment_id=str(len(db.session.scalars(select(DemoToolRegistration)).all()) + 2),
                                        registration=data)
    db.session.add(registration)
    db.session.commit()
    answer = dict(data, client_id=registration.client_id)
    answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = dict(tool_conf, deployment_id=registration.deployment_id)
    return jsonify(answer)

