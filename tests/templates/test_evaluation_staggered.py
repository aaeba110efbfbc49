"""The evaluation template on a staggered panel whose first cohort predates the data (like
US shall-carry laws in 1977-1999, where four states had the law before 1977): those areas
are left out of every design and named, a design the data cannot support is recorded in
results.json, and every % change in the report is a number of results.json."""

from __future__ import annotations

import json
import re
from html import unescape

import jsonschema
import pytest

from evalkit.data.simulate import simulate_city
from evalkit.i18n import round_percent
from evalkit.report.results_json import SCHEMA_PATH
from evalkit.run.execute import run_template

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
ALWAYS = "Bastide, Citadelle, Jardins"  # the cohort of 2021-01, the data's first month


def _text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    city = simulate_city(roll_out="staggered", n_treated=8, n_districts=24,
                         crimes=("antisocial_behaviour",), seed=11).data
    tmp = tmp_path_factory.mktemp("staggered")
    path = tmp / "late.csv"
    city[city["month"] >= "2021-01"].to_csv(path, index=False)
    # the next cohort (2021-07) has 6 months before it: too few for a monthly-seasonal ITS
    return run_template("evaluation", out=tmp / "out", data=path, progress=False,
                        parameters={"outcome": "antisocial_behaviour",
                                    "exposure": "population", "seasonality": "month"})


def test_areas_treated_from_the_first_period_are_left_out_and_named(outcome):
    results = outcome.results
    jsonschema.validate(results, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    staggered = next(e for e in results["estimates"] if e["term"] == "att_simple")
    assert staggered["method"] == "staggered_did"
    text = _text(outcome.report.read_text(encoding="utf-8"))
    note = (f"3 areas were under the partnership from their first period in the data "
            f"({ALWAYS}): with no period before the start, no design can compare them")
    assert note in text and any(w.startswith(note) for w in results["warnings"])
    assert f"Left out (under the partnership from the first period) {ALWAYS}" in text
    assert "dropped: they have no pre-treatment period" not in text


def test_a_design_that_could_not_run_is_in_results_json_with_advice_that_applies(outcome):
    (record,) = [d for d in outcome.results["diagnostics"] if d["name"] == "design_not_run"]
    assert record["passed"] is False
    assert record["null"].startswith("design its can be estimated on these data; not run: "
                                     "The interrupted time series design needs at least")
    text = _text(outcome.report.read_text(encoding="utf-8"))
    assert "The interrupted time series could not be estimated on these data" in text
    assert "(2021-07)" in text, "the ITS was tried on the first cohort with pre-periods"
    assert "move the intervention date" not in text and "Fix:" not in text
    assert "simpler model (seasonality none, slope_change false)" in text


def test_every_percent_change_in_the_report_is_in_results_json(outcome):
    allowed = {round_percent(100 * (e[k] - 1)) for e in outcome.results["estimates"]
               for k in ("relative_effect", "relative_ci_low", "relative_ci_high")
               if e[k] is not None}
    # the sensitivity rows are in the verdict; the citywide check's change is its
    # diagnostic's statistic
    allowed |= {round_percent(v[k]) for v in outcome.results["verdict"]["sensitivity"]
                for k in ("estimate_pct", "ci_low_pct", "ci_high_pct") if v[k] is not None}
    allowed |= {round_percent(d["statistic"]) for d in outcome.results["diagnostics"]
                if d["name"] == "citywide_change"}
    text = _text(outcome.report.read_text(encoding="utf-8"))
    shown = [float(v) for v in re.findall(r"[+-]\d+(?:\.\d+)?(?=%)", text)]
    assert all(v in allowed for v in shown), (shown, sorted(allowed))
    for line in re.findall(r"(?:✔|⚠) ([^(]*)", text):  # each check names its design
        assert line.startswith(("Group-time difference in differences: ",
                                "Interrupted time series: ", "Check of the data: "))
