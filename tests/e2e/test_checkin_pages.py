"""The check-in pages a learner meets after wrong codes (the form again, then the pause) and the roster that
shows the facilitator the attempts: axe at desktop and phone sizes, the focus on the field, a way on."""
import re

import pytest
from sqlalchemy import delete

from lti_tool.services import attendance
from models import CheckinAttempt, db
from tests.e2e.test_accessibility import _contexts, browser, demo, shots  # noqa: F401 (fixtures)
from tests.e2e.test_browser import launch_from_demo
from tests.fixtures.browser import check_page

pytestmark = pytest.mark.e2e


def test_wrong_codes_then_the_pause_then_the_roster(browser, app, demo, shots):  # noqa: F811
    code = attendance.current_code(app.config["SECRET_KEY"], demo["half_day"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    problems = []
    for size, context in _contexts(browser, app):
        with app.app_context():  # each size starts with no wrong code
            db.session.execute(delete(CheckinAttempt))
            db.session.commit()
        page = context.new_page()
        launch_from_demo(page, "106", course="11")
        page.wait_for_url(re.compile(r".*/learner/.*"))
        page.goto(f"/learner/checkin?half_day={demo['half_day']}")
        page.fill("#code", wrong)
        page.click("form button[type=submit]")
        page.wait_for_selector("#code-error")
        # typing again at once: the deferred script focuses the field (waited for, on a slow machine)
        page.wait_for_function("document.activeElement && document.activeElement.id === 'code'", timeout=5000)
        assert page.locator("#code").get_attribute("aria-describedby") == "code-error"
        assert "Encore 4 essais" in page.locator("#code-error").inner_text()
        problems += check_page(page, f"learner-checkin-wrong-code-{size}", shots)
        for _ in range(4):
            page.fill("#code", wrong)
            page.click("form button[type=submit]")
            page.wait_for_load_state()
        page.wait_for_selector("#checkin-locked")
        assert page.get_by_role("link", name="Retour à mon parcours").count() + \
            page.get_by_role("link", name="Mes parcours").count() >= 1
        problems += check_page(page, f"learner-checkin-paused-{size}", shots)

        facilitator = context.new_page()
        launch_from_demo(facilitator, "201", course="11")
        facilitator.wait_for_url("**/instructor/")
        facilitator.goto(f"/instructor/halfdays/{demo['half_day']}/roster")
        assert "5 codes d'émargement erronés saisis" in facilitator.locator("#checkin-attempts").inner_text()
        problems += check_page(facilitator, f"instructor-roster-attempts-{size}", shots)
    assert not problems, "\n".join(problems)
