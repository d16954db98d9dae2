"""Profile import with the files people really have: old Mac line endings, NUL bytes, UTF-16, a single
column; never a 500, refusals in French, and the csv module's shared dialects left alone."""
import csv
import html
from io import BytesIO

from sqlalchemy import select

from models import LearnerProfile, User, db
from tests.functional.test_pathways_flow import _any_csrf


def send(instructor, content: bytes):
    token = _any_csrf(instructor.get("/instructor/profiles/import").text)
    return instructor.post("/instructor/profiles/import", data={"csrf_token": token,
                                                                "profiles": (BytesIO(content), "p.csv")},
                           content_type="multipart/form-data")


def professions(app):
    with app.app_context():
        return dict(db.session.execute(select(User.sub, LearnerProfile.profession)
                                       .join(LearnerProfile, LearnerProfile.user_id == User.id)).all())


def test_a_file_with_carriage_returns_only_is_read(app, person):
    instructor = person("201")
    person("105")
    response = send(instructor, b"moodle_id;profession\r105;sage_femme\r903;infirmier\r")
    assert response.status_code == 200, response.text[:500]
    assert professions(app) == {"105": "sage_femme", "903": "infirmier"}


def test_a_nul_byte_refuses_its_line_in_french_and_changes_nothing_else(app, person):
    instructor = person("201")
    person("105")
    response = send(instructor, "moodle_id;email;profession\n105;;sage_femme\n904;;infir\x00mier\n"
                                ";;medecin\n".encode())
    assert response.status_code == 200, response.text[:500]
    page = html.unescape(response.text)
    assert "<td>3</td><td>La ligne contient un octet NUL.</td>" in page
    assert "<td>4</td><td>moodle_id ou email est obligatoire.</td>" in page
    assert professions(app) == {"105": "sage_femme"}


def test_a_utf16_file_is_refused_with_a_reason(app, person):
    instructor = person("201")
    response = send(instructor, "moodle_id;profession\n105;medecin\n".encode("utf-16-le"))
    assert response.status_code == 422
    assert "CSV UTF-8" in html.unescape(response.text)
    assert professions(app) == {}


def test_an_import_leaves_the_csv_module_dialects_alone(app, person):
    instructor = person("201")
    before = (csv.excel.delimiter, csv.excel.quotechar, csv.excel.lineterminator)
    try:
        response = send(instructor, b"moodle_id\n105\n")  # one column: no separator to detect
        assert response.status_code == 422
        assert "Colonnes nécessaires" in html.unescape(response.text)
        assert (csv.excel.delimiter, csv.excel.quotechar, csv.excel.lineterminator) == before == (",", '"', "\r\n")
    finally:
        csv.excel.delimiter = ","  # were it changed, every later reader in this process would split on ";"
