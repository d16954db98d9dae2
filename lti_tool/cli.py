"""`flask --app lti_tool lti ...`: registrations, keys and admin tokens from the command line."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from models import db

from .services import admin_tokens, keys, platforms

lti_cli = AppGroup("lti", help="LTI registrations, keys and admin tokens.")
platform_cli = AppGroup("platform", help="Platforms (Moodle sites) registered with the tool.")
deployment_cli = AppGroup("deployment", help="Deployments of a registered platform.")
keys_cli = AppGroup("keys", help="The tool's signing keys.")
admin_cli = AppGroup("admin-token", help="Tokens for the admin pages.")
lti_cli.add_command(platform_cli)
lti_cli.add_command(deployment_cli)
lti_cli.add_command(keys_cli)
lti_cli.add_command(admin_cli)


def _allow_http() -> bool:
    from flask import current_app

    return current_app.config["LTI_ALLOW_HTTP_PLATFORMS"]


@platform_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer: Moodle's wwwroot.")
@click.option("--client-id", required=True)
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeat for several deployments.")
@click.option("--auth-login-url", required=True, help="Moodle: <wwwroot>/mod/lti/auth.php")
@click.option("--auth-token-url", required=True, help="Moodle: <wwwroot>/mod/lti/token.php")
@click.option("--key-set-url", required=True, help="Moodle: <wwwroot>/mod/lti/certs.php")
@click.option("--auth-audience", default=None)
@click.option("--name", default="")
def platform_add(issuer, client_id, deployment_ids, auth_login_url, auth_token_url, key_set_url, auth_audience, name):
    """Register a platform (or update it) with its deployments."""
    try:
        platform = platforms.add_platform(
            issuer=issuer, client_id=client_id, deployment_ids=list(deployment_ids), auth_login_url=auth_login_url,
            auth_token_url=auth_token_url, key_set_url=key_set_url, auth_audience=auth_audience, name=name,
            allow_http=_allow_http())
    except platforms.PlatformError as error:
        raise click.BadParameter(str(error)) from error
    keys.ensure_active_key()
    db.session.commit()
    click.echo(f"platform {platform.id}: {platform.issuer} client {platform.client_id} "
               f"deployments {', '.join(d.deployment_id for d in platform.deployments) or '-'}")


@platform_cli.command("list")
def platform_list():
    """List registered platforms and their deployments."""
    found = platforms.list_platforms()
    if not found:
        click.echo("no platform registered")
    for platform in found:
        deployments = ", ".join(d.deployment_id for d in platform.deployments) or "-"
        click.echo(f"{platform.id}\t{platform.issuer}\t{platform.client_id}\t{platform.registered_via}\t{deployments}")


@platform_cli.command("remove")
@click.argument("platform_id", type=int)
def platform_remove(platform_id):
    """Remove a platform, its deployments, users and courses."""
    if not platforms.remove_platform(platform_id):
        raise click.ClickException(f"no platform {platform_id}")
    db.session.commit()
    click.echo(f"platform {platform_id} removed")


@deployment_cli.command("add")
@click.option("--issuer", required=True)
@click.option("--client-id", default=None, help="Needed when the issuer has several registrations.")
@click.option("--deployment-id", required=True)
def deployment_add(issuer, client_id, deployment_id):
    """Add a deployment id to a registered platform."""
    platform = platforms.find_platform(issuer, client_id)
    if platform is None:
        raise click.ClickException("no such platform (give --client-id when the issuer has several)")
    platforms.add_deployment(platform, deployment_id)
    db.session.commit()
    click.echo(f"deployment {deployment_id} added to platform {platform.id}")


@keys_cli.command("ensure")
def keys_ensure():
    """Create the tool's first key if there is none."""
    key = keys.ensure_active_key()
    db.session.commit()
    click.echo(f"active key {key.kid}")


@keys_cli.command("rotate")
def keys_rotate():
    """New active key; the previous one stays in the JWKS until `retire`."""
    key = keys.rotate()
    db.session.commit()
    click.echo(f"active key {key.kid}; previous keys stay published until `flask lti keys retire`")


@keys_cli.command("retire")
@click.option("--kid", default=None, help="Only this previous key (default: all previous keys).")
def keys_retire(kid):
    """Stop publishing previous keys."""
    retired = keys.retire(kid)
    db.session.commit()
    click.echo("retired: " + (", ".join(retired) or "none"))


@keys_cli.command("list")
def keys_list():
    for key in keys.list_keys():
        click.echo(f"{key.kid}\t{key.status}\t{key.created_at:%Y-%m-%d %H:%M}")


@admin_cli.command("create")
@click.option("--label", default="operator")
def admin_token_create(label):
    """Create a token for /admin/login (printed once, stored hashed)."""
    token = admin_tokens.create(label)
    db.session.commit()
    click.echo(token)


@admin_cli.command("list")
def admin_token_list():
    for token in admin_tokens.list_tokens():
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.label}\t{state}")


@admin_cli.command("revoke")
@click.argument("token_id", type=int)
def admin_token_revoke(token_id):
    if not admin_tokens.revoke(token_id):
        raise click.ClickException(f"no token {token_id}")
    db.session.commit()
    click.echo(f"token {token_id} revoked")


grades_cli = AppGroup("grades", help="Grades to Moodle (the outbox).")
lti_cli.add_command(grades_cli)


@grades_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering (what `make run` starts).")
@click.option("--batch", default=200, show_default=True)
@click.option("--threads", default=8, show_default=True, help="Scores posted at once by this worker.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--max-seconds", default=0.0, help="With --loop: stop after this long (0: never).")
def grades_deliver(loop, batch, threads, interval, max_seconds):
    """Rescore pathways that changed, then send due scores to the platforms, with retries; several workers may
    run at once. With --loop, a database or network failure is logged and retried with backoff: the worker
    never stops on its own."""
    import logging
    import time

    from flask import current_app
    from sqlalchemy.exc import SQLAlchemyError

    from .services import grades, rescoring

    log = logging.getLogger("lti_tool.grades")
    app = current_app._get_current_object()
    started, total, failures = time.monotonic(), 0, 0
    while True:
        try:
            rescoring.process_requests()
            sent = grades.deliver_once(app, batch=batch, threads=threads)
            failures = 0
        except (SQLAlchemyError, OSError) as error:
            if not loop:
                raise
            failures += 1
            sent = 0
            pause = min(interval * 2 ** min(failures, 5), 60)
            log.error("grades worker: %s: %s; retrying in %.0f s", type(error).__name__, error, pause)
            db.session.rollback()
            time.sleep(pause)
        finally:
            db.session.remove()
        total += sent
        if not loop:
            break
        if max_seconds and time.monotonic() - started > max_seconds:
            break
        if not sent and not failures:
            time.sleep(interval)
    click.echo(f"attempted {total}")


@grades_cli.command("status")
def grades_status():
    """Scores by state, placements that cannot receive grades (with what to do), learners without a score in
    Moodle, pathways waiting to be rescored. Exits with 1 when something needs a person."""
    from flask import current_app
    from sqlalchemy import func, select

    from models import Course, GradeOutbox, Pathway, PathwayRescore

    from .services import grades

    for state, count in db.session.execute(select(GradeOutbox.state, func.count()).group_by(GradeOutbox.state)):
        click.echo(f"{state}\t{count}")
    waiting = db.session.scalar(select(func.count()).select_from(PathwayRescore))
    if waiting:
        click.echo(f"pathways waiting to be rescored\t{waiting}")
    trouble = False
    with current_app.test_request_context():  # the advice is translated text: French by default
        course_ids = db.session.scalars(select(Pathway.course_id).distinct().order_by(Pathway.course_id)).all()
        for course_id in course_ids:
            course = db.session.get(Course, course_id)
            name = f"course {course.context_id} ({course.label or course.title})"
            for problem in grades.placement_problems(course_id):
                trouble = True
                click.echo(f"PROBLEM {name}, activity « {problem['link'].title or problem['link'].resource_link_id} » "
                           f"(pathway « {problem['pathway']} »): {problem['code']} — {problem['advice']}")
            for pathway in grades.unplaced_pathways(course_id):
                click.echo(f"NOTE {name}: pathway « {pathway.title} » is in no graded Moodle activity (its scores go "
                           "nowhere until it is added to the course by deep linking)")
            missing = grades.missing_scores(course_id)
            if missing:
                trouble = True
                click.echo(f"PROBLEM {name}: {missing} learner score(s) not in Moodle and not queued")
    if trouble:
        raise SystemExit(1)


moodle_cli = AppGroup("moodle", help="Moodle activities as online modules (web services).")
lti_cli.add_command(moodle_cli)


def _platform_by_issuer(issuer: str, client_id: str | None):
    from sqlalchemy import select

    from models import Platform

    query = select(Platform).where(Platform.issuer == issuer.rstrip("/"))
    if client_id:
        query = query.where(Platform.client_id == client_id)
    found = db.session.scalars(query).all()
    if len(found) != 1:
        raise click.ClickException(f"{len(found)} registrations match {issuer}" + ("" if client_id else
                                   " (give --client-id)" if found else ""))
    return found[0]


@moodle_cli.command("connect")
@click.option("--issuer", required=True, help="The Moodle site's issuer (its wwwroot).")
@click.option("--client-id", default=None, help="When the site registered the tool more than once.")
@click.option("--rest-url", default="", help="Web service endpoint, if not ISSUER/webservice/rest/server.php.")
@click.option("--token", envvar="MOODLE_WS_TOKEN", prompt=True, hide_input=True,
              help="The web service token (asked for, or from MOODLE_WS_TOKEN; never as an argument in shared shells).")
def moodle_connect(issuer, client_id, rest_url, token):
    """Store (encrypted) the site's web service token, then check which functions it allows."""
    from .errors import InvalidInput
    from .services import moodle

    platform = _platform_by_issuer(issuer, client_id)
    try:
        moodle.save_connection(platform, token=token, rest_url_override=rest_url)
    except InvalidInput as error:
        raise click.ClickException(str(error.errors)) from error
    db.session.commit()
    _print_check(moodle.check_connection(platform))
    db.session.commit()


@moodle_cli.command("check")
@click.option("--issuer", required=True)
@click.option("--client-id", default=None)
def moodle_check(issuer, client_id):
    """Test the connection: which of the functions the tool uses are allowed."""
    from .services import moodle

    check = moodle.check_connection(_platform_by_issuer(issuer, client_id))
    db.session.commit()
    _print_check(check)
    if not check.ok:
        raise SystemExit(1)


def _print_check(check) -> None:
    if check.error is not None:
        click.echo(f"connection failed: {check.error.code} {check.error.detail}")
        return
    click.echo(f"site: {check.site_name} ({check.release}), user {check.username}")
    for name, allowed, required in check.functions:
        click.echo(f"  {'ok     ' if allowed else 'MISSING'} {name}{'' if required else '  (optional: SCORM time)'}")


@moodle_cli.command("sync")
@click.option("--course", "context_id", default=None, help="Moodle course id (the LTI context id); default: all "
                                                          "courses with steps linked to Moodle activities.")
@click.option("--issuer", default=None, help="Only this Moodle site (needed when two sites share a course id).")
@click.option("--threads", default=None, type=click.IntRange(1, 64), help="Web service calls at once.")
def moodle_sync(context_id, issuer, threads):
    """Read learners' completion (and SCORM time) from Moodle into the pathways, showing the progress. Meant to
    be scheduled (cron, systemd timer); exits with 1 when a course could not be read."""
    import time

    from sqlalchemy import select

    from models import Course, Pathway, Platform, Step

    from .services import moodle

    query = (select(Course).join(Pathway, Pathway.course_id == Course.id).join(Step, Step.pathway_id == Pathway.id)
             .where(Step.moodle_cmid.is_not(None)).distinct().order_by(Course.id))
    if context_id:
        query = query.where(Course.context_id == context_id)
    if issuer:
        query = query.join(Platform, Platform.id == Course.platform_id).where(Platform.issuer == issuer.rstrip("/"))
    course_ids = [course.id for course in db.session.scalars(query)]
    if not course_ids:
        click.echo("no course with steps linked to Moodle activities"
                   + (f" matches {context_id}" if context_id else ""))
        return
    failed = 0
    for course_id in course_ids:
        course = db.session.get(Course, course_id)
        name = f"course {course.context_id} ({course.label or course.title})"
        learners = moodle.learners_to_sync(course)
        click.echo(f"{name}: {len(learners)} learners")
        started, shown = time.monotonic(), [0.0]

        def progress(report, name=name, started=started, shown=shown):
            done = report.synced + report.skipped
            now = time.monotonic()
            if done == report.total or now - shown[0] >= 1:  # a line a second, and the last one
                shown[0] = now
                click.echo(f"  {done}/{report.total} read, {report.changed} changed ({now - started:.1f} s)")

        report = moodle.sync_learners(course, learners, threads=threads, progress=progress, commit_every=200)
        db.session.commit()
        if report.error is not None:
            failed += 1
            click.echo(f"  stopped: {report.error.code} {report.error.detail}", err=True)
        for activity in report.deleted_activities:
            click.echo(f"  warning: activity {activity.cmid} « {activity.name} » was deleted in Moodle", err=True)
        for activity in report.untracked_activities:
            click.echo(f"  warning: activity {activity.cmid} « {activity.name} » has completion tracking off", err=True)
        click.echo(f"  {report.synced} read, {report.changed} changed, {report.skipped} not tracked by Moodle, "
                   f"in {report.seconds:.1f} s")
        db.session.remove()
    if failed:
        raise SystemExit(1)


def register_cli(app: Flask) -> None:
    from .notify_cli import notify_commands  # the notification outbox (issue 14)

    for command in notify_commands:
        lti_cli.add_command(command)
    app.cli.add_command(lti_cli)
