"""Input checks shared by the indicator functions (private)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.data import validate
from evalkit.errors import DataError


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


def require_columns(data: object, columns: Iterable[str | None], what: str = "data") -> None:
    """Raise if ``data`` is not a DataFrame or lacks any of ``columns`` (None entries skipped)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(data).__name__}.")
    validate.require_columns(data, [c for c in columns if c is not None])
