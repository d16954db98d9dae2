"""The built-in LTI 1.3 platform simulator ("demo platform"): launch the tool as a learner or an instructor
without Moodle. Enabled by `make run` (DEMO_PLATFORM=1), never in production. Nothing in the product imports
this package except the app factory, so it can be deleted from a production build.
"""
from flask import Flask


def init_demo_platform(app: Flask) -> None:
    from . import models  # noqa: F401  (its own metadata: tables made by `lti-demo setup`, not migrations)
    from . import moodle_ws  # noqa: F401  (Moodle's REST web services and the activities page join the blueprint)
    from .cli import demo_cli
    from .views import bp

    app.register_blueprint(bp)
    from .mail import init_demo_mail  # /demo/mail, the SMTP sink and Moodle's message function

    init_demo_mail(app)
    app.cli.add_command(demo_cli)
