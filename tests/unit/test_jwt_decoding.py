"""The faster segment check accepts and refuses exactly what PyJWT's own check does."""
import jwt
import pytest
from jwt.api_jws import PyJWS
from jwt.exceptions import DecodeError

from lti_tool.services.jwt_decoding import FastSegmentJWS

SEGMENTS = [b"eyJhbGciOiJSUzI1NiJ9", b"eyJhbGciOiJSUzI1NiJ9=", b"abc=", b"abcd", b"ab==", b"a", b"a===", b"ab=",
            b"!!!!", b"ab+/", b"ab c", b"", b"Zm9v", b"Zm9vYg", b"Zm9vYg==", b"Zm9vYg=", b"\xff\xfe", b"abc==="]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_same_verdict_as_pyjwt(segment):
    def verdict(check):
        try:
            return check(segment, "header")
        except DecodeError:
            return "refused"

    assert verdict(FastSegmentJWS._decode_base64url_segment) == verdict(PyJWS._decode_base64url_segment)


def test_decoder_verifies_signatures_like_pyjwt():
    from lti_tool.demo_platform.simulator import PlatformSimulator, generate_private_key_pem
    from lti_tool.services.jwt_decoding import DECODER

    platform = PlatformSimulator(issuer="https://p", client_id="c", deployment_id="1",
                                 private_pem=generate_private_key_pem())
    token = platform.sign({"sub": "1", "aud": "c"})
    key = jwt.PyJWK(platform.jwk, algorithm="RS256")
    assert DECODER.decode(token, key, algorithms=["RS256"], audience="c") == {"sub": "1", "aud": "c"}
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        DECODER.decode(tampered, key, algorithms=["RS256"], audience="c")
