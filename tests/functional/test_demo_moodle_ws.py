"""The demo sites' Moodle REST web services (server.php) and the page where a learner marks activities complete."""
import time

import pytest
import requests
from sqlalchemy import select

from lti_tool.demo_platform import moodle_catalog
from lti_tool.demo_platform.models import DemoCompletion
from lti_tool.demo_platform.moodle_ws import parse_php_params, scorm_time, ws_token
from models import db

SERVER = "/demo/{site}/webservice/rest/server.php"
FULL_FUNCTIONS = ["core_webservice_get_site_info", "core_course_get_contents",
                  "core_completion_get_activities_completion_status", "mod_scorm_get_scorms_by_courses",
                  "mod_scorm_get_scorm_scoes", "mod_scorm_get_scorm_sco_tracks",
                  "core_message_send_instant_messages"]
INVALID_TOKEN = {"exception": "moodle_exception", "errorcode": "invalidtoken",
                 "message": "Invalid token - token not found"}
ACCESS = {"exception": "webservice_access_exception", "errorcode": "accessexception",
          "message": "Access control exception"}
NO_FUNCTION = {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
               "message": "Can't find data record in database table external_functions."}
INVALID_PARAMETER = {"exception": "invalid_parameter_exception", "errorcode": "invalidparameter",
                     "message": "Invalid parameter value detected"}
NO_COURSE = {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
             "message": "Can't find data record in database table course."}
NOT_TRACKED = {"exception": "moodle_exception", "errorcode": "nottracked",
               "message": "User is not tracked for completion"}
NO_SCO = {"exception": "moodle_exception", "errorcode": "cannotfindsco", "message": "Cannot find SCO"}


@pytest.fixture
def tokens(app):
    with app.app_context():
        return {(site, profile): ws_token(site, profile)
                for site in ("moodle-a", "moodle-b") for profile in ("full", "basic")}


@pytest.fixture
def ws(client, tokens):
    """Call a function as a Moodle client does: GET (or POST) server.php, parameters in PHP array notation."""
    def call(function, params=None, *, profile="full", site="moodle-a", method="get", token=None, raw=False):
        data = {"wstoken": tokens[(site, profile)] if token is None else token, "wsfunction": function,
                "moodlewsrestformat": "json", **(params or {})}
        url = SERVER.format(site=site)
        response = client.get(url, query_string=data) if method == "get" else client.post(url, data=data)
        if raw:
            return response
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        return response.get_json()
    return call


def issuer(app, site="moodle-a"):
    return f"{app.config['PUBLIC_BASE_URL']}/demo/{site}"


def complete(client, cmid, user="101", action="complete", course=None, site="moodle-a", json=True):
    course = course or moodle_catalog.find_module(cmid)[0]
    return client.post("/demo/activities/completion", data={"site": site, "course": course, "user": user,
                                                           "cmid": cmid, "action": action},
                       headers={"Accept": "application/json"} if json else {})


# -- tokens -----------------------------------------------------------------------------------------------
def test_token_is_a_per_site_per_profile_hmac(app, tokens):
    assert all(len(token) == 32 and int(token, 16) >= 0 for token in tokens.values())
    assert len(set(tokens.values())) == 4
    import hashlib
    import hmac

    expected = hmac.new(b"test-secret", b"demo-ws:moodle-a:full", hashlib.sha256).hexdigest()[:32]
    assert tokens[("moodle-a", "full")] == expected


def test_php_array_notation_is_parsed_as_php_does():
    assert parse_php_params([("courseids[0]", "11"), ("courseids[1]", "12"), ("options[0][name]", "cmid"),
                             ("options[0][value]", "511"), ("ids[]", "1"), ("ids[]", "2"), ("x", "y")]) == {
        "courseids": {"0": "11", "1": "12"}, "options": {"0": {"name": "cmid", "value": "511"}},
        "ids": {"0": "1", "1": "2"}, "x": "y"}


def test_scorm_time_is_scorm_12_timespan():
    assert scorm_time(0) == "00:00:00.00"
    assert scorm_time(750) == "00:12:30.00"
    assert scorm_time(100 * 3600 + 61) == "100:01:01.00"


# -- core_webservice_get_site_info ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "post"])
def test_site_info_lists_the_token_profile_functions(ws, app, method):
    info = ws("core_webservice_get_site_info", method=method)
    assert info["sitename"] == "Moodle CPTS Rives de Seine"
    assert info["siteurl"] == issuer(app)
    assert (info["username"], info["userid"], info["lang"], info["siteid"]) == ("ws-parcours", 3, "fr", 1)
    assert info["release"] == "4.5 (Build: 20241007)" and info["version"] == "2024100700"
    assert info["functions"] == [{"name": name, "version": "2024100700"} for name in FULL_FUNCTIONS]
    for key, value in {"mobilecssurl": "", "advancedfeatures": [], "usercanmanageownfiles": True, "userquota": 0,
                       "usermaxuploadfilesize": -1, "userhomepage": 1, "sitecalendartype": "gregorian",
                       "usercalendartype": "gregorian", "theme": "boost"}.items():
        assert info[key] == value, key
    for key in ("firstname", "lastname", "fullname", "userpictureurl", "downloadfiles", "uploadfiles"):
        assert key in info
    basic = ws("core_webservice_get_site_info", profile="basic", site="moodle-b")
    assert [f["name"] for f in basic["functions"]] == ["core_webservice_get_site_info", "core_course_get_contents"]
    assert basic["sitename"] == "Moodle Fédération CPTS (enregistrement dynamique)"
    assert basic["siteurl"] == issuer(app, "moodle-b")


# -- core_course_get_contents -------------------------------------------------------------------------------
def test_course_contents_shape(ws, app):
    sections = ws("core_course_get_contents", {"courseid": "11"}, profile="basic")
    assert [s["section"] for s in sections] == [0, 1, 2]
    first = sections[0]
    assert first["name"] == "Généralités"
    assert {k: first[k] for k in ("visible", "summary", "summaryformat", "hiddenbynumsections", "uservisible")} == {
        "visible": 1, "summary": "", "summaryformat": 1, "hiddenbynumsections": 0, "uservisible": True}
    assert len({s["id"] for s in sections}) == 3
    modules = {m["id"]: m for s in sections for m in s["modules"]}
    assert list(modules) == [501, 502, 511, 512, 513, 521, 522]
    scorm = modules[511]
    assert scorm["url"] == f"{issuer(app)}/mod/scorm/view.php?id=511"
    assert (scorm["modname"], scorm["instance"], scorm["completion"]) == ("scorm", 41, 2)
    for key, value in {"visible": 1, "uservisible": True, "visibleoncoursepage": 1, "availability": None,
                       "indent": 0, "onclick": "", "afterlink": None, "customdata": '""', "noviewlink": False,
                       "downloadcontent": 1, "dates": []}.items():
        assert scorm[key] == value, key
    assert scorm["modicon"].startswith(issuer(app)) and scorm["modplural"] and isinstance(scorm["contextid"], int)
    assert scorm["completiondata"] == {"state": 0, "timecompleted": 0, "overrideby": None, "valueused": False,
                                       "hascompletion": True, "isautomatic": True, "istrackeduser": False,
                                       "uservisible": True, "details": []}
    assert modules[502]["completiondata"]["isautomatic"] is False  # manual
    assert "completiondata" not in modules[501] and modules[501]["completion"] == 0  # no tracking


def test_course_contents_options_in_array_notation(ws):
    only_scorm = ws("core_course_get_contents", {"courseid": "12", "options[0][name]": "modname",
                                                 "options[0][value]": "scorm"})
    assert [m["id"] for s in only_scorm for m in s["modules"]] == [611, 612]
    one = ws("core_course_get_contents", {"courseid": "12", "options[0][name]": "sectionnumber",
                                         "options[0][value]": "2", "options[1][name]": "excludemodules",
                                         "options[1][value]": "1"}, method="post")
    assert [(s["section"], s["modules"]) for s in one] == [(2, [])]
    assert ws("core_course_get_contents", {"courseid": "12", "options[0][name]": "nosuchoption",
                                           "options[0][value]": "1"}) == {
        "exception": "moodle_exception", "errorcode": "errorinvalidparam",
        "message": 'The param "nosuchoption" is invalid.'}


# -- core_completion_get_activities_completion_status -----------------------------------------------------
def test_completion_status_lists_tracked_modules_with_the_learner_state(ws, client):
    before = ws("core_completion_get_activities_completion_status", {"courseid": "11", "userid": "101"})
    assert before["warnings"] == []
    assert [s["cmid"] for s in before["statuses"]] == [502, 511, 512, 513, 521]  # 501 and 522: no tracking
    assert all(s["state"] == 0 and s["timecompleted"] == 0 for s in before["statuses"])
    start = int(time.time())
    assert complete(client, 502).status_code == 200
    assert complete(client, 513).status_code == 200
    after = {s["cmid"]: s for s in ws("core_completion_get_activities_completion_status",
                                      {"courseid": "11", "userid": "101"})["statuses"]}
    assert after[502]["state"] == 1 and after[502]["timecompleted"] >= start
    assert after[513]["state"] == 1 and after[511]["state"] == 0
    assert after[502] == {"cmid": 502, "modname": "page", "instance": 302, "state": 1,
                          "timecompleted": after[502]["timecompleted"], "tracking": 1, "overrideby": None,
                          "valueused": False, "hascompletion": True, "isautomatic": False, "istrackeduser": True,
                          "uservisible": True, "details": []}
    assert after[513]["isautomatic"] is True
    other = ws("core_completion_get_activities_completion_status", {"courseid": "11", "userid": "102"})
    assert all(s["state"] == 0 for s in other["statuses"])  # per learner
    on_b = ws("core_completion_get_activities_completion_status", {"courseid": "11", "userid": "101"},
              site="moodle-b")
    assert all(s["state"] == 0 for s in on_b["statuses"])  # per site


def test_completion_status_user_rules(ws):
    def status(userid):
        return ws("core_completion_get_activities_completion_status", {"courseid": "12", "userid": userid})

    assert status("201") == NOT_TRACKED  # instructor
    assert status("2") == NOT_TRACKED  # site administrator, not enrolled
    bench = status("10042")  # any other positive id: an enrolled learner (benchmarks)
    assert len(bench["statuses"]) == 10 and all(s["istrackeduser"] for s in bench["statuses"])
    assert status("abc") == INVALID_PARAMETER
    assert status("0")["errorcode"] == "invalidrecord"
    assert ws("core_completion_get_activities_completion_status", {"courseid": "99", "userid": "101"}) == NO_COURSE
    assert ws("core_completion_get_activities_completion_status", {"courseid": "12"}) == INVALID_PARAMETER


# -- SCORM ----------------------------------------------------------------------------------------------------
def test_scorms_by_courses(ws):
    both = ws("mod_scorm_get_scorms_by_courses", {"courseids[0]": "11", "courseids[1]": "12"})
    assert both["warnings"] == []
    assert [(s["id"], s["coursemodule"], s["course"]) for s in both["scorms"]] == [(41, 511, 11), (61, 611, 12),
                                                                                   (62, 612, 12)]
    first = both["scorms"][0]
    for key, value in {"name": "Module e-learning : repérer la iatrogénie (SCORM)", "intro": "", "introformat": 1,
                       "introfiles": [], "packagesize": 0, "version": "SCORM_12", "maxgrade": 100,
                       "grademethod": 1, "whatgrade": 0, "maxattempt": 0, "forcecompleted": False}.items():
        assert first[key] == value, key
    appended = ws("mod_scorm_get_scorms_by_courses", {"courseids[]": "12"}, method="post")
    assert [s["id"] for s in appended["scorms"]] == [61, 62]
    unknown = ws("mod_scorm_get_scorms_by_courses", {"courseids[0]": "99"})
    assert unknown["scorms"] == [] and unknown["warnings"][0]["itemid"] == 99
    assert ws("mod_scorm_get_scorms_by_courses", {"courseids[0]": "x"}) == INVALID_PARAMETER
    assert ws("mod_scorm_get_scorms_by_courses", {"courseids": "11"}) == INVALID_PARAMETER  # not an array


def test_scorm_scoes(ws):
    scoes = ws("mod_scorm_get_scorm_scoes", {"scormid": "61"})
    assert scoes == {"scoes": [{"id": 6101, "scorm": 61, "manifest": "MANIFEST-1", "organization": "ORG-1",
                                "parent": "/", "identifier": "SCO-1", "launch": "index.html", "scormtype": "sco",
                                "title": "Reconnaître l'arrêt cardiaque (SCORM)", "sortorder": 1, "extradata": []}],
                     "warnings": []}
    assert ws("mod_scorm_get_scorm_scoes", {"scormid": "61", "organization": "ORG-2"})["scoes"] == []
    assert ws("mod_scorm_get_scorm_scoes", {"scormid": "43"}) == {
        "exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
        "message": "Can't find data record in database table scorm."}  # 43 is a quiz


def test_sco_tracks_not_attempted_then_time_then_completed(ws, client):
    def tracks(**extra):
        return ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "4101", "userid": "101", **extra})

    assert tracks() == {"data": {"attempt": 1, "tracks": []},
                        "warnings": [{"item": "attempt", "itemid": 1, "warningcode": "notattempted",
                                      "message": "Not attempted"}]}
    assert complete(client, 511, action="scorm10").status_code == 200
    assert complete(client, 511, action="scorm10").status_code == 200
    answer = tracks()
    assert answer["warnings"] == [] and answer["data"]["attempt"] == 1
    values = {t["element"]: t["value"] for t in answer["data"]["tracks"]}
    assert values["cmi.core.lesson_status"] == values["status"] == "incomplete"
    assert values["cmi.core.total_time"] == values["total_time"] == "00:20:00.00"
    assert int(values["timemodified"]) >= int(values["x.start.time"]) > 0
    assert complete(client, 511).status_code == 200
    values = {t["element"]: t["value"] for t in tracks(attempt="1")["data"]["tracks"]}
    assert values["cmi.core.lesson_status"] == "completed" and values["cmi.core.total_time"] == "00:20:00.00"
    assert tracks(attempt="2")["warnings"][0]["itemid"] == 2  # no second attempt
    done_without_time = ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "6101", "userid": "10001"})
    assert done_without_time["data"]["tracks"] == []
    complete(client, 611, user="10001")
    values = {t["element"]: t["value"] for t in ws("mod_scorm_get_scorm_sco_tracks",
                                                   {"scoid": "6101", "userid": "10001"})["data"]["tracks"]}
    assert values["cmi.core.lesson_status"] == "completed" and values["cmi.core.total_time"] == "00:00:00.00"
    assert ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "9999", "userid": "101"}) == NO_SCO
    assert ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "4101", "userid": "x"}) == INVALID_PARAMETER


# -- errors --------------------------------------------------------------------------------------------------
def test_errors_are_200_with_moodle_exceptions(ws, tokens):
    assert ws("core_webservice_get_site_info", token="") == INVALID_TOKEN
    assert ws("core_webservice_get_site_info", token="0" * 32) == INVALID_TOKEN
    assert ws("core_webservice_get_site_info", site="moodle-a", token=tokens[("moodle-b", "full")]) == INVALID_TOKEN
    assert ws("core_webservice_get_site_info", token="0" * 32, params={"wsfunction": "nope"}) == INVALID_TOKEN
    for function in FULL_FUNCTIONS[2:]:
        assert ws(function, {"courseid": "11"}, profile="basic") == ACCESS, function
    assert ws("core_user_get_users_by_field") == ACCESS  # a Moodle function neither service includes
    assert ws("local_nosuch_function") == NO_FUNCTION
    assert ws("") == INVALID_PARAMETER  # missing function name
    assert ws("core_course_get_contents") == INVALID_PARAMETER  # missing courseid
    assert ws("core_course_get_contents", {"courseid": "11x"}) == INVALID_PARAMETER
    assert ws("core_course_get_contents", {"courseid": "11", "unexpected": "1"}) == INVALID_PARAMETER
    assert ws("core_course_get_contents", {"courseid[0]": "11"}) == INVALID_PARAMETER
    assert ws("core_course_get_contents", {"courseid": "99"}) == NO_COURSE
    assert ws("core_webservice_get_site_info", {"moodlewssettingfilter": "true"})["userid"] == 3


def test_without_json_format_moodle_answers_xml(client, tokens):
    response = client.get(SERVER.format(site="moodle-a"), query_string={"wstoken": "bad",
                                                                         "wsfunction": "core_webservice_get_site_info"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/xml")
    assert '<EXCEPTION class="moodle_exception">' in response.text and "<ERRORCODE>invalidtoken</ERRORCODE>" in response.text
    response = client.get(SERVER.format(site="moodle-a"), query_string={
        "wstoken": tokens[("moodle-a", "basic")], "wsfunction": "core_course_get_contents", "courseid": "11"})
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n<MULTIPLE>')
    assert '<KEY name="modname"><VALUE>scorm</VALUE>' in response.text


def test_unknown_site_is_404(client, tokens):
    assert client.get(SERVER.format(site="moodle-z"), query_string={"wstoken": "x"}).status_code == 404
    assert client.post("/demo/moodle-z/webservice/revoke", data={"profile": "full", "revoked": "1"}).status_code == 404
    assert client.post("/demo/moodle-z/activities/511/delete", data={"deleted": "1"}).status_code == 404


# -- revocation and deletion switches ---------------------------------------------------------------------------
def test_revoked_token_is_invalid_until_restored(ws, client):
    answer = client.post("/demo/moodle-a/webservice/revoke", data={"profile": "basic", "revoked": "1"},
                         headers={"Accept": "application/json"})
    assert answer.get_json() == {"site": "moodle-a", "profile": "basic", "revoked": True}
    assert ws("core_webservice_get_site_info", profile="basic") == INVALID_TOKEN
    assert ws("core_webservice_get_site_info", profile="full")["userid"] == 3  # the other token still works
    assert ws("core_webservice_get_site_info", profile="basic", site="moodle-b")["userid"] == 3  # and other sites
    page = client.post("/demo/moodle-a/webservice/revoke", data={"profile": "basic", "revoked": "0", "course": "12",
                                                                "user": "103"})
    assert page.status_code == 303
    assert page.headers["Location"].startswith("/demo/activities?site=moodle-a&course=12&user=103")
    assert ws("core_webservice_get_site_info", profile="basic")["userid"] == 3
    assert client.post("/demo/moodle-a/webservice/revoke", data={"profile": "nope", "revoked": "1"}).status_code == 400


def test_deleted_module_disappears_from_every_function(ws, client):
    complete(client, 511, action="scorm10")
    answer = client.post("/demo/moodle-a/activities/511/delete", data={"deleted": "1"},
                         headers={"Accept": "application/json"})
    assert answer.get_json() == {"site": "moodle-a", "cmid": 511, "deleted": True}
    contents = ws("core_course_get_contents", {"courseid": "11"})
    assert 511 not in [m["id"] for s in contents for m in s["modules"]]
    statuses = ws("core_completion_get_activities_completion_status", {"courseid": "11", "userid": "101"})
    assert 511 not in [s["cmid"] for s in statuses["statuses"]]
    assert ws("mod_scorm_get_scorms_by_courses", {"courseids[0]": "11"})["scorms"] == []
    assert ws("mod_scorm_get_scorm_scoes", {"scormid": "41"})["errorcode"] == "invalidrecord"
    assert ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "4101", "userid": "101"}) == NO_SCO
    assert 511 in [m["id"] for s in ws("core_course_get_contents", {"courseid": "11"}, site="moodle-b")
                   for m in s["modules"]]  # deleted on moodle-a only
    assert complete(client, 511).status_code == 404  # a learner cannot complete a deleted activity
    restored = client.post("/demo/moodle-a/activities/511/delete", data={"deleted": "0", "user": "104"})
    assert restored.status_code == 303
    assert restored.headers["Location"] == "/demo/activities?site=moodle-a&course=11&user=104#cm-511"
    assert 511 in [m["id"] for s in ws("core_course_get_contents", {"courseid": "11"}) for m in s["modules"]]
    assert ws("mod_scorm_get_scorm_sco_tracks", {"scoid": "4101", "userid": "101"})["warnings"] == []
    assert client.post("/demo/moodle-a/activities/999/delete", data={"deleted": "1"}).status_code == 404
    assert client.post("/demo/moodle-a/activities/511/delete", data={"deleted": "maybe"}).status_code == 400


# -- network simulation ------------------------------------------------------------------------------------------
def test_latency_and_outage_switch(ws, client, app):
    app.config["DEMO_PLATFORM_LATENCY_MS"] = 150
    try:
        started = time.perf_counter()
        assert ws("core_webservice_get_site_info")["userid"] == 3
        assert time.perf_counter() - started >= 0.15
    finally:
        app.config["DEMO_PLATFORM_LATENCY_MS"] = 0
    client.post("/demo/moodle-a/outage", data={"down": "1"})
    down = ws("core_webservice_get_site_info", raw=True)
    assert down.status_code == 503
    assert ws("core_webservice_get_site_info", site="moodle-b")["userid"] == 3  # only moodle-a is down
    client.post("/demo/moodle-a/outage", data={"down": "0"})
    assert ws("core_webservice_get_site_info")["userid"] == 3


def test_over_real_http_as_the_tool_calls_it(app, tokens):
    url = issuer(app) + "/webservice/rest/server.php"
    answer = requests.post(url, data={"wstoken": tokens[("moodle-a", "full")], "moodlewsrestformat": "json",
                                      "wsfunction": "mod_scorm_get_scorms_by_courses", "courseids[0]": "12"},
                           timeout=5)
    assert answer.status_code == 200 and [s["coursemodule"] for s in answer.json()["scorms"]] == [611, 612]


# -- the activities page and its completion form ---------------------------------------------------------------------
def test_activities_page_shows_course_learner_state_and_tokens(client, app, tokens):
    page = client.get("/demo/activities")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Activités Moodle</h1>" in text and 'href="/demo/activities"' in text  # nav link
    assert "Module e-learning : repérer la iatrogénie (SCORM)" in text and "Claire Martin" in text
    for label in ("Achèvement manuel", "Achèvement automatique", "sans suivi", "Ajouter 10 min de SCORM",
                  "Marquer comme terminée", "Supprimer l'activité", "Paquetage SCORM"):
        assert label in text, label
    assert f"{issuer(app)}/webservice/rest/server.php" in text
    assert tokens[("moodle-a", "full")] in text and tokens[("moodle-a", "basic")] in text
    for control in ('for="pick-site"', 'for="pick-course"', 'for="pick-user"', 'name="viewport"'):
        assert control in text
    assert "Karim Benali" in text and "Hélène Garnier" not in text  # learners only
    other = client.get("/demo/activities?site=moodle-b&course=12&user=105")
    assert other.status_code == 200 and "La chaîne de survie (SCORM)" in other.text
    assert tokens[("moodle-b", "basic")] in other.text
    for query in ("site=moodle-z", "course=99", "user=201", "user=nobody"):
        assert client.get(f"/demo/activities?{query}").status_code == 404, query


def test_activities_page_empty_course(client, monkeypatch):
    monkeypatch.setitem(moodle_catalog.CATALOG, "12", ())
    page = client.get("/demo/activities?course=12")
    assert page.status_code == 200 and "Ce cours n'a aucune activité." in page.text


def test_completion_form_marks_and_unmarks_and_redirects(client, app):
    response = client.post("/demo/activities/completion", data={"site": "moodle-a", "course": "11", "user": "103",
                                                                "cmid": "502", "action": "complete"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/demo/activities?site=moodle-a&course=11&user=103#cm-502"
    with app.app_context():
        row = db.session.scalars(select(DemoCompletion)).one()
        assert (row.site, row.cmid, row.user_id, row.state) == ("moodle-a", 502, "103", 1)
        assert row.time_completed > 0 and row.time_modified >= row.time_completed
    page = client.get("/demo/activities?site=moodle-a&course=11&user=103")
    assert "Marquer comme non terminée" in page.text and "Terminée le" in page.text
    answer = complete(client, 502, user="103", action="incomplete").get_json()
    assert (answer["state"], answer["time_completed"]) == (0, 0) and answer["time_modified"] > 0
    assert complete(client, 511, user="103", action="scorm10").get_json()["scorm_seconds"] == 600
    assert complete(client, 511, user="103", action="scorm10").get_json()["scorm_seconds"] == 1200
    assert complete(client, 511, user="103").get_json()["scorm_seconds"] == 1200  # completing keeps the time
    assert "Temps passé dans le SCORM : 20 min" in client.get("/demo/activities?user=103").text


def test_completion_form_refusals(client):
    assert complete(client, 501).status_code == 400  # no completion tracking
    assert complete(client, 502, action="scorm10").status_code == 400  # not a SCORM package
    assert complete(client, 502, action="explode").status_code == 400
    assert complete(client, 502, user="201").status_code == 400  # an instructor
    assert complete(client, 502, user="abc").status_code == 400
    assert complete(client, 502, course="12").status_code == 404  # not in that course
    assert complete(client, 502, site="moodle-z").status_code == 404
    refused = complete(client, 501, json=False)
    assert refused.status_code == 400 and "pas de suivi" in refused.text


def test_switches_follow_the_documented_cache_keys(ws, app):
    cache = app.extensions["lti_cache"]
    with app.app_context():
        cache.set("demo-cm-deleted:moodle-a:512", 1, 60)
        cache.set("demo-ws-revoked:moodle-a:basic", 1, 60)
    assert 512 not in [m["id"] for s in ws("core_course_get_contents", {"courseid": "11"}) for m in s["modules"]]
    assert ws("core_webservice_get_site_info", profile="basic") == INVALID_TOKEN


def test_switches_without_the_database_cache(ws, client, app, monkeypatch):
    """With Redis (no cache table) each switch is one get: same behaviour."""
    real = app.extensions["lti_cache"]

    class KeyValueCache:
        def get(self, key):
            return real.get(key)

        def set(self, key, value, ttl):
            real.set(key, value, ttl)

        def delete(self, key):
            real.delete(key)

    monkeypatch.setitem(app.extensions, "lti_cache", KeyValueCache())
    client.post("/demo/moodle-a/activities/611/delete", data={"deleted": "1"})
    client.post("/demo/moodle-a/webservice/revoke", data={"profile": "basic", "revoked": "1"})
    assert [s["id"] for s in ws("mod_scorm_get_scorms_by_courses", {"courseids[0]": "12"})["scorms"]] == [62]
    assert ws("core_webservice_get_site_info", profile="basic") == INVALID_TOKEN
    assert "Restaurer l'activité" in client.get("/demo/activities?course=12").text
