"""The statements every launch runs are plain SQLAlchemy Core (compiled once, cached by SQLAlchemy): typed values,
one transaction, SQLAlchemy's exceptions, and the engine's cursor events."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, exc, select

from lti_tool.services.launch_state import SPEND
from models import CourseMembership, LaunchState, db

PARIS = timezone(timedelta(hours=1))


def row(state, nonce, when):
    return {"state": state, "nonce": nonce, "platform_id": None, "created_at": when, "used_at": None,
            "expires_at": when + timedelta(minutes=10)}


def spend(connection, values):
    return connection.execute(SPEND[connection.dialect.name], values)


def test_values_go_through_the_column_types(app):
    paris_noon = datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
    with app.app_context():
        with db.engine.begin() as connection:
            spend(connection, row("s1", "n1", paris_noon))
        stored = db.session.get(LaunchState, "s1")
        # UTCDateTime's own processing: stored in UTC, read back aware, the same instant
        assert stored.created_at == paris_noon and stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.hour == 11


def test_a_used_nonce_is_not_inserted_twice_and_a_driver_error_rolls_back(app):
    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    with app.app_context():
        with db.engine.begin() as connection:
            assert spend(connection, row("s1", "n1", when)).rowcount == 1
            assert spend(connection, row("s2", "n1", when)).rowcount == 0  # ON CONFLICT DO NOTHING: a replay
        with pytest.raises(exc.IntegrityError):
            with db.engine.begin() as connection:
                spend(connection, row("s3", "n3", when))
                connection.execute(LaunchState.__table__.insert(), row("s4", "n1", when))  # nonce already used
        assert db.session.scalars(select(LaunchState.state).order_by(LaunchState.state)).all() == ["s1"]


def test_the_engines_cursor_events_see_the_statement(app):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("before", statement.split()[2]))

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", cursor.rowcount))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            with engine.begin() as connection:
                spend(connection, row("s1", "n1", datetime.now(timezone.utc)))
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
    assert seen == [("before", "launch_state"), ("after", 1)]


def test_json_values_round_trip_through_a_launch(lti, app):
    roles = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner", "Élève « stagiaire »"]
    claims = {"https://purl.imsglobal.org/spec/lti/claim/roles": roles}
    assert lti.launch(user="101", course="11", claims_update=claims).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(CourseMembership.lti_roles)).one() == roles


def test_every_launch_writes_the_course_as_moodle_describes_it(lti, app):
    """No per-process memo of written rows: when another worker (here, a direct write) changed the course since
    this process last wrote it, the next launch still writes what Moodle sends (the memo skipped it for 10 s)."""
    from sqlalchemy import update

    from models import Course

    assert lti.launch(user="101", course="11").status_code == 303
    with app.app_context():
        sent = db.session.scalars(select(Course.title)).one()
        db.session.execute(update(Course).values(title="Written by another worker"))
        db.session.commit()
    assert lti.launch(user="101", course="11").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Course.title)).one() == sent
