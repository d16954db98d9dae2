"""The DPC participation certificate (attestation de participation), one A4 page."""
from __future__ import annotations

from flask_babel import force_locale

from models import DpcProgramme, DpcValidation, Enrolment, LearnerProfile, User, db

from ..services import dpc, professions
from .layout import FONT, MUTED, Document, french_date, organisation

TYPES = {"formation_continue": "Formation continue", "epp": "Évaluation des pratiques professionnelles (EPP)",
         "gestion_risques": "Gestion des risques", "programme_integre": "Programme intégré"}


def _hours(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " h"


def certificate_pdf(enrolment: Enrolment, programme: DpcProgramme, validation: DpcValidation) -> bytes:
    profile = db.session.get(LearnerProfile, enrolment.user_id)
    user = db.session.get(User, enrolment.user_id)
    pathway = enrolment.pathway
    in_person, online = dpc.hours(enrolment)
    issuer = organisation(pathway)
    with force_locale("fr"):
        profession = str(professions.label(profile.profession if profile else ""))
        dates = dpc.attended_dates(enrolment)
    identifier = (f"RPPS {profile.rpps}" if profile and profile.rpps
                  else f"ADELI {profile.adeli}" if profile and profile.adeli else "—")
    pdf = Document("Attestation de participation DPC", issuer)
    pdf.heading("Attestation de participation")
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, "Développement professionnel continu (DPC)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "", 10.5)
    pdf.multi_cell(0, 6, f"L'organisme {issuer['name']} atteste que la personne ci-dessous a suivi l'action de "
                         "développement professionnel continu décrite, dans les conditions prévues par son programme.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.pairs([
        ("Participant", user.display_name),
        ("Profession", profession),
        ("Identifiant", identifier),
    ])
    pdf.ln(3)
    pdf.pairs([
        ("Action DPC", f"n° {programme.action_number} — session n° {programme.session_number}"),
        ("Type d'action", TYPES.get(programme.type, programme.type)),
        ("Programme", pathway.title),
    ])
    pdf.ln(3)
    pdf.pairs([
        ("Présentiel", f"{_hours(in_person)} (demi-journées émargées et certifiées)"),
        ("Dates en présentiel", ", ".join(dates) or "—"),
        ("En ligne", f"{_hours(online)} (temps tracé)"),
    ])
    pdf.ln(3)
    pdf.pairs([
        ("Attestation n°", validation.certificate_number),
        ("Validée le", french_date(validation.decided_at)),
    ])
    pdf.ln(8)
    pdf.set_font(FONT, "", 10.5)
    pdf.multi_cell(0, 6, f"Fait le {french_date(validation.decided_at)}, pour servir et valoir ce que de droit.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 10) / 2
    pdf.signature_box(pdf.l_margin, top, width, 34, "Le participant", user.display_name)
    pdf.signature_box(pdf.l_margin + width + 10, top, width, 34,
                      "Pour l'organisme : nom, qualité, signature et cachet", issuer["name"])
    pdf.set_y(top + 40)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4.5, "Document à conserver : il peut être demandé lors d'un contrôle de l'Agence nationale du DPC "
                           "(ANDPC) ou de l'ordre professionnel.", new_x="LMARGIN", new_y="NEXT")
    return pdf.output_bytes()


def certificate_file(enrolment: Enrolment) -> tuple[bytes, str]:
    """The certificate of a validated participation and its file name; refused once withdrawn."""
    programme, validation = dpc.granted(enrolment)
    return certificate_pdf(enrolment, programme, validation), f"attestation-{validation.certificate_number}.pdf"
