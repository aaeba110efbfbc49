"""Staggered roll-out: aggregation of the ATT(g,t) cells (R did::aggte)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.designs.staggered.att_gt import _Cells
from evalkit.designs.staggered.preparation import _Panel


@dataclass
class _Agg:
    kind: str              # "simple", "group", "event", "calendar"
    key: Any               # cohort label, event time, period label; None for the overall
    name: str
    estimate: float
    col: int               # its column of the cell weights and cohort-share terms
    n_obs: int | None = None


class _AggBuilder:
    """Aggregations of ATT(g,t) as linear maps of the cells' influence functions (R aggte).

    Each aggregate adds a column of cell weights ``W`` and, when the weights are estimated
    cohort shares, a column ``B`` such that ``onehot @ B`` is R's ``wif %*% att`` (the
    constant part of ``wif`` sums to zero); the influence functions are then
    ``inf @ W + onehot @ B`` (see :class:`_Influence`).
    """

    def __init__(self, cells: _Cells, pg: np.ndarray, n_groups: int) -> None:
        self.cells, self.pg, self.n_groups = cells, pg, n_groups
        self.specs: list[tuple[str, Any, str, int | None]] = []
        self.w: list[np.ndarray] = []
        self.b: list[np.ndarray] = []

    def add(self, kind: str, key: Any, name: str, keep: np.ndarray, *, wif: bool,
            n_obs: int | None = None) -> None:
        pk = self.pg[keep]
        total = pk.sum()
        w = np.zeros(len(self.cells.att))
        w[keep] = pk / total
        b = np.zeros(self.n_groups)
        if wif:
            att = self.cells.att[keep]
            g = self.cells.g[keep]
            b += np.bincount(g, weights=att, minlength=self.n_groups) / total
            b -= np.bincount(g, minlength=self.n_groups) * (pk @ att) / total ** 2
        self.specs.append((kind, key, name, n_obs))
        self.w.append(w)
        self.b.append(b)


def _aggregate(panel: _Panel, cells: _Cells, *, balance_e: int | None
               ) -> tuple[list[_Agg], np.ndarray, np.ndarray]:
    """The aggregations (R aggte) with their cell weights ``W`` (K × A) and cohort-share
    terms ``B`` (cohorts × A): the influence function of aggregation j is
    ``inf @ W[:, j] + onehot @ B[:, j]``."""
    n = panel.n
    ords = panel.ords
    n_groups = len(panel.cohort_ords)
    g_ord = panel.cohort_ords[cells.g]
    t_ord = ords[cells.t]
    treated = panel.g_idx >= 0
    # P(G = g) over all units (weighted: R aggte's mean(w * 1{G = g}), w of mean 1)
    pgg = np.bincount(panel.g_idx[treated], minlength=n_groups,
                      weights=None if panel.w is None else panel.w[treated]) / n
    pg = pgg[cells.g]
    post = g_ord <= t_ord
    e_time = (t_ord - g_ord).astype(int)
    T = panel.n_periods
    build = _AggBuilder(cells, pg, n_groups)

    keep = np.flatnonzero(post)
    if len(keep):
        build.add("simple", None, "att_simple", keep, wif=True)
    for gi, label in enumerate(panel.cohort_labels):
        keep = np.flatnonzero((cells.g == gi) & post)
        if len(keep):
            build.add("group", label, f"att_group_{label}", keep, wif=False,
                      n_obs=int(panel.cohort_sizes[gi] + panel.n_never) * T)
    include = np.ones(len(cells.att), dtype=bool)
    eseq = np.unique(e_time)
    if balance_e is not None:
        last, first = int(ords[-1]), int(ords[0])
        include = (last - g_ord) >= balance_e
        eseq = np.unique(e_time[include])
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - last + first)]
    for e in eseq:
        keep = np.flatnonzero((e_time == e) & include)
        if len(keep):
            build.add("event", int(e), f"att_event_{int(e)}", keep, wif=True,
                      n_obs=int(2 * cells.n_used[keep].max()))
    min_g = g_ord.min()
    for ti in np.unique(cells.t):
        keep = np.flatnonzero((cells.t == ti) & post)
        if ords[ti] >= min_g and len(keep):
            label = str(panel.periods[ti])
            build.add("calendar", label, f"att_calendar_{label}", keep, wif=True)
    w, b = build.w, build.b
    est = cells.att @ np.column_stack(w)
    aggs = [_Agg(kind, key, name, float(est[j]), j, n_obs)
            for j, (kind, key, name, n_obs) in enumerate(build.specs)]

    def combine(kind: str, key: Any, name: str, estimate: float, cols: list[int],
                weights: np.ndarray, extra: np.ndarray | float = 0.0) -> None:
        w.append(np.column_stack([w[j] for j in cols]) @ weights)
        b.append(np.column_stack([b[j] for j in cols]) @ weights + extra)
        aggs.append(_Agg(kind, key, name, estimate, len(w) - 1))

    # overall summaries of the group, event-time and calendar effects (R aggte's overall)
    def parts(kind: str, cond=lambda key: True) -> list[int]:
        return [j for j, a in enumerate(aggs) if a.kind == kind and a.key is not None
                and cond(a.key)]

    groups = parts("group")
    if groups:
        used = np.asarray([panel.cohort_labels.index(aggs[j].key) for j in groups])
        pu = pgg[used]
        ge = est[groups]
        wg = pu / pu.sum()
        extra = np.zeros(n_groups)
        extra[used] = ge / pu.sum() - (pu @ ge) / pu.sum() ** 2   # R: wif(..., group = glist)
        combine("group", None, "att_group", float(ge @ wg), groups, wg, extra)
    events = parts("event", lambda key: key >= 0)
    if events:
        combine("event", None, "att_event", float(est[events].mean()), events,
                np.full(len(events), 1 / len(events)))
    periods = parts("calendar")
    if periods:
        combine("calendar", None, "att_calendar", float(est[periods].mean()), periods,
                np.full(len(periods), 1 / len(periods)))
    order = {"simple": 0, "group": 1, "event": 2, "calendar": 3}
    aggs.sort(key=lambda a: (order[a.kind], a.key is None))
    cols = [a.col for a in aggs]
    return aggs, np.column_stack(w)[:, cols], np.column_stack(b)[:, cols]
