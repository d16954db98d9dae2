"""PyJWT with a faster segment check, for the launch path.

PyJWT 2.15 rejects base64url segments with characters outside the alphabet (GHSA-hxm8-2xgr-2p9m) by testing
each character in a Python generator: about a third of a millisecond for a 3 kB LTI id_token. The check below
is the same rule done in C (`bytes.translate`), with PyJWT's own padding rules and errors.
"""
from __future__ import annotations

import binascii

import jwt
from jwt.api_jws import PyJWS
from jwt.exceptions import DecodeError
from jwt.utils import base64url_decode, base64url_encode

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class FastSegmentJWS(PyJWS):
    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        stripped = segment.rstrip(b"=")
        padding = len(segment) - len(stripped)
        if padding > 2 or (padding and len(segment) % 4 != 0):
            raise DecodeError(f"Invalid {name} padding")
        if len(stripped) % 4 == 1 or stripped.translate(None, ALPHABET):
            raise DecodeError(f"Invalid {name} padding")
        try:
            decoded = base64url_decode(stripped)
        except (TypeError, binascii.Error) as err:
            raise DecodeError(f"Invalid {name} padding") from err
        if base64url_encode(decoded) != stripped:  # canonical encoding only, as PyJWT
            raise DecodeError(f"Invalid {name} padding")
        return decoded


def make_decoder() -> jwt.PyJWT:
    decoder = jwt.PyJWT()
    decoder._jws = FastSegmentJWS(options=decoder._get_sig_options())
    return decoder


DECODER = make_decoder()
