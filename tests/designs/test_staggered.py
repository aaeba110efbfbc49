"""Tests of ``staggered_did`` (Callaway & Sant'Anna group-time DiD).

Recovery and coverage use a linear panel built here with a known ATT(g,t) per cohort and
period (dynamic: the effect grows with time since the start), unit and period effects, and
a covariate that shifts the trend. Agreement with R ``did`` is in
tests/reference/test_mpdta.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evalkit.data.simulate import simulate_city
from evalkit.designs.staggered import staggered_did
from evalkit.errors import DataError, EvalkitWarning, SpecError

FIRST_YEAR = 2010


def true_att(g: int, t: int) -> float:
    """ATT(g, t) of the simulated panel: 0 before g, then (1 + 0.5 e) * cohort scale."""
    if g == 0 or t < g:
        return 0.0
    scale = {2013: 1.0, 2015: 0.6, 2017: -0.5}[g]
    return scale * (1 + 0.5 * (t - g))


def make_panel(n_units: int = 400, n_periods: int = 10, *, seed: int = 0,
               cohorts=(0, 2013, 2015, 2017), covariate_trend: float = 0.0,
               noise: float = 1.0) -> pd.DataFrame:
    """A balanced yearly panel with staggered adoption and a known ATT(g,t)."""
    rng = np.random.default_rng(seed)
    years = np.arange(FIRST_YEAR, FIRST_YEAR + n_periods)
    g = np.asarray(cohorts)[np.arange(n_units) % len(cohorts)]
    x = rng.normal(size=n_units) + 0.5 * (g > 0)
    alpha = rng.normal(size=n_units) + 0.3 * (g > 0)
    lam = np.cumsum(rng.normal(0.2, 0.3, size=n_periods))
    unit = np.repeat(np.arange(n_units), n_periods)
    year = np.tile(years, n_units)
    gg = np.repeat(g, n_periods)
    xx = np.repeat(x, n_periods)
    effect = np.array([true_att(a, b) for a, b in zip(gg, year, strict=True)])
    y = (np.repeat(alpha, n_periods) + lam[year - FIRST_YEAR]
         + covariate_trend * xx * (year - FIRST_YEAR) + effect
         + noise * rng.normal(size=n_units * n_periods))
    return pd.DataFrame({"unit": unit, "year": year, "cohort": gg, "x": xx, "y": y})


def fit(df: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return staggered_did(df, outcome="y", unit="unit", time="year", cohort="cohort", **kw)


def truth_simple(df: pd.DataFrame) -> float:
    sizes = df.groupby("cohort")["unit"].nunique()
    num = den = 0.0
    for g, size in sizes.items():
        if g == 0:
            continue
        for t in range(g, FIRST_YEAR + df["year"].nunique()):
            num += size * true_att(g, t)
            den += size
    return num / den


# -- recovery ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_recovers_att_gt_and_aggregates(method, control_group):
    df = make_panel(n_units=800, seed=1, covariate_trend=0.3)
    res = fit(df, method=method, control_group=control_group, covariates=["x"])
    eff = res.effects.set_index("term")
    z = []
    for g in (2013, 2015, 2017):
        for t in range(FIRST_YEAR + 1, FIRST_YEAR + 10):
            row = eff.loc[f"att_gt_{g}_{t}"]
            z.append((row["estimate"] - true_att(g, t)) / row["std_error"])
    z = np.abs(np.asarray(z))
    assert (z < 1.96).mean() >= 0.85
    assert z.max() < 4.5
    simple = eff.loc["att_simple"]
    assert simple["ci_low"] <= truth_simple(df) <= simple["ci_high"]
    for e in range(0, 4):
        truth = np.mean([true_att(g, g + e) for g in (2013, 2015, 2017)
                         if g + e < FIRST_YEAR + 10])  # cohorts of equal size
        row = eff.loc[f"att_event_{e}"]
        assert abs(row["estimate"] - truth) < 4 * row["std_error"]
    for e in (-3, -2, -1):
        assert abs(eff.loc[f"att_event_{e}", "estimate"]) < 4 * eff.loc[f"att_event_{e}",
                                                                           "std_error"]
    assert "n_obs" in res.effects.columns
    assert res.method == "staggered_did"


def test_covariates_remove_bias_that_unadjusted_estimates_carry():
    df = make_panel(n_units=2000, seed=2, covariate_trend=0.5, noise=0.5)
    plain = fit(df, method="reg").effect("att_simple")["estimate"]
    for method in ("dr", "ipw", "reg"):
        adj = fit(df, method=method, covariates=["x"]).effect("att_simple")
        assert abs(adj["estimate"] - truth_simple(df)) < 4 * adj["std_error"]
    assert abs(plain - truth_simple(df)) > 0.1  # x shifts the trend and differs by cohort


def test_without_covariates_the_three_methods_coincide():
    df = make_panel(n_units=300, seed=3)
    ests = [fit(df, method=m).effects["estimate"].to_numpy() for m in ("dr", "ipw", "reg")]
    np.testing.assert_allclose(ests[0], ests[1], atol=1e-12)
    np.testing.assert_allclose(ests[0], ests[2], atol=1e-12)


def test_dr_point_estimate_matches_an_independent_statsmodels_computation():
    """ATT(2013, 2014) by the DRDID drdid_panel formula, built with statsmodels GLM/OLS."""
    df = make_panel(n_units=600, seed=4, covariate_trend=0.4)
    res = fit(df, method="dr", covariates=["x"])
    wide = df.pivot(index="unit", columns="year", values="y")
    first = df.groupby("unit")[["cohort", "x"]].first()
    keep = first["cohort"].isin([0, 2013])
    dy = (wide[2014] - wide[2012])[keep].to_numpy()
    d = (first["cohort"][keep] == 2013).to_numpy(float)
    x = sm.add_constant(first["x"][keep].to_numpy())
    ps = sm.GLM(d, x, family=sm.families.Binomial()).fit(tol=1e-12).predict(x)
    m = sm.OLS(dy[d == 0], x[d == 0]).fit().predict(x)
    w1 = d / d.mean()
    w0 = ps * (1 - d) / (1 - ps)
    w0 = w0 / w0.mean()
    expected = np.mean(w1 * (dy - m)) - np.mean(w0 * (dy - m))
    assert res.effect("att_gt_2013_2014")["estimate"] == pytest.approx(expected, abs=1e-8)


def test_coverage_of_att_simple(quiet, coverage_band):
    hits = 0
    reps = 100
    for rep in range(reps):
        df = make_panel(n_units=120, n_periods=8, seed=1000 + rep)
        res = staggered_did(df, outcome="y", unit="unit", time="year", cohort="cohort")
        row = res.effect("att_simple")
        hits += row["ci_low"] <= truth_simple(df) <= row["ci_high"]
    low, high = coverage_band(reps)
    assert low <= hits / reps <= high, hits / reps


def test_simulated_city_log_counts(quiet):
    city = simulate_city(roll_out="staggered", seed=7, n_districts=24, n_months=72)
    df = city.data.assign(log_asb=np.log1p(city.data["antisocial_behaviour"]))
    res = staggered_did(df, outcome="log_asb", unit="district", time="month", cohort="cohort")
    row = res.effect("att_simple")
    truth = city.truth["effects"]["antisocial_behaviour"]["log_rate_ratio"]
    assert row["ci_low"] <= truth <= row["ci_high"]
    assert "att_gt_2021-01_2021-02" in set(res.effects["term"])
    assert res.spec["freq"] == "M"
    assert {"event", "group", "calendar", "gt"} <= set(res.series["aggregation"])


# -- options ----------------------------------------------------------------------------------
def test_universal_base_period_has_a_zero_reference_cell():
    df = make_panel(n_units=300, seed=5)
    res = fit(df, base_period="universal")
    ref = res.effect("att_gt_2015_2014")
    assert ref["estimate"] == 0 and np.isnan(ref["std_error"])
    assert "att_gt_2015_2010" in set(res.effects["term"])  # every period, from the first
    post = res.effect("att_gt_2015_2016")
    varying = fit(df).effect("att_gt_2015_2016")
    assert post["estimate"] == pytest.approx(varying["estimate"])  # same base after g
    assert np.isfinite(res.diagnostic("pre_trend").statistic)


def test_anticipation_moves_the_base_period():
    df = make_panel(n_units=300, seed=6)
    res = fit(df, anticipation=1)
    wide = df.pivot(index="unit", columns="year", values="y")
    g = df.groupby("unit")["cohort"].first()
    dy = wide[2015] - wide[2013]  # base = g - 1 - anticipation = 2013 for g = 2015
    expected = dy[g == 2015].mean() - dy[g == 0].mean()
    assert res.effect("att_gt_2015_2015")["estimate"] == pytest.approx(expected)


def test_not_yet_treated_controls_exclude_units_treated_by_then():
    df = make_panel(n_units=300, seed=7)
    res = fit(df, control_group="not_yet_treated")
    wide = df.pivot(index="unit", columns="year", values="y")
    g = df.groupby("unit")["cohort"].first()
    dy = wide[2016] - wide[2012]
    control = (g == 0) | (g > 2016)
    expected = dy[g == 2013].mean() - dy[control].mean()
    assert res.effect("att_gt_2013_2016")["estimate"] == pytest.approx(expected)


def test_balance_e_keeps_cohorts_observed_long_enough():
    df = make_panel(n_units=300, seed=8)
    res = fit(df, balance_e=2)
    events = sorted(int(t.rsplit("_", 1)[1]) for t in res.effects["term"]
                    if t.startswith("att_event_"))
    assert max(events) == 2
    # every cohort (last treated 2017, data to 2019) has e = 0..2
    full = fit(df)
    assert "att_event_3" in set(full.effects["term"])


def test_bootstrap_is_deterministic_and_gives_uniform_bands():
    df = make_panel(n_units=300, seed=9)
    a = fit(df, bootstrap=200, seed=11)
    b = fit(df, bootstrap=200, seed=11)
    c = fit(df, bootstrap=200, seed=12)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    pd.testing.assert_frame_equal(a.series, b.series)
    assert not np.allclose(a.effects["std_error"], c.effects["std_error"])
    assert a.provenance["seed"] == 11 and a.spec["bootstrap_weights"] == "Mammen"
    s = a.series
    for agg in ("gt", "event"):
        part = s[s["aggregation"] == agg]
        assert (part["band_high"] - part["band_low"] > part["ci_high"] - part["ci_low"]).all()
    analytic = fit(df).effects["std_error"].to_numpy()
    ratio = a.effects["std_error"].to_numpy() / analytic
    assert np.nanmedian(ratio) == pytest.approx(1, abs=0.15)


def test_bootstrap_without_seed_records_the_seed_used():
    df = make_panel(n_units=100, seed=10)
    res = fit(df, bootstrap=100)
    again = fit(df, bootstrap=100, seed=res.provenance["seed"])
    pd.testing.assert_frame_equal(res.effects, again.effects)


def test_monthly_periods_and_term_names():
    df = make_panel(n_units=200, n_periods=6, seed=11, cohorts=(0, 2013, 2015))
    months = {y: f"2021-{m:02d}" for m, y in enumerate(range(2010, 2016), start=1)}
    df = df.assign(month=df["year"].map(months),
                   start=df["cohort"].map(lambda g: months.get(g, "")))
    res = staggered_did(df, outcome="y", unit="unit", time="month", cohort="start")
    terms = set(res.effects["term"])
    assert {"att_gt_2021-04_2021-05", "att_group_2021-06", "att_event_-2"} <= terms


# -- invariance, inputs ----------------------------------------------------------------------
def test_invariant_to_relabelling_and_reordering_units():
    df = make_panel(n_units=300, seed=12, covariate_trend=0.2)
    rng = np.random.default_rng(0)
    labels = {u: f"district-{v}" for u, v in zip(range(300), rng.permutation(300),
                                                   strict=True)}
    other = df.assign(unit=df["unit"].map(labels)).sample(frac=1, random_state=3)
    a = fit(df, method="dr", covariates=["x"])
    b = fit(other, method="dr", covariates=["x"])
    pd.testing.assert_frame_equal(a.effects, b.effects, rtol=1e-9, atol=1e-12)


def test_input_not_modified():
    df = make_panel(n_units=100, seed=13)
    before = df.copy(deep=True)
    fit(df, covariates=["x"], bootstrap=100, seed=1)
    pd.testing.assert_frame_equal(df, before)


def test_string_never_markers_and_float_cohorts():
    df = make_panel(n_units=200, seed=14)
    text = df.assign(cohort=df["cohort"].map(lambda g: "never" if g == 0 else str(g)))
    floats = df.assign(cohort=df["cohort"].replace(0, np.nan).astype(float))
    base = fit(df).effects
    pd.testing.assert_frame_equal(fit(text).effects, base)
    pd.testing.assert_frame_equal(fit(floats).effects, base)


# -- caveats and notes -----------------------------------------------------------------------
def test_first_period_cohort_is_dropped_with_a_note():
    df = make_panel(n_units=200, seed=15)
    df.loc[df["unit"] == 1, "cohort"] = FIRST_YEAR
    res = fit(df)
    assert res.sample["n_units"] == 199
    assert any(n.code == "cs_dropped_first_period" for n in res.sample["notes"])


def test_cohort_after_the_last_period_counts_as_never_treated():
    df = make_panel(n_units=200, seed=16)
    df.loc[df["unit"] == 1, "cohort"] = 2030
    res = fit(df)
    assert res.sample["n_never_treated"] == 51
    assert any(n.code == "cs_late_cohort_never" for n in res.sample["notes"])


def test_not_yet_treated_without_never_treated_uses_the_last_cohort():
    df = make_panel(n_units=300, seed=17, cohorts=(2013, 2015, 2017))
    res = fit(df, control_group="not_yet_treated")
    assert any(n.code == "cs_last_cohort_control" for n in res.sample["notes"])
    assert res.sample["last_period"] == "2016"
    assert "att_group_2017" not in set(res.effects["term"])


def test_caveats_small_cohort_and_few_clusters():
    df = make_panel(n_units=16, seed=18, cohorts=(0, 0, 0, 2013, 2013, 2013, 2015, 2015))
    df.loc[df["unit"] == 15, "cohort"] = 2017  # a cohort of one unit
    with pytest.warns(EvalkitWarning) as record:
        res = staggered_did(df, outcome="y", unit="unit", time="year", cohort="cohort")
    codes = {getattr(w, "code", None) for w in res.warnings}
    assert {"cs_small_cohort", "cs_few_clusters"} <= codes
    assert any("analytic" in str(r.message) for r in record)
    assert res.warnings[0].render("fr")  # French text exists


def test_pre_trend_detects_a_violation():
    df = make_panel(n_units=600, seed=19)
    df.loc[df["cohort"] == 2017, "y"] += 0.3 * (df["year"] - FIRST_YEAR)
    res = fit(df)
    d = res.diagnostic("pre_trend")
    assert not d.passed and d.p_value < 0.01
    assert any(getattr(w, "code", None) == "cs_pre_trend" for w in res.warnings)


def test_pre_trend_passes_under_parallel_trends():
    res = fit(make_panel(n_units=600, seed=20))
    d = res.diagnostic("pre_trend")
    assert d.p_value > 0.001
    assert d.table is not None and len(d.table) == 3 + 5 + 7 - 3  # pre cells, g-1 excluded


# -- errors -----------------------------------------------------------------------------------
def test_unbalanced_panel_is_refused_naming_units():
    df = make_panel(n_units=100, seed=21)
    df = df[~((df["unit"] == 7) & (df["year"] == 2012))]
    with pytest.raises(DataError, match=r"balanced panel.*unit 7 is missing 2012.*Fix"):
        fit(df)


def test_cohort_must_be_constant_within_unit():
    df = make_panel(n_units=100, seed=22)
    df.loc[(df["unit"] == 3) & (df["year"] == 2015), "cohort"] = 2015
    with pytest.raises(DataError, match=r"'cohort' must be constant within each unit.*\[3\]"):
        fit(df)


def test_never_treated_control_needs_never_treated_units():
    df = make_panel(n_units=90, seed=23, cohorts=(2013, 2015, 2017))
    with pytest.raises(DataError, match="use control_group='not_yet_treated'"):
        fit(df, control_group="never_treated")


@pytest.mark.parametrize("empty", [0, None, pd.NA])
def test_no_treated_unit(empty):
    df = make_panel(n_units=50, seed=24).assign(cohort=empty)
    if empty is pd.NA:  # an all-missing text column
        df["cohort"] = df["cohort"].astype("string")
    with pytest.raises(DataError, match="has no treated unit"):
        fit(df)


def test_missing_column_and_missing_values():
    df = make_panel(n_units=50, seed=25)
    with pytest.raises(DataError, match="no such column"):
        fit(df, covariates=["z"])
    bad = df.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match="Column 'y' must have a value in every row"):
        fit(bad)


def test_duplicate_unit_periods():
    df = make_panel(n_units=50, seed=26)
    with pytest.raises(DataError, match=r"Expected one row per \(unit, year\)"):
        fit(pd.concat([df, df.iloc[:2]]))


@pytest.mark.parametrize("kw, pattern", [
    ({"method": "ols"}, "method must be one of 'dr', 'ipw', 'reg'"),
    ({"control_group": "never"}, "control_group must be one of"),
    ({"base_period": "fixed"}, "base_period must be one of"),
    ({"anticipation": -1}, "anticipation must be a whole number >= 0"),
    ({"balance_e": 1.5}, "balance_e must be a whole number >= 0"),
    ({"bootstrap": 10}, "bootstrap must be a whole number >= 100"),
    ({"seed": "a"}, "seed must be a whole number >= 0"),
    ({"alpha": 1.5}, "alpha must be strictly between 0 and 1"),
])
def test_bad_options(kw, pattern):
    df = make_panel(n_units=50, seed=27)
    with pytest.raises(SpecError, match=pattern):
        fit(df, **kw)


def test_same_column_for_two_roles():
    df = make_panel(n_units=50, seed=28)
    with pytest.raises(SpecError, match="four different columns"):
        staggered_did(df, outcome="y", unit="unit", time="year", cohort="year")


def test_unreadable_cohort_names_the_row():
    df = make_panel(n_units=50, seed=29)
    df["cohort"] = df["cohort"].astype(object)
    df.loc[df["unit"] == 1, "cohort"] = "20x3"
    with pytest.raises(DataError, match=r"Column 'cohort' must hold dates or periods.*'20x3'"):
        fit(df)
