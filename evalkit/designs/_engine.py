"""Least squares and Poisson fits with absorbed fixed effects.

Fixed effects are removed by (weighted) alternating projections: each column is
demeaned within the levels of every fixed effect in turn until it no longer
changes. For one fixed effect, or a balanced panel without weights, this is exact
after one sweep; otherwise it converges geometrically to the within estimator
(tolerance 1e-12). Poisson with fixed effects uses the same step inside
iteratively reweighted least squares, as in ppmlhdfe / fixest::fepois.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import DataError, SpecError
from evalkit.inference.vcov import VcovKind, cluster_vcov, hc1_vcov

__all__ = ["Fit", "demean", "fit"]

_TOL = 1e-12
_FAST_SWEEPS = 500


def _group_means(x: np.ndarray, codes: np.ndarray, w: np.ndarray, n_levels: int) -> np.ndarray:
    wsum = np.bincount(codes, weights=w, minlength=n_levels)
    out = np.empty((n_levels, x.shape[1]))
    for j in range(x.shape[1]):
        out[:, j] = np.bincount(codes, weights=w * x[:, j], minlength=n_levels) / wsum
    return out[codes]


def demean(
    x: np.ndarray, fixed_effects: list[np.ndarray], weights: np.ndarray | None = None
) -> np.ndarray:
    """Remove fixed effects from the columns of ``x`` (weighted within transformation).

    Alternating projections converge in one sweep for one fixed effect or a balanced
    unweighted panel; on sparse, weakly connected panels they can crawl, so after
    ``_FAST_SWEEPS`` sweeps the residuals come from a sparse least-squares solve (LSMR)
    instead. Convergence is judged on the scale of the within variation, not of the levels.

    Parameters
    ----------
    x : (n, p) array
    fixed_effects : list of (n,) integer code arrays
    weights : (n,) array, optional

    Returns
    -------
    (n, p) array of residuals from projecting ``x`` on the fixed-effect dummies.
    """
    x = np.array(x, dtype=float, copy=True)
    if not fixed_effects:
        return x
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    levels = [int(c.max()) + 1 for c in fixed_effects]
    original = x.copy()
    scale = None
    for sweep in range(_FAST_SWEEPS):
        before = x.copy()
        for codes, n_levels in zip(fixed_effects, levels, strict=True):
            x -= _group_means(x, codes, w, n_levels)
        if len(fixed_effects) == 1:
            return x
        if scale is None:
            scale = np.maximum(np.abs(x).max(axis=0), np.finfo(float).tiny)
        if sweep and np.max(np.abs(x - before) / scale) < _TOL:
            return x
    return _demean_lsmr(original, fixed_effects, w, levels)


def _demean_lsmr(x: np.ndarray, fixed_effects: list[np.ndarray], w: np.ndarray,
                 levels: list[int]) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.linalg import lsmr

    n = len(x)
    blocks = [sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, k))
              for codes, k in zip(fixed_effects, levels, strict=True)]
    sw = np.sqrt(w)
    design = sparse.diags(sw) @ sparse.hstack(blocks).tocsr()
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        target = sw * x[:, j]
        coef = lsmr(design, target, atol=1e-14, btol=1e-14, maxiter=100_000)[0]
        out[:, j] = x[:, j] - (design @ coef) / sw
    return out


@dataclass(frozen=True)
class Fit:
    """Coefficients and covariance of one fit (internal to the designs)."""

    names: tuple[str, ...]
    params: np.ndarray
    vcov: np.ndarray
    vcov_label: str
    df_t: float | None  # degrees of freedom of the t reference; None = normal
    n: int
    k: int  # parameters including fixed effects
    n_clusters: int | None
    fitted: np.ndarray  # fitted mean (counts for poisson)
    resid: np.ndarray  # response residuals
    dropped: int  # observations dropped (poisson: fixed-effect groups with only zeros)
    keep: np.ndarray  # boolean mask of the observations used

    def se(self) -> np.ndarray:
        """Standard errors."""
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        """Position of a coefficient."""
        return self.names.index(name)


def _nested(fe: np.ndarray, clusters: np.ndarray) -> bool:
    """True when every level of ``fe`` lies inside a single cluster."""
    pairs = np.unique(np.column_stack([fe, clusters]), axis=0)
    return len(pairs) == len(np.unique(fe))


def _drop_all_zero_groups(y: np.ndarray, fixed_effects: list[np.ndarray]) -> np.ndarray:
    keep = np.ones(len(y), dtype=bool)
    while True:
        changed = False
        for codes in fixed_effects:
            totals = np.bincount(codes[keep], weights=y[keep], minlength=int(codes.max()) + 1)
            bad = keep & (totals[codes] <= 0)
            if bad.any():
                keep &= ~bad
                changed = True
        if not changed:
            return keep


def _recode(codes: np.ndarray) -> np.ndarray:
    return np.unique(codes, return_inverse=True)[1].ravel()


def fit(
    y: np.ndarray,
    x: np.ndarray,
    names: list[str],
    *,
    fixed_effects: list[np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    family: Literal["ols", "poisson"] = "ols",
    se: VcovKind | Literal["model"] = "cluster",
    clusters: np.ndarray | None = None,
) -> Fit:
    """Fit OLS/WLS or Poisson with absorbed fixed effects and the requested covariance.

    Without fixed effects, ``x`` must contain the intercept column if one is wanted.
    ``se="model"`` means classical for OLS and the inverse information for Poisson.
    """
    fes = [np.asarray(c) for c in (fixed_effects or [])]
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    keep = np.ones(len(y), dtype=bool)
    if family == "poisson" and fes:
        keep = _drop_all_zero_groups(y, fes)
    y, x, w, off = y[keep], x[keep], w[keep], off[keep]
    fes = [_recode(c[keep]) for c in fes]
    cl = None if clusters is None else _recode(np.asarray(clusters)[keep])
    n = len(y)
    k_fe = sum(int(c.max()) + 1 for c in fes) - max(len(fes) - 1, 0)
    if family == "ols":
        xd = demean(np.column_stack([y, x]), fes, w)
        yd, xt = xd[:, 0], xd[:, 1:]
        beta, bread = _wls(yd, xt, w, names)
        resid = yd - xt @ beta
        fitted = y - resid
    else:
        beta, bread, xt, fitted = _poisson_irls(y, x, fes, w, off, names)
        resid = y - fitted
    k = len(beta) + k_fe
    if n - k <= 0:
        raise DataError(
            f"not enough observations: {n} rows for {k} parameters. "
            "Use more periods or units, or fewer covariates."
        )
    scores = xt * (w * resid)[:, None]
    n_clusters = None
    df_t: float | None = None
    if se in ("classical", "model"):
        if family == "ols":
            sigma2 = float(np.sum(w * resid**2) / (n - k))
            vcov, label, df_t = sigma2 * bread, "classical (iid)", float(n - k)
        else:
            vcov, label = bread, "model-based (Poisson information)"
    elif se == "robust":
        vcov = hc1_vcov(bread, scores, n=n, k=k)
        label = "heteroskedasticity-robust (HC1)"
        df_t = float(n - k) if family == "ols" else None
    elif se == "cluster":
        if cl is None:
            raise SpecError("se='cluster' needs a cluster variable")
        # fixest: fixed effects nested in the clusters are not counted, but one of their
        # parameters stays as the intercept
        k_nested = sum(int(c.max()) for c in fes if _nested(c, cl))
        vcov, n_clusters = cluster_vcov(bread, scores, cl, n=n, k=k - k_nested)
        label = (f"cluster-robust (CR1, {n_clusters} clusters; "
                 "small-sample correction as R fixest's default)")
        if n_clusters < 2:
            raise DataError("cluster-robust standard errors need at least 2 clusters")
        df_t = float(n_clusters - 1) if family == "ols" else None
    else:
        raise SpecError(f"se must be 'classical', 'robust' or 'cluster', got {se!r}")
    return Fit(tuple(names), beta, vcov, label, df_t, n, k, n_clusters, fitted, resid,
               int((~keep).sum()), keep)


def _wls(y: np.ndarray, x: np.ndarray, w: np.ndarray, names: list[str]):
    xtwx = x.T @ (x * w[:, None])
    if x.shape[1] and np.linalg.matrix_rank(xtwx) < x.shape[1]:
        raise DataError(
            "the regressors are collinear (after removing fixed effects): "
            f"{', '.join(names)}. A covariate may be constant within units or periods, "
            "or the treatment may not vary; drop it or check the treatment column."
        )
    bread = np.linalg.inv(xtwx)
    return bread @ (x.T @ (w * y)), bread


def _poisson_irls(y, x, fes, w, off, names, max_iter: int = 200):
    mu = (y + y.mean()) / 2
    eta = np.log(mu)
    dev_old = np.inf
    for _ in range(max_iter):
        z = eta - off + (y - mu) / mu
        ww = w * mu
        zd = demean(np.column_stack([z, x]), fes, ww)
        beta, bread = _wls(zd[:, 0], zd[:, 1:], ww, names)
        r = zd[:, 0] - zd[:, 1:] @ beta
        eta = z - r + off
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2 * np.sum(w * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(dev - dev_old) / (0.1 + abs(dev)) < 1e-12:
            break
        dev_old = dev
    else:
        raise SpecError("the Poisson fit did not converge in 200 iterations")
    _check_separation(y, mu, beta, names)
    ww = w * mu
    xt = demean(x, fes, ww)
    bread = np.linalg.inv(xt.T @ (xt * ww[:, None]))
    return beta, bread, xt, mu


def _check_separation(y: np.ndarray, mu: np.ndarray, beta: np.ndarray, names: list[str]
                      ) -> None:
    """Refuse a Poisson fit whose estimate runs off to infinity (perfect separation).

    When a regressor is non-zero only where the count is zero (e.g. no event at all in the
    treated cells), the maximum-likelihood estimate does not exist: IRLS drifts towards
    -inf and stops at an arbitrary large value with a tiny standard error.
    """
    zero = y == 0
    if not zero.any():
        return
    vanishing = mu[zero] < 1e-9 * max(float(np.mean(y)), 1e-12)
    runaway = [n for n, b in zip(names, beta, strict=True) if abs(b) > 12]
    if vanishing.any() and runaway:
        raise DataError(
            f"the Poisson estimate of {', '.join(runaway)} does not exist: the count is 0 in "
            f"every row where it applies ({int(vanishing.sum())} rows with fitted values of "
            "practically 0), so the rate ratio runs off to 0 (perfect separation). Aggregate "
            "to longer periods or larger areas, or use family='ols'."
        )
