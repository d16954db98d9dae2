"""Deep linking from the demo platform: the instructor places the tool; the platform verifies the signed
response with the tool's JWKS and creates the activity, which then launches with its custom parameters."""
from sqlalchemy import select

from lti_tool.demo_platform.models import DemoActivity
from models import ResourceLink, db
from tests.fixtures.browser import parse_form, path_of


def test_instructor_places_the_tool_and_the_new_activity_launches(lti, client, app):
    response = lti.launch_via_demo(user="201", course="12", kind="deep_link")
    assert response.headers["Location"].endswith("/lti/deep-link")
    page = client.get("/lti/deep-link")
    _, fields = parse_form(page.text)
    fields["title"] = "Arrêt cardiaque : simulation"
    returned = client.post("/lti/deep-link", data=fields)
    assert returned.status_code == 200
    action, jwt_fields = parse_form(returned.text)
    assert action.endswith("/demo/moodle-a/12/deep-link-return")
    done = client.post(path_of(action), data=jwt_fields)
    assert done.status_code == 200, done.text
    with app.app_context():
        activity = db.session.scalars(select(DemoActivity)).one()
        assert activity.title == "Arrêt cardiaque : simulation"
        assert activity.custom == {"placement": "course"}  # no pathway in this course yet: the course home
        activity_id = activity.id
    # the deep-linking request is used up
    assert client.get("/lti/deep-link").status_code == 400
    response = lti.launch_via_demo(user="104", course="12", activity=str(activity_id))
    assert response.headers["Location"].endswith("/learner/")
    with app.app_context():
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == f"activity-{activity_id}")).one()
        assert link.custom["placement"] == "course"


def test_deep_link_form_needs_csrf(lti, client):
    lti.launch_via_demo(user="201", kind="deep_link")
    assert client.post("/lti/deep-link", data={"title": "x"}).status_code == 400


def test_learner_session_cannot_post_a_deep_link(lti, client):
    lti.launch_via_demo(user="101")
    assert client.get("/lti/deep-link").status_code == 403
