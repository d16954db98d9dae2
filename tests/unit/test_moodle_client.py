"""The Moodle REST client against a real HTTP server on 127.0.0.1 answering as a misconfigured or failing Moodle
would; SCORM durations; the encryption of stored tokens; what a shared pathway leaves out."""
from __future__ import annotations

import json
import socket
import threading

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.schemas.pathway import SharedPathwaySchema
from lti_tool.services import secrets_box
from lti_tool.services.moodle_ws import MoodleClient, MoodleError, duration_seconds, flatten, tracks_total_seconds

ANSWERS = {
    "ok": (200, "application/json", json.dumps({"sitename": "Moodle"})),
    "invalid_token": (200, "application/json", json.dumps(
        {"exception": "moodle_exception", "errorcode": "invalidtoken", "message": "Invalid token - token not found"})),
    "not_allowed": (200, "application/json", json.dumps(
        {"exception": "webservice_access_exception", "errorcode": "accessexception",
         "message": "Access control exception", "debuginfo": "Access to the function is not allowed."})),
    "capability": (200, "application/json", json.dumps(
        {"exception": "required_capability_exception", "errorcode": "nopermissions",
         "message": "Sorry, but you do not currently have permissions to do that (View activity completion reports)."})),
    "unknown_error": (200, "application/json", json.dumps(
        {"exception": "coding_exception", "errorcode": "codingerror", "message": "Coding error detected"})),
    "html": (200, "text/html", "<html><body>Log in to the site</body></html>"),
    "server_error": (503, "text/html", "Service Unavailable"),
    "redirect": (303, "text/html", ""),
    "not_found": (404, "text/html", "Not found"),
}


@pytest.fixture(scope="module")
def moodle_like():
    received = []

    @Request.application
    def application(request):
        received.append(request.form.to_dict(flat=False))
        if request.path == "/scorm_refused":  # completion allowed, SCORM reports not
            function = request.form["wsfunction"]
            body = ({"statuses": [{"cmid": 511, "state": 1, "timecompleted": 1790000000}], "warnings": []}
                    if function == "core_completion_get_activities_completion_status" else
                    {"exception": "required_capability_exception", "errorcode": "nopermissions", "message": "no"})
            return Response(json.dumps(body), mimetype="application/json")
        status, mimetype, body = ANSWERS[request.path.strip("/")]
        return Response(body, status=status, mimetype=mimetype)

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def test_parameters_use_moodles_array_notation():
    assert flatten({"courseids": [11, 12], "options": [{"name": "excludecontents", "value": True}], "x": None}) == [
        ("courseids[0]", "11"), ("courseids[1]", "12"), ("options[0][name]", "excludecontents"),
        ("options[0][value]", "1")]


def test_a_call_sends_token_function_format_and_parameters(moodle_like):
    base, received = moodle_like
    assert MoodleClient(f"{base}/ok", "secret-token", allow_private=True).call("core_course_get_contents", courseid=11) == {"sitename": "Moodle"}
    assert received[-1] == {"wstoken": ["secret-token"], "wsfunction": ["core_course_get_contents"],
                            "moodlewsrestformat": ["json"], "courseid": ["11"]}


@pytest.mark.parametrize("answer, code", [
    ("invalid_token", "invalid_token"), ("not_allowed", "function_not_allowed"), ("capability", "no_permission"),
    ("unknown_error", "moodle_error"), ("html", "bad_answer"), ("server_error", "unavailable"),
    ("redirect", "bad_answer"), ("not_found", "bad_answer"),
])
def test_moodle_failures_become_codes_the_pages_explain(moodle_like, answer, code):
    base, _ = moodle_like
    with pytest.raises(MoodleError) as raised:
        MoodleClient(f"{base}/{answer}", "t", allow_private=True).call("core_webservice_get_site_info")
    assert raised.value.code == code
    assert raised.value.function == "core_webservice_get_site_info"
    # Every one of these concerns the whole connection: a sync stops instead of repeating it per learner.
    assert raised.value.fatal


def test_nobody_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MoodleError) as raised:
        MoodleClient(f"http://127.0.0.1:{port}/webservice/rest/server.php", "t", timeout=2, allow_private=True).call("x")
    assert raised.value.code == "unavailable"


@pytest.mark.parametrize("value, seconds", [
    ("00:12:30.00", 750), ("0000:12:30.5", 750), ("1:00:00", 3600), ("PT1H2M3.5S", 3723), ("PT45M", 2700),
    ("P1DT1S", 86401), ("", 0), ("PT", 0), ("soon", 0),
])
def test_scorm_durations_of_both_versions(value, seconds):
    assert duration_seconds(value) == seconds


def test_total_time_is_read_from_the_tracks_whichever_version_wrote_them():
    scorm12 = {"data": {"attempt": 1, "tracks": [{"element": "cmi.core.lesson_status", "value": "completed"},
                                                 {"element": "cmi.core.total_time", "value": "00:20:00.00"}]}}
    scorm2004 = {"data": {"attempt": 2, "tracks": [{"element": "cmi.total_time", "value": "PT5M"}]}}
    not_attempted = {"data": {"attempt": 1, "tracks": []}, "warnings": [{"warningcode": "notattempted"}]}
    assert tracks_total_seconds(scorm12) == 1200
    assert tracks_total_seconds(scorm2004) == 300
    assert tracks_total_seconds(not_attempted) == 0
    assert tracks_total_seconds("garbage") == 0


def test_stored_tokens_are_encrypted_and_need_the_same_keys(app):
    with app.test_request_context():
        first, second = secrets_box.encrypt("abc123"), secrets_box.encrypt("abc123")
        assert first != second and "abc123" not in first
        assert secrets_box.decrypt(first) == "abc123"
        old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        app.config["DATA_ENCRYPTION_KEYS"] = old_key
        try:
            written_with_old = secrets_box.encrypt("rotated")
            app.config["DATA_ENCRYPTION_KEYS"] = f"{new_key},{old_key}"  # rotation: the old key still reads
            assert secrets_box.decrypt(written_with_old) == "rotated"
            with pytest.raises(secrets_box.InvalidToken):
                secrets_box.decrypt(first)  # written with the key derived from SECRET_KEY
        finally:
            app.config["DATA_ENCRYPTION_KEYS"] = None


def test_a_shared_pathway_leaves_moodle_links_at_home():
    data = SharedPathwaySchema().load({"title": "P", "steps": [
        {"kind": "module", "title": "SCORM", "moodle_cmid": 511}]})
    assert "moodle_cmid" not in data["steps"][0]


def test_a_refused_scorm_report_never_holds_back_the_completions(moodle_like):
    from lti_tool.services.moodle import SyncPlan, fetch_states

    base, _ = moodle_like
    plan = SyncPlan(moodle_course_id=11, cmids=frozenset({511, 512}), scorm_scoes={511: (4101,)})
    states = fetch_states(MoodleClient(f"{base}/scorm_refused", "t", allow_private=True), plan, "101")
    assert states == {"511": {"state": 1, "time": 1790000000, "seconds": None}}


def test_rotating_the_secret_key_keeps_stored_tokens_readable(app):
    with app.test_request_context():
        written = secrets_box.encrypt("token-before-rotation")
        old = app.config["SECRET_KEY"]
        app.config.update(SECRET_KEY="a-brand-new-secret", SECRET_KEY_FALLBACKS=[old])
        try:
            assert secrets_box.decrypt(written) == "token-before-rotation"
            app.config["SECRET_KEY_FALLBACKS"] = []
            with pytest.raises(secrets_box.InvalidToken):
                secrets_box.decrypt(written)
        finally:
            app.config.update(SECRET_KEY=old, SECRET_KEY_FALLBACKS=[])
