"""The design registry: every design is registered, an unknown method is a clear error, and a
design defined outside evalkit (here, in this file) reaches the evaluation report and
results.json through its registry entry alone."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import re
from html import unescape
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.designs import registry
from evalkit.designs.evaluation import DesignRun
from evalkit.designs.registry import Design, extra_diagnostics
from evalkit.designs.triangulate import triangulate
from evalkit.errors import SpecError
from evalkit.i18n import LANGUAGES
from evalkit.report import evaluation as ev
from evalkit.report.plots import plot_its
from evalkit.report.results_json import SCHEMA_PATH, build_results
from evalkit.results import Diagnostic, EvaluationResult, effect_row, effects_table

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")

TOY = "toy_ratio"


def _text(html: object) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", str(html))))


# -- a design defined here, outside evalkit -----------------------------------------------------
def toy_ratio(data: pd.DataFrame, *, alpha: float = 0.05) -> EvaluationResult:
    """Treated over comparison counts after the start, over the same ratio before: a rate
    ratio with a delta-method interval on the log scale (Poisson counts)."""
    sums = data.groupby(["treated", "post"])["y"].sum()
    log_ratio = math.log(sums[1, 1] * sums[0, 0] / (sums[1, 0] * sums[0, 1]))
    se = math.sqrt((1 / sums).sum())
    row = effect_row("rate_ratio", log_ratio, se, alpha=alpha, scale="log")
    row.update(relative_effect=math.exp(log_ratio), relative_ci_low=math.exp(row["ci_low"]),
               relative_ci_high=math.exp(row["ci_high"]))
    balance = Diagnostic("toy_balance", "the groups are balanced", 0.4, 0.7, True)
    return EvaluationResult(method=TOY, spec={"alpha": alpha, "outcome": "y"},
                            effects=effects_table([row]), series=pd.DataFrame(),
                            diagnostics=(balance,),
                            sample={"n_obs": len(data), "n_units": 2, "n_periods": 2})


def _toy_extra(res: EvaluationResult) -> tuple[Diagnostic, ...]:
    return (Diagnostic("toy_extra", "an extra check of the toy design", 1.0, math.nan, True),)


@pytest.fixture
def toy(monkeypatch):
    """The toy design registered (with its name in both catalogues), removed afterwards."""
    monkeypatch.setitem(LANGUAGES["en"], "eval.design.toy_ratio", "toy ratio design")
    monkeypatch.setitem(LANGUAGES["fr"], "eval.design.toy_ratio", "plan jouet du rapport")
    registry.register(Design(
        TOY, (TOY,), "rate_ratio", "effect", level=lambda res: 4,
        concern=lambda res, pre_trend: "" if res.diagnostics[0].passed else "eval_unchecked",
        label="eval.design.toy_ratio", diagnostics=_toy_extra, priority=5))
    yield
    registry.unregister(TOY)


def _counts() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    treated, post = np.repeat([0, 1], 40), np.tile(np.repeat([0, 1], 20), 2)
    y = rng.poisson(np.where((treated == 1) & (post == 1), 40.0, 50.0))
    return pd.DataFrame({"treated": treated, "post": post, "y": y})


def _did(pct: float, lo: float, hi: float) -> EvaluationResult:
    """A Poisson DiD with this % change, its pre-trend test passed, 2 treated areas."""
    values = [math.log(1 + v / 100) for v in (pct, lo, hi)]
    row = effect_row("att", values[0], 0.1, alpha=0.05, scale="log")
    row.update(ci_low=values[1], ci_high=values[2], relative_effect=1 + pct / 100,
               relative_ci_low=1 + lo / 100, relative_ci_high=1 + hi / 100)
    return EvaluationResult(method="did", spec={"alpha": 0.05, "outcome": "y"},
                            effects=effects_table([row]), series=pd.DataFrame(),
                            diagnostics=(Diagnostic("pre_trend", "parallel trends", 1.0, 0.5,
                                                    True),),
                            sample={"n_treated_units": 2, "n_units": 12})


def test_a_design_registered_outside_evalkit_reaches_the_report_and_results_json(toy):
    data = _counts()
    res = toy_ratio(data)
    results = [_did(-20, -30, -8), res]
    run = DesignRun(results=tuple(results), treated={"A": "2021-01"}, comparison=("B",),
                    buffer=(), its_areas=("A",), always_treated=(), treated_total=500.0,
                    notes=())
    tri = triangulate(results, treated_total=500.0, cost=10_000.0)
    row = tri.row(TOY)
    ratio = res.effect("rate_ratio")
    assert (row["role"], row["term"], row["sms_level"], row["credible"]) == (
        "effect", "rate_ratio", 4, True)
    assert row["estimate"] == pytest.approx(100 * (ratio["relative_effect"] - 1))
    # its crimes prevented: the default rule of a log-scale effect
    assert row["prevented"] == pytest.approx(500.0 * (math.exp(-ratio["estimate"]) - 1))
    # it declared its place in the order of designs: before the DiD
    assert tri.strongest == TOY and tri.sms_level == 4

    for lang, name in (("en", "toy ratio design"), ("fr", "plan jouet du rapport")):
        sections = {
            "headline": ev.headline(tri, lang=lang, outcome="y"),
            "comparison": ev.comparison_section(tri, lang=lang),
            "evidence": ev.evidence_section(tri, lang=lang, outcome="y"),
            "designs": ev.designs_section(run, lang=lang, results=results),
            "diagnostics": ev.diagnostics_section(run, results, lang=lang)}
        for section, html in sections.items():
            assert name in _text(html).lower(), (lang, section)
        assert "the groups are balanced" in _text(sections["diagnostics"])
        # no figure and no methods heading in its entry: neither section names it
        for html in (ev.figures_section(results, lang=lang, window=2),
                     ev.methods_appendix(results, lang=lang)):
            assert name not in _text(html).lower()
    labels = [tick.get_text() for tick in ev.plot_forest(tri, outcome="y").axes[0]
              .get_yticklabels()]
    assert "toy ratio design  [SMS 4]" in labels

    document = build_results(results, template="evaluation", parameters={}, data=data,
                             diagnostics=tri.diagnostics() + extra_diagnostics(results),
                             verdict=tri.verdict().to_dict())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert document["verdict"]["best_design"] == TOY
    toy_rows = [e for e in document["estimates"] if e["method"] == TOY]
    assert [(e["term"], e["estimate"]) for e in toy_rows] == [("rate_ratio", ratio["estimate"])]
    names = [d["name"] for d in document["diagnostics"]]
    assert {"toy_balance", "toy_extra", "designs_agree", "evidence_level"} <= set(names)
    level = next(d for d in document["diagnostics"] if d["name"] == "evidence_level")
    assert level["statistic"] == 4


def test_the_toy_is_gone_after_the_test():
    assert registry.find(TOY) is None
    with pytest.raises(SpecError, match=r"triangulate\(\) does not know design\(s\) toy_ratio"):
        triangulate([toy_ratio(_counts())])


def _design_methods() -> set[str]:
    """Every ``method=`` an ``EvaluationResult(...)`` in evalkit's designs is built with."""
    methods: set[str] = set()
    for path in (Path(evalkit.__file__).parent / "designs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "")
                    == "EvaluationResult"):
                continue
            value = next(k.value for k in node.keywords if k.arg == "method")
            if isinstance(value, ast.JoinedStr):  # cohort_outcome: f"cohort_{method}"
                methods |= {"cohort_match", "cohort_weight"}
            else:
                values = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                methods |= {v.value for v in values}
    return methods


def test_every_design_method_is_registered_with_keys_the_catalogues_have():
    methods = _design_methods()
    assert {"its", "controlled_its", "did", "event_study", "staggered_did", "synth", "wdd",
            "wdq", "survey_did", "cohort_match", "cohort_weight"} <= methods
    for method in methods:
        assert method in registry.get(method).methods
    for entry in registry.entries():
        keys = [k for k in (entry.label, entry.methods_heading, f"{entry.text}.title") if k]
        for lang in ("en", "fr"):
            assert all(k in LANGUAGES[lang] for k in keys), (entry.name, lang)
        assert entry.figure in {None, "trends", *ev._FIGURES}
        assert entry.sections in {"its", "did", "staggered"}
        assert entry.role is None or entry.term or entry.role == "pre_trend"
        assert entry.role is None or entry.label  # a compared design is named


def test_an_unknown_method_is_a_clear_error():
    with pytest.raises(SpecError, match=r"no design is registered for method 'nope'; known "
                                        r"methods: .*its.*Register it with "
                                        r"evalkit\.designs\.registry\.register"):
        registry.get("nope")
    res = EvaluationResult(method="nope", spec={"alpha": 0.05}, series=pd.DataFrame(),
                           effects=effects_table([effect_row("att", 0.1, 0.1, alpha=0.05,
                                                                     scale="additive")]))
    with pytest.raises(SpecError, match=r"no design is registered for method 'nope'"):
        ev.designs_section(DesignRun((), {}, (), (), (), (), 0.0, ()), lang="en",
                           results=[res])
    with pytest.raises(SpecError, match=r"this plot needs a its or controlled_its result; got "
                                        r"'nope'"):
        plot_its(res)


def test_registering_is_checked():
    with pytest.raises(SpecError, match=r"register\(\) expects a Design; got dict"):
        registry.register({"name": "x"})
    with pytest.raises(SpecError, match=r"method\(s\) did already registered \(design 'did'\)"):
        registry.register(Design("my_did", ("did",), "att", "effect"))
    with pytest.raises(SpecError, match=r"design 'empty' names no method"):
        registry.register(Design("empty", (), "att", "effect"))
    with pytest.raises(SpecError, match=r"no design 'nothing' is registered; designs: its, "):
        registry.unregister("nothing")
    assert registry.find("my_did") is None and registry.get("did").name == "did"


def test_a_second_design_with_a_registered_name_is_refused():
    entry = registry.get("did")
    with pytest.raises(SpecError, match="a design called 'did' is already registered"):
        registry.register(dataclasses.replace(entry, methods=("did_again",)))
    assert registry.get("did") is entry
