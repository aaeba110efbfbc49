"""Shared fixtures."""

from __future__ import annotations

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture
def quiet():
    """Silence evalkit's caveat warnings inside loops (they are tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
