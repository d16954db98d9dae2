"""The app's signing keys, and itsdangerous signers that derive each key once.

With `key_derivation="hmac"` a signer computes HMAC(secret key, salt) on every signature and every check,
before the signature itself: a third of the signing work of the OIDC state and the session cookie, every launch.
The derived keys depend only on (key, salt, derivation, digest), so they are remembered.
"""
from __future__ import annotations

from itsdangerous import Signer, TimestampSigner
from itsdangerous.encoding import want_bytes

_derived: dict[tuple, bytes] = {}


def secret_keys(config) -> tuple[str, ...]:
    """SECRET_KEY_FALLBACKS then SECRET_KEY, itsdangerous's order (the last one signs, all of them verify): what
    was signed before a key rotation still opens until the old key leaves the fallbacks."""
    return (*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"])


class KeyCachingSigner(Signer):
    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        memo = (key, self.salt, self.key_derivation, self.digest_method)
        derived = _derived.get(memo)
        if derived is None:
            if len(_derived) > 64:  # a few keys × a few salts in practice; never grow without bound
                _derived.clear()
            derived = _derived[memo] = super().derive_key(key)
        return derived


class KeyCachingTimestampSigner(KeyCachingSigner, TimestampSigner):
    pass
