"""Shared fixtures for the reference tests (published numbers on public data sets).

The data live outside the repository, in ``/work/shared/data/reference`` (i.e. ``shared/``
next to the repository root). Tests that need them skip with a clear reason when the folder
is absent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

# EVALKIT_REFERENCE_DIR: the folder elsewhere (e.g. a worktree away from shared/)
REFERENCE_DIR = Path(os.environ.get(
    "EVALKIT_REFERENCE_DIR",
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "reference"))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder holding the reference CSVs; skip if it is not there (fail under CI, where
    shared/ is always checked out beside the repository)."""
    if not REFERENCE_DIR.is_dir():
        message = (f"reference data folder not found at {REFERENCE_DIR} "
                   "(expected shared/data/reference next to the repository root)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def load_reference(reference_dir: Path) -> Callable[[str], pd.DataFrame]:
    """Return a loader: ``load_reference("kielmc.csv")`` -> a fresh DataFrame."""

    def _load(name: str) -> pd.DataFrame:
        path = reference_dir / name
        if not path.is_file():
            pytest.skip(f"reference data file {path} not found")
        return pd.read_csv(path)

    return _load


def effect_row(result, term: str) -> pd.Series:
    """One row of ``result.effects`` by term, e.g. ``effect_row(res, "att")``."""
    effects = result.effects
    terms = list(effects["term"])
    assert term in terms, f"term {term!r} not in effects terms {terms}"
    return effects.set_index("term").loc[term]


@pytest.fixture
def get_row() -> Callable[[object, str], pd.Series]:
    """Fixture form of :func:`effect_row`."""
    return effect_row
