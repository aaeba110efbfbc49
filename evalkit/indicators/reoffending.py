"""Cohort reoffending: binary rate and frequency per 100 offenders, relative reduction."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import check_alpha
from evalkit.errors import DataError
from evalkit.indicators._checks import as_array, as_counts, require_columns
from evalkit.indicators.rates import _garwood

__all__ = ["relative_reduction", "reoffending_rates"]


def reoffending_rates(
    data: pd.DataFrame,
    *,
    reoffended: str,
    events: str | None = None,
    group: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Binary and frequency reoffending measures for one or more cohorts.

    * binary rate = share of the cohort with at least one proven reoffence, with a
      Clopper–Pearson (exact binomial) interval;
    * frequency = reoffences (e.g. reconviction events, as in the Peterborough bond) per
      100 offenders, with the exact Garwood Poisson interval on the event count.

    Every offender in the cohort counts, whether or not they engaged with the scheme.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per offender. Not modified.
    reoffended : str
        Column of 0/1 or booleans: reoffended within the follow-up window.
    events : str, optional
        Column of reoffence (or reconviction event) counts per offender.
    group : str, optional
        Cohort column (e.g. treated / comparison).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (when given), ``n_offenders, n_reoffenders, binary_rate,
        binary_ci_low, binary_ci_high`` and, with ``events``, ``n_events,
        frequency_per_100, frequency_ci_low, frequency_ci_high``. Rates are proportions
        (0-1) for the binary measure and per 100 offenders for the frequency.

    Raises
    ------
    DataError
        Missing columns, values of ``reoffended`` other than 0/1, bad event counts.
    SpecError
        ``alpha`` outside (0, 1).
    """
    a = check_alpha(alpha)
    require_columns(data, [reoffended, events, group])
    flag = data[reoffended]
    if flag.isna().any() or not flag.isin([0, 1, True, False]).all():
        raise DataError(
            f"column {reoffended!r} must hold 0/1 (or True/False) for every offender; "
            f"found {pd.unique(flag[~flag.isin([0, 1])]).tolist()[:5]}."
        )
    work = pd.DataFrame({"_r": flag.astype(float).to_numpy()}, index=data.index)
    if events is not None:
        work["_e"] = as_counts(data[events], f"column {events!r}")
    work["_g"] = 0 if group is None else data[group]
    if work["_g"].isna().any():
        raise DataError(f"column {group!r} has missing cohort labels; fill or drop them.")
    agg = work.groupby("_g", sort=True, observed=True).agg(["size", "sum"])
    n = agg[("_r", "size")].to_numpy(dtype=float)
    k = agg[("_r", "sum")].to_numpy(dtype=float)
    lo = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
    hi = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    out = pd.DataFrame(
        {
            "n_offenders": n.astype(np.int64),
            "n_reoffenders": k.astype(np.int64),
            "binary_rate": k / n,
            "binary_ci_low": lo,
            "binary_ci_high": hi,
        }
    )
    if group is not None:
        out.insert(0, group, agg.index.to_numpy())
    if events is not None:
        e = agg[("_e", "sum")].to_numpy(dtype=float)
        e_lo, e_hi = _garwood(e, a)
        out["n_events"] = e.astype(np.int64)
        out["frequency_per_100"] = 100 * e / n
        out["frequency_ci_low"] = 100 * e_lo / n
        out["frequency_ci_high"] = 100 * e_hi / n
    return out


def relative_reduction(treated_rate: object, comparison_rate: object) -> float | np.ndarray:
    """Relative reduction ``(comparison - treated) / comparison``.

    Positive values mean the treated cohort did better (e.g. 0.10 = a 10 % reduction, the
    Peterborough single-cohort success threshold). Works on any measure with the same
    scale in both arms (binary rates, events per 100).

    Parameters
    ----------
    treated_rate, comparison_rate : float or array-like
        Non-negative rates; the comparison rate must be positive.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar inputs, else an array.

    Raises
    ------
    DataError
        Negative or missing rates, or a comparison rate of 0.
    """
    t = as_array(treated_rate, "treated_rate")
    c = as_array(comparison_rate, "comparison_rate")
    if (t < 0).any() or (c < 0).any():
        raise DataError("rates must be non-negative.")
    if (c == 0).any():
        raise DataError(
            "comparison_rate is 0, so a relative reduction is undefined; report the "
            "absolute difference instead."
        )
    try:
        result = (c - t) / c
    except ValueError as exc:
        raise DataError(
            f"treated_rate and comparison_rate have different lengths ({exc})."
        ) from exc
    return float(result) if result.ndim == 0 else result
