"""Shared fixtures."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ["EVALKIT_PROGRESS"] = "0"  # no progress bars in test output (tested on their own)


# Folders whose tests run notebooks, templates, a browser, the real-data gallery or the quick
# coverage study: all marked ``slow``, so ``make test-fast`` (``-m "not slow"``) leaves them out.
SLOW_FOLDERS = frozenset({"browser", "gallery", "notebooks", "templates", "montecarlo"})
# Fixtures that execute the template notebooks in a kernel.
SLOW_FIXTURES = frozenset({"sample_reports"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` the tests of :data:`SLOW_FOLDERS` and those using a kernel fixture."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        folder = path.relative_to(tests_dir).parts[0] if path.is_relative_to(tests_dir) else ""
        if folder in SLOW_FOLDERS or not SLOW_FIXTURES.isdisjoint(item.fixturenames):
            item.add_marker(pytest.mark.slow)


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


# A correct interval leaves the band in 1 run of 1,000 with a fresh set of seeds.
COVERAGE_FALSE_ALARM = 0.001


def binomial_band(reps: int, nominal: float = 0.95,
                  false_alarm: float = COVERAGE_FALSE_ALARM) -> tuple[float, float]:
    """Coverage band for a Monte Carlo of ``reps`` independent replications.

    Parameters
    ----------
    reps : int
        Number of replications (seeds).
    nominal : float
        Coverage the interval claims, e.g. 0.95.
    false_alarm : float
        Probability that an interval with exactly the nominal coverage falls outside the
        band (split equally between the two tails).

    Returns
    -------
    tuple of float
        ``(low, high)``: the exact binomial quantiles divided by ``reps``; a coverage
        claim holds when ``low <= hits / reps <= high``. E.g. 200 reps: (0.895, 0.99).
    """
    from scipy.stats import binom  # here, not at collection: scipy.stats takes a second

    low = binom.ppf(false_alarm / 2, reps, nominal) / reps
    high = binom.isf(false_alarm / 2, reps, nominal) / reps
    return float(low), float(high)


@pytest.fixture(scope="session")
def coverage_band() -> Callable[..., tuple[float, float]]:
    """Fixture form of :func:`binomial_band`."""
    return binomial_band
