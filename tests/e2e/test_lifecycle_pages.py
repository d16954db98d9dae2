"""The lifecycle pages in headless Chromium at desktop and phone sizes, with axe-core: confirmation pages (archive,
delete refused, cancel a session, an administrator's reopening), the session edit and duplicate forms (and a
failed submit), the learner's banner after a waitlist promotion."""
import pytest
from sqlalchemy import select

from lti_tool.services import profiles, workshops
from models import Booking, BookingNotice, LearnerProfile, User, WorkshopSession, db
from tests.e2e.test_accessibility import _contexts, _visit, browser, demo, shots  # noqa: F401 (fixtures)
from tests.e2e.test_browser import launch_from_demo
from tests.fixtures.browser import check_page

pytestmark = pytest.mark.e2e


def _winter_session(app) -> int:
    with app.app_context():
        return db.session.scalars(select(WorkshopSession.id).where(WorkshopSession.title == "Séminaire d'hiver")).one()


def test_lifecycle_pages_of_the_instructor_are_accessible(browser, app, demo, shots):
    winter = _winter_session(app)
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        launch_from_demo(page, "201", course="11")
        page.wait_for_url("**/instructor/")
        for name, path, status in (
            ("lifecycle-pathway", f"/instructor/pathways/{demo['pathway']}", 200),
            ("lifecycle-archive", f"/instructor/pathways/{demo['pathway']}/archive", 200),
            ("lifecycle-delete-refused", f"/instructor/pathways/{demo['pathway']}/delete", 409),
            ("lifecycle-session", f"/instructor/sessions/{winter}", 200),
            ("lifecycle-session-duplicate", f"/instructor/sessions/{winter}/duplicate", 200),
            ("lifecycle-session-cancel", f"/instructor/sessions/{winter}/cancel", 200),
        ):
            _visit(page, path, f"{name}-{size}", shots, problems, expect_status=(status,))
        assert page.get_by_role("link", name="Retour").count() == 1  # a way back from every confirmation
        # the edit form: the end before the start comes back with the typed place and the focus on the summary
        page.goto(f"/instructor/sessions/{winter}/edit")
        problems += check_page(page, f"lifecycle-session-edit-{size}", shots)
        start = page.locator("#starts_at").input_value()
        page.fill("#ends_at", start.replace("T09:00", "T08:00"))
        page.fill("#place", "Salle « Les Tilleuls »")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_selector("#session-error-summary")
        assert page.locator("#place").input_value() == "Salle « Les Tilleuls »"
        assert page.evaluate("document.activeElement.id") == "session-error-summary"
        problems += check_page(page, f"lifecycle-session-edit-errors-{size}", shots)
    assert not problems, "\n".join(problems)


def test_the_reopening_page_of_an_administrator_is_accessible(browser, app, demo, shots):
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        launch_from_demo(page, "2", course="11")
        page.wait_for_url("**/instructor/")
        _visit(page, f"/instructor/halfdays/{demo['half_day']}/reopen", f"lifecycle-reopen-{size}", shots, problems)
        page.get_by_role("button", name="Rouvrir la feuille").click()  # no reason: the page again, the error tied
        page.wait_for_selector("#reason-error")
        assert page.locator("#reason").get_attribute("aria-invalid") == "true"
        problems += check_page(page, f"lifecycle-reopen-errors-{size}", shots)
    assert not problems, "\n".join(problems)


def test_the_promotion_banner_is_accessible(browser, app, demo, shots):
    winter = _winter_session(app)
    with app.app_context():
        learner = db.session.scalars(select(User).where(User.sub == "101")).one()
        if db.session.get(LearnerProfile, learner.id) is None:
            profiles.save_profile(learner, {"profession": "infirmier"})
        booking = db.session.scalars(select(Booking).where(Booking.user_id == learner.id,
                                                           Booking.session_id == winter)).first()
        if booking is None:
            booking = workshops.book(db.session.get(WorkshopSession, winter), learner)
        db.session.commit()
        learner_id, booking_id = learner.id, booking.id
    problems = []
    for size, context in _contexts(browser, app):
        page = context.new_page()
        launch_from_demo(page, "101", course="11")
        page.wait_for_load_state()
        with app.app_context():  # promoted while away
            db.session.add(BookingNotice(booking_id=booking_id, user_id=learner_id, session_id=winter,
                                         kind=BookingNotice.PROMOTED))
            db.session.commit()
        page.goto(f"/learner/pathways/{demo['pathway']}")
        assert page.get_by_role("status").filter(has_text="Une place s'est libérée").count() == 1
        problems += check_page(page, f"lifecycle-learner-banner-{size}", shots)
        page.reload()
        assert page.get_by_role("status").filter(has_text="Une place s'est libérée").count() == 0  # seen
    assert not problems, "\n".join(problems)
