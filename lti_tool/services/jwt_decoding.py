"""PyJWT's decoder for the launch path: one instance, through PyJWT's public API only.

(It used to replace a private method of PyJWT's JWS class to check base64url segments faster — a third of a
millisecond per launch, bought with a dependency on PyJWT's internals. PyJWT's own check stands now.)
"""
from __future__ import annotations

import jwt

DECODER = jwt.PyJWT()
