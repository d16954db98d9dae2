"""Check-in codes cannot be guessed: wrong codes are limited per learner and half-day (in the database, so
every worker sees the same count), the learner gets a French page with a way on, the facilitator sees it."""
import html
import logging
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from lti_tool import create_app
from lti_tool.services import attendance
from models import AttendanceMark, CheckinAttempt, HalfDay, db, utcnow
from tests.fixtures.concurrency import at_once
from tests.fixtures.timing import open_half_day
from tests.functional.test_pathways_flow import _any_csrf, build_pathway, fill_profile, post, schedule


def booked_learner(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    session_id = schedule(app, instructor, pathway_id)
    learner = person("101")
    fill_profile(learner, "infirmier")
    assert post(learner, f"/learner/sessions/{session_id}/book", {},
                page=f"/learner/pathways/{pathway_id}").status_code == 303
    with app.app_context():
        half_day_id = db.session.scalars(select(HalfDay.id).where(HalfDay.session_id == session_id)
                                         .order_by(HalfDay.starts_at)).first()
    open_half_day(app, half_day_id)
    return instructor, learner, pathway_id, half_day_id


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def check_in(client, half_day_id, code, token=None):
    token = token or _any_csrf(client.get(f"/learner/checkin?half_day={half_day_id}").text)
    return client.post("/learner/checkin", data={"csrf_token": token, "half_day": str(half_day_id), "code": code})


def attempts(app, half_day_id):
    with app.app_context():
        return db.session.scalars(select(CheckinAttempt).where(CheckinAttempt.half_day_id == half_day_id)).one()


def test_five_wrong_codes_then_a_pause_with_a_way_on(app, person, caplog):
    instructor, learner, pathway_id, half_day_id = booked_learner(app, person)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    caplog.set_level(logging.INFO)
    for left in (4, 3, 2, 1):
        response = check_in(learner, half_day_id, wrong(code))
        assert response.status_code == 422, response.text[:500]
        page = html.unescape(response.text)
        assert 'aria-invalid="true"' in page and 'name="code"' in page  # the form again, the error on the field
        assert "Ce code d'émargement est erroné ou a expiré" in page and f"Encore {left} essai" in page
    fifth = check_in(learner, half_day_id, wrong(code))
    assert fifth.status_code == 429 and "Trop de codes erronés" in fifth.text
    locked = check_in(learner, half_day_id, code)  # even the right code now: else guessing would go on
    assert locked.status_code == 429
    assert "Trop de codes erronés" in locked.text
    assert "votre émargement est suspendu jusqu'à" in html.unescape(locked.text)
    assert f'href="/learner/pathways/{pathway_id}"' in locked.text and 'href="/learner/"' in locked.text
    assert "locked" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttendanceMark)) == 0
    assert attempts(app, half_day_id).failures == 5

    roster = html.unescape(instructor.get(f"/instructor/halfdays/{half_day_id}/roster").text)
    assert "5 codes d'émargement erronés saisis" in roster and "Émargement suspendu" in roster
    assert "Claire Martin, jusqu'à" in roster

    with app.app_context():  # ten minutes later
        db.session.execute(update(CheckinAttempt).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    done = check_in(learner, half_day_id, code)
    assert done.status_code == 200 and "Votre présence est enregistrée" in done.text
    assert "Émargement suspendu" not in instructor.get(f"/instructor/halfdays/{half_day_id}/roster").text


def test_parallel_guesses_check_at_most_five_codes(app, person):
    _, learner, _, half_day_id = booked_learner(app, person)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    token = _any_csrf(learner.get(f"/learner/checkin?half_day={half_day_id}").text)
    barrier, statuses = threading.Barrier(12), []

    def guess():
        barrier.wait(timeout=10)
        statuses.append(check_in(learner, half_day_id, wrong(code), token).status_code)

    at_once(*[guess] * 12)
    assert sorted(statuses) == [422] * 4 + [429] * 8, statuses  # one learner's tries are checked in turn
    assert attempts(app, half_day_id).failures == 5  # five codes were looked at, no more


def test_the_lockout_holds_in_another_worker(app, person):
    _, learner, _, half_day_id = booked_learner(app, person)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    for _ in range(5):
        check_in(learner, half_day_id, wrong(code))
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "DEMO_PLATFORM", "LTI_ALLOW_HTTP_PLATFORMS",
        "PUBLIC_BASE_URL")} | {"INSTANCE_PATH": app.instance_path})
    worker = other.test_client()
    worker.set_cookie("parcours_session", learner.get_cookie("parcours_session").value)
    response = check_in(worker, half_day_id, code)
    assert response.status_code == 429 and "Trop de codes erronés" in response.text
    with other.app_context():
        db.engine.dispose()


def test_a_json_client_gets_the_reason_code(app, person):
    _, learner, _, half_day_id = booked_learner(app, person)
    code = attendance.current_code(app.config["SECRET_KEY"], half_day_id)
    token = _any_csrf(learner.get(f"/learner/checkin?half_day={half_day_id}").text)
    for expected in [422] * 4 + [429]:
        response = learner.post("/learner/checkin", headers={"Accept": "application/json"},
                                data={"csrf_token": token, "half_day": str(half_day_id), "code": wrong(code)})
        assert response.status_code == expected
    assert response.get_json()["error"] == "checkin_locked" and "Trop de codes" in response.get_json()["message"]
    assert "<code>checkin_locked</code>" in check_in(learner, half_day_id, code).text  # the page names it too
