"""The quick mode of the coverage study (benchmarks/coverage.py), run in this process.

Every row of the study must be present, and every interval that should cover at 95 % (under
its own assumptions, or a conservative exact interval) must cover at least 80 % of the
quick run's replications: a wide band (Monte Carlo error is about ±4 points at 30
replications) that a broken standard error still fails. The full study is run by hand
(``.venv/bin/python benchmarks/coverage.py --jobs 2``); its table goes in the README.

No ``__init__.py`` here on purpose: a package named ``coverage`` under ``tests/`` would
shadow coverage.py when pytest puts ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from benchmark_loader import load_benchmark

import evalkit as ek

study = load_benchmark("coverage")


@pytest.fixture(scope="module")
def quick():
    return study.run_study(reps=study.QUICK_REPS, seed=study.DEFAULT_SEED, jobs=1)


def test_quick_run_has_every_row_in_order(quick):
    expected = [(s.name, row.key) for s in study.SCENARIOS for row in s.rows]
    assert [(r.scenario, r.row.key) for r in quick] == expected
    assert all(r.reps == study.QUICK_REPS for r in quick)
    table = study.markdown_table(quick)
    body = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(body) == len(expected) + 1  # header + one line per row
    for i, r in enumerate(quick, 1):
        assert body[i].startswith(f"| {i} | `{r.scenario}` | {r.row.estimator} |")
    for s in study.SCENARIOS:
        assert f"- `{s.name}`: {s.data}" in table


def test_intervals_expected_at_95_percent_cover_at_least_80_percent(quick):
    assert study.quick_failures(quick) == []
    checked = [r for r in quick if r.row.expect != "under"]
    assert len(checked) >= 25
    for r in checked:
        assert math.isfinite(r.mean_width) and r.mean_width > 0, r


def test_quick_run_shows_the_gross_failure_modes(quick):
    """TWFE under staggered timing with growing effects, and variances that assume Poisson
    counts applied to overdispersed counts, miss the truth most of the time."""
    cov = {(r.scenario, r.row.key): r.coverage for r in quick}
    assert cov[("staggered_random", "twfe")] < 0.5
    assert cov[("staggered_random", "analytic")] >= 0.8
    assert cov[("wdd", "nb")] < 0.8
    assert cov[("its_overdispersed", "poisson")] < 0.8


def test_quick_floor_check_flags_a_row_below_the_band(quick):
    worst = next(r for r in quick if r.row.expect == "nominal")
    broken = study.Result(**{**worst.__dict__, "coverage": 0.5})
    failures = study.quick_failures([broken])
    assert len(failures) == 1
    assert failures[0].startswith(f"{worst.scenario}/{worst.row.key}: coverage 0.500 < 0.8")
    under = next(r for r in quick if r.row.expect == "under")
    assert study.quick_failures([study.Result(**{**under.__dict__, "coverage": 0.1})]) == []


@pytest.mark.usefixtures("quiet")
def test_wild_interval_is_the_one_did_reports_with_few_treated_units():
    rng = np.random.default_rng(3)
    df = study._twfe_frame(rng, n_units=20, n_treated=3, n_periods=10, start=5, effect=1.5,
                           rho=0.5)
    res = ek.did(df, outcome="y", unit="unit", time="year", treatment="d")
    assert "Wild cluster bootstrap" in res.spec["vcov"]
    lo, hi = study.did_wild_interval(df, outcome="y", unit="unit", time="year",
                                     treatment="d")
    row = res.effect("att")
    assert (lo, hi) == pytest.approx((row["ci_low"], row["ci_high"]), rel=1e-12)


def test_results_do_not_depend_on_the_number_of_jobs():
    one = study.run_study(reps=8, seed=5, jobs=1, only=["rate", "wdd"])
    two = study.run_study(reps=8, seed=5, jobs=2, only=["rate", "wdd"])
    assert [(r.coverage, r.mean_width) for r in one] == [(r.coverage, r.mean_width)
                                                         for r in two]


def test_command_line_quick_subset(capsys):
    assert study.main(["--quick", "--only", "rate_change,survey_iid", "--reps", "10"]) == 0
    out = capsys.readouterr().out
    assert "| 1 | `rate_change` |" in out and "| 2 | `survey_iid` |" in out
    assert "quick check passed" in out


def test_command_line_rejects_an_unknown_scenario():
    with pytest.raises(SystemExit, match=r"unknown scenario\(s\) \['nope'\]; choose from "
                                         r"its_poisson"):
        study.main(["--only", "nope", "--reps", "2"])
