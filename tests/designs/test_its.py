"""Interrupted time series: recovery of known effects, options, diagnostics, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import evalkit as ek
from evalkit.data.simulate import simulate_city, simulate_series
from evalkit.errors import DataError, EvalkitWarning, SpecError


def series(**kw):
    kw = {"start": "2010-01", "n_months": 96, "intervention_month": 60, "seed": 11} | kw
    return simulate_series(**kw)


def its(df, **kw):
    kw = {"outcome": "count", "time": "month", "intervention": "2015-01"} | kw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return ek.its(df, **kw)


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin"])
def test_recovers_level_change_rate_ratio(family):
    sim = series(level_change=0.75, baseline=400, seed=3)
    res = its(sim.data, family=family, seasonality="fourier", harmonics=1,
              exposure="population")
    row = res.effect("level_change")
    assert row["relative_ci_low"] < 0.75 < row["relative_ci_high"]
    assert abs(row["estimate"] - math.log(0.75)) < 3 * row["std_error"] < 0.1
    assert row["scale"] == "log"


def test_recovers_slope_change_per_month():
    sim = series(level_change=1.0, slope_change=0.8, baseline=100, seed=5)
    res = its(sim.data, seasonality="month")
    row = res.effect("slope_change")
    truth = math.log(0.8) / 12
    assert row["ci_low"] < truth < row["ci_high"]
    assert res.spec["slope_units"] == "per period (M)"


def test_cumulative_effect_matches_simulated_crimes_prevented():
    sim = series(level_change=0.7, baseline=60, seed=8)
    res = its(sim.data, seasonality="fourier", harmonics=1)
    row = res.effect("cumulative_effect")
    assert row["ci_low"] < sim.truth["cumulative_effect"] < row["ci_high"]
    assert row["scale"] == "additive"
    # relative cumulative effect: ratio of fitted to counterfactual totals
    assert row["relative_ci_low"] < 0.7 < row["relative_ci_high"]


def test_ols_matches_statsmodels_with_hac():
    import statsmodels.api as sm

    sim = series(seed=9)
    df = sim.data
    res = its(df, family="ols", se="hac", slope_change=True)
    t = np.arange(len(df), dtype=float)
    post = (t >= 60).astype(float)
    x = np.column_stack([np.ones_like(t), t, post, (t - 60) * post])
    lags = ek.designs.its.newey_west_lags(len(df))
    ref = sm.OLS(df["count"].to_numpy(float), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    row = res.effect("level_change")
    assert row["estimate"] == pytest.approx(ref.params[2], rel=1e-10)
    assert row["std_error"] == pytest.approx(ref.bse[2], rel=1e-10)
    assert res.spec["hac_lags"] == lags == 3  # floor(4 (96/100)^(2/9)) = floor(3.96)
    assert "Newey–West" in res.spec["vcov"]


def test_counterfactual_series_has_band_and_equals_fit_before():
    res = its(series().data)
    s = res.series
    assert list(s.columns) == ["unit", "time", "observed", "fitted", "counterfactual",
                               "ci_low", "ci_high", "post"]
    pre = s[~s["post"]]
    np.testing.assert_allclose(pre["fitted"], pre["counterfactual"])
    assert (s["ci_low"] <= s["counterfactual"]).all()
    assert (s["counterfactual"] <= s["ci_high"]).all()


def test_panel_units_are_summed_and_control_series_used():
    city = simulate_city(roll_out="single", seed=4, start="2010-01", start_dates=["2015-06"])
    treated = city.truth["design"]["treated"][0]
    controls = city.truth["design"]["never_treated"][:5]
    start = next(iter(city.truth["design"]["cohorts"]))
    res = its(city.data, outcome="burglary", time="month", intervention=start,
              unit="district", units=[treated], control=controls, exposure="population",
              seasonality="month")
    assert res.sample["n_units"] == 6
    assert set(res.series["unit"]) == {"treated", "control"}
    row = res.effect("level_change")
    assert row["relative_ci_low"] < 0.8 < row["relative_ci_high"]


def test_control_column_without_unit():
    sim = series(seed=21)
    df = sim.data.assign(ctl=series(level_change=1.0, seed=22).data["count"])
    res = its(df, control="ctl")
    assert res.spec["control"] == "ctl"
    assert res.sample["n_obs"] == 2 * len(df)


def test_autocorrelation_is_diagnosed_and_warned():
    sim = series(ar1=0.7, noise_sd=0.25, baseline=200, seed=2)
    with pytest.warns(EvalkitWarning, match="autocorrelated"):
        res = ek.its(sim.data, outcome="count", time="month", intervention="2015-01",
                     family="quasipoisson")
    diag = res.diagnostic("autocorrelation")
    assert not diag.passed
    assert "lag-1 autocorrelation" in diag.message
    assert any("se='hac'" in w for w in res.warnings)


def test_overdispersion_warned_for_poisson():
    sim = series(overdispersion=3.0, baseline=60, seed=4)
    with pytest.warns(EvalkitWarning, match="overdispersed"):
        ek.its(sim.data, outcome="count", time="month", intervention="2015-01")


def test_warnings_short_series_small_counts_covid():
    sim = simulate_series(start="2019-01", n_months=30, intervention_month=18, baseline=0.3,
                          seed=1)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        res = ek.its(sim.data, outcome="count", time="month", intervention="2020-07",
                     slope_change=False)
    text = " ".join(res.warnings)
    assert "Only 18 monthly periods" in text
    assert "small counts" in text
    assert "COVID-19" in text


def test_input_is_not_modified():
    df = series().data
    before = df.copy(deep=True)
    its(df)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(("kw", "match"), [
    ({"family": "gamma"}, r"family must be one of 'ols', 'poisson'"),
    ({"seasonality": "weekly"}, r"seasonality must be one of"),
    ({"se": "cluster"}, r"se must be one of 'model', 'robust', 'hac'"),
    ({"alpha": 1.5}, r"alpha must be strictly between 0 and 1"),
    ({"seasonality": "fourier", "harmonics": 0}, r"harmonics must be a positive whole"),
    ({"hac_lags": 3}, r"hac_lags is only used with se='hac'"),
    ({"control": ["a", "b"]}, r"without unit=, control must be one column name"),
])
def test_spec_errors(kw, match):
    with pytest.raises(SpecError, match=match):
        its(series().data, **kw)


def test_data_errors():
    df = series().data
    with pytest.raises(DataError, match=r"coutn|count"):
        its(df, outcome="coutn")
    with pytest.raises(DataError, match=r"intervention"):
        its(df, intervention="2030-01")
    with pytest.raises(DataError, match=r"at least 3 periods before the intervention"):
        its(df, intervention="2010-02")
    with pytest.raises(DataError, match=r"not found in column 'district'"):
        its(simulate_city(seed=1).data, outcome="burglary", unit="district",
            units=["Atlantis"], intervention="2021-01")
    neg = df.assign(count=df["count"].where(df.index != 3, -1))
    with pytest.raises(DataError, match=r"'count' must not be negative .*\(count -1\)"):
        its(neg)
    with pytest.raises(SpecError, match=r"both treated and control"):
        its(simulate_city(seed=1).data, outcome="burglary", unit="district",
            units=["Centre"], control=["Centre"], intervention="2021-01")


def test_yearly_data_refuses_seasonality():
    df = pd.DataFrame({"year": range(2000, 2020), "count": np.arange(20) + 50})
    with pytest.raises(SpecError, match=r"needs sub-annual data"):
        its(df, time="year", intervention=2012, seasonality="month")


def test_gls_ar1_equals_gls_at_the_estimated_rho():
    import statsmodels.api as sm

    sim = series(ar1=0.6, noise_sd=0.2, baseline=300, seed=13)
    res = its(sim.data, family="ols", se="ar1", slope_change=False)
    rho = res.effect("ar1_rho")["estimate"]  # the estimate's own row, at full precision
    assert 0.2 < rho < 0.9
    n = len(sim.data)
    t = np.arange(n, dtype=float)
    x = np.column_stack([np.ones(n), t, (t >= 60).astype(float)])
    sigma = rho ** np.abs(np.subtract.outer(t, t))
    ref = sm.GLS(sim.data["count"].to_numpy(float), x, sigma=sigma).fit()
    row = res.effect("level_change")
    # Prais–Winsten at the same rho is GLS exactly
    assert row["estimate"] == pytest.approx(ref.params[2], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref.bse[2], rel=1e-8)


def test_ar1_needs_ols():
    with pytest.raises(SpecError, match=r"se='ar1' \(GLS with AR\(1\) errors\) needs family='ols'"):
        its(series().data, se="ar1")


def _shared_shock_pair(seed, n=96, t0=60, effect=-2.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    shock = np.zeros(n)
    for i in range(1, n):
        shock[i] = 0.7 * shock[i - 1] + rng.normal(0, 3)
    treated = 50 + 0.05 * t + shock + effect * (t >= t0) + rng.normal(0, 0.5, n)
    control = 40 + 0.05 * t + shock + rng.normal(0, 0.5, n)
    month = pd.period_range("2010-01", periods=n, freq="M").astype(str)
    return pd.DataFrame({"month": month, "y": treated, "ctl": control})


def test_controlled_its_equals_the_difference_series_regression():
    """Common shocks cancel in the contrast: OLS controlled ITS = OLS on treated - control."""
    import statsmodels.api as sm

    df = _shared_shock_pair(1)
    res = its(df, outcome="y", control="ctl", family="ols", slope_change=True)
    n = len(df)
    t = np.arange(n, dtype=float)
    post = (t >= 60).astype(float)
    x = np.column_stack([np.ones(n), t, post, (t - 60) * post])
    ref = sm.OLS((df["y"] - df["ctl"]).to_numpy(), x).fit()
    row = res.effect("level_change")
    assert row["estimate"] == pytest.approx(ref.params[2], rel=1e-9)
    assert row["std_error"] == pytest.approx(ref.bse[2], rel=1e-9)
    hac = its(df, outcome="y", control="ctl", family="ols", se="hac").effect("level_change")
    ref_hac = sm.OLS((df["y"] - df["ctl"]).to_numpy(), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": True})
    assert hac["std_error"] == pytest.approx(ref_hac.bse[2], rel=0.1)


@pytest.mark.slow  # 100 fits: about 100 s on a busy machine
@pytest.mark.usefixtures("quiet")
def test_controlled_its_coverage_with_common_shocks(coverage_band):
    hits = 0
    for seed in range(100):
        row = its(_shared_shock_pair(seed), outcome="y", control="ctl", family="ols",
                  slope_change=False).effect("level_change")
        hits += row["ci_low"] <= -2.0 <= row["ci_high"]
    low, high = coverage_band(100)
    assert low <= hits / 100 <= high, hits / 100


def test_controlled_its_refuses_ar1_and_column_control_with_exposure():
    df = _shared_shock_pair(2).assign(pop=1000.0)
    with pytest.raises(SpecError, match=r"se='ar1' cannot be used with a control series"):
        its(df, outcome="y", control="ctl", family="ols", se="ar1")
    with pytest.raises(SpecError, match=r"has no exposure of its own"):
        its(df, outcome="y", control="ctl", exposure="pop", family="ols")


def test_summed_units_must_cover_the_same_periods():
    city = simulate_city(n_districts=6, seed=3, start="2010-01", roll_out="single",
                         start_dates=["2014-01"]).data
    late = city[~((city["district"] == "Gare") & (city["month"] < "2012-01"))]
    with pytest.raises(DataError, match=r"units summed into one series cover different"):
        its(late, outcome="burglary", unit="district", units=["Centre", "Gare"],
            intervention="2014-01")


# -- cumulative effect: one statistic for p-value, count interval and ratio interval -------
def _excludes(lo: float, hi: float, null: float) -> bool:
    return not lo <= null <= hi


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), level=st.floats(0.6, 1.4), slope=st.floats(0.85, 1.15),
       baseline=st.sampled_from([3.0, 12.0, 60.0]),
       family=st.sampled_from(["poisson", "quasipoisson", "negbin", "ols"]),
       se=st.sampled_from(["model", "robust", "hac"]), alpha=st.sampled_from([0.05, 0.1]))
def test_cumulative_count_ratio_and_p_value_always_agree(seed, level, slope, baseline, family,
                                                         se, alpha):
    """'count interval excludes 0' <=> 'ratio interval excludes 1' <=> 'p < alpha' (issue 14:
    p = 0.040 was printed beside a ratio interval of 0.996 to 1.44)."""
    sim = series(n_months=48, intervention_month=30, level_change=level, slope_change=slope,
                 baseline=baseline, overdispersion=5.0, seed=seed)
    row = its(sim.data, intervention="2012-07", family=family, se=se, alpha=alpha,
              seasonality="fourier", harmonics=1).effect("cumulative_effect")
    if not math.isfinite(row["relative_effect"]):  # OLS totals that are not positive
        return
    count = _excludes(row["ci_low"], row["ci_high"], 0.0)
    ratio = _excludes(row["relative_ci_low"], row["relative_ci_high"], 1.0)
    assert count == ratio == (row["p_value"] < alpha)
    assert row["relative_ci_low"] > 0
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    assert row["relative_ci_low"] <= row["relative_effect"] <= row["relative_ci_high"]


def test_cumulative_count_is_the_ratio_mapped_with_the_fitted_total():
    res = its(series(level_change=0.8, seed=4).data, seasonality="fourier", harmonics=1)
    row = res.effect("cumulative_effect")
    s = res.series
    fitted = s.loc[s["post"], "fitted"].sum()
    observed = s.loc[s["post"], "observed"].sum()
    assert fitted == pytest.approx(observed, rel=1e-8)  # Poisson: post indicator in X
    counterfactual = s.loc[s["post"], "counterfactual"].sum()
    assert row["estimate"] == pytest.approx(fitted - counterfactual, rel=1e-10)
    assert row["relative_effect"] == pytest.approx(fitted / counterfactual, rel=1e-10)
    for r, c in (("relative_ci_low", "ci_low"), ("relative_ci_high", "ci_high")):
        assert row[c] == pytest.approx(fitted * (1 - 1 / row[r]), rel=1e-10)
    z = math.log(row["relative_effect"]) / res.extras.cumulative_log_ratio_se
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)


def test_cumulative_ratio_interval_stays_positive_for_a_large_ols_fall():
    sim = series(level_change=0.3, baseline=20, seed=2)
    row = its(sim.data, family="ols").effect("cumulative_effect")
    assert 0 < row["relative_ci_low"] < row["relative_effect"] < row["relative_ci_high"] < 1
    assert row["ci_high"] < 0


def test_ols_level_change_has_a_relative_effect_from_the_same_test():
    res = its(series(level_change=0.7, baseline=50, seed=6).data, family="ols")
    row = res.effect("level_change")
    s = res.series
    base = s.loc[s["post"], "counterfactual"].iloc[0]
    for r, c in (("relative_effect", "estimate"), ("relative_ci_low", "ci_low"),
                 ("relative_ci_high", "ci_high")):
        assert row[r] == pytest.approx((base + row[c]) / base, rel=1e-10)
    assert (row["relative_ci_high"] < 1) == (row["ci_high"] < 0) == (row["p_value"] < 0.05)


def test_cumulative_mde_is_in_the_units_of_the_effect():
    res = its(series(level_change=1.0, baseline=30, seed=7).data, seasonality="fourier",
              harmonics=1)
    mde = res.extras.cumulative_mde
    se = res.extras.cumulative_log_ratio_se
    ratio = math.exp(-(stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se)
    assert mde["ratio"] == pytest.approx(ratio, rel=1e-12)
    assert mde["percent"] == pytest.approx(100 * (1 - ratio), rel=1e-12)
    s = res.series
    counterfactual = s.loc[s["post"], "counterfactual"].sum()
    assert isinstance(mde["count"], int)
    assert mde["count"] == round(counterfactual * (1 - ratio))
    assert mde["power"] == 0.8


# -- seasonality="auto" ----------------------------------------------------------------------
def _yearly(n: int = 14, start: int = 2005) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"year": range(start, start + n),
                         "count": rng.poisson(200, n)})


@pytest.mark.parametrize(("freq", "resolved"), [
    ("M", "month"), ("Q", "month"), ("W", "fourier"), ("D", "month")])
def test_auto_seasonality_follows_the_frequency(freq, resolved):
    periods = pd.period_range("2015-01-05", periods=160, freq=freq)
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"when": periods, "count": rng.poisson(40, 160)})
    res = its(df, time="when", intervention=periods[120], seasonality="auto")
    assert res.spec["seasonality"] == resolved
    assert res.provenance["parameters"]["seasonality"] == resolved
    assert res.provenance["parameters"]["seasonality_requested"] == "auto"
    # the resolved value fits the same model as asking for it
    same = its(df, time="when", intervention=periods[120], seasonality=resolved)
    pd.testing.assert_frame_equal(res.effects, same.effects)


def test_auto_seasonality_is_none_for_yearly_data():
    res = its(_yearly(), time="year", intervention=2014, seasonality="auto")
    assert res.spec["seasonality"] == "none"
    assert res.provenance["parameters"]["seasonality"] == "none"
    with pytest.raises(SpecError, match="needs sub-annual data; this data is yearly"):
        its(_yearly(), time="year", intervention=2014, seasonality="month")


def test_auto_seasonality_needs_the_same_pre_period_as_the_dummies():
    sim = series(n_months=24, intervention_month=10, seed=3)
    for season in ("auto", "month"):
        with pytest.raises(DataError, match="needs at least 14 periods before"):
            its(sim.data, intervention="2010-11", seasonality=season)


def test_run_designs_defaults_to_auto_seasonality_on_yearly_data(quiet):
    from evalkit.designs.evaluation import run_designs

    rng = np.random.default_rng(5)
    rows = [{"area": f"a{i}", "year": y, "count": int(rng.poisson(80)),
             "treated": int(i == 0 and y >= 2014)} for i in range(8) for y in range(2004, 2020)]
    run = run_designs(pd.DataFrame(rows), outcome="count", unit="area", time="year",
                      treatment="treated")
    methods = {r.method for r in run.results}
    assert {"its", "controlled_its", "synth"} <= methods, run.notes
