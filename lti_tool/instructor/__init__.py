"""Pages for instructors and coordinators (and administrators, who can do what instructors do): pathways and
steps, workshop sessions, attendance rosters, the dashboard by profession, exports and sharing."""
from flask import Blueprint

bp = Blueprint("instructor", __name__, url_prefix="/instructor")

from . import attendance, dashboard, dpc, integrations, lifecycle, pathways, sessions  # noqa: E402,F401
