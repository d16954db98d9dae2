"""Statements run on the driver's cursor behave as through SQLAlchemy: typed values, one transaction, SQLAlchemy's
exceptions, and the engine's cursor events."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, exc, insert, select

from lti_tool.services.driver_sql import DriverStatement
from models import CourseMembership, LaunchState, db

TABLE = LaunchState.__table__
COLUMNS = ("state", "nonce", "platform_id", "created_at", "used_at", "expires_at")
INSERT = DriverStatement(insert(TABLE).values({name: bindparam(name, type_=TABLE.c[name].type) for name in COLUMNS}))
PARIS = timezone(timedelta(hours=1))


def row(state, nonce, when):
    return {"state": state, "nonce": nonce, "platform_id": None, "created_at": when, "used_at": None,
            "expires_at": when + timedelta(minutes=10)}


def test_values_go_through_the_column_types(app):
    paris_noon = datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
    with app.app_context():
        with db.engine.begin() as connection:
            INSERT.execute(connection, row("s1", "n1", paris_noon)).close()
        stored = db.session.get(LaunchState, "s1")
        # UTCDateTime's own processing: stored in UTC, read back aware, the same instant
        assert stored.created_at == paris_noon and stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.hour == 11


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back(app):
    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    with app.app_context():
        with db.engine.begin() as connection:
            INSERT.execute(connection, row("s1", "n1", when)).close()
        with pytest.raises(exc.IntegrityError):
            with db.engine.begin() as connection:
                INSERT.execute(connection, row("s2", "n2", when)).close()
                INSERT.execute(connection, row("s3", "n1", when)).close()  # nonce already used
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
                INSERT.execute(connection, row("s1", "n1", datetime.now(timezone.utc))).close()
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
