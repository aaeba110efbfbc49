"""Reoffending cohorts: a programme cohort against a propensity-matched or weighted comparison.

One row per offender: a 0/1 ``treated`` column (1 = in the programme cohort, **whether or
not the person engaged**: an intention-to-treat comparison, as in the Peterborough social
impact bond), an outcome, and the covariates that drove selection into the cohort (age,
sex, prior convictions, offence type...). The estimand is the effect on the treated (ATT).

Propensity score
    Logistic regression (statsmodels ``Logit``, Newton) of ``treated`` on the covariates;
    text columns are one-hot encoded (first level dropped). Matching uses the linear
    predictor, the *logit* of the score.

Matching (``method="match"``)
    Nearest neighbour on the logit score, ``ratio`` comparison individuals per treated
    one, within a caliper of ``caliper`` standard deviations of the logit score (Austin
    2011, Pharm Stat 10:150–161, recommends 0.2), the SD being the pooled within-group SD
    ``sqrt((s1² + s0²) / 2)`` (Rosenbaum & Rubin 1985). A treated individual with no
    comparison within the caliper is dropped (the estimate is then the effect on the
    *matched* treated, with a warning); one with fewer than ``ratio`` keeps those found.
    Without replacement the matching is greedy: treated individuals are taken in a random
    order drawn from ``seed`` (Austin 2014, Stat Med 33:1057–1069, found that the order
    makes little difference), in ``ratio`` rounds of one match each; with replacement each treated
    individual takes its ``ratio`` nearest. Ties are broken by a random order of the
    comparison pool (from ``seed``). Rows are first put in a canonical order that depends on
    their contents only, so the result does not depend on the row order, the index or
    identifier columns, and every outcome of the same table is estimated on the same
    matched sample.

Weighting (``method="weight"``)
    ATT odds weights: 1 for the treated, ``e / (1 − e)`` for the comparison (normalised).

Effect
    ``T`` = mean outcome of the (matched) treated, ``C`` = the weighted mean of their
    comparison (for matching, the mean over treated individuals of the mean of their
    matches). Term ``att`` is ``100 (T − C)``: percentage points for a binary outcome
    (share with at least one proven reoffence), events per 100 offenders for a frequency,
    with the rate ratio ``T / C`` as ``relative_effect``. Term ``relative_reduction`` is
    ``(C − T) / C`` (:func:`evalkit.indicators.reoffending.relative_reduction`).

Standard errors
    *Matching*: the Abadie–Imbens (2006, Econometrica 74:235–267) variance for the ATT,
    extended to the pair ``(T, C)``: ``Σ = (1/N1²) Σ_i e_i e_iᵀ + diag(0, (1/N1²) Σ_j
    (w_j² − Σ_{i∋j} 1/M_i²) σ̂²_j)``, with ``e_i = (Y_i − T, Ŷ_i(0) − C)`` over matched
    treated, ``w_j`` the weight of comparison ``j`` (times used, each use counting
    ``1/M_i``) and ``σ̂²_j = J/(J+1) (Y_j − mean of its J = 2 nearest comparison
    neighbours)²``. Without replacement the second term is 0 and this is the usual
    matched-set (paired) variance; with replacement it accounts for reused comparisons.
    The score is treated as known (the Abadie–Imbens 2016 adjustment for its estimation
    is not applied; for the ATT it can go either way). *Weighting*: M-estimation sandwich
    stacking the logistic score equations with the two weighted means, so the uncertainty
    of the estimated propensity score is included.

Relative reduction and the outcome-payment test
    The interval of ``T / C`` is the delta-method interval on ``log(T / C)``, mapped back
    (ratios are skewed; on the log scale the normal approximation is better and the
    interval respects ``T / C > 0``); the relative reduction's interval is ``1 −`` that
    interval and its p-value that of ``log(T / C) = 0``. Given ``threshold`` (e.g. 0.075
    for Peterborough's 7.5 %), the probability that the true relative reduction exceeds it
    is ``Φ((log(1 − threshold) − log(T/C)) / se)`` (normal approximation on the log-ratio
    scale: a confidence-distribution reading, not a posterior), reported with whether the
    point estimate reaches the threshold (diagnostic ``outcome_payment``).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import DEFAULT_SEED
from evalkit.data.panel import Panel, panel_roles, source_frame
from evalkit.data.validate import _rows, check_numeric, require_columns
from evalkit.designs._common import check_alpha, check_choice, provenance
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.indicators.reoffending import relative_reduction, reoffending_rates
from evalkit.results import (
    Diagnostic,
    EvaluationResult,
    Extras,
    effect_row,
    effects_table,
    warns_at_caller,
)

__all__ = ["DEFAULT_SEED", "SMD_LIMIT", "CohortExtras", "cohort_outcome"]

#: |standardised mean difference| above which a covariate counts as imbalanced
SMD_LIMIT = 0.1
#: fewer outcome events than this in an arm triggers a caveat (DOMAIN.md §4)
SMALL_EVENTS = 10
#: comparison neighbours used to estimate the conditional variance (Abadie–Imbens)
_J_VARIANCE = 2
#: a comparison individual carrying more than this share of the weight triggers a caveat
_HEAVY_WEIGHT = 0.05


@warns_at_caller
def cohort_outcome(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    treated: str,
    outcome: str | None = None,
    covariates: Sequence[str],
    outcome_type: Literal["binary", "frequency"] = "binary",
    method: Literal["match", "weight"] = "match",
    replace: bool = False,
    caliper: float | None = 0.2,
    ratio: int = 1,
    estimand: Literal["att"] = "att",
    threshold: float | None = None,
    alpha: float = 0.05,
    seed: int | None = None,
) -> EvaluationResult:
    """Effect of a programme on its cohort's reoffending against a matched comparison.

    Parameters
    ----------
    data : Panel, DataFrame or path
        One row per offender. Not modified. A Panel's outcome is the default of
        ``outcome``; another ``outcome`` raises :class:`SpecError`.
    treated : str
        0/1 column: 1 for everyone in the programme cohort (engaged or not), 0 for the
        comparison pool.
    outcome : str
        ``binary``: 0/1, at least one proven reoffence in the follow-up (e.g. 12 months);
        ``frequency``: number of reoffences or reconviction events (whole numbers ≥ 0).
    covariates : sequence of str
        Columns of the propensity model. Numbers enter linearly; text columns are one-hot
        encoded (turn numeric codes into text to encode them).
    outcome_type : {"binary", "frequency"}
    method : {"match", "weight"}
        Nearest-neighbour matching on the logit propensity score, or ATT odds weighting.
    replace : bool
        Matching with replacement (a comparison individual can serve several treated ones).
    caliper : float or None
        Largest allowed distance, in pooled standard deviations of the logit score
        (default 0.2); None for no caliper. Ignored by weighting.
    ratio : int
        Comparison individuals matched to each treated one (1:k matching).
    estimand : {"att"}
        The effect on the treated cohort (the only one supported).
    threshold : float, optional
        Relative reduction that triggers an outcome payment (e.g. 0.075 for 7.5 %, 0.10
        for 10 %); adds the ``outcome_payment`` diagnostic.
    alpha : float
        One minus the confidence level.
    seed : int, optional
        Seed of the random matching order and tie-breaking; default 20261123. Recorded in
        ``provenance``.

    Returns
    -------
    EvaluationResult
        ``method`` ``cohort_match`` or ``cohort_weight``. Terms ``att`` (scale additive, per
        100 offenders; ``relative_effect`` = rate ratio treated / comparison) and
        ``relative_reduction`` (scale ratio). Diagnostics ``covariate_balance`` (largest
        |SMD| after adjustment; table: SMD and variance ratio of every covariate before and
        after), ``overlap``, ``treated_matched`` (matching) and ``outcome_payment`` (with
        ``threshold``). ``series``: one row per individual, in the data's row order, with
        ``unit`` (the row's index label), ``group``, ``propensity``, ``logit``, ``weight``
        (matching: 1 for a matched treated row, the number of matches it stands for, each
        counting ``1/M_i``, for a comparison row; weighting: the normalised odds weight) and
        ``matched`` (weight > 0). ``sample``: group sizes, reuse of comparison
        individuals, events counted. ``extras`` (:class:`CohortExtras`): adjusted and
        unadjusted rates per 100 (with exact intervals for the unadjusted ones), the naive
        difference, the comparison's effective sample size, the caliper width, the payment
        test. ``vcov``: the variance of ``att`` (a Wald interval; the relative reduction's is
        mapped from the log ratio's).

    Raises
    ------
    DataError
        Missing columns; ``treated`` not 0/1; no treated or no comparison individual; a
        covariate constant, missing or collinear; a binary outcome not 0/1 or a frequency
        not a whole number ≥ 0; complete separation in the propensity model.
    SpecError
        Invalid options, or a caliper that leaves no treated individual matched.
    """
    (outcome,) = panel_roles(data, ("outcome",), outcome=outcome).values()
    a = check_alpha(alpha)
    covs = _check_options(treated=treated, outcome=outcome, covariates=covariates,
                          outcome_type=outcome_type, method=method, replace=replace,
                          caliper=caliper, ratio=ratio, estimand=estimand,
                          threshold=threshold, seed=seed)
    used_seed = DEFAULT_SEED if seed is None else int(seed)
    params = {"treated": treated, "outcome": outcome, "covariates": covs,
              "outcome_type": outcome_type, "method": method, "replace": replace,
              "caliper": caliper, "ratio": ratio, "estimand": estimand,
              "threshold": threshold, "alpha": alpha, "seed": seed}
    df = source_frame(data)
    prep = _prepare(df, treated=treated, outcome=outcome, covariates=covs,
                    outcome_type=outcome_type)
    w, y = prep["w"], prep["y"]
    lin = _propensity(prep["model"], w, prep["model_names"])
    rng = np.random.default_rng(used_seed)
    notes: list[Caveat] = []
    warn: list[Caveat] = []
    diags: list[Diagnostic] = []
    n1, n0 = int(w.sum()), int((~w).sum())
    s1, s0 = lin[w].std(ddof=1) if n1 > 1 else 0.0, lin[~w].std(ddof=1)
    pooled_sd = math.sqrt((s1**2 + s0**2) / 2)
    width = None if method == "weight" or caliper is None else caliper * pooled_sd

    if method == "match":
        m = _match(lin, w, ratio=ratio, replace=replace, width=width, rng=rng)
        weights, matched = m["weights"], m["matched"]
        n_matched = int(matched.sum())
        if n_matched == 0:
            raise SpecError(
                f"the caliper of {caliper} standard deviations of the logit propensity score "
                f"(±{width:.3g} on the logit scale) leaves no treated individual with a "
                "comparison match: the groups barely overlap. Widen the caliper (e.g. "
                "caliper=0.5 or caliper=None), use method='weight', or check the covariates."
            )
        tc, cov = _matching_moments(y, lin, w, m)
        dropped = n1 - n_matched
        if dropped:
            warn.append(Caveat("cohort_treated_dropped", n=dropped, n_treated=n1,
                               share=dropped / n1, caliper=caliper))
        diags.append(Diagnostic(
            name="treated_matched", null="every treated individual has a comparison match "
            "within the caliper", statistic=n_matched / n1, p_value=math.nan,
            passed=dropped == 0,
            message=f"{n_matched} of {n1} treated individuals matched ({dropped} dropped by "
                    "the caliper)."))
        short = int((matched & (m["n_matches"] < ratio)).sum())
        if ratio > 1 and short:
            notes.append(Caveat("cohort_ratio_short", n=short, ratio=ratio))
        uses = m["uses"]
        if replace:
            notes.append(Caveat("cohort_reuse", max_uses=int(uses.max()),
                                n_distinct=int((uses > 0).sum()), n_matched=n_matched))
        sample_extra = {"n_treated_matched": n_matched, "n_treated_dropped": dropped,
                        "n_comparison_used": int((uses > 0).sum()),
                        "max_uses": int(uses.max()), "caliper_width": width}
        vcov = ("Abadie–Imbens (2006) matching variance for the effect on the treated "
                "(propensity score treated as known)")
    else:
        weights, matched, tc, cov = _weighting(y, w, prep["model"], lin)
        sample_extra = {"n_treated_matched": n1, "n_treated_dropped": 0,
                        "n_comparison_used": n0, "max_uses": None, "caliper_width": None}
        vcov = ("M-estimation sandwich stacking the logistic propensity model with the "
                "weighted means")
        share = float(weights[~w].max() / weights[~w].sum())
        if share > _HEAVY_WEIGHT:
            warn.append(Caveat("cohort_heavy_weight", share=share,
                               ess=_ess(weights[~w]), n=n0))

    balance = _balance(prep["balance"], prep["balance_names"], w, weights)
    worst = float(balance["smd_after"].abs().max())
    bad = balance.loc[balance["smd_after"].abs() > SMD_LIMIT, "covariate"].tolist()
    if bad:
        warn.append(Caveat("cohort_imbalance", covariates=", ".join(bad), limit=SMD_LIMIT))
    adjustment = "matching" if method == "match" else "weighting"
    diags.insert(0, Diagnostic(
        name="covariate_balance",
        null=f"every covariate is balanced after {adjustment} (|standardised mean "
             f"difference| ≤ {SMD_LIMIT})",
        statistic=worst, p_value=math.nan, passed=not bad, table=balance,
        message=f"Largest |SMD| after {adjustment} {worst:.3f} (before: "
                f"{balance['smd_before'].abs().max():.3f})."))
    outside = float(((lin[w] < lin[~w].min()) | (lin[w] > lin[~w].max())).mean())
    diags.insert(1, Diagnostic(
        name="overlap", null="every treated individual's propensity score lies within the "
        "range of the comparison pool's", statistic=outside, p_value=math.nan,
        passed=outside == 0,
        message=f"{outside:.1%} of treated individuals have a propensity score outside the "
                "comparison pool's range."))

    effects, inference = _effects(tc, cov, a)
    used = weights > 0
    events_t, events_c = float(y[w & used].sum()), float(y[~w & used].sum())
    if min(events_t, events_c) < SMALL_EVENTS:
        warn.append(Caveat("cohort_small_events", n_t=int(events_t), n_c=int(events_c),
                           limit=SMALL_EVENTS))
    if inference["zero"]:
        warn.append(Caveat("cohort_zero_rate"))
    payment: dict[str, Any] = {}
    if threshold is not None:
        diag, payment = _payment(inference, threshold)
        diags.append(diag)

    raw = _raw_rates(y, w, outcome_type, a)
    spec = {"outcome": outcome, "treated": treated, "covariates": covs,
            "outcome_type": outcome_type, "method": method, "replace": replace,
            "caliper": caliper, "ratio": ratio, "estimand": estimand,
            "threshold": threshold, "alpha": a, "vcov": vcov,
            "propensity_model": "logit (main effects; text covariates one-hot encoded)",
            "scale": "per 100 offenders",
            "relative_interval": "delta method on log(treated / comparison)"}
    width = sample_extra.pop("caliper_width")
    sample = {
        "n_obs": int(used.sum()), "n_units": len(y), "n_treated": n1, "n_comparison": n0,
        **sample_extra, "events_treated": events_t, "events_comparison": events_c,
        "notes": notes,
    }
    extras = CohortExtras(
        treated_rate=100 * float(tc[0]), comparison_rate=100 * float(tc[1]), **raw,
        naive_difference=raw["treated_rate_all"] - raw["comparison_rate_all"],
        ess_comparison=_ess(weights[~w]), caliper_width=width, **payment)
    se_att = float(effects.loc[effects["term"] == "att", "std_error"].iloc[0])
    series = pd.DataFrame({
        "unit": prep["labels"], "group": np.where(w, "treated", "comparison"),
        "propensity": 1 / (1 + np.exp(-lin)), "logit": lin, "weight": weights,
        "matched": used,
    }).iloc[np.argsort(prep["order"])].reset_index(drop=True)  # the data's row order
    return EvaluationResult(
        method=f"cohort_{method}", spec=spec, effects=effects, series=series,
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=used_seed), extras=extras,
        vcov=pd.DataFrame([[se_att**2]], index=["att"], columns=["att"]),
        wald_df={"att": math.inf},
    )


@dataclass(frozen=True)
class CohortExtras(Extras):
    """What :func:`cohort_outcome` computes besides its effects and counts (per 100).

    Attributes
    ----------
    treated_rate, comparison_rate : float
        Adjusted outcome rates (matched or weighted), whose difference is ``att``.
    treated_rate_all, comparison_rate_all : float
        Unadjusted rates of the whole groups, with exact intervals in
        ``*_rate_all_ci_low`` / ``*_rate_all_ci_high``.
    naive_difference : float
        ``treated_rate_all - comparison_rate_all``.
    ess_comparison : float
        Effective sample size of the comparison's weights.
    caliper_width : float or None
        Matching caliper on the logit scale (None for weighting or no caliper).
    payment_threshold, payment_probability : float or None
        Outcome-payment test (None without ``threshold``).
    payment_passed, payment_lower_bound_passed : bool or None
    """

    treated_rate: float
    comparison_rate: float
    treated_rate_all: float
    treated_rate_all_ci_low: float
    treated_rate_all_ci_high: float
    comparison_rate_all: float
    comparison_rate_all_ci_low: float
    comparison_rate_all_ci_high: float
    naive_difference: float
    ess_comparison: float
    caliper_width: float | None = None
    payment_threshold: float | None = None
    payment_probability: float | None = None
    payment_passed: bool | None = None
    payment_lower_bound_passed: bool | None = None


# -- checks --------------------------------------------------------------------------------
def _check_options(*, treated, outcome, covariates, outcome_type, method, replace, caliper,
                   ratio, estimand, threshold, seed) -> list[str]:
    check_choice("outcome_type", outcome_type, ("binary", "frequency"))
    check_choice("method", method, ("match", "weight"))
    check_choice("estimand", estimand, ("att",))
    for name, value in (("treated", treated), ("outcome", outcome)):
        if not isinstance(value, str) or not value:
            raise SpecError(f"{name} must be a column name; got {value!r}.")
    covs = [covariates] if isinstance(covariates, str) else list(covariates or ())
    if not covs or not all(isinstance(c, str) and c for c in covs):
        raise SpecError(
            "covariates must list at least one column of the propensity model (e.g. "
            f"['age', 'prior_convictions', 'sex']); got {covariates!r}."
        )
    dupes = sorted({c for c in covs if covs.count(c) > 1})
    if dupes:
        raise SpecError(f"covariates lists {dupes} more than once; give each column once.")
    clash = [c for c in (treated, outcome) if c in covs]
    if clash or treated == outcome:
        raise SpecError(
            f"treated ({treated!r}), outcome ({outcome!r}) and the covariates must be "
            "different columns; the propensity model cannot use the treatment or the "
            "outcome as a covariate."
        )
    if not isinstance(replace, bool | np.bool_):
        raise SpecError(f"replace must be True or False; got {replace!r}.")
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise SpecError(f"ratio must be a whole number of at least 1 (comparison individuals "
                        f"per treated one); got {ratio!r}.")
    if caliper is not None and (isinstance(caliper, bool) or not isinstance(
            caliper, int | float) or not math.isfinite(caliper) or caliper <= 0):
        raise SpecError(f"caliper must be a positive number of standard deviations of the "
                        f"logit propensity score (e.g. 0.2), or None for no caliper; got "
                        f"{caliper!r}.")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(
            threshold, int | float) or not math.isfinite(threshold) or threshold >= 1):
        raise SpecError(f"threshold must be a relative reduction below 1 (e.g. 0.075 for "
                        f"7.5 %), or None; got {threshold!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise SpecError(f"seed must be a non-negative whole number or None; got {seed!r}.")
    if method == "weight" and (replace or ratio != 1):
        raise SpecError("replace and ratio apply to matching; with method='weight' leave "
                        "them at their defaults (replace=False, ratio=1).")
    return covs


def _zero_one(df: pd.DataFrame, column: str, what: str, fix: str) -> np.ndarray:
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce") if not pd.api.types.is_bool_dtype(raw) \
        else raw.astype(float)
    bad = (num.isna() | ~num.isin([0, 1])).to_numpy()
    if bad.any():
        raise DataError(
            f"Column '{column}' must hold 0 or 1 ({what}) in every row, but found other "
            f"values in {_rows(df, bad, [column])}. Fix: {fix}"
        )
    return num.to_numpy(dtype=float) == 1


def _prepare(df: pd.DataFrame, *, treated: str, outcome: str, covariates: list[str],
             outcome_type: str) -> dict[str, Any]:
    require_columns(df, [treated, outcome, *covariates])
    w = _zero_one(df, treated, "1 = in the programme cohort, 0 = comparison pool",
                  "recode the column as 0/1 and drop or assign the rows without a group.")
    if w.all() or not w.any():
        found = "only treated (1)" if w.all() else "only comparison (0)"
        raise DataError(
            f"Column '{treated}' must contain both treated (1) and comparison (0) "
            f"individuals, but found {found} individuals in {len(w)} rows. Fix: add the "
            "comparison pool (or the programme cohort) to the data."
        )
    if outcome_type == "binary":
        y = _zero_one(df, outcome, "1 = at least one proven reoffence in the follow-up",
                      "recode it as 0/1, or use outcome_type='frequency' for counts of "
                      "reoffences.").astype(float)
    else:
        y = check_numeric(df, outcome, nonnegative=True, integer=True).to_numpy(float)
    model, model_names, balance, balance_names = [], [], [], []
    for c in covariates:
        raw = df[c]
        missing = raw.isna().to_numpy().copy()
        if raw.dtype == object or pd.api.types.is_string_dtype(raw):
            missing |= raw.astype(object).map(
                lambda v: isinstance(v, str) and not v.strip()).to_numpy(bool)
        if missing.any():
            raise DataError(
                f"Covariate '{c}' must have a value for every individual, but found missing "
                f"values in {_rows(df, missing, [c])}. Fix: drop these individuals (say so "
                "in the report) or impute the values before matching."
            )
        if raw.nunique() < 2:
            raise DataError(
                f"Covariate '{c}' takes the same value ({raw.iloc[0]!r}) for every "
                "individual, so it cannot explain who is in the cohort. Fix: remove it from "
                "covariates."
            )
        if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
            x = raw.astype(float).to_numpy()
            if not np.isfinite(x).all():
                check_numeric(df, c, nonnegative=False)  # raises with the rows
            model.append(x)
            model_names.append(c)
            balance.append(x)
            balance_names.append(c)
            continue
        text = raw.astype(str).str.strip()
        cats = sorted(text.unique())
        for lev in cats:
            dummy = (text == lev).to_numpy(float)
            if len(cats) > 2 or lev != cats[0]:  # a two-level covariate is shown once
                balance.append(dummy)
                balance_names.append(f"{c}: {lev}")
            if lev != cats[0]:
                model.append(dummy)
                model_names.append(f"{c}: {lev}")
        for lev in cats:  # a level found in one group only separates the groups perfectly
            inside = (text == lev).to_numpy()
            if w[inside].all() or not w[inside].any():
                group = "treated" if w[inside].all() else "comparison"
                raise DataError(
                    f"Covariate '{c}': level {lev!r} occurs only among the {group} "
                    f"individuals ({int(inside.sum())} rows), so the propensity model "
                    "separates them perfectly (complete separation) and they cannot be "
                    "matched. Fix: merge this level with a similar one, or drop these "
                    "individuals."
                )
    x_model = np.column_stack(model)
    x_bal = np.column_stack(balance)
    order = _canonical_order(df, w, x_bal, [treated, outcome, *covariates])
    return {"w": w[order], "y": y[order], "model": x_model[order],
            "model_names": model_names, "balance": x_bal[order],
            "balance_names": balance_names,
            "labels": df.index.to_numpy()[order], "order": order}


def _canonical_order(df: pd.DataFrame, w: np.ndarray, x: np.ndarray,
                     used: list[str]) -> np.ndarray:
    """Row order that depends on the rows' contents only (not their order or labels).

    Rows are sorted by group, by their covariate values, then by a hash of their other
    cells, leaving out identifier columns (every value distinct, e.g. ``person_id``) that
    the analysis does not use. So shuffling the rows, relabelling the index or the
    identifiers changes nothing, and two outcomes of the same table (binary and frequency)
    are estimated on the same matched sample. Rows left tied are interchangeable.
    """
    ids = [c for c in df.columns if c not in used and df[c].is_unique]
    rest = df.drop(columns=ids)
    rest = rest[sorted(rest.columns, key=str)]
    if rest.shape[1] == 0:
        key = np.zeros(len(df), dtype=np.uint64)
    else:
        try:
            key = pd.util.hash_pandas_object(rest, index=False).to_numpy()
        except TypeError:  # unhashable cells (lists...): hash their text
            key = pd.util.hash_pandas_object(rest.astype(str), index=False).to_numpy()
    return np.lexsort((key, *x.T[::-1], w))


# -- propensity score ----------------------------------------------------------------------
def _propensity(x: np.ndarray, w: np.ndarray, names: list[str]) -> np.ndarray:
    """Logit of the propensity score (the linear predictor of a logistic regression)."""
    import statsmodels.api as sm

    design = np.column_stack([np.ones(len(w)), x])
    rank = np.linalg.matrix_rank(design)
    if rank < design.shape[1]:
        raise DataError(
            f"the covariates are collinear: {design.shape[1]} model terms (constant, "
            f"{', '.join(names)}) but only {rank} are linearly independent (a covariate "
            "repeats another, or a combination of others). Fix: drop the redundant "
            "covariate(s)."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(w.astype(float), design).fit(method="newton", maxiter=100,
                                                        disp=False)
            lin = design @ np.asarray(fit.params)
            converged = bool(fit.mle_retvals.get("converged", True))
        except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
            lin, converged = np.full(len(w), np.nan), False
            reason = str(exc)
        else:
            reason = ""
    separated = (not np.isfinite(lin).all() or not converged
                 or np.abs(lin).max() > 30
                 or lin[w].min() > lin[~w].max() or lin[w].max() < lin[~w].min())
    if separated:
        raise DataError(
            "the propensity model separates the treated from the comparison individuals "
            "perfectly (complete separation: some combination of the covariates "
            f"{', '.join(names)} predicts group membership exactly{reason and ': ' + reason}),"
            " so no treated individual has a comparable comparison. Fix: drop or coarsen "
            "the covariate that defines the cohort (e.g. a release prison or date range), "
            "or use a comparison pool that resembles the cohort."
        )
    return lin


# -- matching ------------------------------------------------------------------------------
def _match(lin: np.ndarray, w: np.ndarray, *, ratio: int, replace: bool, width: float | None,
           rng: np.random.Generator) -> dict[str, Any]:
    """Nearest-neighbour matching on the logit score.

    Returns the matched pairs as flat arrays ``pair_t`` (treated row), ``pair_c``
    (comparison row) and ``pair_w`` (``1 / M_i``, the share of the pair in treated ``i``'s
    comparison), with each row's weight (1 for a matched treated row, ``Σ 1/M_i`` for a
    comparison row), ``n_matches`` per row and ``uses`` per comparison row.
    """
    treated = np.flatnonzero(w)
    # comparison pool in a random order: argmin / stable sorts break ties by this order
    pool = rng.permutation(np.flatnonzero(~w))
    score = lin[pool]
    limit = np.inf if width is None else width
    pair_t: list[int] = []
    pair_c: list[int] = []
    if replace:
        order = np.argsort(score, kind="stable")
        sorted_score = score[order]
        for i in treated:
            for p in _nearest(lin[i], sorted_score, ratio):
                if abs(sorted_score[p] - lin[i]) <= limit:
                    pair_t.append(int(i))
                    pair_c.append(int(pool[order[p]]))
    else:
        free = np.ones(len(pool), dtype=bool)
        found = np.zeros(len(w), dtype=int)
        sequence = rng.permutation(treated)
        for round_ in range(ratio):
            for i in sequence:
                if found[i] < round_ or not free.any():
                    continue  # no match in an earlier round: none now either
                dist = np.where(free, np.abs(score - lin[i]), np.inf)
                p = int(np.argmin(dist))
                if dist[p] <= limit:
                    free[p] = False
                    found[i] += 1
                    pair_t.append(int(i))
                    pair_c.append(int(pool[p]))
    t_idx, c_idx = np.array(pair_t, dtype=int), np.array(pair_c, dtype=int)
    n_matches = np.bincount(t_idx, minlength=len(w))
    share = 1.0 / n_matches[t_idx] if t_idx.size else np.zeros(0)
    weights = (n_matches > 0).astype(float) + np.bincount(c_idx, weights=share,
                                                          minlength=len(w))
    return {"pair_t": t_idx, "pair_c": c_idx, "pair_w": share, "weights": weights,
            "matched": w & (n_matches > 0), "n_matches": n_matches,
            "uses": np.bincount(c_idx, minlength=len(w))[~w]}


def _nearest(target: float, sorted_values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` values nearest ``target`` in a sorted array (stable on ties)."""
    p = int(np.searchsorted(sorted_values, target))
    lo, hi = max(0, p - k), min(len(sorted_values), p + k)
    window = np.arange(lo, hi)
    dist = np.abs(sorted_values[window] - target)
    return window[np.argsort(dist, kind="stable")[:k]]


def _matching_moments(y: np.ndarray, lin: np.ndarray, w: np.ndarray, m: dict[str, Any]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(T, C) and their Abadie–Imbens covariance matrix."""
    t_idx, c_idx, share = m["pair_t"], m["pair_c"], m["pair_w"]
    treated = np.flatnonzero(m["matched"])
    n1 = len(treated)
    y1 = y[treated]
    y0hat = np.bincount(t_idx, weights=share * y[c_idx], minlength=len(y))[treated]
    tc = np.array([y1.mean(), y0hat.mean()])
    e = np.column_stack([y1 - tc[0], y0hat - tc[1]])
    cov = e.T @ e / n1**2
    # reused comparisons: add (w_j² − Σ 1/M_i²) σ̂²_j
    inv_sq = np.bincount(c_idx, weights=share**2, minlength=len(y))
    extra = np.where(~w, m["weights"] ** 2 - inv_sq, 0.0)
    need = np.flatnonzero(extra > 1e-12)
    if need.size:
        pool = np.flatnonzero(~w)
        order = np.argsort(lin[pool], kind="stable")
        sorted_score, sorted_pool = lin[pool][order], pool[order]
        sigma2 = np.empty(need.size)
        for k, j in enumerate(need):
            near = _nearest(lin[j], sorted_score, _J_VARIANCE + 1)
            others = [q for q in sorted_pool[near] if q != j][:_J_VARIANCE]
            sigma2[k] = _J_VARIANCE / (_J_VARIANCE + 1) * (y[j] - y[others].mean()) ** 2
        cov[1, 1] += float((extra[need] * sigma2).sum()) / n1**2
    return tc, cov


# -- weighting -----------------------------------------------------------------------------
def _weighting(y: np.ndarray, w: np.ndarray, x: np.ndarray, lin: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ATT odds weights, (T, C) and their stacked M-estimation sandwich covariance."""
    design = np.column_stack([np.ones(len(w)), x])
    e = 1 / (1 + np.exp(-lin))
    odds = np.exp(lin)
    wt, wc = w.astype(float), (~w).astype(float)
    mu1 = float((wt * y).sum() / wt.sum())
    mu0 = float((wc * odds * y).sum() / (wc * odds).sum())
    n, p = design.shape
    psi = np.column_stack([design * (wt - e)[:, None], wt * (y - mu1),
                           wc * odds * (y - mu0)])
    jac = np.zeros((p + 2, p + 2))
    jac[:p, :p] = -(design * (e * (1 - e))[:, None]).T @ design / n
    jac[p, p] = -wt.mean()
    jac[p + 1, :p] = (design * (wc * odds * (y - mu0))[:, None]).sum(axis=0) / n
    jac[p + 1, p + 1] = -(wc * odds).mean()
    meat = psi.T @ psi / n
    inv = np.linalg.inv(jac)
    full = inv @ meat @ inv.T / n
    weights = np.where(w, 1.0, odds * wt.sum() / (wc * odds).sum())
    return weights, w.copy(), np.array([mu1, mu0]), full[p:, p:]


def _ess(weights: np.ndarray) -> float:
    """Kish effective sample size of a set of weights."""
    weights = weights[weights > 0]
    return float(weights.sum() ** 2 / (weights**2).sum()) if weights.size else 0.0


# -- balance -------------------------------------------------------------------------------
def _wmean_var(x: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    total = weights.sum()
    mean = float((weights * x).sum() / total)
    denom = total - (weights**2).sum() / total  # = n − 1 for equal weights
    var = float((weights * (x - mean) ** 2).sum() / denom) if denom > 0 else math.nan
    return mean, var


def _balance(x: np.ndarray, names: list[str], w: np.ndarray,
             weights: np.ndarray) -> pd.DataFrame:
    """SMD (in pooled SD of the unadjusted groups) and variance ratios, before and after."""
    rows = []
    ones = np.ones(len(w))
    for k, name in enumerate(names):
        col = x[:, k]
        m1, v1 = _wmean_var(col[w], ones[w])
        m0, v0 = _wmean_var(col[~w], ones[~w])
        a1, u1 = _wmean_var(col[w], weights[w])
        a0, u0 = _wmean_var(col[~w], weights[~w])
        sd = math.sqrt((v1 + v0) / 2)
        rows.append({
            "covariate": name, "mean_treated": m1, "mean_comparison": m0,
            "mean_treated_after": a1, "mean_comparison_after": a0,
            "smd_before": (m1 - m0) / sd if sd > 0 else 0.0,
            "smd_after": (a1 - a0) / sd if sd > 0 else 0.0,
            "variance_ratio_before": v1 / v0 if v0 > 0 else math.nan,
            "variance_ratio_after": u1 / u0 if u0 > 0 else math.nan,
        })
    return pd.DataFrame(rows)


# -- effects -------------------------------------------------------------------------------
def _effects(tc: np.ndarray, cov: np.ndarray, alpha: float
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    t_rate, c_rate = float(tc[0]), float(tc[1])
    var_diff = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se_diff = math.sqrt(max(var_diff, 0.0))
    z = float(stats.norm.ppf(1 - alpha / 2))
    zero = t_rate <= 0 or c_rate <= 0
    if zero:
        log_ratio = se_log = math.nan
        ratio = t_rate / c_rate if c_rate > 0 else math.nan
        rr = relative_reduction(t_rate, c_rate) if c_rate > 0 else math.nan
    else:
        log_ratio = math.log(t_rate / c_rate)
        var_log = (cov[0, 0] / t_rate**2 + cov[1, 1] / c_rate**2
                   - 2 * cov[0, 1] / (t_rate * c_rate))
        se_log = math.sqrt(max(float(var_log), 0.0))
        ratio = math.exp(log_ratio)
        rr = float(relative_reduction(t_rate, c_rate))
    r_lo, r_hi = math.exp(log_ratio - z * se_log), math.exp(log_ratio + z * se_log)
    att = effect_row("att", 100 * (t_rate - c_rate), 100 * se_diff, alpha=alpha,
                     scale="additive", relative=(ratio, r_lo, r_hi))
    red = effect_row("relative_reduction", rr, ratio * se_log, alpha=alpha, scale="ratio")
    p_log = 2 * float(stats.norm.sf(abs(log_ratio) / se_log)) if se_log > 0 else math.nan
    red.update(ci_low=1 - r_hi, ci_high=1 - r_lo, p_value=p_log)
    info = {"log_ratio": log_ratio, "se_log": se_log, "relative_reduction": rr,
            "ci_low": 1 - r_hi, "ci_high": 1 - r_lo, "zero": zero}
    return effects_table([att, red]), info


def _payment(inf: dict[str, Any], threshold: float) -> tuple[Diagnostic, dict[str, Any]]:
    rr, se = inf["relative_reduction"], inf["se_log"]
    if se > 0 and math.isfinite(se):
        prob = float(stats.norm.cdf((math.log(1 - threshold) - inf["log_ratio"]) / se))
    else:
        prob = math.nan
    passed = bool(math.isfinite(rr) and rr >= threshold)
    lower = bool(math.isfinite(inf["ci_low"]) and inf["ci_low"] >= threshold)
    table = pd.DataFrame({
        "measure": ["threshold", "relative_reduction", "ci_low", "ci_high",
                    "probability_above_threshold", "point_estimate_passes",
                    "lower_bound_passes"],
        "value": [threshold, rr, inf["ci_low"], inf["ci_high"], prob, float(passed),
                  float(lower)],
    })
    verdict = "reaches" if passed else "does not reach"
    diag = Diagnostic(
        name="outcome_payment",
        null=f"the relative reduction reaches the payment threshold of {threshold:.1%}",
        statistic=prob, p_value=math.nan, passed=passed, table=table,
        message=f"The estimated relative reduction {rr:.1%} {verdict} the threshold of "
                f"{threshold:.1%}; probability that the true reduction exceeds it: "
                f"{prob:.0%}.")
    return diag, {"payment_threshold": threshold, "payment_probability": prob,
                  "payment_passed": passed, "payment_lower_bound_passed": lower}


def _raw_rates(y: np.ndarray, w: np.ndarray, outcome_type: str, alpha: float
               ) -> dict[str, float]:
    """Unadjusted rates per 100 with exact intervals (evalkit.indicators.reoffending)."""
    frame = pd.DataFrame({"g": w.astype(int), "r": (y > 0).astype(int), "e": y})
    rates = reoffending_rates(frame, reoffended="r", events="e", group="g", alpha=alpha)
    rates = rates.set_index("g")
    col = "binary" if outcome_type == "binary" else "frequency"
    scale = 100 if outcome_type == "binary" else 1
    rate = f"{col}_rate" if col == "binary" else "frequency_per_100"
    out = {}
    for g, name in ((1, "treated"), (0, "comparison")):
        out[f"{name}_rate_all"] = scale * float(rates.loc[g, rate])
        out[f"{name}_rate_all_ci_low"] = scale * float(rates.loc[g, f"{col}_ci_low"])
        out[f"{name}_rate_all_ci_high"] = scale * float(rates.loc[g, f"{col}_ci_high"])
    return out
