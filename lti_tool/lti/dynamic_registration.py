"""LTI Dynamic Registration as Moodle 4.x drives it, on pylti1p3's DynamicRegistration.

The library fetches whatever URL it is given, without timeouts or status checks: the configuration URL is
checked here (https, same origin as the issuer it announces and as its registration endpoint) before anything
is posted, and every failure becomes a `RegistrationError` with a reason code.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from ..errors import RegistrationError
from ..services import platforms
from ..services.http import OutboundSession

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class ToolRegistration(DynamicRegistration):
    def __init__(self, *, openid_configuration: str, registration_token: str, urls: dict[str, str],
                 client_name: str, description: str, timeout: float, allow_http: bool):
        if not openid_configuration:
            raise RegistrationError("missing_parameters")
        try:
            platforms.check_url(openid_configuration, allow_http=allow_http)
        except platforms.PlatformError as error:
            raise RegistrationError("insecure_url", str(error)) from error
        if not allow_http and not platforms.is_public_host(openid_configuration):
            raise RegistrationError("insecure_url", "the configuration URL points to a private address")
        self.openid_configuration_url = openid_configuration
        self.registration_token = registration_token
        self.urls = urls
        self.client_name = client_name
        self.description = description
        self.timeout = timeout
        self.allow_http = allow_http
        self.platform = None
        self._configuration: dict | None = None

    # -- what the tool declares ---------------------------------------------------------------------
    def get_request_session(self):
        # Total deadline, size cap, no redirects, public addresses only (unless LTI_ALLOW_HTTP_PLATFORMS).
        return OutboundSession(self.timeout, allow_private=self.allow_http)

    def get_initiate_login_uri(self):
        return self.urls["login"]

    def get_jwks_uri(self):
        return self.urls["jwks"]

    def get_redirect_uris(self):
        return [self.urls["launch"]]

    def get_target_link_uri(self):
        return self.urls["launch"]

    def get_domain(self):
        return urlsplit(self.urls["launch"]).netloc

    def get_logo_uri(self):
        return self.urls.get("logo", "")

    def get_scopes(self):
        return SCOPES

    def get_claims(self):
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self):
        return [{"type": "LtiDeepLinkingRequest", "target_link_uri": self.urls["launch"],
                 "label": self.client_name}]

    def lti_registration_data(self):
        data = super().lti_registration_data()
        data[TOOL_CONFIGURATION]["custom_parameters"] = {"person_sourcedid": "$Person.sourcedId"}
        return data

    def get_openid_configuration_endpoint(self):
        return self.openid_configuration_url

    def get_registration_token(self):
        return self.registration_token or None

    # -- what the platform answers ------------------------------------------------------------------
    def get_openid_configuration(self) -> dict:
        if self._configuration is not None:
            return self._configuration
        try:
            response = self.get_request_session().get(self.openid_configuration_url)
            response.raise_for_status()
            configuration = response.json()
        except (requests.RequestException, ValueError) as error:
            raise RegistrationError("configuration_unreachable", str(error)) from error
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not isinstance(configuration, dict) or any(not isinstance(configuration.get(k), str) for k in required) \
                or PLATFORM_CONFIGURATION not in configuration:
            raise RegistrationError("configuration_invalid", "missing endpoints or platform configuration")
        # Every endpoint lives on the issuer's site, and the configuration was served from under the issuer:
        # someone able to serve one file on a shared host cannot announce someone else's keys or login.
        issuer = configuration["issuer"].rstrip("/")
        origin = _origin(issuer)
        if not self.openid_configuration_url.startswith(issuer + "/") or \
                any(_origin(configuration[key]) != origin for key in required):
            raise RegistrationError("configuration_mismatch", f"{configuration['issuer']} vs {self.openid_configuration_url}")
        for key in required:
            try:
                platforms.check_url(configuration[key], allow_http=self.allow_http)
            except platforms.PlatformError as error:
                raise RegistrationError("insecure_url", str(error)) from error
        self._configuration = configuration
        return configuration

    def describe_platform(self) -> dict:
        configuration = self.get_openid_configuration()
        platform_conf = configuration.get(PLATFORM_CONFIGURATION) or {}
        return {"issuer": configuration["issuer"], "product": platform_conf.get("product_family_code", ""),
                "version": platform_conf.get("version", "")}

    def register(self):
        self.get_openid_configuration()
        try:
            return super().register()
        except RegistrationError:
            raise
        except LtiException as error:
            raise RegistrationError("registration_rejected", str(error)) from error
        except (AssertionError, KeyError, TypeError, ValueError, requests.RequestException) as error:
            raise RegistrationError("registration_invalid", str(error)) from error

    def complete_registration(self, openid_configuration, openid_registration):
        tool_conf = openid_registration.get(TOOL_CONFIGURATION) or {}
        client_id = openid_registration.get("client_id")
        if not client_id or not isinstance(client_id, str):
            raise RegistrationError("registration_invalid", "no client_id in the registration")
        if platforms.find_platform(openid_configuration["issuer"], client_id) is not None:
            # A platform issues a new client id per registration: an existing one is never overwritten here.
            raise RegistrationError("registration_invalid", "this client id is already registered")
        platform_conf = openid_configuration.get(PLATFORM_CONFIGURATION) or {}
        try:
            self.platform = platforms.add_platform(
                issuer=openid_configuration["issuer"], client_id=client_id,
                auth_login_url=openid_configuration["authorization_endpoint"],
                auth_token_url=openid_configuration["token_endpoint"],
                key_set_url=openid_configuration["jwks_uri"],
                auth_audience=openid_configuration.get("authorization_server"),
                deployment_ids=[str(tool_conf["deployment_id"])] if tool_conf.get("deployment_id") else [],
                name=platform_conf.get("product_family_code", "") and
                f"{platform_conf.get('product_family_code')} — {urlsplit(openid_configuration['issuer']).netloc}",
                registered_via="dynamic", allow_http=self.allow_http,
                product_family=platform_conf.get("product_family_code"), scopes=openid_registration.get("scope"),
            )
        except platforms.PlatformError as error:
            raise RegistrationError("registration_invalid", str(error)) from error
        return self.platform
