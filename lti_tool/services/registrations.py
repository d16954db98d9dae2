"""A platform registration as pylti1p3 needs it to sign and to call the platform's services, read from the
database: the LTI endpoints (lti/tool_conf) and the services (grades, roster) both use it."""
from __future__ import annotations

from pylti1p3.registration import Registration

from models import Platform, ToolKey, db

from . import keys, platforms


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

    def detach(self) -> "PlatformRegistration":
        """Load what signing needs and detach the rows it came from, so that sending threads never touch the
        database session (a commit in the worker's own thread expires the rows it holds)."""
        key = self._key()
        keys.private_key_object(key)
        for row in (key, self.platform):
            if isinstance(row, (ToolKey, Platform)) and row in db.session:
                db.session.expunge(row)
        return self

    def get_tool_private_key(self):
        return keys.private_key_object(self._key())  # a loaded key: PyJWT would re-parse a PEM every time

    def get_kid(self) -> str:
        return self._key().kid

    def get_jwks(self):
        return keys.published_jwks()["keys"]


def registration_for(platform_id: int) -> PlatformRegistration | None:
    platform = db.session.get(Platform, platform_id)
    return PlatformRegistration(platform) if platform else None
