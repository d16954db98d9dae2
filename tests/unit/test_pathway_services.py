"""Pathways, completion by profession, time tracking, identifiers — services tested without HTTP."""
from datetime import datetime, timedelta, timezone

import pytest

from lti_tool.errors import Refused
from lti_tool.schemas.profile import ProfileSchema
from lti_tool.services import completion, identifiers, pathways, professions
from models import Enrolment, StepKind


def minutes_of(enrolment, step):
    return next(row.minutes for row in completion.statuses(enrolment) if row.step.id == step.id)


@pytest.mark.parametrize("number, valid", [
    ("10101010105", True), ("10101010109", False), ("10000000009", True), ("12345678903", True),
    ("1234567890", False), ("1000000000A", False),
])
def test_rpps_luhn(number, valid):
    assert identifiers.rpps_valid(number) is valid


def test_profile_schema_reports_wrong_rpps_key_and_unknown_profession():
    errors = ProfileSchema().validate({"profession": "astronaute", "rpps": "12345678901"})
    assert set(errors) == {"profession", "rpps"}
    assert ProfileSchema().load({"profession": "infirmier", "rpps": "123 456 789 03", "adeli": "2A1234567"}) == {
        "profession": "infirmier", "rpps": "12345678903", "adeli": "2A1234567", "practice_mode": "", "cpts": ""}


def test_facilitator_pair():
    assert professions.is_interprofessional_pair(["medecin", "infirmier"])
    assert not professions.is_interprofessional_pair(["medecin", "pharmacien"])
    assert not professions.is_interprofessional_pair(["infirmier"])


def test_completion_depends_on_profession(make_pathway, make_user):
    pathway = make_pathway(steps=[
        {"kind": StepKind.MODULE, "title": "Pour tous", "weight": 1},
        {"kind": StepKind.MODULE, "title": "Médecins seulement", "weight": 1, "required_for": ["medecin"]},
    ])
    nurse, doctor = make_user("infirmier"), make_user("medecin")
    first, second = pathway.steps
    nurse_enrolment, doctor_enrolment = pathways.enrol(pathway, nurse), pathways.enrol(pathway, doctor)
    completion.record_completion(nurse_enrolment, first, source="learner", score=80)
    completion.record_completion(doctor_enrolment, first, source="learner", score=80)
    assert (nurse_enrolment.state, nurse_enrolment.progress, nurse_enrolment.score) == (Enrolment.COMPLETED, 100, 80)
    assert (doctor_enrolment.state, doctor_enrolment.progress, doctor_enrolment.score) == (Enrolment.IN_PROGRESS, 50, 40)


def test_unlock_rule_and_minimum_time(make_pathway, make_user):
    pathway = make_pathway(steps=[{"kind": StepKind.MODULE, "title": "A", "minimum_minutes": 2}])
    second = pathways.save_step(pathway, {"kind": StepKind.MODULE, "title": "B", "unlock_after_step_id": pathway.steps[0].id})
    learner = make_user()
    enrolment = pathways.enrol(pathway, learner)
    first = pathway.steps[0]
    with pytest.raises(Refused) as locked:
        completion.learner_marks_module_done(enrolment, second)
    assert locked.value.code == "step_locked"
    with pytest.raises(Refused) as early:
        completion.learner_marks_module_done(enrolment, first)
    assert early.value.code == "minimum_time_not_reached"
    start = datetime.now(timezone.utc)
    for second_offset in range(0, 181, 30):  # a heartbeat every 30 s for 3 minutes
        completion.heartbeat(enrolment, first, start + timedelta(seconds=second_offset))
    assert minutes_of(enrolment, first) == 3
    completion.learner_marks_module_done(enrolment, first)
    assert enrolment.state == Enrolment.IN_PROGRESS


def test_heartbeat_gap_opens_a_new_interval_and_caps_credit(make_pathway, make_user):
    pathway = make_pathway()
    enrolment = pathways.enrol(pathway, make_user())
    step = pathway.steps[0]
    start = datetime.now(timezone.utc)
    completion.heartbeat(enrolment, step, start)
    completion.heartbeat(enrolment, step, start + timedelta(seconds=80))  # within the gap, credit capped at 60
    completion.heartbeat(enrolment, step, start + timedelta(minutes=30))  # tab left: new interval, no credit
    assert minutes_of(enrolment, step) == 1


def test_tenant_isolation_of_lookups(make_pathway, tenant):
    from lti_tool.errors import NotFound
    from models import Course, db

    other = Course(platform_id=tenant["platform"].id, context_id="99", label="X", title="X")
    db.session.add(other)
    db.session.flush()
    pathway = make_pathway()
    with pytest.raises(NotFound):
        pathways.get_pathway(pathway.id, other.id)
    with pytest.raises(NotFound):
        pathways.get_step(pathway.steps[0].id, other.id)
