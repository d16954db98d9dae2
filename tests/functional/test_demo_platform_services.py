"""The demo platform's AGS and NRPS, called by the tool's own service connector (pylti1p3 + shared tokens)."""
from datetime import datetime, timedelta, timezone

import pytest
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from sqlalchemy import select

from lti_tool.demo_platform.models import DemoScore
from lti_tool.lti.tool_conf import registration_for
from lti_tool.services.platform_services import grades_service, roster_service
from models import Course, ResourceLink, db

SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"]


@pytest.fixture
def services(lti, app):
    assert lti.launch_via_demo(user="101", course="11").status_code == 303
    ctx = app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"])
    ctx.push()
    link = db.session.scalars(select(ResourceLink)).one()
    course = db.session.scalars(select(Course)).one()
    registration = registration_for(course.platform_id)
    cache = app.extensions["lti_cache"]
    yield {"ags": grades_service(registration, cache, lineitems_url=course.lineitems_url,
                                 lineitem_url=link.lineitem_url, scopes=SCOPES),
           "nrps": roster_service(registration, cache, memberships_url=course.memberships_url),
           "cache": cache}
    db.session.rollback()
    ctx.pop()


def grade(score, when, progress="FullyGraded"):
    return (Grade().set_score_given(score).set_score_maximum(100).set_user_id("101")
            .set_timestamp(when.isoformat()).set_activity_progress("Completed").set_grading_progress(progress))


def test_score_is_recorded_and_readable(services, app):
    now = datetime.now(timezone.utc)
    services["ags"].put_grade(grade(88, now))
    results = services["ags"].get_grades()
    assert [(r["userId"], r["resultScore"]) for r in results] == [("101", 88.0)]
    scores = db.session.scalars(select(DemoScore)).all()
    assert [(s.user_id, s.score_given) for s in scores] == [("101", 88.0)]


def test_not_newer_timestamp_is_409_like_moodle(services):
    now = datetime.now(timezone.utc)
    services["ags"].put_grade(grade(50, now))
    with pytest.raises(LtiServiceException) as refused:
        services["ags"].put_grade(grade(60, now))
    assert refused.value.response.status_code == 409
    services["ags"].put_grade(grade(60, now + timedelta(seconds=1)))


def test_score_given_ignored_unless_fully_graded(services):
    services["ags"].put_grade(grade(40, datetime.now(timezone.utc), progress="Pending"))
    assert db.session.scalars(select(DemoScore)).one().score_given is None


def test_user_without_gradebook_role_is_400(services):
    bad = grade(10, datetime.now(timezone.utc)).set_user_id("2")  # the site admin is not enrolled
    with pytest.raises(LtiServiceException) as refused:
        services["ags"].put_grade(bad)
    assert refused.value.response.status_code == 400


def test_access_token_is_cached_in_the_shared_cache(services):
    services["ags"].put_grade(grade(70, datetime.now(timezone.utc)))
    connector = services["ags"]._service_connector
    key = connector._scope_key(SCOPES)
    assert services["cache"].get(key)


def test_roster_pages_with_link_next_and_short_role_names(services):
    members = list(services["nrps"].get_members())
    assert len(members) == 8  # the not-enrolled site admin is absent
    roles = {m["user_id"]: m["roles"] for m in members}
    assert roles["101"] == ["Learner"] and roles["201"] == ["Instructor"]


def test_roster_paging(services):
    import requests

    token = services["ags"]._service_connector.get_access_token(
        ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"])
    url = db.session.scalars(select(Course)).one().memberships_url + "&limit=3"  # Moodle's URL has ?type_id=
    seen, pages = [], 0
    while url:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 200
        seen += [m["user_id"] for m in response.json()["members"]]
        url = response.links.get("next", {}).get("url")
        pages += 1
    assert pages == 3 and len(seen) == 8 and len(set(seen)) == 8


def test_service_calls_without_token_are_401(services):
    import requests

    url = db.session.scalars(select(Course)).one().memberships_url
    assert requests.get(url, timeout=5).status_code == 401


def test_grades_page_shows_what_the_tool_sent(services, client):
    services["ags"].put_grade(grade(91, datetime.now(timezone.utc)).set_comment("Parcours terminé"))
    db.session.commit()
    page = client.get("/demo/grades")
    assert page.status_code == 200
    assert "Claire Martin" in page.text and "91.0 / 100.0" in page.text and "Parcours terminé" in page.text
