"""Instructors import learner profiles from a CSV file (a Moodle export, a CPTS member list): each valid line
is applied, each invalid line is reported with its number and reason."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select

from models import Course, CourseMembership, User, db

from ..schemas.profile import ProfileSchema
from . import profiles

COLUMNS = {"moodle_id", "email", "name", "profession", "rpps", "adeli", "practice_mode", "cpts"}
MAX_ROWS = 5000


class ImportFileError(ValueError):
    pass


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_rows(content: bytes) -> list[dict]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError("the file is not UTF-8 text") from error
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if "profession" not in headers or not headers & {"moodle_id", "email"}:
        raise ImportFileError("columns needed: profession and moodle_id or email")
    rows = []
    for row in reader:
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k})
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"more than {MAX_ROWS} lines")
    return rows


def import_profiles(course: Course, content: bytes) -> ImportReport:
    report = ImportReport()
    schema = ProfileSchema()
    for number, row in enumerate(read_rows(content), start=2):  # line 1 is the header
        moodle_id, email = row.get("moodle_id", ""), row.get("email", "").lower()
        if not moodle_id and not email:
            report.errors.append((number, "moodle_id or email is required"))
            continue
        try:
            data = schema.load(row)
        except ValidationError as error:
            report.errors.append((number, "; ".join(f"{k}: {v[0] if isinstance(v, list) else v}"
                                                    for k, v in error.messages.items())))
            continue
        query = select(User).where(User.platform_id == course.platform_id)
        user = db.session.scalars(query.where(User.sub == moodle_id) if moodle_id else query.where(User.email == email)).first()
        member = user is not None and db.session.get(CourseMembership, (user.id, course.id)) is not None
        if user is not None and not member:
            # Only this course's people: another course's learner is not this instructor's to change.
            report.errors.append((number, "not a member of this course (launch or roster sync first)"))
            continue
        if user is None and not moodle_id:
            report.errors.append((number, f"no learner with e-mail {email} has opened the tool yet; give moodle_id"))
            continue
        if user is None:
            user = User(platform_id=course.platform_id, sub=moodle_id, name=row.get("name", ""), email=email)
            db.session.add(user)
            db.session.flush()
            db.session.add(CourseMembership(user_id=user.id, course_id=course.id, role="learner"))
            report.created += 1
        else:
            report.updated += 1
        profiles.save_profile(user, data)
    return report
