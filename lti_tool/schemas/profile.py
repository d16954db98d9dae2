from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, pre_load, validate, validates

from ..services import identifiers, professions
from .base import BaseSchema


class ProfileSchema(BaseSchema):
    class Meta:
        unknown = EXCLUDE

    profession = fields.String(required=True, validate=validate.OneOf(
        list(professions.PROFESSIONS), error=str(_l("Choose a profession from the list."))),
        error_messages={"required": _l("Choose a profession from the list.")})
    rpps = fields.String(load_default="")
    adeli = fields.String(load_default="")
    practice_mode = fields.String(load_default="", validate=validate.OneOf(
        ["", *professions.PRACTICE_MODES], error=str(_l("Choose a mode of practice from the list."))))
    cpts = fields.String(load_default="", validate=validate.Length(max=200))

    @pre_load
    def clean(self, data, **kwargs):
        data = {key: (value.strip() if isinstance(value, str) else value) for key, value in dict(data).items()}
        for key in ("rpps", "adeli"):
            data[key] = identifiers.normalise(data.get(key))
        return data

    @validates("rpps")
    def check_rpps(self, value, **kwargs):
        if value and not identifiers.rpps_valid(value):
            raise ValidationError(str(_l("An RPPS number has 11 digits and a valid check digit.")))

    @validates("adeli")
    def check_adeli(self, value, **kwargs):
        if value and not identifiers.adeli_valid(value):
            raise ValidationError(str(_l("An ADELI number has 9 characters.")))
