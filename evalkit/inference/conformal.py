"""Conformal inference for counterfactual models (Chernozhukov, Wüthrich & Zhu 2021, JASA
116(536)): exact permutation p-values of a sharp null on the post-period effects, and
intervals by test inversion.

The design supplies ``refit``: given the treated series with the hypothesised effects
removed from its post-period (``y - theta``), it refits the counterfactual model on *every*
period (pre and post, the null imposed) and returns the residuals in time order, the post
period last. Under the null and a time-exchangeable (or stationary, weakly dependent) error,
the residuals' moving-block permutations (the ``T`` cyclic shifts of the series, identity
included) give an exact (resp. approximately valid) p-value for any statistic. The
statistic here is ``S(u) = |mean of the post-period residuals|``: with one post period it is
CWZ's ``S_q`` for any ``q``; with several it tests a constant effect path against a shift in
level, which is what an average (or cumulative) effect is about. No design is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from evalkit.errors import SpecError
from evalkit.inference._invert import invert_test

__all__ = ["block_p_value", "conformal_interval", "conformal_p_value"]


def block_p_value(residuals: np.ndarray, n_post: int) -> float:
    """Moving-block permutation p-value of ``|mean(u_post)|`` (CWZ eq. 2).

    Parameters
    ----------
    residuals : ndarray, shape (T,)
        Residuals in time order; the last ``n_post`` are the post-period.
    n_post : int
        Post-period length, 1 <= n_post < T.

    Returns
    -------
    float
        ``(1/T) * #{shifts j : S(u shifted by j) >= S(u)}``, the identity among the ``T``
        shifts (so at least ``1/T``).
    """
    u = np.asarray(residuals, dtype=float)
    t = u.size
    if not 1 <= n_post < t:
        raise SpecError(f"the post-period must have between 1 and {t - 1} periods of the "
                        f"{t} residuals; got {n_post}.")
    # the post window of shift j holds u[(T - n_post + j + k) mod T], k < n_post
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([u, u]))])
    starts = (t - n_post + np.arange(t)) % t
    stats = np.abs(csum[starts + n_post] - csum[starts]) / n_post
    observed = stats[0]
    return float(np.mean(stats >= observed * (1 - 1e-9) - 1e-12))


def conformal_p_value(refit: Callable[[np.ndarray], np.ndarray], y: np.ndarray,
                      theta: np.ndarray | float, n_post: int) -> float:
    """p-value of the sharp null "the post-period effects are ``theta``".

    Parameters
    ----------
    refit : callable
        ``refit(y_null) -> residuals``: the counterfactual model refitted on every period of
        ``y_null`` (shape (T,)), its residuals in the same order.
    y : ndarray, shape (T,)
        Treated series, the post-period last.
    theta : float or ndarray, shape (n_post,)
        Hypothesised effect in each post period (a scalar: the same in each).
    n_post : int
        Post-period length.
    """
    y_null = np.array(y, dtype=float)
    y_null[-n_post:] -= theta
    return block_p_value(refit(y_null), n_post)


def conformal_interval(p_value: Callable[[float], float], estimate: float, scale: float,
                       alpha: float) -> tuple[float, float]:
    """Interval ``{theta : p_value(theta) > alpha}`` by test inversion around ``estimate``.

    Parameters
    ----------
    p_value : callable
        ``theta -> p-value`` of the constant effect ``theta``.
    estimate : float
        A value inside the interval (the point estimate); when it is itself rejected the
        interval is empty, (nan, nan).
    scale : float
        Initial search step (e.g. the pre-period residual SD); any positive value works,
        the search doubles it until the test rejects.
    alpha : float
        1 - confidence level.

    Returns
    -------
    (low, high)
        End points of the connected set of accepted values that holds ``estimate``
        (``-inf``/``inf`` when the test never rejects, e.g. with fewer than ``1/alpha``
        periods).
    """
    def rejects(theta: float) -> bool:
        return p_value(theta) <= alpha

    if rejects(estimate):
        return math.nan, math.nan
    step = scale if scale > 0 and math.isfinite(scale) else max(abs(estimate), 1.0)
    return (invert_test(rejects, estimate, -step), invert_test(rejects, estimate, step))
