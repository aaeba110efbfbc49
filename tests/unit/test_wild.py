"""Wild cluster bootstrap: independent re-computation, enumeration, determinism, errors.

The reference implementation below is deliberately slow and obvious: for every draw it
builds ``y*`` from the restricted fit, re-fits it with statsmodels WLS on the regressors
plus unit and period *dummies*, and computes the CR1 t ratio from the full sandwich. It
shares nothing with ``evalkit.inference.wild`` except the documented draw convention
(``default_rng(seed).integers(0, m, size=(reps, G))`` indexing the sorted weight values).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evalkit.core.fit import fit
from evalkit.errors import DataError, SpecError
from evalkit.inference.wild import WildBootstrap, wild_cluster_bootstrap

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
RADEMACHER = np.array([-1.0, 1.0])


def panel(n_units=8, n_periods=6, n_treated=3, seed=5, effect=0.8):
    """Small panel: unit and period effects, a covariate, treatment from mid-period."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    per = np.tile(np.arange(n_periods), n_units)
    d = ((unit < n_treated) & (per >= n_periods // 2)).astype(float)
    xc = rng.normal(size=len(unit))
    y = (rng.normal(size=n_units)[unit] + rng.normal(size=n_periods)[per] + 0.3 * xc
         + rng.normal(size=len(unit)) + effect * d)
    w = rng.uniform(0.5, 2.0, size=len(unit))
    return y, np.column_stack([d, xc]), unit, per, w


def slow_wild(y, x, j, unit, per, *, draws, weights=None, null=0.0, impose_null=True):
    """Loop over draws, re-fit with dummies (statsmodels WLS), CR1 t; returns (t, p)."""
    n = len(y)
    w = np.ones(n) if weights is None else weights
    dummies = pd.get_dummies(pd.DataFrame({"u": unit, "p": per}).astype(str),
                             drop_first=True, dtype=float).to_numpy()
    full = np.column_stack([x, np.ones(n), dummies])
    groups = np.unique(unit)
    n_g, k_nested = len(groups), len(groups) - 1  # unit FE nested in unit clusters
    factor = n_g / (n_g - 1) * (n - 1) / (n - (full.shape[1] - k_nested))

    def t_ratio(yy):
        res = sm.WLS(yy, full, weights=w).fit()
        bread = np.linalg.inv(full.T @ (full * w[:, None]))
        scores = full * (w * res.resid)[:, None]
        meat = sum(np.outer(s, s) for s in (scores[unit == g].sum(0) for g in groups))
        var = factor * (bread @ meat @ bread)[j, j]
        return res.params[j], math.sqrt(var)

    b, se = t_ratio(y)
    t_obs = (b - null) / se
    if impose_null:
        rest = sm.WLS(y - null * full[:, j], np.delete(full, j, axis=1), weights=w).fit()
        base, u, centre = y - rest.resid, rest.resid, null
    else:
        res = sm.WLS(y, full, weights=w).fit()
        base, u, centre = y - res.resid, res.resid, b
    t_star = []
    for v in draws:
        bb, ss = t_ratio(base + u * v[np.searchsorted(groups, unit)])
        t_star.append((bb - centre) / ss)
    # strict '>' as in exact arithmetic: under enumeration the draws +-1 reproduce |t|
    # up to rounding, so compare with a relative tolerance of 1e-9
    return t_obs, float(np.mean(np.abs(np.array(t_star)) > abs(t_obs) * (1 + 1e-9)))


def draws_for(seed, reps, n_clusters, values):
    rng = np.random.default_rng(seed)
    return values[rng.integers(0, len(values), size=(reps, n_clusters))]


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("term", ["d", "xc"])
def test_matches_slow_refit_with_dummies_webb_weighted(term, impose_null):
    y, x, unit, per, w = panel()
    reps, seed = 199, 11
    res = wild_cluster_bootstrap(y, x, ["d", "xc"], term=term, fixed_effects=[unit, per],
                                 clusters=unit, weights=w, dist="webb", reps=reps, seed=seed,
                                 impose_null=impose_null, null=0.1)
    j = ["d", "xc"].index(term)
    t_obs, p = slow_wild(y, x, j, unit, per, draws=draws_for(seed, reps, 8, WEBB), weights=w,
                         null=0.1, impose_null=impose_null)
    assert res.t_stat == pytest.approx(t_obs, rel=1e-9)
    assert res.p_value == pytest.approx(p, abs=1e-12)
    assert res.reps == reps and not res.enumerated


def test_rademacher_full_enumeration_matches_slow_and_wildboottest():
    y, x, unit, per, _ = panel()
    res = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", fixed_effects=[unit, per],
                                 clusters=unit, dist="rademacher", reps=9999, seed=1)
    assert res.enumerated and res.reps == 2**8
    assert "enumerated exactly" in res.method and "Caution" in res.method
    every = np.array(list(itertools.product([-1.0, 1.0], repeat=8)))
    _, p = slow_wild(y, x, 0, unit, per, draws=every)
    assert res.p_value == pytest.approx(p, abs=1e-12)
    # independent package: wildboottest 0.3.2 (py-econometrics; full enumeration since
    # 2^8 < B, dummies in the design, WCR, "11" bootstrap, two-tailed p), same data:
    # p = 0.2890625 for d and 0.0078125 for xc (74/256 and 2/256)
    assert res.p_value == pytest.approx(0.2890625, abs=1e-12)
    xc = wild_cluster_bootstrap(y, x, ["d", "xc"], term="xc", fixed_effects=[unit, per],
                                clusters=unit, dist="rademacher", reps=9999, seed=1)
    assert xc.p_value == pytest.approx(0.0078125, abs=1e-12)
    # enumeration does not depend on the seed
    other = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", fixed_effects=[unit, per],
                                   clusters=unit, dist="rademacher", reps=9999, seed=99)
    assert other == WildBootstrap(**{**res.__dict__, "seed": 99})


@pytest.mark.slow  # numba compiles wildboottest's kernels first: 7-13 s
def test_against_wildboottest():
    """wildboottest (py-econometrics, in the dev extras) on the same data, every term and
    both null conventions."""
    from wildboottest import wildboottest as wbt

    y, x, unit, per, _ = panel()
    design = pd.concat([pd.DataFrame({"const": 1.0, "d": x[:, 0], "xc": x[:, 1]}),
                        pd.get_dummies(unit, prefix="u", drop_first=True, dtype=float),
                        pd.get_dummies(per, prefix="p", drop_first=True, dtype=float)], axis=1)
    for term in ("d", "xc"):
        for impose in (True, False):
            ref = wbt.wildboottest(sm.OLS(y, design), param=term, cluster=unit, B=9999,
                                   seed=1, weights_type="rademacher", impose_null=impose,
                                   show=False)
            res = wild_cluster_bootstrap(y, x, ["d", "xc"], term=term, clusters=unit,
                                         fixed_effects=[unit, per], dist="rademacher",
                                         seed=1, impose_null=impose)
            assert res.p_value == pytest.approx(float(ref["p-value"].iloc[0]), abs=1e-12)


def test_t_stat_is_evalkits_cr1():
    y, x, unit, per, w = panel(n_units=12)
    for fes, cl in (([unit, per], unit), ([per], unit), ([], per)):
        xx = x if fes else np.column_stack([np.ones(len(y)), x])
        names = ["d", "xc"] if fes else ["const", "d", "xc"]
        f = fit(y, xx, names, fixed_effects=fes, weights=w, se="cluster", clusters=cl)
        res = wild_cluster_bootstrap(y, xx, names, term="d", fixed_effects=fes, clusters=cl,
                                     weights=w, reps=99, seed=0)
        j = names.index("d")
        assert res.t_stat == pytest.approx(f.params[j] / f.se()[j], rel=1e-9)
        assert res.estimate == pytest.approx(f.params[j], rel=1e-12)
        assert res.n_clusters == f.n_clusters


def test_confidence_interval_inverts_the_test():
    y, x, unit, per, _ = panel(n_units=14, effect=1.0)
    kw = {"fixed_effects": [unit, per], "clusters": unit, "reps": 999, "seed": 3}
    res = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", **kw)
    assert res.ci_low < res.estimate < res.ci_high
    eps = 1e-6 * (res.ci_high - res.ci_low)
    for edge, sign in ((res.ci_low, -1), (res.ci_high, 1)):
        inside = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", null=edge - sign * eps,
                                        confidence_interval=False, **kw)
        outside = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", null=edge + sign * eps,
                                         confidence_interval=False, **kw)
        assert inside.p_value >= 0.05 > outside.p_value
    no_ci = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", confidence_interval=False,
                                   **kw)
    assert math.isnan(no_ci.ci_low) and no_ci.p_value == res.p_value


def test_deterministic_with_seed_and_seed_matters():
    y, x, unit, per, _ = panel(n_units=15)
    kw = {"fixed_effects": [unit, per], "clusters": unit, "reps": 499}
    a = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", seed=7, **kw)
    b = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", seed=7, **kw)
    c = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", seed=8, **kw)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


def test_cluster_labels_need_not_be_codes():
    y, x, unit, per, _ = panel()
    names = np.array([f"district {chr(75 - u)}" for u in unit])  # reversed order, strings
    a = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", fixed_effects=[unit, per],
                               clusters=unit, reps=199, seed=2)
    b = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", fixed_effects=[names, per],
                               clusters=names, reps=199, seed=2)
    assert b.t_stat == pytest.approx(a.t_stat, rel=1e-10)
    assert 0 <= b.p_value <= 1


def test_method_text_and_coarse_warning():
    y, x, unit, per, _ = panel(n_units=10)
    kw = {"fixed_effects": [unit, per], "clusters": unit, "seed": 1, "reps": 999}
    webb = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", **kw)
    rad = wild_cluster_bootstrap(y, x, ["d", "xc"], term="d", dist="rademacher", **kw)
    assert "Webb" in webb.method and "Caution" not in webb.method
    assert "two-sided symmetric" in webb.method and "WCR" in webb.method
    assert not rad.enumerated and "Caution" in rad.method and "with 10 clusters" in rad.method
    big = panel(n_units=12)
    rad12 = wild_cluster_bootstrap(big[0], big[1], ["d", "xc"], term="d", dist="rademacher",
                                   fixed_effects=[big[2], big[3]], clusters=big[2], seed=1,
                                   reps=999)
    assert "Caution" not in rad12.method


@pytest.mark.parametrize(("change", "error", "match"), [
    ({"term": "nope"}, SpecError, "term 'nope' is not one of"),
    ({"reps": 50}, SpecError, "reps must be a whole number >= 99"),
    ({"dist": "mammen"}, SpecError, "dist must be one of"),
    ({"seed": None}, SpecError, "seed must be an integer"),
    ({"alpha": 1.5}, SpecError, "alpha must be strictly between"),
    ({"clusters": np.zeros(48)}, DataError, "at least 2 clusters"),
    ({"clusters": np.zeros(5)}, DataError, "one value per observation"),
    ({"weights": -np.ones(48)}, DataError, "weights must be positive"),
    ({"names": ["d"]}, SpecError, "names has 1 entries but x has 2 columns"),
    ({"y": np.full(48, np.nan)}, DataError, "missing or infinite"),
    ({"x": np.column_stack([np.ones(48), np.ones(48)])}, DataError, "collinear"),
])
def test_input_errors(change, error, match):
    y, x, unit, per, _ = panel()
    kw = {"y": y, "x": x, "names": ["d", "xc"], "term": "d", "fixed_effects": [unit, per],
          "clusters": unit, "seed": 1, "reps": 99, **change}
    args = (kw.pop("y"), kw.pop("x"), kw.pop("names"))
    with pytest.raises(error, match=match):
        wild_cluster_bootstrap(*args, **kw)
