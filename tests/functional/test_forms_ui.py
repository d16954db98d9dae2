"""Forms through the real pages: a refused form comes back with what was typed, its errors in French tied to
their fields and an error summary; destructive actions ask first; extra attributes reach the browser intact."""
import re
from html.parser import HTMLParser

from sqlalchemy import select

from models import Step, WorkshopSession, db
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, post


class Elements(HTMLParser):
    """Every element's attributes by id (the way a browser would read them: entities decoded once)."""

    def __init__(self, html):
        super().__init__()
        self.by_id, self.forms = {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.by_id[attrs["id"]] = (tag, attrs)
        if tag == "form":
            self.forms.append(attrs)


def _workshop_step(app, pathway_id):
    with app.app_context():
        return db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id, Step.kind == "workshop")).one()


def test_schedule_a_session_with_invalid_fields_keeps_the_input_and_says_why(app, person):
    instructor = person("201")
    step_id = _workshop_step(app, build_pathway(instructor))
    page = f"/instructor/steps/{step_id}"
    response = post(instructor, f"{page}/sessions", {
        "format": "workshop", "title": "Atelier « gestes » d'urgence", "starts_at": "2031-03-04T14:00",
        "ends_at": "2031-03-04T09:00", "capacity": "12", "place": "Maison de santé", "quota_medecin": "4",
        "target_professions": ["infirmier", "medecin"], "facilitator_name_1": "Dr Garnier",
        "facilitator_profession_1": "medecin"}, page=page)
    assert response.status_code == 422  # was a 500: 'moodle_picker' is undefined
    html = response.text
    elements = Elements(html)
    assert elements.by_id["session-title"][1]["value"] == "Atelier « gestes » d'urgence"
    assert elements.by_id["starts_at"][1]["value"] == "2031-03-04T14:00"
    assert elements.by_id["facilitator_name_1"][1]["value"] == "Dr Garnier"
    assert "checked" in elements.by_id["target_professions-infirmier"][1]
    assert "checked" not in elements.by_id["target_professions-pharmacien"][1]
    # errors in French, tied to their fields, listed in a focusable summary
    ends = elements.by_id["ends_at"][1]
    assert ends["aria-invalid"] == "true" and "ends_at-error" in ends["aria-describedby"].split()
    assert "La fin doit être postérieure au début." in html
    assert elements.by_id["quota_medecin"][1]["value"] == "4"
    summary = elements.by_id["session-error-summary"][1]
    assert summary["tabindex"] == "-1" and "autofocus" in summary
    assert 'href="#ends_at"' in html and "Not a valid" not in html
    # a quota typed as a word: its number field says so
    response = post(instructor, f"{page}/sessions", {
        "format": "workshop", "starts_at": "2031-03-04T09:00", "ends_at": "2031-03-04T12:00", "capacity": "12",
        "place": "Maison de santé", "quota_medecin": "quatre"}, page=page)
    assert response.status_code == 422
    quota = Elements(response.text).by_id["quota_medecin"][1]
    assert quota["aria-describedby"] == "quota_medecin-error" and quota["value"] == "quatre"
    assert re.search(r'id="quota_medecin-error">Saisissez un nombre entier\.<', response.text)
    with app.app_context():
        assert db.session.scalar(select(WorkshopSession.id)) is None


def test_a_scheduled_session_says_so(app, person):
    instructor = person("201")
    step_id = _workshop_step(app, build_pathway(instructor))
    page = f"/instructor/steps/{step_id}"
    response = post(instructor, f"{page}/sessions", {
        "format": "workshop", "starts_at": "2031-03-04T09:00", "ends_at": "2031-03-04T12:00", "capacity": "12",
        "place": "Maison de santé", "quota_medecin": "4", "quota_infirmier": ""}, page=page)
    assert response.status_code == 303
    landing = instructor.get(response.headers["Location"])
    assert "Session programmée." in landing.text
    with app.app_context():
        assert db.session.scalars(select(WorkshopSession)).one().quotas == {"medecin": 4}


def test_extra_attributes_are_not_escaped_twice(person):
    learner = person("101")
    html = learner.get("/learner/profile").text
    rpps = Elements(html).by_id["rpps"][1]
    assert rpps["inputmode"] == "numeric" and rpps["autocomplete"] == "off" and rpps["maxlength"] == "14"
    assert "&#34;" not in html and "&quot;numeric" not in html


def test_destructive_actions_ask_through_an_attribute_any_quote_included(app, person):
    instructor = person("201")
    step_id = _workshop_step(app, build_pathway(instructor))
    html = instructor.get(f"/instructor/steps/{step_id}").text
    elements = Elements(html)
    delete = [form for form in elements.forms if form.get("action", "").endswith("/delete")]
    assert delete and delete[0]["data-confirm"].startswith("Supprimer cette étape et tout ce que les apprenants")
    assert "onsubmit" not in html and "onclick" not in html
    assert '/static/forms.js' in html


def test_step_editor_has_checkboxes_and_kind_blocks(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    html = instructor.get(f"/instructor/pathways/{pathway_id}").text
    elements = Elements(html)
    assert elements.by_id["required_for-medecin"][1]["type"] == "checkbox"
    assert elements.by_id["kind"][1].get("data-kind-switch") == "on"
    assert 'data-kinds="questionnaire"' in html and 'data-kinds="module"' in html
    response = post(instructor, f"/instructor/pathways/{pathway_id}/steps", {
        "kind": "questionnaire", "title": "", "required_for": ["medecin"]}, page=f"/instructor/pathways/{pathway_id}")
    assert response.status_code == 422
    elements = Elements(response.text)
    assert "checked" in elements.by_id["required_for-medecin"][1]
    assert elements.by_id["title"][1]["aria-describedby"] == "title-error"
    assert "step-error-summary" in elements.by_id
    assert "Shorter than minimum" not in response.text and "Length must be" not in response.text


def _learner_in(app, person, pathway_id, user="101", profession="infirmier"):
    from tests.functional.test_pathways_flow import fill_profile

    client = person(user)
    fill_profile(client, profession)
    client.get(f"/learner/pathways/{pathway_id}")
    return client


def _steps(app, pathway_id):
    with app.app_context():
        return {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway_id))}


def test_finishing_a_module_early_says_how_long_is_left_and_keeps_the_way_back(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    assert post(instructor, f"/instructor/pathways/{pathway_id}/steps", {
        "kind": "module", "title": "Module de 20 minutes", "minimum_minutes": "20", "weight": "1",
        "content_url": "https://mooc.example.org/m"}, page=f"/instructor/pathways/{pathway_id}").status_code == 303
    step_id = _steps(app, pathway_id)["Module de 20 minutes"]
    nurse = _learner_in(app, person, pathway_id)
    page = nurse.get(f"/learner/steps/{step_id}").text
    # the minimum sits outside #time, which each heartbeat rewrites
    assert re.search(r'<span id="minimum">minimum 20\s+min</span>', page)
    assert re.search(r"Encore 20\s+minutes avant de pouvoir", page)
    response = post(nurse, f"/learner/steps/{step_id}/done", {}, page=f"/learner/steps/{step_id}")
    assert response.status_code == 409  # was a dead-end error page
    assert re.search(r"Il faut encore environ 20\s+minutes", response.text)
    assert f'href="/learner/pathways/{pathway_id}"' in response.text and 'id="done"' in response.text


def test_partly_answered_questionnaire_comes_back_with_the_answers(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    step_id = _steps(app, pathway_id)["Pré-test"]
    nurse = _learner_in(app, person, pathway_id)
    response = post(nurse, f"/learner/steps/{step_id}/answers", {"q0": "1"}, page=f"/learner/steps/{step_id}")
    assert response.status_code == 422
    elements = Elements(response.text)
    assert elements.by_id["q1"][1]["aria-describedby"] == "q1-error" and "q0-error" not in elements.by_id
    assert re.search(r'name="q0" value="1" required checked', response.text)
    assert "Répondez à toutes les questions" in response.text


def test_a_correction_without_reason_stays_on_its_page_with_the_error(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    _learner_in(app, person, pathway_id)
    with app.app_context():
        from models import Enrolment

        enrolment_id = db.session.scalars(select(Enrolment.id)).one()
    step_id = _steps(app, pathway_id)["MOOC iatrogénie"]
    page = f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}"
    response = post(instructor, page, {"step_id": str(step_id), "reason": " ", "action": "validate"})
    assert response.status_code == 422  # was a dead-end 409 page (and a silent no-op in the browser)
    reason = Elements(response.text).by_id[f"reason-{step_id}"][1]
    assert reason["aria-invalid"] == "true" and reason["aria-describedby"] == f"reason-{step_id}-error"
    assert "Indiquez le motif" in response.text or "motif" in response.text


def test_import_errors_are_in_french_under_the_file_field(person):
    from io import BytesIO

    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways/import", data={
        "csrf_token": token, "definition": (BytesIO(b"not json at all"), "parcours.json")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "pas un parcours exporté par" in response.text and "not JSON" not in response.text
    assert Elements(response.text).by_id["definition"][1]["aria-describedby"] == "definition-error"
    response = instructor.post("/instructor/profiles/import", data={
        "csrf_token": token, "profiles": (BytesIO(b""), "")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choisissez le fichier CSV" in response.text
    assert "missing file" not in response.text


def test_error_page_has_a_way_back(person):
    instructor = person("201")
    response = instructor.get("/instructor/steps/999999", headers={"Referer": "http://localhost/instructor/"})
    assert response.status_code == 404
    assert 'href="http://localhost/instructor/"' in response.text  # back where the user came from
    assert 'href="/instructor/"' in response.text and "Tableau de bord du cours" in response.text


def test_no_template_carries_an_inline_event_handler():
    """Confirmations and print buttons go through static/forms.js (data-confirm, data-print): an inline handler
    breaks on quotes in its text and is refused by the Content-Security-Policy (script-src 'self')."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [f"{path.relative_to(root)}: {match.group(0)}" for path in root.rglob("*.html")
                 for match in re.finditer(r"\son(submit|click|change|load)\s*=", path.read_text(encoding="utf-8"))]
    assert not offenders, offenders


def test_booking_says_it_is_confirmed(app, person):
    from tests.functional.test_pathways_flow import schedule

    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    with app.app_context():
        from models import Pathway

        published = db.session.get(Pathway, pathway_id).published
    if not published:  # pathways start as drafts: publish through the page, as an instructor does
        instructor_page = f"/instructor/pathways/{pathway_id}"
        html = instructor.get(instructor_page).text
        publish = re.search(r'action="([^"]*publish[^"]*)"', html)
        assert publish, "no publish form on the pathway page"
        post(instructor, publish.group(1), {}, page=instructor_page)
    nurse = _learner_in(app, person, pathway_id)
    response = post(nurse, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    assert response.status_code == 303
    assert "Inscription confirmée." in nurse.get(response.headers["Location"]).text


def test_codes_are_shown_in_words(app, person):
    """"Terminé attendance", "#1 present (roster)": the learner detail and the sheet's history speak French."""
    from tests.functional.test_pathways_flow import schedule

    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    nurse = _learner_in(app, person, pathway_id)
    pre = _steps(app, pathway_id)["Pré-test"]
    answered = post(nurse, f"/learner/steps/{pre}/answers", {"q0": "0", "q1": "0"}, page=f"/learner/steps/{pre}")
    assert answered.status_code == 303
    post(nurse, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    with app.app_context():
        from models import Enrolment, HalfDay, LearnerProfile

        enrolment_id = db.session.scalars(select(Enrolment.id)).one()
        user_id = db.session.scalars(select(LearnerProfile.user_id)).one()
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)).first()
    detail = instructor.get(f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}").text
    assert '<span class="muted">questionnaire rempli</span>' in detail  # was the raw source code
    roster = f"/instructor/halfdays/{half_day_id}/roster"
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/marks",
                {"user_id": str(user_id), "status": "present"}, page=roster).status_code == 303
    sheet = instructor.get(f"/instructor/halfdays/{half_day_id}/sheet").text
    history = sheet[sheet.index('<ul class="no-print">'):]
    assert "Claire Martin : présent (pointé par l&#39;animateur)" in history or "Claire Martin : présent" in history
    assert f"#{user_id}" not in history and "(roster)" not in history
