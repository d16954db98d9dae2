"""Turning HTML form posts into data for the schemas (lists from repeated fields)."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict


def form_data(form: MultiDict, *, lists: tuple[str, ...] = ()) -> dict:
    data = {key: form.get(key) for key in form.keys() if key not in lists and key != "csrf_token"}
    for key in lists:
        data[key] = [value for value in form.getlist(key) if value]
    return data


def first_errors(errors: dict) -> dict[str, str]:
    """Marshmallow's nested error lists flattened to one message per field, for the page."""
    flat = {}
    for key, value in errors.items():
        while isinstance(value, (list, dict)):
            value = next(iter(value.values())) if isinstance(value, dict) else (value[0] if value else "")
        flat[key] = str(value)
    return flat
