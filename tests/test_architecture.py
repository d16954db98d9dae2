"""What import-linter cannot say (it forbids modules, not names): services never touch the request, the session or
`g` — they take plain arguments, so a worker, the CLI or a test can call them without a request."""
from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "lti_tool" / "services"
REQUEST_STATE = {"request", "session", "g"}


def request_state_uses(source: str) -> list[str]:
    """`from flask import request` (or session, g, from flask or flask.globals) and `flask.request`-style uses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask.globals"):
            found += [(node.lineno, f"from {node.module} import {alias.name}")
                      for alias in node.names if alias.name in REQUEST_STATE]
        elif isinstance(node, ast.Attribute) and node.attr in REQUEST_STATE \
                and isinstance(node.value, ast.Name) and node.value.id == "flask":
            found.append((node.lineno, f"flask.{node.attr}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_check_sees_what_it_looks_for():
    assert request_state_uses("from flask import current_app, request as r\nimport flask\nflask.session.clear()\n"
                              "from flask.globals import g\n") == [
        "line 1: from flask import request", "line 3: flask.session", "line 4: from flask.globals import g"]
    assert request_state_uses("from flask import current_app\nfrom .session import x\n") == []


def test_services_never_use_the_request_the_session_or_g():
    modules = sorted(SERVICES.rglob("*.py"))
    assert len(modules) > 10
    offenders = {str(path.relative_to(SERVICES)): uses for path in modules
                 if (uses := request_state_uses(path.read_text()))}
    assert offenders == {}
