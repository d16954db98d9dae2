def test_learner_launch_through_demo_platform(lti, client):
    response = lti.launch_via_demo(user="101", course="11")
    assert response.status_code == 303, response.text
    assert response.headers["Location"].endswith("/learner/")
    page = client.get("/learner/")
    assert page.status_code == 200
    assert "Claire" in page.text
