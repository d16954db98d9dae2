"""Idempotent form submits: a form that creates something carries a one-time token made when the page was
rendered. The first submit claims it (a primary key, so the database settles a race) and records where it
led; a second submit of the same page (double click, a POST sent again) gets that same result."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from models import FormSubmission, db, utcnow

TOKEN_FIELD = "form_token"
KEEP = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(token: str | None, user_id: int, action: str) -> tuple[bool, str]:
    """(True, "") when this submit is the first with the token (or has none: an older page, an API client);
    (False, url) when it repeats an earlier submit, whose result is at `url`.

    INSERT ... ON CONFLICT DO NOTHING waits for a concurrent first submit to end (PostgreSQL's unique check,
    SQLite's write lock), then finds its row: no IntegrityError, no savepoint."""
    if not token or len(token) > 64:
        return True, ""
    table = FormSubmission.__table__
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = db.session.execute(dialect.insert(table).values(token=token, user_id=user_id, action=action,
                                                               result_url="").on_conflict_do_nothing()
                                  .returning(table.c.token)).first()  # (rowcount is -1 with psycopg)
    if inserted:  # tokens only matter for seconds: a day's worth is kept, the rest goes
        db.session.execute(delete(table).where(table.c.created_at < utcnow() - KEEP))
        return True, ""
    first = db.session.get(FormSubmission, token, populate_existing=True)
    if first is None or first.user_id != user_id or first.action != action:
        return True, ""  # not this person's form: treated as a form without a token
    return False, first.result_url


def remember(token: str | None, result_url: str) -> None:
    if token and len(token) <= 64:
        found = db.session.get(FormSubmission, token)
        if found is not None:
            found.result_url = result_url
            db.session.flush()
