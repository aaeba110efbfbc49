"""Interrupted time series: segmented regression with level and slope change.

The model for one series (counts ``y_t``, optional exposure ``N_t``) is

    g(E[y_t]) = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + seasonality + covariates
                [+ log N_t]

with ``g = log`` for the count families (``poisson``, ``quasipoisson``, ``negbin``) and the
identity for ``ols``. ``level_change`` is ``b2`` (a rate ratio ``exp(b2)`` for log links),
``slope_change`` is ``b3`` per period of the data (per month for monthly data), and
``cumulative_effect`` is the number of events the intervention added (negative: prevented)
over the post-period, ``sum_t (fitted_t - counterfactual_t)``; its p-value, its interval and
its rate ratio (``relative_effect``) all come from the delta-method interval of the log ratio
of the two totals, so they always agree (see ``_cumulative``).

With a control series (controlled ITS) the stacked model has one fixed effect per period,
which absorbs everything the two series share (trend, seasonality, common shocks); the
effect terms are the *treated-minus-control* changes at the intervention (Lopez Bernal,
Cummins & Gasparrini 2018, Int J Epidemiol 47(6)). For OLS this equals the segmented
regression of the difference series; HAC errors sum the scores within each period
(Driscoll–Kraay), so common shocks cancel in the contrast as they should. What the period
effects cannot absorb are shocks of the treated areas' own that last for months; with
comparison areas given one by one the controlled ITS is therefore calibrated by
placebo-in-space by default (``inference="placebo"``: each comparison area, or group of as
many areas as are treated, refitted as a fake treated area; see ``_calibrate``).
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from threadpoolctl import threadpool_limits

from evalkit._checks import DEFAULT_SEED
from evalkit.data.panel import Panel, as_panel, panel_roles
from evalkit.data.periods import parse_period
from evalkit.data.validate import (
    check_intervention,
    check_names,
    check_numeric,
)
from evalkit.designs._common import (
    COVID_WINDOW,
    as_list,
    check_alpha,
    check_choice,
    covid_overlap,
    provenance,
)
from evalkit.errors import DataError, EvalkitError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import (
    RELATIVE_COLUMNS,
    Diagnostic,
    EvaluationResult,
    Extras,
    effect_row,
    effects_table,
    warns_at_caller,
)

__all__ = ["ItsExtras", "its", "newey_west_lags"]

Family = Literal["ols", "poisson", "quasipoisson", "negbin"]
Seasonality = Literal["auto", "none", "month", "fourier"]
SE = Literal["model", "robust", "hac", "ar1"]
Inference = Literal["placebo", "model"]

_SEASON_LENGTH = {"M": 12, "Q": 4, "W": 52, "D": 7, "Y": 1}
#: What ``seasonality="auto"`` means for each frequency: one dummy per month, quarter or
#: day of the week; Fourier pairs for weeks (51 dummies would eat a short series, and
#: weeks drift against the calendar year); nothing for yearly data.
AUTO_SEASONALITY = {"M": "month", "Q": "month", "D": "month", "W": "fourier", "Y": "none"}
#: Power at which the minimum detectable cumulative effect is stated.
MDE_POWER = 0.8
OLS_RATE_BASE = 100_000
#: Fewest comparison areas for the placebo calibration of a controlled ITS (fewer: the
#: model's standard errors, with a caveat), and fewest left as the control of a placebo.
MIN_PLACEBO_AREAS = 5
MIN_PLACEBO_CONTROL = 2
#: Most placebo fits (groups drawn at random, seeded, beyond this many).
MAX_PLACEBOS = 50
#: Placebo check: the comparison areas' placebo effects spread at most this many times the
#: model's standard error (a larger factor: the model describes their series poorly).
MAX_PLACEBO_INFLATION = 3.0


def newey_west_lags(n: int) -> int:
    """Newey–West (1994) rule of thumb for the HAC bandwidth: ``floor(4 (n/100)^(2/9))``."""
    return max(1, math.floor(4 * (n / 100) ** (2 / 9)))


@warns_at_caller
def its(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    time: str | None = None,
    intervention: object,
    exposure: str | None = None,
    family: Family = "poisson",
    seasonality: Seasonality = "none",
    harmonics: int = 2,
    slope_change: bool = True,
    control: str | Sequence[str] | None = None,
    covariates: Sequence[str] = (),
    se: SE = "model",
    hac_lags: int | None = None,
    unit: str | None = None,
    units: str | Sequence[str] | None = None,
    inference: Inference | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
    exclude: Sequence[object] = (),
) -> EvaluationResult:
    """Estimate the effect of an intervention on one series by segmented regression.

    Parameters
    ----------
    data : Panel, DataFrame or path
        One row per period, or a panel (``unit``) whose ``units`` are summed into the
        treated series. A Panel's roles (unit, time, outcome, exposure) are the defaults of
        those arguments; an argument naming another column raises :class:`SpecError`.
    outcome : str
        Count (or, for ``family="ols"``, any numeric) column.
    time : str
        Period column (``2021-06``, dates, years...).
    intervention : str, int or Period
        First period under the intervention.
    exposure : str, optional
        Population or other denominator, used as a log offset (count families) or to model
        the rate per 100,000 (``ols``).
    family : {"poisson", "quasipoisson", "negbin", "ols"}
        ``quasipoisson`` scales SEs by the Pearson dispersion (as R's ``quasipoisson``);
        ``negbin`` is NB2 by maximum likelihood.
    seasonality : {"auto", "none", "month", "fourier"}
        Period-of-year dummies (one per month, quarter or day of the week: ``"month"``
        whatever the frequency), ``harmonics`` sine/cosine pairs, or ``"auto"``: dummies
        for monthly, quarterly and daily data, Fourier pairs for weekly data, none for
        yearly data (see ``AUTO_SEASONALITY``). The value used is in
        ``spec["seasonality"]`` and ``provenance["parameters"]["seasonality"]``.
    harmonics : int
        Number of Fourier pairs when ``seasonality="fourier"``.
    slope_change : bool
        Also estimate a change of trend after the intervention.
    exclude : sequence of periods, optional
        Periods before the intervention left out of every series and of the fit (e.g. the
        months in which the areas were chosen after a peak: ``run_designs``'
        ``exclude_before``); the trend and seasonality are fitted on the others.
    control : str or list of str, optional
        Controlled ITS: with ``unit``, the unit label(s) summed into the control series;
        without ``unit``, the name of a column holding the control series' counts.
    covariates : sequence of str
        Time-varying covariates (averaged over units for a panel).
    se : {"model", "robust", "hac", "ar1"}
        Model-based, heteroskedasticity-robust, Newey–West HAC standard errors, or (``ols``
        only) generalised least squares with AR(1) errors whose correlation is estimated
        by REML, as R ``nlme::gls(correlation = corAR1(), method = "REML")``. HAC
        intervals under-cover when the errors are autocorrelated and the series is short
        (see the coverage table in the README); ``ar1`` is the recommended fallback.
    hac_lags : int, optional
        HAC bandwidth; default ``floor(4 (n/100)^(2/9))`` (Newey & West 1994).
    unit, units : str, optional
        Unit column of a panel and the unit label(s) forming the treated series
        (default: every unit not in ``control``).
    inference : {"placebo", "model"}, optional
        Controlled ITS only. ``"placebo"`` (the default with a control): the intervals and
        p-values are calibrated by placebo-in-space. The same controlled ITS is refitted
        with comparison areas as fake treated areas (each area alone when one area is
        treated; groups of as many areas as are treated, all of them or ``MAX_PLACEBOS``
        drawn with ``seed``, when several are), the other comparison areas as the control.
        The variance the placebos show beyond their model's (``mean(estimate^2 -
        SE^2)``) is added to each term's, and the reference is ``t`` with about as many
        degrees of freedom as placebos (see ``_calibrate``). The model's standard errors
        miss district shocks that persist over months, which the placebos show; on
        simulated cities (``simulate_realistic_city``, 100 each, one treated area) this
        brings the cumulative effect's coverage with persistent district shocks from 82 %
        to 93 % (with a slope change) and from 86 % to 95 % (level only), and keeps it at
        96–97 % with moderate noise. The check ``placebo_calibration``
        holds the cumulative effect's SE factor (``passed`` while at most
        ``MAX_PLACEBO_INFLATION``), the rank p-value of the real effect among the placebos
        and their table; ``sample["n_placebos"]`` their number. The calibration also covers
        residual autocorrelation (the placebos have it too), so the ``autocorrelation``
        check is then marked accounted for; the placebos are fitted with the same ``se=``
        (and family, exposure, seasonality, covariates), so only what that SE misses is
        added and nothing is inflated twice. With fewer than ``MIN_PLACEBO_AREAS``
        comparison areas given as units of a panel (``unit=``, ``control=[...]``), or a
        control given as one column, the model's standard errors are used with a caveat
        saying the interval is not calibrated. ``"model"``: the model's standard errors.
    seed : int, optional
        Seed of the placebo groups drawn when several areas are treated (default
        ``DEFAULT_SEED``: the same data give the same result).
    alpha : float
        1 - confidence level.

    Returns
    -------
    EvaluationResult
        Method ``its``, or ``controlled_its`` with a control series (so that both can sit
        side by side in one ``results.json``, as in the ``evaluation`` template).
        Terms ``level_change``, ``slope_change`` (if requested) and ``cumulative_effect``;
        ``series`` holds observed, fitted and counterfactual values with the
        counterfactual's confidence band. With ``se="ar1"`` the term ``ar1_rho`` holds the
        REML estimate of the errors' lag-1 correlation (no standard error). ``extras``
        (:class:`ItsExtras`): ``cumulative_mde``, the smallest fall of the cumulative total
        detectable with 80 % power (``ratio``, ``percent``, ``count`` of events), None when
        the totals have no ratio, and ``cumulative_log_ratio_se``. ``vcov`` holds the
        covariance of the level and slope changes.
    """
    check_choice("family", family, ("ols", "poisson", "quasipoisson", "negbin"))
    check_choice("seasonality", seasonality, ("auto", "none", "month", "fourier"))
    check_choice("se", se, ("model", "robust", "hac", "ar1"))
    if se == "ar1" and family != "ols":
        raise SpecError("se='ar1' (GLS with AR(1) errors) needs family='ols'; for counts "
                        "use se='hac' or a control series.")
    check_alpha(alpha)
    if seasonality == "fourier" and (not isinstance(harmonics, int) or harmonics < 1):
        raise SpecError(f"harmonics must be a positive whole number; got {harmonics!r}.")
    if hac_lags is not None and se != "hac":
        raise SpecError("hac_lags is only used with se='hac'; remove it or set se='hac'.")
    if inference is not None:
        check_choice("inference", inference, ("placebo", "model"))
        if control is None:
            raise SpecError(f"inference={inference!r} is an option of the controlled ITS; "
                            "give control= (comparison areas or a control column) or leave "
                            "inference out.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise SpecError(f"seed must be a whole number or None; got {seed!r}.")
    inference = inference or ("placebo" if control is not None else "model")
    seed = DEFAULT_SEED if seed is None else int(seed)
    covariates = as_list(covariates)
    outcome, time, exposure, unit = panel_roles(
        data, ("outcome", "time"), outcome=outcome, time=time, exposure=exposure,
        unit=unit).values()
    if control is not None and se == "ar1":
        raise SpecError("se='ar1' cannot be used with a control series; use se='hac' (the "
                        "Newey–West errors are then computed on the period-level contrast).")
    if control is not None and unit is None and exposure is not None:
        raise SpecError("a control series given as a column has no exposure of its own; "
                        "model counts without exposure, or give a panel (unit=, units=, "
                        "control=) so that each series has its own exposure.")
    params = {
        "outcome": outcome, "time": time, "intervention": str(intervention),
        "exposure": exposure, "family": family, "seasonality": seasonality,
        "harmonics": harmonics, "slope_change": slope_change, "control": control,
        "covariates": covariates, "se": se, "hac_lags": hac_lags, "unit": unit,
        "units": units, "inference": inference, "seed": seed, "alpha": alpha,
    }
    exclude = as_list(exclude)
    if exclude:  # recorded only when used: older provenance stays as it was
        params["exclude"] = [str(p) for p in exclude]

    frame, freq, notes, n_units, pool = _series(
        data, outcome=outcome, time=time, exposure=exposure, control=control,
        covariates=covariates, unit=unit, units=units, family=family,
        exclude=(intervention, exclude),
    )
    t0 = parse_period(intervention, freq, name="intervention")
    n_season = _SEASON_LENGTH.get(freq, 1)
    treated_periods = frame.loc[frame["_group"] == 1, "_period"]
    if seasonality == "auto":
        seasonality = AUTO_SEASONALITY.get(freq, "none")
        params["seasonality"] = seasonality
        params["seasonality_requested"] = "auto"
    min_pre = _min_pre(seasonality, n_season, harmonics)
    check_intervention(treated_periods, t0, min_pre=min_pre, min_post=1,
                       design="interrupted time series")
    if seasonality != "none" and n_season == 1:
        raise SpecError(f"seasonality={seasonality!r} needs sub-annual data; this data is "
                        "yearly. Use seasonality='none'.")

    options = _Options(family=family, seasonality=seasonality, harmonics=harmonics,
                       slope_change=slope_change, covariates=covariates, exposure=exposure,
                       se=se, hac_lags=hac_lags)
    fitted = _fit_model(frame, t0, freq, options)
    est = _estimates(frame, t0, fitted, options, alpha=alpha)
    calibration, placebo_warn = None, []
    if inference == "placebo":
        n_pool = len(pool.names) if pool is not None else 1
        n_treated = n_units - n_pool
        if pool is None or n_pool < MIN_PLACEBO_AREAS or n_pool - n_treated < MIN_PLACEBO_CONTROL:
            placebo_warn.append(Caveat("its_placebo_few", n=n_pool, min=MIN_PLACEBO_AREAS))
        else:
            groups = _placebo_groups(n_pool, n_treated, seed)
            # dozens of small fits: BLAS threads only add overhead (5-10x on a busy machine)
            with threadpool_limits(1):
                table = _placebo_fits(frame, pool, groups, t0, freq, options, alpha=alpha)
            if table["placebo"].nunique() < MIN_PLACEBO_AREAS:
                placebo_warn.append(Caveat("its_placebo_few", n=int(table["placebo"].nunique()),
                                           min=MIN_PLACEBO_AREAS))
            else:
                real = _statistics(est)
                calibration = _calibrate(table, real, n_areas=n_pool, n_treated=n_treated)
                est = _estimates(frame, t0, fitted, options, alpha=alpha,
                                 calibration=calibration)
    y, res, df_t, se_log_ratio = fitted.y, fitted.res, est.df_t, est.se_log_ratio
    series = _series_frame(frame, fitted.x, est.x0, fitted.beta,
                           fitted.vcov * est.band_scale**2, fitted.offset, y, t0,
                           log_link=fitted.log_link, alpha=alpha, df_t=df_t)
    diagnostics, warn = _diagnostics(res, fitted.model, frame, y, family=family, se=se,
                                     freq=freq, t0=t0, calibrated=calibration is not None)
    warn += placebo_warn
    if calibration is not None:
        check = _placebo_diagnostic(calibration, real)
        diagnostics.append(check)
        notes.append(Caveat("its_placebo", n=calibration.n, areas=calibration.n_areas,
                            factor=check.statistic, df=calibration.df))
        if not check.passed:
            warn.append(Caveat("its_placebo_extreme", factor=check.statistic,
                               max=MAX_PLACEBO_INFLATION))
    warn += _warnings(frame, t0, freq, y, family=family, exposure=exposure)
    if se == "ar1" and abs(res.rho) > 0.97:
        warn.append(Caveat("rho_at_bound", rho=res.rho))
    if exposure and family == "ols":
        notes.append(Caveat("ols_rate", base=OLS_RATE_BASE, exposure=exposure))
    n_pre = int(((frame["_group"] == 1) & (frame["_period"] < t0)).sum())
    mde = _cumulative_mde(se_log_ratio, est.cf_total, alpha=alpha, df_t=df_t)
    spec = {
        "outcome": outcome, "time": time, "unit": unit, "units": units,
        "intervention": str(t0), "exposure": exposure, "family": family,
        "seasonality": seasonality, "harmonics": harmonics if seasonality == "fourier" else None,
        "slope_change": slope_change, "control": control, "covariates": covariates,
        "se": se, "vcov": fitted.label + (
            f", widened by placebo-in-space (t, {calibration.df:.1f} df)" if calibration else ""),
        "hac_lags": fitted.lags if se == "hac" else None,
        "inference": "placebo" if calibration else "model", "alpha": alpha,
        "freq": freq, "slope_units": f"per period ({freq})",
        "cumulative_units": "counts" if (family != "ols" or exposure) else outcome,
    }
    sample = {
        "n_obs": len(y), "n_units": n_units, "n_periods": int(treated_periods.nunique()),
        "n_pre": n_pre, "n_post": int(est.treated_post.sum()),
        "first_period": str(treated_periods.min()), "last_period": str(treated_periods.max()),
        "n_placebos": calibration.n if calibration else 0, "notes": notes,
    }
    return EvaluationResult(
        method="controlled_its" if fitted.controlled else "its", spec=spec,
        effects=effects_table(est.rows), series=series,
        diagnostics=tuple(diagnostics), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params, seed=seed if calibration else None),
        extras=ItsExtras(cumulative_log_ratio_se=se_log_ratio, cumulative_mde=mde),
        vcov=est.vcov_effects, wald_df=est.wald_df,
    )


@dataclass(frozen=True)
class ItsExtras(Extras):
    """What an ITS computes besides its effects and counts.

    Attributes
    ----------
    cumulative_log_ratio_se : float
        SE of ``log(fitted / counterfactual)`` of the post-period totals (NaN without a
        ratio); the cumulative effect's test statistic is its log ratio over this SE. For a
        placebo-calibrated controlled ITS, the model's SE times the placebo factor.
    cumulative_mde : mapping or None
        The smallest fall of the cumulative total detectable with 80 % power: ``ratio``,
        ``percent``, ``count`` of events; None when the totals have no ratio.
    """

    cumulative_log_ratio_se: float
    cumulative_mde: Mapping[str, float] | None


# -- fit and estimates ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Options:
    """The model options of :func:`its` (checked)."""

    family: str
    seasonality: str
    harmonics: int
    slope_change: bool
    covariates: list[str]
    exposure: str | None
    se: str
    hac_lags: int | None


@dataclass(frozen=True)
class _Fitted:
    """The segmented regression as fitted: design, outcome, coefficients, covariance."""

    x: np.ndarray
    names: list[str]
    effect_cols: dict[str, str]
    y: np.ndarray  # the modelled outcome (a rate per OLS_RATE_BASE for OLS with exposure)
    offset: np.ndarray | None
    controlled: bool
    lags: int
    model: object
    res: object
    beta: np.ndarray
    vcov: np.ndarray
    label: str
    df_t: float | None
    log_link: bool


@dataclass(frozen=True)
class _Estimates:
    """The effect rows and what the series, the MDE and the assembly reuse."""

    rows: list[dict]
    x0: np.ndarray  # the design with the intervention terms set to 0 (counterfactual)
    treated_post: np.ndarray
    se_log_ratio: float
    cf_total: float
    wald_df: dict[str, float]
    vcov_effects: pd.DataFrame
    df_t: float | None  # the reference's degrees of freedom (None: normal)
    band_scale: float  # the counterfactual band's SE factor (the cumulative effect's)


@dataclass(frozen=True)
class _Pool:
    """The comparison areas of a panel control, one row per area over the sorted periods."""

    names: list[str]
    y: np.ndarray
    exposure: np.ndarray | None
    covariates: dict[str, np.ndarray]


@dataclass(frozen=True)
class _Calibration:
    """What the placebos say about the model's standard errors (see :func:`_calibrate`)."""

    factor: dict[str, float]  # term -> the real SE's widening, sqrt(1 + tau^2 / SE^2)
    df: float  # degrees of freedom of the t reference
    n: int  # placebo fits used
    n_areas: int  # comparison areas they were drawn from
    table: pd.DataFrame  # placebo, term, estimate, std_error, z


def _fit_model(frame: pd.DataFrame, t0: pd.Period, freq: str, options: _Options) -> _Fitted:
    """Build the design of the level and slope changes and fit it."""
    family, se, exposure, hac_lags = (options.family, options.se, options.exposure,
                                      options.hac_lags)
    x, names, effect_cols = _design(frame, t0, freq, seasonality=options.seasonality,
                                    harmonics=options.harmonics,
                                    slope_change=options.slope_change,
                                    covariates=options.covariates)
    y = frame["_y"].to_numpy(float)
    offset = np.log(frame["_exposure"].to_numpy(float)) if exposure and family != "ols" else None
    if exposure and family == "ols":
        y = y / frame["_exposure"].to_numpy(float) * OLS_RATE_BASE
    controlled = bool((frame["_group"] == 0).any())
    time_codes = pd.factorize(frame["_period"], sort=True)[0] if controlled else None
    n_periods = int(frame["_period"].nunique())
    lags = hac_lags if hac_lags is not None else newey_west_lags(n_periods)
    model, res, vcov, label, df_t = _fit(y, x, offset, family=family, se=se, lags=lags,
                                         time_codes=time_codes)
    beta = np.asarray(res.params)[: x.shape[1]]
    vcov = vcov[: x.shape[1], : x.shape[1]]
    return _Fitted(x=x, names=names, effect_cols=effect_cols, y=y, offset=offset,
                   controlled=controlled, lags=lags, model=model, res=res, beta=beta,
                   vcov=vcov, label=label, df_t=df_t, log_link=family != "ols")


def _estimates(frame: pd.DataFrame, t0: pd.Period, fitted: _Fitted, options: _Options, *,
               alpha: float, calibration: _Calibration | None = None) -> _Estimates:
    """Level and slope changes, the cumulative effect and their Wald degrees of freedom.

    With a ``calibration`` each term's standard error is multiplied by its placebo factor
    and the reference is ``t`` with the placebos' degrees of freedom.
    """
    family, se, exposure = options.family, options.se, options.exposure
    x, names, effect_cols, offset, res, beta, vcov, df_t = (
        fitted.x, fitted.names, fitted.effect_cols, fitted.offset, fitted.res, fitted.beta,
        fitted.vcov, fitted.df_t)
    factor = dict.fromkeys([*effect_cols, "cumulative_effect"], 1.0)
    if calibration is not None:
        factor.update(calibration.factor)
        df_t = calibration.df
    n = len(fitted.y)
    log_link = family != "ols"
    x0 = x.copy()
    for col in effect_cols.values():
        x0[:, names.index(col)] = 0.0
    treated_post = ((frame["_group"] == 1) & (frame["_period"] >= t0)).to_numpy()
    rows = []
    for term, col in effect_cols.items():
        j = names.index(col)
        rows.append(effect_row(term, beta[j], math.sqrt(vcov[j, j]) * factor[term],
                               alpha=alpha, scale="log" if log_link else "additive", df=df_t,
                               relative="exp" if log_link else "none"))
    if not log_link:
        # the jump as a share of the counterfactual level at the start (held fixed): the
        # same test as the jump itself; none when that share would leave (0, inf)
        base = float(x0[np.argmax(treated_post)] @ beta)
        level = rows[0]
        ratios = [(base + level[c]) / base if base > 0 else float("nan")
                  for c in ("estimate", "ci_low", "ci_high")]
        if min(ratios) > 0:
            level.update(zip(RELATIVE_COLUMNS, ratios, strict=True))
    scale_back = (frame["_exposure"].to_numpy(float) / OLS_RATE_BASE
                  if exposure and family == "ols" else np.ones(n))
    cumulative, se_log_ratio, cf_total = _cumulative(
        x, x0, beta, vcov * factor["cumulative_effect"] ** 2, offset, treated_post, scale_back,
        log_link=log_link, alpha=alpha, df_t=df_t)
    rows.append(cumulative)
    wald_df = {term: math.inf if df_t is None else df_t for term in effect_cols}
    if not np.isfinite(se_log_ratio):  # no ratio: the count's interval is a plain Wald one
        wald_df["cumulative_effect"] = math.inf if df_t is None else df_t
    if se == "ar1":  # the REML estimate of the errors' correlation, an estimate in its own row
        rows.append({"term": "ar1_rho", "estimate": float(res.rho), "std_error": math.nan,
                     "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan,
                     "scale": "additive"})
    at = [names.index(col) for col in effect_cols.values()]
    scale = np.array([factor[term] for term in effect_cols])
    vcov_effects = pd.DataFrame(vcov[np.ix_(at, at)] * np.outer(scale, scale),
                                index=list(effect_cols), columns=list(effect_cols))
    return _Estimates(rows=rows, x0=x0, treated_post=treated_post,
                      se_log_ratio=se_log_ratio, cf_total=cf_total, wald_df=wald_df,
                      vcov_effects=vcov_effects, df_t=df_t,
                      band_scale=factor["cumulative_effect"])


# -- placebo-in-space calibration ----------------------------------------------------------
def _statistics(est: _Estimates) -> dict[str, tuple[float, float]]:
    """Each term's (estimate, SE) on the scale of its test: the cumulative effect's log ratio
    when it has one, the model scale of the level and slope changes."""
    out = {}
    for row in est.rows:
        if row["term"] == "cumulative_effect" and np.isfinite(est.se_log_ratio):
            out[row["term"]] = (math.log(row["relative_effect"]), est.se_log_ratio)
        elif row["term"] != "ar1_rho":
            out[row["term"]] = (row["estimate"], row["std_error"])
    return out


def _placebo_groups(m: int, k: int, seed: int) -> list[tuple[int, ...]]:
    """Every group of ``k`` of the ``m`` comparison areas, or ``MAX_PLACEBOS`` distinct ones
    drawn with ``seed`` when there are more."""
    if math.comb(m, k) <= MAX_PLACEBOS:
        return list(itertools.combinations(range(m), k))
    rng = np.random.default_rng(seed)
    groups: set[tuple[int, ...]] = set()
    while len(groups) < MAX_PLACEBOS:
        groups.add(tuple(sorted(int(i) for i in rng.choice(m, k, replace=False))))
    return sorted(groups)


def _placebo_fits(frame: pd.DataFrame, pool: _Pool, groups: Sequence[tuple[int, ...]],
                  t0: pd.Period, freq: str, options: _Options, *, alpha: float
                  ) -> pd.DataFrame:
    """Refit the controlled ITS with each group of comparison areas as the treated series and
    the other comparison areas as the control (the treated areas left out), with the same
    model: family, exposure offsets, covariates, standard errors. A fit that fails is left
    out. Returns one row per placebo and term: ``placebo, term, estimate, std_error, z``."""
    treated = (frame["_group"] == 1).to_numpy()
    everyone = np.arange(len(pool.names))
    rows = []
    for group in groups:
        g = list(group)
        rest = np.setdiff1d(everyone, g)
        placebo = frame.copy()
        placebo.loc[treated, "_y"] = pool.y[g].sum(0)
        placebo.loc[~treated, "_y"] = pool.y[rest].sum(0)
        if pool.exposure is not None:
            placebo.loc[treated, "_exposure"] = pool.exposure[g].sum(0)
            placebo.loc[~treated, "_exposure"] = pool.exposure[rest].sum(0)
        for c, values in pool.covariates.items():
            placebo.loc[treated, c] = values[g].mean(0)
            placebo.loc[~treated, c] = values[rest].mean(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a placebo's own fit warnings are not ours
                fitted = _fit_model(placebo, t0, freq, options)
                stats_ = _statistics(_estimates(placebo, t0, fitted, options, alpha=alpha))
        except (EvalkitError, np.linalg.LinAlgError, ValueError, OverflowError):
            continue
        if not all(np.isfinite(v).all() and v[1] > 0 for v in stats_.values()):
            continue
        name = "+".join(pool.names[i] for i in g)
        rows += [{"placebo": name, "term": term, "estimate": est, "std_error": se,
                  "z": est / se} for term, (est, se) in stats_.items()]
    return pd.DataFrame(rows, columns=["placebo", "term", "estimate", "std_error", "z"])


def _calibrate(table: pd.DataFrame, real: Mapping[str, tuple[float, float]], *,
               n_areas: int, n_treated: int) -> _Calibration:
    """The real fit's standard errors widened by what the placebos show.

    A placebo's estimate has no effect in it, so ``E[estimate^2] = SE^2 + tau^2``: the
    model's variance plus what it misses, chiefly district shocks that last for months
    (the period effects absorb shared shocks, the quasi-Poisson scale inflates every
    period alike, but a shock of one area's own carries over the whole post-period). Each
    term's ``tau^2`` is estimated by ``max(0, mean(estimate^2 - SE^2))`` over the placebos
    and added to the real fit's variance: the factor is ``sqrt(1 + tau^2 / SE^2) >= 1``
    (calm placebos never narrow the model's interval). The missing variance is additive,
    not a multiple of the model's: those shocks are on the log scale, the same for a small
    area as for a large one, whereas count noise shrinks with the area's counts. So one
    multiplier for every area (the root mean square of the placebos' ``z``) widens the
    intervals of small areas too much and of large ones too little: on
    ``simulate_realistic_city("null_persistent_1")`` (100 cities) the cumulative effect of
    the smaller half of the treated areas covered 98 % and the larger half 88 % with it,
    96 % and 90 % with ``tau^2``, which also keeps more power (50 % against 47 % at -20 %
    with one area). Its precision is that of a variance estimated from the comparison
    areas: with groups of one area, ``n`` placebos give ``n`` degrees of freedom; with
    overlapping groups of ``k`` of ``m`` areas about ``m^2 / (m + (k - 1)^2)`` (the sum of
    squared group sums is a quadratic form in the ``m`` area contrasts whose cross terms
    add variance), never more than the number of placebos.
    """
    n = int(table["placebo"].nunique())
    factor = {}
    for term, rows in table.groupby("term", sort=False):
        tau2 = max(0.0, float(np.mean(rows["estimate"] ** 2 - rows["std_error"] ** 2)))
        factor[term] = math.sqrt(1.0 + tau2 / real[term][1] ** 2)
    df = min(float(n), n_areas**2 / (n_areas + (n_treated - 1) ** 2))
    return _Calibration(factor=factor, df=df, n=n, n_areas=n_areas, table=table)


def _placebo_diagnostic(calibration: _Calibration, real: dict[str, tuple[float, float]]
                        ) -> Diagnostic:
    """The check: how much the placebos widen the cumulative effect's standard error
    (statistic: its factor; passed while at most ``MAX_PLACEBO_INFLATION``: beyond it the
    model misses most of the comparison areas' variation, and the interval rests on the
    placebos alone), and the rank p-value of the real effect's ``|z|`` among the
    placebos' (``(1 + #{|z_p| >= |z|}) / (1 + n)``, model SEs), a distribution-free
    test."""
    factor = calibration.factor["cumulative_effect"]
    est, se = real["cumulative_effect"]
    z = abs(est / se)
    zp = calibration.table.loc[calibration.table["term"] == "cumulative_effect", "z"]
    p_rank = (1 + int((zp.abs() >= z).sum())) / (1 + len(zp))
    passed = factor <= MAX_PLACEBO_INFLATION
    return Diagnostic(
        name="placebo_calibration",
        null=f"the comparison areas' placebo effects vary about as the model expects "
             f"(standard error widened at most {MAX_PLACEBO_INFLATION:g} times)",
        statistic=factor, p_value=p_rank, passed=passed, table=calibration.table,
        message=f"{calibration.n} placebo fits on {calibration.n_areas} comparison areas: "
                f"the variance they show beyond the model's widens the cumulative "
                f"effect's standard error {factor:.2f} times; the real effect ranks with "
                f"p = {p_rank:.3f} among them",
    )


# -- data ----------------------------------------------------------------------------------
def _series(data, *, outcome, time, exposure, control, covariates, unit, units, family,
            exclude=(None, ())):
    """Validated long frame with columns _period, _group (1 treated, 0 control), _y, ...,
    and the comparison areas one by one (a :class:`_Pool`, None without a panel control).
    ``exclude``: (intervention, periods before it left out of every series)."""
    controls = as_list(control)
    pool = None
    if not unit and len(controls) > 1:
        raise SpecError("without unit=, control must be one column name holding the "
                        f"control series; got {controls}.")
    rules = {c: {"nonnegative": False} for c in covariates}
    if controls and not unit:  # the control series' column: counts like the outcome
        rules[controls[0]] = {"nonnegative": family != "ols"}
    rules[outcome] = {"nonnegative": family != "ols"}
    panel = as_panel(data, unit=unit or None, time=time, outcome=outcome,
                     exposure=exposure or None, rules=rules)
    df, freq = panel.data.assign(_period=panel.data[time]), panel.freq
    notes: list[Caveat] = []
    if exclude[1]:
        start = parse_period(exclude[0], freq, name="intervention")
        left_out = {parse_period(p, freq, name="exclude") for p in exclude[1]}
        if any(p >= start for p in left_out):
            raise SpecError(f"exclude lists periods from the intervention ({start}) on; only "
                            "periods before it can be left out. Fix: remove them.")
        df = df[~df["_period"].isin(left_out)]
        notes.append(Caveat("its_excluded", n=len(left_out)))
    if unit:
        df[unit] = df[unit].astype(str)
        labels = set(df[unit])
        treated = as_list(units) or sorted(labels - set(controls))
        check_names(treated + controls, sorted(labels), parameter="units and control",
                    column=unit)
        if set(treated) & set(controls):
            raise SpecError(f"units {sorted(set(treated) & set(controls))} are both treated "
                            "and control; a unit can only be one.")
        parts = [_aggregate(df[df[unit].isin(treated)], outcome, exposure, covariates, unit, 1)]
        if controls:
            ctl = df[df[unit].isin(controls)]
            parts.append(_aggregate(ctl, outcome, exposure, covariates, unit, 0))
            pool = _pool(ctl, controls, outcome, exposure, covariates, unit)
        if len(treated) > 1:
            notes.append(Caveat("units_summed", n=len(treated)))
        n_units = len(treated) + len(controls)
        frame = pd.concat(parts, ignore_index=True)
    else:
        base = pd.DataFrame({"_period": df["_period"], "_y": df[outcome].astype(float),
                             "_group": 1})
        base["_exposure"] = df[exposure].astype(float) if exposure else 1.0
        for c in covariates:
            base[c] = df[c].astype(float)
        parts = [base]
        if controls:
            check_numeric(df, controls[0], nonnegative=family != "ols")
            ctl = base.assign(_y=df[controls[0]].astype(float), _group=0)
            parts.append(ctl)
        frame = pd.concat(parts, ignore_index=True)
        n_units = len(parts)
    frame = frame.sort_values(["_group", "_period"], ascending=[False, True])
    frame = frame.reset_index(drop=True)
    if controls:
        t1 = set(frame.loc[frame["_group"] == 1, "_period"])
        t0 = set(frame.loc[frame["_group"] == 0, "_period"])
        if t1 != t0:
            raise DataError("the treated and control series cover different periods; "
                            f"periods only in one of them: {sorted(map(str, t1 ^ t0))[:5]}. "
                            "Give both series for the same periods.")
    return frame, freq, notes, n_units, pool


def _pool(df, controls, outcome, exposure, covariates, unit) -> _Pool:
    """The comparison areas one by one (rows) over the sorted periods (columns)."""
    def wide(column: str) -> np.ndarray:
        return (df.pivot(index=unit, columns="_period", values=column)
                .reindex(index=controls).sort_index(axis=1).to_numpy(float))

    return _Pool(names=list(controls), y=wide(outcome),
                 exposure=wide(exposure) if exposure else None,
                 covariates={c: wide(c) for c in covariates})


def _aggregate(df, outcome, exposure, covariates, unit, group):
    spans = df.groupby(unit)["_period"].agg(["min", "max", "size"])
    if len(spans) > 1 and (spans.nunique() > 1).any():
        detail = "; ".join(f"{u}: {r['min']} to {r['max']} ({r['size']} periods)"
                           for u, r in spans.head(5).iterrows())
        raise DataError(
            f"the units summed into one series cover different periods ({detail}). A unit "
            "that starts or stops reporting would create a jump in the summed series. Give "
            "every unit the same periods (0 for months without incidents) or choose units "
            "that do."
        )
    agg = {outcome: "sum", **{c: "mean" for c in covariates}}
    if exposure:
        agg[exposure] = "sum"
    out = df.groupby("_period", sort=True).agg(agg).reset_index()
    out = out.rename(columns={outcome: "_y"})
    out["_exposure"] = out.pop(exposure) if exposure else 1.0
    out["_group"] = group
    return out


# -- model ---------------------------------------------------------------------------------
def _design(frame, t0, freq, *, seasonality, harmonics, slope_change, covariates):
    periods = pd.PeriodIndex(frame["_period"])
    origin = periods.min()
    t = np.asarray([(p - origin).n for p in periods], dtype=float)
    t_start = float((t0 - origin).n)
    post = (periods >= t0).astype(float)
    g = frame["_group"].to_numpy(float)
    controlled = bool((g == 0).any())
    effect_cols = {"level_change": "post"}
    if slope_change:
        effect_cols["slope_change"] = "time_since"
    if controlled:
        # period fixed effects absorb everything the two series share (trend, season,
        # common shocks): the effects come from the treated-minus-control contrast
        codes = pd.factorize(frame["_period"], sort=True)[0]
        cols: dict[str, np.ndarray] = {f"period_{i}": (codes == i).astype(float)
                                       for i in range(codes.max() + 1)}
        cols.update({"treated": g, "treated:time": t * g, "treated:post": post * g})
        if slope_change:
            cols["treated:time_since"] = (t - t_start) * post * g
        effect_cols = {k: f"treated:{v}" for k, v in effect_cols.items()}
    else:
        cols = {"intercept": np.ones(len(frame)), "time": t, "post": post}
        if slope_change:
            cols["time_since"] = (t - t_start) * post
        cols.update(_seasonal_terms(periods, freq, seasonality, harmonics))
    for c in covariates:
        cols[c] = frame[c].to_numpy(float)
    names = list(cols)
    x = np.column_stack([cols[k] for k in names])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise DataError(
            "the ITS design is collinear: too few periods for the chosen seasonality and "
            "covariates, or a covariate that is constant. Use seasonality='fourier' with "
            "fewer harmonics, or drop covariates."
        )
    return x, names, effect_cols


def _seasonal_terms(periods, freq, seasonality, harmonics) -> dict[str, np.ndarray]:
    """Period-of-year dummies or Fourier pairs (``harmonic(position, h, period)`` as in R's
    tsModel, frequencies 1..h)."""
    n_season = _SEASON_LENGTH.get(freq, 1)
    position = np.asarray(
        [(p.month - 1) if freq == "M" else (p.quarter - 1) if freq == "Q" else
         (p.week - 1) if freq == "W" else p.day_of_week if freq == "D" else 0 for p in periods],
        dtype=float)
    cols: dict[str, np.ndarray] = {}
    if seasonality == "month":
        for s in range(1, n_season):
            cols[f"season_{s + 1}"] = (position == s).astype(float)
    elif seasonality == "fourier":
        for h in range(1, harmonics + 1):
            angle = 2 * np.pi * h * (position + 1) / n_season
            cols[f"sin_{h}"] = np.sin(angle)
            cols[f"cos_{h}"] = np.cos(angle)
    return cols


def _fit(y, x, offset, *, family, se, lags, time_codes=None):
    cov = {"model": ("nonrobust", {}), "robust": ("HC0", {}), "ar1": None,
           "hac": ("HAC", {"maxlags": lags, "use_correction": True})}[se]
    if se == "hac" and time_codes is not None:
        # controlled ITS: scores summed within each period, then Newey–West over periods
        cov = ("hac-groupsum", {"time": time_codes, "maxlags": lags, "use_correction": True})
    if se == "ar1":
        return _gls_ar1(y, x)
    if family == "ols":
        if se == "robust":
            cov = ("HC1", {})
        model = sm.OLS(y, x)
        res = model.fit(cov_type=cov[0], cov_kwds=cov[1] or None)
        df_t = float(res.df_resid) if se == "model" else None
    elif family in ("poisson", "quasipoisson"):
        model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
        scale = "X2" if family == "quasipoisson" and se == "model" else None
        res = model.fit(scale=scale, cov_type=cov[0], cov_kwds=cov[1] or None)
        df_t = None
    else:
        model, res = _negbin(y, x, offset, cov)
        df_t = None
    labels = {
        "model": {"ols": "classical (iid)", "poisson": "model-based (Poisson)",
                  "quasipoisson": "model-based, scaled by Pearson dispersion (quasi-Poisson)",
                  "negbin": "model-based (negative binomial NB2)"}[family],
        "robust": "heteroskedasticity-robust (HC1)" if family == "ols"
        else "heteroskedasticity-robust sandwich (HC0)",
        "hac": f"Newey–West HAC ({lags} lags, small-sample corrected"
               + (", scores summed by period)" if time_codes is not None else ")"),
    }
    return model, res, np.asarray(res.cov_params()), labels[se], df_t


def _gls_ar1(y, x):
    """GLS with AR(1) errors, rho by restricted maximum likelihood (Prais–Winsten form)."""
    from scipy.optimize import minimize_scalar

    n, p = x.shape

    def transform(rho: float) -> tuple[np.ndarray, np.ndarray]:
        c = math.sqrt(1 - rho**2)
        ys = np.concatenate([[c * y[0]], y[1:] - rho * y[:-1]])
        xs = np.vstack([c * x[:1], x[1:] - rho * x[:-1]])
        return ys, xs

    def neg_reml(rho: float) -> float:
        ys, xs = transform(rho)
        beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
        rss = float(np.sum((ys - xs @ beta) ** 2))
        _, logdet = np.linalg.slogdet(xs.T @ xs)
        # REML profile for Sigma_ij = rho^|i-j| up to constants; the innovation form
        # makes log|Sigma| and the (1 - rho^2) factors cancel to this expression
        return 0.5 * ((n - p) * math.log(rss) + logdet - math.log(1 - rho**2))

    opt = minimize_scalar(neg_reml, bounds=(-0.98, 0.98), method="bounded",
                          options={"xatol": 1e-8})
    rho = float(opt.x)
    ys, xs = transform(rho)
    model = sm.OLS(ys, xs)
    res = model.fit()
    res.rho = rho
    label = f"GLS with AR(1) errors (rho = {rho:.2f}, REML)"
    return model, res, np.asarray(res.cov_params()), label, float(n - p)  # as nlme::gls


def _negbin(y, x, offset, cov):
    """NB2 by profile likelihood over alpha (as R's glm.nb alternates theta and beta).

    The coefficients' covariance is the GLM's at the estimated alpha; beta and alpha are
    asymptotically orthogonal in NB2, so this loses nothing to first order.
    """
    from scipy.optimize import minimize_scalar

    def fit_at(log_alpha: float):
        family = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        return sm.GLM(y, x, family=family, offset=offset)

    def negll(log_alpha: float) -> float:
        return -float(fit_at(log_alpha).fit().llf)

    opt = minimize_scalar(negll, bounds=(-12.0, 5.0), method="bounded",
                          options={"xatol": 1e-6})
    model = fit_at(float(opt.x))
    res = model.fit(cov_type=cov[0], cov_kwds=cov[1] or None)
    return model, res


def _cumulative(x1, x0, beta, vcov, offset, mask, scale_back, *, log_link, alpha, df_t):
    """The cumulative effect over the post-period, from one statistic.

    ``theta = log(F / C)``, with ``F`` the fitted and ``C`` the counterfactual total over
    the treated post-period (for Poisson and OLS fits without exposure ``F`` equals the
    observed total: the post-period indicator is a regressor). Its delta-method SE carries
    the uncertainty of both totals. From it come, all at once: the p-value (Wald test of
    ``theta = 0``), the rate ratio ``exp(theta)`` with its interval, and the count ``F - C``
    with the interval ``F (1 - exp(-theta_lo)) .. F (1 - exp(-theta_hi))`` (``F`` held
    fixed), a monotone map of the same interval. So the additive interval excludes 0 exactly
    when the ratio's excludes 1 and ``p < alpha``, and the ratio never leaves (0, inf).
    ``std_error`` is the count's first-order SE under this method, ``C * SE(theta)``.
    When a total is not positive (possible with ``ols``) no ratio exists and the count gets
    a plain delta-method interval.

    Returns the effects row, ``SE(theta)`` (NaN without a ratio) and ``C``.
    """
    off = np.zeros(len(x1)) if offset is None else offset
    if log_link:
        mu1 = np.exp(x1 @ beta + off)[mask]
        mu0 = np.exp(x0 @ beta + off)[mask]
        total1, total0 = float(mu1.sum()), float(mu0.sum())
        grad1 = (x1[mask] * mu1[:, None]).sum(0)
        grad0 = (x0[mask] * mu0[:, None]).sum(0)
    else:
        s = scale_back[mask]
        grad1, grad0 = s @ x1[mask], s @ x0[mask]
        total1, total0 = float(grad1 @ beta), float(grad0 @ beta)
    est = total1 - total0
    if not (total1 > 0 and total0 > 0):
        grad = grad1 - grad0
        se = math.sqrt(float(grad @ vcov @ grad))
        return effect_row("cumulative_effect", est, se, alpha=alpha, scale="additive",
                          df=df_t), float("nan"), total0
    theta = math.log(total1 / total0)
    g = grad1 / total1 - grad0 / total0
    se_theta = math.sqrt(float(g @ vcov @ g))
    ratio = effect_row("cumulative_effect", theta, se_theta, alpha=alpha, scale="log",
                       df=df_t, relative="exp")

    def count(r: float) -> float:
        return total1 * (1.0 - 1.0 / r)

    row = dict(ratio)
    row.update(estimate=est, std_error=total0 * se_theta, scale="additive",
               ci_low=count(ratio["relative_ci_low"]),
               ci_high=count(ratio["relative_ci_high"]))
    return row, se_theta, total0


def _min_pre(seasonality: str, n_season: int, harmonics: int) -> int:
    """Fewest pre-periods for the trend (3) and the seasonal terms."""
    return 3 + (n_season - 1 if seasonality == "month" else 0) + (
        2 * harmonics if seasonality == "fourier" else 0)


def _cumulative_mde(se_log_ratio: float, counterfactual: float, *, alpha: float,
                    df_t: float | None) -> dict[str, float] | None:
    """Smallest fall of the cumulative total detectable with ``MDE_POWER`` power.

    The ratio ``exp(-(q + z_power) SE(theta))`` of the same statistic as the cumulative
    effect's test (``q`` its critical value), as a % fall and as a whole number of events
    fewer than the counterfactual total. None when the effect has no ratio.
    """
    if not np.isfinite(se_log_ratio):
        return None
    q = float(stats.norm.ppf(1 - alpha / 2) if df_t is None else stats.t(df_t).ppf(1 - alpha / 2))
    ratio = math.exp(-(q + float(stats.norm.ppf(MDE_POWER))) * se_log_ratio)
    return {"power": MDE_POWER, "ratio": ratio, "percent": 100.0 * (1.0 - ratio),
            "count": round(counterfactual * (1.0 - ratio))}


def _series_frame(frame, x1, x0, beta, vcov, offset, y, t0, *, log_link, alpha, df_t):
    off = np.zeros(len(x1)) if offset is None else offset
    eta1, eta0 = x1 @ beta + off, x0 @ beta + off
    se0 = np.sqrt(np.einsum("ij,jk,ik->i", x0, vcov, x0))
    q = float(stats.norm.ppf(1 - alpha / 2) if df_t is None else stats.t(df_t).ppf(1 - alpha / 2))
    if log_link:
        fitted, cf = np.exp(eta1), np.exp(eta0)
        lo, hi = np.exp(eta0 - q * se0), np.exp(eta0 + q * se0)
    else:
        fitted, cf, lo, hi = eta1, eta0, eta0 - q * se0, eta0 + q * se0
    group = frame["_group"].map({1: "treated", 0: "control"})
    return pd.DataFrame({
        "unit": group.to_numpy(), "time": frame["_period"].astype(str).to_numpy(),
        "observed": y, "fitted": fitted, "counterfactual": cf, "ci_low": lo, "ci_high": hi,
        "post": (frame["_period"] >= t0).to_numpy(),
    })


# -- checks --------------------------------------------------------------------------------
def _diagnostics(res, model, frame, y, *, family, se, freq, t0, calibrated=False):
    """Autocorrelation and overdispersion checks; with a placebo ``calibrated`` interval
    residual autocorrelation is accounted for (the placebos' spread includes it)."""
    diags: list[Diagnostic] = []
    warn: list[str] = []
    treated = (frame["_group"] == 1).to_numpy()
    resid = np.asarray(res.resid_pearson if family != "ols" else res.resid)[treated]
    n = len(resid)
    lags = max(1, min(_SEASON_LENGTH.get(freq, 1), n // 4))
    lb = acorr_ljungbox(resid, lags=range(1, lags + 1), return_df=True)
    rho1 = float(pd.Series(resid).autocorr(1))
    q, p = float(lb["lb_stat"].iloc[-1]), float(lb["lb_pvalue"].iloc[-1])
    table = pd.DataFrame({"lag": range(1, lags + 1),
                          "autocorrelation": [pd.Series(resid).autocorr(k)
                                              for k in range(1, lags + 1)],
                          "ljung_box": lb["lb_stat"].to_numpy(),
                          "p_value": lb["lb_pvalue"].to_numpy()})
    passed = p >= 0.05
    diags.append(Diagnostic(
        name="autocorrelation", null=f"no residual autocorrelation up to lag {lags}",
        statistic=q, p_value=p, passed=passed or calibrated, table=table,
        message=f"lag-1 autocorrelation of the residuals is {rho1:.2f}; Ljung–Box "
                f"Q({lags}) = {q:.1f}, p = {p:.3f}"
                + ("; accounted for by the placebo calibration" if calibrated else ""),
    ))
    if not passed and se != "ar1" and not calibrated:
        code = "autocorrelation_hac" if se == "hac" else (
            "autocorrelation_ols" if family == "ols" else "autocorrelation_counts")
        warn.append(Caveat(code, rho=rho1, p=p))
    if family in ("poisson", "quasipoisson"):
        x2 = float(res.pearson_chi2)
        dof = float(res.df_resid)
        disp = x2 / dof
        p_disp = float(stats.chi2.sf(x2, dof))
        ok = p_disp >= 0.05
        accounted = family == "quasipoisson" or se != "model"
        diags.append(Diagnostic(
            name="overdispersion", null="variance equals the mean (Poisson)",
            statistic=disp, p_value=p_disp, passed=ok or accounted,
            message=f"Pearson dispersion {disp:.2f} (1 = Poisson)"
                    + ("; accounted for by the quasi-Poisson scale" if family ==
                       "quasipoisson" else ""),
        ))
        if not ok and not accounted:
            warn.append(Caveat("overdispersion", dispersion=disp, p=p_disp))
    elif family == "negbin":
        pois = sm.GLM(model.endog, model.exog, family=sm.families.Poisson(),
                      offset=getattr(model, "offset", None)).fit()
        lr = max(0.0, 2 * (float(res.llf) - float(pois.llf)))
        p_lr = 0.5 * float(stats.chi2.sf(lr, 1))
        alpha_nb = float(model.family.alpha)
        diags.append(Diagnostic(
            name="overdispersion", null="no overdispersion (negative binomial alpha = 0)",
            statistic=lr, p_value=p_lr, passed=True,
            message=f"negative binomial alpha = {alpha_nb:.3f}; LR test against Poisson "
                    f"p = {p_lr:.3g} (modelled)",
        ))
    return diags, warn


def _warnings(frame, t0, freq, y, *, family, exposure):
    warn = []
    treated = frame["_group"] == 1
    periods = frame.loc[treated, "_period"]
    n_pre = int((periods < t0).sum())
    n_post = int((periods >= t0).sum())
    if freq == "M" and n_pre < 24:
        warn.append(Caveat("short_pre_period", n_pre=n_pre))
    if n_post < 3:
        warn.append(Caveat("short_post_period", n_post=n_post))
    if family != "ols":
        yt = y[treated.to_numpy()]
        pre_total = float(yt[(periods < t0).to_numpy()].sum())
        post_total = float(yt[(periods >= t0).to_numpy()].sum())
        if min(pre_total, post_total) < 10:
            warn.append(Caveat("small_counts", before=int(pre_total), after=int(post_total)))
    if freq in ("M", "W", "D", "Q") and covid_overlap(pd.PeriodIndex(periods)):
        warn.append(Caveat("covid", start=COVID_WINDOW[0], end=COVID_WINDOW[1]))
    return warn
