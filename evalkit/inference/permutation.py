"""Randomization (permutation, placebo-in-space) inference when few units are treated.

The treated label is re-assigned to other sets of units of the same size and the
estimator is re-run on each placebo assignment; the p-value is the share of assignments
whose ``|estimate|`` is at least the observed one. With one to five treated districts
this is the reference method of DOMAIN.md §4 ("Few treated units"): it needs no
large-sample approximation, only that, under the sharp null of no effect, the treated
units could as well have been any other set of units of that size.

Reference set and p-value
    * exact (``math.comb(n, n_treated) <= exact_limit``): every subset of ``n_treated``
      units, each once (the observed one included);
      ``p = #{|T*| >= |T|} / C(n, n_treated)``.
    * sampled: ``reps`` subsets drawn uniformly and independently
      (``numpy.random.default_rng(seed)``, ``rng.choice(n, n_treated, replace=False)``,
      positions sorted), plus the observed assignment;
      ``p = (1 + #{|T*_b| >= |T|}) / (1 + reps)``.
    Ties (within a relative 1e-9) count as "at least as extreme", so the test is
    conservative; the observed assignment always counts. Reject when ``p <= alpha``
    (the test then has size at most ``alpha``).

Staggered roll-out
    Keep the calendar of the roll-out fixed and permute *which* units carry it:
    :func:`permute_cohorts` gives the observed cohort dates to the placebo-treated units
    in unit order, so each subset defines one assignment of dates and the observed
    assignment is in the reference set. Build the callback as
    ``lambda tr: estimator(cohorts=permute_cohorts(cohorts, tr))``.

Confidence interval
    :func:`ri_confidence_interval` inverts the sharp null of a constant additive effect
    ``tau`` (``Y(0) = Y - tau D``). For estimators linear in the outcome (DiD of means,
    TWFE, any least-squares coefficient) ``T_S(Y - tau D) = T_S(Y) - tau T_S(D)``, so one
    extra pass with the treatment indicator as the outcome gives ``p(tau)`` for every
    ``tau`` at no further cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._checks import check_alpha
from evalkit._progress import progress
from evalkit.errors import DataError, SpecError
from evalkit.inference._invert import invert_test

__all__ = [
    "Randomization",
    "RandomizationInterval",
    "permute_cohorts",
    "randomization_inference",
    "ri_confidence_interval",
]

_TIE_RTOL = 1e-9


@dataclass(frozen=True)
class Randomization:
    """Result of :func:`randomization_inference`.

    Attributes
    ----------
    p_value : float
        Two-sided p-value on ``|estimate|`` (see the module docstring for the counting).
    observed : float
        Estimate with the actually treated units.
    distribution : np.ndarray
        Estimates under every assignment in the reference set; element 0 is the observed
        assignment (exact: all ``C(n, n_treated)`` subsets; sampled: ``reps + 1`` values).
    reps : int
        Placebo assignments besides the observed one (exact: ``C(n, n_treated) - 1``).
    exact : bool
        True when every subset was enumerated.
    seed : int or None
        Seed of the sampled reference set (recorded but unused when exact).
    alpha : float
    method : str
        Description for reports.
    """

    p_value: float
    observed: float
    distribution: np.ndarray
    reps: int
    exact: bool
    seed: int | None
    alpha: float
    method: str


@dataclass(frozen=True)
class RandomizationInterval:
    """Result of :func:`ri_confidence_interval`: Randomization plus the interval."""

    ci_low: float
    ci_high: float
    alpha: float
    test: Randomization


def randomization_inference(
    estimate: Callable[[pd.Index], float],
    units: pd.Index,
    treated: pd.Index,
    *,
    reps: int = 9999,
    seed: int | None,
    exact_limit: int = 100_000,
    alpha: float = 0.05,
) -> Randomization:
    """Permutation test of no effect, re-assigning the treated label among the units.

    Parameters
    ----------
    estimate : callable
        ``estimate(treated_units) -> float``: re-runs the estimator as if exactly
        ``treated_units`` (a ``pd.Index``, a subset of ``units`` in their order) were
        treated. Called ``C(n, n_treated)`` or ``reps + 1`` times: make it cheap (e.g. a
        DiD of unit means, or one demeaned regression).
    units : pd.Index
        Every unit eligible for treatment (treated and comparison), unique.
    treated : pd.Index
        The actually treated units, a subset of ``units``.
    reps : int
        Placebo draws when sampling (at least 99).
    seed : int or None
        Seed for the sampled reference set; required (may be None only when exact).
    exact_limit : int
        Enumerate every subset when there are at most this many.
    alpha : float
        Level reported in ``method``.

    Returns
    -------
    Randomization

    Raises
    ------
    SpecError
        ``treated`` not a proper non-empty subset of ``units``, ``reps`` < 99, missing
        seed when sampling is needed, bad ``alpha`` or ``exact_limit``.
    DataError
        The estimator returned a missing or infinite value.
    """
    check_alpha(alpha)
    units, pos = _check_sets(units, treated)
    n, m = len(units), len(pos)
    if isinstance(exact_limit, bool) or not isinstance(exact_limit, int) or exact_limit < 1:
        raise SpecError(f"exact_limit must be a positive whole number; got {exact_limit!r}.")
    total = math.comb(n, m)
    exact = total <= exact_limit
    observed = _call(estimate, units[pos], units[pos])
    if exact:
        assignments = (c for c in itertools.combinations(range(n), m) if list(c) != pos)
        n_reps = total - 1
    else:
        _check_reps(reps)
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise SpecError(f"seed must be an integer when the {total:,} possible assignments "
                            f"exceed exact_limit={exact_limit:,} and are sampled; got {seed!r}.")
        rng = np.random.default_rng(int(seed))
        assignments = (np.sort(rng.choice(n, m, replace=False)) for _ in range(int(reps)))
        n_reps = int(reps)
    dist = np.empty(n_reps + 1)
    dist[0] = observed
    for b, a in enumerate(progress(assignments, desc="randomization inference", total=n_reps,
                                   unit="assignment"), start=1):
        dist[b] = _call(estimate, units[list(a)], units[pos])
    p = _p_value(dist, observed)
    method = _describe(n, m, total, exact, n_reps, alpha)
    return Randomization(p_value=p, observed=float(observed), distribution=dist,
                         reps=n_reps, exact=exact, seed=None if seed is None else int(seed),
                         alpha=float(alpha), method=method)


def ri_confidence_interval(
    estimate: Callable[[pd.Index], float],
    estimate_on_treatment: Callable[[pd.Index], float],
    units: pd.Index,
    treated: pd.Index,
    *,
    reps: int = 9999,
    seed: int | None,
    exact_limit: int = 100_000,
    alpha: float = 0.05,
) -> RandomizationInterval:
    """Confidence interval for a constant additive effect by inverting the sharp null.

    Valid for estimators that are linear in the outcome (least squares, DiD of means).
    Under ``H0: Y(0) = Y - tau D`` the placebo estimate is
    ``T_S(Y) - tau T_S(D)``, where ``D`` is the *observed* treatment indicator; the
    interval is ``{tau : p(tau) > alpha}``, found by bracketing outward from the
    observed estimate and bisecting on the step function ``p(tau)``.

    Parameters
    ----------
    estimate : callable
        As in :func:`randomization_inference` (outcome ``Y``).
    estimate_on_treatment : callable
        The same estimator with the observed treatment indicator ``D`` (or treated
        share) used as the *outcome*, with ``treated_units`` treated; it equals 1 for the
        observed assignment when the estimator is unbiased for a constant effect.
    units, treated, reps, seed, exact_limit, alpha
        As in :func:`randomization_inference` (same seed, same placebo assignments).

    Returns
    -------
    RandomizationInterval
        ``test`` is the test of ``tau = 0``.
    """
    test = randomization_inference(estimate, units, treated, reps=reps, seed=seed,
                                   exact_limit=exact_limit, alpha=alpha)
    on_d = randomization_inference(estimate_on_treatment, units, treated, reps=reps,
                                   seed=seed, exact_limit=exact_limit, alpha=alpha)
    y_dist, d_dist = test.distribution, on_d.distribution

    def p_value(tau: float) -> float:
        return _p_value(y_dist - tau * d_dist, y_dist[0] - tau * d_dist[0])

    if abs(d_dist[0]) < 1e-12:
        raise DataError("the estimator applied to the treatment indicator gives 0 for the "
                        "observed assignment; the estimator is not linear in a constant "
                        "effect and the interval cannot be inverted.")
    centre = float(y_dist[0] / d_dist[0])  # T(Y - tau D) = 0 here, so p = 1
    spread = float(np.std(y_dist)) or abs(centre) or 1.0
    lo = invert_test(lambda b: p_value(b) <= alpha, centre, -spread)
    hi = invert_test(lambda b: p_value(b) <= alpha, centre, spread)
    return RandomizationInterval(ci_low=lo, ci_high=hi, alpha=float(alpha), test=test)


def permute_cohorts(cohorts: pd.Series, treated: pd.Index) -> pd.Series:
    """Give the observed roll-out dates to a placebo set of treated units.

    Parameters
    ----------
    cohorts : pd.Series
        First treated period per unit (index = every unit; NaN / None for never treated).
    treated : pd.Index
        Placebo-treated units, as many as units with a cohort.

    Returns
    -------
    pd.Series
        Same index as ``cohorts``; the i-th unit of ``treated`` (in the order of
        ``cohorts.index``) receives the i-th observed date (same order), the others NaN.
        ``permute_cohorts(cohorts, observed_treated)`` returns ``cohorts`` unchanged.
    """
    has = cohorts.notna()
    dates = cohorts[has].to_numpy()
    missing = treated.difference(cohorts.index)
    if len(missing):
        raise SpecError(f"units {list(missing[:5])} are not in the cohorts' index.")
    if len(treated.unique()) != len(dates):
        raise SpecError(f"{len(dates)} units have a cohort but {len(treated)} placebo units "
                        "were given; the numbers must match.")
    out = cohorts.where(pd.Series(False, index=cohorts.index))  # all missing, same dtype
    order = cohorts.index[cohorts.index.isin(treated)]
    out.loc[order] = dates
    return out


# -- helpers -------------------------------------------------------------------------------
def _check_sets(units: pd.Index, treated: pd.Index) -> tuple[pd.Index, list[int]]:
    units, treated = pd.Index(units), pd.Index(treated)
    if not units.is_unique:
        raise SpecError("units must be unique.")
    if not treated.is_unique:
        raise SpecError("treated units must be unique.")
    outside = treated.difference(units)
    if len(outside):
        raise SpecError(f"treated units {list(outside[:5])} are not among the units.")
    if len(treated) == 0 or len(treated) >= len(units):
        raise SpecError(f"randomization inference needs at least one treated and one "
                        f"comparison unit; got {len(treated)} treated of {len(units)}.")
    pos = sorted(units.get_indexer(treated).tolist())
    return units, pos


def _check_reps(reps: object) -> None:
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 99:
        raise SpecError(f"reps must be a whole number >= 99 (9999 recommended); got {reps!r}.")


def _call(estimate: Callable[[pd.Index], float], units: pd.Index, observed: pd.Index) -> float:
    value = float(estimate(units))
    if not math.isfinite(value):
        which = "the observed assignment" if units.equals(observed) else \
            f"placebo units {list(units)}"
        raise DataError(f"the estimator returned {value} for {which}; randomization "
                        "inference needs a finite estimate for every assignment.")
    return value


def _p_value(dist: np.ndarray, observed: float) -> float:
    t = abs(observed)
    extreme = np.abs(dist) >= t * (1 - _TIE_RTOL)
    extreme[0] = True  # the observed assignment always counts
    return float(np.count_nonzero(extreme) / len(dist))


def _describe(n: int, m: int, total: int, exact: bool, n_reps: int, alpha: float) -> str:
    if exact:
        ref = (f"all {total:,} ways of choosing {m} treated among {n} units enumerated "
               "exactly; p = #{|T*| >= |T|} / " + f"{total:,}")
    else:
        ref = (f"{n_reps:,} random placebo assignments of {m} treated among {n} units "
               f"(of {total:,} possible) plus the observed one; "
               "p = (1 + #{|T*| >= |T|}) / (1 + reps)")
    return (f"Randomization (placebo-in-space) inference on |estimate|: {ref}; ties count "
            f"as at least as extreme. Reject no effect at level {alpha:g} when p <= {alpha:g}.")
