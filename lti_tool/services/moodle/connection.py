"""The web service connection of a platform: the token (encrypted), the address, and what the token may call."""
from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from models import MoodleConnection, Platform, db, utcnow

from ...domain_errors import InvalidInput
from .. import platforms, secrets_box
from ..moodle_ws import REQUIRED_FUNCTIONS, SCORM_FUNCTIONS, SITE_INFO, MoodleClient, MoodleError


def connection_for(platform_id: int) -> MoodleConnection | None:
    """The site's connection: one per Moodle site (`platform_id` is the site's, `platforms.site_id`), whichever
    registration it was given through."""
    return db.session.scalars(select(MoodleConnection).where(MoodleConnection.platform_id == platform_id)).first()


def default_rest_url(platform: Platform) -> str:
    return platform.issuer.rstrip("/") + "/webservice/rest/server.php"


def rest_url(platform: Platform, connection: MoodleConnection | None) -> str:
    return (connection.rest_url if connection and connection.rest_url else "") or default_rest_url(platform)


def save_connection(platform: Platform, *, token: str, rest_url_override: str = "") -> MoodleConnection:
    """An empty token keeps the stored one (the form never shows it back)."""
    token, rest_url_override = (token or "").strip(), (rest_url_override or "").strip()
    errors = {}
    if rest_url_override:
        allow_http = current_app.config["LTI_ALLOW_HTTP_PLATFORMS"]
        try:
            platforms.check_url(rest_url_override, allow_http=allow_http)
            if len(rest_url_override) > 1000:
                raise platforms.PlatformError("too long")
        except platforms.PlatformError:
            errors["rest_url"] = _l("An https address is expected.")
        else:  # the tool posts the token there: never to a host inside our own network
            if not allow_http and not platforms.is_public_host(rest_url_override):
                errors["rest_url"] = _l("This address is not a public Moodle site.")
    if token and (len(token) > 200 or any(char.isspace() for char in token)):
        errors["token"] = _l("A Moodle token is a single word of letters and digits.")
    connection = connection_for(platforms.site_id(platform))
    if not token and (connection is None or rest_url_override != connection.rest_url):
        # The stored token is only ever sent where it was given for.
        errors["token"] = _l("Required.") if connection is None else _l("Give the token again for a new address.")
    if errors:
        raise InvalidInput(errors)
    if connection is None:
        connection = MoodleConnection(platform_id=platforms.site_id(platform), token_ciphertext="")
        db.session.add(connection)
    if token:
        connection.token_ciphertext = secrets_box.encrypt(token)
        connection.allowed_functions, connection.checked_at = [], None  # a new token must be checked again
        _clear_error(connection)
    connection.rest_url = rest_url_override
    db.session.flush()
    return connection


def remove_connection(platform: Platform) -> None:
    db.session.execute(delete(MoodleConnection).where(MoodleConnection.platform_id == platforms.site_id(platform)))


def client_for(platform: Platform, connection: MoodleConnection | None = None, *, pool_size: int = 1) -> MoodleClient:
    connection = connection or connection_for(platforms.site_id(platform))
    if connection is None:
        raise MoodleError("not_connected")
    try:
        token = secrets_box.decrypt(connection.token_ciphertext)
    except secrets_box.InvalidToken as error:  # the encryption keys changed: the token must be given again
        raise MoodleError("token_unreadable") from error
    return MoodleClient(rest_url(platform, connection), token, timeout=current_app.config["MOODLE_WS_TIMEOUT_SECONDS"],
                        pool_size=pool_size)


def _clear_error(record) -> None:
    record.last_error_code, record.last_error_detail, record.last_error_at = "", "", None


def _record_error(record, error: MoodleError) -> None:
    record.last_error_code, record.last_error_detail, record.last_error_at = error.code, error.detail, utcnow()


@dataclass
class ConnectionCheck:
    ok: bool
    site_name: str = ""
    release: str = ""
    username: str = ""
    functions: list[tuple[str, bool, bool]] = field(default_factory=list)  # (name, allowed, required)
    error: MoodleError | None = None

    @property
    def missing_required(self) -> list[str]:
        return [name for name, allowed, required in self.functions if required and not allowed]

    @property
    def scorm_time(self) -> bool:
        return all(allowed for name, allowed, required in self.functions if not required)


def check_connection(platform: Platform) -> ConnectionCheck:
    """`core_webservice_get_site_info` tells which functions the token's service allows: each one we use is
    listed with its verdict (the page explains what to enable in Moodle)."""
    connection = connection_for(platforms.site_id(platform))
    try:
        with closing(client_for(platform, connection)) as client:
            info = client.call(SITE_INFO)
    except MoodleError as error:
        if connection is not None:  # not `checked_at`: a failed check says nothing of the functions allowed
            _record_error(connection, error)
        return ConnectionCheck(ok=False, error=error)
    if not isinstance(info, dict):
        error = MoodleError("bad_answer", "site information is not an object", SITE_INFO)
        _record_error(connection, error)
        return ConnectionCheck(ok=False, error=error)
    allowed = {str(item.get("name")) for item in info.get("functions") or [] if isinstance(item, dict)}
    functions = [(name, name in allowed, True) for name in REQUIRED_FUNCTIONS] + \
                [(name, name in allowed, False) for name in SCORM_FUNCTIONS]
    connection.site_name = str(info.get("sitename") or "")[:300]
    connection.site_release = str(info.get("release") or "")[:100]
    connection.allowed_functions = sorted(allowed & set(REQUIRED_FUNCTIONS + SCORM_FUNCTIONS))
    connection.checked_at = utcnow()
    check = ConnectionCheck(ok=True, site_name=connection.site_name, release=connection.site_release,
                            username=str(info.get("username") or ""), functions=functions)
    if check.missing_required:
        check.ok = False
        _record_error(connection, MoodleError("function_not_allowed", ", ".join(check.missing_required)))
    else:
        _clear_error(connection)
    return check


def save_and_check(platform: Platform, *, token: str, rest_url_override: str = "") -> tuple[ConnectionCheck, bool]:
    """Save what the administrator gave, then check it. A new token (or address) that fails its check never
    replaces one that worked: the working connection is put back as it was. Returns the check and whether the
    previous connection was kept."""
    previous = connection_for(platforms.site_id(platform))
    working = previous is not None and previous.checked_at is not None and not previous.last_error_code
    kept = None
    if working:
        kept = {name: getattr(previous, name) for name in ("token_ciphertext", "rest_url", "allowed_functions",
                                                          "checked_at", "site_name", "site_release")}
    connection = save_connection(platform, token=token, rest_url_override=rest_url_override)
    check = check_connection(platform)
    if check.ok or kept is None or (connection.token_ciphertext, connection.rest_url) == (
            kept["token_ciphertext"], kept["rest_url"]):
        return check, False
    for name, value in kept.items():
        setattr(connection, name, value)
    _clear_error(connection)
    db.session.flush()
    return check, True

