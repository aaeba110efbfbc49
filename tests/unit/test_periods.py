"""Tests for evalkit.data.periods: to_periods and parse_period."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalkit.data import parse_period, to_periods
from evalkit.data.periods import period_label
from evalkit.errors import DataError


def _strings(s: pd.Series) -> list[str]:
    return [str(p) for p in s]


@pytest.mark.parametrize(
    ("values", "freq", "expected"),
    [
        ([2020, 2021], "Y", ["2020", "2021"]),
        ([2020.0, 2021.0], "Y", ["2020", "2021"]),
        (["2020", "2021"], "Y", ["2020", "2021"]),
        (["2021-06", "2021-07"], "M", ["2021-06", "2021-07"]),
        (["06/2021", "7/2021"], "M", ["2021-06", "2021-07"]),
        (["2021Q2", "2021-Q3", "2021q4"], "Q", ["2021Q2", "2021Q3", "2021Q4"]),
        (["2021-W23", "2021W24"], "W", ["2021-06-07/2021-06-13", "2021-06-14/2021-06-20"]),
        (["2021-06-01", "2021-07-01"], "M", ["2021-06", "2021-07"]),
        (["01/06/2021", "01/07/2021"], "M", ["2021-06", "2021-07"]),
        (
            ["2021-06-01", "2021-06-02", "2021-06-04"],
            "D",
            ["2021-06-01", "2021-06-02", "2021-06-04"],
        ),
        (["2021-06-07", "2021-06-14"], "W", ["2021-06-07/2021-06-13", "2021-06-14/2021-06-20"]),
        (["2020-01-01", "2020-04-01", "2020-10-01"], "Q", ["2020Q1", "2020Q2", "2020Q4"]),
        (["2020-01-01", "2021-01-01"], "Y", ["2020", "2021"]),
        (["2020-01-31", "2020-02-29"], "M", ["2020-01", "2020-02"]),
        (["2020-03-31", "2020-06-30"], "Q", ["2020Q1", "2020Q2"]),
        (["2021-06-01 00:00:00", "2021-07-01T00:00"], "M", ["2021-06", "2021-07"]),
        ([pd.Timestamp("2021-06-01"), pd.Timestamp("2021-07-01")], "M", ["2021-06", "2021-07"]),
        ([dt.date(2021, 6, 1), dt.date(2021, 6, 2)], "D", ["2021-06-01", "2021-06-02"]),
        ([pd.Period("2021-06", "M"), pd.Period("2021-07", "M")], "M", ["2021-06", "2021-07"]),
        (["2021-06", "2021-06-15"], "M", ["2021-06", "2021-06"]),
    ],
)
def test_formats_and_inference(values: list[object], freq: str, expected: list[str]) -> None:
    s = pd.Series(values, index=[10 + i for i in range(len(values))], name="when")
    before = s.copy(deep=True)
    out, found = to_periods(s)
    assert found == freq
    assert isinstance(out.dtype, pd.PeriodDtype)
    assert _strings(out) == expected
    assert list(out.index) == list(s.index)
    assert out.name == "when"
    pd.testing.assert_series_equal(s, before)


def test_datetime_dtype_with_timezone() -> None:
    s = pd.Series(pd.to_datetime(["2021-01-01", "2021-02-01"]).tz_localize("Europe/Paris"))
    out, found = to_periods(s)
    assert found == "M"
    assert _strings(out) == ["2021-01", "2021-02"]


def test_period_dtype_is_kept() -> None:
    s = pd.Series(pd.period_range("2020Q1", periods=3, freq="Q"))
    out, found = to_periods(s)
    assert found == "Q"
    assert _strings(out) == ["2020Q1", "2020Q2", "2020Q3"]


def test_explicit_freq_converts_finer_values() -> None:
    s = pd.Series(["2021-06-03", "2021-08-20"])
    out, found = to_periods(s, freq="Q")
    assert found == "Q"
    assert _strings(out) == ["2021Q2", "2021Q3"]
    days = pd.Series(pd.to_datetime(["2021-06-03", "2021-08-20"]))
    assert _strings(to_periods(days, freq="M")[0]) == ["2021-06", "2021-08"]


def test_string_dtype_input() -> None:
    s = pd.Series(["2021-06", "2021-07"], dtype="string")
    assert to_periods(s)[1] == "M"


def test_unparseable_values_are_named() -> None:
    s = pd.Series(["2021-06", "2021-13", "soon", "2021-07"])
    with pytest.raises(
        DataError,
        match=r"Column 'month' must hold dates.*2 rows: row 1 \(month '2021-13'\); row 2 "
        r"\(month 'soon'\).*Accepted formats: years \(2021, 1850\).*Fix",
    ):
        to_periods(s, column="month")


def test_at_most_five_rows_are_listed() -> None:
    s = pd.Series([f"bad{i}" for i in range(8)])
    with pytest.raises(DataError, match=r"8 rows: .*row 4 \(time 'bad4'\); and 3 more\."):
        to_periods(s)


@pytest.mark.parametrize("values", [[-1, 2], [2021.5], [True, False], [object()]])
def test_values_that_are_not_years(values: list[object]) -> None:
    with pytest.raises(DataError, match=r"could not be read"):
        to_periods(pd.Series(values, dtype=object), column="year")


def test_missing_values() -> None:
    s = pd.Series(["2021-06", None, " ", "2021-08"])
    with pytest.raises(
        DataError,
        match=r"must have a date or period in every row.*2 rows: row 1 \(month missing\); "
        r"row 2 \(month ' '\)\. Fix: fill in",
    ):
        to_periods(s, column="month")


def test_missing_datetime() -> None:
    s = pd.Series(pd.to_datetime(["2021-06-01", None]))
    with pytest.raises(DataError, match=r"row 1 \(time missing\)"):
        to_periods(s)


def test_empty_column() -> None:
    with pytest.raises(DataError, match=r"Column 'time' has no values.*Fix"):
        to_periods(pd.Series([], dtype=object))


def test_mixed_frequencies() -> None:
    s = pd.Series(["2021", "2021-06", "2021-07"])
    with pytest.raises(
        DataError,
        match=r"mixes formats.*monthly in 2 rows.*yearly in 1 row: row 0 \(time '2021'\).*Fix",
    ):
        to_periods(s)


def test_coarser_than_requested() -> None:
    s = pd.Series(["2020", "2021"])
    with pytest.raises(
        DataError,
        match=r"holds yearly values that cannot be split into monthly periods.*Fix: pass freq='Y'",
    ):
        to_periods(s, freq="M")


def test_bad_freq_option() -> None:
    with pytest.raises(DataError, match=r"Expected freq to be one of D, W, M, Q, Y.*'month'"):
        to_periods(pd.Series(["2021"]), freq="month")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "freq", "expected"),
    [
        ("2021-06", "M", "2021-06"),
        (2021, "M", "2021-01"),
        (np.int64(2021), "Y", "2021"),
        ("2021-06-15", "M", "2021-06"),
        ("15/06/2021", "Q", "2021Q2"),
        (pd.Timestamp("2021-06-15", tz="UTC"), "D", "2021-06-15"),
        (dt.datetime(2021, 6, 15, 13, 30), "W", "2021-06-14/2021-06-20"),
        (pd.Period("2021Q2", "Q"), "M", "2021-04"),
        (pd.Period("2021-06", "M"), "Y", "2021"),
        ("2021Q2", "M", "2021-04"),
    ],
)
def test_parse_period(value: object, freq: str, expected: str) -> None:
    out = parse_period(value, freq)  # type: ignore[arg-type]
    assert isinstance(out, pd.Period)
    assert str(out) == expected


@pytest.mark.parametrize("value", ["June 2021", "2021-13", None, True, 12.5, [2021]])
def test_parse_period_errors(value: object) -> None:
    with pytest.raises(DataError, match=r"Expected start to be a date or period.*Fix: pass e\.g\."):
        parse_period(value, "M", name="start")


def test_parse_period_needs_freq() -> None:
    with pytest.raises(DataError, match=r"got freq=None\. Fix"):
        parse_period("2021-06", None)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="Expected freq to be one of"):
        parse_period("2021-06", "monthly")  # type: ignore[arg-type]


def test_numeric_dtype_years_out_of_range() -> None:
    with pytest.raises(DataError, match=r"row 1 \(year 99999\)"):
        to_periods(pd.Series([2021, 99999]), column="year")


@pytest.mark.parametrize("values", [[1850, 1851, 1852], ["1850", "1851", "1852"]])
def test_years_before_1900(values: list[object]) -> None:
    periods, freq = to_periods(pd.Series(values), column="year")
    assert freq == "Y" and [p.year for p in periods] == [1850, 1851, 1852]


@pytest.mark.parametrize("values", [[1, 2, 3], [0, 1, 2], ["1", "2", "3"], [1.0, 2.0, 3.0]])
def test_integer_period_indexes(values: list[object]) -> None:
    periods, freq = to_periods(pd.Series(values), column="t")
    assert freq == "Y"
    assert [period_label(p) for p in periods] == [str(int(float(v))) for v in values]
    assert parse_period("2", "Y") == periods[1 if values[0] in (1, "1", 1.0) else 2]
