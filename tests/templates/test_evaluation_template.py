"""The evaluation template: `evalkit demo` runs it on both sample cities; French and EMMIE text."""

from __future__ import annotations

import contextlib
import io
import json
import re
from html import unescape

import jsonschema
import numpy as np
import pytest

from evalkit._resources import samples_dir
from evalkit.data.simulate import simulate_city
from evalkit.report import evaluation as ev
from evalkit.report.results_json import SCHEMA_PATH
from evalkit.run.cli import main as cli_main
from evalkit.run.execute import run_template

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
TRUTH = json.loads((samples_dir() / "truth.json").read_text(encoding="utf-8"))["files"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _row(results: dict, method: str, term: str) -> dict:
    return next(e for e in results["estimates"] if e["method"] == method and e["term"] == term)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli_main(["demo", "--out", str(out), "--no-progress"]) == 0
    runs = {name: (json.loads((out / name / "results.json").read_text(encoding="utf-8")),
                   (out / name / "report.html").read_text(encoding="utf-8"))
            for name in ("centre", "rollout")}
    return runs, printed.getvalue()


def test_demo_writes_valid_results_and_prints_each_verdict(demo):
    runs, printed = demo
    for results, _ in runs.values():
        jsonschema.validate(results, SCHEMA)
        assert results["template"] == "evaluation"
    # the verdict of each run, read from its results.json
    assert re.search(r"verdict: [a-z ]+ by the controlled_its: -\d+\.\d% \[.*Maryland SMS "
                     r"level 3", printed)
    assert re.search(r"Open .*centre.report\.html in a browser", printed)
    assert "Maryland SMS level 4" in printed


def test_single_area_evaluation_runs_four_designs_graded_level_3(demo):
    results, html = demo[0]["centre"]
    assert {e["method"] for e in results["estimates"]} == {"its", "controlled_its", "synth",
                                                         "wdd"}
    checks = {d["name"]: d for d in results["diagnostics"]}
    assert checks["designs_agree"]["passed"] and checks["evidence_level"]["statistic"] == 3
    # the best design covers the true -15 % in Centre (ASB rate ratio 0.85)
    truth = TRUTH["city_single.csv"]["effects"]["antisocial_behaviour"]["rate_ratio"]
    row = _row(results, "controlled_its", "cumulative_effect")
    assert row["relative_ci_low"] < truth < row["relative_ci_high"]
    verdict = results["verdict"]
    assert verdict["best_design"] == "controlled_its" and verdict["evidence_level"] == 3
    # a number in a sentence is the number in results.json
    assert verdict["estimate_pct"] == pytest.approx(100 * (row["relative_effect"] - 1))
    text = _text(html)
    assert "The strongest credible design, the controlled interrupted time series," in text
    assert ev._pct(verdict["estimate_pct"], "en") in text
    assert "For context only: a before/after comparison" in text
    assert "with a change of trend after the start" in text  # the sensitivity row
    assert "Maryland Scientific Methods Scale level 3" in text
    assert "synthetic control * [SMS 3]" not in text  # labels live in the figure, not the text
    # the synthetic control passes its fit check and is compared by a test of the difference
    assert "The synthetic control (" in text and "does not differ significantly" in text
    assert html.count("<img") >= 5  # forest, ITS, controlled ITS, synth, displacement
    assert "Traceback" not in html and "import evalkit" not in html


def test_rollout_evaluation_grades_level_4_and_shows_the_survey(demo):
    results, html = demo[0]["rollout"]
    methods = {e["method"] for e in results["estimates"]}
    assert methods == {"its", "staggered_did", "survey_did"}
    checks = {d["name"]: d for d in results["diagnostics"]}
    assert checks["evidence_level"]["statistic"] == 4
    truth = TRUTH["city_monthly.csv"]["effects"]["burglary"]["att"]
    row = _row(results, "staggered_did", "att_simple")
    assert row["ci_low"] < truth < row["ci_high"]
    survey = _row(results, "survey_did", "att")
    assert survey["ci_low"] < 100 * TRUTH["survey.csv"]["did"] < survey["ci_high"]
    text = _text(html)
    assert "group-time difference in differences" in text
    assert "Residents feeling unsafe after dark" in text
    assert "per crime prevented" in text  # the demo gives a cost


def test_french_report_with_emmie_texts(tmp_path):
    outcome = run_template("evaluation", out=tmp_path / "fr", lang="fr", progress=False,
                           parameters={"mechanism": "Présence <b>visible</b> le soir",
                                       "cost": 120000.0, "currency": "€"})
    text = _text(outcome.report.read_text(encoding="utf-8"))
    for french in ("Ce que montre l'évaluation", "Niveau de preuve", "Synthèse EMMIE",
                   "Les plans côte à côte", "par fait évité"):
        assert french in text
    for english in ("What the evaluation finds", "Strength of evidence", "EMMIE summary"):
        assert english not in text
    assert "Présence <b>visible</b> le soir" in text, "the evaluator's text is shown escaped"
    assert "le nombre de faits évités (incivilités)" in text  # agrees whatever the noun
    assert "Seul(e)" not in text and "1 secteurs" not in text
    assert "120 000" in text.replace("\u202f", " ")


def test_report_says_plainly_when_the_whole_city_changed_at_the_start(tmp_path):
    """A citywide fall at the start (every district thinned to 60 %) moves the ITS, which has
    no comparison areas: the citywide check names it and the ITS is set aside."""
    city = simulate_city(roll_out="single", crimes=("antisocial_behaviour",),
                         effect={"antisocial_behaviour": 0.8},
                         population_range=(40_000, 80_000), overdispersion=None, seed=11).data
    post = city["month"] >= "2021-06"
    city.loc[post, "antisocial_behaviour"] = np.random.default_rng(11).binomial(
        city.loc[post, "antisocial_behaviour"], 0.6)
    path = tmp_path / "shock.csv"
    city.to_csv(path, index=False)
    outcome = run_template("evaluation", out=tmp_path / "out", data=path, progress=False,
                           parameters={"outcome": "antisocial_behaviour",
                                       "exposure": "population"})
    checks = {d["name"]: d for d in outcome.results["diagnostics"]}
    assert not checks["citywide_change"]["passed"] and checks["citywide_change"]["statistic"] < -30
    verdict = outcome.results["verdict"]
    assert verdict["best_design"] == "controlled_its" and verdict["evidence_level"] == 3
    assert verdict["context"] is None, "the ITS is not credible: no context line"
    codes = {c["code"] for c in verdict["concerns"]}
    assert {"eval_citywide_change", "eval_its_citywide"} <= codes
    # the best design covers the true -20 %
    assert verdict["ci_low_pct"] < -20 < verdict["ci_high_pct"]
    text = _text(outcome.report.read_text(encoding="utf-8"))
    assert "The comparison areas also changed at the start date" in text
    assert "no: the whole city changed at the start" in text
