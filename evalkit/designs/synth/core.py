"""Synthetic control: the numerical core (simplex weights, the search for V, parallel refits)."""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, nnls

from evalkit._progress import progress


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


def _fit_units(shared: dict[str, _Arrays], tr_idx: np.ndarray, do_idx: np.ndarray, *,
               placebo: bool, workers: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each treated unit fitted on every donor, then (with ``placebo``) each donor on the
    other donors: (W, V) per fit, in that order."""
    jobs: list[tuple[str, int, tuple[int, ...]]] = [("main", int(i), tuple(do_idx))
                                                    for i in tr_idx]
    if placebo:
        jobs += [("main", int(d), tuple(int(o) for o in do_idx if o != d)) for d in do_idx]
    return _run(jobs, shared, workers)
