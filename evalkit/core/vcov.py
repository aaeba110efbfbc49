"""Variance estimators shared by the linear and Poisson designs.

All estimators take the *bread* ``(X'WX)^-1`` and the per-observation *scores* (the
contributions ``w_i e_i x_i`` to the estimating equations), given as the regressors ``x``
(after removing fixed effects) and the weighted residuals ``u = w e``, and return a covariance
matrix together with a label that is recorded in the result's ``spec["vcov"]``.

Small-sample conventions (chosen to match R fixest's defaults, ``ssc(adj = TRUE,
fixef.K = "nested", cluster.adj = TRUE)``):

* classical: ``sigma^2 (X'WX)^-1`` with ``sigma^2 = sum(w e^2) / (n - K)``;
* robust (HC1): ``n / (n - K)`` times the sandwich;
* cluster (CR1): ``G / (G - 1) * (n - 1) / (n - K)`` times the sandwich, where ``K``
  leaves out fixed effects nested in the clusters; t reference with ``G - 1`` df.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["VcovKind", "cluster_vcov", "hc1_vcov"]

VcovKind = Literal["classical", "robust", "cluster"]


def hc1_vcov(bread: np.ndarray, x: np.ndarray, u: np.ndarray, *, n: int, k: int) -> np.ndarray:
    """Heteroskedasticity-robust HC1 covariance ``n/(n-K) * B (S'S) B``, ``S = x * u``.

    Parameters
    ----------
    bread : (p, p) array
        ``(X'WX)^-1``.
    x : (n, p) array
        Regressors (fixed effects removed).
    u : (n,) array
        Weighted residuals ``w e``.
    n, k : int
        Observations and number of estimated parameters (including fixed effects).
    """
    meat = x.T @ (x * (u**2)[:, None])
    return (n / (n - k)) * bread @ meat @ bread


def cluster_vcov(
    bread: np.ndarray, x: np.ndarray, u: np.ndarray, clusters: np.ndarray, *, n: int, k: int
) -> tuple[np.ndarray, int]:
    """Cluster-robust CR1 covariance with fixest's default small-sample correction.

    The scores are summed within clusters one column at a time, so no (n, p) array of
    scores is built (it matters for event studies on millions of rows).

    Parameters
    ----------
    bread : (p, p) array
    x : (n, p) array
        Regressors (fixed effects removed).
    u : (n,) array
        Weighted residuals ``w e``.
    clusters : (n,) integer codes 0..G-1
    n : int
        Number of observations.
    k : int
        Parameters counted in the adjustment (fixed effects nested in the clusters excluded).

    Returns
    -------
    vcov : (p, p) array
    n_clusters : int
    """
    n_clusters = int(clusters.max()) + 1
    summed = np.column_stack([np.bincount(clusters, weights=x[:, j] * u, minlength=n_clusters)
                              for j in range(x.shape[1])])
    meat = summed.T @ summed
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return factor * bread @ meat @ bread, n_clusters
