"""Staggered roll-out: the ATT(g,t) cells, their estimators (reg, ipw, dr), influence functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from evalkit.designs.staggered.preparation import _Panel
from evalkit.errors import DataError

TRIM_LEVEL = 0.995


@dataclass
class _ByType:
    """Influence functions of the ATT(g,t) without covariates, kept in factored form.

    Unit ``i`` of type ``τ`` (its cohort, or never treated) with weight ``w_i`` has, for cell
    ``k``, the influence function ``w_i coef[τ, k] (y_i[late_k] - y_i[early_k] -
    centre[τ, k])``, i.e. the row ``w_i (ydot_i @ delta @ diag(coef[τ]) + shift[τ])``, where
    ``ydot`` is the outcome minus the type's (weighted) mean in each period and minus the
    unit's own mean and ``delta`` (periods × cells) holds +1 at ``late_k`` and -1 at
    ``early_k``. The n × K matrix of influence functions (gigabytes for national panels) is
    never formed: cross-products need only each type's periods × periods Gram matrix
    ``ydot' W² ydot`` and ``ydot' w²``, ``sum w²``.
    """

    rows: list[np.ndarray]     # the units of each type
    ydot: list[np.ndarray]     # (n_τ, T) centred outcomes of each type
    gram: list[np.ndarray]     # (T, T) ydot' ydot of each type
    delta: Any                 # (T, K) scipy sparse array
    coef: np.ndarray           # (types, K)
    shift: np.ndarray          # (types, K)
    w: list[np.ndarray | None]  # unit weights of each type (None: 1)
    s1: list[np.ndarray]       # (T,) ydot' w^2 of each type (0 without weights)
    s0: list[float]            # sum of w^2 of each type


@dataclass
class _Cells:
    g: np.ndarray          # cohort index per cell
    t: np.ndarray          # period index per cell
    base: np.ndarray       # base-period index per cell
    att: np.ndarray
    inf: np.ndarray | None  # (n, K) influence functions (with covariates), else ...
    by_type: _ByType | None  # ... the same in factored form (without covariates)
    n_used: np.ndarray     # units in the comparison (treated + controls)
    skipped: list[str]

    def term(self, k: int, panel: _Panel) -> str:
        return (f"att_gt_{panel.cohort_labels[self.g[k]]}_"
                f"{panel.periods[self.t[k]]}")


def _att_gt(panel: _Panel, *, control_group: str, method: str, anticipation: int,
            base_period: str) -> _Cells:
    n, T = panel.y.shape
    ords = panel.ords
    n_groups = len(panel.cohort_ords)
    # unit "types": cohort index, or n_groups for never-treated units. Treated and comparison
    # sets of every cell are unions of types.
    kind = np.where(panel.g_idx >= 0, panel.g_idx, n_groups)
    size = np.bincount(kind, minlength=n_groups + 1).astype(float)
    start = 1 if base_period == "varying" else 0
    # 1. the cells: cohort, period, base period, comparison types
    cells: list[tuple[int, int, int]] = []
    comparison: list[np.ndarray | None] = []
    skipped: list[str] = []
    for gi, g in enumerate(panel.cohort_ords):
        # last untreated period: the latest period with period + anticipation < g
        pre_ok = np.flatnonzero(ords + anticipation < g)
        if len(pre_ok) == 0:
            continue
        universal = int(pre_ok[-1])
        for ti in range(start, T):
            bi = universal if base_period == "universal" or g <= ords[ti] else ti - 1
            if bi == ti:  # universal base: the reference cell, 0 by definition
                cells.append((gi, ti, bi))
                comparison.append(None)
                continue
            ctrl = np.zeros(n_groups + 1, dtype=bool)
            ctrl[n_groups] = True
            if control_group == "not_yet_treated":
                later = ords[max(ti, bi)] + anticipation
                ctrl[:n_groups] = panel.cohort_ords > later
                ctrl[gi] = False
            if size[gi] == 0 or size[ctrl].sum() == 0:
                skipped.append(f"{panel.cohort_labels[gi]}/{panel.periods[ti]}")
                continue
            cells.append((gi, ti, bi))
            comparison.append(ctrl)
    if not cells:
        raise DataError("No group-time effect could be estimated: no cohort has both a "
                        "pre-treatment period and comparison units. Fix: check the cohort "
                        "column and the periods covered by the data.")
    cg, ct, cb = (np.asarray(v) for v in zip(*cells, strict=True))
    late = np.where(ords[ct] > ords[cb], ct, cb)
    early = np.where(ords[ct] > ords[cb], cb, ct)
    K = len(cells)
    est = np.asarray([k for k in range(K) if comparison[k] is not None], dtype=int)
    in_t = np.zeros((n_groups + 1, len(est)), dtype=bool)
    in_t[cg[est], np.arange(len(est))] = True
    in_c = (np.column_stack([comparison[k] for k in est]) if len(est)
            else np.zeros((n_groups + 1, 0), dtype=bool))
    n_t = size @ in_t
    n_c = size @ in_c
    att = np.zeros(K)
    n_used = np.zeros(K, dtype=int)
    n_used[est] = (n_t + n_c).astype(int)

    # 2. the estimates
    if panel.x.shape[2] == 0:
        # Intercept only: reg, ipw and dr all reduce to the difference in mean changes, and
        # IF_i = n (dY_i - m1) / n_t for treated units, -n (dY_i - m0) / n_c for controls,
        # 0 otherwise (the DRDID influence function rescaled by n / n1, as R did does).
        # Each type's mean series gives every mean change: all cells at once.
        from scipy import sparse

        rows = [np.flatnonzero(kind == tau) for tau in range(n_groups + 1)]
        means = np.zeros((n_groups + 1, T))
        ydot, gram, ws, s1, s0 = [], [], [], [], []
        for tau, r in enumerate(rows):
            yt = panel.y[r]
            wt = None if panel.w is None else panel.w[r]
            if len(r):
                means[tau] = np.average(yt, axis=0, weights=wt)
                yt -= means[tau]
                yt -= yt.mean(axis=1, keepdims=True)
            ydot.append(yt)
            ws.append(wt)
            if wt is None:  # the rows of ydot sum to zero within a type
                gram.append(yt.T @ yt)
                s1.append(np.zeros(T))
                s0.append(float(len(r)))
            else:
                w2 = wt ** 2
                gram.append(yt.T @ (yt * w2[:, None]))
                s1.append(yt.T @ w2)
                s0.append(float(w2.sum()))
        wsize = size if panel.w is None else np.bincount(kind, weights=panel.w,
                                                         minlength=n_groups + 1)
        delta = sparse.csr_array((np.repeat([1.0, -1.0], K), (np.concatenate([late, early]),
                                  np.tile(np.arange(K), 2))), shape=(T, K))
        change = (delta.T @ means.T).T                                   # (types, K)
        sums = change[:, est] * wsize[:, None]
        w_t, w_c = wsize @ in_t, wsize @ in_c
        m1 = (sums * in_t).sum(axis=0) / w_t
        m0 = (sums * in_c).sum(axis=0) / w_c
        att[est] = m1 - m0
        coef = np.zeros((n_groups + 1, K))
        coef[:, est] = in_t * (n / w_t) - in_c * (n / w_c)
        centre = np.zeros((n_groups + 1, K))
        centre[:, est] = in_t * m1 + in_c * m0
        by_type = _ByType(rows, ydot, gram, delta, coef, coef * (change - centre), ws, s1,
                          s0)
        return _Cells(g=cg, t=ct, base=cb, att=att, inf=None, by_type=by_type,
                      n_used=n_used, skipped=skipped)
    else:
        inf = np.zeros((n, K))
        fn = _ESTIMATOR_FUNCS[method]
        for j, k in enumerate(est):
            use = (in_t[:, j] | in_c[:, j])[kind]
            n1 = int(use.sum())
            dy = panel.y[use, late[k]] - panel.y[use, early[k]]
            d = (kind[use] == cg[k]).astype(float)
            x = np.column_stack([np.ones(n1), panel.x[use, early[k], :]])
            wk = np.ones(n1) if panel.w is None else panel.w[use] / panel.w[use].mean()
            att[k], inf1 = fn(dy, d, x, wk)
            inf[use, k] = inf1 * (n / n1)
    return _Cells(g=cg, t=ct, base=cb, att=att, inf=inf, by_type=None, n_used=n_used,
                  skipped=skipped)


class _Influence:
    """Influence functions ``Z = IF @ lin + diag(w) onehot @ shares`` of estimates that are
    linear in the ATT(g,t) (the cells themselves and their aggregations), ``onehot`` = each
    unit's cohort, ``w`` its weight; one column per estimate. With clusters, ``Z`` holds the
    sums of the units' rows within each cluster (one row per cluster).

    With covariates or clusters Z is formed. Otherwise it is not (see :class:`_ByType`):
    unit i of type τ has ``Z_i = w_i (ydot_i @ p_τ + c_τ)``, so ``Z'Z = sum_τ p_τ' G_τ p_τ +
    p_τ' s1_τ c_τ' + c_τ s1_τ' p_τ + s0_τ c_τ c_τ'`` and ``V @ Z = sum_τ ((V_τ w_τ) @ ydot_τ)
    @ p_τ + (V_τ w_τ) c_τ``.
    """

    def __init__(self, cells: _Cells, panel: _Panel, lin: np.ndarray,
                 shares: np.ndarray) -> None:
        g_idx, w, cluster = panel.g_idx, panel.w, panel.cluster
        self.n, self.q = len(g_idx), lin.shape[1]
        self.z: np.ndarray | None = None
        self.blocks: list[tuple] = []
        bt = cells.by_type
        if bt is None:
            from scipy import sparse

            self.z = np.asarray(cells.inf @ sparse.csr_array(lin))
            treated = g_idx >= 0
            extra = shares[g_idx[treated]]
            self.z[treated] += extra if w is None else w[treated, None] * extra
            if cluster is not None:
                self.z = _rowsum(self.z, cluster)
            return
        n_groups = len(shares)
        n_clusters = None if cluster is None else int(cluster.max()) + 1
        if n_clusters is not None:
            self.z = np.zeros((n_clusters, self.q))
        for tau, rows in enumerate(bt.rows):
            if not len(rows):
                continue
            p = np.asarray(bt.delta @ (bt.coef[tau][:, None] * lin))          # (T, q)
            c = bt.shift[tau] @ lin + (shares[tau] if tau < n_groups else 0.0)
            wt = bt.w[tau]
            if self.z is not None:
                wy = bt.ydot[tau] if wt is None else bt.ydot[tau] * wt[:, None]
                cl = cluster[rows]
                self.z += _rowsum(wy, cl, n_clusters) @ p
                self.z += np.outer(np.bincount(cl, weights=wt, minlength=n_clusters), c)
            else:
                self.blocks.append((rows, bt.ydot[tau], bt.gram[tau], p, c, wt, bt.s1[tau],
                                    bt.s0[tau]))

    def sum_squares(self) -> np.ndarray:
        """``sum_i Z_i**2`` for every column."""
        if self.z is not None:
            return np.einsum("ij,ij->j", self.z, self.z)
        return sum(np.einsum("ij,ij->j", p, gram @ p) + 2 * (s1 @ p) * c + s0 * c**2
                   for _, _, gram, p, c, _, s1, s0 in self.blocks)

    def cross(self) -> np.ndarray:
        """``Z'Z``."""
        if self.z is not None:
            return self.z.T @ self.z
        out = 0.0
        for _, _, gram, p, c, _, s1, s0 in self.blocks:
            ps = np.outer(s1 @ p, c)
            out = out + p.T @ gram @ p + ps + ps.T + s0 * np.outer(c, c)
        return out

    def times(self, v: np.ndarray) -> np.ndarray:
        """``V @ Z`` for a (m, rows of Z) matrix ``V``."""
        if self.z is not None:
            return v @ self.z
        out = np.zeros((len(v), self.q))
        for rows, ydot, _, p, c, wt, _, _ in self.blocks:
            vt = v[:, rows] if wt is None else v[:, rows] * wt
            out += (vt @ ydot) @ p + vt.sum(axis=1)[:, None] * c
        return out

    @property
    def rows(self) -> int:
        """Rows of Z: clusters when clustered, else units."""
        return self.n if self.z is None else len(self.z)


def _rowsum(x: np.ndarray, groups: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Sums of the rows of ``x`` within ``groups`` (codes 0..G-1), as R's ``rowsum``."""
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    out = np.zeros((n_groups, x.shape[1]))
    np.add.at(out, groups, x)
    return out


def _ols(x: np.ndarray, y: np.ndarray, mask: np.ndarray, w: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted coefficients of y on x over ``mask`` and the inverse of (X'WX / n) over all
    rows' n (``w`` has mean 1)."""
    xc, wc = x[mask], w[mask]
    sw = np.sqrt(wc)
    beta = np.linalg.lstsq(xc * sw[:, None], y[mask] * sw, rcond=None)[0]
    xpx = ((xc * wc[:, None]).T @ xc) / len(x)
    return beta, np.linalg.pinv(xpx)


def _logit(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit by Newton-Raphson (R glm with ``weights``): fitted probabilities and
    n * vcov (the inverse Hessian); ``w`` has mean 1."""
    n, k = x.shape
    p1 = float(np.average(d, weights=w))
    if k == 1 and np.all(x[:, 0] == 1):  # intercept only: closed form
        return np.full(n, p1), np.array([[1.0 / (p1 * (1 - p1))]])
    beta = np.zeros(k)
    if x.shape[1] >= 1 and np.all(x[:, 0] == 1):
        beta[0] = np.log(p1 / (1 - p1))
    for _ in range(100):
        p = expit(x @ beta)
        hess = x.T @ (x * (w * p * (1 - p))[:, None])
        step = np.linalg.lstsq(hess, x.T @ (w * (d - p)), rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    p = expit(x @ beta)
    hess = x.T @ (x * (w * p * (1 - p))[:, None])
    return p, np.linalg.pinv(hess) * n


def _reg(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
         ) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for panels (DRDID::reg_did_panel, weights of mean 1)."""
    beta, xpx_inv = _ols(x, dy, d == 0, w)
    out = x @ beta
    w_t = w * d
    m_t = w_t.mean()
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_t * out) / m_t
    lin_ols = (w * (1 - d) * (dy - out))[:, None] * x @ xpx_inv
    inf_treat = w_t * (dy - eta_t) / m_t
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_control = (w_t * (out - eta_c) + lin_ols @ m1) / m_t
    return float(eta_t - eta_c), inf_treat - inf_control


def _ipw(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
         ) -> tuple[float, np.ndarray]:
    """Normalised (Hajek) IPW DiD for panels (DRDID::std_ipw_did_panel, weights of mean 1)."""
    ps, hess = _logit(x, d, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 0, ps < TRIM_LEVEL, True)
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)
    eta_t = np.mean(w_t * dy) / w_t.mean()
    eta_c = np.mean(w_c * dy) / w_c.mean()
    lin_ps = ((w * (d - ps))[:, None] * x) @ hess
    inf_treat = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
    inf_control = (w_c * dy - w_c * eta_c + lin_ps @ m2) / w_c.mean()
    return float(eta_t - eta_c), inf_treat - inf_control


def _dr(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
        ) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD for panels (DRDID::drdid_panel, weights of
    mean 1)."""
    ps, hess = _logit(x, d, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 0, ps < TRIM_LEVEL, True)
    beta, xpx_inv = _ols(x, dy, d == 0, w)
    out = x @ beta
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)
    resid = dy - out
    eta_t = np.mean(w_t * resid) / w_t.mean()
    eta_c = np.mean(w_c * resid) / w_c.mean()
    lin_ols = (w * (1 - d) * resid)[:, None] * x @ xpx_inv
    lin_ps = ((w * (d - ps))[:, None] * x) @ hess
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_treat = (w_t * resid - w_t * eta_t - lin_ols @ m1) / w_t.mean()
    m2 = ((w_c * (resid - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_control = (w_c * resid - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return float(eta_t - eta_c), inf_treat - inf_control


_ESTIMATOR_FUNCS = {"reg": _reg, "ipw": _ipw, "dr": _dr}
