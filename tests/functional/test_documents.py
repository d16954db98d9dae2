"""The printed documents, read back as a person (and the agency) would: text extracted from the PDF with pypdf,
and one page drawn to PNG with poppler's pdftoppm when it is installed (to look at it)."""
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models import Enrolment, HalfDay, LearnerProfile, db
from tests.functional.test_dpc import attended_learner, save_programme
from tests.functional.test_pathways_flow import post


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def organisation(app):
    saved = {key: app.config.get(key) for key in ("ORGANISATION_NAME", "ORGANISATION_DPC_NUMBER")}
    app.config.update(ORGANISATION_NAME="Fédération des CPTS d'Île-de-France — œuvres", ORGANISATION_DPC_NUMBER="9876")
    yield app.config
    app.config.update(saved)


def _validated(app, person, platform):
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    assert save_programme(instructor, pathway_id).status_code == 303
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(
            LearnerProfile, LearnerProfile.user_id == Enrolment.user_id)).one()
    decide = f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}"
    assert post(instructor, decide, {"action": "validate"},
                page=f"/instructor/pathways/{pathway_id}/dpc").status_code == 303
    return instructor, learner, pathway_id, decide


def test_certificate_prints_unicode_organisation_and_signature_areas(app, person, platform, organisation, tmp_path):
    instructor, learner, pathway_id, decide = _validated(app, person, platform)
    pdf = instructor.get(f"{decide}/certificate.pdf").data
    text = text_of(pdf)
    # "—" and "œ" print (they were "?" with the core Latin-1 fonts)
    assert "Fédération des CPTS d'Île-de-France — œuvres" in text and "?" not in text
    assert "n° 9876" in text and "Attestation de participation" in text
    assert "Formation continue" in text and "formation_continue" not in text
    assert "Claire Martin" in text and "Infirmier" in text and "RPPS 10101010105" in text
    assert "Le participant" in text and "Pour l'organisme : nom, qualité, signature" in text
    assert any("DejaVuSans" in name for name in fonts_of(pdf))
    assert "Claire Martin" in text_of(learner.get(f"/learner/pathways/{pathway_id}/certificate.pdf").data)
    if shutil.which("pdftoppm"):
        (tmp_path / "certificate.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "certificate.pdf"),
                        str(tmp_path / "certificate")], check=True)
        assert (tmp_path / "certificate-1.png").stat().st_size > 5000


def test_attendance_sheet_one_line_per_participant_with_signature_column(app, person, platform, organisation):
    instructor, learner, pathway_id, decide = _validated(app, person, platform)
    with app.app_context():
        half_day_id = db.session.scalars(select(HalfDay.id).order_by(HalfDay.starts_at)).first()
    pdf = instructor.get(f"/instructor/halfdays/{half_day_id}/sheet?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = text_of(pdf.data)
    assert "Feuille d'émargement" in text and "Signature" in text and "Nom et prénom" in text
    assert "Claire Martin" in text and "Présent(e)" in text and "code QR" in text
    assert "Signature de l'animateur (Médecin)" in text and "Dr Garnier" in text
    assert "Action DPC" in text and "n° 12342500011 — session n° 26.001" in text
    assert "Feuille certifiée par l'animateur le" in text and "heure de Paris" in text
    assert "matin" in text
    assert "n° 9876" in text
