"""The shipped templates run with their defaults on data_samples/ and write valid results."""

from __future__ import annotations

import hashlib
import json
import re

import jsonschema
import pytest

from evalkit.report.results_json import SCHEMA_PATH
from evalkit.run.inputs import resolve_data
from evalkit.run.templates import list_templates

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_every_template_declares_documented_parameters():
    templates = {t.name: t for t in list_templates()}
    assert {"its", "did"} <= set(templates)
    for tpl in templates.values():
        assert "lang" in tpl.names and "data" in tpl.names
        for p in tpl.parameters:
            assert p.help, f"{tpl.name}.{p.name} has no help text"
            assert "=" not in p.help, "papermill's parser cannot read '=' in help comments"


def test_its_api_names_match_template_parameters():
    import inspect

    import evalkit as ek

    api = set(inspect.signature(ek.its).parameters) - {"data"}
    names = set(next(t for t in list_templates() if t.name == "its").names)
    # exclude is exclude_periods in the template (its exclude names areas elsewhere)
    assert api - {"covariates", "hac_lags", "exclude"} <= names and "exclude_periods" in names


@pytest.mark.parametrize(("name", "lang"), [("its", "en"), ("its", "fr"), ("did", "en")])
def test_template_runs_on_sample_data(sample_reports, name, lang):
    outcome = sample_reports[(name, lang)]
    results = outcome.results
    jsonschema.validate(results, SCHEMA)
    assert results["template"] == name
    assert results["parameters"]["lang"] == lang
    terms = {e["term"] for e in results["estimates"]}
    if name == "its":
        assert terms == {"level_change", "slope_change", "cumulative_effect"}
    else:
        # the sample city's roll-out is staggered: group-time estimates plus the TWFE one
        assert {"att", "att_simple", "att_event_0"} <= terms
    # units/periods are those the estimate used (the ITS sums 3 partnership districts)
    assert results["data"]["rows"] == 1920 and results["data"]["periods"] == 96
    assert results["data"]["units"] == (3 if name == "its" else 20)
    # the design's digest of the file, taken by results.json, is the sha256 of its bytes
    data = resolve_data(results["parameters"]["data"]).read_bytes()
    assert results["data"]["sha256"] == hashlib.sha256(data).hexdigest()
    html = outcome.report.read_text(encoding="utf-8")
    assert html.count("<img") >= (1 if name == "its" else 2)
    heading = {"en": "Checks and caveats", "fr": "Vérifications et réserves"}[lang]
    assert heading in html
    assert "evalkit-headline" in html
    assert "Traceback" not in html and "EvalkitWarning" not in html
    assert not re.search(r'<div class="jp-InputArea', html), "code must be hidden by default"
    assert "import evalkit" not in html


def test_french_report_has_no_english_section_titles(sample_reports):
    html = sample_reports[("its", "fr")].report.read_text(encoding="utf-8")
    for english in ("The data used", "Checks and caveats", "Methods appendix", "Main finding",
                    "Parameters and versions"):
        assert english not in html
    assert "baisse de" in html or "hausse de" in html or "Pas de changement net" in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_displacement_template_runs_on_the_single_area_sample(tmp_path, lang):
    from evalkit.run.execute import run_template

    outcome = run_template("displacement", out=tmp_path / "d", lang=lang, progress=False)
    jsonschema.validate(outcome.results, SCHEMA)
    terms = {e["term"] for e in outcome.results["estimates"]}
    assert terms == {"wdq", "wdd_total", "wdd_local", "wdd_displacement"}  # every estimate
    html = outcome.report.read_text(encoding="utf-8")
    assert html.count("<img") == 1
    assert ("Displacement" if lang == "en" else "Déplacement") in html
    assert "Traceback" not in html


def test_synth_template_runs_on_the_single_area_sample(tmp_path):
    from evalkit.run.execute import run_template

    outcome = run_template("synth", out=tmp_path / "s", lang="fr", progress=False)
    jsonschema.validate(outcome.results, SCHEMA)
    terms = {e["term"] for e in outcome.results["estimates"]}
    assert "att" in terms and "gap_2021-06" in terms
    html = outcome.report.read_text(encoding="utf-8")
    assert html.count("<img") == 1 and "Contrôle synthétique" in html
    assert "Poids des donneurs" in html and "Traceback" not in html


def test_synth_template_leaves_treated_and_excluded_areas_out_of_the_donors(tmp_path):
    """A state that adopted the same law inside the post-period must never be a donor
    (issue 14: it became a 0.35-weight donor); the report says who was left out and why;
    every donor weight is in results.json; a misspelt exclude name is refused."""
    import numpy as np
    import pandas as pd

    from evalkit.errors import DataError
    from evalkit.run.execute import run_template

    rng = np.random.default_rng(4)
    years = np.arange(2000, 2016)
    rows = []
    for i in range(14):
        level = 60 + 3 * i
        for y in years:
            law = int((i == 0 and y >= 2010) or (i == 5 and y >= 2012))
            rows.append({"state": f"S{i:02d}", "year": int(y), "law": law,
                         "sales": level - 0.8 * (y - 2000) - 8 * law + rng.normal(0, 1)})
    data = tmp_path / "panel.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    params = {"outcome": "sales", "unit": "state", "time": "year", "treated_unit": "S00",
              "intervention": "2010", "exclude": ["S13"], "treatment": "law", "min_count": 0,
              "disclosure_level": "district"}
    outcome = run_template("synth", data=data, out=tmp_path / "r", parameters=params,
                           progress=False)
    jsonschema.validate(outcome.results, SCHEMA)
    weights = {d["name"]: d["statistic"] for d in outcome.results["diagnostics"]
               if d["name"].startswith("donor_weight:")}
    assert "donor_weight:S05" not in weights and "donor_weight:S13" not in weights
    assert len(weights) == 11 and abs(sum(weights.values()) - 1) < 1e-9
    html = outcome.report.read_text(encoding="utf-8")
    assert "column law marks them as treated in some period of the data: S05" in html
    assert "Left out of the donors as asked (exclude): S13." in html
    with pytest.raises(DataError, match=r"'S3' \(closest: 'S13', 'S03'\)"):
        run_template("synth", data=data, out=tmp_path / "bad",
                     parameters={**params, "exclude": ["S3"]}, progress=False)
