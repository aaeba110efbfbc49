"""Incident files: the DuckDB connection and the statements that count the rows into cells."""

from __future__ import annotations

import threading
from typing import Any

from evalkit.data.incidents.dates import _date_sql, _text_sql
from evalkit.data.incidents.files import _File, _names, _scan
from evalkit.data.incidents.mapping import _Map
from evalkit.data.incidents.sql import _ident, _lit
from evalkit.data.periods import _ORDER, Freq
from evalkit.data.presets import Preset
from evalkit.errors import DataError

_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
_PLAUSIBLE = ("1900-01-01", "2101-01-01")  # the years periods.py accepts
_NO_CATEGORY = "incidents"


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
