"""LTI Dynamic Registration against the demo platform's Moodle-like openid-configuration and registration."""
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lti_tool.demo_platform.models import DemoToolRegistration
from models import Platform, db
from tests.fixtures.browser import LtiBrowser, parse_form, path_of


def start_registration(client):
    response = client.post("/demo/moodle-b/register-tool")
    assert response.status_code == 303
    return path_of(response.headers["Location"])


def test_dynamic_registration_end_to_end(client, app):
    page = client.get(start_registration(client))
    assert page.status_code == 200, page.text
    assert "/demo/moodle-b" in page.text  # the platform about to be registered is shown
    _, fields = parse_form(page.text)
    done = client.post("/lti/register", data=fields)
    assert done.status_code == 200, done.text
    assert "org.imsglobal.lti.close" in done.text
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        registration = db.session.scalars(select(DemoToolRegistration)).one()
        assert platform.client_id == registration.client_id
        assert [d.deployment_id for d in platform.deployments] == [registration.deployment_id]
        assert platform.registered_via == "dynamic"
        sent = registration.registration
        tool_conf = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert sent["redirect_uris"] == [app.config["PUBLIC_BASE_URL"] + "/lti/launch"]
        assert sent["jwks_uri"] == app.config["PUBLIC_BASE_URL"] + "/lti/jwks"
        assert sent["token_endpoint_auth_method"] == "private_key_jwt"
        assert "id_token" in sent["response_types"]
        assert {"name", "email", "given_name", "family_name"} <= set(tool_conf["claims"])
        assert tool_conf["messages"][0]["type"] == "LtiDeepLinkingRequest"
        assert "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly" in sent["scope"]
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    # the newly registered site can now launch the tool
    response = LtiBrowser(client, None).launch_via_demo(site="moodle-b", user="104")
    assert response.status_code == 303 and response.headers["Location"].endswith("/learner/")


def test_registration_token_works_once(client, app):
    url = start_registration(client)
    _, fields = parse_form(client.get(url).text)
    assert client.post("/lti/register", data=fields).status_code == 200
    _, fields_again = parse_form(client.get(url).text)
    response = client.post("/lti/register", data=fields_again)
    assert response.status_code == 400
    assert "registration_rejected" in response.text
    with app.app_context():
        assert len(db.session.scalars(select(Platform)).all()) == 1


def test_registration_post_requires_csrf(client, app):
    url = start_registration(client)
    query = parse_qs(urlsplit(url).query)
    response = client.post("/lti/register", data={k: v[0] for k, v in query.items()})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Platform)).all() == []


def test_missing_parameters(client):
    response = client.get("/lti/register")
    assert response.status_code == 400 and "missing_parameters" in response.text


def test_unreachable_configuration(client):
    response = client.get("/lti/register?openid_configuration=http://127.0.0.1:9/conf&registration_token=x")
    assert response.status_code == 400 and "configuration_unreachable" in response.text


def test_configuration_announcing_another_site_is_refused(client, app):
    port = urlsplit(app.config["PUBLIC_BASE_URL"]).port
    # served by localhost, but it announces 127.0.0.1 as its issuer
    url = f"http://localhost:{port}/demo/moodle-b/openid-configuration"
    response = client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": "x"})
    assert response.status_code == 400 and "configuration_mismatch" in response.text


def test_not_a_platform_configuration(client, app):
    url = app.config["PUBLIC_BASE_URL"] + "/lti/jwks"
    response = client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": "x"})
    assert response.status_code == 400 and "configuration_invalid" in response.text


def test_https_required_in_production(client, app):
    app.config["LTI_ALLOW_HTTP_PLATFORMS"] = False
    try:
        response = client.get("/lti/register?openid_configuration=http://moodle.example/conf&registration_token=x")
    finally:
        app.config["LTI_ALLOW_HTTP_PLATFORMS"] = True
    assert response.status_code == 400 and "insecure_url" in response.text


def test_a_registration_never_overwrites_an_existing_client(client, app):
    """A platform answer repeating a registered client id must not rewrite that registration's keys."""
    import pytest

    from lti_tool.errors import RegistrationError
    from lti_tool.lti.dynamic_registration import ToolRegistration

    url = start_registration(client)
    _, fields = parse_form(client.get(url).text)
    assert client.post("/lti/register", data=fields).status_code == 200
    with app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"]):
        existing = db.session.scalars(select(Platform)).one()
        registration = ToolRegistration(openid_configuration=fields["openid_configuration"], registration_token="",
                                        urls={"launch": "http://t/lti/launch"}, client_name="t", description="",
                                        timeout=5, allow_http=True)
        configuration = registration.get_openid_configuration()
        with pytest.raises(RegistrationError) as refused:
            registration.complete_registration(dict(configuration, jwks_uri=configuration["issuer"] + "/evil"), {
                "client_id": existing.client_id,
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "9"}})
        assert refused.value.code == "registration_invalid"
        db.session.rollback()
        assert db.session.scalars(select(Platform)).one().key_set_url == existing.key_set_url


def test_private_addresses_are_not_fetched_in_production(client, app):
    app.config["LTI_ALLOW_HTTP_PLATFORMS"] = False
    try:
        response = client.get("/lti/register?openid_configuration=https://127.0.0.1/conf&registration_token=x")
    finally:
        app.config["LTI_ALLOW_HTTP_PLATFORMS"] = True
    assert response.status_code == 400 and "insecure_url" in response.text
