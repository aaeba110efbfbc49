"""ek.sdid on simulated panels: exact recovery, a known effect, the result's contract, errors.

Reference values (Prop 99, diff-diff) are in tests/reference/test_sdid_reference.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.panel import load_panel
from evalkit.designs import registry
from evalkit.designs.sdid import SdidExtras, sdid
from evalkit.errors import DataError, SpecError

COLS = {"outcome": "y", "unit": "area", "time": "year", "treatment": "treated"}


def panel(*, n_control: int = 12, n_treated: int = 2, n_pre: int = 8, n_post: int = 4,
          effect: float = -3.0, noise: float = 1.0, seed: int = 0,
          starts: list[int] | None = None) -> pd.DataFrame:
    """Unit and year effects, an area-specific loading on a common factor, normal noise;
    the last ``n_treated`` areas are treated from year ``n_pre`` (or their ``starts``)."""
    rng = np.random.default_rng(seed)
    n, t = n_control + n_treated, n_pre + n_post
    a, b = rng.normal(50, 10, n), np.cumsum(rng.normal(0, 1, t))
    load, f = rng.normal(1, 0.3, n), np.sin(np.arange(t) / 2)
    starts = starts or [n_pre] * n_treated
    d = np.zeros((n, t), int)
    for k, s in enumerate(starts):
        d[n_control + k, s:] = 1
    y = a[:, None] + b + load[:, None] * f + rng.normal(0, noise, (n, t)) + effect * d
    return pd.DataFrame([(f"a{u:02d}", 2000 + s, y[u, s], d[u, s])
                         for u in range(n) for s in range(t)],
                        columns=["area", "year", "y", "treated"])


def test_parallel_trends_without_noise_give_the_effect_exactly():
    df = panel()  # rows area by area, 12 years each; outcome replaced below
    # y = a_i + b_t - 3 D: no factor, no noise
    rng = np.random.default_rng(1)
    a, b = rng.normal(50, 10, 14), np.cumsum(rng.normal(0, 1, 12))
    df["y"] = a[df.index // 12] + b[df.index % 12] - 3.0 * df["treated"]
    res = sdid(df, **COLS)
    assert res.effect("att")["estimate"] == pytest.approx(-3.0, abs=1e-9)
    assert res.effect("att")["std_error"] == pytest.approx(0.0, abs=1e-9)


def test_a_known_effect_is_recovered_within_its_interval():
    res = sdid(panel(effect=-3.0, seed=3), **COLS)
    att = res.effect("att")
    assert 0.1 < att["std_error"] < 2.0
    assert att["ci_low"] < -3.0 < att["ci_high"]
    assert att["ci_high"] < 0  # an effect of 3 noise SDs on 2 areas x 4 years is seen


def test_result_contract():
    df = panel(seed=4)
    res = sdid(df, **COLS)
    assert res.method == "sdid"
    entry = registry.get("sdid")
    assert (entry.term, entry.role, entry.level(res), entry.label) == (
        "att", "effect", 3, "eval.design.sdid")
    assert isinstance(res.extras, SdidExtras)
    with pytest.raises(TypeError, match="frozen"):
        res.extras.unit_weights["a00"] = 1.0
    assert sum(res.extras.unit_weights.values()) == pytest.approx(1.0)
    assert sum(res.extras.time_weights.values()) == pytest.approx(1.0)
    assert set(res.extras.unit_weights) == {f"a{u:02d}" for u in range(12)}
    assert list(res.extras.time_weights) == [str(y) for y in range(2000, 2008)]
    # the plotted gap after the start averages to the estimate
    s = res.series
    assert s.loc[s["post"], "gap"].mean() == pytest.approx(res.effect("att")["estimate"])
    assert (res.sample["n_treated_units"], res.sample["n_never_treated"],
            res.sample["n_pre"], res.sample["n_post"]) == (2, 12, 8, 4)
    ci = res.conf_int(0.9)
    assert ci.loc[0, "ci_high"] < res.effect("att")["ci_high"]
    json.dumps(res.to_dict())
    # the prevented crimes count every treated area-period after the start
    est = res.effect("att")["estimate"]
    assert entry.prevented(res, res.effect("att"), None)[0] == pytest.approx(-est * 2 * 4)


def test_relative_effect_is_observed_over_counterfactual_mean():
    df = panel(seed=5)
    res = sdid(df, **COLS)
    att = res.effect("att")
    obs = df.loc[df["treated"] == 1, "y"].mean()
    assert att["relative_effect"] == pytest.approx(obs / (obs - att["estimate"]))
    assert att["relative_ci_low"] < att["relative_effect"] < att["relative_ci_high"]
    neg = df.assign(y=df["y"] - 100)
    assert math.isnan(sdid(neg, **COLS).effect("att").get("relative_effect", math.nan))


def test_panel_input_and_exported_name():
    df = panel(seed=6)
    p = load_panel(df, unit="area", time="year", outcome="y")
    a, b = sdid(df, **COLS), ek.sdid(p, treatment="treated")
    assert a.effect("att")["estimate"] == pytest.approx(b.effect("att")["estimate"], abs=1e-12)
    assert a.provenance["data_sha256"] == b.provenance["data_sha256"] == p.sha256


def test_variance_methods_and_seed():
    df = panel(seed=7, n_treated=3)
    placebo = sdid(df, **COLS, vcov="placebo", replications=30, seed=1)
    again = sdid(df, **COLS, vcov="placebo", replications=30, seed=1)
    other = sdid(df, **COLS, vcov="placebo", replications=30, seed=2)
    boot = sdid(df, **COLS, vcov="bootstrap", replications=20, seed=1)
    assert placebo.effect("att")["std_error"] == again.effect("att")["std_error"]
    assert placebo.effect("att")["std_error"] != other.effect("att")["std_error"]
    assert (placebo.extras.vcov_method, boot.extras.vcov_method) == ("placebo", "bootstrap")
    assert boot.extras.replications == 20
    for r in (placebo, boot):
        assert 0.05 < r.effect("att")["std_error"] < 3.0


def test_auto_variance_is_placebo_unless_comparison_areas_are_too_few():
    res = sdid(panel(n_treated=1, seed=8), **COLS, replications=20)
    assert res.extras.vcov_method == "placebo"
    assert res.series["unit"].iloc[0] == "a12"
    assert sdid(panel(n_treated=3, seed=8), **COLS, replications=20).extras.vcov_method \
        == "placebo"
    few = sdid(panel(n_control=2, n_treated=2, seed=8), **COLS)
    assert (few.extras.vcov_method, few.extras.replications) == ("jackknife", 4)


# -- errors ---------------------------------------------------------------------------------
def test_staggered_starts_point_to_staggered_did():
    df = panel(n_treated=2, starts=[8, 9])
    with pytest.raises(DataError, match=r"same period, but column 'treated' starts in 2 "
                                        r"different periods \(2008: a12; 2009: a13\)\. Fix: "
                                        r"use ek\.staggered_did"):
        sdid(df, **COLS)


def test_no_comparison_area():
    df = panel(n_control=0, n_treated=3)
    with pytest.raises(DataError, match=r"marks every one of the 3 areas as treated: no area "
                                        r"is left to compare with"):
        sdid(df, **COLS)


def test_too_few_pre_periods():
    with pytest.raises(DataError, match=r"at least 5 periods before the start \(2003\) to "
                                        r"fit the weights, but the data have 3"):
        sdid(panel(n_pre=3), **COLS)


def test_unbalanced_panel():
    df = panel()
    short = df[~((df["area"] == "a03") & (df["year"] == 2011))]
    with pytest.raises(DataError, match="Expected a balanced panel"):
        sdid(short, **COLS)
    p = load_panel(short, unit="area", time="year", outcome="y")
    with pytest.raises(DataError, match=r"Expected a balanced panel .* missing in some periods "
                                        r"of: a03 \(1\)"):
        sdid(p, treatment="treated")


def test_treatment_that_stops():
    df = panel()
    df.loc[(df["area"] == "a13") & (df["year"] == 2011), "treated"] = 0
    with pytest.raises(DataError, match=r"absorbing treatment .* area 'a13' on from 2008, off "
                                        r"again in 2011"):
        sdid(df, **COLS)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"vcov": "nope"}, r"vcov must be one of 'auto', 'placebo', 'jackknife', 'bootstrap'"),
    ({"replications": 1}, r"replications must be a whole number of at least 2; got 1"),
    ({"replications": 2.5}, r"replications must be a whole number"),
    ({"seed": "x"}, r"seed must be a whole number or None; got 'x'"),
    ({"alpha": 2}, r"alpha"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(SpecError, match=message):
        sdid(panel(), **COLS, **kwargs)


def test_variance_the_data_cannot_support():
    with pytest.raises(SpecError, match=r"vcov='placebo' needs more comparison than treated "
                                        r"units; there are 2 comparison and 2 treated"):
        sdid(panel(n_control=2, n_treated=2), **COLS, vcov="placebo")
    with pytest.raises(SpecError, match=r"vcov='jackknife' needs at least two treated units"):
        sdid(panel(n_treated=1), **COLS, vcov="jackknife")


def test_batched_and_single_frank_wolfe_agree():
    from evalkit.designs.sdid import _frank_wolfe
    rng = np.random.default_rng(9)
    y = rng.normal(size=(5, 15, 9)).cumsum(axis=1)
    start = rng.dirichlet(np.ones(8), 5)
    together = _frank_wolfe(y, 0.3, start, 1e-6, 2_000)
    for b in range(5):
        alone = _frank_wolfe(y[b:b + 1], 0.3, start[b:b + 1], 1e-6, 2_000)
        np.testing.assert_allclose(together[b], alone[0], atol=1e-10)
    assert np.allclose(together.sum(axis=1), 1) and (together >= 0).all()


def test_jackknife_is_undefined_when_one_comparison_area_carries_all_the_weight():
    from evalkit.designs.sdid import _se_jackknife
    y = np.random.default_rng(10).normal(size=(6, 8))
    lam = np.full(5, 0.2)
    assert math.isnan(_se_jackknife(y, 4, 5, np.array([0.0, 1.0, 0.0, 0.0]), lam))
    assert _se_jackknife(y, 4, 5, np.array([0.0, 0.5, 0.5, 0.0]), lam) > 0


def test_the_seed_used_is_recorded():
    from evalkit._checks import DEFAULT_SEED
    res = sdid(panel(n_treated=1, seed=11), **COLS, replications=10)
    assert res.provenance["seed"] == DEFAULT_SEED


def test_results_json_accepts_the_result():
    import jsonschema

    from evalkit.report.results_json import SCHEMA_PATH, build_results

    df = panel(seed=12)
    res = sdid(df, **COLS)
    doc = build_results([res], template="sdid", parameters={}, data=df)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    row = next(e for e in doc["estimates"] if e["term"] == "att")
    assert row["estimate"] == pytest.approx(res.effect("att")["estimate"])
