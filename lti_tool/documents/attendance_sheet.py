"""The attendance sheet of a half-day (feuille d'émargement) as training bodies print it: one line per
participant for the half-day, a signature column, the facilitators' signature areas and the certification."""
from __future__ import annotations

from flask_babel import force_locale

from ..services import dpc
from .layout import FONT, MUTED, Document, french_date, organisation

STATUS = {"present": "Présent(e)", "late": "En retard", "absent": "Absent(e)", "excused": "Excusé(e)"}
PERIOD = {"am": "matin", "pm": "après-midi"}


def _mark_text(entry) -> str:
    if entry is None:
        return "Non pointé"
    text = STATUS.get(entry.status, entry.status)
    how = "code QR" if entry.method == "self_checkin" else "animateur"
    return f"{text}\n{french_date(entry.recorded_at, 'd MMM y HH:mm')} ({how})"


def sheet_pdf(half_day, people, marks: dict, *, label) -> bytes:
    session = half_day.session
    pathway = session.step.pathway
    programme = dpc.programme_of(pathway.id)
    with force_locale("fr"):
        facilitators = [(f.get("name") or "", str(label(f.get("profession")))) for f in session.facilitators or []]
        rows = [(person.name, str(label(person.profession)), _mark_text(marks.get(person.id))) for person in people]
    pdf = Document("Feuille d'émargement", organisation(pathway))
    pdf.heading("Feuille d'émargement")
    day = french_date(half_day.starts_at, "EEEE d MMMM y")
    hours = f"{french_date(half_day.starts_at, 'HH:mm')} – {french_date(half_day.ends_at, 'HH:mm')}"
    details = [
        ("Action", session.title or session.step.title),
        ("Programme", pathway.title),
        ("Demi-journée", f"{day}, {PERIOD.get(half_day.period, half_day.period)} ({hours}, heure de Paris)"),
        ("Lieu", session.place or session.video_url or "—"),
    ]
    if programme is not None:
        details.append(("Action DPC", f"n° {programme.action_number} — session n° {programme.session_number}"))
    pdf.pairs(details, label_width=38)
    pdf.ln(4)
    pdf.set_font(FONT, "", 9)
    pdf.set_draw_color(90, 98, 110)
    with pdf.table(col_widths=(8, 52, 38, 40, 42), line_height=5.2, text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"),
                   padding=1.6, first_row_as_headings=True) as table:
        heading = table.row()
        for title in ("N°", "Nom et prénom", "Profession", "Pointage", "Signature"):
            heading.cell(title)
        for number, (name, profession, mark) in enumerate(rows, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(name)
            row.cell(profession)
            row.cell(mark)
            row.cell("\n\n")  # room to sign
    if not rows:
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 6, "Aucun participant inscrit à cette session.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 9.5)
    if half_day.certified_at:
        certified = french_date(half_day.certified_at, "d MMMM y 'à' HH:mm")
        pdf.multi_cell(0, 5.5, f"Feuille certifiée par l'animateur le {certified} (heure de Paris).",
                       new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_text_color(164, 22, 26)
        pdf.multi_cell(0, 5.5, "Feuille non encore certifiée : elle ne vaut pas preuve de présence.",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(27, 31, 36)
    pdf.ln(3)
    boxes = facilitators or [("", "")]
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 6 * (len(boxes) - 1)) / max(len(boxes), 1)
    if pdf.get_y() + 32 > pdf.h - 20:
        pdf.add_page()
    top = pdf.get_y()
    for index, (name, profession) in enumerate(boxes):
        caption = "Signature de l'animateur" + (f" ({profession})" if profession else "")
        pdf.signature_box(pdf.l_margin + index * (width + 6), top, width, 28, caption, name)
    pdf.set_y(top + 31)
    pdf.set_font(FONT, "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, "Une feuille par demi-journée. Pointage : par le participant avec le code affiché (code QR) "
                         "ou par l'animateur ; toute correction après certification est motivée et tracée.",
                   new_x="LMARGIN", new_y="NEXT")
    return pdf.output_bytes()
