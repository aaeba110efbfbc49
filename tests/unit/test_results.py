"""EvaluationResult: frozen, tidy, JSON-safe, readable."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.simulate import simulate_series
from evalkit.errors import EvalkitWarning, SpecError
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


def test_warnings_are_emitted_and_recorded():
    with pytest.warns(EvalkitWarning, match="few clusters"):
        res = EvaluationResult(method="did", spec={}, effects=effects_table(
            [effect_row("att", 1.0, 0.5, alpha=0.05, scale="additive")]),
            series=pd.DataFrame(), warnings=("few clusters",))
    assert res.warnings == ("few clusters",)


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


def test_weights_property_reads_synth_donor_weights(result):
    assert result.weights is None  # an ITS result has no donors
    res = EvaluationResult(method="synth", spec={}, effects=effects_table(
        [effect_row("att", 1.0, float("nan"), alpha=0.05, scale="additive")]),
        series=pd.DataFrame(), sample={"donor_weights": {"Gare": 0.7, "Port": 0.3}})
    assert res.weights.to_dict() == {"Gare": 0.7, "Port": 0.3}
