"""The reoffending template and its report sections (evalkit.report.cohort)."""

from __future__ import annotations

import json
import re
from html import unescape

import jsonschema
import pytest

import evalkit as ek
from evalkit._resources import samples_dir
from evalkit.data.simulate_cohort import simulate_cohort
from evalkit.errors import SpecError, TemplateParameterError
from evalkit.report import cohort as rc
from evalkit.report.results_json import SCHEMA_PATH
from evalkit.run.cli import main as cli_main
from evalkit.run.execute import run_template
from evalkit.run.templates import load_template

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
TRUTH = json.loads((samples_dir() / "truth.json").read_text(encoding="utf-8"))[
    "files"]["reoffending_cohort.csv"]
KW = {"treated": "programme", "covariates": ["age", "sex", "prior_convictions", "offence_type"]}
pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The template with its defaults on the shipped sample cohort (English)."""
    return run_template("reoffending", out=tmp_path_factory.mktemp("r") / "en", progress=False)


@pytest.fixture(scope="module")
def no_effect_csv(tmp_path_factory):
    """A simulated cohort whose programme changed nothing: the payment must not be due."""
    path = tmp_path_factory.mktemp("data") / "no_effect.csv"
    simulate_cohort(n_treated=300, n_comparison=1500, effect=1.0, seed=8).data.to_csv(
        path, index=False)
    return path


@pytest.fixture(scope="module")
def small_results():
    data = simulate_cohort(n_treated=120, n_comparison=600, seed=4).data
    return [ek.cohort_outcome(data, **KW, outcome="reoffended", threshold=0.075),
            ek.cohort_outcome(data, **KW, outcome="reconviction_events",
                              outcome_type="frequency")]


# -- the template ------------------------------------------------------------------------------
def test_template_is_listed_with_documented_parameters(capsys):
    tpl = load_template("reoffending")
    assert {"data", "lang", "treated", "covariates", "method", "replace", "caliper", "ratio",
            "threshold", "payment_measure", "seed", "alpha"} <= set(tpl.names)
    assert all(p.help and "=" not in p.help and ";" not in p.help for p in tpl.parameters)
    assert cli_main(["templates"]) == 0
    assert "reoffending — Reoffending cohort" in capsys.readouterr().out


def test_default_run_reproduces_the_sample_truth_and_the_payment_decision(sample_run):
    results = sample_run.results
    jsonschema.validate(results, SCHEMA)
    assert results["template"] == "reoffending" and results["data"]["rows"] == 7000
    rows = {(e["outcome"], e["term"]): e for e in results["estimates"]}
    assert {e["method"] for e in results["estimates"]} == {"cohort_match"}
    for measure, column in (("binary", "reoffended"), ("frequency", "reconviction_events")):
        truth = TRUTH["effects"][measure]
        red, att = rows[(column, "relative_reduction")], rows[(column, "att")]
        assert red["ci_low"] <= truth["relative_reduction"] <= red["ci_high"], measure
        assert att["ci_low"] <= truth["difference_per_100"] <= att["ci_high"], measure
    payment = next(d for d in results["diagnostics"] if d["name"] == "outcome_payment")
    assert payment["passed"] is TRUTH["payment"]["due"] is True
    assert payment["statistic"] > 0.9
    html = sample_run.report.read_text(encoding="utf-8")
    text = _text(html)
    assert html.count("<img") == 2
    for heading in ("Main finding", "Outcome-payment test", "Covariate balance",
                    "Before adjustment: the raw groups", "Checks and caveats"):
        assert heading in text
    assert "The estimate reaches it" in text
    assert "Traceback" not in html and "import evalkit" not in html


def test_no_effect_cohort_fails_the_payment_in_french(tmp_path, no_effect_csv):
    outcome = run_template("reoffending", out=tmp_path / "fr", data=no_effect_csv, lang="fr",
                           parameters={"method": "weight", "threshold": 0.1, **KW,
                                       "reoffended": "reoffended",
                                       "events": "reconviction_events"},
                           progress=False)
    jsonschema.validate(outcome.results, SCHEMA)
    red = next(e for e in outcome.results["estimates"]
               if e["outcome"] == "reconviction_events" and e["term"] == "relative_reduction")
    assert red["ci_low"] <= 0 <= red["ci_high"] and red["estimate"] < 0.1
    payment = next(d for d in outcome.results["diagnostics"] if d["name"] == "outcome_payment")
    assert payment["passed"] is False and payment["statistic"] < 0.5
    assert {e["method"] for e in outcome.results["estimates"]} == {"cohort_weight"}
    text = _text(outcome.report.read_text(encoding="utf-8"))
    assert "Test du paiement au résultat" in text and "ne l'atteint pas" in text
    assert "Équilibre des covariables" in text and "pondération" in text
    for english in ("Main finding", "Checks and caveats", "Outcome-payment test",
                    "Programme cohort", "Methods appendix"):
        assert english not in text


def test_bad_parameters_are_refused_before_the_run(tmp_path):
    # type and name errors stop before a kernel starts; bad values of payment_measure are
    # refused by rc.measures, the template's first estimate step (test_measures_are_checked)
    with pytest.raises(TemplateParameterError, match=r"parameter 'ratio' expects a whole "
                                                     r"number; got 'two'"):
        run_template("reoffending", out=tmp_path / "bad", text={"ratio": "two"},
                     progress=False)
    with pytest.raises(TemplateParameterError, match=r"has no parameter 'treshold'\. Did you "
                                                     r"mean 'threshold'\?"):
        run_template("reoffending", out=tmp_path / "bad", parameters={"treshold": 0.1},
                     progress=False)
    assert not (tmp_path / "bad").exists()
    source = "".join(json.loads(load_template("reoffending").path.read_text(
        encoding="utf-8"))["cells"][3]["source"])
    assert source.startswith("columns = rc.measures(")


# -- report sections and figures (no kernel) ---------------------------------------------------
def test_measures_are_checked():
    assert rc.measures(reoffended="r", events="", payment_measure="binary") == {"binary": "r"}
    with pytest.raises(SpecError, match=r"payment_measure is 'frequency' but its column "
                                        r"\(events\) is empty"):
        rc.measures(reoffended="r", events="", payment_measure="frequency")
    with pytest.raises(SpecError, match=r"payment_measure must be one of"):
        rc.measures(reoffended="r", events="e", payment_measure="both")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_love_and_overlap_plots_have_titles_and_labelled_axes(small_results, lang):
    res = small_results[0]
    love = rc.plot_love(res, lang=lang)
    ax = love.axes[0]
    assert ax.get_title(loc="left") == {"en": "Covariate balance before and after matching",
                                        "fr": "Équilibre des covariables avant et après "
                                              "appariement"}[lang]
    assert "SD" in ax.get_xlabel() or "écarts-types" in ax.get_xlabel()
    assert sorted(round(line.get_xdata()[0], 3) for line in ax.lines
                  if line.get_linestyle() == "--") == [-0.1, 0.1]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "prior_convictions" in labels and "sex: male" in labels
    overlap = rc.plot_overlap(res, lang=lang)
    ax = overlap.axes[0]
    assert ax.get_title(loc="left") and "%" in ax.get_ylabel()
    assert ax.get_xlabel().startswith({"en": "Propensity score", "fr": "Score de propension"}[
        lang])
    assert len(overlap.legends[0].get_texts()) == 3  # a figure legend, under the x title


def test_sections_read_the_results_and_escape_text(small_results):
    html = rc.header(small_results, lang="fr", partnership="<Sortants & Co>")
    assert "&lt;Sortants &amp; Co&gt;" in html and "120 personnes" in html
    headline = rc.headline(small_results, lang="en")
    binary = small_results[0]
    assert f"{binary.extras.treated_rate:.1f} in 100" in headline
    assert "Outcome payment: the threshold is a 7.5% reduction" in headline
    table = rc.effects_section(small_results, lang="en")
    assert table.count("<tr>") == 1 + 2 + 1 + 2  # headers and one row per measure, twice
    assert rc.payment_section(small_results[1:], lang="en") == ""
    checks = rc.diagnostics_section(small_results, lang="en")
    assert checks.count("Covariate balance —") == 1  # shared matching shown once
    with pytest.raises(SpecError, match=r"need cohort_outcome results"):
        rc.headline([ek.wdq({"response": (10, 5), "buffer": (8, 8), "control": (20, 21)})],
                    lang="en")
