"""OIDC state and nonce: signed at login (nothing stored), spent once by the launch in the shared database.

The state is `<nonce>.<registration id>.<issued at>` signed with the app's secret key: any worker can `verify`
that the tool issued it, for which registration and when. Single use is enforced when the launch is recorded:
`spend` inserts the state into `launch_state`, where state and nonce are both unique, so of two launches with the
same state or nonce, on any worker, one inserts the row and the other is refused.
"""
from __future__ import annotations

import hashlib
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, Signer
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import LaunchState, db, utcnow

from ..domain_errors import LaunchRefused

TABLE = LaunchState.__table__
SALT = "lti-launch-state"
PURGE = delete(TABLE).where(TABLE.c.expires_at < bindparam("now"))


@dataclass(frozen=True)
class IssuedState:
    state: str
    nonce: str


SecretKeys = str | tuple[str, ...]  # one key, or older keys then the current one (Flask's SECRET_KEY_FALLBACKS)


def signer(secret_key: SecretKeys) -> Signer:
    # Signs with the last key, accepts any of them: a key rotation loses no launch in flight.
    keys = list(secret_key) if isinstance(secret_key, tuple) else secret_key
    return Signer(keys, salt=SALT, key_derivation="hmac", digest_method=hashlib.sha256)


def new_state(secret_key: SecretKeys, platform_id: int, *, now: float | None = None) -> IssuedState:
    """A fresh nonce and the signed state that carries it, for the registration `platform_id`."""
    nonce = secrets.token_urlsafe(16)
    issued_at = int(time.time() if now is None else now)
    return IssuedState(signer(secret_key).sign(f"{nonce}.{platform_id}.{issued_at}").decode(), nonce)


@dataclass(frozen=True)
class Redemption:
    """A state checked by `verify`, to be spent by `spend` in the transaction that records the launch."""

    state: str
    nonce: str
    platform_id: int
    issued_at: datetime | None  # None: a state stored at login by the previous release (checked when spent)
    lifetime_seconds: int = 0


class UnsignedState(LaunchRefused):
    """Not a state this tool signed: never issued, or stored at login by the previous release (`stored`)."""

    def __init__(self):
        super().__init__("unknown_state", "state was never issued")


def verify(secret_key: SecretKeys, state: str, nonce: str, platform_id: int, lifetime_seconds: int, *,
           now: float | None = None) -> Redemption:
    """Check, without the database, that the tool signed `state` for this registration, with this nonce, and
    that it has not expired."""
    try:
        payload = signer(secret_key).unsign(state).decode()
        issued_nonce, issued_platform, issued_at = payload.split(".")
        issued_platform_id, issued_time = int(issued_platform), int(issued_at)
    except (BadSignature, ValueError):
        raise UnsignedState() from None
    if issued_nonce != nonce:
        raise LaunchRefused("nonce_mismatch", "nonce differs from the one issued with this state")
    if issued_platform_id != platform_id:
        raise LaunchRefused("wrong_issuer", "state issued for another registration")
    if (time.time() if now is None else now) > issued_time + lifetime_seconds:
        raise LaunchRefused("state_expired", "state expired")
    return Redemption(state, nonce, platform_id, datetime.fromtimestamp(issued_time, timezone.utc), lifetime_seconds)


def stored(state: str, nonce: str, platform_id: int) -> Redemption:
    """A state the previous release stored at login: `spend` checks it against its row."""
    return Redemption(state, nonce, platform_id, None)


def _spend_statement(insert_for):
    # No conflict target: a used state (primary key) or a used nonce (unique) is a replay.
    columns = ("state", "nonce", "platform_id", "created_at", "used_at", "expires_at")
    # preserve_rowcount: SQLAlchemy reports an INSERT's rowcount only when asked (PostgreSQL gives -1 otherwise).
    return insert_for(TABLE).values({name: bindparam(name, type_=TABLE.c[name].type) for name in columns}) \
        .on_conflict_do_nothing().execution_options(preserve_rowcount=True)


SPEND = {"postgresql": _spend_statement(postgresql.insert), "sqlite": _spend_statement(sqlite.insert)}  # built once


def spend(connection, redemption: Redemption) -> None:
    """Use the state up, atomically: of two launches with the same state or nonce, on any worker, one wins (the
    other waits for its commit, then finds the row)."""
    if redemption.issued_at is None:
        consume(redemption.state, redemption.nonce, redemption.platform_id, connection)
        return
    used = utcnow()
    result = connection.execute(SPEND[connection.dialect.name], {
        "state": redemption.state, "nonce": redemption.nonce, "platform_id": redemption.platform_id,
        "created_at": redemption.issued_at, "used_at": used,
        "expires_at": redemption.issued_at + timedelta(seconds=redemption.lifetime_seconds)})
    if result.rowcount != 1:
        raise LaunchRefused("replayed_launch", "state or nonce already used")
    if random.random() < 0.01:  # a row is useless once its state has expired: purge them now and then
        connection.execute(PURGE, {"now": used})


# -- states stored at login by the previous release: valid until they expire (a restart loses no launch) -------

ISSUE = insert(TABLE)
CONSUME = (update(TABLE).where(TABLE.c.state == bindparam("s"), TABLE.c.nonce == bindparam("n"),
                               TABLE.c.platform_id == bindparam("p"), TABLE.c.used_at.is_(None),
                               TABLE.c.expires_at > bindparam("now"))
           .values(used_at=bindparam("now")))


def issue(state: str, nonce: str, platform_id: int | None, lifetime_seconds: int) -> None:
    """Store a (state, nonce) pair as the previous release did at login."""
    now = utcnow()
    db.session.connection().execute(ISSUE, {
        "state": state, "nonce": nonce, "platform_id": platform_id, "created_at": now,
        "expires_at": now + timedelta(seconds=lifetime_seconds), "used_at": None})


def consume(state: str, nonce: str, platform_id: int, connection=None) -> None:
    """Mark a stored (state, nonce) pair used, atomically: of two concurrent launches with it, one wins."""
    connection = connection or db.session.connection()
    result = connection.execute(CONSUME, {"s": state, "n": nonce, "p": platform_id, "now": utcnow()})
    if result.rowcount == 1:
        return
    row = connection.execute(select(TABLE).where(TABLE.c.state == state)).first()
    if row is None:
        raise LaunchRefused("unknown_state", "state was never issued")
    if row.nonce != nonce:
        raise LaunchRefused("nonce_mismatch", "nonce differs from the one issued with this state")
    if row.platform_id != platform_id:
        raise LaunchRefused("wrong_issuer", "state issued for another registration")
    if row.used_at is not None:
        raise LaunchRefused("replayed_launch", f"state already used at {row.used_at.isoformat()}")
    raise LaunchRefused("state_expired", "state expired")
