"""Every design on one partnership (run_designs) and their triangulation (agreement, SMS grade,
cost per crime prevented), on simulated cities whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evalkit.data.simulate import simulate_city
from evalkit.designs.evaluation import run_designs, treated_cells
from evalkit.designs.triangulate import MANY, triangulate
from evalkit.errors import DataError, SpecError
from evalkit.results import Diagnostic, EvaluationResult, effect_row, effects_table

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
ASB = "antisocial_behaviour"
KW = {"outcome": ASB, "unit": "district", "time": "month", "treatment": "partnership",
      "exposure": "population", "seed": 1}


def _city(*, shock: float | None = None, seed: int = 11, **kw) -> pd.DataFrame:
    """One treated district (ASB rate ratio 0.8 from 2021-06) in 20; ``shock`` thins every
    district's counts from 2021-06 on (a citywide change, e.g. in recording practice)."""
    kw.setdefault("roll_out", "single")
    city = simulate_city(crimes=(ASB,), effect={ASB: 0.8}, population_range=(40_000, 80_000),
                         overdispersion=None, seed=seed, **kw)
    df = city.data.copy()
    if shock is not None:
        post = df["month"] >= "2021-06"
        df.loc[post, ASB] = np.random.default_rng(seed).binomial(df.loc[post, ASB], shock)
    return df


def _tri(df: pd.DataFrame, **kw):
    run = run_designs(df, **{**KW, **kw})
    return run, triangulate(run.results, treated_total=run.treated_total,
                            concerns=run.concerns, sensitivity=run.sensitivity)


# -- designs that should and should not agree ---------------------------------------------------
@pytest.mark.parametrize("seed", [11, 12])
def test_designs_agree_on_a_city_without_citywide_shock(seed):
    run, tri = _tri(_city(seed=seed))
    assert [r.method for r in run.results] == ["its", "controlled_its", "synth"]
    assert tri.agreement in ("agree", "single") and tri.direction == "reduction"
    assert tri.strongest == "controlled_its" and tri.sms_level == 3
    assert tri.context == "its" and not tri.row("its")["strong"]
    best = tri.row("controlled_its")
    assert best["ci_low"] < -20 < best["ci_high"]
    diag = {d.name: d for d in tri.diagnostics()}
    assert diag["designs_agree"].passed and diag["evidence_level"].statistic == 3
    # the level-only headline, with the change of trend as a sensitivity row
    assert "slope_change" not in set(run.get("controlled_its").effects["term"])
    assert list(tri.sensitivity["design"]) == ["controlled_its"]
    assert tri.verdict().sensitivity[0]["variant"] == "slope_change"


@pytest.mark.parametrize("seed", [11, 13])
def test_a_citywide_shock_makes_the_its_disagree_and_the_grade_rests_on_the_comparison(seed):
    _, tri = _tri(_city(shock=0.6, seed=seed))
    assert tri.row("its")["ci_high"] < -40, "the ITS counts the citywide fall as an effect"
    best = tri.row(tri.strongest)
    assert tri.strongest == "controlled_its" and best["ci_low"] < -20 < best["ci_high"]
    assert tri.direction == "reduction", "the ITS without comparison areas never votes"


def test_many_treated_areas_with_one_start_use_twfe_and_its_event_study_level_4():
    df = _city(roll_out="common", n_treated=6)
    run, tri = _tri(df)
    assert [r.method for r in run.results] == ["its", "did", "event_study"]
    assert "event_study" not in set(tri.table["design"])
    assert tri.strongest == "did" and tri.sms_level == 4
    assert tri.row("did")["ci_low"] < -20 < tri.row("did")["ci_high"]
    assert any(n.code == "eval_no_synth" for n in run.notes)


def test_staggered_start_uses_group_time_effects_and_the_first_cohort_for_the_its():
    df = _city(roll_out="staggered", n_treated=6)
    run, tri = _tri(df)
    assert [r.method for r in run.results] == ["its", "staggered_did"]
    first = min(run.treated.values())
    assert set(run.its_areas) == {a for a, s in run.treated.items() if s == first}
    # crimes prevented = -ATT x treated cells; its interval swaps the ATT's bounds
    att = run.get("staggered_did").effect("att_simple")
    _, cells = treated_cells(df, outcome=ASB, unit="district", time="month", first=run.treated)
    row = tri.row("staggered_did")
    assert row["prevented"] == pytest.approx(-att["estimate"] * cells)
    assert row["prevented_low"] == pytest.approx(-att["ci_high"] * cells)
    assert tri.strongest == "staggered_did" and tri.sms_level == 4
    assert row["ci_low"] < -20 < row["ci_high"]


def test_areas_treated_from_the_first_period_are_left_out_of_every_design():
    """An area under the partnership from the data's first period (e.g. a state whose law
    predates the panel) informs no design: it used to start the ITS's first cohort (0
    pre-periods: ITS dropped) and to count in the treated totals though the group-time DiD
    dropped it."""
    df = _city(roll_out="staggered", n_treated=6, n_districts=24)
    always = sorted(df.loc[df["partnership"] == 1, "district"].unique())[0]
    df.loc[df["district"] == always, "partnership"] = 1
    run, _ = _tri(df)
    assert run.always_treated == (always,)
    assert always not in run.treated and always not in run.its_areas
    assert always not in run.comparison
    assert [r.method for r in run.results] == ["its", "staggered_did"]
    assert run.get("its").sample["n_pre"] >= 12, "the first cohort with pre-periods"
    (note,) = [n for n in run.notes if n.code == "eval_always_treated_one"]
    assert f"One area, {always}, was under the partnership from its first period" in note
    staggered = run.get("staggered_did")
    assert staggered.sample["n_treated_units"] == 5
    assert "cs_dropped_first_period" not in {getattr(w, "code", None)
                                             for w in staggered.warnings}
    # the same estimates and totals as with that area out of the file
    alone = run_designs(df[df["district"] != always], **KW)
    pd.testing.assert_frame_equal(staggered.effects, alone.get("staggered_did").effects)
    assert run.treated_total == alone.treated_total


def test_when_every_treated_area_is_treated_from_the_first_period_no_design_can_run(
        small_city):
    treated = small_city.loc[small_city["partnership"] == 1, "district"].iloc[0]
    df = small_city.assign(partnership=(small_city["district"] == treated).astype(int))
    with pytest.raises(DataError, match=rf"every partnership area \({treated}\) is under the "
                                        r"partnership from its first period .* Fix: use data "
                                        r"that begin before the partnership started"):
        run_designs(df, **KW)


def test_failed_pre_trend_removes_the_did_from_the_grade():
    df = _city(roll_out="staggered", n_treated=6)
    cohort_start = df.groupby("district")["partnership"].transform("max") > 0
    t = pd.PeriodIndex(df["month"], freq="M").year.to_numpy() - 2017
    df[ASB] = (df[ASB] * np.where(cohort_start, 1.0 + 0.25 * t, 1.0)).round().astype(int)
    _, tri = _tri(df)
    row = tri.row("staggered_did")
    assert not row["credible"] and row["concern"] == "eval_pre_trend"
    # the equally confounded ITS must not speak for the partnership: no direction
    assert tri.strongest is None and tri.direction == "none" and tri.context == "its"
    assert tri.sms_level == 2 and tri.verdict().best_design is None


def test_displacement_row_is_the_buffer_part_of_the_wdd():
    df = _city(n_buffer=2, buffer_effect={ASB: 1.3})
    buffer = sorted(df.loc[df["ring"] == "buffer", "district"].unique())
    controls = sorted(df.loc[df["ring"] == "control", "district"].unique())
    run, tri = _tri(df, buffer=buffer, buffer_control=controls[:8])
    wdd = run.get("wdd")
    row = tri.row("wdd")
    assert row["role"] == "displacement" and row["unit"] == "crimes"
    assert row["estimate"] == pytest.approx(wdd.effect("wdd_displacement")["estimate"])
    assert row["ci_low"] > 0, "a 30 % rise next door is displacement"
    assert set(buffer).isdisjoint(run.comparison)
    synth = run.get("synth")
    assert set(buffer).isdisjoint(synth.extras.donor_weights)


# -- agreement, grade and cost from given estimates ---------------------------------------------
_PRE_TREND_OK = Diagnostic("pre_trend", "parallel trends", 1.0, 0.5, True)


def _result(method: str, pct: float, lo: float, hi: float, *, n_pre: int = 48,
            diagnostics: tuple[Diagnostic, ...] | None = None, fitted: float = 400.0,
            **sample) -> EvaluationResult:
    """A result whose headline term has the % change ``pct`` (``lo`` to ``hi``); the ITS ones
    have a fitted post-period total ``fitted`` and a passed pre-trend test for the DiD."""
    term = {"its": "cumulative_effect", "controlled_its": "cumulative_effect",
            "did": "att"}[method]
    ratios = (1 + pct / 100, 1 + lo / 100, 1 + hi / 100)
    if method == "did":
        values = tuple(math.log(r) for r in ratios)
    else:  # cumulative effect = fitted - counterfactual = fitted (1 - 1/ratio)
        values = tuple(fitted * (1 - 1 / r) for r in ratios)
    row = effect_row(term, values[0], 0.1, alpha=0.05, scale="log" if method == "did"
                     else "additive")
    row.update(ci_low=values[1], ci_high=values[2], relative_effect=ratios[0],
               relative_ci_low=ratios[1], relative_ci_high=ratios[2])
    series = pd.DataFrame({"unit": ["treated"], "time": ["2024-01"], "post": [True],
                           "fitted": [fitted]})
    if diagnostics is None:
        diagnostics = (_PRE_TREND_OK,) if method == "did" else ()
    return EvaluationResult(method=method, spec={"alpha": 0.05}, effects=effects_table([row]),
                            series=series, diagnostics=diagnostics,
                            sample={"n_pre": n_pre, **sample})


def test_agreement_is_a_test_of_the_difference_not_an_overlap():
    did = _result("did", -30, -40, -18, n_treated_units=6, n_never_treated=10)
    close, far = _result("controlled_its", -15, -28, 0), _result("controlled_its", 5, -5, 16)
    tri = triangulate([did, close])
    assert tri.agreement == "agree" and tri.direction == "reduction"
    assert tri.strongest == "did", "the pre-declared order, not the narrowest interval"
    p = tri.row("controlled_its")["difference_p"]
    assert 0.05 < p < 0.5 and tri.agreement_p == pytest.approx(p)
    tri = triangulate([did, far])
    assert tri.agreement == "disagree" and tri.direction == "contested"
    assert tri.apart == ("did", "controlled_its") and tri.agreement_p < 0.05
    assert triangulate([did]).agreement == "single"


def test_the_difference_test_reads_each_standard_error_off_its_interval():
    """Hand check: log ratios 0.7 and 0.85 with 95 % intervals of half-width 1.96 x 0.1 on
    the log scale differ by z = log(0.85 / 0.7) / sqrt(0.02)."""
    from scipy.stats import norm

    from evalkit.designs.triangulate import difference_p
    z = norm.ppf(0.975)

    def row(ratio: float) -> pd.Series:
        lo, hi = ratio * math.exp(-z * 0.1), ratio * math.exp(z * 0.1)
        return pd.Series({"estimate": 100 * (ratio - 1), "ci_low": 100 * (lo - 1),
                          "ci_high": 100 * (hi - 1)})
    expected = 2 * norm.sf(math.log(0.85 / 0.7) / math.sqrt(0.02))
    assert difference_p(row(0.7), row(0.85)) == pytest.approx(expected)
    open_ended = pd.Series({"estimate": -10.0, "ci_low": -100.0, "ci_high": math.inf})
    assert math.isnan(difference_p(row(0.7), open_ended))


def test_the_its_is_a_context_line_and_never_sets_the_direction():
    tri = triangulate([_result("its", -30, -40, -20), _result("controlled_its", -5, -20, 12)])
    assert tri.direction == "no_clear_change" and tri.strongest == "controlled_its"
    assert tri.context == "its" and tri.agreement == "single"
    alone = triangulate([_result("its", -30, -40, -20)])
    assert alone.direction == "none" and alone.strongest is None and alone.sms_level == 2
    verdict = alone.verdict().to_dict()
    assert verdict["direction"] == "none"
    assert verdict["context"]["estimate_pct"] == pytest.approx(-30)


def test_confounds_lower_the_grade_or_remove_the_before_after_comparison():
    from evalkit.i18n import Caveat
    its, cits = _result("its", -30, -40, -20), _result("controlled_its", -25, -35, -14)
    peak = Caveat("eval_peak_selection", ratio=1.4, share=97.0, window=3, m=1)
    tri = triangulate([its, cits], concerns=[peak])
    assert tri.row("controlled_its")["sms_level"] == 2 and tri.direction == "none"
    assert tri.row("its")["sms_level"] == 1 and tri.context is None
    # the report shows the design the confound held back, and says why
    assert tri.held == "controlled_its" and tri.sms_level == 2
    from evalkit.report.evaluation import headline
    text = str(headline(tri, lang="en", outcome="y"))
    assert "estimates a change of -25%" in text and "no conclusion is drawn" in text
    assert "No design with comparison areas passed its checks" not in text
    city = Caveat("eval_citywide_change", pct=-18.0, p=0.001)
    tri = triangulate([its, cits], concerns=[city])
    assert tri.row("its")["concern"] == "eval_its_citywide" and tri.context is None
    assert tri.direction == "reduction" and tri.sms_level == 3
    codes = [c["code"] for c in tri.verdict().concerns]
    assert codes == ["eval_citywide_change", "eval_its_citywide"]
    many = _result("did", -20, -30, -10, n_treated_units=MANY, n_never_treated=MANY)
    assert triangulate([many], concerns=[peak]).sms_level == 3


def test_the_verdict_is_json_ready():
    import json
    tri = triangulate([_result("controlled_its", -20, -30, -10)], cost=30_000)
    verdict = tri.verdict().to_dict()
    json.dumps(verdict, allow_nan=False)
    assert verdict["best_design"] == "controlled_its" and verdict["evidence_level"] == 3
    assert verdict["estimate_pct"] == pytest.approx(-20) and verdict["prevented"] == \
        pytest.approx(100.0)


def test_short_pre_period_its_is_not_credible_and_no_credible_design_means_no_grade():
    tri = triangulate([_result("its", -30, -40, -20, n_pre=6)])
    assert tri.agreement == "none" and tri.sms_level is None and tri.strongest is None
    assert tri.row("its")["concern"] == "eval_short_pre"


def test_sms_level_4_needs_many_treated_and_many_comparison_areas():
    few = _result("did", -20, -30, -10, n_treated_units=MANY - 1, n_never_treated=10)
    many = _result("did", -20, -30, -10, n_treated_units=MANY, n_never_treated=MANY)
    assert triangulate([few]).sms_level == 3 and triangulate([many]).sms_level == 4


def test_crimes_prevented_by_an_its_match_its_percent_interval():
    row = triangulate([_result("controlled_its", -20, -30, -10)]).row("controlled_its")
    # fitted 400 with a ratio of 0.8: 100 prevented; the % interval's ratios 0.7 and 0.9
    assert row["prevented"] == pytest.approx(100.0)
    assert row["prevented_low"] == pytest.approx(400 * (1 / 0.9 - 1))
    assert row["prevented_high"] == pytest.approx(400 * (1 / 0.7 - 1))


def test_cost_per_crime_prevented_swaps_the_bounds_and_is_unbounded_without_prevention():
    tri = triangulate([_result("controlled_its", -20, -30, -10)], cost=30_000)
    lo, hi = 30_000 / (400 * (1 / 0.7 - 1)), 30_000 / (400 * (1 / 0.9 - 1))
    assert tri.cost_per_crime == pytest.approx((300.0, lo, hi))
    # the interval now includes crimes added: no upper bound
    tri = triangulate([_result("controlled_its", -20, -30, 25)], cost=30_000)
    assert tri.cost_per_crime[0] == pytest.approx(300.0) and tri.cost_per_crime[2] == math.inf


def test_an_open_interval_cannot_give_the_best_estimate():
    did = _result("did", -20, -30, -10, n_treated_units=6, n_never_treated=10)
    open_ended = did.effects.assign(relative_ci_low=0.0, relative_ci_high=math.inf)
    unbounded = EvaluationResult(method="did", spec={"alpha": 0.05}, effects=open_ended,
                                 series=did.series, diagnostics=did.diagnostics,
                                 sample=dict(did.sample))
    cits = _result("controlled_its", -10, -25, 8)
    tri = triangulate([unbounded, cits])
    assert tri.row("did")["ci_high"] == math.inf and tri.row("did")["strong"]
    assert tri.strongest == "controlled_its", "the next design in the order that bounds it"
    assert tri.direction == "no_clear_change"
    assert math.isnan(tri.row("did")["difference_p"]) and tri.agreement == "single"


def _staggered(relative: tuple[float, float, float] | None) -> EvaluationResult:
    """A group-time ATT of -2 (-3 to -1) per area-period over two cohorts: 2020 (2 areas,
    post-periods 2020-2021) and 2021 (1 area, post-period 2021); 5 treated area-periods."""
    row = effect_row("att_simple", -2.0, 0.5, alpha=0.05, scale="additive")
    row.update(ci_low=-3.0, ci_high=-1.0)
    if relative is not None:
        row.update(dict(zip(("relative_effect", "relative_ci_low", "relative_ci_high"),
                            relative, strict=True)))
    cells = [("2020", "2019", -1), ("2020", "2020", 0), ("2020", "2021", 1),
             ("2021", "2020", -1), ("2021", "2021", 0)]
    series = pd.DataFrame({"aggregation": "gt", "key": [f"{g}_{t}" for g, t, _ in cells],
                           "estimate": -2.0, "group": [g for g, _, _ in cells],
                           "time": [t for _, t, _ in cells],
                           "event_time": [float(e) for _, _, e in cells]})
    return EvaluationResult(method="staggered_did", spec={"alpha": 0.05}, series=series,
                            effects=effects_table([row]), diagnostics=(_PRE_TREND_OK,),
                            sample={"cohort_sizes": {"2020": 2, "2021": 1}})


def test_the_percent_change_is_the_design_own_relative_effect_never_the_data_file():
    """The design's ratio (from the cells it estimated) gives the %: a treated total of
    other cells (e.g. always-treated areas the estimator dropped) must not move it."""
    res = _staggered((0.86, 0.80, 0.93))
    row = triangulate([res]).row("staggered_did")
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx((-14, -20, -7))
    assert row["credible"]
    again = triangulate([res], treated_total=1e6).row("staggered_did")
    assert again["estimate"] == pytest.approx(-14)
    # crimes prevented = -ATT x the treated area-periods it averages: 2x2 + 1x1 = 5
    assert (row["prevented"], row["prevented_low"], row["prevented_high"]) == \
        pytest.approx((10.0, 5.0, 15.0))


def test_a_design_without_its_own_relative_effect_has_no_percent_and_is_not_counted():
    tri = triangulate([_staggered(None), _result("its", -30, -40, -20)])
    row = tri.row("staggered_did")
    assert math.isnan(row["estimate"]) and not row["credible"]
    assert row["concern"] == "eval_no_relative"
    assert tri.strongest is None and tri.agreement == "none" and tri.context == "its"
    assert "eval_no_relative" in {r.code for r in tri.reasons}


def test_a_did_without_a_pre_trend_test_is_not_counted():
    res = _result("did", -20, -30, -10, diagnostics=())
    row = triangulate([res], treated_total=800.0).row("did")
    assert not row["credible"] and row["concern"] == "eval_unchecked"


def test_poisson_did_prevented_uses_the_observed_treated_total():
    res = _result("did", -20, -30, -10)
    row = triangulate([res], treated_total=800.0).row("did")
    assert row["prevented"] == pytest.approx(800 * (1 / 0.8 - 1))
    assert row["prevented_low"] == pytest.approx(800 * (1 / 0.9 - 1))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"cost": -5}, "cost must be a positive amount"),
    ({"alpha": 2}, "alpha"),
])
def test_triangulate_option_errors(kwargs, match):
    with pytest.raises(SpecError, match=match):
        triangulate([_result("its", -30, -40, -20)], **kwargs)


def test_triangulate_refuses_an_unknown_design():
    res = EvaluationResult(method="cohort_outcome", spec={}, series=pd.DataFrame(),
                           effects=effects_table([effect_row("att", 0.1, 0.1, alpha=0.05,
                                                             scale="additive")]))
    with pytest.raises(SpecError, match=r"does not know design.*cohort_outcome"):
        triangulate([res])


# -- run_designs input errors -------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_city():
    return simulate_city(roll_out="single", n_districts=8, crimes=(ASB,), n_buffer=2,
                         seed=3).data


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"buffer": ["Nowhere"]}, DataError,
     r"buffer: 1 name not found in column 'district': 'Nowhere'"),
    ({"buffer": ["X"], "buffer_control": []}, DataError, "not found"),
    ({"treatment": "district"}, DataError, "treatment column 'district' must be 0/1"),
    ({"window": 0}, SpecError, "window must be a whole number"),
    ({"family": "ols"}, SpecError, "family"),
])
def test_run_designs_input_errors(small_city, kwargs, error, match):
    with pytest.raises(error, match=match):
        run_designs(small_city, **{**KW, **kwargs})


def test_run_designs_refuses_roles_that_clash(small_city):
    treated = small_city.loc[small_city["partnership"] == 1, "district"].iloc[0]
    buffer = sorted(small_city.loc[small_city["ring"] == "buffer", "district"].unique())
    control = sorted(small_city.loc[small_city["ring"] == "control", "district"].unique())
    with pytest.raises(SpecError, match="comparison lists partnership area"):
        run_designs(small_city, **KW, comparison=[treated])
    with pytest.raises(SpecError, match="both a buffer and a comparison area"):
        run_designs(small_city, **KW, buffer=buffer, buffer_control=[buffer[0], control[0]])
    with pytest.raises(SpecError, match="needs both buffer and buffer_control"):
        run_designs(small_city, **KW, buffer=buffer)


def test_run_designs_needs_a_treated_area(small_city):
    with pytest.raises(DataError, match="no treated area"):
        run_designs(small_city.assign(partnership=0), **KW)


def test_treated_cells_counts_each_area_from_its_own_start():
    df = pd.DataFrame({"unit": ["a"] * 4 + ["b"] * 4, "t": ["2020-01", "2020-02", "2020-03",
                                                           "2020-04"] * 2,
                       "y": [1, 2, 3, 4, 10, 20, 30, 40]})
    assert treated_cells(df, outcome="y", unit="unit", time="t",
                         first={"a": "2020-03", "b": "2020-02"}) == (97.0, 5)


def test_a_design_the_data_cannot_support_is_named_and_the_others_still_run():
    df = _city(n_buffer=2)
    buffer = sorted(df.loc[df["ring"] == "buffer", "district"].unique())
    controls = sorted(df.loc[df["ring"] == "control", "district"].unique())
    run = run_designs(df, **KW, buffer=buffer, buffer_control=controls[:4], window=80)
    assert [r.method for r in run.results] == ["its", "controlled_its", "synth"]
    failed = [n for n in run.notes if n.code.startswith("eval_not_run")]
    assert len(failed) == 1 and failed[0].code == "eval_not_run_wdd"
    assert failed[0].values["design"] == "wdd"
    assert "before=80 periods" in failed[0].values["message"]
    # the advice is in the evaluation's parameters, not the estimator's own "Fix"
    assert "Fix:" not in failed[0] and "smaller window (parameter window)" in failed[0]
    (record,) = run.diagnostics()
    assert record.name == "design_not_run" and not record.passed
    assert record.message.startswith("The displacement test (WDD) could not be estimated")
    assert run.messages()[-1] == record.message, "results.json's warnings name the design"
    assert record.null.startswith("design wdd can be estimated on these data; not run: ")
    assert "before=80 periods" in record.null


def test_when_no_design_can_run_each_diagnosis_is_raised_with_advice_that_applies():
    short = _city().query("month >= '2021-03'")  # 3 pre-periods: too short for every design
    with pytest.raises(DataError, match=r"^No design could be estimated on these data\. The "
                                        r"interrupted time series could not be estimated .*"
                                        r"seasonality none.* The controlled interrupted time "
                                        r"series could not.* The synthetic control could not") \
            as info:
        run_designs(short, **KW)
    assert "move the intervention date" not in str(info.value)


def test_weekly_data_run_every_design():
    rng = np.random.default_rng(1)
    weeks = pd.period_range("2019-01-07", periods=150, freq="W")
    df = pd.DataFrame([{"area": f"A{u}", "week": w.start_time.strftime("%Y-%m-%d"),
                        "n": rng.poisson(40 * (0.8 if u == 0 and i >= 100 else 1)),
                        "d": int(u == 0 and i >= 100)}
                       for u in range(8) for i, w in enumerate(weeks)])
    run = run_designs(df, outcome="n", unit="area", time="week", treatment="d",
                      seasonality="none", seed=1)
    assert [r.method for r in run.results] == ["its", "controlled_its", "synth"]
    assert run.treated == {"A0": "2020-12-07"}
    assert not any(n.code.startswith("eval_not_run") for n in run.notes)
    assert run.diagnostics() == ()


def test_missing_outcomes_are_left_out_of_the_treated_totals():
    df = _city(roll_out="common", n_treated=6)
    first = df.loc[df["partnership"] == 1].index[0]
    total, _ = treated_cells(df, outcome=ASB, unit="district", time="month",
                                 first={d: "2021-06" for d in df.loc[df["partnership"] == 1,
                                                                    "district"].unique()})
    df.loc[first, ASB] = np.nan
    run = run_designs(df, **KW)
    assert run.treated_total == pytest.approx(total - _city(roll_out="common",
                                                            n_treated=6).loc[first, ASB])


def test_few_areas_in_all_use_the_controlled_its_even_with_many_treated():
    df = _city(roll_out="common", n_treated=6, n_districts=12)
    run, tri = _tri(df)
    assert "controlled_its" in {r.method for r in run.results}
    assert "did" not in {r.method for r in run.results}
    assert any(n.code == "eval_controlled_its_clusters" for n in run.notes)
    # 6 comparison areas cannot calibrate groups of 6 placebos: model-based intervals of
    # district counts are too narrow, so the controlled ITS does not count
    assert tri.row("controlled_its")["concern"] == "eval_its_uncalibrated"
    assert tri.strongest is None and tri.sms_level == 2
