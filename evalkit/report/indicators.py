"""Report sections of the indicator profile (``templates/indicators.ipynb``), in English or French.

Each function reads the data, computes its numbers with :mod:`evalkit.indicators`
(:func:`~evalkit.rate`, :func:`~evalkit.rate_change`, :func:`~evalkit.harm_total`,
:func:`~evalkit.survey_share`) and returns :class:`~evalkit.report.html.Html` built from the
language catalogue, with every value from the data escaped. Templates only call these
functions; they never compute statistics themselves.

Areas are reported one by one (never summed in the tables), so a profile of several areas
compares them side by side. Figures draw one line per area up to ``max_lines`` areas and
the areas summed beyond that.

Disclosure control (DOMAIN.md §6) is applied only when rendering, through one
:class:`~evalkit.report.disclosure.DisclosureRule` passed to every section: small-area counts
from 1 to 4 are shown as "<5" and any rate, ratio or total computed from them as "–" (also
in the rate figure); sensitive offences are withheld below district level; survey cells with
too few respondents or too large an error are suppressed. The numbers are never changed.
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
from evalkit.data.periods import to_periods
from evalkit.data.validate import check_names, check_numeric, require_columns
from evalkit.errors import DataError, EvalkitError, EvalkitWarning, SpecError
from evalkit.i18n import (
    Lang,
    catalogue,
    format_interval,
    format_number,
    format_percent,
    format_significant,
    round_percent,
    t,
)
from evalkit.indicators import harm_total, load_harm_weights, rate, rate_change, survey_share
from evalkit.report.disclosure import (
    DEFAULT_RULE,
    DisclosureRule,
    complete_lines,
    secondary_suppression,
)
from evalkit.report.html import Html, join, table, tag
from evalkit.report.narrative import section, title_block
from evalkit.report.notebook import figure
from evalkit.report.plots import plot_rate_panels, plot_season
from evalkit.results import EvaluationResult
from evalkit.run.resources import samples_dir

__all__ = [
    "harm_section",
    "header",
    "indicator_label",
    "indicator_results",
    "indicator_table",
    "methods_section",
    "rates_figure",
    "resolve_survey",
    "season_figure",
    "survey_section",
    "window_rates",
]

DataLike = pd.DataFrame | str | os.PathLike[str]
MAX_LINES = 6
_DASH = "–"


# -- labels and formatting ---------------------------------------------------------------------
def _signed_pct(ratio: float, lang: Lang) -> str:
    """A ratio as a signed % change: whole numbers from 10 up, one decimal below."""
    value = round_percent((ratio - 1) * 100)
    text = format_percent(abs(value), lang)
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else text


def _maybe(key: str, lang: Lang) -> str | None:
    return catalogue(lang).get(key)


def indicator_label(name: str, lang: Lang) -> str:
    """Readable name of an indicator column (``burglary`` → "Burglary" / "Cambriolages")."""
    text = _maybe(f"ind.name.{name}", lang)
    if text is not None:
        return text
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _exposure_label(exposure: str, lang: Lang) -> str:
    return _maybe(f"ind.exposure.{exposure}", lang) or str(exposure)


def _per_text(per: float, lang: Lang) -> str:
    spec = ",.0f" if float(per).is_integer() else ",g"
    return format_number(per, lang, spec)


def _value(value: float, lang: Lang) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _DASH
    if math.isinf(value):
        return "∞"
    return format_significant(value, lang)


def _range(lo: float, hi: float, lang: Lang, *, fmt: Callable[[float, Lang], str] | None = None
           ) -> str:
    fmt = fmt or _value
    return format_interval(fmt(lo, lang), fmt(hi, lang), lang)


def _ratio(value: float, lang: Lang) -> str:
    if value is None or not math.isfinite(value):
        return _value(value, lang)
    return format_number(value, lang, ".2f")


def _change(ratio: float, lang: Lang) -> str:
    if ratio is None or not math.isfinite(ratio):
        return _DASH
    return _signed_pct(ratio, lang)


def _share(value: float, lang: Lang) -> str:
    return format_percent(100 * value, lang, ".1f")


def _quote(text: str, lang: Lang) -> str:
    return f"« {text} »" if lang == "fr" else f"“{text}”"


def _level(alpha: float) -> int:
    return round(100 * (1 - alpha))


def _withheld(rule: DisclosureRule, indicators: Sequence[str], lang: Lang
              ) -> tuple[list[str], list[Html]]:
    """The indicators a report may show, and a note naming those withheld (rule 3)."""
    shown, withheld = rule.shown(list(indicators))
    if not withheld:
        return shown, []
    names = ", ".join(indicator_label(i, lang) for i in withheld)
    return shown, [tag("p", t("disc.withheld", lang, names=names), cls="evalkit-note")]


def _heading(key: str, lang: Lang, heading: bool) -> list[Html]:
    return [section(key, lang)] if heading else []


# -- data --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Profile:
    frame: pd.DataFrame  # columns: _area, _time (Period), exposure?, indicators...
    freq: str
    periods: list[pd.Period]
    areas: list[str]


def _names(value: object, name: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{name} must be a list of column names; got {value!r}.")
    return list(value)


def _load(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
          exposure: str | None, areas: Sequence[str] | None, lang: Lang) -> _Profile:
    """Read and validate the panel; keep the selected areas (all when ``areas`` is empty)."""
    indicators = _names(indicators, "indicators")
    if not indicators:
        raise SpecError("indicators is empty; give at least one count column, e.g. "
                        "['burglary'].")
    panel = load_panel(data, unit=unit or None, time=time, exposure=exposure or None)
    df = panel.data
    require_columns(df, indicators, role="indicator")
    frame = pd.DataFrame({"_time": df[time]})
    frame["_area"] = df[unit].astype(str) if unit else t("ind.all_areas", lang)
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
    return _Profile(frame, panel.freq, periods, chosen)


def _windows(profile: _Profile, window: int) -> tuple[list[pd.Period], list[pd.Period]]:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise SpecError(f"window must be a whole number of periods >= 1; got {window!r}.")
    n = len(profile.periods)
    if n < 2 * window:
        raise SpecError(
            f"window={window} compares the last {window} periods with the {window} before, "
            f"so it needs {2 * window} periods; the data has {n}. Use window={max(n // 2, 1)} "
            "or less."
        )
    previous = profile.periods[n - 2 * window: n - window]
    last = profile.periods[n - window:]
    counts = profile.frame[profile.frame["_time"].isin(previous + last)].groupby(
        "_area")["_time"].nunique()
    short = [a for a in profile.areas if counts.get(a, 0) < 2 * window]
    if short:
        raise DataError(
            f"area(s) {short} do not cover all of {previous[0]} – {last[-1]}, the last "
            f"{2 * window} periods; their rates would not be comparable. Drop them from areas "
            "or use a smaller window."
        )
    return previous, last


def _span(periods: Sequence[pd.Period]) -> str:
    if periods[0] == periods[-1]:
        return str(periods[0])
    return f"{periods[0]} – {periods[-1]}"


def _check_rates_args(exposure: str, per: float, alpha: float) -> float:
    if not exposure:
        raise SpecError("exposure is empty; rates need a denominator column such as "
                        "'population' or 'dwellings'.")
    if isinstance(per, bool) or not isinstance(per, int | float) or not per > 0:
        raise SpecError(f"per must be a positive number such as 1000 or 100000; got {per!r}.")
    return check_alpha(alpha)


def window_rates(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
                 exposure: str, per: float = 100_000, areas: Sequence[str] | None = None,
                 window: int = 12, alpha: float = 0.05) -> pd.DataFrame:
    """Counts and rates per period of the last ``window`` periods against the ``window`` before.

    Per area and indicator: the counts summed over each window, the rate per ``per`` units of
    exposure **per period** (the count over the window divided by the exposure summed over
    its periods, so a monthly panel gives rates per month and a yearly one rates per year,
    as in the trend figure) with its exact (Garwood) interval (:func:`evalkit.rate`), and the
    rate ratio last / previous with its exact conditional interval
    (:func:`evalkit.rate_change`). With more than one area, a row per indicator with
    ``total`` True adds the areas up (counts and exposures summed, rates recomputed).

    Parameters
    ----------
    data : DataFrame or path
        One row per area and period; not modified.
    unit, time : str
        Area column (None or "" for a single series) and period column.
    indicators : list of str
        Count columns.
    exposure : str
        Denominator column (residents, dwellings...), the exposure of each period.
    per : float, default 100_000
        Rate base.
    areas : list of str, optional
        Areas to keep (all when empty).
    window : int, default 12
        Number of periods in each window.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``area, total, indicator, count_prev, count_last, exposure_prev,
        exposure_last, rate_prev, ci_low_prev, ci_high_prev, rate_last, ci_low_last,
        ci_high_last, rate_ratio, ratio_ci_low, ratio_ci_high, p_value``; the exposures are
        summed over the periods of each window (resident-periods); ``area`` is empty on
        total rows. ``attrs`` holds the two windows as text, the frequency and ``window``.

    Raises
    ------
    DataError
        Missing columns, bad counts or exposures, unknown areas, areas missing periods.
    SpecError
        Empty indicators or exposure, ``per <= 0``, ``alpha`` outside (0, 1), a window too
        long for the data.
    """
    a = _check_rates_args(exposure, per, alpha)
    profile = _load(data, unit=unit, time=time, indicators=indicators, exposure=exposure,
                    areas=areas, lang="en")
    previous, last = _windows(profile, window)
    frame = profile.frame
    sums = {}
    for label, periods in (("prev", previous), ("last", last)):
        part = frame[frame["_time"].isin(periods)].groupby("_area", sort=False)
        sums[label] = part[[*indicators, "_exposure"]].sum().reindex(profile.areas)
    if len(profile.areas) > 1:  # the areas added up: one more "area" per window
        for label in sums:
            sums[label].loc[""] = sums[label].sum()
    names = list(sums["prev"].index)
    rows = []
    for ind in indicators:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EvalkitWarning)
            r_prev, r_last = (rate(sums[k][ind].to_numpy(), sums[k]["_exposure"].to_numpy(),
                                   per=per, alpha=a) for k in ("prev", "last"))
            change = rate_change(sums["prev"][ind].to_numpy(), sums["prev"]["_exposure"],
                                 sums["last"][ind].to_numpy(), sums["last"]["_exposure"],
                                 alpha=a, per=per)
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
    out.attrs = {"previous": _span(previous), "last": _span(last), "freq": profile.freq,
                 "window": window}
    return out


def indicator_results(data: DataLike, *, unit: str | None, time: str,
                      indicators: Sequence[str], exposure: str, per: float = 100_000,
                      areas: Sequence[str] | None = None, window: int = 12,
                      alpha: float = 0.05, rule: DisclosureRule = DEFAULT_RULE
                      ) -> list[EvaluationResult]:
    """The numbers of the counts-and-rates table as results, one per indicator, for
    ``results.json`` (:func:`evalkit.report.write_results`).

    Method ``indicators``, outcome the indicator column. Terms, per area (suffix ``_<area>``)
    and, with several areas, for the areas added up (no suffix):

    * ``rate_previous``, ``rate_last``: the rate per ``per`` units of exposure per period
      of the data in each window (scale ``additive``), with its exact (Garwood) interval and
      the Poisson standard error ``sqrt(count) / exposure × per``; no p-value;
    * ``rate_ratio``: last / previous (scale ``ratio``) with its exact conditional interval
      and p-value (H0: ratio 1); ``relative_effect`` repeats the ratio, so the % change of
      the report is ``100 × (relative_effect − 1)``.

    ``n_obs`` counts the area-periods behind each number. Disclosure control applies as in
    :func:`indicator_table` (a rate times the exposure, or its standard error, gives the
    count back): a term computed from a count ``rule`` hides is left out, and a sensitive
    offence ``rule`` withholds has no result. Other arguments as for :func:`window_rates`.
    """
    indicators, _ = rule.shown(_names(indicators, "indicators"))
    if not indicators:
        return []
    frame = window_rates(data, unit=unit, time=time, indicators=indicators,
                         exposure=exposure, per=per, areas=areas, window=window, alpha=alpha)
    n_areas = int((~frame["total"]).sum() / frame["indicator"].nunique())
    _, hidden = _hidden_cells(frame, rule)
    frame = frame.assign(hide_prev=hidden[:, 0], hide_last=hidden[:, 1])
    out = []
    for ind, part in frame.groupby("indicator", sort=False):
        effects = []
        for r in part.itertuples(index=False):
            suffix = "" if r.total else f"_{r.area}"
            n_area = n_areas if r.total else 1
            for key, name in (("prev", "rate_previous"), ("last", "rate_last")):
                if getattr(r, f"hide_{key}"):
                    continue
                count, expo = getattr(r, f"count_{key}"), getattr(r, f"exposure_{key}")
                effects.append({
                    "term": name + suffix, "estimate": getattr(r, f"rate_{key}"),
                    "std_error": math.sqrt(count) / expo * per,
                    "ci_low": getattr(r, f"ci_low_{key}"),
                    "ci_high": getattr(r, f"ci_high_{key}"), "p_value": math.nan,
                    "scale": "additive", "relative_effect": math.nan,
                    "relative_ci_low": math.nan, "relative_ci_high": math.nan,
                    "n_obs": window * n_area})
            if r.hide_prev or r.hide_last:
                continue
            effects.append({
                "term": "rate_ratio" + suffix, "estimate": r.rate_ratio, "std_error": math.nan,
                "ci_low": r.ratio_ci_low, "ci_high": r.ratio_ci_high, "p_value": r.p_value,
                "scale": "ratio", "relative_effect": r.rate_ratio,
                "relative_ci_low": r.ratio_ci_low, "relative_ci_high": r.ratio_ci_high,
                "n_obs": 2 * window * n_area})
        out.append(EvaluationResult(
            method="indicators",
            spec={"outcome": ind, "unit": unit, "time": time, "exposure": exposure,
                  "per": per, "window": window, "alpha": alpha, "freq": frame.attrs["freq"]},
            effects=pd.DataFrame(effects, columns=_EFFECT_COLUMNS), series=pd.DataFrame(),
            sample={"n_units": n_areas, "n_periods": 2 * window,
                    "first_period": frame.attrs["previous"].split(" – ")[0],
                    "last_period": frame.attrs["last"].split(" – ")[-1]}))
    return out


_EFFECT_COLUMNS = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "scale",
                   "relative_effect", "relative_ci_low", "relative_ci_high", "n_obs"]


# -- sections ----------------------------------------------------------------------------------
def resolve_survey(survey: str, *, data: str) -> Path | None:
    """The survey file of a run: ``"sample"`` is the shipped ``survey.csv``, but only when
    ``data`` is empty (the sample city too); ``""`` means no survey."""
    if survey == "sample":
        return samples_dir() / "survey.csv" if not data else None
    return Path(survey).expanduser() if survey else None


def header(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
           exposure: str = "", areas: Sequence[str] | None = None, lang: Lang = "en",
           title: str = "", area_label: str = "") -> Html:
    """Title and a summary table: areas, period, indicators, denominator and data file."""
    profile = _load(data, unit=unit, time=time, indicators=indicators, exposure=exposure or None,
                    areas=areas, lang=lang)
    name = area_label or (", ".join(areas) if areas else t("ind.all_areas", lang))
    title = title or t("ind.title", lang, area=name)
    data_text = ""
    if not isinstance(data, pd.DataFrame):
        data_text = f"{Path(data).name} (SHA-256 {data_fingerprint(data)[:12]}…)"
    rows = [
        ("report.where", ", ".join(profile.areas)),
        ("report.period", _span(profile.periods)),
        ("ind.summary.indicators", ", ".join(indicator_label(i, lang) for i in indicators)),
        ("ind.summary.exposure", f"{exposure} ({_exposure_label(exposure, lang)})"
         if exposure and _exposure_label(exposure, lang) != exposure else exposure),
        ("ind.summary.data", data_text),
    ]
    return title_block(title, rows, lang=lang)


def _hidden_cells(frame: pd.DataFrame, rule: DisclosureRule) -> tuple[np.ndarray, np.ndarray]:
    """Primary and full suppression of the (previous, last) counts of :func:`window_rates`.

    A lone hidden area count next to a shown total row takes the next-smallest area's
    count of that window with it (secondary suppression); a total is hidden only when it is
    small itself."""
    totals = frame["total"].to_numpy()
    counts = frame[["count_prev", "count_last"]].to_numpy(float)
    primary = rule.hides(counts)
    hidden = primary.copy()
    if rule.secondary and totals.any():  # a total row per indicator: protect each column
        for ind in frame["indicator"].unique():
            at = ((frame["indicator"] == ind) & ~frame["total"]).to_numpy()
            hidden[at] = secondary_suppression(counts[at], primary[at], rows=False)
    hidden[totals] = primary[totals]
    return primary, hidden


def indicator_table(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
                    exposure: str, per: float = 100_000, areas: Sequence[str] | None = None,
                    window: int = 12, lang: Lang = "en", alpha: float = 0.05,
                    rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Counts and rates per area and indicator, last window against the previous one.

    One row per indicator and area (areas are not summed): counts, rates per ``per``, the
    exact interval of the last rate and the rate ratio with its exact interval (see
    :func:`window_rates`). Counts hidden by ``rule`` are shown as "<5" and the rates and
    ratios computed from them as "–".

    Parameters
    ----------
    data, unit, time, indicators, exposure, per, areas, window, alpha
        As for :func:`window_rates`.
    lang : {"en", "fr"}
    rule : DisclosureRule
        Disclosure control applied to the counts and indicators shown.
    heading : bool, default True
        Start with the section heading.
    """
    indicators, note = _withheld(rule, indicators, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.counts", lang, heading), *note,
                     tag("p", rule.text(lang), cls="evalkit-footer")])
    frame = window_rates(data, unit=unit, time=time, indicators=indicators, exposure=exposure,
                         per=per, areas=areas, window=window, alpha=alpha)
    level = _level(alpha)
    primary, hidden = _hidden_cells(frame, rule)
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        prev_ok, last_ok = not hidden[i, 0], not hidden[i, 1]
        both = prev_ok and last_ok
        rows.append([
            indicator_label(r.indicator, lang),
            t("ind.total", lang) if r.total else r.area,
            rule.count(r.count_prev, lang) if prev_ok or primary[i, 0] else _DASH,
            rule.count(r.count_last, lang) if last_ok or primary[i, 1] else _DASH,
            _value(r.rate_prev, lang) if prev_ok else _DASH,
            _value(r.rate_last, lang) if last_ok else _DASH,
            _range(r.ci_low_last, r.ci_high_last, lang) if last_ok else _DASH,
            _ratio(r.rate_ratio, lang) if both else _DASH,
            _range(r.ratio_ci_low, r.ratio_ci_high, lang, fmt=_ratio) if both else _DASH,
            _change(r.rate_ratio, lang) if both else _DASH,
        ])
    freq = frame.attrs["freq"]
    freq_name = t(f"freq.{freq}", lang)
    headers = [t("ind.col.indicator", lang), t("ind.col.area", lang),
               t("ind.col.count_prev", lang), t("ind.col.count_last", lang),
               t("ind.col.rate_prev", lang, freq_name=freq_name),
               t("ind.col.rate_last", lang, freq_name=freq_name),
               t("ind.col.ci_last", lang, level=level), t("ind.col.ratio", lang),
               t("ind.col.ratio_ci", lang, level=level), t("ind.col.change", lang)]
    text = t("ind.counts.text", lang, per=_per_text(per, lang),
             exposure=_exposure_label(exposure, lang),
             window_len=t(f"ind.periods.{freq}", lang, n=window), freq_name=freq_name,
             last=frame.attrs["last"], previous=frame.attrs["previous"], level=level)
    parts = [*_heading("ind.counts", lang, heading), tag("p", text), *note,
             table(pd.DataFrame(rows), headers=headers), tag("p", rule.text(lang),
                                                             cls="evalkit-footer")]
    return join(parts)


def _by_period(profile: _Profile, indicators: Sequence[str], max_lines: int,
               lang: Lang) -> pd.DataFrame:
    """Long table area × period × indicator; areas summed when there are too many."""
    frame = profile.frame
    if len(profile.areas) > max_lines:
        cols = [*indicators, *(["_exposure"] if "_exposure" in frame else [])]
        frame = frame.groupby("_time", as_index=False)[cols].sum()
        frame["_area"] = t("ind.combined", lang, n=len(profile.areas))
    id_vars = ["_area", "_time", *(["_exposure"] if "_exposure" in frame else [])]
    return frame.melt(id_vars=id_vars, value_vars=list(indicators), var_name="indicator",
                      value_name="count")


def _hidden_periods(long: pd.DataFrame, profile: _Profile, rule: DisclosureRule,
                    window: int | None) -> np.ndarray:
    """The rows of ``long`` (one line's count in one period) a figure must not show.

    Counts ``rule`` hides, and, when the report's table shows the sums over the last two
    windows of ``window`` periods (:func:`indicator_table`), a second period in each window
    of a line that has a lone hidden one (the sum minus the periods drawn would give it
    back; :func:`~evalkit.report.disclosure.complete_lines`).
    """
    counts = long["count"].to_numpy(float)
    hidden = rule.hides(counts)
    if not window or not hidden.any():
        return hidden
    previous, last = _windows(profile, window)
    which = {**{p: "prev" for p in previous}, **{p: "last" for p in last}}
    groups = [(area, ind, which[p]) if p in which else None
              for area, ind, p in zip(long["_area"], long["indicator"], long["_time"],
                                      strict=True)]
    return complete_lines(counts, hidden, groups)


def rates_figure(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
                 exposure: str, per: float = 100_000, areas: Sequence[str] | None = None,
                 lang: Lang = "en", alpha: float = 0.05, max_lines: int = MAX_LINES,
                 rule: DisclosureRule = DEFAULT_RULE, heading: bool = True,
                 window: int | None = None) -> Html:
    """Rate per ``per`` in every period, one panel per indicator, with exact bands.

    One line per area, or the areas summed (counts and exposures) when there are more than
    ``max_lines``. Rates and bands come from :func:`evalkit.rate`; the figure from
    :func:`evalkit.report.plots.plot_rate_panels`. Under ``rule``, periods whose count is
    hidden leave a gap in the line and band, and sensitive offences are withheld. Give the
    ``window`` of the report's table (:func:`indicator_table`) so that no hidden period can
    be recovered from a window's sum shown there.
    """
    a = _check_rates_args(exposure, per, alpha)
    indicators, note = _withheld(rule, indicators, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.trends", lang, heading), *note])
    profile = _load(data, unit=unit, time=time, indicators=indicators, exposure=exposure,
                    areas=areas, lang=lang)
    long = _by_period(profile, indicators, max_lines, lang)
    rates = rate(long["count"].to_numpy(), long["_exposure"].to_numpy(), per=per, alpha=a)
    rates = pd.concat([long[["_area", "_time", "indicator"]].reset_index(drop=True),
                       rates.reset_index(drop=True)], axis=1)
    rates["_time"] = rates["_time"].astype(str)
    gaps = _hidden_periods(long, profile, rule, window)
    rates.loc[gaps, [c for c in rates.columns if c not in ("_area", "_time", "indicator")]] = (
        np.nan)
    if gaps.any():
        note.append(tag("p", t("disc.gaps", lang, n=int(gaps.sum()), label=rule.label),
                        cls="evalkit-note"))
    freq_name = t(f"freq.{profile.freq}", lang)
    fig = plot_rate_panels(rates, time="_time", indicator="indicator", group="_area", per=per,
                           exposure=_exposure_label(exposure, lang), freq_name=freq_name,
                           alpha=a, labels={i: indicator_label(i, lang) for i in indicators},
                           lang=lang)
    text = t("ind.trends.text", lang, per=_per_text(per, lang),
             exposure=_exposure_label(exposure, lang), freq_name=freq_name, level=_level(a))
    return join([*_heading("ind.trends", lang, heading), tag("p", text), figure(fig), *note])


_SEASON = {"M": lambda p: p.month, "Q": lambda p: p.quarter, "W": lambda p: p.week,
           "D": lambda p: p.dayofweek + 1}


def season_figure(data: DataLike, *, unit: str | None, time: str, indicators: Sequence[str],
                  areas: Sequence[str] | None = None, lang: Lang = "en",
                  max_lines: int = MAX_LINES, rule: DisclosureRule = DEFAULT_RULE,
                  heading: bool = True, window: int | None = None) -> Html:
    """Mean count per month of the year (quarter, week, weekday), one panel per indicator.

    Uses every period of the data; one line per area, or the areas summed when there are
    more than ``max_lines``. Yearly data has no seasonality: the section says so. Sensitive
    offences are withheld under ``rule``, and a mean is left out when a period behind it
    is hidden (the mean times the years, minus the periods drawn in the rate figure, would
    give it back); ``window`` as for :func:`rates_figure`.
    """
    indicators, note = _withheld(rule, indicators, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.season", lang, heading), *note])
    profile = _load(data, unit=unit, time=time, indicators=indicators, exposure=None,
                    areas=areas, lang=lang)
    parts = _heading("ind.season", lang, heading)
    season_name = t(f"season.{profile.freq}", lang)
    if profile.freq not in _SEASON:
        return join([*parts, tag("p", t("ind.season.none", lang))])
    long = _by_period(profile, indicators, max_lines, lang)
    long["season"] = [_SEASON[profile.freq](p) for p in long["_time"]]
    long["_hidden"] = _hidden_periods(long, profile, rule, window)
    means = long.groupby(["indicator", "_area", "season"], sort=False, as_index=False).agg(
        mean=("count", "mean"), hidden=("_hidden", "any"))
    means.loc[means["hidden"], "mean"] = np.nan
    months = t("plot.season.months", lang).split(",") if profile.freq == "M" else None
    fig = plot_season(means, season="season", value="mean", indicator="indicator",
                      group="_area", season_name=season_name,
                      freq_name=t(f"freq.{profile.freq}", lang), season_labels=months,
                      labels={i: indicator_label(i, lang) for i in indicators}, lang=lang)
    text = t("ind.season.text", lang, season_name=season_name, first=str(profile.periods[0]),
             last=str(profile.periods[-1]))
    if means["hidden"].any():
        note.append(tag("p", t("disc.gaps", lang, n=int(means["hidden"].sum()),
                               label=rule.label), cls="evalkit-note"))
    return join([*parts, tag("p", text), figure(fig), *note])


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


def harm_section(data: DataLike, *, weights_path: str | os.PathLike[str] | None,
                 unit: str | None, time: str, indicators: Sequence[str],
                 areas: Sequence[str] | None = None, window: int = 12, lang: Lang = "en",
                 name: str | None = None, version_date: str | None = None,
                 rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Harm-weighted totals per area, last window against the previous one.

    The weight table is a CSV (or any file :func:`evalkit.read_table` reads) with columns
    ``code`` (the indicator column names), ``weight``, and ``name`` and ``version_date``
    repeated on every row (or pass ``name`` and ``version_date``). It goes through
    :func:`evalkit.load_harm_weights`; totals come from :func:`evalkit.harm_total`. When a
    count behind a total is hidden by ``rule``, the total, its harm and the shares are shown
    as "–" (otherwise the hidden count could be recovered by subtraction); sensitive
    offences ``rule`` withholds are left out of the totals (a note names them).

    Parameters
    ----------
    weights_path : path or None
        The weight table; empty or None prints that no table was given.
    name, version_date : str, optional
        Override the name and date read from the table.
    """
    parts = _heading("ind.harm", lang, heading)
    if not weights_path:
        return join([*parts, tag("p", t("ind.harm.none", lang))])
    # a sensitive offence inside a total would come back as the total minus the counts of
    # the other offences shown in the counts table: withheld offences are left out
    indicators, note = _withheld(rule, indicators, lang)
    if not indicators:
        return join([*parts, *note])
    table_ = read_table(weights_path)
    label = _weights_meta(table_, "name", name, weights_path)
    date = _weights_meta(table_, "version_date", version_date, weights_path)
    require_columns(table_, ["code", "weight"], role="harm weight")
    weights = load_harm_weights(table_[["code", "weight"]], name=label, version_date=date)
    profile = _load(data, unit=unit, time=time, indicators=indicators, exposure=None,
                    areas=areas, lang=lang)
    previous, last = _windows(profile, window)
    frame = profile.frame
    long = []
    for key, periods in (("prev", previous), ("last", last)):
        sums = frame[frame["_time"].isin(periods)].groupby("_area")[list(indicators)].sum()
        part = sums.reset_index().melt(id_vars="_area", var_name="offence", value_name="count")
        part["window"] = key
        long.append(part)
    counts = pd.concat(long, ignore_index=True)
    harm = harm_total(counts, offence="offence", count="count", weights=weights,
                      by=["_area", "window"]).set_index(["_area", "window"])
    hidden = counts.assign(h=rule.hides(counts["count"])).groupby(["_area", "window"])["h"].any()
    rows = []
    for area in profile.areas:
        prev, cur = harm.loc[(area, "prev")], harm.loc[(area, "last")]
        ok_prev, ok_last = not hidden[(area, "prev")], not hidden[(area, "last")]
        top_ok = ok_last and not rule.withholds(cur["top_offence"])
        ratio = cur["harm"] / prev["harm"] if prev["harm"] > 0 else float("nan")
        rows.append([
            area,
            rule.count(prev["count"], lang) if ok_prev else _DASH,
            rule.count(cur["count"], lang) if ok_last else _DASH,
            _value(prev["harm"], lang) if ok_prev else _DASH,
            _value(cur["harm"], lang) if ok_last else _DASH,
            _change(ratio, lang) if ok_prev and ok_last else _DASH,
            _share(cur["harm_share_top"], lang) if top_ok and pd.notna(
                cur["harm_share_top"]) else _DASH,
            indicator_label(cur["top_offence"], lang) if top_ok else _DASH,
        ])
    headers = [t("ind.col.area", lang), t("ind.col.count_prev", lang),
               t("ind.col.count_last", lang), t("ind.col.harm_prev", lang),
               t("ind.col.harm_last", lang), t("ind.col.change", lang),
               t("ind.col.top_share", lang), t("ind.col.top", lang)]
    parts += [tag("p", t("ind.harm.text", lang, name=label, date=date), " ",
                  t("ind.counts.window", lang, previous=_span(previous), last=_span(last))),
              table(pd.DataFrame(rows), headers=headers), *note]
    return join(parts)


def survey_section(survey: str | os.PathLike[str] | pd.DataFrame | None, *,
                   areas: Sequence[str] | None = None, area: str = "area", wave: str = "wave",
                   response: str = "feel_unsafe_after_dark", weight: str | None = "weight",
                   strata: str | None = "stratum", psu: str | None = "psu",
                   unsafe: Sequence[str] = ("unsafe", "very unsafe"),
                   question: str | None = None, alpha: float = 0.05, lang: Lang = "en",
                   rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Weighted share feeling unsafe, by wave and area, with reliability flags.

    Shares come from :func:`evalkit.survey_share` on the whole file (design-based standard
    errors when the ``strata``/``psu`` columns exist, else Kish), then the rows of the
    selected ``areas`` are shown. The reliability of each cell comes from ``rule``
    (:meth:`~evalkit.report.disclosure.DisclosureRule.survey_status`; default: fewer than 30
    respondents or RSE above 50% is suppressed and shows "–" instead of the share, interval
    and RSE; RSE from 25% to 50% is flagged), DOMAIN.md §6 rule 5.

    Parameters
    ----------
    survey : path, DataFrame or None
        One row per respondent; None or "" prints that no survey was given.
    areas : list of str, optional
        Areas to show (all when empty).
    area, wave, response, weight, strata, psu : str
        Columns; ``wave``, ``strata`` and ``psu`` are used only when present.
    unsafe : list of str
        Answers counted as feeling unsafe.
    question : str, optional
        The question as asked (default: the catalogue's after-dark question).
    """
    parts = _heading("ind.survey", lang, heading)
    if survey is None or (not isinstance(survey, pd.DataFrame) and not str(survey)):
        return join([*parts, tag("p", t("ind.survey.none", lang))])
    a = check_alpha(alpha)
    df = read_table(survey)
    by = [c for c in (wave, area) if c and c in df.columns]
    design = {k: (v if v and v in df.columns else None) for k, v in
              (("strata", strata), ("psu", psu))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        shares = survey_share(df, response=response, unsafe=tuple(unsafe), weight=weight,
                              by=by, alpha=a, **design)
    wanted = _names(list(areas or []), "areas")
    if wanted and area in shares.columns:
        shares = shares[shares[area].astype(str).isin(wanted)]
        if shares.empty:
            present = ", ".join(sorted(df[area].astype(str).unique()))
            return join([*parts, tag("p", t("ind.survey.no_areas", lang, areas=present))])
    if wave in shares.columns:
        order = {w: i for i, w in enumerate(pd.unique(df[wave]))}
        shares = shares.sort_values([wave, *([area] if area in shares else [])],
                                    key=lambda s: s.map(order) if s.name == wave else s,
                                    kind="stable")
    level = _level(a)
    rows = []
    for r in shares.to_dict(orient="records"):
        r["reliability"] = rule.survey_status(r["n"], r["rse"] if pd.notna(r["rse"]) else 0.0)
        hidden = r["reliability"] == "suppressed"
        rows.append([
            *(_maybe(f"ind.wave.{r[c]}", lang) or str(r[c]) if c == wave else str(r[c])
              for c in by),
            _DASH if hidden else _share(r["share"], lang),
            _DASH if hidden else t("report.pct_range", lang,
                                   lo=format_number(100 * r["ci_low"], lang, ".1f"),
                                   hi=format_number(100 * r["ci_high"], lang, ".1f")),
            format_number(int(r["n"]), lang, ",d"),
            _DASH if hidden or pd.isna(r["rse"]) else _share(r["rse"], lang),
            t(f"ind.reliability.{r['reliability']}", lang),
        ])
    headers = [t("ind.col.wave" if c == wave else "ind.col.area", lang) for c in by]
    headers += [t("ind.col.share", lang), t("ind.col.ci", lang, level=level),
                t("ind.col.n", lang), t("ind.col.rse", lang), t("ind.col.reliability", lang)]
    answers = f" {t('ind.or', lang)} ".join(_quote(u, lang) for u in unsafe)
    method = t("ind.survey.design" if any(design.values()) else "ind.survey.kish", lang)
    text = t("ind.survey.text", lang, answers=answers,
             question=_quote(question, lang) if question else t("ind.survey.question", lang),
             level=level, method=method)
    name = "DataFrame" if isinstance(survey, pd.DataFrame) else Path(survey).name
    parts += [tag("p", text), table(pd.DataFrame(rows), headers=headers)]
    parts += _survey_did(df, wanted, area=area, wave=wave, response=response, weight=weight,
                         unsafe=unsafe, design=design, alpha=a, lang=lang, rule=rule)
    parts.append(tag("p", t("ind.survey.file", lang, name=name, n=len(df)),
                     cls="evalkit-footer"))
    return join(parts)


def _wave_order(waves: list[str]) -> list[str]:
    """Survey waves in time order: ``before`` then ``after``, else by date when every label
    reads as a period (2019, 2021-06, 2023Q1), else as they first appear in the file."""
    if {"before", "after"} <= set(waves):
        return ["before", *[w for w in waves if w not in ("before", "after")], "after"]
    try:
        periods, _ = to_periods(pd.Series(waves), column="wave")
    except EvalkitError:
        return waves
    if periods.isna().any():
        return waves
    return [w for _, w in sorted(zip(periods, waves, strict=True))]


def _survey_did(df: pd.DataFrame, wanted: list[str], *, area: str, wave: str, response: str,
                weight: str | None, unsafe: Sequence[str], design: dict[str, str | None],
                alpha: float, lang: Lang, rule: DisclosureRule) -> list[Html]:
    """The selected areas' change between the first and the last wave (in time order, see
    :func:`_wave_order`) against the other surveyed areas' (:func:`evalkit.survey_did`),
    when the survey allows it."""
    if not wanted or wave not in df.columns or area not in df.columns:
        return []
    waves = _wave_order([str(w) for w in pd.unique(df[wave].dropna())])
    present = set(df[area].astype(str))
    treated = [a for a in wanted if a in present]
    if len(waves) < 2 or not treated or not present - set(treated):
        return []
    from evalkit.designs.survey_did import survey_did

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = survey_did(df, response=response, area=area, wave=wave, treated_areas=treated,
                         before=waves[0], after=waves[-1], unsafe=tuple(unsafe),
                         weight=weight if weight and weight in df.columns else None,
                         alpha=alpha, **design)
    cells = res.series
    hidden = any(rule.survey_status(n, rse if pd.notna(rse) else 0.0) == "suppressed"
                 for n, rse in zip(cells["n"], cells["rse"], strict=True))
    values = {"before": _maybe(f"ind.wave.{waves[0]}", lang) or waves[0],
              "after": _maybe(f"ind.wave.{waves[-1]}", lang) or waves[-1],
              "level": _level(alpha)}
    if hidden:
        return [tag("h3", t("ind.survey.did.title", lang)),
                tag("p", t("ind.survey.did.suppressed", lang, **values))]
    row = res.effect("att")
    clear = not row["ci_low"] <= 0 <= row["ci_high"]
    return [tag("h3", t("ind.survey.did.title", lang)),
            tag("p", t(f"ind.survey.did.{'clear' if clear else 'unclear'}", lang, **values,
                       est=format_number(round(row["estimate"], 1), lang, "+g"),
                       lo=format_number(round(row["ci_low"], 1), lang, "+g"),
                       hi=format_number(round(row["ci_high"], 1), lang, "+g"),
                       method=t("ind.survey.design" if any(design.values())
                                else "ind.survey.kish", lang)))]


def methods_section(*, per: float = 100_000, lang: Lang = "en",
                    rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Formulas of the rates, intervals and shares, and the disclosure rule applied."""
    return join([*_heading("report.methods", lang, heading),
                 tag("p", t("ind.methods", lang, per=_per_text(per, lang))),
                 tag("p", rule.text(lang))])
