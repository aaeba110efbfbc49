"""Parse time columns and dates into pandas Periods at a daily to yearly frequency."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal, cast, get_args

import numpy as np
import pandas as pd

from evalkit.data.validate import _rows
from evalkit.errors import DataError

__all__ = ["CodedPeriods", "Freq", "coded_periods", "parse_period", "period_codes",
           "period_label", "to_periods"]

Freq = Literal["D", "W", "M", "Q", "Y"]

_ORDER: dict[str, int] = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}
_PANDAS: dict[str, str] = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}
_NAMES = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
# Whole numbers in this range are years; below 1000 they are period indexes (1..T, as R
# `did` and Stata panels have them), kept as yearly periods labelled by the bare number.
# pandas represents these years without overflow (non-nanosecond timestamps).
_YEARS = (0, 2261)
FORMATS = (
    "years (2021, 1850) or period numbers (1, 2, 3...), months (2021-06, 06/2021), "
    "quarters (2021Q2, 2021-Q2), ISO weeks (2021-W23), days (2021-06-01, or 01/06/2021 day first), "
    "datetimes or Periods"
)
_TIME = (r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
         r"\s*(?P<z>Z|UTC|[+-]\d{2}:?\d{2})?)?")
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?P<y>\d{1,4})(?:\.0+)?"), "Y"),
    (re.compile(r"(?P<y>\d{4})\s*-?\s*[QT](?P<q>[1-4])", re.I), "Q"),
    (re.compile(r"[QT](?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})", re.I), "Q"),
    (re.compile(r"(?P<y>\d{4})-?W(?P<w>\d{1,2})", re.I), "W"),
    (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})"), "M"),
    (re.compile(r"(?P<m>\d{1,2})[-/.](?P<y>\d{4})"), "M"),
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME), "D"),
    (re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})" + _TIME), "D"),
]


def period_label(period: pd.Period) -> str:
    """A period as a reader writes it and :func:`to_periods` reads it back: ``2021-06``,
    ``1850``, ``7`` for period index 7, and a week by its first day (``str`` of a weekly
    Period is a ``start/end`` range that no parser takes)."""
    kind = _freq_of(period)
    if kind == "Y":
        return str(period.year)
    if kind == "W":
        return period.start_time.strftime("%Y-%m-%d")
    return str(period)


def _freq_of(period: pd.Period) -> Freq:
    """Our frequency code for a pandas Period (sub-daily and business days count as D)."""
    m = re.match(r"(A|Y|Q|M|W)(?:E|S)?(?:-|$)", period.freqstr)
    return cast(Freq, {"A": "Y"}.get(m.group(1), m.group(1)) if m else "D")


def _year(value: float) -> pd.Period | None:
    if float(value).is_integer() and _YEARS[0] <= value <= _YEARS[1]:
        return pd.Period(year=int(value), freq="Y")
    return None


def _from_text(text: str) -> pd.Period | None:
    text = text.strip()
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(text)
        if not m:
            continue
        g = {k: int(v) for k, v in m.groupdict().items() if k in "yqwmd"}
        try:
            if kind == "Y":
                return _year(g["y"])
            if kind == "Q":
                return pd.Period(year=g["y"], quarter=g["q"], freq="Q")
            if kind == "W":
                return pd.Period(dt.date.fromisocalendar(g["y"], g["w"], 1), freq="W-SUN")
            if kind == "M":
                return pd.Period(dt.date(g["y"], g["m"], 1), freq="M")
            return pd.Period(dt.date(g["y"], g["m"], g["d"]), freq="D")
        except (ValueError, OverflowError):
            return None
    return None


def _zoned(value: object) -> pd.Timestamp | None:
    """The value as a time-zone-aware Timestamp if it carries a zone or UTC offset
    (``2021-05-31T22:00:00Z``, ``2021-06-01 00:00+02:00``, an aware datetime), else None."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return pd.Timestamp(value)
    if not isinstance(value, str):
        return None
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(value.strip())
        if m is None or kind != "D":
            continue
        g = m.groupdict()
        if not g.get("z"):
            return None
        zone = g["z"].upper()
        if zone in ("Z", "UTC"):
            tzinfo: dt.tzinfo = dt.UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tzinfo = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]),
                                                     minutes=int(digits[2:])))
        try:
            return pd.Timestamp(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"]),
                                int(g["M"]), int(g["S"] or 0), tzinfo=tzinfo)
        except (ValueError, OverflowError):
            return None
    return None


def _check_tz(tz: object) -> str | None:
    if tz is None:
        return None
    try:
        pd.Timestamp("2021-01-01", tz=tz)
    except Exception:
        raise DataError(
            f"Expected tz to be a time zone name such as 'Europe/Paris' or 'UTC', but got "
            f"{tz!r}. Fix: pass the IANA name of the zone the data's times are meant in."
        ) from None
    return cast(str, tz)


def _ambiguous_zone(column: str, shown: str, example: pd.Timestamp) -> DataError:
    paris = example.tz_convert("Europe/Paris").strftime("%Y-%m-%d")
    utc = example.tz_convert("UTC").strftime("%Y-%m-%d")
    return DataError(
        f"Column '{column}' must hold times whose period is clear, but holds times with a time "
        f"zone or UTC offset that are not at midnight in {shown}: their period depends on the "
        f"zone the data is meant in ({example.isoformat()} is {paris} in Paris and {utc} in "
        "UTC). Fix: pass tz= the zone of the data (e.g. tz='Europe/Paris', or tz='UTC' to "
        "take the times in UTC)."
    )


def _parse_one(value: object) -> pd.Period | None:
    """Parse one value to a Period at its own (native) frequency, or None."""
    if isinstance(value, pd.Period):
        return value if _freq_of(value) != "D" or value.freqstr == "D" else value.asfreq("D")
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, dt.date | np.datetime64):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return None
        if ts is pd.NaT:
            return None
        return pd.Period(ts.tz_localize(None) if ts.tzinfo else ts, freq="D")
    if isinstance(value, int | float | np.integer | np.floating):
        return _year(float(value)) if np.isfinite(value) else None
    if isinstance(value, str):
        return _from_text(value)
    return None


def _infer_from_days(days: pd.DatetimeIndex) -> Freq:
    """Infer the frequency from the spacing of distinct dates (daily precision)."""
    d = days.unique().sort_values()
    if len(d) == 0:
        return "D"
    months = np.asarray(d.month)
    for anchor, edge in ((1, d.is_month_start), (0, d.is_month_end)):
        if np.asarray(edge).all():
            gap = np.diff(np.asarray(d.year) * 12 + months)
            if (months % 12 == anchor % 12).all() and (gap % 12 == 0).all():
                return "Y"
            if len(d) > 1 and (months % 3 == anchor % 3).all() and (gap % 3 == 0).all():
                return "Q"
            return "M"
    weekday = np.asarray(d.day_of_week)
    if len(d) > 1 and (weekday == weekday[0]).all():
        return "W"
    return "D"


def _check_freq(freq: object) -> Freq | None:
    if freq is not None and freq not in get_args(Freq):
        raise DataError(
            f"Expected freq to be one of {', '.join(get_args(Freq))} or None (infer), but got "
            f"{freq!r}. Fix: pass freq='M' for monthly data, 'Q' quarterly, 'Y' yearly, etc."
        )
    return cast("Freq | None", freq)


def to_periods(
    values: pd.Series, *, freq: Freq | None = None, column: str = "time",
    tz: str | None = None,
) -> tuple[pd.Series, Freq]:
    """Parse a time column to pandas Periods and return them with their frequency.

    Parameters
    ----------
    values : pandas.Series
        Years (2021, 2021.0), strings (``2021``, ``2021-06``, ``06/2021``, ``2021-06-01``,
        ``01/06/2021`` day first, ``2021Q2``, ``2021-Q2``, ``2021-W23``), datetimes or Periods.
    freq : {"D", "W", "M", "Q", "Y"}, optional
        Frequency wanted. None infers it from the format (``2021-06`` is monthly,
        ``2021Q2`` quarterly, years yearly) or, for dates, from the spacing of the
        distinct dates (all on the 1st of months → monthly, and so on). Finer values are
        converted to the coarser frequency (a day to its month); coarser values are an error.
    column : str, default "time"
        Column name used in error messages.
    tz : str, optional
        Time zone the data is meant in (``"Europe/Paris"``, ``"UTC"``). Times that carry a
        zone or a UTC offset (``2021-05-31T22:00:00Z``, aware datetimes) are converted to it
        before their period is taken, so a monthly local midnight stored in UTC stays in its
        month. Times without a zone are taken as already in it. Without ``tz``, zoned times
        that all fall at midnight in their own offset are read at their written date; zoned
        times of day are an error, because their period depends on the zone (the machine's
        own zone is never guessed: the same file must give the same periods everywhere).

    Returns
    -------
    periods : pandas.Series
        Period dtype, same index and name as ``values``.
    freq : {"D", "W", "M", "Q", "Y"}
        The frequency used.

    Raises
    ------
    DataError
        On missing or unparseable values, mixed formats, values coarser than ``freq``,
        nested values (lists), or zoned times of day without ``tz``.
    """
    periods, target, _, _ = _parse(values, freq, column, tz)
    return periods, target


@dataclass(frozen=True)
class CodedPeriods:
    """A parsed time column together with its period numbers (see :func:`coded_periods`)."""

    periods: pd.Series        # Period dtype, same index and name as the input
    freq: Freq
    codes: np.ndarray         # (n,) position of each row's period among ``labels``
    labels: pd.PeriodIndex    # the distinct periods, sorted


def coded_periods(
    values: pd.Series, *, freq: Freq | None = None, column: str = "time",
    tz: str | None = None,
) -> CodedPeriods:
    """:func:`to_periods` plus the numbering of :func:`period_codes`, in one pass.

    The distinct values are parsed and numbered once; the rows only get integer codes.

    Parameters
    ----------
    values : pandas.Series
    freq : {"D", "W", "M", "Q", "Y"}, optional
    column : str, default "time"
    tz : str, optional
        As in :func:`to_periods`.

    Returns
    -------
    CodedPeriods

    Raises
    ------
    DataError
        As :func:`to_periods`.
    """
    periods, target, codes, parsed = _parse(values, freq, column, tz)
    if codes is None:
        time_codes, labels = period_codes(periods)
    else:
        ordinals, inverse = np.unique(parsed.asi8, return_inverse=True)
        time_codes = inverse.astype(np.int64)[codes]
        labels = pd.PeriodIndex.from_ordinals(ordinals, freq=parsed.freq)
    return CodedPeriods(periods, target, time_codes, labels)


def _parse(
    values: pd.Series, freq: Freq | None, column: str, tz: str | None = None
) -> tuple[pd.Series, Freq, np.ndarray | None, pd.PeriodIndex | None]:
    """Periods, frequency, and (except for datetimes) each row's code into the parsed
    distinct values, which are returned as the last item."""
    freq = _check_freq(freq)
    tz = _check_tz(tz)
    frame = values.to_frame(name=column)  # only read to name rows in error messages

    if len(values) == 0:
        raise DataError(
            f"Column '{column}' has no values, but periods are needed. Fix: check that the "
            "data has rows."
        )
    datetimes = pd.api.types.is_datetime64_any_dtype(values)
    if datetimes:
        miss = values.isna().to_numpy()
    else:
        try:
            codes, uniques = pd.factorize(values, sort=False)  # missing values get code -1
        except TypeError:  # unhashable cells: lists (a Parquet list column), dicts, arrays
            nested = values.map(lambda v: not isinstance(v, Hashable)).to_numpy()
            raise DataError(
                f"Column '{column}' must hold one date or period per row, but holds lists or "
                f"other nested values in {_rows(frame, nested, [column])}. Fix: store one "
                "date per row (a Parquet list column must be flattened first)."
            ) from None
        miss = codes < 0
        blank = [i for i, v in enumerate(uniques) if isinstance(v, str) and not v.strip()]
        if blank:
            miss |= np.isin(codes, blank)
    if miss.any():
        raise DataError(
            f"Column '{column}' must have a date or period in every row, but found missing "
            f"values in {_rows(frame, miss, [column])}. Fix: fill in these dates or drop the rows."
        )
    if datetimes:
        naive = values
        if values.dt.tz is not None:
            if tz is not None:
                naive = values.dt.tz_convert(tz).dt.tz_localize(None)
            else:
                naive = values.dt.tz_localize(None)
                timed = (naive != naive.dt.normalize()).to_numpy()
                if timed.any():
                    raise _ambiguous_zone(column, _rows(frame, timed, [column]),
                                          values[timed].iloc[0])
        target = freq or _infer_from_days(pd.DatetimeIndex(naive.dt.normalize().unique()))
        return naive.dt.to_period(_PANDAS[target]).rename(values.name), target, None, None
    uniques = _unzone(list(uniques), tz, column, frame, codes)
    parsed = [_parse_one(u) for u in uniques]
    bad = np.isin(codes, [i for i, p in enumerate(parsed) if p is None])
    if bad.any():
        raise DataError(
            f"Column '{column}' must hold dates or periods, but these values could not be read: "
            f"{_rows(frame, bad, [column])}. Accepted formats: {FORMATS}. Fix: correct these "
            "values or pass the column in one of these formats."
        )
    target = freq or _infer(parsed, column, frame, codes)
    coarse = [i for i, p in enumerate(parsed) if _ORDER[_freq_of(p)] > _ORDER[target]]
    if coarse:
        kind = _freq_of(parsed[coarse[0]])
        raise DataError(
            f"Column '{column}' holds {_NAMES[kind]} values that cannot be split into "
            f"{_NAMES[target]} periods, in {_rows(frame, np.isin(codes, coarse), [column])}. "
            f"Fix: pass freq='{kind}' (or freq=None), or give these rows a finer date."
        )
    pfreq = _PANDAS[target]
    index = pd.PeriodIndex([p.asfreq(pfreq, how="start") for p in parsed], freq=pfreq)
    periods = pd.Series(index.take(codes), index=values.index, name=values.name)
    return periods, target, codes, index


def _unzone(uniques: list[object], tz: str | None, column: str, frame: pd.DataFrame,
            codes: np.ndarray) -> list[object]:
    """Zoned values as naive Timestamps in ``tz`` (or at their written date, see
    :func:`to_periods`); other values unchanged."""
    zoned = [_zoned(u) for u in uniques]
    if all(z is None for z in zoned):
        return uniques
    out = list(uniques)
    timed = []
    for i, z in enumerate(zoned):
        if z is None:
            continue
        if tz is not None:
            out[i] = z.tz_convert(tz).tz_localize(None)
        else:
            out[i] = z.tz_localize(None)
            if out[i] != out[i].normalize():
                timed.append(i)
    if timed:
        example = cast(pd.Timestamp, zoned[timed[0]])
        raise _ambiguous_zone(column, _rows(frame, np.isin(codes, timed), [column]), example)
    return out


def period_codes(periods: pd.Series) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Number the periods of a Period series 0..T-1 in time order, without boxing them.

    Parameters
    ----------
    periods : pandas.Series
        Period dtype, no missing values (as returned by :func:`to_periods`).

    Returns
    -------
    codes : (n,) int64 array
        Position of each row's period among the distinct periods, in time order.
    labels : pandas.PeriodIndex
        The distinct periods, sorted.
    """
    ordinals = np.asarray(periods.array.asi8)
    lo = int(ordinals.min())
    present = np.bincount(ordinals - lo) > 0
    position = np.cumsum(present) - 1
    labels = pd.PeriodIndex.from_ordinals(np.flatnonzero(present) + lo, freq=periods.dt.freq)
    return position[ordinals - lo], labels


def _infer(parsed: list[pd.Period], column: str, frame: pd.DataFrame, codes: np.ndarray) -> Freq:
    """Infer a frequency from parsed values: from their format, else from date spacing."""
    kinds = [_freq_of(p) for p in parsed]
    coarse = sorted({k for k in kinds if k != "D"}, key=_ORDER.__getitem__)
    if len(coarse) > 1:
        examples = [
            f"{_NAMES[k]} in {_rows(frame, np.isin(codes, [i for i, x in enumerate(kinds) if x == k]), [column])}"  # noqa: E501
            for k in coarse
        ]
        raise DataError(
            f"Column '{column}' mixes formats of different frequencies: {' | '.join(examples)}. "
            "Fix: use one format for the whole column, or pass freq= to convert every value "
            "to one frequency."
        )
    if coarse:
        return cast(Freq, coarse[0])
    return _infer_from_days(pd.DatetimeIndex([p.start_time for p in parsed]))


def parse_period(value: object, freq: Freq, *, name: str = "intervention") -> pd.Period:
    """Convert a date parameter (e.g. the intervention date) to a Period at ``freq``.

    Parameters
    ----------
    value : object
        ``"2021-06"``, ``2021``, ``"2021-06-01"``, ``"2021Q2"``, a Timestamp, date or Period.
    freq : {"D", "W", "M", "Q", "Y"}
        The data's frequency. A coarser value is taken at its start (2021 → 2021-01
        for monthly data); a finer one is the period containing it.
    name : str, default "intervention"
        Parameter name used in error messages.

    Returns
    -------
    pandas.Period

    Raises
    ------
    DataError
        If the value cannot be read as a date or period.
    """
    target = _check_freq(freq)
    if target is None:
        raise DataError(
            f"Expected the data's frequency to convert {name} to, but got freq=None. "
            "Fix: pass freq='D', 'W', 'M', 'Q' or 'Y'."
        )
    period = None if value is None else _parse_one(value)
    if period is None:
        raise DataError(
            f"Expected {name} to be a date or period, but got {value!r}. Accepted formats: "
            f"{FORMATS}. Fix: pass e.g. {name}='2021-06'."
        )
    return period.asfreq(_PANDAS[target], how="start")
