"""Tests for evalkit.data.panel: load_panel and Panel."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data import Panel, load_panel
from evalkit.errors import DataError


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
