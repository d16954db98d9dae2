"""Professions of the participants: the DPC professions and those who attend CPTS workshops without DPC."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MEDICAL = "medical"  # professions médicales et pharmaceutiques
PARAMEDICAL = "paramedical"  # auxiliaires médicaux et autres professions de santé
OTHER = "other"  # non-DPC participants

# code: (label, DPC profession?, side of the facilitator pair)
PROFESSIONS: dict[str, tuple[object, bool, str]] = {
    "medecin": (_l("Physician"), True, MEDICAL),
    "chirurgien_dentiste": (_l("Dental surgeon"), True, MEDICAL),
    "sage_femme": (_l("Midwife"), True, MEDICAL),
    "pharmacien": (_l("Pharmacist"), True, MEDICAL),
    "preparateur_pharmacie": (_l("Pharmacy technician"), True, PARAMEDICAL),
    "infirmier": (_l("Nurse"), True, PARAMEDICAL),
    "aide_soignant": (_l("Nursing assistant"), True, PARAMEDICAL),
    "masseur_kinesitherapeute": (_l("Physiotherapist"), True, PARAMEDICAL),
    "pedicure_podologue": (_l("Podiatrist"), True, PARAMEDICAL),
    "ergotherapeute": (_l("Occupational therapist"), True, PARAMEDICAL),
    "psychomotricien": (_l("Psychomotor therapist"), True, PARAMEDICAL),
    "orthophoniste": (_l("Speech therapist"), True, PARAMEDICAL),
    "orthoptiste": (_l("Orthoptist"), True, PARAMEDICAL),
    "dieteticien": (_l("Dietitian"), True, PARAMEDICAL),
    "manipulateur_radio": (_l("Radiographer"), True, PARAMEDICAL),
    "technicien_laboratoire": (_l("Medical laboratory technician"), True, PARAMEDICAL),
    "audioprothesiste": (_l("Hearing aid specialist"), True, PARAMEDICAL),
    "opticien_lunetier": (_l("Optician"), True, PARAMEDICAL),
    "orthoprothesiste": (_l("Orthotist-prosthetist"), True, PARAMEDICAL),
    "psychologue": (_l("Psychologist"), False, OTHER),
    "assistant_social": (_l("Social worker"), False, OTHER),
    "coordinateur": (_l("Coordinator"), False, OTHER),
    "autre": (_l("Other"), False, OTHER),
}
PRACTICE_MODES = {"liberal": _l("Self-employed"), "salarie": _l("Salaried"), "mixte": _l("Mixed")}


def label(code: str | None) -> str:
    entry = PROFESSIONS.get(code or "")
    return str(entry[0]) if entry else (code or str(_l("Not declared")))


def is_dpc(code: str) -> bool:
    return code in PROFESSIONS and PROFESSIONS[code][1]


def side(code: str) -> str:
    return PROFESSIONS[code][2] if code in PROFESSIONS else OTHER


def choices() -> list[tuple[str, str]]:
    return [(code, str(entry[0])) for code, entry in PROFESSIONS.items()]


def is_interprofessional_pair(facilitator_professions: list[str]) -> bool:
    """The success factor named by the sources: one medical and one paramedical facilitator."""
    sides = {side(code) for code in facilitator_professions}
    return len(facilitator_professions) >= 2 and MEDICAL in sides and PARAMEDICAL in sides
