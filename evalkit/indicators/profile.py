"""The numbers of an indicator profile, computed once from the data.

:func:`compute_indicators` reads and validates a unit × period table of counts once and
computes everything the indicator profile (``templates/indicators.ipynb``) shows: the counts
and rates of the last two windows with their exact intervals (:func:`~evalkit.rate`,
:func:`~evalkit.rate_change`), the rate in every period, the mean count per season and, with
a weight table, the harm-weighted totals (:func:`compute_harm`). The result is a frozen
:class:`IndicatorProfile`; :mod:`evalkit.report.indicators` only formats it and applies
disclosure control.

Areas are kept one by one; the tables per period also carry the areas added up (area
``""``), for figures with too many areas to draw one line each.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit._checks import check_alpha
from evalkit.data.io import data_fingerprint, read_table
from evalkit.data.panel import load_panel
from evalkit.data.validate import check_names, check_numeric, require_columns
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.i18n import t
from evalkit.indicators.change import rate_change
from evalkit.indicators.harm import harm_total, load_harm_weights
from evalkit.indicators.rates import rate

__all__ = ["HarmProfile", "IndicatorProfile", "compute_harm", "compute_indicators", "span"]

DataLike = pd.DataFrame | str | os.PathLike[str]

# the one area of a series without an area column; results.json terms carry this name and
# the report shows the catalogue's label in its own language instead
ALL_AREAS = t("ind.all_areas", "en")

_SEASON: dict[str, Callable[[pd.Period], int]] = {
    "M": lambda p: p.month, "Q": lambda p: p.quarter, "W": lambda p: p.week,
    "D": lambda p: p.dayofweek + 1}
_RATE_COLUMNS = ["count", "exposure", "rate", "ci_low", "ci_high"]


def span(periods: Sequence[pd.Period]) -> str:
    """``"2023-01 – 2023-12"``, or the one period."""
    if periods[0] == periods[-1]:
        return str(periods[0])
    return f"{periods[0]} – {periods[-1]}"


@dataclass(frozen=True, eq=False)
class IndicatorProfile:
    """The computed numbers of an indicator profile (see :func:`compute_indicators`).

    Attributes
    ----------
    unit, time, exposure : str or None
        The area column (None for a single series, whose one area is ``ALL_AREAS``), the
        period column and the denominator column (None: counts only, no rates).
    requested : tuple of str
        The indicators asked for, in order.
    indicators : tuple of str
        Those computed: ``requested`` minus ``withheld``.
    withheld : tuple of str
        Indicators left out of every number (sensitive offences a disclosure rule withholds).
    per, alpha : float
        Rate base and one minus the confidence level.
    window : int or None
        Periods per window (None: no window comparison).
    freq : str
        Frequency of the periods.
    selected : tuple of str
        The areas asked for, as given (empty for all).
    areas : tuple of str
        The areas profiled, in order.
    periods : tuple of pandas.Period
        Every period of the data, sorted.
    previous, last : tuple of pandas.Period
        The two windows compared (empty without a window).
    source, sha256 : str
        The data file's name and digest ("" for a DataFrame).
    frame : pandas.DataFrame
        One row per area and period: ``_area, _time`` (Period), ``_exposure`` (with an
        exposure) and the counts of each indicator.
    window_rates : pandas.DataFrame or None
        The window comparison (with an exposure and a window): see :func:`window_rates`.
    by_period, by_period_combined : pandas.DataFrame
        One row per indicator, area (the areas added up in ``by_period_combined``, area
        ``""``) and period: ``_area, _time, indicator, count``, ``_exposure`` and the
        rate columns of :func:`evalkit.rate` (``exposure, rate, ci_low, ci_high``) with an
        exposure, and ``season`` (month, quarter, week or weekday; NaN for yearly data).
    season_means, season_means_combined : pandas.DataFrame or None
        Mean count per ``indicator, _area, season`` (None for yearly data).
    """

    unit: str | None
    time: str
    exposure: str | None
    requested: tuple[str, ...]
    indicators: tuple[str, ...]
    withheld: tuple[str, ...]
    per: float
    alpha: float
    window: int | None
    freq: str
    selected: tuple[str, ...]
    areas: tuple[str, ...]
    periods: tuple[pd.Period, ...]
    previous: tuple[pd.Period, ...]
    last: tuple[pd.Period, ...]
    source: str
    sha256: str
    frame: pd.DataFrame
    window_rates: pd.DataFrame | None
    by_period: pd.DataFrame
    by_period_combined: pd.DataFrame
    season_means: pd.DataFrame | None
    season_means_combined: pd.DataFrame | None


@dataclass(frozen=True, eq=False)
class HarmProfile:
    """Harm-weighted totals per area of the last two windows (see :func:`compute_harm`).

    Attributes
    ----------
    name, version_date : str
        The weight table's name and date.
    offences : tuple of str
        The indicators added up (the profile's computed indicators).
    counts : pandas.DataFrame
        ``_area, offence, count, window`` (``prev`` or ``last``): the counts behind the totals.
    totals : pandas.DataFrame
        :func:`evalkit.harm_total` by ``_area, window`` (indexed by them): ``count, harm,
        top_offence, harm_share_top``...
    """

    name: str
    version_date: str
    offences: tuple[str, ...]
    counts: pd.DataFrame
    totals: pd.DataFrame


# -- loading -----------------------------------------------------------------------------------
def _names(value: object, name: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{name} must be a list of column names; got {value!r}.")
    return list(value)


def _load(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
          exposure: str | None, areas: Sequence[str] | None
          ) -> tuple[pd.DataFrame, str, list[pd.Period], list[str]]:
    """Read and validate the panel; keep the selected areas (all when ``areas`` is empty)."""
    panel = load_panel(data, unit=unit or None, time=time, exposure=exposure or None)
    df = panel.data
    require_columns(df, indicators, role="indicator")
    frame = pd.DataFrame({"_time": df[time]})
    frame["_area"] = df[unit].astype(str) if unit else ALL_AREAS
    if exposure:
        frame["_exposure"] = df[exposure].astype(float)
    for col in indicators:
        frame[col] = check_numeric(df, col, nonnegative=True, integer=True)
    present = sorted(frame["_area"].unique())
    wanted = _names(list(areas or []), "areas")
    if wanted and not unit:
        raise SpecError("areas can only be chosen when the data has an area column (unit).")
    wanted = check_names(wanted, [str(a) for a in present], parameter="areas", column=unit)
    chosen = list(dict.fromkeys(wanted)) or present
    frame = frame[frame["_area"].isin(chosen)].reset_index(drop=True)
    periods = sorted(frame["_time"].unique())
    return frame, panel.freq, periods, chosen


def _windows(frame: pd.DataFrame, periods: list[pd.Period], areas: list[str], window: int
             ) -> tuple[list[pd.Period], list[pd.Period]]:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise SpecError(f"window must be a whole number of periods >= 1; got {window!r}.")
    n = len(periods)
    if n < 2 * window:
        raise SpecError(
            f"window={window} compares the last {window} periods with the {window} before, "
            f"so it needs {2 * window} periods; the data has {n}. Use window={max(n // 2, 1)} "
            "or less."
        )
    previous = periods[n - 2 * window: n - window]
    last = periods[n - window:]
    counts = frame[frame["_time"].isin(previous + last)].groupby("_area")["_time"].nunique()
    short = [a for a in areas if counts.get(a, 0) < 2 * window]
    if short:
        raise DataError(
            f"area(s) {short} do not cover all of {previous[0]} – {last[-1]}, the last "
            f"{2 * window} periods; their rates would not be comparable. Drop them from areas "
            "or use a smaller window."
        )
    return previous, last


def _check_per(per: float) -> None:
    if isinstance(per, bool) or not isinstance(per, int | float) or not per > 0:
        raise SpecError(f"per must be a positive number such as 1000 or 100000; got {per!r}.")


# -- computing ---------------------------------------------------------------------------------
def window_rates(frame: pd.DataFrame, *, areas: Sequence[str], indicators: Sequence[str],
                 previous: Sequence[pd.Period], last: Sequence[pd.Period], freq: str,
                 per: float, alpha: float) -> pd.DataFrame:
    """Counts and rates per period of the last window against the one before.

    Per area and indicator: the counts summed over each window, the rate per ``per`` units of
    exposure **per period** (the count over the window divided by the exposure summed over
    its periods, so a monthly panel gives rates per month and a yearly one rates per year,
    as in the trend figure) with its exact (Garwood) interval (:func:`evalkit.rate`) and its
    Poisson standard error ``sqrt(count) / exposure × per``, and the rate ratio last /
    previous with its exact conditional interval (:func:`evalkit.rate_change`). With more
    than one area, a row per indicator with ``total`` True adds the areas up (counts and
    exposures summed, rates recomputed).

    Returns
    -------
    pandas.DataFrame
        Columns ``area, total, indicator, count_prev, count_last, exposure_prev,
        exposure_last, rate_prev, ci_low_prev, ci_high_prev, se_prev, rate_last, ci_low_last,
        ci_high_last, se_last, rate_ratio, ratio_ci_low, ratio_ci_high, p_value``; the
        exposures are summed over the periods of each window (resident-periods); ``area`` is
        empty on total rows. ``attrs`` holds the two windows as text, the frequency and the
        window length.
    """
    sums = {}
    for label, periods in (("prev", previous), ("last", last)):
        part = frame[frame["_time"].isin(periods)].groupby("_area", sort=False)
        sums[label] = part[[*indicators, "_exposure"]].sum().reindex(list(areas))
    if len(areas) > 1:  # the areas added up: one more "area" per window
        for label in sums:
            sums[label].loc[""] = sums[label].sum()
    names = list(sums["prev"].index)
    rows = []
    for ind in indicators:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EvalkitWarning)
            r_prev, r_last = (rate(sums[k][ind].to_numpy(), sums[k]["_exposure"].to_numpy(),
                                   per=per, alpha=alpha) for k in ("prev", "last"))
            change = rate_change(sums["prev"][ind].to_numpy(), sums["prev"]["_exposure"],
                                 sums["last"][ind].to_numpy(), sums["last"]["_exposure"],
                                 alpha=alpha, per=per)
        rows.append(pd.DataFrame({
            "area": names,
            "total": [n == "" for n in names],
            "indicator": ind,
            "count_prev": change["count_before"].to_numpy(),
            "count_last": change["count_after"].to_numpy(),
            "exposure_prev": sums["prev"]["_exposure"].to_numpy(),
            "exposure_last": sums["last"]["_exposure"].to_numpy(),
            "rate_prev": r_prev["rate"].to_numpy(),
            "ci_low_prev": r_prev["ci_low"].to_numpy(),
            "ci_high_prev": r_prev["ci_high"].to_numpy(),
            "rate_last": r_last["rate"].to_numpy(),
            "ci_low_last": r_last["ci_low"].to_numpy(),
            "ci_high_last": r_last["ci_high"].to_numpy(),
            "rate_ratio": change["rate_ratio"].to_numpy(),
            "ratio_ci_low": change["ci_low"].to_numpy(),
            "ratio_ci_high": change["ci_high"].to_numpy(),
            "p_value": change["p_value"].to_numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    for key in ("prev", "last"):
        out.insert(out.columns.get_loc(f"ci_high_{key}") + 1, f"se_{key}",
                   [math.sqrt(c) / e * per for c, e in zip(out[f"count_{key}"],
                                                           out[f"exposure_{key}"], strict=True)])
    out.attrs = {"previous": span(previous), "last": span(last), "freq": freq,
                 "window": len(last)}
    return out


def _by_period(frame: pd.DataFrame, indicators: Sequence[str], freq: str, *, per: float,
               alpha: float, combined: bool) -> pd.DataFrame:
    """Long table area × period × indicator, the areas added up (area "") if ``combined``."""
    has_exposure = "_exposure" in frame
    if combined:
        cols = [*indicators, *(["_exposure"] if has_exposure else [])]
        frame = frame.groupby("_time", as_index=False)[cols].sum()
        frame["_area"] = ""
    id_vars = ["_area", "_time", *(["_exposure"] if has_exposure else [])]
    long = frame.melt(id_vars=id_vars, value_vars=list(indicators), var_name="indicator",
                      value_name="count")
    if has_exposure:
        rates = rate(long["count"].to_numpy(), long["_exposure"].to_numpy(), per=per,
                     alpha=alpha)
        for col in _RATE_COLUMNS[1:]:
            long[col] = rates[col].to_numpy()
    season = _SEASON.get(freq)
    long["season"] = [season(p) for p in long["_time"]] if season else np.nan
    return long


def _season_means(long: pd.DataFrame) -> pd.DataFrame:
    return long.groupby(["indicator", "_area", "season"], sort=False, as_index=False).agg(
        mean=("count", "mean"))


def compute_indicators(data: DataLike, *, unit: str | None, time: str,
                       indicators: Sequence[str], exposure: str | None = None,
                       per: float = 100_000, areas: Sequence[str] | None = None,
                       window: int | None = 12, alpha: float = 0.05,
                       withhold: Callable[[str], bool] | None = None) -> IndicatorProfile:
    """Read the data once and compute every number of the indicator profile.

    Parameters
    ----------
    data : DataFrame or path
        One row per area and period; not modified.
    unit, time : str
        Area column (None or "" for a single series) and period column.
    indicators : list of str
        Count columns.
    exposure : str, optional
        Denominator column (residents, dwellings...), the exposure of each period; without
        it there are no rates (counts and seasons only).
    per : float, default 100_000
        Rate base.
    areas : list of str, optional
        Areas to keep (all when empty).
    window : int or None, default 12
        Number of periods in each of the two windows compared (None: no comparison).
    alpha : float, default 0.05
        One minus the confidence level.
    withhold : callable, optional
        True for an indicator to leave out of every number (checked, then named in the
        report as withheld): the report's disclosure rule's ``rule.withholds``, which
        withholds sensitive offences below district level.

    Returns
    -------
    IndicatorProfile

    Raises
    ------
    DataError
        Missing columns, bad counts or exposures, unknown areas, areas missing periods.
    SpecError
        Empty indicators, ``per <= 0``, ``alpha`` outside (0, 1), a window too long for the
        data.
    """
    a = check_alpha(alpha)
    if exposure:
        _check_per(per)
    requested = _names(indicators, "indicators")
    if not requested:
        raise SpecError("indicators is empty; give at least one count column, e.g. "
                        "['burglary'].")
    withheld = [i for i in requested if withhold is not None and withhold(i)]
    shown = [i for i in requested if i not in withheld]
    # every column asked for is checked, withheld ones too, but only shown ones are kept
    frame, freq, periods, chosen = _load(data, unit=unit, time=time, indicators=requested,
                                         exposure=exposure, areas=areas)
    frame = frame.drop(columns=withheld)
    previous, last = _windows(frame, periods, chosen, window) if window is not None else ([], [])
    rates = None
    if exposure and window is not None and shown:
        rates = window_rates(frame, areas=chosen, indicators=shown, previous=previous,
                             last=last, freq=freq, per=per, alpha=a)
    by_period, combined = (_by_period(frame, shown, freq, per=per, alpha=a, combined=c)
                           for c in (False, True))
    seasonal = freq in _SEASON
    return IndicatorProfile(
        unit=unit or None, time=time, exposure=exposure or None, requested=tuple(requested),
        indicators=tuple(shown), withheld=tuple(withheld), per=per, alpha=a, window=window,
        freq=freq, selected=tuple(areas or ()), areas=tuple(chosen), periods=tuple(periods),
        previous=tuple(previous), last=tuple(last),
        source="" if isinstance(data, pd.DataFrame) else Path(data).name,
        sha256="" if isinstance(data, pd.DataFrame) else data_fingerprint(data),
        frame=frame, window_rates=rates, by_period=by_period, by_period_combined=combined,
        season_means=_season_means(by_period) if seasonal else None,
        season_means_combined=_season_means(combined) if seasonal else None)


# -- harm ------------------------------------------------------------------------------------
def _weights_meta(frame: pd.DataFrame, column: str, given: str | None, path: object) -> str:
    if given:
        return str(given)
    if column in frame.columns:
        values = frame[column].dropna().astype(str).str.strip().unique().tolist()
        values = [v for v in values if v]
        if len(values) == 1:
            return values[0]
        if len(values) > 1:
            raise DataError(f"harm weight table {path} has several values in column "
                            f"{column!r} ({values[:5]}); a table must have one {column}.")
    raise DataError(
        f"harm weight table {path} has no {column!r}: add a {column!r} column (the same "
        f"value on every row) or pass {column}=... . evalkit reports harm only with the "
        "weights' name and date."
    )


def compute_harm(profile: IndicatorProfile, weights_path: str | os.PathLike[str], *,
                 name: str | None = None, version_date: str | None = None) -> HarmProfile:
    """Harm-weighted totals per area of the profile's two windows.

    The weight table is a CSV (or any file :func:`evalkit.read_table` reads) with columns
    ``code`` (the indicator column names), ``weight``, and ``name`` and ``version_date``
    repeated on every row (or pass ``name`` and ``version_date``). It goes through
    :func:`evalkit.load_harm_weights`; totals come from :func:`evalkit.harm_total` over the
    profile's computed indicators (withheld ones are left out: a sensitive offence inside a
    total would come back as the total minus the other offences' counts).

    Raises
    ------
    DataError
        A weight table without name, date, ``code`` or ``weight``.
    SpecError
        A profile computed without a window.
    """
    if profile.window is None:
        raise SpecError("harm totals compare two windows; compute the profile with a window.")
    table_ = read_table(weights_path)
    label = _weights_meta(table_, "name", name, weights_path)
    date = _weights_meta(table_, "version_date", version_date, weights_path)
    require_columns(table_, ["code", "weight"], role="harm weight")
    weights = load_harm_weights(table_[["code", "weight"]], name=label, version_date=date)
    if not profile.indicators:  # every indicator withheld: nothing to add up
        return HarmProfile(name=label, version_date=date, offences=(),
                           counts=pd.DataFrame(), totals=pd.DataFrame())
    frame = profile.frame
    long = []
    for key, periods in (("prev", profile.previous), ("last", profile.last)):
        sums = frame[frame["_time"].isin(periods)].groupby("_area")[
            list(profile.indicators)].sum()
        part = sums.reset_index().melt(id_vars="_area", var_name="offence", value_name="count")
        part["window"] = key
        long.append(part)
    counts = pd.concat(long, ignore_index=True)
    totals = harm_total(counts, offence="offence", count="count", weights=weights,
                        by=["_area", "window"]).set_index(["_area", "window"])
    return HarmProfile(name=label, version_date=date, offences=profile.indicators,
                       counts=counts, totals=totals)
