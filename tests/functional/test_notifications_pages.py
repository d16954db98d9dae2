"""Messages end to end through the pages: a learner launched from the demo Moodle books a session and gets her
convocation by e-mail and in Moodle's notifications (the demo site's web services, as Moodle 4.5 answers
core_message_send_instant_messages); her DPC validation brings the certificate link; the instructor sees every
message on her page; she turns reminders off on her pathway page; the admin page says whether e-mail is on."""
from __future__ import annotations

import re

from sqlalchemy import select

from lti_tool.demo_platform.mail import DemoMoodleMessage
from lti_tool.services.notifications import delivery
from models import Enrolment, LearnerProfile, Notification, NotificationPreference, db
from tests.functional.notify_support import smtp, text_of  # noqa: F401
from tests.functional.test_dpc import attended_learner, save_programme
from tests.functional.test_pathways_flow import _any_csrf, post


def deliver(app):
    with app.app_context():
        report = delivery.deliver_once(app)
        db.session.remove()
    return report


def test_convocation_and_dpc_validation_by_mail_and_in_moodle(app, person, platform, smtp, client):
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    report = deliver(app)
    assert report.states == {"sent": 2}  # the convocation, by e-mail and in Moodle
    [convocation] = smtp.to("claire.martin@exemple-cpts.fr")
    assert str(convocation["Subject"]).strip().startswith("Convocation : Séminaire du trimestre, ")
    assert "Lieu : Maison de santé, Mantes" in text_of(convocation)
    with app.app_context():
        [note] = db.session.scalars(select(DemoMoodleMessage)).all()
        assert (note.site, note.touserid, note.textformat) == ("moodle-a", 101, 2)
        assert note.text.startswith("Convocation : Séminaire du trimestre") and "Bonjour Claire Martin," in note.text
        moodle_row = db.session.scalars(select(Notification).where(Notification.channel == "moodle")).one()
        assert (moodle_row.state, moodle_row.recipient) == ("sent", "101")
        assert moodle_row.result == f"moodle: message {note.id}"

    assert save_programme(instructor, pathway_id).status_code == 303
    with app.app_context():
        enrolment_id = db.session.scalars(select(Enrolment.id).join(
            LearnerProfile, LearnerProfile.user_id == Enrolment.user_id)).one()
    decide = f"/instructor/pathways/{pathway_id}/dpc/{enrolment_id}"
    dpc_page = f"/instructor/pathways/{pathway_id}/dpc"
    assert post(instructor, decide, {"action": "validate"}, page=dpc_page).status_code == 303
    assert deliver(app).states == {"sent": 2}
    dpc = [m for m in smtp.messages if str(m["Subject"]).strip().startswith("DPC validé")]
    assert len(dpc) == 1
    text = text_of(dpc[0])
    assert "Votre participation DPC au parcours « Iatrogénie médicamenteuse » est validée (attestation DPC-" in text
    link = re.search(r"Votre attestation : (\S+)", text).group(1)
    path = link.split(app.config["PUBLIC_BASE_URL"], 1)[1]
    pdf = client.get(path)  # from a mail client: no launch, no session
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(path.replace("/certificate/", "/certificate/x")).status_code == 404  # forged token
    post(instructor, decide, {"action": "withdraw", "reason": "émargement contesté"},
         page=f"/instructor/pathways/{pathway_id}/dpc")
    assert client.get(path).status_code == 409  # withdrawn: the link gives no certificate any more

    page = instructor.get(f"/instructor/pathways/{pathway_id}/learners/{enrolment_id}").text
    assert "Messages" in page and page.count("badge ok\">Envoyé") == 4
    assert "Convocation : Séminaire du trimestre" in page and "claire.martin@exemple-cpts.fr" in page
    assert "Notification Moodle" in page and "DPC validé : Iatrogénie médicamenteuse" in page
    assert deliver(app).attempted == 0


def test_the_learner_turns_reminders_off_and_on(app, person, platform):
    instructor, learner, pathway_id = attended_learner(app, person, platform)
    page = learner.get(f"/learner/pathways/{pathway_id}").text
    assert "Les rappels avant vos séances, et les relances quand vous n'avez pas avancé depuis un moment, sont " \
        "activés." in page.replace("&#39;", "'") and "Désactiver rappels et relances" in page
    response = learner.post(f"/learner/pathways/{pathway_id}/reminders",
                            data={"csrf_token": _any_csrf(page), "reminders": "0"})
    assert response.status_code == 303
    page = learner.get(response.headers["Location"]).text
    assert "Les rappels sont désactivés." in page and "Activer rappels et relances" in page
    with app.app_context():
        [choice] = db.session.scalars(select(NotificationPreference)).all()
        assert (choice.pathway_id, choice.reminders) == (pathway_id, False)
    assert learner.post(f"/learner/pathways/{pathway_id}/reminders", data={"reminders": "1"}).status_code == 400
    assert learner.post(f"/learner/pathways/{pathway_id + 999}/reminders",
                        data={"csrf_token": _any_csrf(page), "reminders": "1"}).status_code == 404


def test_admin_page_says_whether_email_is_on(app, client, platform, runner):
    from tests.fixtures.browser import parse_form

    token = runner.invoke(args=["lti", "admin-token", "create", "--label", "ops"]).output.strip()
    _, fields = parse_form(client.get("/admin/login").text)
    assert client.post("/admin/login", data={"csrf_token": fields["csrf_token"], "token": token}).status_code == 303
    page = client.get("/admin/").text
    assert "E-mail désactivé" in page and "MAIL_SERVER n'est pas défini" in page
    app.config["MAIL_SERVER"] = "smtp.example.org"
    try:
        page = client.get("/admin/").text
        assert "E-mail activé" in page and "Serveur SMTP smtp.example.org, port 25" in page
    finally:
        app.config.pop("MAIL_SERVER")


def test_demo_mail_page_shows_what_was_sent(app, client, platform, smtp, make_pathway, make_user, make_session):
    from lti_tool.services import workshops
    from models import StepKind

    step = make_pathway(steps=[{"kind": StepKind.WORKSHOP, "title": "Atelier"}]).steps[0]
    workshops.book(make_session(step), make_user(email="demo@example.org", sub="105"))
    db.session.commit()
    delivery.deliver_once(app)
    page = client.get("/demo/mail").text
    assert "Notifications Moodle" in page and "à l'utilisateur 105" in page
    assert client.get("/demo/mail", headers={"Accept": "application/json"}).json["moodle"][0]["touserid"] == 105


def test_demo_answers_core_message_send_instant_messages_as_moodle(app, client, platform):
    from lti_tool.demo_platform.moodle_ws import ws_token

    with app.app_context():
        full, basic = ws_token("moodle-a", "full"), ws_token("moodle-a", "basic")

    def call(token, **params):
        data = {"wstoken": token, "wsfunction": "core_message_send_instant_messages", "moodlewsrestformat": "json",
                **params}
        return client.post("/demo/moodle-a/webservice/rest/server.php", data=data).get_json()

    answer = call(full, **{"messages[0][touserid]": "104", "messages[0][text]": "Bonjour",
                           "messages[0][textformat]": "2", "messages[0][clientmsgid]": "notification-7",
                           "messages[1][touserid]": "3", "messages[1][text]": "Moi"})
    assert answer[0]["msgid"] > 0 and answer[0]["clientmsgid"] == "notification-7"
    assert (answer[0]["useridfrom"], answer[0]["text"]) == (3, "Bonjour")
    assert answer[0]["candeletemessagesforallusers"] is False
    assert answer[1]["msgid"] == -1 and "vous-même" in answer[1]["errormessage"]  # the call succeeds, the item not
    assert call(full, **{"messages[0][text]": "sans destinataire"})["errorcode"] == "invalidparameter"
    assert call(basic, **{"messages[0][touserid]": "104", "messages[0][text]": "x"})["errorcode"] == "accessexception"
    with app.app_context():
        [stored] = db.session.scalars(select(DemoMoodleMessage)).all()
        assert (stored.touserid, stored.textformat, stored.clientmsgid) == (104, 2, "notification-7")
