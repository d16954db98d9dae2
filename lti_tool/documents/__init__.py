"""Printed documents (PDF) for the DPC file: the participation certificate and the attendance sheet.

The services decide what a document says (hours, attended half-days, marks); this package lays it out as a
training body prints it: an embedded Unicode font shipped with the tool (DejaVu, license in static/fonts), the
organisation's name and DPC body number, a logo slot, dates in Europe/Paris, signature areas.
"""
from .attendance_sheet import sheet_pdf
from .certificate import certificate_pdf

__all__ = ["certificate_pdf", "sheet_pdf"]
