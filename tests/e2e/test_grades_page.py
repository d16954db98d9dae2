"""The instructor's grades page in Chromium, at desktop and phone sizes: a placement that cannot receive grades is
said with what to do, never hidden behind "every score has reached Moodle"."""
import os

import pytest
from sqlalchemy import delete

from lti_tool.demo_platform.models import DemoLineItem
from models import db
from tests.e2e.test_browser import browser, launch_from_demo  # noqa: F401
from tests.functional.test_grades import complete_module_pathway, deliver
from tests.functional.test_pathways_flow import post

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_grades_page_shows_a_placement_that_cannot_receive_grades(browser, app, person, platform, size, tmp_path):  # noqa: F811
    pathway_id, _ = complete_module_pathway(app, person, platform)
    while deliver(app):
        pass
    with app.app_context():  # the teacher deletes the grade item in Moodle
        db.session.execute(delete(DemoLineItem))
        db.session.commit()
    instructor = person("201")
    page_url = f"/instructor/pathways/{pathway_id}"
    post(instructor, f"{page_url}/steps", {"kind": "module", "title": "Module 3", "weight": "1"}, page=page_url)
    deliver(app)
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], locale="fr-FR",
                                  viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    launch_from_demo(page, "201")
    page.wait_for_url("**/instructor/")
    page.goto("/instructor/grades")
    heading = page.get_by_role("heading", name="1 activité ne peut pas recevoir de notes")
    assert heading.is_visible()
    assert "Toutes les notes sont arrivées" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    folder = os.environ.get("SCREENSHOTS_DIR") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, f"grades-{size[0]}.png"), full_page=True)
    assert "66,7" in page.content()  # French numbers
    # The demo platform's grader report: one row per person, one column per grade item.
    page.goto("/demo/grades")
    assert page.get_by_role("heading", name="Rapport de l'évaluateur — cours 11 · site moodle-a").is_visible()
    page.screenshot(path=os.path.join(folder, f"demo-grades-{size[0]}.png"), full_page=True)
    context.close()
