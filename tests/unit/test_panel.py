"""Tests for evalkit.data.panel: load_panel and Panel."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data import Panel, data_fingerprint, load_panel
from evalkit.data.panel import as_panel, with_first_treated
from evalkit.designs.choice import choose_did_design
from evalkit.designs.evaluation import run_designs
from evalkit.errors import DataError, SpecError


@pytest.fixture
def city() -> pd.DataFrame:
    """Two districts x 4 months, deliberately unsorted, with a non-default index."""
    df = pd.DataFrame(
        {
            "district": ["south", "north"] * 4,
            "month": [
                "2021-02",
                "2021-02",
                "2021-01",
                "2021-01",
                "2021-04",
                "2021-04",
                "2021-03",
                "2021-03",
            ],
            "burglary": [3, 5, 2, 4, 0, 6, 1, 7],
            "population": [1000, 2000] * 4,
        }
    )
    return df.set_axis(range(100, 108))


def test_load_panel_from_frame(city: pd.DataFrame) -> None:
    before = city.copy(deep=True)
    panel = load_panel(
        city, unit="district", time="month", outcome="burglary", exposure="population"
    )
    pd.testing.assert_frame_equal(city, before)
    data = panel.data
    assert isinstance(data.index, pd.RangeIndex)
    assert isinstance(data["month"].dtype, pd.PeriodDtype)
    assert data["district"].tolist() == ["north"] * 4 + ["south"] * 4
    assert [str(p) for p in data["month"].iloc[:4]] == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert data["burglary"].tolist() == [4, 5, 7, 6, 2, 3, 1, 0]
    assert panel.freq == "M"
    assert panel.notes == ()
    assert list(panel.units) == ["north", "south"]
    assert [str(p) for p in panel.periods] == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert (panel.n_units, panel.n_periods, panel.n_obs) == (2, 4, 8)
    assert repr(panel) == (
        "Panel(2 units x 4 periods [M, 2021-01..2021-04], 8 rows; unit='district', "
        "time='month', outcome='burglary', exposure='population')"
    )


def test_panel_is_frozen(city: pd.DataFrame) -> None:
    panel = load_panel(city, unit="district", time="month")
    with pytest.raises(dataclasses.FrozenInstanceError):
        panel.freq = "Q"  # type: ignore[misc]


def test_load_panel_from_european_csv(tmp_path: Path) -> None:
    text = (
        "quartier;mois;cambriolages;logements\n"
        "Hôtel-de-Ville;01/02/2021;3;1.250,5\n"
        "Hôtel-de-Ville;01/01/2021;2;1.250,5\n"
        "Gare;01/01/2021;NA;800\n"
        "Gare;01/02/2021;1;800\n"
    )
    path = tmp_path / "ville.csv"
    path.write_bytes(text.encode("latin-1"))
    before = path.read_bytes()
    with pytest.raises(DataError, match=r"Column 'cambriolages' must have a value.*row 2"):
        load_panel(path, unit="quartier", time="mois", outcome="cambriolages")
    panel = load_panel(path, unit="quartier", time="mois", exposure="logements")
    assert path.read_bytes() == before
    assert panel.freq == "M"
    assert list(panel.units) == ["Gare", "Hôtel-de-Ville"]
    assert panel.data["logements"].tolist() == [800, 800, 1250.5, 1250.5]


def test_load_panel_from_parquet_and_xlsx(tmp_path: Path, city: pd.DataFrame) -> None:
    city.to_parquet(tmp_path / "c.parquet")
    with pd.ExcelWriter(tmp_path / "c.xlsx") as writer:
        city.to_excel(writer, sheet_name="notes", index=False)
        city.to_excel(writer, sheet_name="data", index=False)
    a = load_panel(tmp_path / "c.parquet", unit="district", time="month", outcome="burglary")
    b = load_panel(
        tmp_path / "c.xlsx", unit="district", time="month", outcome="burglary", sheet="data"
    )
    pd.testing.assert_frame_equal(a.data, b.data, check_dtype=False)


def test_single_series_and_quarterly(city: pd.DataFrame) -> None:
    north = city[city["district"] == "north"].drop(columns="district")
    north = north.assign(month=["2021Q2", "2021Q1", "2021Q4", "2021Q3"])
    panel = load_panel(north, unit=None, time="month", outcome="burglary")
    assert panel.freq == "Q"
    assert panel.n_units == 1
    assert len(panel.units) == 0
    assert panel.data["burglary"].tolist() == [4, 5, 7, 6]
    assert "unit=" not in repr(panel)


def test_unit_labels_become_text(city: pd.DataFrame) -> None:
    df = city.assign(district=city["district"].map({"north": 75001.0, "south": 75002.0}))
    panel = load_panel(df, unit="district", time="month", freq="M")
    assert list(panel.units) == ["75001", "75002"]


def test_blank_rows_are_dropped_with_a_note(city: pd.DataFrame) -> None:
    blank = pd.DataFrame([[np.nan] * 4], columns=city.columns, index=[999])
    df = pd.concat([city, blank])
    panel = load_panel(df, unit="district", time="month")
    assert panel.n_obs == 8
    assert panel.notes == ("Dropped 1 empty row (every cell blank): row 999.",)


def test_missing_column_is_named(city: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"Expected the outcome column 'burglaries'.*'burglary'"):
        load_panel(city, unit="district", time="month", outcome="burglaries")
    with pytest.raises(DataError, match=r"Expected the unit column 'District'.*'district'"):
        load_panel(city, unit="District", time="month")


def test_missing_unit_label(city: pd.DataFrame) -> None:
    df = city.assign(district=city["district"].where(city.index != 103, None))
    with pytest.raises(
        DataError,
        match=r"Column 'district' must name the unit in every row, but found missing labels in "
        r"1 row: row 103 \(district missing\)\. Fix",
    ):
        load_panel(df, unit="district", time="month")


def test_bad_time_and_outcome(city: pd.DataFrame) -> None:
    with pytest.raises(
        DataError, match=r"Column 'month' must hold dates.*row 101 \(month 'soon'\)"
    ):
        load_panel(
            city.assign(month=city["month"].where(city.index != 101, "soon")),
            unit="district",
            time="month",
        )
    with pytest.raises(DataError, match=r"Column 'burglary' must not be negative.*row 100"):
        load_panel(
            city.assign(burglary=-city["burglary"] + 1),
            unit="district",
            time="month",
            outcome="burglary",
        )
    with pytest.raises(DataError, match=r"Column 'burglary' must hold numbers.*'lots'"):
        load_panel(
            city.assign(burglary=["lots"] + [1] * 7),
            unit="district",
            time="month",
            outcome="burglary",
        )


def test_bad_exposure(city: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"'population' is an exposure.*row 101 \(population 0\)"):
        load_panel(
            city.assign(population=[1000, 0] * 4),
            unit="district",
            time="month",
            exposure="population",
        )


def test_duplicates(city: pd.DataFrame) -> None:
    before = city.copy(deep=True)
    with pytest.raises(
        DataError, match=r"one row per \(district, month\).*\(district 'south', month 2021-02\)"
    ):
        load_panel(pd.concat([city, city.iloc[[0]]]), unit="district", time="month")
    pd.testing.assert_frame_equal(city, before)


def test_gaps(city: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"unit 'south' is missing 2021-02\. Fix: add the missing"):
        load_panel(city.drop(index=100), unit="district", time="month")


def test_require_balanced(city: pd.DataFrame) -> None:
    short = city.drop(index=[104])
    panel = load_panel(short, unit="district", time="month")
    assert panel.n_obs == 7
    with pytest.raises(
        DataError,
        match=r"Expected a balanced panel .* from 2021-01 to 2021-04\), but 1 units are not: "
        r"district 'south' covers 2021-01 to 2021-03\. Fix: .*require_balanced=False",
    ):
        load_panel(short, unit="district", time="month", require_balanced=True)


def test_empty_table(city: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"Expected data rows, but the table is empty"):
        load_panel(city.iloc[:0], unit="district", time="month")


def test_panel_fields() -> None:
    assert [f.name for f in dataclasses.fields(Panel)] == [
        "data",
        "unit",
        "time",
        "outcome",
        "exposure",
        "freq",
        "notes",
        "sha256",
    ]


def test_find_problems_collects_independent_checks_and_skips_dependent_ones():
    from evalkit.data.panel import find_problems

    df = pd.DataFrame({"u": ["a", "a", "b"], "t": ["2021-01", "someday", "2021-01"],
                       "y": [1, -2, 3]})
    problems = find_problems(df, unit="u", time="t", outcome="y", exposure="pop")
    assert len(problems) == 3
    assert any("'pop'" in p and "no such column" in p for p in problems)
    assert any("someday" in p for p in problems)
    assert any("negative" in p for p in problems)
    assert find_problems(df.assign(t=["2021-01", "2021-02", "2021-01"], y=1), unit="u",
                         time="t", outcome="y") == []


# -- designs take a Panel (issue 16): roles as defaults, timing and digest computed once -------
CITY = {"unit": "district", "time": "month", "outcome": "burglary", "exposure": "population"}


@pytest.fixture(scope="module")
def town() -> pd.DataFrame:
    """12 districts x 36 months, treatment starting at three dates (three never treated)."""
    from evalkit.data.simulate import simulate_city

    return simulate_city(n_districts=12, n_months=36, start="2020-01", roll_out="staggered",
                         seed=5).data


@pytest.fixture(scope="module")
def single_town() -> pd.DataFrame:
    """20 districts x 48 months, one treated from 2021-06 (Canal)."""
    from evalkit.data.simulate import simulate_city

    return simulate_city(n_districts=20, n_months=48, start="2019-01", roll_out="single",
                         crimes=("burglary",), seed=5).data


def _offenders() -> pd.DataFrame:
    from evalkit.data.simulate_cohort import simulate_cohort

    # the release month as a Period, as the Panel holds it: matching breaks ties by a hash of
    # the unused cells, and a text month hashes differently
    data = simulate_cohort(n_treated=200, n_comparison=800, seed=1).data
    return data.assign(released=pd.Period("2024-01", "M"))


def _respondents() -> pd.DataFrame:
    rows = ([("T", 2019, a) for a in ["unsafe", "Very unsafe", "unsafe", "safe"] * 10]
            + [("T", 2021, a) for a in ["unsafe", "safe", "safe", "very safe"] * 10]
            + [("C", 2019, a) for a in ["unsafe", "unsafe", "safe", "safe", "safe"] * 8]
            + [("C", 2021, a) for a in ["very unsafe", "unsafe", "safe", "safe"] * 10])
    df = pd.DataFrame(rows, columns=["area", "wave", "answer"])
    return df.assign(rid=[f"r{i}" for i in range(len(df))], interviewed="2021-03")


def _effects(res) -> pd.DataFrame:
    return res.effects[["term", "estimate", "std_error"]].reset_index(drop=True)


# name -> (data, the Panel's roles, the design called with explicit roles or none, result
# reduced to what must match)
DESIGNS = {
    "did": ("town", CITY, lambda d, **r: ek.did(
        d, treatment="partnership", family="poisson", inference="cluster", **r), _effects),
    "event_study": ("town", CITY, lambda d, **r: ek.event_study(
        d, treatment="partnership", leads=3, lags=3, **r), _effects),
    "its": ("town", CITY, lambda d, **r: ek.its(
        d, intervention="2021-01", units=["Gare", "Port"], **r), _effects),
    "bacon": ("town", {k: CITY[k] for k in ("unit", "time", "outcome")},
              lambda d, **r: ek.bacon_decomposition(d, treatment="partnership", **r),
              lambda res: res.table.reset_index(drop=True)),
    "choice": ("town", {"unit": "district", "time": "month"},
               lambda d, **r: choose_did_design(d, treatment="partnership", **r),
               lambda res: (res.design, res.cohorts, res.n_treated, res.n_never)),
    "wdd": ("town", {k: CITY[k] for k in ("unit", "time", "outcome")},
            lambda d, **r: ek.wdd(data=d, intervention="2021-07", response=["Faubourg"],
                                  buffer=["Université"], control=["Canal", "Marché"],
                                  buffer_control=["Les Halles"], **r), _effects),
    "wdq": ("town", {k: CITY[k] for k in ("unit", "time", "outcome")},
            lambda d, **r: ek.wdq(data=d, intervention="2021-07", response=["Faubourg"],
                                  buffer=["Université"], control=["Canal", "Marché"], **r),
            _effects),
    "staggered_did": ("town", CITY, lambda d, **r: ek.staggered_did(
        d, treatment="partnership", **r), _effects),
    "synth": ("single_town", {k: CITY[k] for k in ("unit", "time", "outcome")},
              lambda d, **r: ek.synth(d, treated_unit="Canal", intervention="2021-06",
                                      placebo=False, **r), _effects),
    "run_designs": ("single_town", CITY, lambda d, **r: run_designs(
        d, treatment="partnership", seed=1, **r),
        lambda run: ([_effects(x) for x in run.results], dict(run.treated), run.comparison,
                     run.always_treated, run.treated_total)),
    "cohort_outcome": (_offenders, {"unit": "person_id", "time": "released",
                                    "outcome": "reconviction_events"},
                       lambda d, outcome=None, **_: ek.cohort_outcome(
                           d, treated="programme", outcome=outcome,
                           covariates=["age", "sex", "prior_convictions", "offence_type"],
                           outcome_type="frequency", seed=3), _effects),
    "survey_did": (_respondents, {"unit": "rid", "time": "interviewed"},
                   lambda d, **_: ek.survey_did(d, response="answer", area="area",
                                                wave="wave", treated_areas="T",
                                                before=[2019], after=[2021]), _effects),
}


@pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_every_design_takes_a_panel_and_gives_the_same_effects(name, request) -> None:
    source, roles, design, reduce = DESIGNS[name]
    df = request.getfixturevalue(source) if isinstance(source, str) else source()
    panel = load_panel(df, **roles)
    from_frame = design(df, **roles)
    from_panel = design(panel)  # the Panel's roles fill the column arguments
    expected, got = reduce(from_frame), reduce(from_panel)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    elif name == "run_designs":
        for a, b in zip(got[0], expected[0], strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
        assert got[1:] == expected[1:]
    else:
        assert got == expected
    if hasattr(from_panel, "provenance"):  # the Panel's digest, not computed again
        assert from_panel.provenance["data_sha256"] == panel.sha256


def test_an_argument_contradicting_the_panel_raises(town: pd.DataFrame) -> None:
    panel = load_panel(town, **CITY)
    with pytest.raises(SpecError, match=r"Expected outcome= to match the Panel's outcome "
                       r"column 'burglary', but got 'robbery'\. Fix: leave outcome= out"):
        ek.did(panel, outcome="robbery", treatment="partnership")
    with pytest.raises(SpecError, match=r"Expected unit= to match the Panel's unit column "
                       r"'district', but got 'area'\. Fix: .*unit='area'"):
        as_panel(panel, unit="area")
    with pytest.raises(SpecError, match=r"Expected freq= to match the Panel's frequency 'M', "
                       r"but got 'Q'\. Fix: leave freq= out"):
        as_panel(panel, unit=None, freq="Q")
    # the same column, or none, is no contradiction
    assert as_panel(panel, unit="district", outcome="burglary") is panel


def test_a_missing_column_argument_is_named(town: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match=r"Expected outcome= \(the outcome column\), but none "
                       r"was given\. Fix: pass outcome=COLUMN\."):
        ek.did(town, unit="district", time="month", treatment="partnership")
    panel = load_panel(town, unit="district", time="month")
    with pytest.raises(SpecError, match=r"but none was given and the Panel has none\."):
        ek.bacon_decomposition(panel, treatment="partnership")
    with pytest.raises(SpecError, match=r"as_panel needs time= \(the time column\)"):
        as_panel(town, unit="district")


def test_as_panel_builds_from_a_frame_or_a_path(town: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "town.csv"
    town.to_csv(path, index=False)
    from_path = as_panel(path, unit="district", time="month", treatment="partnership")
    from_frame = as_panel(town, unit="district", time="month")
    pd.testing.assert_frame_equal(from_path.data[["district", "month", "burglary"]],
                                  from_frame.data[["district", "month", "burglary"]])
    assert from_path.sha256 == data_fingerprint(path)  # the file's bytes, as designs hash it
    assert from_frame.sha256 == data_fingerprint(town)
    with pytest.raises(DataError, match=r"Expected the treatment column 'dose', but the "
                       r"data has no such column"):
        as_panel(town, unit="district", time="month", treatment="dose")


def _old_starts(df: pd.DataFrame, unit: str, time: str, treatment: str) -> pd.Series:
    """The derivation the designs repeated before the Panel had a timing."""
    on = pd.to_numeric(df[treatment], errors="coerce").fillna(0).to_numpy(dtype=float) > 0
    return df.loc[on, time].groupby(df.loc[on, unit]).min()


def test_timing_matches_the_old_derivation_and_is_computed_once(
        town: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    import evalkit.data.panel as panel_module
    calls = []
    real = panel_module.timing
    monkeypatch.setattr(panel_module, "timing", lambda *a, **k: calls.append(1) or real(*a, **k))
    panel = load_panel(town, unit="district", time="month")
    found = panel.timing("partnership")
    assert panel.timing("partnership").first.equals(found.first) and len(calls) == 1  # cached
    pd.testing.assert_series_equal(found.first, _old_starts(panel.data, "district", "month",
                                                            "partnership"))
    cohorts = town.dropna(subset=["cohort"]).groupby("district")["cohort"].first()
    assert found.first.astype(str).to_dict() == cohorts.to_dict()
    assert [str(c) for c in found.cohorts] == ["2021-01", "2021-07", "2022-01"]
    assert found.never_treated == ("Canal", "Hôtel-de-Ville", "Les Halles", "Marché")
    assert found.always_treated == ()
    # a district treated from its first period in the data (a later one for Port)
    late = town[(town["district"] != "Port") | (town["month"] >= "2021-01")]
    assert load_panel(late, unit="district", time="month").timing(
        "partnership").always_treated == ("Port",)
    with pytest.raises(DataError, match=r"Expected the treatment column 'dose', but the "
                       r"data has no such column"):
        panel.timing("dose")
    with pytest.raises(DataError, match=r"this Panel is a single series\. Fix: build the "
                       r"Panel with unit="):
        load_panel(town[town["district"] == "Port"], unit=None, time="month").timing(
            "partnership")


def test_with_first_treated_keeps_a_panel_a_panel(town: pd.DataFrame) -> None:
    panel = load_panel(town, unit="district", time="month")
    marked = with_first_treated(panel, unit="district", time="month", treatment="partnership")
    assert isinstance(marked, Panel) and marked.sha256 == panel.sha256
    assert "first_treated" not in panel.data
    frame = with_first_treated(town, unit="district", time="month", treatment="partnership")
    by_unit = frame.groupby("district")["first_treated"].first()
    assert marked.data.groupby("district")["first_treated"].first().to_dict() == \
        by_unit.to_dict()


@pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
def test_the_data_is_hashed_once(town: pd.DataFrame, monkeypatch) -> None:
    """load_panel hashes its source; the designs and results.json reuse the digest."""
    import evalkit.data.io as io
    from evalkit.report.results_json import build_results

    calls: list[object] = []
    real = io.data_fingerprint

    def counting(data):
        calls.append(data)
        return real(data)

    for module in ("evalkit.data.panel", "evalkit.designs._common",
                   "evalkit.report.results_json"):
        monkeypatch.setattr(f"{module}.data_fingerprint", counting)
    panel = load_panel(town, **CITY)
    assert len(calls) == 1 and panel.sha256 == real(town)
    res = ek.did(panel, treatment="partnership", family="poisson", inference="cluster")
    doc = build_results([res], template="did", parameters={}, data=panel, unit="district",
                        time="month")
    assert len(calls) == 1
    assert res.provenance["data_sha256"] == doc["data"]["sha256"] == panel.sha256
    assert doc["data"]["rows"] == len(town) and doc["data"]["units"] == 12
    ek.did(town, treatment="partnership", family="poisson", inference="cluster", **CITY)
    assert len(calls) == 2  # a frame is hashed by the design, as before


def test_load_panel_can_drop_rows_without_keys_and_allow_gaps(city: pd.DataFrame) -> None:
    """The options run_designs builds its Panel with (issue 16: one builder)."""
    holed = city.copy()
    holed.loc[101, "district"] = None
    holed.loc[104, "month"] = None
    with pytest.raises(DataError, match=r"Column 'district' must name the unit in every row"):
        load_panel(holed, unit="district", time="month")
    panel = load_panel(holed, unit="district", time="month", drop_missing_keys=True,
                       gaps=False)
    assert panel.n_obs == 6
    assert panel.notes == ("Dropped 2 rows without a district or a month: rows 101, 104.",)
    gappy = city.drop(index=[102, 103])  # 2021-01 of both: no gap, the range starts later
    gappy = gappy.drop(index=[107])  # north misses 2021-03 inside its range
    with pytest.raises(DataError, match=r"north"):
        load_panel(gappy, unit="district", time="month")
    assert load_panel(gappy, unit="district", time="month", gaps=False).n_obs == 5


def test_run_designs_names_the_row_of_a_treatment_that_is_not_a_number(single_town) -> None:
    df = single_town.copy()
    df["partnership"] = df["partnership"].astype(object)
    df.loc[df.index[5], "partnership"] = "yes"
    where = df.loc[df.index[5], ["district", "month"]].tolist()
    with pytest.raises(DataError, match=rf"treatment column 'partnership' must be 0/1 .*found "
                       rf"'yes' in the row of district {where[0]}, month {where[1]}\. Fix"):
        run_designs(df, treatment="partnership", **CITY)


@pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
def test_a_template_run_hashes_the_data_file_once(single_town, tmp_path: Path,
                                                   monkeypatch) -> None:
    """run_designs + build_results, as the evaluation template calls them (issue 16)."""
    import hashlib
    import sys

    import evalkit.data.io as io
    from evalkit.report.results_json import build_results

    path = tmp_path / "city.csv"
    single_town.to_csv(path, index=False)
    calls: list[object] = []
    real = io.data_fingerprint

    def counting(data):
        calls.append(data)
        return real(data)

    for module in [m for n, m in list(sys.modules.items()) if n.startswith("evalkit")]:
        if getattr(module, "data_fingerprint", None) is real:
            monkeypatch.setattr(module, "data_fingerprint", counting)
    run = run_designs(path, treatment="partnership", seed=1, **CITY)
    doc = build_results(run.results, template="evaluation", parameters={}, data=path,
                        unit="district", time="month", sha256=run.sha256)
    assert calls == [path]
    file_digest = hashlib.sha256(path.read_bytes()).hexdigest()  # DESIGN.md's data_sha256
    assert doc["data"]["sha256"] == run.sha256 == file_digest
    assert len(run.results) > 1
    assert {r.provenance["data_sha256"] for r in run.results} == {file_digest}
    assert doc["data"]["rows"] == len(single_town)


def test_a_design_s_outcome_rules_hold_for_a_panel_too(town: pd.DataFrame) -> None:
    """wdd counts whole numbers, from a frame (the builder) or from a Panel built without
    that rule."""
    rates = town.assign(burglary=town["burglary"] + 0.5)
    areas = dict(intervention="2021-07", response=["Faubourg"], buffer=["Université"],
                 control=["Canal", "Marché"], buffer_control=["Les Halles"])
    roles = {k: CITY[k] for k in ("unit", "time", "outcome")}
    match = r"Column 'burglary' holds counts and must contain whole numbers"
    with pytest.raises(DataError, match=match):
        ek.wdd(data=rates, **roles, **areas)
    with pytest.raises(DataError, match=match):
        ek.wdd(data=load_panel(rates, **roles), **areas)
    with pytest.raises(DataError, match=match):  # outcome given to the design, not the Panel
        ek.wdd(data=load_panel(rates, unit="district", time="month"), outcome="burglary",
               **areas)


def test_a_design_s_own_checks_run_on_a_panel_and_name_the_input_s_rows(town) -> None:
    """bacon_decomposition's 0/1 check runs in the builder: rows of the input (its index),
    and on a Panel's data too."""
    shares = town.astype({"partnership": float}).set_axis(range(1000, 1000 + len(town)))
    row = shares.index[(shares["partnership"] == 1).to_numpy()][0]
    shares.loc[row, "partnership"] = 0.5
    roles = {k: CITY[k] for k in ("unit", "time", "outcome")}
    match = rf"Column 'partnership' must be binary \(0/1\) .*: row {row} \(0\.5\)"
    with pytest.raises(DataError, match=match):
        ek.bacon_decomposition(shares, treatment="partnership", **roles)
    panel = load_panel(shares, **roles)
    at = panel.data.index[(panel.data["partnership"] == 0.5).to_numpy()][0]
    with pytest.raises(DataError, match=rf"must be binary \(0/1\) .*: row {at} \(0\.5\)"):
        ek.bacon_decomposition(panel, treatment="partnership")


def test_timing_hands_out_a_copy_so_the_cached_cohorts_cannot_be_changed(town):
    df = town
    panel = load_panel(df, unit="district", time="month", outcome="burglary")
    first = panel.timing("partnership").first
    before = first.copy()
    first[:] = first.iloc[0]
    pd.testing.assert_series_equal(panel.timing("partnership").first, before)


def test_a_panel_built_without_the_gap_check_is_checked_by_a_design_that_needs_it(town):
    df = town
    one = df[df["district"] == df["district"].iloc[0]]
    one = one[one["month"] != one["month"].iloc[5]]
    panel = load_panel(one, unit=None, time="month", outcome="burglary", gaps=False)
    with pytest.raises(DataError, match="expected one row for every period"):
        as_panel(panel, unit=None, time="month", outcome="burglary")
    assert as_panel(panel, unit=None, time="month", gaps=False) is panel
