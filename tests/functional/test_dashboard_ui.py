"""The follow-up page: summary tiles, French numbers, drop-off drawn as drop-off, learner search without script,
scrollable tables reachable by keyboard."""
from sqlalchemy import select

from models import Step, db
from tests.functional.test_forms_ui import Elements
from tests.functional.test_pathways_flow import build_pathway, fill_profile, post


def test_follow_up_tiles_numbers_dropoff_and_search(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    with app.app_context():
        steps = {s.title: s.id for s in db.session.scalars(select(Step).where(Step.pathway_id == pathway_id))}
    nurse, pharmacist, midwife = person("101"), person("103"), person("105")
    for client, profession in ((nurse, "infirmier"), (pharmacist, "pharmacien"), (midwife, "sage_femme")):
        fill_profile(client, profession)
        client.get(f"/learner/pathways/{pathway_id}")
    for client in (nurse, pharmacist):  # two of three pass the pre-test; nobody goes further
        pre = f"/learner/steps/{steps['Pré-test']}"
        assert post(client, f"{pre}/answers", {"q0": "0", "q1": "0"}, page=pre).status_code == 303

    page = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard")
    assert f'href="/instructor/pathways/{pathway_id}/surveys"' in page.text  # the satisfaction results, one click away
    html = page.text
    assert 'class="tiles"' in html and "apprenants inscrits" in html
    # French numbers: 2 of 3 completed the pre-test = 66,7 %; one learner stopped at the first step (33,3 %)
    assert "66,7 %" in html and "33,3 %" in html and "(66.7" not in html
    assert "1 apprenant s'est arrêté ici" in html and "2 apprenants se sont arrêtés ici" in html
    # legend visible, not only in a title
    assert 'class="legend"' in html and "Terminé" in html
    # every scrolling table is a named region reachable by keyboard
    assert html.count('class="table-wrap" tabindex="0" role="region" aria-label="') == html.count('class="table-wrap"')

    found = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard?q=claire").text
    assert "Claire Martin" in found and "Amélie Roux" not in found
    assert Elements(found).by_id["q"][1]["value"] == "claire"
    assert "Apprenants (1)" in found
    none = instructor.get(f"/instructor/pathways/{pathway_id}/dashboard?q=%25_zz").text
    assert "Aucun apprenant ne correspond." in none or "Aucun" in none


def test_the_json_dashboard_carries_the_dropoff(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    nurse = person("101")
    fill_profile(nurse, "infirmier")
    nurse.get(f"/learner/pathways/{pathway_id}")
    steps = instructor.get(f"/api/pathways/{pathway_id}/dashboard").get_json()["steps"]
    assert [(row["lost"], row["lost_rate"]) for row in steps][:2] == [(1, 100.0), (0, 0.0)]
