"""Synthetic control: the pre-period fit criterion (the ``pre_fit`` diagnostic).

On counts the criterion compares the pre-period RMSPE with the RMSPE that count noise
alone would give a perfect synthetic control; on other outcomes (rates, sales, negative
or fractional values) with the pre-period standard deviation of the treated series.

Count noise. Each unit's pre-period counts are given the two-way (unit x period)
Poisson fit ``m[i, t] = row_i * col_t / total``, and the donors' residuals give the
dispersion ``theta`` of a negative-binomial variance ``V(m) = m + theta m^2`` (moment
estimate, corrected for the fit's degrees of freedom, at least 0: Poisson). ``theta``
takes in overdispersion and each district's own shocks and drifts around the common path —
the variation no weighted average of donors can reproduce. With independent errors the
gap of a synthetic control that reproduces the treated unit's expected counts exactly has
variance ``V(m_1t) + sum_j w_j^2 V(m_jt)`` (the treated unit's noise plus that of its
weighted donors; with several treated units, the variance of the averaged gap), and the
expected RMSPE is the root of its mean over the pre-period.

The limit. Over ``T`` pre-periods of independent errors, (RMSPE / expected)^2 of an exact
synthetic control is about chi2(T) / T; the in-sample choice of the weights lowers the
ratio (median 0.88 on ``null_moderate_1``), autocorrelated district shocks and the
estimated ``theta`` widen its spread. The limit is the 95 % quantile of
sqrt(chi2(df) / df) with ``df = T / 2`` (1.23 for 48 months, 1.45 for 12). On
:func:`~evalkit.data.simulate.realistic.simulate_realistic_city` (one treated district
among 24, 500 cities each) it passes 95.2 % of ``null_moderate_1``, 95.6 % of
``null_persistent_1`` and 95.2 % of ``power20_1`` cities; all failures but one in 500 are
districts the convex-hull caveat flags. A treated area at twice the largest donor always
fails, one drifting 30 % a year away from its donors in 90 % of cities (15 % a year: 18 %,
the drift then being small beside monthly noise). The rule of 0.5 SD passed none of these
cities: the SD of a district's monthly counts is mostly count noise, which no synthetic
control can fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

#: Pre-period RMSPE / pre-period SD of the treated outcome above which a fit on an outcome
#: that is not a count is poor (the rule for every outcome before the count-noise scale).
POOR_FIT = 0.5
#: One-sided level of the count-noise limit: a synthetic control that reproduces the
#: treated unit's expected counts exactly exceeds it in about this share of data sets.
FIT_LEVEL = 0.05
#: Effective pre-periods per observed one in the limit. District shocks are autocorrelated
#: and ``theta`` is estimated, so the ratio varies more than with independent periods:
#: the limit uses a chi-square with half the pre-periods as degrees of freedom.
DF_SHARE = 0.5


@dataclass(frozen=True)
class FitCheck:
    """The pre-period fit criterion.

    Attributes
    ----------
    scale : {"counts", "sd"}
        ``"counts"``: the reference is the count-noise RMSPE; ``"sd"``: the pre-period SD
        of the treated outcome (outcomes that are not counts).
    reference : float
        Count-noise RMSPE, or the SD.
    ratio : float
        Pre-period RMSPE / reference.
    limit : float
        Largest ratio of a close fit.
    theta : float
        Estimated dispersion (NaN on the SD scale).
    """

    scale: str
    reference: float
    ratio: float
    limit: float
    theta: float

    @property
    def passed(self) -> bool:
        """True when the ratio is at most the limit (False when it is NaN)."""
        return bool(self.ratio <= self.limit)

    def message(self, rmspe: float) -> str:
        """The diagnostic's message: the RMSPE, the reference, their ratio and the limit."""
        if self.scale == "counts":
            return (f"pre-period RMSPE {rmspe:.4g} is {self.ratio:.2f} times the "
                    f"{self.reference:.4g} expected from count noise alone (dispersion "
                    f"theta {self.theta:.3g}); at most {self.limit:.2f} is a close fit")
        return (f"pre-period RMSPE {rmspe:.4g} is {self.ratio:.2f} times the pre-period "
                f"standard deviation of the treated outcome ({self.reference:.4g}); at most "
                f"{self.limit:g} is a close fit (the outcome is not a count)")

    def to_dict(self) -> dict[str, float | str]:
        """The fields, for ``SynthExtras.pre_fit``."""
        return {"scale": self.scale, "reference": self.reference, "ratio": self.ratio,
                "limit": self.limit, "theta": self.theta}


def is_counts(y: np.ndarray) -> bool:
    """True when every value is a non-negative whole number (and not all are zero)."""
    finite = y[np.isfinite(y)]
    return bool(finite.size and finite.min() >= 0 and finite.max() > 0
                and np.all(finite == np.round(finite)))


def count_limit(n_pre: int) -> float:
    """Largest RMSPE / count-noise ratio of a close fit over ``n_pre`` pre-periods: the
    ``1 - FIT_LEVEL`` quantile of ``sqrt(chi2(df) / df)`` with ``df = DF_SHARE * n_pre``."""
    df = max(1.0, DF_SHARE * n_pre)
    return float(np.sqrt(chi2.ppf(1.0 - FIT_LEVEL, df) / df))


def count_noise(y_pre: np.ndarray, n_tr: int, w_tr: np.ndarray) -> tuple[float, float]:
    """Expected pre-period RMSPE of an exact synthetic control, and ``theta``.

    Parameters
    ----------
    y_pre : ndarray, shape (n_tr + J, T_pre)
        Pre-period counts, treated units first, then the donors in the order of ``w_tr``.
    n_tr : int
        Number of treated units.
    w_tr : ndarray, shape (n_tr, J)
        Each treated unit's donor weights.
    """
    total = y_pre.sum()
    m = np.outer(y_pre.sum(axis=1), y_pre.sum(axis=0)) / total
    donors, m_do = y_pre[n_tr:], m[n_tr:]
    n_par = y_pre.shape[0] + y_pre.shape[1] - 1
    # pooled moment estimate; squared residuals inflated by cells / (cells - parameters)
    inflate = y_pre.size / max(y_pre.size - n_par, 1)
    excess = float(np.sum((donors - m_do) ** 2) * inflate - np.sum(m_do))
    theta = max(0.0, excess / float(np.sum(m_do ** 2))) if np.any(m_do > 0) else 0.0
    var = m + theta * m ** 2
    w_bar = w_tr.mean(axis=0)
    gap_var = var[:n_tr].sum(axis=0) / n_tr ** 2 + (w_bar ** 2) @ var[n_tr:]
    return float(np.sqrt(np.mean(gap_var))), theta


def fit_check(y: np.ndarray, pre_idx: np.ndarray, tr_idx: np.ndarray, do_idx: np.ndarray,
              w_tr: np.ndarray, pre_rmspe: float) -> FitCheck:
    """The ``pre_fit`` criterion of a synthetic control (see the module docstring)."""
    y_pre = y[np.r_[tr_idx, do_idx]][:, pre_idx]
    if is_counts(y_pre):
        reference, theta = count_noise(y_pre, len(tr_idx), w_tr)
        scale, limit = "counts", count_limit(len(pre_idx))
    else:
        reference = float(np.std(y[tr_idx][:, pre_idx].mean(axis=0), ddof=1))
        scale, limit, theta = "sd", POOR_FIT, float("nan")
    ratio = (pre_rmspe / reference if reference > 0
             else 0.0 if pre_rmspe == 0 else float("inf"))
    return FitCheck(scale=scale, reference=reference, ratio=float(ratio), limit=limit,
                    theta=theta)
