"""Invariances the designs must respect (hypothesis)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalkit as ek
from evalkit.data.simulate import simulate_series

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(12), 6)
    p = np.tile(np.arange(6), 12)
    d = ((u < 5) & (p >= 3)).astype(float)
    y = rng.poisson(np.exp(2 + 0.1 * u - 0.3 * d + 0.05 * p)).astype(float)
    return pd.DataFrame({"unit": [f"d{i}" for i in u], "year": 2010 + p, "d": d, "y": y,
                         "pop": rng.integers(1000, 5000, 12)[u].astype(float)})


def est(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ek.did(df, outcome="y", unit="unit", time="year", treatment="d",
                      inference="cluster", **kw) \
            .effect("att")


@pytest.mark.slow  # 25 examples of four designs: 2-5 s
@SETTINGS
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_relabelling_and_reordering_units_changes_nothing(seed, perm_seed):
    df = panel(seed)
    labels = df["unit"].unique()
    new = dict(zip(labels, np.random.default_rng(perm_seed).permutation(
        [f"zone-{i}" for i in range(len(labels))]), strict=True))
    shuffled = df.assign(unit=df["unit"].map(new)).sample(frac=1, random_state=perm_seed)
    for family in ("ols", "poisson"):
        a, b = est(df, family=family), est(shuffled, family=family)
        assert a["estimate"] == pytest.approx(b["estimate"], rel=1e-9, abs=1e-12)
        assert a["std_error"] == pytest.approx(b["std_error"], rel=1e-8)


@SETTINGS
@given(seed=st.integers(0, 10_000), shift=st.floats(-1e4, 1e4, allow_nan=False))
def test_adding_a_constant_to_the_outcome_leaves_ols_effects_unchanged(seed, shift):
    df = panel(seed)
    a, b = est(df), est(df.assign(y=df["y"] + shift))
    assert a["estimate"] == pytest.approx(b["estimate"], abs=1e-7 * (1 + abs(shift)))
    assert a["std_error"] == pytest.approx(b["std_error"], rel=1e-6)


@SETTINGS
@given(seed=st.integers(0, 10_000), factor=st.floats(1e-3, 1e3))
def test_scaling_exposure_leaves_rate_ratios_unchanged(seed, factor):
    sim = simulate_series(start="2010-01", n_months=48, intervention_month=30, seed=seed)
    df = sim.data
    kw = {"outcome": "count", "time": "month", "intervention": "2012-07",
          "exposure": "population"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = ek.its(df, **kw)
        b = ek.its(df.assign(population=df["population"] * factor), **kw)
    for term in ("level_change", "slope_change", "cumulative_effect"):
        ra, rb = a.effect(term), b.effect(term)
        assert ra["estimate"] == pytest.approx(rb["estimate"], rel=1e-6, abs=1e-9)
        assert ra["std_error"] == pytest.approx(rb["std_error"], rel=1e-6)


@SETTINGS
@given(seed=st.integers(0, 10_000), factor=st.floats(0.01, 100))
def test_scaling_the_outcome_scales_ols_effects(seed, factor):
    df = panel(seed)
    a, b = est(df), est(df.assign(y=df["y"] * factor))
    assert b["estimate"] == pytest.approx(a["estimate"] * factor, rel=1e-7, abs=1e-9)
    assert b["std_error"] == pytest.approx(a["std_error"] * factor, rel=1e-7)
    assert math.isclose(a["p_value"], b["p_value"], rel_tol=1e-6, abs_tol=1e-12)
