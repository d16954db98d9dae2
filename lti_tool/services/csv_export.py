"""Every CSV file the tool writes goes through `write`: made for the spreadsheet coordinators open it with
(Excel, mostly French) and safe to open there.

- Formula injection (OWASP "CSV Injection"): a text cell starting with = + - @ tab or carriage return gets a
  leading apostrophe, so a learner named "=HYPERLINK(...)" by their Moodle profile is shown, never run.
  Numbers stay numbers (a negative score is not a formula).
- French Excel: UTF-8 with a BOM (else accents are mojibake), `;` between cells (`,` is the decimal mark),
  decimals with a comma, dates and times in Europe/Paris as "03/12/2026 15:04", French headers and labels.
  When the interface is in English: `,` between cells, a decimal point, "2026-12-03 15:04", English headers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

PARIS = ZoneInfo("Europe/Paris")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """`key` reads the row (a mapping); `labels` turns stored codes (states, kinds...) into words."""

    key: str
    header: object  # a lazy string, translated when the file is written
    labels: Mapping[str, object] | Callable[[str], object] = field(default_factory=dict)


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal_locale: str
    datetime_format: str
    date_format: str


FRENCH = Dialect(";", "fr_FR", "%d/%m/%Y %H:%M", "%d/%m/%Y")
ENGLISH = Dialect(",", "en_GB", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def dialect() -> Dialect:
    locale = get_locale()
    return ENGLISH if locale is not None and locale.language == "en" else FRENCH


def neutralise(text: str) -> str:
    """OWASP's advice for a text cell a spreadsheet could take for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value, style: Dialect, labels: Mapping[str, object] | Callable[[str], object] | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):  # PostgreSQL's averages come as Decimal
        return format_decimal(value, format="0.0##", locale=style.decimal_locale)
    if isinstance(value, datetime):
        if value.tzinfo is None:  # the database's naive values are UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(PARIS).strftime(style.datetime_format)
    if isinstance(value, date):
        return value.strftime(style.date_format)
    if isinstance(value, Mapping):  # e.g. professions present at a session: "Infirmier : 3, Médecin : 1"
        separator = " : " if style is FRENCH else ": "
        return neutralise(", ".join(f"{key}{separator}{count}" for key, count in value.items()))
    text = str(value)
    if callable(labels):
        text = str(labels(text))
    elif labels and text in labels:
        text = str(labels[text])
    return neutralise(text)


def write(columns: list[Column], rows: Iterable[Mapping]) -> bytes:
    """The whole file as bytes (UTF-8 with BOM), in the current interface language."""
    style = dialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(str(column.header)) for column in columns])
    for row in rows:
        writer.writerow([cell(row.get(column.key), style, column.labels) for column in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# Codes stored in the database, in words.
ENROLMENT_STATES = {"not_started": _l("Not started"), "in_progress": _l("In progress"), "completed": _l("Completed")}
STEP_KINDS = {"module": _l("Online module"), "workshop": _l("Workshop"), "questionnaire": _l("Questionnaire")}
SESSION_FORMATS = {"workshop": _l("In-person workshop / simulation"), "video": _l("Video conference"),
                   "immersion": _l("Immersion in a facility"), "practice_analysis": _l("Practice analysis group"),
                   "seminar": _l("Seminar")}
QUESTIONNAIRE_ROLES = {"pre": _l("Pre-test"), "post": _l("Post-test"), "": _l("Questionnaire")}
TIME_SOURCES = {"tool": _l("Tool page"), "moodle": _l("Moodle")}


def _profession(code: str) -> object:
    from . import professions

    return professions.label(code) if code else ""


def _practice_mode(code: str) -> object:
    from . import professions

    return professions.PRACTICE_MODES.get(code, code)


# The files, column by column (the row keys are those of the services that compute them).
DASHBOARD = {
    "learners": [Column("name", _l("Name")), Column("email", _l("E-mail address")),
                 Column("profession", _l("Profession code")), Column("profession_label", _l("Profession")),
                 Column("state", _l("State"), ENROLMENT_STATES), Column("progress", _l("Progress (%)")),
                 Column("score", _l("Score (/100)"))],
    "professions": [Column("profession", _l("Profession code")), Column("label", _l("Profession")),
                    Column("enrolled", _l("Enrolled")), Column("completed", _l("Completed")),
                    Column("in_progress", _l("In progress")), Column("not_started", _l("Not started")),
                    Column("completion_rate", _l("Completion rate (%)")),
                    Column("average_progress", _l("Average progress (%)"))],
    "steps": [Column("step_id", _l("Step number")), Column("title", _l("Step")),
              Column("kind", _l("Kind of step"), STEP_KINDS), Column("enrolled", _l("Enrolled")),
              Column("done", _l("Done")), Column("rate", _l("Completion rate (%)"))],
    "sessions": [Column("session_id", _l("Session number")), Column("title", _l("Session")),
                 Column("starts_at", _l("Start")), Column("format", _l("Format"), SESSION_FORMATS),
                 Column("capacity", _l("Seats")), Column("confirmed", _l("Confirmed")),
                 Column("waitlisted", _l("On the waiting list")), Column("half_days", _l("Half-days")),
                 Column("attendance_rate", _l("Attendance rate (%)")),
                 Column("professions_present", _l("Professions present"))],
}
DECLARATION = [
    Column("action", _l("DPC action number")), Column("session", _l("DPC session number")),
    Column("nom", _l("Family name")), Column("prenom", _l("Given name")),
    Column("profession", _l("Profession"), _profession), Column("rpps", _l("RPPS number")),
    Column("adeli", _l("ADELI number")), Column("mode_exercice", _l("Mode of practice"), _practice_mode),
    Column("heures_presentiel", _l("In-person hours")), Column("heures_en_ligne", _l("Online hours")),
    Column("date_validation", _l("Validation date")), Column("attestation", _l("Certificate number")),
]
TIME_LOG = [Column("participant", _l("Participant")), Column("step", _l("Step")), Column("start", _l("Start")),
            Column("end", _l("End")), Column("seconds", _l("Seconds")), Column("source", _l("Source"), TIME_SOURCES)]
QUESTIONNAIRE_RESULTS = [Column("participant", _l("Participant")), Column("questionnaire", _l("Questionnaire")),
                         Column("role", _l("Role"), QUESTIONNAIRE_ROLES), Column("score", _l("Score (/100)")),
                         Column("date", _l("Date"))]
