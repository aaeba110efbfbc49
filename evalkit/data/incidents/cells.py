"""Incident files: the counted cells, as codes and counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.data.incidents.mapping import _Map
from evalkit.data.incidents.queries import _VALID
from evalkit.data.incidents.sql import _first
from evalkit.errors import DataError


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
