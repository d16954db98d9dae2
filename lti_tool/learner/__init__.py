"""Pages for learners launched from their Moodle course."""
from flask import Blueprint, render_template

from models import Role

from ..auth import current_launch, role_required

bp = Blueprint("learner", __name__, url_prefix="/learner")


@bp.get("/")
@role_required(Role.LEARNER)
def home():
    return render_template("learner/home.html", launch=current_launch())
