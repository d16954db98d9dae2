"""Satisfaction surveys (issue 14, item 5): "à chaud" to those who attended, once the session has ended, and "à
froid" weeks later; the signed link opens the survey without a launch; one answer per person; results per
session and per profession for instructors, and the CSV."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lti_tool.services import attendance, workshops
from lti_tool.services.notifications import delivery
from models import NotificationSettings, StepKind, SurveyResponse, db
from tests.functional.notify_support import smtp, text_of  # noqa: F401
from tests.functional.test_pathways_flow import _any_csrf


def subject(message) -> str:
    return str(message["Subject"]).strip()


def survey_path(app, message) -> str:
    return re.search(r"Votre avis : (\S+)", text_of(message)).group(1).split(app.config["PUBLIC_BASE_URL"], 1)[1]


def test_hot_and_cold_surveys_answered_once_and_results(app, smtp, client, make_pathway, make_user, make_session):
    step = make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier"}]).steps[0]
    session = make_session(step, title="Simulation ACR", starts_in=timedelta(days=2))
    nurse, doctor, absent = (make_user(profession, email=f"{profession}@example.org")
                             for profession in ("infirmier", "medecin", "pharmacien"))
    for learner in (nurse, doctor, absent):
        workshops.book(session, learner)
    for learner in (nurse, doctor):
        attendance.mark(session.half_days[0], learner.id, "present", method="roster", by_user_id=nurse.id)
    db.session.add(NotificationSettings(pathway_id=step.pathway_id, reminder_days=[7, 1], cold_survey_days=30))
    db.session.commit()
    session_id, ends_at = session.id, session.ends_at
    delivery.deliver_once(app, now=ends_at - timedelta(minutes=5))
    assert not [m for m in smtp.messages if subject(m).startswith("Votre avis")]  # not before the end
    delivery.deliver_once(app, now=ends_at + timedelta(minutes=5))
    hot = [m for m in smtp.messages if subject(m).startswith("Votre avis sur la séance : Simulation ACR")]
    assert sorted(m["To"] for m in hot) == ["infirmier@example.org", "medecin@example.org"]  # who attended
    message = next(m for m in hot if m["To"] == "infirmier@example.org")
    assert "Merci de votre participation." in text_of(message)
    path = survey_path(app, message)
    page = client.get(path, headers={"Accept-Language": "en-US"})  # from a mail client: no launch
    # In the person's language (French here), as the message was, whatever the browser says.
    assert page.status_code == 200 and "Dans l'ensemble, êtes-vous satisfait·e de cette séance ?" in page.text
    refused = client.post(path, data={"csrf_token": _any_csrf(page.text), "satisfaction": "9", "usefulness": "4"})
    assert refused.status_code == 422 and "Choisissez une valeur de 1 à 5." in refused.text
    assert "Répondez oui ou non." in refused.text
    answer = {"csrf_token": _any_csrf(page.text), "satisfaction": "5", "usefulness": "4", "interprofessional": "5",
              "recommend": "yes", "comment": "=Très utile, en binôme avec un médecin"}
    assert "Merci, votre réponse est enregistrée." in client.post(path, data=answer).text
    again = client.post(path, data={**answer, "satisfaction": "1"})  # a second submit changes nothing
    assert again.status_code == 200 and "Merci, votre réponse est enregistrée." in again.text
    assert client.get(path.replace("/survey/", "/survey/x")).status_code == 404
    doctor_path = survey_path(app, next(m for m in hot if m["To"] == "medecin@example.org"))
    page = client.get(doctor_path)
    client.post(doctor_path, data={"csrf_token": _any_csrf(page.text), "satisfaction": "3", "usefulness": "2",
                                   "interprofessional": "4", "recommend": "no"})
    [saved] = db.session.scalars(select(SurveyResponse).where(SurveyResponse.user_id == nurse.id)).all()
    assert (saved.satisfaction, saved.profession, saved.kind) == (5, "infirmier", "hot")

    delivery.deliver_once(app, now=ends_at + timedelta(days=29))
    assert not [m for m in smtp.messages if subject(m).startswith("Quelques semaines")]
    delivery.deliver_once(app, now=ends_at + timedelta(days=30, hours=1))
    cold = [m for m in smtp.messages if subject(m).startswith("Quelques semaines après, votre avis sur")]
    assert sorted(m["To"] for m in cold) == ["infirmier@example.org", "medecin@example.org"]
    delivery.deliver_once(app, now=ends_at + timedelta(days=31))
    assert len([m for m in smtp.messages if subject(m).startswith("Quelques semaines")]) == 2  # once each

    from lti_tool.services import surveys

    results = surveys.results(step.pathway_id)
    [row] = results["sessions"]
    assert (row["session_id"], row["kind"], row["answers"]) == (session_id, "hot", 2)
    assert float(row["satisfaction"]) == 4.0 and float(row["recommend"]) == 50.0
    assert {r["profession"]: float(r["usefulness"]) for r in results["professions"]} == {"infirmier": 4.0,
                                                                                        "medecin": 2.0}


def test_instructor_results_page_and_csv(app, person, platform, smtp):
    from tests.functional.test_dpc import attended_learner

    instructor, learner, pathway_id = attended_learner(app, person, platform)
    with app.app_context():
        from models import WorkshopSession

        session = db.session.scalars(select(WorkshopSession)).one()
        delivery.deliver_once(app, now=session.ends_at + timedelta(minutes=1))
        db.session.remove()
    [invite] = [m for m in smtp.messages if subject(m).startswith("Votre avis sur la séance")]
    path = survey_path(app, invite)
    page = learner.get(path)
    learner.post(path, data={"csrf_token": _any_csrf(page.text), "satisfaction": "4", "usefulness": "5",
                             "interprofessional": "3", "recommend": "yes", "comment": "Bien"})
    page = instructor.get(f"/instructor/pathways/{pathway_id}/surveys")
    assert page.status_code == 200 and "Par séance" in page.text and "Par profession" in page.text
    assert "Séminaire du trimestre" in page.text and "Infirmier" in page.text and "Bien" in page.text
    assert "4,0" in page.text and "100,0 %" in page.text
    csv = instructor.get(f"/instructor/pathways/{pathway_id}/surveys?format=csv")
    lines = csv.data.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Session;Date;Questionnaire;Profession;Satisfaction;Utilité pour la pratique;")
    assert ";À chaud;Infirmier;4;5;3;Oui;Bien;" in lines[1]
    assert learner.get(f"/instructor/pathways/{pathway_id}/surveys").status_code == 403
