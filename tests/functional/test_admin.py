"""The admin page: a platform administrator sees their own platform; the operator's token sees all."""
from sqlalchemy import select

from models import AdminToken, db
from tests.fixtures.browser import parse_form


def other_platform(runner):
    result = runner.invoke(args=[
        "lti", "platform", "add", "--issuer", "https://moodle.autre-cpts.fr", "--client-id", "other",
        "--deployment-id", "4", "--auth-login-url", "https://moodle.autre-cpts.fr/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.autre-cpts.fr/mod/lti/token.php",
        "--key-set-url", "https://moodle.autre-cpts.fr/mod/lti/certs.php"])
    assert result.exit_code == 0, result.output


def test_platform_administrator_sees_only_their_platform(lti, client, runner):
    other_platform(runner)
    lti.launch_via_demo(user="2")
    page = client.get("/admin/")
    assert page.status_code == 200
    assert lti.platform.issuer in page.text
    assert "moodle.autre-cpts.fr" not in page.text


def test_admin_page_needs_a_launch_or_a_token(client):
    assert client.get("/admin/").status_code == 401


def test_instructor_is_not_an_administrator(lti, client):
    lti.launch_via_demo(user="201")
    assert client.get("/admin/").status_code == 403


def test_operator_token_sees_every_platform_and_keys(lti, client, runner, app):
    other_platform(runner)
    token = runner.invoke(args=["lti", "admin-token", "create", "--label", "ops"]).output.strip()
    login_page = client.get("/admin/login")
    _, fields = parse_form(login_page.text)
    response = client.post("/admin/login", data={"csrf_token": fields["csrf_token"], "token": token})
    assert response.status_code == 303
    page = client.get("/admin/")
    assert "moodle.autre-cpts.fr" in page.text and lti.platform.issuer in page.text
    assert "kid" in page.text
    with app.app_context():
        stored = db.session.scalars(select(AdminToken)).one()
        assert token not in stored.token_sha256 and stored.last_used_at is not None


def test_wrong_or_revoked_token_is_refused(client, runner, app):
    token = runner.invoke(args=["lti", "admin-token", "create"]).output.strip()
    with app.app_context():
        token_id = db.session.scalars(select(AdminToken.id)).one()
    assert runner.invoke(args=["lti", "admin-token", "revoke", str(token_id)]).exit_code == 0
    for attempt in (token, "wrong"):
        _, fields = parse_form(client.get("/admin/login").text)
        response = client.post("/admin/login", data={"csrf_token": fields["csrf_token"], "token": attempt})
        assert response.status_code == 401
    assert client.get("/admin/").status_code == 401


def test_admin_login_without_csrf_token_is_refused(client, runner):
    token = runner.invoke(args=["lti", "admin-token", "create"]).output.strip()
    response = client.post("/admin/login", data={"token": token})
    assert response.status_code == 400
    assert "<code>csrf</code>" in response.text


def test_tampered_session_cannot_cross_tenants(lti, client, runner, app):
    """A session naming a course of another platform is dropped, not trusted."""
    lti.launch_via_demo(user="101")
    with client.session_transaction() as session:
        session["pid"] = 999
    assert client.get("/learner/").status_code == 401


def test_revoking_a_token_ends_its_sessions(client, runner, app):
    token = runner.invoke(args=["lti", "admin-token", "create"]).output.strip()
    _, fields = parse_form(client.get("/admin/login").text)
    client.post("/admin/login", data={"csrf_token": fields["csrf_token"], "token": token})
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        token_id = db.session.scalars(select(AdminToken.id)).one()
    runner.invoke(args=["lti", "admin-token", "revoke", str(token_id)])
    assert client.get("/admin/").status_code == 401


def test_a_site_administrator_sees_every_registration_of_their_site_and_one_web_service_connection(
        lti, client, runner, app):
    other_platform(runner)
    assert runner.invoke(args=["lti-demo", "setup", "--base-url", app.config["PUBLIC_BASE_URL"],
                               "--second-registration"]).exit_code == 0
    lti.launch_via_demo(user="2")
    page = client.get("/admin/").text
    assert "demo-client-a2" in page and "demo-client-a" in page and "moodle.autre-cpts.fr" not in page
    from lti_tool.services import moodle
    from models import MoodleConnection, Platform

    with app.app_context():  # the token given through the first registration serves the whole site
        second = db.session.scalars(select(Platform).where(Platform.client_id == "demo-client-a2")).one()
        assert moodle.connection_for(db.session.scalars(select(Platform.id).where(
            Platform.client_id == "demo-client-a")).one()) is not None
        assert db.session.scalar(select(MoodleConnection.platform_id)) != second.id
        assert moodle.check_connection(second).ok  # through the second registration: the same connection
