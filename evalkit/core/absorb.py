"""Absorbing fixed effects: the within transformation and its helpers.

Fixed effects are removed by (weighted) alternating projections: each column is
demeaned within the levels of every fixed effect in turn until it no longer
changes. For one fixed effect, or a balanced panel without weights, this is exact
after one sweep; otherwise it converges geometrically to the within estimator
(tolerance 1e-12). A complete unit × period grid takes a closed form.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["as_grid", "demean", "grid_cells", "nested", "recode"]

_TOL = 1e-12
_FAST_SWEEPS = 500


def grid_cells(fixed_effects: list[np.ndarray]) -> np.ndarray | None:
    """Cell numbers ``a * n_b + b`` when two fixed effects form a complete grid, else None.

    On a complete grid (every unit in every period exactly once) the two-way within
    transformation has the closed form ``x - mean_unit - mean_period + grand mean``
    without weights, and with weights its sweeps are row and column reductions of a
    unit × period matrix.
    """
    if len(fixed_effects) != 2:
        return None
    a, b = fixed_effects
    n_a, n_b = int(a.max()) + 1, int(b.max()) + 1
    if len(a) != n_a * n_b:
        return None
    cells = np.multiply(a, n_b, dtype=np.int64)
    cells += b
    if np.bincount(cells, minlength=n_a * n_b).max() != 1:
        return None
    return cells


def as_grid(v: np.ndarray, cells: np.ndarray, n_a: int, in_order: bool | None = None
            ) -> np.ndarray:
    """A column as the ``n_a`` × periods matrix of a complete grid (see :func:`grid_cells`).

    A view of ``v`` when the rows are already in cell order (unit by unit, periods sorted;
    ``in_order``, computed when None), else a new matrix.
    """
    if _in_order(cells) if in_order is None else in_order:
        return v.reshape(n_a, -1)
    g = np.empty(len(v), dtype=v.dtype)
    g[cells] = v
    return g.reshape(n_a, -1)


def _in_order(cells: np.ndarray) -> bool:
    # the cells are a permutation of 0..n-1: the identity exactly when increasing
    return bool(cells[0] == 0 and (cells[1:] > cells[:-1]).all())


def _converged(change: float, scale: float) -> bool:
    return change < _TOL * max(scale, np.finfo(float).tiny)


def _demean_grid(x: np.ndarray, cells: np.ndarray, n_a: int, w: np.ndarray | None,
                 fixed_effects: list[np.ndarray]) -> np.ndarray:
    """Two-way demeaning on a complete grid (see :func:`grid_cells`), in place.

    ``x`` is Fortran-ordered, so that each column is one contiguous unit × period matrix.
    Unweighted: exact in one pass. Weighted: alternating row and column projections of
    the matrix until the largest correction is below ``_TOL`` of the column's scale.
    """
    n = len(x)
    shape = (n_a, n // n_a)
    in_order = _in_order(cells)
    if w is not None:
        wg = as_grid(w, cells, n_a, in_order)
        w_rows, w_cols = wg.sum(axis=1), wg.sum(axis=0)
    for j in range(x.shape[1]):
        g = as_grid(x[:, j], cells, n_a, in_order)  # a view when in order: contiguous column
        if w is None:
            g -= g.mean(axis=1, keepdims=True)
            g -= g.mean(axis=0, keepdims=True)
        else:
            scale = None
            for _ in range(_FAST_SWEEPS):
                m_rows = np.einsum("ij,ij->i", wg, g) / w_rows
                g -= m_rows[:, None]
                m_cols = np.einsum("ij,ij->j", wg, g) / w_cols
                g -= m_cols[None, :]
                change = float(np.abs(m_rows).max() + np.abs(m_cols).max())
                if scale is None:
                    scale = float(np.abs(g).max())
                elif _converged(change, scale):
                    break
            else:  # extreme weights: solve for the residuals of the current column
                flat = g.ravel()[cells]
                x[:, j] = _demean_lsmr(flat[:, None], fixed_effects, w, list(shape))[:, 0]
                continue
        if not in_order:
            x[:, j] = g.ravel()[cells]
    return x


def _demean_sweeps(col: np.ndarray, fixed_effects: list[np.ndarray], w: np.ndarray | None,
                   wsums: list[np.ndarray]) -> bool:
    """Alternating projections on one contiguous column, in place; True when converged."""
    scale = None
    for _ in range(_FAST_SWEEPS):
        change = 0.0
        for codes, wsum in zip(fixed_effects, wsums, strict=True):
            sums = np.bincount(codes, weights=col if w is None else w * col,
                               minlength=len(wsum))
            means = sums / wsum
            col -= means[codes]
            change += float(np.abs(means).max())
        if len(fixed_effects) == 1:
            return True
        if scale is None:
            scale = float(np.abs(col).max())
        elif _converged(change, scale):
            return True
    return False


def demean(
    x: np.ndarray, fixed_effects: list[np.ndarray], weights: np.ndarray | None = None,
    *, start: np.ndarray | None = None, overwrite: bool = False,
    cells: np.ndarray | Literal[False] | None = False,
) -> np.ndarray:
    """Remove fixed effects from the columns of ``x`` (weighted within transformation).

    A complete two-way grid (a balanced panel) is demeaned in closed form without weights
    and by row/column reductions of the unit × period matrix with weights. Otherwise
    alternating projections are used, one column at a time; they converge in one sweep
    for one fixed effect; on sparse, weakly connected panels they can crawl, so after
    ``_FAST_SWEEPS`` sweeps the residuals come from a sparse least-squares solve (LSMR)
    instead. A column has converged when the largest correction of a sweep is below
    ``_TOL`` times its within-variation scale.

    Parameters
    ----------
    x : (n, p) array
    fixed_effects : list of (n,) integer code arrays
    weights : (n,) array, optional
    start : (n, p) array, optional
        ``x`` minus any combination of the fixed effects (e.g. the residuals of an earlier
        demeaning with other weights): the projections start there, which gives the same
        residuals in fewer sweeps (IRLS warm start, as in fixest).
    overwrite : bool
        Work in the memory of ``start`` (or ``x``) when it is a float array, instead of
        a copy (for large internal arrays that are not needed afterwards).
    cells : array, None or False
        The result of ``grid_cells(fixed_effects)`` when already known (repeated calls
        in IRLS); False (default) computes it.

    Returns
    -------
    (n, p) array of residuals from projecting ``x`` on the fixed-effect dummies.
    """
    x = np.array(x if start is None else start, dtype=float, copy=not overwrite, order="F")
    if not fixed_effects:
        return x
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and np.ptp(w) == 0:
        w = None  # equal weights: the plain within transformation
    if cells is False:
        cells = grid_cells(fixed_effects)
    if cells is not None:
        return _demean_grid(x, cells, int(fixed_effects[0].max()) + 1, w, fixed_effects)
    levels = [int(c.max()) + 1 for c in fixed_effects]
    wsums = [np.bincount(c, weights=w, minlength=k).astype(float)
             for c, k in zip(fixed_effects, levels, strict=True)]
    for j in range(x.shape[1]):
        col = x[:, j]
        if not _demean_sweeps(col, fixed_effects, w, wsums):
            # the residual of the current column is the residual of the original one
            col[:] = _demean_lsmr(col[:, None], fixed_effects,
                                  np.ones(len(x)) if w is None else w, levels)[:, 0]
    return x


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




def nested(fe: np.ndarray, clusters: np.ndarray) -> bool:
    """True when every level of ``fe`` lies inside a single cluster.

    Both are dense codes (0..L-1 and 0..G-1, every code present), as after :func:`recode`.
    """
    if fe is clusters:  # clustered by this fixed effect (e.g. by unit)
        return True
    if int(fe.max()) < int(clusters.max()):  # fewer levels than clusters: some level spans two
        return False
    first = np.empty(int(fe.max()) + 1, dtype=clusters.dtype)
    first[fe] = clusters  # one cluster per level (the last written); nested if all agree
    return bool(np.array_equal(first[fe], clusters))



def recode(codes: np.ndarray) -> np.ndarray:
    """Renumber integer codes 0..L-1 densely (levels may have vanished with dropped rows)."""
    codes = np.asarray(codes)
    if codes.dtype.kind in "iu" and len(codes) and codes.min() >= 0:
        present = np.bincount(codes) > 0
        if present.all():
            return codes
        return (np.cumsum(present) - 1)[codes]
    return np.unique(codes, return_inverse=True)[1].ravel()

