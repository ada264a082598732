"""Build step that makes the wheel carry the top-level Turtle folders.

Everything else is configured in pyproject.toml. `ontology/`, `shapes/` and `rules/` stay
at the top of the repository, outside the `kg` package, so a plain build would leave them
out of the wheel. This build_py adds their files to kg's package data, to be installed as
`kg/_toplevel/<folder>/...` (kg.resources looks there first, then in the checkout).

Why build_py rather than a `package-dir` mapping: a mapping needs every package listed by
hand (no `packages.find`) and an `__init__.py` in each Turtle folder, and an editable
install of a mapped folder without one cannot be imported. Adding to build_py's data files
feeds every path setuptools takes: the wheel copies the files, a strict editable install
links them, and a default editable install runs the checkout, where kg.resources finds the
folders beside kg/.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FOLDERS = ("ontology", "shapes", "rules")  # the folders kg.resources reads
TARGET = ("kg", "_toplevel")  # kg.resources.PACKAGED


class BuildPyWithToplevel(build_py):
    """build_py that also copies the top-level Turtle folders into kg/_toplevel/."""

    def _toplevel(self) -> tuple[str, str, str, list[str]]:
        missing = [f for f in FOLDERS if not (ROOT / f).is_dir()]
        if missing:
            raise FileNotFoundError(f"setup.py: top-level folders missing: {missing}")
        files = sorted(p.relative_to(ROOT).as_posix() for folder in FOLDERS
                       for p in (ROOT / folder).rglob("*") if p.is_file())
        # (package, source folder, build folder, file names relative to both); setuptools
        # runs this file from ROOT and wants a relative source folder (as for packages)
        return "kg", os.path.relpath(ROOT), os.path.join(self.build_lib, *TARGET), files

    def _get_data_files(self):
        return [*super()._get_data_files(), self._toplevel()]

    def get_data_files_without_manifest(self):
        return [*super().get_data_files_without_manifest(), self._toplevel()]


setup(cmdclass={"build_py": BuildPyWithToplevel})
