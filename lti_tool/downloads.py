"""Files the pages hand out as attachments (CSV, PDF, ZIP, JSON, calendar). Personal data: security.py marks these
types no-store, so neither a shared cache nor the browser keeps a copy."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Response

from .services import csv_export


def attachment(body: bytes | str, filename: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_attachment(columns: list[csv_export.Column], rows: Iterable[Mapping], filename: str) -> Response:
    """Through the one CSV writer (French Excel format, formulas neutralised)."""
    return attachment(csv_export.write(columns, rows), filename, "text/csv")
