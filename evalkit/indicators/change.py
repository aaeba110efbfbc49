"""Before/after change in a Poisson rate: rate ratio, percent change, exact or Wald CI."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import check_alpha, check_choice
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.indicators._checks import as_array, as_counts
from evalkit.results import warn

__all__ = ["rate_change"]


def _positive(values: object, name: str) -> np.ndarray:
    arr = np.atleast_1d(as_array(values, name))
    if (~np.isfinite(arr) | (arr <= 0)).any():
        raise DataError(f"{name} must be strictly positive and finite; got {arr.tolist()[:5]}.")
    return arr


def rate_change(
    count_before: object,
    exposure_before: object,
    count_after: object,
    exposure_after: object,
    *,
    alpha: float = 0.05,
    method: Literal["exact", "wald"] = "exact",
    per: float = 100_000,
) -> pd.DataFrame:
    """Rate ratio (after / before) of two Poisson rates with a confidence interval.

    ``rate_ratio = (x_a / E_a) / (x_b / E_b)`` and ``percent_change = 100 (rate_ratio - 1)``.

    ``method="exact"`` (default) conditions on the total ``n = x_a + x_b``: then
    ``x_a ~ Binomial(n, pi)`` with ``pi = RR E_a / (RR E_a + E_b)``. The Clopper–Pearson
    interval ``(pi_L, pi_U)`` for ``pi`` is mapped to ``RR = pi / (1 - pi) * E_b / E_a``.
    The p-value (H0: RR = 1) is the *central* exact conditional p-value, twice the smaller
    one-sided binomial tail (capped at 1); it is the test the Clopper–Pearson interval
    inverts, so ``p_value < alpha`` exactly when the interval excludes 1. (statsmodels'
    ``test_poisson_2indep(method="exact-cond")`` uses the "minlike" two-sided rule and can
    differ slightly; its one-sided p-values are identical.)

    ``method="wald"`` uses ``log RR`` with ``SE = sqrt(1/x_a + 1/x_b)`` and a normal
    reference, as statsmodels ``confint_poisson_2indep`` / ``test_poisson_2indep`` with
    ``method="wald-log"``. It is poor for small counts; prefer the exact method.

    Zeros never raise:

    * ``x_a = 0`` (exact): ``rate_ratio = 0``, ``ci_low = 0`` and a finite ``ci_high``.
    * ``x_b = 0`` (exact): ``rate_ratio = inf``, ``ci_high = inf`` and a finite ``ci_low``.
    * both 0: ``rate_ratio`` is NaN, the interval is ``(0, inf)`` and ``p_value = 1``.
    * Wald with any zero count: the log-scale SE is infinite, so the interval is
      ``(0, inf)`` and ``p_value`` is NaN (an :class:`EvalkitWarning` suggests ``exact``).

    An :class:`EvalkitWarning` is also issued when a period has fewer than 10 events.

    Parameters
    ----------
    count_before, exposure_before, count_after, exposure_after : scalar or array-like
        Event counts (non-negative whole numbers) and strictly positive exposures, one per
        row; scalars are broadcast.
    alpha : float, default 0.05
        One minus the confidence level.
    method : {"exact", "wald"}, default "exact"
        Interval and test, see above.
    per : float, default 100_000
        Base of ``rate_before`` and ``rate_after`` (does not affect the ratio).

    Returns
    -------
    pandas.DataFrame
        Columns ``count_before, count_after, rate_before, rate_after, rate_ratio, ci_low,
        ci_high, percent_change, percent_ci_low, percent_ci_high, p_value``.

    Raises
    ------
    DataError
        Bad counts or exposures, or inputs of different lengths.
    SpecError
        Unknown ``method``, ``alpha`` outside (0, 1) or ``per <= 0``.
    """
    a = check_alpha(alpha)
    check_choice("method", method, ("exact", "wald"))
    if not np.isfinite(per) or per <= 0:
        raise SpecError(f"per must be a positive number, got {per!r}.")
    arrays = [
        np.atleast_1d(as_counts(count_before, "count_before")),
        _positive(exposure_before, "exposure_before"),
        np.atleast_1d(as_counts(count_after, "count_after")),
        _positive(exposure_after, "exposure_after"),
    ]
    sizes = {arr.size for arr in arrays} - {1}
    if len(sizes) > 1 or any(arr.ndim > 1 for arr in arrays):
        raise DataError(
            f"inputs have different lengths {[arr.size for arr in arrays]}; pass one value "
            "per row for each of them (or a scalar)."
        )
    xb, eb, xa, ea = np.broadcast_arrays(*arrays)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (xa / ea) / (xb / eb)
        if method == "exact":
            lo, hi, p = _exact(xb, eb, xa, ea, a)
        else:
            log_rr = np.log(rr)
            se = np.sqrt(1 / xa + 1 / xb)
            z = stats.norm.isf(a / 2)
            zero = (xa == 0) | (xb == 0)
            lo = np.where(zero, 0.0, np.exp(log_rr - z * se))
            hi = np.where(zero, np.inf, np.exp(log_rr + z * se))
            p = np.where(zero, np.nan, 2 * stats.norm.sf(np.abs(log_rr) / se))
            if zero.any():
                warn(Caveat("rate_change_wald_zero", n=int(zero.sum())))
    small = (np.minimum(xa, xb) < 10).sum()
    if small:
        warn(Caveat("rate_change_small", n=int(small)))
    return pd.DataFrame(
        {
            "count_before": xb.astype(np.int64),
            "count_after": xa.astype(np.int64),
            "rate_before": xb / eb * per,
            "rate_after": xa / ea * per,
            "rate_ratio": rr,
            "ci_low": lo,
            "ci_high": hi,
            "percent_change": 100 * (rr - 1),
            "percent_ci_low": 100 * (lo - 1),
            "percent_ci_high": 100 * (hi - 1),
            "p_value": p,
        }
    )


def _exact(
    xb: np.ndarray, eb: np.ndarray, xa: np.ndarray, ea: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clopper–Pearson interval on x_a / n mapped to the rate ratio, and central p-value."""
    n = xa + xb
    pi_lo = np.where(xa > 0, stats.beta.ppf(alpha / 2, xa, xb + 1), 0.0)
    pi_hi = np.where(xb > 0, stats.beta.ppf(1 - alpha / 2, xa + 1, xb), 1.0)
    odds = eb / ea
    lo = pi_lo / (1 - pi_lo) * odds
    hi = np.where(pi_hi < 1, pi_hi / (1 - pi_hi) * odds, np.inf)
    pi0 = ea / (ea + eb)
    lower_tail = stats.binom.cdf(xa, n, pi0)
    upper_tail = stats.binom.sf(xa - 1, n, pi0)
    p = np.where(n > 0, np.minimum(1.0, 2 * np.minimum(lower_tail, upper_tail)), 1.0)
    return lo, hi, p
