"""End to end in headless Chromium (Debian's /usr/bin/chromium): a newcomer launches from the demo platform."""
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` (make test and .ci/run do it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests
        pytest.skip(message)  # a developer machine without root: everything else still runs
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app, platform):
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], locale="fr-FR")
    yield context.new_page()
    context.close()


def launch_from_demo(page, user, course="11"):
    page.goto("/demo/")
    page.select_option("#user", user)
    page.select_option("#course", course)
    page.get_by_role("button", name="Lancer l'outil").click()


def fill_profile(page, profession="infirmier"):
    page.wait_for_url("**/learner/profile")
    page.select_option("#profession", profession)
    page.click("form button[type=submit]")


def test_learner_and_instructor_launch_in_a_browser(page, tmp_path):
    launch_from_demo(page, "101")
    fill_profile(page)
    page.wait_for_url("**/learner/")
    assert "Bienvenue, Claire" in page.content()
    page.screenshot(path=str(tmp_path / "learner.png"))

    launch_from_demo(page, "201", course="12")
    page.wait_for_url("**/instructor/")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord du cours"


def test_launch_inside_an_iframe_like_moodle(page):
    """In a frame the login first checks that cookies work, then carries on (lti1p3_new_window=1)."""
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto("/demo/")
    page.select_option("#user", "105")
    page.check("#embed")
    page.get_by_role("button", name="Lancer l'outil").click()
    frame = page.frame_locator("#tool-frame")
    frame.locator("#profession").select_option("sage_femme")
    frame.locator("form button[type=submit]").click()
    frame.get_by_text("Bienvenue, Amélie").wait_for(timeout=10000)
    assert any("/lti/login?" in url and "lti1p3_new_window=1" in url for url in seen), seen


def test_learner_page_fits_a_phone_screen(browser, app, platform):
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], viewport={"width": 375, "height": 700},
                                  locale="fr-FR")
    page = context.new_page()
    launch_from_demo(page, "103")
    fill_profile(page, "pharmacien")
    page.wait_for_url("**/learner/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert scroll_width <= 375


def test_phone_booking_roster_and_check_in(browser, app, platform, runner):
    """On phone-sized screens: a learner books the winter seminar; the facilitator opens the roster; the
    learner checks in with the code shown; the roster shows her present."""
    from sqlalchemy import select

    from lti_tool.services import attendance
    from models import HalfDay, WorkshopSession, db

    assert runner.invoke(args=["lti-demo", "seed"]).exit_code == 0
    phone = {"width": 375, "height": 740}
    learner = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], viewport=phone, locale="fr-FR").new_page()
    launch_from_demo(learner, "105", course="11")
    learner.wait_for_url("**/learner/")  # the course's only pathway, on the page the launch lands on
    seminar = learner.locator("div.card", has_text="Séminaire d'hiver")
    seminar.get_by_role("button", name="S'inscrire").click()
    learner.get_by_text("Inscrite").or_(learner.get_by_text("Inscrit")).first.wait_for()
    assert learner.evaluate("document.documentElement.scrollWidth") <= 375

    with app.app_context():
        session = db.session.scalars(select(WorkshopSession).where(WorkshopSession.title == "Séminaire d'hiver")).one()
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session.id)
                                         .order_by(HalfDay.starts_at)).first()
    facilitator = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], viewport=phone, locale="fr-FR").new_page()
    launch_from_demo(facilitator, "201", course="11")
    facilitator.wait_for_url("**/instructor/")
    facilitator.goto(f"/instructor/halfdays/{half_day_id}/roster")
    assert facilitator.locator("svg").count() >= 1  # the QR code
    code = facilitator.locator(".code").inner_text().strip()
    assert code == attendance.current_code(app.config["SECRET_KEY"], half_day_id) or len(code) == 6
    assert facilitator.evaluate("document.documentElement.scrollWidth") <= 375

    from tests.fixtures.timing import open_half_day

    open_half_day(app, half_day_id)  # the seminar's morning has come
    learner.goto(f"/learner/checkin?half_day={half_day_id}&code={code}")
    learner.get_by_role("button", name="Émarger").click()
    learner.get_by_role("status").wait_for()
    facilitator.reload()
    row = facilitator.locator("li", has_text="Amélie Roux")
    assert row.locator("button[aria-pressed=true]").inner_text().strip() in ("Présent", "Présente", "En retard")


def test_pathway_page_reads_moodle_in_the_background_and_shows_the_activity_done(page, app, person, client):
    """The page shows at once; its script asks the tool to read Moodle, and reloads when something changed."""
    from tests.functional.test_moodle_activities import H5P, _demo_complete, _link
    from tests.functional.test_pathways_flow import build_pathway

    instructor = person("201")
    pathway_id = build_pathway(instructor)
    assert _link(instructor, pathway_id, H5P, "Cas cliniques (Moodle)").status_code == 303
    launch_from_demo(page, "101")
    fill_profile(page)
    page.goto(f"/learner/pathways/{pathway_id}")
    status = page.locator("#moodle-sync-status")
    status.get_by_text("lues le").wait_for(timeout=10000)  # read, nothing done yet
    step = page.locator("li", has_text="Cas cliniques (Moodle)")
    assert "À faire" in step.inner_text()
    _demo_complete(client, H5P)
    app.config["MOODLE_LEARNER_FRESH_SECONDS"] = 0
    try:
        page.reload()
        step.get_by_text("Terminé").wait_for(timeout=10000)  # the script's reload after Moodle's answer
    finally:
        app.config["MOODLE_LEARNER_FRESH_SECONDS"] = 120
    assert "Dans Moodle" in step.inner_text()
