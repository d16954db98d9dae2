"""Outbound calls as a launch and an instructor meet them: a slow platform key set ends as the 502 page within the
deadline, service URLs from launch claims on another site never get the platform's token, and a remote body is
never shown in a page."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from pylti1p3.grade import Grade
from sqlalchemy import select

from lti_tool.lti.tool_conf import registration_for
from lti_tool.services.platform_services import ServiceURLRefused, grades_service
from models import Course, Platform, db
from tests.fixtures.slow_http import received, slow_server  # noqa: F401 - a fixture
from tests.functional.test_pathways_flow import _any_csrf

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def test_a_trickling_platform_key_set_is_the_502_page_within_the_deadline(lti, app, slow_server, monkeypatch):
    monkeypatch.setattr(app.extensions["lti_platform_keys"].http, "timeout", 1.0)
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        platform.key_set_url = f"{slow_server}/trickle-body"
        db.session.commit()
    started = time.monotonic()
    response = lti.launch()
    assert time.monotonic() - started < 2.5
    assert response.status_code == 502, response.text
    assert "platform_keys_unavailable" in response.text and "<html" in response.text


def test_a_memberships_url_on_another_site_never_gets_the_token(lti, app, slow_server):
    evil = f"{slow_server}/memberships"
    before = len(received(slow_server))
    response = lti.launch(user="201", claims_update={
        NRPS_CLAIM: {"context_memberships_url": evil, "service_versions": ["2.0"]}})
    assert response.status_code == 303
    token = _any_csrf(lti.client.get("/instructor/").text)
    response = lti.client.post("/instructor/roster/sync", data={"csrf_token": token}, headers={"X-CSRFToken": token})
    assert response.status_code == 502
    answer = response.get_json()
    assert answer["error"] == "roster_unavailable"
    assert slow_server not in answer["message"] and "127.0.0.1" not in answer["message"]  # our sentence only
    assert received(slow_server)[before:] == []  # not even called


def test_a_platform_error_body_is_not_echoed_in_the_roster_page(lti, app, client):
    """Moodle's answer (here its outage page) is logged, never shown."""
    assert lti.launch(user="201").status_code == 303
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    token = _any_csrf(lti.client.get("/instructor/").text)
    response = lti.client.post("/instructor/roster/sync", data={"csrf_token": token}, headers={"X-CSRFToken": token})
    assert response.status_code == 502
    message = response.get_json()["message"]
    assert "HTTP" not in message and "http" not in message and "/demo/" not in message


@pytest.fixture
def registration(lti, app):
    assert lti.launch(user="101").status_code == 303
    with app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"]):
        course = db.session.scalars(select(Course)).one()
        yield registration_for(course.platform_id)
        db.session.rollback()


def _grade():
    return (Grade().set_score_given(50).set_score_maximum(100).set_user_id("101")
            .set_timestamp(datetime.now(timezone.utc).isoformat()).set_activity_progress("Completed")
            .set_grading_progress("FullyGraded"))


def test_a_lineitem_on_another_site_is_refused_before_any_call(registration, app, slow_server):
    before = len(received(slow_server))
    service = grades_service(registration, app.extensions["lti_cache"], lineitems_url=None,
                             lineitem_url=f"{slow_server}/lineitems/1/lineitem", scopes=[SCORE])
    with pytest.raises(ServiceURLRefused):
        service.put_grade(_grade())
    assert received(slow_server)[before:] == []


def test_extra_origins_from_the_config_are_accepted(registration, app, slow_server, monkeypatch):
    """A split-host site: its services on another origin, declared in LTI_SERVICE_EXTRA_ORIGINS."""
    monkeypatch.setitem(app.config, "LTI_SERVICE_EXTRA_ORIGINS", {registration.get_issuer(): [slow_server]})
    before = len(received(slow_server))
    service = grades_service(registration, app.extensions["lti_cache"], lineitems_url=None,
                             lineitem_url=f"{slow_server}/lineitems/1/lineitem", scopes=[SCORE])
    service.put_grade(_grade())
    calls = received(slow_server)[before:]
    assert [call["path"] for call in calls] == ["/lineitems/1/lineitem/scores"]
    assert calls[0]["authorization"].startswith("Bearer ")


def test_dynamic_registration_refuses_shared_address_space(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LTI_ALLOW_HTTP_PLATFORMS", False)
    for url in ("https://100.100.100.200/openid-configuration", "https://100.64.1.1/openid-configuration"):
        response = client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": "t"})
        assert response.status_code == 400
        assert "insecure_url" in response.text
