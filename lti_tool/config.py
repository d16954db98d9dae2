"""Configuration: defaults here, then `instance/config.py`, then the environment (which wins)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class DefaultConfig:
    SECRET_KEY: str | None = None  # from the environment, else generated once into the instance folder
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    # Public origin of the tool, e.g. "https://parcours.example.org". Without it, URLs follow the request host.
    PUBLIC_BASE_URL: str | None = None
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUST_PROXY_HEADERS: int = 0
    DEMO_PLATFORM: bool = False  # the built-in platform simulator; `make run` turns it on, production never
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_NAME = "parcours_session"  # not Flask's "session", which other apps on the host may use

    LTI_JWT_LEEWAY_SECONDS = 10  # Moodle's id_tokens live 60 s: tolerate a little clock skew, no more
    LTI_STATE_LIFETIME_SECONDS = 600
    LTI_JWKS_CACHE_SECONDS = 3600
    LTI_JWKS_REFETCH_MIN_INTERVAL_SECONDS = 30  # an unknown kid refetches the platform keys at most this often
    # Every outbound call (platform keys, tokens, AGS, NRPS, dynamic registration) ends within this many seconds
    # in total, however slowly the other side answers (services/http.py).
    LTI_HTTP_TIMEOUT_SECONDS = 10
    # Origins, besides the registration's own (issuer, token and login URLs), where the platform's services may
    # live (split-host sites): a list for every platform, or {issuer: [origins]}; comma-separated in the env.
    LTI_SERVICE_EXTRA_ORIGINS: list | dict = []
    # Dynamic registration and platform URLs must be https, except on a development machine.
    LTI_ALLOW_HTTP_PLATFORMS = False
    TOOL_NAME = "Parcours hybrides CPTS"
    # The training body printed on certificates and attendance sheets (its ANDPC registration number, and an
    # optional PNG/JPEG logo file); a pathway's own CPTS or training body, when set, names the organiser.
    ORGANISATION_NAME = ""
    ORGANISATION_DPC_NUMBER = ""
    ORGANISATION_LOGO: str | None = None

    # Fernet keys (comma-separated, newest first) that encrypt stored secrets such as Moodle web service
    # tokens; when unset, one is derived from SECRET_KEY.
    DATA_ENCRYPTION_KEYS: str | None = None
    MOODLE_WS_TIMEOUT_SECONDS = 10  # total, per web service call
    MOODLE_SYNC_THREADS = 16  # concurrent web service calls of a sync (Moodle answers each in tens of ms)
    MOODLE_LEARNER_FRESH_SECONDS = 120  # a learner's Moodle state this recent is not asked again
    MOODLE_RETRY_AFTER_SECONDS = 60  # after a failed call, the learner page waits this long before retrying
    MOODLE_CONTENTS_FRESH_SECONDS = 600  # the course's activity list is asked again after this


class TestConfig(DefaultConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    DEMO_PLATFORM = True
    LTI_ALLOW_HTTP_PLATFORMS = True


ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "REDIS_URL": "REDIS_URL",
    "PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
    "TRUST_PROXY_HEADERS": "TRUST_PROXY_HEADERS",
    "DEMO_PLATFORM": "DEMO_PLATFORM",
    "LTI_ALLOW_HTTP_PLATFORMS": "LTI_ALLOW_HTTP_PLATFORMS",
    "DEMO_PLATFORM_LATENCY_MS": "DEMO_PLATFORM_LATENCY_MS",
    "DATA_ENCRYPTION_KEYS": "DATA_ENCRYPTION_KEYS",
    "LTI_SERVICE_EXTRA_ORIGINS": "LTI_SERVICE_EXTRA_ORIGINS",
    "ORGANISATION_NAME": "ORGANISATION_NAME",
    "ORGANISATION_DPC_NUMBER": "ORGANISATION_DPC_NUMBER",
    "ORGANISATION_LOGO": "ORGANISATION_LOGO",
}
BOOLEAN_KEYS = {"DEMO_PLATFORM", "LTI_ALLOW_HTTP_PLATFORMS"}


def load_environment(config: dict) -> None:
    for env_name, key in ENV_KEYS.items():
        value = os.environ.get(env_name)
        if value in (None, ""):
            continue
        if key in BOOLEAN_KEYS:
            config[key] = value.lower() in ("1", "true", "yes", "on")
        elif key in ("TRUST_PROXY_HEADERS", "DEMO_PLATFORM_LATENCY_MS"):
            config[key] = int(value)
        else:
            config[key] = value


def normalise_database_url(url: str) -> str:
    # Heroku-style URLs and the psycopg 3 driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def prepare_instance_folder(path: str) -> None:
    """The instance folder holds the secret key and the SQLite database: 0700 (tightened if it exists)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    _tighten(path)


def secure_sqlite_file(uri: str) -> None:
    """A SQLite database file is created 0600 before SQLite opens it (SQLite would create it with the umask,
    usually world-readable); an existing one is tightened. Its -wal/-journal files take the same mode."""
    from sqlalchemy.engine import make_url

    if not uri.startswith("sqlite"):
        return
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty file: a new database
    except FileExistsError:
        _tighten(database)
    except OSError:
        pass  # a missing folder: SQLite will say so when it opens the database


def _tighten(path: str) -> None:
    try:
        status = os.stat(path)
        if status.st_mode & 0o077 and status.st_uid == os.getuid():
            os.chmod(path, status.st_mode & 0o700)
    except OSError:
        pass


def instance_secret(instance_path: str, name: str) -> str:
    """A random secret created once in the instance folder (never in the repository)."""
    path = Path(instance_path) / name
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker won the race
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
