"""DPC: the programme's rules, validation and withdrawal published to their own Moodle grade item, the
certificate and the declaration file."""

from sqlalchemy import select

from lti_tool.demo_platform.models import DemoLineItem, DemoScore
from lti_tool.services import attendance
from models import Enrolment, HalfDay, LearnerProfile, Step, db
from tests.functional.test_grades import deliver, place_pathway
from tests.fixtures.timing import end_half_day, open_half_day
from tests.functional.test_pathways_flow import build_pathway, fill_profile, post, schedule


def attended_learner(app, person, platform, rpps="10101010105"):
    """A pathway placed in Moodle, a learner who answered both questionnaires and attended a certified half-day."""
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    activity_id = place_pathway(app, platform, pathway_id)
    learner = person("101", activity=str(activity_id))
    fill_profile(learner, "infirmier", rpps)
    with app.app_context():
        steps = {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway_id))}
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)
                                         .order_by(HalfDay.starts_at)).first()
    for title, answers in (("Pré-test", {"q0": "0", "q1": "1"}), ("Post-test", {"q0": "0", "q1": "0"})):
        post(learner, f"/learner/steps/{steps[title]}/answers", answers, page=f"/learner/steps/{steps[title]}")
    post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    open_half_day(app, half_day_id)
    post(learner, "/learner/checkin", {"half_day": str(half_day_id), "code": code},
         page=f"/learner/checkin?half_day={half_day_id}")
    end_half_day(app, half_day_id)  # the half-day is over: the facilitator certifies the sheet
    post(instructor, f"/instructor/halfdays/{half_day_id}/certify", {}, page=f"/instructor/halfdays/{half_day_id}/roster")
    return instructor, learner, pathway_id


def save_programme(instructor, pathway_id, **overrides):
    data = {"action_number": "12342500011", "session_number": "26.001", "type": "formation_continue",
            "required_half_days": "1", "required_online_minutes": "0", "requires_pre_post": "on",
            "minimum_participants": "1", **overrides}
    return post(instructor, f"/instructor/pathways/{pathway_id}/dpc", data, page=f"/instructor/pathways/{pathway_id}/dpc")


def test_validation_goes_to_its_own_grade_item_with_certificate_and_declaration(app, person, platform):
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    assert save_programme(instructor, pathway_id).status_code == 303
    page = instructor.get(f"/instructor/pathways/{pathway_id}/dpc")
    assert "Claire Martin" in page.text and 'value="validate"' in page.text
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(LearnerProfile, LearnerProfile.user_id == Enrolment.user_id)).one()
    decide = f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}"
    assert post(instructor, decide, {"action": "validate"}, page=f"/instructor/pathways/{pathway_id}/dpc").status_code == 303
    while deliver(app):
        pass
    with app.app_context():
        item = db.session.scalars(select(DemoLineItem).where(DemoLineItem.tag == "validation-dpc")).one()
        assert item.label == "Validation DPC — action 12342500011 / session 26.001" and item.score_maximum == 1
        score = db.session.scalars(select(DemoScore).where(DemoScore.lineitem_id == item.id)).one()
        assert score.score_given == 1 and "DPC-12342500011-26.001-" in score.comment and "26.001" in score.comment
    pdf = learner.get(f"/learner/pathways/{pathway_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Mon attestation de participation DPC (PDF)" in learner.get("/learner/").text  # on the landing page
    assert instructor.get(f"{decide}/certificate.pdf").data.startswith(b"%PDF")
    declaration = instructor.get(f"/instructor/pathways/{pathway_id}/dpc/declaration.csv").data.decode("utf-8-sig")
    lines = declaration.strip().splitlines()
    assert len(lines) == 2 and "12342500011;26.001;Martin;Claire;Infirmier;10101010105" in lines[1]

    # withdrawal: 0 with the reason, certificate no longer available
    assert post(instructor, decide, {"action": "withdraw", "reason": "émargement contesté"},
                page=f"/instructor/pathways/{pathway_id}/dpc").status_code == 303
    while deliver(app):
        pass
    with app.app_context():
        last = db.session.scalars(select(DemoScore).where(DemoScore.lineitem_id == item.id).order_by(DemoScore.id.desc())).first()
        assert last.score_given == 0 and "émargement contesté" in last.comment
        assert db.session.scalars(select(DemoLineItem).where(DemoLineItem.tag == "validation-dpc")).one().id == item.id
    assert learner.get(f"/learner/pathways/{pathway_id}/certificate.pdf").status_code == 409
    assert "Mon attestation de participation DPC" not in learner.get("/learner/").text


def test_validation_refused_when_a_rule_is_not_met(app, person, platform):
    instructor, learner, pathway_id = attended_learner(app, person, platform, rpps="")
    save_programme(instructor, pathway_id, minimum_participants="5")
    page = instructor.get(f"/instructor/pathways/{pathway_id}/dpc")
    assert "pas de numéro RPPS ni ADELI" in page.text and "trop peu de participants" in page.text
    assert ">minimum_participants<" not in page.text and "value=\"validate\"" not in page.text  # words, not codes
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(LearnerProfile, LearnerProfile.user_id == Enrolment.user_id)).one()
    response = post(instructor, f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}", {"action": "validate"},
                    page=f"/instructor/pathways/{pathway_id}/dpc")
    assert response.status_code == 409


def test_programme_form_refuses_bad_numbers_and_learners(app, person, platform):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    assert save_programme(instructor, pathway_id, action_number="!!").status_code == 422
    learner = person("102")
    assert learner.get(f"/instructor/pathways/{pathway_id}/dpc").status_code == 403


def test_evidence_pack_per_session(app, person, platform):
    import io
    import zipfile

    from models import WorkshopSession

    instructor, learner, pathway_id = attended_learner(app, person, platform)
    with app.app_context():
        session_id = db.session.scalars(select(WorkshopSession.id)).one()
    response = instructor.get(f"/instructor/sessions/{session_id}/evidence.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert any(name.startswith("emargement-") and "NON-CERTIFIEE" not in name for name in names)
    assert "temps-en-ligne.csv" in names
    results = archive.read("questionnaires.csv").decode("utf-8-sig")
    assert "Claire Martin;Pré-test;Pré-test" in results and "Claire Martin;Post-test;Post-test" in results
    assert learner.get(f"/instructor/sessions/{session_id}/evidence.zip").status_code == 403
