"""A production install is the package itself: the wheel carries the compiled French catalog, the templates, the
static files and the migrations, and an app installed from it (no checkout around) migrates and speaks French."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__", "*.pyc",
                              "*.mo", ".pytest_cache", "tests", "bench")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built from a copy, as a fresh checkout would be: no compiled catalog, no build/ left by an earlier build.
    source = tmp_path_factory.mktemp("source") / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "-w", str(out), "--no-deps", "-q"],
                   check=True, timeout=300)
    return next(out.glob("*.whl"))


def test_the_wheel_carries_catalog_templates_static_files_and_migrations(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {"lti_tool/translations/fr/LC_MESSAGES/messages.mo", "lti_tool/static/app.css",
                "lti_tool/migrations/env.py", "lti_tool/migrations/alembic.ini"}
    templates = ROOT / "templates"
    expected |= {f"lti_tool/templates/{p.relative_to(templates)}" for p in templates.rglob("*.html")}
    expected |= {f"lti_tool/migrations/versions/{p.name}" for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert expected - names == set()
    # nothing loose at the top of site-packages
    assert not [n for n in names if n.startswith(("templates/", "migrations/", "tests/"))]


def test_the_packaged_catalog_is_compiled_from_the_po(wheel):
    with zipfile.ZipFile(wheel) as archive, archive.open("lti_tool/translations/fr/LC_MESSAGES/messages.mo") as mo:
        packaged = read_mo(mo)
    with (ROOT / "lti_tool/translations/fr/LC_MESSAGES/messages.po").open("rb") as po:
        source = read_po(po, locale="fr")
    def strings(catalog):  # plural forms come back as lists from one reader and tuples from the other
        return {m.id if isinstance(m.id, str) else m.id[0]: tuple(m.string) if isinstance(m.string, (list, tuple))
                else m.string for m in catalog if m.id and m.string and not m.fuzzy}

    translated = strings(source)
    assert len(translated) > 100
    assert strings(packaged) == translated


def test_an_installed_wheel_migrates_and_serves_french_pages(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, timeout=300)
    script = f"""
import lti_tool
from flask_migrate import upgrade
from lti_tool import create_app
assert lti_tool.__file__.startswith({str(site)!r}), lti_tool.__file__
app = create_app({{"SECRET_KEY": "x", "INSTANCE_PATH": {str(tmp_path / "instance")!r},
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / 'prod.sqlite'}"}})
with app.app_context():
    upgrade()
client = app.test_client()
page = client.get("/learner/")
assert page.status_code == 401 and "Veuillez ouvrir l'outil depuis Moodle" in page.text, page.text
assert client.get("/static/app.css").status_code == 200
print("ok")
"""
    # Run away from the checkout, with the installed wheel first on the path (the venv supplies the dependencies).
    env = dict(os.environ, PYTHONPATH=str(site))
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
