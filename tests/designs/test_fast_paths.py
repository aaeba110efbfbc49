"""The balanced-panel fast paths give the same numbers as the general path (1e-8).

On a complete unit × period grid the two-way demeaning is done in closed form (OLS) or by
row/column reductions of the grid (Poisson IRLS weights); elsewhere alternating
projections over integer codes are used. Forcing the general path (``_grid_cells`` returning
None) must not change any estimate, standard error or interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.designs import _engine

TOL = 1e-8


def _panel(n_units: int = 40, n_periods: int = 24, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    start = rng.choice([0, 8, 12, 16], n_units)[unit]
    d = ((start > 0) & (t >= start)).astype(float)
    months = pd.period_range("2019-01", periods=n_periods, freq="M").astype(str)
    y = rng.normal(size=n_units)[unit] + 0.1 * t + 0.5 * d + rng.normal(size=len(unit))
    lam = np.exp(1.5 + 0.3 * rng.normal(size=n_units)[unit] + 0.02 * t - 0.25 * d)
    cohort = np.where(start > 0, months.to_numpy()[np.minimum(start, n_periods - 1)], "never")
    return pd.DataFrame({"area": [f"a{u:02d}" for u in unit], "month": months[t], "y": y,
                         "count": rng.poisson(lam), "d": d, "cohort": cohort,
                         "pop": rng.uniform(1, 3, n_units)[unit]})


@pytest.fixture
def general_path(monkeypatch):
    """Disable the complete-grid detection, so every fit takes alternating projections."""
    def force():
        monkeypatch.setattr(_engine, "_grid_cells", lambda fixed_effects: None)
        import evalkit.designs.did as did_module
        monkeypatch.setattr(did_module, "_grid_cells", lambda fixed_effects: None)
    return force


def _numbers(res: ek.EvaluationResult) -> np.ndarray:
    cols = ["estimate", "std_error", "ci_low", "ci_high", "p_value"]
    return res.tidy()[cols].to_numpy(float)


CASES = {
    "twfe_ols": lambda df: ek.did(df, outcome="y", unit="area", time="month", treatment="d",
                                  inference="cluster"),
    "twfe_weighted": lambda df: ek.did(df, outcome="y", unit="area", time="month",
                                       treatment="d", weights="pop", inference="cluster"),
    "twfe_poisson": lambda df: ek.did(df, outcome="count", unit="area", time="month",
                                      treatment="d", family="poisson", inference="cluster"),
    "event_study": lambda df: ek.event_study(df, outcome="y", unit="area", time="month",
                                             cohort="cohort", leads=4, lags=6),
}


@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_equals_general_path(case, general_path):
    df = _panel()
    fast = _numbers(CASES[case](df))
    shuffled = _numbers(CASES[case](df.sample(frac=1, random_state=1)))
    general_path()
    slow = _numbers(CASES[case](df))
    np.testing.assert_allclose(fast, slow, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(shuffled, slow, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ordered", [False, True])
def test_grid_demeaning_equals_alternating_projections(weighted, ordered):
    rng = np.random.default_rng(7)
    n_a, n_b = 30, 11
    a = np.repeat(np.arange(n_a), n_b)
    b = np.tile(np.arange(n_b), n_a)
    if not ordered:
        perm = rng.permutation(len(a))
        a, b = a[perm], b[perm]
    x = rng.normal(size=(len(a), 3)) + 5 * a[:, None] - 2 * b[:, None]
    w = rng.uniform(0.1, 10, len(a)) if weighted else None
    fast = _engine.demean(x, [a, b], w)
    slow = _engine.demean(x, [a, b], w, cells=None)
    np.testing.assert_allclose(fast, slow, atol=TOL)
    # the residuals are orthogonal to both sets of dummies
    ww = np.ones(len(a)) if w is None else w
    for codes in (a, b):
        sums = np.stack([np.bincount(codes, weights=ww * fast[:, j]) for j in range(3)])
        np.testing.assert_allclose(sums, 0, atol=1e-8)


def test_grid_detection_rejects_incomplete_or_repeated_cells():
    a = np.array([0, 0, 1, 1])
    assert _engine._grid_cells([a, np.array([0, 1, 0, 1])]) is not None
    assert _engine._grid_cells([a, np.array([0, 0, 1, 1])]) is None  # repeated cells
    assert _engine._grid_cells([a[:3], np.array([0, 1, 0])]) is None  # a missing cell
    assert _engine._grid_cells([a]) is None  # one fixed effect


def test_warm_started_demeaning_gives_the_same_residuals():
    rng = np.random.default_rng(11)
    a = rng.integers(0, 25, 600)
    b = rng.integers(0, 9, 600)  # unbalanced: alternating projections
    x = rng.normal(size=(600, 2))
    w = rng.uniform(0.5, 2, 600)
    start = x - (3.0 * (a == 4) - 1.5 * (b == 2))[:, None]  # x minus fixed effects
    np.testing.assert_allclose(_engine.demean(x, [a, b], w, start=start),
                               _engine.demean(x, [a, b], w), atol=1e-9)
