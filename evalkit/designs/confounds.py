"""Confound checks of a partnership's evaluation: a citywide change at the start date, and
areas chosen after an unusual peak (regression to the mean, DOMAIN.md §4).

Both return a :class:`~evalkit.results.Diagnostic` whose ``message`` is a
:class:`~evalkit.i18n.Caveat` (a plain-language sentence that renders in English or French,
``message.render("fr")``); when ``passed`` is false its code (``eval_citywide_change``,
``eval_peak_selection``) names the concern, with a short label under
``eval.concern.<code>``. :func:`exclude_before` drops the selection window from the data.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from evalkit._checks import DEFAULT_SEED
from evalkit.data.panel import Panel, as_panel, panel_roles
from evalkit.data.periods import parse_period, to_periods
from evalkit.data.validate import check_names, require_columns
from evalkit.designs._common import as_list, check_alpha
from evalkit.designs.its import SE, Family, Seasonality, its
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.i18n import Caveat, round_percent
from evalkit.results import Diagnostic

__all__ = ["citywide_change", "exclude_before", "peak_selection"]

#: ``peak_selection`` fails when the treated areas' ratio is in the comparisons' top decile
PEAK_DECILE = 0.10
#: fewest comparison areas for which a ratio can rank in the top decile, (1 + 0) / (1 + 9)
MIN_COMPARISON = 9
#: fewest earlier pre-periods (besides the window) that make an area's own history
MIN_HISTORY = 3
#: comparison groups drawn when there are more combinations of that size than this
MAX_GROUPS = 2000
#: half an event per area-period keeps the ratio of an area without events finite (and 1)
_HALF = 0.5


def citywide_change(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    start: object,
    comparison: Sequence[str],
    exposure: str | None = None,
    family: Family = "quasipoisson",
    seasonality: Seasonality = "auto",
    se: SE = "model",
    alpha: float = 0.05,
) -> Diagnostic:
    """Did the comparison areas change at the partnership's start date?

    The interrupted time series of :func:`evalkit.its` (level change only) on the comparison
    areas' summed series, at ``start``. A clear change there is something citywide
    (recording practice, a campaign, the economy) that a before/after design without
    comparison areas would count as the partnership's effect.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Long panel of areas × periods; a Panel's roles are the defaults of the columns.
    outcome, unit, time : str
        Count, area and period columns.
    start : str, int or Period
        The partnership's first period.
    comparison : sequence of str
        The comparison areas, summed into one series.
    exposure : str, optional
        Population column, the model's offset.
    family, seasonality, se
        As in :func:`evalkit.its` (the defaults are ``run_designs``'). Its model-based
        errors ignore autocorrelated citywide shocks, so the check also flags a citywide
        swing of a few percent: on 200 null cities of ``simulate_realistic_city`` it flags
        12-15 % with moderate noise and 26-28 % with persistent district shocks;
        ``family="ols", se="ar1"`` (rates, GLS with AR(1) errors) flags 7 % and 10-12 %,
        and a real citywide -15 % shift 97 % of the time (quasi-Poisson: 100 %).
    alpha : float
        One minus the confidence level of the interval.

    Returns
    -------
    Diagnostic
        Name ``citywide_change``; ``statistic`` the comparison areas' % change at the start
        (the ITS level change), ``p_value`` its test, ``passed`` true when its interval
        includes 0. ``table``: one row with ``change_pct``, ``ci_low_pct``, ``ci_high_pct``,
        ``p_value``, ``n_areas``. ``message``: a Caveat, code ``eval_citywide_change``
        when the check fails, ``eval_citywide_change_none`` when it passes.

    Raises
    ------
    SpecError
        No comparison area, or a bad option of the ITS.
    DataError
        From :func:`evalkit.its` (too few periods, unknown areas...).
    """
    check_alpha(alpha)
    comparison = as_list(comparison)
    if not comparison:
        raise SpecError("citywide_change needs comparison areas; got none. Fix: pass "
                        "comparison=[...] (the areas without the partnership).")
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome", "unit", "time"), outcome=outcome, unit=unit, time=time,
        exposure=exposure).values()
    with warnings.catch_warnings():  # caveats of the comparison series' own fit, not the user's
        warnings.simplefilter("ignore", EvalkitWarning)
        res = its(data, outcome=outcome, time=time, unit=unit, units=comparison,
                  intervention=start, exposure=exposure, family=family,
                  seasonality=seasonality, slope_change=False, se=se, alpha=alpha)
    row = res.effects.set_index("term").loc["level_change"]
    pct, lo, hi = (100.0 * (float(row[c]) - 1.0)
                   for c in ("relative_effect", "relative_ci_low", "relative_ci_high"))
    if not all(math.isfinite(v) for v in (pct, lo, hi)):
        raise DataError("the comparison areas' series has no finite change at the start "
                        f"(estimate {pct}, interval {lo} to {hi}): too few events to tell. "
                        "Fix: a coarser period or more comparison areas.")
    passed = bool(lo <= 0.0 <= hi)
    # the sentence's numbers are the diagnostic's (results.json): the change and its p-value
    message = Caveat("eval_citywide_change" + ("_none" if passed else ""),
                     pct=round_percent(pct), p=float(row["p_value"]))
    table = pd.DataFrame({"change_pct": [pct], "ci_low_pct": [lo], "ci_high_pct": [hi],
                          "p_value": [float(row["p_value"])], "n_areas": [len(comparison)]})
    return Diagnostic(name="citywide_change",
                      null="the comparison areas did not change at the start date",
                      statistic=pct, p_value=float(row["p_value"]), passed=passed,
                      table=table, message=message)


def peak_selection(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    start: object,
    treated: Sequence[str],
    comparison: Sequence[str],
    window: int = 3,
    exposure: str | None = None,
    seed: int | None = None,
) -> Diagnostic:
    """Were the partnership areas chosen after an unusual peak?

    For the treated areas summed, the ratio of their mean rate (count per period, or per
    unit of ``exposure``) in the last ``window`` periods before ``start`` to their mean
    rate over the earlier periods, with half an event added to each area-period so that an
    area without events has ratio 1. It is ranked among the same ratio for the comparison
    areas: each area alone for one treated area; for ``m`` treated areas, every group of
    ``m`` comparison areas summed alike (at most ``MAX_GROUPS``, drawn at random beyond),
    since a sum of several areas varies less than one area and would rarely rank high
    among single areas. Under random selection the treated group is one more such group.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Long panel of areas × periods. Missing periods and missing outcomes are left out of
        the means (each area's mean is over the periods it has).
    outcome, unit, time : str
        Count, area and period columns.
    start : str, int or Period
        The partnership's first period.
    treated, comparison : sequence of str
        The partnership areas and the comparison areas.
    window : int
        The selection window: periods just before ``start`` compared with the earlier ones.
    exposure : str, optional
        Population column: rates instead of counts.
    seed : int, optional
        Seed of the groups drawn when there are more than ``MAX_GROUPS``.

    Returns
    -------
    Diagnostic
        Name ``peak_selection``; ``statistic`` the treated ratio; ``p_value`` its rank
        ``(1 + #{comparison ratios >= it}) / (1 + #comparisons)`` (a permutation p-value:
        at most 0.10 in 10 % of random selections); ``passed`` false when ``p_value <=
        0.10`` (top decile). ``table``: one row per area (``role``, ``recent``,
        ``earlier``, ``ratio``) and the treated group summed. ``message``: a Caveat, code
        ``eval_peak_selection`` (``eval_peak_selection_periods`` for data that are not
        monthly) when the check fails, ``eval_peak_selection_none`` when it passes.

    Raises
    ------
    SpecError
        A bad ``window``, no treated or too few comparison areas, an area in both lists.
    DataError
        Too few periods before the selection window, a treated area without counts in the
        window or before it, fewer than ``MIN_COMPARISON`` comparison areas with counts in
        both.
    """
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise SpecError(f"Expected window= a whole number of periods >= 1, but got {window!r}. "
                        "Fix: pass the number of periods before the start in which the areas "
                        "were chosen (e.g. window=3).")
    treated, comparison = as_list(treated), as_list(comparison)
    if not treated:
        raise SpecError("peak_selection needs the partnership areas; got none. Fix: pass "
                        "treated=[...].")
    both = sorted(set(treated) & set(comparison))
    if both:
        raise SpecError(f"{', '.join(both)} is both treated and a comparison area. Fix: remove "
                        "it from one list.")
    if len(comparison) < MIN_COMPARISON:
        raise SpecError(f"Expected at least {MIN_COMPARISON} comparison areas to tell whether "
                        f"the treated areas rank in the top decile, but got {len(comparison)}. "
                        "Fix: add comparison areas.")
    outcome, unit, time, exposure = panel_roles(
        data, ("outcome", "unit", "time"), outcome=outcome, unit=unit, time=time,
        exposure=exposure).values()
    panel = as_panel(data, unit=unit, time=time, outcome=outcome, exposure=exposure,
                     gaps=False, rules={outcome: {"allow_missing": True}})
    df = panel.data
    check_names(treated + comparison, sorted(set(df[unit])), parameter="treated and comparison",
                column=unit)
    t0 = parse_period(start, panel.freq, name="start")
    cut = t0 - window
    first = df[time].min()
    n_earlier = (cut - first).n if first < cut else 0
    if n_earlier < max(window, MIN_HISTORY):
        raise DataError(
            f"Expected at least {max(window, MIN_HISTORY)} periods before the selection "
            f"window ({cut} to {t0 - 1}) to compare it with, but the data begin in {first} "
            f"({n_earlier} periods). Fix: use data that begin earlier, or a smaller window=.")
    cells = df[(df[time] < t0) & df[outcome].notna()]
    recent = cells[time] >= cut
    per_area = pd.DataFrame({
        "c_r": cells[outcome].where(recent, 0.0), "n_r": recent.astype(float),
        "e_r": (cells[exposure] if exposure else 1.0) * recent,
        "c_e": cells[outcome].where(~recent, 0.0), "n_e": (~recent).astype(float),
        "e_e": (cells[exposure] if exposure else 1.0) * ~recent,
        unit: cells[unit]}).groupby(unit).sum().reindex(treated + comparison, fill_value=0.0)
    empty = (per_area["n_r"] == 0) | (per_area["n_e"] == 0)
    if empty[treated].any():
        raise DataError(
            f"Expected counts for every treated area both in the selection window ({cut} to "
            f"{t0 - 1}) and before it, but {', '.join(empty[treated][lambda s: s].index)} "
            "has none in one of them. Fix: add those periods' counts (0 if there were no "
            "incidents) or leave the area out.")
    usable = [a for a in comparison if not empty[a]]
    if len(usable) < MIN_COMPARISON:
        raise DataError(
            f"Expected at least {MIN_COMPARISON} comparison areas with counts both in the "
            f"selection window ({cut} to {t0 - 1}) and before it, but {len(usable)} have them. "
            "Fix: add those periods' counts (0 if there were no incidents) or more comparison "
            "areas.")
    m = len(treated)
    if m > len(usable):
        raise DataError(f"Expected at least as many comparison areas ({len(usable)}) as "
                        f"treated areas ({m}) to form comparison groups of the same size. "
                        "Fix: add comparison areas.")
    # columns c_r, n_r, e_r, c_e, n_e, e_e: the ratio of a group is that of its summed rows
    own = _ratio(per_area.loc[treated].to_numpy(float).sum(axis=0))
    pool = per_area.loc[usable].to_numpy(float)
    reference = _ratio(pool[_groups(len(usable), m, seed)].sum(axis=1))
    p = float((1 + np.sum(reference >= own)) / (1 + len(reference)))
    share = 100.0 * float(np.mean(reference < own))
    passed = p > PEAK_DECILE
    code = ("eval_peak_selection_none" if passed else
            "eval_peak_selection" if panel.freq == "M" else "eval_peak_selection_periods")
    message = Caveat(code, ratio=own, share=share, window=window, m=m)
    table = _table(per_area, treated, usable, m)
    return Diagnostic(name="peak_selection",
                      null="the treated areas were not chosen after an unusual peak",
                      statistic=own, p_value=p, passed=passed, table=table, message=message)


def exclude_before(data: Panel | pd.DataFrame, *, time: str | None = None, start: object,
                   k: int) -> Panel | pd.DataFrame:
    """The rows of ``data`` without the ``k`` periods just before ``start``.

    Drops the selection window of areas chosen after a peak, so that the pre-period the
    designs learn from is the areas' ordinary level (DOMAIN.md §4).

    Parameters
    ----------
    data : Panel or DataFrame
        Long table; not modified.
    time : str
        Period column (a Panel's by default).
    start : str, int or Period
        The partnership's first period.
    k : int
        Periods dropped, ``start - k`` to ``start - 1``; 0 returns the rows unchanged.

    Returns
    -------
    Panel or DataFrame
        Of the same kind as ``data``, with a fresh index (a Panel keeps its roles and
        digest, as the subsets of ``run_designs`` do). The series then have a gap before
        ``start``.

    Raises
    ------
    SpecError
        A bad ``k``.
    DataError
        No period left before the dropped ones.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise SpecError(f"Expected k= a whole number of periods >= 0, but got {k!r}. Fix: pass "
                        "the number of periods before the start to leave out (e.g. k=3).")
    (time,) = panel_roles(data, ("time",), time=time).values()
    df = data.data if isinstance(data, Panel) else data
    require_columns(df, [time], role="time")
    periods, freq = (df[time], data.freq) if isinstance(data, Panel) else to_periods(
        df[time], column=time)
    t0 = parse_period(start, freq, name="start")
    if not (periods < t0 - k).any():
        raise DataError(f"Expected periods before {t0 - k} to remain after leaving out the {k} "
                        f"before the start ({start}), but the data begin in {periods.min()}. "
                        "Fix: use data that begin earlier, or a smaller k.")
    keep = ~((periods >= t0 - k) & (periods < t0)).to_numpy()
    rows = df[keep].reset_index(drop=True)
    return dataclasses.replace(data, data=rows) if isinstance(data, Panel) else rows


def _ratio(sums: np.ndarray) -> np.ndarray:
    """Recent over earlier mean rate, half an event added per area-period (last axis:
    c_r, n_r, e_r, c_e, n_e, e_e)."""
    c_r, n_r, e_r, c_e, n_e, e_e = np.moveaxis(sums, -1, 0)
    return ((c_r + _HALF * n_r) / e_r) / ((c_e + _HALF * n_e) / e_e)


def _groups(n: int, m: int, seed: int | None) -> np.ndarray:
    """Index rows of the comparison groups of size ``m`` among ``n`` areas: every
    combination, or ``MAX_GROUPS`` random ones when there are more."""
    if math.comb(n, m) <= MAX_GROUPS:
        return np.array(list(combinations(range(n), m)), dtype=int).reshape(-1, m)
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    return np.argsort(rng.random((MAX_GROUPS, n)), axis=1)[:, :m]


def _table(per_area: pd.DataFrame, treated: list[str], usable: list[str],
           m: int) -> pd.DataFrame:
    """Each area's recent and earlier mean rate and ratio, and the treated group summed."""
    areas = per_area.loc[treated + usable]
    summed = per_area.loc[treated].sum().to_frame("treated (summed)").T
    both = pd.concat([areas, summed] if m > 1 else [areas])
    return pd.DataFrame({
        "area": both.index.astype(str),
        "role": ["treated"] * m + ["comparison"] * len(usable) + (["treated group"] if m > 1
                                                                  else []),
        "recent": both["c_r"] / both["e_r"], "earlier": both["c_e"] / both["e_e"],
        "ratio": _ratio(both.to_numpy(float)),
    }).reset_index(drop=True)
