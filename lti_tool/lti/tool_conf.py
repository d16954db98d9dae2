"""pylti1p3's ToolConf backed by the database: many platforms, many client ids per issuer, many deployments."""
from __future__ import annotations

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.tool_config import ToolConfAbstract

from ..services import keys, platforms
from ..services.registrations import PlatformRegistration, registration_for  # noqa: F401 (the LTI layer's names)


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
