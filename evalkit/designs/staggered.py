"""Staggered roll-out: Callaway & Sant'Anna (2021) group-time average treatment effects.

Districts join a programme in different periods (cohorts). Two-way fixed effects then mix
already-treated units into the comparison (Goodman-Bacon 2021); this design instead
estimates one clean 2x2 comparison per cohort ``g`` and period ``t``, ATT(g,t), and
aggregates them. It follows R ``did`` 2.x (``att_gt`` + ``aggte``) for balanced panels:

* ATT(g,t) compares the change in the outcome between a base period and ``t`` for the
  units first treated in ``g`` with the same change in a comparison group: never-treated
  units, or units not yet treated by ``max(t, base) + anticipation``.
* ``base_period="varying"``: before treatment, ``t`` is compared with the period before it;
  from ``g - anticipation`` on, with ``g - 1 - anticipation`` (the last untreated period).
  ``"universal"``: always ``g - 1 - anticipation`` (that cell is 0 by construction).
* ``method``: ``"reg"`` outcome regression (``DRDID::reg_did_panel``), ``"ipw"``
  normalised inverse probability weighting (``DRDID::std_ipw_did_panel``, Abadie 2005),
  ``"dr"`` the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020),
  ``DRDID::drdid_panel`` — the one R ``did`` calls for panel data with ``est_method="dr"``
  (OLS outcome model for the comparison group, logit propensity score, propensity scores
  of comparison units trimmed at 0.995). Without covariates all three coincide.
* Covariates enter through their value in the earlier of the two periods compared (the
  base period, except before treatment under a universal base), as R ``did`` does.
* Standard errors come from the influence functions, clustered at the unit
  (``se = sqrt(mean(IF^2) / n)``); aggregations include the estimation effect of the
  cohort-share weights, as R ``aggte`` does. ``bootstrap=B`` adds a multiplier bootstrap
  with Mammen weights (R ``did``'s default), bootstrap standard errors (normalised
  interquartile range, as R) and sup-t uniform bands for ATT(g,t) and the event study.

Balanced panels only: units with missing periods are refused with a message naming them
(R ``did`` silently drops such units when ``allow_unbalanced_panel=FALSE``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, ndtr, ndtri

from evalkit._progress import progress
from evalkit.data.io import read_table
from evalkit.data.periods import coded_periods, to_periods
from evalkit.data.validate import _fmt, check_numeric, check_unique, require_columns
from evalkit.designs._common import (
    as_list,
    check_alpha,
    check_choice,
    never_treated,
    provenance,
)
from evalkit.designs._engine import as_grid
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic, EvaluationResult, effects_table

__all__ = ["staggered_did"]

ControlGroup = Literal["never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]

FEW_CLUSTERS = 20
SMALL_COHORT = 3
MIN_BOOTSTRAP = 100
TRIM_LEVEL = 0.995
_TINY = float(np.sqrt(np.finfo(float).eps) * 10)  # R did: smaller SEs are reported as NA
_MAMMEN_KAPPA = (np.sqrt(5.0) + 1.0) / 2.0
_ESTIMATORS = {
    "reg": "outcome regression (DRDID::reg_did_panel)",
    "ipw": "normalised inverse probability weighting (DRDID::std_ipw_did_panel)",
    "dr": "locally efficient doubly robust, Sant'Anna & Zhao 2020 (DRDID::drdid_panel)",
}


def staggered_did(
    data: pd.DataFrame | str | os.PathLike,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: ControlGroup = "never_treated",
    method: Method = "dr",
    covariates: Sequence[str] = (),
    anticipation: int = 0,
    base_period: BasePeriod = "varying",
    balance_e: int | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EvaluationResult:
    """Group-time DiD for a staggered roll-out (Callaway & Sant'Anna 2021).

    Parameters
    ----------
    data : DataFrame or path
        A balanced panel: one row per unit and period.
    outcome : str
        Numeric outcome column (e.g. a rate or ``log(count + 1)``).
    unit, time : str
        Unit and period columns; periods are years, quarters, months... (see
        :func:`evalkit.data.periods.to_periods`).
    cohort : str
        First treated period of each unit, at the data's frequency; 0, empty, NaN or
        ``"never"`` for never-treated units. Constant within unit. Units first treated in
        the first period (or within ``anticipation`` of it) are dropped with a note; a
        cohort after the last period counts as never treated (as in R ``did``).
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units: never treated, or not yet treated (never-treated units plus
        those whose treatment starts after ``max(t, base) + anticipation``).
    method : {"dr", "ipw", "reg"}
        Estimator of each ATT(g,t) (see the module docstring).
    covariates : sequence of str
        Numeric covariates for the outcome model and/or propensity score.
    anticipation : int
        Number of periods before ``g`` in which units may already react.
    base_period : {"varying", "universal"}
    balance_e : int, optional
        Event-study aggregation on cohorts observed for at least ``balance_e`` periods after
        treatment starts, and event times ``balance_e - (last - first period) .. balance_e``.
    bootstrap : int, optional
        Number of multiplier-bootstrap draws (Mammen weights; >= 100). Standard errors
        then come from the bootstrap and ``series`` carries uniform bands.
    seed : int, optional
        Seed of the bootstrap; drawn and recorded in ``provenance`` when None.
    alpha : float
        1 - confidence level.

    Returns
    -------
    EvaluationResult
        ``method="staggered_did"``. Terms: ``att_simple`` (post-treatment ATT(g,t) weighted
        by cohort size), ``att_group`` (average of the cohort effects) and
        ``att_group_<g>``, ``att_event`` (average of the event-time effects from 0 on) and
        ``att_event_<e>``, ``att_calendar`` (average of the calendar-period effects) and
        ``att_gt_<g>_<t>``; column ``n_obs`` = rows behind each estimate. ``series``: long
        frame with ``aggregation`` in {"event", "group", "calendar", "gt"}. Diagnostic
        ``pre_trend``: Wald test that every pre-treatment ATT(g,t) is zero.

    Raises
    ------
    DataError
        Missing columns, non-numeric values, duplicate or missing unit-periods, a cohort
        that varies within a unit, no treated cohort, or no never-treated unit with
        ``control_group="never_treated"``.
    SpecError
        Invalid options.
    """
    check_choice("control_group", control_group, ("never_treated", "not_yet_treated"))
    check_choice("method", method, ("dr", "ipw", "reg"))
    check_choice("base_period", base_period, ("varying", "universal"))
    check_alpha(alpha)
    _check_int("anticipation", anticipation, low=0)
    if balance_e is not None:
        _check_int("balance_e", balance_e, low=0)
    if bootstrap is not None:
        _check_int("bootstrap", bootstrap, low=MIN_BOOTSTRAP)
    if seed is not None:
        _check_int("seed", seed, low=0)
    covariates = as_list(covariates)
    params = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
              "control_group": control_group, "method": method, "covariates": covariates,
              "anticipation": anticipation, "base_period": base_period,
              "balance_e": balance_e, "bootstrap": bootstrap, "seed": seed, "alpha": alpha}
    if bootstrap is not None and seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])

    panel = _prepare(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                     covariates=covariates, control_group=control_group,
                     anticipation=anticipation)
    cells = _att_gt(panel, control_group=control_group, method=method,
                    anticipation=anticipation, base_period=base_period)
    aggs, lin, shares = _aggregate(panel, cells, balance_e=balance_e)

    # -- inference ----------------------------------------------------------------------------
    n = panel.n
    n_cells = len(cells.att)
    att = np.concatenate([cells.att] + [[a.estimate] for a in aggs])
    scores = _Influence(cells, panel.g_idx, np.hstack([np.eye(n_cells), lin]),
                        np.hstack([np.zeros((len(shares), n_cells)), shares]))
    se = np.sqrt(scores.sum_squares()) / n
    se[se <= _TINY] = np.nan
    crit: dict[str, float] = {}
    if bootstrap is not None:
        event_cols = [i for i, a in enumerate(aggs) if a.kind == "event" and a.key is not None]
        sets = {"gt": np.arange(n_cells), "event": n_cells + np.asarray(event_cols, dtype=int)}
        se, crit = _multiplier_bootstrap(scores, sets, draws=bootstrap, seed=seed, alpha=alpha)

    z = float(ndtri(1 - alpha / 2))
    n_rows = panel.n * panel.n_periods
    shown = [i for i, a in enumerate(aggs) if a.kind != "calendar" or a.key is None]
    idx = np.asarray([len(cells.att) + i for i in shown] + list(range(len(cells.att))))
    terms = [aggs[i].name for i in shown] + [cells.term(k, panel) for k in range(len(cells.att))]
    n_obs = ([int(aggs[i].n_obs if aggs[i].n_obs is not None else n_rows) for i in shown]
             + [int(2 * m) for m in cells.n_used])
    effects = _effects(terms, att[idx], se[idx], n_obs, z)

    series = _series(panel, cells, aggs, att, se, z, crit)
    diag = _pre_trend(panel, cells, anticipation)

    # -- caveats ------------------------------------------------------------------------------
    warn: list[Caveat] = []
    for g, size in zip(panel.cohort_labels, panel.cohort_sizes, strict=True):
        if size < SMALL_COHORT:
            warn.append(Caveat("cs_small_cohort", cohort=g, n=int(size)))
    if n < FEW_CLUSTERS:
        warn.append(Caveat("cs_few_clusters", n=int(n), threshold=FEW_CLUSTERS))
    if diag.table is not None and np.isfinite(diag.p_value) and not diag.passed:
        warn.append(Caveat("cs_pre_trend", p=float(diag.p_value)))
    if cells.skipped:
        panel.notes.append(Caveat("cs_cells_skipped", n=len(cells.skipped),
                                  cells=", ".join(cells.skipped[:5])))

    spec = {"outcome": outcome, "design": "staggered_did", "unit": unit, "time": time,
            "cohort": cohort, "control_group": control_group, "method": method,
            "estimator": _ESTIMATORS[method], "covariates": covariates,
            "anticipation": anticipation, "base_period": base_period,
            "balance_e": balance_e, "bootstrap": bootstrap,
            "bootstrap_weights": "Mammen" if bootstrap is not None else None,
            "cluster": unit,
            "vcov": ("multiplier bootstrap (Mammen weights), clustered by unit"
                     if bootstrap is not None else "influence function, clustered by unit"),
            "alpha": alpha, "freq": panel.freq}
    sample = {"n_obs": n_rows, "n_units": int(n), "n_periods": int(panel.n_periods),
              "n_cohorts": len(panel.cohort_labels),
              "n_treated_units": int(panel.cohort_sizes.sum()),
              "n_never_treated": int(panel.n_never), "n_clusters": int(n),
              "n_att_gt": len(cells.att),
              "cohort_sizes": dict(zip(panel.cohort_labels,
                                       map(int, panel.cohort_sizes), strict=True)),
              "first_period": str(panel.periods[0]), "last_period": str(panel.periods[-1]),
              "notes": panel.notes}
    return EvaluationResult(
        method="staggered_did", spec=spec, effects=effects, series=series,
        diagnostics=(diag,), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=seed),
    )


def _effects(terms: list[str], est: np.ndarray, se: np.ndarray, n_obs: list[int],
             z: float) -> pd.DataFrame:
    """The effects table: :func:`evalkit.results.effect_row` with a normal reference,
    vectorised over the (often hundreds of) terms."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where((se > 0) & np.isfinite(se), 2 * ndtr(-np.abs(est) / se), np.nan)
    return effects_table([{
        "term": terms[i], "estimate": float(est[i]), "std_error": float(se[i]),
        "ci_low": float(est[i] - z * se[i]), "ci_high": float(est[i] + z * se[i]),
        "p_value": float(p[i]), "scale": "additive", "n_obs": n_obs[i]}
        for i in range(len(terms))])


# -- data preparation -------------------------------------------------------------------------
@dataclass
class _Panel:
    y: np.ndarray                 # (n, T) outcome
    x: np.ndarray                 # (n, T, k) covariates (k may be 0)
    g_idx: np.ndarray             # (n,) cohort index into cohort_ords, -1 = never treated
    periods: pd.PeriodIndex       # the T periods, sorted
    cohort_ords: np.ndarray       # ordinal of each cohort's first treated period
    cohort_labels: list[str]
    cohort_sizes: np.ndarray
    n_never: int
    freq: str
    notes: list[Caveat]

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def n_periods(self) -> int:
        return self.y.shape[1]

    @property
    def ords(self) -> np.ndarray:
        return np.asarray(self.periods.asi8)


def _check_int(name: str, value: object, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise SpecError(f"{name} must be a whole number >= {low}; got {value!r}.")


def _prepare(data, *, outcome: str, unit: str, time: str, cohort: str,
             covariates: list[str], control_group: str, anticipation: int) -> _Panel:
    df = read_table(data)
    cols = list(dict.fromkeys([outcome, unit, time, cohort, *covariates]))
    require_columns(df, cols)
    if len({outcome, unit, time, cohort}) < 4:
        raise SpecError(f"outcome, unit, time and cohort must be four different columns; got "
                        f"{outcome!r}, {unit!r}, {time!r}, {cohort!r}.")
    y = check_numeric(df, outcome, nonnegative=False).to_numpy()
    xs = [check_numeric(df, c, nonnegative=False).to_numpy() for c in covariates]
    if df[unit].isna().any():
        rows = list(df.index[df[unit].isna()][:5])
        raise DataError(f"Column '{unit}' must name a unit in every row, but rows {rows} are "
                        "missing. Fix: fill in the unit or drop these rows.")
    coded = coded_periods(df[time], column=time)
    periods, freq, tcodes = coded.periods, coded.freq, coded.codes
    notes: list[Caveat] = []
    ucodes, ulabels = pd.factorize(df[unit], sort=True)
    pidx = coded.labels
    all_ords = np.asarray(pidx.asi8)
    n, T = len(ulabels), len(all_ords)
    cells = ucodes * T
    cells += tcodes
    if np.bincount(cells, minlength=n * T).max() > 1:
        check_unique(df.assign(**{time: periods}), [unit, time])  # raises, naming the rows

    # balanced panel: every unit observed in every period
    counts = np.bincount(ucodes, minlength=n)
    if (counts < T).any():
        present = np.zeros((n, T), dtype=bool)
        present[ucodes, tcodes] = True
        bad = np.flatnonzero(counts < T)
        shown = []
        for b in bad[:5]:
            miss = [str(pd.Period(ordinal=int(o), freq=pidx.freq))
                    for o in all_ords[~present[b]][:5]]
            more = "" if (~present[b]).sum() <= 5 else ", ..."
            shown.append(f"{unit} {_fmt(ulabels[b])} is missing {', '.join(miss)}{more}")
        extra = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(
            f"staggered_did needs a balanced panel (every {unit} observed in each of the {T} "
            f"periods of '{time}'), but {len(bad)} unit(s) have missing periods: "
            f"{'; '.join(shown)}{extra}. Fix: add the missing rows (e.g. a count of 0 if "
            f"there were no incidents), or drop these units, e.g. "
            f"df[~df[{unit!r}].isin([...])]. (R did drops such units silently; evalkit "
            "refuses so that nothing disappears unseen.)")

    # cohort: constant within unit, parsed at the data's frequency
    raw = df[cohort]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        never = never_treated(raw)
        rcodes = raw.to_numpy(dtype=float, copy=True)
        rcodes[never] = -1.0
    else:  # text: each distinct value is looked at once
        rcodes, uniq = pd.factorize(raw)
        never_uniq = never_treated(pd.Series(uniq, dtype=object))
        never = (rcodes < 0) | (never_uniq[np.maximum(rcodes, 0)] if len(uniq) else True)
        rcodes[never] = -2
    per_cell = np.empty(n * T, dtype=rcodes.dtype)
    per_cell[cells] = rcodes                            # balanced: every cell is filled
    per_cell = per_cell.reshape(n, T)
    varies = per_cell.min(axis=1) != per_cell.max(axis=1)
    if varies.any():
        bad = ", ".join(_fmt(ulabels[i]) for i in np.flatnonzero(varies)[:5])
        raise DataError(
            f"Column '{cohort}' must be constant within each {unit} (its first treated "
            f"period), but units [{bad}] have several values. Fix: give every row of a unit "
            "the same first treated period (0 or empty if never treated).")
    first_row = np.zeros(n, dtype=int)
    first_row[ucodes[::-1]] = np.arange(len(df))[::-1]
    unit_never = never[first_row]
    g_ord = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if (~unit_never).any():
        vals = raw.iloc[first_row[~unit_never]]
        codes, uniq = pd.factorize(vals)                 # parse each distinct value once
        _, first_pos = np.unique(codes, return_index=True)
        uniq = pd.Series(np.asarray(uniq, dtype=object), index=vals.index[first_pos])
        if pd.api.types.is_float_dtype(vals):
            uniq = uniq.map(lambda v: str(int(v)) if float(v).is_integer() else str(v))
        gp, _ = to_periods(uniq, freq=freq, column=cohort)  # messages name the data's rows
        g_ord[~unit_never] = pd.PeriodIndex(gp).asi8[codes]

    late = (~unit_never) & (g_ord > all_ords[-1])
    if late.any():
        notes.append(Caveat("cs_late_cohort_never", n=int(late.sum()), last=str(
            pd.Period(ordinal=int(all_ords[-1]), freq=pidx.freq))))
        unit_never = unit_never | late
    g_ord[unit_never] = np.iinfo(np.int64).max
    if unit_never.all() or len(np.unique(g_ord[~unit_never])) == 0:
        raise DataError(
            f"Column '{cohort}' has no treated unit within the data's periods (every value is "
            "0, empty, 'never' or after the last period). Fix: check the cohort column: it "
            "must hold each unit's first treated period, e.g. 2021 or 2021-06.")
    # units treated in the first period (or within `anticipation` of it) have no pre-period
    first_ok = all_ords[0] + anticipation
    early = (~unit_never) & (g_ord <= first_ok)
    keep = np.ones(n, dtype=bool)
    if early.any():
        notes.append(Caveat("cs_dropped_first_period", n=int(early.sum()),
                            first=str(pd.Period(ordinal=int(all_ords[0]), freq=pidx.freq))))
        keep = ~early

    if not unit_never[keep].any() and control_group == "never_treated":
        raise DataError(
            f"control_group='never_treated' needs units that are never treated, but every "
            f"{unit} in '{cohort}' is treated at some point. Fix: use "
            "control_group='not_yet_treated' (later cohorts serve as comparisons until "
            "they are treated), or add never-treated comparison units.")

    ymat = as_grid(y, cells, n)                         # a view when sorted by unit, period
    xmat = np.empty((n, T, len(xs)))
    for j, xv in enumerate(xs):
        xmat[ucodes, tcodes, j] = xv
    ymat, xmat, g_ord, unit_never = ymat[keep], xmat[keep], g_ord[keep], unit_never[keep]

    if not unit_never.any():
        # R did: with no never-treated units, the last cohort becomes the comparison group
        # and periods from its start (minus anticipation) on are dropped.
        last = g_ord.max()
        tkeep = all_ords < last - anticipation
        if tkeep.sum() < 2:
            raise DataError(
                f"Every {unit} is treated and fewer than two periods precede the last cohort; "
                "no comparison is possible. Fix: add never-treated units or earlier periods.")
        notes.append(Caveat("cs_last_cohort_control",
                            cohort=str(pd.Period(ordinal=int(last), freq=pidx.freq)),
                            n=int((g_ord == last).sum())))
        unit_never = g_ord == last
        g_ord = np.where(unit_never, np.iinfo(np.int64).max, g_ord)
        all_ords, ymat, xmat = all_ords[tkeep], ymat[:, tkeep], xmat[:, tkeep]
        if not (g_ord[~unit_never] > all_ords[0] + anticipation).any():
            raise DataError("No cohort is left with a pre-treatment period after using the "
                            "last cohort as comparison. Fix: add never-treated units.")

    cohort_ords = np.unique(g_ord[~unit_never])
    g_idx = np.where(unit_never, -1, np.searchsorted(cohort_ords, g_ord))
    plist = pd.PeriodIndex([pd.Period(ordinal=int(o), freq=pidx.freq) for o in all_ords])
    labels = [str(pd.Period(ordinal=int(o), freq=pidx.freq)) for o in cohort_ords]
    sizes = np.bincount(g_idx[g_idx >= 0], minlength=len(cohort_ords))
    return _Panel(y=ymat, x=xmat, g_idx=g_idx, periods=plist, cohort_ords=cohort_ords,
                  cohort_labels=labels, cohort_sizes=sizes, n_never=int(unit_never.sum()),
                  freq=freq, notes=notes)


# -- ATT(g,t) ---------------------------------------------------------------------------------
@dataclass
class _ByType:
    """Influence functions of the ATT(g,t) without covariates, kept in factored form.

    Unit ``i`` of type ``τ`` (its cohort, or never treated) has, for cell ``k``, the influence
    function ``coef[τ, k] * (y_i[late_k] - y_i[early_k] - centre[τ, k])``, i.e. the row
    ``ydot_i @ delta @ diag(coef[τ]) + shift[τ]``, where ``ydot`` is the outcome minus the
    type's mean in each period and minus the unit's own mean (so it sums to zero within a
    type) and ``delta`` (periods × cells) holds +1 at ``late_k`` and -1 at ``early_k``. The
    n × K matrix of influence functions (gigabytes for national panels) is never formed:
    cross-products need only each type's periods × periods Gram matrix ``ydot' ydot``.
    """

    rows: list[np.ndarray]     # the units of each type
    ydot: list[np.ndarray]     # (n_τ, T) centred outcomes of each type
    gram: list[np.ndarray]     # (T, T) ydot' ydot of each type
    delta: Any                 # (T, K) scipy sparse array
    coef: np.ndarray           # (types, K)
    shift: np.ndarray          # (types, K)


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
        ydot, gram = [], []
        for tau, r in enumerate(rows):
            yt = panel.y[r]
            if len(r):
                means[tau] = yt.mean(axis=0)
                yt -= means[tau]
                yt -= yt.mean(axis=1, keepdims=True)
            ydot.append(yt)
            gram.append(yt.T @ yt)
        delta = sparse.csr_array((np.repeat([1.0, -1.0], K), (np.concatenate([late, early]),
                                  np.tile(np.arange(K), 2))), shape=(T, K))
        change = (delta.T @ means.T).T                                   # (types, K)
        sums = change[:, est] * size[:, None]
        m1 = (sums * in_t).sum(axis=0) / n_t
        m0 = (sums * in_c).sum(axis=0) / n_c
        att[est] = m1 - m0
        coef = np.zeros((n_groups + 1, K))
        coef[:, est] = in_t * (n / n_t) - in_c * (n / n_c)
        centre = np.zeros((n_groups + 1, K))
        centre[:, est] = in_t * m1 + in_c * m0
        by_type = _ByType(rows, ydot, gram, delta, coef, coef * (change - centre))
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
            att[k], inf1 = fn(dy, d, x)
            inf[use, k] = inf1 * (n / n1)
    return _Cells(g=cg, t=ct, base=cb, att=att, inf=inf, by_type=None, n_used=n_used,
                  skipped=skipped)


class _Influence:
    """Influence functions ``Z = IF @ lin + onehot @ shares`` of estimates that are linear in
    the ATT(g,t) (the cells themselves and their aggregations), ``onehot`` = each unit's
    cohort; one column per estimate.

    With covariates the cells' IFs are an (n, K) matrix and Z is formed. Without, Z is never
    formed (see :class:`_ByType`): unit i of type τ has ``Z_i = ydot_i @ p_τ + c_τ``, so
    ``Z'Z = sum_τ p_τ' gram_τ p_τ + n_τ c_τ c_τ'`` (ydot sums to zero within a type) and
    ``V @ Z = sum_τ (V_τ @ ydot_τ) @ p_τ + (V_τ 1) c_τ``.
    """

    def __init__(self, cells: _Cells, g_idx: np.ndarray, lin: np.ndarray,
                 shares: np.ndarray) -> None:
        self.n, self.q = len(g_idx), lin.shape[1]
        self.z: np.ndarray | None = None
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        bt = cells.by_type
        if bt is None:
            from scipy import sparse

            self.z = np.asarray(cells.inf @ sparse.csr_array(lin))
            treated = g_idx >= 0
            self.z[treated] += shares[g_idx[treated]]
            return
        n_groups = len(shares)
        for tau, rows in enumerate(bt.rows):
            if not len(rows):
                continue
            p = bt.delta @ (bt.coef[tau][:, None] * lin)                # (T, q)
            c = bt.shift[tau] @ lin + (shares[tau] if tau < n_groups else 0.0)
            self.blocks.append((rows, bt.ydot[tau], bt.gram[tau], np.asarray(p), c))

    def sum_squares(self) -> np.ndarray:
        """``sum_i Z_i**2`` for every column."""
        if self.z is not None:
            return np.einsum("ij,ij->j", self.z, self.z)
        return sum(np.einsum("ij,ij->j", p, gram @ p) + len(rows) * c**2
                   for rows, _, gram, p, c in self.blocks)

    def cross(self) -> np.ndarray:
        """``Z'Z``."""
        if self.z is not None:
            return self.z.T @ self.z
        return sum(p.T @ gram @ p + len(rows) * np.outer(c, c)
                   for rows, _, gram, p, c in self.blocks)

    def times(self, v: np.ndarray) -> np.ndarray:
        """``V @ Z`` for a (m, n) matrix ``V``."""
        if self.z is not None:
            return v @ self.z
        out = np.zeros((len(v), self.q))
        for rows, ydot, _, p, c in self.blocks:
            vt = v[:, rows]
            out += (vt @ ydot) @ p + vt.sum(axis=1)[:, None] * c
        return out


def _ols(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of y on x over ``mask`` and the inverse of (X'X / n) over all rows' n."""
    xc = x[mask]
    beta = np.linalg.lstsq(xc, y[mask], rcond=None)[0]
    xpx = (xc.T @ xc) / len(x)
    return beta, np.linalg.pinv(xpx)


def _logit(x: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit fit by Newton-Raphson: fitted probabilities and n * vcov (the inverse Hessian)."""
    n, k = x.shape
    p1 = d.mean()
    if k == 1 and np.all(x[:, 0] == 1):  # intercept only: closed form
        return np.full(n, p1), np.array([[1.0 / (p1 * (1 - p1))]])
    beta = np.zeros(k)
    if x.shape[1] >= 1 and np.all(x[:, 0] == 1):
        beta[0] = np.log(p1 / (1 - p1))
    for _ in range(100):
        p = expit(x @ beta)
        w = p * (1 - p)
        hess = x.T @ (x * w[:, None])
        step = np.linalg.lstsq(hess, x.T @ (d - p), rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    p = expit(x @ beta)
    w = p * (1 - p)
    hess = x.T @ (x * w[:, None])
    return p, np.linalg.pinv(hess) * n


def _reg(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for panels (DRDID::reg_did_panel)."""
    beta, xpx_inv = _ols(x, dy, d == 0)
    out = x @ beta
    m_t = d.mean()
    eta_t = np.mean(d * dy) / m_t
    eta_c = np.mean(d * out) / m_t
    lin_ols = ((1 - d) * (dy - out))[:, None] * x @ xpx_inv
    inf_treat = d * (dy - eta_t) / m_t
    m1 = (d[:, None] * x).mean(axis=0)
    inf_control = (d * (out - eta_c) + lin_ols @ m1) / m_t
    return float(eta_t - eta_c), inf_treat - inf_control


def _ipw(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Normalised (Hajek) IPW DiD for panels (DRDID::std_ipw_did_panel)."""
    ps, hess = _logit(x, d)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 0, ps < TRIM_LEVEL, True)
    w_t = trim * d
    w_c = trim * ps * (1 - d) / (1 - ps)
    eta_t = np.mean(w_t * dy) / w_t.mean()
    eta_c = np.mean(w_c * dy) / w_c.mean()
    lin_ps = ((d - ps)[:, None] * x) @ hess
    inf_treat = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
    inf_control = (w_c * dy - w_c * eta_c + lin_ps @ m2) / w_c.mean()
    return float(eta_t - eta_c), inf_treat - inf_control


def _dr(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD for panels (DRDID::drdid_panel)."""
    ps, hess = _logit(x, d)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 0, ps < TRIM_LEVEL, True)
    beta, xpx_inv = _ols(x, dy, d == 0)
    out = x @ beta
    w_t = trim * d
    w_c = trim * ps * (1 - d) / (1 - ps)
    resid = dy - out
    eta_t = np.mean(w_t * resid) / w_t.mean()
    eta_c = np.mean(w_c * resid) / w_c.mean()
    lin_ols = ((1 - d) * resid)[:, None] * x @ xpx_inv
    lin_ps = ((d - ps)[:, None] * x) @ hess
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_treat = (w_t * resid - w_t * eta_t - lin_ols @ m1) / w_t.mean()
    m2 = ((w_c * (resid - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_control = (w_c * resid - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return float(eta_t - eta_c), inf_treat - inf_control


_ESTIMATOR_FUNCS = {"reg": _reg, "ipw": _ipw, "dr": _dr}


# -- aggregation (R did::aggte) ---------------------------------------------------------------
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
    pgg = np.bincount(panel.g_idx[treated], minlength=n_groups) / n   # P(G = g), all units
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


# -- bootstrap, series, pre-trend -------------------------------------------------------------
def _multiplier_bootstrap(scores: _Influence, sets: dict[str, np.ndarray], *, draws: int,
                          seed: int | None, alpha: float) -> tuple[np.ndarray, dict[str, float]]:
    """Multiplier bootstrap over unit influence functions (R did ``mboot``, Mammen weights).

    Returns bootstrap standard errors (interquartile range / 1.349, divided by sqrt(n)) and
    the sup-t critical value of each set of columns.
    """
    n, k = scores.n, scores.q
    rng = np.random.default_rng(seed)
    p_low = _MAMMEN_KAPPA / np.sqrt(5.0)
    res = np.empty((draws, k))
    chunk = max(1, int(2e7 // max(n, 1)))
    for s in progress(range(0, draws, chunk), desc="multiplier bootstrap", unit="chunk"):
        m = min(chunk, draws - s)
        v = np.where(rng.random((m, n)) < p_low, 1 - _MAMMEN_KAPPA, _MAMMEN_KAPPA)
        res[s:s + m] = scores.times(v) / np.sqrt(n)      # sqrt(n) * mean(v * IF)
    q75 = np.quantile(res, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(res, 0.25, axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    sigma[sigma <= _TINY] = np.nan
    crit = {}
    for name, cols in sets.items():
        cols = np.asarray(cols, dtype=int)
        ok = cols[np.isfinite(sigma[cols])]
        if len(ok) == 0:
            crit[name] = float("nan")
            continue
        t_max = np.max(np.abs(res[:, ok] / sigma[ok]), axis=1)
        crit[name] = float(np.quantile(t_max[np.isfinite(t_max)], 1 - alpha,
                                       method="inverted_cdf"))
    return sigma / np.sqrt(n), crit


def _series(panel: _Panel, cells: _Cells, aggs: list[_Agg], att: np.ndarray, se: np.ndarray,
            z: float, crit: dict[str, float]) -> pd.DataFrame:
    kcells = len(cells.att)
    recs = []
    for i, a in enumerate(aggs):
        if a.key is None or a.kind == "simple":
            continue
        j = kcells + i
        rec = {"aggregation": a.kind, "key": str(a.key), "estimate": att[j],
               "std_error": se[j],
               "group": a.key if a.kind == "group" else None,
               "time": a.key if a.kind == "calendar" else None,
               "event_time": float(a.key) if a.kind == "event" else np.nan}
        if crit:
            c = crit["event"] if a.kind == "event" else np.nan
            rec.update(band_low=att[j] - c * se[j], band_high=att[j] + c * se[j])
        recs.append(rec)
    for k in range(kcells):
        g = panel.cohort_labels[cells.g[k]]
        t = str(panel.periods[cells.t[k]])
        rec = {"aggregation": "gt", "key": f"{g}_{t}", "estimate": att[k], "std_error": se[k],
               "group": g, "time": t,
               "event_time": float(panel.ords[cells.t[k]] - panel.cohort_ords[cells.g[k]])}
        if crit:
            rec.update(band_low=att[k] - crit["gt"] * se[k],
                       band_high=att[k] + crit["gt"] * se[k])
        recs.append(rec)
    frame = pd.DataFrame(recs)
    frame.insert(4, "ci_low", frame["estimate"] - z * frame["std_error"])
    frame.insert(5, "ci_high", frame["estimate"] + z * frame["std_error"])
    order = ["aggregation", "key", "estimate", "std_error", "ci_low", "ci_high"]
    if crit:
        order += ["band_low", "band_high"]
    order += ["group", "time", "event_time"]
    return frame[order].reset_index(drop=True)


def _pre_trend(panel: _Panel, cells: _Cells, anticipation: int) -> Diagnostic:
    """Wald test that every pre-treatment ATT(g,t) is zero (R did's ``W`` pre-test)."""
    g_ord = panel.cohort_ords[cells.g]
    t_ord = panel.ords[cells.t]
    pre = (t_ord < g_ord - anticipation) & (cells.t != cells.base)
    idx = np.flatnonzero(pre)
    null = "every pre-treatment group-time effect ATT(g,t) is zero (parallel trends)"
    if len(idx) == 0:
        return Diagnostic(name="pre_trend", null=null, statistic=float("nan"),
                          p_value=float("nan"), passed=True,
                          message="no pre-treatment group-time effect to test")
    n = panel.n
    b = cells.att[idx]
    lin = np.zeros((len(cells.att), len(idx)))
    lin[idx, np.arange(len(idx))] = 1.0
    pre_scores = _Influence(cells, panel.g_idx, lin, np.zeros((len(panel.cohort_ords), len(idx))))
    v = pre_scores.cross() / n ** 2                 # covariance of the estimates
    table = pd.DataFrame({"term": [cells.term(k, panel) for k in idx], "estimate": b,
                          "std_error": np.sqrt(np.diag(v))})
    rank = int(np.linalg.matrix_rank(v))
    singular = rank < len(idx) or np.linalg.cond(v) > 1 / np.finfo(float).eps
    n_treated = int((panel.g_idx >= 0).sum())
    if len(idx) >= n_treated - 1 or singular:
        # more pre-treatment cells than treated units: their covariance is (nearly)
        # singular and the joint Wald statistic explodes. Test instead that their average
        # is zero (1 df): short-difference placebos average away from zero exactly when
        # the groups' levels drift apart before treatment.
        # with so few treated units the variance is itself noisy: t(n_treated - 1) reference
        c = np.full(len(idx), 1 / len(idx))
        wald = float((c @ b) ** 2 / (c @ v @ c))
        df_t = max(n_treated - 1, 1)
        null = "the pre-treatment group-time effects ATT(g,t) average zero (parallel trends)"
        p = float(stats.f.sf(wald, 1, df_t))
        msg = (f"test that the {len(idx)} pre-treatment ATT(g,t) average zero (too few "
               f"treated units, {n_treated}, for a joint test): F(1, {df_t}) = {wald:.2f}, "
               f"p = {p:.3f}")
    else:
        wald = float(b @ np.linalg.solve(v, b))
        df = len(idx)
        p = float(stats.chi2.sf(wald, df))
        msg = (f"joint Wald test of {len(idx)} pre-treatment ATT(g,t): chi2({df}) = "
               f"{wald:.2f}, p = {p:.3f}")
    return Diagnostic(name="pre_trend", null=null, statistic=wald, p_value=p,
                      passed=p >= 0.05, table=table, message=msg)
