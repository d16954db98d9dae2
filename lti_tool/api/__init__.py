"""JSON API for instructors (same session as the pages): the dashboard's data."""
from flask import Blueprint, jsonify, request

from models import Role

from ..auth import current_launch, role_required
from ..schemas.dashboard import DashboardSchema
from ..services import dashboard, pathways

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/pathways/<int:pathway_id>/dashboard")
@role_required(Role.INSTRUCTOR)
def pathway_dashboard(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, current_launch().course.id)
    limit = min(max(request.args.get("limit", 100, type=int), 1), 1000)
    offset = max(request.args.get("offset", 0, type=int), 0)
    learners, total = dashboard.learners(pathway.id, profession=request.args.get("profession") or None,
                                         state=request.args.get("state") or None, limit=limit, offset=offset)
    return jsonify(DashboardSchema().dump({
        "pathway_id": pathway.id, "title": pathway.title,
        "by_profession": dashboard.completion_by_profession(pathway.id),
        "steps": dashboard.dropoff_per_step(pathway.id), "sessions": dashboard.sessions_overview(pathway.id),
        "learners": learners, "learners_total": total}))
