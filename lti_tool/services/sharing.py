"""Sharing a pathway definition between CPTS: steps, rules and questionnaires, without people or sessions."""
from __future__ import annotations

from models import Course, Pathway

from . import pathways

STEP_FIELDS = ("kind", "title", "description", "required_for", "estimated_minutes", "minimum_minutes", "weight",
               "content_url", "embed", "questionnaire_role", "questions")


def export_pathway(pathway: Pathway) -> dict:
    positions = {step.id: index for index, step in enumerate(pathway.steps, start=1)}
    return {
        "format": "parcours-hybrides/pathway@1", "title": pathway.title, "description": pathway.description,
        "organisation": pathway.organisation.name if pathway.organisation else "",
        "steps": [dict({key: getattr(step, key) for key in STEP_FIELDS}, required_for=step.required_for or [],
                       unlock_after_position=positions.get(step.unlock_after_step_id)) for step in pathway.steps],
    }


def import_pathway(course: Course, data: dict) -> Pathway:
    """`data` is validated by SharedPathwaySchema; the copy is unpublished until the coordinator reviews it."""
    pathway = pathways.save_pathway(course, {"title": data["title"], "description": data.get("description", ""),
                                             "organisation": data.get("organisation", ""), "published": False})
    created = []
    for step_data in data["steps"]:
        position = step_data.pop("unlock_after_position", None)
        step_data.pop("unlock_after_step_id", None)
        step_data["unlock_after_step_id"] = created[position - 1].id if position else None
        created.append(pathways.save_step(pathway, step_data))
    return pathway
