"""Alembic: one head, and the models match the migrations (no pending autogenerate diff)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from lti_tool.extensions import MIGRATIONS_DIR
from models import db


def test_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        # The demo's tables (own metadata, made by `lti-demo setup`) are skipped, as migrations/env.py does.
        context = MigrationContext.configure(connection, opts={
            "compare_type": False, "include_name": lambda name, type_, parents: not (name or "").startswith("demo_")})
        diff = [d for d in compare_metadata(context, db.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
        assert diff == []


def test_product_and_demo_tables_are_apart():
    from lti_tool.demo_platform.models import DemoBase

    assert not [name for name in db.metadata.tables if name.startswith("demo_")]
    assert sorted(DemoBase.metadata.tables) == ["demo_activity", "demo_completion", "demo_lineitem", "demo_mail",
                                                "demo_moodle_message", "demo_registration_token", "demo_score",
                                                "demo_tool_registration"]


def test_production_upgrade_creates_no_demo_table_and_the_demo_setup_creates_them(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from lti_tool import create_app

    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    production = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url})
    assert production.config["DEMO_PLATFORM"] is False
    with production.app_context():
        upgrade()
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert "platform" in tables and "step" in tables
    assert [name for name in tables if name.startswith("demo_")] == []

    demo = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url,
                       "DEMO_PLATFORM": True, "LTI_ALLOW_HTTP_PLATFORMS": True,
                       "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    result = demo.test_cli_runner().invoke(args=["lti-demo", "setup"])
    assert result.exit_code == 0, result.output
    with demo.app_context():
        demo_tables = sorted(name for name in inspect(db.engine).get_table_names() if name.startswith("demo_"))
        db.engine.dispose()
    assert len(demo_tables) == 8


def test_downgrade_and_upgrade_again(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from lti_tool import create_app

    other = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
