"""pylti1p3's ToolConf backed by the database: many platforms, many client ids per issuer, many deployments."""
from __future__ import annotations

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from models import Platform, ToolKey, db

from ..services import keys, platforms


class PlatformRegistration(Registration):
    """A Registration read from a platform row; the tool key is loaded only when something is signed."""

    def __init__(self, platform: Platform | platforms.RegistrationRecord):
        self.platform = platform
        self.set_issuer(platform.issuer).set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self._signing_key: ToolKey | None = None

    def _key(self) -> ToolKey:
        if self._signing_key is None:
            chosen = db.session.get(ToolKey, self.platform.tool_key_id) if self.platform.tool_key_id else None
            if chosen is None or chosen.status == ToolKey.RETIRED:
                chosen = keys.ensure_active_key()
            self._signing_key = chosen
        return self._signing_key

    def get_tool_private_key(self):
        return keys.private_key_object(self._key())  # a loaded key: PyJWT would re-parse a PEM every time

    def get_kid(self) -> str:
        return self._key().kid

    def get_jwks(self):
        return keys.published_jwks()["keys"]


class DatabaseToolConf(ToolConfAbstract):
    """Looks registrations up by (issuer, client id) with the deployment in the same query, and remembers what
    it found for the rest of the request."""

    def __init__(self):
        super().__init__()
        self.platform: platforms.RegistrationRecord | None = None

    @property
    def deployment_pk(self) -> int | None:
        return self.platform.deployment_pk if self.platform else None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def load(self, iss: str, client_id: str | None, deployment_id: str | None = None):
        found = self.platform
        if found is None or found.issuer != iss or (client_id and found.client_id != client_id) \
                or (deployment_id is not None and found.deployment_id != deployment_id):
            self.platform = platforms.lookup_registration(iss, client_id, deployment_id)
        return self.platform

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None, **kwargs)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        body = kwargs.get("jwt_body") or {}
        deployment_id = body.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id")
        found = self.load(iss, client_id, str(deployment_id) if isinstance(deployment_id, (str, int)) else None)
        return PlatformRegistration(found) if found else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        found = self.load(iss, client_id, str(deployment_id))
        if found is None or found.deployment_pk is None:
            return None
        return LtiDeployment().set_deployment_id(found.deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return keys.published_jwks()


def registration_for(platform_id: int) -> PlatformRegistration | None:
    platform = db.session.get(Platform, platform_id)
    return PlatformRegistration(platform) if platform else None
