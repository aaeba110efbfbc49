"""Wild cluster bootstrap-t for one coefficient of a linear model with absorbed fixed effects.

The restricted wild cluster bootstrap ("WCR": the null hypothesis is imposed on the
bootstrap data-generating process) of Cameron, Gelbach & Miller (2008), with the
refinements of MacKinnon & Webb (2017) and the computational shortcuts of Roodman,
MacKinnon, Nielsen & Webb (2019, "Fast and wild", *Stata Journal* 19(1)), as in Stata's
``boottest`` and R's ``fwildclusterboot``.

Model and statistic
    ``y = X b + D a + u`` with the fixed effects ``D`` absorbed. The statistic is the
    cluster-robust t ratio ``(b_j - b0) / se_CR1`` with fixest's small-sample factor
    ``G/(G-1) (n-1)/(n-K)`` (``K`` leaves out fixed effects nested in the clusters, as
    :func:`evalkit.core.vcov.cluster_vcov`), so the observed t equals the one
    ``evalkit.core.fit.fit(..., se="cluster")`` reports. The factor cancels in the
    bootstrap p-value.

Bootstrap
    ``y*_g = X_g b_r + D_g a_r + v_g u_r,g``: ``b_r, a_r, u_r`` are the estimates and
    residuals with ``b_j = b0`` imposed (``impose_null=False``: the unrestricted ones,
    "WCU", and the bootstrap t is centred on ``b_j``); ``v_g`` is one weight per cluster,
    Rademacher (+-1) or Webb's six-point distribution (+-sqrt(1/2), +-1, +-sqrt(3/2)).
    The fixed effects are partialled out once (Frisch-Waugh, :func:`demean`); the
    bootstrap residuals ``v_g u_r,g`` are projected off the fixed effects as well, so
    every replication is *exactly* a re-fit of ``y*`` with fixed-effect dummies even
    when the fixed effects are not nested in the clusters (period effects). Each
    replication reduces to two small products with a ``G``-vector and a ``G x G`` matrix
    precomputed from per-cluster score pieces, so 99,999 replications on 20 clusters take
    a few tens of milliseconds.

p-value
    Two-sided symmetric: the share of replications with ``|t*| > |t|`` (strict, ties
    within a relative 1e-9 not counted), which is ``fwildclusterboot``'s default
    ``p_val_type="two-tailed"`` and ``boottest``'s default ``symmetric`` test. The
    replications do not include the original sample. Reject at level ``alpha`` when
    ``p < alpha``.

Draws
    ``numpy.random.default_rng(seed).integers(0, m, size=(reps, G))`` indexes the
    weight values (Rademacher ``[-1, 1]``, Webb in increasing order); column ``g`` is the
    ``g``-th cluster in sorted order of the cluster labels. With Rademacher weights and
    ``2**G <= reps`` every one of the ``2**G`` sign vectors is used once instead
    (exact enumeration; ``reps`` is then ``2**G`` and the seed is not used).

Confidence interval
    By test inversion: ``{b0 : p(b0) >= alpha}``, with the same draws for every ``b0``
    (the restricted residuals are linear in ``b0``, so each ``p(b0)`` costs one pass
    over the replications). The two end points are found by bracketing outward from
    the estimate and bisecting on the step function ``p(b0)``, as boottest and
    fwildclusterboot do; a side whose bracket cannot be found is reported as infinite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy import stats

from evalkit._checks import check_alpha, check_choice
from evalkit._progress import progress
from evalkit.core.absorb import demean, nested
from evalkit.errors import DataError, SpecError
from evalkit.inference._invert import invert_test

__all__ = [
    "COARSE_RADEMACHER_CLUSTERS",
    "MIN_REPS",
    "WildBootstrap",
    "WildDist",
    "wild_cluster_bootstrap",
]

WildDist = Literal["rademacher", "webb"]

#: Fewest replications accepted.
MIN_REPS = 99
#: Below this many clusters Rademacher weights give a coarse p-value (Webb 2014/2023).
COARSE_RADEMACHER_CLUSTERS = 12

_WEIGHTS = {
    "rademacher": np.array([-1.0, 1.0]),
    "webb": np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5),
                      math.sqrt(0.5), 1.0, math.sqrt(1.5)]),
}
_TIE_RTOL = 1e-9


@dataclass(frozen=True)
class WildBootstrap:
    """Result of :func:`wild_cluster_bootstrap`.

    Attributes
    ----------
    term : str
        Tested coefficient.
    estimate : float
        Its least-squares estimate.
    null : float
        Hypothesised value ``b0`` of the test.
    t_stat : float
        Observed CR1 t ratio ``(estimate - null) / se`` (fixest small-sample convention).
    p_value : float
        Two-sided symmetric bootstrap p-value, share of ``|t*| > |t|``.
    ci_low, ci_high : float
        ``1 - alpha`` confidence interval by test inversion (NaN when not computed,
        +-inf when unbounded on that side).
    alpha : float
    reps : int
        Replications used (``2**G`` under exact Rademacher enumeration).
    dist : str
        ``"rademacher"`` or ``"webb"``.
    n_clusters : int
    seed : int
    enumerated : bool
        True when every Rademacher sign vector was used (no sampling).
    impose_null : bool
        True for WCR (null imposed), False for WCU.
    method : str
        One-paragraph description for reports, including caveats.
    """

    term: str
    estimate: float
    null: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    reps: int
    dist: str
    n_clusters: int
    seed: int
    enumerated: bool
    impose_null: bool
    method: str


def wild_cluster_bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    *,
    term: str,
    fixed_effects: Sequence[np.ndarray] | None = None,
    clusters: np.ndarray,
    weights: np.ndarray | None = None,
    dist: WildDist = "webb",
    reps: int = 9999,
    seed: int,
    alpha: float = 0.05,
    impose_null: bool = True,
    null: float = 0.0,
    confidence_interval: bool = True,
) -> WildBootstrap:
    """Wild cluster bootstrap-t test and confidence interval for one coefficient.

    Parameters
    ----------
    y : (n,) array
        Outcome.
    x : (n, p) array
        Regressors (no intercept needed when fixed effects are absorbed; with no fixed
        effects include the intercept column yourself, as in ``evalkit.core.fit.fit``).
    names : sequence of str
        Names of the ``p`` columns of ``x``.
    term : str
        Coefficient to test, one of ``names``.
    fixed_effects : list of (n,) arrays, optional
        Fixed-effect labels or integer codes, absorbed (e.g. ``[unit, period]``).
    clusters : (n,) array
        Cluster labels (bootstrap and variance clustering, e.g. the unit).
    weights : (n,) array, optional
        Positive regression weights (WLS).
    dist : {"webb", "rademacher"}
        Distribution of the cluster weights. Webb's six-point distribution is the
        default because it stays fine-grained with few clusters.
    reps : int
        Bootstrap replications, at least 99 (9,999 recommended for reports).
    seed : int
        Seed of ``numpy.random.default_rng``; same seed, same result.
    alpha : float
        Level of the confidence interval.
    impose_null : bool
        True (default) for WCR, False for the unrestricted WCU bootstrap.
    null : float
        Hypothesised value ``b0`` tested (default 0).
    confidence_interval : bool
        Set False to skip the test inversion (``ci_low = ci_high = NaN``).

    Returns
    -------
    WildBootstrap

    Raises
    ------
    SpecError
        Unknown ``dist``, ``term`` not in ``names``, ``reps`` < 99, bad ``alpha`` or
        ``seed``.
    DataError
        Fewer than 2 clusters, mismatched lengths, missing values, non-positive
        weights, collinear regressors, too few observations.
    """
    check_choice("dist", dist, tuple(_WEIGHTS))
    check_alpha(alpha)
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < MIN_REPS:
        raise SpecError(f"reps must be a whole number >= {MIN_REPS} (9999 recommended); "
                        f"got {reps!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise SpecError(f"seed must be an integer (it makes the bootstrap reproducible); "
                        f"got {seed!r}.")
    names = [str(n) for n in names]
    if term not in names:
        raise SpecError(f"term {term!r} is not one of the regressors {names}.")
    y, x, w, cl, fes = _prepare(y, x, names, clusters, weights, fixed_effects)
    n, p = x.shape
    j = names.index(term)
    n_clusters = int(cl.max()) + 1
    if n_clusters < 2:
        raise DataError("the wild cluster bootstrap needs at least 2 clusters; "
                        f"the data have {n_clusters}.")

    # -- the fit (fixed effects partialled out once) ----------------------------------------
    z = demean(np.column_stack([y, x]), fes, w)
    yd, xd = z[:, 0], z[:, 1:]
    bread = _bread(xd, w, names)
    beta = bread @ (xd.T @ (w * yd))
    resid = yd - xd @ beta
    levels = [int(c.max()) + 1 for c in fes]
    k = p + sum(levels) - max(len(fes) - 1, 0)
    k_nested = sum(lv - 1 for c, lv in zip(fes, levels, strict=True) if nested(c, cl))
    if n - k <= 0:
        raise DataError(f"not enough observations: {n} rows for {k} parameters.")
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - (k - k_nested))
    summer = sp.csr_matrix((np.ones(n), (cl, np.arange(n))), shape=(n_clusters, n))
    c = bread[:, j]  # e_j' (X'WX)^-1
    xc = xd @ c
    se = math.sqrt(factor * float(np.sum((summer @ (w * resid * xc)) ** 2)))
    if not se > 0:
        raise DataError(f"the cluster-robust standard error of {term!r} is 0; "
                        "the bootstrap t statistic is undefined.")
    estimate = float(beta[j])

    # -- per-cluster pieces: t*(b0) = (a(b0).v) / sqrt(f |K(b0) v|^2), linear in b0 ------
    if impose_null:
        others = np.delete(xd, j, axis=1)
        u0, u1 = _resid(yd, others, w), _resid(xd[:, j], others, w)
    else:
        u0, u1 = resid, np.zeros(n)
    all_nested = all(nested(cf, cl) for cf in fes)
    a0, k0 = _pieces(u0, xd, w, xc, c, bread, cl, summer, fes, all_nested)
    a1, k1 = _pieces(u1, xd, w, xc, c, bread, cl, summer, fes, all_nested)

    # -- draws ----------------------------------------------------------------------------
    values = _WEIGHTS[dist]
    enumerated = dist == "rademacher" and 2**n_clusters <= reps
    if enumerated:
        codes = (np.arange(2**n_clusters)[:, None] >> np.arange(n_clusters)) & 1
    else:
        rng = np.random.default_rng(int(seed))
        codes = rng.integers(0, len(values), size=(int(reps), n_clusters))
    n_reps = len(codes)
    num0, num1 = np.empty(n_reps), np.empty(n_reps)
    s00, s01, s11 = np.empty(n_reps), np.empty(n_reps), np.empty(n_reps)
    chunk = max(1, 2**22 // n_clusters)
    for start in progress(range(0, n_reps, chunk), desc="wild bootstrap", unit="chunk"):
        v = values[codes[start:start + chunk]]
        sl = slice(start, start + len(v))
        num0[sl], num1[sl] = v @ a0, v @ a1
        d0, d1 = v @ k0.T, v @ k1.T
        s00[sl] = np.einsum("ij,ij->i", d0, d0)
        s01[sl] = np.einsum("ij,ij->i", d0, d1)
        s11[sl] = np.einsum("ij,ij->i", d1, d1)

    def p_value(b0: float) -> float:
        t_obs = abs((estimate - b0) / se)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.abs(num0 - b0 * num1) / np.sqrt(
                factor * np.maximum(s00 - 2 * b0 * s01 + b0 * b0 * s11, 0.0))
        exceed = t_star > t_obs * (1 + _TIE_RTOL) + 1e-300
        return float(np.count_nonzero(exceed & np.isfinite(t_star)) / n_reps)

    pv = p_value(float(null))
    lo = hi = math.nan
    if confidence_interval:
        half = se * float(stats.t.ppf(1 - alpha / 2, n_clusters - 1))
        if p_value(estimate) >= alpha:  # else the estimate itself is rejected: degenerate
            lo = invert_test(lambda b: p_value(b) < alpha, estimate, -half)
            hi = invert_test(lambda b: p_value(b) < alpha, estimate, half)
    method = _describe(dist=dist, n_reps=n_reps, n_clusters=n_clusters, enumerated=enumerated,
                       impose_null=impose_null, alpha=alpha, ci=confidence_interval,
                       fes=bool(fes), weighted=weights is not None)
    return WildBootstrap(
        term=term, estimate=estimate, null=float(null), t_stat=(estimate - null) / se,
        p_value=pv, ci_low=lo, ci_high=hi, alpha=float(alpha), reps=n_reps, dist=dist,
        n_clusters=n_clusters, seed=int(seed), enumerated=enumerated,
        impose_null=bool(impose_null), method=method,
    )


# -- helpers -------------------------------------------------------------------------------
def _prepare(y, x, names, clusters, weights, fixed_effects):
    y = np.asarray(y, dtype=float).ravel()
    n = len(y)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n:
        raise DataError(f"x must have one row per observation ({n}); got shape {x.shape}.")
    if x.shape[1] != len(names):
        raise SpecError(f"names has {len(names)} entries but x has {x.shape[1]} columns.")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise DataError("y and x must not contain missing or infinite values; "
                        "drop those rows first.")
    clusters = np.asarray(clusters)
    if clusters.shape != (n,):
        raise DataError(f"clusters must have one value per observation ({n}); "
                        f"got shape {clusters.shape}.")
    cl = _codes(clusters, "clusters")
    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != (n,) or not (np.isfinite(w).all() and (w > 0).all()):
            raise DataError("weights must be positive and finite, one per observation.")
    fes = []
    for f in fixed_effects or []:
        f = np.asarray(f)
        if f.shape != (n,):
            raise DataError(f"each fixed effect must have one value per observation ({n}); "
                            f"got shape {f.shape}.")
        fes.append(_codes(f, "fixed_effects"))
    return y, x, w, cl, fes


def _codes(values: np.ndarray, what: str) -> np.ndarray:
    if values.dtype.kind in "fc" and not np.isfinite(values).all():
        raise DataError(f"{what} must not contain missing values.")
    if values.dtype == object and any(v is None or v != v for v in values):
        raise DataError(f"{what} must not contain missing values.")
    return np.unique(values, return_inverse=True)[1].ravel()


def _bread(xd: np.ndarray, w: np.ndarray, names: list[str]) -> np.ndarray:
    xtwx = xd.T @ (xd * w[:, None])
    if np.linalg.matrix_rank(xtwx) < xd.shape[1]:
        raise DataError(
            "the regressors are collinear after removing the fixed effects: "
            f"{', '.join(names)}. The treatment may not vary within units and periods.")
    return np.linalg.inv(xtwx)


def _resid(v: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:
        return v.copy()
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(x * sw[:, None], v * sw, rcond=None)[0]
    return v - x @ coef


def _pieces(u, xd, w, xc, c, bread, cl, summer, fes, all_nested):
    """Numerator vector ``a`` (G,) and score matrix ``K`` (G, G) for residuals ``u``.

    ``a_g = c' X_g' W u_g`` and ``K[h, g] = c' X_h' W [M_D E_g]_h - c' X_h' W X_h B q_g``
    with ``E_g`` = ``u`` on cluster ``g`` and 0 elsewhere, ``M_D`` the (weighted)
    fixed-effect residual maker and ``q_g = X_g' W u_g``. Then for weights ``v``:
    ``b*_j - b0 = a.v`` and the cluster scores of the re-fit are ``K v``.
    """
    g = summer.shape[0]
    if not u.any():
        return np.zeros(g), np.zeros((g, g))
    wu = w * u
    q = summer @ (xd * wu[:, None])  # (G, p)
    a = q @ c
    wxc = w * xc
    if all_nested:  # u is already orthogonal to every FE level, each inside one cluster
        t = np.diag(np.asarray(summer @ (wxc * u)).ravel())
    else:
        e = np.zeros((len(u), g))
        e[np.arange(len(u)), cl] = u
        t = summer @ (demean(e, fes, w) * wxc[:, None])
    r = summer @ (xd * (wxc)[:, None])  # rows X_h' W_h X_h c
    return a, np.asarray(t) - r @ bread @ q.T


def _describe(*, dist, n_reps, n_clusters, enumerated, impose_null, alpha, ci, fes,
              weighted) -> str:
    kind = ("WCR, null imposed on the bootstrap data" if impose_null
            else "WCU, unrestricted residuals")
    weights_txt = ("Rademacher (+-1) weights" if dist == "rademacher"
                   else "Webb six-point weights")
    draws = (f"all 2^{n_clusters} = {n_reps:,} sign vectors enumerated exactly (no sampling)"
             if enumerated else f"{n_reps:,} replications")
    parts = [
        f"Wild cluster bootstrap-t ({kind}; Cameron, Gelbach & Miller 2008; "
        f"MacKinnon & Webb 2017), {weights_txt}, {draws}, {n_clusters} clusters.",
        "Statistic: CR1 t ratio with fixest's small-sample factor"
        + ("; fixed effects partialled out (Frisch-Waugh), each replication equal to a "
           "re-fit with fixed-effect dummies" if fes else "")
        + ("; weighted least squares" if weighted else "") + ".",
        "p-value: two-sided symmetric, share of |t*| > |t| (fwildclusterboot's default "
        "'two-tailed', boottest's 'symmetric').",
    ]
    if ci:
        parts.append(f"{1 - alpha:.0%} confidence interval by inverting the bootstrap test "
                     "(values b0 with p(b0) >= alpha; bisection on b0, same draws).")
    if dist == "rademacher" and n_clusters < COARSE_RADEMACHER_CLUSTERS:
        parts.append(
            f"Caution: with {n_clusters} clusters (< {COARSE_RADEMACHER_CLUSTERS}) Rademacher "
            f"weights allow only {2 ** n_clusters:,} distinct draws, so the p-value is coarse; "
            "Webb's six-point weights (dist='webb') are preferable.")
    return " ".join(parts)
