"""Incident files: the canonical long panel and the wide table built from the cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.incidents.cells import _Cells
from evalkit.errors import DataError

COLUMNS = ("unit_id", "period", "indicator", "count", "exposure", "exposure_type", "status",
           "source", "source_vintage")
STATUSES = ("observed", "zero_filled", "suppressed_at_source")


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
