"""JWKS, configuration for administrators, key rotation and the registration CLI."""
from sqlalchemy import select

from models import Deployment, Platform, ToolKey, db


def test_jwks_is_a_flat_key_set_with_the_active_key(client, platform, app):
    document = client.get("/lti/jwks").get_json()
    assert list(document) == ["keys"]
    [key] = document["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key  # never a private part
    with app.app_context():
        assert key["kid"] == db.session.scalars(select(ToolKey)).one().kid


def test_config_json_lists_every_url(client, app):
    document = client.get("/lti/config", headers={"Accept": "application/json"}).get_json()
    base = app.config["PUBLIC_BASE_URL"]
    assert document["oidc_initiation_url"] == base + "/lti/login"
    assert document["target_link_uri"] == base + "/lti/launch"
    assert document["redirect_uris"] == [base + "/lti/launch"]
    assert document["public_jwk_url"] == base + "/lti/jwks"
    assert document["dynamic_registration_url"] == base + "/lti/register"
    assert document["deep_linking_url"] == base + "/lti/launch"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in document["scopes"]


def test_config_page_for_humans_in_french(client, app):
    page = client.get("/lti/config", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert app.config["PUBLIC_BASE_URL"] + "/lti/register" in page.text
    assert "Gérer les outils" in page.text


def test_key_rotation_keeps_previous_key_published_until_retired(runner, client, platform):
    first = client.get("/lti/jwks").get_json()["keys"][0]["kid"]
    result = runner.invoke(args=["lti", "keys", "rotate"])
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]]
    assert len(kids) == 2 and first in kids
    second = next(kid for kid in kids if kid != first)
    result = runner.invoke(args=["lti", "keys", "retire"])
    assert first in result.output
    assert [key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]] == [second]


def test_deep_link_response_is_signed_with_the_new_key_after_rotation(runner, lti, client):
    runner.invoke(args=["lti", "keys", "rotate"])
    lti.launch_via_demo(user="201", kind="deep_link")
    page = client.post("/lti/deep-link", data={"title": "Parcours", "csrf_token": csrf_token(client, "/lti/deep-link")})
    import jwt
    token = _hidden(page.text, "JWT")
    active = client.get("/lti/jwks").get_json()["keys"][-1]["kid"]
    assert jwt.get_unverified_header(token)["kid"] == active


def csrf_token(client, path):
    return _hidden(client.get(path).text, "csrf_token")


def _hidden(html, name):
    from tests.fixtures.browser import parse_form

    return parse_form(html)[1][name]


def test_platform_cli_add_list_remove_and_deployments(runner, app):
    result = runner.invoke(args=[
        "lti", "platform", "add", "--issuer", "https://moodle.cpts-exemple.fr", "--client-id", "abc123",
        "--deployment-id", "1", "--deployment-id", "7",
        "--auth-login-url", "https://moodle.cpts-exemple.fr/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.cpts-exemple.fr/mod/lti/token.php",
        "--key-set-url", "https://moodle.cpts-exemple.fr/mod/lti/certs.php"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["lti", "deployment", "add", "--issuer", "https://moodle.cpts-exemple.fr",
                                 "--deployment-id", "9"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["lti", "platform", "list"]).output
    assert "https://moodle.cpts-exemple.fr" in listing and "1, 7, 9" in listing
    with app.app_context():
        platform_id = db.session.scalars(select(Platform.id)).one()
    assert runner.invoke(args=["lti", "platform", "remove", str(platform_id)]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(Deployment)).all() == []


def test_platform_cli_refuses_bad_urls(runner, app):
    app.config["LTI_ALLOW_HTTP_PLATFORMS"] = False
    try:
        result = runner.invoke(args=[
            "lti", "platform", "add", "--issuer", "http://moodle.insecure", "--client-id", "x",
            "--auth-login-url", "http://moodle.insecure/a", "--auth-token-url", "http://moodle.insecure/t",
            "--key-set-url", "http://moodle.insecure/k"])
    finally:
        app.config["LTI_ALLOW_HTTP_PLATFORMS"] = True
    assert result.exit_code != 0
    assert "https" in result.output


def test_two_registrations_of_one_issuer_are_told_apart_by_client_id(runner, lti, app):
    """A second registration under the same issuer (another client id) must not capture launches."""
    p = lti.platform
    runner.invoke(args=["lti", "platform", "add", "--issuer", p.issuer, "--client-id", "second-client",
                        "--deployment-id", "1", "--auth-login-url", p.auth_login_url,
                        "--auth-token-url", p.auth_token_url, "--key-set-url", p.key_set_url])
    assert lti.launch(user="101").status_code == 303
    with app.app_context():
        from models import User
        user = db.session.scalars(select(User)).one()
        assert user.platform.client_id == "demo-client-a"


def test_removed_platform_can_no_longer_launch(lti, runner, app):
    assert lti.launch().status_code == 303
    with app.app_context():
        platform_id = db.session.scalars(select(Platform.id)).one()
    assert runner.invoke(args=["lti", "platform", "remove", str(platform_id)]).exit_code == 0
    response = lti.client.post("/lti/login", data={"iss": lti.platform.issuer, "login_hint": "101",
                                                   "client_id": lti.platform.client_id})
    assert response.status_code == 400 and "unknown_platform" in response.text
