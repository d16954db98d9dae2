"""Instructors import learner profiles from a CSV file (a Moodle export, a CPTS member list): each valid line
is applied, each invalid line is reported with its number and reason."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
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


DELIMITERS = (";", ",", "\t")


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """(line number, row) for each line after the header. Any line ending (CR LF, LF, or the old Mac CR);
    the separator is the one of ; , or tab the header uses most (never set on the csv module's shared
    dialects: that would change every other reader in the process)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The file is not UTF-8 text: save it as \"CSV UTF-8\".")) from error
    lines = text.splitlines()
    header = lines[0] if lines else ""
    if "\x00" in header:  # a UTF-16 file or not text at all
        raise ImportFileError(_("The file is not a CSV text file (it contains NUL bytes): save it as \"CSV UTF-8\"."))
    delimiter = max(DELIMITERS, key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
        if "profession" not in headers or not headers & {"moodle_id", "email"}:
            raise ImportFileError(_("Columns needed: profession, and moodle_id or email."))
        rows = []
        for row in reader:
            rows.append((reader.line_num, {(k or "").strip().lower(): (v or "").strip()
                                           for k, v in row.items() if k and isinstance(v, str)}))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(_("More than %(count)s lines.", count=MAX_ROWS))
    except csv.Error as error:
        raise ImportFileError(_("Line %(line)s cannot be read as CSV.", line=reader.line_num)) from error
    return rows


def import_profiles(course: Course, content: bytes) -> ImportReport:
    report = ImportReport()
    schema = ProfileSchema()
    for number, row in read_rows(content):
        if any("\x00" in value for value in row.values()):  # no database stores it as text (PostgreSQL refuses)
            report.errors.append((number, _("The line contains a NUL byte.")))
            continue
        moodle_id, email = row.get("moodle_id", ""), row.get("email", "").lower()
        if not moodle_id and not email:
            report.errors.append((number, _("moodle_id or email is required.")))
            continue
        try:
            data = schema.load(row)
        except ValidationError as error:
            report.errors.append((number, "; ".join(f"{k}: {v[0] if isinstance(v, list) else v}"
                                                    for k, v in error.messages.items())))
            continue
        query = select(User).where(User.platform_id == course.platform_id)
        query = query.where(User.sub == moodle_id) if moodle_id else query.where(User.email == email)
        user = db.session.scalars(query).first()
        member = user is not None and db.session.get(CourseMembership, (user.id, course.id)) is not None
        if user is not None and not member:
            # Only this course's people: another course's learner is not this instructor's to change.
            report.errors.append((number, _("Not a member of this course: the learner must open the tool from "
                                            "Moodle first, or synchronise the participants.")))
            continue
        if user is None and not moodle_id:
            report.errors.append((number, _("No learner with the e-mail %(email)s has opened the tool yet: give "
                                            "their moodle_id.", email=email)))
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
