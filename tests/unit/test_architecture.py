"""ARCHITECTURE.md names every package, and the import contract of pyproject.toml holds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import evalkit

PACKAGE = Path(evalkit.__file__).parent
ROOT = PACKAGE.parent
DOC = ROOT / "ARCHITECTURE.md"


def _package_map() -> set[str]:
    """The folders named in the package map (``- `evalkit/<name>/` — ...``)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `evalkit/(\w+)/`", section, flags=re.M))


def test_architecture_names_every_package_and_only_existing_ones():
    named = _package_map()
    folders = {p.name for p in PACKAGE.iterdir()
               if p.is_dir() and not p.name.startswith((".", "__"))}
    assert named, "ARCHITECTURE.md has no package map"
    assert named - folders == set(), "named in ARCHITECTURE.md but missing"
    assert folders - named == set(), "under evalkit/ but not in ARCHITECTURE.md"


def test_architecture_names_only_existing_modules():
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`evalkit/(\w+\.py)`", text))
    assert named and {m for m in named if not (PACKAGE / m).is_file()} == set()


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return found


def test_import_contract_holds():
    # the evalkit checked is this checkout's, whatever the environment has installed
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": path})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
