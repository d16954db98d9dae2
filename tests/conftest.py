"""Fixtures: the app on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set), migrated with Alembic,
served on 127.0.0.1 by a live server so the tool fetches the demo platform's keys over real HTTP."""
from __future__ import annotations

import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from lti_tool import create_app
from models import db
from tests.fixtures.browser import LtiBrowser
from tests.fixtures.factories import make_pathway, make_session, make_user, tenant  # noqa: F401

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _postgres_url(schema: str) -> str:
    base = os.environ["TEST_DATABASE_URL"]
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_postgres_url("public"))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield _postgres_url(schema)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    application = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")), "DEMO_PLATFORM": True,
        "LTI_ALLOW_HTTP_PLATFORMS": True, "PUBLIC_BASE_URL": "http://127.0.0.1:0",
    })
    with application.app_context():
        upgrade()  # the schema comes from the migrations, as in production
        from lti_tool.demo_platform.models import create_demo_tables

        create_demo_tables()  # as `flask lti-demo setup` does: the demo's tables are not in the migrations
    server = make_server("127.0.0.1", 0, application, threaded=True)
    application.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield application
    server.shutdown()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(app):
    yield
    with app.app_context():
        db.session.remove()
        # The tool's key survives between tests (an RSA key costs ~0.2 s to make); only the active one.
        from lti_tool.demo_platform.models import DemoBase

        tables = [table for metadata in (db.metadata, DemoBase.metadata)
                  for table in reversed(metadata.sorted_tables) if table.name != "tool_key"]
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM tool_key WHERE status <> 'active'"))
            if connection.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
    from lti_tool.services.cache import clear_local_caches

    clear_local_caches()  # what this process kept for seconds (key sets, tokens, framing origins)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def platform(app, runner):
    """Demo site moodle-a, registered with the tool through the CLI as an administrator would."""
    from lti_tool.demo_platform.sites import simulator

    result = runner.invoke(args=["lti-demo", "setup", "--base-url", app.config["PUBLIC_BASE_URL"]])
    assert result.exit_code == 0, result.output
    with app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"]):
        return simulator("moodle-a")


@pytest.fixture
def lti(client, platform):
    return LtiBrowser(client, platform)


@pytest.fixture
def person(app, platform):
    """A browser launched from the demo platform as a demo user (optionally into a placed activity)."""
    def launch(user, course="11", activity=""):
        client = app.test_client()
        response = LtiBrowser(client, platform).launch_via_demo(user=user, course=course, activity=activity)
        assert response.status_code == 303, response.text
        client.landing = response.headers["Location"]
        return client

    return launch


def pytest_collection_modifyitems(config, items):
    """Browser tests run once, on SQLite: what a page shows does not depend on the database, and the functional
    tests run every flow on both databases. (It keeps `make test` within its few minutes.)"""
    kept, dropped = [], []
    for item in items:
        on_postgresql = getattr(getattr(item, "callspec", None), "params", {}).get("database_url") == "postgresql"
        (dropped if on_postgresql and item.get_closest_marker("e2e") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept

