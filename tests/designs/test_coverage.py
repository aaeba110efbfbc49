"""Coverage of 95 % intervals under each estimator's assumptions (200 replications each).

The designs must cover the true effect a share of the time inside the exact binomial band
for 200 replications at 95 % (``coverage_band``: 0.895 to 0.99; an interval with exactly
95 % coverage leaves it once in 1,000 sets of seeds). The full study with the failure modes
lives in benchmarks/coverage.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.simulate import simulate_city, simulate_series

REPS = 200
pytestmark = pytest.mark.slow  # 200 fits per test, 2 minutes in all


def _covers(row, truth):
    return row["ci_low"] <= truth <= row["ci_high"]


@pytest.mark.usefixtures("quiet")
def test_its_poisson_level_change_coverage(coverage_band):
    hits = 0
    for seed in range(REPS):
        sim = simulate_series(start="2010-01", n_months=72, intervention_month=48,
                              baseline=40, level_change=0.8, seasonality=0.1, seed=seed)
        res = ek.its(sim.data, outcome="count", time="month", intervention="2014-01",
                     seasonality="fourier", harmonics=1, slope_change=False)
        hits += _covers(res.effect("level_change"), math.log(0.8))
    low, high = coverage_band(REPS)
    assert low <= hits / REPS <= high, hits / REPS


def _ar1_coverage(se: str, rho: float = 0.4) -> float:
    rng = np.random.default_rng(0)
    hits = 0
    n, t0 = 96, 60
    t = np.arange(n)
    month = pd.period_range("2010-01", periods=n, freq="M").astype(str)
    for _ in range(REPS):
        e = np.zeros(n)
        shocks = rng.normal(0, 1, n)
        e[0] = shocks[0] / math.sqrt(1 - rho**2)
        for i in range(1, n):
            e[i] = rho * e[i - 1] + shocks[i]
        y = 50 + 0.05 * t - 3.0 * (t >= t0) + e
        res = ek.its(pd.DataFrame({"month": month, "y": y}), outcome="y", time="month",
                     intervention="2015-01", family="ols", se=se, slope_change=False)
        hits += _covers(res.effect("level_change"), -3.0)
    return hits / REPS


@pytest.mark.usefixtures("quiet")
def test_its_autocorrelated_errors_gls_ar1_restores_coverage(coverage_band):
    """AR(1) errors (rho 0.4, 96 months): naive OLS and Newey–West under-cover; GLS-AR(1)
    by REML (the documented fallback) covers at the nominal rate."""
    low, high = coverage_band(REPS)
    assert _ar1_coverage("model") < min(0.85, low)
    assert _ar1_coverage("hac") < low
    assert low <= _ar1_coverage("ar1") <= high


@pytest.mark.usefixtures("quiet")
def test_twfe_poisson_cluster_coverage(coverage_band):
    hits = 0
    for seed in range(REPS):
        city = simulate_city(n_districts=30, n_months=24, start="2015-01",
                             crimes=("burglary",), effect={"burglary": 0.85},
                             roll_out="common", n_treated=12, start_dates=["2016-01"],
                             seed=seed)
        res = ek.did(city.data, outcome="burglary", unit="district", time="month",
                     treatment="partnership", family="poisson")
        hits += _covers(res.effect("att"), math.log(0.85))
    low, high = coverage_band(REPS)
    assert low <= hits / REPS <= high, hits / REPS


@pytest.mark.usefixtures("quiet")
def test_twfe_ols_cluster_coverage(coverage_band):
    hits = 0
    for seed in range(REPS):
        rng = np.random.default_rng(seed)
        units, periods = 40, 8
        u = np.repeat(np.arange(units), periods)
        p = np.tile(np.arange(periods), units)
        d = ((u < 15) & (p >= 4)).astype(float)
        y = rng.normal(0, 1, units)[u] + rng.normal(0, 1, periods)[p] + 1.5 * d \
            + rng.normal(0, 1, units * periods)
        df = pd.DataFrame({"u": u, "year": 2000 + p, "d": d, "y": y})
        res = ek.did(df, outcome="y", unit="u", time="year", treatment="d")
        hits += _covers(res.effect("att"), 1.5)
    low, high = coverage_band(REPS)
    assert low <= hits / REPS <= high, hits / REPS


@pytest.mark.usefixtures("quiet")
def test_event_study_pre_trend_test_size_with_few_treated_clusters():
    """8 treated of 20 districts, 11 leads, no pre-trend: the diagnostic must not cry wolf
    (the joint cluster Wald test rejected about always here; the linear test holds)."""
    reps = 60
    rejected = 0
    for seed in range(reps):
        city = simulate_city(seed=seed, crimes=("burglary",))
        res = ek.event_study(city.data, outcome="burglary", unit="district", time="month",
                             cohort="cohort", leads=12, lags=24)
        rejected += not res.diagnostic("pre_trend").passed
    assert rejected / reps <= 0.12
    assert "linear pre-trend test" in res.diagnostic("pre_trend").message


@pytest.mark.usefixtures("quiet")
def test_staggered_pre_trend_test_size_with_few_treated_units():
    """8 treated of 20 districts, ~160 pre-treatment ATT(g,t): R did's joint Wald pre-test is
    singular here; the 1-df average test with a t(7) reference holds its level."""
    reps, rejected = 60, 0
    for seed in range(reps):
        city = simulate_city(seed=seed, crimes=("burglary",))
        res = ek.staggered_did(city.data, outcome="burglary", unit="district", time="month",
                               cohort="cohort")
        rejected += not res.diagnostic("pre_trend").passed
    assert rejected / reps <= 0.10


@pytest.mark.usefixtures("quiet")
def test_staggered_pre_trend_test_detects_diverging_groups():
    city = simulate_city(seed=3, crimes=("burglary",)).data
    months = pd.PeriodIndex(city["month"], freq="M")
    drift = (months - months.min()).map(lambda d: d.n).to_numpy()
    treated = city["cohort"].notna().to_numpy()
    city = city.assign(burglary=city["burglary"] + np.where(treated, 0.5 * drift, 0).round())
    res = ek.staggered_did(city, outcome="burglary", unit="district", time="month",
                           cohort="cohort")
    assert not res.diagnostic("pre_trend").passed
