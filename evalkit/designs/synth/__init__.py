"""Synthetic control (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010).

The counterfactual of a treated unit is a weighted average of untreated *donor* units,
``Y_1t(0) = sum_j w_j Y_jt``, with weights ``W`` on the simplex (``w_j >= 0``,
``sum_j w_j = 1``) chosen so that the synthetic unit reproduces the treated unit before the
intervention. The effect in period ``t`` is the gap ``Y_1t - sum_j w_j Y_jt``; ``att`` is the
mean gap over the post-period.

Choosing the weights
    * ``predictors=None``: ``W`` minimises the mean squared prediction error (MSPE) of the
      outcome over ``optimize_periods`` (default: every pre-intervention period), i.e. the
      predictor-importance matrix ``V`` is the identity on the pre-period outcomes.
    * ``predictors=[(column, periods), ...]``: each predictor is the column's mean over its
      periods (missing values skipped, as ``mean(..., na.rm = TRUE)`` in R Synth); the
      predictors are divided by their standard deviation across the units of the fit (as
      R Synth and pysyncon do). The nested problem of R Synth is then solved:

      - inner problem, for a diagonal ``V >= 0`` with ``trace V = 1``:
        ``W(V) = argmin (X1 - X0 W)' V (X1 - X0 W)`` on the simplex, solved exactly by
        Lawson–Hanson non-negative least squares with the adding-up constraint as a
        heavily weighted extra row (Lawson & Hanson 1974, ch. 22), followed by an exact
        equality-constrained least-squares solve on the active set (a deterministic
        active-set solution, accurate to rounding);
      - outer problem: ``V`` minimises the outcome MSPE over ``optimize_periods`` of the
        synthetic unit built with ``W(V)``. As R Synth (``optimx`` with its default
        methods), ``V = |v| / sum|v|`` is searched by Nelder–Mead (R's initial simplex, at
        most 500 evaluations) and by BFGS (central-difference gradients with step 1e-3,
        100 iterations), each from two starting points — equal weights, and Synth's
        regression-based start (squared coefficients of a regression of the optimisation
        outcomes on the scaled predictors across units) — and the lowest loss is kept.
        ``v_search="thorough"`` adds Powell's direction-set method from both starts.
        The search is deterministic. The problem is not convex and every implementation
        can stop at a local optimum (Becker & Klößner 2018, Econometrics and Statistics
        5): on Abadie & Gardeazabal's Basque data the ``"synth"`` search reproduces the
        published weights (Cataluña 0.85, Madrid 0.15, MSPE 0.0089) while ``"thorough"``
        finds a lower MSPE (0.0043) with Baleares added. The fitted ``V`` is reported in
        ``extras.predictor_weights``.

Inference (placebo in space, ADH 2010 §3.3)
    Every donor in turn is treated as if it had been treated: it is refitted with the same
    specification against the other donors (the treated unit is never a donor). The
    statistic is the ratio of post- to pre-period root MSPE; the exact permutation p-value
    is ``(1 + #{placebo ratio >= treated ratio}) / (1 + number of placebos)``. The
    intervals invert this test under a constant additive effect ``tau`` (the treated
    post-period gaps shift by ``tau``; the placebo distribution does not involve the
    treated unit), which for the RMSPE ratio has the closed form
    ``att +/- sqrt(c^2 RMSPE_pre^2 - var(post gaps))`` with ``c`` the placebo ratio at the
    level's rank (Firpo & Possebom 2018 propose intervals of this kind). ``gap_<t>`` and the
    band in ``series`` invert, period by period, the permutation test of
    ``|gap_t| / RMSPE_pre``: pointwise, not simultaneous. No standard error is reported.

    The relative effect (``relative_effect``) is the ratio of the observed to the synthetic
    post-period mean, ``obs / (obs - att)``. Its interval is the same test read on the ratio
    scale: each effect ``tau`` the test accepts is the hypothesis "the untreated mean was
    ``obs - tau``", i.e. the ratio ``obs / (obs - tau)``, which rises with ``tau``. The
    observed data stay fixed, as they do in the test, so the interval lies in [0, inf]
    (infinite when an accepted ``tau`` leaves no positive untreated level), always holds
    the estimate, and excludes 1 exactly when the additive interval excludes 0, i.e. when
    ``p <= alpha``. (Holding the *synthetic* level fixed instead, ``(cf + tau) / cf``, moves
    the data and gives ratios below 0.) Likewise per period. No ratio is given for outcomes
    that can be negative.

Conformal inference (opt-in, ``inference="conformal"``; Chernozhukov, Wüthrich & Zhu 2021)
    Under each hypothesised effect the simplex weights are refitted on every period and the
    residuals are permuted in moving blocks (see :mod:`evalkit.designs.synth.conformal`):
    ``gap_<t>`` intervals per period, an ``att`` interval for a constant effect, and
    ``att_cumulative``, the post-period sum of the gaps. One treated unit, no predictors.

Several treated units
    Each treated unit is fitted against the never-treated donors; gaps are averaged over
    the treated units. The placebo distribution is that of the same average over sets of
    as many donors, each donor's placebo gap computed once (Cavallo, Galiani, Noy &
    Pantano 2013, Rev. Econ. Stat. 95(5)); every set is used when there are at most
    1,000, otherwise 999 sets are drawn with ``seed``.
"""

from __future__ import annotations

from evalkit.designs.synth.api import (
    SynthExtras,
    donor_weight_diagnostics,
    donor_weights,
    placebo_table,
    synth,
)
from evalkit.designs.synth.core import simplex_least_squares

__all__ = ["SynthExtras", "donor_weight_diagnostics", "donor_weights", "placebo_table",
           "simplex_least_squares", "synth"]
