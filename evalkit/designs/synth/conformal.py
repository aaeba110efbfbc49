"""Synthetic control: conformal inference (Chernozhukov, Wüthrich & Zhu 2021), the glue.

The counterfactual model of the conformal test is CWZ's constrained least squares (§2.3):
simplex weights on the donors' outcomes, refitted on every period with the null imposed
(``evalkit.inference.conformal`` does the permutations and the inversion). It is the same
model as the headline fit without predictors, refitted on pre- and post-period together.

- ``gap_<t>``: the null "effect ``theta`` in period ``t``" is tested on the pre-period and
  period ``t`` alone (CWZ Algorithm 1, as pysyncon); the interval inverts it.
- ``att``: the null "effect ``theta`` in every post period" is tested on every period with
  the statistic ``|mean post residual|``; the interval inverts it. It is an interval for a
  constant effect, which is the average effect when the effect does not vary.
- ``att_cumulative``: the post-period sum of the gaps (the number of events prevented or
  added), ``n_post`` times ``att`` and its interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.designs.synth.core import simplex_least_squares
from evalkit.designs.synth.inference import _has_ratio
from evalkit.inference.conformal import conformal_interval, conformal_p_value

#: Term of the cumulative effect over the post-period.
CUMULATIVE = "att_cumulative"


def _refit(donors: np.ndarray):
    """The CWZ proxy on the given periods: simplex least squares of the treated series on
    the donors (``donors``: donors x periods), returning the residuals."""
    def refit(y_null: np.ndarray) -> np.ndarray:
        w = simplex_least_squares(donors.T, y_null)
        return y_null - w @ donors
    return refit


def conformal_rows(y: np.ndarray, gap: np.ndarray, all_periods, pre_idx: np.ndarray,
                   post_idx: np.ndarray, *, alpha: float, n_obs: int) -> list[dict[str, Any]]:
    """Effect rows ``att``, ``gap_<t>`` and ``att_cumulative`` with conformal p-values and
    intervals, for one treated unit (row 0 of ``y``; donors the other rows)."""
    nan = float("nan")
    y1, y0 = y[0], y[1:]
    obs, cf = y1, y1 - gap
    scale = float(np.sqrt(np.mean(gap[pre_idx] ** 2)))
    positive = _has_ratio(obs, cf, post_idx)

    def test(periods: np.ndarray):
        refit, series, n_post = _refit(y0[:, periods]), y1[periods], len(periods) - len(pre_idx)
        return lambda theta: conformal_p_value(refit, series, theta, n_post)

    def ratio(level: float, tau: float) -> float:
        if not positive or np.isnan(tau):
            return nan
        return level / (level - tau) if level - tau > 0 else np.inf

    def row(term, est, lo, hi, p, level):
        point = level / (level - est) if positive and level - est > 0 else nan
        return {"term": term, "estimate": float(est), "std_error": nan, "ci_low": float(lo),
                "ci_high": float(hi), "p_value": float(p), "scale": "additive",
                "relative_effect": point, "relative_ci_low": ratio(level, lo),
                "relative_ci_high": ratio(level, hi), "n_obs": n_obs}

    p_att = test(np.concatenate([pre_idx, post_idx]))
    att = float(gap[post_idx].mean())
    lo, hi = conformal_interval(p_att, att, scale, alpha)
    level = float(obs[post_idx].mean())
    rows = [row("att", att, lo, hi, p_att(0.0), level)]
    for t in post_idx:
        p_t = test(np.append(pre_idx, t))
        lo_t, hi_t = conformal_interval(p_t, float(gap[t]), scale, alpha)
        rows.append(row(f"gap_{all_periods[t]}", gap[t], lo_t, hi_t, p_t(0.0), float(obs[t])))
    n = len(post_idx)
    cum = row(CUMULATIVE, n * att, n * lo, n * hi, rows[0]["p_value"], level)
    # the ratio of sums is the ratio of means: the same relative effect as att
    cum.update({k: rows[0][k] for k in ("relative_effect", "relative_ci_low",
                                         "relative_ci_high")})
    rows.append(cum)
    return rows
