"""Incident files: the date formats and the SQL that reads the dates."""

from __future__ import annotations

from typing import Any

from evalkit.data.incidents.mapping import _Map
from evalkit.data.incidents.sql import _first, _ident, _lit
from evalkit.data.periods import _ORDER, Freq
from evalkit.errors import DataError

_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
# "iso" is DuckDB's own timestamp cast: 2023-01-15, 2023-01-15 22:30[:00[.123]][+01]
_CANDIDATES = ("iso", *_DAY_FIRST, *_MONTH_FIRST, "%Y/%m/%d", "%Y-%m", "%Y/%m", "%m/%Y", "%Y")
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT"}


def _resolution(fmt: str) -> Freq:
    """The finest period a strptime format gives."""
    if fmt == "iso" or any(code in fmt for code in ("%d", "%-d", "%j", "%-j")):
        return "D"
    return "M" if any(code in fmt for code in ("%m", "%-m", "%b", "%B")) else "Y"


def _parse_sql(column: str, fmt: str) -> str:
    if fmt == "iso":
        return f"TRY_CAST({column} AS TIMESTAMP)"
    return f"try_strptime({column}, {_lit(fmt)})"


def _sniff_format(con: Any, scan: str, raw: str, column: str, who: str) -> str:
    """Pick the date format that reads a sample of the column."""
    sample = [r[0] for r in con.execute(
        f"SELECT {raw} FROM {scan} WHERE {raw} IS NOT NULL LIMIT 2000").fetchall()]
    if not sample:
        return "iso"
    read = {fmt: con.execute(f"SELECT count({_parse_sql('x', fmt)}) FROM unnest(?::VARCHAR[]) "
                             "t(x)", [sample]).fetchone()[0] for fmt in _CANDIDATES}
    full = [fmt for fmt in _CANDIDATES if read[fmt] == len(sample)]
    day, month = [f for f in full if f in _DAY_FIRST], [f for f in full if f in _MONTH_FIRST]
    if day and month:
        raise DataError(
            f"Column '{column}' ({who}) holds dates such as {sample[0]!r} that read both day "
            f"first and month first. Fix: pass date_format='{day[0]}' (day first) or "
            f"date_format='{month[0]}' (month first).")
    best = max(_CANDIDATES, key=lambda fmt: read[fmt])
    if read[best] == 0:
        shown = ", ".join(map(repr, list(dict.fromkeys(sample))[:5]))
        raise DataError(
            f"Column '{column}' ({who}) must hold dates, but its values (e.g. {shown}) match "
            f"none of the formats tried ({', '.join(_CANDIDATES)}). Fix: pass date_format= "
            "their strptime format, e.g. date_format='%d/%m/%Y %H:%M'.")
    return full[0] if full else best


def _text_sql(column: str, typ: str) -> str:
    """The column as text, empty as NULL, whole floats without '.0'.

    Spaces and missing-value markers (``NA``...) of units and categories are cleaned on
    their distinct values (:func:`_label`), not on every row; text files have the markers
    read as NULL by DuckDB itself.
    """
    c = _ident(column)
    if typ == "VARCHAR":
        return f"NULLIF({c}, '')"
    if typ in _INTEGER:
        return f"CAST({c} AS VARCHAR)"
    if typ in ("FLOAT", "DOUBLE") or typ.startswith("DECIMAL"):
        return (f"CASE WHEN {c} = trunc({c}) THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({c} AS VARCHAR) END")
    return f"CAST({c} AS VARCHAR)"


# a time of day followed by a zone or a UTC offset: 2023-01-15T22:30:00Z, 2023-01-15 22:30+01
_ZONED = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$"


def _zone_error(column: str, who: str, example: object) -> DataError:
    return DataError(
        f"Column '{column}' ({who}) holds times with a time zone or UTC offset (e.g. "
        f"{example!r}), so the period of an incident near midnight depends on the zone the "
        "data is meant in. Fix: pass tz= the zone of the data (e.g. tz='Europe/Paris', or "
        "tz='UTC' to count the times in UTC).")


def _one_date(con: Any, scan: str, column: str, typ: str, fmt: str | None,
              who: str, tz: str | None) -> tuple[str, str, Freq]:
    """SQL for the text and the timestamp of one date column of any type; its resolution.

    Zoned times are converted to ``tz``; times without a zone are taken as local to it.
    """
    c, text = _ident(column), _text_sql(column, typ)
    if typ in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
        if tz is None:
            example = _first(con, f"SELECT {text} FROM {scan} WHERE {c} IS NOT NULL LIMIT 1")
            raise _zone_error(column, who, example[0][0] if example else typ)
        return text, f"timezone({_lit(tz)}, {c})", "D"
    if typ == "DATE" or typ.startswith("TIMESTAMP"):
        return text, f"CAST({c} AS TIMESTAMP)", "D"
    if typ in _INTEGER:  # years
        return text, f"CASE WHEN {c} BETWEEN 1 AND 9999 THEN make_timestamp({c}, 1, 1, 0, 0, 0) END", "Y"  # noqa: E501
    fmt = fmt or _sniff_format(con, scan, text, column, who)
    parsed = _parse_sql(text, fmt)
    if fmt != "iso":
        return text, parsed, _resolution(fmt)
    zoned = f"regexp_matches({text}, {_lit(_ZONED)})"
    if tz is not None:
        return (text, f"CASE WHEN {zoned} THEN timezone({_lit(tz)}, TRY_CAST({text} AS "
                      f"TIMESTAMPTZ)) ELSE {parsed} END", "D")
    # without tz, zoned times are refused unless they are midnights as written (the offset
    # then only says where the date was written); checked on a sample of the rows
    timed = _first(con, f"SELECT x FROM (SELECT {text} AS x FROM {scan} WHERE {text} IS NOT "
                        f"NULL LIMIT 2000) WHERE regexp_matches(x, {_lit(_ZONED)}) AND "
                        f"CAST({_parse_sql('x', 'iso')} AS TIME) <> TIME '00:00:00' LIMIT 1")
    if timed:
        raise _zone_error(column, who, timed[0][0])
    return text, parsed, "D"


def _date_sql(con: Any, scan: str, m: _Map, types: dict[str, str],
              who: str, tz: str | None) -> tuple[str, str, str, Freq]:
    """SQL for (date text, fallback-used flag, timestamp) and the dates' resolution."""
    raw, date, resolution = _one_date(con, scan, m.date, types[m.date], m.date_format, who,
                                      tz)
    if not m.fallback:
        return raw, "FALSE", date, resolution
    other, other_date, other_res = _one_date(con, scan, m.fallback, types[m.fallback],
                                             m.date_format, who, tz)
    return (f"coalesce({raw}, {other})", f"({raw} IS NULL AND {other} IS NOT NULL)",
            f"CASE WHEN {raw} IS NULL THEN {other_date} ELSE {date} END",
            max(resolution, other_res, key=_ORDER.__getitem__))
