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

from evalkit._checks import FEW_CLUSTERS
from evalkit._progress import progress
from evalkit.core.absorb import as_grid
from evalkit.data.io import read_table
from evalkit.data.periods import coded_periods, to_periods
from evalkit.data.validate import (
    _fmt,
    check_numeric,
    check_positive,
    check_unique,
    require_columns,
)
from evalkit.designs._common import (
    RATE_PER,
    as_list,
    check_alpha,
    check_choice,
    cohort_or_treatment,
    never_treated,
    provenance,
)
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import RELATIVE_COLUMNS, Diagnostic, EvaluationResult, effects_table

__all__ = ["staggered_did"]

ControlGroup = Literal["auto", "never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]

SMALL_COHORT = 3
#: fewest never-treated units (plus one per covariate) for a never-treated comparison: R did
#: stops below it ("never treated group is too small"), and csdid does the same
MIN_NEVER_TREATED = 5
MIN_BOOTSTRAP = 100
TRIM_LEVEL = 0.995
_TINY = float(np.sqrt(np.finfo(float).eps) * 10)  # R did: smaller SEs are reported as NA
_MAMMEN_KAPPA = (np.sqrt(5.0) + 1.0) / 2.0
#: eigenvalues of the pre-trend covariance below this share of the largest are rounding
#: noise of a singular matrix (its rank is at most the number of clusters)
_RANK_TOL = 1e-10
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
    cohort: str | None = None,
    treatment: str | None = None,
    control_group: ControlGroup = "auto",
    method: Method = "dr",
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
    exposure: str | None = None,
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
    cohort : str, optional
        First treated period of each unit, at the data's frequency; 0, empty, NaN or
        ``"never"`` for never-treated units. Constant within unit. Units first treated in
        the first period (or within ``anticipation`` of it) are dropped with a note; a
        cohort after the last period counts as never treated (as in R ``did``).
    treatment : str, optional
        0/1 treatment column, read instead of ``cohort``: each unit's first period with a 1
        is its cohort (units never at 1 are never treated).
    control_group : {"auto", "never_treated", "not_yet_treated"}
        Comparison units: never treated, or not yet treated (never-treated units plus
        those whose treatment starts after ``max(t, base) + anticipation``). ``"auto"``
        (default): never treated when at least ``MIN_NEVER_TREATED`` (5) plus one per
        covariate units are never treated, else not yet treated; the choice is in
        ``spec["control_group"]`` (``spec["control_group_requested"]`` keeps "auto") and
        a switch is a caveat. ``"never_treated"`` with fewer never-treated units is
        refused, as R ``did`` does (a comparison of every cohort with one or two areas
        passes their own shocks off as effects).
    method : {"dr", "ipw", "reg"}
        Estimator of each ATT(g,t) (see the module docstring).
    covariates : sequence of str
        Numeric covariates for the outcome model and/or propensity score.
    weights : str, optional
        Unit weights (e.g. population), as R ``did``'s ``weightsname``: they weight the
        units in every ATT(g,t) (means, outcome regression, propensity score) and in the
        cohort shares of the aggregations. Must be positive and constant within each
        unit (R did would use the earlier period's weight of each comparison; evalkit
        refuses rather than choose silently).
    cluster : str, optional
        Cluster column, constant within units (e.g. the state of a county when the policy
        is set by states). The influence functions are summed within clusters:
        ``se = sqrt(sum_c (sum_{i in c} IF_i)^2) / n`` (the analytic counterpart of R
        ``did``'s clustered multiplier bootstrap, ``clustervars``; R's analytic standard
        errors ignore clustering). Default: the unit.
    exposure : str, optional
        Population (or other exposure) column, positive: the outcome is modelled as the
        rate ``outcome / exposure``, as :func:`evalkit.did` does for linear models.
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
    check_choice("control_group", control_group, ("auto", "never_treated", "not_yet_treated"))
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
    given_cohort = cohort
    data, cohort = cohort_or_treatment(data, cohort=cohort, treatment=treatment, unit=unit,
                                       time=time)
    params = {"outcome": outcome, "unit": unit, "time": time,
              "cohort": given_cohort, "treatment": treatment,
              "control_group": control_group, "method": method, "covariates": covariates,
              "weights": weights, "cluster": cluster, "exposure": exposure,
              "anticipation": anticipation,
              "base_period": base_period,
              "balance_e": balance_e, "bootstrap": bootstrap, "seed": seed, "alpha": alpha}
    if bootstrap is not None and seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])

    panel = _prepare(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                     covariates=covariates, control_group=control_group,
                     anticipation=anticipation, weights=weights, cluster=cluster,
                     exposure=exposure)
    requested, control_group = control_group, panel.control_group
    cells = _att_gt(panel, control_group=control_group, method=method,
                    anticipation=anticipation, base_period=base_period)
    aggs, lin, shares = _aggregate(panel, cells, balance_e=balance_e)

    # -- inference ----------------------------------------------------------------------------
    n = panel.n
    n_cells = len(cells.att)
    att = np.concatenate([cells.att] + [[a.estimate] for a in aggs])
    scores = _Influence(cells, panel, np.hstack([np.eye(n_cells), lin]),
                        np.hstack([np.zeros((len(shares), n_cells)), shares]))
    se = np.sqrt(scores.sum_squares()) / n
    se[se <= _TINY] = np.nan
    crit: dict[str, float] = {}
    if bootstrap is not None:
        event_cols = [i for i, a in enumerate(aggs) if a.kind == "event" and a.key is not None]
        sets = {"gt": np.arange(n_cells), "event": n_cells + np.asarray(event_cols, dtype=int)}
        se, crit = _multiplier_bootstrap(scores, sets, draws=bootstrap, seed=seed, alpha=alpha)
    n_clusters = scores.rows

    z = float(ndtri(1 - alpha / 2))
    n_rows = panel.n * panel.n_periods
    shown = [i for i, a in enumerate(aggs) if a.kind != "calendar" or a.key is None]
    idx = np.asarray([len(cells.att) + i for i in shown] + list(range(len(cells.att))))
    terms = [aggs[i].name for i in shown] + [cells.term(k, panel) for k in range(len(cells.att))]
    n_obs = ([int(aggs[i].n_obs if aggs[i].n_obs is not None else n_rows) for i in shown]
             + [int(2 * m) for m in cells.n_used])
    simple = next((i for i, a in enumerate(aggs) if a.name == "att_simple"), None)
    relative = {}
    treated_mean = float("nan")
    if simple is not None:
        treated_mean = _treated_mean(panel, cells, lin[:, simple])
        j = len(cells.att) + simple
        relative[shown.index(simple)] = _ratio(treated_mean, att[j], att[j] - z * se[j],
                                               att[j] + z * se[j])
    effects = _effects(terms, att[idx], se[idx], n_obs, z, relative)

    series = _series(panel, cells, aggs, att, se, z, crit)
    diag = _pre_trend(panel, cells, anticipation)

    # -- caveats ------------------------------------------------------------------------------
    warn: list[Caveat] = []
    for g, size in zip(panel.cohort_labels, panel.cohort_sizes, strict=True):
        if size < SMALL_COHORT:
            warn.append(Caveat("cs_small_cohort", cohort=g, n=int(size)))
    if requested == "auto" and control_group == "not_yet_treated" and panel.n_never_data:
        warn.append(Caveat("cs_control_auto", n=int(panel.n_never_data),
                           threshold=MIN_NEVER_TREATED + len(covariates)))
    if panel.cluster is None and n < FEW_CLUSTERS:
        warn.append(Caveat("cs_few_clusters", n=int(n), threshold=FEW_CLUSTERS))
    elif panel.cluster is not None and n_clusters < FEW_CLUSTERS:
        warn.append(Caveat("few_clusters", n=int(n_clusters), threshold=FEW_CLUSTERS))
    if diag.table is not None and np.isfinite(diag.p_value) and not diag.passed:
        warn.append(Caveat("cs_pre_trend", p=float(diag.p_value)))
    if cells.skipped:
        panel.notes.append(Caveat("cs_cells_skipped", n=len(cells.skipped),
                                  cells=", ".join(cells.skipped[:5])))

    cluster_col = unit if panel.cluster is None else cluster
    clustering = f"clustered by {cluster_col} ({n_clusters} clusters)"
    spec = {"outcome": outcome, "design": "staggered_did", "unit": unit, "time": time,
            "cohort": cohort, "control_group": control_group,
            "control_group_requested": requested, "method": method,
            "estimator": _ESTIMATORS[method], "covariates": covariates, "weights": weights,
            "exposure": exposure,
            "outcome_scale": "rate per 100,000 of exposure" if exposure else None,
            "anticipation": anticipation, "base_period": base_period,
            "balance_e": balance_e, "bootstrap": bootstrap,
            "bootstrap_weights": "Mammen" if bootstrap is not None else None,
            "cluster": cluster_col,
            "vcov": (f"multiplier bootstrap (Mammen weights), {clustering}"
                     if bootstrap is not None else f"influence function, {clustering}"),
            "relative_effect": ("att_simple: observed mean of the treated post-treatment "
                                "cells it averages / (that mean - ATT), interval from the "
                                "ATT's with that mean held fixed"),
            "alpha": alpha, "freq": panel.freq}
    sample = {"n_obs": n_rows, "n_units": int(n), "n_periods": int(panel.n_periods),
              "n_cohorts": len(panel.cohort_labels),
              "n_treated_units": int(panel.cohort_sizes.sum()),
              "n_never_treated": int(panel.n_never), "n_clusters": int(n_clusters),
              "treated_mean_post": treated_mean,
              "n_att_gt": len(cells.att),
              "cohort_sizes": dict(zip(panel.cohort_labels,
                                       map(int, panel.cohort_sizes), strict=True)),
              # the areas of small cohorts, so that a report can name a cohort of one
              "cohort_units": {g: [_plain(u) for u in panel.unit_labels[panel.g_idx == gi]]
                               for gi, g in enumerate(panel.cohort_labels)
                               if panel.cohort_sizes[gi] < SMALL_COHORT},
              "first_period": str(panel.periods[0]), "last_period": str(panel.periods[-1]),
              "notes": panel.notes}
    return EvaluationResult(
        method="staggered_did", spec=spec, effects=effects, series=series,
        diagnostics=(diag,), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=seed),
    )


def _effects(terms: list[str], est: np.ndarray, se: np.ndarray, n_obs: list[int],
             z: float, relative: dict[int, tuple[float, float, float]]) -> pd.DataFrame:
    """The effects table: :func:`evalkit.results.effect_row` with a normal reference,
    vectorised over the (often hundreds of) terms; ``relative`` = rate ratios by row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where((se > 0) & np.isfinite(se), 2 * ndtr(-np.abs(est) / se), np.nan)
    rows = [{
        "term": terms[i], "estimate": float(est[i]), "std_error": float(se[i]),
        "ci_low": float(est[i] - z * se[i]), "ci_high": float(est[i] + z * se[i]),
        "p_value": float(p[i]), "scale": "additive", "n_obs": n_obs[i]}
        for i in range(len(terms))]
    for i, ratio in relative.items():
        rows[i].update(zip(RELATIVE_COLUMNS, ratio, strict=True))
    return effects_table(rows)


def _plain(value: Any) -> Any:
    """A unit label as a JSON-friendly Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _treated_mean(panel: _Panel, cells: _Cells, weights: np.ndarray) -> float:
    """Observed mean outcome of the treated cells an aggregation averages, with its cell
    weights: only cohorts and periods the estimator used (not dropped units)."""
    used = np.flatnonzero(weights)
    means = np.full(len(used), np.nan)
    for j, k in enumerate(used):
        rows = panel.g_idx == cells.g[k]
        means[j] = np.average(panel.y[rows, cells.t[k]],
                              weights=None if panel.w is None else panel.w[rows])
    return float(weights[used] @ means)


def _ratio(observed: float, att: float, lo: float, hi: float) -> tuple[float, float, float]:
    """Rate ratio observed / (observed - att) and its interval from the ATT's (observed
    held fixed; monotone in att). An upper bound at or beyond the observed mean means the
    counterfactual could be 0: the ratio is unbounded (inf). NaN when the outcome's mean
    or the counterfactual at the estimate is not positive (no rate to compare)."""
    if not (np.isfinite(observed) and observed > 0 and observed - att > 0):
        return (float("nan"),) * 3

    def r(a: float) -> float:
        if not np.isfinite(a):
            return float("nan") if np.isnan(a) else (0.0 if a < 0 else float("inf"))
        return observed / (observed - a) if observed - a > 0 else float("inf")
    return r(att), r(lo), r(hi)


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
    w: np.ndarray | None = None        # (n,) unit weights, mean 1; None = equal weights
    cluster: np.ndarray | None = None  # (n,) cluster codes; None = each unit its own cluster
    control_group: str = "never_treated"  # the comparison used ("auto" resolved)
    n_never_data: int = 0                 # never-treated units in the data
    unit_labels: np.ndarray | None = None

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
             covariates: list[str], control_group: str, anticipation: int,
             weights: str | None = None, cluster: str | None = None,
             exposure: str | None = None) -> _Panel:
    df = read_table(data)
    cols = list(dict.fromkeys([outcome, unit, time, cohort, *covariates]
                              + [c for c in (weights, cluster, exposure) if c]))
    require_columns(df, cols)
    if len({outcome, unit, time, cohort}) < 4:
        raise SpecError(f"outcome, unit, time and cohort must be four different columns; got "
                        f"{outcome!r}, {unit!r}, {time!r}, {cohort!r}.")
    y = check_numeric(df, outcome, nonnegative=False).to_numpy()
    if exposure:
        check_positive(df, exposure)
        y = y / df[exposure].to_numpy(float) * RATE_PER  # the rate per 100,000
    xs = [check_numeric(df, c, nonnegative=False).to_numpy() for c in covariates]
    if df[unit].isna().any():
        rows = list(df.index[df[unit].isna()][:5])
        raise DataError(f"Column '{unit}' must name a unit in every row, but rows {rows} are "
                        "missing. Fix: fill in the unit or drop these rows.")
    coded = coded_periods(df[time], column=time)
    periods, freq, tcodes = coded.periods, coded.freq, coded.codes
    notes: list[Caveat] = []
    min_never = MIN_NEVER_TREATED + len(covariates)
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

    w_unit = None
    if weights:
        check_positive(df, weights)
        w_unit = _per_unit(df[weights].to_numpy(float), ucodes, first_row, ulabels,
                           column=weights, unit=unit, what="weight")
    cl_unit = None
    if cluster and cluster != unit:
        if df[cluster].isna().any():
            rows = list(df.index[df[cluster].isna()][:5])
            raise DataError(f"Column '{cluster}' (the cluster) is missing in rows {rows}. "
                            "Fix: fill in the cluster of every row or drop these rows.")
        cl_unit = _per_unit(pd.factorize(df[cluster])[0], ucodes, first_row, ulabels,
                            column=cluster, unit=unit, what="cluster")

    n_never_data = int(unit_never[keep].sum())
    if control_group == "auto":
        control_group = ("never_treated" if int(unit_never[keep].sum()) >= min_never
                         else "not_yet_treated")
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
    if w_unit is not None:
        w_unit = w_unit[keep] / w_unit[keep].mean()   # scale-free: mean 1, as R did
    if cl_unit is not None:
        cl_unit = pd.factorize(cl_unit[keep])[0]
    if control_group == "never_treated" and 0 < unit_never.sum() < min_never:
        raise DataError(
            f"control_group='never_treated' needs at least {min_never} never-treated "
            f"{unit}s (5 plus one per covariate, R did's rule), but only "
            f"{int(unit_never.sum())} never-treated {unit}(s) remain: every cohort would be "
            "compared with so few areas that their idiosyncratic changes pass for effects "
            "and the standard errors are unreliable. Fix: use control_group='auto' or "
            "'not_yet_treated' (later cohorts serve as comparisons until they start), or add "
            "never-treated comparison areas.")

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
                  freq=freq, notes=notes, w=w_unit, cluster=cl_unit,
                  control_group=control_group, unit_labels=np.asarray(ulabels)[keep],
                  n_never_data=n_never_data)


def _per_unit(values: np.ndarray, ucodes: np.ndarray, first_row: np.ndarray,
              ulabels: pd.Index, *, column: str, unit: str, what: str) -> np.ndarray:
    """One value per unit (its first row's); refuses a column that varies within a unit."""
    per_unit = values[first_row]
    varies = values != per_unit[ucodes]
    if varies.any():
        bad = ", ".join(_fmt(ulabels[i]) for i in np.unique(ucodes[varies])[:5])
        fix = ("take one weight per area, e.g. its population in the first period or its "
               "average population" if what == "weight" else
               "give each area the cluster it belongs to throughout")
        raise DataError(
            f"Column '{column}' (the {what}) must be constant within each {unit}, but units "
            f"[{bad}] have several values: group-time estimates compare each area's change "
            f"over time, so each area needs one {what}. Fix: {fix}.")
    return per_unit


# -- ATT(g,t) ---------------------------------------------------------------------------------
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


# -- bootstrap, series, pre-trend -------------------------------------------------------------
def _multiplier_bootstrap(scores: _Influence, sets: dict[str, np.ndarray], *, draws: int,
                          seed: int | None, alpha: float) -> tuple[np.ndarray, dict[str, float]]:
    """Multiplier bootstrap over unit influence functions (R did ``mboot``, Mammen weights).

    Returns bootstrap standard errors (interquartile range / 1.349, divided by sqrt(n)) and
    the sup-t critical value of each set of columns.
    """
    n, k = scores.n, scores.q
    rows = scores.rows  # one Mammen draw per cluster (R did mboot with clustervars)
    rng = np.random.default_rng(seed)
    p_low = _MAMMEN_KAPPA / np.sqrt(5.0)
    res = np.empty((draws, k))
    chunk = max(1, int(2e7 // max(rows, 1)))
    for s in progress(range(0, draws, chunk), desc="multiplier bootstrap", unit="chunk"):
        m = min(chunk, draws - s)
        v = np.where(rng.random((m, rows)) < p_low, 1 - _MAMMEN_KAPPA, _MAMMEN_KAPPA)
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
    """Joint Wald test that the pre-treatment ATT(g,t) are zero (R did's pre-test).

    ``W = b' V^+ b`` with ``V`` the influence-function covariance of the pre-treatment
    cells and ``q = rank(V)`` (the Moore-Penrose inverse tests every direction the data
    identify; R did gives up when ``V`` is singular). ``V`` rests on the treated and on
    the comparison clusters, and the smaller set, ``G``, limits it: ``W`` is referred to
    Hotelling's ``T²``, ``F = W (G - q) / (q (G - 1))`` on ``(q, G - q)`` degrees of
    freedom (chi-squared(q), R's reference, is its limit for large G; on mpdta, G = 191
    treated counties, R's p = 0.16812 becomes 0.184), and a joint test of ``q`` effects
    needs ``q <= (G - 1) / 2``. In simulations under parallel trends (200 draws) this
    rejected 0-1 % at the 5 % level, where chi-squared(q) with 8 treated units and 9
    pre-treatment cells rejected 50 %: conservative, never over-rejecting. With more cells
    than that (state panels over decades), the test is joint on the average of all the
    cells (powerful against a steady differential trend) and the event-time effects
    nearest the start (cells averaged by event time, weighted by cohort size as
    ``att_event_<e>``), as many as ``G`` allows: swings of opposite sign, which an average
    alone cancels, still show.
    """
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
    clusters = np.arange(n) if panel.cluster is None else panel.cluster
    treated = panel.g_idx >= 0
    g_small = min(len(np.unique(clusters[treated])), len(np.unique(clusters[~treated])))
    room = (g_small - 1) // 2                       # effects a joint test can take
    g = g_small  # the total number of clusters over-rejected (17 % at 5 %, 8 of 48 treated)
    e_time = (t_ord - g_ord).astype(int)
    pg = np.bincount(panel.g_idx[treated], minlength=len(panel.cohort_ords),
                     weights=None if panel.w is None else panel.w[treated])[cells.g]
    # fallback: the average of all the pre-treatment cells (powerful against a steady
    # differential trend, which moves every short difference the same way) with the
    # event-time effects nearest the start (against swings, which an average cancels)
    events = np.unique(e_time[idx])[::-1][:max(room - 1, 0)]   # nearest the start first
    stages = [("cells", [np.asarray([k]) for k in idx], [cells.term(k, panel) for k in idx]),
              ("events", [idx] + [idx[e_time[idx] == e] for e in events],
               ["pre_average"] + [f"att_event_{e}" for e in events])]
    table = None
    for stage, groups, terms in stages:
        if not groups:
            break
        lin = np.zeros((len(cells.att), len(groups)))
        for j, members in enumerate(groups):
            lin[members, j] = pg[members] / pg[members].sum()
        scores = _Influence(cells, panel, lin, np.zeros((len(panel.cohort_ords), len(groups))))
        v = scores.cross() / n ** 2                 # covariance of the estimates
        b = cells.att @ lin
        if table is None:
            table = pd.DataFrame({"term": terms, "estimate": b,
                                  "std_error": np.sqrt(np.diag(v))})
        vals, vecs = np.linalg.eigh((v + v.T) / 2)
        keep = vals > max(vals.max(), 0.0) * _RANK_TOL
        q = int(keep.sum())
        if q == 0:
            return Diagnostic(name="pre_trend", null=null, statistic=float("nan"),
                              p_value=float("nan"), passed=True, table=table,
                              message="the pre-treatment group-time effects have no variance")
        if q > room:
            continue
        proj = vecs[:, keep].T @ b
        wald = float(proj @ (proj / vals[keep]))
        f_stat = wald * (g - q) / (q * (g - 1))
        p = float(stats.f.sf(f_stat, q, g - q))
        nearest = (f" and the {len(events)} event-time effects nearest the start "
                   f"({int(events[-1])} to {int(events[0])})" if len(events) else "")
        what = (f"the {len(idx)} pre-treatment group-time effects ATT(g,t) are all zero"
                if stage == "cells" else
                f"the average of the {len(idx)} pre-treatment ATT(g,t){nearest} are all zero "
                f"(too many cells for {g_small} treated or comparison clusters)")
        rank_note = "" if q == len(groups) else f"; covariance of rank {q}: pseudo-inverse"
        msg = (f"joint Wald test that {what}: W = {wald:.2f}{rank_note}; Hotelling "
               f"F({q}, {g - q}) = {f_stat:.2f}, p = {p:.3f}")
        return Diagnostic(name="pre_trend", null=null, statistic=wald, p_value=p,
                          passed=p >= 0.05, table=table, message=msg)
    return Diagnostic(name="pre_trend", null=null, statistic=float("nan"),
                      p_value=float("nan"), passed=True, table=table,
                      message=f"too few treated or comparison clusters ({g_small}) for a joint "
                              "test "
                              "of the pre-treatment effects")
