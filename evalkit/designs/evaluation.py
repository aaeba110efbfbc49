"""Every design the data supports, run on one partnership (the ``evaluation`` template).

:func:`run_designs` reads which areas have the partnership and from when (the treatment
column), then runs:

* **ITS** on the treated areas summed (the first cohort's areas when the start is
  staggered; always-treated areas are out, so that cohort has periods before its start),
  against their own trend — no comparison areas (Maryland level 2);
* **difference in differences** against the comparison areas: with at least
  ``FEW_TREATED`` treated areas and ``FEW_CLUSTERS`` areas in all, a panel design (two-way
  Poisson with an event study for the pre-trend test when every area starts together,
  Callaway–Sant'Anna group-time effects when the start is staggered); otherwise a
  **controlled ITS** (the treated series against the comparison areas' summed series, with
  one effect per period), because cluster-robust intervals with few treated areas or few
  clusters are too narrow and the permutation alternatives give no usable interval;
* **synthetic control** when exactly one area is treated;
* **WDD** (displacement and diffusion) when buffer areas and buffer controls are given.

Areas under the partnership from their first period in the data (always treated) have no
period before the start: no design can use them (the group-time DiD would drop them, the
ITS would have no pre-period), so they are left out of every design and named in a note.

Buffer areas and their controls' roles: buffers are kept out of every comparison (they may
receive displacement); buffer controls are ordinary comparison areas. The comparison areas
default to every never-treated area that is not a buffer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit._checks import FEW_CLUSTERS, FEW_TREATED, check_alpha, check_choice
from evalkit.data.io import read_table
from evalkit.data.panel import Panel, Timing, as_panel, panel_roles
from evalkit.data.periods import parse_period, period_label, to_periods
from evalkit.data.validate import check_names, require_columns
from evalkit.designs._common import as_list
from evalkit.designs.confounds import citywide_change, peak_selection
from evalkit.designs.confounds import exclude_before as exclude_periods
from evalkit.designs.did import did, event_study
from evalkit.designs.displacement import wdd
from evalkit.designs.its import its
from evalkit.designs.registry import MIN_PRE, get
from evalkit.designs.staggered import staggered_did
from evalkit.designs.survey_did import survey_did
from evalkit.designs.synth import synth
from evalkit.designs.triangulate import Triangulation, Verdict, triangulate
from evalkit.errors import DataError, EvalkitError, SpecError
from evalkit.i18n import Caveat, t
from evalkit.results import Diagnostic, EvaluationResult

__all__ = ["DesignRun", "Evaluation", "describe", "evaluate", "run_designs", "treated_cells"]

_COHORT = "_evalkit_cohort"
#: periods of the peak-selection window by frequency: about three months
_PEAK_WINDOW = {"D": 91, "W": 13, "M": 3, "Q": 1, "Y": 1}
_NOT_RUN = "eval_not_run_"


@dataclass(frozen=True)
class DesignRun:
    """The designs run on one partnership, and what the data said about the partnership.

    Attributes
    ----------
    results : tuple of EvaluationResult
        Every result, in the order ITS, DiD (panel or controlled ITS), event study, synthetic
        control, WDD.
    treated : dict
        Treated area → first treated period (text).
    comparison : tuple of str
        The comparison areas.
    buffer : tuple of str
        The buffer areas (kept out of every comparison).
    its_areas : tuple of str
        The areas summed in the ITS (the first cohort's).
    always_treated : tuple of str
        Areas under the partnership from their first period in the data: with no period
        before the start they cannot inform any design, and are left out of every one.
    treated_total : float
        Observed outcome summed over the treated area-periods from each area's start, on the
        rows the designs were given (always-treated areas left out): the crimes prevented by
        a Poisson DiD (:func:`evalkit.designs.triangulate.triangulate`).
    notes : tuple of Caveat
        Why a design was or was not run.
    sha256 : str
        Digest of the data as given (a file's bytes), computed once: every result's
        provenance records it, and ``build_results(sha256=...)`` takes it.
    concerns : tuple of Caveat
        Named confounds the data checks found (a citywide change at the start, areas chosen
        after a peak): :func:`~evalkit.designs.triangulate.triangulate` lowers credibility
        or grades by them.
    checks : tuple of Diagnostic
        Those checks as results.json diagnostics (passed or not).
    sensitivity : tuple of EvaluationResult
        The time series (ITS or controlled ITS) refitted with a change of trend after the
        start, when the headline fits a level change only: a sensitivity row, never the
        headline (a slope extrapolated over a long post-period is far less precise).
    excluded : tuple of str
        The periods just before the start left out of the effect designs
        (``exclude_before``).
    """

    results: tuple[EvaluationResult, ...]
    treated: dict[str, str]
    comparison: tuple[str, ...]
    buffer: tuple[str, ...]
    its_areas: tuple[str, ...]
    always_treated: tuple[str, ...]
    treated_total: float
    notes: tuple[Caveat, ...]
    sha256: str = ""
    concerns: tuple[Caveat, ...] = ()
    checks: tuple[Diagnostic, ...] = ()
    sensitivity: tuple[EvaluationResult, ...] = ()
    excluded: tuple[str, ...] = ()

    def get(self, method: str) -> EvaluationResult | None:
        """The result of ``method`` (``its``, ``did``, ``synth``...), None if not run."""
        return next((r for r in self.results if r.method == method), None)

    def messages(self, lang: str = "en") -> list[str]:
        """The notes as sentences in ``lang`` (results.json's warnings: ``lang="en"``)."""
        return [describe(n, lang) for n in self.notes]

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """One ``design_not_run`` diagnostic (``passed`` false) per design that was tried
        and could not be estimated, for results.json: ``null`` names the design and the
        reason."""
        return tuple(
            Diagnostic("design_not_run",
                       f"design {n.values['design']} can be estimated on these data; not run: "
                       f"{n.values['message']}", float("nan"), float("nan"), False,
                       message=describe(n))
            for n in self.notes if n.code.startswith(_NOT_RUN))


def describe(note: Caveat, lang: str = "en") -> str:
    """A note of :func:`run_designs` (or a triangulation reason) as a sentence in ``lang``,
    the design named in words (``design`` holds the method, e.g. ``its``)."""
    values = dict(note.values)
    if "design" in values:
        values["design"] = t(get(values["design"]).label, lang)
    text = t(f"caveat.{note.code}", lang, **values)
    return text[:1].upper() + text[1:]


def treated_cells(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                  first: dict[str, str]) -> tuple[float, int]:
    """Observed ``outcome`` summed over the treated areas from their start, and the number of
    those area-periods with an outcome (missing outcomes are left out of both).

    Parameters
    ----------
    data : DataFrame
        Long panel.
    outcome, unit, time : str
        Columns.
    first : dict
        Treated area → first treated period.
    """
    periods, freq = to_periods(data[time], column=time)
    start = data[unit].astype(str).map(first)
    on = start.notna().to_numpy()
    if not on.any():
        return 0.0, 0
    starts, _ = to_periods(start[on].astype(str), freq=freq, column=time)
    post = periods[on].to_numpy() >= starts.to_numpy()
    values = pd.to_numeric(data[outcome][on], errors="coerce").to_numpy(float)[post]
    known = ~np.isnan(values)  # cells without an outcome are left out of both numbers
    return float(values[known].sum()), int(known.sum())


def _timing(panel: Panel, treatment: str) -> Timing:
    """The Panel's treatment timing, a ``treatment`` that is not numeric refused first (the
    row named by its unit and period)."""
    df, unit, time = panel.data, panel.unit, panel.time
    dose = pd.to_numeric(df[treatment], errors="coerce")
    bad = (df[treatment].notna() & dose.isna()).to_numpy()
    if bad.any():
        row = df.loc[bad].iloc[0]
        raise DataError(
            f"treatment column {treatment!r} must be 0/1 (or a share 0..1 of the period under "
            f"the partnership); found {row[treatment]!r} in the row of {unit} "
            f"{row[unit]}, {time} {period_label(row[time])}. Fix the column.")
    found = panel.timing(treatment)
    if found.first.empty:
        raise DataError(f"no treated area: column {treatment!r} is 0 everywhere. Mark the "
                        "partnership areas' periods under the partnership with 1.")
    return found


def _check_areas(name: str, areas: list[str], known: set[str], unit: str) -> None:
    check_names(areas, sorted(known), parameter=name, column=unit)


def run_designs(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treatment: str,
    exposure: str | None = None,
    comparison: Sequence[str] = (),
    buffer: Sequence[str] = (),
    buffer_control: Sequence[str] = (),
    family: Literal["poisson", "quasipoisson", "negbin"] = "quasipoisson",
    seasonality: Literal["auto", "none", "month", "fourier"] = "auto",
    slope_change: bool = False,
    window: int = 12,
    seed: int | None = None,
    alpha: float = 0.05,
    control_group: Literal["auto", "never_treated", "not_yet_treated"] = "auto",
    exclude_before: int | Literal["auto"] = "auto",
) -> DesignRun:
    """Run every design the data supports on one partnership.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Long panel of areas × periods with count ``outcome`` and 0/1 ``treatment``. A
        Panel's roles (unit, time, outcome, exposure) are the defaults of those arguments
        (and its timing of ``treatment`` is reused); an argument naming another column
        raises :class:`SpecError`.
    outcome, unit, time, treatment : str
        Columns. ``treatment`` is 1 (or a share > 0) in each partnership area's periods under
        the partnership; the first such period is the area's start.
    exposure : str, optional
        Denominator column, the offset of the (controlled) ITS.
    comparison : sequence of str
        Comparison areas; empty for every never-treated area that is not a buffer.
    buffer, buffer_control : sequence of str
        Buffer areas around the treated areas and comparison areas for them; both are needed
        for the WDD displacement test. Buffers never serve as comparison areas.
    family, seasonality, slope_change
        The ITS model (as in :func:`evalkit.its`; the panel designs are Poisson). By default
        the time series estimate a change of level only; with ``slope_change=False`` they are
        also refitted with a change of trend, as a sensitivity row (``sensitivity``).
    window : int
        Periods before and after the start counted by the WDD test, and leads shown in the
        event study (lags: twice as many).
    seed : int, optional
        Seed of the synthetic control's placebo draws.
    alpha : float
        One minus the confidence level.
    control_group : {"auto", "never_treated", "not_yet_treated"}
        Comparison group of the group-time DiD (see :func:`evalkit.staggered_did`).
    exclude_before : int or "auto"
        Periods just before the start left out of every effect design: areas chosen after
        an unusual peak would otherwise show a return to normal as an effect (regression
        to the mean, DOMAIN.md §4). ``"auto"``: the peak check's window (3 periods) when the
        check fails (:func:`evalkit.designs.confounds.peak_selection`), else none; ``0``:
        never (a failed check then lowers every design's evidence level by one). The
        time series leave them out of the fit, the two-way DiD and its event study drop
        them (the event study's reference period moves before them), the group-time DiD
        treats them as anticipation and the synthetic control fits the periods before
        them. The displacement test is not changed.

    Returns
    -------
    DesignRun
        A design the data cannot support (its own :class:`~evalkit.errors.EvalkitError`,
        e.g. too few periods for the ITS) is left out and named in ``notes`` (code
        ``eval_not_run_<its|panel|synth|wdd>``: the error's diagnosis without the
        estimator's own "Fix", then advice in this function's parameters) and in
        :meth:`DesignRun.diagnostics`; the others still run. Areas under the partnership
        from their first period in the data are left out of every design (``notes``:
        ``eval_always_treated``).

    Raises
    ------
    DataError
        No treated area, unknown area names, a treatment column that is not numeric, every
        treated area under the partnership from its first period; no design could run
        (each design's diagnosis and advice).
    SpecError
        An area in two roles, a buffer without buffer controls, bad options.
    """
    check_alpha(alpha)
    check_choice("family", family, ("poisson", "quasipoisson", "negbin"))
    if exclude_before != "auto" and (not isinstance(exclude_before, int)
                                     or isinstance(exclude_before, bool) or exclude_before < 0):
        raise SpecError(f"exclude_before must be 'auto' or a whole number of periods >= 0; "
                        f"got {exclude_before!r}. Fix: exclude_before='auto' (the default), "
                        "0 to keep every period, or e.g. 3.")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise SpecError(f"window must be a whole number of periods >= 1; got {window!r}.")
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome", "unit", "time"), outcome=outcome, unit=unit, time=time,
        exposure=exposure).values()
    # built (and hashed) once: the designs get Panels of its rows, which keep its digest;
    # rows without an area or a period are left out, the checks of counts are the designs'
    source = as_panel(data, unit=unit, time=time, drop_missing_keys=True, gaps=False)
    df = source.data
    require_columns(df, [outcome, treatment] + ([exposure] if exposure else []))
    areas = set(df[unit])
    comparison, buffer = as_list(list(comparison)), as_list(list(buffer))
    buffer_control = as_list(list(buffer_control))
    for name, given in (("comparison", comparison), ("buffer", buffer),
                        ("buffer_control", buffer_control)):
        _check_areas(name, given, areas, unit)
    found = _timing(source, treatment)
    first = {str(k): period_label(v) for k, v in found.first.items()}
    for name, given in (("comparison", comparison), ("buffer", buffer),
                        ("buffer_control", buffer_control)):
        clash = sorted(set(given) & set(first))
        if clash:
            raise SpecError(f"{name} lists partnership area(s) {', '.join(clash)}; a treated "
                            "area cannot also be a comparison or a buffer. Remove it.")
    clash = sorted(set(buffer) & (set(comparison) | set(buffer_control)))
    if clash:
        raise SpecError(f"{', '.join(clash)} is both a buffer and a comparison area; buffers "
                        "may receive displacement, so they cannot be comparisons. Remove it "
                        "from one list.")
    if bool(buffer) != bool(buffer_control):
        raise SpecError("the displacement test needs both buffer and buffer_control areas; "
                        f"only {'buffer' if buffer else 'buffer_control'} was given. Add the "
                        "other (comparison areas for the buffers, away from the partnership "
                        "area), or leave both empty.")
    always = list(found.always_treated)
    notes: list[Caveat] = []
    if always:
        if len(always) == len(first):
            raise DataError(
                f"every partnership area ({', '.join(always)}) is under the partnership from "
                "its first period in the data: with no period before the start, no design "
                "can estimate the effect. Fix: use data that begin before the partnership "
                "started.")
        notes.append(Caveat("eval_always_treated" + ("_one" if len(always) == 1 else ""),
                            areas=", ".join(always), n=len(always)))
        # no period before the start: they inform no design, and none may count them
        df = df[~df[unit].isin(set(always))]
        first = {a: s for a, s in first.items() if a not in set(always)}
    treated = sorted(first)
    comparison = comparison or sorted(areas - set(first) - set(always) - set(buffer))
    if not comparison:
        raise DataError("no comparison area: every area is treated or a buffer. Give "
                        "comparison= or keep some areas without the partnership.")
    starts = sorted(set(first.values()))
    its_areas = [a for a in treated if first[a] == starts[0]]
    if len(starts) > 1:
        notes.append(Caveat("eval_its_first_cohort_one", start=starts[0], area=its_areas[0],
                            n_starts=len(starts)) if len(its_areas) == 1 else
                     Caveat("eval_its_first_cohort", start=starts[0], n=len(its_areas),
                            n_starts=len(starts)))

    def rows(keep: pd.Series) -> Panel:  # a subset keeps the source's digest and roles
        return dataclasses.replace(source, data=df[keep].reset_index(drop=True))

    panel = rows(df[unit].isin(set(treated) | set(comparison)))
    areas_in = rows(df[unit].notna())  # every area but the always-treated: ITS and WDD

    def cohorts(part: Panel | None = None) -> Panel:  # each area's start: panel designs
        part = part or panel
        return dataclasses.replace(part, data=part.data.assign(
            **{_COHORT: part.data[unit].map(first).fillna("")}))

    freq = source.freq
    t0 = parse_period(starts[0], freq, name="start")
    # about a quarter of a year: the months a council looks at when it picks hot spots
    peak_window = _PEAK_WINDOW.get(freq, 3)
    checks = _confound_checks(panel, outcome=outcome, unit=unit, time=time, start=starts[0],
                              treated=its_areas, comparison=comparison, exposure=exposure,
                              seasonality=seasonality, alpha=alpha, seed=seed,
                              window=peak_window, notes=notes)
    peak = next((d for d in checks if d.name == "peak_selection"), None)
    flagged = peak is not None and not peak.passed
    periods = pd.PeriodIndex(panel.data[time].unique(), freq=freq)
    n_pre = int((periods < t0).sum())
    if exclude_before != "auto":
        k = exclude_before
    else:  # left out only when the time series keep enough periods to fit on
        k = peak_window if flagged and n_pre - peak_window >= MIN_PRE else 0
    if k >= n_pre:
        raise SpecError(f"exclude_before={k} leaves no period before the start ({starts[0]}); "
                        f"the data have {n_pre}. Fix: a smaller exclude_before, or 'auto'.")
    concerns = [d.message for d in checks if not d.passed and d.name != "peak_selection"]
    if flagged and k >= peak_window:  # left out: named, and no longer lowers the grade
        concerns.append(Caveat("eval_peak_excluded", k=k, **{
            n: peak.message.values[n] for n in ("ratio", "share", "m")}))
    elif flagged:  # kept, or only part of it left out: the threat stands
        concerns.append(peak.message)
    if k and not (flagged and k >= peak_window):
        notes.append(Caveat("eval_excluded", k=k))
    excluded = [period_label(t0 - i) for i in range(k, 0, -1)]
    if k:
        panel_cut = exclude_periods(panel, time=time, start=starts[0], k=k)

    series = {"outcome": outcome, "time": time, "intervention": starts[0],
              "exposure": exposure, "family": family, "seasonality": seasonality,
              "slope_change": slope_change, "unit": unit, "units": its_areas, "alpha": alpha,
              **({"exclude": excluded} if k else {})}
    jobs: list[tuple[str, Callable[[], EvaluationResult]]] = [
        ("its", lambda: its(areas_in, **series))]
    n_panel = len(treated) + len(comparison)
    panel_ok = len(treated) >= FEW_TREATED and n_panel >= FEW_CLUSTERS
    if panel_ok and len(starts) > 1:
        jobs.append(("staggered_did", lambda: staggered_did(
            cohorts(), outcome=outcome, unit=unit, time=time, cohort=_COHORT,
            control_group=control_group, alpha=alpha, anticipation=k)))
    elif panel_ok:
        # t with G1 - 1 degrees of freedom: CR1 with few treated areas covers too little
        jobs.append(("did", lambda: did(panel_cut if k else panel, outcome=outcome,
                                        unit=unit, time=time, treatment=treatment,
                                        family="poisson", seed=seed, alpha=alpha,
                                        df_rule="treated")))
        jobs.append(("event_study", lambda: event_study(
            cohorts(panel_cut if k else panel), outcome=outcome, unit=unit, time=time,
            cohort=_COHORT, leads=max(window, k + 1), lags=2 * window, alpha=alpha,
            reference=-(k + 1))))
    else:
        notes.append(Caveat("eval_controlled_its", n=len(treated), few=FEW_TREATED)
                     if len(treated) < FEW_TREATED else
                     Caveat("eval_controlled_its_clusters", n=n_panel, few=FEW_CLUSTERS))
        jobs.append(("controlled_its", lambda: its(areas_in, **series, control=comparison,
                                                   seed=seed)))
    if len(treated) == 1:
        # conformal inference (Chernozhukov et al. 2021) covers 94 % on realistic district
        # counts where the placebo interval is often empty or too wide; it refits on every
        # pre-period, so with a window left out the placebo interval fits the periods before
        fit_until = {"optimize_periods": (period_label(periods.min()), period_label(t0 - k - 1)),
                     "inference": "placebo"} if k else {"inference": "conformal"}
        jobs.append(("synth", lambda: synth(panel, outcome=outcome, unit=unit, time=time,
                                            treated_unit=treated[0], intervention=starts[0],
                                            seed=seed, alpha=alpha, **fit_until)))
    else:
        notes.append(Caveat("eval_no_synth", n=len(treated)))
    if buffer:
        jobs.append(("wdd", lambda: wdd(
            data=areas_in, unit=unit, time=time, outcome=outcome, intervention=starts[0],
            response=its_areas, buffer=buffer,
            control=[a for a in comparison if a not in buffer_control],
            buffer_control=buffer_control, before=window, after=window, alpha=alpha)))
    else:
        notes.append(Caveat("eval_no_buffer"))
    results: list[EvaluationResult] = []
    errors: list[EvalkitError] = []
    sensitivity: list[EvaluationResult] = []
    for name, job in jobs:
        try:  # one design the data cannot support must not sink the others
            results.append(job())
        except EvalkitError as exc:
            errors.append(exc)
            # the estimator's own "Fix:" names its arguments, which the evaluation sets
            # itself: keep the diagnosis, and give advice in the evaluation's parameters
            reason = str(exc).split(" Fix:")[0].strip()
            notes.append(Caveat(_NOT_RUN + get(name).advice, design=name, message=reason,
                                start=starts[0], window=window))
    if not slope_change:  # the change of trend as a sensitivity row, never the headline
        series_design = next((r for r in results if r.method == "controlled_its"), None) \
            or next((r for r in results if r.method == "its"), None)
        if series_design is not None:
            control = comparison if series_design.method == "controlled_its" else None
            # too few periods for a trend after the start: no sensitivity row
            with contextlib.suppress(EvalkitError), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the headline fit has warned already
                sensitivity.append(its(areas_in, **{**series, "slope_change": True},
                                       control=control, seed=seed if control else None))
    if not results:  # each design's diagnosis, with advice in this function's parameters
        raise DataError("No design could be estimated on these data. " + " ".join(
            describe(n) for n in notes if n.code.startswith(_NOT_RUN))) from errors[0]
    total, _ = treated_cells(df, outcome=outcome, unit=unit, time=time, first=first)
    return DesignRun(tuple(results), dict(first), tuple(comparison), tuple(buffer),
                     tuple(its_areas), tuple(always), total, tuple(notes), source.sha256,
                     concerns=tuple(concerns), checks=checks, sensitivity=tuple(sensitivity),
                     excluded=tuple(excluded))


def _confound_checks(panel: Panel, *, outcome: str, unit: str, time: str, start: str,
                     treated: Sequence[str], comparison: Sequence[str], exposure: str | None,
                     seasonality: str, alpha: float, seed: int | None, window: int,
                     notes: list[Caveat]) -> tuple[Diagnostic, ...]:
    """The citywide-change and peak-selection checks at the first start (DOMAIN.md §4);
    a check the data cannot support is named in ``notes`` and left out."""
    jobs: tuple[tuple[str, Callable[[], Diagnostic]], ...] = (
        # GLS with AR(1) errors on rates: the quasi-Poisson errors ignore persistent citywide
        # shocks and flag a null city 12-28 % of the time (7-12 % with these)
        ("citywide_change", lambda: citywide_change(
            panel, outcome=outcome, unit=unit, time=time, start=start, comparison=comparison,
            exposure=exposure, family="ols", se="ar1", seasonality=seasonality,  # type: ignore[arg-type]
            alpha=alpha)),
        ("peak_selection", lambda: peak_selection(
            panel, outcome=outcome, unit=unit, time=time, start=start, treated=treated,
            comparison=comparison, exposure=exposure, seed=seed, window=window)),
    )
    done = []
    for name, job in jobs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a check's own fit is not the user's model
                done.append(job())
        # a check's own fit may fail on degenerate series (all zeros): named, never fatal
        except (EvalkitError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            notes.append(Caveat(f"eval_check_not_run_{name}",
                                message=str(exc).split(" Fix:")[0].strip()))
    return tuple(done)


@dataclass(frozen=True)
class Evaluation:
    """One partnership evaluated: what :func:`evaluate` returns and the ``evaluation`` report
    renders.

    Attributes
    ----------
    run : DesignRun
        The designs run, the areas in each role, the notes and the data checks.
    results : tuple of EvaluationResult
        ``run.results`` and, with a survey, the survey DiD.
    triangulation : Triangulation
        The designs side by side and the grade.
    """

    run: DesignRun
    results: tuple[EvaluationResult, ...]
    triangulation: Triangulation

    @property
    def verdict(self) -> Verdict:
        """The verdict as data (results.json ``verdict``), concerns worded in English."""
        return self.triangulation.verdict(describe)

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The evaluation's own checks for results.json: agreement, evidence level, the data
        checks and the designs that could not run."""
        return self.triangulation.diagnostics() + self.run.checks + self.run.diagnostics()


def evaluate(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    treatment: str,
    cost: float | None = None,
    survey: dict[str, object] | None = None,
    **options: object,
) -> Evaluation:
    """Evaluate one partnership with every design the data support, and draw the verdict.

    The one call behind the ``evaluation`` template: :func:`run_designs`, the survey DiD
    when a survey is given, then :func:`~evalkit.designs.triangulate.triangulate` with the
    data checks' concerns and the sensitivity fits.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Long panel of areas × periods (see :func:`run_designs`).
    treatment : str
        1 in each partnership area's periods under the partnership.
    cost : float, optional
        Cost of the partnership over the evaluated period, for the cost per crime prevented.
    survey : dict, optional
        A respondent-level survey for the insecurity outcome: ``{"data": file or frame,
        "response": ..., "area": ..., "wave": ..., "before": [...], "after": [...]}`` and
        optionally ``weight``, ``strata``, ``psu``, ``unsafe`` (:func:`evalkit.survey_did`;
        its treated areas are the partnership areas the survey covers).
    **options
        Any other argument of :func:`run_designs` (``outcome``, ``unit``, ``time``,
        ``exposure``, ``comparison``, ``buffer``, ``buffer_control``, ``alpha``...).

    Returns
    -------
    Evaluation
        ``.verdict`` is what the report's headline says, as data.
    """
    run = run_designs(data, treatment=treatment, **options)  # type: ignore[arg-type]
    results = list(run.results)
    alpha = float(options.get("alpha", 0.05))  # type: ignore[arg-type]
    if survey:
        spec = dict(survey)
        if "data" not in spec:
            raise SpecError("survey needs its respondent file or frame under 'data', e.g. "
                            "survey={'data': 'survey.csv', 'response': ..., 'area': ..., "
                            "'wave': ..., 'before': [...], 'after': [...]}.")
        respondents = spec.pop("data")
        if not isinstance(respondents, pd.DataFrame):
            respondents = read_table(respondents)  # type: ignore[arg-type]
        area = str(spec.get("area", ""))
        if area not in respondents.columns:
            raise DataError(f"survey area column {area!r} not found; the survey has "
                            f"{', '.join(map(str, respondents.columns))}. Fix: survey "
                            "{'area': <the column naming each respondent's area>}.")
        covered = set(respondents[area].astype(str))
        results.append(survey_did(respondents, treated_areas=[a for a in run.treated
                                                              if a in covered],
                                  alpha=alpha, **spec))  # type: ignore[arg-type]
    tri = triangulate(results, treated_total=run.treated_total, cost=cost, alpha=alpha,
                      concerns=run.concerns, sensitivity=run.sensitivity)
    return Evaluation(run, tuple(results), tri)
