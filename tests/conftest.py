"""Shared fixtures."""

from __future__ import annotations

import os
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ["EVALKIT_PROGRESS"] = "0"  # no progress bars in test output (tested on their own)


@pytest.fixture
def quiet():
    """Silence evalkit's caveat warnings inside loops (they are tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory):
    """The shipped templates run once per session on data_samples/ (its en/fr, did en/fr,
    evaluation en)."""
    from evalkit.run.execute import run_template

    root = tmp_path_factory.mktemp("reports")
    runs = [("its", "en"), ("its", "fr"), ("did", "en"), ("did", "fr"), ("evaluation", "en")]
    return {(name, lang): run_template(name, out=root / f"{name}_{lang}", lang=lang,
                                       progress=False) for name, lang in runs}
