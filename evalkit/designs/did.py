"""Difference-in-differences: the 2x2 design, two-way fixed effects and the event study.

* 2x2 (``treated=`` group column, ``post=`` period column): ``y = a + b treated + c post +
  att treated*post + X g``; works on panels and on repeated cross-sections.
* TWFE (``unit``, ``time``, ``treatment``): ``y_it = a_i + l_t + att D_it + X g`` with
  ``D_it`` in [0, 1] (the treated share of the period), unit and period fixed effects
  absorbed exactly.
* Event study (``cohort`` = first treated period): TWFE with one dummy per event time
  ``k = t - cohort`` except the reference period, end points binned when ``leads`` /
  ``lags`` are given, and a joint Wald test that the pre-period coefficients are zero.

``family="poisson"`` fits the same models as Poisson pseudo-maximum likelihood (counts;
``att`` is a log rate ratio, reported with ``relative_effect = exp(att)``).
Cluster-robust SEs use fixest's default small-sample correction and a t(G-1) reference.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import DEFAULT_SEED, FEW_CLUSTERS, FEW_TREATED
from evalkit.core.absorb import as_grid, grid_cells
from evalkit.core.fit import Fit, fit, fit_grid_dummies
from evalkit.data.panel import Panel, panel_roles, source_frame
from evalkit.data.periods import coded_periods, period_codes, to_periods
from evalkit.data.validate import (
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
from evalkit.inference.permutation import randomization_inference, ri_confidence_interval
from evalkit.inference.wild import wild_cluster_bootstrap
from evalkit.results import (
    Diagnostic,
    EvaluationResult,
    effect_row,
    effects_table,
    warns_at_caller,
)

__all__ = ["did", "event_study"]

#: below this many treated clusters, ``inference="auto"`` keeping the cluster-robust interval
#: uses a t reference with treated clusters - 1 degrees of freedom (``df_rule="treated"``)
DF_TREATED = 10

SE = Literal["classical", "robust", "cluster"]
Inference = Literal["auto", "cluster", "wild", "permutation"]
_PERMUTATION_REPS_POISSON = 499


@warns_at_caller
def did(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treatment: str | None = None,
    treated: str | None = None,
    post: str | None = None,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    exposure: str | None = None,
    family: Literal["ols", "poisson"] = "ols",
    cluster: str | None = None,
    se: SE = "cluster",
    inference: Inference = "auto",
    reps: int = 9999,
    seed: int | None = None,
    alpha: float = 0.05,
    df_rule: Literal["treated"] | None = None,
) -> EvaluationResult:
    """Difference-in-differences: 2x2 from group/period columns, or two-way fixed effects.

    Parameters
    ----------
    data : Panel, DataFrame or path
        A Panel's roles (unit, time, outcome, exposure) are the defaults of those arguments;
        an argument naming another column raises :class:`SpecError`.
    outcome : str
        Outcome column (counts for ``family="poisson"``).
    unit, time : str, optional
        Unit and period columns; both required for TWFE (``treatment``).
    treatment : str, optional
        TWFE treatment column ``D`` in [0, 1] (share of the period under treatment).
    treated, post : str, optional
        The 2x2 design's group (1 = treated area) and period (1 = after) columns.
    covariates : sequence of str
        Numeric control variables (added linearly).
    weights : str, optional
        Analytic (regression) weights column, e.g. population.
    exposure : str, optional
        Population (or dwellings, footfall...) at risk in each row, positive. Poisson:
        ``log(exposure)`` is an offset, so the effect is a ratio of rates per unit of
        exposure, not of counts (growth of the population is not taken for an effect).
        OLS: the outcome is modelled as the rate ``outcome / exposure`` (an additive
        effect on that rate; multiply by e.g. 1,000 yourself for a rate per 1,000).
    family : {"ols", "poisson"}
    cluster : str, optional
        Cluster column; default ``unit`` when given.
    se : {"cluster", "robust", "classical"}
        With no cluster column available, ``"cluster"`` falls back to HC1 with a note.
    inference : {"auto", "cluster", "wild", "permutation"}
        How p-values and intervals are obtained with ``se="cluster"``. ``"auto"`` keeps the
        cluster-robust t when there are at least 5 treated clusters and 20 clusters (with
        5 to 9 treated clusters, on t(G1 - 1): ``df_rule="treated"``, recorded in ``spec``);
        otherwise, for OLS, the wild cluster bootstrap-t (Webb weights, null imposed) gives
        the p-value and the interval, and for Poisson the p-value comes from randomization
        inference (the interval stays cluster-robust, with a caveat). With few treated
        units an exact randomization-inference p-value is also reported as a diagnostic.
        With a single treated cluster the wild cluster bootstrap is not valid (MacKinnon &
        Webb 2017, 2018: its p-values are then uninformative or far off) and
        ``"wild"`` is refused; ``"auto"`` uses randomization inference for the p-value
        and, for OLS two-way models, its inversion for the interval (a constant additive
        effect); otherwise no interval is given (NaN) rather than a cluster-robust one
        built from one cluster. The standard error column always holds the CR1 standard
        error.
    reps : int
        Bootstrap replications (wild) or placebo assignments (permutation, when not exact).
    seed : int, optional
        Seed of the resampling; default 20261123 when a resampling method is used. Recorded
        in ``provenance``.
    alpha : float
    df_rule : {None, "treated"}
        Reference distribution of the cluster-robust (Wald) p-value and interval of
        ``att``. None (default): t(G-1) for OLS, normal for Poisson. ``"treated"``: t with
        G1 - 1 degrees of freedom, G1 the number of treated clusters, which widens the
        interval when few clusters are treated (the CR1 variance then rests on G1
        clusters' scores; benchmarks/few_treated.py measures it). It asks for the Wald
        interval: allowed with ``inference="cluster"`` or ``"auto"`` (which then keeps the
        cluster-robust interval), needs ``se="cluster"`` and at least 2 treated clusters;
        the ``wald_df`` of ``att`` (used by ``conf_int``) is G1 - 1.

    Returns
    -------
    EvaluationResult
        Term ``att``.
    """
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome",), outcome=outcome, unit=unit, time=time, exposure=exposure).values()
    check_choice("family", family, ("ols", "poisson"))
    check_choice("se", se, ("classical", "robust", "cluster"))
    check_choice("inference", inference, ("auto", "cluster", "wild", "permutation"))
    check_alpha(alpha)
    if not isinstance(reps, int) or reps < 99:
        raise SpecError(f"reps must be a whole number of at least 99; got {reps!r}.")
    _check_df_rule(df_rule, inference=inference, se=se)
    if inference == "wild" and family == "poisson":
        raise SpecError("the wild cluster bootstrap is for family='ols'; with Poisson use "
                        "inference='permutation' (or 'auto').")
    covariates = as_list(covariates)
    params = {"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
              "treated": treated, "post": post, "covariates": covariates,
              "weights": weights, "exposure": exposure, "family": family,
              "cluster": cluster, "se": se,
              "inference": inference, "reps": reps, "seed": seed, "alpha": alpha}
    if df_rule is not None:  # recorded only when used: older provenance stays as it was
        params["df_rule"] = df_rule
    if treatment is not None and (treated is not None or post is not None):
        raise SpecError("give either treatment= (TWFE) or treated= and post= (2x2), not both.")
    if treatment is not None:
        if unit is None or time is None:
            raise SpecError("treatment= (two-way fixed effects) needs unit= and time=.")
        mode = "twfe"
    elif treated is not None and post is not None:
        mode = "2x2"
    else:
        raise SpecError(
            "say which design: treatment= with unit= and time= for two-way fixed effects, "
            "or treated= (group column) and post= (period column) for the 2x2 design."
        )
    cluster = cluster or unit
    notes: list[Caveat] = []
    warn: list[Caveat] = []
    diags: list[Diagnostic] = []
    df = source_frame(data)
    needed = [outcome, *covariates] + [c for c in (unit, time, treatment, treated, post,
                                                    weights, exposure, cluster) if c]
    require_columns(df, list(dict.fromkeys(needed)))
    keys = [c for c in dict.fromkeys((unit, time, treatment, treated, post, cluster)) if c]
    df = _drop_missing(df, [outcome, *covariates, *keys]
                       + [c for c in (weights, exposure) if c], notes)
    check_numeric(df, outcome, nonnegative=family == "poisson")
    offset = None
    if exposure:
        check_positive(df, exposure)
        if family == "poisson":
            offset = np.log(df[exposure].to_numpy(float))
        else:  # the rate per unit of exposure is the outcome
            df = df.assign(**{outcome: df[outcome].astype(float) / df[exposure] * RATE_PER})
    for c in covariates:
        check_numeric(df, c, nonnegative=False)
    if weights:
        check_positive(df, weights)
    if se == "cluster" and cluster is None:
        if df_rule is not None:
            raise SpecError(f"df_rule={df_rule!r} counts treated clusters, but there is no "
                            "cluster column: give cluster= (or unit=), or drop df_rule.")
        se = "robust"
        notes.append(Caveat("robust_fallback"))

    y = df[outcome].to_numpy(float)
    w = df[weights].to_numpy(float) if weights else None
    clusters = _codes(df[cluster]) if cluster and se == "cluster" else None
    if cluster == unit and clusters is not None:
        unit_codes = clusters
    elif mode == "twfe":
        unit_codes = _codes(df[unit])
    model = _Model(y=y, w=w, offset=offset, clusters=clusters, family=family, se=se)
    if mode == "2x2":
        g = _binary(df, treated)
        p = _binary(df, post)
        for col, v in ((treated, g), (post, p)):
            if v.min() == v.max():
                raise DataError(f"column {col!r} has only the value {int(v[0])}; the 2x2 "
                                "design needs both 0 and 1 (treated and comparison, before "
                                "and after).")
        fitted = _fit_2x2(df, model, g, p, covariates=covariates, unit=unit, cluster=cluster)
        n_periods = 2
        freq, span = None, (None, None)
    else:
        coded = coded_periods(df[time], column=time)
        freq, time_codes, period_labels = coded.freq, coded.codes, coded.labels
        df = df.assign(**{time: coded.periods, "_period": coded.periods})
        fes = [unit_codes, time_codes]
        cells = grid_cells(fes)
        if cells is None:  # a complete grid has no repeated (unit, period)
            check_unique(df, [unit, time])
        d = check_numeric(df, treatment, nonnegative=True, booleans=True).to_numpy(float)
        if d.max() > 1:
            rows = np.flatnonzero(d > 1)[:5]
            raise DataError(
                f"column {treatment!r} must be between 0 and 1 (share of the period under "
                f"treatment); rows {', '.join(map(str, rows))} have values "
                f"{', '.join(f'{d[r]:g}' for r in rows)}. Use 0/1, or the treated fraction."
            )
        if d.max() == 0:
            raise DataError(f"column {treatment!r} is 0 everywhere: no treated observation.")
        fitted = _fit_twfe(df, model, d, fes, cells, covariates=covariates)
        n_periods = len(period_labels)
        span = (str(period_labels[0]), str(period_labels[-1]))
        grid = _grid(cells, y, d, period_labels)
        timing, n_starts = _timing_warnings(df, grid, unit=unit, treatment=treatment)
        warn += timing
        if n_starts > 1:
            diags += _bacon_diagnostic(df, grid, outcome=outcome, unit=unit, time=time,
                                       treatment=treatment, family=family, weights=weights,
                                       covariates=covariates, warn=warn, notes=notes)
        if np.ptp(np.bincount(unit_codes)) > 0:
            notes.append(Caveat("unbalanced"))
    f, treated_clusters = fitted.f, fitted.treated_clusters
    if f.dropped:
        notes.append(Caveat("poisson_all_zero", n=f.dropped))
    warn += _cluster_warnings(f, treated_clusters)
    scale = "log" if family == "poisson" else "additive"
    j = f.index("att")
    if df_rule is None and inference == "auto" and se == "cluster" and f.n_clusters \
            and treated_clusters is not None and FEW_TREATED <= treated_clusters < DF_TREATED \
            and _choose_inference(inference, family, treated_clusters, f.n_clusters) \
            == "cluster":
        # 5-9 treated clusters: the CR1 variance rests on their scores, and t(G-1) or the
        # normal covers 90-93 %; t(G1 - 1) restores 95 % (benchmarks/few_treated.py)
        df_rule = "treated"
        params["df_rule"] = "treated"
    df_t = f.df_t if df_rule is None else _treated_df(treated_clusters)
    row = effect_row("att", f.params[j], f.se()[j], alpha=alpha, scale=scale, df=df_t,
                     relative="exp" if family == "poisson" else "none")
    row["n_obs"] = f.n
    rows = f.keep if f.dropped else slice(None)  # the observations of the fit (views if all)
    # df_rule asks for the Wald interval, so "auto" must not swap it for a resampled one
    inf = _att_inference(df, model, fitted, row, mode=mode, unit=unit, treatment=treatment,
                         inference="cluster" if df_rule else inference, reps=reps,
                         seed=seed, alpha=alpha)
    notes += inf.notes
    warn += inf.warnings
    diags += inf.diagnostics
    method_text, used_seed, wald = inf.method, inf.seed, inf.wald
    if df_rule is not None:
        method_text += f"; t({df_t:.0f}) reference (treated clusters - 1)"
    spec = {"outcome": outcome, "design": "2x2" if mode == "2x2" else "twfe", "unit": unit,
            "time": time, "treatment": treatment, "treated": treated, "post": post,
            "covariates": covariates, "weights": weights, "exposure": exposure,
            "outcome_scale": ("rate per 100,000 of exposure" if exposure and family == "ols"
                              else "count, offset log(exposure)" if exposure else None),
            "family": family,
            "cluster": cluster if se == "cluster" else None, "se": se, "vcov": method_text,
            "alpha": alpha, "freq": freq}
    if df_rule is not None:
        spec["df_rule"] = df_rule
    sample = {"n_obs": f.n, "n_units": fitted.n_units, "n_periods": n_periods,
              "n_treated_units": fitted.treated_units, "n_clusters": f.n_clusters,
              "first_period": span[0], "last_period": span[1], "notes": notes}
    return EvaluationResult(
        method="did", spec=spec, effects=effects_table([row]),
        series=(_group_means(df, outcome, treated=treated, post=post) if mode == "2x2" else
                _period_means(y[rows], fitted.ever[rows], time_codes[rows], period_labels)),
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=used_seed),
        vcov=_vcov(f, ["att"]) if wald else None,
        wald_df={"att": math.inf if df_t is None else float(df_t)} if wald else {},
    )


def _check_df_rule(df_rule: object, *, inference: str, se: str) -> None:
    """Refuse a ``df_rule`` that is unknown or that no Wald cluster interval would use."""
    if df_rule is None:
        return
    if df_rule != "treated":
        raise SpecError(f"df_rule must be None (the default reference) or 'treated' (t with "
                        f"treated clusters - 1 degrees of freedom); got {df_rule!r}.")
    if se != "cluster":
        raise SpecError(f"df_rule='treated' sets the reference of the cluster-robust "
                        f"interval; it needs se='cluster', got se={se!r}.")
    if inference not in ("auto", "cluster"):
        raise SpecError(f"df_rule='treated' sets the reference of the cluster-robust (Wald) "
                        f"interval, which inference={inference!r} replaces; use "
                        f"inference='cluster' (or 'auto'), or drop df_rule.")


def _treated_df(treated_clusters: int | None) -> float:
    """G1 - 1, the degrees of freedom of ``df_rule="treated"``."""
    if treated_clusters is None or treated_clusters < 2:
        raise DataError(
            f"df_rule='treated' uses a t reference with treated clusters - 1 degrees of "
            f"freedom and needs at least 2 treated clusters; found {treated_clusters}. With "
            f"one treated area use inference='permutation' (or 'auto'), or synthetic control.")
    return float(treated_clusters - 1)


@dataclass(frozen=True)
class _Model:
    """The arrays and options every fit of the model shares (all rows of the table)."""

    y: np.ndarray
    w: np.ndarray | None
    offset: np.ndarray | None
    clusters: np.ndarray | None
    family: str
    se: str


@dataclass(frozen=True)
class _Fitted:
    """A fitted 2x2 or TWFE model, its design matrix and the treated counts."""

    f: Fit
    x: np.ndarray
    names: list[str]
    fes: list[np.ndarray] | None
    n_units: int | None
    treated_units: int | None
    treated_clusters: int | None
    ever: np.ndarray | None  # TWFE: each row's unit is ever treated


@dataclass(frozen=True)
class _Inference:
    """How the p-value and interval of ``att`` were obtained (``row`` is updated in place)."""

    method: str
    seed: int | None
    wald: bool  # the interval is still the cluster-robust (Wald) one
    notes: list[Caveat]
    warnings: list[Caveat]
    diagnostics: list[Diagnostic]


def _fit_2x2(df: pd.DataFrame, model: _Model, g: np.ndarray, p: np.ndarray, *,
             covariates: list[str], unit: str | None, cluster: str | None) -> _Fitted:
    """``y = a + b treated + c post + att treated*post + X g``."""
    y, w, offset, family, se, clusters = (model.y, model.w, model.offset, model.family,
                                          model.se, model.clusters)
    names = ["intercept", "treated", "post", "att", *covariates]
    x = np.column_stack([np.ones(len(df)), g, p, g * p]
                        + [df[c].to_numpy(float) for c in covariates])
    f = fit(y, x, names, weights=w, offset=offset, family=family, se=se,
            clusters=clusters)
    n_units = df[unit].nunique() if unit else None
    treated_units = df.loc[g == 1, unit].nunique() if unit else None
    treated_clusters = (df.loc[g == 1, cluster].nunique()
                        if cluster and se == "cluster" else None)
    return _Fitted(f=f, x=x, names=names, fes=None, n_units=n_units,
                   treated_units=treated_units, treated_clusters=treated_clusters, ever=None)


def _fit_twfe(df: pd.DataFrame, model: _Model, d: np.ndarray, fes: list[np.ndarray],
              cells: np.ndarray | None, *, covariates: list[str]) -> _Fitted:
    """``y_it = a_i + l_t + att D_it + X g`` with the unit and period effects absorbed."""
    y, w, offset, family, se, clusters = (model.y, model.w, model.offset, model.family,
                                          model.se, model.clusters)
    unit_codes = fes[0]
    names = ["att", *covariates]
    x = np.column_stack([d] + [df[c].to_numpy(float) for c in covariates])
    f = fit(y, x, names, fixed_effects=fes, weights=w, offset=offset, family=family,
            se=se, clusters=clusters, cells=cells)
    ever_unit = np.bincount(unit_codes, weights=d) > 0
    ever = ever_unit[unit_codes]
    if f.dropped:  # Poisson: areas or periods with only zero counts left the fit
        kept = ever & f.keep
        treated_units, n_units = _n_distinct(unit_codes[kept]), _n_distinct(unit_codes[f.keep])
        treated_clusters = _n_distinct(clusters[kept]) if se == "cluster" else None
    else:
        treated_units, n_units = int(ever_unit.sum()), len(ever_unit)
        treated_clusters = (None if se != "cluster" else treated_units
                            if clusters is unit_codes else _n_distinct(clusters[ever]))
    return _Fitted(f=f, x=x, names=names, fes=fes, n_units=n_units,
                   treated_units=treated_units, treated_clusters=treated_clusters, ever=ever)


def _att_inference(df: pd.DataFrame, model: _Model, fitted: _Fitted, row: dict, *,
                   mode: str, unit: str | None, treatment: str | None, inference: str,
                   reps: int, seed: int | None, alpha: float) -> _Inference:
    """Replace the cluster-robust p-value and interval of ``row`` when few (treated)
    clusters call for the wild bootstrap or randomization inference; see :func:`did`."""
    f, x, names, fes, treated_clusters = (fitted.f, fitted.x, fitted.names, fitted.fes,
                                          fitted.treated_clusters)
    y, w, offset, clusters, family, se = (model.y, model.w, model.offset, model.clusters,
                                          model.family, model.se)
    notes: list[Caveat] = []
    warn: list[Caveat] = []
    diags: list[Diagnostic] = []
    rows = f.keep if f.dropped else slice(None)  # the observations of the fit
    method_text = f.vcov_label
    used_seed = None
    wald = True  # the interval is Wald until a resampling or randomization one replaces it
    if se == "cluster" and f.n_clusters is not None:
        chosen = _choose_inference(inference, family, treated_clusters, f.n_clusters)
        few = treated_clusters is not None and treated_clusters < FEW_TREATED
        one = treated_clusters == 1
        if one and inference == "wild":
            raise SpecError(
                "inference='wild' is not valid with a single treated cluster: the wild "
                "cluster bootstrap then cannot tell the effect from that cluster's own "
                "shocks (MacKinnon & Webb 2017). Use inference='auto' or 'permutation' "
                "(randomization inference over the comparison areas), or synthetic control.")
        if chosen != "cluster" or few:
            used_seed = DEFAULT_SEED if seed is None else seed
            design = {"y": y[rows], "x": x[rows], "names": names,
                      "off": None if offset is None else offset[rows],
                      "w": None if w is None else w[rows],
                      "fes": None if mode == "2x2" else [c[rows] for c in fes],
                      "clusters": clusters[rows]}
        if chosen == "wild":
            wb = wild_cluster_bootstrap(design["y"], design["x"], names, term="att",
                                        fixed_effects=design["fes"],
                                        clusters=design["clusters"], weights=design["w"],
                                        dist="webb", reps=reps, seed=used_seed, alpha=alpha)
            row.update(p_value=wb.p_value, ci_low=wb.ci_low, ci_high=wb.ci_high)
            wald = False
            method_text = f"{f.vcov_label}; p-value and interval: {wb.method}"
            notes.append(Caveat("inference_wild", reps=wb.reps))
        if one and chosen == "permutation" and mode == "2x2":
            # no placebo assignment without areas and periods, and no valid cluster test
            row.update(p_value=float("nan"), ci_low=float("nan"), ci_high=float("nan"))
            wald = False
            method_text = f"{f.vcov_label}; no valid p-value or interval (one treated cluster)"
            warn.append(Caveat("inference_one_treated_none"))
        ri_ci = None
        if mode == "twfe" and (chosen == "permutation" or few):
            ri, ri_ci = _permutation_test(df.loc[f.keep].reset_index(drop=True), design,
                                          unit=unit, treatment=treatment, family=family,
                                          reps=reps, seed=used_seed, alpha=alpha,
                                          interval=one and family == "ols"
                                          and chosen == "permutation")
            diags.append(Diagnostic(
                name="randomization", null="no effect in any area (sharp null)",
                statistic=float(ri.observed), p_value=float(ri.p_value),
                passed=bool(ri.p_value < alpha) == bool(row["p_value"] < alpha),
                message=ri.method))
            if chosen == "permutation":
                row["p_value"] = float(ri.p_value)
                wald = False  # every branch below replaces the interval
                method_text = f"{f.vcov_label}; p-value: {ri.method}"
                if ri_ci is not None:  # one treated cluster, linear model: inverted test
                    row.update(ci_low=ri_ci.ci_low, ci_high=ri_ci.ci_high)
                    method_text += ("; interval: randomization test inverted for a constant "
                                    "additive effect")
                    warn.append(Caveat("inference_one_treated_ri"))
                elif one:  # a cluster-robust interval from one treated cluster is no interval
                    row.update(ci_low=float("nan"), ci_high=float("nan"))
                    method_text += "; no interval (one treated cluster)"
                    warn.append(Caveat("inference_one_treated_no_ci"))
                else:  # the cluster-robust interval would contradict the randomization p
                    row.update(ci_low=float("nan"), ci_high=float("nan"))
                    method_text += "; no interval (few treated clusters, Poisson model)"
                    warn.append(Caveat("inference_permutation_ci"))
        if "relative_effect" in row:
            row.update(relative_ci_low=math.exp(row["ci_low"]),
                       relative_ci_high=math.exp(row["ci_high"]))
    return _Inference(method=method_text, seed=used_seed, wald=wald, notes=notes,
                      warnings=warn, diagnostics=diags)


def _sensitivity(effects: pd.DataFrame, f: Fit, ks: list[int], reference: int,
                 alpha: float) -> Diagnostic:
    from evalkit.inference.sensitivity import relative_magnitudes

    pre = [k for k in ks if k < reference]
    post = [k for k in ks if k > reference]
    full = sorted([*ks, reference])
    if not pre or not post or full != list(range(full[0], full[-1] + 1)) or len(post) > 10:
        raise SpecError("sensitivity=True needs event times around the reference without "
                        f"gaps and 1 to 10 post periods; got {len(pre)} pre and {len(post)} "
                        "post periods. Set lags (at most 9) and leads.")
    idx = [f.index(f"event_time_{k}") for k in pre + post]
    est = effects.set_index("term")["estimate"]
    sens = relative_magnitudes([est[f"event_time_{k}"] for k in pre],
                               [est[f"event_time_{k}"] for k in post],
                               f.vcov[np.ix_(idx, idx)], alpha=alpha)
    breakdown = float(sens.breakdown)
    return Diagnostic(
        name="sensitivity", null="the average post-period effect is zero, allowing "
        "post-period violations of parallel trends up to M times the largest pre-period one",
        statistic=breakdown, p_value=float("nan"),
        passed=bool(np.isfinite(breakdown) and breakdown >= 1), table=sens.table,
        message=f"breakdown value M = {breakdown:.2f} ({sens.method})")


def _choose_inference(inference: str, family: str, treated_clusters: int | None,
                      n_clusters: int) -> str:
    if inference != "auto":
        return inference
    if treated_clusters == 1:  # the wild bootstrap fails with one treated cluster
        return "permutation"
    few = (treated_clusters is not None and treated_clusters < FEW_TREATED) or \
        n_clusters < FEW_CLUSTERS
    if not few:
        return "cluster"
    return "wild" if family == "ols" else "permutation"


def _permutation_test(df: pd.DataFrame, design: dict, *, unit: str, treatment: str,
                      family: str, reps: int, seed: int, alpha: float, interval: bool = False):
    """Randomization inference for TWFE: the treated units' treatment paths are given to
    other units (the k-th observed path to the k-th placebo unit) and the model re-fitted.

    Returns the test and, with ``interval=True`` (OLS), the interval from inverting it for
    a constant additive effect (:func:`ri_confidence_interval`), else None."""
    units = pd.Index(sorted(df[unit].astype(str).unique()))
    ever = df.groupby(df[unit].astype(str))[treatment].max()
    treated = pd.Index(sorted(ever[ever > 0].index))
    paths = df.pivot_table(index=df[unit].astype(str), columns="_period", values=treatment,
                           aggfunc="first").reindex(units).fillna(0.0)
    unit_pos = units.get_indexer(df[unit].astype(str))
    period_pos = paths.columns.get_indexer(df["_period"])
    source = paths.loc[treated].to_numpy()
    x = design["x"].copy()

    observed_d = design["x"][:, 0]

    def estimate(placebo: pd.Index, y: np.ndarray | None = None) -> float:
        grid = np.zeros(paths.shape)
        grid[units.get_indexer(placebo)] = source
        x[:, 0] = grid[unit_pos, period_pos]
        try:
            return float(fit(design["y"] if y is None else y, x, design["names"],
                             fixed_effects=design["fes"], weights=design["w"],
                             offset=design["off"], family=family,
                             se="classical" if family == "ols" else "model").params[0])
        except DataError:  # a placebo assignment the model cannot estimate (separation)
            return float("nan")

    limit = reps if family == "ols" else min(reps, _PERMUTATION_REPS_POISSON)
    if interval:
        ci = ri_confidence_interval(estimate, lambda p: estimate(p, observed_d), units,
                                    treated, reps=limit, seed=seed, exact_limit=limit + 1,
                                    alpha=alpha)
        return ci.test, ci
    return randomization_inference(estimate, units, treated, reps=limit, seed=seed,
                                   exact_limit=limit + 1, alpha=alpha), None


def _bacon_diagnostic(df, grid, *, outcome, unit, time, treatment, family, weights,
                      covariates, warn, notes) -> list[Diagnostic]:
    """Goodman-Bacon decomposition of a staggered TWFE estimate, as a diagnostic."""
    from evalkit.designs.bacon import bacon_decomposition, decompose_grid

    if family != "ols" or covariates or weights:
        notes.append(Caveat("bacon_skipped_model"))
        return []
    try:
        if grid is not None and ((grid.d == 0) | (grid.d == 1)).all() and \
                not (grid.d[:, 1:] < grid.d[:, :-1]).any():
            bd = decompose_grid(grid.y, grid.d, grid.periods, treatment=treatment)
        else:  # unbalanced or not binary: the full checks name the problem
            bd = bacon_decomposition(df.drop(columns="_period"), outcome=outcome, unit=unit,
                                     time=time, treatment=treatment)
        diag = bd.diagnostic()
    except DataError:
        notes.append(Caveat("bacon_skipped_data"))
        return []
    if not diag.passed:
        warn.append(Caveat("bacon_forbidden", share=diag.statistic))
    return [diag]


@warns_at_caller
def event_study(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    treatment: str | None = None,
    leads: int | None = None,
    lags: int | None = None,
    reference: int = -1,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    exposure: str | None = None,
    cluster: str | None = None,
    sensitivity: bool = False,
    alpha: float = 0.05,
) -> EvaluationResult:
    """Event study: TWFE with leads and lags of the first treated period.

    Parameters
    ----------
    data : Panel, DataFrame or path
        A Panel's roles (unit, time, outcome, exposure) are the defaults of those arguments;
        an argument naming another column raises :class:`SpecError`.
    outcome, unit, time : str
    cohort : str, optional
        First treated period of each unit (empty, NaN or 0 for never-treated units).
    leads, lags : int, optional
        Event window ``-leads .. lags``; event times beyond it are binned into the end
        points. Default: every observed event time (needs never-treated units).
    treatment : str, optional
        0/1 treatment column, read instead of ``cohort``: each unit's first period with a 1
        is its cohort (units never at 1 are never treated).
    reference : int
        Omitted event time (default -1, the period before treatment starts).
    covariates : sequence of str
    weights : str, optional
    exposure : str, optional
        Population (or other exposure) column, positive: the outcome is modelled as the
        rate ``outcome / exposure`` (the event study is linear), as ``did(family="ols",
        exposure=...)`` does.
    cluster : str, optional
        Default ``unit``.
    sensitivity : bool
        Add the Rambachan & Roth (2023) relative-magnitudes sensitivity of the average
        post-period effect (diagnostic ``sensitivity``: statistic = breakdown value M̄*, the
        largest ratio of post- to pre-period violations of parallel trends under which the
        robust 95 % interval still excludes zero; table = bounds for M̄ = 0 … 2). Needs
        unbinned, consecutive event times and at most 10 post periods; takes a few seconds.
    alpha : float

    Returns
    -------
    EvaluationResult
        Terms ``event_time_<k>``; ``series`` has one row per event time (reference
        included at 0); diagnostic ``pre_trend`` tests the leads jointly.
    """
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome", "unit", "time"), outcome=outcome, unit=unit, time=time,
        exposure=exposure).values()
    check_alpha(alpha)
    for name, v in (("leads", leads), ("lags", lags)):
        if v is not None and (not isinstance(v, int) or v < 0):
            raise SpecError(f"{name} must be a whole number >= 0; got {v!r}.")
    covariates = as_list(covariates)
    given_cohort = cohort
    data, cohort = cohort_or_treatment(data, cohort=cohort, treatment=treatment, unit=unit,
                                       time=time)
    params = {"outcome": outcome, "unit": unit, "time": time,
              "cohort": given_cohort, "treatment": treatment,
              "leads": leads, "lags": lags, "reference": reference,
              "covariates": covariates, "weights": weights, "exposure": exposure,
              "cluster": cluster, "alpha": alpha}
    cluster = cluster or unit
    notes: list[Caveat] = []
    df = source_frame(data)
    require_columns(df, list(dict.fromkeys(
        [outcome, unit, time, cohort, *covariates]
        + [c for c in (weights, exposure, cluster) if c])))
    keys = [c for c in dict.fromkeys((unit, time, cluster)) if c]
    df = _drop_missing(df, [outcome, *covariates, *keys]
                       + [c for c in (weights, exposure) if c], notes)
    check_numeric(df, outcome, nonnegative=False)
    if exposure:
        check_positive(df, exposure)
        df = df.assign(**{outcome: df[outcome].astype(float) / df[exposure] * RATE_PER})
    for c in covariates:
        check_numeric(df, c, nonnegative=False)
    if weights:
        check_positive(df, weights)
    coded = coded_periods(df[time], column=time)
    freq = coded.freq
    df = df.assign(**{time: coded.periods, "_period": coded.periods})
    unit_codes = _codes(df[unit])
    fes = [unit_codes, coded.codes]
    cells = grid_cells(fes)
    if cells is None:  # a complete grid has no repeated (unit, period)
        check_unique(df, [unit, time])
    event, n_cohorts = _event_time(df, unit_codes, unit=unit, cohort=cohort, freq=freq)
    never = np.isnan(event)
    if never.all():
        raise DataError(f"column {cohort!r} has no treated unit (every value is empty or 0).")
    window = _event_window(event, never, leads=leads, lags=lags, reference=reference)
    lo, hi, ks = window.lo, window.hi, window.ks
    clusters = unit_codes if cluster == unit else _codes(df[cluster])
    f = _fit_event(df, window, fes, cells, clusters, outcome=outcome,
                   covariates=covariates, weights=weights)
    rows = []
    for k in ks:
        j = f.index(f"event_time_{k}")
        row = effect_row(f"event_time_{k}", f.params[j], f.se()[j], alpha=alpha,
                         scale="additive", df=f.df_t)
        row["n_obs"] = f.n
        rows.append(row)
    effects = effects_table(rows)
    series = _event_series(effects, window, reference)
    leads = [k for k in ks if k < 0]
    treated_units = _n_distinct(unit_codes[~never])
    treated_clusters = (treated_units if clusters is unit_codes
                        else _n_distinct(clusters[~never]))
    diags = [_pre_trend_test(f, leads, treated_clusters)]
    warn = _cluster_warnings(f, treated_clusters)
    if not leads:
        warn.append(Caveat("pre_trend_untestable"))
    if sensitivity:
        diags.append(_sensitivity(effects, f, ks, reference, alpha))
    if not diags[0].passed:
        warn.append(Caveat("pre_trend", p=diags[0].p_value))
    if n_cohorts > 1:
        warn.append(Caveat("staggered_event_study", n=n_cohorts))
    spec = {"outcome": outcome, "design": "event_study", "unit": unit, "time": time,
            "cohort": cohort, "leads": -lo, "lags": hi, "reference": reference,
            "covariates": covariates, "weights": weights, "exposure": exposure,
            "outcome_scale": "rate per 100,000 of exposure" if exposure else None,
            "cluster": cluster, "se": "cluster",
            "vcov": f.vcov_label, "alpha": alpha, "freq": freq}
    n_units = int(unit_codes.max()) + 1
    sample = {"n_obs": f.n, "n_units": n_units, "n_periods": len(coded.labels),
              "n_treated_units": treated_units, "n_never_treated": n_units - treated_units,
              "n_clusters": f.n_clusters, "first_period": str(coded.labels[0]),
              "last_period": str(coded.labels[-1]), "notes": notes}
    return EvaluationResult(
        method="event_study", spec=spec, effects=effects, series=series,
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params),
        vcov=_vcov(f, list(effects["term"])), wald_df=dict.fromkeys(effects["term"], _df(f)),
    )


@dataclass(frozen=True)
class _Window:
    """The event window ``lo..hi`` and each row's event-time dummy."""

    e: np.ndarray  # event times of the treated units' rows
    lo: int
    hi: int
    ks: list[int]  # the event times with a dummy (all seen ones but the reference)
    codes: np.ndarray  # each row's dummy column, -1 for none (reference, never treated)


def _event_window(event: np.ndarray, never: np.ndarray, *, leads: int | None,
                  lags: int | None, reference: int) -> _Window:
    """Bin the event times to ``-leads..lags`` and number the dummies."""
    e = event[~never].astype(np.int64)
    lo = -leads if leads is not None else int(e.min())
    hi = lags if lags is not None else int(e.max())
    if not lo <= reference <= hi:
        raise SpecError(f"reference={reference} is outside the event window {lo}..{hi}.")
    if not never.any() and leads is None and lags is None:
        raise DataError(
            "every unit is treated at some point and the event window is not binned, so the "
            "event-time effects are not identified. Set leads= and lags= to bin the end "
            "points, or include never-treated comparison units."
        )
    binned = np.clip(e, lo, hi) - lo
    seen = np.bincount(binned, minlength=hi - lo + 1) > 0
    ks = [k for k in range(lo, hi + 1) if k != reference and seen[k - lo]]
    column = np.full(hi - lo + 1, -1)  # event time - lo -> its dummy (-1: reference)
    column[np.subtract(ks, lo, dtype=int)] = np.arange(len(ks))
    codes = np.full(len(event), -1)  # one per row
    codes[~never] = column[binned]
    return _Window(e=e, lo=lo, hi=hi, ks=ks, codes=codes)


def _fit_event(df: pd.DataFrame, window: _Window, fes: list[np.ndarray],
               cells: np.ndarray | None, clusters: np.ndarray, *, outcome: str,
               covariates: list[str], weights: str | None) -> Fit:
    """TWFE on the event-time dummies (and covariates), cluster-robust."""
    ks, codes = window.ks, window.codes
    names = [f"event_time_{k}" for k in ks] + covariates
    y = df[outcome].to_numpy(float)
    f = None
    if cells is not None and ks and not covariates and not weights:
        f = fit_grid_dummies(y, codes, names, fixed_effects=fes, cells=cells,
                             clusters=clusters)
    if f is None:
        x = np.zeros((len(df), len(names)), order="F")
        on = np.flatnonzero(codes >= 0)
        x[on, codes[on]] = 1.0
        for j, c in enumerate(covariates, start=len(ks)):
            x[:, j] = df[c].to_numpy(float)
        f = fit(y, x, names, fixed_effects=fes,
                weights=df[weights].to_numpy(float) if weights else None,
                se="cluster", clusters=clusters, overwrite_x=True, cells=cells)
    return f


def _event_series(effects: pd.DataFrame, window: _Window, reference: int) -> pd.DataFrame:
    """One row per event time, the reference at 0, the binned end points marked."""
    ks, e, lo, hi = window.ks, window.e, window.lo, window.hi
    series = pd.DataFrame({"event_time": ks, "estimate": effects["estimate"],
                           "ci_low": effects["ci_low"], "ci_high": effects["ci_high"]})
    series = pd.concat([series, pd.DataFrame({"event_time": [reference], "estimate": [0.0],
                                              "ci_low": [0.0], "ci_high": [0.0]})])
    series = series.sort_values("event_time").reset_index(drop=True)
    series["binned"] = series["event_time"].isin(
        [k for k in (lo, hi) if ((e < lo).any() and k == lo) or ((e > hi).any() and k == hi)])
    return series


# -- helpers -------------------------------------------------------------------------------
def _vcov(f: Fit, terms: list[str]) -> pd.DataFrame:
    """The fit's covariance of ``terms``, labelled (the result's ``vcov``)."""
    at = [f.index(term) for term in terms]
    return pd.DataFrame(f.vcov[np.ix_(at, at)], index=terms, columns=terms)


def _df(f: Fit) -> float:
    """Degrees of freedom of the fit's t reference; ``inf`` for a normal one."""
    return math.inf if f.df_t is None else float(f.df_t)


def _codes(values: pd.Series) -> np.ndarray:
    if isinstance(values.dtype, pd.PeriodDtype):
        return period_codes(values)[0]
    try:
        return pd.factorize(values, sort=True)[0]
    except TypeError:  # labels of mixed types do not sort
        return pd.factorize(values.astype(str), sort=True)[0]


def _drop_missing(df: pd.DataFrame, columns: list[str], notes: list[Caveat]) -> pd.DataFrame:
    missing = df[columns].isna().any(axis=1)
    if missing.all():
        raise DataError(f"every row has a missing value in {columns}; nothing to estimate.")
    if missing.any():
        notes.append(Caveat("dropped_missing", n=int(missing.sum()),
                            columns=", ".join(c for c in columns if df[c].isna().any())))
        df = df.loc[~missing].reset_index(drop=True)
    return df


def _binary(df: pd.DataFrame, column: str) -> np.ndarray:
    raw = df[column]
    values = raw.astype(float) if raw.dtype == bool else pd.to_numeric(raw, errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy())[:5])
        raise DataError(
            f"column {column!r} must be 0/1 (or True/False); rows {rows} have "
            f"{[raw.iloc[r] for r in rows]}. Recode it as 1 for treated/after, 0 otherwise."
        )
    return values.to_numpy(float)


def _event_time(df: pd.DataFrame, unit_codes: np.ndarray, *, unit: str, cohort: str,
                freq: str) -> tuple[np.ndarray, int]:
    """Event time of every row (NaN for never-treated units) and the number of cohorts."""
    raw = df[cohort]
    value = pd.factorize(raw)[0]  # missing: -1
    value[never_treated(raw)] = -1
    first_row = np.empty(int(unit_codes.max()) + 1, dtype=np.int64)
    first_row[unit_codes[::-1]] = np.arange(len(df))[::-1]  # each unit's first row
    varies = value != value[first_row][unit_codes]
    if varies.any():
        bad = df[unit].iloc[first_row[np.unique(unit_codes[varies])[:5]]].tolist()
        raise DataError(f"column {cohort!r} must be constant within each unit (the first "
                        f"treated period); units {bad} have several values.")
    event = np.full(len(df), np.nan)
    treated = np.flatnonzero(value[first_row] >= 0)
    if len(treated):
        # parse one cohort value per unit, then subtract period ordinals (no boxing per row)
        values = raw.iloc[first_row[treated]]
        first, _ = to_periods(values.astype(str) if values.dtype != object else values,
                              freq=freq, column=cohort)
        start = np.zeros(len(first_row), dtype=np.int64)
        start[treated] = first.array.asi8
        rows = np.flatnonzero(value >= 0)
        event[rows] = df["_period"].array.asi8[rows] - start[unit_codes[rows]]
    return event, len(np.unique(value[first_row[treated]]))


@dataclass(frozen=True)
class _Grid:
    """A complete panel as unit × period matrices (rows in unit-code order)."""

    y: np.ndarray
    d: np.ndarray
    periods: pd.PeriodIndex


def _grid(cells: np.ndarray | None, y: np.ndarray, d: np.ndarray,
          periods: pd.PeriodIndex) -> _Grid | None:
    if cells is None:
        return None
    n_units = len(y) // len(periods)
    return _Grid(as_grid(y, cells, n_units), as_grid(d, cells, n_units), periods)


def _n_distinct(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


def _timing_warnings(df: pd.DataFrame, grid: _Grid | None, *, unit: str,
                     treatment: str) -> tuple[list[Caveat], int]:
    """Caveats on the treatment timing, and the number of distinct start dates."""
    if grid is not None:
        on = grid.d > 0
        ever = on.any(axis=1)
        n_starts = len(np.unique(on.argmax(axis=1)[ever]))
        never_all = ever.all()
        switch = bool((grid.d[:, 1:] < grid.d[:, :-1]).any())
    else:
        n_starts = int(df[df[treatment] > 0].groupby(unit)["_period"].min().nunique())
        never_all = bool((df.groupby(unit)[treatment].max() > 0).all())
        switch = bool((df.sort_values([unit, "_period"]).groupby(unit)[treatment].diff()
                       < 0).any())
    warn = []
    if n_starts > 1:
        warn.append(Caveat("staggered_twfe", n=n_starts))
    if never_all:
        warn.append(Caveat("no_never_treated"))
    if switch:
        warn.append(Caveat("switching_off"))
    return warn, n_starts


def _cluster_warnings(f: Fit, treated_clusters: int | None) -> list[Caveat]:
    warn = []
    if f.n_clusters is not None and f.n_clusters < FEW_CLUSTERS:
        warn.append(Caveat("few_clusters", n=f.n_clusters, threshold=FEW_CLUSTERS))
    if f.n_clusters is not None and treated_clusters is not None and \
            treated_clusters < FEW_TREATED:
        warn.append(Caveat("few_treated", n=int(treated_clusters)))
    return warn


def _pre_trend_test(f: Fit, leads: list[int], treated_clusters: int) -> Diagnostic:
    """Joint Wald test of the leads, or a 1-df linear pre-trend test when it is not feasible.

    A cluster-robust covariance of q lead coefficients identified from G1 treated clusters
    has rank of at most about G1; with q >= G1 - 1 the joint Wald statistic explodes and
    over-rejects. The test of a linear trend across the leads has one degree of freedom and
    stays well behaved (Roth 2022 discusses both).
    """
    idx = [f.index(f"event_time_{k}") for k in leads]
    if not idx:
        return Diagnostic(name="pre_trend", null="no pre-treatment period to test",
                          statistic=float("nan"), p_value=float("nan"), passed=True,
                          message="no pre-treatment period to test")
    b = f.params[idx]
    v = f.vcov[np.ix_(idx, idx)]
    table = pd.DataFrame({"term": [f.names[i] for i in idx], "estimate": b,
                          "std_error": np.sqrt(np.diag(v))})
    q = len(idx)
    df2 = f.df_t
    if q < treated_clusters - 1 or len(idx) < 3:
        wald = float(b @ np.linalg.pinv(v) @ b)
        null = "all pre-treatment event-time coefficients are zero (parallel trends)"
        test = f"joint test of {q} leads"
    else:
        c = np.asarray(leads, dtype=float) - np.mean(leads)
        wald = float((c @ b) ** 2 / (c @ v @ c))
        q = 1
        null = "no linear trend across the pre-treatment coefficients (parallel trends)"
        test = (f"linear pre-trend test over {len(idx)} leads (too few treated clusters, "
                f"{treated_clusters}, for a joint test)")
    if df2 is not None:
        stat, p = wald / q, float(stats.f.sf(wald / q, q, df2))
        label = f"F({q}, {df2:.0f})"
    else:
        stat, p = wald, float(stats.chi2.sf(wald, q))
        label = f"chi2({q})"
    return Diagnostic(name="pre_trend", null=null, statistic=stat, p_value=p,
                      passed=p >= 0.05, table=table,
                      message=f"{test}: {label} = {stat:.2f}, p = {p:.3f}")


def _group_means(df: pd.DataFrame, outcome: str, *, treated: str, post: str) -> pd.DataFrame:
    """Mean outcome per group and period of the 2x2 design: the picture behind parallel
    trends."""
    group = _binary(df, treated) == 1
    when = pd.Series(np.where(_binary(df, post) == 1, "after", "before"), index=df.index)
    frame = pd.DataFrame({"group": group, "time": when, "observed": df[outcome].astype(float)})
    out = frame.groupby(["group", "time"], sort=True)["observed"].agg(["mean", "size"])
    out = out.reset_index().rename(columns={"mean": "observed", "size": "n_obs"})
    return _label_groups(out)


def _period_means(y: np.ndarray, ever: np.ndarray, time_codes: np.ndarray,
                  labels: pd.PeriodIndex) -> pd.DataFrame:
    """Mean outcome of the ever-treated and the comparison units in each period (TWFE)."""
    n_t = len(labels)
    cell = np.multiply(ever, n_t, dtype=np.int64)
    cell += time_codes
    size = np.bincount(cell, minlength=2 * n_t)
    total = np.bincount(cell, weights=y, minlength=2 * n_t)
    used = np.flatnonzero(size)
    out = pd.DataFrame({"group": used >= n_t, "time": labels.astype(str)[used % n_t],
                        "observed": total[used] / size[used], "n_obs": size[used]})
    return _label_groups(out)


def _label_groups(out: pd.DataFrame) -> pd.DataFrame:
    out = out.assign(group=np.where(out["group"], "treated", "comparison"),
                     time=out["time"].astype(str))
    return out.sort_values(["group", "time"], kind="stable").reset_index(drop=True)
