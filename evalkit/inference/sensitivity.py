"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

Rambachan & Roth, "A More Credible Approach to Parallel Trends", *Review of Economic
Studies* 90(5), 2023, write the event-study coefficients as ``beta = tau + delta``: ``tau``
the dynamic treatment effects (zero before treatment), ``delta`` the difference in trends
(the violation of parallel trends). Parallel trends says ``delta_post = 0``; the
**relative-magnitudes** restriction ``Delta^RM(Mbar)`` only says that no post-period
violation between consecutive periods is larger than ``Mbar`` times the largest
pre-period one::

    max_{t >= 0} |delta_{t+1} - delta_t|  <=  Mbar * max_{t < 0} |delta_{t+1} - delta_t|

(``delta_0 = 0`` is the reference period). ``Mbar = 1``: the post-period trend can go
wrong by as much as the worst pre-period step; ``Mbar = 0``: no post-period violation.

:func:`relative_magnitudes` reports, for each ``Mbar``, the identified set of
``theta = l' tau_post`` (the average post-period effect by default) at the point
estimates and a robust confidence interval for ``theta``, plus the *breakdown value*: the
largest ``Mbar`` for which the robust interval still excludes zero.

Inference
---------
The robust interval is the one of the HonestDiD R package for ``Delta^RM``
(``createSensitivityResults_relativeMagnitudes`` -> ``computeConditionalCS_DeltaRM``):
``Delta^RM(Mbar)`` is the union over the location ``s`` and the sign of the largest
pre-period step of polyhedra ``{delta : A_s delta <= 0}``; for each piece the moment
inequalities ``E[A_s (beta - tau)] <= 0`` are tested at every ``theta`` of a grid with the
conditional-least-favourable hybrid test of Andrews, Roth & Pakes (2023, "Inference for
linear conditional moment inequalities", *REStud*) -- first stage: reject when the LP
statistic exceeds the least-favourable critical value of size ``kappa = alpha / 10``;
second stage: the conditional test of size ``(alpha - kappa) / (1 - kappa)``, truncated
normal conditioning on the optimal vertex of the dual LP -- and ``theta`` is kept when
some piece accepts it. Like HonestDiD, with more than one post period only the
inequalities that involve post-period coefficients enter the test, and the other
post-period directions of ``tau`` (those orthogonal to ``l``) are nuisance parameters;
with one post period all inequalities are used and the second stage is not truncated at
the least-favourable critical value (as ``.testInIdentifiedSet_LF_Hybrid`` does).

Implementation differences from HonestDiD (same test, different arithmetic):

* the dual LP is solved exactly by enumerating the vertices of the dual polytope
  ``{g >= 0, sigma_Y' g = 1, X' g = 0}`` (``C(2 T_post, T_post)`` candidate bases, so at
  most 10 post periods), and the truncation bounds of the conditional test come in closed
  form from those vertices instead of HonestDiD's bisection with repeated LPs; this is the
  quantity HonestDiD's "dual approach" computes;
* the least-favourable critical value uses ``lf_draws`` (default 10,000) normal draws from
  numpy's generator seeded with ``seed``, where HonestDiD uses 1,000 draws of R's
  generator: expect differences in the last printed digit;
* after the grid search each end point is refined by bisection between the last rejected
  and the first accepted grid point, where HonestDiD reports the extreme accepted grid
  points (``refine=False`` and ``grid_lb``/``grid_ub`` reproduce HonestDiD's grid).

The breakdown value is found by bisection on ``Mbar`` assuming the robust interval widens
with ``Mbar`` (it does for the identified set; for the interval it holds up to Monte Carlo
noise in the least-favourable critical value).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit._checks import check_alpha
from evalkit.errors import SpecError
from evalkit.results import warn

__all__ = ["Sensitivity", "relative_magnitudes", "relative_magnitudes_from_event_study"]

Method = Literal["C-LF", "Conditional"]
MAX_BASES = 200_000
_TERM = re.compile(r"^event_time_(-?\d+)$")


@dataclass(frozen=True)
class Sensitivity:
    """Robust confidence intervals for ``theta = l' tau_post`` over a range of ``Mbar``.

    Attributes
    ----------
    table : DataFrame
        One row per ``Mbar``: ``mbar``, ``lb``, ``ub`` (robust confidence interval for
        ``theta``; -inf/inf when the interval is open at the end of the grid, NaN when no
        value is accepted) and ``id_lb``, ``id_ub`` (identified set of ``theta`` under
        ``Delta^RM(Mbar)`` if the estimates were the true coefficients).
    breakdown : float
        Largest ``Mbar`` for which the robust interval excludes zero (to ``breakdown_tol``);
        NaN when the interval at ``Mbar = 0`` already includes zero, ``inf`` when it
        excludes zero up to ``Mbar = 1000``.
    method : str
        The inference procedure, in words.
    theta_hat : float
        Point estimate ``l' beta_post``.
    original_ci : tuple of float
        Conventional Wald interval for ``theta`` under exact parallel trends (normal
        quantile).
    l_vec : ndarray
        Weights defining ``theta``.
    alpha : float
        1 - confidence level.
    """

    table: pd.DataFrame
    breakdown: float
    method: str
    theta_hat: float
    original_ci: tuple[float, float]
    l_vec: np.ndarray = field(repr=False)
    alpha: float = 0.05

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (infinite or NaN numbers become None)."""

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "restriction": "relative_magnitudes",
            "method": self.method,
            "alpha": self.alpha,
            "theta_hat": num(self.theta_hat),
            "original_ci": [num(v) for v in self.original_ci],
            "l_vec": [float(v) for v in self.l_vec],
            "breakdown": num(self.breakdown),
            "table": [{k: num(float(v)) for k, v in row.items()}
                      for row in self.table.to_dict(orient="records")],
        }


# -- input checks -------------------------------------------------------------------------
def _as_vector(x: Any, name: str) -> np.ndarray:
    v = np.asarray(x, dtype=float)
    if v.ndim == 0:
        v = v.reshape(1)
    if v.ndim != 1:
        raise SpecError(f"{name} must be a 1-d sequence of numbers; got shape {v.shape}.")
    if not np.all(np.isfinite(v)):
        raise SpecError(f"{name} contains missing or infinite values.")
    return v


def _check_inputs(
    beta_pre: Any, beta_post: Any, sigma: Any, l_vec: Any, alpha: float, mbar: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    pre = _as_vector(beta_pre, "beta_pre")
    post = _as_vector(beta_post, "beta_post")
    if pre.size == 0:
        raise SpecError("beta_pre is empty: relative magnitudes need at least one pre-period "
                        "coefficient (besides the reference period) to measure pre-trends.")
    if post.size == 0:
        raise SpecError("beta_post is empty: give at least one post-period coefficient.")
    n = pre.size + post.size
    sig = np.asarray(sigma, dtype=float)
    if sig.shape != (n, n):
        raise SpecError(f"sigma must be {n} x {n} (pre-period coefficients first, then "
                        f"post-period ones); got shape {sig.shape}.")
    if not np.all(np.isfinite(sig)):
        raise SpecError("sigma contains missing or infinite values.")
    scale = max(float(np.max(np.abs(sig))), np.finfo(float).tiny)
    if not np.allclose(sig, sig.T, rtol=1e-7, atol=1e-10 * scale):
        raise SpecError("sigma must be symmetric (a covariance matrix).")
    sig = (sig + sig.T) / 2
    if float(np.min(np.linalg.eigvalsh(sig))) < -1e-8 * scale:
        raise SpecError("sigma is not positive semi-definite (it has a negative eigenvalue); "
                        "pass the covariance matrix of the event-study coefficients.")
    alpha = check_alpha(alpha)
    if l_vec is None:
        lv = np.full(post.size, 1.0 / post.size)
    else:
        lv = _as_vector(l_vec, "l_vec")
        if lv.size != post.size:
            raise SpecError(f"l_vec must have one weight per post period ({post.size}); "
                            f"got {lv.size}.")
        if not np.any(lv != 0):
            raise SpecError("l_vec is all zeros; theta = l' tau_post would be zero.")
    mb = _as_vector(mbar, "mbar")
    if mb.size == 0 or np.any(mb < 0):
        raise SpecError(f"mbar must be one or more numbers >= 0; got {list(mb)}.")
    return pre, post, sig, lv, mb


# -- the restriction ------------------------------------------------------------------------
def _rm_matrix(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows ``A`` with ``A delta <= 0`` iff delta is in the piece of Delta^RM(Mbar) where the
    pre-period step ``s`` (0-based, from the earliest) is the largest in absolute value and
    has the given sign; columns: pre then post coefficients (reference period dropped)."""
    n = n_pre + n_post
    steps = np.zeros((n, n + 1))  # first differences of (delta_pre, delta_0 = 0, delta_post)
    for r in range(n):
        steps[r, r], steps[r, r + 1] = -1.0, 1.0
    v = steps[s] if positive else -steps[s]
    bound = np.vstack([np.tile(v, (n_pre, 1)), np.tile(mbar * v, (n_post, 1))])
    a = np.vstack([steps - bound, -steps - bound])
    a = a[np.einsum("ij,ij->i", a, a) > 1e-10]
    return np.delete(a, n_pre, axis=1)


def _identified_set(pre: np.ndarray, post: np.ndarray, lv: np.ndarray,
                    mbar: float) -> tuple[float, float]:
    """Bounds of ``l' tau_post`` over delta in Delta^RM(Mbar) with delta_pre = beta_pre."""
    n_pre, n_post = pre.size, post.size
    theta = float(lv @ post)
    lo, hi = math.inf, -math.inf
    c = np.concatenate([np.zeros(n_pre), lv])
    eq = np.hstack([np.eye(n_pre), np.zeros((n_pre, n_post))])
    free = [(None, None)] * (n_pre + n_post)
    for s in range(n_pre):
        for positive in (True, False):
            a = _rm_matrix(n_pre, n_post, mbar, s, positive)
            res_min = optimize.linprog(c, A_ub=a, b_ub=np.zeros(len(a)), A_eq=eq, b_eq=pre,
                                       bounds=free, method="highs")
            res_max = optimize.linprog(-c, A_ub=a, b_ub=np.zeros(len(a)), A_eq=eq, b_eq=pre,
                                       bounds=free, method="highs")
            if res_min.status == 2 or res_max.status == 2:  # this piece is infeasible
                continue
            lo = min(lo, theta - (-res_max.fun if res_max.status == 0 else math.inf))
            hi = max(hi, theta - (res_min.fun if res_min.status == 0 else -math.inf))
    if lo > hi:  # cannot happen (s = argmax step is always feasible); be safe
        return theta, theta
    return lo, hi


# -- the ARP conditional / hybrid test for one piece ----------------------------------------
def _null_basis(lv: np.ndarray) -> np.ndarray:
    """Orthonormal basis of {u : l'u = 0} (columns); shape (T, T-1)."""
    _, _, vt = np.linalg.svd(lv.reshape(1, -1))
    return vt[1:].T


def _dual_vertices(w: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0 : W' g = e_1}`` as rows (duplicates removed)."""
    m, p = w.shape
    if math.comb(m, p) > MAX_BASES:
        raise SpecError(
            f"too many post periods for the exact conditional test ({math.comb(m, p)} "
            "candidate vertices); bin the later event times (lags=) or use fewer post periods.")
    combos = np.array(list(itertools.combinations(range(m), p)), dtype=int)
    mats = np.transpose(w[combos], (0, 2, 1))  # (n, p, p): W_B'
    scale = np.max(np.abs(mats), axis=(1, 2), keepdims=True)
    dets = np.linalg.det(mats / scale)
    ok = np.abs(dets) > 1e-10
    combos, mats = combos[ok], mats[ok]
    rhs = np.zeros((len(mats), p, 1))
    rhs[:, 0, 0] = 1.0
    sol = np.linalg.solve(mats, rhs)[:, :, 0]
    feasible = np.all(sol >= -1e-10, axis=1)
    verts = np.zeros((int(feasible.sum()), m))
    rows = np.arange(len(verts))[:, None]
    verts[rows, combos[feasible]] = np.clip(sol[feasible], 0.0, None)
    if len(verts) == 0:
        return verts
    keys = np.round(verts / np.max(np.abs(verts)), 10)
    _, first = np.unique(keys, axis=0, return_index=True)
    return verts[np.sort(first)]


@dataclass(frozen=True)
class _Piece:
    """One polyhedral piece ``{A delta <= 0}`` of Delta^RM, ready to test any theta."""

    y: np.ndarray          # A beta (moments at theta = 0)
    a1: np.ndarray         # d moments / d theta  (y(theta) = y - a1 theta)
    sigma_y: np.ndarray    # covariance of the moments
    verts: np.ndarray      # dual vertices (rows)
    gram: np.ndarray       # verts @ sigma_y @ verts'
    lf_cv: float           # least-favourable critical value (nan for "Conditional")
    truncate_lf: bool      # second stage conditions on eta <= lf_cv (nuisance case)

    def accept(self, thetas: np.ndarray, *, alpha: float, kappa: float,
               hybrid: bool) -> np.ndarray:
        if len(self.verts) == 0:  # LP unbounded below: moments can always be met
            return np.ones(thetas.size, dtype=bool)
        ys = self.y[:, None] - self.a1[:, None] * thetas[None, :]
        vals = self.verts @ ys                        # (n_verts, n_theta)
        best = np.argmax(vals, axis=0)
        cols = np.arange(thetas.size)
        eta = vals[best, cols]
        var_b = self.gram[best, best]
        scale = math.sqrt(float(np.max(np.diag(self.sigma_y))))
        sd_b = np.sqrt(np.clip(var_b, 0.0, None))
        gb = self.gram[:, best] / np.where(var_b > 0, var_b, 1.0)   # g_v' b
        gs = vals - gb * eta                                        # g_v' S
        one_minus = 1.0 - gb
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = gs / one_minus
        vlo = np.max(np.where(one_minus > 1e-8, ratio, -np.inf), axis=0)
        vup = np.min(np.where(one_minus < -1e-8, ratio, np.inf), axis=0)
        if hybrid:
            size = (alpha - kappa) / (1 - kappa)
            if self.truncate_lf:
                vup = np.minimum(vup, self.lf_cv)
        else:
            size = alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            zlo, zup, stat = vlo / sd_b, vup / sd_b, eta / sd_b
        cval = np.maximum(0.0, _truncnorm_ppf(1 - size, zlo, zup))
        reject = stat > cval
        # HonestDiD: a statistic outside its own truncation bounds (numerical) -> no rejection
        reject &= (zlo <= stat) & (stat <= zup)
        degenerate = sd_b < 1e-10 * scale
        reject = np.where(degenerate, eta > 0, reject)
        if hybrid:
            reject |= eta > self.lf_cv
        return ~reject


def _truncnorm_ppf(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Quantile of a standard normal truncated to [lo, hi], stable in the tails."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    out = np.full(np.broadcast(lo, hi).shape, np.nan)
    ok = np.isfinite(lo) | np.isfinite(hi)
    ok &= lo < hi
    if np.any(ok):
        with np.errstate(all="ignore"):
            out[ok] = stats.truncnorm.ppf(p, lo[ok], hi[ok])
    both_inf = ~np.isfinite(lo) & ~np.isfinite(hi) & (lo < hi)
    out[both_inf] = stats.norm.ppf(p)
    tight = (lo >= hi) | ~np.isfinite(out)
    out[tight] = np.where(np.isfinite(lo[tight]), lo[tight], hi[tight])
    return out


def _pieces(pre: np.ndarray, post: np.ndarray, sig: np.ndarray, lv: np.ndarray, mbar: float,
            *, hybrid: bool, kappa: float, lf_draws: int, seed: int) -> list[_Piece]:
    n_pre, n_post = pre.size, post.size
    beta = np.concatenate([pre, post])
    null = _null_basis(lv)
    out = []
    for s in range(n_pre):
        for positive in (True, False):
            a = _rm_matrix(n_pre, n_post, mbar, s, positive)
            if n_post > 1:  # HonestDiD: postPeriodMomentsOnly
                a = a[np.any(a[:, n_pre:] != 0, axis=1)]
            a_post = a[:, n_pre:]
            sigma_y = a @ sig @ a.T
            sd = np.sqrt(np.clip(np.diag(sigma_y), 0.0, None))
            if np.any(sd <= 1e-12 * max(float(np.max(sd)), np.finfo(float).tiny)):
                raise SpecError("sigma is singular in a direction the test needs (a moment "
                                "has zero variance); check the covariance matrix.")
            x = a_post @ null
            w = np.column_stack([sd, x])
            verts = _dual_vertices(w)
            gram = verts @ sigma_y @ verts.T
            lf_cv = math.nan
            if hybrid and len(verts):
                rng = np.random.default_rng(seed)
                root = _psd_root(sigma_y)
                xi = rng.standard_normal((lf_draws, len(sigma_y))) @ root.T
                lf_cv = float(np.quantile(np.max(verts @ xi.T, axis=0), 1 - kappa))
            out.append(_Piece(y=a @ beta, a1=a_post @ lv / float(lv @ lv), sigma_y=sigma_y,
                              verts=verts, gram=gram, lf_cv=lf_cv, truncate_lf=n_post > 1))
    return out


def _psd_root(s: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((s + s.T) / 2)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


# -- confidence interval by test inversion --------------------------------------------------
def _robust_ci(pieces: list[_Piece], *, alpha: float, kappa: float, hybrid: bool,
               grid: np.ndarray, refine: bool, tol: float,
               extend: bool) -> tuple[float, float]:
    def accept(thetas: np.ndarray) -> np.ndarray:
        acc = np.zeros(thetas.size, dtype=bool)
        for p in pieces:
            acc |= p.accept(thetas, alpha=alpha, kappa=kappa, hybrid=hybrid)
        return acc

    acc = accept(grid)
    for _ in range(30 if extend else 0):  # widen the grid until the interval is closed
        if not acc.any() or not (acc[0] or acc[-1]):
            break
        width = float(grid[-1] - grid[0])
        grid = np.linspace(grid[0] - width * acc[0], grid[-1] + width * acc[-1], grid.size)
        acc = accept(grid)
    if not acc.any():
        return math.nan, math.nan
    first, last = int(np.argmax(acc)), int(len(acc) - 1 - np.argmax(acc[::-1]))
    lb, ub = float(grid[first]), float(grid[last])
    if first == 0:
        lb = -math.inf
    elif refine:
        lb = _bisect(accept, float(grid[first - 1]), lb, tol)
    if last == len(grid) - 1:
        ub = math.inf
    elif refine:
        ub = _bisect(accept, float(grid[last + 1]), ub, tol)
    return lb, ub


def _bisect(accept: Any, out: float, inside: float, tol: float) -> float:
    """Boundary between a rejected point ``out`` and an accepted point ``inside``."""
    while abs(inside - out) > tol:
        mid = (out + inside) / 2
        if accept(np.array([mid]))[0]:
            inside = mid
        else:
            out = mid
    return inside


def relative_magnitudes(
    beta_pre: Sequence[float] | np.ndarray,
    beta_post: Sequence[float] | np.ndarray,
    sigma: np.ndarray,
    *,
    mbar: Sequence[float] | np.ndarray = (0, 0.5, 1, 1.5, 2),
    l_vec: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    method: Method = "C-LF",
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    refine: bool = True,
    lf_draws: int = 10_000,
    seed: int = 0,
    breakdown: bool = True,
    breakdown_tol: float = 1e-3,
) -> Sensitivity:
    """Robust inference on ``theta = l' tau_post`` under relative-magnitude restrictions.

    Parameters
    ----------
    beta_pre : sequence of float
        Event-study coefficients of the pre-periods, earliest first, without the
        reference period (normalised to zero, assumed to be the period just before the
        first post-period coefficient). Event times must be consecutive.
    beta_post : sequence of float
        Coefficients of the post periods, in time order.
    sigma : ndarray
        Joint covariance of ``(beta_pre, beta_post)`` (pre first, then post).
    mbar : sequence of float
        Values of ``Mbar >= 0`` to report.
    l_vec : sequence of float, optional
        Weights of ``theta``; default equal weights ``1 / T_post`` (the average
        post-period effect). HonestDiD's default is the first post period, ``(1, 0, ...)``.
    alpha : float
        1 - confidence level.
    method : {"C-LF", "Conditional"}
        ``"C-LF"``: conditional-least-favourable hybrid (HonestDiD's default for
        ``Delta^RM``); ``"Conditional"``: the conditional test of ARP without the
        least-favourable first stage.
    grid_points : int
        Number of ``theta`` values in the test-inversion grid.
    grid_lb, grid_ub : float, optional
        Grid end points; default: the union of the identified sets over ``mbar`` widened by
        20 standard errors of ``theta_hat`` on each side, widened again (same number of
        points) while the interval reaches an end. When either is given the grid is
        fixed, as in HonestDiD (``+-20 * se(theta_hat)`` around zero), and an interval
        reaching its end is reported open (-inf or inf) with a warning.
    refine : bool
        Refine each end point by bisection between grid points (to 1e-5 standard errors).
    lf_draws : int
        Normal draws for the least-favourable critical value (HonestDiD: 1000).
    seed : int
        Seed of those draws (results are deterministic for a given seed).
    breakdown : bool
        Compute the breakdown value (bisection on ``Mbar``; a few dozen more intervals).
    breakdown_tol : float
        Precision of the breakdown value.

    Returns
    -------
    Sensitivity
        ``table`` with ``mbar, lb, ub, id_lb, id_ub``; ``breakdown``; ``method`` text;
        ``theta_hat``; ``original_ci``.

    Raises
    ------
    SpecError
        Empty pre-period, shape mismatches, non-symmetric or non-PSD ``sigma``, bad
        ``alpha``, ``mbar`` or ``l_vec``, unknown ``method``, more than 10 post periods.

    Notes
    -----
    At ``Mbar = 0`` the restriction forces every post-period violation to zero, so the
    identified set is the single point ``theta_hat``; the robust interval is then close
    to, but not the same as, the Wald interval (the moment-inequality test is not the
    Wald test). Normal (not t) asymptotics, as in Rambachan & Roth.
    """
    if method not in ("C-LF", "Conditional"):
        raise SpecError(f"method must be 'C-LF' or 'Conditional'; got {method!r}.")
    pre, post, sig, lv, mbars = _check_inputs(beta_pre, beta_post, sigma, l_vec, alpha, mbar)
    if not isinstance(grid_points, int) or grid_points < 10:
        raise SpecError(f"grid_points must be a whole number >= 10; got {grid_points!r}.")
    if not isinstance(lf_draws, int) or lf_draws < 100:
        raise SpecError(f"lf_draws must be a whole number >= 100; got {lf_draws!r}.")
    hybrid = method == "C-LF"
    kappa = alpha / 10
    n_pre = pre.size
    theta_hat = float(lv @ post)
    se_theta = math.sqrt(max(float(lv @ sig[n_pre:, n_pre:] @ lv), 0.0))
    if se_theta == 0:
        raise SpecError("theta_hat has zero variance under sigma; check sigma.")
    z = float(stats.norm.ppf(1 - alpha / 2))
    original = (theta_hat - z * se_theta, theta_hat + z * se_theta)

    id_sets = [_identified_set(pre, post, lv, float(m)) for m in mbars]
    lo_default = min(min(i[0] for i in id_sets), theta_hat) - 20 * se_theta
    hi_default = max(max(i[1] for i in id_sets), theta_hat) + 20 * se_theta
    g_lo = lo_default if grid_lb is None else float(grid_lb)
    g_hi = hi_default if grid_ub is None else float(grid_ub)
    if not g_lo < g_hi:
        raise SpecError(f"grid_lb ({g_lo}) must be below grid_ub ({g_hi}).")
    grid = np.linspace(g_lo, g_hi, grid_points)
    tol = 1e-5 * se_theta
    extend = grid_lb is None and grid_ub is None
    opts = {"hybrid": hybrid, "kappa": kappa, "lf_draws": lf_draws, "seed": seed}

    def ci(m: float, grid_: np.ndarray = grid) -> tuple[float, float]:
        pieces = _pieces(pre, post, sig, lv, m, **opts)
        return _robust_ci(pieces, alpha=alpha, kappa=kappa, hybrid=hybrid, grid=grid_,
                          refine=refine, tol=tol, extend=extend)

    rows = []
    for m, (id_lb, id_ub) in zip(mbars, id_sets, strict=True):
        lb, ub = ci(float(m))
        rows.append({"mbar": float(m), "lb": lb, "ub": ub, "id_lb": id_lb, "id_ub": id_ub})
    table = pd.DataFrame(rows, columns=["mbar", "lb", "ub", "id_lb", "id_ub"])
    for r in rows:
        if math.isinf(r["lb"]) or math.isinf(r["ub"]):
            warn(f"the robust interval at Mbar={r['mbar']:g} reaches the end of the "
                          "theta grid; it is reported as open (-inf/inf). Widen grid_lb/grid_ub.")
        elif math.isnan(r["lb"]):
            warn(f"no theta value is accepted at Mbar={r['mbar']:g}; the data reject "
                          "the restriction itself.")

    bkd = math.nan
    if breakdown:
        bkd = _breakdown(lambda m: _ci_for_breakdown(m, pre, post, lv, se_theta, ci, hi_default,
                                                     lo_default, grid_points),
                         tol=breakdown_tol)

    how = ("conditional-least-favourable hybrid test (first stage: least-favourable "
           f"critical value of size kappa = alpha/10 from {lf_draws} simulated draws, "
           f"seed {seed}; second stage: conditional test of size (alpha - kappa)/(1 - kappa))"
           if hybrid else "conditional test (no least-favourable first stage)")
    text = (
        "Rambachan & Roth (2023) relative-magnitudes restriction Delta^RM(Mbar) for "
        f"theta = l'tau_post with l = ({', '.join(f'{v:g}' for v in lv)}): "
        f"{round(100 * (1 - alpha))}% robust confidence interval by inverting the "
        f"Andrews-Roth-Pakes {how} over a grid of theta ({grid_points} points"
        + (", end points refined by bisection" if refine else "")
        + "), union over the location and sign of the largest pre-period step, moments "
        "as in HonestDiD's computeConditionalCS_DeltaRM (method "
        f"'{method}'); identified set by linear programming at the point estimates; "
        "normal asymptotics."
    )
    return Sensitivity(table=table, breakdown=bkd, method=text, theta_hat=theta_hat,
                       original_ci=original, l_vec=lv, alpha=alpha)


def _ci_for_breakdown(m: float, pre: np.ndarray, post: np.ndarray, lv: np.ndarray,
                      se: float, ci: Any, hi: float, lo: float,
                      n: int) -> tuple[float, float]:
    """Robust interval at ``m`` on a grid that covers its identified set."""
    id_lb, id_ub = _identified_set(pre, post, lv, m)
    grid = np.linspace(min(lo, id_lb - 20 * se), max(hi, id_ub + 20 * se), n)
    return ci(m, grid)


def _breakdown(ci_at: Any, *, tol: float, cap: float = 1000.0) -> float:
    """Largest Mbar whose robust interval excludes zero (bisection, monotone widening)."""

    def excludes_zero(m: float) -> bool:
        lb, ub = ci_at(m)
        return bool(lb > 0 or ub < 0)  # NaN (empty) compares False

    if not excludes_zero(0.0):
        return math.nan
    lo, hi = 0.0, 1.0
    while excludes_zero(hi):
        lo, hi = hi, 2 * hi
        if hi > cap:
            return math.inf
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if excludes_zero(mid):
            lo = mid
        else:
            hi = mid
    return lo


def relative_magnitudes_from_event_study(
    result: Any,
    vcov: pd.DataFrame | np.ndarray,
    **kwargs: Any,
) -> Sensitivity:
    """:func:`relative_magnitudes` for an :func:`evalkit.event_study` result.

    Parameters
    ----------
    result : EvaluationResult
        Event-study result; its ``event_time_<k>`` terms give the coefficients and
        ``spec["reference"]`` (default -1) the omitted period. Terms with ``k`` below the
        reference are pre-periods, above it post-periods.
    vcov : DataFrame or ndarray
        Covariance of the coefficients: a DataFrame indexed (rows and columns) by term
        names, or an array in the order of the ``event_time_<k>`` rows of
        ``result.effects``.
    **kwargs
        Passed to :func:`relative_magnitudes` (``mbar``, ``l_vec``, ``alpha``...).

    Raises
    ------
    SpecError
        No event-time terms, gaps in the event times, or a covariance that does not match.
    """
    effects = result.effects
    terms = [t for t in effects["term"] if _TERM.match(str(t))]
    if not terms:
        raise SpecError("the result has no event_time_<k> terms; pass an event_study result.")
    reference = int(result.spec.get("reference", -1))
    est = dict(zip(effects["term"], effects["estimate"], strict=True))
    if isinstance(vcov, pd.DataFrame):
        missing = [t for t in terms if t not in vcov.index or t not in vcov.columns]
        if missing:
            raise SpecError(f"vcov has no rows/columns for {missing}.")
        cov = vcov.loc[terms, terms].to_numpy(dtype=float)
    else:
        cov = np.asarray(vcov, dtype=float)
        if cov.shape != (len(terms), len(terms)):
            raise SpecError(f"vcov must be {len(terms)} x {len(terms)} (one row per "
                            f"event_time term); got shape {cov.shape}.")
    ks = [int(_TERM.match(t).group(1)) for t in terms]  # type: ignore[union-attr]
    order = np.argsort(ks)
    ks_sorted = [ks[i] for i in order]
    full = sorted([*ks_sorted, reference])
    if full != list(range(full[0], full[-1] + 1)):
        raise SpecError(f"event times must be consecutive around the reference period; "
                        f"got {ks_sorted} with reference {reference}.")
    pre_idx = [int(i) for i in order if ks[i] < reference]
    post_idx = [int(i) for i in order if ks[i] > reference]
    idx = pre_idx + post_idx
    return relative_magnitudes(
        [est[terms[i]] for i in pre_idx], [est[terms[i]] for i in post_idx],
        cov[np.ix_(idx, idx)], **kwargs)
