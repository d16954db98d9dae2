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
