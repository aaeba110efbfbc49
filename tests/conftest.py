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
SLOW_FOLDERS = frozenset({"browser", "gallery", "notebooks", "templates", "calibration"})
# Fixtures that execute the template notebooks in a kernel.
SLOW_FIXTURES = frozenset({"sample_reports"})
# Tests that start kernels, worker processes or Dask clusters: 2-31 s each on a busy machine
# (``--durations``, 2026-12); listed here rather than decorated, as other changes touch
# these files often.
SLOW_TESTS = {
    "reliability/test_batch_reliability.py": {
        "test_a_dask_cluster_without_workers_is_reported_within_the_timeout",
        "test_a_lost_dask_worker_never_reruns_a_finished_run",
        "test_a_resumed_batch_remembers_the_status_and_time_of_finished_runs",
        "test_a_task_whose_folder_holds_its_identity_is_not_executed_again",
        "test_grid_values_that_make_long_names_are_shortened_with_a_hash",
        "test_stale_work_folders_are_removed_only_when_ours_and_dead",
    },
    "reliability/test_disclosure.py": {
        "test_displacement_template_folder_never_names_the_small_count",
        "test_indicators_template_folder_keeps_hidden_counts_hidden",
        "test_property_indicators_template_folder_hides_every_small_window_count",
        "test_property_no_suppressed_count_recoverable_from_indicator_artefacts",
    },
    "reliability/test_outputs.py": {
        "test_every_report_folder_carries_the_marker_and_can_be_replaced",
    },
    "reliability/test_signals.py": {
        "test_a_killed_batch_leaves_no_worker_and_resumes_remembering_finished_runs",
        "test_a_second_batch_on_the_same_plan_is_refused_naming_the_first",
        "test_a_second_run_on_the_same_out_is_refused_and_the_first_finishes",
        "test_a_stopped_batch_stops_every_worker_and_cleans_up",
        "test_a_stopped_batch_with_a_run_timeout_stops_the_run_processes_too",
        "test_a_stopped_dask_batch_stops_its_local_cluster_and_cleans_up",
        "test_a_stopped_run_cleans_up_promptly",
        "test_the_work_folder_of_a_killed_run_is_removed_by_the_next_run",
    },
    "run/test_batch.py": {
        "test_a_failing_run_is_recorded_and_the_others_finish",
        "test_a_run_over_its_time_limit_fails_with_timed_out",
        "test_dask_local_cluster_runs_the_same_plan",
        "test_killed_batch_resumes_without_duplicates_or_leftovers",
        "test_plan_runs_then_skips_then_reruns_only_what_changed",
    },
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` the tests of :data:`SLOW_FOLDERS`, those using a kernel fixture and
    those of :data:`SLOW_TESTS`."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        if not path.is_relative_to(tests_dir):
            continue
        relative = path.relative_to(tests_dir)
        name = getattr(item, "originalname", item.name)
        if (relative.parts[0] in SLOW_FOLDERS
                or not SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
                or name in SLOW_TESTS.get(relative.as_posix(), ())):
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
