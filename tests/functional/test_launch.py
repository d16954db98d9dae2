"""Launches that must succeed: through the demo platform, and the real Moodle 4.5 claim sets re-signed."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Course, CourseMembership, ResourceLink, User, db

# Real Moodle 4.5 traffic, vendored in the repository (see tests/data/moodle/README.md).
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "moodle"


def load_sample(name):
    return json.loads((SAMPLES / name).read_text())


def test_learner_launch_lands_on_learner_page(lti, client, app):
    response = lti.launch_via_demo(user="101", course="11")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/learner/")
    page = client.get("/learner/", follow_redirects=True)
    assert page.status_code == 200
    assert "Claire Martin" in page.text
    assert "Prévenir l'iatrogénie" in page.text or "Pr\u00e9venir l&#39;iatrog\u00e9nie" in page.text
    with app.app_context():
        user = db.session.scalars(select(User).where(User.sub == "101")).one()
        assert user.email == "claire.martin@exemple-cpts.fr"
        assert user.person_sourcedid == "10101010105"  # Moodle idnumber, where an RPPS can live
        membership = db.session.scalars(select(CourseMembership)).one()
        assert membership.role == "learner"
        link = db.session.scalars(select(ResourceLink)).one()
        assert link.resource_link_id == "11-pathway"
        assert link.lineitem_url and "/lineitems/" in link.lineitem_url


def test_instructor_launch_lands_on_dashboard_with_instructor_navigation(lti, client):
    response = lti.launch_via_demo(user="201", course="12")
    assert response.headers["Location"].endswith("/instructor/")
    page = client.get("/instructor/")
    assert page.status_code == 200
    assert "Hélène Garnier" in page.text
    assert "/admin/" not in page.text  # not an administrator
    assert client.get("/learner/").status_code == 403


def test_administrator_launch_gets_instructor_pages_and_admin_link(lti, client):
    response = lti.launch_via_demo(user="2", course="11")
    assert response.headers["Location"].endswith("/instructor/")
    page = client.get("/instructor/")
    assert "/admin/" in page.text
    assert client.get("/admin/").status_code == 200


def test_learner_cannot_open_instructor_or_admin_pages(lti, client):
    lti.launch_via_demo(user="102")
    assert client.get("/instructor/").status_code == 403
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/", headers={"Accept": "application/json"}).get_json()["error"] == "forbidden"


def test_pages_without_launch_ask_to_open_from_moodle(client):
    response = client.get("/learner/")
    assert response.status_code == 401
    assert "Moodle" in response.text


def test_repeated_launches_update_one_user_and_course(lti, app):
    for _ in range(3):
        assert lti.launch(user="103", course="11").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_a_new_launch_replaces_the_previous_session(lti, client):
    lti.launch(user="101", course="11")
    assert client.get("/learner/", follow_redirects=True).status_code == 200
    lti.launch(user="201", course="11")
    assert client.get("/learner/").status_code == 403
    assert client.get("/instructor/").status_code == 200


def test_launch_locale_english_switches_pages_to_english(lti, client):
    lti.launch(user="101", locale="en")
    assert "My professional profile" in client.get("/learner/", follow_redirects=True).text


def test_french_is_the_default_language(lti, client):
    lti.launch(user="101", locale="")
    page = client.get("/learner/", headers={"Accept-Language": ""}, follow_redirects=True)
    assert "Mon profil professionnel" in page.text


@pytest.mark.parametrize("sample, expected_home", [
    ("launch_student1.json", "/learner/"),
    ("launch_teacher1.json", "/instructor/"),
])
def test_real_moodle_resource_launches_resigned(lti, client, app, sample, expected_home):
    recorded = load_sample(sample)
    login = dict(recorded["initiate_login_params"], iss=lti.platform.issuer, client_id=lti.platform.client_id)
    state, nonce = lti.login(**{k: v for k, v in login.items() if k not in ("iss", "client_id")})
    token = lti.platform.resign(recorded["id_token_claims"], nonce=nonce)
    response = lti.post_launch(token, state)
    assert response.status_code == 303, response.text
    assert response.headers["Location"].endswith(expected_home)
    assert client.get(expected_home, follow_redirects=True).status_code == 200
    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        assert (course.context_id, course.label) == ("2", "LTI101")
        assert course.memberships_url.endswith("/CourseSection/2/bindings/1/memberships")


def test_real_moodle_deep_linking_request_reaches_deep_linking_page(lti, client):
    recorded = load_sample("deeplink_teacher1.json")
    state, nonce = lti.login(user="3", lti_message_hint=recorded["initiate_login_params"]["lti_message_hint"])
    token = lti.platform.resign(recorded["id_token_claims"], nonce=nonce)
    response = lti.post_launch(token, state)
    assert response.status_code == 303, response.text
    assert response.headers["Location"].endswith("/lti/deep-link")
    page = client.get("/lti/deep-link")
    assert page.status_code == 200
    assert 'name="title"' in page.text
