"""Incident files: :func:`panel_from_incidents`, from the files to the panel."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit._checks import check_choice
from evalkit.data.incidents.cells import _aggregated_cells, _Cells, _incident_cells, _keys
from evalkit.data.incidents.checks import (
    _check_dates,
    _count,
    _of,
    _period_code_sql,
    _select,
    _sorted,
    _warnings,
)
from evalkit.data.incidents.exposure import _exposure_matrix
from evalkit.data.incidents.files import Source, _expand, _File, _groups, _inspect, _names
from evalkit.data.incidents.frames import _long, _wide
from evalkit.data.incidents.mapping import _check_columns, _Map, _mapping
from evalkit.data.incidents.queries import _VALID, _cells_sql, _connect, _execute, _rows_sql
from evalkit.data.incidents.sql import _first, _label, _lit
from evalkit.data.periods import _NAMES, _ORDER, _PANDAS, Freq, _check_tz, parse_period
from evalkit.errors import DataError, SpecError
from evalkit.results import warn

MAX_CELLS = 100_000_000
_FREQS = ("D", "W", "M", "Q", "Y")


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
        warn(text)
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
