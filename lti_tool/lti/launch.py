"""The login and the launch, on pylti1p3, with what it leaves to the tool: a signed state carrying its nonce,
redeemed once in the shared database, cached platform keys with one refetch on an unknown kid, strict
exp/iat/aud checks with a small leeway, and every failure turned into a `LaunchRefused` with a reason code.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import jwt
from flask import current_app, g, render_template
from flask_babel import lazy_gettext as _l
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskSessionService
from pylti1p3.exception import LtiException

from models import Role

from ..errors import LAUNCH_MESSAGES, LaunchRefused
from ..services.launches import AGS_ENDPOINT, DEEP_LINKING_SETTINGS, LTI, NRPS as NRPS_CLAIM, map_role
from ..services import launch_state
from ..services.jwt_decoding import DECODER
from ..services.platform_keys import ALLOWED_ALGORITHMS
from ..signing import secret_keys
from .tool_conf import DatabaseToolConf


DEEP_LINKING = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = ("LtiResourceLinkRequest", DEEP_LINKING)


# Moodle's login parameters are ids, URLs and a short hint: anything longer is refused, not echoed into the
# redirect's Location header.
MAX_LOGIN_PARAMETER = 2048


class LoginRefused(LaunchRefused):
    messages = {**LAUNCH_MESSAGES,
                "oversized_parameter": _l("A parameter of the login request is too long.")}


def without_nul(value):
    """Claims with NUL characters removed: PostgreSQL cannot store them in text (it was a 500)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


# pylti1p3 puts this before what `_get_uuid` returns to make the state (OIDCLogin._prepare_redirect_url).
STATE_PREFIX = "state-"


class LaunchStateSession(FlaskSessionService):
    """Nothing in the per-browser session: the nonce travels signed in the state, and is redeemed once by the
    launch (ToolMessageLaunch.validate_nonce)."""

    def save_nonce(self, nonce: str):
        pass

    def check_nonce(self, nonce: str) -> bool:  # pragma: no cover - the launch redeems instead
        raise LtiException("nonces are redeemed by ToolMessageLaunch.validate_nonce")


class ToolOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's OIDC login with a state signed for the registration: no database write at login."""

    def __init__(self, request, tool_conf: DatabaseToolConf, **kwargs):
        super().__init__(request, tool_conf, session_service=LaunchStateSession(request), **kwargs)
        self.tool_conf = tool_conf
        self._issued: launch_state.IssuedState | None = None

    def _get_uuid(self) -> str:
        # pylti1p3 calls this once per login, for the state, just before it asks for the nonce.
        self._issued = launch_state.new_state(secret_keys(current_app.config), self.tool_conf.platform.id)
        return self._issued.state

    def _generate_nonce(self) -> str:
        return self._issued.nonce

    def get_cookies_allowed_js_check(self):
        protocol, params = self.get_cookies_allowed_js_check_params()
        return render_template("lti/cookie_check.html", protocol=protocol, params=params)


class ToolMessageLaunch(FlaskMessageLaunch):
    """Validation that writes nothing: the state it checks is spent by `launches.record_launch`, in the
    transaction that records the launch."""

    def __init__(self, request, tool_conf: DatabaseToolConf, platform_keys, **kwargs):
        # pylti1p3 would build a requests.Session per launch for fetching keys, which platform_keys does instead.
        super().__init__(request, tool_conf, session_service=LaunchStateSession(request),
                         requests_session=platform_keys.http, **kwargs)
        self.tool_conf = tool_conf
        self.platform_keys = platform_keys
        self.redemption: launch_state.Redemption | None = None  # spent by launches.record_launch

    def validate(self):
        self._validated = True
        try:
            (self.validate_jwt_format().validate_state().validate_registration().validate_jwt_signature()
             .validate_deployment().validate_message().validate_tool_rules().validate_nonce())
        except Exception:
            self._validated = False
            raise
        return self

    def claims(self) -> dict:
        return self._jwt["body"]

    # -- each step, with its reason codes ------------------------------------------------------------
    def validate_state(self):
        state = self._get_request_param("state")
        if not state:
            raise LaunchRefused("missing_state")
        if self._cookie_service.get_cookie(state) != state:
            raise LaunchRefused("state_cookie_missing", "no state cookie for this browser")
        return self

    def validate_jwt_format(self):
        if not self._get_request_param("id_token"):
            raise LaunchRefused("missing_id_token")
        try:
            super().validate_jwt_format()
        except LtiException as error:
            raise LaunchRefused("malformed_jwt", str(error)) from error
        header, body = self._jwt.get("header"), self._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRefused("malformed_jwt", "header or body is not a JSON object")
        presentation = body.get("https://purl.imsglobal.org/spec/lti/claim/launch_presentation")
        if isinstance(presentation, dict) and isinstance(presentation.get("locale"), str):
            g.launch_locale = presentation["locale"][:2].lower()  # only to speak the user's language
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise LaunchRefused("unsupported_alg", f"alg {header.get('alg')!r}")
        if not header.get("kid"):
            raise LaunchRefused("missing_kid")
        return self

    def get_client_id(self) -> str:
        body = self._jwt.get("body", {})
        aud = body.get("aud")
        if isinstance(aud, list):
            # With several audiences, the authorized party names the client (OIDC core 3.1.3.7).
            return str(body.get("azp") or (aud[0] if aud else ""))
        return str(aud or "")

    def get_iss(self) -> str:
        iss = self._jwt.get("body", {}).get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchRefused("missing_issuer", "no iss in the token")
        return iss

    def validate_registration(self):
        try:
            super().validate_registration()
        except LtiException as error:
            raise LaunchRefused("unknown_platform", str(error)) from error
        return self

    def validate_jwt_signature(self):
        header = self._jwt["header"]
        key = self.platform_keys.signing_key(self._registration.get_key_set_url(), header["kid"], header["alg"])
        client_id = self._registration.get_client_id()
        try:
            body = DECODER.decode(
                self._get_id_token(), key, algorithms=[header["alg"]], audience=client_id,
                issuer=self._registration.get_issuer(),
                leeway=current_app.config["LTI_JWT_LEEWAY_SECONDS"],
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise LaunchRefused("token_expired", str(error)) from error
        except jwt.ImmatureSignatureError as error:
            raise LaunchRefused("token_not_yet_valid", str(error)) from error
        except jwt.InvalidAudienceError as error:
            raise LaunchRefused("wrong_audience", str(error)) from error
        except jwt.InvalidIssuerError as error:
            raise LaunchRefused("wrong_issuer", str(error)) from error
        except jwt.MissingRequiredClaimError as error:
            raise LaunchRefused("missing_claim", str(error)) from error
        except jwt.InvalidSignatureError as error:
            raise LaunchRefused("bad_signature", str(error)) from error
        except jwt.PyJWTError as error:
            raise LaunchRefused("malformed_jwt", str(error)) from error
        aud = body.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and body.get("azp") != client_id:
            raise LaunchRefused("wrong_audience", "several audiences and azp is not the tool")
        self._jwt["body"] = without_nul(body)  # from here on, only verified claims, without NUL characters
        return self

    def validate_deployment(self):
        deployment_id = self._jwt["body"].get("https://purl.imsglobal.org/spec/lti/claim/deployment_id")
        if not deployment_id or not self.tool_conf.find_deployment_by_params(
                self.get_iss(), deployment_id, self.get_client_id()):
            raise LaunchRefused("unknown_deployment", f"deployment {deployment_id!r}")
        return self

    def validate_message(self):
        message_type = self._jwt["body"].get(LTI + "message_type")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRefused("invalid_message", f"message type {message_type!r} not supported")
        try:
            super().validate_message()
        except Exception as error:  # pylti1p3's validators also raise AttributeError/TypeError on odd claims
            raise LaunchRefused("invalid_message", f"{type(error).__name__}: {error}") from error
        return self

    def validate_tool_rules(self):
        """What the tool needs, checked before the nonce is spent: a course, well-formed claims, and deep
        linking only for staff with an http(s) return URL."""
        body = self._jwt["body"]
        context = body.get(LTI + "context")
        if not isinstance(context, dict) or not isinstance(context.get("id"), (str, int)) or context.get("id") == "":
            raise LaunchRefused("missing_context", "no usable context claim")
        roles = body.get(LTI + "roles")
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise LaunchRefused("invalid_message", "roles is not a list of strings")
        for claim in ("lis", "launch_presentation", "custom", "resource_link"):
            if body.get(LTI + claim) is not None and not isinstance(body[LTI + claim], dict):
                raise LaunchRefused("invalid_message", f"{claim} is not an object")
        for claim in (AGS_ENDPOINT, NRPS_CLAIM):
            if body.get(claim) is not None and not isinstance(body[claim], dict):
                raise LaunchRefused("invalid_message", f"{claim} is not an object")
        if body.get(LTI + "message_type") == DEEP_LINKING:
            if map_role(roles) == Role.LEARNER:
                raise LaunchRefused("invalid_message", "deep linking requested by a learner")
            settings = body.get(DEEP_LINKING_SETTINGS) or {}
            if urlsplit(str(settings.get("deep_link_return_url") or "")).scheme not in ("http", "https"):
                raise LaunchRefused("invalid_message", "deep_link_return_url is not an http(s) URL")
        return self

    def validate_nonce(self):
        nonce = self._jwt["body"].get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchRefused("missing_nonce")
        state = self._get_request_param("state")
        try:
            self.redemption = launch_state.verify(
                secret_keys(current_app.config), state.removeprefix(STATE_PREFIX), nonce,
                self.tool_conf.platform.id, current_app.config["LTI_STATE_LIFETIME_SECONDS"])
        except launch_state.UnsignedState:
            self.redemption = launch_state.stored(state, nonce, self.tool_conf.platform.id)  # previous release
        return self
