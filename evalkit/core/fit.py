"""Least squares and Poisson fits with absorbed fixed effects and their covariance.

The fixed effects are removed with :func:`evalkit.core.absorb.demean`; Poisson with fixed
effects uses the same step inside iteratively reweighted least squares, as in ppmlhdfe /
fixest::fepois. Covariances come from :mod:`evalkit.core.vcov`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.core.absorb import _demean_grid, _in_order, as_grid, demean, grid_cells, nested, recode
from evalkit.core.vcov import VcovKind, cluster_vcov, hc1_vcov
from evalkit.errors import DataError, SpecError

__all__ = ["Fit", "fit", "fit_grid_dummies"]


@dataclass(frozen=True)
class Fit:
    """Coefficients and covariance of one fit (internal: designs and inference use it)."""

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
    overwrite_x: bool = False,
    cells: np.ndarray | Literal[False] | None = False,
) -> Fit:
    """Fit OLS/WLS or Poisson with absorbed fixed effects and the requested covariance.

    Without fixed effects, ``x`` must contain the intercept column if one is wanted.
    ``se="model"`` means classical for OLS and the inverse information for Poisson.
    ``overwrite_x=True`` lets the OLS demeaning reuse the memory of ``x`` (a float,
    Fortran-ordered array the caller no longer needs). ``cells``: the caller's
    ``grid_cells(fixed_effects)`` when already computed (False: computed here).
    """
    fes = [np.asarray(c) for c in (fixed_effects or [])]
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    w = None if weights is None else np.asarray(weights, dtype=float)
    keep = np.ones(len(y), dtype=bool)
    if family == "poisson" and fes:
        keep = _drop_all_zero_groups(y, fes)
    cl = None if clusters is None else np.asarray(clusters)
    if not keep.all():
        cells = False  # the grid (if any) lost rows
        y, x = y[keep], x[keep]
        w = None if w is None else w[keep]
        offset = None if offset is None else np.asarray(offset)[keep]
        fes = [c[keep] for c in fes]
        cl = None if cl is None else cl[keep]
    fes = [recode(c) for c in fes]
    cl = None if cl is None else recode(cl)
    if cells is False:
        cells = grid_cells(fes)
    n = len(y)
    k_fe = sum(int(c.max()) + 1 for c in fes) - max(len(fes) - 1, 0)
    if family == "ols":
        resid = demean(y[:, None], fes, w, cells=cells)[:, 0]
        xt = demean(x, fes, w, overwrite=overwrite_x, cells=cells)
        beta, bread = _wls(resid, xt, w, names)
        resid -= xt @ beta
        fitted = y - resid
    else:
        w = np.ones(n) if w is None else w
        off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
        beta, bread, xt, fitted = _poisson_irls(y, x, fes, w, off, names, cells)
        resid = y - fitted
    k = len(beta) + k_fe
    if n - k <= 0:
        raise DataError(
            f"not enough observations: {n} rows for {k} parameters. "
            "Use more periods or units, or fewer covariates."
        )
    u = resid if w is None else w * resid
    n_clusters = None
    df_t: float | None = None
    if se in ("classical", "model"):
        if family == "ols":
            sigma2 = float(resid @ u / (n - k))
            vcov, label, df_t = sigma2 * bread, "classical (iid)", float(n - k)
        else:
            vcov, label = bread, "model-based (Poisson information)"
    elif se == "robust":
        vcov = hc1_vcov(bread, xt, u, n=n, k=k)
        label = "heteroskedasticity-robust (HC1)"
        df_t = float(n - k) if family == "ols" else None
    elif se == "cluster":
        if cl is None:
            raise SpecError("se='cluster' needs a cluster variable")
        vcov, n_clusters, label = _cluster(bread, xt, u, cl, fes, n=n, k=k)
        df_t = float(n_clusters - 1) if family == "ols" else None
    else:
        raise SpecError(f"se must be 'classical', 'robust' or 'cluster', got {se!r}")
    return Fit(tuple(names), beta, vcov, label, df_t, n, k, n_clusters, fitted, resid,
               int((~keep).sum()), keep)


def _cluster(bread: np.ndarray, scores: np.ndarray, u: np.ndarray, clusters: np.ndarray,
             fes: list[np.ndarray], *, n: int, k: int,
             row_clusters: np.ndarray | None = None) -> tuple[np.ndarray, int, str]:
    """CR1 covariance, number of clusters and label; ``scores * u`` summed by ``clusters``.

    fixest's convention: fixed effects nested in the clusters are not counted in ``k``, but
    one of their parameters stays as the intercept. ``row_clusters``: the clusters of the
    rows of ``fes`` when the scores are already summed (e.g. per unit).
    """
    cl = clusters if row_clusters is None else row_clusters
    k_nested = sum(int(c.max()) for c in fes if nested(c, cl))
    vcov, n_clusters = cluster_vcov(bread, scores, u, clusters, n=n, k=k - k_nested)
    if n_clusters < 2:
        raise DataError("cluster-robust standard errors need at least 2 clusters")
    return vcov, n_clusters, (f"cluster-robust (CR1, {n_clusters} clusters; "
                              "small-sample correction as R fixest's default)")


def fit_grid_dummies(y: np.ndarray, codes: np.ndarray, names: list[str], *,
                     fixed_effects: list[np.ndarray], cells: np.ndarray,
                     clusters: np.ndarray) -> Fit | None:
    """:func:`fit` (OLS, CR1) for mutually exclusive dummies on a complete unit × period grid.

    ``codes[i]`` is the dummy (0..K-1) that is 1 in row ``i``, or -1 for none (e.g. the event
    times of an event study). No ``n × K`` regressor matrix is built: on a complete grid
    the demeaned dummies are ``D - unit mean - period mean + grand mean``, so their cross
    products, the cross products with the outcome and the cluster scores follow from
    counts per unit and per period and a few passes over the rows. Same numbers as
    :func:`fit` up to rounding. Returns None (the caller uses :func:`fit`) unless the
    clusters contain whole units.

    Parameters
    ----------
    y : (n,) array
    codes : (n,) integer array, -1 .. K-1
    names : list of K str
    fixed_effects : [unit codes, period codes]
        Forming the complete grid ``cells`` (:func:`grid_cells`).
    cells : (n,) array
    clusters : (n,) integer codes, constant within units

    Returns
    -------
    Fit or None
    """
    units, periods = (recode(c) for c in fixed_effects)
    cl = recode(clusters)
    if not nested(units, cl):
        return None
    n_a, n_b, n_k = int(units.max()) + 1, int(periods.max()) + 1, len(names)
    n = len(y)
    k = n_k + n_a + n_b - 1
    if n - k <= 0:
        raise DataError(f"not enough observations: {n} rows for {k} parameters. "
                        "Use more periods or units, or fewer covariates.")
    slot = as_grid(np.where(codes >= 0, codes, n_k), cells, n_a)  # n_k = no dummy
    by_unit = (np.arange(n_a)[:, None] * (n_k + 1) + slot).ravel()
    by_period = (np.arange(n_b)[None, :] * (n_k + 1) + slot).ravel()
    in_unit = np.bincount(by_unit, minlength=n_a * (n_k + 1)).reshape(n_a, -1)[:, :n_k] * 1.0
    in_period = np.bincount(by_period, minlength=n_b * (n_k + 1)).reshape(n_b, -1)[:, :n_k] * 1.0
    del by_period
    total = in_unit.sum(axis=0)
    xtx = (np.diag(total) - in_unit.T @ in_unit / n_b - in_period.T @ in_period / n_a
           + np.outer(total, total) / n)
    yd = _demean_grid(np.array(y, dtype=float, order="F")[:, None], cells, n_a, None,
                      fixed_effects)[:, 0]
    g = as_grid(yd, cells, n_a)  # a view when the rows are in grid order
    xty = np.bincount(slot.ravel(), weights=g.ravel(), minlength=n_k + 1)[:n_k]
    beta, bread = _solve(xtx, xty, names)
    fitted_x = np.append(beta, 0.0)[slot]  # X beta, then demeaned: the fitted X~ beta
    fitted_x -= fitted_x.mean(axis=1, keepdims=True)
    fitted_x -= fitted_x.mean(axis=0, keepdims=True)
    e = g  # the residuals, in place of the demeaned outcome
    e -= fitted_x
    # scores of unit i: sum_t x~_it e_it, with x~ = D - unit mean - period mean + grand mean
    row_sum = e.sum(axis=1)
    scores = np.bincount(by_unit, weights=e.ravel(), minlength=n_a * (n_k + 1))
    scores = scores.reshape(n_a, -1)[:, :n_k]
    scores -= (in_unit / n_b - total / n) * row_sum[:, None] + e @ in_period / n_a
    unit_cluster = np.empty(n_a, dtype=cl.dtype)
    unit_cluster[units] = cl
    vcov, n_clusters, label = _cluster(bread, scores, np.ones(n_a), unit_cluster,
                                       [units, periods], n=n, k=k, row_clusters=cl)
    resid = e.ravel() if _in_order(cells) else e.ravel()[cells]
    return Fit(tuple(names), beta, vcov, label, float(n_clusters - 1), n, k, n_clusters,
               y - resid, resid, 0, np.ones(n, dtype=bool))


def _stack(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``[y, x]`` as one Fortran-ordered array (contiguous columns for the demeaning)."""
    out = np.empty((len(y), 1 + x.shape[1]), order="F")
    out[:, 0] = y
    out[:, 1:] = x
    return out


def _wls(y: np.ndarray, x: np.ndarray, w: np.ndarray | None, names: list[str]):
    xtwx = x.T @ x if w is None else x.T @ (x * w[:, None])
    return _solve(xtwx, x.T @ (y if w is None else w * y), names)


def _solve(xtwx: np.ndarray, xtwy: np.ndarray, names: list[str]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and bread ``(X'WX)^-1`` of the normal equations; refuses collinearity."""
    if len(xtwx) and np.linalg.matrix_rank(xtwx) < len(xtwx):
        raise DataError(
            "the regressors are collinear (after removing fixed effects): "
            f"{', '.join(names)}. A covariate may be constant within units or periods, "
            "or the treatment may not vary; drop it or check the treatment column."
        )
    bread = np.linalg.inv(xtwx)
    return bread @ xtwy, bread


def _poisson_irls(y, x, fes, w, off, names, cells, max_iter: int = 200):
    mu = (y + y.mean()) / 2
    eta = np.log(mu)
    dev_old = np.inf
    zd = z_old = None
    for _ in range(max_iter):
        z = eta - off + (y - mu) / mu
        ww = w * mu
        if zd is None:
            zd = demean(_stack(z, x), fes, ww, overwrite=True, cells=cells)
        else:
            # warm start: the last residuals differ from [z, x] by fixed effects once the
            # change in z is added back (fixest's trick; the projection is the same)
            zd[:, 0] += z - z_old
            zd = demean(zd, fes, ww, overwrite=True, cells=cells)
        z_old = z
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
    xt = demean(x, fes, ww, start=zd[:, 1:], cells=cells)
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
