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
        ``sample["predictor_weights"]``.

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

Several treated units
    Each treated unit is fitted against the never-treated donors; gaps are averaged over
    the treated units. The placebo distribution is that of the same average over sets of
    as many donors, each donor's placebo gap computed once (Cavallo, Galiani, Noy &
    Pantano 2013, Rev. Econ. Stat. 95(5)); every set is used when there are at most
    1,000, otherwise 999 sets are drawn with ``seed``.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from evalkit._progress import progress
from evalkit.data.io import read_table
from evalkit.data.periods import parse_period, to_periods
from evalkit.data.validate import (
    check_intervention,
    check_names,
    check_numeric,
    check_unique,
    require_columns,
)
from evalkit.designs._common import as_list, check_alpha, check_choice, provenance
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic, EvaluationResult, effects_table

__all__ = ["donor_weight_diagnostics", "donor_weights", "placebo_table", "simplex_least_squares",
           "synth"]

#: Fewest pre-intervention periods accepted. Synthetic-control bias shrinks with the
#: length of the pre-period (ADH 2010, §2.3): with fewer than five periods a close
#: pre-period fit says little, since a few donors can match a handful of points by chance.
MIN_PRE = 5
#: Below this many pre-periods the result carries a caveat.
SHORT_PRE = 10
#: Share of pre-periods outside the donors' range that triggers the convex-hull caveat.
HULL_SHARE = 0.2
#: Pre-period RMSPE / pre-period SD of the treated outcome above which the fit is poor.
POOR_FIT = 0.5
#: Largest number of donor sets enumerated for several treated units (else sampled).
MAX_SETS = 1000
#: Donors whose weight exceeds this are left out one at a time.
LOO_MIN_WEIGHT = 1e-3

PeriodSpec = Any  # (first, last) inclusive, a list of periods, or one period


# -- numerical core ------------------------------------------------------------------------
def simplex_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``min ||a w - b||^2`` subject to ``w >= 0`` and ``sum(w) = 1``.

    Parameters
    ----------
    a : ndarray, shape (k, j)
        One column per donor.
    b : ndarray, shape (k,)
        Target (treated unit).

    Returns
    -------
    ndarray, shape (j,)
        Weights on the simplex. When several weight vectors reach the minimum (the target
        lies inside the donors' convex hull in fewer dimensions than donors), a sparse
        (basic) one is returned.

    Notes
    -----
    Lawson–Hanson NNLS (``scipy.optimize.nnls``) on the system augmented with the row
    ``M 1' w = M`` (the weighting method for equality constraints, Lawson & Hanson 1974,
    ch. 22), then the exact equality-constrained least-squares solution on the active set
    found, kept when it is feasible and no worse. Deterministic.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    k, j = a.shape
    if j == 1:
        return np.ones(1)
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-300)
    big = 1e3 * max(1.0, math.sqrt(k))
    aug = np.empty((k + 1, j))
    np.divide(a, scale, out=aug[:k])
    aug[k] = big
    rhs = np.empty(k + 1)
    np.divide(b, scale, out=rhs[:k])
    rhs[k] = big
    w, _ = nnls(aug, rhs, maxiter=50 * j)
    total = w.sum()
    w = w / total if total > 0 else np.full(j, 1.0 / j)
    support = np.flatnonzero(w)
    n = support.size
    a_s, b_s = aug[:k], rhs[:k]
    ap = a_s[:, support]
    kkt = np.empty((n + 1, n + 1))
    kkt[:n, :n] = ap.T @ ap
    kkt[:n, n] = 1.0
    kkt[n, :n] = 1.0
    kkt[n, n] = 0.0
    target = np.empty(n + 1)
    target[:n] = ap.T @ b_s
    target[n] = 1.0
    try:
        sol = np.linalg.solve(kkt, target)[:n] if n <= k + 1 else None
    except np.linalg.LinAlgError:
        sol = None
    if sol is None:
        sol = np.linalg.lstsq(kkt, target, rcond=None)[0][:n]
    if sol.min() >= -1e-12:
        sol = np.maximum(sol, 0.0)
        sol /= sol.sum()
        r_new = ap @ sol - b_s
        r_old = a_s @ w - b_s
        if r_new @ r_new <= r_old @ r_old + 1e-14:
            polished = np.zeros(j)
            polished[support] = sol
            return polished
    return w


def _w_given_v(xs1: np.ndarray, xs0: np.ndarray, v: np.ndarray) -> np.ndarray:
    root = np.sqrt(v)
    return simplex_least_squares(xs0 * root[:, None], xs1 * root)


def _regression_start(xs1, xs0, z1, z0) -> np.ndarray | None:
    """R Synth's regression-based starting V: squared coefficients of the pre-period outcomes
    regressed on the scaled predictors across units (with an intercept)."""
    x = np.column_stack([np.ones(xs0.shape[1] + 1), np.column_stack([xs1, xs0]).T])
    z = np.column_stack([z1, z0]).T
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    beta = np.linalg.solve(x.T @ x, x.T @ z)[1:]
    start = np.sum(beta**2, axis=1)
    return start / start.sum() if start.sum() > 0 else None


def _central_gradient(fun, x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference gradient with R optim's default step (``ndeps = 1e-3``)."""
    grad = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = step
        grad[i] = (fun(x + e) - fun(x - e)) / (2 * step)
    return grad


def _v_search(xs1, xs0, z1, z0, *, thorough: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Nested optimisation of Synth: V on the simplex minimising the outcome MSPE.

    As R Synth's ``synth()``: Nelder–Mead and BFGS (``optimx`` defaults: at most 500
    function evaluations for Nelder–Mead with R's initial simplex, 100 BFGS iterations
    with central-difference gradients, relative tolerance 1e-8), each from equal weights
    and from the regression-based start; the lowest loss wins. ``thorough`` adds Powell's
    direction-set search from both starts, which often reaches a lower loss (optima tend
    to lie near a face of the simplex).
    """
    k = xs1.shape[0]
    if k == 1:
        v = np.ones(1)
        return v, _w_given_v(xs1, xs0, v)

    def loss(par: np.ndarray) -> float:
        v = np.abs(par)
        total = v.sum()
        if not np.isfinite(total) or total <= 0:
            return float("inf")
        w = _w_given_v(xs1, xs0, v / total)
        r = z1 - z0 @ w
        return float(r @ r) / r.size

    starts = [np.full(k, 1.0 / k)]
    reg = _regression_start(xs1, xs0, z1, z0)
    if reg is not None:
        starts.append(reg)
    best_par, best_loss = starts[0], loss(starts[0])
    for start in starts:
        f0 = loss(start)
        step = 0.1 * float(np.abs(start).max())
        simplex = np.vstack([start] + [start + step * np.eye(k)[i] for i in range(k)])
        runs = [
            minimize(loss, start, method="Nelder-Mead",
                     options={"initial_simplex": simplex, "maxfev": 500, "xatol": np.inf,
                              "fatol": 1e-8 * (abs(f0) + 1e-8)}),
            minimize(loss, start, method="BFGS", jac=lambda x: _central_gradient(loss, x),
                     options={"maxiter": 100, "gtol": 1e-8 * (abs(f0) + 1e-8)}),
        ]
        if thorough:
            runs.append(minimize(loss, start, method="Powell",
                                 options={"xtol": 1e-6, "ftol": 1e-10, "maxfev": 1000 * k}))
        for res in runs:
            if np.isfinite(res.fun) and res.fun < best_loss and np.abs(res.x).sum() > 0:
                best_par, best_loss = np.abs(res.x) / np.abs(res.x).sum(), float(res.fun)
    v = np.abs(best_par) / np.abs(best_par).sum()
    return v, _w_given_v(xs1, xs0, v)


@dataclass(frozen=True)
class _Arrays:
    """Everything a fit needs: outcomes (units x periods), predictors (units x k) or None,
    and the column positions of the optimisation periods."""

    y: np.ndarray
    x: np.ndarray | None
    opt: np.ndarray
    thorough: bool = False


def _fit(arrays: _Arrays, target: int, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Donor weights (over ``pool``) and predictor weights V for one unit."""
    z1 = arrays.y[target, arrays.opt]
    z0 = arrays.y[np.ix_(pool, arrays.opt)].T
    if arrays.x is None:
        return simplex_least_squares(z0, z1), None
    units = np.concatenate([[target], pool])
    x = arrays.x[units].T  # k x (1 + J)
    sd = x.std(axis=1, ddof=1)
    keep = np.isfinite(sd) & (sd > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=1)))
    v_full = np.zeros(x.shape[0])
    if not keep.any():
        return simplex_least_squares(z0, z1), v_full
    xs = x[keep] / sd[keep, None]
    v, w = _v_search(xs[:, 0], xs[:, 1:], z1, z0, thorough=arrays.thorough)
    v_full[keep] = v
    return w, v_full


_SHARED: dict[str, _Arrays] = {}


def _init_worker(shared: dict[str, _Arrays]) -> None:
    _SHARED.clear()
    _SHARED.update(shared)


def _task(job: tuple[str, int, tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray | None]:
    key, target, pool = job
    return _fit(_SHARED[key], target, np.asarray(pool, dtype=int))


def _run(jobs: list[tuple[str, int, tuple[int, ...]]], shared: dict[str, _Arrays],
         n_jobs: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Run fits serially or in a process pool; results in job order (deterministic)."""
    if n_jobs == 1 or len(jobs) < 2:
        _init_worker(shared)
        try:
            return [_task(job) for job in progress(jobs, desc="synthetic control fits",
                                                   unit="fit")]
        finally:
            _SHARED.clear()
    workers = min(n_jobs, len(jobs))
    chunk = max(1, len(jobs) // (4 * workers))
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(shared,)) as pool:
        return list(progress(pool.map(_task, jobs, chunksize=chunk), total=len(jobs),
                             desc="synthetic control fits", unit="fit"))


# -- public API ----------------------------------------------------------------------------
def synth(
    data: pd.DataFrame | str | os.PathLike,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: object,
    intervention: object,
    predictors: Sequence[tuple[str, PeriodSpec]] | None = None,
    optimize_periods: PeriodSpec | None = None,
    placebo: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
    n_jobs: int = 1,
    v_search: Literal["synth", "thorough"] = "synth",
    exclude: Sequence[object] = (),
    treatment: str | None = None,
) -> EvaluationResult:
    """Estimate the effect on one (or a few) treated units with a synthetic control.

    Parameters
    ----------
    data : DataFrame or path
        Panel with one row per unit and period.
    outcome : str
        Outcome column (counts, rates, ...).
    unit, time : str
        Unit and period columns.
    treated_unit : label or list of labels
        The treated unit(s) in ``unit``; every other unit is a donor, except those in
        ``exclude`` and those ``treatment`` marks as treated.
    intervention : str, int or Period
        First period under the intervention.
    predictors : list of (column, periods), optional
        Each predictor is ``column``'s mean over ``periods`` — ``(first, last)`` inclusive,
        an explicit list, or one period — e.g. ``[("gdpcap", (1960, 1969)),
        ("popdens", [1969])]``; the outcome itself may be a predictor. Periods must precede
        the intervention. None: fit the outcome over ``optimize_periods`` directly.
    optimize_periods : (first, last), list or period, optional
        Pre-intervention periods whose outcome MSPE chooses the predictor weights (and,
        without predictors, the donor weights). Default: every pre-intervention period.
    placebo : bool
        Run the placebo-in-space permutation (p-values, intervals), the leave-one-out and
        the placebo-in-time checks.
    seed : int, optional
        Seed for drawing donor sets when there are several treated units and more than
        1,000 sets; recorded in ``provenance``.
    alpha : float
        1 - confidence level.
    n_jobs : int
        Processes for the placebo refits (-1: all cores). Results do not depend on it.
    v_search : {"synth", "thorough"}
        Search for the predictor weights V (with ``predictors`` only). ``"synth"``
        follows R Synth (Nelder–Mead and BFGS from equal and regression-based starts) and
        reproduces its published examples; ``"thorough"`` adds Powell's method from both
        starts and keeps the lowest loss, which may be a different (better-fitting)
        optimum than Synth's — e.g. for the Basque example.
    exclude : sequence of labels
        Units never used as donors (e.g. neighbours exposed to displacement). A name not
        in ``unit`` is an error that lists the closest names.
    treatment : str, optional
        A 0/1 column: 1 in the periods a unit was under the same (or a similar)
        intervention. Any unit other than the treated one(s) with a 1 in any period of the
        data is never a donor (a donor treated during the post-period would make the
        counterfactual absorb the effect). ``sample["excluded_donors"]`` maps each unit
        left out to the reason (``"exclude"`` or ``"treated"``) and a note names them.
    Returns
    -------
    EvaluationResult
        Terms ``att`` and ``gap_<period>`` (additive; p-values and intervals by
        permutation, no standard error). ``series``: one row per period (``unit, time,
        observed, counterfactual, gap, ci_low, ci_high, post``; the band is for the gap).
        Diagnostics ``pre_fit``, ``placebo_space``, ``placebo_time``, ``leave_one_out``.
        ``sample["donor_weights"]`` maps donor to weight (see :func:`donor_weights`).
        ``relative_effect`` (observed / synthetic) with a ratio interval on ``att`` and
        each ``gap_<t>``.

    Raises
    ------
    DataError
        Unknown treated unit, intervention outside the data, fewer than ``MIN_PRE``
        pre-periods, missing outcome or predictor values, fewer than two donors, an
        ``exclude`` name not in the data, a ``treatment`` column that is not 0/1.
    SpecError
        Malformed ``predictors`` or ``optimize_periods``, bad ``alpha`` or ``n_jobs``.
    """
    check_alpha(alpha)
    check_choice("v_search", v_search, ("synth", "thorough"))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0 \
            or n_jobs < -1:
        raise SpecError(f"n_jobs must be a positive whole number or -1 (all cores); got "
                        f"{n_jobs!r}.")
    workers = (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise SpecError(f"seed must be a whole number or None; got {seed!r}.")
    treated_list = list(treated_unit) if isinstance(treated_unit, list | tuple | set) \
        else [treated_unit]
    if not treated_list:
        raise SpecError("treated_unit is empty; give the label of the treated unit.")
    predictors = _check_predictor_spec(predictors)
    params = {"outcome": outcome, "unit": unit, "time": time,
              "treated_unit": treated_list if len(treated_list) > 1 else treated_list[0],
              "intervention": str(intervention),
              "predictors": [[c, _spec_repr(p)] for c, p in predictors] if predictors
              else None,
              "optimize_periods": _spec_repr(optimize_periods), "placebo": placebo,
              "seed": seed, "alpha": alpha, "n_jobs": n_jobs, "v_search": v_search,
              "exclude": [u for u in as_list(exclude) if u], "treatment": treatment or None}
    notes: list[Caveat] = []
    warn: list[Caveat] = []

    # -- data -----------------------------------------------------------------------------
    df = read_table(data)
    pred_cols = list(dict.fromkeys(c for c, _ in predictors)) if predictors else []
    require_columns(df, list(dict.fromkeys([outcome, unit, time, *pred_cols]
                                           + ([treatment] if treatment else []))))
    if df[unit].isna().any():
        raise DataError(f"column {unit!r} has missing unit labels in "
                        f"{int(df[unit].isna().sum())} rows; fill them in or drop the rows.")
    y_num = check_numeric(df, outcome, nonnegative=False, allow_missing=True)
    pred_num = {c: check_numeric(df, c, nonnegative=False, allow_missing=True)
                for c in pred_cols}
    periods, freq = to_periods(df[time], column=time)
    df = df.assign(**{time: periods})
    check_unique(df, [unit, time])
    t0 = parse_period(intervention, freq, name="intervention")
    check_intervention(periods, t0, min_pre=MIN_PRE, min_post=1, design="synthetic control")
    labels = list(pd.unique(df[unit]))
    treated = [_resolve_unit(u, labels, unit) for u in treated_list]
    if len(set(map(repr, treated))) < len(treated):
        raise SpecError(f"treated_unit lists a unit twice: {treated_list}.")
    left_out = _left_out(df, unit, labels, treated, params["exclude"], treatment)
    if left_out:
        keep = ~df[unit].isin(list(left_out)).to_numpy()
        df, periods, y_num = df[keep], periods[keep], y_num[keep]
        pred_num = {c: v[keep] for c, v in pred_num.items()}
        for reason in ("exclude", "treated"):
            named = [str(u) for u, why in left_out.items() if why == reason]
            if named:
                notes.append(Caveat(f"synth_left_out_{reason}", units=", ".join(named),
                                    column=treatment or ""))
    donors = [u for u in labels if u not in treated and u not in left_out]
    donors.sort(key=lambda u: (str(type(u)), u))
    if len(donors) < 2:
        raise DataError(f"the synthetic control needs at least two donor units; column "
                        f"{unit!r} has {len(donors)} besides the treated unit(s)"
                        + (f" and the {len(left_out)} left out" if left_out else "") + ".")
    order = treated + donors
    all_periods = pd.period_range(periods.min(), periods.max(), freq=periods.iloc[0].freq)
    wide = pd.DataFrame({"_u": df[unit], "_t": periods, "_y": y_num}).pivot(
        index="_u", columns="_t", values="_y").reindex(index=order, columns=all_periods)
    y = wide.to_numpy(float)
    pre_mask = np.asarray(all_periods < t0)
    pre_idx, post_idx = np.flatnonzero(pre_mask), np.flatnonzero(~pre_mask)
    _check_missing_outcome(y, order, all_periods, treated, outcome)
    n_pre, n_post = len(pre_idx), len(post_idx)
    opt_periods = (list(all_periods[pre_idx]) if optimize_periods is None
                   else _expand(optimize_periods, freq, "optimize_periods", all_periods, t0))
    opt_idx = np.asarray([all_periods.get_loc(p) for p in opt_periods], dtype=int)
    pred_names: list[str] = []
    x = None
    if predictors:
        x, pred_names = _predictor_matrix(df, unit, periods, pred_num, predictors, order, freq,
                                          all_periods, t0)
        sd = np.nanstd(x, axis=0, ddof=1)
        const = [n for n, s in zip(pred_names, sd, strict=True) if not s > 0]
        if const:
            notes.append(Caveat("synth_constant_predictor", predictors=", ".join(const)))
    n_tr, n_do = len(treated), len(donors)
    tr_idx = np.arange(n_tr)
    do_idx = np.arange(n_tr, n_tr + n_do)
    thorough = v_search == "thorough"
    shared = {"main": _Arrays(y, x, opt_idx, thorough)}

    # -- fits -----------------------------------------------------------------------------
    jobs: list[tuple[str, int, tuple[int, ...]]] = [("main", int(i), tuple(do_idx))
                                                    for i in tr_idx]
    if placebo:
        jobs += [("main", int(d), tuple(int(o) for o in do_idx if o != d)) for d in do_idx]
    fits = _run(jobs, shared, workers)
    w_tr = np.vstack([f[0] for f in fits[:n_tr]])  # n_tr x J
    v_tr = [f[1] for f in fits[:n_tr]]
    synth_y = w_tr @ y[do_idx]  # n_tr x T
    gaps = y[tr_idx] - synth_y
    gap = gaps.mean(axis=0)
    obs_avg, cf_avg = y[tr_idx].mean(axis=0), synth_y.mean(axis=0)
    att = float(gap[post_idx].mean())
    pre_rmspe = _rmspe(gap, pre_idx)
    post_rmspe = _rmspe(gap, post_idx)

    # -- inference ------------------------------------------------------------------------
    diags: list[Diagnostic] = []
    inference: dict[str, Any] | None = None
    if placebo:
        pgaps = np.full((n_do, y.shape[1]), np.nan)
        for pos, (w, _) in enumerate(fits[n_tr:]):
            d = do_idx[pos]
            pool = np.asarray([o for o in do_idx if o != d])
            pgaps[pos] = y[d] - w @ y[pool]
        inference = _permutation(gap, pgaps, pre_idx, post_idx, n_tr, alpha=alpha, seed=seed)
        inference.update(_ratio_intervals(obs_avg, cf_avg, post_idx, inference))
        diags.append(_placebo_space_diag(inference, gap, gaps, pgaps, treated, donors,
                                         all_periods, pre_idx, post_idx, alpha=alpha))
        notes.append(Caveat("synth_permutation", n=inference["n_sets"]))
        if n_tr > 1:
            notes.append(Caveat("synth_several_treated", n=n_tr,
                                sets="all" if inference["exact"] else str(inference["n_sets"])))
        if inference["k_star"] == 0:
            warn.append(Caveat("synth_few_placebos", n=inference["n_sets"],
                               p_min=1.0 / (inference["n_sets"] + 1), alpha=alpha))
        if inference["att_ci_empty"]:
            notes.append(Caveat("synth_ci_empty"))
    else:
        notes.append(Caveat("synth_no_placebo"))

    # -- effects --------------------------------------------------------------------------
    rows = _effect_rows(att, gap, obs_avg, cf_avg, all_periods, post_idx, inference,
                        n_obs=y.size)
    band_lo, band_hi = ((gap - inference["band"], gap + inference["band"]) if inference
                        else (np.full_like(gap, np.nan), np.full_like(gap, np.nan)))
    series_parts = []
    if n_tr > 1:
        for i, u in enumerate(treated):
            series_parts.append(_series(u, all_periods, y[i], synth_y[i], gaps[i],
                                        np.full_like(gap, np.nan), np.full_like(gap, np.nan),
                                        pre_mask))
        label: object = "average"
    else:
        label = treated[0]
    series_parts.append(_series(label, all_periods, obs_avg, cf_avg, gap, band_lo, band_hi,
                                pre_mask))
    series = pd.concat(series_parts, ignore_index=True)

    # -- checks ---------------------------------------------------------------------------
    sd_pre = float(np.std(obs_avg[pre_idx], ddof=1))
    fit_ratio = pre_rmspe / sd_pre if sd_pre > 0 else (0.0 if pre_rmspe == 0 else np.inf)
    balance = _balance(x, pred_names, y, all_periods, opt_idx, tr_idx, do_idx, w_tr, v_tr)
    diags.insert(0, Diagnostic(
        name="pre_fit",
        null="the synthetic control reproduces the treated outcome before the intervention",
        statistic=float(fit_ratio), p_value=float("nan"), passed=bool(fit_ratio <= POOR_FIT),
        table=balance,
        message=f"pre-period RMSPE {pre_rmspe:.4g} is {fit_ratio:.2f} times the pre-period "
                f"standard deviation of the treated outcome (at most {POOR_FIT} is a close "
                "fit)"))
    if fit_ratio > POOR_FIT:
        warn.append(Caveat("synth_poor_fit", rmspe=pre_rmspe, ratio=float(fit_ratio),
                           limit=POOR_FIT))
    n_out = _outside_hull(y, tr_idx, do_idx, pre_idx)
    if n_out / n_pre >= HULL_SHARE:
        warn.append(Caveat("synth_convex_hull", n=n_out, n_pre=n_pre))
    if n_pre < SHORT_PRE:
        warn.append(Caveat("synth_short_pre", n_pre=n_pre, recommended=SHORT_PRE))

    if placebo:
        more, note_more, warn_more = _robustness(
            y=y, x=x, df=df, unit=unit, periods=periods, pred_num=pred_num,
            predictors=predictors, order=order, freq=freq, all_periods=all_periods, t0=t0,
            opt_idx=opt_idx, pre_idx=pre_idx, tr_idx=tr_idx, do_idx=do_idx, w_tr=w_tr,
            att=att, pre_rmspe=pre_rmspe, donors=donors, workers=workers, thorough=thorough)
        diags += more
        notes += note_more
        warn += warn_more

    weights = pd.Series(w_tr.mean(axis=0), index=donors)
    v_avg = (np.mean(np.vstack(v_tr), axis=0) if x is not None else None)
    spec = {
        "outcome": outcome, "unit": unit, "time": time,
        "treated_unit": params["treated_unit"], "intervention": str(t0),
        "predictors": params["predictors"],
        "optimize_periods": [str(p) for p in opt_periods],
        "weights_method": ("outcome MSPE over optimize_periods (V = identity)" if x is None
                           else f"nested V search ({v_search}), W by simplex-constrained "
                                "least squares"),
        "vcov": "none: placebo-in-space permutation inference" if placebo else "none",
        "alpha": alpha, "freq": freq, "scale": "additive",
    }
    sample = {
        "n_obs": int(y.size), "n_units": len(order), "n_donors": n_do, "n_treated": n_tr,
        "n_periods": len(all_periods), "n_pre": n_pre, "n_post": n_post,
        "first_period": str(all_periods[0]), "last_period": str(all_periods[-1]),
        "pre_rmspe": pre_rmspe, "post_rmspe": post_rmspe,
        "optimize_mspe": float(np.mean(gap[opt_idx] ** 2)),
        "donor_weights": {_py(k): float(v) for k, v in weights.items()},
        "predictor_weights": ({n: float(v) for n, v in zip(pred_names, v_avg, strict=True)}
                              if v_avg is not None else None),
        "n_placebos": inference["n_sets"] if inference else 0,
        "excluded_donors": {_py(u): why for u, why in left_out.items()},
        "notes": notes,
    }
    if n_tr > 1:
        sample["donor_weights_by_treated"] = {
            _py(u): {_py(k): float(v) for k, v in zip(donors, w_tr[i], strict=True)}
            for i, u in enumerate(treated)}
    return EvaluationResult(
        method="synth", spec=spec, effects=effects_table(rows), series=series,
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=seed),
    )


def donor_weights(result: EvaluationResult) -> pd.Series:
    """The donor weights of a synthetic-control result, indexed by donor unit.

    With several treated units, the weights of the averaged synthetic control (the mean
    of each treated unit's weights); each unit's own are in
    ``result.sample["donor_weights_by_treated"]``.
    """
    if result.method != "synth" or "donor_weights" not in result.sample:
        raise SpecError(f"donor_weights needs a synth result; got a {result.method} result.")
    weights = result.sample["donor_weights"]
    return pd.Series(list(weights.values()), index=list(weights.keys()), name="weight",
                     dtype=float)


def donor_weight_diagnostics(result: EvaluationResult) -> list[Diagnostic]:
    """The donor weights as ``results.json`` diagnostics, one per donor (weight 0 included):
    name ``donor_weight:<unit>``, statistic the weight, no p-value.

    They describe the fit rather than test it, so templates pass them to
    :func:`evalkit.report.write_results` (``diagnostics=``) instead of listing them among
    the report's checks.
    """
    weights = donor_weights(result)
    return [Diagnostic(name=f"donor_weight:{unit}",
                       null=f"weight of donor {unit} in the synthetic control",
                       statistic=float(w), p_value=float("nan"), passed=True)
            for unit, w in weights.items()]


def placebo_table(result: EvaluationResult) -> pd.DataFrame:
    """One row per unit of the placebo-in-space test: pre and post RMSPE, ratio, rank."""
    table = result.diagnostic("placebo_space").table
    cols = ["unit", "treated", "pre_rmspe", "post_rmspe", "rmspe_ratio"]
    out = table[cols].drop_duplicates("unit").sort_values("rmspe_ratio", ascending=False)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


# -- inputs --------------------------------------------------------------------------------
def _py(value: object) -> object:
    """A numpy scalar as a Python scalar (for JSON-safe mappings)."""
    return value.item() if isinstance(value, np.generic) else value


def _spec_repr(spec: PeriodSpec | None) -> object:
    if spec is None:
        return None
    if isinstance(spec, tuple):
        return {"from": str(spec[0]), "to": str(spec[1])}
    if isinstance(spec, list | range | np.ndarray | pd.Index):
        return [str(p) for p in spec]
    return [str(spec)]


def _check_predictor_spec(predictors: object) -> list[tuple[str, PeriodSpec]] | None:
    if predictors is None:
        return None
    if isinstance(predictors, str | dict) or not isinstance(predictors, Sequence):
        raise SpecError("predictors must be a list of (column, periods) pairs, e.g. "
                        "[('gdpcap', (1960, 1969)), ('popdens', [1969])]; got "
                        f"{predictors!r}.")
    out = []
    for item in predictors:
        if (not isinstance(item, list | tuple) or len(item) != 2
                or not isinstance(item[0], str)):
            raise SpecError(f"each predictor must be a (column, periods) pair such as "
                            f"('gdpcap', (1960, 1969)); got {item!r}.")
        out.append((item[0], item[1]))
    if not out:
        raise SpecError("predictors is empty; pass None to fit the pre-period outcomes.")
    return out


def _expand(spec: PeriodSpec, freq: str, name: str, all_periods: pd.PeriodIndex,
            t0: pd.Period) -> list[pd.Period]:
    """Periods of a (first, last) range, a list or one period; all in the pre-period."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise SpecError(f"{name}: a tuple means (first, last) inclusive; got {spec!r}. "
                            "Use a list for explicit periods.")
        first, last = (parse_period(p, freq, name=name) for p in spec)
        if last < first:
            raise SpecError(f"{name}: the range {spec!r} ends before it starts.")
        wanted = list(pd.period_range(first, last, freq=first.freq))
    elif isinstance(spec, list | range | np.ndarray | pd.Index):
        wanted = [parse_period(p, freq, name=name) for p in spec]
        if not wanted:
            raise SpecError(f"{name} lists no periods.")
    else:
        wanted = [parse_period(spec, freq, name=name)]
    outside = [str(p) for p in wanted if p < all_periods[0] or p > all_periods[-1]]
    if outside:
        raise DataError(f"{name}: periods {', '.join(outside[:5])} are outside the data "
                        f"({all_periods[0]} to {all_periods[-1]}).")
    late = [str(p) for p in wanted if p >= t0]
    if late:
        raise SpecError(f"{name}: periods {', '.join(late[:5])} are not before the "
                        f"intervention ({t0}); the fit may only use pre-intervention data.")
    return list(dict.fromkeys(wanted))


def _left_out(df: pd.DataFrame, unit: str, labels: list[object], treated: list[object],
              exclude: list[object], treatment: str | None) -> dict[object, str]:
    """Units kept out of the donor pool, each with its reason: ``"exclude"`` (named by the
    user) or ``"treated"`` (``treatment`` is 1 in some period)."""
    out: dict[object, str] = {}
    texts = {str(lab): lab for lab in labels}
    unknown = [u for u in exclude if str(u) not in texts]
    if unknown:
        hints = []
        for u in unknown[:5]:
            close = difflib.get_close_matches(str(u), list(texts), n=3, cutoff=0.6)
            hints.append(f"{u!r} (closest: {', '.join(close)})" if close
                         else f"{u!r} (no close name)")
        raise DataError(f"exclude names unit(s) not found in column {unit!r}: "
                        f"{'; '.join(hints)}. Fix the spelling (names are compared exactly) "
                        "or remove them from exclude.")
    for u in exclude:
        lab = texts[str(u)]
        if lab in treated:
            raise SpecError(f"exclude lists the treated unit {u!r}; exclude is for donors "
                            "only. Remove it from exclude.")
        out[lab] = "exclude"
    if treatment:
        d = check_numeric(df, treatment, nonnegative=True, allow_missing=True, booleans=True)
        bad = d.notna() & ~d.isin([0, 1])
        if bad.any():
            values = ", ".join(map(str, pd.unique(d[bad])[:5]))
            raise DataError(f"column {treatment!r} must be 0 (untreated) or 1 (treated) in "
                            f"every row; found {values}. Fix: recode it as 0/1.")
        ever = pd.unique(df.loc[(d == 1).to_numpy(), unit])
        for lab in ever:
            if lab not in treated and lab not in out:
                out[lab] = "treated"
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def _resolve_unit(value: object, labels: list[object], unit: str) -> object:
    for label in labels:
        if label == value:
            return label
    text = str(value)
    hits = [lab for lab in labels if str(lab) == text]
    if not hits:
        try:
            number = float(text)
            hits = [lab for lab in labels if isinstance(lab, int | float | np.number)
                    and float(lab) == number]
        except ValueError:
            hits = []
    if len(hits) == 1:
        return hits[0]
    check_names([text], sorted(map(str, labels)), parameter="treated_unit", column=unit)
    shown = ", ".join(map(str, sorted(labels, key=str)[:20]))
    raise DataError(f"treated unit {value!r} not found in column {unit!r}; available units: "
                    f"{shown}{' ...' if len(labels) > 20 else ''}. Check the spelling of "
                    "treated_unit.")


def _check_missing_outcome(y, order, all_periods, treated, outcome) -> None:
    missing = np.isnan(y)
    if not missing.any():
        return
    bad = np.flatnonzero(missing.any(axis=1))
    parts = []
    for i in bad[:5]:
        miss = [str(p) for p in all_periods[missing[i]]]
        role = "treated unit" if order[i] in treated else "donor"
        parts.append(f"{role} {order[i]!r} ({', '.join(miss[:4])}"
                     f"{' ...' if len(miss) > 4 else ''})")
    more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise DataError(
        f"missing {outcome!r} values (or missing rows) in periods the synthetic control "
        f"uses ({all_periods[0]} to {all_periods[-1]}): {'; '.join(parts)}{more}. Fix: drop "
        "these donors from the data, fill in the values, or restrict the data to periods "
        "every unit reports.")


def _predictor_matrix(df, unit, periods, pred_num, predictors, order, freq, all_periods, t0):
    """Units x predictors matrix of means over each predictor's periods."""
    cols, names = [], []
    for column, spec in predictors:
        wanted = _expand(spec, freq, f"predictor {column!r}", all_periods, t0)
        mask = periods.isin(wanted).to_numpy()
        means = pred_num[column][mask].groupby(df.loc[mask, unit].to_numpy()).mean()
        values = means.reindex(order).to_numpy(float)
        if np.isnan(values).any():
            missing = [str(order[i]) for i in np.flatnonzero(np.isnan(values))]
            raise DataError(
                f"predictor {column!r} has no value in {_spec_text(wanted)} for "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}. Fix: fill "
                "these values, choose periods where they are observed, or drop these units.")
        cols.append(values)
        names.append(f"{column}[{_spec_text(wanted)}]")
    return np.column_stack(cols), names


def _spec_text(wanted: list[pd.Period]) -> str:
    if len(wanted) == 1:
        return str(wanted[0])
    contiguous = all((b - a).n == 1 for a, b in pairwise(wanted))
    if contiguous:
        return f"{wanted[0]}:{wanted[-1]}"
    return ",".join(map(str, wanted))


# -- inference -----------------------------------------------------------------------------
def _rmspe(g: np.ndarray, idx: np.ndarray) -> float:
    return float(np.sqrt(np.mean(g[idx] ** 2)))


def _ratio(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = post / pre
    return np.where(pre > 0, out, np.where(post > 0, np.inf, 0.0))


def _donor_sets(n_do: int, n_tr: int, seed: int | None) -> tuple[np.ndarray, bool]:
    if math.comb(n_do, n_tr) <= MAX_SETS:
        return np.asarray(list(combinations(range(n_do), n_tr)), dtype=int), True
    rng = np.random.default_rng(seed)
    sets = np.vstack([np.sort(rng.choice(n_do, n_tr, replace=False))
                      for _ in range(MAX_SETS - 1)])
    return sets, False


def _permutation(gap, pgaps, pre_idx, post_idx, n_tr, *, alpha, seed) -> dict[str, Any]:
    """Placebo distribution of the RMSPE ratio and of |gap_t| / RMSPE_pre, p-values and
    the test-inversion intervals."""
    sets, exact = _donor_sets(pgaps.shape[0], n_tr, seed)
    sgaps = pgaps[sets].mean(axis=1)  # n_sets x T
    n = len(sets)
    s_pre = np.sqrt(np.mean(sgaps[:, pre_idx] ** 2, axis=1))
    s_post = np.sqrt(np.mean(sgaps[:, post_idx] ** 2, axis=1))
    s_ratio = _ratio(s_pre, s_post)
    pre, post = _rmspe(gap, pre_idx), _rmspe(gap, post_idx)
    ratio = float(_ratio(np.asarray([pre]), np.asarray([post]))[0])
    tol = 1e-9
    p_att = (1 + int(np.sum(s_ratio >= ratio * (1 - tol)))) / (n + 1)
    # smallest count k of placebos at least as extreme that keeps p = (1 + k)/(n + 1) > alpha
    k_star = max(0, math.floor(alpha * (n + 1) - 1) + 1)
    k_star = k_star if (1 + k_star) / (n + 1) > alpha else k_star + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        s_std = np.abs(sgaps) / s_pre[:, None]
        std = np.abs(gap) / pre if pre > 0 else np.where(gap != 0, np.inf, 0.0)
    s_std = np.where(np.isnan(s_std), 0.0, s_std)
    p_t = (1 + np.sum(s_std >= std[None, :] * (1 - tol), axis=0)) / (n + 1)
    empty = False
    c = np.inf
    if k_star == 0:
        att_ci = (-np.inf, np.inf)
        band = np.full(gap.shape, np.inf)
    else:
        c = np.sort(s_ratio)[::-1][k_star - 1]
        g = gap[post_idx]
        rhs = c**2 * pre**2 - float(np.mean((g - g.mean()) ** 2))
        if rhs < 0 or not np.isfinite(rhs):
            att_ci, empty = (np.nan, np.nan), not np.isfinite(rhs) or rhs < 0
            if np.isinf(c):
                att_ci, empty = (-np.inf, np.inf), False
        else:
            half = math.sqrt(rhs)
            att_ci = (float(g.mean() - half), float(g.mean() + half))
        c_t = np.sort(s_std, axis=0)[::-1][k_star - 1]
        band = c_t * pre
    return {"ratio": ratio, "p_att": p_att, "att_ci": att_ci, "att_ci_empty": empty, "c": c,
            "p_t": p_t, "band": band, "n_sets": n, "exact": exact, "k_star": k_star,
            "set_ratios": s_ratio, "pre": pre, "post": post}


def _effect_rows(att, gap, obs, cf, all_periods, post_idx, inference, *, n_obs):
    nan = float("nan")
    positive = _has_ratio(obs, cf, post_idx)

    def row(term, est, lo, hi, p, rel):
        return {"term": term, "estimate": float(est), "std_error": nan, "ci_low": float(lo),
                "ci_high": float(hi), "p_value": float(p), "scale": "additive",
                "relative_effect": rel[0], "relative_ci_low": rel[1],
                "relative_ci_high": rel[2], "n_obs": n_obs}

    def point(o: float, c: float) -> float:
        return o / c if positive and c > 0 else nan

    att_rel = (point(float(obs[post_idx].mean()), float(cf[post_idx].mean())), nan, nan)
    if inference is None:
        rows = [row("att", att, nan, nan, nan, att_rel)]
        rows += [row(f"gap_{all_periods[t]}", gap[t], nan, nan, nan,
                     (point(obs[t], cf[t]), nan, nan)) for t in post_idx]
        return rows
    lo, hi = inference["att_ci"]
    rows = [row("att", att, lo, hi, inference["p_att"], (att_rel[0], *inference["ratio_ci"]))]
    for t in post_idx:
        b = inference["band"][t]
        rows.append(row(f"gap_{all_periods[t]}", gap[t], gap[t] - b, gap[t] + b,
                        inference["p_t"][t], (point(obs[t], cf[t]),
                                              *inference["ratio_band"][t])))
    return rows


def _has_ratio(obs: np.ndarray, cf: np.ndarray, post_idx: np.ndarray) -> bool:
    """A ratio is meaningful for outcomes that cannot be negative (counts, rates)."""
    return bool(np.all(obs[post_idx] >= 0) and np.all(cf[post_idx] >= 0)
                and cf[post_idx].mean() > 0)


def _ratio_intervals(obs, cf, post_idx, inference) -> dict[str, Any]:
    """The ratio intervals (see the module docstring): each additive effect ``tau`` the
    placebo test accepts implies the untreated level ``obs - tau``, hence the ratio
    ``obs / (obs - tau)`` (infinite when ``tau >= obs``). ``ratio_ci`` for the post-period
    mean, ``ratio_band`` per period."""
    nan = float("nan")
    out: dict[str, Any] = {"ratio_ci": (nan, nan),
                           "ratio_band": {t: (nan, nan) for t in post_idx}}
    if not _has_ratio(obs, cf, post_idx):
        return out

    def ratio(level: float, tau: float) -> float:
        if np.isnan(tau):
            return nan
        return level / (level - tau) if level - tau > 0 else np.inf

    level = float(obs[post_idx].mean())
    lo, hi = inference["att_ci"]
    out["ratio_ci"] = (ratio(level, lo), ratio(level, hi))
    for t in post_idx:
        gap_t, b = float(obs[t] - cf[t]), float(inference["band"][t])
        out["ratio_band"][t] = (ratio(float(obs[t]), gap_t - b), ratio(float(obs[t]), gap_t + b))
    return out


def _series(label, all_periods, observed, counterfactual, gap, lo, hi, pre_mask):
    return pd.DataFrame({
        "unit": [label] * len(all_periods), "time": all_periods.astype(str),
        "observed": observed, "counterfactual": counterfactual, "gap": gap,
        "ci_low": lo, "ci_high": hi, "post": ~pre_mask,
    })


def _placebo_space_diag(inf, gap, gaps, pgaps, treated, donors, all_periods, pre_idx,
                        post_idx, *, alpha) -> Diagnostic:
    units = list(treated) + list(donors)
    all_gaps = np.vstack([gaps, pgaps])
    pre = np.sqrt(np.mean(all_gaps[:, pre_idx] ** 2, axis=1))
    post = np.sqrt(np.mean(all_gaps[:, post_idx] ** 2, axis=1))
    ratio = _ratio(pre, post)
    n_units, n_t = all_gaps.shape
    table = pd.DataFrame({
        "unit": np.repeat(np.asarray(units, dtype=object), n_t),
        "treated": np.repeat([True] * len(treated) + [False] * len(donors), n_t),
        "time": np.tile(np.asarray(all_periods.astype(str)), n_units),
        "post": np.tile(np.asarray(all_periods >= all_periods[post_idx[0]]), n_units),
        "gap": all_gaps.ravel(),
        "pre_rmspe": np.repeat(pre, n_t), "post_rmspe": np.repeat(post, n_t),
        "rmspe_ratio": np.repeat(ratio, n_t),
    })
    n = inf["n_sets"]
    informative = 1.0 / (n + 1) <= alpha
    who = treated[0] if len(treated) == 1 else f"the average of {len(treated)} treated units"
    rank = 1 + int(np.sum(inf["set_ratios"] > inf["ratio"]))
    return Diagnostic(
        name="placebo_space",
        null="no effect: the treated unit's post/pre RMSPE ratio is like the placebos'",
        statistic=inf["ratio"], p_value=inf["p_att"], passed=bool(informative), table=table,
        message=f"post/pre RMSPE ratio of {who} is {inf['ratio']:.3g}, rank {rank} of {n + 1} "
                f"(exact permutation p = {inf['p_att']:.3g}; smallest attainable "
                f"{1.0 / (n + 1):.3g})")


def _robustness(*, y, x, df, unit, periods, pred_num, predictors, order, freq, all_periods,
                t0, opt_idx, pre_idx, tr_idx, do_idx, w_tr, att, pre_rmspe, donors, workers,
                thorough):
    """Leave-one-out and placebo-in-time refits."""
    diags: list[Diagnostic] = []
    notes: list[Caveat] = []
    warn: list[Caveat] = []
    post_idx = np.setdiff1d(np.arange(y.shape[1]), pre_idx)
    shared = {"main": _Arrays(y, x, opt_idx, thorough)}
    jobs: list[tuple[str, int, tuple[int, ...]]] = []
    left_out = [int(do_idx[j]) for j in np.flatnonzero(w_tr.mean(axis=0) > LOO_MIN_WEIGHT)]
    if len(do_idx) < 3:
        left_out = []
    for d in left_out:
        pool = tuple(int(o) for o in do_idx if o != d)
        jobs += [("main", int(i), pool) for i in tr_idx]
    n_loo = len(jobs)
    # placebo in time: a fake intervention half-way through the pre-period
    n_fake_pre = len(pre_idx) // 2
    fake_ok = n_fake_pre >= 3
    if fake_ok:
        fake_t0 = all_periods[pre_idx[n_fake_pre]]
        sub = pre_idx  # only pre-intervention data
        fake_opt = np.asarray([i for i in opt_idx if i < pre_idx[n_fake_pre]], dtype=int)
        if fake_opt.size < 2:
            fake_opt = np.arange(n_fake_pre)
        fake_x = None
        if predictors:
            kept = []
            for column, spec in predictors:
                wanted = _expand(spec, freq, f"predictor {column!r}", all_periods, t0)
                wanted = [p for p in wanted if p < fake_t0]
                if wanted:
                    kept.append((column, wanted))
            if kept:
                fake_x, _ = _predictor_matrix(df, unit, periods, pred_num, kept, order, freq,
                                              all_periods, fake_t0)
        shared["time"] = _Arrays(y[:, sub], fake_x, fake_opt, thorough)
        jobs += [("time", int(i), tuple(int(o) for o in do_idx)) for i in tr_idx]
    fits = _run(jobs, shared, workers) if jobs else []

    if left_out:
        rows = []
        for pos, d in enumerate(left_out):
            pool = np.asarray([o for o in do_idx if o != d])
            sub_fits = fits[pos * len(tr_idx):(pos + 1) * len(tr_idx)]
            g = np.mean([y[i] - f[0] @ y[pool] for i, f in zip(tr_idx, sub_fits,
                                                                strict=True)], axis=0)
            rows.append({"left_out": order[d], "weight": float(w_tr[:, d - len(tr_idx)].mean()),
                         "att": float(g[post_idx].mean()), "pre_rmspe": _rmspe(g, pre_idx)})
        table = pd.DataFrame(rows)
        same = np.sign(table["att"].to_numpy()) == np.sign(att)
        passed = bool(same.all())
        spread = float(np.max(np.abs(table["att"].to_numpy() - att)))
        diags.append(Diagnostic(
            name="leave_one_out",
            null="the effect does not hinge on one donor (same sign without each donor)",
            statistic=spread, p_value=float("nan"), passed=passed, table=table,
            message=f"att ranges from {table['att'].min():.4g} to {table['att'].max():.4g} "
                    f"when each of the {len(left_out)} donors with positive weight is left "
                    f"out (full: {att:.4g})"))
        if not passed:
            flips = ", ".join(str(u) for u in table.loc[~same, "left_out"][:5])
            warn.append(Caveat("synth_loo_sign", donors=flips))
    if fake_ok:
        tf = fits[n_loo:]
        pool = do_idx
        g = np.mean([y[i, sub] - f[0] @ y[np.ix_(pool, sub)] for i, f in zip(tr_idx, tf,
                                                                            strict=True)],
                    axis=0)
        fake_post = np.arange(n_fake_pre, len(sub))
        fake_pre = np.arange(n_fake_pre)
        fake_att = float(g[fake_post].mean())
        fake_rmspe = _rmspe(g, fake_pre)
        yard = 2 * max(pre_rmspe, fake_rmspe)
        passed = bool(abs(fake_att) <= yard)
        table = pd.DataFrame({"time": all_periods[sub].astype(str), "gap": g,
                              "fake_post": np.arange(len(sub)) >= n_fake_pre})
        diags.append(Diagnostic(
            name="placebo_time",
            null=f"no effect at a fake intervention in {fake_t0} (before the real one)",
            statistic=fake_att, p_value=float("nan"), passed=passed, table=table,
            message=f"refitted with data before {fake_t0} only, the mean gap from {fake_t0} "
                    f"to {all_periods[pre_idx[-1]]} is {fake_att:.4g} (twice the pre-period "
                    f"RMSPE: {yard:.4g})"))
        if not passed:
            warn.append(Caveat("synth_placebo_time", fake=str(fake_t0), gap=fake_att,
                               limit=yard))
    else:
        notes.append(Caveat("synth_placebo_time_skipped", n_pre=len(pre_idx)))
    return diags, notes, warn


def _balance(x, names, y, all_periods, opt_idx, tr_idx, do_idx, w_tr, v_tr) -> pd.DataFrame:
    """Predictor balance: treated, synthetic and donor-mean values (and V)."""
    if x is None:
        vals = y[:, opt_idx]
        names = [str(all_periods[i]) for i in opt_idx]
        v = np.full(len(names), np.nan)
    else:
        vals = x
        v = np.mean(np.vstack(v_tr), axis=0)
    treated = vals[tr_idx].mean(axis=0)
    synthetic = np.mean([w_tr[i] @ vals[do_idx] for i in range(len(tr_idx))], axis=0)
    return pd.DataFrame({"predictor": names, "treated": treated, "synthetic": synthetic,
                         "donor_mean": vals[do_idx].mean(axis=0), "v_weight": v})


def _outside_hull(y, tr_idx, do_idx, pre_idx) -> int:
    """Pre-periods where the (average) treated outcome is above every donor or below all."""
    treated = y[np.ix_(tr_idx, pre_idx)].mean(axis=0)
    donors = y[np.ix_(do_idx, pre_idx)]
    return int(np.sum((treated > donors.max(axis=0)) | (treated < donors.min(axis=0))))
