"""Signed attendance (issue 14, item 4) through real LTI launches: the check-in is the learner's electronic
signature (time, code, device), the learner may draw theirs, the facilitators sign (and certify); the sheet PDF
and the DPC evidence pack show each; a signature is proof: append-only, refused on a certified sheet, and every
bad input is a 4xx with a reason code that stores nothing."""
import base64
import html
import io
import re
import zipfile

from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select

from lti_tool.services import attendance
from models import AttendanceSignature, HalfDay, LearnerProfile, db
from tests.fixtures.browser import LtiBrowser
from tests.fixtures.timing import end_half_day
from tests.functional.test_checkin_throttle import booked_learner, check_in
from tests.functional.test_pathways_flow import _any_csrf, fill_profile

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")


def drawing(width=700, height=300, stroke=((40, 200), (200, 60), (360, 220), (560, 80))) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line(stroke, fill="black", width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes, kind="png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(png).decode()


def sign(client, half_day_id, signature, json=False):
    page = f"/learner/halfdays/{half_day_id}/signature"
    token = _any_csrf(client.get("/learner/profile").text)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(page, data={"csrf_token": token, "signature": signature}, headers=headers)


def facilitator_sign(instructor, half_day_id, signature, slot="0", action="sign"):
    token = _any_csrf(instructor.get("/instructor/").text)
    return instructor.post(f"/instructor/halfdays/{half_day_id}/signatures",
                           data={"csrf_token": token, "signature": signature, "slot": slot, "action": action})


def signatures(app):
    with app.app_context():
        return db.session.scalars(select(AttendanceSignature).order_by(AttendanceSignature.id)).all()


def pdf(instructor, half_day_id) -> PdfReader:
    response = instructor.get(f"/instructor/halfdays/{half_day_id}/sheet?format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def images_of(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def checked_in(app, person):
    instructor, learner, pathway_id, half_day_id = booked_learner(app, person)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    learner.environ_base["HTTP_USER_AGENT"] = IPHONE
    response = check_in(learner, half_day_id, code)
    assert response.status_code == 200 and "Votre présence est enregistrée" in response.text
    return instructor, learner, pathway_id, half_day_id, code, response


def test_the_check_in_is_an_electronic_signature_shown_on_the_sheet(app, person):
    instructor, learner, _, half_day_id, code, response = checked_in(app, person)
    page = html.unescape(response.text)
    # after the check-in, the learner is offered to draw a signature for the half-day
    assert f'action="/learner/halfdays/{half_day_id}/signature"' in page and "<canvas" in page
    assert "/static/signature_pad.js" in page and "Effacer" in page and "<script>" not in page
    [proof] = signatures(app)
    assert (proof.method, proof.role, proof.code, proof.user_agent) == ("checkin", "learner", code, IPHONE)
    assert proof.image is None and proof.mark_id is not None
    assert check_in(learner, half_day_id, code).status_code == 200  # a second submit: one check-in, one proof
    assert len(signatures(app)) == 1
    # the QR code scanned again later: the way to sign is offered
    again = html.unescape(learner.get(f"/learner/checkin?half_day={half_day_id}").text)
    assert "Votre présence est déjà enregistrée" in again
    assert f'href="/learner/halfdays/{half_day_id}/signature"' in again

    reader = pdf(instructor, half_day_id)
    text = text_of(reader)
    assert re.search(r"Signé électroniquement par check-in le \d\d/\d\d/20\d\d à \d\d:\d\d, code vérifié, "
                     r"appareil iPhone; CPU iPhone OS 17_5 like Mac OS X", text), text
    assert images_of(reader) == 0
    sheet = html.unescape(instructor.get(f"/instructor/halfdays/{half_day_id}/sheet").text)
    assert "Signé électroniquement par check-in à" in sheet


def test_drawn_signatures_are_appended_and_the_latest_is_on_the_pdf_and_in_the_evidence_pack(app, person):
    instructor, learner, _, half_day_id, _, _ = checked_in(app, person)
    first, second = drawing(), drawing(stroke=((20, 30), (680, 280)))
    assert sign(learner, half_day_id, data_url(first)).status_code == 303
    assert sign(learner, half_day_id, data_url(second)).status_code == 303
    drawn = [s for s in signatures(app) if s.method == "drawn"]
    assert [s.image for s in drawn] == [first, second]  # append-only: the first one is still there
    assert drawn[0].user_agent == IPHONE and len(drawn[1].image_sha256) == 64
    page = learner.get(f"/learner/halfdays/{half_day_id}/signature").text
    assert data_url(second) in page and data_url(first) not in page  # the latest is the one shown
    assert "Votre signature est enregistrée" in html.unescape(page)

    reader = pdf(instructor, half_day_id)
    assert images_of(reader) == 1 and "Signé électroniquement" not in text_of(reader)

    # the facilitator signs Dr Garnier's box and certifies in one go, once the half-day is over
    end_half_day(app, half_day_id)
    sheet = instructor.get(f"/instructor/halfdays/{half_day_id}/sheet").text
    assert 'name="slot"' in sheet and "Dr Garnier" in sheet and 'value="certify"' in sheet
    assert facilitator_sign(instructor, half_day_id, data_url(drawing(400, 200)), slot="0",
                            action="certify").status_code == 303
    with app.app_context():
        assert db.session.get(HalfDay, half_day_id).certified_at is not None
    [facilitator] = [s for s in signatures(app) if s.role == "facilitator"]
    assert (facilitator.facilitator_slot, facilitator.signer_name) == (0, "Dr Garnier")
    reader = pdf(instructor, half_day_id)
    assert images_of(reader) == 2 and "Feuille certifiée" in text_of(reader)

    # the DPC evidence pack carries the signed sheet
    with app.app_context():
        session_id = db.session.get(HalfDay, half_day_id).session_id
    pack = zipfile.ZipFile(io.BytesIO(instructor.get(f"/instructor/sessions/{session_id}/evidence.zip").data))
    [signed] = [name for name in pack.namelist() if name.endswith(".pdf") and "NON-CERTIFIEE" not in name]
    assert images_of(PdfReader(io.BytesIO(pack.read(signed)))) == 2


def refused(response, status, code):
    assert response.status_code == status, response.text[:400]
    if response.is_json:
        assert response.get_json()["error"] == code
    else:
        assert f"<code>{code}</code>" in response.text


def test_bad_signatures_are_refused_with_a_reason_and_store_nothing(app, person):
    instructor, learner, _, half_day_id, _, _ = checked_in(app, person)
    before = len(signatures(app))
    not_png = io.BytesIO()
    Image.new("RGB", (50, 20), "white").save(not_png, format="JPEG")
    refused(sign(learner, half_day_id, data_url(not_png.getvalue(), "jpeg")), 422, "signature_not_png")
    refused(sign(learner, half_day_id, data_url(not_png.getvalue())), 422, "signature_not_png")  # a JPEG named PNG
    refused(sign(learner, half_day_id, data_url(drawing()[:-20])), 422, "signature_not_png")  # truncated
    refused(sign(learner, half_day_id, "data:image/png;base64,@@@@"), 422, "signature_not_png")
    response = sign(learner, half_day_id, "")
    refused(response, 422, "signature_missing")
    assert "Dessinez votre signature dans le cadre" in html.unescape(response.text)
    refused(sign(learner, half_day_id, "data:image/png;base64," + "A" * 400_000), 413, "signature_too_large")
    refused(sign(learner, half_day_id, data_url(drawing(3000, 40, ((0, 0), (2990, 30))))), 413,
            "signature_too_large")
    json = sign(learner, half_day_id, data_url(not_png.getvalue()), json=True)
    refused(json, 422, "signature_not_png")
    assert "PNG" in json.get_json()["message"]

    # a half-day of another course: not found (the learner launched from course 12)
    elsewhere = person("101", course="12")
    refused(sign(elsewhere, half_day_id, data_url(drawing())), 404, "not_found")
    # someone of the course who did not book the session
    other = person("102")
    fill_profile(other, "medecin")
    refused(sign(other, half_day_id, data_url(drawing())), 403, "not_booked")
    # a facilitator's box that does not exist
    refused(facilitator_sign(instructor, half_day_id, data_url(drawing()), slot="7"), 422, "facilitator_unknown")
    # certify before the end of the half-day: refused, and the signature sent with it is not kept either
    refused(facilitator_sign(instructor, half_day_id, data_url(drawing()), action="certify"), 409,
            "half_day_not_over")
    assert len(signatures(app)) == before

    # a certified sheet takes no more signature, from the learner or a facilitator
    end_half_day(app, half_day_id)
    token = _any_csrf(instructor.get(f"/instructor/halfdays/{half_day_id}/roster").text)
    assert instructor.post(f"/instructor/halfdays/{half_day_id}/certify",
                           data={"csrf_token": token}).status_code == 303
    response = sign(learner, half_day_id, data_url(drawing()))
    refused(response, 409, "sheet_certified")
    assert "certifiée" in html.unescape(response.text)
    refused(facilitator_sign(instructor, half_day_id, data_url(drawing())), 409, "sheet_certified")
    assert len(signatures(app)) == before
    assert 'name="signature"' not in learner.get(f"/learner/halfdays/{half_day_id}/signature").text


def test_a_booked_learner_who_has_not_checked_in_cannot_sign_yet(app, person):
    _, learner, _, half_day_id = booked_learner(app, person)
    refused(sign(learner, half_day_id, data_url(drawing())), 409, "signature_needs_checkin")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttendanceSignature)) == 0
        assert db.session.scalar(select(func.count()).select_from(LearnerProfile)) == 1


def test_the_signature_page_is_in_english_for_an_english_launch(app, person, platform):
    _, learner, _, half_day_id, _, _ = checked_in(app, person)
    french = html.unescape(learner.get(f"/learner/halfdays/{half_day_id}/signature").text)
    assert "Signer la feuille d'émargement" in french and "Effacer" in french and "vaut signature" in french
    assert LtiBrowser(learner, platform).launch_via_demo(user="101", locale="en").status_code == 303
    page = html.unescape(learner.get(f"/learner/halfdays/{half_day_id}/signature").text)
    assert "Sign the attendance sheet" in page and ">Clear<" in page and "is your electronic signature" in page
    response = sign(learner, half_day_id, "")
    assert response.status_code == 422 and "Draw your signature in the box" in response.text
