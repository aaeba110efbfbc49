"""Unit tests of evalkit.inference.sensitivity (Rambachan & Roth relative magnitudes)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import SpecError
from evalkit.inference.sensitivity import (
    Sensitivity,
    relative_magnitudes,
    relative_magnitudes_from_event_study,
)
from evalkit.results import EvaluationResult, effect_row, effects_table


def _example(n_pre: int = 3, n_post: int = 2, effect: float = 0.5, seed: int = 3):
    rng = np.random.default_rng(seed)
    n = n_pre + n_post
    root = rng.normal(size=(n, n)) * 0.1
    sigma = root @ root.T + 0.01 * np.eye(n)
    beta = rng.multivariate_normal(np.r_[np.zeros(n_pre), np.full(n_post, effect)], sigma)
    return beta[:n_pre], beta[n_pre:], sigma


FAST = {"breakdown": False, "grid_points": 200, "lf_draws": 2000}


def test_result_shape_and_method_text():
    pre, post, sigma = _example()
    res = relative_magnitudes(pre, post, sigma, **FAST)
    assert isinstance(res, Sensitivity)
    assert list(res.table.columns) == ["mbar", "lb", "ub", "id_lb", "id_ub"]
    assert list(res.table["mbar"]) == [0, 0.5, 1, 1.5, 2]
    assert res.theta_hat == pytest.approx(post.mean())
    assert "Andrews-Roth-Pakes" in res.method and "least-favourable" in res.method
    assert math.isnan(res.breakdown)  # not computed
    assert np.all(res.table["lb"] <= res.table["id_lb"])
    assert np.all(res.table["ub"] >= res.table["id_ub"])


def test_mbar_zero_identified_set_is_the_point_estimate_and_ci_close_to_wald():
    pre, post, sigma = _example(effect=0.3)
    res = relative_magnitudes(pre, post, sigma, mbar=(0,), **FAST)
    row = res.table.iloc[0]
    # Mbar = 0 forces every post-period violation to zero: theta is point identified
    assert row.id_lb == pytest.approx(res.theta_hat, abs=1e-12)
    assert row.id_ub == pytest.approx(res.theta_hat, abs=1e-12)
    lo, hi = res.original_ci
    half = (hi - lo) / 2
    z = stats.norm.ppf(0.975)
    assert half == pytest.approx(z * math.sqrt(np.full(2, 0.5) @ sigma[3:, 3:] @ np.full(2, 0.5)))
    # the moment-inequality test is not the Wald test, but close to it here
    assert row.lb == pytest.approx(lo, abs=0.05 * half)
    assert row.ub == pytest.approx(hi, abs=0.05 * half)


@pytest.mark.parametrize(("n_pre", "n_post", "seed"), [(3, 2, 3), (2, 3, 5), (1, 2, 7)])
def test_bounds_widen_monotonically_in_mbar(n_pre, n_post, seed):
    pre, post, sigma = _example(n_pre, n_post, seed=seed)
    res = relative_magnitudes(pre, post, sigma, mbar=(0, 0.5, 1, 2, 3), **FAST)
    t = res.table
    assert np.all(np.diff(t["lb"]) <= 1e-9) and np.all(np.diff(t["ub"]) >= -1e-9)
    assert np.all(np.diff(t["id_lb"]) <= 1e-12) and np.all(np.diff(t["id_ub"]) >= -1e-12)


def test_identified_set_closed_form():
    pre, post, sigma = _example(4, 3, seed=11)
    lv = np.array([0.2, 0.3, 0.5])
    res = relative_magnitudes(pre, post, sigma, mbar=(0, 0.7, 2), l_vec=lv, **FAST)
    max_step = np.max(np.abs(np.diff(np.append(pre, 0.0))))
    half = res.table["mbar"] * max_step * (lv @ np.arange(1, 4))
    np.testing.assert_allclose(res.table["id_lb"], lv @ post - half, atol=1e-10)
    np.testing.assert_allclose(res.table["id_ub"], lv @ post + half, atol=1e-10)


def test_breakdown_consistent_with_table():
    pre, post, sigma = _example(2, 2, effect=0.6, seed=5)
    mbar = (0, 0.25, 0.5, 1, 1.5, 2, 3)
    res = relative_magnitudes(pre, post, sigma, mbar=mbar, grid_points=200, lf_draws=2000,
                              breakdown_tol=1e-3)
    assert 0 < res.breakdown < 3
    for row in res.table.itertuples():
        excludes = row.lb > 0 or row.ub < 0
        if row.mbar <= res.breakdown:
            assert excludes, row
        elif row.mbar > res.breakdown + 1e-3:
            assert not excludes, row
    at = relative_magnitudes(pre, post, sigma, mbar=(res.breakdown, res.breakdown + 2e-3),
                             **FAST).table
    assert at.lb[0] > 0 and at.lb[1] <= 0


def test_breakdown_nan_when_interval_at_zero_includes_zero():
    pre, post, sigma = _example(2, 2, effect=0.0, seed=2)
    post = post - post.mean()  # theta_hat = 0
    res = relative_magnitudes(pre, post, sigma, mbar=(0, 1), grid_points=200, lf_draws=2000)
    assert math.isnan(res.breakdown)
    assert res.table["lb"][0] < 0 < res.table["ub"][0]


def test_equivariant_to_adding_an_effect_to_the_post_periods():
    """beta_post -> beta_post + u changes tau, not delta: every bound shifts by l'u."""
    pre, post, sigma = _example(3, 3, seed=8)
    lv = np.array([0.5, 0.25, 0.25])
    u = np.array([0.3, -0.1, 0.7])
    a = relative_magnitudes(pre, post, sigma, mbar=(0, 1, 2), l_vec=lv, **FAST).table
    b = relative_magnitudes(pre, post + u, sigma, mbar=(0, 1, 2), l_vec=lv, **FAST).table
    se = math.sqrt(lv @ sigma[3:, 3:] @ lv)
    for col in ("lb", "ub", "id_lb", "id_ub"):
        np.testing.assert_allclose(b[col], a[col] + lv @ u, atol=1e-4 * se)


@pytest.mark.slow  # two 200-point grids with 2,000 draws each: 4-8 s
def test_scale_equivariance():
    """Outcome measured in other units (beta * c, sigma * c^2): bounds * c, same breakdown."""
    pre, post, sigma = _example(2, 2, effect=0.6, seed=5)
    c = 250.0
    opts = {"mbar": (0.5, 1), "grid_points": 200, "lf_draws": 2000}
    a = relative_magnitudes(pre, post, sigma, **opts)
    b = relative_magnitudes(pre * c, post * c, sigma * c**2, **opts)
    np.testing.assert_allclose(b.table[["lb", "ub", "id_lb", "id_ub"]],
                               a.table[["lb", "ub", "id_lb", "id_ub"]] * c, rtol=1e-4)
    assert b.breakdown == pytest.approx(a.breakdown, abs=1e-3)


def test_single_post_period_and_l_vec_scaling():
    pre, post, sigma = _example(3, 1, seed=4)
    one = relative_magnitudes(pre, post, sigma, mbar=(0, 1), **FAST).table
    two = relative_magnitudes(pre, post, sigma, mbar=(0, 1), l_vec=[2.0], **FAST).table
    np.testing.assert_allclose(two[["lb", "ub", "id_lb", "id_ub"]],
                               2 * one[["lb", "ub", "id_lb", "id_ub"]], rtol=1e-4)


def test_conditional_method_and_determinism():
    pre, post, sigma = _example()
    a = relative_magnitudes(pre, post, sigma, mbar=(1,), method="Conditional", **FAST)
    assert "no least-favourable first stage" in a.method
    b = relative_magnitudes(pre, post, sigma, mbar=(1,), seed=0, **FAST)
    c = relative_magnitudes(pre, post, sigma, mbar=(1,), seed=0, **FAST)
    pd.testing.assert_frame_equal(b.table, c.table)
    assert a.table["lb"][0] < a.table["id_lb"][0]


def test_to_dict_is_json_safe():
    pre, post, sigma = _example(2, 2, effect=0.6, seed=5)
    res = relative_magnitudes(pre, post, sigma, mbar=(0, 1), grid_points=200, lf_draws=2000)
    out = json.loads(json.dumps(res.to_dict()))
    assert out["restriction"] == "relative_magnitudes"
    assert [r["mbar"] for r in out["table"]] == [0.0, 1.0]


def test_fixed_grid_too_narrow_reports_open_interval():
    pre, post, sigma = _example()
    with pytest.warns(UserWarning, match="end of the theta grid"):
        res = relative_magnitudes(pre, post, sigma, mbar=(2,), grid_lb=0.4, grid_ub=0.6,
                                  **FAST)
    assert res.table["lb"][0] == -math.inf and res.table["ub"][0] == math.inf


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta_pre": []}, "beta_pre is empty"),
        ({"beta_post": []}, "beta_post is empty"),
        ({"sigma": np.eye(4)}, "sigma must be 5 x 5"),
        ({"beta_pre": [[0.1, 0.2, 0.3]]}, "1-d sequence"),
        ({"beta_pre": [0.1, np.nan, 0.0]}, "missing or infinite"),
        ({"sigma": np.triu(np.ones((5, 5))) + np.eye(5)}, "symmetric"),
        ({"sigma": np.diag([1.0, 1.0, 1.0, 1.0, -0.5])}, "not positive semi-definite"),
        ({"l_vec": [1.0, 0.0, 0.0]}, "one weight per post period"),
        ({"l_vec": [0.0, 0.0]}, "all zeros"),
        ({"mbar": [-1.0]}, "mbar must be"),
        ({"alpha": 1.5}, "alpha must be"),
        # the shared check: a missing alpha is a SpecError, not a TypeError from `<`
        ({"alpha": None}, r"alpha must be strictly between 0 and 1 \(e\.g\. 0\.05\); got None"),
        ({"method": "FLCI"}, "method must be"),
        ({"grid_points": 3}, "grid_points"),
    ],
)
def test_input_validation(kwargs, match):
    pre, post, sigma = _example()
    args = {"beta_pre": pre, "beta_post": post, "sigma": sigma}
    args.update(kwargs)
    with pytest.raises(SpecError, match=match):
        relative_magnitudes(args.pop("beta_pre"), args.pop("beta_post"), args.pop("sigma"),
                            **args)


def _event_study_result(ks, estimates, reference=-1):
    rows = [effect_row(f"event_time_{k}", e, 0.1, alpha=0.05, scale="additive")
            for k, e in zip(ks, estimates, strict=True)]
    return EvaluationResult(method="event_study", spec={"reference": reference, "alpha": 0.05},
                            effects=effects_table(rows), series=pd.DataFrame())


def test_from_event_study_matches_direct_call():
    pre, post, sigma = _example(3, 2)
    ks = [-4, -3, -2, 0, 1]
    order = [3, 0, 4, 1, 2]  # terms in a scrambled order
    result = _event_study_result([ks[i] for i in order], [np.r_[pre, post][i] for i in order])
    names = [f"event_time_{k}" for k in ks]
    vcov = pd.DataFrame(sigma, index=names, columns=names)
    a = relative_magnitudes_from_event_study(result, vcov, mbar=(0, 1), **FAST)
    b = relative_magnitudes(pre, post, sigma, mbar=(0, 1), **FAST)
    pd.testing.assert_frame_equal(a.table, b.table)
    arr = sigma[np.ix_(order, order)]
    c = relative_magnitudes_from_event_study(result, arr, mbar=(0, 1), **FAST)
    pd.testing.assert_frame_equal(c.table, b.table)


def test_from_event_study_errors():
    pre, post, sigma = _example(3, 2)
    gap = _event_study_result([-5, -3, -2, 0, 1], np.r_[pre, post])
    with pytest.raises(SpecError, match="consecutive"):
        relative_magnitudes_from_event_study(gap, sigma)
    ok = _event_study_result([-4, -3, -2, 0, 1], np.r_[pre, post])
    with pytest.raises(SpecError, match="vcov must be 5 x 5"):
        relative_magnitudes_from_event_study(ok, sigma[:4, :4])
    did = EvaluationResult(method="did", spec={}, series=pd.DataFrame(), effects=effects_table(
        [effect_row("att", 0.1, 0.1, alpha=0.05, scale="additive")]))
    with pytest.raises(SpecError, match="no event_time"):
        relative_magnitudes_from_event_study(did, sigma)
