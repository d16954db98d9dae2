"""Pages for learners launched from their Moodle course: profile, my pathway, modules, questionnaires,
workshop bookings, calendar and check-in."""
from flask import Blueprint

bp = Blueprint("learner", __name__, url_prefix="/learner")

from . import views  # noqa: E402,F401
