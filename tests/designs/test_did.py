"""Difference-in-differences and event study: known effects, engine checks, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import evalkit as ek
from evalkit.core.absorb import demean
from evalkit.data.simulate import simulate_city
from evalkit.errors import DataError, EvalkitWarning, SpecError


def normal_panel(n_units=30, n_periods=10, effect=2.0, seed=0, start=6, staggered=False):
    """Linear panel: y = unit FE + period FE + effect * D + noise (N(0,1))."""
    rng = np.random.default_rng(seed)
    units = [f"u{i:02d}" for i in range(n_units)]
    rows = []
    alpha = rng.normal(0, 2, n_units)
    lam = rng.normal(0, 1, n_periods)
    treated = set(units[: n_units // 2])
    for i, u in enumerate(units):
        first = (start + (i % 3) if staggered else start) if u in treated else None
        for t in range(n_periods):
            d = float(first is not None and t >= first)
            rows.append({"unit": u, "year": 2000 + t, "d": d,
                         "cohort": 2000 + first if first is not None else np.nan,
                         "grp": int(u in treated), "after": int(t >= start),
                         "y": alpha[i] + lam[t] + effect * d + rng.normal()})
    return pd.DataFrame(rows)


def did(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return ek.did(df, **kw)


def test_twfe_recovers_effect_and_matches_dummy_regression():
    df = normal_panel(seed=1)
    res = did(df, outcome="y", unit="unit", time="year", treatment="d")
    row = res.effect("att")
    assert row["ci_low"] < 2.0 < row["ci_high"]
    ref = smf.ols("y ~ d + C(unit) + C(year)", df).fit()
    assert row["estimate"] == pytest.approx(ref.params["d"], rel=1e-9)
    # fixest CR1: G/(G-1) (n-1)/(n-K), K excludes the unit FE nested in clusters but one
    n, g = len(df), 30
    k_full = 1 + 30 + 10 - 1
    k_nested = k_full - 29
    raw = ref.get_robustcov_results(cov_type="cluster", groups=pd.factorize(df["unit"])[0])
    sm_factor = g / (g - 1) * (n - 1) / (n - k_full)
    fixest_factor = g / (g - 1) * (n - 1) / (n - k_nested)
    se_fixest = raw.bse[ref.params.index.get_loc("d")] * math.sqrt(fixest_factor / sm_factor)
    assert row["std_error"] == pytest.approx(se_fixest, rel=1e-8)
    assert "CR1" in res.spec["vcov"]
    assert res.sample["n_clusters"] == 30


def test_classical_and_robust_se_match_statsmodels():
    df = normal_panel(seed=2)
    for se, cov in (("classical", "nonrobust"), ("robust", "HC1")):
        res = did(df, outcome="y", unit="unit", time="year", treatment="d", se=se)
        ref = smf.ols("y ~ d + C(unit) + C(year)", df).fit(cov_type=cov)
        assert res.effect("att")["std_error"] == pytest.approx(ref.bse["d"], rel=1e-8)


def test_weights_unbalanced_and_covariates_match_wls():
    df = normal_panel(seed=3).sample(frac=0.85, random_state=3).reset_index(drop=True)
    rng = np.random.default_rng(3)
    df["pop"] = rng.uniform(1, 5, len(df))
    df["x"] = rng.normal(size=len(df))
    res = did(df, outcome="y", unit="unit", time="year", treatment="d", covariates=["x"],
              weights="pop", se="classical")
    ref = smf.wls("y ~ d + x + C(unit) + C(year)", df, weights=df["pop"]).fit()
    assert res.effect("att")["estimate"] == pytest.approx(ref.params["d"], rel=1e-8)
    assert res.effect("att")["std_error"] == pytest.approx(ref.bse["d"], rel=1e-6)
    assert any("Unbalanced panel" in n for n in res.sample["notes"])


def test_two_by_two_with_repeated_cross_sections():
    df = normal_panel(seed=4)
    res = did(df, outcome="y", treated="grp", post="after", se="robust")
    ref = smf.ols("y ~ grp * after", df).fit(cov_type="HC1")
    assert res.effect("att")["estimate"] == pytest.approx(ref.params["grp:after"], rel=1e-9)
    assert res.effect("att")["std_error"] == pytest.approx(ref.bse["grp:after"], rel=1e-9)
    assert res.spec["design"] == "2x2"
    assert set(res.series["time"]) == {"before", "after"}


def test_two_by_two_without_cluster_falls_back_to_robust_with_note():
    df = normal_panel(seed=5)
    res = did(df, outcome="y", treated="grp", post="after")
    assert "HC1" in res.spec["vcov"]
    assert any("heteroskedasticity-robust" in n for n in res.sample["notes"])


def test_poisson_twfe_recovers_rate_ratio_and_matches_glm():
    city = simulate_city(roll_out="common", seed=7)
    res = did(city.data, outcome="burglary", unit="district", time="month",
              treatment="partnership", family="poisson", se="robust")
    row = res.effect("att")
    assert row["relative_ci_low"] < 0.8 < row["relative_ci_high"]
    ref = smf.glm("burglary ~ partnership + C(district) + C(month)", city.data,
                  family=sm.families.Poisson()).fit(cov_type="HC0")
    assert row["estimate"] == pytest.approx(ref.params["partnership"], rel=1e-7)
    n, k = len(city.data), len(ref.params)
    assert row["std_error"] == pytest.approx(ref.bse["partnership"] * math.sqrt(n / (n - k)),
                                             rel=1e-5)


def test_poisson_drops_units_with_only_zeros():
    df = normal_panel(seed=6)
    rng = np.random.default_rng(6)
    df["c"] = rng.poisson(np.exp(1 + 0.3 * df["d"]))
    df.loc[df["unit"] == "u29", "c"] = 0
    res = did(df, outcome="c", unit="unit", time="year", treatment="d", family="poisson")
    assert res.sample["n_obs"] == len(df) - 10
    assert any("10 rows dropped" in n for n in res.sample["notes"])


def test_staggered_timing_and_few_clusters_warn():
    df = normal_panel(n_units=12, seed=7, staggered=True)
    with pytest.warns(EvalkitWarning) as record:
        res = ek.did(df, outcome="y", unit="unit", time="year", treatment="d")
    text = " ".join(str(w.message) for w in record)
    assert "staggered roll-out" in text
    assert "Only 12 clusters" in text
    assert res.warnings


def test_event_study_recovers_dynamic_effects_and_passes_pretrend():
    df = normal_panel(n_units=60, n_periods=12, effect=2.0, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort")
    eff = res.effects.set_index("term")
    assert "event_time_-1" not in eff.index
    post = eff.loc[[f"event_time_{k}" for k in range(0, 6)]]
    assert ((post["ci_low"] < 2.0) & (post["ci_high"] > 2.0)).mean() >= 0.8
    pre = eff.loc[[f"event_time_{k}" for k in range(-6, -1)]]
    assert (pre["estimate"].abs() < 1).all()
    d = res.diagnostic("pre_trend")
    assert d.passed
    assert "joint test of 5 leads" in d.message
    assert set(res.series.columns) >= {"event_time", "estimate", "ci_low", "ci_high"}
    assert res.series.loc[res.series["event_time"] == -1, "estimate"].item() == 0


def test_event_study_matches_dummy_regression_with_binned_endpoints():
    df = normal_panel(n_units=30, n_periods=12, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort",
                             leads=3, lags=2)
    e = (df["year"] - df["cohort"]).clip(-3, 2)
    for k in [-3, -2, 0, 1, 2]:
        df[f"e{k + 10}"] = (e == k).astype(float)
    ref = smf.ols("y ~ e7 + e8 + e10 + e11 + e12 + C(unit) + C(year)", df).fit()
    np.testing.assert_allclose(res.effects["estimate"],
                               ref.params[["e7", "e8", "e10", "e11", "e12"]], rtol=1e-8)
    assert bool(res.series.loc[res.series["event_time"] == -3, "binned"].item())


def test_event_study_detects_pre_trend():
    df = normal_panel(n_units=60, n_periods=12, seed=10)
    df["y"] += np.where(df["grp"] == 1, 0.8 * (df["year"] - 2000), 0)  # diverging trend
    with pytest.warns(EvalkitWarning, match="parallel trends are doubtful"):
        res = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort")
    assert not res.diagnostic("pre_trend").passed


def test_demean_matches_dummy_projection():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 7, 200), rng.integers(0, 5, 200)
    x = rng.normal(size=(200, 2))
    w = rng.uniform(0.5, 2, 200)
    d = pd.get_dummies(pd.DataFrame({"a": a, "b": b}).astype(str), drop_first=False)
    dm = d.to_numpy(float)
    proj = dm @ np.linalg.lstsq(dm * np.sqrt(w)[:, None], x * np.sqrt(w)[:, None],
                                rcond=None)[0]
    np.testing.assert_allclose(demean(x, [a, b], w), x - proj, atol=1e-9)


def test_engine_rejects_collinear_regressors():
    df = normal_panel(seed=11)
    df["const_in_unit"] = df["unit"].str[1:].astype(int)
    with pytest.raises(DataError, match=r"regressors are collinear"):
        did(df, outcome="y", unit="unit", time="year", treatment="d",
            covariates=["const_in_unit"])


def test_input_not_modified():
    df = normal_panel(seed=12)
    before = df.copy(deep=True)
    did(df, outcome="y", unit="unit", time="year", treatment="d")
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(("kw", "match"), [
    ({"treatment": "d"}, r"needs unit= and time="),
    ({}, r"say which design"),
    ({"treatment": "d", "treated": "grp", "unit": "unit", "time": "year"}, r"not both"),
    ({"treated": "grp", "post": "after", "family": "logit"}, r"family must be one of"),
    ({"treated": "grp", "post": "after", "se": "hac"}, r"se must be one of"),
])
def test_spec_errors(kw, match):
    with pytest.raises(SpecError, match=match):
        did(normal_panel(), outcome="y", **kw)


def test_data_errors():
    df = normal_panel()
    with pytest.raises(DataError, match=r"must be 0/1"):
        did(df.assign(grp=df["grp"] * 2), outcome="y", treated="grp", post="after")
    with pytest.raises(DataError, match=r"has only the value 1"):
        did(df.assign(after=1), outcome="y", treated="grp", post="after")
    with pytest.raises(DataError, match=r"must be between 0 and 1"):
        did(df.assign(d=df["d"] * 3), outcome="y", unit="unit", time="year", treatment="d")
    with pytest.raises(DataError, match=r"is 0 everywhere"):
        did(df.assign(d=0.0), outcome="y", unit="unit", time="year", treatment="d")
    with pytest.raises(DataError, match=r"one row per \(unit, year\)"):
        did(pd.concat([df, df.head(2)]), outcome="y", unit="unit", time="year",
            treatment="d")
    with pytest.raises(DataError, match=r"negative"):
        did(df, outcome="y", unit="unit", time="year", treatment="d", family="poisson")
    with pytest.raises(DataError, match=r"constant within each unit"):
        bad = df.copy()
        bad.loc[(bad["unit"] == "u00") & (bad["year"] == 2003), "cohort"] = 2004
        ek.event_study(bad, outcome="y", unit="unit", time="year", cohort="cohort")
    with pytest.raises(DataError, match=r"not identified"):
        ek.event_study(df[df["grp"] == 1], outcome="y", unit="unit", time="year",
                       cohort="cohort")
    with pytest.raises(DataError, match=r"no treated unit"):
        ek.event_study(df.assign(cohort=np.nan), outcome="y", unit="unit", time="year",
                       cohort="cohort")
    with pytest.raises(SpecError, match=r"outside the event window"):
        ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort", leads=0,
                       lags=2)


def test_missing_outcome_rows_dropped_with_note():
    df = normal_panel(seed=13)
    df.loc[[3, 50], "y"] = np.nan
    res = did(df, outcome="y", unit="unit", time="year", treatment="d")
    assert res.sample["n_obs"] == len(df) - 2
    assert any("2 rows dropped because of missing values in y" in n
               for n in res.sample["notes"])


def test_poisson_separation_is_refused():
    df = normal_panel(seed=20)
    rng = np.random.default_rng(20)
    df["c"] = rng.poisson(3, len(df)) * (1 - df["d"]).astype(int)  # no event in treated cells
    with pytest.raises(DataError, match=r"Poisson estimate of att does not exist"):
        did(df, outcome="c", unit="unit", time="year", treatment="d", family="poisson")


def test_sparse_connected_panel_converges_and_matches_dummies():
    """Each unit seen in 3 overlapping periods: alternating projections crawl; LSMR finishes."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(120):
        for t in range(u % 40, u % 40 + 3):
            rows.append({"unit": f"u{u}", "year": 2000 + t, "x": rng.normal()})
    df = pd.DataFrame(rows)
    df["d"] = (rng.uniform(size=len(df)) < 0.3).astype(float)
    df["y"] = 0.5 * df["d"] + df["x"] + rng.normal(size=len(df))
    res = did(df, outcome="y", unit="unit", time="year", treatment="d", covariates=["x"],
              se="classical")
    ref = smf.ols("y ~ d + x + C(unit) + C(year)", df).fit()
    assert res.effect("att")["estimate"] == pytest.approx(ref.params["d"], rel=1e-7)
    assert res.effect("att")["std_error"] == pytest.approx(ref.bse["d"], rel=1e-6)


def test_missing_unit_or_cluster_rows_are_dropped_not_pooled():
    df = normal_panel(seed=21)
    df["region"] = df["unit"].str[-1]
    df.loc[df.index % 7 == 0, "region"] = np.nan
    res = did(df, outcome="y", unit="unit", time="year", treatment="d", cluster="region")
    assert res.sample["n_clusters"] == 10
    assert any("because of missing values in region" in n for n in res.sample["notes"])


def test_few_treated_counts_treated_clusters_not_units():
    df = normal_panel(n_units=40, seed=22)
    df["region"] = "r" + (df["unit"].str[1:].astype(int) // 10).astype(str)
    with pytest.warns(EvalkitWarning, match=r"Only 2 treated units"):
        ek.did(df, outcome="y", unit="unit", time="year", treatment="d", cluster="region")


def test_event_study_without_leads_says_the_pretrend_is_untestable():
    df = normal_panel(n_units=30, n_periods=12, seed=23)
    with pytest.warns(EvalkitWarning, match=r"No pre-treatment period is left"):
        res = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort",
                             leads=1, lags=3)
    assert "no pre-treatment period" in res.diagnostic("pre_trend").message


def test_staggered_twfe_carries_the_bacon_decomposition():
    df = normal_panel(n_units=30, n_periods=10, seed=30, staggered=True)
    res = did(df, outcome="y", unit="unit", time="year", treatment="d")
    diag = res.diagnostic("bacon")
    assert 0 <= diag.statistic <= 1
    assert set(diag.table["type"]) >= {"treated_vs_never", "earlier_vs_later"}
    pois = did(df.assign(y=np.exp(df["y"] / 5).round()), outcome="y", unit="unit",
               time="year", treatment="d", family="poisson")
    assert not pois.diagnostics
    assert any("Goodman-Bacon decomposition was not computed" in n
               for n in pois.sample["notes"])


def test_few_treated_clusters_switch_to_the_wild_bootstrap():
    df = normal_panel(n_units=20, seed=40)
    df.loc[~df["unit"].isin(["u00", "u01", "u02"]), "d"] = 0.0  # 3 treated of 20
    res = did(df, outcome="y", unit="unit", time="year", treatment="d")
    assert "wild cluster bootstrap" in res.spec["vcov"].lower()
    assert res.provenance["seed"] == 20261123
    ri = res.diagnostic("randomization")
    assert ri.message and 0 < ri.p_value <= 1
    row = res.effect("att")
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    again = did(df, outcome="y", unit="unit", time="year", treatment="d")
    assert again.effect("att")["p_value"] == row["p_value"]  # seeded
    plain = did(df, outcome="y", unit="unit", time="year", treatment="d", inference="cluster")
    assert "wild" not in plain.spec["vcov"]
    assert plain.effect("att")["std_error"] == row["std_error"]  # CR1 SE kept


def test_poisson_few_treated_uses_permutation_p_value():
    city = simulate_city(n_districts=12, n_months=24, start="2015-01", roll_out="common",
                         n_treated=3, start_dates=["2016-01"], crimes=("burglary",), seed=41)
    res = did(city.data, outcome="burglary", unit="district", time="month",
              treatment="partnership", family="poisson", reps=199)
    assert "randomization" in res.spec["vcov"].lower()
    assert res.effect("att")["p_value"] == res.diagnostic("randomization").p_value
    assert any("randomization inference" in w for w in res.warnings)


def test_inference_options_are_checked():
    df = normal_panel()
    with pytest.raises(SpecError, match=r"inference must be one of"):
        did(df, outcome="y", unit="unit", time="year", treatment="d", inference="boot")
    with pytest.raises(SpecError, match=r"reps must be a whole number of at least 99"):
        did(df, outcome="y", unit="unit", time="year", treatment="d", reps=10)
    with pytest.raises(SpecError, match=r"wild cluster bootstrap is for family='ols'"):
        did(df.assign(y=df["y"].abs()), outcome="y", unit="unit", time="year",
            treatment="d", family="poisson", inference="wild")


def test_event_study_sensitivity_reports_a_breakdown_value():
    def sens(effect, seed):
        df = normal_panel(n_units=60, n_periods=10, effect=effect, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EvalkitWarning)
            return ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort",
                                  sensitivity=True).diagnostic("sensitivity")

    strong, null = sens(8.0, 50), sens(0.0, 50)
    assert strong.statistic > 1 and strong.passed
    assert np.isnan(null.statistic) and not null.passed  # not significant even at M = 0
    assert list(strong.table["mbar"]) == [0, 0.5, 1, 1.5, 2]
    assert "breakdown value" in strong.message
    with pytest.raises(SpecError, match=r"sensitivity=True needs event times"):
        ek.event_study(normal_panel(n_units=30, n_periods=30, seed=51, start=10),
                       outcome="y", unit="unit", time="year", cohort="cohort",
                       sensitivity=True)
