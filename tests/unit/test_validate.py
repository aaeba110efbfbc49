"""Tests for evalkit.data.validate: every check and every message."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest

from evalkit.data import (
    check_absorbing,
    check_gaps,
    check_groups,
    check_intervention,
    check_numeric,
    check_positive,
    check_unique,
    require_columns,
)
from evalkit.errors import DataError


@pytest.fixture
def unchanged() -> Iterator[Callable[[pd.DataFrame], pd.DataFrame]]:
    """Register frames; after the test each must equal its copy taken at registration."""
    seen: list[tuple[pd.DataFrame, pd.DataFrame]] = []

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        seen.append((df, df.copy(deep=True)))
        return df

    yield keep
    for df, before in seen:
        pd.testing.assert_frame_equal(df, before)


def _panel(counts: list[object], units: list[str] | None = None) -> pd.DataFrame:
    n = len(counts)
    return pd.DataFrame(
        {
            "unit": units or ["north"] * n,
            "month": pd.period_range("2021-01", periods=n, freq="M"),
            "burglary": counts,
        }
    )


# require_columns -----------------------------------------------------------------------


def test_require_columns_ok(unchanged: Callable) -> None:
    df = unchanged(_panel([1, 2]))
    assert require_columns(df, ["unit", "month"]) is None


def test_require_columns_suggests_closest(unchanged: Callable) -> None:
    df = unchanged(_panel([1, 2]))
    with pytest.raises(
        DataError,
        match=r"Expected the outcome column 'burglry'.*Did you mean 'burglary'\? "
        r"Available columns: 'unit', 'month', 'burglary'\. Fix: pass the exact",
    ):
        require_columns(df, ["burglry"], role="outcome")


def test_require_columns_case_and_no_suggestion() -> None:
    df = _panel([1])
    with pytest.raises(DataError, match=r"Did you mean 'unit'\?"):
        require_columns(df, ["UNIT"])
    with pytest.raises(
        DataError,
        match=r"Expected a column 'zzz', but the data has no such column\. "
        r"Available",
    ):
        require_columns(df, ["zzz"])


# check_numeric ---------------------------------------------------------------------------


def test_check_numeric_returns_float(unchanged: Callable) -> None:
    df = unchanged(pd.DataFrame({"n": [1, 2, 3]}, index=[5, 6, 7]))
    out = check_numeric(df, "n", integer=True)
    assert out.dtype == "float64"
    assert out.tolist() == [1.0, 2.0, 3.0]
    assert list(out.index) == [5, 6, 7]


def test_check_numeric_converts_numeric_text(unchanged: Callable) -> None:
    df = unchanged(pd.DataFrame({"n": ["1", " 2,5", "3.25", None, ""]}))
    out = check_numeric(df, "n", allow_missing=True)
    assert out.tolist()[:3] == [1.0, 2.5, 3.25]
    assert out.iloc[3:].isna().all()


def test_check_numeric_text(unchanged: Callable) -> None:
    df = unchanged(_panel([1, "n.d.", 3, "x"]))
    with pytest.raises(
        DataError,
        match=r"Column 'burglary' must hold numbers, but found text in 2 rows: row 1 "
        r"\(burglary 'n\.d\.'\); row 3 \(burglary 'x'\)\. Fix: correct these cells",
    ):
        check_numeric(df, "burglary")


def test_check_numeric_missing(unchanged: Callable) -> None:
    df = unchanged(_panel([1.0, np.nan, 3.0]))
    with pytest.raises(
        DataError,
        match=r"must have a value in every row, but found missing values in 1 row: "
        r"row 1 \(burglary missing\)\. Fix: fill them in \(0 if there were no incidents\)",
    ):
        check_numeric(df, "burglary")
    assert check_numeric(df, "burglary", allow_missing=True).isna().sum() == 1


def test_check_numeric_negative(unchanged: Callable) -> None:
    df = unchanged(_panel([1, -2, 3]))
    with pytest.raises(DataError, match=r"must not be negative.*row 1 \(burglary -2\)\. Fix"):
        check_numeric(df, "burglary")
    assert check_numeric(df, "burglary", nonnegative=False).tolist() == [1.0, -2.0, 3.0]


def test_check_numeric_fractional(unchanged: Callable) -> None:
    df = unchanged(_panel([1, 2.5, 3]))
    with pytest.raises(
        DataError,
        match=r"holds counts and must contain whole numbers.*row 1 \(burglary 2\.5\)\. Fix: round",
    ):
        check_numeric(df, "burglary", integer=True)


def test_check_numeric_infinite(unchanged: Callable) -> None:
    df = unchanged(_panel([1.0, np.inf]))
    with pytest.raises(DataError, match=r"must hold finite numbers.*row 1 \(burglary inf\)\. Fix"):
        check_numeric(df, "burglary")


def test_check_numeric_missing_column() -> None:
    with pytest.raises(DataError, match=r"Expected a column 'nope'"):
        check_numeric(_panel([1]), "nope")


# check_positive --------------------------------------------------------------------------


def test_check_positive(unchanged: Callable) -> None:
    df = unchanged(pd.DataFrame({"population": [100, 0, np.nan, -5, 20]}))
    assert check_positive(df.iloc[[0, 4]], "population") is None
    with pytest.raises(
        DataError,
        match=r"Column 'population' is an exposure .* must be a positive number in every row, "
        r"but found missing, zero or negative values in 3 rows: row 1 \(population 0\); "
        r"row 2 \(population missing\); row 3 \(population -5\)\. Fix: fill in the exposure",
    ):
        check_positive(df, "population")


def test_check_positive_text() -> None:
    with pytest.raises(DataError, match=r"must hold numbers.*\(pop 'many'\)"):
        check_positive(pd.DataFrame({"pop": ["many"]}), "pop")


# check_unique ----------------------------------------------------------------------------


def test_check_unique(unchanged: Callable) -> None:
    df = unchanged(_panel([1, 2, 3]))
    assert check_unique(df, ["unit", "month"]) is None
    dup = unchanged(pd.concat([df, df.iloc[[0, 0, 2]]]).reset_index(drop=True))
    with pytest.raises(
        DataError,
        match=r"Expected one row per \(unit, month\), but found 5 rows sharing 2 keys: "
        r"\(unit 'north', month 2021-01\) in 3 rows \(0, 3, 4\); \(unit 'north', month 2021-03\) "
        r"in 2 rows \(2, 5\)\. Fix: aggregate to one row per key first",
    ):
        check_unique(dup, ["unit", "month"])


def test_check_unique_limits_keys() -> None:
    df = pd.DataFrame({"t": list(range(7)) * 2})
    with pytest.raises(
        DataError, match=r"14 rows sharing 7 keys: .*\(t 4\) in 2 rows.*; and 2 more\."
    ):
        check_unique(df, ["t"])


# check_gaps ------------------------------------------------------------------------------


def test_check_gaps(unchanged: Callable) -> None:
    df = unchanged(
        pd.concat(
            [
                _panel([1, 2, 3, 4, 5], ["north"] * 5).drop(index=[1, 2]),
                _panel([1, 2], ["south"] * 2),
            ]
        )
    )
    assert check_gaps(df[df["unit"] == "south"], unit="unit", time="month") is None
    with pytest.raises(
        DataError,
        match=r"Column 'month': expected one row for every period .* but 1 unit has gaps: "
        r"unit 'north' is missing 2021-02, 2021-03\. Fix: add the missing rows with a count of "
        r"0 if there were no incidents, or pass the data through evalkit\.data's aggregation\.",
    ):
        check_gaps(df, unit="unit", time="month")


def test_check_gaps_single_series() -> None:
    df = _panel(list(range(10))).drop(index=range(1, 8))
    with pytest.raises(
        DataError, match=r"the series is missing 2021-02, .*, 2021-06; and 2 more\. Fix"
    ):
        check_gaps(df, unit=None, time="month")


def test_check_gaps_needs_periods() -> None:
    df = pd.DataFrame({"month": ["2021-01"]})
    with pytest.raises(DataError, match=r"must hold periods .* dtype (object|str).*to_periods"):
        check_gaps(df, unit=None, time="month")


# check_intervention ----------------------------------------------------------------------


@pytest.fixture
def months() -> pd.Series:
    return pd.Series(pd.period_range("2020-01", "2021-12", freq="M")).repeat(2)


def test_check_intervention_ok(months: pd.Series) -> None:
    before = months.copy()
    iv = pd.Period("2021-01", "M")
    assert check_intervention(months, iv, min_pre=12, min_post=12, design="ITS") is None
    assert check_intervention(pd.PeriodIndex(months), iv, min_pre=1, design="ITS") is None
    pd.testing.assert_series_equal(months, before)


def test_check_intervention_outside(months: pd.Series) -> None:
    with pytest.raises(
        DataError,
        match=r"Expected the intervention inside the data's range 2020-01 to 2021-12, but it is "
        r"2022-03\. Fix",
    ):
        check_intervention(months, pd.Period("2022-03", "M"), min_pre=1, design="ITS")


def test_check_intervention_too_few_pre(months: pd.Series) -> None:
    with pytest.raises(
        DataError,
        match=r"The ITS design needs at least 24 periods before the intervention \(2021-01\), "
        r"but the data has 12 \(data range 2020-01 to 2021-12\)\. Fix: use data starting earlier",
    ):
        check_intervention(months, pd.Period("2021-01", "M"), min_pre=24, design="ITS")


def test_check_intervention_too_few_post(months: pd.Series) -> None:
    with pytest.raises(
        DataError,
        match=r"needs at least 3 periods from the intervention \(2021-11\), but the data has 2 ",
    ):
        check_intervention(months, pd.Period("2021-11", "M"), min_pre=1, min_post=3, design="DiD")


def test_check_intervention_wrong_freq(months: pd.Series) -> None:
    with pytest.raises(DataError, match=r"at the data's frequency \(M\).*parse_period"):
        check_intervention(months, pd.Period("2021Q1", "Q"), min_pre=1, design="ITS")


def test_check_intervention_no_periods() -> None:
    empty = pd.Series([], dtype="period[M]")
    with pytest.raises(DataError, match=r"needs periods to place the intervention in"):
        check_intervention(empty, pd.Period("2021-01", "M"), min_pre=1, design="ITS")


# check_groups ----------------------------------------------------------------------------


def test_check_groups() -> None:
    flags = pd.Series([True, False], index=["north", "south"])
    assert check_groups(flags, unit="district") is None
    assert check_groups(pd.Series([1, 0], index=["a", "b"]), unit="district") is None
    with pytest.raises(
        DataError, match=r"at least one treated district, but all 2 units are controls\. Fix"
    ):
        check_groups(flags & False, unit="district")
    with pytest.raises(
        DataError, match=r"at least one control \(untreated\) district, but all 2 units are treated"
    ):
        check_groups(flags | True, unit="district")


def test_check_groups_missing_flag() -> None:
    flags = pd.Series([1.0, np.nan], index=["north", "south"])
    with pytest.raises(DataError, match=r"flag is missing for 'south'\. Fix: mark them 0 or 1"):
        check_groups(flags, unit="district")


# check_absorbing -------------------------------------------------------------------------


def test_check_absorbing(unchanged: Callable) -> None:
    ok = pd.DataFrame({"u": ["a"] * 3 + ["b"] * 3, "t": [1, 2, 3] * 2, "d": [0, 0.5, 1, 0, 0, 0]})
    assert check_absorbing(unchanged(ok), unit="u", time="t", treatment="d") is None
    bad = unchanged(
        pd.DataFrame(
            {"u": ["a"] * 4 + ["b"] * 4, "t": [4, 3, 2, 1] * 2, "d": [0, 1, 0, 0, 0, 1, 1, 0]}
        )
    )
    with pytest.raises(
        DataError,
        match=r"needs an absorbing treatment .* but 2 units switch it off: u 'a' on from 3, off "
        r"again in 4; u 'b' on from 2, off again in 4\. Fix: code treatment as on",
    ):
        check_absorbing(bad, unit="u", time="t", treatment="d")


def test_check_absorbing_out_of_range() -> None:
    df = pd.DataFrame({"u": ["a", "a"], "t": [1, 2], "d": [0, 2]})
    with pytest.raises(DataError, match=r"0/1 or a treated share between 0 and 1.*\(d 2\)\. Fix"):
        check_absorbing(df, unit="u", time="t", treatment="d")
