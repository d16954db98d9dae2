"""The lifecycle migration on existing data: pathways stay published, bookings get their step, and a learner's
two active bookings of one workshop (made before the rule) keep the latest active, the other released."""
import sqlite3


def test_existing_data_through_the_lifecycle_migration(tmp_path):
    from flask_migrate import upgrade

    from lti_tool import create_app
    from models import db

    path = tmp_path / "m.sqlite"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with other.app_context():
        upgrade(revision="7c3e9a1f4b20-1")  # just before this migration
        db.engine.dispose()
    raw = sqlite3.connect(path)
    now = "2026-01-05 08:00:00"

    def insert(table, **values):
        """A row with the given values, other required columns filled with neutral ones."""
        for _, name, kind, notnull, default, primary in raw.execute(f"PRAGMA table_info({table})").fetchall():
            if notnull and not primary and default is None and name not in values:
                kind = kind.upper()
                values[name] = (now if "DATE" in kind or "TIME" in kind else "[]" if kind == "JSON"
                                else 0 if kind in ("INTEGER", "BOOLEAN", "FLOAT") else "x")
        raw.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                    list(values.values()))

    insert("platform", id=1)
    insert("course", id=1, platform_id=1)
    for user_id in (5, 6):
        insert("user_account", id=user_id, platform_id=1, sub=f"u{user_id}")
    insert("pathway", id=1, course_id=1, title="Iatrogénie", published=1)
    insert("step", id=7, pathway_id=1, kind="workshop", title="Atelier")
    for session_id in (1, 2):
        insert("workshop_session", id=session_id, step_id=7, format="workshop", capacity=10)
    for booking_id, session_id, user_id, status in ((1, 1, 5, "confirmed"), (2, 2, 5, "waitlisted"),
                                                    (3, 1, 6, "cancelled")):
        insert("booking", id=booking_id, session_id=session_id, user_id=user_id, status=status)
    raw.commit()
    raw.close()
    with other.app_context():
        upgrade()
        db.engine.dispose()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT published, archived_at FROM pathway").fetchall() == [(1, None)]
    assert raw.execute("SELECT id, step_id, status, released FROM booking ORDER BY id").fetchall() == [
        (1, 7, "confirmed", 1), (2, 7, "waitlisted", 0), (3, 7, "cancelled", 0)]
    raw.close()
