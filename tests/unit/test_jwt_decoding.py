"""The launch's decoder is PyJWT's own, through its public API: malformed segments refused, signatures verified."""
import base64
import json

import jwt
import pytest
from jwt.exceptions import DecodeError

from lti_tool.services.jwt_decoding import DECODER

MALFORMED = [b"eyJhbGciOiJSUzI1NiJ9=", b"abc=", b"a", b"a===", b"ab=", b"!!!!", b"ab+/", b"ab c", b"", b"Zm9vYg=",
             b"\xff\xfe", b"abc==="]


def _segment(data: dict) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")


@pytest.mark.parametrize("header", MALFORMED)
def test_a_malformed_header_segment_is_refused(header):
    token = b".".join([header, _segment({"sub": "1"}), b"c2lnbmF0dXJl"])
    with pytest.raises(DecodeError):
        DECODER.decode(token, options={"verify_signature": False})


def test_a_well_formed_token_decodes():
    token = b".".join([_segment({"alg": "none", "typ": "JWT"}), _segment({"sub": "1"}), b""])
    assert DECODER.decode(token, options={"verify_signature": False}) == {"sub": "1"}


def test_decoder_verifies_signatures_like_pyjwt():
    from lti_tool.demo_platform.simulator import PlatformSimulator, generate_private_key_pem

    platform = PlatformSimulator(issuer="https://p", client_id="c", deployment_id="1",
                                 private_pem=generate_private_key_pem())
    token = platform.sign({"sub": "1", "aud": "c"})
    key = jwt.PyJWK(platform.jwk, algorithm="RS256")
    assert DECODER.decode(token, key, algorithms=["RS256"], audience="c") == {"sub": "1", "aud": "c"}
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        DECODER.decode(tampered, key, algorithms=["RS256"], audience="c")
