"""Variance estimators shared by the linear and Poisson designs.

All estimators take the *bread* ``(X'WX)^-1`` and per-observation *scores* (the
contributions ``w_i e_i x_i`` to the estimating equations) and return a covariance
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


def hc1_vcov(bread: np.ndarray, scores: np.ndarray, *, n: int, k: int) -> np.ndarray:
    """Heteroskedasticity-robust HC1 covariance ``n/(n-K) * B (S'S) B``.

    Parameters
    ----------
    bread : (p, p) array
        ``(X'WX)^-1``.
    scores : (n, p) array
        Score contributions per observation.
    n, k : int
        Observations and number of estimated parameters (including fixed effects).
    """
    meat = scores.T @ scores
    return (n / (n - k)) * bread @ meat @ bread


def cluster_vcov(
    bread: np.ndarray, scores: np.ndarray, clusters: np.ndarray, *, n: int, k: int
) -> tuple[np.ndarray, int]:
    """Cluster-robust CR1 covariance with fixest's default small-sample correction.

    Parameters
    ----------
    bread : (p, p) array
    scores : (n, p) array
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
    summed = np.zeros((n_clusters, scores.shape[1]))
    np.add.at(summed, clusters, scores)
    meat = summed.T @ summed
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return factor * bread @ meat @ bread, n_clusters
