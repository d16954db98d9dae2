"""What a launch writes: unchanged courses and links are not rewritten, changed ones are, and a refused launch
leaves nothing that a later launch would rely on."""
import pytest
from sqlalchemy import func, select

from models import Course, CourseMembership, LaunchState, ResourceLink, User, db
from tests.fixtures.statements import recorded_statements

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture
def statements(app):
    """The SQL statements sent to the database, as they go."""
    with recorded_statements(app) as sent:
        yield sent


def writes_to(sent, table):
    return sum(1 for statement in sent if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "))


def test_unchanged_course_and_link_are_not_rewritten(lti, statements):
    assert lti.launch(user="101", course="11").status_code == 303
    assert (writes_to(statements, "course"), writes_to(statements, "resource_link")) == (1, 1)
    statements.clear()
    assert lti.launch(user="102", course="11").status_code == 303
    assert (writes_to(statements, "course"), writes_to(statements, "resource_link")) == (0, 0)
    # the user, their membership and the spent state are written on every launch
    assert (writes_to(statements, "user_account"), writes_to(statements, "course_membership"),
            writes_to(statements, "launch_state")) == (1, 1, 1)


def test_a_renamed_course_or_link_is_written_at_once(lti, app):
    assert lti.launch(user="101", course="11").status_code == 303
    renamed = {LTI + "context": {"id": "11", "label": "IATRO-2027", "title": "Iatrogénie, 2027"},
               LTI + "resource_link": {"id": "11-1", "title": "Parcours 2027"}}
    assert lti.launch(user="101", course="11", claims_update=renamed).status_code == 303
    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        assert (course.label, course.title) == ("IATRO-2027", "Iatrogénie, 2027")
        assert db.session.scalars(select(ResourceLink)).one().title == "Parcours 2027"


def test_a_refused_launch_leaves_no_course_for_the_next_one(lti, app):
    """The course is upserted, then the launch is refused (a pathway of another course): it is rolled back, and
    the next launch must create it again, not take it as already written."""
    copied = {LTI + "custom": {"pathway_id": "999999"}}
    assert lti.launch(user="101", course="12", claims_update=copied).status_code == 400
    with app.app_context():
        for model in (Course, User, CourseMembership, ResourceLink, LaunchState):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    assert lti.launch(user="101", course="12").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Course.context_id)).all() == ["12"]


def test_repeated_launches_keep_the_user_up_to_date(lti, app):
    assert lti.launch(user="101").status_code == 303
    with app.app_context():
        first = db.session.scalars(select(User)).one().last_launch_at
    assert lti.launch(user="101", claims_update={"email": "claire@example.org"}).status_code == 303
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == "claire@example.org" and user.last_launch_at >= first
