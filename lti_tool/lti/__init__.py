from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")

from . import views  # noqa: E402,F401
