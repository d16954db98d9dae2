"""Flask extensions, created unbound and initialised by the factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy import event

from models import db

migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()

# At the top of a checkout; inside the package in an installed wheel (setup.py copies them there).
MIGRATIONS_DIR = str(next(p for p in (Path(__file__).resolve().parent / "migrations",
                                      Path(__file__).resolve().parent.parent / "migrations") if p.is_dir()))


def select_locale() -> str:
    """The launch's locale (Moodle's user language) first, then the browser's, French by default."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = g.get("launch_locale") or session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=current_app.config["BABEL_DEFAULT_LOCALE"])


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL: readers never block the writer; synchronous=NORMAL: no fsync per commit (durable at checkpoints).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
