"""The one build step pyproject.toml cannot say: a wheel is the whole product, so `pip install .` and gunicorn serve
the same French UI as `make run`. Into the built `lti_tool` package go the French catalog compiled from its .po
(with Babel, as `pybabel compile` does), the top-level templates/ and migrations/ (read from there in a checkout,
from the package when installed). Editable installs (`make`) use the source tree as it is.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COPIED = ("templates", "migrations")


class BuildProduct(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "lti_tool"
        for folder in COPIED:
            shutil.copytree(HERE / folder, package / folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        compile_catalogs(HERE / "lti_tool" / "translations", package / "translations")


def compile_catalogs(source: Path, target: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        relative = po_path.relative_to(source)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=relative.parts[0])
        mo_path = target / relative.with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)  # fuzzy entries left out, as `pybabel compile` does


setup(cmdclass={"build_py": BuildProduct})
