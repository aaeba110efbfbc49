"""Input checks shared by the indicator functions (private)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.errors import DataError, SpecError


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float, or raise if it is not strictly between 0 and 1."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise SpecError(f"alpha must be strictly between 0 and 1 (e.g. 0.05), got {alpha!r}.")
    return value


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f" and {idx.size - limit} more" if idx.size > limit else "")


def as_array(values: object, name: str) -> np.ndarray:
    """Return ``values`` as a float array (a copy), raising on non-numeric input."""
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it ({exc}).") from exc
    if np.isnan(arr).any():
        raise DataError(
            f"{name} has missing values at position(s) {_positions(np.isnan(arr))}; "
            "drop or fill them first."
        )
    return arr


def as_counts(values: object, name: str) -> np.ndarray:
    """Return counts as a float array; they must be finite, non-negative whole numbers."""
    arr = as_array(values, name)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        raise DataError(
            f"{name} must be non-negative whole numbers (event counts); bad value(s) at "
            f"position(s) {_positions(bad)}: {arr[bad][:5].tolist()}."
        )
    return arr


def as_names(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise a column name or a sequence of column names to a tuple."""
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    return tuple(names)


def require_columns(data: object, columns: Iterable[str | None], what: str = "data") -> None:
    """Raise if ``data`` is not a DataFrame or lacks any of ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(data).__name__}.")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise DataError(
            f"column(s) {missing} not found in {what}; available columns: "
            f"{list(map(str, data.columns))}. Pass the right column name."
        )


def check_choice(value: object, name: str, options: tuple[str, ...]) -> None:
    """Raise :class:`SpecError` if ``value`` is not one of ``options``."""
    if value not in options:
        raise SpecError(f"{name} must be one of {list(options)}, got {value!r}.")
