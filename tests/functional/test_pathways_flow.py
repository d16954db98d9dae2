"""Hybrid pathways through the real pages: an instructor builds and follows, learners take part."""
import json
import time
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lti_tool.services import attendance
from models import AttendanceMark, Booking, Enrolment, HalfDay, LearnerProfile, Pathway, Step, WorkshopSession, db
from tests.fixtures.browser import parse_form
from tests.fixtures.timing import end_half_day, open_half_day

PARIS = ZoneInfo("Europe/Paris")


def csrf(client, path):
    return parse_form(client.get(path).text)[1].get("csrf_token") or _any_csrf(client.get(path).text)


def _any_csrf(html):
    import re
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post(client, path, data, page=None):
    token = _any_csrf(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token})


def build_pathway(instructor):
    response = post(instructor, "/instructor/pathways", {"title": "Iatrogénie médicamenteuse", "organisation": "CPTS Rives de Seine"},
                    page="/instructor/")
    assert response.status_code == 303, response.text
    pathway_url = response.headers["Location"]
    pathway_id = int(pathway_url.rstrip("/").split("/")[-1])
    steps = [
        {"kind": "questionnaire", "title": "Pré-test", "questionnaire_role": "pre", "weight": "0",
         "questions_text": "Quel médicament est à risque ?\n* Les AVK\n- L'eau\n\nUn patient âgé polymédiqué ?\n* Oui à risque\n- Aucun risque"},
        {"kind": "module", "title": "MOOC iatrogénie", "content_url": "https://mooc.example.org/iatro", "minimum_minutes": "0",
         "estimated_minutes": "45", "weight": "1"},
        {"kind": "workshop", "title": "Séminaire interprofessionnel", "weight": "2"},
        {"kind": "questionnaire", "title": "Post-test", "questionnaire_role": "post", "weight": "1",
         "questions_text": "Quel médicament est à risque ?\n* Les AVK\n- L'eau\n\nUn patient âgé polymédiqué ?\n* Oui à risque\n- Aucun risque"},
    ]
    for data in steps:
        response = post(instructor, f"/instructor/pathways/{pathway_id}/steps", data, page=f"/instructor/pathways/{pathway_id}")
        assert response.status_code == 303, response.text
    publish(instructor, pathway_id)
    return pathway_id


def publish(instructor, pathway_id):
    """A new pathway is a draft: learners see it once the instructor publishes it."""
    response = post(instructor, f"/instructor/pathways/{pathway_id}/publish", {}, page=f"/instructor/pathways/{pathway_id}")
    assert response.status_code == 303, response.text


def schedule(app, instructor, pathway_id, capacity=10, facilitator_2="infirmier"):
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id, Step.kind == "workshop")).one()
    start = (datetime.now(PARIS) + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    response = post(instructor, f"/instructor/steps/{step_id}/sessions", {
        "format": "seminar", "title": "Séminaire du trimestre", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"), "capacity": str(capacity),
        "place": "Maison de santé, Mantes", "facilitator_name_1": "Dr Garnier", "facilitator_profession_1": "medecin",
        "facilitator_name_2": "M. Dubois", "facilitator_profession_2": facilitator_2}, page=f"/instructor/steps/{step_id}")
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def fill_profile(client, profession, rpps=""):
    response = post(client, "/learner/profile", {"profession": profession, "rpps": rpps})
    assert response.status_code == 303, response.text


def test_full_hybrid_pathway(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    home = instructor.get("/instructor/").text
    assert "4 étapes" in home and "0 apprenant" in home and "0 apprenants" not in home  # French plurals
    page = instructor.get(f"/instructor/sessions/{session_id}")
    assert page.status_code == 200 and "binôme" not in page.text.lower() or "pair" not in page.text
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        assert [(h.period) for h in session.half_days] == ["am", "pm"]
        half_day_ids = [h.id for h in session.half_days]

    nurse = person("101")
    assert nurse.get("/learner/").headers["Location"].endswith("/learner/profile")
    fill_profile(nurse, "infirmier", "10101010105")
    page = nurse.get(f"/learner/pathways/{pathway_id}")
    assert page.status_code == 200 and "Pré-test" in page.text and "Séminaire du trimestre" in page.text

    with app.app_context():
        steps = {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway_id))}
    # pre-test, module with time, booking
    assert post(nurse, f"/learner/steps/{steps['Pré-test']}/answers", {"q0": "0", "q1": "1"},
                page=f"/learner/steps/{steps['Pré-test']}").status_code == 303
    module_page = f"/learner/steps/{steps['MOOC iatrogénie']}"
    token = _any_csrf(nurse.get(module_page).text)
    beat = nurse.post(module_page + "/heartbeat", headers={"X-CSRFToken": token})
    assert beat.status_code == 200 and beat.get_json()["seconds"] >= 0
    assert post(nurse, module_page + "/done", {}, page=module_page).status_code == 303
    assert post(nurse, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}").status_code == 303

    # attendance: self check-in with the code shown on the roster, then the facilitator marks the afternoon
    roster = instructor.get(f"/instructor/halfdays/{half_day_ids[0]}/roster")
    assert roster.status_code == 200 and "<svg" in roster.text and "Claire Martin" in roster.text
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_ids[0])
    assert code in roster.text
    open_half_day(app, half_day_ids[0])  # the day of the seminar
    checkin = post(nurse, "/learner/checkin", {"half_day": str(half_day_ids[0]), "code": code},
                   page=f"/learner/checkin?half_day={half_day_ids[0]}&code={code}")
    assert checkin.status_code == 200 and "checked in" in checkin.text.lower() or "émargé" in checkin.text.lower() or "enregistr" in checkin.text.lower()
    with app.app_context():
        nurse_id = db.session.scalars(select(LearnerProfile.user_id).where(LearnerProfile.profession == "infirmier")).one()
    marked = post(instructor, f"/instructor/halfdays/{half_day_ids[1]}/marks", {"user_id": str(nurse_id), "status": "present"},
                  page=f"/instructor/halfdays/{half_day_ids[1]}/roster")
    assert marked.status_code == 303
    assert post(nurse, f"/learner/steps/{steps['Post-test']}/answers", {"q0": "0", "q1": "0"},
                page=f"/learner/steps/{steps['Post-test']}").status_code == 303

    with app.app_context():
        enrolment = db.session.scalars(select(Enrolment).where(Enrolment.pathway_id == pathway_id)).one()
        assert enrolment.state == "completed" and enrolment.progress == 100
        # weights: pre 0, module 1 (100), workshop 2 (100), post 1 (100) -> 100
        assert enrolment.score == 100
        marks = db.session.scalars(select(AttendanceMark).order_by(AttendanceMark.id)).all()
        assert [(m.method, m.status) for m in marks] == [("self_checkin", "present"), ("roster", "present")]

    # certify once the half-day is over, sheet (HTML and PDF), dashboard by profession with chart, CSV and JSON
    roster_page = f"/instructor/halfdays/{half_day_ids[0]}/roster"
    assert post(instructor, f"/instructor/halfdays/{half_day_ids[0]}/certify", {}, page=roster_page).status_code == 409
    end_half_day(app, half_day_ids[0])  # time passes: the half-day is over
    assert post(instructor, f"/instructor/halfdays/{half_day_ids[0]}/certify", {}, page=roster_page).status_code == 303
    with app.app_context():
        assert db.session.get(HalfDay, half_day_ids[0]).certified_at is not None
        enrolment_id = db.session.scalars(select(Enrolment.id)).one()
    detail = instructor.get(f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}")
    assert "Pré-test" in detail.text and "Gain" in detail.text
    pdf = instructor.get(f"/instructor/halfdays/{half_day_ids[0]}/sheet?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    board = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard")
    assert board.status_code == 200 and 'class="bars"' in board.text and "Infirmier" in board.text  # HTML bar chart
    csv = instructor.get(f"/instructor/pathways/{pathway_id}/export/professions.csv")
    assert csv.status_code == 200 and "infirmier;Infirmier;1;1;0;0;100,0;100,0" in csv.text
    api = instructor.get(f"/api/pathways/{pathway_id}/dashboard").get_json()
    assert api["by_profession"][0]["completed"] == 1
    assert api["sessions"][0]["attendance_rate"] == 100.0
    assert api["sessions"][0]["professions_present"] == {"Infirmier": 1}


def test_profile_refuses_a_wrong_rpps_key_in_french(person, app):
    learner = person("102")
    response = post(learner, "/learner/profile", {"profession": "medecin", "rpps": "10003456789"})
    assert response.status_code == 422
    assert "RPPS" in response.text and 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.scalars(select(LearnerProfile)).all() == []


def test_rpps_prefilled_from_moodle_idnumber(person):
    learner = person("101")
    assert 'value="10101010105"' in learner.get("/learner/profile").text


def test_learner_cannot_call_instructor_routes(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    learner = person("103")
    fill_profile(learner, "pharmacien")
    for path in ("/instructor/", f"/instructor/pathways/{pathway_id}", f"/instructor/pathways/{pathway_id}/dashboard",
                 f"/api/pathways/{pathway_id}/dashboard", f"/instructor/pathways/{pathway_id}/export/learners.csv"):
        assert learner.get(path).status_code == 403, path
    response = post(learner, f"/instructor/pathways/{pathway_id}/steps", {"kind": "module", "title": "x"}, page="/learner/profile")
    assert response.status_code == 403


def test_another_course_cannot_see_or_edit_the_pathway(person, app):
    instructor = person("201", course="11")
    pathway_id = build_pathway(instructor)
    other = person("202", course="12")
    assert other.get(f"/instructor/pathways/{pathway_id}").status_code == 404
    assert other.get(f"/api/pathways/{pathway_id}/dashboard").status_code == 404
    response = post(other, f"/instructor/pathways/{pathway_id}", {"title": "Pris"}, page="/instructor/")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Pathway, pathway_id).title == "Iatrogénie médicamenteuse"


def test_booking_a_full_session_waitlists_and_cancellation_promotes(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id, capacity=1)
    first, second = person("101"), person("104")
    fill_profile(first, "infirmier")
    fill_profile(second, "masseur_kinesitherapeute")
    post(first, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    post(second, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    assert "liste d" in second.get(f"/learner/pathways/{pathway_id}").text.lower() or "waiting list" in second.get(f"/learner/pathways/{pathway_id}").text.lower()
    post(first, f"/learner/sessions/{session_id}/cancel", {}, page=f"/learner/pathways/{pathway_id}")
    with app.app_context():
        statuses = dict(db.session.execute(select(Booking.profession, Booking.status)).all())
    assert statuses == {"infirmier": "cancelled", "masseur_kinesitherapeute": "confirmed"}


def test_booking_a_past_session_is_refused(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        session.registration_deadline = datetime.now(PARIS) - timedelta(hours=1)
        db.session.commit()
    learner = person("101")
    fill_profile(learner, "infirmier")
    assert "Inscriptions closes" in learner.get(f"/learner/pathways/{pathway_id}").text  # no button offered
    response = post(learner, f"/learner/sessions/{session_id}/book", {}, page="/learner/profile")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("code", ["000000", "forged", ""])
def test_check_in_with_a_wrong_or_expired_code(person, app, code):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    learner = person("101")
    fill_profile(learner, "infirmier")
    post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    with app.app_context():
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)).first()
    open_half_day(app, half_day_id)
    if code == "000000":  # a code of ten minutes ago: expired
        code = attendance.current_code(app.config["SECRET_KEY"], half_day_id, time.time() - 600)
    response = post(learner, "/learner/checkin", {"half_day": str(half_day_id), "code": code},
                    page=f"/learner/checkin?half_day={half_day_id}")
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text  # the form again, not a dead end
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttendanceMark)) == 0


def test_correcting_a_mark_needs_a_reason_and_keeps_history(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    learner = person("101")
    fill_profile(learner, "infirmier")
    post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    with app.app_context():
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)).first()
        user_id = db.session.scalars(select(LearnerProfile.user_id)).one()
    roster = f"/instructor/halfdays/{half_day_id}/roster"
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/marks", {"user_id": str(user_id), "status": "absent"}, page=roster).status_code == 303
    refused = post(instructor, f"/instructor/halfdays/{half_day_id}/marks", {"user_id": str(user_id), "status": "present"}, page=roster)
    assert refused.status_code == 422 and f'aria-describedby="reason-{user_id}-error"' in refused.text  # the roster again
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/marks", {"user_id": str(user_id), "status": "present", "reason": "arrivée après l'appel"}, page=roster).status_code == 303
    with app.app_context():
        assert [m.status for m in db.session.scalars(select(AttendanceMark).order_by(AttendanceMark.id))] == ["absent", "present"]


def test_pair_warning_when_not_medical_and_paramedical(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id, facilitator_2="pharmacien")
    page = instructor.get(f"/instructor/sessions/{session_id}")
    assert 'role="note"' in page.text


def test_share_export_and_import(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    exported = instructor.get(f"/instructor/pathways/{pathway_id}/share.json")
    document = json.loads(exported.data)
    assert document["format"] == "parcours-hybrides/pathway@1" and len(document["steps"]) == 4
    other = person("202", course="12")
    token = _any_csrf(other.get("/instructor/").text)
    response = other.post("/instructor/pathways/import", data={"csrf_token": token, "definition": (BytesIO(exported.data), "p.json")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        copies = db.session.scalars(select(Pathway).where(Pathway.id != pathway_id)).all()
        assert len(copies) == 1 and copies[0].published is False and len(copies[0].steps) == 4


@pytest.mark.parametrize("payload", [b"not json", b'{"title": "x", "steps": []}',
                                     b'{"title": "x", "steps": [{"kind": "spaceship", "title": "y"}]}'])
def test_malformed_import_is_422_and_changes_nothing(person, app, payload):
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways/import", data={"csrf_token": token, "definition": (BytesIO(payload), "p.json")},
                               content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pathway)) == 0


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_oversized_upload_is_413(person):
    """Werkzeug leaves the aborted upload's spool file to the garbage collector: collected here, not later."""
    import gc

    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways/import", data={"csrf_token": token, "definition": (BytesIO(b"x" * (3 * 1024 * 1024)), "p.json")},
                               content_type="multipart/form-data")
    assert response.status_code == 413
    response.close()
    del response
    gc.collect()


def test_invalid_step_form_is_422_with_field_errors(person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    response = post(instructor, f"/instructor/pathways/{pathway_id}/steps", {"kind": "questionnaire", "title": ""},
                    page=f"/instructor/pathways/{pathway_id}")
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text


def test_calendar_feed_by_signed_token(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    learner = person("101")
    fill_profile(learner, "infirmier")
    post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    import re
    feed = re.search(r"(/calendar/[^<\s]+\.ics)", learner.get("/learner/calendar").text).group(1)
    anonymous = app.test_client()
    body = anonymous.get(feed)
    assert body.status_code == 200 and "Séminaire du trimestre" in body.data.decode()
    assert anonymous.get("/calendar/forged.ics").status_code == 404
    single = learner.get(f"/learner/sessions/{session_id}.ics")
    assert single.status_code == 200 and "BEGIN:VEVENT" in single.data.decode()
    from icalendar import Calendar

    for ics in (body.data, single.data):  # the zone the times name is in the file (calendar apps need it)
        parsed = Calendar.from_ical(ics)
        zones = [zone["TZID"] for zone in parsed.walk("VTIMEZONE")]
        event = next(iter(parsed.walk("VEVENT")))
        assert zones == ["Europe/Paris"] and event["DTSTART"].params["TZID"] == "Europe/Paris"


def test_profile_csv_import_reports_each_bad_line(person, app):
    instructor = person("201")
    lti_learner = person("105")  # has launched: known by Moodle id "105"
    content = ("moodle_id;email;name;profession;rpps\n"
               "105;;Amélie Roux;sage_femme;10101010105\n"
               "900;;Nouvelle Personne;infirmier;\n"
               ";;Sans identifiant;medecin;\n"
               "901;;Mauvaise clé;medecin;10003456789\n"
               "902;;Inconnue;astronaute;\n").encode()
    token = _any_csrf(instructor.get("/instructor/profiles/import").text)
    response = instructor.post("/instructor/profiles/import", data={"csrf_token": token, "profiles": (BytesIO(content), "p.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 200
    for line in ("<td>4</td>", "<td>5</td>", "<td>6</td>"):
        assert line in response.text
    with app.app_context():
        professions = dict(db.session.execute(select(LearnerProfile.rpps, LearnerProfile.profession)).all())
    assert professions == {"10101010105": "sage_femme", "": "infirmier"}
    assert lti_learner.get("/learner/").status_code in (200, 303)


def test_profile_csv_without_the_needed_columns_is_422(person):
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/profiles/import").text)
    response = instructor.post("/instructor/profiles/import", data={"csrf_token": token, "profiles": (BytesIO(b"a;b\n1;2\n"), "p.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 422


def test_learner_cannot_import_profiles(person):
    learner = person("101")
    assert learner.get("/instructor/profiles/import").status_code == 403
