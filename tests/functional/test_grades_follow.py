"""Grades that reach Moodle every time (issue 10): the placement keeps its line item whatever later launches
carry, the DPC item never takes it away, the same Moodle site through two registrations is one course and one
person, scores follow the pathway's edits, a regression never blanks a grade, and a placement that cannot
receive grades is said, never hidden behind "every score has reached Moodle"."""
import jwt
from sqlalchemy import delete, func, insert, select, update

from lti_tool.demo_platform.models import DemoLineItem, DemoScore
from lti_tool.services import rescoring
from models import (
    Course,
    Enrolment,
    GradeOutbox,
    PathwayRescore,
    Platform,
    ResourceLink,
    Step,
    StepCompletion,
    User,
    db,
    utcnow,
)
from tests.fixtures.browser import LtiBrowser, parse_form, path_of
from tests.functional.test_dpc import attended_learner, save_programme
from tests.functional.test_grades import complete_module_pathway, deliver, place_pathway
from tests.functional.test_pathways_flow import _any_csrf, fill_profile, post


def deliver_all(app):
    while deliver(app):
        pass


def latest_pathway_score(app, pathway_id, user="104"):
    with app.app_context():
        score = db.session.scalars(select(DemoScore).join(DemoLineItem).where(
            DemoScore.user_id == user, DemoLineItem.resource_id == f"pathway-{pathway_id}")
            .order_by(DemoScore.timestamp.desc())).first()
        db.session.remove()
        return score


def claims_of_launch(client, *, user, activity, client_id=""):
    """The id_token the demo platform posts to the tool, decoded (what Moodle sends in this launch)."""
    response = client.post("/demo/start", data={"site": "moodle-a", "user": user, "course": "11", "kind": "resource",
                                                "locale": "fr", "activity": str(activity), "client_id": client_id})
    action, fields = parse_form(response.text)
    redirect = client.post(path_of(action), data=fields)
    auth = client.get(path_of(redirect.headers["Location"]))
    action, fields = parse_form(auth.text)
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    return claims, client.post(path_of(action), data=fields)


AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def add_module(instructor, pathway_id: int, title: str, weight: str = "1") -> None:
    page = f"/instructor/pathways/{pathway_id}"
    response = post(instructor, f"{page}/steps", {"kind": "module", "title": title, "weight": weight}, page=page)
    assert response.status_code == 303, response.text


def one_module_pathway(instructor, title: str) -> int:
    """A published pathway of one module, not placed in Moodle yet."""
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": title})
    pathway_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = f"/instructor/pathways/{pathway_id}"
    post(instructor, f"{page}/steps", {"kind": "module", "title": "Module 1", "weight": "1"}, page=page)
    post(instructor, f"{page}/publish", {}, page=page)
    return pathway_id


def test_dpc_validation_then_relaunch_then_progress_the_new_score_arrives(app, person, platform):
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    assert save_programme(instructor, pathway_id).status_code == 303
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).where(Enrolment.pathway_id == pathway_id)).one()
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        lineitem_url, activity = link.lineitem_url, link.resource_link_id.removeprefix("activity-")
    decide = f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}"
    dpc_page = f"/instructor/pathways/{pathway_id}/dpc"
    assert post(instructor, decide, {"action": "validate"}, page=dpc_page).status_code == 303
    deliver_all(app)
    with app.app_context():
        dpc_item = db.session.scalars(select(DemoLineItem).where(DemoLineItem.tag == "validation-dpc")).one()
        assert dpc_item.resource_link_id == ""  # a course-level item: the activity keeps its one grade item
    claims, response = claims_of_launch(app.test_client(), user="101", activity=activity)
    assert response.status_code == 303 and claims[AGS].get("lineitem") == lineitem_url
    before = latest_pathway_score(app, pathway_id, "101")
    # The learner does one more step: the MOOC module.
    with app.app_context():
        mooc = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id, Step.kind == "module")).one()
    assert post(learner, f"/learner/steps/{mooc}/done", {}, page=f"/learner/steps/{mooc}").status_code == 303
    deliver_all(app)
    after = latest_pathway_score(app, pathway_id, "101")
    assert after.timestamp > before.timestamp and after.score_given > before.score_given
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(
            GradeOutbox.state == GradeOutbox.PENDING)) == 0


def test_a_link_holding_two_items_loses_the_claim_but_not_its_line_item(app, person, platform):
    pathway_id, activity_id = complete_module_pathway(app, person, platform)
    deliver_all(app)
    with app.app_context():  # another item on the same activity, as an older tool version created
        db.session.add(DemoLineItem(site="moodle-a", context_id="11", label="Autre", score_maximum=10,
                                    resource_link_id=f"activity-{activity_id}"))
        db.session.commit()
        known = db.session.scalars(select(ResourceLink.lineitem_url).where(ResourceLink.pathway_id == pathway_id)).one()
    claims, response = claims_of_launch(app.test_client(), user="104", activity=activity_id)
    assert response.status_code == 303
    assert "lineitem" not in claims[AGS] and claims[AGS]["lineitems"]  # Moodle's rule, in the demo platform
    with app.app_context():
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        assert link.lineitem_url == known  # learned once, never cleared by a launch without it
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).first()
    instructor = person("201")
    add_module(instructor, pathway_id, "Module 3")
    deliver_all(app)
    score = latest_pathway_score(app, pathway_id)
    assert (score.score_given, score.activity_progress) == (66.7, "InProgress")
    assert step_id


def test_an_unknown_line_item_is_found_through_ags_or_created(app, person, platform):
    pathway_id, activity_id = complete_module_pathway(app, person, platform)
    with app.app_context():  # a placement whose line item the tool never learned
        db.session.execute(update(ResourceLink).values(lineitem_url=None))
        db.session.execute(delete(GradeOutbox))
        db.session.commit()
        deep_linked = db.session.scalars(select(DemoLineItem).where(
            DemoLineItem.resource_link_id == f"activity-{activity_id}")).one()
    instructor = person("201")
    add_module(instructor, pathway_id, "Module 3")
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox)).one()
        assert row.lineitem_spec["resourceLinkId"] == f"activity-{activity_id}" and "type_id=" in row.lineitem_url
    deliver_all(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DemoLineItem).where(  # found, not created again
            DemoLineItem.resource_link_id == f"activity-{activity_id}")) == 1
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        assert link.lineitem_url.split("?")[0].endswith(f"/lineitems/{deep_linked.id}")
        # Gone from Moodle: the next score finds nothing and creates the placement's item.
        db.session.execute(delete(DemoLineItem).where(DemoLineItem.resource_link_id == f"activity-{activity_id}"))
        db.session.execute(update(ResourceLink).values(lineitem_url=None))
        db.session.commit()
    add_module(instructor, pathway_id, "Module 4")
    deliver_all(app)
    with app.app_context():
        created = db.session.scalars(select(DemoLineItem).where(
            DemoLineItem.resource_link_id == f"activity-{activity_id}")).one()
        assert (created.resource_link_id, created.resource_id, created.tag) == (
            f"activity-{activity_id}", f"pathway-{pathway_id}", "parcours-hybride")
        assert db.session.scalars(select(DemoScore)).one().score_given == 50


def test_the_same_course_through_two_registrations_is_one_course_and_one_person(app, person, platform, runner):
    result = runner.invoke(args=["lti-demo", "setup", "--base-url", app.config["PUBLIC_BASE_URL"],
                                 "--second-registration"])
    assert result.exit_code == 0, result.output
    pathway_id, activity_id = complete_module_pathway(app, person, platform)
    deliver_all(app)
    client = app.test_client()
    claims, response = claims_of_launch(client, user="104", activity=activity_id, client_id="demo-client-a2")
    assert claims["aud"] == "demo-client-a2"
    # Not asked for a profile again: the same person, in the same course, on the same pathway.
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/learner/pathways/{pathway_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Platform)) == 2
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1
        assert db.session.scalar(select(func.count()).select_from(User).where(User.sub == "104")) == 1
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1
        second = db.session.scalars(select(Platform.id).where(Platform.client_id == "demo-client-a2")).one()
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        assert link.platform_id == second and "type_id=demo-client-a2" in link.lineitem_url
    # Scores for that placement go through the second registration: Moodle takes only its tokens there.
    instructor = person("201")
    add_module(instructor, pathway_id, "Module 3")
    deliver_all(app)
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).order_by(GradeOutbox.id.desc())).first()
        assert (row.state, row.platform_id, row.last_status) == ("sent", second, 200)
    # Removing the first registration keeps the site's courses and people with the second one.
    first = runner.invoke(args=["lti", "platform", "list"])
    assert first.exit_code == 0
    with app.app_context():
        first_id = db.session.scalars(select(Platform.id).where(Platform.client_id == "demo-client-a")).one()
    assert runner.invoke(args=["lti", "platform", "remove", str(first_id)]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(Course.platform_id)).one() == second
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_a_step_added_to_a_pathway_with_2000_learners_queues_2000_scores_once(app, person, platform):
    pathway_id, _ = complete_module_pathway(app, person, platform)
    deliver_all(app)
    with app.app_context():
        link = db.session.scalars(select(ResourceLink).where(ResourceLink.pathway_id == pathway_id)).one()
        steps = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).all()
        platform_id = link.platform_id
        now = utcnow()
        db.session.execute(insert(User), [{"platform_id": platform_id, "sub": f"bulk-{n}", "name": f"Bulk {n}",
                                           "created_at": now, "last_launch_at": now} for n in range(1999)])
        users = db.session.scalars(select(User.id).where(User.sub.like("bulk-%"))).all()
        db.session.execute(insert(Enrolment), [{"pathway_id": pathway_id, "user_id": uid, "profession": "infirmier",
                                                "state": "completed", "progress": 100.0, "score": 100.0,
                                                "created_at": now} for uid in users])
        enrolments = db.session.scalars(select(Enrolment.id).where(Enrolment.user_id.in_(users))).all()
        db.session.execute(insert(StepCompletion), [{"enrolment_id": e, "step_id": s, "source": "learner",
                                                     "score": 100.0, "reason": "", "completed_at": now}
                                                    for e in enrolments for s in steps])
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(GradeOutbox))
    instructor = person("201")
    add_module(instructor, pathway_id, "Module 3")
    with app.app_context():  # the request only asked: the worker does the 2,000 learners
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox)) == before
        assert db.session.scalars(select(PathwayRescore.pathway_id)).all() == [pathway_id]
        assert rescoring.process_requests() == 1
        rows = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).all()
        assert len(rows) == 2000 and len({row.user_sub for row in rows}) == 2000
        assert {row.payload["scoreGiven"] for row in rows} == {66.7}
        assert db.session.scalar(select(func.count()).select_from(PathwayRescore)) == 0
        assert db.session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.state == "in_progress")) == 2000
        # Asked again with nothing changed: nothing is queued twice.
        rescoring.request_rescore(pathway_id, "again")
        db.session.commit()
        assert rescoring.process_requests() == 1
        assert db.session.scalar(select(func.count()).select_from(GradeOutbox).where(
            GradeOutbox.state == "pending")) == 2000


def test_going_back_from_completed_lowers_the_grade_and_never_blanks_it(app, person, platform):
    pathway_id, _ = complete_module_pathway(app, person, platform)
    deliver_all(app)
    assert latest_pathway_score(app, pathway_id).score_given == 100
    instructor = person("201")
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id)).one()
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)
                                     .order_by(Step.position)).first()
    page = f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}"
    response = post(instructor, page, {"step_id": str(step_id), "action": "withdraw", "reason": "Retiré dans Moodle"},
                    page=page)
    assert response.status_code == 303, response.text
    deliver_all(app)
    score = latest_pathway_score(app, pathway_id)
    assert (score.grading_progress, score.activity_progress, score.score_given) == ("FullyGraded", "InProgress", 50)


def test_a_placement_that_cannot_receive_grades_is_said_not_hidden(app, person, platform, runner):
    pathway_id, activity_id = complete_module_pathway(app, person, platform)
    deliver_all(app)
    instructor = person("201")
    assert "Toutes les notes sont arrivées dans Moodle" in instructor.get("/instructor/grades").text
    assert runner.invoke(args=["lti", "grades", "status"]).exit_code == 0
    with app.app_context():  # the grade item is deleted in Moodle
        db.session.execute(delete(DemoLineItem))
        db.session.commit()
    add_module(instructor, pathway_id, "Module 3")
    assert deliver(app) == 1
    text = instructor.get("/instructor/grades").text
    assert "1 activité ne peut pas recevoir de notes" in text and "Toutes les notes" not in text
    assert "ne trouve plus l&#39;élément d&#39;évaluation" in text or "ne trouve plus l'élément d'évaluation" in text
    status = runner.invoke(args=["lti", "grades", "status"])
    assert status.exit_code == 1 and "lineitem_gone" in status.output
    # No grade service at all on the placement (Moodle's "accept grades" off): said too, with what to do.
    with app.app_context():
        db.session.execute(update(ResourceLink).values(lineitem_url=None, lineitems_url=None, grade_problem=""))
        db.session.execute(delete(GradeOutbox))
        db.session.commit()
    text = instructor.get("/instructor/grades").text
    assert "n'envoie aucun service de notes" in text.replace("&#39;", "'") and "Toutes les notes" not in text


def test_learners_scored_before_the_placement_are_scored_when_it_comes(app, person, platform):
    """A pathway placed by deep linking after learners progressed: they get their grade without acting again."""
    pathway_id = one_module_pathway(person("201"), "Sans placement")
    learner = person("104")
    fill_profile(learner, "infirmier")
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).one()
    assert post(learner, f"/learner/steps/{step_id}/done", {}, page=f"/learner/steps/{step_id}").status_code == 303
    activity_id = place_pathway(app, platform, pathway_id)
    LtiBrowser(app.test_client(), platform).launch_via_demo(user="201", activity=str(activity_id))  # first launch
    with app.app_context():
        assert db.session.scalars(select(PathwayRescore.reason)).all() == ["placement"]
        rescoring.process_requests()
    deliver_all(app)
    assert latest_pathway_score(app, pathway_id).score_given == 100


def test_deep_linking_names_the_activity_and_its_grade_item_after_the_pathway(app, person, platform):
    """Moodle sends the tool's name as the deep-linking title: the activity is named after what it holds."""
    from lti_tool.demo_platform.models import DemoActivity

    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": "Iatrogénie du sujet âgé"})
    pathway_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    client = app.test_client()
    LtiBrowser(client, platform).launch_via_demo(user="201", kind="deep_link")
    _, fields = parse_form(client.get("/lti/deep-link").text)  # the form as the browser submits it
    returned = client.post("/lti/deep-link", data={**fields, "target": str(pathway_id)})
    action, jwt_fields = parse_form(returned.text)
    assert client.post(path_of(action), data=jwt_fields).status_code == 200
    with app.app_context():
        activity = db.session.scalars(select(DemoActivity)).one()
        item = db.session.scalars(select(DemoLineItem).where(
            DemoLineItem.resource_link_id == f"activity-{activity.id}")).one()
        assert activity.title == item.label == "Iatrogénie du sujet âgé"


def test_reweighting_a_step_or_changing_who_needs_it_rescores_the_learners(app, person, platform):
    pathway_id, _ = complete_module_pathway(app, person, platform)  # two modules, both done by a physiotherapist
    deliver_all(app)
    instructor = person("201")
    add_module(instructor, pathway_id, "Module 3", weight="2")
    deliver_all(app)
    assert latest_pathway_score(app, pathway_id).score_given == 50  # 2 of 4 weight units
    with app.app_context():
        third = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id, Step.title == "Module 3")).one()
    # Re-weighted: 2 of 3 units.
    edit = {"kind": "module", "title": "Module 3", "weight": "1"}
    assert post(instructor, f"/instructor/steps/{third}", edit, page=f"/instructor/steps/{third}").status_code == 303
    deliver_all(app)
    assert latest_pathway_score(app, pathway_id).score_given == 66.7
    # Required only for nurses: the physiotherapist has done everything required of them.
    edit["required_for"] = ["infirmier"]
    assert post(instructor, f"/instructor/steps/{third}", edit, page=f"/instructor/steps/{third}").status_code == 303
    deliver_all(app)
    score = latest_pathway_score(app, pathway_id)
    assert (score.score_given, score.activity_progress) == (100, "Completed")


def test_a_line_item_on_another_origin_gets_no_token_and_is_said(app, person, platform):
    pathway_id, _ = complete_module_pathway(app, person, platform)
    with app.app_context():  # a claim naming another host than the registration's
        db.session.execute(update(ResourceLink).where(ResourceLink.pathway_id == pathway_id)
                           .values(lineitem_url="https://elsewhere.example.org/lineitems/1/lineitem"))
        db.session.execute(update(GradeOutbox).values(lineitem_url="https://elsewhere.example.org/lineitems/1/lineitem"))
        db.session.commit()
    deliver_all(app)
    with app.app_context():
        row = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state != "superseded")).one()
        assert (row.state, row.attempts) == ("abandoned", 1)
    text = person("201").get("/instructor/grades").text.replace("&#39;", "'")
    assert "autre adresse que le site Moodle" in text and "n'est pas sur le site Moodle" in text


def test_the_first_minute_studied_starts_the_pathway_in_moodle_too(app, person, platform):
    """A heartbeat that moves a learner from not started to in progress queues that change like any other."""
    pathway_id = one_module_pathway(person("201"), "Module seul")
    activity_id = place_pathway(app, platform, pathway_id)
    learner = person("104", activity=str(activity_id))
    fill_profile(learner, "infirmier")
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).one()
        rescoring.process_requests()
        db.session.execute(delete(GradeOutbox))
        db.session.commit()
    assert post(learner, f"/learner/steps/{step_id}/heartbeat", {}, page=f"/learner/steps/{step_id}").status_code == 200
    with app.app_context():
        state = db.session.scalars(select(Enrolment.state).where(Enrolment.pathway_id == pathway_id)).one()
        row = db.session.scalars(select(GradeOutbox)).one()
        assert state == "in_progress" and row.payload["activityProgress"] == "InProgress"


def test_a_pathway_in_no_graded_activity_is_said_with_what_to_do(app, person, platform, runner):
    pathway_id = one_module_pathway(person("201"), "Jamais placé")
    learner = person("104")
    fill_profile(learner, "infirmier")
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).one()
    assert post(learner, f"/learner/steps/{step_id}/done", {}, page=f"/learner/steps/{step_id}").status_code == 303
    text = person("201").get("/instructor/grades").text.replace("&#39;", "'")
    assert "« Jamais placé » n'est dans aucune activité notée de Moodle" in text and "Toutes les notes" not in text
    status = runner.invoke(args=["lti", "grades", "status"])
    assert "Jamais placé" in status.output and "deep linking" in status.output
