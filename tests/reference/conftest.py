"""Shared fixtures for the reference tests (published numbers on public data sets).

The data are copied into the repository, ``tests/data/reference/`` (licences, sources and
checksums in its README), so the reference tests run in any clone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder holding the reference CSVs (``tests/data/reference``)."""
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def load_reference(reference_dir: Path) -> Callable[[str], pd.DataFrame]:
    """Return a loader: ``load_reference("kielmc.csv")`` -> a fresh DataFrame."""

    def _load(name: str) -> pd.DataFrame:
        return pd.read_csv(reference_dir / name)

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
