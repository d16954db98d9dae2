"""Grades to Moodle: deep-linked pathways get a grade item; scores go through the outbox and arrive at the
demo platform's AGS exactly once — through outages, expired tokens, 409, 400 and two workers at once."""
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from lti_tool.demo_platform.models import DemoActivity, DemoLineItem, DemoScore
from lti_tool.services import grades
from lti_tool.services.cache import clear_local_caches
from models import GradeOutbox, Pathway, ResourceLink, db, utcnow
from tests.fixtures.browser import LtiBrowser, parse_form, path_of
from tests.fixtures.concurrency import at_once
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, fill_profile, post, publish


def place_pathway(app, platform, pathway_id, course="11", user="201"):
    """The instructor adds the tool in Moodle and picks the pathway (deep linking)."""
    client = app.test_client()
    LtiBrowser(client, platform).launch_via_demo(user=user, course=course, kind="deep_link")
    _, fields = parse_form(client.get("/lti/deep-link").text)
    returned = client.post("/lti/deep-link", data={**fields, "target": str(pathway_id), "title": ""})
    action, jwt_fields = parse_form(returned.text)
    assert client.post(path_of(action), data=jwt_fields).status_code == 200
    with app.app_context():
        return db.session.scalars(select(DemoActivity).order_by(DemoActivity.id.desc())).first().id


def deliver(app, **kwargs):
    with app.app_context():
        count = grades.deliver_once(app, **kwargs)
        db.session.remove()
    return count


def make_all_due(app):
    with app.app_context():
        db.session.execute(update(GradeOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def complete_module_pathway(app, person, platform):
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": "E-learning ACR"})
    pathway_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    for title in ("Module 1", "Module 2"):
        post(instructor, f"/instructor/pathways/{pathway_id}/steps", {"kind": "module", "title": title, "weight": "1"},
             page=f"/instructor/pathways/{pathway_id}")
    publish(instructor, pathway_id)
    activity_id = place_pathway(app, platform, pathway_id)
    learner = person("104", activity=str(activity_id))
    assert learner.landing.endswith(f"/learner/pathways/{pathway_id}") or "profile" in learner.landing
    fill_profile(learner, "masseur_kinesitherapeute")
    with app.app_context():
        steps = [s.id for s in db.session.get(Pathway, pathway_id).steps]
    for step_id in steps:
        assert post(learner, f"/learner/steps/{step_id}/done", {}, page=f"/learner/steps/{step_id}").status_code == 303
    return pathway_id, activity_id


def test_deep_linked_pathway_gets_a_grade_item_and_the_score_arrives(app, person, platform):
    pathway_id, activity_id = complete_module_pathway(app, person, platform)
    with app.app_context():
        line = db.session.scalars(select(DemoLineItem).where(DemoLineItem.resource_link_id == f"activity-{activity_id}")).one()
        assert (line.score_maximum, line.tag, line.resource_id) == (100, "parcours-hybride", f"pathway-{pathway_id}")
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        assert link.lineitem_url.endswith(f"/lineitems/{line.id}?type_id=demo-client-a")  # Moodle names the type
        outbox = db.session.scalars(select(GradeOutbox).order_by(GradeOutbox.id)).all()
        assert [row.state for row in outbox] == ["superseded", "pending"]  # only the latest is worth sending
        assert outbox[0].timestamp < outbox[1].timestamp
    assert deliver(app) == 1
    with app.app_context():
        score = db.session.scalars(select(DemoScore)).one()
        assert (score.user_id, score.score_given, score.grading_progress) == ("104", 100.0, "FullyGraded")
        assert "100 %" in score.comment
        assert db.session.scalars(select(GradeOutbox.state).order_by(GradeOutbox.id)).all() == ["superseded", "sent"]
    assert deliver(app) == 0  # nothing is sent twice


def test_outage_delays_scores_and_never_drops_them(app, person, platform, client):
    complete_module_pathway(app, person, platform)
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    assert deliver(app) == 1
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        assert row.attempts == 1 and row.last_status == 503 and row.next_attempt_at > utcnow()
    assert deliver(app) == 0  # backing off
    make_all_due(app)
    assert deliver(app) == 1  # still down: still pending
    client.post("/demo/moodle-a/outage", data={"down": "0"})
    make_all_due(app)
    assert deliver(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DemoScore)) == 1
        assert db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "sent")).one().attempts == 3


def test_409_means_already_up_to_date(app, person, platform):
    complete_module_pathway(app, person, platform)
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        line_id = int(row.lineitem_url.split("?")[0].rstrip("/").split("/")[-1])
        db.session.add(DemoScore(lineitem_id=line_id, user_id="104", score_given=100, score_maximum=100,
                                 activity_progress="Completed", grading_progress="FullyGraded", comment="",
                                 timestamp=row.timestamp + timedelta(hours=1), received_at=utcnow()))
        db.session.commit()
    deliver(app)
    with app.app_context():
        sent = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "sent")).one()
        assert sent.last_status == 409 and sent.last_error == "already up to date"


def test_400_learner_left_the_course_is_reported_not_retried(app, person, platform):
    complete_module_pathway(app, person, platform)
    with app.app_context():
        db.session.execute(update(GradeOutbox).where(GradeOutbox.state == "pending").values(user_sub="2"))
        db.session.commit()
    deliver(app)
    make_all_due(app)
    assert deliver(app) == 0
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "abandoned")).one()
        assert row.last_status == 400 and "gradebook" in row.last_error


def test_expired_token_is_dropped_and_the_score_retried(app, person, platform):
    complete_module_pathway(app, person, platform)
    deliver(app)  # a first score caches a token
    with app.app_context():
        keys = [k for k, in db.session.execute(select(db.metadata.tables["cache_entry"].c.key))
                if k.startswith("token:")]
        assert keys
        for key in keys:
            app.extensions["lti_cache"].set(key, "revoked-token", 3600)
        clear_local_caches()  # a worker started after the platform revoked the token
        db.session.execute(update(GradeOutbox).where(GradeOutbox.state == "sent").values(state="pending"))
        db.session.commit()
    make_all_due(app)
    deliver(app)
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        assert row.last_status == 401
    make_all_due(app)
    deliver(app)
    with app.app_context():
        assert db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).all() == []


def test_two_workers_never_send_a_score_twice(app, person, platform):
    pathway_id, _ = complete_module_pathway(app, person, platform)
    with app.app_context():
        template = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        db.session.delete(template)
        base_url = template.lineitem_url.rsplit("/", 1)[0]
        for index in range(10):  # 10 grade items x 6 learners: 60 scores due at once, one per learner and item
            line = DemoLineItem(site="moodle-a", context_id="11", label=f"Item {index}", score_maximum=100)
            db.session.add(line)
            db.session.flush()
            for user in ("101", "102", "103", "104", "105", "106"):
                db.session.add(GradeOutbox(platform_id=template.platform_id, course_id=template.course_id,
                                           lineitem_url=f"{base_url}/{line.id}", user_sub=user, kind="score",
                                           payload=template.payload, timestamp=utcnow(), next_attempt_at=utcnow()))
        db.session.commit()
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        while deliver(app, batch=7, threads=4):
            pass

    at_once(worker, worker)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(GradeOutbox.state == "sent")) == 60
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(
            GradeOutbox.state == "sent", GradeOutbox.attempts != 1)) == 0
        assert db.session.scalar(select(func.count()).select_from(DemoScore)) == 60


def test_a_link_created_for_another_course_is_refused(app, person, platform):
    instructor = person("201", course="11")
    pathway_id = build_pathway(instructor)
    activity_id = place_pathway(app, platform, pathway_id, course="11")
    with app.app_context():  # the activity is copied to course 12 (Moodle backup/restore keeps custom params)
        activity = db.session.get(DemoActivity, activity_id)
        activity.context_id = "12"
        db.session.commit()
    client = app.test_client()
    response = LtiBrowser(client, platform).launch_via_demo(user="104", course="12", activity=str(activity_id))
    assert response.status_code == 400 and "pathway_not_in_course" in response.text


def test_instructor_sees_waiting_scores_in_plain_words_and_retries(app, person, platform, client):
    complete_module_pathway(app, person, platform)
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    deliver(app)
    instructor = person("201")
    page = instructor.get("/instructor/grades")
    assert page.status_code == 200 and "503" in page.text and "Masseur" not in page.text
    assert "Julien Petit" in page.text
    client.post("/demo/moodle-a/outage", data={"down": "0"})
    token = _any_csrf(page.text)
    assert instructor.post("/instructor/grades/retry", data={"csrf_token": token}).status_code == 303
    deliver(app)
    assert "Julien Petit" not in instructor.get("/instructor/grades").text
    learner = person("104")
    assert learner.get("/instructor/grades").status_code == 403


def test_platform_down_during_1000_grade_events_then_back_all_arrive_once(app, person, platform, client):
    """1,000 scores produced while Moodle is down: they wait, and once it is back each arrives exactly once."""
    complete_module_pathway(app, person, platform)
    with app.app_context():
        template = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        base_url = template.lineitem_url.rsplit("/", 1)[0]
        rows = []
        for index in range(167):
            line = DemoLineItem(site="moodle-a", context_id="11", label=f"Item {index}", score_maximum=100)
            db.session.add(line)
            db.session.flush()
            for user in ("101", "102", "103", "104", "105", "106"):
                if len(rows) < 999:
                    rows.append({"platform_id": template.platform_id, "course_id": template.course_id,
                                 "lineitem_url": f"{base_url}/{line.id}", "user_sub": user, "kind": "score",
                                 "payload": template.payload, "timestamp": utcnow(), "state": "pending",
                                 "attempts": 0, "next_attempt_at": utcnow(), "last_error": "", "created_at": utcnow()})
        db.session.execute(GradeOutbox.__table__.insert(), rows)
        db.session.commit()
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    while deliver(app, batch=500, threads=16):
        pass
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(GradeOutbox.state == "pending")) == 1000
        assert db.session.scalar(select(func.count()).select_from(DemoScore)) == 0
    client.post("/demo/moodle-a/outage", data={"down": "0"})
    make_all_due(app)
    while deliver(app, batch=500, threads=16):
        pass
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(GradeOutbox.state == "sent")) == 1000
        assert db.session.scalar(select(func.count()).select_from(DemoScore)) == 1000
        assert db.session.scalar(select(func.count()).select_from(
            select(DemoScore.lineitem_id, DemoScore.user_id).distinct().subquery())) == 1000



def test_placing_a_single_step_opens_that_step(app, person, platform):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    with app.app_context():
        from models import Step
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id, Step.kind == "module")).one()
    client = app.test_client()
    LtiBrowser(client, platform).launch_via_demo(user="201", kind="deep_link")
    _, fields = parse_form(client.get("/lti/deep-link").text)
    returned = client.post("/lti/deep-link", data={**fields, "target": f"step-{step_id}", "title": ""})
    action, jwt_fields = parse_form(returned.text)
    client.post(path_of(action), data=jwt_fields)
    with app.app_context():
        activity = db.session.scalars(select(DemoActivity).order_by(DemoActivity.id.desc())).first()
        assert activity.custom == {"pathway_id": str(pathway_id), "step_id": str(step_id)}
        assert activity.title == "MOOC iatrogénie"
        assert db.session.scalars(select(DemoLineItem).where(DemoLineItem.resource_link_id == f"activity-{activity.id}")).first() is None
        activity_id = activity.id
    learner = person("103", activity=str(activity_id))
    assert learner.landing.endswith(f"/learner/steps/{step_id}")
