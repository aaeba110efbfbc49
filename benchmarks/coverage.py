"""Coverage of evalkit's 95 % confidence intervals, under each estimator's assumptions and
under its known failure modes.

Run::

    .venv/bin/python benchmarks/coverage.py            # full study, 1,000 replications a row
    .venv/bin/python benchmarks/coverage.py --quick    # CI smoke run (30 replications, < 90 s)
    .venv/bin/python benchmarks/coverage.py --jobs 2 --seed 7 --only its_ar1_ols,wdd

For every scenario the script simulates data with a known true effect (evalkit's own
simulators where they fit, else a few lines of numpy), fits evalkit's estimators, and counts
how often the 95 % interval contains the truth. A scenario is one data-generating process;
its rows are the intervals compared on the *same* simulated data sets (so the default and
its fallback are paired). The table gives, per row: the empirical coverage, its Monte Carlo
standard error ``sqrt(c (1 - c) / reps)``, the number of replications, the mean interval
width (over bounded intervals; the shares of unbounded and of empty intervals, which
count as not covering, are noted) and what to expect:

* ``93–97`` — the data follow the estimator's assumptions (or the fallback's): coverage
  should be 95 % up to Monte Carlo error (about ±1.4 points at 1,000 replications);
* ``≥ 95`` — an exact/conservative interval (Garwood, Clopper–Pearson, conditional
  binomial): coverage at or above 95 % by construction;
* ``< 93`` — a known failure mode (autocorrelation, overdispersion, few clusters,
  staggered timing under TWFE, cluster sampling): the row shows how far the interval
  falls short; the ``fallback`` column says what evalkit does about it, and whether it does
  it automatically.

``--quick`` runs every row with few replications (for CI; Monte Carlo error is about ±4
points) and exits with status 1 unless every row expected at 93–97 or ≥ 95 reaches at least
80 %, a wide band that a broken standard error still fails. Results do not depend on
``--jobs``: every replication draws from its own ``SeedSequence([seed, scenario, rep])``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

import evalkit as ek
from evalkit.data.simulate import simulate_city, simulate_series, simulate_survey
from evalkit.designs.did import DEFAULT_SEED as DID_DEFAULT_SEED
from evalkit.designs.did import _codes as did_codes
from evalkit.inference.wild import wild_cluster_bootstrap

Expect = Literal["nominal", "conservative", "under"]

FULL_REPS = 1000
QUICK_REPS = 30
#: Quick mode: rows expected at 95 % must reach this coverage.
QUICK_FLOOR = 0.80
NOMINAL_BAND = (0.93, 0.97)
DEFAULT_SEED = 20260101
_EXPECT_TEXT = {"nominal": "93–97", "conservative": "≥ 95", "under": "< 93"}

# (low, high, truth) of one interval in one replication
Interval = tuple[float, float, float]


@dataclass(frozen=True)
class Row:
    """One interval studied in a scenario."""

    key: str
    estimator: str
    interval: str
    default: bool
    expect: Expect
    fallback: str


@dataclass(frozen=True)
class Scenario:
    """One data-generating process and the intervals fitted to each of its data sets."""

    name: str
    data: str
    rows: tuple[Row, ...]
    run: Callable[[np.random.Generator, int], dict[str, Interval]]


@dataclass(frozen=True)
class Result:
    """Coverage of one row."""

    scenario: str
    data: str
    row: Row
    reps: int
    coverage: float
    mc_se: float
    mean_width: float
    unbounded: float
    empty: float
    seconds: float

    @property
    def in_band(self) -> bool:
        return NOMINAL_BAND[0] <= self.coverage <= NOMINAL_BAND[1]


# -- small helpers ----------------------------------------------------------------------------
def _ci(res: ek.EvaluationResult, term: str, truth: float) -> Interval:
    row = res.effect(term)
    return float(row["ci_low"]), float(row["ci_high"]), float(truth)


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Stationary AR(1) noise of unit variance along the last axis."""
    shocks = rng.normal(size=shape)
    e = np.empty(shape)
    e[..., 0] = shocks[..., 0]
    scale = math.sqrt(1 - rho**2)
    for t in range(1, shape[-1]):
        e[..., t] = rho * e[..., t - 1] + scale * shocks[..., t]
    return e


def _seed_int(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


# -- interrupted time series ------------------------------------------------------------------
_ITS = {"outcome": "count", "time": "month", "seasonality": "fourier", "harmonics": 1}
_AR_FALLBACK_OLS = ("not automatic: autocorrelation diagnostic + caveat; documented "
                    "fallback se='ar1' (GLS-AR(1), REML)")
_AR_FALLBACK_COUNTS = ("not automatic: autocorrelation diagnostic + caveat; se='ar1' is "
                       "refused for counts, the error message points to se='hac' or a "
                       "control series")
_OD_FALLBACK = ("not automatic: overdispersion diagnostic + caveat; quasipoisson, negbin "
                "or se='robust' are options (DOMAIN.md §4 asks for one of them by default)")


def _its_poisson(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    sim = simulate_series(n_months=72, intervention_month=48, baseline=40, level_change=0.8,
                          slope_change=0.9, seasonality=0.1, seed=_seed_int(rng))
    res = ek.its(sim.data, intervention=sim.truth["intervention"], **_ITS)
    return {"level": _ci(res, "level_change", math.log(0.8)),
            "slope": _ci(res, "slope_change", math.log(0.9) / 12),
            "cumulative": _ci(res, "cumulative_effect", sim.truth["cumulative_effect"])}


def _its_overdispersed(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    sim = simulate_series(n_months=72, intervention_month=48, baseline=40, level_change=0.8,
                          overdispersion=10.0, seed=_seed_int(rng))
    t0, truth = sim.truth["intervention"], math.log(0.8)
    out = {}
    for key, opts in (("poisson", {}), ("quasipoisson", {"family": "quasipoisson"}),
                      ("negbin", {"family": "negbin"}), ("robust", {"se": "robust"})):
        res = ek.its(sim.data, intervention=t0, **_ITS, **opts)
        out[key] = _ci(res, "level_change", truth)
    return out


def _its_counts_ar1(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    sim = simulate_series(n_months=72, intervention_month=48, baseline=40, level_change=0.8,
                          ar1=0.5, noise_sd=0.15, seed=_seed_int(rng))
    t0, truth = sim.truth["intervention"], math.log(0.8)
    out = {}
    for key, opts in (("poisson", {}), ("quasipoisson", {"family": "quasipoisson"}),
                      ("hac", {"se": "hac"})):
        res = ek.its(sim.data, intervention=t0, **_ITS, **opts)
        out[key] = _ci(res, "level_change", truth)
    logged = sim.data.assign(count=np.log(sim.data["count"] + 0.5))  # counts are ~25-60
    res = ek.its(logged, intervention=t0, **_ITS, family="ols", se="ar1")
    out["log_ar1"] = _ci(res, "level_change", truth)
    return out


def _ols_series(rng: np.random.Generator, rho: float) -> tuple[pd.DataFrame, str, float]:
    n, t0, effect = 96, 60, -3.0
    t = np.arange(n)
    y = 50 + 0.05 * t + effect * (t >= t0) + _ar1(rng, (n,), rho)
    month = pd.period_range("2010-01", periods=n, freq="M").astype(str)
    return pd.DataFrame({"month": month, "y": y}), str(month[t0]), effect


def _its_ols(rho: float, ses: tuple[str, ...]):
    def run(rng: np.random.Generator, _: int) -> dict[str, Interval]:
        df, t0, effect = _ols_series(rng, rho)
        out = {}
        for se in ses:
            res = ek.its(df, outcome="y", time="month", intervention=t0, family="ols", se=se,
                         slope_change=False)
            out[se] = _ci(res, "level_change", effect)
        return out
    return run


# -- difference-in-differences ----------------------------------------------------------------
_FEW_OLS = ("automatic: inference='auto' switches interval and p-value to the wild cluster "
            "bootstrap-t (Webb weights, null imposed) below 20 clusters or 5 treated clusters")


def _twfe_frame(rng: np.random.Generator, *, n_units: int, n_treated: int, n_periods: int,
                start: int, effect: float, rho: float) -> pd.DataFrame:
    """y_it = a_i + l_t + effect D_it + e_it, e AR(1) within unit (sd 1), a_i, l_t ~ N(0, 1)."""
    treated = np.zeros(n_units, dtype=bool)
    treated[rng.choice(n_units, n_treated, replace=False)] = True
    t = np.arange(n_periods)
    d = treated[:, None] & (t[None, :] >= start)
    y = (rng.normal(size=(n_units, 1)) + rng.normal(size=(1, n_periods)) + effect * d
         + _ar1(rng, (n_units, n_periods), rho))
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods),
                         "year": np.tile(2000 + t, n_units), "y": y.ravel(),
                         "d": d.ravel().astype(float)})


def did_wild_interval(df: pd.DataFrame, *, outcome: str, unit: str, time: str,
                      treatment: str, alpha: float = 0.05) -> tuple[float, float]:
    """The wild cluster bootstrap interval ``ek.did(..., inference="auto")`` reports for a
    TWFE OLS fit without covariates or weights, without the randomization-inference
    diagnostic that ``did`` adds when fewer than 5 clusters are treated (an exact
    enumeration of every placebo assignment, ~2 s a fit, which does not change the
    interval). Same statistic, draws (``did``'s default seed) and cluster order."""
    codes = {c: did_codes(df[c]) for c in (unit, time)}  # did's cluster order = its draws
    wb = wild_cluster_bootstrap(df[outcome].to_numpy(float),
                                df[[treatment]].to_numpy(float), ["att"], term="att",
                                fixed_effects=[codes[unit], codes[time]],
                                clusters=codes[unit], dist="webb", reps=9999,
                                seed=DID_DEFAULT_SEED, alpha=alpha)
    return wb.ci_low, wb.ci_high


def _twfe_ols(*, n_units: int, n_treated: int, methods: tuple[str, ...]):
    def run(rng: np.random.Generator, _: int) -> dict[str, Interval]:
        df = _twfe_frame(rng, n_units=n_units, n_treated=n_treated, n_periods=10, start=5,
                         effect=1.5, rho=0.5)
        out = {}
        for m in methods:
            if m == "wild":
                lo, hi = did_wild_interval(df, outcome="y", unit="unit", time="year",
                                           treatment="d")
                out[m] = (lo, hi, 1.5)
                continue
            opts = {"se": "classical"} if m == "classical" else {"inference": m}
            if m == "cluster":
                # with < 5 treated units did() always adds a randomization-inference
                # diagnostic of `reps` placebo fits; it does not touch the CR1 interval
                opts["reps"] = 99
            res = ek.did(df, outcome="y", unit="unit", time="year", treatment="d", **opts)
            out[m] = _ci(res, "att", 1.5)
        return out
    return run


def _twfe_poisson(*, n_districts: int, n_treated: int, methods: tuple[str, ...]):
    def run(rng: np.random.Generator, _: int) -> dict[str, Interval]:
        city = simulate_city(n_districts=n_districts, n_months=24, start="2015-01",
                             crimes=("burglary",), effect={"burglary": 0.85},
                             roll_out="common", n_treated=n_treated, start_dates=["2016-01"],
                             seed=_seed_int(rng))
        out = {}
        for m in methods:
            opts = {"se": "classical"} if m == "classical" else {"inference": m}
            res = ek.did(city.data, outcome="burglary", unit="district", time="month",
                         treatment="partnership", family="poisson", **opts)
            out[m] = _ci(res, "att", math.log(0.85))
        return out
    return run


def _staggered_frame(rng: np.random.Generator, *, cohorts: dict[int, int], n_never: int,
                     n_periods: int, effect: Callable[[int, int], float], rho: float
                     ) -> tuple[pd.DataFrame, float]:
    """Staggered roll-out, y_it = a_i + l_t + effect(g, t - g) [t >= g] + e_it.

    Returns the panel (cohort = first treated year, 0 = never) and the true average effect
    over treated unit-periods, which is both R did's ``simple`` aggregation and the TWFE
    estimand under homogeneous effects.
    """
    first = np.concatenate([np.full(k, g) for g, k in cohorts.items()]
                           + [np.full(n_never, -1)])
    n = len(first)
    t = np.arange(n_periods)
    since = t[None, :] - first[:, None]
    on = (first[:, None] >= 0) & (since >= 0)
    tau = np.zeros((n, n_periods))
    for i, j in zip(*np.nonzero(on), strict=True):
        tau[i, j] = effect(int(first[i]), int(since[i, j]))
    y = (rng.normal(size=(n, 1)) + rng.normal(size=(1, n_periods)) + tau
         + _ar1(rng, (n, n_periods), rho))
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), n_periods),
                       "year": np.tile(2000 + t, n), "y": y.ravel(),
                       "cohort": np.repeat(np.where(first >= 0, 2000 + first, 0), n_periods),
                       "d": on.ravel().astype(float)})
    return df, float(tau[on].mean())


def _heterogeneous(g: int, e: int) -> float:
    """Effects that grow with exposure, more for early cohorts (the TWFE failure case)."""
    return (0.5 + 0.4 * e) * (1.0 + 0.25 * (7 - g))


_COHORT_SHARES = {3: 0.2, 5: 0.2, 7: 0.2}  # first treated period -> population share
_STAGGERED = {"outcome": "y", "unit": "unit", "time": "year", "cohort": "cohort"}


def _population_att(shares: dict[int, float], effect: Callable[[int, int], float],
                    n_periods: int) -> float:
    """R did's ``simple`` aggregation in the population: post-treatment ATT(g,t) weighted by
    the cohorts' population shares."""
    num = sum(p * sum(effect(g, t - g) for t in range(g, n_periods)) for g, p in shares.items())
    den = sum(p * (n_periods - g) for g, p in shares.items())
    return num / den


def _staggered_random(rng: np.random.Generator, rep: int) -> dict[str, Interval]:
    """Callaway & Sant'Anna's sampling model: units drawn at random, so cohort sizes are
    multinomial and the target is the population-weighted ATT."""
    probs = [*_COHORT_SHARES.values(), 1 - sum(_COHORT_SHARES.values())]
    counts = rng.multinomial(100, probs)
    df, _ = _staggered_frame(rng, cohorts=dict(zip(_COHORT_SHARES, counts[:-1], strict=True)),
                             n_never=int(counts[-1]), n_periods=10, effect=_heterogeneous,
                             rho=0.5)
    truth = _population_att(_COHORT_SHARES, _heterogeneous, 10)
    analytic = ek.staggered_did(df, **_STAGGERED)
    boot = ek.staggered_did(df, **_STAGGERED, bootstrap=999, seed=rep)
    twfe = ek.did(df, outcome="y", unit="unit", time="year", treatment="d")
    return {"analytic": _ci(analytic, "att_simple", truth),
            "bootstrap": _ci(boot, "att_simple", truth),
            "twfe": _ci(twfe, "att", truth)}


def _staggered_fixed(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    """Cohort sizes fixed by design (20/20/20, 40 never); target the sample's ATT."""
    df, truth = _staggered_frame(rng, cohorts={3: 20, 5: 20, 7: 20}, n_never=40,
                                 n_periods=10, effect=_heterogeneous, rho=0.5)
    return {"analytic": _ci(ek.staggered_did(df, **_STAGGERED), "att_simple", truth)}


def _staggered_few(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    df, truth = _staggered_frame(rng, cohorts={3: 3, 5: 3, 7: 2}, n_never=12, n_periods=10,
                                 effect=lambda g, e: 1.0 + 0.4 * e, rho=0.5)
    return {"analytic": _ci(ek.staggered_did(df, **_STAGGERED), "att_simple", truth)}


def _event_study(*, cohorts: dict[int, int], n_never: int):
    def run(rng: np.random.Generator, _: int) -> dict[str, Interval]:
        df, _truth = _staggered_frame(rng, cohorts=cohorts, n_never=n_never, n_periods=10,
                                      effect=lambda g, e: 1.0 + 0.2 * e, rho=0.5)
        res = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort")
        return {"lag0": _ci(res, "event_time_0", 1.0),
                "lag2": _ci(res, "event_time_2", 1.4),
                "lead3": _ci(res, "event_time_-3", 0.0)}
    return run


# -- synthetic control ------------------------------------------------------------------------
def _synth(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    """Factor model, 1 treated unit exchangeable with 19 donors, 30 + 10 periods, tau = -3."""
    n_units, pre, post, tau = 20, 30, 10, -3.0
    n_periods = pre + post
    factors = np.cumsum(rng.normal(0, 0.5, (2, n_periods)), axis=1)
    loadings = rng.uniform(0.5, 1.5, (n_units, 2))
    y = 10 + loadings @ factors + rng.normal(0, 1, (n_units, n_periods))
    y[0, pre:] += tau
    df = pd.DataFrame({"unit": np.repeat([f"u{i:02d}" for i in range(n_units)], n_periods),
                       "year": np.tile(1980 + np.arange(n_periods), n_units), "y": y.ravel()})
    res = ek.synth(df, outcome="y", unit="unit", time="year", treated_unit="u00",
                   intervention=1980 + pre)
    return {"att": _ci(res, "att", tau)}


# -- indicators -------------------------------------------------------------------------------
def _nb(rng: np.random.Generator, mean: float | np.ndarray, shape: float,
        size: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Negative binomial counts: variance mean + mean^2 / shape."""
    return rng.poisson(rng.gamma(shape, np.asarray(mean) / shape, size))


def _rates(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    exposure, per = 25_000, 100_000
    out = {}
    for key, mu, od in (("small", 4.0, None), ("large", 40.0, None), ("nb", 40.0, 10.0)):
        x = int(rng.poisson(mu) if od is None else _nb(rng, mu, od))
        r = ek.rate(x, exposure, per=per)
        out[key] = (float(r["ci_low"].iloc[0]), float(r["ci_high"].iloc[0]),
                    mu / exposure * per)
    return out


def _rate_change(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = ek.rate_change(int(rng.poisson(40)), 1.0, int(rng.poisson(32)), 1.0)
    return {"exact": (float(r["ci_low"].iloc[0]), float(r["ci_high"].iloc[0]), 0.8)}


def _reoffending(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    n, p, mean = 150, 0.4, 0.8
    flag = rng.random(n) < p
    pois = ek.reoffending_rates(pd.DataFrame({"r": flag, "e": rng.poisson(mean, n)}),
                                reoffended="r", events="e").iloc[0]
    nb = ek.reoffending_rates(pd.DataFrame({"r": flag, "e": _nb(rng, mean, 0.7, n)}),
                              reoffended="r", events="e").iloc[0]
    return {"binary": (pois["binary_ci_low"], pois["binary_ci_high"], p),
            "poisson": (pois["frequency_ci_low"], pois["frequency_ci_high"], 100 * mean),
            "nb": (nb["frequency_ci_low"], nb["frequency_ci_high"], 100 * mean)}


def _survey_iid(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    n, p = 400, 0.3
    df = pd.DataFrame({"y": np.where(rng.random(n) < p, "unsafe", "safe"),
                       "w": rng.lognormal(0.0, 0.6, n)})
    r = ek.survey_share(df, response="y", weight="w").iloc[0]
    return {"kish": (r["ci_low"], r["ci_high"], p)}


def _survey_cluster(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    """40 PSUs x 15 respondents; PSU shares ~ Beta(1.8, 4.2) (mean 0.3, ICC 1/7)."""
    n_psu, m, p = 40, 15, 0.3
    share = rng.beta(1.8, 4.2, n_psu)
    psu = np.repeat(np.arange(n_psu), m)
    df = pd.DataFrame({"y": np.where(rng.random(n_psu * m) < share[psu], "unsafe", "safe"),
                       "w": rng.lognormal(0.0, 0.6, n_psu * m), "psu": psu})
    kish = ek.survey_share(df, response="y", weight="w").iloc[0]
    design = ek.survey_share(df, response="y", weight="w", psu="psu").iloc[0]
    return {"kish": (kish["ci_low"], kish["ci_high"], p),
            "design": (design["ci_low"], design["ci_high"], p)}


def _survey_sim(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    sim = simulate_survey(seed=_seed_int(rng))
    truth = sim.truth["true_shares"]["treated_before"]
    kw = {"response": "feel_unsafe_after_dark", "weight": "weight",
          "by": ["wave", "treated_area"]}
    out = {}
    for key, opts in (("kish", {}), ("design", {"strata": "stratum", "psu": "psu"})):
        tab = ek.survey_share(sim.data, **kw, **opts)
        r = tab[(tab["wave"] == "before") & (tab["treated_area"] == 1)].iloc[0]
        out[key] = (r["ci_low"], r["ci_high"], truth)
    return out


_WDD_MEANS = {"response": (200.0, 150.0), "buffer": (180.0, 170.0),
              "control": (300.0, 310.0), "buffer_control": (150.0, 145.0)}
_WDD_TRUTH = (150 - 200) - (310 - 300) + (170 - 180) - (145 - 150)


def _wdd(rng: np.random.Generator, _: int) -> dict[str, Interval]:
    out = {}
    for key in ("poisson", "nb"):
        counts = {}
        for role, means in _WDD_MEANS.items():
            if key == "poisson":
                counts[role] = tuple(int(rng.poisson(mu)) for mu in means)
            else:  # 12 monthly negative binomial counts (shape 5) summed per window
                counts[role] = tuple(int(_nb(rng, mu / 12, 5.0, 12).sum()) for mu in means)
        out[key] = _ci(ek.wdd(counts), "wdd_total", _WDD_TRUTH)
    return out


# -- the study --------------------------------------------------------------------------------
def _r(key, estimator, interval, *, default=False, expect="nominal", fallback=""):
    return Row(key, estimator, interval, default, expect, fallback)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("its_poisson", "Poisson counts, 72 months (48 pre), baseline 40, yearly "
             "seasonality, level RR 0.8, slope RR 0.9/yr", (
                 _r("level", "ITS Poisson: level_change", "model-based (Poisson)",
                    default=True),
                 _r("slope", "ITS Poisson: slope_change", "model-based (Poisson)",
                    default=True),
                 _r("cumulative", "ITS Poisson: cumulative_effect",
                    "model-based, delta method", default=True),
             ), _its_poisson),
    Scenario("its_overdispersed", "negative binomial counts (shape 10, dispersion ≈ 5), "
             "72 months, level RR 0.8", (
                 _r("poisson", "ITS Poisson: level_change", "model-based (Poisson)",
                    default=True, expect="under", fallback=_OD_FALLBACK),
                 _r("quasipoisson", "ITS quasi-Poisson: level_change",
                    "Pearson-scaled", fallback="fallback (option)"),
                 _r("negbin", "ITS negative binomial: level_change", "model-based (NB2)",
                    fallback="fallback (option)"),
                 _r("robust", "ITS Poisson: level_change", "sandwich (HC0)",
                    fallback="fallback (option)"),
             ), _its_overdispersed),
    Scenario("its_ar1_counts", "Poisson counts with latent AR(1) log-noise (ρ 0.5, sd "
             "0.15), 72 months, level RR 0.8", (
                 _r("poisson", "ITS Poisson: level_change", "model-based (Poisson)",
                    default=True, expect="under", fallback=_AR_FALLBACK_COUNTS),
                 _r("quasipoisson", "ITS quasi-Poisson: level_change", "Pearson-scaled",
                    expect="under", fallback="scales for overdispersion only"),
                 _r("hac", "ITS Poisson: level_change", "Newey–West HAC (3 lags)",
                    fallback="documented fallback for counts (option)"),
                 _r("log_ar1", "ITS OLS on log(count + 0.5): level_change",
                    "GLS-AR(1) by REML, t(n-p)",
                    fallback="workaround, not documented (se='ar1' needs family='ols')"),
             ), _its_counts_ar1),
    Scenario("its_iid_ols", "normal iid errors (sd 1), 96 months (60 pre), level change -3",
             (
                 _r("model", "ITS OLS: level_change", "classical, t(n-p)", default=True),
                 _r("ar1", "ITS OLS: level_change", "GLS-AR(1) by REML, t(n-p)",
                    fallback="fallback (option), checked when ρ = 0"),
             ), _its_ols(0.0, ("model", "ar1"))),
    Scenario("its_ar1_ols", "AR(1) normal errors ρ 0.4, 96 months (60 pre), level change -3",
             (
                 _r("model", "ITS OLS: level_change", "classical, t(n-p)", default=True,
                    expect="under", fallback=_AR_FALLBACK_OLS),
                 _r("hac", "ITS OLS: level_change", "Newey–West HAC (3 lags)",
                    expect="under", fallback="documented to under-cover on short series"),
                 _r("ar1", "ITS OLS: level_change", "GLS-AR(1) by REML, t(n-p)",
                    fallback="documented fallback (option)"),
             ), _its_ols(0.4, ("model", "hac", "ar1"))),
    Scenario("twfe_ols_many", "40 units (15 treated), 10 years, common start, unit + year "
             "effects, AR(1) errors ρ 0.5 within unit, effect 1.5", (
                 _r("auto", "TWFE OLS: att", "CR1 cluster, t(G-1) (auto → cluster)",
                    default=True),
                 _r("classical", "TWFE OLS: att", "classical (iid)", expect="under",
                    fallback="default is cluster-robust; classical is an option"),
             ), _twfe_ols(n_units=40, n_treated=15, methods=("auto", "classical"))),
    Scenario("twfe_ols_few", "12 units (6 treated / 6 control), 10 years, AR(1) errors "
             "ρ 0.5, effect 1.5", (
                 _r("cluster", "TWFE OLS: att", "CR1 cluster, t(11)", expect="under",
                    fallback="inference='cluster' (not the default here)"),
                 _r("auto", "TWFE OLS: att", "wild cluster bootstrap-t, Webb, 9,999 "
                    "(auto)", default=True, fallback=_FEW_OLS),
             ), _twfe_ols(n_units=12, n_treated=6, methods=("cluster", "auto"))),
    Scenario("twfe_ols_3treated", "20 units (3 treated), 10 years, AR(1) errors ρ 0.5, "
             "effect 1.5", (
                 _r("cluster", "TWFE OLS: att", "CR1 cluster, t(19)", expect="under",
                    fallback="inference='cluster' (not the default here)"),
                 _r("wild", "TWFE OLS: att", "wild cluster bootstrap-t, Webb, 9,999",
                    default=True, fallback=_FEW_OLS + " (auto also adds a "
                    "randomization p-value as a diagnostic; same interval)"),
             ), _twfe_ols(n_units=20, n_treated=3, methods=("cluster", "wild"))),
    Scenario("twfe_poisson_many", "simulate_city: 30 districts (12 treated), 24 months, "
             "NB counts (shape 20), RR 0.85", (
                 _r("auto", "TWFE Poisson: att", "CR1 cluster, normal (auto → cluster)",
                    default=True),
                 _r("classical", "TWFE Poisson: att", "model-based (Poisson information)",
                    expect="under", fallback="default is cluster-robust"),
             ), _twfe_poisson(n_districts=30, n_treated=12, methods=("auto", "classical"))),
    Scenario("twfe_poisson_few", "simulate_city: 12 districts (6 treated), 24 months, NB "
             "counts (shape 20), RR 0.85", (
                 _r("cluster", "TWFE Poisson: att", "CR1 cluster, normal",
                    default=True, expect="under",
                    fallback="auto: randomization-inference p-value, but the interval "
                             "stays CR1 (caveat); no interval fallback"),
             ), _twfe_poisson(n_districts=12, n_treated=6, methods=("cluster",))),
    Scenario("staggered_random", "100 units drawn at random: cohorts 2003/2005/2007 with "
             "probability 0.2 each, never treated 0.4; 10 years; effects growing with "
             "exposure, larger for early cohorts; AR(1) errors ρ 0.5; truth = population "
             "att_simple", (
                 _r("analytic", "staggered_did: att_simple", "influence function, normal",
                    default=True),
                 _r("bootstrap", "staggered_did: att_simple", "multiplier bootstrap "
                    "(Mammen, 999)", fallback="option"),
                 _r("twfe", "TWFE OLS did (same data): att", "CR1 cluster, t(G-1)",
                    expect="under", fallback="not automatic: staggered_twfe caveat + Bacon "
                    "diagnostic; documented fallback staggered_did"),
             ), _staggered_random),
    Scenario("staggered_fixed", "cohort sizes fixed by design at 20/20/20, 40 never treated; "
             "same effects and errors; truth = the sample's att_simple", (
                 _r("analytic", "staggered_did: att_simple", "influence function, normal",
                    default=True, expect="conservative",
                    fallback="the SE includes the sampling variance of the cohort shares "
                             "(as R did), which is not there when sizes are fixed"),
             ), _staggered_fixed),
    Scenario("staggered_few", "20 units: cohorts 2003/2005/2007 with 3/3/2 units, 12 never; "
             "effect 1 + 0.4 e for every cohort; AR(1) errors ρ 0.5", (
                 _r("analytic", "staggered_did: att_simple", "influence function, normal",
                    default=True, expect="under", fallback="cs_small_cohort caveat only; "
                    "no small-sample interval"),
             ), _staggered_few),
    Scenario("event_study_many", "40 units: cohorts 2004/2006 × 8, 24 never; 10 years; "
             "effect 1 + 0.2 e, same for both cohorts; AR(1) ρ 0.5", (
                 _r("lag0", "event_study: event_time_0", "CR1 cluster, t(G-1)",
                    default=True),
                 _r("lag2", "event_study: event_time_2", "CR1 cluster, t(G-1)",
                    default=True),
                 _r("lead3", "event_study: event_time_-3 (truth 0)", "CR1 cluster, t(G-1)",
                    default=True),
             ), _event_study(cohorts={4: 8, 6: 8}, n_never=24)),
    Scenario("event_study_few", "20 units: cohorts 2004/2006 × 2, 16 never; same effects "
             "and errors", (
                 _r("lag0", "event_study: event_time_0", "CR1 cluster, t(G-1)",
                    default=True, expect="under",
                    fallback="few_treated caveat only; no wild/permutation interval"),
             ), _event_study(cohorts={4: 2, 6: 2}, n_never=16)),
    Scenario("synth", "factor model, 1 treated unit exchangeable with 19 donors, 30 pre + "
             "10 post years, constant effect -3", (
                 _r("att", "synth: att", "placebo-in-space test inversion (19 placebos)",
                    default=True),
             ), _synth),
    Scenario("rate", "one count, exposure 25,000, rate per 100,000", (
                 _r("small", "rate (exact Garwood), Poisson mean 4", "exact Poisson",
                    default=True, expect="conservative"),
                 _r("large", "rate (exact Garwood), Poisson mean 40", "exact Poisson",
                    default=True, expect="conservative"),
                 _r("nb", "rate (exact Garwood), NB mean 40, shape 10", "exact Poisson",
                    default=True, expect="under",
                    fallback="none: the rate interval assumes Poisson counts"),
             ), _rates),
    Scenario("rate_change", "Poisson counts, means 40 before / 32 after, equal exposure", (
                 _r("exact", "rate_change: rate ratio 0.8", "exact conditional "
                    "(Clopper–Pearson)", default=True, expect="conservative"),
             ), _rate_change),
    Scenario("reoffending", "150 offenders, reoffending probability 0.4, 0.8 events each", (
                 _r("binary", "reoffending_rates: binary rate", "Clopper–Pearson",
                    default=True, expect="conservative"),
                 _r("poisson", "reoffending_rates: frequency per 100 (Poisson events)",
                    "exact Garwood on the total", default=True, expect="conservative"),
                 _r("nb", "reoffending_rates: frequency per 100 (NB events, shape 0.7)",
                    "exact Garwood on the total", default=True, expect="under",
                    fallback="none: the interval assumes Poisson events"),
             ), _reoffending),
    Scenario("survey_iid", "400 respondents drawn independently, lognormal weights (sd 0.6) "
             "independent of the answer, share 0.3", (
                 _r("kish", "survey_share", "Kish n_eff, Wilson", default=True),
             ), _survey_iid),
    Scenario("survey_cluster", "40 PSUs × 15 respondents, PSU shares Beta(1.8, 4.2) (mean "
             "0.3, ICC 0.14), lognormal weights", (
                 _r("kish", "survey_share (no psu=)", "Kish n_eff, Wilson", default=True,
                    expect="under", fallback="design-based when the user gives psu= "
                    "(and strata=); Kish otherwise"),
                 _r("design", "survey_share (psu=)", "Taylor linearisation, Wilson",
                    fallback="fallback (needs the PSU column)"),
             ), _survey_cluster),
    Scenario("survey_sim", "simulate_survey: 6 areas (strata) × 5 PSUs, weights ∝ population "
             "and correlated with the answer; treated areas before (0.45)", (
                 _r("kish", "survey_share (no strata/psu)", "Kish n_eff, Wilson",
                    default=True),
                 _r("design", "survey_share (strata=, psu=)", "Taylor linearisation, "
                    "Wilson"),
             ), _survey_sim),
    Scenario("wdd", "area totals over 12-month windows, expected R 200→150, D 180→170, "
             "C 300→310, Dc 150→145 (WDD -65)", (
                 _r("poisson", "wdd: wdd_total (Poisson counts)", "normal, Var = sum of "
                    "counts", default=True),
                 _r("nb", "wdd: wdd_total (monthly NB counts, shape 5)", "normal, Var = "
                    "sum of counts", default=True, expect="under",
                    fallback="none: Var = sum of counts assumes Poisson"),
             ), _wdd),
)


def _replicate(task: tuple[int, int, int]) -> tuple[int, dict[str, Interval], float]:
    """One replication of one scenario (module level so that it pickles)."""
    index, rep, seed = task
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, rep]))
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = SCENARIOS[index].run(rng, rep)
    return index, out, time.process_time() - start


class _Inline:
    """Stand-in for a process pool that maps in this process."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, items, chunksize: int = 1):
        return map(fn, items)


def run_study(*, reps: int, seed: int = DEFAULT_SEED, jobs: int = 1,
              only: Iterable[str] | None = None, progress: bool = False) -> list[Result]:
    """Run the scenarios and return one :class:`Result` per row.

    Parameters
    ----------
    reps : int
        Replications per scenario.
    seed : int
        Master seed; replication ``r`` of scenario ``i`` uses ``SeedSequence([seed, i, r])``.
    jobs : int
        Worker processes (1 = in this process).
    only : iterable of str, optional
        Scenario names to run (default all).
    progress : bool
        Print a line to stderr as each scenario completes.
    """
    names = [s.name for s in SCENARIOS]
    wanted = names if only is None else list(only)
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; choose from {', '.join(names)}")
    tasks = [(names.index(n), r, seed) for n in wanted for r in range(reps)]
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Inline() as pool:
        done = []
        start = time.perf_counter()
        for item in pool.map(_replicate, tasks, chunksize=max(1, reps // 20)):
            done.append(item)
            if progress and len(done) % reps == 0:
                print(f"[{time.perf_counter() - start:6.0f} s] {names[item[0]]} done",
                      file=sys.stderr, flush=True)
    results = []
    for name in wanted:
        index = names.index(name)
        scenario = SCENARIOS[index]
        mine = [(out, sec) for i, out, sec in done if i == index]
        seconds = sum(sec for _, sec in mine)
        for row in scenario.rows:
            lo, hi, truth = (np.array([out[row.key][j] for out, _ in mine], dtype=float)
                             for j in range(3))
            covered = (lo <= truth) & (truth <= hi)  # NaN (empty interval) = not covered
            width = hi - lo
            empty = np.isnan(width)  # e.g. synth: the test rejects every effect size
            bounded = np.isfinite(width)
            c = float(covered.mean())
            results.append(Result(
                scenario=name, data=scenario.data, row=row, reps=len(mine), coverage=c,
                mc_se=math.sqrt(c * (1 - c) / len(mine)),
                mean_width=float(width[bounded].mean()) if bounded.any() else math.inf,
                unbounded=float((~bounded & ~empty).mean()), empty=float(empty.mean()),
                seconds=seconds))
    return results


def quick_failures(results: list[Result], floor: float = QUICK_FLOOR) -> list[str]:
    """Rows expected to cover at 95 % (nominal or conservative) that fall below ``floor``."""
    return [f"{r.scenario}/{r.row.key}: coverage {r.coverage:.3f} < {floor} "
            f"({r.row.estimator}, {r.row.interval})"
            for r in results if r.row.expect != "under" and r.coverage < floor]


def _verdict(r: Result) -> str:
    lo, hi = NOMINAL_BAND
    if r.coverage < lo:
        return "**below**" if r.row.expect != "under" else "below (expected)"
    if r.coverage > hi:
        return "above (conservative)" if r.row.expect == "conservative" else "**above**"
    return "in band" if r.row.expect != "under" else "in band (failure mode mild)"


def _width(r: Result) -> str:
    text = f"{r.mean_width:.3g}" if math.isfinite(r.mean_width) else "∞"
    notes = [f"{100 * share:.1f} % {what}" for share, what in
             ((r.unbounded, "unbounded"), (r.empty, "empty")) if share > 0]
    return text + (f" ({', '.join(notes)})" if notes else "")


def markdown_table(results: list[Result]) -> str:
    """The results as a Markdown table, one line per row, then the scenarios' data."""
    head = ("| # | scenario | estimator: term | interval | evalkit default | reps | coverage | "
            "MC SE | mean width | expected | verdict | fallback evalkit documents/uses |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for i, r in enumerate(results, 1):
        lines.append(
            f"| {i} | `{r.scenario}` | {r.row.estimator} | {r.row.interval} | "
            f"{'yes' if r.row.default else 'no'} | {r.reps} | {100 * r.coverage:.1f} % | "
            f"{100 * r.mc_se:.1f} | {_width(r)} | {_EXPECT_TEXT[r.row.expect]} | "
            f"{_verdict(r)} | {r.row.fallback or '—'} |")
    lines.append("\nScenarios (data-generating processes; CPU seconds per replication, all "
                 "rows of the scenario together):\n")
    seen: dict[str, Result] = {}
    for r in results:
        seen.setdefault(r.scenario, r)
    for name, r in seen.items():
        lines.append(f"- `{name}`: {r.data} ({r.seconds / r.reps:.2f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_REPS} replications a scenario and the {QUICK_FLOOR:.0%} "
                             "floor check (for CI)")
    parser.add_argument("--reps", type=int, default=None,
                        help=f"replications a scenario (default {FULL_REPS}, quick "
                             f"{QUICK_REPS})")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed")
    parser.add_argument("--only", default=None,
                        help="comma-separated scenario names: "
                             + ", ".join(s.name for s in SCENARIOS))
    args = parser.parse_args(argv)
    reps = args.reps or (QUICK_REPS if args.quick else FULL_REPS)
    if reps < 1 or args.jobs < 1:
        parser.error("--reps and --jobs must be at least 1")
    only = args.only.split(",") if args.only else None
    start = time.perf_counter()
    results = run_study(reps=reps, seed=args.seed, jobs=args.jobs, only=only, progress=True)
    wall = time.perf_counter() - start
    print(markdown_table(results))
    cpu = sum({r.scenario: r.seconds for r in results}.values())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{reps} replications per scenario, seed {args.seed}, {args.jobs} job(s): "
          f"{wall:.0f} s wall, {cpu:.0f} s CPU; load average {load:.1f}; "
          f"evalkit {ek.__version__}, numpy {np.__version__}, pandas {pd.__version__}.")
    if args.quick:
        failures = quick_failures(results)
        for f in failures:
            print(f"FAIL {f}", file=sys.stderr)
        if failures:
            return 1
        print(f"quick check passed: every row expected at 95 % covers at least "
              f"{QUICK_FLOOR:.0%}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
