"""EvaluationResult: frozen, tidy, JSON-safe, readable."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit as ek
from evalkit.data.simulate import simulate_series
from evalkit.designs.synth import SynthExtras
from evalkit.errors import EvalkitWarning, SpecError
from evalkit.report.results_json import SCHEMA_PATH, build_results
from evalkit.results import (
    EFFECT_COLUMNS,
    Diagnostic,
    EvaluationResult,
    effect_row,
    effects_table,
    json_safe,
)


@pytest.fixture(scope="module")
def result():
    sim = simulate_series(start="2010-01", n_months=72, intervention_month=48, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ek.its(sim.data, outcome="count", time="month", intervention="2014-01",
                      exposure="population")


def test_effects_have_contract_columns(result):
    assert tuple(result.effects.columns[:7]) == EFFECT_COLUMNS
    assert list(result.effects["term"]) == ["level_change", "slope_change",
                                            "cumulative_effect"]
    assert set(result.effects["scale"]) <= {"additive", "log", "ratio"}


def test_result_is_frozen_and_tidy_returns_a_copy(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "did"
    with pytest.raises(TypeError):
        result.spec["outcome"] = "x"
    tidy = result.tidy()
    tidy.loc[0, "estimate"] = 99.0
    assert result.effects.loc[0, "estimate"] != 99.0


def test_to_dict_is_json_safe(result):
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert '"method": "its"' in text
    assert d["provenance"]["evalkit_version"] == ek.__version__
    assert len(d["provenance"]["data_sha256"]) == 64
    assert d["effects"][0]["term"] == "level_change"


def test_summary_and_html(result):
    text = result.summary()
    assert "level_change" in text and "95% CI" in text and "autocorrelation" in text
    html = result._repr_html_()
    assert "<table" in html and "level_change" in html


def test_html_escapes_strings():
    res = EvaluationResult(
        method="its", spec={"outcome": "<script>alert(1)</script>"},
        effects=effects_table([effect_row("att", 1.0, 0.5, alpha=0.05, scale="additive")]),
        series=pd.DataFrame(), warnings=(),
    )
    assert "<script>" not in res._repr_html_()


def test_the_constructor_records_warnings_without_emitting_them():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an emitted warning would fail here
        res = EvaluationResult(method="did", spec={}, effects=effects_table(
            [effect_row("att", 1.0, 0.5, alpha=0.05, scale="additive")]),
            series=pd.DataFrame(), warnings=("few clusters",))
    assert res.warnings == ("few clusters",)


def test_design_warnings_point_at_the_callers_line():
    with pytest.warns(EvalkitWarning, match="Small counts") as record:
        res = ek.wdq({"response": (12, 5), "buffer": (9, 8), "control": (20, 21)})
    assert [str(w.message) for w in record] == [str(w) for w in res.warnings]
    assert {w.filename for w in record} == {__file__}


def test_warnings_of_a_design_called_inside_evalkit_point_at_the_user():
    # wdd's inputs pass through evalkit helpers and a decorated inner call: still this file
    counts = {"response": (5, 3), "control": (20, 21)}
    with pytest.warns(EvalkitWarning) as record:
        _call_wdd(counts)
    assert record and {w.filename for w in record} == {__file__}


def _call_wdd(counts):
    return ek.wdd(counts)


def test_effect_and_diagnostic_lookup_errors(result):
    with pytest.raises(SpecError, match=r"no term 'att' in this its result; available terms"):
        result.effect("att")
    with pytest.raises(SpecError, match=r"no diagnostic 'placebo' in this result"):
        result.diagnostic("placebo")


def test_effect_row_wald_and_t():
    row = effect_row("att", 2.0, 1.0, alpha=0.05, scale="additive")
    assert row["ci_low"] == pytest.approx(2 - 1.959964, abs=1e-6)
    assert row["p_value"] == pytest.approx(0.0455003, abs=1e-6)
    row_t = effect_row("att", 2.0, 1.0, alpha=0.05, scale="additive", df=10)
    assert row_t["ci_high"] == pytest.approx(2 + 2.228139, abs=1e-6)
    rel = effect_row("level_change", np.log(0.8), 0.1, alpha=0.05, scale="log",
                     relative="exp")
    assert rel["relative_effect"] == pytest.approx(0.8)
    assert rel["relative_ci_low"] < 0.8 < rel["relative_ci_high"]


def test_effects_table_requires_contract_columns():
    with pytest.raises(SpecError, match=r"effects table is missing columns"):
        effects_table([{"term": "att"}])


def test_json_safe_converts_special_values():
    out = json_safe({"a": np.float64("nan"), "b": np.int64(3), "c": pd.Period("2021-06", "M"),
                     "d": (1, 2), "e": np.bool_(True), "f": float("inf")})
    assert out == {"a": None, "b": 3, "c": "2021-06", "d": [1, 2], "e": True, "f": None}


def test_diagnostic_to_dict():
    d = Diagnostic(name="pre_trend", null="zero", statistic=1.0, p_value=0.3, passed=True)
    assert d.to_dict() == {"name": "pre_trend", "null": "zero", "statistic": 1.0,
                           "p_value": 0.3, "passed": True, "message": ""}


def test_effects_series_and_vcov_are_copies(result):
    before, series = result.to_dict(), result.series
    effects, got_series, vcov = result.effects, result.series, result.vcov
    effects.loc[0, "estimate"] = 99.0
    effects["estimate"] *= 2
    got_series.iloc[0, 0] = None
    vcov.iloc[0, 0] = -1.0
    assert result.to_dict() == before
    pd.testing.assert_frame_equal(result.series, series)
    assert result.effects.loc[0, "estimate"] != 99.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.effects = pd.DataFrame()


def test_spec_sample_provenance_and_extras_are_deep_read_only(result):
    with pytest.raises(TypeError):
        result.provenance["parameters"]["outcome"] = "x"
    with pytest.raises(TypeError, match="belongs to a frozen evalkit result"):
        result.sample["notes"].append("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.extras.cumulative_mde = None
    with pytest.raises(TypeError):
        result.extras.cumulative_mde["ratio"] = 0.5
    res = _result_with(spec={"controls": ["a", "b"], "weights": np.array([1.0, 2.0])})
    assert res.spec["controls"] == ["a", "b"]  # still equal to the list given
    with pytest.raises(TypeError, match="copy it first with list"):
        res.spec["controls"][0] = "c"
    with pytest.raises(ValueError, match="read-only"):
        res.spec["weights"][0] = 5.0
    assert res.to_dict()["spec"] == {"controls": ["a", "b"], "weights": [1.0, 2.0]}


def test_frozen_containers_stay_plain_types_and_pickle(result):
    import pickle

    by = {"t1": {"a": 0.5, "b": 0.5}, "t2": {"a": 1.0, "b": 0.0}}
    res = _result_with(spec={"by": by})
    assert isinstance(res.spec["by"], dict)  # pandas, json and isinstance see a dict
    assert pd.DataFrame(res.spec["by"]).to_dict() == by
    again = pickle.loads(pickle.dumps(result))
    assert again.to_dict() == result.to_dict()
    with pytest.raises(TypeError, match="belongs to a frozen evalkit result"):
        again.spec["outcome"] = "x"


def test_a_changed_input_does_not_change_the_result():
    effects = effects_table([effect_row("att", 1.0, 0.5, alpha=0.05, scale="additive")])
    spec = {"controls": ["a"]}
    res = _result_with(effects=effects, spec=spec)
    effects.loc[0, "estimate"] = 7.0
    spec["controls"].append("b")
    assert res.effect("att")["estimate"] == 1.0 and res.spec["controls"] == ["a"]


def test_diagnostic_tables_are_copies():
    res = ek.wdd({"response": (207, 110), "control": (308, 318), "buffer": (178, 157),
                  "buffer_control": (150, 140)})
    table = res.diagnostic("displacement").table
    table.loc[0, "estimate"] = 0.0
    assert res.diagnostic("displacement").table.loc[0, "estimate"] == -107


def test_its_ar1_rho_is_an_effects_row_and_in_to_dict():
    sim = simulate_series(start="2010-01", n_months=72, intervention_month=48, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ek.its(sim.data, outcome="count", time="month", intervention="2014-01",
                     family="ols", se="ar1")
    row = res.effect("ar1_rho")
    assert -1 < row["estimate"] < 1 and np.isnan(row["std_error"])
    assert f"rho = {row['estimate']:.2f}" in res.spec["vcov"]  # the label rounds the row
    assert "ar1_rho" in [e["term"] for e in res.to_dict()["effects"]]
    doc = build_results([res], template="its", parameters={}, data=sim.data)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    with pytest.raises(SpecError, match=r"the interval of 'ar1_rho' in this its result is "
                                        r"not a Wald interval"):
        res.conf_int(0.9, ["ar1_rho"])


def test_wdd_parts_are_effects_and_reach_results_json():
    res = ek.wdd({"response": (207, 110), "control": (308, 318), "buffer": (178, 157),
                  "buffer_control": (150, 140)})
    assert list(res.effects["term"]) == ["wdd_total", "wdd_local", "wdd_displacement"]
    frame = pd.DataFrame({"area": ["a"], "count": [1]})
    doc = build_results([res], template="displacement", parameters={}, data=frame)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    terms = {e["term"]: e for e in doc["estimates"]}
    assert terms["wdd_displacement"]["estimate"] == -11
    assert terms["wdd_local"]["estimate"] == -107
    # the parts are independent: the total's variance is the sum, the matrix is labelled
    v = res.vcov
    assert v.loc["wdd_total", "wdd_total"] == pytest.approx(
        v.loc["wdd_local", "wdd_local"] + v.loc["wdd_displacement", "wdd_displacement"])
    assert v.loc["wdd_local", "wdd_displacement"] == 0


def test_vcov_is_labelled_and_matches_the_standard_errors(result):
    v = result.vcov
    assert list(v.index) == list(v.columns) == ["level_change", "slope_change"]
    for term in v.index:
        assert math.sqrt(v.loc[term, term]) == pytest.approx(
            result.effect(term)["std_error"], rel=1e-12)


def test_conf_int_reproduces_the_wald_rows_and_changes_level(result):
    ci95 = result.conf_int().set_index("term")
    # the cumulative effect's interval is a mapped ratio interval, not a Wald one
    assert list(ci95.index) == ["level_change", "slope_change"]
    for term, row in ci95.iterrows():
        eff = result.effect(term)
        assert row["ci_low"] == pytest.approx(eff["ci_low"], rel=1e-12)
        assert row["ci_high"] == pytest.approx(eff["ci_high"], rel=1e-12)
    ci90 = result.conf_int(0.90).set_index("term")
    eff = result.effect("level_change")
    df = ci90.loc["level_change", "df"]
    q = stats.norm.ppf(0.95) if np.isinf(df) else stats.t(df).ppf(0.95)
    assert ci90.loc["level_change", "ci_high"] == pytest.approx(
        eff["estimate"] + q * eff["std_error"], rel=1e-12)
    assert ci90.loc["level_change", "ci_high"] < ci95.loc["level_change", "ci_high"]


def test_conf_int_uses_the_t_reference_of_the_design():
    sim = simulate_series(start="2010-01", n_months=72, intervention_month=48, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ek.its(sim.data, outcome="count", time="month", intervention="2014-01",
                     family="ols", se="model")
    ci = res.conf_int(0.8).set_index("term")
    df = ci.loc["level_change", "df"]
    assert np.isfinite(df) and df == res.wald_df["level_change"]
    eff = res.effect("level_change")
    assert ci.loc["level_change", "ci_low"] == pytest.approx(
        eff["estimate"] - stats.t(df).ppf(0.9) * eff["std_error"], rel=1e-12)
    assert res.conf_int(0.95).set_index("term").loc["level_change", "ci_low"] == \
        pytest.approx(eff["ci_low"], rel=1e-12)


def test_conf_int_errors(result):
    with pytest.raises(SpecError, match=r"level must be a confidence level between 0 and 1"):
        result.conf_int(95)
    with pytest.raises(SpecError, match=r"the interval of 'cumulative_effect' in this its "
                                        r"result is not a Wald interval"):
        result.conf_int(0.9, ["cumulative_effect"])
    with pytest.raises(SpecError, match=r"no term 'att' in this its result"):
        result.conf_int(0.9, ["att"])
    res = ek.wdq({"response": (207, 110), "control": (308, 318), "buffer": (178, 157)})
    assert res.vcov is None
    with pytest.raises(SpecError, match=r"this wdq result has no Wald interval"):
        res.conf_int()


def test_wald_df_must_name_effects_terms():
    with pytest.raises(SpecError, match=r"wald_df names terms \['att'\] that are not rows"):
        _result_with(wald_df={"att": 10.0},
                     effects=effects_table([effect_row("ate", 1.0, 0.5, alpha=0.05,
                                                       scale="additive")]))


def test_extras_must_be_an_extras_dataclass_and_frames_frames():
    with pytest.raises(SpecError, match=r"extras must be an evalkit Extras dataclass; got dict"):
        _result_with(extras={"a": 1})
    with pytest.raises(SpecError, match=r"effects must be a pandas DataFrame; got list"):
        _result_with(effects=[1, 2])


def test_to_dict_carries_extras_vcov_and_wald_df(result):
    d = result.to_dict()
    assert d["extras"]["cumulative_log_ratio_se"] == pytest.approx(
        result.extras.cumulative_log_ratio_se)
    assert d["vcov"]["terms"] == ["level_change", "slope_change"]
    assert set(d["wald_df"]) == {"level_change", "slope_change"}
    json.dumps(d, allow_nan=False)


def _panel(seed=0, n_units=20, n_periods=8, start=5):
    """y = unit FE + period FE + 2 D + N(0, 1); half the units treated from ``start``."""
    rng = np.random.default_rng(seed)
    rows = [{"unit": f"u{i:02d}", "year": 2000 + t, "cohort": 2000 + start if i % 2 else np.nan,
             "d": float(i % 2 == 1 and t >= start), "y": i + t + 2.0 * (i % 2 == 1 and t >= start)
             + rng.normal()} for i in range(n_units) for t in range(n_periods)]
    return pd.DataFrame(rows)


def test_did_and_event_study_conf_int_reproduce_their_wald_rows():
    df = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.did(df, outcome="y", unit="unit", time="year", treatment="d")
        es = ek.event_study(df, outcome="y", unit="unit", time="year", cohort="cohort")
    for r in (res, es):
        ci = r.conf_int(0.95).set_index("term")
        eff = r.effects.set_index("term")
        assert list(ci.index) == list(eff.index)
        np.testing.assert_allclose(ci["ci_low"], eff["ci_low"], rtol=1e-12)
        np.testing.assert_allclose(np.sqrt(np.diag(r.vcov)), eff["std_error"], rtol=1e-12)
    assert np.isfinite(res.wald_df["att"])  # cluster-robust: t with G - 1 df


def test_staggered_vcov_covers_the_aggregations_and_conf_int_every_term():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.staggered_did(_panel(n_units=30), outcome="y", unit="unit", time="year",
                               cohort="cohort")
    eff = res.effects.set_index("term")
    v = res.vcov
    assert "att_simple" in v.index and not any(t.startswith("att_gt_") for t in v.index)
    np.testing.assert_allclose(np.sqrt(np.diag(v)), eff.loc[v.index, "std_error"], rtol=1e-10)
    ci = res.conf_int().set_index("term")
    assert list(ci.index) == list(eff.index)
    np.testing.assert_allclose(ci["ci_high"], eff["ci_high"], rtol=1e-12)
    assert res.extras.treated_mean_post > 0


def test_synth_permutation_intervals_are_not_wald():
    df = _panel(n_units=12, n_periods=12, start=8)
    df = df[(df["unit"] == "u01") | (df["cohort"].isna())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.synth(df, outcome="y", unit="unit", time="year", treated_unit="u01",
                       intervention=2008)
    assert res.vcov is None and not res.wald_df
    assert res.extras.donor_weights == pytest.approx(res.weights.to_dict())
    with pytest.raises(SpecError, match=r"this synth result has no Wald interval \(its "
                                        r"intervals come from none: placebo-in-space"):
        res.conf_int()


def test_did_permutation_interval_is_not_wald():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = ek.did(_panel(), outcome="y", unit="unit", time="year", treatment="d",
                     inference="permutation", reps=99)
    assert res.vcov is None and not res.wald_df
    with pytest.raises(SpecError, match=r"the interval of 'att' in this did result is not a "
                                        r"Wald interval .* re-run the design with alpha=0.1"):
        res.conf_int(0.9, ["att"])


def _result_with(**kwargs):
    base = {"method": "did", "spec": {}, "series": pd.DataFrame(), "effects": effects_table(
        [effect_row("att", 1.0, 0.5, alpha=0.05, scale="additive")])}
    return EvaluationResult(**{**base, **kwargs})


def test_weights_property_reads_synth_donor_weights(result):
    assert result.weights is None  # an ITS result has no donors
    extras = SynthExtras(donor_weights={"Gare": 0.7, "Port": 0.3}, pre_rmspe=1.0,
                         post_rmspe=2.0, optimize_mspe=1.0, predictor_weights=None,
                         excluded_donors={})
    res = EvaluationResult(method="synth", spec={}, effects=effects_table(
        [effect_row("att", 1.0, float("nan"), alpha=0.05, scale="additive")]),
        series=pd.DataFrame(), extras=extras)
    assert res.weights.to_dict() == {"Gare": 0.7, "Port": 0.3}
    assert res.to_dict()["extras"]["donor_weights"] == {"Gare": 0.7, "Port": 0.3}
    with pytest.raises(TypeError):
        res.extras.donor_weights["Gare"] = 1.0


def test_a_result_equals_itself_and_only_itself(result):
    twin = dataclasses.replace(result)
    assert result == result and result in [result]
    assert result != twin  # field-wise equality would compare DataFrames and raise
