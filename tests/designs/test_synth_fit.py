"""The synthetic control's ``pre_fit`` criterion: count noise for counts, the SD otherwise."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from evalkit.data.simulate.realistic import simulate_realistic_city
from evalkit.designs.synth import synth
from evalkit.designs.synth.fit import count_limit, count_noise, is_counts
from evalkit.errors import EvalkitWarning
from evalkit.results import EvaluationResult


def count_panel(*, seed: int = 0, n_donors: int = 20, n_pre: int = 48, n_post: int = 12,
                level: float | None = None, drift: float = 0.0,
                size: float = 40.0) -> pd.DataFrame:
    """Monthly negative-binomial counts: donors at levels 25 to 120 on a common seasonal
    path; the treated area at ``level`` (default: a mix of three donors' levels) with a
    log-rate ``drift`` per year of its own."""
    rng = np.random.default_rng(seed)
    n_t = n_pre + n_post
    t = np.arange(n_t)
    path = np.exp(0.12 * np.cos(2 * np.pi * t / 12) - 0.02 * t / 12)
    levels = np.exp(rng.uniform(np.log(25), np.log(120), n_donors))
    treated = (level if level is not None
               else float(rng.dirichlet(np.ones(3)) @ rng.choice(levels, 3, replace=False)))
    mu = np.vstack([treated * path * np.exp(drift * (t - n_pre) / 12),
                    levels[:, None] * path])
    y = rng.poisson(rng.gamma(size, mu / size))
    names = ["treated"] + [f"d{j:02d}" for j in range(n_donors)]
    months = pd.period_range("2020-01", periods=n_t, freq="M").astype(str)
    return pd.DataFrame({"area": np.repeat(names, n_t), "month": np.tile(months, len(names)),
                         "count": y.ravel()})


def fit(df: pd.DataFrame, **kwargs) -> EvaluationResult:
    options = {"outcome": "count", "unit": "area", "time": "month", "treated_unit": "treated",
               "intervention": sorted(df["month"].unique())[48], "placebo": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return synth(df, **(options | kwargs))


def test_close_fit_on_counts_passes_with_the_noise_in_its_message():
    res = fit(count_panel(seed=1))
    diag, info = res.diagnostic("pre_fit"), res.extras.pre_fit
    assert diag.passed and info["scale"] == "counts"
    assert diag.statistic == pytest.approx(res.extras.pre_rmspe / info["reference"])
    assert info["limit"] == pytest.approx(count_limit(48))
    # the RMSPE of a close fit is of the order of the count noise, far above 0.5 SD
    assert 0.6 < diag.statistic < info["limit"]
    assert f"{info['reference']:.4g} expected from count noise alone" in diag.message
    assert f"is {diag.statistic:.2f} times" in diag.message
    assert "synth_poor_fit_counts" not in {c.code for c in res.warnings}


def test_several_treated_units_compare_the_averaged_gap_with_its_noise():
    """The averaged gap of two treated units has less noise than either unit's gap."""
    df = count_panel(seed=3)
    one, two = fit(df), fit(df, treated_unit=["treated", "d00"])
    assert two.diagnostic("pre_fit").passed and two.extras.pre_fit["scale"] == "counts"
    alone = fit(df, treated_unit="d00")
    assert two.extras.pre_fit["reference"] < min(one.extras.pre_fit["reference"],
                                                 alone.extras.pre_fit["reference"])


@pytest.mark.parametrize("change", [{"level": 300.0}, {"drift": 0.3}],
                         ids=["twice_every_donor", "diverging_trend"])
def test_poor_fit_on_counts_fails_and_warns(change):
    res = fit(count_panel(seed=2, **change))
    diag = res.diagnostic("pre_fit")
    assert not diag.passed and diag.statistic > res.extras.pre_fit["limit"]
    caveat = next(c for c in res.warnings if c.code == "synth_poor_fit_counts")
    assert f"{diag.statistic:.2f} times the" in str(caveat)
    assert "count noise alone would leave" in str(caveat)
    assert "aléa des effectifs" in caveat.render("fr")


def test_not_counts_keep_the_sd_rule():
    """Fractional or negative outcomes are compared with the SD of the treated series."""
    base = count_panel(seed=1)
    for df in (base.assign(count=base["count"] / 7.0), base.assign(count=base["count"] - 60)):
        res = fit(df)
        info, diag = res.extras.pre_fit, res.diagnostic("pre_fit")
        treated = res.series.query("~post")["observed"]
        assert info["scale"] == "sd" and info["limit"] == 0.5 and np.isnan(info["theta"])
        assert info["reference"] == pytest.approx(treated.std(ddof=1))
        assert diag.statistic == pytest.approx(res.extras.pre_rmspe / treated.std(ddof=1))
        assert "standard deviation of the treated outcome" in diag.message
        assert "not a count" in diag.message
    # same monthly noise, rescaled: a close fit of counts fails the SD rule
    assert not fit(base.assign(count=base["count"] / 7.0)).diagnostic("pre_fit").passed
    assert "synth_poor_fit" in {c.code for c in fit(base.assign(count=base["count"] / 7.0))
                                .warnings}


def test_is_counts():
    assert is_counts(np.array([[0.0, 3.0], [7.0, 1.0]]))
    assert not is_counts(np.array([[0.5, 3.0]]))
    assert not is_counts(np.array([[-1.0, 3.0]]))
    assert not is_counts(np.zeros((2, 3)))


def test_count_noise_recovers_the_dispersion_and_the_gap_variance():
    """On 300 donors with NB size 25 (theta 0.04), theta is recovered, and the expected
    RMSPE is the root mean of V(m_1t) + sum_j w_j^2 V(m_jt)."""
    rng = np.random.default_rng(5)
    levels = rng.uniform(20, 150, 301)
    path = np.exp(0.1 * np.sin(np.arange(48)))
    mu = levels[:, None] * path
    y = rng.poisson(rng.gamma(25.0, mu / 25.0)).astype(float)
    w = np.zeros((1, 300))
    w[0, :4] = 0.25
    rmspe, theta = count_noise(y, 1, w)
    assert theta == pytest.approx(0.04, abs=0.006)
    v = mu + theta * mu**2
    expected = np.sqrt(np.mean(v[0] + 0.25**2 * v[1:5].sum(axis=0)))
    assert rmspe == pytest.approx(expected, rel=0.03)
    # Poisson counts: theta is (close to) zero, never negative
    assert 0 <= count_noise(rng.poisson(mu).astype(float), 1, w)[1] < 0.003


def test_count_limit_is_the_chi_square_quantile():
    assert count_limit(48) == pytest.approx(np.sqrt(chi2.ppf(0.95, 24) / 24))
    limits = [count_limit(n) for n in (5, 12, 48, 120)]
    assert limits == sorted(limits, reverse=True) and 1.1 < limits[-1] < limits[0] < 1.7


@pytest.mark.slow
def test_pass_rate_on_realistic_city_counts():
    """One treated district among 24 (null_moderate_1, 60 cities): the count-noise
    criterion passes in 90-99 % of cities (the SD rule passed in none); the same cities
    with the treated area at twice the largest donor, or drifting 30 % a year away from its
    path, fail."""
    passed, doubled, drifted = [], [], []
    for seed in range(60):
        city = simulate_realistic_city("null_moderate_1", seed=seed)
        df = city.data[~city.data["area"].isin(city.truth["buffer"])].copy()
        tr = df["area"] == city.truth["treated"][0]
        df["area"] = np.where(tr, "treated", df["area"])
        passed.append(fit(df).diagnostic("pre_fit").passed)
        top = df[~tr].groupby("month")["count"].max()
        rng = np.random.default_rng(seed)
        doubled.append(fit(df.assign(count=np.where(
            tr, rng.poisson(2 * df["month"].map(top)), df["count"]))).diagnostic("pre_fit").passed)
        k = tr.cumsum().to_numpy() - 1 - 48  # months from the start, in the treated rows
        drift = np.where(tr, np.round(df["count"] * np.exp(0.3 * k / 12)), df["count"])
        drifted.append(fit(df.assign(count=drift.astype(int))).diagnostic("pre_fit").passed)
    assert 0.90 <= np.mean(passed) <= 0.99
    assert not any(doubled)
    assert np.mean(drifted) <= 0.2
