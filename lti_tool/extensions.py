"""Flask extensions, created unbound and initialised by the factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations
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


def page_translations():
    """The catalogue of the locale in force, looked up once per request and locale. Flask-Babel's own Jinja
    callables look it up for every string, through half a dozen context-local lookups: that was half of the
    learner pathway page's rendering. Keyed by the locale, so `force_locale` blocks still speak theirs."""
    locale = get_locale()
    found = g.get("page_translations")
    if found is None or found[0] is not locale:
        found = g.page_translations = (locale, get_translations())
    return found[1]


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
    app.jinja_env.install_gettext_callables(  # Flask-Babel's, with the catalogue looked up once
        gettext=lambda string: page_translations().ugettext(string),
        ngettext=lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: page_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: page_translations().unpgettext(context, singular, plural, n),
        newstyle=True)
    csrf.init_app(app)
