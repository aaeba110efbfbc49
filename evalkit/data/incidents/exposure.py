"""Incident files: the exposure per unit and period."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from evalkit.data.incidents.checks import _count
from evalkit.data.io import read_table
from evalkit.data.periods import _NAMES, _ORDER, _PANDAS, Freq, to_periods
from evalkit.data.validate import _more, check_positive, check_unique
from evalkit.errors import DataError


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
