"""What every instructor page needs: the launch's course, and lookups scoped to it."""
from __future__ import annotations

from flask import request

from models import Enrolment, Role

from ..auth import current_launch
from ..services import moodle, pathways

INSTRUCTOR = Role.INSTRUCTOR


def launch_course():
    """Every lookup of an instructor page goes through the launch's course (tenant isolation)."""
    return current_launch().course


def enrolment_in(pathway, enrolment_id: int) -> Enrolment:
    return pathways.get_enrolment(enrolment_id, pathway)


def moodle_context(course) -> dict:
    """The step picker (refreshed from Moodle when stale or asked) and the activities steps link to."""
    links = {a.cmid: a for a in moodle.activities(course.id, include_deleted=True)}
    return {"moodle_picker": moodle.picker(course, refresh=bool(request.args.get("refresh_moodle"))),
            "moodle_links": links}
