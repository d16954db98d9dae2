"""The base of every schema: marshmallow's messages in the user's language (French by default).

Marshmallow writes its own English messages ("Length must be between 1 and 300."). Each schema instance is
made per request, so its fields get their messages translated in the request's locale: the field messages
(required, invalid...) and those of the validators that carry no message of their own.
"""
from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

# What fields.Url gives its own URL validator (marshmallow copies the English message in at construction).
_URL_DEFAULT = fields.Url.default_error_messages["invalid"]


def _field_messages() -> dict[str, str]:
    return {
        "required": _("This field is required."),
        "null": _("This field is required."),
        "validator_failed": _("This value is not valid."),
        "type": _("This value is not valid."),
        "invalid_utf8": _("This text contains characters that cannot be read."),
        "special": _("Enter a number."),
        "format": _("This value is not valid."),
        "invalid_awareness": _("Enter a date and time."),
    }


def _invalid_message(field: fields.Field) -> str:
    if isinstance(field, fields.Integer):
        return _("Enter a whole number.")
    if isinstance(field, fields.Number):
        return _("Enter a number.")
    if isinstance(field, (fields.DateTime, fields.Date)):
        return _("Enter a date and time.")
    if isinstance(field, fields.Url):
        return _("Enter a web address starting with https://")
    if isinstance(field, fields.Email):
        return _("Enter an email address.")
    if isinstance(field, fields.Boolean):
        return _("Tick or untick the box.")
    if isinstance(field, (fields.List, fields.Dict)):
        return _("This value is not valid.")
    return _("Enter a text.")


def _validator_message(validator) -> str | None:
    if isinstance(validator, validate.Length):
        if validator.equal is not None:
            return _("Exactly {equal} characters.")
        if validator.min and validator.max is not None:
            return _("Required, at most {max} characters.") if validator.min == 1 else _(
                "Between {min} and {max} characters.")
        if validator.min:
            return _("At least {min} characters.") if validator.min > 1 else _("This field is required.")
        return _("At most {max} characters.")
    if isinstance(validator, validate.Range):
        if validator.min is not None and validator.max is not None:
            return _("Enter a value between {min} and {max}.")
        if validator.min is not None:
            return _("Enter a value of at least {min}.")
        return _("Enter a value of at most {max}.")
    if isinstance(validator, validate.OneOf):
        return _("Choose a value from the list.")
    if isinstance(validator, validate.URL):
        return _("Enter a web address starting with https://")
    if isinstance(validator, validate.Regexp):
        return _("This value does not have the expected format.")
    return None


def translate_field(field: fields.Field) -> None:
    messages = _field_messages()
    field.error_messages = {**field.error_messages,
                            **{key: text for key, text in messages.items() if key in field.error_messages},
                            **({"invalid": _invalid_message(field)} if "invalid" in field.error_messages else {})}
    for validator in field.validators:
        english = (None, _URL_DEFAULT, getattr(type(validator), "default_message", None))
        if getattr(validator, "error", None) not in english:
            continue  # a message of our own, already translated
        message = _validator_message(validator)
        if message is not None:
            validator.error = message
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            translate_field(inner)


class BaseSchema(Schema):
    """Every schema of the tool: its messages in the request's language (nested schemas too, as they are
    BaseSchema instances made when first used)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {**self.error_messages, "unknown": _("This field is not expected."),
                               "type": _("This value is not valid.")}
        for field in self.fields.values():
            translate_field(field)
