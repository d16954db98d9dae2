"""Framing, caching and the other response headers; cookies behind a TLS proxy; hostile low-level input (NUL
bytes, oversized login parameters, refused CSRF); what is protected at rest (the tool's private key, the SQLite
file)."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_tool import create_app
from lti_tool.services import keys, platforms, workshops
from lti_tool.services.cache import clear_local_caches
from lti_tool.signing import secret_keys
from models import Course, Pathway, ToolKey, User, db
from tests.functional.test_pathways_flow import _any_csrf, build_pathway

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_pages_carry_a_strict_policy_that_lets_only_the_platforms_frame_them(lti, app):
    with app.app_context():
        platforms.add_platform(issuer="https://moodle.example.org", client_id="c-1",
                               auth_login_url="https://login.moodle.example.org/auth",
                               auth_token_url="https://moodle.example.org/token",
                               key_set_url="https://moodle.example.org/certs")
        db.session.commit()
    clear_local_caches()
    assert lti.launch(user="201").status_code == 303
    response = lti.client.get("/instructor/")
    policy = csp(response)
    assert policy["script-src"] == "script-src 'self'"  # no inline script, no eval
    ancestors = policy["frame-ancestors"].split()[1:]
    assert "'self'" in ancestors  # the demo platform, at the tool's own origin
    assert {"https://moodle.example.org", "https://login.moodle.example.org"} <= set(ancestors)
    assert not any(origin in ("*", "https:", "http:") for origin in ancestors)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Content-Security-Policy" in lti.client.get("/lti/config", headers={"Accept": "text/html"}).headers


def test_no_template_has_an_inline_script():
    """A strict CSP blocks inline scripts: every script is a file under lti_tool/static (data in data-*)."""
    inline = []
    for template in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{template.relative_to(TEMPLATES)}: {tag}")
    assert inline == []


def test_pages_that_had_scripts_render_them_as_files(person, lti, client):
    import json
    from html import unescape

    demo = client.get("/demo/")
    assert 'src="/static/demo_embed.js"' in demo.text and "<script>" not in demo.text
    roster = person("201").get("/instructor/roster")
    assert 'src="/static/roster_sync.js"' in roster.text and 'data-url="/instructor/roster/sync"' in roster.text
    check = client.post("/lti/login", headers={"Sec-Fetch-Dest": "iframe"}, data={
        "iss": lti.platform.issuer, "login_hint": "101", "target_link_uri": "http://tool/lti/launch",
        "client_id": lti.platform.client_id, "lti_deployment_id": lti.platform.deployment_id})
    assert check.status_code == 200 and "<script>" not in check.text
    params = re.search(r"data-params='([^']*)'", check.text).group(1)
    assert json.loads(unescape(params))["login_hint"] == "101"  # what the script reads back
    script = client.get("/static/cookie_check.js")
    assert script.status_code == 200
    script.close()


def test_personal_data_is_never_cached(person, app):
    instructor = person("201")
    pathway_id = build_pathway(instructor)
    api = instructor.get(f"/api/pathways/{pathway_id}/dashboard")
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    csv = instructor.get(f"/instructor/pathways/{pathway_id}/export/learners.csv")
    if csv.status_code == 200:
        assert csv.headers["Cache-Control"] == "no-store"
    learner = person("101")
    with app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.sub == "101")).one()
        token = workshops.feed_token(secret_keys(app.config), user_id)
    feed = learner.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed.headers["Cache-Control"] == "no-store"
    jwks = learner.get("/lti/jwks")  # public keys: cacheable, as platforms expect
    assert "public" in jwks.headers["Cache-Control"]


def test_behind_a_tls_proxy_the_state_cookie_follows_the_public_origin(lti, app, monkeypatch):
    """The proxy sent no X-Forwarded-Proto: the request looks like http, the public origin is https."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://parcours.example.org")
    platform = lti.platform
    response = lti.client.post("/lti/login", data={
        "iss": platform.issuer, "login_hint": "101", "target_link_uri": "https://parcours.example.org/lti/launch",
        "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id})
    assert response.status_code == 302
    state_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lti1p3-")]
    assert state_cookies and all("Secure" in c and "SameSite=None" in c for c in state_cookies)
    admin = lti.client.get("/admin/login")  # a form: the session cookie carries its CSRF token
    session_cookie = [c for c in admin.headers.getlist("Set-Cookie") if c.startswith("parcours_session=")]
    assert session_cookie and "Secure" in session_cookie[0] and "SameSite=None" in session_cookie[0]


def test_over_plain_http_development_cookies_stay_lax(lti):
    response = lti.client.post("/lti/login", data={
        "iss": lti.platform.issuer, "login_hint": "101", "target_link_uri": "http://tool/lti/launch",
        "client_id": lti.platform.client_id, "lti_deployment_id": lti.platform.deployment_id})
    assert all("Secure" not in c for c in response.headers.getlist("Set-Cookie"))


def test_a_nul_byte_in_a_form_field_or_query_is_a_400_that_changes_nothing(person, app):
    instructor = person("201")
    token = _any_csrf(instructor.get("/instructor/").text)
    response = instructor.post("/instructor/pathways", data={"csrf_token": token, "title": "Parcours\x00",
                                                             "organisation": "CPTS"})
    assert response.status_code == 400 and "nul_byte" in response.text
    assert instructor.get("/instructor/?q=a\x00b").status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Pathway)).all() == []


def test_a_nul_byte_in_a_launch_claim_is_dropped(lti, app):
    response = lti.launch(user="101", claims_update={"name": "Ali\x00ce Martin", "given_name": "Ali\x00ce"})
    assert response.status_code == 303, response.text
    with app.app_context():
        user = db.session.scalars(select(User).where(User.sub == "101")).one()
        assert user.name == "Alice Martin" and user.given_name == "Alice"
        assert "\x00" not in db.session.scalars(select(Course.title)).one()


def test_an_oversized_login_hint_is_refused_not_echoed(lti, client):
    platform = lti.platform
    response = client.post("/lti/login", data={
        "iss": platform.issuer, "login_hint": "x" * 200_000, "target_link_uri": "http://tool/lti/launch",
        "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id})
    assert response.status_code == 400 and "oversized_parameter" in response.text
    assert "Location" not in response.headers and "x" * 3000 not in response.text


def test_a_refused_csrf_post_has_its_own_reason_code(person):
    instructor = person("201")
    page = instructor.post("/instructor/pathways", data={"title": "Sans jeton", "organisation": "CPTS"})
    assert page.status_code == 400 and "<code>csrf</code>" in page.text
    api = instructor.post("/instructor/roster/sync", headers={"Accept": "application/json"})
    assert api.status_code == 400 and api.get_json()["error"] == "csrf"


def test_the_tool_private_key_is_encrypted_at_rest_and_clear_keys_still_sign(app):
    with app.app_context():
        key = keys.rotate()
        db.session.commit()
        stored = db.session.scalars(select(ToolKey.private_pem).where(ToolKey.id == key.id)).one()
        assert stored.startswith(keys.ENCRYPTED_PREFIX) and "PRIVATE KEY" not in stored
        clear = keys.private_pem(key)
        assert clear.startswith("-----BEGIN PRIVATE KEY-----")
        legacy = ToolKey(kid="legacy-clear", private_pem=clear, public_jwk=key.public_jwk, status=ToolKey.PREVIOUS)
        db.session.add(legacy)
        db.session.commit()
        assert keys.private_key_object(legacy) is not None  # written by an earlier release: still read


ENCRYPTING, BEFORE_ENCRYPTING = "5e1f0c2a9d7b", "e4c1a9d27b63"


def test_the_migration_encrypts_existing_keys_and_its_downgrade_restores_them(tmp_path):
    from flask_migrate import downgrade, upgrade

    other = create_app({"TESTING": True, "SECRET_KEY": "migration-secret", "INSTANCE_PATH": str(tmp_path),
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.sqlite'}"})
    with other.app_context():  # by revision: later migrations must not change which one is undone
        upgrade(revision=ENCRYPTING)
        key = keys.ensure_active_key()
        db.session.commit()
        downgrade(revision=BEFORE_ENCRYPTING)
        assert db.session.scalar(select(ToolKey.private_pem)).startswith("-----BEGIN")
        upgrade(revision=ENCRYPTING)
        stored = db.session.scalar(select(ToolKey.private_pem))
        assert stored.startswith(keys.ENCRYPTED_PREFIX)
        assert keys.private_pem(db.session.get(ToolKey, key.id)).startswith("-----BEGIN")
        db.engine.dispose()


@pytest.mark.skipif(os.name != "posix", reason="file modes 0600/0700 exist only on POSIX systems; on Windows the "
                                             "instance folder's access is set by its ACLs, which the tool leaves alone")
def test_the_instance_folder_and_the_sqlite_file_are_private(tmp_path):
    instance = tmp_path / "instance"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(instance)})
    with other.app_context():
        db.session.execute(select(1))
        db.engine.dispose()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "lti_tool.sqlite").stat().st_mode) == 0o600
