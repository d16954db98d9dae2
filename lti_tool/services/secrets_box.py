"""Secrets stored in the database (Moodle web service tokens, the tool's private keys) are encrypted with Fernet
(AES + HMAC).

Keys come from DATA_ENCRYPTION_KEYS (newest first, so older ciphertexts stay readable after a rotation), or,
when unset, from keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS (so the key can be rotated).
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..signing import secret_keys

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _box() -> MultiFernet:
    configured = current_app.config.get("DATA_ENCRYPTION_KEYS")
    if configured:
        return MultiFernet([Fernet(key.strip()) for key in configured.split(",") if key.strip()])
    # The current SECRET_KEY first (it encrypts), then its fallbacks: rotating it keeps stored secrets readable.
    secrets = reversed(secret_keys(current_app.config))
    return MultiFernet([Fernet(base64.urlsafe_b64encode(
        HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"parcours-hybrides:data-encryption")
        .derive(secret.encode()))) for secret in secrets])


def encrypt(plaintext: str) -> str:
    return _box().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Raises InvalidToken when the keys changed since it was written."""
    return _box().decrypt(ciphertext.encode()).decode()
