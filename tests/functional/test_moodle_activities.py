"""Moodle activities as online modules, end to end against the demo platform's web services (over HTTP, on the
live server): the administrator's connection, the instructor's picker, the learner's sync, grades, failures."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lti_tool.demo_platform.models import DemoLineItem, DemoScore
from lti_tool.demo_platform.moodle_ws import ws_token
from lti_tool.services import grades
from models import (ActivityInterval, Enrolment, MoodleConnection, Platform, Step, StepCompletion, User, db)
from tests.functional.test_grades import place_pathway
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, fill_profile, post, publish

SCORM, H5P, QUIZ, FORUM = 511, 512, 513, 501  # demo course 11


def _admin_page(admin):
    response = admin.get("/admin/")
    assert response.status_code == 200, response.text
    return response.text


def _platform_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Platform.id)).one()


def _set_token(app, admin, token, rest_url=""):
    html = _admin_page(admin)
    return admin.post(f"/admin/platforms/{_platform_id(app)}/moodle",
                      data={"csrf_token": _any_csrf(html), "token": token, "rest_url": rest_url})


def _link(instructor, pathway_id, cmid, title, weight="1"):
    return post(instructor, f"/instructor/pathways/{pathway_id}/steps",
                {"kind": "module", "title": title, "module_source": "moodle", "moodle_cmid": str(cmid),
                 "weight": weight}, page=f"/instructor/pathways/{pathway_id}")


def _pathway_with_h5p(person, title="Cas cliniques (Moodle)"):
    """Instructor 201's pathway in course 11 whose online module is Moodle's H5P activity."""
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    _link(instructor, pathway_id, H5P, title)
    return instructor, pathway_id


def _demo_complete(client, cmid, user="101", action="complete", course="11"):
    response = client.post("/demo/activities/completion", data={"site": "moodle-a", "course": course, "user": user,
                                                                "cmid": str(cmid), "action": action},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text


def _refresh(learner, pathway_id):
    html = learner.get(f"/learner/pathways/{pathway_id}").text
    response = learner.post("/learner/moodle/refresh", data={"csrf_token": _any_csrf(html), "pathway_id": pathway_id},
                            headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    return response.get_json()


def _learner_with_profile(person, user="101", activity=""):
    learner = person(user, activity=activity)
    fill_profile(learner, "infirmier")
    return learner


def _completion(app, user_sub, step_title):
    with app.app_context():
        return db.session.scalars(select(StepCompletion).join(Enrolment).join(User).join(
            Step, Step.id == StepCompletion.step_id).where(User.sub == user_sub, Step.title == step_title)).first()


def _step_id(app, cmid):
    with app.app_context():
        return db.session.scalars(select(Step.id).where(Step.moodle_cmid == cmid)).one()


def _stale(app):
    """The learner page reads Moodle again only when the last reading is old: make it old."""
    from models import MoodleLearnerSync

    with app.app_context():
        db.session.execute(MoodleLearnerSync.__table__.update().values(synced_at=None, error_code=""))
        db.session.commit()


# -- the administrator's connection ---------------------------------------------------------------------------
def test_demo_setup_connects_the_site_and_the_check_lists_every_function(app, person):
    admin = person("2")
    html = _admin_page(admin)
    assert "Moodle web services" in html or "Services web Moodle" in html
    response = admin.post(f"/admin/platforms/{_platform_id(app)}/moodle/check", data={"csrf_token": _any_csrf(html)})
    assert response.status_code == 200
    for name in ("core_webservice_get_site_info", "core_course_get_contents",
                 "core_completion_get_activities_completion_status", "mod_scorm_get_scorm_sco_tracks"):
        assert name in response.text
    assert "✗" not in response.text
    with app.app_context():
        connection = db.session.scalars(select(MoodleConnection)).one()
        assert connection.checked_at is not None and "core_course_get_contents" in connection.allowed_functions


def test_token_is_stored_encrypted_and_never_shown_back(app, person):
    admin = person("2")
    with app.app_context():
        token = ws_token("moodle-a", "full")
    response = _set_token(app, admin, token)
    assert response.status_code == 200
    assert token not in response.text and token not in _admin_page(admin)
    with app.app_context():
        stored = db.session.scalars(select(MoodleConnection.token_ciphertext)).one()
    assert token not in stored and len(stored) > 60


def test_missing_functions_are_listed_with_what_to_enable(app, person):
    admin = person("2")
    with app.app_context():
        token = ws_token("moodle-a", "basic")
    response = _set_token(app, admin, token)
    assert response.status_code == 200
    text = response.text
    assert re.search(r"✗.*core_completion_get_activities_completion_status", text, re.S)
    assert "External services" in text or "Services externes" in text
    with app.app_context():
        assert db.session.scalars(select(MoodleConnection.last_error_code)).one() == "function_not_allowed"


def test_wrong_token_and_bad_url_are_explained_not_500(app, person):
    admin = person("2")
    response = _set_token(app, admin, "0123456789abcdef0123456789abcdef")
    assert response.status_code == 200 and ("Manage tokens" in response.text or "Gérer les jetons" in response.text)
    response = _set_token(app, admin, "", rest_url="javascript:alert(1)")
    assert response.status_code == 422
    assert "Une adresse https est attendue." in response.text  # in the page's language, French by default
    response = _set_token(app, admin, "two words")
    assert response.status_code == 422
    assert "Un jeton Moodle est un seul mot de lettres et de chiffres." in response.text


def test_the_token_is_never_sent_to_a_private_address(app, tenant):
    """In production (https only) the address must be a public host: the tool posts the token there."""
    from lti_tool.errors import InvalidInput
    from lti_tool.services import moodle

    before = moodle.connection_for(tenant["platform"].id)
    before = (before.rest_url, before.token_ciphertext) if before else None
    app.config["LTI_ALLOW_HTTP_PLATFORMS"] = False
    try:
        for address in ("https://127.0.0.1/webservice/rest/server.php", "https://10.0.0.8/webservice/rest/server.php",
                        "https://localhost/webservice/rest/server.php"):
            with pytest.raises(InvalidInput) as refused:
                moodle.save_connection(tenant["platform"], token="0123456789abcdef", rest_url_override=address)
            assert set(refused.value.errors) == {"rest_url"}, address
    finally:
        app.config["LTI_ALLOW_HTTP_PLATFORMS"] = True
    after = moodle.connection_for(tenant["platform"].id)
    assert ((after.rest_url, after.token_ciphertext) if after else None) == before  # nothing changed


def test_learner_and_instructor_cannot_reach_the_connection(app, person):
    for user in ("101", "201"):
        browser = person(user)
        assert browser.post(f"/admin/platforms/{_platform_id(app)}/moodle", data={"token": "x"}).status_code in (400, 403)
        assert browser.get("/admin/").status_code == 403


def test_administrator_of_another_platform_cannot_change_this_one(app, person, runner):
    result = runner.invoke(args=["lti", "platform", "add", "--issuer", "https://other.example.org", "--client-id", "c",
                                 "--deployment-id", "1", "--auth-login-url", "https://other.example.org/auth",
                                 "--auth-token-url", "https://other.example.org/token",
                                 "--key-set-url", "https://other.example.org/jwks"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        other = db.session.scalars(select(Platform.id).where(Platform.issuer == "https://other.example.org")).one()
    admin = person("2")
    html = _admin_page(admin)
    response = admin.post(f"/admin/platforms/{other}/moodle", data={"csrf_token": _any_csrf(html), "token": "abc"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(MoodleConnection).where(MoodleConnection.platform_id == other)).first() is None


# -- the instructor's picker ------------------------------------------------------------------------------------
def test_picker_shows_the_course_activities_by_section_and_warns_when_tracking_is_off(person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    html = instructor.get(f"/instructor/pathways/{pathway_id}").text
    assert '<optgroup label="Module 1 — E-learning : iatrogénie chez la personne âgée">' in html
    assert "Module e-learning : repérer la iatrogénie (SCORM)" in html
    forum = re.search(rf'<option value="{FORUM}"[^>]*>([^<]*)</option>', html).group(1)
    assert "⚠" in forum
    assert 'value="601"' not in html  # another course's activities are not offered


def test_linking_an_activity_of_another_course_is_refused(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    response = _link(instructor, pathway_id, 601, "Activité d'un autre cours")
    assert response.status_code == 422
    response = _link(instructor, pathway_id, 99999, "Activité inconnue")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Step).where(Step.moodle_cmid.is_not(None))).first() is None


def test_picker_says_plainly_when_the_tool_is_not_connected(app, person):
    admin = person("2")
    html = _admin_page(admin)
    assert admin.post(f"/admin/platforms/{_platform_id(app)}/moodle/remove",
                      data={"csrf_token": _any_csrf(html)}).status_code == 303
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    html = instructor.get(f"/instructor/pathways/{pathway_id}").text
    assert "Registrations" in html or "Enregistrements" in html
    assert 'name="moodle_cmid"' not in html


# -- the done-when journey ---------------------------------------------------------------------------------------
def test_two_linked_activities_completed_in_moodle_complete_the_steps_and_raise_the_grade(app, person, client,
                                                                                          platform):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    assert _link(instructor, pathway_id, H5P, "Cas cliniques (Moodle)").status_code == 303
    assert _link(instructor, pathway_id, QUIZ, "Quiz (Moodle)").status_code == 303
    # Placed in the course as a graded activity (deep linking), so that scores have a line item to go to.
    activity_id = place_pathway(app, platform, pathway_id)
    learner = _learner_with_profile(person, activity=str(activity_id))
    assert learner.get(f"/learner/pathways/{pathway_id}").status_code == 200
    first = _refresh(learner, pathway_id)
    assert first["linked"] and not first["changed"] and first["error"] is None
    _demo_complete(client, H5P)
    _demo_complete(client, QUIZ)
    _stale(app)
    answer = _refresh(learner, pathway_id)
    assert answer["changed"] is True
    page = learner.get(f"/learner/pathways/{pathway_id}").text
    assert page.count("In Moodle") + page.count("Dans Moodle") >= 2
    with app.app_context():
        enrolment = db.session.scalars(select(Enrolment).join(User).where(User.sub == "101")).one()
        done = {c.step_id: c.source for c in db.session.scalars(select(StepCompletion).where(
            StepCompletion.enrolment_id == enrolment.id))}
        linked = db.session.scalars(select(Step.id).where(Step.moodle_cmid.in_([H5P, QUIZ]))).all()
        assert all(done.get(step_id) == "moodle" for step_id in linked)
        assert enrolment.progress > 0
    board = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard").text
    assert "Cas cliniques (Moodle)" in board
    # The score goes back to the platform's gradebook, and it rose with the two Moodle completions.
    with app.app_context():
        assert grades.deliver_once(app) >= 1
        scores = db.session.scalars(select(DemoScore).join(DemoLineItem).where(
            DemoScore.user_id == "101", DemoLineItem.resource_id == f"pathway-{pathway_id}")
            .order_by(DemoScore.timestamp)).all()
        assert scores, "no score reached the platform"
        assert "(2/6 " in scores[-1].comment  # 2 of the 6 required steps done (Pending: progress in the comment)
        db.session.remove()


def test_scorm_time_feeds_the_online_time_log_marked_as_moodle(app, person, client):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    assert _link(instructor, pathway_id, SCORM, "E-learning SCORM").status_code == 303
    learner = _learner_with_profile(person)
    learner.get(f"/learner/pathways/{pathway_id}")
    _demo_complete(client, SCORM, action="scorm10")
    _demo_complete(client, SCORM, action="scorm10")
    assert _refresh(learner, pathway_id)["changed"] is True
    with app.app_context():
        interval = db.session.scalars(select(ActivityInterval).where(ActivityInterval.source == "moodle")).one()
        assert interval.seconds == 1200
    page = learner.get(f"/learner/steps/{_step_id(app, SCORM)}").text
    assert "20 min" in page
    assert 'action="/learner/steps/' not in page  # no "I have completed it" button: Moodle decides


def test_learner_cannot_declare_a_moodle_activity_done(app, person):
    instructor, pathway_id = _pathway_with_h5p(person)
    learner = _learner_with_profile(person)
    html = learner.get(f"/learner/pathways/{pathway_id}").text
    response = learner.post(f"/learner/steps/{_step_id(app, H5P)}/done", data={"csrf_token": _any_csrf(html)})
    assert response.status_code == 409
    assert _completion(app, "101", "Cas cliniques (Moodle)") is None


def test_completion_withdrawn_in_moodle_is_withdrawn_here(app, person, client):
    _, learner, pathway_id = _linked_and_done(app, person, client)
    _demo_complete(client, H5P, action="incomplete")
    assert _refresh(learner, pathway_id)["changed"]
    assert _completion(app, "101", "Cas cliniques (Moodle)") is None


# -- failures ----------------------------------------------------------------------------------------------------
def _linked_and_done(app, person, client):
    instructor, pathway_id = _pathway_with_h5p(person)
    learner = _learner_with_profile(person)
    learner.get(f"/learner/pathways/{pathway_id}")
    _demo_complete(client, H5P)
    assert _refresh(learner, pathway_id)["changed"]
    _stale(app)
    return instructor, learner, pathway_id


@pytest.mark.parametrize("failure, code", [("revoked", "invalid_token"), ("outage", "unavailable")])
def test_moodle_failures_keep_the_last_state_and_are_explained(app, person, client, failure, code):
    instructor, learner, pathway_id = _linked_and_done(app, person, client)
    if failure == "revoked":
        client.post("/demo/moodle-a/webservice/revoke", data={"profile": "full", "revoked": "1"},
                    headers={"Accept": "application/json"})
    else:
        client.post("/demo/moodle-a/outage", data={"down": "1"})
    answer = _refresh(learner, pathway_id)
    assert answer["error"] == code and answer["changed"] is False
    page = learner.get(f"/learner/pathways/{pathway_id}")
    assert page.status_code == 200
    assert "could not be read" in page.text or "pas pu être lu" in page.text
    assert _completion(app, "101", "Cas cliniques (Moodle)") is not None  # nothing lost
    html = instructor.get("/instructor/").text
    response = instructor.post("/instructor/moodle/sync", data={"offset": "0"},
                               headers={"X-CSRFToken": _any_csrf(html), "Accept": "application/json"})
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == code
    assert instructor.get("/instructor/moodle").status_code == 200
    # Back to normal: the next sync works again.
    client.post("/demo/moodle-a/webservice/revoke", data={"profile": "full", "revoked": "0"},
                headers={"Accept": "application/json"})
    client.post("/demo/moodle-a/outage", data={"down": "0"})
    response = instructor.post("/instructor/moodle/sync", data={"offset": "0"},
                               headers={"X-CSRFToken": _any_csrf(html), "Accept": "application/json"})
    assert response.status_code == 200 and "error" not in response.get_json()


def test_function_not_allowed_is_reported_to_the_instructor(app, person, client):
    instructor, learner, pathway_id = _linked_and_done(app, person, client)
    with app.app_context():
        connection = db.session.scalars(select(MoodleConnection)).one()
        from lti_tool.services import secrets_box

        with app.test_request_context():
            connection.token_ciphertext = secrets_box.encrypt(ws_token("moodle-a", "basic"))
        db.session.commit()
    answer = _refresh(learner, pathway_id)
    assert answer["error"] == "function_not_allowed"
    html = instructor.get("/instructor/moodle").text
    assert "core_completion_get_activities_completion_status" in html or "Functions" in html or "Fonctions" in html


def test_slow_moodle_times_out_without_a_500(app, person, client):
    instructor, learner, pathway_id = _linked_and_done(app, person, client)
    app.config.update(MOODLE_WS_TIMEOUT_SECONDS=0.2, DEMO_PLATFORM_LATENCY_MS=600)
    try:
        answer = _refresh(learner, pathway_id)
    finally:
        app.config.update(MOODLE_WS_TIMEOUT_SECONDS=10, DEMO_PLATFORM_LATENCY_MS=0)
    assert answer["error"] == "unavailable"
    assert _completion(app, "101", "Cas cliniques (Moodle)") is not None


def test_activity_deleted_in_moodle_keeps_the_completion_and_warns_the_instructor(app, person, client):
    instructor, learner, pathway_id = _linked_and_done(app, person, client)
    client.post(f"/demo/moodle-a/activities/{H5P}/delete", data={"deleted": "1"}, headers={"Accept": "application/json"})
    html = instructor.get("/instructor/").text
    response = instructor.post("/instructor/moodle/sync", data={"offset": "0"},
                               headers={"X-CSRFToken": _any_csrf(html), "Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert _completion(app, "101", "Cas cliniques (Moodle)") is not None
    html = instructor.get("/instructor/moodle").text
    assert "Deleted in Moodle" in html or "Supprimée dans Moodle" in html
    assert "Deleted in Moodle" in instructor.get(f"/instructor/pathways/{pathway_id}").text or \
        "Supprimée dans Moodle" in instructor.get(f"/instructor/pathways/{pathway_id}").text


def test_learners_cannot_run_the_course_sync(person):
    learner = _learner_with_profile(person)
    assert learner.get("/instructor/moodle").status_code == 403
    assert learner.post("/instructor/moodle/sync", data={"offset": "0"}).status_code in (400, 403)


# -- the command ------------------------------------------------------------------------------------------------
def test_sync_command_reads_every_learner_with_progress(app, person, client, runner):
    instructor, pathway_id = _pathway_with_h5p(person)
    for user in ("101", "103"):
        _learner_with_profile(person, user).get(f"/learner/pathways/{pathway_id}")
        _demo_complete(client, H5P, user=user)
    result = runner.invoke(args=["lti", "moodle", "sync", "--course", "11"])
    assert result.exit_code == 0, result.output
    assert "2/2 read" in result.output and "2 changed" in result.output
    assert _completion(app, "103", "Cas cliniques (Moodle)") is not None
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    result = runner.invoke(args=["lti", "moodle", "sync"])
    assert result.exit_code == 1 and "unavailable" in result.output
    client.post("/demo/moodle-a/outage", data={"down": "0"})


def test_connect_and_check_commands(app, platform, runner):
    with app.app_context():
        token = ws_token("moodle-a", "basic")
    result = runner.invoke(args=["lti", "moodle", "connect", "--issuer", platform.issuer], env={"MOODLE_WS_TOKEN": token})
    assert result.exit_code == 0, result.output
    assert "MISSING core_completion_get_activities_completion_status" in result.output
    result = runner.invoke(args=["lti", "moodle", "check", "--issuer", platform.issuer])
    assert result.exit_code == 1


def test_score_rises_with_each_activity_done_in_moodle_up_to_full_marks(app, person, client, platform):
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": "E-learning Moodle"})
    pathway_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _link(instructor, pathway_id, H5P, "Cas cliniques (Moodle)").status_code == 303
    assert _link(instructor, pathway_id, QUIZ, "Quiz (Moodle)").status_code == 303
    publish(instructor, pathway_id)
    activity_id = place_pathway(app, platform, pathway_id)
    learner = _learner_with_profile(person, activity=str(activity_id))

    def latest_score():
        with app.app_context():
            grades.deliver_once(app)
            score = db.session.scalars(select(DemoScore).join(DemoLineItem).where(
                DemoScore.user_id == "101", DemoLineItem.resource_id == f"pathway-{pathway_id}")
                .order_by(DemoScore.timestamp.desc())).first()
            db.session.remove()
            return score

    _demo_complete(client, H5P)
    assert _refresh(learner, pathway_id)["changed"]
    half = latest_score()
    # The current score is always graded: the gradebook shows 50 while the pathway is half done.
    assert (half.grading_progress, half.activity_progress, half.score_given) == ("FullyGraded", "InProgress", 50)
    assert "(1/2 " in half.comment
    _demo_complete(client, QUIZ)
    _stale(app)
    assert _refresh(learner, pathway_id)["changed"]
    full = latest_score()
    assert full.grading_progress == "FullyGraded" and full.score_given == 100
    # The instructor's dashboard counts both steps done (its JSON twin, read here).
    steps = instructor.get(f"/api/pathways/{pathway_id}/dashboard").get_json()["steps"]
    assert [(row["title"], row["done"]) for row in steps] == [("Cas cliniques (Moodle)", 1), ("Quiz (Moodle)", 1)]


# -- regressions found in review -------------------------------------------------------------------------------
def test_scorm_time_read_before_the_first_visit_is_recorded_once_enrolled(app, person, client, runner):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    _link(instructor, pathway_id, SCORM, "E-learning SCORM")
    learner = _learner_with_profile(person)  # a course member who has not opened the pathway yet
    _demo_complete(client, SCORM, action="scorm10")
    assert runner.invoke(args=["lti", "moodle", "sync", "--course", "11"]).exit_code == 0
    learner.get(f"/learner/pathways/{pathway_id}")  # enrolled now; Moodle's answer has not changed since
    _stale(app)
    _refresh(learner, pathway_id)
    with app.app_context():
        assert db.session.scalars(select(ActivityInterval.seconds).where(ActivityInterval.source == "moodle")).one() == 600


def test_an_instructor_withdrawal_outlives_the_next_sync(app, person, client):
    instructor, learner, pathway_id = _linked_and_done(app, person, client)
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(User).where(User.sub == "101")).one()
    page = f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}"
    response = post(instructor, page, {"step_id": str(_step_id(app, H5P)), "action": "withdraw",
                                       "reason": "Activité faite par un collègue"}, page=page)
    assert response.status_code == 303
    _refresh(learner, pathway_id)
    assert _completion(app, "101", "Cas cliniques (Moodle)") is None
    response = post(instructor, page, {"step_id": str(_step_id(app, H5P)), "action": "complete",
                                       "reason": "Vérifié avec elle"}, page=page)
    assert _completion(app, "101", "Cas cliniques (Moodle)").source == "instructor"


def test_relinking_a_step_opens_the_new_activity(app, person):
    instructor, pathway_id = _pathway_with_h5p(person, "Activité Moodle")
    step_id = _step_id(app, H5P)
    with app.app_context():
        old_url = db.session.get(Step, step_id).content_url
    assert old_url.endswith(f"id={H5P}")
    response = post(instructor, f"/instructor/steps/{step_id}", {
        "kind": "module", "title": "Activité Moodle", "module_source": "moodle", "moodle_cmid": str(QUIZ),
        "content_url": old_url, "weight": "1"}, page=f"/instructor/steps/{step_id}")
    assert response.status_code == 303, response.text
    with app.app_context():
        assert db.session.get(Step, step_id).content_url.endswith(f"id={QUIZ}")


def test_a_learner_refresh_is_not_a_complete_reading_of_the_course(app, person, client):
    from models import MoodleCourseSync

    _linked_and_done(app, person, client)
    with app.app_context():
        record = db.session.scalars(select(MoodleCourseSync)).one()
        assert record.synced_at is None and record.learners_synced == 0


def test_a_failed_check_does_not_turn_scorm_time_off(app, person, client):
    admin = person("2")
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    try:
        html = _admin_page(admin)
        admin.post(f"/admin/platforms/{_platform_id(app)}/moodle/check", data={"csrf_token": _any_csrf(html)})
    finally:
        client.post("/demo/moodle-a/outage", data={"down": "0"})
    with app.app_context():
        connection = db.session.scalars(select(MoodleConnection)).one()
        assert connection.checked_at is None and connection.last_error_code == "unavailable"


def test_no_heartbeat_time_on_a_moodle_linked_step(app, person):
    instructor, pathway_id = _pathway_with_h5p(person)
    learner = _learner_with_profile(person)
    html = learner.get(f"/learner/pathways/{pathway_id}").text
    response = learner.post(f"/learner/steps/{_step_id(app, H5P)}/heartbeat", headers={"X-CSRFToken": _any_csrf(html)})
    assert response.status_code == 409


def test_odd_numbers_in_forms_are_not_500s(app, person):
    instructor, pathway_id = _pathway_with_h5p(person)
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/moodle/sync", data={"offset": "²"},
                               headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 200
    assert _link(instructor, pathway_id, 2**40, "Trop grand").status_code == 422
    learner = _learner_with_profile(person)
    html = learner.get(f"/learner/pathways/{pathway_id}").text
    response = learner.post("/learner/moodle/refresh", data={"csrf_token": _any_csrf(html), "pathway_id": "²"})
    assert response.status_code == 303


def test_the_sync_does_not_enrol_learners_into_a_draft_pathway(app, person, client, runner):
    instructor, pathway_id = _pathway_with_h5p(person)
    assert post(instructor, f"/instructor/pathways/{pathway_id}/unpublish", {},
                page=f"/instructor/pathways/{pathway_id}").status_code == 303  # back to draft
    person("103")
    _demo_complete(client, H5P, user="103")
    assert runner.invoke(args=["lti", "moodle", "sync"]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway_id)).first() is None


def test_a_new_address_needs_the_token_again(app, person):
    admin = person("2")
    response = _set_token(app, admin, "", rest_url="https://elsewhere.example.org/webservice/rest/server.php")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(MoodleConnection.rest_url)).one() == ""


def test_a_pathway_without_moodle_activities_says_nothing_of_moodle(app, person):
    """Another pathway of the same course links a Moodle activity: this one has none, so no Moodle status or
    background reading on its page."""
    instructor, linked_id = _pathway_with_h5p(person)
    plain_id = build_pathway(instructor)
    learner = _learner_with_profile(person)
    assert 'id="moodle-sync"' in learner.get(f"/learner/pathways/{linked_id}").text
    assert 'id="moodle-sync"' not in learner.get(f"/learner/pathways/{plain_id}").text


def test_a_failing_new_token_never_replaces_one_that_works(app, person):
    from lti_tool.services import secrets_box

    admin = person("2")
    with app.app_context():
        full, basic = ws_token("moodle-a", "full"), ws_token("moodle-a", "basic")
    assert "✗" not in _set_token(app, admin, full).text  # checked: it works
    for wrong in ("0123456789abcdef0123456789abcdef", basic):
        page = _set_token(app, admin, wrong).text.replace("&#39;", "'")
        assert "Le nouveau jeton ne fonctionne pas : le jeton enregistré, qui fonctionne, est conservé." in page
        with app.app_context():
            connection = db.session.scalars(select(MoodleConnection)).one()
            assert secrets_box.decrypt(connection.token_ciphertext) == full and connection.last_error_code == ""
            db.session.remove()
