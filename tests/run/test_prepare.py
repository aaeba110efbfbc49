"""Parameters follow the user's data; mistakes are refused before any kernel starts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from evalkit._resources import samples_dir
from evalkit.errors import DataError, TemplateParameterError
from evalkit.run.prepare import prepare

CITY = samples_dir() / "city_monthly.csv"


@pytest.fixture(scope="module")
def city() -> pd.DataFrame:
    return pd.read_csv(CITY)


@pytest.fixture()
def single(tmp_path, city) -> Path:
    path = tmp_path / "single.csv"
    city.loc[city["district"] == "Centre", ["month", "burglary", "population"]].to_csv(
        path, index=False)
    return path


def test_sample_values_apply_only_without_data(single):
    sample = prepare("its", {})
    assert sample["unit"] == "district" and sample["units"] == ["Hôtel-de-Ville", "Cathédrale",
                                                                "Moulins"]
    own = prepare("its", {"data": str(single), "outcome": "burglary", "intervention": "2021-06"})
    assert own["unit"] == "" and own["units"] == [] and own["exposure"] == "population"
    none = prepare("its", {"data": str(single), "outcome": "burglary", "intervention": "2021-06",
                           "exposure": "none"})
    assert none["exposure"] == ""
    assert own["time"] == "month" and own["seasonality"] == "month"


def test_a_value_the_user_gives_beats_the_sample():
    assert prepare("its", {"outcome": "robbery"})["outcome"] == "robbery"


def test_cohort_and_treatment_are_inferred_for_a_panel(city, tmp_path):
    path = tmp_path / "panel.csv"
    city.drop(columns="cohort").to_csv(path, index=False)
    values = prepare("did", {"data": str(path), "outcome": "burglary"})
    assert (values["unit"], values["time"], values["treatment"], values["cohort"]) == (
        "district", "month", "partnership", "")


def test_yearly_data_get_no_seasonality(tmp_path):
    path = tmp_path / "years.csv"
    pd.DataFrame({"year": range(1850, 1880), "count": range(30),
                  "population": range(1000, 1030)}).to_csv(path, index=False)
    values = prepare("its", {"data": str(path), "outcome": "count", "intervention": "1870"})
    assert values["seasonality"] == "none"
    assert prepare("indicators", {"data": str(path)})["window"] == 3
    with pytest.raises(DataError, match=r"seasonality='month' needs months.*yearly periods.*"
                       r"-p seasonality none"):
        prepare("its", {"data": str(path), "outcome": "count", "intervention": "1870",
                        "seasonality": "month"})


def test_integer_period_indexes(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"t": range(1, 21), "y": range(20)}).to_csv(path, index=False)
    values = prepare("its", {"data": str(path), "outcome": "y", "intervention": "11"})
    assert values["time"] == "t"


def test_missing_outcome_lists_the_count_columns(single):
    with pytest.raises(TemplateParameterError, match=r"parameter 'outcome' is needed.*"
                       r"'burglary', 'population'.*add -p outcome COLUMN"):
        prepare("its", {"data": str(single), "intervention": "2021-06"})


def test_missing_intervention_gives_the_data_range(single):
    with pytest.raises(TemplateParameterError, match=r"'intervention' is needed.*runs from "
                       r"2017-01 to 2024-12.*-p intervention 20"):
        prepare("its", {"data": str(single), "outcome": "burglary"})


def test_mistyped_column_and_area_name_the_closest(single):
    with pytest.raises(DataError, match=r"outcome column 'Burglary'.*Did you mean 'burglary'"):
        prepare("its", {"data": str(single), "outcome": "Burglary", "intervention": "2021-06"})
    with pytest.raises(DataError, match=r"units: 2 names not found in column 'district': "
                       r"'Gar' \(closest: 'Gare'.*'centre' \(closest: 'Centre'"):
        prepare("its", {"data": str(CITY), "outcome": "burglary", "intervention": "2021-06",
                        "units": ["Gar", "centre"]})


def test_names_with_commas_are_joined_again(tmp_path, city):
    path = tmp_path / "dc.csv"
    city.replace({"district": {"Centre": "Washington, D.C."}}).to_csv(path, index=False)
    values = prepare("its", {"data": str(path), "outcome": "burglary",
                             "intervention": "2021-06", "units": ["Washington", "D.C."]})
    assert values["units"] == ["Washington, D.C."]


def test_sample_areas_never_leak_into_user_data(city, tmp_path):
    path = tmp_path / "other.csv"
    city.replace({"district": {"Quai": "North", "Moulins": "South"}}).to_csv(path, index=False)
    values = prepare("evaluation", {"data": str(path), "outcome": "burglary"})
    assert values["buffer"] == [] and values["buffer_control"] == []
    with pytest.raises(DataError, match=r"exclude: 1 name not found.*'Quai'"):
        prepare("synth", {"data": str(path), "outcome": "burglary", "treated_unit": "Centre",
                          "intervention": "2021-06", "exclude": ["Quai"]})


def test_treatment_checks(city, tmp_path):
    treated = city.loc[city["partnership"] == 1, "district"].iloc[0]
    off = city.copy()
    off.loc[(off["district"] == treated) & (off["month"] == "2024-12"), "partnership"] = 0
    path = tmp_path / "off.csv"
    off.to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"absorbing treatment.*{treated}"):
        prepare("did", {"data": str(path), "outcome": "burglary"})
    bad = city.copy()
    bad.loc[bad["district"] == "Gare", "cohort"] = "2019-01"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"'cohort' and 'partnership' disagree.*Gare: cohort "
                       r"says 2019-01, partnership starts"):
        prepare("did", {"data": str(path), "outcome": "burglary", "cohort": "cohort"})
    always = city.assign(partnership=(city["district"] == "Gare").astype(int))
    path = tmp_path / "always.csv"
    always.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"is 1 from the first period \(2017-01\) in every "
                       r"treated area \(Gare\)"):
        prepare("did", {"data": str(path), "outcome": "burglary", "treatment": "partnership"})


def test_ambiguous_unit_is_required(tmp_path):
    path = tmp_path / "two.csv"
    frame = pd.DataFrame({"month": ["2021-01", "2021-02"] * 2, "a": ["x", "x", "y", "y"],
                          "b": ["p", "p", "q", "q"], "n": [1, 2, 3, 4]})
    frame.to_csv(path, index=False)
    with pytest.raises(TemplateParameterError, match=r"parameter 'unit' is needed.*'a', 'b'"):
        prepare("its", {"data": str(path), "outcome": "n", "intervention": "2021-02"})


def test_windows_are_checked_against_the_series(single):
    with pytest.raises(DataError, match=r"window=60 periods before the start \(2021-01\).*only "
                       r"48 periods before"):
        prepare("evaluation", {"data": str(CITY), "outcome": "burglary", "window": 60,
                               "buffer": ["Gare"], "buffer_control": ["Port"]})


def test_synth_takes_its_unit_from_the_treatment(tmp_path, city):
    one = city.assign(partnership=((city["district"] == "Gare") & (city["month"] >= "2021-06"))
                      .astype(int))
    path = tmp_path / "one.csv"
    one.to_csv(path, index=False)
    values = prepare("synth", {"data": str(path), "outcome": "burglary",
                               "treatment": "partnership"})
    assert (values["treated_unit"], values["intervention"]) == ("Gare", "2021-06")


def test_command_line_refuses_a_mistake_fast(single, tmp_path):
    """Well under 2 s from the command to the message, with exit 2 and no traceback."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evalkit", "run", "its", "--data", str(single),
                           "-p", "outcome", "burglry", "-p", "intervention", "2021-06",
                           "--out", str(tmp_path / "x")], capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    assert proc.returncode == 2 and "Did you mean 'burglary'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x").exists()
    assert seconds < 2.0, seconds


def test_a_template_run_in_its_own_folder_writes_results_outside_it(tmp_path, monkeypatch):
    """JupyterLab runs a template with the templates folder as working folder."""
    from evalkit._resources import templates_dir
    from evalkit.report.results_json import results_path

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(templates_dir())
    assert results_path("its") == tmp_path / "evalkit-reports" / "its" / "results.json"
    monkeypatch.chdir(tmp_path)
    assert results_path("its") == tmp_path / "results.json"


def test_validate_checks_the_treatment_and_names_spreadsheet_lines(tmp_path, city):
    treated = city.loc[city["partnership"] == 1, "district"].iloc[0]
    off = city.copy()
    line = int(off.index[(off["district"] == treated) & (off["month"] == "2024-12")][0]) + 2
    off.loc[line - 2, "partnership"] = 0
    off.loc[5, "burglary"] = -1
    path = tmp_path / "off.csv"
    off.to_csv(path, index=False)
    proc = subprocess.run([sys.executable, "-m", "evalkit", "validate", str(path), "--unit",
                           "district", "--time", "month", "--outcome", "burglary",
                           "--treatment", "partnership", "--cohort", "cohort"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "2 problems found" in proc.stderr
    assert "line 7 (burglary -1)" in proc.stderr  # header is line 1, row 5 is line 7
    assert "absorbing treatment" in proc.stderr and treated in proc.stderr


def test_two_population_columns_must_be_chosen(tmp_path, city):
    path = tmp_path / "two.csv"
    city.assign(pop=city["population"]).to_csv(path, index=False)
    with pytest.raises(TemplateParameterError, match=r"'exposure' is needed: several columns.*"
                       r"'population', 'pop'.*-p exposure none"):
        prepare("did", {"data": str(path), "outcome": "burglary"})


def test_validate_reads_times_in_the_zone_given(tmp_path):
    """Paris midnights stored in UTC: refused without --tz, read as their local month with it."""
    stamps = pd.date_range("2021-01-01", periods=6, freq="MS", tz="Europe/Paris")
    path = tmp_path / "utc.csv"
    pd.DataFrame({"month": stamps.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "n": range(6)}).to_csv(path, index=False)
    args = [sys.executable, "-m", "evalkit", "validate", str(path), "--time", "month",
            "--outcome", "n"]
    refused = subprocess.run(args, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "tz" in refused.stderr
    read = subprocess.run([*args, "--tz", "Europe/Paris"], capture_output=True, text=True,
                          check=False)
    assert read.returncode == 0, read.stderr
    assert "from 2021-01 to 2021-06" in read.stdout
