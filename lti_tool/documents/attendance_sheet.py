"""The attendance sheet of a half-day (feuille d'émargement) as training bodies print it: one line per
participant for the half-day, a signature column, the facilitators' signature areas and the certification."""
from __future__ import annotations

import io
from types import SimpleNamespace

from flask_babel import force_locale
from fpdf.fonts import FontFace

from ..services import dpc
from .layout import FONT, MUTED, Document, french_date, organisation

STATUS = {"present": "Présent(e)", "late": "En retard", "absent": "Absent(e)", "excused": "Excusé(e)"}
PERIOD = {"am": "matin", "pm": "après-midi"}
_NO_SIGNATURES = SimpleNamespace(drawn={}, checkin={}, facilitators={})


def _fit(png: bytes):
    """A drawn signature as a band of 3:1 for its cell (the table gives an image the column's width): the
    strokes cropped from the white around them, then centred on white rather than stretched."""
    from PIL import Image, ImageChops, ImageOps

    with Image.open(io.BytesIO(png)) as image:
        picture = image.convert("RGBA")
    flat = Image.new("RGB", picture.size, "white")
    flat.paste(picture, mask=picture.getchannel("A"))  # a transparent drawing shows on white
    box = ImageChops.invert(ImageOps.grayscale(flat)).getbbox()
    if box:
        flat = flat.crop(box)
    width, height = flat.size
    band_w, band_h = max(width, height * 3) + 16, max(height, width // 3) + 16
    band = Image.new("RGB", (band_w, band_h), "white")
    band.paste(flat, ((band_w - width) // 2, (band_h - height) // 2))
    return band


def _mark_text(entry) -> str:
    if entry is None:
        return "Non pointé"
    text = STATUS.get(entry.status, entry.status)
    how = "code QR" if entry.method == "self_checkin" else "animateur"
    return f"{text}\n{french_date(entry.recorded_at, 'd MMM y HH:mm')} ({how})"


def _device(user_agent: str) -> str:
    """The device in a few words: what a browser's User-Agent says in its first brackets (the full one is
    kept with the signature)."""
    inside = user_agent.partition("(")[2].partition(")")[0].strip()
    return (inside or user_agent.strip() or "non communiqué")[:70]


def _electronic_proof(entry) -> str:
    when = french_date(entry.signed_at, "dd/MM/y 'à' HH:mm")
    return (f"Signé électroniquement par check-in le {when}, code vérifié, appareil {_device(entry.user_agent)}")


def _facilitator_box(pdf, x, y, width, height, caption, name, entry):
    pdf.signature_box(x, y, width, height, caption, name)
    if entry is None or not entry.image:
        return
    top = pdf.get_y() + 0.5
    room = y + height - 5 - top  # the date of the signature goes below
    if room > 4:
        pdf.image(_fit(entry.image), x=x + 2, y=top, h=room, w=min(width - 4, room * 3), keep_aspect_ratio=True)
    pdf.set_font(FONT, "", 6.5)
    pdf.set_xy(x + 2, y + height - 4)
    pdf.cell(width - 4, 3.5, f"Signé le {french_date(entry.signed_at, 'dd/MM/y à HH:mm')}", align="R")


def sheet_pdf(half_day, people, marks: dict, *, label, signatures=None) -> bytes:
    """`signatures` (services.signatures.for_sheet): the drawn signature per participant, else the check-in
    as electronic proof, and the facilitators' drawn signatures in their boxes."""
    session = half_day.session
    pathway = session.step.pathway
    programme = dpc.programme_of(pathway.id)
    with force_locale("fr"):
        facilitators = [(f.get("name") or "", str(label(f.get("profession")))) for f in session.facilitators or []]
        rows = [(person.id, person.name, str(label(person.profession)), _mark_text(marks.get(person.id)))
                for person in people]
    signatures = signatures or _NO_SIGNATURES
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
    proof_style = FontFace(size_pt=6.5, color=MUTED)
    with pdf.table(col_widths=(8, 46, 32, 36, 58), line_height=5.2,
                   text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"), v_align="MIDDLE",
                   padding=1.6, first_row_as_headings=True) as table:
        heading = table.row()
        for title in ("N°", "Nom et prénom", "Profession", "Pointage", "Signature"):
            heading.cell(title)
        for number, (person_id, name, profession, mark) in enumerate(rows, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(name)
            row.cell(profession)
            row.cell(mark)
            drawn, proof = signatures.drawn.get(person_id), signatures.checkin.get(person_id)
            if drawn is not None:
                row.cell(img=_fit(drawn.image))
            elif proof is not None:
                row.cell(_electronic_proof(proof), style=proof_style)
            else:
                row.cell("\n\n")  # room to sign on paper
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
    if pdf.get_y() + 38 > pdf.h - 20:
        pdf.add_page()
    top = pdf.get_y()
    for index, (name, profession) in enumerate(boxes):
        caption = "Signature de l'animateur" + (f" ({profession})" if profession else "")
        _facilitator_box(pdf, pdf.l_margin + index * (width + 6), top, width, 34, caption, name,
                         signatures.facilitators.get(index))
    pdf.set_y(top + 37)
    pdf.set_font(FONT, "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, "Une feuille par demi-journée. Pointage : par le participant avec le code affiché (code QR) "
                         "ou par l'animateur ; toute correction après certification est motivée et tracée. "
                         "Signature : dessinée par le participant sur son téléphone, ou à défaut son check-in avec le "
                         "code vérifié, qui vaut signature électronique (heure, code et appareil conservés).",
                   new_x="LMARGIN", new_y="NEXT")
    return pdf.output_bytes()
