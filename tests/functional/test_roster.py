"""Roster sync through the demo platform's names-and-roles service (paged, short role names)."""
from sqlalchemy import func, select

from models import CourseMembership, User, db
from tests.functional.test_pathways_flow import _any_csrf, build_pathway


def test_roster_sync_pages_through_members_and_shows_who_never_opened(app, person, client):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    token = _any_csrf(instructor.get("/instructor/").text)
    pages, members, next_url = 0, 0, None
    while True:
        response = instructor.post("/instructor/roster/sync", data={"csrf_token": token, "next": next_url or ""},
                                   headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.text
        data = response.get_json()
        pages, members, next_url = pages + 1, members + data["members"], data["next"]
        if not next_url:
            break
    assert members == 8  # the site administrator is not enrolled
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseMembership)) == 8
        roles = dict(db.session.execute(select(User.sub, CourseMembership.role).join(CourseMembership)).all())
        assert roles["101"] == "learner" and roles["202"] == "instructor"
    board = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard")
    assert "Claire Martin" in board.text and "(6)" in board.text


def test_roster_sync_reports_an_unavailable_platform(app, person, client):
    instructor = person("201")
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/roster/sync", data={"csrf_token": token}, headers={"X-CSRFToken": token})
    assert response.status_code == 502 and response.get_json()["error"] == "roster_unavailable"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseMembership)) == 1  # only the instructor


def test_learner_cannot_sync_the_roster(person):
    learner = person("101")
    assert learner.get("/instructor/roster").status_code == 403
