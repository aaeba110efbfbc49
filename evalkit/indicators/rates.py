"""Crime rates with exact (Garwood) Poisson confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import check_alpha
from evalkit.errors import DataError, SpecError
from evalkit.indicators._checks import as_array, as_counts

__all__ = ["poisson_ci", "rate"]


def _garwood(x: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Garwood limits for already-validated counts ``x``."""
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, stats.chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def poisson_ci(count: object, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for a Poisson count.

    ``lo = chi2.ppf(alpha/2, 2x) / 2`` (0 when ``x = 0``) and
    ``hi = chi2.ppf(1 - alpha/2, 2x + 2) / 2``; identical to statsmodels
    ``confint_poisson(x, 1, method="exact-c")``.

    Parameters
    ----------
    count : int or array-like of int
        Observed event counts (non-negative whole numbers).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` limits for the expected count, with the shape of ``count``
        (0-d arrays for a scalar).

    Raises
    ------
    DataError
        If a count is negative, not a whole number or missing.
    SpecError
        If ``alpha`` is not strictly between 0 and 1.

    Examples
    --------
    >>> lo, hi = poisson_ci(5)
    >>> round(float(lo), 3), round(float(hi), 3)
    (1.623, 11.668)
    """
    a = check_alpha(alpha)
    return _garwood(as_counts(count, "count"), a)


def _index_of(*values: object) -> pd.Index | None:
    indexes = [v.index for v in values if isinstance(v, pd.Series)]
    if not indexes:
        return None
    for other in indexes[1:]:
        if not indexes[0].equals(other):
            raise DataError(
                "count and exposure are Series with different indexes; align them first "
                "(e.g. exposure.reindex(count.index))."
            )
    return indexes[0]


def rate(
    count: object,
    exposure: object,
    *,
    per: float = 100_000,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Crime rate per ``per`` units of exposure with an exact Poisson confidence interval.

    ``rate = count / exposure * per``; the interval is the Garwood interval on the count
    (:func:`poisson_ci`) divided by ``exposure`` and multiplied by ``per``.

    Parameters
    ----------
    count : int or array-like of int
        Event counts (non-negative whole numbers). A scalar gives one row; a Series keeps
        its index.
    exposure : float or array-like of float
        Population at risk (residents, dwellings, footfall, ...), strictly positive. A
        scalar is applied to every count.
    per : float, default 100_000
        Rate base (1,000 in French SSMSI data, 100,000 in UK/Canadian practice).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``count, exposure, rate, ci_low, ci_high``, one row per element.

    Raises
    ------
    DataError
        Negative, non-integer or missing counts; non-positive or missing exposure;
        count and exposure of different lengths or with different indexes.
    SpecError
        ``alpha`` outside (0, 1) or ``per <= 0``.
    """
    a = check_alpha(alpha)
    if not np.isfinite(per) or per <= 0:
        raise SpecError(f"per must be a positive number (e.g. 1000 or 100000), got {per!r}.")
    index = _index_of(count, exposure)
    x = np.atleast_1d(as_counts(count, "count"))
    n = np.atleast_1d(as_array(exposure, "exposure"))
    if x.ndim > 1 or n.ndim > 1:
        raise DataError("count and exposure must be scalars or one-dimensional.")
    if x.size != n.size and 1 not in (x.size, n.size):
        raise DataError(
            f"count has {x.size} values but exposure has {n.size}; pass one exposure per "
            "count (or a single exposure for all)."
        )
    x, n = np.broadcast_arrays(x, n)
    bad = ~np.isfinite(n) | (n <= 0)
    if bad.any():
        raise DataError(
            f"exposure must be strictly positive and finite; found {n[bad][:5].tolist()}. "
            "Drop units with no population at risk or supply the right denominator."
        )
    lo, hi = _garwood(x, a)
    if index is not None and len(index) != x.size:
        index = None
    return pd.DataFrame(
        {
            "count": x.astype(np.int64),
            "exposure": n,
            "rate": x / n * per,
            "ci_low": lo / n * per,
            "ci_high": hi / n * per,
        },
        index=index,
    )
