"""ek.synth(inference="conformal"): Chernozhukov, Wüthrich & Zhu (2021) conformal inference.

Cross-checked on Prop 99 against pysyncon's conformal procedure
(``tests/reference/scripts/conformal_prop99_pysyncon.py``), on a small permutation example
by hand, and by the coverage of the average-effect interval in a simulation with a known
effect.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_synth import factor_panel, run  # tests/designs is on sys.path (rootdir conftest)

from evalkit.designs.synth import synth
from evalkit.errors import EvalkitWarning, SpecError
from evalkit.inference.conformal import block_p_value, conformal_interval

DATA = Path(__file__).parent.parent / "data" / "reference" / "smoking_prop99.csv"

# pysyncon 1.7.0, ConformalInference.confidence_intervals(alpha=0.05, tol=0.01,
# max_iter=500) with the CWZ simplex least-squares proxy (SLSQP), Prop 99 cigsale,
# California, pre 1970-1988: (gap, lower, upper) per post year, as printed by the script
# tests/reference/scripts/conformal_prop99_pysyncon.py.
# (pysyncon's search takes about 35 minutes for the 12 years.)
PYSYNCON = {
    1989: (-8.440, -14.817, 1.837), 1990: (-9.207, -16.400, 3.489),
    1991: (-12.634, -21.388, -4.963), 1992: (-13.729, -23.277, -6.268),
    1993: (-17.534, -30.735, -11.298), 1994: (-22.049, -39.330, -15.317),
    1995: (-22.858, -41.528, -14.309), 1996: (-23.997, -40.429, -15.969),
    1997: (-26.261, -47.468, -12.730), 1998: (-23.338, -44.678, -12.927),
    1999: (-27.520, -44.592, -16.382), 2000: (-26.597, -44.037, -16.854),
}


@pytest.fixture(scope="module")
def prop99():
    df = pd.read_csv(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return synth(df, outcome="cigsale", unit="state", time="year",
                     treated_unit="California", intervention=1989, inference="conformal")


def test_block_p_value_by_hand():
    # shifts of (1, 2, 3, 4) with the last two as post: post windows (3,4), (4,1), (1,2),
    # (2,3), means 3.5, 2.5, 1.5, 2.5; only the identity reaches 3.5
    assert block_p_value(np.array([1.0, 2, 3, 4]), 2) == pytest.approx(0.25)
    # one post period: the share of |u_s| >= |u_T|
    assert block_p_value(np.array([3.0, -1, 2, -2]), 1) == pytest.approx(0.75)
    with pytest.raises(SpecError, match="between 1 and 3 periods of the 4 residuals"):
        block_p_value(np.zeros(4), 4)


def test_interval_is_empty_when_the_estimate_is_rejected():
    assert np.isnan(conformal_interval(lambda theta: 0.01, 0.0, 1.0, 0.05)).all()
    lo, hi = conformal_interval(lambda theta: 1.0 if abs(theta - 2) < 3 else 0.0, 2.0, 0.5,
                                0.05)
    assert lo == pytest.approx(-1.0) and hi == pytest.approx(5.0)


def test_prop99_gaps_agree_with_pysyncon(prop99):
    eff = prop99.effects.set_index("term")
    for year, (gap, low, high) in PYSYNCON.items():
        row = eff.loc[f"gap_{year}"]
        assert row["estimate"] == pytest.approx(gap, abs=1e-3)
        # pysyncon stops its search within about tol = 0.01 of the end point (the largest
        # difference, 0.012, is in 1996); evalkit bisects to 1e-10
        assert row["ci_low"] == pytest.approx(low, abs=0.02)
        assert row["ci_high"] == pytest.approx(high, abs=0.02)
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_prop99_average_and_cumulative_rows(prop99):
    eff = prop99.effects.set_index("term")
    att, cum = eff.loc["att"], eff.loc["att_cumulative"]
    assert att["estimate"] == pytest.approx(-19.5136, abs=1e-3)
    # 31 periods, the observed |mean post residual| is the largest of the 31 shifts
    assert att["p_value"] == pytest.approx(1 / 31)
    assert att["ci_high"] < 0 < att["ci_high"] - att["ci_low"]
    assert cum["estimate"] == pytest.approx(12 * att["estimate"])
    assert (cum["ci_low"], cum["ci_high"]) == pytest.approx((12 * att["ci_low"],
                                                             12 * att["ci_high"]))
    assert cum["p_value"] == att["p_value"]
    assert cum["relative_effect"] == pytest.approx(att["relative_effect"])
    # the gap rows' p-values: 20 periods each, so at least 0.05
    gaps = eff.loc[eff.index.str.startswith("gap_")]
    assert len(gaps) == 12 and (gaps["p_value"] >= 0.05 - 1e-12).all()
    assert prop99.spec["vcov"].startswith("none: conformal inference")
    assert prop99.provenance["parameters"]["inference"] == "conformal"
    assert any(getattr(n, "code", "") == "synth_conformal" for n in prop99.sample["notes"])
    band = prop99.series.set_index("time")
    assert band.loc["1995", "ci_low"] == pytest.approx(eff.loc["gap_1995", "ci_low"])
    assert np.isnan(band.loc["1980", "ci_low"])


def test_conf_int_refuses_conformal_rows(prop99):
    for term in ("att", "att_cumulative", "gap_1990"):
        with pytest.raises(SpecError, match=f"interval of '{term}' in this synth result is "
                                            "not a Wald"):
            prop99.conf_int(0.9, terms=[term])


def test_conformal_rows_are_written_to_results_json(prop99):
    import jsonschema

    from evalkit.report.results_json import SCHEMA_PATH, build_results

    doc = build_results([prop99], template="synth", parameters={},
                        data=pd.read_csv(DATA))
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    assert "att_cumulative" in json.dumps(doc)


def test_default_inference_is_unchanged():
    df = factor_panel(seed=3)
    default, placebo = run(df), run(df, inference="placebo")
    pd.testing.assert_frame_equal(default.effects, placebo.effects)
    assert "att_cumulative" not in set(default.effects["term"])
    assert "inference" not in default.provenance["parameters"]


def test_too_few_periods_warns_and_intervals_are_unbounded():
    df = factor_panel(seed=5, n_pre=10, n_post=3)
    with pytest.warns(EvalkitWarning, match="Only 11 periods enter each conformal test"):
        res = synth(df, outcome="crimes", unit="area", time="year", treated_unit="treated_0",
                    intervention=2010, inference="conformal", placebo=False)
    att = res.effect("att")
    assert att["ci_low"] == -np.inf and att["ci_high"] == np.inf


def test_error_options():
    df = factor_panel(seed=6, n_treated=2)
    with pytest.raises(SpecError, match="inference must be one of 'placebo', 'conformal'"):
        run(df, inference="jackknife")
    with pytest.raises(SpecError, match="inference='conformal' takes one treated unit; got 2"):
        run(df, treated_unit=["treated_0", "treated_1"], inference="conformal")
    with pytest.raises(SpecError, match="without predictors; drop predictors="):
        run(df, predictors=[("income", (2000, 2019))], inference="conformal")
    with pytest.raises(SpecError, match="leave optimize_periods unset"):
        run(df, optimize_periods=(2010, 2019), inference="conformal")


@pytest.mark.slow
def test_average_effect_interval_covers_the_truth(coverage_band):
    """200 panels of a factor model (i.i.d. noise, the treated unit inside the donors'
    hull), true effect 3 in every post period: the 95 % interval for att covers 3 at the
    nominal rate. With 34 periods the test rejects only when the observed statistic is the
    largest of the 34 shifts (p = 1/34; 2/34 > 0.05), so the exact coverage is 33/34 =
    97.1 %; measured 197 of 200 (98.5 %), run on 2026-12-07."""
    reps, effect = 200, 3.0
    hits = 0
    for seed in range(reps):
        df = factor_panel(seed=1000 + seed, n_donors=8, n_pre=30, n_post=4, effect=effect)
        res = run(df, intervention=2030, placebo=False, inference="conformal")
        att = res.effect("att")
        hits += bool(att["ci_low"] <= effect <= att["ci_high"])
    low, high = coverage_band(reps)
    assert low <= hits / reps <= high, hits / reps
