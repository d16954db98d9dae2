"""The demo data loads through the services, once, with learners of many professions at various stages."""
from sqlalchemy import func, select

from models import Enrolment, Pathway, WorkshopSession, db


def test_seed_creates_two_pathways_with_sessions_and_varied_learners(runner, platform, app):
    result = runner.invoke(args=["lti-demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "already" in runner.invoke(args=["lti-demo", "seed"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pathway)) == 2
        assert db.session.scalar(select(func.count()).select_from(WorkshopSession)) >= 4
        professions = db.session.scalar(select(func.count(func.distinct(Enrolment.profession))))
        states = set(db.session.scalars(select(Enrolment.state).distinct()))
    assert professions >= 6
    assert states == {"not_started", "in_progress", "completed"}


def test_demo_learner_sees_the_seeded_pathway(runner, lti, client):
    runner.invoke(args=["lti-demo", "seed"])
    response = lti.launch_via_demo(user="104", course="12")
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert "Arrêt cardiaque en soins primaires" in page.text
