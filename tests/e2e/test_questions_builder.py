"""Questions built in the page (issue 13): the instructor adds a questionnaire's questions and choices with
buttons, ticks the right answer, and the step holds them; axe finds no serious violation on the builder, at
desktop and phone sizes. Without script the same form takes the questions as text (tested elsewhere)."""
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Step, db
from tests.e2e.test_browser import browser, launch_from_demo  # noqa: F401
from tests.fixtures.browser import VIEWPORTS, check_page
from tests.functional.test_pathways_flow import _any_csrf

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_instructor_builds_a_questionnaire_in_the_page(browser, app, person, platform, size):  # noqa: F811
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": "Pré-test en ligne"})
    pathway_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], locale="fr-FR", viewport=VIEWPORTS[size])
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: errors.append(response.url) if response.status == 404 else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    launch_from_demo(page, "201")
    page.wait_for_url("**/instructor/")
    page.goto(f"/instructor/pathways/{pathway_id}")
    form = page.locator("#add-step")
    form.locator("select[name=kind]").select_option("questionnaire")
    form.locator("input[name=title]").fill("Vos repères")
    assert not form.locator("textarea[name=questions_text]").is_visible(), errors  # the builder replaces it
    for prompt, choices, right in (("Quel médicament est à risque ?", ["L'eau", "Les AVK"], 1),
                                   ("Un patient âgé polymédiqué ?", ["Oui, à risque", "Aucun risque"], 0)):
        form.get_by_role("button", name="Ajouter une question").click()
        box = form.locator("fieldset.question").last
        box.get_by_label("Intitulé de la question").fill(prompt)
        for position, choice in enumerate(choices):
            box.get_by_label(f"Choix {position + 1}", exact=True).fill(choice)
        box.locator("input[type=radio]").nth(right).check()
    problems = check_page(page, f"questions-builder-{size}",
                          Path(os.environ["E2E_SCREENSHOTS"]) if os.environ.get("E2E_SCREENSHOTS") else None)
    assert problems == []
    if os.environ.get("E2E_SCREENSHOTS"):
        form.locator(".question-builder").screenshot(
            path=str(Path(os.environ["E2E_SCREENSHOTS"]) / f"questions-builder-{size}-detail.png"))
    form.get_by_role("button", name="Ajouter l'étape").click()
    assert errors == []
    page.wait_for_url(f"**/instructor/pathways/{pathway_id}*")
    context.close()
    with app.app_context():
        step = db.session.scalars(select(Step).where(Step.pathway_id == pathway_id)).one()
        assert (step.kind, step.questions) == ("questionnaire", [
            {"prompt": "Quel médicament est à risque ?", "choices": ["L'eau", "Les AVK"], "answer": 1, "points": 1},
            {"prompt": "Un patient âgé polymédiqué ?", "choices": ["Oui, à risque", "Aucun risque"], "answer": 0,
             "points": 1}])
