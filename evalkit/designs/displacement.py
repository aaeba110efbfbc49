"""Spatial displacement and diffusion of benefits: the WDQ and the WDD test.

Areas: **R** the response (treated) area, **D** the buffer around it, **C** a control
area for R and, for the WDD test, **Dc** a control area for the buffer; suffix ``b`` =
before, ``a`` = after the intervention.

Weighted displacement quotient (Bowers & Johnson 2003, J Quant Criminol 19(3):275–301)
    ``SM = Ra/Ca − Rb/Cb`` (success measure; negative = relative fall in R),
    ``BM = Da/Ca − Db/Cb`` (buffer measure; positive = displacement, negative =
    diffusion), ``WDQ = BM / SM``, and the total net effect
    ``TNE = [Rb·Ca/Cb − Ra] + [Db·Ca/Cb − Da]`` (net crimes prevented). The WDQ is only
    computed when ``SM < 0`` (there is a gain that could be displaced) and no count is 0;
    otherwise it is NaN and the reason is stated. It has no standard error.

Weighted displacement difference (Wheeler & Ratcliffe 2018, "A simple weighted
displacement difference test to evaluate place based crime interventions", Crime
Science 7:11)
    ``WDD = (ΔR − ΔC) + (ΔD − ΔDc)`` with ``Δ = after − before``; under Poisson counts
    ``Var(WDD)`` is the sum of the eight counts, ``z = WDD / sqrt(Var)``. Negative = crimes
    prevented. With before and after windows of different lengths the before counts are
    rescaled to the after window (``X_b · n_a / n_b``, variance ``X_b · (n_a / n_b)²``),
    as in Wheeler's ``ptools::wdd(time_weights=)``. This is ``wdd(variance="poisson")``.

Calibrated on real counts (``wdd(variance="placebo")``, the default on a panel with enough
control areas)
    Recorded crime is overdispersed and autocorrelated, and a buffer is often compared with
    several control areas of another size: there the textbook test claims displacement far
    too often. Each part becomes the observed after count minus the count expected from its
    control's change, ``Da − Db·Dca/Dcb``, and its variance allows for overdispersion and for
    shocks of single areas, fitted on the control and buffer control areas over the same
    windows (see :func:`wdd`). When the test could not detect a rise of ``max_mde`` (25 %)
    in the buffers, or the noise could not be fitted, a non-significant result says that the
    data cannot tell (``extras.cannot_tell``), not that nothing moved.

Input
    Either ``counts``, the area totals::

        {"response": (207, 110), "buffer": (178, 157),
         "control": (308, 318), "buffer_control": (150, 140)}   # (before, after)

    (each value a ``(before, after)`` pair or ``{"before": .., "after": ..}``; or a
    DataFrame with columns ``before`` and ``after`` indexed by these role names, or with
    a column ``area`` holding them), or a panel ``data`` with ``unit``, ``time``,
    ``outcome`` and the unit labels of each role, summed over the before and after
    windows around ``intervention``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import nnls

from evalkit.data.panel import Panel, as_panel, panel_roles
from evalkit.data.periods import parse_period
from evalkit.data.validate import check_names
from evalkit.designs._common import as_list, check_alpha, check_choice, provenance
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.results import (
    Diagnostic,
    EvaluationResult,
    Extras,
    effect_row,
    effects_table,
    warns_at_caller,
)

__all__ = ["MAX_MDE", "MIN_PLACEBOS", "ROLES", "WDQLabel", "WddExtras", "WdqExtras",
           "area_counts", "wdd", "wdd_mde", "wdq", "wdq_label"]

#: Area roles, in the order used in tables.
ROLES = ("response", "buffer", "control", "buffer_control")
#: Counts below this in any area trigger a small-counts caveat (DOMAIN.md §4).
SMALL_COUNT = 10
#: control and buffer control areas needed to fit the noise of the counts (two parameters,
#: and enough areas left for their spread to mean something)
MIN_PLACEBOS = 6
#: default largest relative rise in the buffers the test must be able to detect (80 % power)
#: before "no clear displacement" may be said; above it the data cannot tell
MAX_MDE = 0.25

WDQLabel = Literal["diffusion_exceeds", "diffusion", "no_change", "displacement", "cancels"]
_ROLE_NAMES = {"response": "response area (R)", "buffer": "buffer area (D)",
               "control": "control area (C)", "buffer_control": "buffer control area (Dc)"}
Counts = Mapping[str, Any] | pd.DataFrame
Variance = Literal["auto", "placebo", "poisson"]


# -- public API ----------------------------------------------------------------------------
@warns_at_caller
def wdq(
    counts: Counts | None = None,
    *,
    data: Panel | pd.DataFrame | str | os.PathLike | None = None,
    unit: str | None = None,
    time: str | None = None,
    outcome: str | None = None,
    intervention: object = None,
    response: str | Sequence[str] | None = None,
    buffer: str | Sequence[str] | None = None,
    control: str | Sequence[str] | None = None,
    buffer_control: str | Sequence[str] | None = None,
    before: int | tuple[object, object] | None = None,
    after: int | tuple[object, object] | None = None,
    alpha: float = 0.05,
) -> EvaluationResult:
    """Weighted displacement quotient (Bowers & Johnson 2003) with the total net effect.

    Parameters
    ----------
    counts : mapping or DataFrame, optional
        Area totals before and after: keys ``response``, ``buffer``, ``control`` (and
        optionally ``buffer_control``, not used by the WDQ), each a ``(before, after)``
        pair of non-negative whole numbers. Give either ``counts`` or ``data``.
    data : Panel, DataFrame or path, optional
        A panel with one row per unit and period. A Panel's roles (unit, time, outcome) are
        the defaults of those arguments; an argument naming another column raises
        :class:`SpecError`.
    unit, time, outcome : str, optional
        The panel's unit, period and count columns.
    intervention : str, int or Period, optional
        First period under the intervention (panel input).
    response, buffer, control, buffer_control : str or list of str, optional
        Unit labels of each area (panel input); a unit can have only one role.
    before, after : int or (first, last), optional
        The windows summed: a number of periods just before / from the intervention, or
        inclusive first and last periods. Default: windows of equal length, the longest
        available on both sides of the intervention, or as long as the other window when
        only one is given.
    alpha : float
        Recorded in ``spec`` for consistency with the other designs (the WDQ has no
        interval).

    Returns
    -------
    EvaluationResult
        Term ``wdq`` (scale ``ratio``; standard error and interval NaN because the WDQ
        has none). ``sample`` holds the counts; ``extras`` (:class:`WdqExtras`) the
        measures ``success_measure``, ``buffer_measure``, ``tne``, ``gross_effect``,
        ``net_effect``, the reading ``wdq_label`` (code) and ``wdq_interpretation``
        (sentence), and ``wdq_status`` / ``wdq_reason`` (why the WDQ was not computed, else
        None). Diagnostic ``wdq`` tabulates the measures.

    Raises
    ------
    DataError
        Negative or non-whole counts, a missing area, unknown units, missing periods.
    SpecError
        Both or neither of ``counts`` and ``data``, a unit listed in two roles, bad
        windows.

    Notes
    -----
    Labels (DOMAIN.md §2): WDQ > 1 diffusion larger than the direct effect; 0 < WDQ ≤ 1
    diffusion; 0 no buffer change; −1 < WDQ < 0 displacement smaller than the gain (net
    benefit); WDQ ≤ −1 displacement cancels the gain.
    """
    check_alpha(alpha)
    inp = _inputs(counts, data=data, unit=unit, time=time, outcome=outcome,
                  intervention=intervention, response=response, buffer=buffer,
                  control=control, buffer_control=buffer_control, before=before,
                  after=after, required=("response", "buffer", "control"))
    c = inp["counts"]
    notes: list[Caveat] = list(inp["notes"])
    warn: list[Caveat] = []
    rb, ra = c["response"]
    cb, ca = c["control"]
    used = [v for role in ("response", "buffer", "control") for v in c[role]]
    if "buffer_control" in c:
        notes.append(Caveat("wdq_buffer_control_unused"))

    m = _wdq_measures(c)
    sm, bm, tne, ne, value, status, reason = (m.sm, m.bm, m.tne, m.ne, m.value, m.status,
                                              m.reason)
    label = wdq_label(value) if status == "computed" else None
    interpretation = (Caveat(f"wdq_label_{label}", wdq=value) if label is not None else None)
    if reason is not None:
        warn.append(reason)
    elif min(used) < SMALL_COUNT:
        warn.append(Caveat("wdq_small_counts", smallest=int(min(used))))
    if interpretation is not None:
        notes.append(interpretation)
    notes.append(Caveat("wdq_no_se"))

    row = effect_row("wdq", value, math.nan, alpha=alpha, scale="ratio")
    table = pd.DataFrame({
        "measure": ["success_measure", "buffer_measure", "wdq", "total_net_effect",
                    "gross_effect", "net_effect"],
        "value": [sm, bm, value, tne, rb - ra, ne],
        "meaning": [
            "Ra/Ca − Rb/Cb; negative = crime fell in the response area relative to control",
            "Da/Ca − Db/Cb; positive = possible displacement, negative = possible diffusion",
            "BM / SM (computed only when SM < 0 and no count is 0)",
            "[Rb·Ca/Cb − Ra] + [Db·Ca/Cb − Da]: net crimes prevented in R and D",
            "Rb − Ra: raw fall in the response area",
            "Rb/Cb − Ra/Ca: fall in the response area relative to control",
        ],
    })
    diag = Diagnostic(
        name="wdq", null="crime fell in the response area relative to the control area "
        "(success measure < 0), so displacement can be measured",
        statistic=value, p_value=math.nan, passed=status == "computed", table=table,
        message=(str(interpretation) if interpretation is not None else str(reason))
        + f" Success measure {sm:+.3f}, buffer measure {bm:+.3f}, total net effect "
          f"{tne:+.1f} crimes.",
    )
    sample = {**inp["sample"], **_flat(c), "notes": notes}
    extras = WdqExtras(success_measure=sm, buffer_measure=bm, tne=tne, gross_effect=rb - ra,
                       net_effect=ne, wdq_label=label, wdq_interpretation=interpretation,
                       wdq_status=status, wdq_reason=reason)
    spec = {**inp["spec"], "method": "wdq", "alpha": alpha,
            "vcov": "none (the WDQ is a ratio without a standard error)",
            "reference": "Bowers & Johnson (2003), J Quant Criminol 19(3):275–301"}
    return EvaluationResult(
        method="wdq", spec=spec, effects=effects_table([row]),
        series=_series(c, with_counterfactual=cb > 0 and ca > 0),
        diagnostics=(diag,), warnings=tuple(warn), sample=sample,
        provenance=provenance(inp["fingerprint"], inp["params"]), extras=extras,
    )


@warns_at_caller
def wdd(
    counts: Counts | None = None,
    *,
    data: Panel | pd.DataFrame | str | os.PathLike | None = None,
    unit: str | None = None,
    time: str | None = None,
    outcome: str | None = None,
    intervention: object = None,
    response: str | Sequence[str] | None = None,
    buffer: str | Sequence[str] | None = None,
    control: str | Sequence[str] | None = None,
    buffer_control: str | Sequence[str] | None = None,
    before: int | tuple[object, object] | None = None,
    after: int | tuple[object, object] | None = None,
    periods: tuple[float, float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    variance: Variance = "auto",
    max_mde: float = MAX_MDE,
) -> EvaluationResult:
    """Weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    counts : mapping or DataFrame, optional
        Area totals, as for :func:`wdq`: ``response`` and ``control`` are required;
        ``buffer`` and ``buffer_control`` go together (without them only the local part
        ``ΔR − ΔC`` is tested).
    data, unit, time, outcome, intervention, response, buffer, control, buffer_control
        Panel input, as for :func:`wdq`.
    before, after : int or (first, last), optional
        Windows for panel input, as for :func:`wdq`. Windows of different lengths are
        allowed: before counts are rescaled to the after window's length.
    periods : (before_length, after_length), optional
        Counts input only: lengths of the before and after windows when they differ
        (e.g. ``(24, 12)`` months); default equal.
    alpha : float
        1 − confidence level; also the significance level of the detectable effect.
    power : float
        Power for the minimum detectable effects (default 0.8).
    variance : {"auto", "placebo", "poisson"}
        ``"poisson"``: the textbook test, raw changes ``ΔR − ΔC`` and ``ΔD − ΔDc`` with the
        sum of the counts as variance; right only for Poisson counts and control areas of
        the same size as the areas they control. ``"placebo"`` (panel input, at least
        ``MIN_PLACEBOS`` control and buffer control areas): each part is the observed after
        count minus the count expected from its control's change (``Da − Db·Dca/Dcb``), and
        its variance allows for overdispersion and for shocks of single areas, fitted on
        every control and buffer control area treated as a placebo buffer (Notes).
        ``"auto"`` (default): ``"placebo"`` when the panel has enough control areas, else
        ``"poisson"`` (counts input: the textbook test, with a caveat; panel input with too
        few control areas: flagged as unable to tell, as its Poisson interval is too narrow
        on real counts).
    max_mde : float
        Largest relative rise in the buffers the test must detect with probability
        ``power`` (default 0.25: +25 %) for a non-significant buffer part to read as "no
        clear displacement"; above it the result says the data cannot tell
        (``extras.cannot_tell``).

    Returns
    -------
    EvaluationResult
        Term ``wdd_total`` (scale ``additive``, in crimes over the after window; negative
        = crimes prevented), then its parts ``wdd_local`` (ΔR − ΔC) and, with buffer
        areas, ``wdd_displacement`` (ΔD − ΔDc), each with its Wald interval; ``vcov`` is
        their (diagonal: the parts use separate areas) covariance. ``sample`` holds the
        counts; ``extras`` (:class:`WddExtras`) the ``variance`` of the total, the minimum
        detectable effects ``mde_significance`` (smallest net reduction that reaches
        significance at ``alpha``) and ``mde_power`` (detected with probability
        ``power``), the variance used and its fitted noise, the buffers' relative minimum
        detectable rise ``mde_buffer`` and ``cannot_tell``. Diagnostic ``displacement``
        tests the buffer part and tabulates all three parts; with buffers, diagnostic
        ``displacement_power`` fails when the data cannot tell.

    Raises
    ------
    DataError
        Negative or non-whole counts, missing areas, unknown units, all counts zero, a
        control area with no crime in a window (``"placebo"``).
    SpecError
        A buffer without its control (or the reverse), a unit in two roles, bad options,
        ``variance="placebo"`` without a panel of enough control areas.

    Notes
    -----
    ``variance="placebo"``: on the log scale a group ``G`` of areas changes by
    ``log(Ga/Gb)``; its variance is modelled as ``φ·(1/Ga + 1/Gb) + κ·Σ w_i²``, counting
    noise inflated by the dispersion ``φ ≥ 1`` plus independent shocks of variance ``κ`` in
    each area ``i`` (``w_i`` its share of the group's counts), the two terms of a quasi-
    Poisson model with area-level random effects. ``φ`` and ``κ`` are fitted by weighted
    least squares (non-negative) on the squared changes of each control and buffer control
    area against all the others, at the same dates and windows, so autocorrelated and
    citywide shocks enter as they affect these windows. A part's variance is that of
    ``log(Da/Db) − log(Dca/Dcb)``, converted to crimes by the geometric mean of the
    observed and expected counts (which keeps the z statistic close to the log-scale one;
    counts and log changes take ½ more, so an empty window stays finite). The reference
    distribution is Student's t with ``n − 2`` degrees of freedom (``wald_df``), ``n`` the
    areas the two noise parameters were fitted on.
    """
    check_alpha(alpha)
    _check_power(power)
    check_choice("variance", variance, ("auto", "placebo", "poisson"))
    if isinstance(max_mde, bool) or not isinstance(max_mde, int | float) or not max_mde > 0:
        raise SpecError(f"max_mde must be a positive relative change (0.25 for +25 %); got "
                        f"{max_mde!r}.")
    inp = _inputs(counts, data=data, unit=unit, time=time, outcome=outcome,
                  intervention=intervention, response=response, buffer=buffer,
                  control=control, buffer_control=buffer_control, before=before,
                  after=after, required=("response", "control"))
    c = inp["counts"]
    notes: list[Caveat] = list(inp["notes"])
    warn: list[Caveat] = []
    has_d, has_dc = "buffer" in c, "buffer_control" in c
    if has_d != has_dc:
        given, missing = ("buffer", "buffer_control") if has_d else ("buffer_control",
                                                                     "buffer")
        raise SpecError(
            f"the WDD test needs both a buffer and a buffer control area; {given!r} was "
            f"given without {missing!r}. Add the {missing} counts (a comparable area for "
            "the buffer, away from the response area), or drop the buffer to test the "
            "response area alone."
        )
    if not has_d:
        notes.append(Caveat("wdd_local_only"))
    if periods is not None and inp["windows"] is not None:
        raise SpecError("periods= is for counts input; with a panel the window lengths "
                        "come from before= and after=.")
    n_b, n_a = inp["windows"] if inp["windows"] is not None else _check_periods(periods)
    scale = n_a / n_b
    units = inp["units"]
    pool = {} if units is None else {**units["control"], **units.get("buffer_control", {})}
    few = len(pool) < MIN_PLACEBOS
    if variance == "placebo" and few:
        raise SpecError(
            "variance='placebo' fits the noise of the counts on the control and buffer "
            f"control areas of a panel and needs at least {MIN_PLACEBOS} of them; "
            + (f"{len(pool)} were given" if units is not None else "counts input has none")
            + ". Fix: give panel data (data=) with more control areas, or use "
            "variance='poisson' (the textbook test, too narrow on overdispersed counts).")
    method = "placebo" if variance == "placebo" or (variance == "auto" and not few) \
        else "poisson"
    uncalibrated = variance == "auto" and method == "poisson" and units is not None
    if method == "poisson":
        if scale != 1:
            notes.append(Caveat("wdd_unequal_periods", n_before=n_b, n_after=n_a))
        if variance == "auto" and units is None:
            notes.append(Caveat("wdd_poisson_auto", min_placebos=MIN_PLACEBOS))
        elif uncalibrated:
            warn.append(Caveat("wdd_few_placebos", n=len(pool), min_placebos=MIN_PLACEBOS))
        parts = _wdd_parts(c, scale, has_d)
        noise = None
    else:
        noise = _fit_noise(pool)
        parts = _placebo_parts(units, noise, has_d)
        notes.append(Caveat("wdd_placebo", n=noise.n, dispersion=noise.dispersion,
                            between_sd=100 * math.sqrt(noise.between)))
    var_total = parts.var_total
    rows, vcov = _wdd_effects(parts, has_d, alpha=alpha)
    terms = [r["term"] for r in rows]
    ref = _reference(parts.df)  # the normal, as wdd_mde, under "poisson"
    q, se_total = float(ref.ppf(1 - alpha / 2)), math.sqrt(var_total)
    mde_sig, mde_pow = q * se_total, (q + float(ref.ppf(power))) * se_total
    used = [v for role in c for v in c[role]]
    level = round(100 * alpha, 2)  # significance level in percent
    notes.append(Caveat("wdd_mde", level=level, mde_significance=mde_sig,
                        power_pct=round(100 * power), mde_power=mde_pow))
    if min(used) < SMALL_COUNT:
        warn.append(Caveat("wdd_small_counts", smallest=int(min(used)),
                           power_pct=round(100 * power), mde_power=mde_pow))

    diags = [_displacement_diagnostic(parts, has_d, alpha=alpha, scaled=noise is not None)]
    mde_buffer = math.nan
    cannot_tell = False
    if has_d:
        mde_buffer = math.expm1((q + float(ref.ppf(power))) * math.sqrt(parts.rel_disp))
        significant = float(diags[0].p_value) < alpha
        noisy = mde_buffer > max_mde
        cannot_tell = uncalibrated or (noisy and not significant)
        if cannot_tell and not uncalibrated:  # else wdd_few_placebos said why
            warn.append(Caveat("wdd_cannot_tell", mde=100 * mde_buffer,
                               power_pct=round(100 * power), max_mde=100 * max_mde))
        diags.append(Diagnostic(
            name="displacement_power",
            null=f"the test detects a rise of {100 * max_mde:g}% in the buffers with "
                 f"{100 * power:g}% power",
            statistic=100 * mde_buffer, p_value=math.nan, passed=not cannot_tell,
            message=f"smallest rise in the buffers detected with {100 * power:g}% power: "
                    f"{100 * mde_buffer:+.0f}% ({method} variance"
                    + (", too few control areas to fit the noise" if uncalibrated else "")
                    + ")"))
    sample = {**inp["sample"], **_flat(c), "periods_before": n_b, "periods_after": n_a,
              "notes": notes}
    extras = WddExtras(
        variance=var_total, mde_significance=mde_sig, mde_power=mde_pow, power=power,
        variance_method=method, dispersion=noise.dispersion if noise else 1.0,
        between=noise.between if noise else 0.0, n_placebos=noise.n if noise else 0,
        mde_buffer=mde_buffer, cannot_tell=cannot_tell,
        cannot_tell_reason=("few_placebos" if uncalibrated else "noisy") if cannot_tell
        else None)
    vcov_text = ("Poisson: variance = sum of the counts (Wheeler & Ratcliffe 2018)"
                 if noise is None else
                 f"placebo: counts expected from each control's change; log-scale variance "
                 f"phi (1/Ga + 1/Gb) + kappa sum w^2, phi = {noise.dispersion:.3g}, kappa = "
                 f"{noise.between:.3g}, fitted on {noise.n} control and buffer control areas")
    spec = {**inp["spec"], "method": "wdd", "alpha": alpha, "variance": method,
            "vcov": vcov_text, "reference": "Wheeler & Ratcliffe (2018), Crime Science 7:11"}
    return EvaluationResult(
        method="wdd", spec=spec, effects=effects_table(rows), series=_series(c),
        diagnostics=tuple(diags), warnings=tuple(warn), sample=sample,
        provenance=provenance(inp["fingerprint"], {**inp["params"], "variance": variance,
                                                      "max_mde": max_mde}), extras=extras,
        vcov=vcov, wald_df=dict.fromkeys(terms, parts.df),
    )


@dataclass(frozen=True)
class _WdqMeasures:
    """Bowers & Johnson's measures, and whether (or why not) the quotient was computed."""

    sm: float
    bm: float
    tne: float
    ne: float
    value: float
    status: str
    reason: Caveat | None


def _wdq_measures(c: dict[str, tuple[float, float]]) -> _WdqMeasures:
    """Success and buffer measures, total and net effects, and the quotient ``BM / SM``."""
    rb, ra = c["response"]
    db, da = c["buffer"]
    cb, ca = c["control"]
    sm = bm = tne = ne = math.nan
    if cb > 0 and ca > 0:
        sm = ra / ca - rb / cb
        bm = da / ca - db / cb
        tne = (rb * ca / cb - ra) + (db * ca / cb - da)
        ne = rb / cb - ra / ca
    zeros = [f"{_ROLE_NAMES[role]} {when}" for role in ("response", "buffer", "control")
             for when, v in zip(("before", "after"), c[role], strict=True) if v == 0]
    value = math.nan
    if zeros:
        status: str = "zero_count"
        reason: Caveat | None = Caveat("wdq_zero_count", areas=", ".join(zeros))
    elif sm >= 0:
        status, reason = "no_fall", Caveat("wdq_no_fall", sm=sm)
    else:
        status, reason = "computed", None
        value = bm / sm
    return _WdqMeasures(sm=sm, bm=bm, tne=tne, ne=ne, value=value, status=status,
                        reason=reason)


@dataclass(frozen=True)
class _WddParts:
    """The WDD's local and displacement parts, their total and variances, and the relative
    (log-scale) variance of the buffer part."""

    local: float
    var_local: float
    disp: float
    var_disp: float
    total: float
    var_total: float
    rel_disp: float = math.nan
    df: float = math.inf  # of the t reference (the fitted noise's), inf: normal


def _wdd_parts(c: dict[str, tuple[float, float]], scale: float, has_d: bool) -> _WddParts:
    """``ΔR − ΔC`` and ``ΔD − ΔDc`` with the after window ``scale`` times the before one."""
    def delta(role: str) -> tuple[float, float]:
        xb, xa = c[role]
        return xa - xb * scale, xa + xb * scale**2

    dr, vr = delta("response")
    dc, vc = delta("control")
    local, var_local = dr - dc, vr + vc
    disp, var_disp, rel_disp = 0.0, 0.0, math.nan
    if has_d:
        dd, vd = delta("buffer")
        ddc, vdc = delta("buffer_control")
        disp, var_disp = dd - ddc, vd + vdc
        rel_disp = var_disp / max(c["buffer"][0] * scale, 0.5) ** 2
    total, var_total = local + disp, var_local + var_disp
    if var_total <= 0:
        raise DataError("every count is 0: the WDD test has nothing to compare. Use larger "
                        "areas or longer windows.")
    return _WddParts(local=local, var_local=var_local, disp=disp, var_disp=var_disp,
                     total=total, var_total=var_total, rel_disp=rel_disp)


@dataclass(frozen=True)
class _Noise:
    """Fitted noise of the windowed counts: a group of areas changes on the log scale with
    variance ``dispersion · (1/Ga + 1/Gb) + between · Σ w_i²`` (Notes of :func:`wdd`)."""

    dispersion: float
    between: float
    n: int

    def log_variance(self, units: Mapping[str, tuple[float, float]]) -> float:
        xb, xa = (np.array([v[i] for v in units.values()], dtype=float) for i in (0, 1))
        total = xb + xa
        share = total / total.sum() if total.sum() > 0 else np.full(len(total), 1 / len(total))
        return float(self.dispersion * (1 / (xa.sum() + 0.5) + 1 / (xb.sum() + 0.5))
                     + self.between * (share**2).sum())


def _fit_noise(pool: Mapping[str, tuple[float, float]]) -> _Noise:
    """``φ`` and ``κ`` fitted on each pool area's log change against all the others.

    ``E[r_j²] = φ·P_j + κ·H_j`` with ``P_j`` the counting terms of the area and of its
    reference and ``H_j = 1 + Σ w_i²`` (the reference's shares), by non-negative least
    squares weighted by the fitted variance (the squared change of an area with variance
    ``V`` has variance ``2V²``); ``φ`` is at least 1 (Poisson), so the test is never
    narrower than the textbook one on the same scaled parts.
    """
    xb, xa = (np.array([v[i] for v in pool.values()], dtype=float) for i in (0, 1))
    rb, ra = xb.sum() - xb, xa.sum() - xa  # each area's reference: every other pool area
    r = np.log((xa + 0.5) / (xb + 0.5)) - np.log((ra + 0.5) / (rb + 0.5))
    pois = 1 / (xa + 0.5) + 1 / (xb + 0.5) + 1 / (ra + 0.5) + 1 / (rb + 0.5)
    tot = xb + xa
    rest = tot.sum() - tot
    shares = np.divide((tot**2).sum() - tot**2, rest**2, out=np.ones_like(rest),
                       where=rest > 0)
    design = np.column_stack([pois, 1 + shares])
    target = r**2 - pois  # φ = 1 + the first coefficient
    coef = np.zeros(2)
    for _ in range(4):  # iterated weights 1 / V
        weight = 1 / (pois + design @ coef)
        coef = nnls(design * weight[:, None], target * weight)[0]
    return _Noise(dispersion=1 + float(coef[0]), between=float(coef[1]), n=len(pool))


def _placebo_parts(units: Mapping[str, Mapping[str, tuple[float, float]]], noise: _Noise,
                   has_d: bool) -> _WddParts:
    """Each part as the observed after count minus the count its control's change implies,
    with the fitted noise's variance (the target's and the control's log changes)."""
    def part(target: str, ref: str) -> tuple[float, float, float]:
        tb, ta = (sum(v[i] for v in units[target].values()) for i in (0, 1))
        cb, ca = (sum(v[i] for v in units[ref].values()) for i in (0, 1))
        if cb <= 0 or ca <= 0:
            raise DataError(
                f"the {_ROLE_NAMES[ref]} has no crime in the "
                f"{'before' if cb <= 0 else 'after'} window, so the change it implies for "
                f"the {_ROLE_NAMES[target]} is undefined. Use larger control areas or longer "
                "windows, or variance='poisson' (raw differences of counts).")
        expected = tb * ca / cb
        rel = noise.log_variance(units[target]) + noise.log_variance(units[ref])
        # crimes = counts x log change: the geometric mean of the observed and expected
        # counts (plus 1/2, as in rel) keeps z close to the log scale's
        return ta - expected, (expected + 0.5) * (ta + 0.5) * rel, rel

    local, var_local, _ = part("response", "control")
    disp, var_disp, rel_disp = part("buffer", "buffer_control") if has_d else (0.0, 0.0,
                                                                                 math.nan)
    # two noise parameters fitted on noise.n areas: a t reference, as for a variance
    # estimated on n - 2 degrees of freedom
    return _WddParts(local=local, var_local=var_local, disp=disp, var_disp=var_disp,
                     total=local + disp, var_total=var_local + var_disp, rel_disp=rel_disp,
                     df=float(noise.n - 2))


def _wdd_effects(parts: _WddParts, has_d: bool, *, alpha: float
                 ) -> tuple[list[dict], pd.DataFrame]:
    """The effect rows (total, local, displacement) and their covariance."""
    local, var_local, disp, var_disp, total, var_total = (
        parts.local, parts.var_local, parts.disp, parts.var_disp, parts.total,
        parts.var_total)
    se = math.sqrt(var_total)
    df = parts.df if math.isfinite(parts.df) else None
    row = effect_row("wdd_total", total, se, alpha=alpha, scale="additive", df=df)
    rows = [row, effect_row("wdd_local", local, math.sqrt(var_local), alpha=alpha,
                            scale="additive", df=df)]
    if has_d:
        rows.append(effect_row("wdd_displacement", disp, math.sqrt(var_disp), alpha=alpha,
                               scale="additive", df=df))
    # the parts are sums of independent Poisson counts: independent, the total their sum
    variances = {"wdd_total": var_total, "wdd_local": var_local, "wdd_displacement": var_disp}
    terms = [r["term"] for r in rows]
    vcov = pd.DataFrame(np.diag([variances[t] for t in terms]), index=terms, columns=terms)
    vcov.loc["wdd_total", terms[1:]] = vcov.loc[terms[1:], "wdd_total"] = [
        variances[t] for t in terms[1:]]
    return rows, vcov


def _reference(df: float) -> Any:
    """The normal distribution, or Student's t with ``df`` degrees of freedom."""
    return stats.norm if not math.isfinite(df) else stats.t(df)


def _displacement_diagnostic(wdd: _WddParts, has_d: bool, *, alpha: float,
                             scaled: bool = False) -> Diagnostic:
    """The z test of the buffer part (displacement or diffusion), with the parts table."""
    local, var_local, disp, var_disp, total, var_total = (
        wdd.local, wdd.var_local, wdd.disp, wdd.var_disp, wdd.total, wdd.var_total)
    se = math.sqrt(var_total)
    ref = _reference(wdd.df)
    q = float(ref.ppf(1 - alpha / 2))
    formulas = (["Ra − Rb·Ca/Cb", "Da − Db·Dca/Dcb", "(Ra − Rb·Ca/Cb) + (Da − Db·Dca/Dcb)"]
                if scaled else ["ΔR − ΔC", "ΔD − ΔDc", "(ΔR − ΔC) + (ΔD − ΔDc)"])
    parts = pd.DataFrame({
        "part": ["local", "displacement", "total"],
        "formula": formulas,
        "estimate": [local, disp if has_d else math.nan, total],
        "std_error": [math.sqrt(var_local), math.sqrt(var_disp) if has_d else math.nan, se],
    })
    parts["z"] = parts["estimate"] / parts["std_error"]
    parts["p_value"] = 2 * ref.sf(parts["z"].abs())
    parts["ci_low"] = parts["estimate"] - q * parts["std_error"]
    parts["ci_high"] = parts["estimate"] + q * parts["std_error"]
    if has_d:
        d_row = parts.iloc[1]
        p_d = float(d_row["p_value"])
        displaced = disp > 0 and p_d < alpha
        return Diagnostic(
            name="displacement",
            null=f"no change in the buffer relative to its control ({formulas[1]} = 0)",
            statistic=float(d_row["z"]), p_value=p_d, passed=not displaced, table=parts,
            message=f"buffer part {formulas[1]} = {disp:+.1f} crimes (SE "
                    f"{math.sqrt(var_disp):.1f},"
                    f" p = {p_d:.3f}); positive = displacement, negative = diffusion",
        )
    else:
        return Diagnostic(
            name="displacement", null="not tested: no buffer areas were given",
            statistic=math.nan, p_value=math.nan, passed=True, table=parts,
            message="displacement not measured (no buffer areas)",
        )


@dataclass(frozen=True)
class WdqExtras(Extras):
    """The WDQ's measures besides the quotient (Bowers & Johnson 2003).

    Attributes
    ----------
    success_measure, buffer_measure : float
        ``Ra/Ca − Rb/Cb`` and ``Da/Ca − Db/Cb``.
    tne : float
        Total net effect ``[Rb·Ca/Cb − Ra] + [Db·Ca/Cb − Da]``, crimes prevented in R and D.
    gross_effect, net_effect : float
        ``Rb − Ra`` and ``Rb/Cb − Ra/Ca``.
    wdq_label : str or None
        :func:`wdq_label` code of the quotient (None when it was not computed).
    wdq_interpretation : Caveat or None
        The label as a sentence.
    wdq_status : {"computed", "zero_count", "no_fall"}
    wdq_reason : Caveat or None
        Why the WDQ was not computed.
    """

    success_measure: float
    buffer_measure: float
    tne: float
    gross_effect: float
    net_effect: float
    wdq_label: str | None
    wdq_interpretation: Caveat | None
    wdq_status: str
    wdq_reason: Caveat | None


@dataclass(frozen=True)
class WddExtras(Extras):
    """The WDD's power figures (Wheeler & Ratcliffe 2018).

    Attributes
    ----------
    variance : float
        Variance of ``wdd_total`` (the sum of the counts under ``"poisson"``).
    mde_significance : float
        Smallest net reduction that reaches significance at ``alpha``.
    mde_power : float
        Smallest net reduction detected with probability ``power``.
    power : float
    variance_method : {"placebo", "poisson"}
        The variance used (what ``variance="auto"`` chose).
    dispersion, between : float
        The fitted noise (``"placebo"``): dispersion ``φ`` of the counts and variance ``κ``
        of an area's log change beyond counting noise (1 and 0 under ``"poisson"``).
    n_placebos : int
        Control and buffer control areas the noise was fitted on (0 under ``"poisson"``).
    mde_buffer : float
        Smallest relative rise in the buffers detected with probability ``power`` (NaN
        without buffers).
    cannot_tell : bool
        The buffer part cannot show whether crime moved to the buffers: not significant
        while ``mde_buffer`` exceeds ``max_mde``, or the noise could not be fitted
        (``"auto"`` on a panel with fewer than ``MIN_PLACEBOS`` control areas).
    cannot_tell_reason : {"noisy", "few_placebos"} or None
        Which of the two.
    """

    variance: float
    mde_significance: float
    mde_power: float
    power: float
    variance_method: str = "poisson"
    dispersion: float = 1.0
    between: float = 0.0
    n_placebos: int = 0
    mde_buffer: float = math.nan
    cannot_tell: bool = False
    cannot_tell_reason: str | None = None


def wdq_label(value: float) -> WDQLabel:
    """The DOMAIN.md §2 label of a WDQ value.

    ``> 1`` ``"diffusion_exceeds"`` (diffusion larger than the direct effect),
    ``(0, 1]`` ``"diffusion"``, ``0`` ``"no_change"`` (no buffer change), ``(−1, 0)``
    ``"displacement"`` (displacement smaller than the gain: net benefit), ``≤ −1``
    ``"cancels"`` (displacement cancels the gain).
    """
    if not np.isfinite(value):
        raise SpecError(f"a WDQ label needs a finite WDQ; got {value!r}.")
    if value > 1:
        return "diffusion_exceeds"
    if value > 0:
        return "diffusion"
    if value == 0:
        return "no_change"
    if value > -1:
        return "displacement"
    return "cancels"


def wdd_mde(variance: float, *, alpha: float = 0.05, power: float = 0.8
            ) -> tuple[float, float]:
    """Minimum detectable effect of the WDD test, in crimes.

    Under Poisson counts the WDD is significant at level ``alpha`` (two-sided) when
    ``|WDD| > z_{1−α/2} · sqrt(V)``, ``V`` the sum of the counts; it is detected with
    probability ``power`` when ``|WDD| ≥ (z_{1−α/2} + z_power) · sqrt(V)`` (normal
    approximation, variance taken as ``V`` under the alternative too).

    Example (DOMAIN.md §2): four areas with 20 crimes in each period, ``V = 80``: at
    ``alpha = 0.10`` ("weak evidence") 1.645 · 8.94 ≈ 15 crimes must be prevented.

    Returns
    -------
    (mde_significance, mde_power) : (float, float)
    """
    check_alpha(alpha)
    _check_power(power)
    if not variance >= 0:
        raise SpecError(f"variance must be >= 0; got {variance!r}.")
    se = math.sqrt(variance)
    za = float(stats.norm.ppf(1 - alpha / 2))
    return za * se, (za + float(stats.norm.ppf(power))) * se


def area_counts(counts: Counts) -> pd.DataFrame:
    """Validate area counts and return them as a DataFrame (index role; before, after)."""
    parsed = _parse_counts(counts, required=())
    return pd.DataFrame(parsed, index=["before", "after"]).T.rename_axis("area")


# -- input ---------------------------------------------------------------------------------
def _check_power(power: object) -> None:
    if isinstance(power, bool) or not isinstance(power, int | float) or not 0 < power < 1:
        raise SpecError(f"power must be strictly between 0 and 1 (e.g. 0.8); got {power!r}.")


def _check_periods(periods: object) -> tuple[float, float]:
    if periods is None:
        return 1.0, 1.0
    try:
        n_b, n_a = (float(p) for p in periods)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise SpecError("periods must be (before_length, after_length), e.g. (24, 12); "
                        f"got {periods!r}.") from None
    if not (n_b > 0 and n_a > 0 and math.isfinite(n_b) and math.isfinite(n_a)):
        raise SpecError(f"periods must be two positive lengths; got {periods!r}.")
    return n_b, n_a


def _number(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise DataError(f"{where} must be a count, got {value!r}.")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{where} must be a count, got {value!r}.") from None
    if not math.isfinite(x):
        raise DataError(f"{where} is missing or not finite ({value!r}); give a count.")
    if x < 0:
        raise DataError(f"{where} is negative ({value!r}); crime counts cannot be negative.")
    if x != round(x):
        raise DataError(
            f"{where} is not a whole number ({value!r}). The WDQ/WDD work on counts (the "
            "WDD variance assumes Poisson counts); give counts, not rates, and use "
            "periods= for windows of different lengths."
        )
    return x


def _parse_counts(counts: Counts, *, required: Sequence[str]) -> dict[str, tuple[float, float]]:
    if isinstance(counts, pd.DataFrame):
        frame = counts
        if "area" in frame.columns:
            frame = frame.set_index("area")
        missing_cols = [c for c in ("before", "after") if c not in frame.columns]
        if missing_cols:
            raise DataError(f"the counts table needs columns 'before' and 'after' (and the "
                            f"area roles as index or in a column 'area'); missing "
                            f"{missing_cols}.")
        if frame.index.has_duplicates:
            dup = sorted(set(frame.index[frame.index.duplicated()].astype(str)))
            raise DataError(f"area(s) {dup} appear more than once in the counts table.")
        items = {str(k): (r["before"], r["after"]) for k, r in frame.iterrows()}
    elif isinstance(counts, Mapping):
        items = {}
        for k, v in counts.items():
            if isinstance(v, Mapping):
                if set(v) != {"before", "after"}:
                    raise DataError(f"counts[{k!r}] must have the keys 'before' and 'after'; "
                                    f"got {sorted(map(str, v))}.")
                items[str(k)] = (v["before"], v["after"])
            elif isinstance(v, str) or not isinstance(v, Sequence | np.ndarray) or len(v) != 2:
                raise DataError(f"counts[{k!r}] must be a (before, after) pair; got {v!r}.")
            else:
                items[str(k)] = (v[0], v[1])
    else:
        raise SpecError("counts must be a mapping such as {'response': (before, after), "
                        "'buffer': (...), 'control': (...)} or a DataFrame with columns "
                        f"'before' and 'after'; got {type(counts).__name__}.")
    unknown = sorted(set(items) - set(ROLES))
    if unknown:
        raise SpecError(f"unknown area role(s) {unknown} in counts; the roles are "
                        f"{', '.join(ROLES)}.")
    missing = [r for r in required if r not in items]
    if missing:
        raise DataError(
            f"missing area(s) {missing} in counts: this measure needs "
            f"{', '.join(required)} (each a (before, after) pair of counts)."
        )
    return {role: (_number(items[role][0], f"the {role} count before"),
                   _number(items[role][1], f"the {role} count after"))
            for role in ROLES if role in items}


def _inputs(counts, *, data, unit, time, outcome, intervention, response, buffer, control,
            buffer_control, before, after, required) -> dict[str, Any]:
    roles = {"response": response, "buffer": buffer, "control": control,
             "buffer_control": buffer_control}
    panel_args = {"unit": unit, "time": time, "outcome": outcome,
                  "intervention": intervention, "before": before, "after": after, **roles}
    if (counts is None) == (data is None):
        raise SpecError("give either counts (area totals before and after) or data (a panel "
                        "with unit=, time=, outcome=, intervention= and the units of each "
                        "area), not both" + (" nor neither." if counts is None else "."))
    if counts is not None:
        given = sorted(k for k, v in panel_args.items() if v is not None)
        if given:
            raise SpecError(f"{given} apply to panel input (data=); with counts= give only "
                            "the area totals.")
        parsed = _parse_counts(counts, required=required)
        frame = pd.DataFrame(parsed, index=["before", "after"]).T
        return {
            "counts": parsed, "notes": [], "windows": None,
            "sample": {"input": "counts"},
            "spec": {"outcome": "count", "input": "counts"},
            "params": {"counts": {k: list(v) for k, v in parsed.items()}},
            "fingerprint": frame.rename_axis("area").reset_index(), "units": None,
        }
    return _panel_counts(data, unit=unit, time=time, outcome=outcome,
                         intervention=intervention, roles=roles, before=before, after=after,
                         required=required)


def _panel_counts(data, *, unit, time, outcome, intervention, roles, before, after, required):
    unit, time, outcome = panel_roles(data, unit=unit, time=time, outcome=outcome).values()
    needed = {"unit": unit, "time": time, "outcome": outcome, "intervention": intervention}
    missing = [k for k, v in needed.items() if v is None]
    if missing:
        raise SpecError(f"panel input (data=) needs {', '.join(missing)}.")
    lists = {role: as_list(v) for role, v in roles.items()}
    absent = [r for r in required if not lists[r]]
    if absent:
        raise SpecError(f"missing area(s) {absent}: list their units, e.g. "
                        f"{absent[0]}=['North'].")
    seen: dict[str, str] = {}
    for role, units in lists.items():
        for u in units:
            if u in seen and seen[u] != role:
                raise SpecError(f"unit {u!r} is listed as both {seen[u]} and {role}; a unit "
                                "can have only one role.")
            if u in seen:
                raise SpecError(f"unit {u!r} is listed twice in {role}.")
            seen[u] = role
    # counts (whole numbers); a unit may miss periods outside the windows
    panel = as_panel(data, unit=unit, time=time, outcome=outcome, gaps=False,
                     rules={outcome: {"integer": True}})
    df, freq = panel.data.assign(_period=panel.data[time], _unit=panel.data[unit]), panel.freq
    labels = set(df["_unit"])
    check_names(list(seen), sorted(labels), parameter="the area lists", column=unit)
    t0 = parse_period(intervention, freq, name="intervention")
    all_periods = sorted(set(df["_period"]))
    pre = [p for p in all_periods if p < t0]
    post = [p for p in all_periods if p >= t0]
    if not pre or not post:
        raise SpecError(f"intervention {t0} leaves no period {'before' if not pre else 'after'}"
                        f" it (data from {all_periods[0]} to {all_periods[-1]}).")
    # default: windows of equal length, the longest available, or as long as the other
    # window when only one is given
    n_default = min(len(pre), len(post))
    if before is None and after is not None:
        win_a = _window(after, post, t0, side="after", n_default=n_default, freq=freq)
        win_b = _window(None, pre, t0, side="before", n_default=min(len(pre), len(win_a)),
                        freq=freq)
    else:
        win_b = _window(before, pre, t0, side="before", n_default=n_default, freq=freq)
        win_a = _window(after, post, t0, side="after",
                        n_default=min(len(post), len(win_b)), freq=freq)
    totals: dict[str, tuple[float, float]] = {}
    per_unit: dict[str, tuple[float, float]] = {}
    for role, units in lists.items():
        if not units:
            continue
        sub = df[df["_unit"].isin(units)]
        pair = []
        for win in (win_b, win_a):
            cells = sub[sub["_period"].isin(win)]
            if len(cells) < len(units) * len(win):
                have = set(zip(cells["_unit"], cells["_period"], strict=True))
                gaps = [f"{u} {p}" for u in units for p in win if (u, p) not in have]
                raise DataError(
                    f"{len(gaps)} unit-period(s) of the {role} area are missing in the "
                    f"windows: {', '.join(gaps[:5])}{' ...' if len(gaps) > 5 else ''}. Give "
                    "a row for every period (0 when nothing was recorded) or shorten the "
                    "windows."
                )
            pair.append(cells.groupby("_unit")[outcome].sum().astype(float))
        for u in units:
            per_unit[u] = (float(pair[0][u]), float(pair[1][u]))
        totals[role] = (float(pair[0].sum()), float(pair[1].sum()))
    notes = [Caveat("wdq_windows", n_before=len(win_b), n_after=len(win_a),
                    before=f"{win_b[0]}–{win_b[-1]}", after=f"{win_a[0]}–{win_a[-1]}")]
    spec = {"outcome": outcome, "input": "panel", "unit": unit, "time": time,
            "intervention": str(t0), "freq": freq,
            **{role: units or None for role, units in lists.items()},
            "before": [str(win_b[0]), str(win_b[-1])], "after": [str(win_a[0]), str(win_a[-1])]}
    params = {"unit": unit, "time": time, "outcome": outcome, "intervention": str(intervention),
              **{role: units or None for role, units in lists.items()},
              "before": before if isinstance(before, int | None) else [str(b) for b in before],
              "after": after if isinstance(after, int | None) else [str(a) for a in after]}
    sample = {"input": "panel", "n_units": len(seen), "n_periods_before": len(win_b),
              "n_periods_after": len(win_a), "first_period": str(win_b[0]),
              "last_period": str(win_a[-1]),
              "n_obs": len(seen) * (len(win_b) + len(win_a))}
    return {"counts": totals, "notes": notes, "windows": (float(len(win_b)), float(len(win_a))),
            "sample": sample, "spec": spec, "params": params, "fingerprint": data,
            "units": {role: {u: per_unit[u] for u in units} for role, units in lists.items()
                      if units}}


def _window(value, candidates, t0, *, side, n_default, freq) -> list[pd.Period]:
    if value is None:
        return candidates[-n_default:] if side == "before" else candidates[:n_default]
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= len(candidates):
            raise SpecError(f"{side}={value} periods, but the data have {len(candidates)} "
                            f"period(s) {side} the intervention {t0}.")
        return candidates[-value:] if side == "before" else candidates[:value]
    try:
        first, last = value
    except (TypeError, ValueError):
        raise SpecError(f"{side} must be a number of periods or (first, last); got "
                        f"{value!r}.") from None
    lo = parse_period(first, freq, name=side)
    hi = parse_period(last, freq, name=side)
    if lo > hi:
        raise SpecError(f"{side}=({first!r}, {last!r}) ends before it starts.")
    if (side == "before" and hi >= t0) or (side == "after" and lo < t0):
        raise SpecError(f"the {side} window {lo}–{hi} must lie "
                        f"{'before' if side == 'before' else 'from'} the intervention {t0}.")
    chosen = [p for p in candidates if lo <= p <= hi]
    if not chosen:
        raise SpecError(f"the {side} window {lo}–{hi} contains no period of the data.")
    return chosen


# -- output --------------------------------------------------------------------------------
def _flat(c: Mapping[str, tuple[float, float]]) -> dict[str, int]:
    return {f"{role}_{when}": int(v) for role, pair in c.items()
            for when, v in zip(("before", "after"), pair, strict=True)}


def _series(c: Mapping[str, tuple[float, float]], *, with_counterfactual: bool = False
            ) -> pd.DataFrame:
    """Long frame ``unit`` (area role), ``time`` (before/after), ``observed`` and, for R and
    D after, the ``counterfactual`` ``X_b · Ca / Cb`` implied by the control's change."""
    rows = []
    cb, ca = c["control"]
    for role, (xb, xa) in c.items():
        cf = xb * ca / cb if with_counterfactual and role in ("response", "buffer") else math.nan
        rows.append({"unit": role, "time": "before", "observed": xb,
                     "counterfactual": math.nan})
        rows.append({"unit": role, "time": "after", "observed": xa, "counterfactual": cf})
    out = pd.DataFrame(rows)
    out["ci_low"] = math.nan
    out["ci_high"] = math.nan
    return out
