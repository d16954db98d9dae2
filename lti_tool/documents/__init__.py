"""Printed documents for the DPC file: the participation certificate and the attendance sheet (PDF), a session's
evidence pack (ZIP).

The services decide what a document says (hours, attended half-days, marks); this package lays it out as a
training body prints it: an embedded Unicode font shipped with the tool (DejaVu, license in static/fonts), the
organisation's name and DPC body number, a logo slot, dates in Europe/Paris, signature areas.
"""
from .attendance_sheet import sheet_pdf
from .certificate import certificate_file, certificate_pdf
from .evidence_pack import evidence_pack

__all__ = ["certificate_file", "certificate_pdf", "evidence_pack", "sheet_pdf"]
