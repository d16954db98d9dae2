"""What the grades worker and DPC decisions survive (issue 11): database errors in the delivery loop, a worker
that dies holding rows, and validate / withdraw racing on one participant."""
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from lti_tool.services import grade_delivery, grades
from models import DpcValidation, Enrolment, GradeOutbox, db, utcnow
from tests.fixtures.concurrency import at_once
from tests.functional.test_dpc import attended_learner, save_programme
from tests.functional.test_grades import complete_module_pathway
from tests.functional.test_pathways_flow import _any_csrf, post


def test_the_delivery_loop_survives_database_errors(app, person, platform, runner, monkeypatch, caplog):
    complete_module_pathway(app, person, platform)
    real, failures = grades.deliver_once, []

    def flaky(*args, **kwargs):  # the database restarts: two passes fail, then it is back
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    monkeypatch.setattr(grades, "deliver_once", flaky)
    with caplog.at_level(logging.ERROR, logger="lti_tool.grades"):
        result = runner.invoke(args=["lti", "grades", "deliver", "--loop", "--interval", "0.05",
                                     "--max-seconds", "1.5"])
    assert result.exit_code == 0, result.output
    assert len(failures) == 2 and "server closed the connection" in caplog.text
    with app.app_context():
        assert db.session.scalars(select(GradeOutbox.state).where(GradeOutbox.state != "superseded")).all() == ["sent"]


def test_rows_a_dead_worker_held_are_taken_again_within_a_minute_and_retry_now_releases_them(app, person, platform):
    complete_module_pathway(app, person, platform)
    timeout = app.config["LTI_HTTP_TIMEOUT_SECONDS"]
    assert grade_delivery.lease_seconds(timeout) < 60
    with app.app_context():
        held = grade_delivery.claim_due(10, lease_seconds=grade_delivery.lease_seconds(timeout))  # then it dies
        assert len(held) == 1
        assert grade_delivery.claim_due(10) == []  # still leased
        later = utcnow() + timedelta(seconds=60)
        assert [row.id for row in grade_delivery.claim_due(10, now=later)] == [held[0].id]
        # The instructor's "retry now" releases a lease at once.
        assert grades.retry_now(held[0].course_id) == 1
        db.session.commit()
        assert [row.id for row in grade_delivery.claim_due(10)] == [held[0].id]


def dpc_participant(app, person, platform):
    """A participant who meets the DPC rules: the instructor, the enrolment, its decision URL and the DPC page."""
    instructor, _, pathway_id = attended_learner(app, person, platform)
    assert save_programme(instructor, pathway_id).status_code == 303
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).where(Enrolment.pathway_id == pathway_id)).one()
    page = f"/instructor/pathways/{pathway_id}/dpc"
    return instructor, enrolment_id, f"{page}/{enrolment_id}", page


def test_racing_validate_and_withdraw_leave_moodle_with_the_last_decision_shown(app, person, platform):
    instructor, enrolment_id, decide, page = dpc_participant(app, person, platform)
    assert post(instructor, decide, {"action": "validate"}, page=page).status_code == 303
    clients = [person("201") for _ in range(10)]
    tokens = [_any_csrf(c.get(page).text) for c in clients]
    statuses = []

    def decision(index):
        data = {"action": "validate"} if index % 2 else {"action": "withdraw", "reason": f"Course {index}"}
        form = {**data, "csrf_token": tokens[index]}
        return lambda: statuses.append(clients[index].post(decide, data=form).status_code)

    at_once(*[decision(index) for index in range(10)])
    assert 500 not in statuses and set(statuses) <= {303, 409, 422}
    with app.app_context():
        shown = db.session.scalars(select(DpcValidation.state).where(DpcValidation.enrolment_id == enrolment_id)).one()
        rows = db.session.scalars(select(GradeOutbox).where(GradeOutbox.kind == "dpc")
                                  .order_by(GradeOutbox.timestamp)).all()
        last = rows[-1]
        assert last.state == "pending" and last.payload["scoreGiven"] == (1 if shown == "granted" else 0)
        assert len({row.timestamp for row in rows}) == len(rows)  # every decision strictly after the previous


def test_a_worker_claims_no_more_rows_than_asked(app, person, platform):
    """On PostgreSQL `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` claimed every pending row:
    one worker took the whole outbox, and the other resent what it could not finish within the lease."""
    complete_module_pathway(app, person, platform)
    with app.app_context():
        template = db.session.scalars(select(GradeOutbox).where(GradeOutbox.state == "pending")).one()
        now = utcnow()
        db.session.execute(GradeOutbox.__table__.insert(), [
            {"platform_id": template.platform_id, "course_id": template.course_id, "kind": "score",
             "lineitem_url": template.lineitem_url, "user_sub": f"u{n}", "payload": template.payload,
             "timestamp": now, "state": "pending", "attempts": 0, "next_attempt_at": now, "last_error": "",
             "created_at": now} for n in range(40)])
        db.session.commit()
        assert [len(grade_delivery.claim_due(8)) for _ in range(6)] == [8, 8, 8, 8, 8, 1]


def test_a_double_click_on_the_first_validation_gives_one_decision_and_no_500(app, person, platform):
    instructor, enrolment_id, decide, page = dpc_participant(app, person, platform)
    clients = [person("201") for _ in range(4)]
    forms = [{"action": "validate", "csrf_token": _any_csrf(c.get(page).text)} for c in clients]
    statuses = []
    at_once(*[lambda c=c, f=f: statuses.append(c.post(decide, data=f).status_code)
              for c, f in zip(clients, forms, strict=True)])
    assert statuses == [303] * 4  # each click gets the page the first one got
    with app.app_context():
        assert db.session.scalars(select(DpcValidation.state).where(DpcValidation.enrolment_id == enrolment_id)
                                  ).all() == ["granted"]
