"""OIDC state and nonce: issued together at login, consumed once by the launch, in the shared database."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import bindparam, delete, insert, select, update

from models import LaunchState, db, utcnow

from ..errors import LaunchRefused

PURGE_AFTER = timedelta(days=1)


TABLE = LaunchState.__table__
# Built once: on the launch path, building statements costs more than running them.
ISSUE = insert(TABLE)
CONSUME = (update(TABLE).where(TABLE.c.state == bindparam("s"), TABLE.c.nonce == bindparam("n"),
                               TABLE.c.platform_id == bindparam("p"), TABLE.c.used_at.is_(None),
                               TABLE.c.expires_at > bindparam("now"))
           .values(used_at=bindparam("now")))


def issue(state: str, nonce: str, platform_id: int | None, lifetime_seconds: int) -> None:
    now = utcnow()
    connection = db.session.connection()
    connection.execute(ISSUE, {"state": state, "nonce": nonce, "platform_id": platform_id, "created_at": now,
                               "expires_at": now + timedelta(seconds=lifetime_seconds), "used_at": None})
    if random.random() < 0.01:  # old rows are useless once expired; purge them now and then
        connection.execute(delete(TABLE).where(TABLE.c.expires_at < now - PURGE_AFTER))


def consume(state: str, nonce: str, platform_id: int) -> None:
    """Mark the (state, nonce) pair used, atomically: of two concurrent launches with it, one wins. The pair
    only serves the registration whose login issued it."""
    result = db.session.connection().execute(CONSUME, {"s": state, "n": nonce, "p": platform_id, "now": utcnow()})
    if result.rowcount == 1:
        return
    row = db.session.scalars(select(LaunchState).where(LaunchState.state == state)).first()
    if row is None:
        raise LaunchRefused("unknown_state", "state was never issued")
    if row.nonce != nonce:
        raise LaunchRefused("nonce_mismatch", "nonce differs from the one issued with this state")
    if row.platform_id != platform_id:
        raise LaunchRefused("wrong_issuer", "state issued for another registration")
    if row.used_at is not None:
        raise LaunchRefused("replayed_launch", f"state already used at {row.used_at.isoformat()}")
    raise LaunchRefused("state_expired", "state expired")
