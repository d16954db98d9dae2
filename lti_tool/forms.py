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


def session_quotas(form: MultiDict) -> dict[str, str]:
    """Quotas typed in the number fields quota_<profession>; an empty field means no quota."""
    return {key.removeprefix("quota_"): value.strip() for key, value in form.items()
            if key.startswith("quota_") and value.strip()}


def session_errors(errors: dict) -> dict[str, str]:
    """The session schema's errors keyed by the names of the page's fields: a quota's error goes to its
    number field, a facilitator's to their name field."""
    flat = first_errors({key: value for key, value in errors.items() if key not in ("quotas", "facilitators")})
    for code, problem in (errors.get("quotas") or {}).items():
        flat[f"quota_{code}"] = first_errors({"x": problem})["x"]
    for index, problem in (errors.get("facilitators") or {}).items():
        if isinstance(index, int):
            flat[f"facilitator_name_{index + 1}"] = first_errors({"x": problem})["x"]
        else:
            flat["facilitator_name_1"] = first_errors({"x": problem})["x"]
    return flat
