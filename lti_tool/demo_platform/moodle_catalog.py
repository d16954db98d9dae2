"""The activities of the demo Moodle courses, as a Moodle course page lists them (sections of course modules).

cmids are unique across the demo site, as course module ids are in Moodle. `tracking` is Moodle's completion
tracking of the module: 0 none, 1 manual (the learner ticks it), 2 automatic (the activity's conditions).
SCORM modules carry one SCO each (`scoid`), whose tracks hold the time spent.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoModule:
    cmid: int
    modname: str
    name: str
    tracking: int
    instance: int
    scoid: int | None = None


@dataclass(frozen=True)
class DemoSection:
    number: int
    name: str
    modules: tuple[DemoModule, ...]


CATALOG: dict[str, tuple[DemoSection, ...]] = {
    "11": (
        DemoSection(0, "Généralités", (
            DemoModule(501, "forum", "Annonces", 0, 301),
            DemoModule(502, "page", "Présentation du parcours hybride", 1, 302),
        )),
        DemoSection(1, "Module 1 — E-learning : iatrogénie chez la personne âgée", (
            DemoModule(511, "scorm", "Module e-learning : repérer la iatrogénie (SCORM)", 2, 41, scoid=4101),
            DemoModule(512, "h5p", "Cas cliniques interactifs", 2, 42),
            DemoModule(513, "quiz", "Quiz de fin de module", 2, 43),
        )),
        DemoSection(2, "Ressources", (
            DemoModule(521, "url", "Recommandations HAS — prescription chez le sujet âgé", 1, 51),
            DemoModule(522, "resource", "Fiche STOPP/START (PDF)", 0, 52),
        )),
    ),
    "12": (
        DemoSection(0, "Généralités", (
            DemoModule(601, "forum", "Annonces", 0, 311),
            DemoModule(602, "page", "Déroulé de la formation", 1, 312),
        )),
        DemoSection(1, "E-learning : arrêt cardiaque", (
            DemoModule(611, "scorm", "Reconnaître l'arrêt cardiaque (SCORM)", 2, 61, scoid=6101),
            DemoModule(612, "scorm", "La chaîne de survie (SCORM)", 2, 62, scoid=6201),
            DemoModule(613, "h5p", "Vidéo interactive : massage cardiaque", 2, 63),
            DemoModule(614, "quiz", "Quiz : gestes d'urgence", 2, 64),
            DemoModule(615, "lesson", "Leçon : utiliser un DAE", 2, 65),
        )),
        DemoSection(2, "Avant l'atelier de simulation", (
            DemoModule(621, "page", "Consignes pour l'atelier", 1, 321),
            DemoModule(622, "assign", "Analyse d'un cas vécu", 2, 66),
            DemoModule(623, "feedback", "Questionnaire de positionnement", 2, 67),
            DemoModule(624, "url", "Référentiel ERC 2021", 1, 322),
        )),
    ),
}


def modules(context_id: str) -> list[tuple[DemoSection, DemoModule]]:
    return [(section, module) for section in CATALOG.get(context_id, ()) for module in section.modules]


def find_module(cmid: int) -> tuple[str, DemoSection, DemoModule] | None:
    for context_id, sections in CATALOG.items():
        for section in sections:
            for module in section.modules:
                if module.cmid == cmid:
                    return context_id, section, module
    return None
