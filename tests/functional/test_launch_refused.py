"""Every bad launch is a 4xx page with a reason code, logged, creating nothing — never a 500."""
import base64
import json
import time

import jwt
import pytest
from sqlalchemy import func, select

from lti_tool.demo_platform.simulator import generate_private_key_pem
from models import Course, CourseMembership, LaunchState, ResourceLink, User, db


@pytest.fixture
def nothing_created(app, client):
    yield
    with app.app_context():
        for model in (User, Course, CourseMembership, ResourceLink):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
        used = db.session.scalar(select(func.count()).select_from(LaunchState).where(LaunchState.used_at.is_not(None)))
        assert used == 0, "a refused launch spent its state"
    with client.session_transaction() as session:
        assert "uid" not in session, "a refused launch left a session"


def assert_refused(response, code, status=400):
    assert response.status_code == status, response.text
    assert code in response.text
    assert "<html" in response.text


def b64(data: dict | str) -> str:
    raw = data if isinstance(data, str) else json.dumps(data)
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def test_bad_signature(lti, nothing_created, caplog):
    other_key = generate_private_key_pem()
    response = lti.launch(sign=lambda claims: lti.platform.sign(claims, private_pem=other_key))
    assert_refused(response, "bad_signature")
    assert "bad_signature" in caplog.text  # logged


def test_expired_token(lti, nothing_created):
    past = int(time.time()) - 300
    response = lti.launch(claims_update={"iat": past, "exp": past + 60})
    assert_refused(response, "token_expired")


def test_small_clock_skew_is_tolerated(lti):
    now = int(time.time())
    assert lti.launch(claims_update={"iat": now + 5, "exp": now - 5 + 60}).status_code == 303


def test_token_issued_in_the_future(lti, nothing_created):
    future = int(time.time()) + 600
    response = lti.launch(claims_update={"iat": future, "exp": future + 60})
    assert_refused(response, "token_not_yet_valid")


def test_missing_exp(lti, nothing_created):
    state, nonce = lti.login()
    claims = lti.claims(nonce)
    del claims["exp"]
    assert_refused(lti.post_launch(lti.platform.sign(claims), state), "missing_claim")


def test_wrong_audience(lti, nothing_created):
    assert_refused(lti.launch(claims_update={"aud": "another-tool"}), "unknown_platform")


def test_audience_list_with_tool_but_azp_elsewhere(lti, nothing_created):
    response = lti.launch(claims_update={"aud": ["demo-client-a", "another-tool"], "azp": "another-tool"})
    assert_refused(response, "unknown_platform")


def test_audience_list_without_azp(lti, nothing_created):
    response = lti.launch(claims_update={"aud": ["demo-client-a", "another-tool"]})
    assert_refused(response, "wrong_audience")


def test_missing_iat(lti, nothing_created):
    state, nonce = lti.login()
    claims = lti.claims(nonce)
    del claims["iat"]
    assert_refused(lti.post_launch(lti.platform.sign(claims), state), "missing_claim")


def test_state_from_another_registration_of_the_same_issuer(lti, runner, nothing_created):
    """A login for client B, a token for client A: the state serves only the registration it was issued for."""
    from lti_tool.demo_platform.simulator import PlatformSimulator

    p = lti.platform
    runner.invoke(args=["lti", "platform", "add", "--issuer", p.issuer, "--client-id", "client-b",
                        "--deployment-id", "1", "--auth-login-url", p.auth_login_url,
                        "--auth-token-url", p.auth_token_url, "--key-set-url", p.key_set_url])
    other = PlatformSimulator(issuer=p.issuer, client_id="client-b", deployment_id="1", private_pem=p.private_pem)
    state, nonce = lti.login(platform=other)
    assert_refused(lti.post_launch(p.sign(lti.claims(nonce)), state), "wrong_issuer")


@pytest.mark.parametrize("claim, value", [
    ("https://purl.imsglobal.org/spec/lti/claim/resource_link", "x"),
    ("https://purl.imsglobal.org/spec/lti/claim/context", ["x"]),
    ("https://purl.imsglobal.org/spec/lti/claim/lis", ["x"]),
    ("https://purl.imsglobal.org/spec/lti/claim/launch_presentation", "fr"),
    ("https://purl.imsglobal.org/spec/lti/claim/roles", 5),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", "x"),
    ("https://purl.imsglobal.org/spec/lti/claim/message_type", "LtiSubmissionReviewRequest"),
])
def test_signed_launch_with_odd_claim_types_is_refused_not_500(lti, claim, value, nothing_created):
    response = lti.launch(claims_update={claim: value})
    assert response.status_code == 400, response.text


def test_oversized_service_url_is_ignored_not_500(lti, app):
    long_url = "https://moodle.example/" + "x" * 2000
    response = lti.launch(claims_update={"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
        "lineitems": long_url, "scope": []}})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Course)).one().lineitems_url is None


def test_refused_launch_ends_the_previous_session(lti, client):
    assert lti.launch(user="101").status_code == 303
    assert lti.launch(user="101", claims_update={"exp": int(time.time()) - 100, "iat": int(time.time()) - 160}).status_code == 400
    assert client.get("/learner/").status_code == 401


def test_deep_link_return_url_must_be_http(lti, nothing_created):
    response = lti.launch(user="201", message_type="LtiDeepLinkingRequest", deep_link_return_url="javascript:alert(1)")
    assert_refused(response, "invalid_message")


def test_audience_list_with_azp_naming_the_tool_is_accepted(lti):
    response = lti.launch(claims_update={"aud": ["another-tool", "demo-client-a"], "azp": "demo-client-a"})
    assert response.status_code == 303


def test_unknown_issuer_at_login(lti, client, nothing_created):
    response = client.post("/lti/login", data={"iss": "https://moodle.unknown.example", "login_hint": "1",
                                               "client_id": "x", "target_link_uri": "http://tool/lti/launch"})
    assert_refused(response, "unknown_platform")


def test_unknown_issuer_at_launch(lti, nothing_created):
    assert_refused(lti.launch(claims_update={"iss": "https://moodle.unknown.example"}), "unknown_platform")


def test_unknown_client_id_at_login(lti, client):
    response = client.post("/lti/login", data={"iss": lti.platform.issuer, "login_hint": "1", "client_id": "nope"})
    assert_refused(response, "unknown_platform")


def test_unknown_deployment_at_login(lti, client):
    response = client.post("/lti/login", data={"iss": lti.platform.issuer, "login_hint": "1",
                                               "client_id": lti.platform.client_id, "lti_deployment_id": "99"})
    assert_refused(response, "unknown_deployment")


def test_unknown_deployment_at_launch(lti, nothing_created):
    claims_update = {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "99"}
    assert_refused(lti.launch(claims_update=claims_update), "unknown_deployment")


def test_missing_login_parameters(client, platform):
    assert_refused(client.post("/lti/login", data={"login_hint": "1"}), "missing_issuer")
    assert_refused(client.post("/lti/login", data={"iss": platform.issuer}), "missing_login_hint")


def test_unknown_kid(lti, nothing_created):
    response = lti.launch(sign=lambda claims: lti.platform.sign(claims, kid="not-a-published-kid"))
    assert_refused(response, "unknown_kid")


def test_missing_kid(lti, nothing_created):
    state, nonce = lti.login()
    token = jwt.encode(lti.claims(nonce), lti.platform.private_pem, algorithm="RS256")  # no kid header
    assert_refused(lti.post_launch(token, state), "missing_kid")


def test_alg_none(lti, nothing_created):
    state, nonce = lti.login()
    token = b64({"alg": "none", "kid": lti.platform.kid, "typ": "JWT"}) + "." + b64(lti.claims(nonce)) + "."
    assert_refused(lti.post_launch(token, state), "unsupported_alg")


def test_hs256_key_confusion(lti, nothing_created):
    """HS256 signed with the platform's public key as the secret: the classic confusion attack."""
    state, nonce = lti.login()
    public_json = json.dumps(lti.platform.jwk)
    header = b64({"alg": "HS256", "kid": lti.platform.kid, "typ": "JWT"})
    body = b64(lti.claims(nonce))
    import hashlib
    import hmac
    signature = hmac.new(public_json.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert_refused(lti.post_launch(token, state), "unsupported_alg")


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b.c", "....", b64("[]") + "." + b64("[]") + ".x"])
def test_garbage_jwt(lti, garbage, nothing_created):
    state, _ = lti.login()
    assert_refused(lti.post_launch(garbage, state), "malformed_jwt")


def test_missing_id_token(lti, nothing_created):
    state, _ = lti.login()
    assert_refused(lti.post_launch(None, state), "missing_id_token")


def test_missing_state(lti, nothing_created):
    _, nonce = lti.login()
    assert_refused(lti.post_launch(lti.platform.sign(lti.claims(nonce)), None), "missing_state")


def test_mismatched_state(lti, nothing_created):
    state, nonce = lti.login()
    assert_refused(lti.post_launch(lti.platform.sign(lti.claims(nonce)), "state-forged"), "state_cookie_missing")


def test_state_without_the_browser_cookie(lti, app, nothing_created):
    state, nonce = lti.login()
    other_browser = app.test_client()
    response = other_browser.post("/lti/launch", data={"id_token": lti.platform.sign(lti.claims(nonce)), "state": state})
    assert_refused(response, "state_cookie_missing")


def test_missing_nonce(lti, nothing_created):
    state, nonce = lti.login()
    claims = lti.claims(nonce)
    del claims["nonce"]
    assert_refused(lti.post_launch(lti.platform.sign(claims), state), "missing_nonce")


def test_replayed_launch_post_is_refused(lti, app):
    state, nonce = lti.login()
    token = lti.platform.sign(lti.claims(nonce))
    assert lti.post_launch(token, state).status_code == 303
    assert_refused(lti.post_launch(token, state), "replayed_launch")


def test_old_nonce_reused_with_a_new_login_is_refused(lti, nothing_created):
    _, old_nonce = lti.login()
    state, _ = lti.login()
    assert_refused(lti.post_launch(lti.platform.sign(lti.claims(old_nonce)), state), "nonce_mismatch")


def test_state_that_the_tool_never_issued(lti, client, nothing_created):
    client.set_cookie("lti1p3-state-made-up", "state-made-up")
    _, nonce = lti.login()
    assert_refused(lti.post_launch(lti.platform.sign(lti.claims(nonce)), "state-made-up"), "unknown_state")


def test_expired_state(lti, app, monkeypatch, nothing_created):
    from types import SimpleNamespace

    from lti_tool.services import launch_state

    state, nonce = lti.login()
    token = lti.platform.sign(lti.claims(nonce))
    later = time.time() + app.config["LTI_STATE_LIFETIME_SECONDS"] + 1  # the state's clock only: the token is fresh
    monkeypatch.setattr(launch_state, "time", SimpleNamespace(time=lambda: later))
    assert_refused(lti.post_launch(token, state), "state_expired")


def test_wrong_lti_version_or_message(lti, nothing_created):
    response = lti.launch(claims_update={"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"})
    assert_refused(response, "invalid_message")
    response = lti.launch(claims_update={"https://purl.imsglobal.org/spec/lti/claim/message_type": "Bogus"})
    assert_refused(response, "invalid_message")


def test_launch_without_course_context(lti, nothing_created):
    response = lti.launch(claims_update={"https://purl.imsglobal.org/spec/lti/claim/context": None})
    assert_refused(response, "missing_context")


def test_learner_cannot_deep_link(lti, client, nothing_created):
    """Refused before anything is recorded: no user, no session, the state not spent."""
    response = lti.launch(user="101", message_type="LtiDeepLinkingRequest",
                          deep_link_return_url="http://127.0.0.1/return")
    assert_refused(response, "invalid_message")


def test_get_on_launch_is_405_not_500(client):
    response = client.get("/lti/launch")
    assert response.status_code == 405


def test_platform_keys_unreachable_is_a_clear_error(lti, app, nothing_created):
    from models import Platform

    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        platform.key_set_url = "http://127.0.0.1:9/jwks"  # nothing listens on the discard port
        db.session.commit()
    response = lti.launch()
    assert response.status_code == 502
    assert "platform_keys_unavailable" in response.text


def test_error_page_in_english_when_the_launch_says_so(lti):
    response = lti.launch(locale="en", claims_update={"exp": int(time.time()) - 100, "iat": int(time.time()) - 160})
    assert response.status_code == 400
    assert "token_expired" in response.text
    assert "The launch has expired" in response.text


def test_error_page_in_french_by_default(lti):
    response = lti.launch(locale="", claims_update={"exp": int(time.time()) - 100, "iat": int(time.time()) - 160})
    assert response.status_code == 400
    assert "Le lancement a expiré" in response.text or "expiré" in response.text


@pytest.fixture
def second_worker(app):
    """Another instance of the tool on the same database and secret key, as a second gunicorn worker is."""
    from lti_tool import create_app

    keys = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "INSTANCE_PATH", "DEMO_PLATFORM", "LTI_ALLOW_HTTP_PLATFORMS",
            "PUBLIC_BASE_URL")
    other = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path,
                        **{key: app.config[key] for key in keys if key in app.config}})
    yield other
    with other.app_context():
        db.engine.dispose()


def test_launch_replayed_on_another_worker_is_refused(lti, second_worker):
    state, nonce = lti.login()
    token = lti.platform.sign(lti.claims(nonce))
    assert lti.post_launch(token, state).status_code == 303
    other_browser = second_worker.test_client()
    other_browser.set_cookie(f"lti1p3-{state}", state)  # the same browser, served by the other worker
    assert_refused(other_browser.post("/lti/launch", data={"id_token": token, "state": state}), "replayed_launch")


def test_login_on_one_worker_launches_on_another(lti, second_worker):
    state, nonce = lti.login()
    other_browser = second_worker.test_client()
    other_browser.set_cookie(f"lti1p3-{state}", state)
    response = other_browser.post("/lti/launch", data={"id_token": lti.platform.sign(lti.claims(nonce)), "state": state})
    assert response.status_code == 303, response.text


def test_tampered_state_is_refused(lti, client, nothing_created):
    state, nonce = lti.login()
    prefix, registration, issued_at, signature = state.split(".")
    forged = f"{prefix}.{registration}.{int(issued_at) + 3600}.{signature}"  # a later time of issue
    client.set_cookie(f"lti1p3-{forged}", forged)
    assert_refused(lti.post_launch(lti.platform.sign(lti.claims(nonce)), forged), "unknown_state")


def test_state_stored_by_the_previous_release_launches_once(lti, app, client):
    """Logins made before the upgrade stored their state: those launches still go through, once."""
    from lti_tool.services import launch_state

    with app.app_context():
        from models import Platform

        platform_id = db.session.scalar(select(Platform.id).where(Platform.client_id == lti.platform.client_id))
        launch_state.issue("state-stored-before", "nonce-stored-before", platform_id, 600)
        db.session.commit()
    client.set_cookie("lti1p3-state-stored-before", "state-stored-before")
    token = lti.platform.sign(lti.claims("nonce-stored-before"))
    assert lti.post_launch(token, "state-stored-before").status_code == 303
    assert_refused(lti.post_launch(token, "state-stored-before"), "replayed_launch")


def test_a_registration_removed_during_the_launch_is_refused_and_leaves_no_session(lti, app, monkeypatch,
                                                                                    nothing_created):
    """Another request removes the registration between the launch's checks and its writes: a 4xx, nothing
    recorded, and no session (the launch commits before it starts one)."""
    from sqlalchemy import delete

    from lti_tool.services import launches
    from models import Platform

    record = launches.record_launch

    def removed_meanwhile(*args, **kwargs):
        with db.engine.begin() as connection:  # another request's transaction
            connection.execute(delete(Platform))
        return record(*args, **kwargs)

    monkeypatch.setattr(launches, "record_launch", removed_meanwhile)
    response = lti.launch()
    assert_refused(response, "unknown_platform")
    cookie = response.headers.get("Set-Cookie") or ""
    assert "parcours_session" not in cookie or "parcours_session=;" in cookie  # none, or one removed


def test_a_launch_that_cannot_be_saved_starts_no_session(lti, app, monkeypatch):
    """The database refuses the launch's commit (full disk, lost connection): an error page, and no session
    pointing at rows that were never saved (the state was not spent: the launch can be tried again)."""
    from sqlalchemy.exc import OperationalError

    def refused(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    state, nonce = lti.login()
    token = lti.platform.sign(lti.claims(nonce))
    monkeypatch.setattr(db.session, "commit", refused)
    response = lti.post_launch(token, state)
    monkeypatch.undo()
    assert response.status_code >= 500
    cookie = response.headers.get("Set-Cookie") or ""
    assert "parcours_session" not in cookie or "parcours_session=;" in cookie
    with lti.client.session_transaction() as session:
        assert "uid" not in session
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
