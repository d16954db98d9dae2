"""pylti1p3's ToolConf backed by the database: many platforms, many client ids per issuer, many deployments."""
from __future__ import annotations

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from models import Platform, ToolKey, db

from ..services import keys, platforms


class PlatformRegistration(Registration):
    """A Registration read from a Platform row; the tool key is loaded only when something is signed."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.set_issuer(platform.issuer).set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self._signing_key: ToolKey | None = None

    def _key(self) -> ToolKey:
        if self._signing_key is None:
            chosen = self.platform.tool_key
            if chosen is None or chosen.status == ToolKey.RETIRED:
                chosen = keys.ensure_active_key()
            self._signing_key = chosen
        return self._signing_key

    def get_tool_private_key(self) -> str:
        return self._key().private_pem

    def get_kid(self) -> str:
        return self._key().kid

    def get_jwks(self):
        return keys.published_jwks()["keys"]


class DatabaseToolConf(ToolConfAbstract):
    """Looks registrations up by (issuer, client id); remembers what it found for the rest of the request."""

    def __init__(self):
        super().__init__()
        self.platform: Platform | None = None
        self.deployment = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        if self.platform is None or self.platform.issuer != iss or (client_id and self.platform.client_id != client_id):
            self.platform = platforms.find_platform(iss, client_id)
        return PlatformRegistration(self.platform) if self.platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self.platform if self.platform and self.platform.issuer == iss else platforms.find_platform(iss, client_id)
        if platform is None:
            return None
        self.deployment = platforms.find_deployment(platform.id, str(deployment_id))
        if self.deployment is None:
            return None
        return LtiDeployment().set_deployment_id(self.deployment.deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return keys.published_jwks()


def registration_for(platform_id: int) -> PlatformRegistration | None:
    platform = db.session.get(Platform, platform_id)
    return PlatformRegistration(platform) if platform else None
