"""axe-core on every page of the tool, as each persona meets it, in headless Chromium at desktop (1280×800) and
phone (390×844) sizes: no serious or critical violation, no horizontal scrolling; failed submits move the focus
to an error summary. Screenshots go to $E2E_SCREENSHOTS (a folder) when it is set, to look at them."""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Enrolment, HalfDay, Pathway, Step, WorkshopSession, db, utcnow
from tests.e2e.test_browser import browser, launch_from_demo  # noqa: F401 (the shared Chromium)
from tests.fixtures.browser import VIEWPORTS, check_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ["E2E_SCREENSHOTS"]) if os.environ.get("E2E_SCREENSHOTS") else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def demo(app, platform, runner):
    assert runner.invoke(args=["lti-demo", "seed"]).exit_code == 0
    with app.app_context():
        pathway = db.session.scalars(select(Pathway).where(Pathway.title.like("Prévenir l'iatrogénie%"))).one()
        steps = {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway.id))}
        workshop = next(s for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway.id))
                        if s.kind == "workshop")
        session = db.session.scalars(select(WorkshopSession)
                                     .where(WorkshopSession.title == "Séminaire d'automne")).one()
        half_day = db.session.scalars(select(HalfDay).where(HalfDay.session_id == session.id)
                                      .order_by(HalfDay.starts_at)).first()
        return {"pathway": pathway.id, "steps": steps, "workshop": workshop.id, "session": session.id,
                "half_day": half_day.id}


def _contexts(browser, app):
    for size, viewport in VIEWPORTS.items():
        context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], viewport=viewport, locale="fr-FR")
        yield size, context
        context.close()


def _visit(page, path, name, shots, problems, expect_status=(200,)):
    response = page.goto(path)
    assert response.status in expect_status, f"{path}: HTTP {response.status}"
    problems += check_page(page, name, shots)


def test_every_learner_page_is_accessible_at_both_sizes(browser, app, demo, shots):
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        launch_from_demo(page, "106", course="11")
        page.wait_for_url(re.compile(r".*/learner/.*"))
        _visit(page, "/learner/profile", f"learner-profile-{size}", shots, problems)
        page.fill("#rpps", "123")  # wrong RPPS: the page comes back with its errors
        page.select_option("#profession", "assistant_social")
        page.click("form button[type=submit]")
        page.wait_for_selector("#error-summary, .alert")
        focused = page.evaluate("document.activeElement && (document.activeElement.id"
                                " || document.activeElement.className)")
        problems += check_page(page, f"learner-profile-errors-{size}", shots)
        rpps = page.locator("#rpps")
        assert rpps.get_attribute("aria-invalid") == "true" and "rpps-error" in rpps.get_attribute("aria-describedby")
        assert focused and "error" in focused, f"focus after a failed submit: {focused!r}"
        page.fill("#rpps", "")
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r".*/learner/(pathways/\d+)?$"))
        for name, path in (
            ("learner-home", "/learner/"),  # where a launch lands: the course's only pathway
            ("learner-pathway", f"/learner/pathways/{demo['pathway']}"),
            ("learner-module", f"/learner/steps/{demo['steps']['MOOC : iatrogénie et sujet âgé']}"),
            ("learner-questionnaire", f"/learner/steps/{demo['steps']['Pré-test : vos repères']}"),
            ("learner-calendar", "/learner/calendar"),
            ("learner-checkin", f"/learner/checkin?half_day={demo['half_day']}"),
        ):
            _visit(page, path, f"{name}-{size}", shots, problems)
        # a partly answered questionnaire: the page again, the answers kept, focus on the summary
        page.goto(f"/learner/steps/{demo['steps']['Pré-test : vos repères']}")
        page.locator("input[name=q0]").first.check()
        page.get_by_role("button", name="Envoyer mes réponses").click()
        page.wait_for_selector("#error-summary")
        assert page.locator("input[name=q0]").first.is_checked()
        assert page.evaluate("document.activeElement.id") == "error-summary"
        problems += check_page(page, f"learner-questionnaire-errors-{size}", shots)
        _visit(page, "/learner/steps/999999", f"error-404-{size}", shots, problems, expect_status=(404,))
        assert page.get_by_role("link", name="Mon parcours").count() >= 1  # never a dead end
    assert not problems, "\n".join(problems)


def test_every_instructor_page_is_accessible_at_both_sizes(browser, app, demo, shots):
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        launch_from_demo(page, "201", course="11")
        page.wait_for_url("**/instructor/")
        problems += check_page(page, f"instructor-home-{size}", shots)
        with app.app_context():
            enrolment_id = db.session.scalars(select(Enrolment.id)
                                              .where(Enrolment.pathway_id == demo["pathway"])).first()
        for name, path in (
            ("instructor-pathway", f"/instructor/pathways/{demo['pathway']}"),
            ("instructor-step-workshop", f"/instructor/steps/{demo['workshop']}"),
            ("instructor-session", f"/instructor/sessions/{demo['session']}"),
            ("instructor-roster", f"/instructor/halfdays/{demo['half_day']}/roster"),
            ("instructor-sheet", f"/instructor/halfdays/{demo['half_day']}/sheet"),
            ("instructor-dashboard", f"/instructor/pathways/{demo['pathway']}/dashboard"),
            ("instructor-dashboard-search", f"/instructor/pathways/{demo['pathway']}/dashboard?q=martin"),
            ("instructor-dpc", f"/instructor/pathways/{demo['pathway']}/dpc"),
            ("instructor-learner", f"/instructor/pathways/{demo['pathway']}/learners/{enrolment_id}"),
            ("instructor-import-profiles", "/instructor/profiles/import"),
            ("instructor-grades", "/instructor/grades"),
            ("instructor-moodle", "/instructor/moodle"),
            ("instructor-roster-sync", "/instructor/roster"),
        ):
            _visit(page, path, f"{name}-{size}", shots, problems)
        # "Programmer une session" with the end before the start: the form again, typed values kept
        page.goto(f"/instructor/steps/{demo['workshop']}")
        start = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT14:00")
        page.fill("#starts_at", start)
        page.fill("#ends_at", start.replace("T14:00", "T09:00"))
        page.fill("#place", "Maison de santé « Les Tilleuls »")
        page.get_by_role("button", name="Programmer").click()
        page.wait_for_selector("#session-error-summary")
        assert page.locator("#place").input_value() == "Maison de santé « Les Tilleuls »"
        assert page.evaluate("document.activeElement.id") == "session-error-summary"
        problems += check_page(page, f"instructor-session-errors-{size}", shots)
        # the step editor shows only the chosen kind's fields (script), the rest stays in the page
        page.goto(f"/instructor/pathways/{demo['pathway']}")
        page.select_option("#kind", "questionnaire")
        builder = page.locator("#add-step .question-builder")  # the questions, built in the page
        assert builder.is_visible() and not page.locator("#content_url").is_visible()
        page.select_option("#kind", "module")
        assert page.locator("#content_url").is_visible() and not builder.is_visible()
    assert not problems, "\n".join(problems)


def test_destructive_actions_ask_first_whatever_the_quotes(browser, app, demo):
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], locale="fr-FR")
    page = context.new_page()
    launch_from_demo(page, "201", course="11")
    page.wait_for_url("**/instructor/")
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == demo["pathway"],
                                                           Step.kind == "module")).first()
    page.goto(f"/instructor/steps/{step_id}")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Supprimer cette étape").click()
    page.wait_for_timeout(300)
    assert asked and "apprenants" in asked[0]
    assert page.url.endswith(f"/instructor/steps/{step_id}")  # dismissed: nothing deleted
    with app.app_context():
        assert db.session.get(Step, step_id) is not None
    context.close()


def test_admin_pages_are_accessible(browser, app, platform, runner, shots):
    token = runner.invoke(args=["lti", "admin-token", "create", "--label", "a11y"]).output.strip()
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        _visit(page, "/admin/login", f"admin-login-{size}", shots, problems)
        page.fill("#token", token)
        page.get_by_role("button").first.click()
        page.wait_for_load_state()
        problems += check_page(page, f"admin-registrations-{size}", shots)
    assert not problems, "\n".join(problems)


def test_removing_the_moodle_token_asks_first(browser, app, platform, runner):
    """"Retirer le jeton" acted at once (the question's quotes broke its inline handler): now it asks, and a
    "no" keeps the token."""
    from models import MoodleConnection

    token = runner.invoke(args=["lti", "admin-token", "create", "--label", "confirm"]).output.strip()
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], locale="fr-FR")
    page = context.new_page()
    page.goto("/admin/login")
    page.fill("#token", token)
    page.get_by_role("button").first.click()
    page.wait_for_load_state()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Retirer le jeton").first.click()
    page.wait_for_timeout(300)
    assert asked and "jeton" in asked[0]
    with app.app_context():
        assert db.session.scalar(select(MoodleConnection.id)) is not None  # "no": nothing removed
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retirer le jeton").first.click()
    page.wait_for_load_state()
    page.wait_for_timeout(300)
    with app.app_context():
        db.session.expire_all()
        assert db.session.scalar(select(MoodleConnection.id)) is None
    context.close()
