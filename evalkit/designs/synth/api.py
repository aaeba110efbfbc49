"""Synthetic control: the public functions (:func:`synth` and the readers of its result)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.data.panel import Panel, panel_roles, source_frame
from evalkit.data.periods import parse_period, to_periods
from evalkit.data.validate import (
    check_intervention,
    check_numeric,
    check_unique,
    require_columns,
)
from evalkit.designs._common import as_list, check_alpha, check_choice, provenance
from evalkit.designs.synth.conformal import conformal_rows
from evalkit.designs.synth.core import _Arrays, _fit_units
from evalkit.designs.synth.fit import fit_check
from evalkit.designs.synth.inference import (
    _balance,
    _effect_rows,
    _MainFit,
    _outside_hull,
    _permutation,
    _placebo_gaps,
    _placebo_space_diag,
    _PredictorData,
    _ratio_intervals,
    _rmspe,
    _robustness,
    _series,
)
from evalkit.designs.synth.inputs import (
    PeriodSpec,
    _check_missing_outcome,
    _check_predictor_spec,
    _expand,
    _left_out,
    _predictor_matrix,
    _py,
    _resolve_unit,
    _spec_repr,
)
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic, EvaluationResult, Extras, effects_table, warns_at_caller

#: Fewest pre-intervention periods accepted. Synthetic-control bias shrinks with the
#: length of the pre-period (ADH 2010, §2.3): with fewer than five periods a close
#: pre-period fit says little, since a few donors can match a handful of points by chance.
MIN_PRE = 5
#: Below this many pre-periods the result carries a caveat.
SHORT_PRE = 10
#: Share of pre-periods outside the donors' range that triggers the convex-hull caveat.
HULL_SHARE = 0.2


@warns_at_caller
def synth(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treated_unit: object,
    intervention: object,
    predictors: Sequence[tuple[str, PeriodSpec]] | None = None,
    optimize_periods: PeriodSpec | None = None,
    placebo: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
    n_jobs: int = 1,
    v_search: Literal["synth", "thorough"] = "synth",
    exclude: Sequence[object] = (),
    treatment: str | None = None,
    inference: Literal["placebo", "conformal"] = "placebo",
) -> EvaluationResult:
    """Estimate the effect on one (or a few) treated units with a synthetic control.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Panel with one row per unit and period. A Panel's roles (unit, time, outcome) are
        the defaults of those arguments; an argument naming another column raises
        :class:`SpecError`.
    outcome : str
        Outcome column (counts, rates, ...).
    unit, time : str
        Unit and period columns.
    treated_unit : label or list of labels
        The treated unit(s) in ``unit``; every other unit is a donor, except those in
        ``exclude`` and those ``treatment`` marks as treated.
    intervention : str, int or Period
        First period under the intervention.
    predictors : list of (column, periods), optional
        Each predictor is ``column``'s mean over ``periods`` — ``(first, last)`` inclusive,
        an explicit list, or one period — e.g. ``[("gdpcap", (1960, 1969)),
        ("popdens", [1969])]``; the outcome itself may be a predictor. Periods must precede
        the intervention. None: fit the outcome over ``optimize_periods`` directly.
    optimize_periods : (first, last), list or period, optional
        Pre-intervention periods whose outcome MSPE chooses the predictor weights (and,
        without predictors, the donor weights). Default: every pre-intervention period.
    placebo : bool
        Run the placebo-in-space permutation (p-values, intervals), the leave-one-out and
        the placebo-in-time checks.
    seed : int, optional
        Seed for drawing donor sets when there are several treated units and more than
        1,000 sets; recorded in ``provenance``.
    alpha : float
        1 - confidence level.
    n_jobs : int
        Processes for the placebo refits (-1: all cores). Results do not depend on it.
    v_search : {"synth", "thorough"}
        Search for the predictor weights V (with ``predictors`` only). ``"synth"``
        follows R Synth (Nelder–Mead and BFGS from equal and regression-based starts) and
        reproduces its published examples; ``"thorough"`` adds Powell's method from both
        starts and keeps the lowest loss, which may be a different (better-fitting)
        optimum than Synth's — e.g. for the Basque example.
    exclude : sequence of labels
        Units never used as donors (e.g. neighbours exposed to displacement). A name not
        in ``unit`` is an error that lists the closest names.
    treatment : str, optional
        A 0/1 column: 1 in the periods a unit was under the same (or a similar)
        intervention. Any unit other than the treated one(s) with a 1 in any period of the
        data is never a donor (a donor treated during the post-period would make the
        counterfactual absorb the effect). ``extras.excluded_donors`` maps each unit
        left out to the reason (``"exclude"`` or ``"treated"``) and a note names them.
    inference : {"placebo", "conformal"}
        Where the p-values and intervals of the effects come from. ``"placebo"`` (default):
        the placebo-in-space permutation. ``"conformal"``: Chernozhukov, Wüthrich & Zhu
        (2021), moving-block permutations of the residuals of a refit on every period
        under the null (see :mod:`evalkit.designs.synth.conformal`); it adds the term
        ``att_cumulative`` (the post-period sum of the gaps) and needs one treated unit,
        no ``predictors`` and the default ``optimize_periods``. The placebo checks still
        run when ``placebo`` is True.

    Returns
    -------
    EvaluationResult
        Terms ``att`` and ``gap_<period>`` (additive; p-values and intervals by
        permutation, no standard error). ``series``: one row per period (``unit, time,
        observed, counterfactual, gap, ci_low, ci_high, post``; the band is for the gap).
        Diagnostics ``pre_fit`` (on counts, pre-period RMSPE against the RMSPE count noise
        alone would leave; on other outcomes, against the treated series' SD: see
        :mod:`evalkit.designs.synth.fit`), ``placebo_space``, ``placebo_time``,
        ``leave_one_out``.
        ``extras`` (:class:`SynthExtras`): ``donor_weights`` maps donor to weight (see
        :func:`donor_weights`), with pre/post RMSPE, predictor weights and donors left out.
        No ``vcov`` (permutation inference).
        ``relative_effect`` (observed / synthetic) with a ratio interval on ``att`` and
        each ``gap_<t>``.

    Raises
    ------
    DataError
        Unknown treated unit, intervention outside the data, fewer than ``MIN_PRE``
        pre-periods, missing outcome or predictor values, fewer than two donors, an
        ``exclude`` name not in the data, a ``treatment`` column that is not 0/1.
    SpecError
        Malformed ``predictors`` or ``optimize_periods``, bad ``alpha`` or ``n_jobs``.
    """
    outcome, unit, time = panel_roles(data, ("outcome", "unit", "time"), outcome=outcome,
                                      unit=unit, time=time).values()
    check_alpha(alpha)
    check_choice("v_search", v_search, ("synth", "thorough"))
    check_choice("inference", inference, ("placebo", "conformal"))
    conformal = inference == "conformal"
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0 \
            or n_jobs < -1:
        raise SpecError(f"n_jobs must be a positive whole number or -1 (all cores); got "
                        f"{n_jobs!r}.")
    workers = (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise SpecError(f"seed must be a whole number or None; got {seed!r}.")
    treated_list = list(treated_unit) if isinstance(treated_unit, list | tuple | set) \
        else [treated_unit]
    if not treated_list:
        raise SpecError("treated_unit is empty; give the label of the treated unit.")
    predictors = _check_predictor_spec(predictors)
    if conformal:
        _check_conformal(treated_list, predictors, optimize_periods)
    params = {"outcome": outcome, "unit": unit, "time": time,
              "treated_unit": treated_list if len(treated_list) > 1 else treated_list[0],
              "intervention": str(intervention),
              "predictors": [[c, _spec_repr(p)] for c, p in predictors] if predictors
              else None,
              "optimize_periods": _spec_repr(optimize_periods), "placebo": placebo,
              "seed": seed, "alpha": alpha, "n_jobs": n_jobs, "v_search": v_search,
              "exclude": [u for u in as_list(exclude) if u], "treatment": treatment or None}
    if conformal:  # recorded only when chosen, so default provenance stays as it was
        params["inference"] = inference
    notes: list[Caveat] = []
    warn: list[Caveat] = []

    # -- data -----------------------------------------------------------------------------
    df = source_frame(data)
    pred_cols = list(dict.fromkeys(c for c, _ in predictors)) if predictors else []
    require_columns(df, list(dict.fromkeys([outcome, unit, time, *pred_cols]
                                           + ([treatment] if treatment else []))))
    if df[unit].isna().any():
        raise DataError(f"column {unit!r} has missing unit labels in "
                        f"{int(df[unit].isna().sum())} rows; fill them in or drop the rows.")
    y_num = check_numeric(df, outcome, nonnegative=False, allow_missing=True)
    pred_num = {c: check_numeric(df, c, nonnegative=False, allow_missing=True)
                for c in pred_cols}
    periods, freq = to_periods(df[time], column=time)
    df = df.assign(**{time: periods})
    check_unique(df, [unit, time])
    t0 = parse_period(intervention, freq, name="intervention")
    check_intervention(periods, t0, min_pre=MIN_PRE, min_post=1, design="synthetic control")
    labels = list(pd.unique(df[unit]))
    treated = [_resolve_unit(u, labels, unit) for u in treated_list]
    if len(set(map(repr, treated))) < len(treated):
        raise SpecError(f"treated_unit lists a unit twice: {treated_list}.")
    left_out = _left_out(df, unit, labels, treated, params["exclude"], treatment)
    if left_out:
        keep = ~df[unit].isin(list(left_out)).to_numpy()
        df, periods, y_num = df[keep], periods[keep], y_num[keep]
        pred_num = {c: v[keep] for c, v in pred_num.items()}
        for reason in ("exclude", "treated"):
            named = [str(u) for u, why in left_out.items() if why == reason]
            if named:
                notes.append(Caveat(f"synth_left_out_{reason}", units=", ".join(named),
                                    column=treatment or ""))
    donors = [u for u in labels if u not in treated and u not in left_out]
    donors.sort(key=lambda u: (str(type(u)), u))
    if len(donors) < 2:
        raise DataError(f"the synthetic control needs at least two donor units; column "
                        f"{unit!r} has {len(donors)} besides the treated unit(s)"
                        + (f" and the {len(left_out)} left out" if left_out else "") + ".")
    order = treated + donors
    all_periods = pd.period_range(periods.min(), periods.max(), freq=periods.iloc[0].freq)
    wide = pd.DataFrame({"_u": df[unit], "_t": periods, "_y": y_num}).pivot(
        index="_u", columns="_t", values="_y").reindex(index=order, columns=all_periods)
    y = wide.to_numpy(float)
    pre_mask = np.asarray(all_periods < t0)
    pre_idx, post_idx = np.flatnonzero(pre_mask), np.flatnonzero(~pre_mask)
    _check_missing_outcome(y, order, all_periods, treated, outcome)
    n_pre, n_post = len(pre_idx), len(post_idx)
    opt_periods = (list(all_periods[pre_idx]) if optimize_periods is None
                   else _expand(optimize_periods, freq, "optimize_periods", all_periods, t0))
    opt_idx = np.asarray([all_periods.get_loc(p) for p in opt_periods], dtype=int)
    pred_names: list[str] = []
    x = None
    if predictors:
        x, pred_names = _predictor_matrix(df, unit, periods, pred_num, predictors, order, freq,
                                          all_periods, t0)
        sd = np.nanstd(x, axis=0, ddof=1)
        const = [n for n, s in zip(pred_names, sd, strict=True) if not s > 0]
        if const:
            notes.append(Caveat("synth_constant_predictor", predictors=", ".join(const)))
    n_tr, n_do = len(treated), len(donors)
    tr_idx = np.arange(n_tr)
    do_idx = np.arange(n_tr, n_tr + n_do)
    thorough = v_search == "thorough"
    shared = {"main": _Arrays(y, x, opt_idx, thorough)}

    # -- fits -----------------------------------------------------------------------------
    fits = _fit_units(shared, tr_idx, do_idx, placebo=placebo, workers=workers)
    w_tr = np.vstack([f[0] for f in fits[:n_tr]])  # n_tr x J
    v_tr = [f[1] for f in fits[:n_tr]]
    synth_y = w_tr @ y[do_idx]  # n_tr x T
    gaps = y[tr_idx] - synth_y
    gap = gaps.mean(axis=0)
    obs_avg, cf_avg = y[tr_idx].mean(axis=0), synth_y.mean(axis=0)
    att = float(gap[post_idx].mean())
    pre_rmspe = _rmspe(gap, pre_idx)
    post_rmspe = _rmspe(gap, post_idx)

    # -- inference ------------------------------------------------------------------------
    diags: list[Diagnostic] = []
    perm: dict[str, Any] | None = None
    if placebo:
        pgaps = _placebo_gaps(y, fits[n_tr:], do_idx)
        perm = _permutation(gap, pgaps, pre_idx, post_idx, n_tr, alpha=alpha, seed=seed)
        perm.update(_ratio_intervals(obs_avg, cf_avg, post_idx, perm))
        diags.append(_placebo_space_diag(perm, gap, gaps, pgaps, treated, donors,
                                         all_periods, pre_idx, post_idx, alpha=alpha))
        if not conformal:  # the placebo test's intervals, not used by conformal
            notes.append(Caveat("synth_permutation", n=perm["n_sets"]))
        if n_tr > 1:
            notes.append(Caveat("synth_several_treated", n=n_tr,
                                sets="all" if perm["exact"] else str(perm["n_sets"])))
        if perm["k_star"] == 0 and not conformal:
            warn.append(Caveat("synth_few_placebos", n=perm["n_sets"],
                               p_min=1.0 / (perm["n_sets"] + 1), alpha=alpha))
        if perm["att_ci_empty"] and not conformal:
            notes.append(Caveat("synth_ci_empty"))
    elif not conformal:
        notes.append(Caveat("synth_no_placebo"))

    # -- effects --------------------------------------------------------------------------
    if conformal:
        rows = conformal_rows(y, gap, all_periods, pre_idx, post_idx, alpha=alpha,
                              n_obs=y.size)
        notes.append(Caveat("synth_conformal", n=n_pre + 1))
        if 1.0 / (n_pre + 1) > alpha:
            warn.append(Caveat("synth_conformal_few_periods", n=n_pre + 1,
                               p_min=1.0 / (n_pre + 1), alpha=alpha))
        band_lo, band_hi = np.full_like(gap, np.nan), np.full_like(gap, np.nan)
        band_lo[post_idx] = [r["ci_low"] for r in rows[1:1 + n_post]]
        band_hi[post_idx] = [r["ci_high"] for r in rows[1:1 + n_post]]
    else:
        rows = _effect_rows(att, gap, obs_avg, cf_avg, all_periods, post_idx, perm,
                            n_obs=y.size)
        band_lo, band_hi = ((gap - perm["band"], gap + perm["band"]) if perm
                            else (np.full_like(gap, np.nan), np.full_like(gap, np.nan)))
    series_parts = []
    if n_tr > 1:
        for i, u in enumerate(treated):
            series_parts.append(_series(u, all_periods, y[i], synth_y[i], gaps[i],
                                        np.full_like(gap, np.nan), np.full_like(gap, np.nan),
                                        pre_mask))
        label: object = "average"
    else:
        label = treated[0]
    series_parts.append(_series(label, all_periods, obs_avg, cf_avg, gap, band_lo, band_hi,
                                pre_mask))
    series = pd.concat(series_parts, ignore_index=True)

    # -- checks ---------------------------------------------------------------------------
    # periods left out between the fitted ones and the start (a selection window) are not
    # the fit's to reproduce
    fit_idx = pre_idx[pre_idx <= opt_idx.max()]
    fit_rmspe = _rmspe(gap, fit_idx)
    fit = fit_check(y, fit_idx, tr_idx, do_idx, w_tr, fit_rmspe)
    balance = _balance(x, pred_names, y, all_periods, opt_idx, tr_idx, do_idx, w_tr, v_tr)
    diags.insert(0, Diagnostic(
        name="pre_fit",
        null="the synthetic control reproduces the treated outcome before the intervention",
        statistic=fit.ratio, p_value=float("nan"), passed=fit.passed, table=balance,
        message=fit.message(fit_rmspe)))
    if not fit.passed and fit.scale == "counts":
        warn.append(Caveat("synth_poor_fit_counts", rmspe=fit_rmspe, reference=fit.reference,
                           ratio=fit.ratio, limit=fit.limit))
    elif not fit.passed:
        warn.append(Caveat("synth_poor_fit", rmspe=fit_rmspe, ratio=fit.ratio,
                           limit=fit.limit))
    n_out = _outside_hull(y, tr_idx, do_idx, pre_idx)
    if n_out / n_pre >= HULL_SHARE:
        warn.append(Caveat("synth_convex_hull", n=n_out, n_pre=n_pre))
    if n_pre < SHORT_PRE:
        warn.append(Caveat("synth_short_pre", n_pre=n_pre, recommended=SHORT_PRE))

    if placebo:
        main = _MainFit(y=y, x=x, order=order, all_periods=all_periods, t0=t0,
                        opt_idx=opt_idx, pre_idx=pre_idx, tr_idx=tr_idx, do_idx=do_idx,
                        w_tr=w_tr, att=att, pre_rmspe=pre_rmspe)
        source = _PredictorData(df=df, unit=unit, periods=periods, pred_num=pred_num,
                                predictors=predictors, freq=freq)
        more, note_more, warn_more = _robustness(main, source, workers=workers,
                                                 thorough=thorough)
        diags += more
        notes += note_more
        warn += warn_more

    weights = pd.Series(w_tr.mean(axis=0), index=donors)
    v_avg = (np.mean(np.vstack(v_tr), axis=0) if x is not None else None)
    spec = {
        "outcome": outcome, "unit": unit, "time": time,
        "treated_unit": params["treated_unit"], "intervention": str(t0),
        "predictors": params["predictors"],
        "optimize_periods": [str(p) for p in opt_periods],
        "weights_method": ("outcome MSPE over optimize_periods (V = identity)" if x is None
                           else f"nested V search ({v_search}), W by simplex-constrained "
                                "least squares"),
        "vcov": ("none: conformal inference (Chernozhukov, Wuthrich & Zhu 2021)" if conformal
                 else "none: placebo-in-space permutation inference" if placebo else "none"),
        "alpha": alpha, "freq": freq, "scale": "additive",
    }
    sample = {
        "n_obs": int(y.size), "n_units": len(order), "n_donors": n_do, "n_treated": n_tr,
        "n_periods": len(all_periods), "n_pre": n_pre, "n_post": n_post,
        "first_period": str(all_periods[0]), "last_period": str(all_periods[-1]),
        "n_placebos": perm["n_sets"] if perm else 0,
        "notes": notes,
    }
    extras = SynthExtras(
        donor_weights={_py(k): float(v) for k, v in weights.items()},
        pre_rmspe=pre_rmspe, post_rmspe=post_rmspe,
        optimize_mspe=float(np.mean(gap[opt_idx] ** 2)),
        predictor_weights=({n: float(v) for n, v in zip(pred_names, v_avg, strict=True)}
                           if v_avg is not None else None),
        excluded_donors={_py(u): why for u, why in left_out.items()},
        donor_weights_by_treated=({
            _py(u): {_py(k): float(v) for k, v in zip(donors, w_tr[i], strict=True)}
            for i, u in enumerate(treated)} if n_tr > 1 else None),
        pre_fit=fit.to_dict(),
    )
    return EvaluationResult(
        method="synth", spec=spec, effects=effects_table(rows), series=series,
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=seed), extras=extras,
    )


def _check_conformal(treated: list[object], predictors: object,
                     optimize_periods: object) -> None:
    """Conformal inference refits simplex weights on the outcome path of one treated unit."""
    if len(treated) > 1:
        raise SpecError(f"inference='conformal' takes one treated unit; got {len(treated)} "
                        f"({treated}). Evaluate each unit on its own, or use "
                        "inference='placebo' for their average.")
    if predictors:
        raise SpecError("inference='conformal' refits the weights on the outcome of every "
                        "period, without predictors; drop predictors= or use "
                        "inference='placebo'.")
    if optimize_periods is not None:
        raise SpecError("inference='conformal' refits the weights on every period; leave "
                        "optimize_periods unset or use inference='placebo'.")


@dataclass(frozen=True)
class SynthExtras(Extras):
    """What a synthetic control computes besides its effects and counts.

    Attributes
    ----------
    donor_weights : mapping
        Donor → weight of the (averaged) synthetic control.
    pre_rmspe, post_rmspe : float
        Root mean squared gap before and after the intervention.
    optimize_mspe : float
        Mean squared gap over ``optimize_periods`` (the loss the weights minimise).
    predictor_weights : mapping or None
        Predictor → fitted ``V`` weight (None without predictors).
    excluded_donors : mapping
        Unit left out of the donors → reason (``"exclude"`` or ``"treated"``).
    donor_weights_by_treated : mapping or None
        With several treated units, each one's donor weights.
    pre_fit : mapping or None
        The ``pre_fit`` criterion: ``scale`` (``"counts"`` or ``"sd"``), ``reference``
        (the count-noise RMSPE or the treated series' SD), ``ratio`` (pre-period RMSPE /
        reference), ``limit`` and ``theta`` (the donors' dispersion; NaN on the SD scale).
    """

    donor_weights: Mapping[Any, float]
    pre_rmspe: float
    post_rmspe: float
    optimize_mspe: float
    predictor_weights: Mapping[str, float] | None
    excluded_donors: Mapping[Any, str]
    donor_weights_by_treated: Mapping[Any, Mapping[Any, float]] | None = None
    pre_fit: Mapping[str, Any] | None = None


def donor_weights(result: EvaluationResult) -> pd.Series:
    """The donor weights of a synthetic-control result, indexed by donor unit.

    With several treated units, the weights of the averaged synthetic control (the mean
    of each treated unit's weights); each unit's own are in
    ``result.extras.donor_weights_by_treated``.
    """
    weights = result.weights
    if result.method != "synth" or weights is None:
        raise SpecError(f"donor_weights needs a synth result; got a {result.method} result.")
    return weights


def donor_weight_diagnostics(result: EvaluationResult) -> list[Diagnostic]:
    """The donor weights as ``results.json`` diagnostics, one per donor (weight 0 included):
    name ``donor_weight:<unit>``, statistic the weight, no p-value.

    They describe the fit rather than test it, so templates pass them to
    :func:`evalkit.report.write_results` (``diagnostics=``) instead of listing them among
    the report's checks.
    """
    weights = donor_weights(result)
    return [Diagnostic(name=f"donor_weight:{unit}",
                       null=f"weight of donor {unit} in the synthetic control",
                       statistic=float(w), p_value=float("nan"), passed=True)
            for unit, w in weights.items()]


def placebo_table(result: EvaluationResult) -> pd.DataFrame:
    """One row per unit of the placebo-in-space test: pre and post RMSPE, ratio, rank."""
    table = result.diagnostic("placebo_space").table
    cols = ["unit", "treated", "pre_rmspe", "post_rmspe", "rmspe_ratio"]
    out = table[cols].drop_duplicates("unit").sort_values("rmspe_ratio", ascending=False)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)
