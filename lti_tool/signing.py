"""The app's signing keys, in itsdangerous's order."""
from __future__ import annotations


def secret_keys(config) -> tuple[str, ...]:
    """SECRET_KEY_FALLBACKS then SECRET_KEY, itsdangerous's order (the last one signs, all of them verify): what
    was signed before a key rotation still opens until the old key leaves the fallbacks."""
    return (*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"])
