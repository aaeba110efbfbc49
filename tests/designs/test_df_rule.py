"""``ek.did(df_rule="treated")``: a t reference with G1 - 1 degrees of freedom (G1 = treated
clusters) for the cluster-robust ``att`` interval (issue 17, few treated clusters): asked
for, or chosen by ``inference="auto"`` with 5 to 9 treated clusters.

The study behind it is benchmarks/few_treated.py (table in benchmarks/README.md); it
computes the two Wald intervals from one fit's estimate and CR1 SE, which the first tests
check against what ``ek.did`` reports.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit as ek
from evalkit.errors import DataError, SpecError

KW = {"outcome": "y", "unit": "unit", "time": "month", "treatment": "d"}


def city(n_units=30, n_treated=3, seed=0, rho=0.6, sd=0.15):
    """NB counts (shape 10, mean ~25) with district AR(1) log shocks, no effect."""
    rng = np.random.default_rng(seed)
    n_t, start = 24, 16
    shock = np.empty((n_units, n_t))
    shock[:, 0] = rng.normal(size=n_units)
    for t in range(1, n_t):
        shock[:, t] = rho * shock[:, t - 1] + math.sqrt(1 - rho**2) * rng.normal(size=n_units)
    mu = np.exp(np.log(25) + rng.normal(0, 0.4, (n_units, 1)) + sd * shock)
    y = rng.poisson(rng.gamma(10.0, mu / 10.0))
    treated = np.zeros(n_units, dtype=bool)
    treated[rng.choice(n_units, n_treated, replace=False)] = True
    d = treated[:, None] & (np.arange(n_t)[None, :] >= start)
    return pd.DataFrame({"unit": np.repeat([f"u{i:02d}" for i in range(n_units)], n_t),
                         "month": np.tile(pd.period_range("2020-01", periods=n_t, freq="M")
                                          .astype(str), n_units),
                         "y": y.ravel(), "d": d.ravel().astype(float)})


def did(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ek.did(df, **KW, **kw)


@pytest.mark.parametrize("family", ["ols", "poisson"])
@pytest.mark.parametrize("inference", ["cluster", "auto"])
def test_interval_uses_t_with_treated_clusters_minus_one(family, inference):
    df = city(n_treated=3)
    base = did(df, family=family, inference="cluster", reps=99).effect("att")
    res = did(df, family=family, inference=inference, reps=99, df_rule="treated")
    row = res.effect("att")
    b, se = base["estimate"], base["std_error"]
    assert (row["estimate"], row["std_error"]) == (b, se)  # same fit, same CR1 SE
    q = stats.t.ppf(0.975, 2)  # G1 = 3 treated clusters
    assert row["ci_low"] == pytest.approx(b - q * se, rel=1e-12)
    assert row["ci_high"] == pytest.approx(b + q * se, rel=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(b) / se, 2), rel=1e-10)
    assert res.wald_df == {"att": 2.0}
    assert res.spec["df_rule"] == "treated"
    assert "t(2) reference (treated clusters - 1)" in res.spec["vcov"]
    assert res.provenance["parameters"]["df_rule"] == "treated"
    # wider than the default's reference: t(29) for OLS, normal for Poisson
    assert row["ci_high"] - row["ci_low"] > base["ci_high"] - base["ci_low"]
    if family == "poisson":
        assert row["relative_ci_low"] == pytest.approx(math.exp(row["ci_low"]))


def test_benchmark_wald_intervals_match_did():
    """benchmarks/few_treated.py rebuilds both Wald intervals from est and CR1 SE."""
    df = city(n_treated=6, seed=3)
    for family, default in (("ols", stats.t(29)), ("poisson", stats.norm)):
        perm = did(df, family=family, inference="permutation", reps=99).effect("att")
        b, se = perm["estimate"], perm["std_error"]
        for opts, dist in (({"inference": "cluster"}, default),
                           ({"df_rule": "treated"}, stats.t(5))):
            row = did(df, family=family, **opts).effect("att")
            q = dist.ppf(0.975)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((b - q * se, b + q * se),
                                                                   rel=1e-12)


def test_conf_int_uses_the_new_degrees_of_freedom():
    df = city(n_treated=4, seed=1)
    res = did(df, family="poisson", df_rule="treated")
    ci = res.conf_int(0.9).set_index("term").loc["att"]
    row = res.effect("att")
    q = stats.t.ppf(0.95, 3)
    assert ci["df"] == 3.0
    assert (ci["ci_low"], ci["ci_high"]) == pytest.approx(
        (row["estimate"] - q * row["std_error"], row["estimate"] + q * row["std_error"]),
        rel=1e-12)


@pytest.mark.parametrize("family", ["ols", "poisson"])
def test_auto_inference_uses_treated_clusters_from_5_to_9(family):
    few = did(city(n_treated=6, seed=2), family=family)
    assert few.wald_df == {"att": 5.0} and few.spec["df_rule"] == "treated"
    assert few.provenance["parameters"]["df_rule"] == "treated"
    many = did(city(n_treated=10, seed=2), family=family)
    assert many.wald_df == {"att": 29.0 if family == "ols" else math.inf}
    assert "df_rule" not in many.spec and "df_rule" not in many.provenance["parameters"]
    asked = did(city(n_treated=6, seed=2), family=family, inference="cluster")
    assert "df_rule" not in asked.spec, "inference='cluster' keeps the reference asked for"


def test_two_by_two_counts_treated_clusters():
    df = city(n_treated=4, seed=5)
    df = df.assign(grp=df.groupby("unit")["d"].transform("max"),
                   after=(df["month"] >= "2021-05").astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ek.did(df, outcome="y", unit="unit", treated="grp", post="after",
                     df_rule="treated")
    assert res.wald_df == {"att": 3.0}


@pytest.mark.parametrize(("opts", "error", "match"), [
    ({"df_rule": "G1"}, SpecError, r"df_rule must be None .* or 'treated'.*got 'G1'"),
    ({"df_rule": "treated", "inference": "wild"}, SpecError,
     r"inference='wild' replaces; use inference='cluster'"),
    ({"df_rule": "treated", "inference": "permutation"}, SpecError,
     r"inference='permutation' replaces"),
    ({"df_rule": "treated", "se": "robust"}, SpecError, r"needs se='cluster', got se='robust'"),
])
def test_bad_options(opts, error, match):
    with pytest.raises(error, match=match):
        did(city(), **opts)


def test_one_treated_cluster_is_refused():
    with pytest.raises(DataError, match=r"at least 2 treated clusters; found 1\. With one "
                                        r"treated area use inference='permutation'"):
        did(city(n_treated=1), df_rule="treated", reps=99)


def test_no_cluster_column_is_refused():
    df = city().assign(grp=lambda x: x.groupby("unit")["d"].transform("max"),
                       after=lambda x: (x["month"] >= "2021-05").astype(int))
    with pytest.raises(SpecError, match=r"counts treated clusters, but there is no cluster "
                                        r"column: give cluster= \(or unit=\)"):
        ek.did(df, outcome="y", treated="grp", post="after", df_rule="treated")


@pytest.mark.slow  # 400 Poisson TWFE fits, 20-40 s
def test_coverage_six_treated_of_thirty(coverage_band):
    """Poisson TWFE, 6 treated of 30, NB counts with persistent district AR(1) shocks (rho
    0.8, sd 0.25), no effect: t(5) (the default since issue 17) covers at the nominal level
    and more often than the normal reference (with these seeds 193 and 187 of 200)."""
    reps = 200
    low, high = coverage_band(reps)
    hits = {"default": 0, "treated": 0}
    for seed in range(reps):
        df = city(n_treated=6, seed=1000 + seed, rho=0.8, sd=0.25)
        for key, opts in (("default", {"inference": "cluster"}), ("treated", {})):
            row = did(df, family="poisson", **opts).effect("att")
            hits[key] += row["ci_low"] <= 0 <= row["ci_high"]
    assert low <= hits["treated"] / reps <= high, hits
    assert hits["default"] < hits["treated"], hits
