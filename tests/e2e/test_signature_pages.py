"""Signing the attendance sheet in a real browser at phone size (390×844): the learner checks in, draws their
signature on the canvas with the mouse (pointer events), "Effacer" clears it, the drawing is stored; the
facilitator signs and certifies on the sheet page. axe: no serious or critical violation on these pages."""
import re

import pytest
from sqlalchemy import select

from lti_tool.services import attendance
from models import AttendanceMark, AttendanceSignature, AttendanceStatus, Booking, HalfDay, User, db
from tests.e2e.test_accessibility import browser, demo, shots  # noqa: F401 (fixtures)
from tests.e2e.test_browser import launch_from_demo
from tests.fixtures.browser import VIEWPORTS, check_page
from tests.fixtures.timing import end_half_day, open_half_day

pytestmark = pytest.mark.e2e
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
         "Mobile Safari/537.36")


def _reopened_and_booked(app, half_day_id, sub="106"):
    """The demo's autumn sheet, reopened and happening now, with the learner booked and not yet marked."""
    with app.app_context():
        half = db.session.get(HalfDay, half_day_id)
        half.certified_at = half.certified_by_user_id = None
        user = db.session.scalars(select(User).where(User.sub == sub)).one()
        db.session.execute(AttendanceStatus.__table__.delete().where(AttendanceStatus.half_day_id == half_day_id,
                                                                     AttendanceStatus.user_id == user.id))
        db.session.execute(AttendanceMark.__table__.delete().where(AttendanceMark.half_day_id == half_day_id,
                                                                   AttendanceMark.user_id == user.id))
        if db.session.scalar(select(Booking.id).where(Booking.session_id == half.session_id,
                                                      Booking.user_id == user.id)) is None:
            db.session.add(Booking(session_id=half.session_id, user_id=user.id, profession="assistant_social",
                                   status=Booking.CONFIRMED))
        db.session.commit()
    open_half_day(app, half_day_id)


def _draw(page, selector, strokes):
    page.locator(selector).scroll_into_view_if_needed()  # the mouse moves in the window's coordinates
    box = page.locator(selector).bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
        page.mouse.up()


def test_a_learner_signs_on_a_phone_and_the_facilitator_signs_and_certifies(browser, app, demo, shots):  # noqa: F811
    half_day_id = demo["half_day"]
    context = browser.new_context(base_url=app.config["PUBLIC_BASE_URL"], viewport=VIEWPORTS["phone"],
                                  locale="fr-FR", has_touch=True, is_mobile=True, user_agent=PHONE)
    problems = []
    page = context.new_page()
    launch_from_demo(page, "106", course="11")
    page.wait_for_url(re.compile(r".*/learner/.*"))
    _reopened_and_booked(app, half_day_id)
    page.goto(f"/learner/checkin?half_day={half_day_id}")
    page.fill("#code", attendance.current_code(app.config["SECRET_KEY"], half_day_id))
    page.click("form button[type=submit]")
    page.wait_for_selector("#signature-pad")
    assert "Votre présence est enregistrée" in page.content()
    problems += check_page(page, "learner-checkin-sign-phone", shots)

    # a stroke, then "Effacer": the field is empty again; then the real signature
    _draw(page, "#signature-pad", [[(20, 60), (120, 30)]])
    assert page.locator("[data-signature-value]").input_value().startswith("data:image/png;base64,")
    page.get_by_role("button", name="Effacer").click()
    assert page.locator("[data-signature-value]").input_value() == ""
    _draw(page, "#signature-pad", [[(20, 120), (80, 40), (140, 130), (220, 50), (300, 110)], [(60, 150), (280, 150)]])
    page.get_by_role("button", name="Enregistrer ma signature").click()
    page.wait_for_selector("#my-signature img")
    assert "Votre signature est enregistrée" in page.content()
    problems += check_page(page, "learner-signature-phone", shots)
    with app.app_context():
        drawn = db.session.scalars(select(AttendanceSignature).where(AttendanceSignature.method == "drawn")).one()
        checkin = db.session.scalars(select(AttendanceSignature).where(AttendanceSignature.method == "checkin")).one()
        assert drawn.image.startswith(b"\x89PNG") and len(drawn.image) > 1000
        assert drawn.user_agent == PHONE and checkin.user_agent == drawn.user_agent and checkin.code
    width = page.evaluate("document.querySelector('#my-signature img').naturalWidth")
    assert width >= 300  # the canvas's own size, not a blank 0-pixel image

    end_half_day(app, half_day_id)
    facilitator = context.new_page()
    launch_from_demo(facilitator, "201", course="11")
    facilitator.wait_for_url("**/instructor/")
    facilitator.goto(f"/instructor/halfdays/{half_day_id}/sheet")
    assert facilitator.locator("img.signature-shown").count() == 1  # the learner's drawing on the sheet
    problems += check_page(facilitator, "instructor-sheet-sign-phone", shots)
    facilitator.select_option("#slot", "1")
    _draw(facilitator, "#facilitator-pad", [[(30, 100), (120, 40), (200, 120), (280, 60)]])
    facilitator.get_by_role("button", name="Signer et certifier la feuille").click()
    facilitator.wait_for_selector("#facilitator-1 img")
    assert facilitator.locator("form [data-signature-pad]").count() == 0  # certified: no more signature
    with app.app_context():
        assert db.session.get(HalfDay, half_day_id).certified_at is not None
        signed = db.session.scalars(select(AttendanceSignature).where(AttendanceSignature.role == "facilitator")).one()
        assert signed.signer_name == "Marc Dubois" and signed.image.startswith(b"\x89PNG")
    context.close()
    assert not problems, "\n".join(problems)
