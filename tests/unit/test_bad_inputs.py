"""Bad input, at the edge, once: every malformed input a city would really send gives exit
code 2, one clear message naming the problem, no traceback, the input file byte-identical
afterwards, and no output folder left behind (tests/data/bad/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
VALIDATE = ["--unit", "district", "--time", "month", "--outcome", "burglary", "--exposure",
            "population"]
DID = ["-p", "outcome", "burglary"]
ITS = [*DID, "-p", "units", "Centre", "-p", "control", "", "-p", "exposure", "population",
       "-p", "seasonality", "none"]

# (case id, file, command before the file, arguments after it, expected message regex)
CASES = [
    ("empty file", "empty.csv", ["validate"], VALIDATE, r"empty"),
    ("header only", "header_only.csv", ["validate"], VALIDATE, r"no data rows|header"),
    ("wrong separator", "wrong_separator.csv", ["validate"], VALIDATE,
     r"no such column"),
    ("latin-1 accents and duplicates", "latin1_duplicate.csv", ["validate"], VALIDATE,
     r"Hôtel-de-Ville"),
    ("BOM and a negative count", "bom_negative.csv", ["validate"], VALIDATE, r"negative"),
    ("decimal comma fractional count", "decimal_comma_fractional.csv", ["validate"],
     VALIDATE, r"whole numbers"),
    ("duplicated unit-periods", "duplicated_rows.csv", ["validate"], VALIDATE,
     r"one row per \(district, month\)"),
    ("dates in three formats", "mixed_date_formats.csv", ["validate"], VALIDATE,
     r"month"),
    ("negative counts", "negative_counts.csv", ["validate"], VALIDATE, r"negative"),
    ("fractional counts", "fractional_counts.csv", ["validate"], VALIDATE,
     r"whole numbers"),
    ("missing population", "missing_population.csv", ["validate"], VALIDATE,
     r"population"),
    ("zero population", "zero_population.csv", ["validate"], VALIDATE,
     r"positive number"),
    ("negative population", "negative_population.csv", ["validate"], VALIDATE,
     r"positive number"),
    ("text in a numeric column", "text_in_counts.csv", ["validate"], VALIDATE,
     r"must hold numbers.*twelve"),
    ("missing dates", "missing_dates.csv", ["validate"], VALIDATE, r"month"),
    ("unparseable dates", "unparseable_dates.csv", ["validate"], VALIDATE, r"sometime"),
    ("gap in a series", "gap_in_series.csv", ["validate"], VALIDATE, r"Gare"),
    ("blank unit label", "blank_unit.csv", ["validate"], VALIDATE, r"district"),
    ("unit named <script>", "script_unit_duplicate.csv", ["validate"], VALIDATE,
     r"<script>alert\(1\)</script>"),
    ("one column only", "one_column.csv", ["validate"], VALIDATE, r"no such column"),
    ("duplicate column names", "duplicate_columns.csv", ["validate"], VALIDATE,
     r"burglary"),
    ("binary garbage", "binary_garbage.csv", ["validate"], VALIDATE, r"binary_garbage"),
    ("corrupt Excel", "corrupt.xlsx", ["validate"], VALIDATE, r"corrupt\.xlsx"),
    ("corrupt Parquet", "corrupt.parquet", ["validate"], VALIDATE, r"corrupt\.parquet"),
    ("unknown file type", "report.doc", ["validate"], VALIDATE, r"\.doc"),
    ("unclosed quote", "unclosed_quote.csv", ["validate"], VALIDATE,
     r"Expected a delimited table in .*unclosed_quote\.csv.*could not be parsed"),
    ("misspelt outcome", "panel_ok.csv", ["validate"],
     ["--unit", "district", "--time", "month", "--outcome", "burglar"],
     r"Did you mean 'burglary'"),
    ("misspelt unit", "panel_ok.csv", ["validate"],
     ["--unit", "distict", "--time", "month"], r"Did you mean 'district'"),
    ("intervention outside the data", "panel_ok.csv", ["run", "its", "--data"],
     [*ITS, "-p", "intervention", "2030-01"], r"2030-01"),
    ("one pre-period", "panel_ok.csv", ["run", "its", "--data"],
     [*ITS, "-p", "intervention", "2019-02"], r"periods before the intervention"),
    ("unparseable intervention", "panel_ok.csv", ["run", "its", "--data"],
     [*ITS, "-p", "intervention", "June"], r"June"),
    ("unknown treated area", "panel_ok.csv", ["run", "its", "--data"],
     [*DID, "-p", "units", "Atlantis", "-p", "intervention", "2021-01"], r"Atlantis"),
    ("all units treated", "all_treated.csv", ["run", "did", "--data"], DID,
     r"collinear|treated|first period"),
    ("no treated unit", "none_treated.csv", ["run", "did", "--data"], DID,
     r"no treated unit"),
    ("parameter of the wrong type", "panel_ok.csv", ["run", "its", "--data"],
     ["-p", "harmonics", "two"], r"parameter 'harmonics' expects a whole number"),
    ("unknown parameter", "panel_ok.csv", ["run", "its", "--data"],
     ["-p", "outcom", "burglary"], r"no parameter 'outcom'.*Did you mean 'outcome'"),
    ("boolean parameter", "panel_ok.csv", ["run", "its", "--data"],
     ["-p", "slope_change", "maybe"], r"expects true or false"),
    ("list parameter", "panel_ok.csv", ["run", "its", "--data"],
     ["-p", "units", "[Centre"], r"expects a list"),
    ("unknown template", "panel_ok.csv", ["run", "itss", "--data"], [],
     r"unknown template 'itss'"),
    ("invalid YAML parameters", "panel_ok.csv", ["run", "its", "--data"],
     ["-f", str(BAD / "bad_params.yaml")], r"not valid YAML"),
    ("YAML parameters not a mapping", "panel_ok.csv", ["run", "its", "--data"],
     ["-f", str(BAD / "list_params.yaml")], r"must be a mapping"),
    ("invalid family", "panel_ok.csv", ["run", "its", "--data"],
     [*ITS, "-p", "family", "gaussian", "-p", "intervention", "2021-01"],
     r"family must be one of"),
]


@pytest.mark.slow  # one evalkit process per case: about 1 s each, 40 s in all
@pytest.mark.parametrize(("case", "name", "before", "after", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_gives_a_clean_error(tmp_path, case, name, before, after, expected):
    path = BAD / name
    original = path.read_bytes()
    out = tmp_path / "out"
    args = [*before, str(path), *after]
    if args[0] == "run":
        args += ["--out", str(out), "--no-progress"]
    proc = subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True,
                          text=True, check=False, timeout=300)
    assert proc.returncode == 2, (case, proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip(), "an error must say something"
    import re

    assert re.search(expected, proc.stderr, flags=re.S), (case, proc.stderr)
    assert path.read_bytes() == original, "the input file was modified"
    assert not out.exists() and not list(tmp_path.glob(".out*")), "output left behind"


def test_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40
