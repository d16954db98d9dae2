"""Configuration: defaults, instance file, environment; cookies fit for Moodle's iframe over https."""
from lti_tool import create_app


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("TOOL_NAME = 'Depuis instance'\nLTI_JWT_LEEWAY_SECONDS = 5\n")
    monkeypatch.setenv("LTI_TOOL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/parcours")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://parcours.example.org")
    monkeypatch.setenv("TRUST_PROXY_HEADERS", "1")
    app = create_app()
    assert app.config["TOOL_NAME"] == "Depuis instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/parcours"
    assert app.config["DEMO_PLATFORM"] is False  # production default: no simulator
    assert "demo" not in app.blueprints
    assert (tmp_path / "secret_key").exists()  # generated once, outside the repository


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LTI_TOOL_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lti_tool.sqlite'}"


def test_session_cookie_over_https_is_samesite_none_secure_partitioned(tmp_path):
    app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "PUBLIC_BASE_URL": "https://tool.example",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}"})
    with app.app_context():
        from models import db
        db.create_all()
    response = app.test_client().get("/admin/login", base_url="https://tool.example")
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie and "HttpOnly" in cookie


def _app(tmp_path, **config):
    return create_app({"SECRET_KEY": "current", "INSTANCE_PATH": str(tmp_path),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}", **config})


def _session_route(app):
    from flask import session

    @app.get("/_session/<action>")
    def session_probe(action):
        if action == "set":
            session.update(uid=7, role="learner", link=None, deep_link={"settings": {"accept_multiple": True}})
        return {"uid": session.get("uid"), "deep_link": session.get("deep_link")}


def test_session_cookie_has_the_tools_name_and_survives_a_key_rotation(tmp_path):
    app = _app(tmp_path)
    _session_route(app)
    client = app.test_client()
    set_cookie = client.get("/_session/set").headers["Set-Cookie"]
    assert set_cookie.startswith("parcours_session=")
    cookie = set_cookie.split(";")[0].split("=", 1)[1]

    rotated = _app(tmp_path, SECRET_KEY="next", SECRET_KEY_FALLBACKS=["current"])
    _session_route(rotated)
    reader = rotated.test_client()
    reader.set_cookie("parcours_session", cookie)
    assert reader.get("/_session/get").json == {"uid": 7, "deep_link": {"settings": {"accept_multiple": True}}}

    forgotten = _app(tmp_path, SECRET_KEY="next")  # the old key retired: the cookie is no longer trusted
    _session_route(forgotten)
    stranger = forgotten.test_client()
    stranger.set_cookie("parcours_session", cookie)
    assert stranger.get("/_session/get").json == {"uid": None, "deep_link": None}


def test_session_cookies_of_the_previous_release_still_open(tmp_path):
    """The previous release signed sessions with Flask's signer but plain JSON: they open with Flask's own
    serializer (tagged JSON without tags is plain JSON), so nobody is logged out by the upgrade."""
    import hashlib
    import json

    from itsdangerous import URLSafeTimedSerializer

    app = _app(tmp_path)
    _session_route(app)
    previous = URLSafeTimedSerializer(["current"], salt="cookie-session", serializer=json,
                                      signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    client = app.test_client()
    client.set_cookie("parcours_session", previous.dumps({"uid": 12, "deep_link": {"settings": {"title": "é"}}}))
    assert client.get("/_session/get").json == {"uid": 12, "deep_link": {"settings": {"title": "é"}}}


def test_the_session_keeps_the_types_it_is_given(tmp_path):
    """Flask's own serializer: a tuple stays a tuple, a datetime a datetime (a hand-made JSON one changed them)."""
    from datetime import datetime, timezone

    from flask import session

    app = _app(tmp_path)
    when = datetime(2026, 12, 3, 17, 30, tzinfo=timezone.utc)

    @app.get("/_types/<action>")
    def types_probe(action):
        if action == "set":
            session.update(pair=(1, "a"), when=when)
            return ""
        return repr((session["pair"], session["when"] == when))

    client = app.test_client()
    client.get("/_types/set")
    assert client.get("/_types/get").text == "((1, 'a'), True)"


def test_calendar_feed_urls_survive_a_key_rotation():
    from lti_tool.services import workshops
    from lti_tool.signing import secret_keys

    before = {"SECRET_KEY": "current", "SECRET_KEY_FALLBACKS": []}
    rotated = {"SECRET_KEY": "next", "SECRET_KEY_FALLBACKS": ["current"]}
    token = workshops.feed_token(secret_keys(before), 42)
    assert workshops.user_from_feed_token(secret_keys(rotated), token) == 42  # subscribed calendars keep working
    assert workshops.user_from_feed_token(secret_keys({"SECRET_KEY": "next"}), token) is None  # old key retired
    assert workshops.user_from_feed_token(secret_keys(rotated), workshops.feed_token(secret_keys(rotated), 7)) == 7
