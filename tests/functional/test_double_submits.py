"""Double clicks, resent forms and storms, as real concurrent requests: the second submit gets the first one's
result (same redirect, same page), never a 500, and one row where there must be one."""
import threading

from sqlalchemy import func, select

from lti_tool.services import attendance
from models import (
    AttendanceMark,
    AttendanceStatus,
    HalfDay,
    LearnerProfile,
    Pathway,
    QuestionnaireAttempt,
    Step,
    StepCompletion,
    db,
)
from tests.fixtures.concurrency import at_once
from tests.fixtures.timing import open_half_day
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, fill_profile, post, schedule


def race(count, call):
    """`count` submits of the same form, released together (a double click, a resent POST, a storm)."""
    barrier, responses = threading.Barrier(count), []

    def one():
        barrier.wait(timeout=10)
        responses.append(call())

    at_once(*[one] * count)
    assert len(responses) == count
    return responses


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def learner_in_pathway(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    learner = person("101")
    fill_profile(learner, "infirmier")
    with app.app_context():
        steps = {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway_id))}
    return instructor, learner, pathway_id, steps


def test_module_done_clicked_at_once_records_one_completion(app, person):
    _, learner, pathway_id, steps = learner_in_pathway(app, person)
    module = steps["MOOC iatrogénie"]
    token = _any_csrf(learner.get(f"/learner/steps/{module}").text)
    responses = race(4, lambda: learner.post(f"/learner/steps/{module}/done", data={"csrf_token": token}))
    assert [r.status_code for r in responses] == [303] * 4, [r.text[:300] for r in responses]
    assert {r.headers["Location"] for r in responses} == {f"/learner/pathways/{pathway_id}"}
    assert count(app, StepCompletion, StepCompletion.step_id == module) == 1
    # Sent again later (the browser's "resend"): still the first completion, not a new date.
    with app.app_context():
        first = db.session.scalars(select(StepCompletion.completed_at).where(StepCompletion.step_id == module)).one()
    assert learner.post(f"/learner/steps/{module}/done", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        again = db.session.scalars(select(StepCompletion.completed_at).where(StepCompletion.step_id == module)).one()
    assert again == first


def test_first_questionnaire_answer_sent_twice_at_once_is_one_attempt(app, person):
    _, learner, _, steps = learner_in_pathway(app, person)
    pre_test = steps["Pré-test"]
    token = _any_csrf(learner.get(f"/learner/steps/{pre_test}").text)
    responses = race(4, lambda: learner.post(f"/learner/steps/{pre_test}/answers",
                                             data={"csrf_token": token, "q0": "0", "q1": "0"}))
    assert [r.status_code for r in responses] == [303] * 4, [r.text[:300] for r in responses]
    assert {r.headers["Location"] for r in responses} == {f"/learner/steps/{pre_test}"}
    assert count(app, QuestionnaireAttempt, QuestionnaireAttempt.step_id == pre_test) == 1
    assert count(app, StepCompletion, StepCompletion.step_id == pre_test) == 1
    # Other answers are a new attempt (attempts are kept; the latest scores the step).
    assert post(learner, f"/learner/steps/{pre_test}/answers", {"q0": "0", "q1": "1"},
                page=f"/learner/steps/{pre_test}").status_code == 303
    assert count(app, QuestionnaireAttempt, QuestionnaireAttempt.step_id == pre_test) == 2
    with app.app_context():
        assert db.session.scalars(select(StepCompletion.score).where(StepCompletion.step_id == pre_test)).one() == 50.0


def test_first_profile_sent_twice_at_once_is_one_profile(app, person):
    learner = person("102")
    token = _any_csrf(learner.get("/learner/profile").text)
    responses = race(4, lambda: learner.post("/learner/profile", data={
        "csrf_token": token, "profession": "medecin", "rpps": "10003456786"}))
    assert [r.status_code for r in responses] == [303] * 4, [r.text[:300] for r in responses]
    assert {r.headers["Location"] for r in responses} == {"/learner/"}
    with app.app_context():
        assert db.session.scalars(select(LearnerProfile.profession)).all() == ["medecin"]


def test_check_in_storm_records_one_mark_per_learner(app, person):
    instructor, first, pathway_id, _ = learner_in_pathway(app, person)
    session_id = schedule(app, instructor, pathway_id)
    second = person("102")
    fill_profile(second, "medecin")
    learners = [first, second]
    for learner in learners:
        assert post(learner, f"/learner/sessions/{session_id}/book", {},
                    page=f"/learner/pathways/{pathway_id}").status_code == 303
    with app.app_context():
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)
                                         .order_by(HalfDay.starts_at)).first()
    open_half_day(app, half_day_id)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    tokens = [_any_csrf(learner.get(f"/learner/checkin?half_day={half_day_id}").text) for learner in learners]
    calls = list(zip(learners, tokens, strict=True)) * 3
    submitted = iter(calls)
    lock = threading.Lock()

    def submit():
        with lock:
            learner, token = next(submitted)
        return learner.post("/learner/checkin", data={"csrf_token": token, "half_day": str(half_day_id),
                                                       "code": code})

    responses = race(len(calls), submit)
    assert [r.status_code for r in responses] == [200] * len(calls), [r.text[:300] for r in responses]
    assert all("Votre présence est enregistrée" in r.text for r in responses)
    assert count(app, AttendanceMark, AttendanceMark.half_day_id == half_day_id) == 2
    assert count(app, AttendanceStatus, AttendanceStatus.half_day_id == half_day_id) == 2


def test_creating_a_pathway_twice_from_one_form_creates_one(app, person):
    instructor = person("201")
    page = instructor.get("/instructor/").text
    token = _any_csrf(page)
    form_token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {"csrf_token": token, "form_token": form_token, "title": "Parcours BPCO", "organisation": "CPTS Nord"}
    responses = race(3, lambda: instructor.post("/instructor/pathways", data=data))
    assert [r.status_code for r in responses] == [303] * 3, [r.text[:300] for r in responses]
    locations = {r.headers["Location"] for r in responses}
    assert len(locations) == 1 and count(app, Pathway) == 1
    again = instructor.post("/instructor/pathways", data=data)  # the browser resends the POST later
    assert again.status_code == 303 and again.headers["Location"] in locations and count(app, Pathway) == 1
    # A new form (a new render) is a new pathway, even with the same title.
    assert post(instructor, "/instructor/pathways", {"title": "Parcours BPCO", "organisation": "CPTS Nord",
                                                     "form_token": _form_token(instructor)},
                page="/instructor/").status_code == 303
    assert count(app, Pathway) == 2


def _form_token(client):
    return client.get("/instructor/").text.split('name="form_token" value="')[1].split('"')[0]


def test_two_forms_naming_a_new_organisation_at_once_make_two_pathways_of_one_organisation(app, person):
    from models import Organisation

    instructor = person("201")
    tokens = [_form_token(instructor) for _ in range(3)]
    csrf = _any_csrf(instructor.get("/instructor/").text)
    sent = iter(tokens)
    lock = threading.Lock()

    def create():
        with lock:
            token = next(sent)
        return instructor.post("/instructor/pathways", data={"csrf_token": csrf, "form_token": token,
                                                              "title": "Parcours", "organisation": "CPTS Neuve"})

    responses = race(3, create)
    assert [r.status_code for r in responses] == [303] * 3, [r.text[:300] for r in responses]
    assert count(app, Pathway) == 3 and count(app, Organisation) == 1
