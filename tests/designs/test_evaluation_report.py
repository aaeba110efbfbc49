"""The evaluation report's own sections: checks named by design, cohorts named by their
areas, the notes on areas left out and designs not run, in English and French."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest

from evalkit.designs.evaluation import DesignRun
from evalkit.i18n import Caveat
from evalkit.report import evaluation as ev
from evalkit.results import Diagnostic, EvaluationResult, effect_row, effects_table

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", str(html))))


def _result(method: str, *, diagnostics=(), warnings=()) -> EvaluationResult:
    row = effect_row("att", 0.1, 0.1, alpha=0.05, scale="additive")
    return EvaluationResult(method=method, spec={"alpha": 0.05}, series=pd.DataFrame(),
                            effects=effects_table([row]), diagnostics=tuple(diagnostics),
                            warnings=tuple(warnings))


def _run(treated: dict[str, str], notes=()) -> DesignRun:
    return DesignRun(results=(), treated=treated, comparison=("C",), buffer=(),
                     its_areas=(), always_treated=(), treated_total=0.0, notes=tuple(notes))


_AUTOCORR = Diagnostic("autocorrelation", "no residual autocorrelation", 9.0, 0.01, False,
                       table=pd.DataFrame({"autocorrelation": [0.43]}))


@pytest.mark.parametrize(("lang", "its", "controlled"), [
    ("en", "Interrupted time series: ", "Controlled interrupted time series: "),
    ("fr", "Série temporelle interrompue : ", "Série temporelle interrompue contrôlée : "),
])
def test_every_check_and_caveat_says_which_design_it_belongs_to(lang, its, controlled):
    results = [_result("its", diagnostics=[_AUTOCORR]),
               _result("controlled_its", diagnostics=[_AUTOCORR])]
    text = _text(ev.diagnostics_section(_run({"A": "2021-06"}), results, lang=lang))
    rows = re.findall(r"⚠ (.*?)\(", text)
    assert len(rows) == 2
    assert rows[0].startswith(its) and rows[1].startswith(controlled)


@pytest.mark.parametrize(("lang", "one", "two"), [
    ("en", "The cohort first treated in 1982 is a single area, Maine: its group-time effects "
           "rest on that area alone",
     "The cohort first treated in 1986 has only 2 areas (Florida, Virginia)"),
    ("fr", "La cohorte entrée dans le dispositif en 1982 ne compte qu'un secteur, Maine : ",
     "La cohorte entrée dans le dispositif en 1986 ne compte que 2 secteurs (Florida, "
     "Virginia)"),
])
def test_a_small_cohort_is_named_by_its_areas(lang, one, two):
    res = _result("staggered_did", warnings=[Caveat("cs_small_cohort", cohort="1982", n=1),
                                             Caveat("cs_small_cohort", cohort="1986", n=2)])
    run = _run({"Maine": "1982", "Virginia": "1986", "Florida": "1986", "Texas": "1995"})
    text = _text(ev.diagnostics_section(run, [res], lang=lang))
    assert one in text and two in text
    assert "(s)" not in text


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["4 areas were under the partnership from their first period in the data "
            "(Indiana, New Hampshire, Vermont, Washington)",
            "left out of every design",
            "The interrupted time series could not be estimated on these data: It needs x. "
            "It needs enough periods before the first start (1982): data that begin earlier, "
            "or a simpler model (seasonality none, slope_change false), let it run."]),
    ("fr", ["4 secteurs étaient dans le partenariat dès leur première période dans les "
            "données (Indiana, New Hampshire, Vermont, Washington)",
            "ils sont écartés de tous les plans",
            "Le plan « série temporelle interrompue » n'a pas pu être estimé sur ces données "
            "(message technique, en anglais : It needs x.). Il lui faut assez de périodes "
            "avant le premier démarrage (1982)"]),
])
def test_the_designs_section_names_the_areas_left_out_and_why_a_design_did_not_run(
        lang, expected):
    notes = [Caveat("eval_always_treated", n=4,
                    areas="Indiana, New Hampshire, Vermont, Washington"),
             Caveat("eval_not_run_its", design="its", message="It needs x.", start="1982",
                    window=12)]
    text = _text(ev.designs_section(_run({"Maine": "1982"}, notes), lang=lang,
                                    results=[_result("staggered_did")]))
    for sentence in expected:
        assert sentence in text
    assert "Fix" not in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_caveat_advice_names_the_evaluation_parameters_not_the_estimator_options(lang):
    res = _result("its", warnings=[Caveat("autocorrelation_counts", rho=0.43, p=0.03),
                                   Caveat("overdispersion", dispersion=2.5, p=0.001)])
    text = _text(ev.diagnostics_section(_run({"A": "2021-06"}), [res], lang=lang))
    assert "se=" not in text and "family=" not in text
    assert "seasonality" in text and "family quasipoisson" in text


@pytest.mark.parametrize(("lang", "row"), [
    ("en", "Left out (under the partnership from the first period) Indiana, Vermont"),
    ("fr", "Écartés (dans le partenariat dès la première période) Indiana, Vermont"),
])
def test_the_header_names_the_areas_left_out(lang, row):
    run = DesignRun(results=(), treated={"Maine": "1982"}, comparison=("C",), buffer=(),
                    its_areas=("Maine",), always_treated=("Indiana", "Vermont"),
                    treated_total=0.0, notes=())
    assert row in _text(ev.header(run, lang=lang, outcome="murders"))
    assert "Left out" not in _text(ev.header(_run({"Maine": "1982"}), lang="en",
                                             outcome="murders"))
