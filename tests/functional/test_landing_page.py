"""Where a learner's launch lands: their course's pathway, on the first page (no redirect more), read in a
handful of statements whatever the number of steps, sessions and bookings."""
from tests.fixtures.statements import recorded_statements as statements
from tests.functional.test_pathways_flow import build_pathway, fill_profile, post, publish, schedule


def test_the_launch_lands_on_the_only_pathway_in_few_statements(app, person):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    learner = person("101")
    fill_profile(learner, "infirmier")
    learner.get("/learner/")  # the first visit enrols the learner (and the CSP reads the platforms)

    with statements(app) as seen:
        page = learner.get("/learner/")
    assert page.status_code == 200, page.text  # the pathway itself, no redirect
    assert "Iatrogénie médicamenteuse" in page.text and "Séminaire interprofessionnel" in page.text
    assert "Désactiver rappels et relances" in page.text  # reminders on: no preference stored
    # the launch context, the course's published pathways, the pathway with the enrolment, the steps with their
    # completions and time, the workshop's sessions with the learner's bookings
    assert len(seen) == 5, "\n".join(seen)

    # The same page at its own address, with a booking: its notices are read too (none yet).
    session_id = schedule(app, instructor, pathway_id)
    assert post(learner, f"/learner/sessions/{session_id}/book", {}, page="/learner/").status_code == 303
    with statements(app) as seen:
        page = learner.get(f"/learner/pathways/{pathway_id}")
    assert page.status_code == 200 and "Séminaire du trimestre" in page.text
    assert len(seen) == 5, "\n".join(seen)  # the launch context, the pathway, steps, sessions, notices

    # The session is cancelled: the notice is shown once, and marked seen in the same request.
    assert post(instructor, f"/instructor/sessions/{session_id}/cancel", {}).status_code == 303
    with statements(app) as seen:
        page = learner.get("/learner/")
    assert "a été annulée" in page.text
    assert len(seen) == 7, "\n".join(seen)  # the landing page's five, the notices, marking them seen
    assert "a été annulée" not in learner.get("/learner/").text


def test_a_course_with_two_pathways_lists_them(app, person):
    instructor = person("201")
    first = build_pathway(instructor)
    response = post(instructor, "/instructor/pathways", {"title": "Plaies chroniques", "organisation": ""},
                    page="/instructor/")
    second = int(response.headers["Location"].rstrip("/").split("/")[-1])
    post(instructor, f"/instructor/pathways/{second}/steps", {"kind": "module", "title": "MOOC plaies",
                                                              "minimum_minutes": "0", "weight": "1"},
         page=f"/instructor/pathways/{second}")
    publish(instructor, second)
    learner = person("101")
    fill_profile(learner, "infirmier")
    page = learner.get("/learner/")
    assert page.status_code == 200
    assert f'href="/learner/pathways/{first}"' in page.text and f'href="/learner/pathways/{second}"' in page.text


def test_without_a_profile_the_launch_asks_for_it_first(app, person):
    instructor = person("201")
    build_pathway(instructor)
    learner = person("101")
    response = learner.get("/learner/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/learner/profile")
