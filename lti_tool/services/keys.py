"""The tool's RSA keys: one active key signs, previous keys stay published until retired.

The private key is stored encrypted (Fernet, the keys of secrets_box: DATA_ENCRYPTION_KEYS or derived from
SECRET_KEY), like the Moodle web service tokens. Keys written in clear by an earlier release are still read;
the migration 5e1f0c2a9d7b encrypts them."""
from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select

from models import ToolKey, db, utcnow

from . import secrets_box

KEY_SIZE = 2048
ENCRYPTED_PREFIX = "fernet:"  # a PEM starts with "-----BEGIN": the two never mix up


def seal(pem: str) -> str:
    return ENCRYPTED_PREFIX + secrets_box.encrypt(pem)


def private_pem(key: ToolKey) -> str:
    """The key's PEM, decrypted (raises secrets_box.InvalidToken when the encryption keys changed)."""
    stored = key.private_pem
    if stored.startswith(ENCRYPTED_PREFIX):
        return secrets_box.decrypt(stored[len(ENCRYPTED_PREFIX):])
    return stored  # written in clear before encryption at rest


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_jwk = json.loads(JWK.from_pem(pem.encode()).export_public())  # kid = RFC 7638 thumbprint
    public_jwk.update(alg="RS256", use="sig")
    return ToolKey(kid=public_jwk["kid"], private_pem=seal(pem), public_jwk=public_jwk, status=ToolKey.ACTIVE)


_loaded: dict[str, object] = {}


def private_key_object(key: ToolKey):
    """The parsed private key, kept per process: parsing and checking an RSA key costs tens of milliseconds."""
    loaded = _loaded.get(key.kid)
    if loaded is None:
        loaded = _loaded[key.kid] = serialization.load_pem_private_key(private_pem(key).encode(), password=None)
    return loaded


def active_key() -> ToolKey | None:
    return db.session.scalars(
        select(ToolKey).where(ToolKey.status == ToolKey.ACTIVE).order_by(ToolKey.id.desc()).limit(1)
    ).first()


def ensure_active_key() -> ToolKey:
    key = active_key()
    if key is None:
        key = _new_key()
        db.session.add(key)
        db.session.flush()
    return key


def rotate() -> ToolKey:
    """New active key; the old one becomes `previous` so platforms holding cached JWKS keep verifying."""
    for key in db.session.scalars(select(ToolKey).where(ToolKey.status == ToolKey.ACTIVE)):
        key.status = ToolKey.PREVIOUS
    key = _new_key()
    db.session.add(key)
    db.session.flush()
    return key


def retire(kid: str | None = None) -> list[str]:
    """Stop publishing previous keys (all, or the one named). The active key cannot be retired."""
    query = select(ToolKey).where(ToolKey.status == ToolKey.PREVIOUS)
    if kid:
        query = query.where(ToolKey.kid == kid)
    retired = []
    for key in db.session.scalars(query):
        key.status = ToolKey.RETIRED
        key.retired_at = utcnow()
        retired.append(key.kid)
    db.session.flush()
    return retired


def published_jwks() -> dict:
    keys = db.session.scalars(
        select(ToolKey).where(ToolKey.status.in_((ToolKey.ACTIVE, ToolKey.PREVIOUS))).order_by(ToolKey.id)
    )
    return {"keys": [key.public_jwk for key in keys]}


def list_keys() -> list[ToolKey]:
    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.id)))
