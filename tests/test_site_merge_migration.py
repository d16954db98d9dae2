"""The migration to one identity per Moodle site merges what two registrations of one site held twice, keeping
every completion, mark, booking, grade row and DPC decision; registrations of other sites stay apart."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_migrate import upgrade

from lti_tool import create_app
from models import db

BEFORE = "185b1cd26139"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _filler(column):
    if isinstance(column.type, sa.JSON):
        return {}
    if isinstance(column.type, (sa.Integer, sa.Float, sa.Numeric)):
        return 0
    if isinstance(column.type, sa.Boolean):
        return False
    if isinstance(column.type, sa.DateTime):
        return NOW.replace(tzinfo=None)
    if isinstance(column.type, sa.Date):
        return NOW.date()
    return ""


def add(connection, meta, table_name, **values):
    """A row with the values given; other required columns get a neutral value."""
    table = meta.tables[table_name]
    for column in table.columns:
        if column.name not in values and not column.nullable and not column.primary_key:
            values[column.name] = _filler(column)
        if isinstance(values.get(column.name), datetime):
            values[column.name] = values[column.name].replace(tzinfo=None)
    result = connection.execute(table.insert().values(**values))
    return result.inserted_primary_key[0] if result.inserted_primary_key else None


def test_two_registrations_of_one_site_are_merged_and_nothing_is_lost(tmp_path):
    url = f"sqlite:///{tmp_path / 'merge.sqlite'}"
    app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision=BEFORE)
        meta = sa.MetaData()
        meta.reflect(db.engine)
        with db.engine.begin() as c:
            site = "https://moodle.example.org"
            first = add(c, meta, "platform", issuer=site, client_id="A", auth_login_url=site, auth_token_url=site,
                        key_set_url=site)
            second = add(c, meta, "platform", issuer=site, client_id="B", auth_login_url=site, auth_token_url=site,
                         key_set_url=site)
            other = add(c, meta, "platform", issuer="https://other.example.org", client_id="A",
                        auth_login_url=site, auth_token_url=site, key_set_url=site)
            ids = {}
            for platform in (first, second, other):  # each registration saw course 7 and person 42
                course = add(c, meta, "course", platform_id=platform, context_id="7", title="LTI101",
                             lineitems_url=f"{site}/lineitems?type_id={platform}")
                person = add(c, meta, "user_account", platform_id=platform, sub="42", name="Claire Martin")
                add(c, meta, "course_membership", user_id=person, course_id=course, role="learner")
                add(c, meta, "learner_profile", user_id=person, profession="infirmier", updated_at=NOW)
                organisation = add(c, meta, "organisation", platform_id=platform, name="CPTS Rives de Seine")
                pathway = add(c, meta, "pathway", course_id=course, organisation_id=organisation, title=f"P{platform}",
                              published=True)
                step = add(c, meta, "step", pathway_id=pathway, kind="workshop", title="Atelier", weight=1.0)
                link = add(c, meta, "resource_link", course_id=course, resource_link_id=f"rl-{platform}",
                           pathway_id=pathway, lineitem_url=f"{site}/lineitems/{platform}/lineitem?type_id={platform}")
                enrolment = add(c, meta, "enrolment", pathway_id=pathway, user_id=person, state="completed",
                                progress=100.0, score=100.0)
                add(c, meta, "step_completion", enrolment_id=enrolment, step_id=step, source="attendance",
                    score=100.0, completed_at=NOW)
                session = add(c, meta, "workshop_session", step_id=step, format="in_person", capacity=10,
                              starts_at=NOW, ends_at=NOW)
                half_day = add(c, meta, "half_day", session_id=session, starts_at=NOW, ends_at=NOW)
                add(c, meta, "booking", session_id=session, user_id=person, status="confirmed")
                add(c, meta, "attendance_mark", half_day_id=half_day, user_id=person,
                    status="present", recorded_at=NOW, recorded_by_user_id=person)
                add(c, meta, "grade_outbox", platform_id=platform, course_id=course, resource_link_id=link,
                    enrolment_id=enrolment, lineitem_url="x", user_sub="42", payload={"scoreGiven": 100},
                    timestamp=NOW, state="sent", next_attempt_at=NOW)
                add(c, meta, "dpc_validation", enrolment_id=enrolment, state="granted", certificate_number="C",
                    decided_at=NOW)
                ids[platform] = {"course": course, "person": person, "link": link}
        upgrade()
        with db.engine.connect() as c:
            def count(table, **where):
                query = sa.select(sa.func.count()).select_from(sa.table(table))
                for key, value in where.items():
                    query = query.where(sa.column(key) == value)
                return c.execute(query).scalar()

            # One course and one person for the site, one each for the other site.
            assert count("course") == 2 and count("user_account") == 2 and count("organisation") == 2
            assert count("course", platform_id=first) == 1 and count("course", platform_id=other) == 1
            assert count("course", platform_id=second) == 0 and count("user_account", platform_id=second) == 0
            course, person = ids[first]["course"], ids[first]["person"]
            # Every pathway, enrolment, completion, booking, mark, grade row and DPC decision kept.
            assert count("pathway") == 3 and count("pathway", course_id=course) == 2
            assert count("enrolment") == 3 and count("enrolment", user_id=person) == 2
            assert count("step_completion") == 3 and count("booking") == 3 and count("attendance_mark") == 3
            assert count("grade_outbox") == 3 and count("grade_outbox", course_id=course) == 2
            assert count("dpc_validation") == 3
            assert count("booking", user_id=person) == 2 and count("attendance_mark", user_id=person) == 2
            # One role and one profile per person and course.
            assert count("course_membership") == 2 and count("learner_profile") == 2
            # Placements keep the registration that made them, and their line item.
            links = dict(c.execute(sa.text("SELECT id, platform_id FROM resource_link")).all())
            assert links == {ids[p]["link"]: p for p in (first, second, other)}
            assert count("resource_link", course_id=course) == 2
            services = dict(c.execute(sa.text("SELECT id, services_platform_id FROM course")).all())
            assert services[course] == first
        db.engine.dispose()
