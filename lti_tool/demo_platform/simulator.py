"""An LTI 1.3 platform, Moodle-flavoured, in plain PyJWT: it shares no code with the tool's LTI layer, so the
tool and its test platform cannot share a mistake. Used by the demo pages and by the test suite.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
VOCAB = "http://purl.imsglobal.org/vocab/lis/v2/"
ROLE_URIS = {
    "Learner": [VOCAB + "membership#Learner"],
    "Instructor": [VOCAB + "membership#Instructor"],
    "Administrator": [VOCAB + "membership#Instructor", VOCAB + "institution/person#Administrator",
                      VOCAB + "system/person#Administrator"],
}
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


@dataclass(frozen=True)
class DemoUser:
    id: str
    given_name: str
    family_name: str
    role: str  # Moodle's short name: Learner, Instructor, Administrator
    profession: str
    idnumber: str = ""  # Moodle idnumber, sent as $Person.sourcedId: where an RPPS number can live
    enrolled: bool = True

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.given_name}.{self.family_name}@exemple-cpts.fr".lower().replace(" ", "")


@dataclass(frozen=True)
class DemoCourse:
    context_id: str
    label: str
    title: str


DEMO_USERS = [
    DemoUser("101", "Claire", "Martin", "Learner", "infirmière", "10101010105"),
    DemoUser("102", "Karim", "Benali", "Learner", "médecin généraliste", "10003456786"),
    DemoUser("103", "Sophie", "Laurent", "Learner", "pharmacienne"),
    DemoUser("104", "Julien", "Petit", "Learner", "masseur-kinésithérapeute"),
    DemoUser("105", "Amélie", "Roux", "Learner", "sage-femme"),
    DemoUser("106", "Thomas", "Moreau", "Learner", "assistant social"),
    DemoUser("201", "Hélène", "Garnier", "Instructor", "médecin, coordinatrice CPTS"),
    DemoUser("202", "Marc", "Dubois", "Instructor", "infirmier formateur"),
    DemoUser("2", "Admin", "Moodle", "Administrator", "administrateur de la plateforme", enrolled=False),
]
DEMO_COURSES = [
    DemoCourse("11", "IATRO-2026", "Prévenir l'iatrogénie médicamenteuse chez la personne âgée"),
    DemoCourse("12", "ACR-SP", "Arrêt cardiaque en soins primaires : e-learning et simulation"),
]


def find_user(user_id: str) -> DemoUser | None:
    return next((user for user in DEMO_USERS if user.id == user_id), None)


def find_course(context_id: str) -> DemoCourse | None:
    return next((course for course in DEMO_COURSES if course.context_id == context_id), None)


def generate_private_key_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_pem: str) -> dict:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    numbers = key.public_key().public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    jwk.update(kid=base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode()[:20], alg="RS256", use="sig")
    return jwk


@dataclass
class PlatformSimulator:
    issuer: str
    client_id: str
    deployment_id: str
    private_pem: str
    base_url: str = ""  # where the platform's endpoints live (issuer by default)
    jwk: dict = field(init=False)

    def __post_init__(self):
        # Parsing (and checking) an RSA private key costs tens of milliseconds: once per simulator.
        self._key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        self.jwk = public_jwk(self.private_pem)
        self._verifying_key = jwt.PyJWK(self.jwk, algorithm="RS256")
        self._tokens: dict[str, tuple[int, set[str], str | None]] = {}
        self.base_url = (self.base_url or self.issuer).rstrip("/")

    # -- endpoints a tool registers ------------------------------------------------------------------
    @property
    def auth_login_url(self) -> str:
        return self.base_url + "/auth"

    @property
    def auth_token_url(self) -> str:
        return self.base_url + "/token"

    @property
    def key_set_url(self) -> str:
        return self.base_url + "/jwks"

    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def sign(self, claims: dict, *, private_pem: str | None = None, kid: str | None = None, alg: str = "RS256",
             headers: dict | None = None) -> str:
        header = {"kid": kid if kid is not None else self.kid, "typ": "JWT"}
        header.update(headers or {})
        return jwt.encode(claims, private_pem or self._key, algorithm=alg, headers=header)

    # -- messages --------------------------------------------------------------------------------------
    def login_initiation(self, *, tool_login_url: str, target_link_uri: str, user: DemoUser, message_hint: str) -> dict:
        return {"iss": self.issuer, "login_hint": user.id, "target_link_uri": target_link_uri,
                "lti_message_hint": message_hint, "client_id": self.client_id,
                "lti_deployment_id": self.deployment_id}

    def launch_claims(self, *, user: DemoUser, course: DemoCourse, nonce: str, target_link_uri: str,
                      message_type: str = "LtiResourceLinkRequest", resource_link: dict | None = None,
                      custom: dict | None = None, lineitem_url: str | None = None,
                      deep_link_return_url: str | None = None, locale: str = "fr", lifetime: int = 60) -> dict:
        """Claims shaped like Moodle 4.5's (see tests/data/moodle)."""
        now = int(time.time())
        course_base = f"{self.base_url}/{course.context_id}"
        tool_type = f"?type_id={self.client_id}"  # Moodle's service URLs name the tool type (its lti_types id)
        claims = {
            "iss": self.issuer, "aud": self.client_id, "sub": user.id, "nonce": nonce, "iat": now,
            "exp": now + lifetime, "name": user.name, "given_name": user.given_name,
            "family_name": user.family_name, "email": user.email,
            LTI + "deployment_id": self.deployment_id, LTI + "message_type": message_type,
            LTI + "version": "1.3.0", LTI + "target_link_uri": target_link_uri,
            LTI + "roles": ROLE_URIS[user.role],
            LTI + "context": {"id": course.context_id, "label": course.label, "title": course.title,
                              "type": ["CourseSection"]},
            LTI + "lis": {"person_sourcedid": user.idnumber, "course_section_sourcedid": ""},
            LTI + "launch_presentation": {"locale": locale, "document_target": "iframe",
                                         "return_url": f"{self.base_url}/return"},
            LTI + "tool_platform": {"guid": hashlib.md5(self.issuer.encode()).hexdigest(), "name": "demo",
                                    "product_family_code": "moodle", "version": "2024100700",
                                    "description": "Plateforme de démonstration"},
            LTI + "ext": {"lms": "moodle-2", "user_username": f"{user.given_name}.{user.family_name}".lower()},
            LTI + "custom": {"context_memberships_url": f"{course_base}/memberships{tool_type}", **(custom or {})},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{course_base}/memberships{tool_type}", "service_versions": ["1.0", "2.0"]},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES, "lineitems": f"{course_base}/lineitems{tool_type}",
                **({"lineitem": lineitem_url} if lineitem_url else {})},
        }
        if message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = resource_link or {"id": f"{course.context_id}-1", "title": "Parcours"}
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "accept_copy_advice": False, "accept_multiple": True, "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["frame", "iframe", "window"], "accept_unsigned": False,
                "auto_create": False, "can_confirm": False, "deep_link_return_url": deep_link_return_url,
                # contentitem.php: optional_param('title', $tool->name): the tool type's name unless typed.
                "title": "Parcours hybrides CPTS", "text": "", "data": uuid.uuid4().hex}
        return claims

    def resign(self, claims: dict, *, nonce: str, lifetime: int = 60, **overrides) -> str:
        """A recorded claim set (e.g. a real Moodle launch) re-issued by this platform."""
        now = int(time.time())
        fresh = dict(claims, iss=self.issuer, aud=self.client_id, nonce=nonce, iat=now, exp=now + lifetime)
        fresh.update(overrides)
        return self.sign(fresh)

    # -- what the tool sends back --------------------------------------------------------------------
    def verify_tool_jwt(self, token: str, tool_jwks: dict, *, audience: str, leeway: int = 10) -> dict:
        header = jwt.get_unverified_header(token)
        for candidate in tool_jwks.get("keys", []):
            if candidate.get("kid") == header.get("kid"):
                key = jwt.PyJWK(candidate, algorithm="RS256")
                return jwt.decode(token, key, algorithms=["RS256"], audience=audience, leeway=leeway)
        raise jwt.InvalidKeyError(f"tool key {header.get('kid')!r} not published")

    def access_token(self, scopes: list[str], lifetime: int = 3600) -> str:
        now = int(time.time())
        return self.sign({"iss": self.issuer, "aud": self.auth_token_url, "sub": self.client_id, "iat": now,
                          "exp": now + lifetime, "scope": " ".join(scopes), "jti": uuid.uuid4().hex})

    def check_access_token(self, token: str) -> set[str]:
        """Like Moodle's token table lookup: a token verified once is remembered until it expires."""
        known = self._tokens.get(token)
        if known and known[0] > time.time():
            return known[1]
        claims = jwt.decode(token, self._verifying_key, algorithms=["RS256"], audience=self.auth_token_url)
        scopes = set(claims.get("scope", "").split())
        if len(self._tokens) > 1000:
            self._tokens.clear()
        self._tokens[token] = (claims["exp"], scopes, claims.get("sub"))
        return scopes

    def token_owner(self, token: str) -> str | None:
        """The client id (Moodle: the tool type) a checked token was issued to."""
        known = self._tokens.get(token)
        return known[2] if known else None
