"""Incident files (CSV, Parquet; millions of rows) → the canonical unit × period panel.

The files are read and counted by DuckDB; only the counts, one per unit × period × category
cell, reach Python. The canonical long panel (DOMAIN.md §5) has the columns ``unit_id,
period, indicator, count, exposure, exposure_type, status, source, source_vintage``.
"""

from __future__ import annotations

import csv
import difflib
import glob
import gzip
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit._atomic import atomic_path
from evalkit._checks import check_choice
from evalkit.data.io import NA_VALUES, _check_mixed, _sniff_sep, check_readable_file, read_table
from evalkit.data.periods import (
    _NAMES,
    _ORDER,
    _PANDAS,
    Freq,
    _check_tz,
    parse_period,
    to_periods,
)
from evalkit.data.presets import PRESETS, Preset, get_preset
from evalkit.data.validate import _more, check_positive, check_unique
from evalkit.errors import DataError, EvalkitWarning, SpecError

__all__ = ["COLUMNS", "MAX_CELLS", "STATUSES", "escape_formula", "panel_from_incidents",
           "write_panel"]

Source = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
COLUMNS = ("unit_id", "period", "indicator", "count", "exposure", "exposure_type", "status",
           "source", "source_vintage")
STATUSES = ("observed", "zero_filled", "suppressed_at_source")
MAX_CELLS = 100_000_000
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_PARQUET = (".parquet", ".pq")
_FREQS = ("D", "W", "M", "Q", "Y")
_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
_PLAUSIBLE = ("1900-01-01", "2101-01-01")  # the years periods.py accepts
_NO_CATEGORY = "incidents"
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
# "iso" is DuckDB's own timestamp cast: 2023-01-15, 2023-01-15 22:30[:00[.123]][+01]
_CANDIDATES = ("iso", *_DAY_FIRST, *_MONTH_FIRST, "%Y/%m/%d", "%Y-%m", "%Y/%m", "%m/%Y", "%Y")
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT"}


# --------------------------------------------------------------------------- SQL text

def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


_NA = (*NA_VALUES, "(null)")


def _label(raw: str) -> str | None:
    """A unit or category label without surrounding spaces; None for a missing-value marker."""
    text = raw.strip()
    return None if text in _NA else text


# --------------------------------------------------------------------------- files

@dataclass(frozen=True)
class _File:
    path: Path
    kind: Literal["csv", "parquet"]
    columns: tuple[str, ...]
    delim: str = ","
    encoding: str = "utf-8"


def _kind(path: Path) -> Literal["csv", "parquet"] | None:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    return "csv" if name.endswith(_CSV) else None


def _expand(source: Source) -> list[Path]:
    """The files named by a path, a folder, a glob pattern or a list of these."""
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not items:
        raise DataError("Expected at least one incident file, but got an empty list. Fix: pass "
                        "a path, a glob pattern such as 'data/*.csv', or a list of paths.")
    paths: list[Path] = []
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise DataError(f"Expected file paths or glob patterns, but got "
                            f"{type(item).__name__}. Fix: pass str or pathlib.Path values.")
        text = os.path.expanduser(os.fspath(item))
        if re.search(r"[*?[]", text):
            found = [Path(f) for f in sorted(glob.glob(text, recursive=True)) if Path(f).is_file()]
            if not found:
                raise DataError(f"Expected incident files matching {text!r}, but the pattern "
                                f"matches no file. Fix: check the pattern (relative patterns "
                                f"start from {Path.cwd()}).")
            paths += found
        elif Path(text).is_dir():
            found = sorted(p for p in Path(text).rglob("*") if p.is_file() and _kind(p))
            if not found:
                raise DataError(f"Expected CSV or Parquet files in the folder "
                                f"{Path(text).resolve()}, but it has none. Fix: pass the folder "
                                "that holds the downloaded files, or the files themselves.")
            paths += found
        else:  # a missing, unreadable or special file (FIFO, link loop) has its own message
            check_readable_file(Path(text), what="an incident file")
            paths.append(Path(text))
    unique = list(dict.fromkeys(p.resolve() for p in paths))
    for path in unique:
        if _kind(path) is None:
            raise DataError(f"Expected CSV or Parquet incident files (ending in "
                            f"{', '.join(_CSV + _PARQUET)}), but got '{path}'. Fix: leave this "
                            "file out, or convert it (Excel: save as CSV).")
    return unique


def _inspect(path: Path) -> _File:
    """Read a file's column names (and, for text, its separator and encoding)."""
    if _kind(path) == "parquet":
        import pyarrow.parquet as pq

        try:
            return _File(path, "parquet", tuple(pq.read_schema(path).names))
        except Exception as exc:
            raise DataError(f"Expected a Parquet file in {path}, but it could not be read: "
                            f"{exc}. Fix: check that the file is complete and really Parquet."
                            ) from exc
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(1 << 16)
    except (OSError, EOFError) as exc:
        raise DataError(f"Expected a readable text file in {path}, but: {exc}. Fix: check the "
                        "file (and that a .gz file is complete).") from exc
    if not head.strip():
        raise DataError(f"Expected a table in {path}, but the file is empty. Fix: check that "
                        "the download finished, or leave this file out.")
    encoding = "utf-8"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == 1 << 16:  # a character cut by the read
            text = head[: exc.start].decode("utf-8-sig")
        else:
            _check_mixed(head[: head.rfind(b"\n") + 1] or head, path)
            encoding, text = "latin-1", head.decode("latin-1")
    if "\x00" in text:
        raise DataError(f"Expected a text table in {path}, but it looks binary. Fix: export the "
                        "table as CSV text or Parquet, or check that this is the right file.")
    delim = _sniff_sep(text)
    header = [h.strip() for h in next(csv.reader([text.splitlines()[0]], delimiter=delim))]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise DataError(f"Expected distinct column names in {path}, but "
                        f"{', '.join(map(repr, repeated))} appear more than once. Fix: rename "
                        "the repeated columns.")
    return _File(path, "csv", tuple(header), delim, encoding)


def _scan(files: list[_File]) -> str:
    """A DuckDB table function reading files that share a format and a header."""
    paths = "[" + ", ".join(_lit(str(f.path)) for f in files) + "]"
    first = files[0]
    if first.kind == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in first.columns) + "}"
    return (f"read_csv({paths}, header = true, auto_detect = false, columns = {columns}, "
            f"delim = {_lit(first.delim)}, quote = '\"', escape = '\"', "
            f"encoding = {_lit(first.encoding)}, "
            f"nullstr = [{', '.join(_lit(v) for v in _NA)}])")


def _groups(files: list[_File]) -> list[list[_File]]:
    """Files that one DuckDB scan can read together."""
    def key(f: _File) -> tuple:
        return (f.kind, f.delim, f.encoding, f.columns if f.kind == "csv" else ())
    return [list(g) for _, g in groupby(sorted(files, key=key), key=key)]


# --------------------------------------------------------------------------- mapping

@dataclass(frozen=True)
class _Map:
    """Which columns hold what, after presets and overrides."""

    kind: Literal["incidents", "aggregated"]
    date: str
    date_format: str | None
    fallback: str | None
    unit: str
    category: str | None
    preset: Preset | None

    def needed(self) -> dict[str, str]:
        """Column → what it is for (for messages)."""
        roles = {self.date: "date", self.unit: "unit"}
        if self.fallback:
            roles[self.fallback] = "date when the first is empty"
        if self.category:
            roles[self.category] = "category"
        p = self.preset
        if self.kind == "aggregated" and p is not None:
            roles[str(p.count)] = "count"
            if p.suppressed:
                roles[p.suppressed[0]] = "withheld-cell flag"
            if p.count_unit:
                roles[p.count_unit] = "unit of count"
            for column, kind in [p.exposure, *p.exposure_by_category.values()]:
                roles[column] = f"exposure ({kind})"
        return roles


def _who(m: _Map) -> str:
    return (f"Preset {m.preset.name!r} ({m.preset.title})" if m.preset else
            "The column mapping (date=, unit=, category=)")


def _year_column(pattern: str, files: list[_File]) -> str:
    """Resolve ``CODGEO_<year>`` to the one column of that form the files have."""
    regex = re.compile(re.escape(pattern.replace("<year>", "")) + r"\d{4}")
    found = {f.path.name: [c for c in f.columns if regex.fullmatch(c)] for f in files}
    for name, columns in found.items():
        if len(columns) != 1:
            what = "none" if not columns else ", ".join(map(repr, columns))
            raise DataError(f"Expected one column {pattern} (e.g. CODGEO_2024) in {name}, but "
                            f"found {what}. Fix: pass unit= the commune code column.")
    names = sorted({c[0] for c in found.values()})
    if len(names) > 1:
        raise DataError(f"Expected every file to use one commune geography, but the files mix "
                        f"{', '.join(names)}. Fix: use files of one geography year (communes "
                        "merge and split between years).")
    return names[0]


def _mapping(preset: str | None, date: str | None, unit: str | None, category: str | None,
             date_format: str | None, files: list[_File]) -> _Map:
    if preset is None:
        if date is None or unit is None:
            raise SpecError(
                f"Expected a preset or the date and unit columns, but got date={date!r}, "
                f"unit={unit!r}. Fix: pass preset= one of {', '.join(map(repr, PRESETS))}, or "
                "date= and unit= (and category=) naming columns of the files.")
        return _Map("incidents", date, date_format, None, unit, category, None)
    p = get_preset(preset)
    own_date = date is None or date == p.date
    if unit is None:
        unit = _year_column(p.unit, files) if "<year>" in p.unit else p.unit
    return _Map(p.kind, date or p.date, date_format or (p.date_format if own_date else None),
                p.date_fallback if own_date else None, unit, category or p.category, p)


def _check_columns(files: list[_File], m: _Map) -> None:
    needed = m.needed()
    lacking = [(f, [c for c in needed if c not in f.columns]) for f in files]
    lacking = [(f, miss) for f, miss in lacking if miss]
    if not lacking:
        return
    f, missing = lacking[0]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, f.columns, n=1, cutoff=0.6)
        hints += [f" Did you mean '{close[0]}' for '{column}'?"] if close else []
    others = f" (and {len(lacking) - 1} other file(s) lack columns too)" if len(lacking) > 1 else ""
    expected = ", ".join(f"'{c}' ({r})" for c, r in needed.items())
    raise DataError(
        f"{_who(m)} expects the columns {expected}, but {f.path.name} lacks "
        f"{', '.join(map(repr, missing))}{others}.{''.join(hints)} Found columns: "
        f"{', '.join(map(repr, f.columns))}. Fix: check that the files are of this kind, or "
        "name their columns with date=, unit= and category=.")


# --------------------------------------------------------------------------- dates

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


# --------------------------------------------------------------------------- DuckDB

def _connect(threads: int | None, memory_limit: str | None, spill: str) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = {_lit(spill)}")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    return con


def _read_error(exc: Exception) -> DataError:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    where = next((ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("file =")), None)
    shown = "; ".join(ln for ln in lines[:2] if not ln.startswith("Possible"))
    return DataError(
        f"Expected readable incident files, but reading {where or 'them'} failed: {shown}. "
        "Fix: check that every line has the same number of fields, that text containing the "
        "separator is quoted, and that the file is complete.")


def _execute(con: Any, sql: str, *, progress: bool, desc: str) -> None:
    """Run one long statement; with ``progress``, poll DuckDB's progress into a tqdm bar."""
    import duckdb
    from tqdm.auto import tqdm

    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    with tqdm(total=100, desc=desc, unit="%", disable=not progress, leave=False, delay=1.0,
              bar_format="{l_bar}{bar}| {elapsed}") as bar:
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
                done = con.query_progress() if progress else -1
                if done > bar.n:
                    bar.update(done - bar.n)
        except KeyboardInterrupt:
            con.interrupt()
            thread.join()
            raise
    if failure:
        if isinstance(failure[0], duckdb.Error):
            raise _read_error(failure[0]) from None
        raise failure[0]


def _rows_sql(con: Any, groups: list[list[_File]], m: _Map, *,
              who: str, tz: str | None = None) -> tuple[str, Freq]:
    """One SELECT over every file giving u, c, raw, fb, d (+ the aggregated columns)."""
    parts, resolutions = [], []
    for files in groups:
        scan = _scan(files)
        if files[0].kind == "parquet":
            types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                                     f"FROM {scan})").fetchall())
        else:
            types = dict.fromkeys(files[0].columns, "VARCHAR")
        _check_types(files, m, types)
        raw, used, date, resolution = _date_sql(con, scan, m, types, who, tz)
        resolutions.append(resolution)
        cat = _text_sql(m.category, types[m.category]) if m.category else _lit(_NO_CATEGORY)
        extra = (_aggregated_sql(m.preset, types, cat)
                 if m.kind == "aggregated" and m.preset is not None else "")
        parts.append(f"SELECT {_text_sql(m.unit, types[m.unit])} AS u, {cat} AS c, {raw} AS raw, "
                     f"{used} AS fb, {date} AS d{extra} FROM {scan}")
    return " UNION ALL ".join(parts), max(resolutions, key=_ORDER.__getitem__)


def _nested(typ: str) -> bool:
    return typ.endswith("]") or typ.startswith(("STRUCT", "MAP", "UNION"))


def _check_types(files: list[_File], m: _Map, types: dict[str, str]) -> None:
    """Refuse Parquet columns whose type cannot be a date, a label or a count: booleans
    (a CSV's TRUE is refused the same way, as an unreadable date or a non-number) and
    nested types (a list unit would become the label "[Centre]")."""
    for column, role in m.needed().items():
        typ = types.get(column, "VARCHAR")
        if _nested(typ) or (typ == "BOOLEAN" and not role.startswith("withheld")):
            kind = "true/false values" if typ == "BOOLEAN" else f"nested values ({typ})"
            raise DataError(
                f"Column '{column}' ({role}) of {_names(files)} must hold one "
                f"{'date' if 'date' in role else 'value'} per row, but its type holds {kind}. "
                "Fix: check the column mapping (date=, unit=, category=), or store one plain "
                "value per row (flatten a list column).")


def _number_sql(column: str, typ: str) -> tuple[str, str]:
    """(number, text) SQL for a numeric column; decimal commas and spaces in numbers read."""
    text = _text_sql(column, typ)
    if typ != "VARCHAR":
        return f"CAST({_ident(column)} AS DOUBLE)", text
    return f"TRY_CAST(replace(replace({text}, ' ', ''), ',', '.') AS DOUBLE)", text


def _aggregated_sql(p: Preset, types: dict[str, str], cat: str) -> str:
    number, text = _number_sql(str(p.count), types[str(p.count)])
    withheld = "FALSE"
    if p.suppressed:
        flag = _text_sql(p.suppressed[0], types[p.suppressed[0]])
        withheld = f"coalesce(lower(trim({flag})) = {_lit(p.suppressed[1])}, FALSE)"
    count_unit = _text_sql(p.count_unit, types[p.count_unit]) if p.count_unit else "NULL"
    exposure, kind = "NULL::DOUBLE", "NULL::VARCHAR"
    if p.exposure:
        cases = [(f"{cat} = {_lit(name)}", col, typ)
                 for name, (col, typ) in p.exposure_by_category.items()]
        exposure = ("CASE " + "".join(f"WHEN {w} THEN {_number_sql(c, types[c])[0]} "
                                      for w, c, _ in cases)
                    + f"ELSE {_number_sql(p.exposure[0], types[p.exposure[0]])[0]} END")
        kind = ("CASE " + "".join(f"WHEN {w} THEN {_lit(t)} " for w, _, t in cases)
                + f"ELSE {_lit(p.exposure[1])} END")
    return (f", {number} AS n, {text} AS n_text, {withheld} AS sup, {count_unit} AS cu, "
            f"{exposure} AS ex, {kind} AS ex_type")


def _cells_sql(rows: str, freq: Freq, kind: str) -> str:
    """The table ``cells``: rows grouped by unit, category, period and date state.

    ``flag`` is 0 for a usable date, 1 for none, 2 for an unreadable one, 3 for one outside
    1900-2100 (``bad`` then keeps the text, for messages). Incident rows are counted into
    ``rows``; aggregated rows are kept one by one (``rows`` = 1, ``n`` their count).
    """
    lo, hi = (f"TIMESTAMP {_lit(v)}" for v in _PLAUSIBLE)
    ok = f"(d >= {lo} AND d < {hi})"
    flagged = (f"SELECT *, CASE WHEN raw IS NULL THEN 1 WHEN d IS NULL THEN 2 WHEN NOT {ok} "
               f"THEN 3 ELSE 0 END AS flag FROM ({rows})")
    keyed = (f"SELECT *, CASE WHEN flag = 0 THEN CAST(date_trunc({_lit(_TRUNC[freq])}, d) AS "
             f"DATE) END AS p, CASE WHEN flag >= 2 THEN raw END AS bad FROM ({flagged})")
    if kind == "incidents":
        return (f"CREATE TEMP TABLE cells AS SELECT u, c, p, flag, bad, CAST(count(*) AS "
                f"INTEGER) AS rows, CAST(count(*) FILTER (WHERE fb) AS INTEGER) AS n_fallback "
                f"FROM ({keyed}) GROUP BY u, c, p, flag, bad")
    return (f"CREATE TEMP TABLE cells AS SELECT u, c, p, flag, bad, 1 AS rows, "
            f"CAST(fb AS INTEGER) AS n_fallback, n, n_text, sup, cu, ex, ex_type FROM ({keyed})")


_VALID = "flag = 0 AND u IS NOT NULL AND c IS NOT NULL"


def _first(con: Any, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


# --------------------------------------------------------------------------- checks and notes

def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def _of(n: int, total: int) -> str:
    """``"1 of the 20 rows has"`` / ``"2 of the 20 rows have"``."""
    return f"{n:,} of the {total:,} rows {'has' if n == 1 else 'have'}"


def _sorted(labels: Sequence[str]) -> list[str]:
    """Unit labels in order, numerically when they are all whole numbers (8 before 32)."""
    labels = list(dict.fromkeys(labels))
    if all(label.isdigit() for label in labels):
        return sorted(labels, key=lambda label: (int(label), label))
    return sorted(labels)


def _examples(con: Any, flag: int) -> str:
    rows = _first(con, "SELECT bad FROM cells WHERE flag = ? GROUP BY bad ORDER BY bad LIMIT 5",
                  [flag])
    return ", ".join(repr(r[0]) for r in rows)


def _check_dates(con: Any, m: _Map, total: int, bad: int, bad_dates: str, who: str) -> None:
    if bad and bad_dates == "error":
        fmt = f" (format {m.date_format!r})" if m.date_format else ""
        raise DataError(
            f"Column '{m.date}' ({who}) must hold dates{fmt}, but {bad:,} of the {total:,} "
            f"rows could not be read, e.g. {_examples(con, 2)}. Fix: correct these rows, pass "
            "date_format= the strptime format of the column (e.g. '%d/%m/%Y'), or "
            "bad_dates='drop' to leave these rows out (they are then counted in the warnings).")


def _warnings(con: Any, m: _Map, total: int, state: dict[str, int]) -> list[str]:
    """One message per kind of row left out for a missing or unreadable value."""
    fmt = f" (format {m.date_format!r})" if m.date_format else ""
    warned = []
    for key, what, flag in [
        ("no_date", f"no date in '{m.date}'", None),
        ("bad_date", f"an unreadable date in '{m.date}'{fmt}", 2),
        ("implausible_date", f"a date before 1900 or after 2100 in '{m.date}'", 3),
        ("no_unit", f"no unit in '{m.unit}'", None),
        ("no_category", f"no category in '{m.category}'", None),
    ]:
        if state.get(key):
            shown = f" (e.g. {_examples(con, flag)})" if flag else ""
            warned.append(f"{_of(state[key], total)} {what}{shown}: left out of the panel.")
    return warned


def _select(seen: list[str], indicators: Sequence[str] | Mapping[str, str] | None,
            column: str) -> tuple[list[str], dict[str, int]]:
    """Output indicator names and the code of each source category kept."""
    if indicators is None:
        return seen, {c: i for i, c in enumerate(seen)}
    if isinstance(indicators, str):
        indicators = [indicators]
    pairs = (list(indicators.items()) if isinstance(indicators, Mapping)
             else [(c, c) for c in indicators])
    if not pairs:
        raise SpecError("Expected indicators= to name at least one category, but it is empty. "
                        "Fix: pass None to keep every category.")
    unknown = [str(c) for c, _ in pairs if c not in seen]
    if unknown:
        close = difflib.get_close_matches(unknown[0], seen, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"Expected indicators= to name categories of column '{column}', but "
            f"{', '.join(map(repr, unknown))} never occur(s) in the files.{hint} Found: "
            f"{', '.join(map(repr, seen[:30]))}{_more(len(seen), 30)}. Fix: use these exact "
            "names (case-sensitive).")
    names = list(dict.fromkeys(str(n) for _, n in pairs))
    return names, {str(c): names.index(str(n)) for c, n in pairs}


def _period_code_sql(freq: Freq, first: pd.Period) -> str:
    lo = f"DATE {_lit(first.start_time.date().isoformat())}"
    if freq == "W":
        return f"datediff('day', {lo}, p) // 7"
    return f"datediff({_lit(_TRUNC[freq])}, {lo}, p)"


# --------------------------------------------------------------------------- cells

@dataclass(frozen=True)
class _Cells:
    """Counted cells, dense or one per published cell.

    Dense (incident sources): ``count`` (int64) covers every unit × period × indicator of
    ``shape`` in this order. Sparse (aggregated sources): codes ``ui, pi, ci`` per cell,
    ``count`` float with NaN where ``withheld``, and the source's ``exposure`` and its type.
    """

    shape: tuple[int, int, int]
    count: np.ndarray
    ui: np.ndarray | None = None
    pi: np.ndarray | None = None
    ci: np.ndarray | None = None
    withheld: np.ndarray | None = None
    exposure: np.ndarray | None = None
    exposure_type: np.ndarray | None = None

    @property
    def dense(self) -> bool:
        return self.ui is None


def _keys(con: Any, code: str, in_range: str) -> tuple[dict[str, np.ndarray],
                                                       dict[str, int]]:
    """Codes of the rows that make the panel, and how many rows are left out, by reason."""
    got = con.execute(f"SELECT ui, ci, {code} AS pi, rows, ({in_range}) AS inside FROM cells "
                      f"LEFT JOIN _units USING (u) LEFT JOIN _cats USING (c) WHERE {_VALID}"
                      ).fetchnumpy()
    inside = np.asarray(got["inside"], bool)
    unit_known, cat_known = ~np.ma.getmaskarray(got["ui"]), ~np.ma.getmaskarray(got["ci"])
    ui, ci = np.ma.getdata(got["ui"]), np.ma.getdata(got["ci"])
    rows = np.asarray(got["rows"], np.int64)
    no_unit = unit_known & (ui < 0)  # a missing-value marker such as 'NA'
    no_category = ~no_unit & cat_known & (ci < 0)
    rest = ~no_unit & ~no_category
    keep = rest & inside & unit_known & cat_known
    left_out = {"no_unit": int(rows[no_unit].sum()), "no_category": int(rows[no_category].sum()),
                "outside_period_range": int(rows[rest & ~inside].sum()),
                "other_units": int(rows[rest & inside & ~unit_known].sum()),
                "other_categories": int(rows[rest & inside & unit_known & ~cat_known].sum())}
    if keep.all():
        return {k: np.ma.getdata(v) for k, v in got.items()}, left_out
    return {k: np.ma.getdata(v)[keep] for k, v in got.items()}, left_out


def _incident_cells(got: dict[str, np.ndarray], shape: tuple[int, int, int],
                    merged: bool) -> _Cells:
    n_units, n_periods, n_ind = shape
    flat = (got["ui"].astype(np.int64) * n_periods + got["pi"]) * n_ind + got["ci"]
    size = n_units * n_periods * n_ind
    if merged:  # several categories share an indicator: add them up
        counts = np.bincount(flat, weights=got["rows"], minlength=size).astype(np.int64)
    else:  # one row per cell
        counts = np.zeros(size, np.int64)
        counts[flat] = got["rows"]
    return _Cells(shape, counts)


def _aggregated_cells(con: Any, where: str, code: str, names: list[str], m: _Map,
                      shape: tuple[int, int, int]) -> _Cells:
    p = m.preset
    count = p.count if p is not None else "count"
    base = f"FROM cells JOIN _units USING (u) JOIN _cats USING (c) WHERE {where}"
    for sql, problem, fix in [
        (f"SELECT u, p, c, n_text {base} AND NOT sup AND n IS NULL AND n_text IS NOT NULL",
         "must hold numbers, but holds text", "correct these cells"),
        (f"SELECT u, p, c, n_text {base} AND NOT sup AND n_text IS NULL",
         "is empty in rows that are not marked as withheld",
         "check the file: published cells always carry a count"),
        (f"SELECT u, p, c, n_text {base} AND NOT sup AND (n < 0 OR n <> trunc(n))",
         "must hold whole numbers of 0 or more, but holds", "check that this is the count "
         "column and not a rate"),
    ]:
        bad = _first(con, sql + " ORDER BY u, p, c LIMIT 5")
        if bad:
            shown = "; ".join(f"unit {u!r}, {d}, {c!r}: {t!r}" for u, d, c, t in bad)
            raise DataError(f"Column '{count}' {problem} ({shown}). Fix: {fix}.")
    grouped = (f"SELECT ui, {code} AS pi, ci, count(*) AS rows, count(DISTINCT c) AS kinds, "
               f"bool_or(sup) AS sup, sum(n) AS n, count(DISTINCT cu) AS units_of_count, "
               f"string_agg(DISTINCT c || ' (' || coalesce(cu, '?') || ')', ', ') AS parts, "
               f"count(DISTINCT ex_type) AS exposure_kinds, string_agg(DISTINCT ex_type, ', ') "
               f"AS exposure_list, max(ex) AS ex, max(ex_type) AS ex_type, min(u) AS unit, "
               f"min(p) AS period {base} GROUP BY ui, pi, ci")
    con.execute(f"CREATE TEMP TABLE out_cells AS {grouped}")
    dup = _first(con, "SELECT unit, period, parts, rows FROM out_cells WHERE rows > kinds "
                      "ORDER BY unit, period LIMIT 5")
    if dup:
        shown = "; ".join(f"unit {u!r}, {d}, {c} in {n} rows" for u, d, c, n in dup)
        raise DataError(
            f"Expected one published count per unit, period and indicator, but found repeats "
            f"({shown}). Fix: pass each file once (overlapping downloads or vintages repeat "
            "rows), or keep one vintage.")
    for column, label, why in [("units_of_count", "parts", "different units of count ("
                                f"{p.count_unit if p else 'unit'})"),
                               ("exposure_kinds", "exposure_list", "different denominators")]:
        clash = _first(con, f"SELECT ci, {label} FROM out_cells WHERE {column} > 1 LIMIT 1")
        if clash:
            listed = ", ".join(sorted(clash[0][1].split(", ")))  # DuckDB's order varies
            raise DataError(
                f"Expected the categories summed into indicator {names[clash[0][0]]!r} to share "
                f"one unit of count and one denominator, but they have {why}: {listed}. "
                "Fix: map these categories to different indicator names in indicators=.")
    got = con.execute("SELECT ui, pi, ci, n, sup, ex, ex_type FROM out_cells ORDER BY ui, pi, "
                      "ci").fetchnumpy()
    withheld = np.asarray(got["sup"], bool)
    return _Cells(shape, np.where(withheld, np.nan, np.ma.filled(np.ma.asarray(got["n"], float),
                                                                 np.nan)),
                  np.asarray(got["ui"], np.int32), np.asarray(got["pi"], np.int32),
                  np.asarray(got["ci"], np.int32), withheld,
                  np.ma.filled(np.ma.asarray(got["ex"], float), np.nan),
                  np.ma.filled(np.ma.asarray(got["ex_type"], object), None))


# --------------------------------------------------------------------------- exposure

def _exposure_matrix(exposure: pd.DataFrame | str | os.PathLike[str], units: list[str],
                     periods: pd.PeriodIndex, freq: Freq,
                     exposure_type: str | None) -> tuple[np.ndarray, str, list[str]]:
    """Exposure per unit × period from a (unit, value) or (unit, period, value) table."""
    from evalkit.data.panel import _check_unit_present, _unit_labels

    table = read_table(exposure)
    names = [str(c) for c in table.columns]
    if len(names) not in (2, 3):
        raise DataError(
            f"Expected an exposure table with the columns (unit, value) or (unit, period, "
            f"value), in this order, but it has {len(names)} columns: "
            f"{', '.join(map(repr, names))}. Fix: keep only these columns.")
    unit_col, value_col = table.columns[0], table.columns[-1]
    _check_unit_present(table, unit_col)
    check_positive(table, value_col)
    values = pd.to_numeric(table[value_col].astype(str).str.replace(",", ".", regex=False)
                           ).to_numpy(float) if table[value_col].dtype == object else \
        table[value_col].to_numpy(float)
    unit_idx = pd.Index(units).get_indexer(_unit_labels(table[unit_col]))
    matrix = np.full((len(units), len(periods)), np.nan)
    if len(names) == 2:
        check_unique(table, [unit_col])
        known = unit_idx >= 0
        matrix[unit_idx[known]] = values[known, None]
    else:
        period_col = table.columns[1]
        parsed, efreq = to_periods(table[period_col], freq=None, column=str(period_col))
        if _ORDER[efreq] < _ORDER[freq]:
            raise DataError(
                f"Expected exposure periods no finer than the panel's ({_NAMES[freq]}), but "
                f"column '{period_col}' of the exposure table is {_NAMES[efreq]}. Fix: give one "
                "exposure per panel period (or per year), or pass a finer freq=.")
        check_unique(table.assign(**{str(period_col): parsed}), [unit_col, period_col])
        keys = pd.MultiIndex.from_arrays([unit_idx, parsed.array.asi8])
        grid = pd.MultiIndex.from_arrays([
            np.repeat(np.arange(len(units)), len(periods)),
            np.tile(periods.asfreq(_PANDAS[efreq], how="start").asi8, len(units))])
        pos = keys.get_indexer(grid)
        matrix = np.where(pos >= 0, values[pos], np.nan).reshape(len(units), len(periods))
    notes = []
    none = np.isnan(matrix).all(axis=1)
    if none.any():
        shown = ", ".join(repr(units[i]) for i in np.flatnonzero(none)[:5])
        notes.append(f"{_count(int(none.sum()), 'unit')} of the panel not in the exposure table "
                     f"({shown}{_more(int(none.sum()))}): their exposure is missing.")
    partial = np.isnan(matrix).any(axis=1) & ~none
    if partial.any():
        notes.append(f"{_count(int(partial.sum()), 'unit')} without an exposure for some "
                     "periods: those cells have a missing exposure.")
    return matrix, exposure_type or str(value_col), notes


# --------------------------------------------------------------------------- frames

def _code_dtype(n: int) -> type[np.signedinteger]:
    """The integer type pandas uses for the codes of ``n`` categories (no copy on use)."""
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32


def _categorical(codes: np.ndarray, categories: Sequence[object]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(_code_dtype(len(categories)), copy=False),
                                     categories=pd.Index(list(categories), dtype=str))


def _exposure_of(cells: _Cells, matrix: np.ndarray | None, kind: str | None,
                 ui: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Exposure per cell, the codes of its type and the types."""
    n_ind = cells.shape[2]
    if matrix is not None:
        values = np.repeat(matrix.ravel(), n_ind) if cells.dense else matrix[ui, cells.pi]
        return values, np.where(np.isnan(values), -1, 0).astype(np.int8), [str(kind)]
    if cells.exposure is not None and cells.exposure_type is not None:
        types = pd.Categorical(pd.Series(cells.exposure_type, dtype=object))
        return cells.exposure, np.asarray(types.codes), [str(t) for t in types.categories]
    n = len(cells.count)
    return np.full(n, np.nan), np.full(n, -1, np.int8), []


def _long(cells: _Cells, units: list[str], periods: pd.PeriodIndex, names: list[str],
          matrix: np.ndarray | None, kind: str | None, source: str,
          vintage: str | None) -> pd.DataFrame:
    n_units, n_periods, n_ind = cells.shape
    n = len(cells.count)
    if cells.dense:
        ui = np.repeat(np.arange(n_units, dtype=_code_dtype(n_units)), n_periods * n_ind)
        ordinals = np.tile(np.repeat(periods.asi8, n_ind), n_units)
        ci = np.tile(np.arange(n_ind, dtype=_code_dtype(n_ind)), n_units * n_periods)
        count = pd.arrays.IntegerArray(cells.count, np.zeros(n, bool))
        status = (cells.count == 0).view(np.int8)  # 0 observed, 1 zero_filled
    else:
        ui, ci, ordinals = cells.ui, cells.ci, periods.asi8[cells.pi]
        count = pd.array(cells.count, dtype="Int64")
        status = np.where(cells.withheld, 2, 0).astype(np.int8)
    values, codes, kinds = _exposure_of(cells, matrix, kind, ui)
    return pd.DataFrame({
        "unit_id": _categorical(ui, units),
        "period": pd.arrays.PeriodArray(ordinals, dtype=periods.dtype),
        "indicator": _categorical(ci, names),
        "count": count,
        "exposure": values,
        "exposure_type": _categorical(codes, kinds),
        "status": _categorical(status, STATUSES),
        "source": _categorical(np.zeros(n, np.int8), [source]),
        "source_vintage": _categorical(np.full(n, -1 if vintage is None else 0, np.int8),
                                       [] if vintage is None else [vintage]),
    }, copy=False)


def _wide(cells: _Cells, units: list[str], periods: pd.PeriodIndex, names: list[str],
          matrix: np.ndarray | None, kind: str | None) -> pd.DataFrame:
    n_units, n_periods, n_ind = cells.shape
    columns: dict[str, Any] = {}
    exposures: dict[str, np.ndarray] = {}
    if cells.dense:
        rows = np.arange(n_units * n_periods)
        table = cells.count.reshape(len(rows), n_ind)
        for i, name in enumerate(names):
            columns[name] = pd.arrays.IntegerArray(np.ascontiguousarray(table[:, i]),
                                                   np.zeros(len(rows), bool))
        if matrix is not None:
            exposures["exposure"] = matrix.ravel()
    else:
        rows, inverse = np.unique(cells.ui.astype(np.int64) * n_periods + cells.pi,
                                  return_inverse=True)
        table = np.full((len(rows), n_ind), np.nan)
        table[inverse, cells.ci] = cells.count
        for i, name in enumerate(names):
            columns[name] = pd.array(table[:, i], dtype="Int64")
        values, codes, kinds = _exposure_of(cells, matrix, kind, cells.ui)
        for k, label in enumerate(kinds):
            exposure = np.full(len(rows), np.nan)
            exposure[inverse[codes == k]] = values[codes == k]
            exposures["exposure" if len(kinds) == 1 else f"exposure_{label}"] = exposure
    clash = [n for n in names if n in ("unit_id", "period", *exposures)]
    if clash:
        raise DataError(
            f"Expected indicator names that differ from the wide table's own columns "
            f"(unit_id, period, {', '.join(exposures) or 'exposure'}), but an indicator is "
            f"called {clash[0]!r}. Fix: rename it with indicators={{...: 'new name'}}, or use "
            "layout='long'.")
    return pd.DataFrame({
        "unit_id": _categorical(rows // n_periods, units),
        "period": pd.arrays.PeriodArray(periods.asi8[rows % n_periods], dtype=periods.dtype),
        **columns, **exposures}, copy=False)


# --------------------------------------------------------------------------- public

def panel_from_incidents(
    source: Source,
    *,
    date: str | None = None,
    unit: str | None = None,
    category: str | None = None,
    preset: str | None = None,
    freq: Freq | None = None,
    exposure: pd.DataFrame | str | os.PathLike[str] | None = None,
    exposure_type: str | None = None,
    layout: Literal["long", "wide"] = "long",
    start: object = None,
    end: object = None,
    indicators: Sequence[str] | Mapping[str, str] | None = None,
    units: Sequence[object] | None = None,
    date_format: str | None = None,
    bad_dates: Literal["error", "drop"] = "error",
    source_name: str | None = None,
    source_vintage: str | None = None,
    progress: bool = True,
    threads: int | None = None,
    memory_limit: str | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """Count incident files into a unit × period × indicator panel, inside DuckDB.

    The files are read by DuckDB (only the columns used) and counted per unit, period and
    category there; incident rows never reach pandas. For incident sources every unit ×
    period × indicator cell of the period range is present: cells with incidents are
    ``observed``, the others have count 0 and status ``zero_filled``. Aggregated sources
    (``ssmsi``) are never zero-filled; their withheld cells are ``suppressed_at_source``
    with a missing count (never 0, never the département mean of ``complement_info_*``).

    Parameters
    ----------
    source : str, os.PathLike or sequence of these
        CSV (``.csv``, ``.tsv``, ``.txt``, optionally ``.gz``; separator and UTF-8 or
        latin-1 encoding detected) and/or Parquet files: paths, folders (every such file
        inside, recursively) or glob patterns (``"police/**/*-street.csv"``). Never modified.
    date, unit, category : str, optional
        Columns holding each row's date, unit (area) and category (offence type). They
        override the preset's. Without a preset, ``date`` and ``unit`` are required; without
        a category every row counts towards one indicator, ``"incidents"``. Labels are
        compared without surrounding spaces; empty cells and markers such as ``NA`` or
        ``(null)`` are missing: such rows are left out, counted and warned about.
    preset : {"police_uk", "chicago", "nypd", "ssmsi"}, optional
        A public schema (DOMAIN.md §5): ``police_uk`` (Month, LSOA code, Crime type; ASB rows
        without a Crime ID count too), ``chicago`` (Date, Community Area — or unit= District,
        Beat, Ward —, Primary Type), ``nypd`` (CMPLNT_FR_DT occurrence date, RPT_DT where it
        is empty, ADDR_PCT_CD precinct, OFNS_DESC) and ``ssmsi`` (French commune base:
        CODGEO_<year>, annee, indicateur, nombre, est_diffuse, insee_pop as exposure and
        insee_log for dwelling burglary).
    freq : {"D", "W", "M", "Q", "Y"}, optional
        Period length. Default: monthly ("M") for incident sources, the source's own for
        aggregated ones. Weeks run Monday to Sunday, as in :func:`evalkit.data.to_periods`.
    exposure : DataFrame or path, optional
        Denominators: a table with the columns (unit, value) or (unit, period, value), in
        this order; yearly values serve every month of their year. Replaces a preset's.
    exposure_type : str, optional
        What the exposure counts (``"residents"``, ``"dwellings"``...); default: the name of
        the value column.
    layout : {"long", "wide"}, default "long"
        ``long``: the canonical columns ``unit_id, period, indicator, count, exposure,
        exposure_type, status, source, source_vintage``. ``wide``: one row per unit and
        period, one count column per indicator, and ``exposure`` (``exposure_<type>`` when
        indicators have different denominators) — ready for :func:`evalkit.did`,
        :func:`evalkit.its` or :func:`evalkit.load_panel` with ``unit="unit_id",
        time="period"``.
    start, end : optional
        First and last period of the panel (``"2021-01"``, ``2021``...): rows outside are
        left out, and zero-filling extends to them. Default: the data's first and last.
    indicators : sequence of str or mapping, optional
        Categories to keep (others are left out), or a mapping category → indicator name,
        where several categories given one name are summed (never across units of count).
    units : sequence, optional
        Every unit of the panel, including those without any incident (which cannot appear
        in incident files); incidents in other units are left out. Default: the units seen.
    date_format : str, optional
        DuckDB ``strptime`` format of the date column (e.g. ``"%d/%m/%Y %H:%M"``); default:
        the preset's, else recognised from the first rows (ISO dates, day first, month first
        with AM/PM, months, years; ambiguous day/month order is an error).
    bad_dates : {"error", "drop"}, default "error"
        Unreadable dates are an error, or are left out and counted in a warning. Dates
        before 1900 or after 2100 (typing slips such as 1015) are always left out and
        counted in a warning.
    source_name, source_vintage : str, optional
        Values of the ``source`` column (default: the preset name, else the file name) and
        ``source_vintage`` column (the extraction date; default missing).
    progress : bool, default True
        Show a progress bar (``tqdm.auto``: a text bar on stderr in a terminal, a widget in
        notebooks) while DuckDB reads the files, from DuckDB's own progress; it appears after
        the first second.
    threads : int, optional
        DuckDB threads; default: one per core.
    memory_limit : str, optional
        DuckDB memory limit such as ``"2GB"`` (it spills to a temporary folder beyond);
        default: DuckDB's (80% of the RAM).
    tz : str, optional
        Time zone the incidents are counted in (``"Europe/Paris"``). Times stored with a
        zone or UTC offset (``2023-01-31T23:30:00Z``, a Parquet timestamp with time zone)
        are converted to it before their period is taken; times without a zone are taken as
        local to it. Without ``tz``, such zoned times are an error (their period depends on
        the zone), except midnights as written (``2023-02-01T00:00:00+01:00``), read at
        their written date, as in :func:`evalkit.data.to_periods`.

    Returns
    -------
    pandas.DataFrame
        Sorted by unit, period (and indicator); ``unit_id``, ``indicator`` and the text
        columns are categorical, ``period`` is Period dtype and ``count`` nullable integer.
        ``attrs["ingest"]`` records the files, rows read, rows used, rows left out by reason
        and notes; rows left out because of missing or unreadable values are also warned
        about (:class:`~evalkit.errors.EvalkitWarning`).

    Raises
    ------
    DataError
        Missing files or columns, unreadable files, unreadable dates (with examples),
        repeated or inconsistent aggregated cells, an exposure table that does not fit, or
        a zero-filled panel of more than ``MAX_CELLS`` (100 million) cells.
    SpecError
        Unknown preset or option values.
    """
    check_choice("layout", layout, ("long", "wide"))
    check_choice("bad_dates", bad_dates, ("error", "drop"))
    if freq is not None:
        check_choice("freq", freq, _FREQS)
    files = [_inspect(path) for path in _expand(source)]
    tz = _check_tz(tz)
    m = _mapping(preset, date, unit, category, date_format, files)
    _check_columns(files, m)
    who = f"preset {m.preset.name!r}" if m.preset else "date="
    spill = tempfile.mkdtemp(prefix="evalkit-duckdb-")
    con = _connect(threads, memory_limit, spill)
    try:
        rows, resolution = _rows_sql(con, _groups(files), m, who=who, tz=tz)
        freq = freq or ("M" if m.kind == "incidents" else resolution)
        if _ORDER[freq] < _ORDER[resolution] or (m.kind == "aggregated" and freq != resolution):
            raise DataError(
                f"Expected freq no finer than the dates allow, but column '{m.date}' holds "
                f"{_NAMES[resolution]} dates and freq={freq!r} asks for {_NAMES[freq]} periods"
                f"{' (published counts cannot be split or summed over time)' if m.kind == 'aggregated' else ''}. "  # noqa: E501
                f"Fix: pass freq='{resolution}'.")
        _execute(con, _cells_sql(rows, freq, m.kind), progress=progress,
                 desc=f"evalkit: reading {_count(len(files), 'file')}")
        got = _collect(con, files, m, freq, who=who, start=start, end=end,
                       indicators=indicators, units=units, bad_dates=bad_dates)
    finally:
        con.close()  # DuckDB's memory goes before the panel is built
        shutil.rmtree(spill, ignore_errors=True)
    matrix, kind = None, exposure_type
    if exposure is not None:
        matrix, kind, more = _exposure_matrix(exposure, got.units, got.periods, freq,
                                              exposure_type)
        got.notes.extend(more)
    for text in got.warned:
        warnings.warn(text, EvalkitWarning, stacklevel=2)
    label = source_name or (m.preset.name if m.preset else _names(files))
    frame = (_long(got.cells, got.units, got.periods, got.names, matrix, kind, label,
                   source_vintage) if layout == "long" else
             _wide(got.cells, got.units, got.periods, got.names, matrix, kind))
    frame.attrs["ingest"] = {
        "files": [str(f.path) for f in files], "preset": m.preset.name if m.preset else None,
        "exposure_file": (str(Path(exposure).expanduser().resolve())
                          if isinstance(exposure, str | os.PathLike) else None),
        "columns": {"date": m.date, "unit": m.unit, "category": m.category},
        "freq": freq, "source": label, "source_vintage": source_vintage,
        "rows_read": got.total, "rows_used": got.total - sum(got.dropped.values()),
        "dropped": got.dropped, "count_units": got.count_units,
        "notes": got.warned + got.notes,
    }
    return frame


def _names(files: list[_File]) -> str:
    return ", ".join(f.path.name for f in files[:3]) + _more(len(files), 3)


@dataclass(frozen=True)
class _Collected:
    """What DuckDB hands over: the cells, their labels, and what was left out."""

    cells: _Cells
    units: list[str]
    periods: pd.PeriodIndex
    names: list[str]
    total: int
    dropped: dict[str, int]
    warned: list[str]
    notes: list[str]
    count_units: dict[str, str]


def _collect(con: Any, files: list[_File], m: _Map, freq: Freq, *, who: str, start: object,
             end: object, indicators: Any, units: Sequence[object] | None,
             bad_dates: str) -> _Collected:
    """From the ``cells`` table to codes and counts, with every row accounted for."""
    (total, no_date, bad, implausible, no_unit, no_category, fallback, first,
     last) = con.execute(
        f"SELECT sum(rows), sum(rows) FILTER (WHERE flag = 1), sum(rows) FILTER (WHERE flag = 2),"
        f" sum(rows) FILTER (WHERE flag = 3), sum(rows) FILTER (WHERE flag = 0 AND u IS NULL), "
        f"sum(rows) FILTER (WHERE flag = 0 AND u IS NOT NULL AND c IS NULL), sum(n_fallback), "
        f"min(p) FILTER (WHERE {_VALID}), max(p) FILTER (WHERE {_VALID}) FROM cells").fetchone()
    state = {k: int(v or 0) for k, v in [
        ("no_date", no_date), ("bad_date", bad), ("implausible_date", implausible),
        ("no_unit", no_unit), ("no_category", no_category), ("fallback", fallback)]}
    total = int(total or 0)
    if total == 0:
        raise DataError(f"Expected incident rows, but {_names(files)} hold only a header. Fix: "
                        "check that the downloads finished.")
    _check_dates(con, m, total, state["bad_date"], bad_dates, who)
    if first is None:
        raise DataError(
            f"Expected rows with a date, a unit and a category, but none of the {total:,} rows "
            f"has all three: {' '.join(_warnings(con, m, total, state))} Fix: check the column "
            "mapping.")
    pfreq = _PANDAS[freq]
    lo = parse_period(start, freq, name="start") if start is not None else pd.Period(first, pfreq)
    hi = parse_period(end, freq, name="end") if end is not None else pd.Period(last, pfreq)
    if lo > hi:
        raise SpecError(f"Expected start <= end, but got start={start!r} ({lo}) and end={end!r} "
                        f"({hi}). Fix: swap them.")
    periods = pd.period_range(lo, hi, freq=pfreq)
    keys = _first(con, f"SELECT u, c FROM cells WHERE {_VALID} GROUP BY GROUPING SETS ((u), (c))")
    unit_label = {u: _label(u) for u, _ in keys if u is not None}
    cat_label = {c: _label(c) for u, c in keys if u is None}
    names, code_of = _select(sorted({v for v in cat_label.values() if v is not None}),
                             indicators, m.category or "category")
    unit_list = _sorted([v for v in unit_label.values() if v is not None] if units is None
                        else [str(u) for u in units])
    if not unit_list:
        raise SpecError("Expected units= to list at least one unit, but it is empty. Fix: pass "
                        "None to use the units found in the files.")
    shape = (len(unit_list), len(periods), len(names))
    if m.kind == "incidents" and shape[0] * shape[1] * shape[2] > MAX_CELLS:
        raise DataError(
            f"Expected a panel of at most {MAX_CELLS:,} cells, but {shape[0]:,} units × "
            f"{shape[1]:,} periods ({periods[0]} to {periods[-1]}) × {shape[2]} indicators "
            f"make {shape[0] * shape[1] * shape[2]:,}. Fix: narrow it with start=/end=, "
            "indicators= or a coarser freq= or unit=.")
    unit_code = {label: i for i, label in enumerate(unit_list)}
    # raw value -> code; -1 for missing-value markers; values not selected are left out
    unit_map = {raw: -1 if v is None else unit_code[v] for raw, v in unit_label.items()
                if v is None or v in unit_code}
    cat_map = {raw: -1 if v is None else code_of[v] for raw, v in cat_label.items()
               if v is None or v in code_of}
    con.register("_units", pd.DataFrame({"u": pd.Series(list(unit_map), dtype=object),
                                         "ui": np.array(list(unit_map.values()), np.int32)}))
    con.register("_cats", pd.DataFrame({"c": pd.Series(list(cat_map), dtype=object),
                                        "ci": np.array(list(cat_map.values()), np.int32)}))
    in_range = (f"p BETWEEN DATE {_lit(periods[0].start_time.date().isoformat())} AND "
                f"DATE {_lit(periods[-1].start_time.date().isoformat())}")
    code = _period_code_sql(freq, periods[0])
    got, left_out = _keys(con, code, in_range)
    state = {k: state.get(k, 0) + left_out.get(k, 0) for k in {*state, *left_out}}
    warned, notes = _warnings(con, m, total, state), []
    if state["fallback"]:
        notes.append(f"{_of(state['fallback'], total)} no '{m.date}': their '{m.fallback}' "
                     "is used instead.")
    for key, what in [("outside_period_range", f"a date outside {periods[0]} to {periods[-1]}"),
                      ("other_units", "a unit not listed in units="),
                      ("other_categories", "a category not selected in indicators=")]:
        if state[key]:
            notes.append(f"{_of(state[key], total)} {what}: left out of the panel.")
    order = ["no_date", "bad_date", "implausible_date", "no_unit", "no_category",
             "outside_period_range", "other_units", "other_categories"]
    dropped = {k: state[k] for k in order if state[k]}
    if total == sum(dropped.values()):
        raise DataError(f"Expected rows in the panel, but every row was left out: "
                        f"{' '.join(warned + notes)} Fix: check start=, end=, units= and "
                        "indicators=.")
    merged = any(len([c for c in mapping.values() if c >= 0]) > len({c for c in mapping.values()
                                                                     if c >= 0})
                 for mapping in (unit_map, cat_map))
    count_units: dict[str, str] = {}
    if m.kind == "incidents":
        cells = _incident_cells(got, shape, merged=merged)
    else:
        del got
        cells = _aggregated_cells(con, f"{_VALID} AND {in_range} AND ui >= 0 AND ci >= 0", code,
                                  names, m, shape)
        count_units = {names[ci]: cu for ci, cu in _first(
            con, "SELECT DISTINCT ci, cu FROM cells JOIN _cats USING (c) WHERE cu IS NOT NULL "
                 "AND ci >= 0 ORDER BY ci")}
    return _Collected(cells, unit_list, periods, names, total, dropped, warned, notes,
                      count_units)


# --------------------------------------------------------------------------- files out

def _period_labels(periods: pd.Series) -> pd.Categorical:
    """Period text that :func:`evalkit.data.to_periods` reads back (weeks as ``2023-W05``)."""
    codes, uniques = pd.factorize(periods, sort=True)
    if isinstance(uniques, pd.PeriodIndex) and uniques.freqstr.startswith("W"):
        days = [p.start_time.date().isocalendar() for p in uniques]
        labels = [f"{year}-W{week:02d}" for year, week, _ in days]
    else:
        labels = [str(p) for p in uniques]
    return pd.Categorical.from_codes(codes, categories=labels)


# OWASP "CSV injection": a cell starting with one of these is run as a formula by
# spreadsheet programs; a leading apostrophe makes them show it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_MARKER = b"evalkit.panel"  # Parquet metadata key of the files write_panel writes
_CSV_HEADER = "unit_id,period,"  # the first line of every CSV write_panel writes


def escape_formula(text: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, which spreadsheet programs show as text; plain numbers such as
    ``-3`` or ``+1.5`` are left alone. Other values are returned unchanged.
    """
    if (isinstance(text, str) and text.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _escaped(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and column name escaped by :func:`escape_formula`."""
    out = table.rename(columns=lambda c: escape_formula(str(c)))
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if categories.dtype == object or pd.api.types.is_string_dtype(categories):
                escaped = [escape_formula(c) for c in categories]
                if escaped != list(categories):
                    out[column] = values.cat.rename_categories(escaped)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(escape_formula)
    return out


def _written_by_panel(out: Path) -> bool:
    """Whether ``out`` carries the mark of a file :func:`write_panel` wrote."""
    try:
        if out.name.lower().endswith(".csv"):
            with out.open("rb") as handle:
                return handle.read(len(_CSV_HEADER)).decode("utf-8", "replace") == _CSV_HEADER
        import pyarrow.parquet as pq

        return _MARKER in (pq.read_schema(out).metadata or {})
    except Exception:  # unreadable or not a table: not ours
        return False


def _same_file(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_output(out: Path, inputs: list[str], overwrite: bool) -> None:
    """Refuse any output that could destroy something evalkit panel did not write."""
    if out.is_symlink():
        raise SpecError(f"Expected a plain output file, but {out} is a symbolic link (to "
                        f"{os.readlink(out)}); evalkit never writes through a link. Fix: "
                        "name a new file, or remove the link first.")
    if not os.path.lexists(out):
        return
    if out.is_dir():
        raise SpecError(f"Expected an output file, but {out.resolve()} is a folder. Fix: name "
                        "a file inside it, e.g. {}.".format(out / "panel.parquet"))
    if any(_same_file(out, p) for p in inputs):
        raise SpecError(f"Expected an output file other than the inputs, but {out} is one of "
                        "them (inputs are never modified). Fix: choose another output name.")
    if not out.is_file():
        raise SpecError(f"Expected an output file, but {out.resolve()} is not a regular file "
                        "(a FIFO, socket or device). Fix: name a new file.")
    if not overwrite:
        raise SpecError(f"Expected a new output file, but {out.resolve()} already exists. Fix: "
                        "choose another name, or pass --overwrite (overwrite=True).")
    if not _written_by_panel(out):
        raise SpecError(
            f"Expected --overwrite to replace a panel that evalkit panel wrote, but "
            f"{out.resolve()} is not one (it lacks the {_MARKER.decode()!r} Parquet metadata, "
            f"or a CSV header starting with {_CSV_HEADER!r}), so it is left alone. Fix: choose "
            "another output name, or move that file away yourself.")


def write_panel(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                overwrite: bool = False) -> Path:
    """Write a panel to ``.csv`` or ``.parquet`` atomically: whole or not at all.

    Parameters
    ----------
    frame : pandas.DataFrame
        A panel from :func:`panel_from_incidents`; periods are written as text that
        :func:`evalkit.load_panel` reads back.
    path : str or os.PathLike
        Output file, ending in ``.csv``, ``.parquet`` or ``.pq``; its folder is created.
    overwrite : bool, default False
        Replace an existing file, but only one that ``write_panel`` wrote: a Parquet file
        with the ``evalkit.panel`` metadata key, or a CSV whose header starts with
        ``unit_id,period,``. Never one of the panel's inputs (incident files and the
        exposure file, however they are named: hard links count), a folder, a symbolic link
        or anything else.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    SpecError
        For another suffix, an existing file without ``overwrite`` or not written by
        ``write_panel``, an input file, a folder, a symbolic link, or a file that cannot be
        written (the message gives the system's reason).

    Notes
    -----
    The file is written to a hidden temporary file in the same folder, then renamed over
    the output in one step (``os.replace``): a reader sees the old file or the new one,
    never part of one. In a CSV, text that a spreadsheet would run as a formula (a unit,
    indicator or other label starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return, except plain numbers such as ``-3``) is written with a leading apostrophe
    (``'=HYPERLINK(...)``), as OWASP advises against CSV injection; Parquet keeps the text
    as it is.
    """
    out = Path(path).expanduser()
    suffix = out.name.lower()
    if not suffix.endswith((".csv", *_PARQUET)):
        raise SpecError(f"Expected an output file ending in .csv or .parquet, but got "
                        f"'{out.name}'. Fix: name the output e.g. panel.parquet.")
    ingest = frame.attrs.get("ingest", {})
    inputs = [*ingest.get("files", []), *filter(None, [ingest.get("exposure_file")])]
    _check_output(out, inputs, overwrite)
    table = frame.copy(deep=False)
    if isinstance(table["period"].dtype, pd.PeriodDtype):
        table["period"] = _period_labels(table["period"])
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            if suffix.endswith(".csv"):
                _escaped(table).to_csv(tmp, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                arrow = pa.Table.from_pandas(table, preserve_index=False)
                arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                                       _MARKER: b"1"})
                pq.write_table(arrow, tmp)
            _check_output(out, inputs, overwrite)  # nothing changed while writing
    except OSError as exc:
        raise SpecError(f"Expected to write {out.absolute()}, but the system refused: "
                        f"{exc.strerror or exc}. Fix: check that the folder can be written "
                        "and that the disk has space.") from None
    return out
