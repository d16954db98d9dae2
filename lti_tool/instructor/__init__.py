"""Pages for instructors and coordinators (and administrators, who can do what instructors do)."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from models import CourseMembership, Role, db

from ..auth import current_launch, role_required

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.get("/")
@role_required(Role.INSTRUCTOR)
def home():
    launch = current_launch()
    counts = dict(db.session.execute(
        select(CourseMembership.role, func.count()).where(CourseMembership.course_id == launch.course.id)
        .group_by(CourseMembership.role)
    ).all())
    return render_template("instructor/home.html", launch=launch, counts=counts)
