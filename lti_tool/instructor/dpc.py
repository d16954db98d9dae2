"""DPC: the programme of a pathway, validations and withdrawals, certificates, the declaration and the evidence pack."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import current_launch, role_required
from ..documents import certificate_file, evidence_pack
from ..downloads import attachment, csv_attachment
from ..errors import Refused
from ..forms import first_errors, form_data
from ..schemas.pathway import DpcProgrammeSchema
from ..services import csv_export, dpc, pathways, professions
from . import bp
from .common import INSTRUCTOR, enrolment_in, launch_course
from .sessions import get_session


@bp.route("/pathways/<int:pathway_id>/dpc", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def dpc_programme(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    programme = dpc.programme_of(pathway.id)
    errors, values = {}, None
    if request.method == "POST":
        raw = form_data(request.form, lists=("eligible_professions",))
        raw["requires_pre_post"] = "requires_pre_post" in request.form
        try:
            data = DpcProgrammeSchema().load(raw)
        except ValidationError as error:
            errors, values = first_errors(error.messages), raw
        else:
            dpc.save_programme(pathway, data)
            flash(_("DPC programme saved."), "success")
            return redirect(url_for("instructor.dpc_programme", pathway_id=pathway.id), code=303)
    if values is None:
        values = ({key: getattr(programme, key) for key in DpcProgrammeSchema().fields} if programme
                  else {"type": "formation_continue", "minimum_participants": 5})
    group, evaluations = [], {}
    if programme is not None:
        group = dpc.session_participants(pathway.id)
        count = dpc.participants(pathway.id)
        evaluations = {e.id: dpc.evaluate(e, programme, count) for e in group}
    return render_template("instructor/dpc.html", launch=current_launch(), pathway=pathway, programme=programme,
                           values=values, errors=errors, professions=professions.choices(), group=group,
                           evaluations=evaluations, validations=dpc.validations(pathway.id),
                           label=professions.label), (422 if errors else 200)


@bp.post("/pathways/<int:pathway_id>/dpc/<int:enrolment_id>")
@role_required(INSTRUCTOR)
def dpc_decide(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    enrolment = enrolment_in(pathway, enrolment_id)
    if request.form.get("action") == "withdraw":
        dpc.withdraw(enrolment, current_launch().user.id, request.form.get("reason", ""))
    else:
        dpc.validate(enrolment, current_launch().user.id)
    return redirect(url_for("instructor.dpc_programme", pathway_id=pathway.id), code=303)


@bp.get("/pathways/<int:pathway_id>/dpc/<int:enrolment_id>/certificate.pdf")
@role_required(INSTRUCTOR)
def dpc_certificate(pathway_id: int, enrolment_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    body, filename = certificate_file(enrolment_in(pathway, enrolment_id))
    return attachment(body, filename, "application/pdf")


@bp.get("/pathways/<int:pathway_id>/dpc/declaration.csv")
@role_required(INSTRUCTOR)
def dpc_declaration(pathway_id: int):
    pathway = pathways.get_pathway(pathway_id, launch_course().id)
    if dpc.programme_of(pathway.id) is None:
        raise Refused("dpc_no_programme")
    return csv_attachment(csv_export.DECLARATION, dpc.declaration_rows(pathway.id),
                               f"declaration-dpc-{pathway.id}.csv")


@bp.get("/sessions/<int:session_id>/evidence.zip")
@role_required(INSTRUCTOR)
def evidence(session_id: int):
    found = get_session(session_id)
    return attachment(evidence_pack(found, professions.label), f"dossier-dpc-session-{found.id}.zip",
                      "application/zip")
