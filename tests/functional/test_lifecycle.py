"""Integrity and lifecycle through the real pages: LTI launches from the demo platform, the tool's forms, the DB."""
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import (AttendanceMark, Booking, BookingNotice, Enrolment, HalfDay, LearnerProfile, Pathway,
                    SheetReopening, Step, StepCompletion, WorkshopSession, db)
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, fill_profile, post, schedule
from tests.fixtures.timing import end_half_day

PARIS = ZoneInfo("Europe/Paris")


def _learner_id(app, profession="infirmier"):
    with app.app_context():
        return db.session.scalars(select(LearnerProfile.user_id).where(LearnerProfile.profession == profession)).one()


def _session_in_the_past(app, session_id):
    """The session took place (the learner booked it before): every half-day is over."""
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        shift = session.ends_at - (datetime.now(PARIS) - timedelta(hours=1))
        session.starts_at, session.ends_at = session.starts_at - shift, session.ends_at - shift
        for half in session.half_days:
            half.starts_at, half.ends_at = half.starts_at - shift, half.ends_at - shift
        db.session.commit()
        return [half.id for half in session.half_days]


def attended_and_certified(app, person):
    """Defect 2's set-up: a nurse booked, attended both half-days of the seminar, the sheets are certified."""
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    nurse = person("101")
    fill_profile(nurse, "infirmier")
    assert post(nurse, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}").status_code == 303
    nurse_id = _learner_id(app)
    half_day_ids = _session_in_the_past(app, session_id)
    for half_day_id in half_day_ids:
        roster = f"/instructor/halfdays/{half_day_id}/roster"
        assert post(instructor, f"/instructor/halfdays/{half_day_id}/marks",
                    {"user_id": str(nurse_id), "status": "present"}, page=roster).status_code == 303
        end_half_day(app, half_day_id)
        assert post(instructor, f"/instructor/halfdays/{half_day_id}/certify", {}, page=roster).status_code == 303
    return instructor, nurse, pathway_id, session_id, half_day_ids, nurse_id


def test_a_certified_attended_booking_cannot_be_cancelled_nor_the_sheet_changed(app, person):
    """Issue 13, defect 2: the learner vanished from the certified sheet, the step went back, 109 %."""
    instructor, nurse, pathway_id, session_id, half_day_ids, nurse_id = attended_and_certified(app, person)
    page = nurse.get(f"/learner/pathways/{pathway_id}").text
    assert f"/learner/sessions/{session_id}/cancel" not in page and f"/learner/sessions/{session_id}/book" not in page
    refused = post(nurse, f"/learner/sessions/{session_id}/cancel", {}, page="/learner/profile")
    assert refused.status_code == 409 and "ne peut plus être modifiée" in refused.text
    # nor by the instructor, even with a reason
    roster = f"/instructor/halfdays/{half_day_ids[0]}/roster"
    shown = instructor.get(roster).text
    assert "/marks" not in shown and "Une feuille certifiée ne change plus." in shown  # no button that would fail
    changed = post(instructor, f"/instructor/halfdays/{half_day_ids[0]}/marks",  # a form kept open, or forged
                   {"user_id": str(nurse_id), "status": "absent", "reason": "erreur"}, page="/instructor/")
    assert changed.status_code == 409 and "certifiée" in changed.text
    with app.app_context():
        assert db.session.scalars(select(Booking.status)).all() == ["confirmed"]
        assert db.session.scalar(select(func.count()).select_from(AttendanceMark)) == 2
        workshop_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id,
                                                               Step.kind == "workshop")).one()
        enrolment = db.session.scalars(select(Enrolment).where(Enrolment.user_id == nurse_id)).one()
        assert db.session.scalars(select(StepCompletion.source).where(
            StepCompletion.enrolment_id == enrolment.id, StepCompletion.step_id == workshop_id)).one() == "attendance"
    api = instructor.get(f"/api/pathways/{pathway_id}/dashboard").get_json()
    assert api["sessions"][0]["attendance_rate"] == 100.0 and api["sessions"][0]["confirmed"] == 1
    # nor can the instructor withdraw the workshop step that the certified sheets prove
    detail = f"/instructor/pathways/{pathway_id}/learners/{enrolment.id}"
    withdrawn = post(instructor, detail, {"step_id": str(workshop_id), "action": "withdraw", "reason": "erreur"})
    assert withdrawn.status_code == 409 and "feuille" in withdrawn.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StepCompletion).where(
            StepCompletion.step_id == workshop_id)) == 1


def test_an_administrator_reopens_a_certified_sheet_with_a_reason_then_it_is_certified_again(app, person):
    instructor, nurse, pathway_id, session_id, half_day_ids, nurse_id = attended_and_certified(app, person)
    half_day_id = half_day_ids[0]
    assert instructor.get(f"/instructor/halfdays/{half_day_id}/reopen").status_code == 403
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/reopen", {"reason": "x"},
                page="/instructor/").status_code == 403
    admin = person("2")
    page = admin.get(f"/instructor/halfdays/{half_day_id}/reopen")
    assert page.status_code == 200 and 'name="reason"' in page.text
    empty = post(admin, f"/instructor/halfdays/{half_day_id}/reopen", {"reason": " "})
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
    with app.app_context():
        assert db.session.get(HalfDay, half_day_id).certified_at is not None
    assert post(admin, f"/instructor/halfdays/{half_day_id}/reopen",
                {"reason": "Présence notée par erreur (arrivée à 11 h)"}).status_code == 303
    roster = f"/instructor/halfdays/{half_day_id}/roster"
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/marks",
                {"user_id": str(nurse_id), "status": "late", "reason": "arrivée à 11 h"}, page=roster).status_code == 303
    assert post(instructor, f"/instructor/halfdays/{half_day_id}/certify", {}, page=roster).status_code == 303
    with app.app_context():
        record = db.session.scalars(select(SheetReopening)).one()
        assert record.reason.startswith("Présence notée") and record.previously_certified_at is not None
        assert db.session.get(HalfDay, half_day_id).certified_at is not None
        assert [m.status for m in db.session.scalars(select(AttendanceMark).where(
            AttendanceMark.half_day_id == half_day_id).order_by(AttendanceMark.id))] == ["present", "late"]


def test_a_learner_books_one_session_per_workshop_and_is_told_of_a_promotion(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    first_id = schedule(app, instructor, pathway_id, capacity=1)
    second_id = schedule(app, instructor, pathway_id, capacity=5)
    nurse, physio = person("101"), person("104")
    fill_profile(nurse, "infirmier")
    fill_profile(physio, "masseur_kinesitherapeute")
    page = f"/learner/pathways/{pathway_id}"
    assert post(nurse, f"/learner/sessions/{first_id}/book", {}, page=page).status_code == 303
    shown = nurse.get(page).text
    assert f"/learner/sessions/{second_id}/book" not in shown and "Déjà inscrit(e) à une session" in shown
    twice = post(nurse, f"/learner/sessions/{second_id}/book", {}, page=page)
    assert twice.status_code == 409 and "déjà inscrit(e) à une session de cet atelier" in twice.text
    assert post(physio, f"/learner/sessions/{first_id}/book", {}, page=page).status_code == 303  # waitlisted
    assert post(nurse, f"/learner/sessions/{first_id}/cancel", {}, page=page).status_code == 303
    assert post(nurse, f"/learner/sessions/{second_id}/book", {}, page=page).status_code == 303
    banner = physio.get(page).text
    assert "Une place s’est libérée" in banner or "Une place s'est libérée" in banner
    assert "libérée" not in physio.get(page).text  # shown until seen
    with app.app_context():
        notice = db.session.scalars(select(BookingNotice)).one()
        assert notice.kind == "promoted" and notice.seen_at is not None and notice.mailed_at is None
        assert dict(db.session.execute(select(Booking.session_id, Booking.status).where(
            Booking.profession == "infirmier")).all()) == {first_id: "cancelled", second_id: "confirmed"}


def test_a_new_pathway_is_a_draft_until_published_then_archived_and_deleted(app, person):
    instructor = person("201")
    created = post(instructor, "/instructor/pathways", {"title": "Plaies chroniques"}, page="/instructor/")
    pathway_url = created.headers["Location"]
    pathway_id = int(pathway_url.rstrip("/").split("/")[-1])
    learner = person("101")
    fill_profile(learner, "infirmier")
    assert learner.get(f"/learner/pathways/{pathway_id}").status_code == 404
    assert "Plaies chroniques" not in learner.get("/learner/", follow_redirects=True).text
    assert "Brouillon" in instructor.get("/instructor/").text
    empty = post(instructor, f"/instructor/pathways/{pathway_id}/publish", {}, page=pathway_url)
    assert empty.status_code == 409 and "au moins une étape" in empty.text
    assert post(instructor, f"/instructor/pathways/{pathway_id}/steps", {"kind": "module", "title": "Module plaies"},
                page=pathway_url).status_code == 303
    assert post(instructor, f"/instructor/pathways/{pathway_id}/publish", {}, page=pathway_url).status_code == 303
    assert learner.get(f"/learner/pathways/{pathway_id}").status_code == 200

    # archive: a confirmation page, then hidden from learners and read-only
    confirm = instructor.get(f"/instructor/pathways/{pathway_id}/archive")
    assert confirm.status_code == 200 and "Archiver" in confirm.text
    assert post(instructor, f"/instructor/pathways/{pathway_id}/archive", {}).status_code == 303
    assert learner.get(f"/learner/pathways/{pathway_id}").status_code == 404
    shown = instructor.get(pathway_url).text  # read-only: no form that would be refused
    assert 'id="add-step"' not in shown and "/move" not in shown and 'id="pathway-title"' not in shown
    with app.app_context():
        step_id = db.session.scalars(select(Step.id).where(Step.pathway_id == pathway_id)).first()
    step_page = instructor.get(f"/instructor/steps/{step_id}").text
    assert "archivé" in step_page and "/delete" not in step_page and 'name="title"' not in step_page
    frozen = post(instructor, f"/instructor/pathways/{pathway_id}/steps", {"kind": "module", "title": "Encore"},
                  page=pathway_url)
    assert frozen.status_code == 409 and "archivé" in frozen.text
    assert post(instructor, pathway_url, {"title": "Renommé"}, page=pathway_url).status_code == 409
    assert post(instructor, f"/instructor/pathways/{pathway_id}/unarchive", {}, page=pathway_url).status_code == 303
    with app.app_context():
        pathway = db.session.get(Pathway, pathway_id)
        assert pathway.archived_at is None and pathway.published is False and len(pathway.steps) == 1

    # deletion: only without learner activity (the learner only opened the page), after a confirmation page
    confirm = instructor.get(f"/instructor/pathways/{pathway_id}/delete")
    assert confirm.status_code == 200 and "Supprimer" in confirm.text
    assert post(instructor, f"/instructor/pathways/{pathway_id}/delete", {}).status_code == 303
    with app.app_context():
        assert db.session.get(Pathway, pathway_id) is None


def test_a_pathway_learners_took_part_in_is_not_deleted(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    learner = person("101")
    fill_profile(learner, "infirmier")
    post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    page = instructor.get(f"/instructor/pathways/{pathway_id}/delete")
    assert page.status_code == 409 and "archivez-le" in page.text.lower()
    token = _any_csrf(instructor.get(f"/instructor/pathways/{pathway_id}").text)
    assert instructor.post(f"/instructor/pathways/{pathway_id}/delete", data={"csrf_token": token}).status_code == 409
    with app.app_context():
        assert db.session.get(Pathway, pathway_id) is not None


class _FormValues(HTMLParser):
    """What a browser would send from the page's main form: inputs, ticked boxes, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and (attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs):
            self.values.setdefault(name, attrs.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _session_form(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.text
    parser = _FormValues()
    parser.feed(page.text[page.text.index('<form class="card" method="post"'):])
    return {key: value for key, value in parser.values.items() if value != ""}


def test_sessions_are_edited_cancelled_and_duplicated(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id, capacity=3)
    nurse, physio = person("101"), person("104")
    fill_profile(nurse, "infirmier")
    fill_profile(physio, "masseur_kinesitherapeute")
    for learner in (nurse, physio):
        post(learner, f"/learner/sessions/{session_id}/book", {}, page=f"/learner/pathways/{pathway_id}")
    edit = f"/instructor/sessions/{session_id}/edit"
    fields = _session_form(instructor, edit)
    assert fields["place"] == "Maison de santé, Mantes" and fields["capacity"] == "3"
    too_small = instructor.post(edit, data=dict(fields, capacity="1"))
    assert too_small.status_code == 409 and "inscriptions confirmées" in too_small.text
    assert 'id="capacity-error"' in too_small.text and 'value="Maison de santé, Mantes"' in too_small.text
    wrong = instructor.post(edit, data=dict(fields, ends_at=fields["starts_at"], place="Salle B"))
    assert wrong.status_code == 422 and 'value="Salle B"' in wrong.text  # what was typed is kept
    assert instructor.post(edit, data=dict(fields, place="Salle B", capacity="4")).status_code == 303
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        assert (session.place, session.capacity, session.confirmed_count) == ("Salle B", 4, 2)

    copy = _session_form(instructor, f"/instructor/sessions/{session_id}/duplicate")
    assert copy["place"] == "Salle B" and copy["starts_at"] > fields["starts_at"]
    created = instructor.post(f"/instructor/sessions/{session_id}/duplicate", data=copy)
    assert created.status_code == 303
    copy_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert copy_id != session_id

    confirm = instructor.get(f"/instructor/sessions/{session_id}/cancel")
    assert confirm.status_code == 200 and "2 inscriptions confirmées" in confirm.text
    assert post(instructor, f"/instructor/sessions/{session_id}/cancel", {}).status_code == 303
    banner = nurse.get(f"/learner/pathways/{pathway_id}").text
    assert "a été annulée" in banner
    with app.app_context():
        assert set(db.session.scalars(select(Booking.status).where(Booking.session_id == session_id))) == {"cancelled"}
        assert db.session.get(WorkshopSession, session_id).cancelled is True
    # the learner can now book the copy
    assert post(nurse, f"/learner/sessions/{copy_id}/book", {}, page=f"/learner/pathways/{pathway_id}").status_code == 303


def test_a_started_session_is_neither_cancelled_nor_moved(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    fields = _session_form(instructor, f"/instructor/sessions/{session_id}/edit")
    _session_in_the_past(app, session_id)
    assert "Annuler la session" not in instructor.get(f"/instructor/sessions/{session_id}").text
    token = _any_csrf(instructor.get(f"/instructor/sessions/{session_id}/edit").text)
    cancel = instructor.post(f"/instructor/sessions/{session_id}/cancel", data={"csrf_token": token})
    assert cancel.status_code == 409
    moved = instructor.post(f"/instructor/sessions/{session_id}/edit", data=fields)
    assert moved.status_code == 409 and "dates" in moved.text
    with app.app_context():
        assert db.session.get(WorkshopSession, session_id).cancelled is False
