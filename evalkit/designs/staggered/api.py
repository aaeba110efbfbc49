"""Staggered roll-out: the public function :func:`staggered_did` and the assembly of its result."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from evalkit._checks import FEW_CLUSTERS
from evalkit.data.panel import Panel, panel_roles
from evalkit.designs._common import (
    as_list,
    check_alpha,
    check_choice,
    cohort_or_treatment,
    provenance,
)
from evalkit.designs.staggered.aggregation import _aggregate
from evalkit.designs.staggered.att_gt import _att_gt, _Cells, _Influence
from evalkit.designs.staggered.inference import _inference, _pre_trend, _series
from evalkit.designs.staggered.preparation import MIN_NEVER_TREATED, _check_int, _Panel, _prepare
from evalkit.i18n import Caveat
from evalkit.results import (
    RELATIVE_COLUMNS,
    EvaluationResult,
    Extras,
    effects_table,
    warns_at_caller,
)

ControlGroup = Literal["auto", "never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]

SMALL_COHORT = 3
MIN_BOOTSTRAP = 100
_ESTIMATORS = {
    "reg": "outcome regression (DRDID::reg_did_panel)",
    "ipw": "normalised inverse probability weighting (DRDID::std_ipw_did_panel)",
    "dr": "locally efficient doubly robust, Sant'Anna & Zhao 2020 (DRDID::drdid_panel)",
}


@warns_at_caller
def staggered_did(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
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
    data : Panel, DataFrame or path
        A balanced panel: one row per unit and period. A Panel's roles (unit, time, outcome,
        exposure) are the defaults of those arguments (and its timing of ``treatment`` is
        reused); an argument naming another column raises :class:`SpecError`.
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
        ``pre_trend``: Wald test that every pre-treatment ATT(g,t) is zero. Every interval
        is ``estimate ± z SE`` (``wald_df`` inf for every term, the SE the bootstrap's with
        ``bootstrap``); ``vcov``: the influence-function covariance of the aggregated terms
        (not of the ATT(g,t) cells, which can number thousands; None with ``bootstrap``).
        ``extras`` (:class:`StaggeredExtras`): ``treated_mean_post``.

    Raises
    ------
    DataError
        Missing columns, non-numeric values, duplicate or missing unit-periods, a cohort
        that varies within a unit, no treated cohort, or no never-treated unit with
        ``control_group="never_treated"``.
    SpecError
        Invalid options.
    """
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome", "unit", "time"), outcome=outcome, unit=unit, time=time,
        exposure=exposure).values()
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
    att, se, crit, n_clusters = _inference(panel, cells, aggs, lin, shares,
                                           bootstrap=bootstrap, seed=seed, alpha=alpha)

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
        extras=StaggeredExtras(treated_mean_post=treated_mean),
        vcov=None if bootstrap is not None else _aggregated_vcov(panel, cells, aggs, lin, shares,
                                                                  shown),
        wald_df=dict.fromkeys(terms, math.inf),
    )


@dataclass(frozen=True)
class StaggeredExtras(Extras):
    """What :func:`staggered_did` computes besides its effects and counts.

    Attributes
    ----------
    treated_mean_post : float
        Observed mean outcome of the treated post-treatment cells ``att_simple`` averages
        (the numerator of its relative effect).
    """

    treated_mean_post: float


def _aggregated_vcov(panel: _Panel, cells: _Cells, aggs: list, lin: np.ndarray,
                     shares: np.ndarray, shown: list[int]) -> pd.DataFrame:
    """Influence-function covariance of the aggregated terms in ``effects`` (their SEs are
    the square roots of its diagonal), labelled by term."""
    scores = _Influence(cells, panel, lin[:, shown], shares[:, shown])
    names = [aggs[i].name for i in shown]
    return pd.DataFrame(scores.cross() / panel.n ** 2, index=names, columns=names)


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
