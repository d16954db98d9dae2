"""Admin tokens for the tool operator (created from the command line, shown once, stored hashed)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from models import AdminToken, db, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(label: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(AdminToken(label=label, token_sha256=_digest(token)))
    db.session.flush()
    return token


def check(token: str) -> AdminToken | None:
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    found = db.session.scalars(select(AdminToken).where(AdminToken.token_sha256 == digest)).first()
    if found is None or found.revoked_at is not None or not hmac.compare_digest(found.token_sha256, digest):
        return None
    found.last_used_at = utcnow()
    return found


def revoke(token_id: int) -> bool:
    found = db.session.get(AdminToken, token_id)
    if found is None:
        return False
    found.revoked_at = utcnow()
    return True


def list_tokens() -> list[AdminToken]:
    return list(db.session.scalars(select(AdminToken).order_by(AdminToken.id)))


def is_active(token_id: int | None) -> bool:
    found = db.session.get(AdminToken, token_id) if token_id else None
    return found is not None and found.revoked_at is None
