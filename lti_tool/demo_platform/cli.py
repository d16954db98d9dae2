"""`flask lti-demo setup`: creates the demo's tables and registers demo site moodle-a with the tool, as an
administrator would by CLI."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models import db

demo_cli = AppGroup("lti-demo", help="The built-in demo platform.")


@demo_cli.command("setup")
@click.option("--base-url", default=None, help="Public URL of the running tool (default: PUBLIC_BASE_URL).")
@click.option("--second-registration", is_flag=True,
              help="Also register moodle-a's second tool type (another client id of the same site).")
def setup(base_url, second_registration):
    """Create the demo's tables and register demo site moodle-a with the tool (idempotent)."""
    from ..services import keys, moodle, platforms
    from .models import create_demo_tables
    from .moodle_ws import ws_token
    from .sites import SITES, simulator

    create_demo_tables()  # the demo's own metadata: never in the product's migrations

    base = (base_url or current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context(base_url=base):
        current_app.config["PUBLIC_BASE_URL"] = base
        platform = simulator("moodle-a")
        registered = platforms.add_platform(
            issuer=platform.issuer, client_id=platform.client_id, deployment_ids=[platform.deployment_id],
            auth_login_url=platform.auth_login_url, auth_token_url=platform.auth_token_url,
            key_set_url=platform.key_set_url, name=SITES["moodle-a"]["name"], registered_via="demo",
            allow_http=True, product_family="moodle")
        if second_registration:  # the same site through a second tool type: the same courses and people
            second = simulator("moodle-a", SITES["moodle-a"]["second_client"]["client_id"])
            platforms.add_platform(
                issuer=second.issuer, client_id=second.client_id, deployment_ids=[second.deployment_id],
                auth_login_url=second.auth_login_url, auth_token_url=second.auth_token_url,
                key_set_url=second.key_set_url, name=SITES["moodle-a"]["name"] + " (2)", registered_via="demo",
                allow_http=True, product_family="moodle")
        keys.ensure_active_key()
        if moodle.connection_for(registered.id) is None:  # as an administrator pasting the site's token
            moodle.save_connection(registered, token=ws_token("moodle-a", "full"))
        db.session.commit()
    click.echo(f"demo platform registered: {registered.issuer} (client {registered.client_id}), "
               "with its Moodle web service token")


@demo_cli.command("seed")
def seed_command():
    """Load the demo pathways (idempotent): needs `setup` first."""
    from sqlalchemy import select

    from models import Platform

    from .demo_data import seed

    platform = db.session.scalars(select(Platform).where(Platform.registered_via == "demo")).first()
    if platform is None:
        raise click.ClickException("run `flask --app lti_tool lti-demo setup` first")
    created = seed(platform)
    db.session.commit()
    click.echo("demo pathways loaded" if created else "demo pathways already there")
