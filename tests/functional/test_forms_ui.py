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
