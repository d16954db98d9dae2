"""The DPC file of one workshop session, as a ZIP: its half-day attendance sheets (PDF, with the signatures; a
sheet not yet certified says so in its name), the participants' online time log and questionnaire results (CSV)."""
from __future__ import annotations

import io
import zipfile

from models import WorkshopSession

from ..services import attendance, csv_export, dpc, signatures
from .attendance_sheet import sheet_pdf


def evidence_pack(session: WorkshopSession, label) -> bytes:
    evidence = dpc.session_evidence(session)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for half in session.half_days:
            name = f"emargement-{half.day.isoformat()}-{half.period}{'' if half.certified_at else '-NON-CERTIFIEE'}.pdf"
            archive.writestr(name, sheet_pdf(half, evidence.people, attendance.latest_marks(half.id), label=label,
                                             signatures=signatures.for_sheet(half.id)))
        archive.writestr("temps-en-ligne.csv", csv_export.write(csv_export.TIME_LOG, evidence.times))
        archive.writestr("questionnaires.csv", csv_export.write(csv_export.QUESTIONNAIRE_RESULTS, evidence.results))
    return buffer.getvalue()
