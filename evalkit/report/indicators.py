"""Report sections of the indicator profile (``templates/indicators.ipynb``), in English or French.

Each function formats numbers already computed — an
:class:`~evalkit.indicators.profile.IndicatorProfile` from
:func:`~evalkit.indicators.compute_indicators`, a
:class:`~evalkit.indicators.profile.HarmProfile` from :func:`~evalkit.indicators.compute_harm`,
a :class:`~evalkit.designs.survey_profile.SurveyProfile` from
:func:`~evalkit.designs.survey_profile.compute_survey` — and returns
:class:`~evalkit.report.html.Html` built from the language catalogue, with every value from
the data escaped. The sections never read data or estimate anything.

Areas are reported one by one (never summed in the tables), so a profile of several areas
compares them side by side. Figures draw one line per area up to ``max_lines`` areas and
the areas summed beyond that.

Disclosure control (DOMAIN.md §6) is applied only when rendering, through one
:class:`~evalkit.report.disclosure.DisclosureRule` passed to every section: small-area counts
from 1 to 4 are shown as "<5" and any rate, ratio or total computed from them as "–" (also
in the rate figure); sensitive offences are withheld below district level (the profile is
computed without them: ``withhold=rule.withholds``); survey cells with too few
respondents or too large an error are suppressed. The numbers are never changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.errors import SpecError
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
from evalkit.indicators.profile import HarmProfile, IndicatorProfile, span
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

if TYPE_CHECKING:  # the report formats survey numbers; it never imports what computes them
    from evalkit.designs.survey_profile import SurveyProfile

__all__ = [
    "harm_section",
    "header",
    "indicator_label",
    "indicator_results",
    "indicator_table",
    "methods_section",
    "rates_figure",
    "season_figure",
    "survey_section",
]

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


def _withheld(profile: IndicatorProfile, rule: DisclosureRule, lang: Lang
              ) -> tuple[list[str], list[Html]]:
    """The indicators a report may show, and a note naming those withheld (rule 3).

    The profile must have been computed without the indicators ``rule`` withholds (its
    numbers would otherwise carry them, e.g. inside harm totals) and with every other one."""
    shown, withheld = rule.shown(list(profile.requested))
    if tuple(withheld) != profile.withheld:
        raise SpecError(
            f"the indicator profile was computed withholding {list(profile.withheld)} but the "
            f"disclosure rule withholds {withheld}; compute it with withhold=rule.withholds "
            "for the rule the report uses."
        )
    if not withheld:
        return shown, []
    names = ", ".join(indicator_label(i, lang) for i in withheld)
    return shown, [tag("p", t("disc.withheld", lang, names=names), cls="evalkit-note")]


def _heading(key: str, lang: Lang, heading: bool) -> list[Html]:
    return [section(key, lang)] if heading else []


def _area_name(profile: IndicatorProfile, area: str, lang: Lang) -> str:
    """An area as shown: a series without an area column is "all areas" in ``lang``."""
    return t("ind.all_areas", lang) if profile.unit is None else area


def _need_exposure(profile: IndicatorProfile) -> None:
    if profile.exposure is None:
        raise SpecError("exposure is empty; rates need a denominator column such as "
                        "'population' or 'dwellings'.")


def _window_rates(profile: IndicatorProfile) -> pd.DataFrame:
    _need_exposure(profile)
    if profile.window_rates is None:
        raise SpecError("the indicator profile was computed without a window; give window= "
                        "to compute_indicators.")
    return profile.window_rates


def _by_period(profile: IndicatorProfile, max_lines: int, lang: Lang) -> pd.DataFrame:
    """Long table area × period × indicator; areas summed when there are too many."""
    if len(profile.areas) > max_lines:
        return profile.by_period_combined.assign(
            _area=t("ind.combined", lang, n=len(profile.areas)))
    return profile.by_period.assign(
        _area=[_area_name(profile, a, lang) for a in profile.by_period["_area"]])


def _hidden_periods(long: pd.DataFrame, profile: IndicatorProfile, rule: DisclosureRule
                    ) -> np.ndarray:
    """The rows of ``long`` (one line's count in one period) a figure must not show.

    Counts ``rule`` hides, and, since the report's table shows the sums over the last two
    windows (:func:`indicator_table`), a second period in each window of a line that has a
    lone hidden one (the sum minus the periods drawn would give it back;
    :func:`~evalkit.report.disclosure.complete_lines`).
    """
    counts = long["count"].to_numpy(float)
    hidden = rule.hides(counts)
    if not profile.window or not hidden.any():
        return hidden
    which = {**{p: "prev" for p in profile.previous}, **{p: "last" for p in profile.last}}
    groups = [(area, ind, which[p]) if p in which else None
              for area, ind, p in zip(long["_area"], long["indicator"], long["_time"],
                                      strict=True)]
    return complete_lines(counts, hidden, groups)


# -- results.json --------------------------------------------------------------------------------
def indicator_results(profile: IndicatorProfile, *, rule: DisclosureRule = DEFAULT_RULE
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
    offence ``rule`` withholds has no result.
    """
    _withheld(profile, rule, "en")
    if not profile.indicators:
        return []
    frame = _window_rates(profile)
    window = profile.window
    n_areas = len(profile.areas)
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
                effects.append({
                    "term": name + suffix, "estimate": getattr(r, f"rate_{key}"),
                    "std_error": getattr(r, f"se_{key}"),
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
            spec={"outcome": ind, "unit": profile.unit, "time": profile.time,
                  "exposure": profile.exposure, "per": profile.per, "window": window,
                  "alpha": profile.alpha, "freq": frame.attrs["freq"]},
            effects=pd.DataFrame(effects, columns=_EFFECT_COLUMNS), series=pd.DataFrame(),
            sample={"n_units": n_areas, "n_periods": 2 * window,
                    "first_period": frame.attrs["previous"].split(" – ")[0],
                    "last_period": frame.attrs["last"].split(" – ")[-1]}))
    return out


_EFFECT_COLUMNS = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "scale",
                   "relative_effect", "relative_ci_low", "relative_ci_high", "n_obs"]


# -- sections ----------------------------------------------------------------------------------
def header(profile: IndicatorProfile, *, lang: Lang = "en", title: str = "",
           area_label: str = "") -> Html:
    """Title and a summary table: areas, period, indicators, denominator and data file."""
    name = area_label or (", ".join(profile.selected) if profile.selected
                          else t("ind.all_areas", lang))
    title = title or t("ind.title", lang, area=name)
    data_text = f"{profile.source} (SHA-256 {profile.sha256[:12]}…)" if profile.source else ""
    exposure = profile.exposure or ""
    rows = [
        ("report.where", ", ".join(_area_name(profile, a, lang) for a in profile.areas)),
        ("report.period", span(profile.periods)),
        ("ind.summary.indicators", ", ".join(indicator_label(i, lang)
                                             for i in profile.requested)),
        ("ind.summary.exposure", f"{exposure} ({_exposure_label(exposure, lang)})"
         if exposure and _exposure_label(exposure, lang) != exposure else exposure),
        ("ind.summary.data", data_text),
    ]
    return title_block(title, rows, lang=lang)


def _hidden_cells(frame: pd.DataFrame, rule: DisclosureRule) -> tuple[np.ndarray, np.ndarray]:
    """Primary and full suppression of the (previous, last) counts of a window table.

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


def indicator_table(profile: IndicatorProfile, *, lang: Lang = "en",
                    rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Counts and rates per area and indicator, last window against the previous one.

    One row per indicator and area (areas are not summed): counts, rates per ``per``, the
    exact interval of the last rate and the rate ratio with its exact interval (see
    :func:`evalkit.indicators.profile.window_rates`). Counts hidden by ``rule`` are shown as
    "<5" and the rates and ratios computed from them as "–".

    Parameters
    ----------
    profile : IndicatorProfile
        From :func:`evalkit.indicators.compute_indicators` with an exposure and a window.
    lang : {"en", "fr"}
    rule : DisclosureRule
        Disclosure control applied to the counts and indicators shown.
    heading : bool, default True
        Start with the section heading.
    """
    indicators, note = _withheld(profile, rule, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.counts", lang, heading), *note,
                     tag("p", rule.text(lang), cls="evalkit-footer")])
    frame = _window_rates(profile)
    level = _level(profile.alpha)
    primary, hidden = _hidden_cells(frame, rule)
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        prev_ok, last_ok = not hidden[i, 0], not hidden[i, 1]
        both = prev_ok and last_ok
        rows.append([
            indicator_label(r.indicator, lang),
            t("ind.total", lang) if r.total else _area_name(profile, r.area, lang),
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
    text = t("ind.counts.text", lang, per=_per_text(profile.per, lang),
             exposure=_exposure_label(profile.exposure, lang),
             window_len=t(f"ind.periods.{freq}", lang, n=profile.window), freq_name=freq_name,
             last=frame.attrs["last"], previous=frame.attrs["previous"], level=level)
    parts = [*_heading("ind.counts", lang, heading), tag("p", text), *note,
             table(pd.DataFrame(rows), headers=headers), tag("p", rule.text(lang),
                                                             cls="evalkit-footer")]
    return join(parts)


def rates_figure(profile: IndicatorProfile, *, lang: Lang = "en", max_lines: int = MAX_LINES,
                 rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Rate per ``per`` in every period, one panel per indicator, with exact bands.

    One line per area, or the areas summed (counts and exposures) when there are more than
    ``max_lines``. Rates and bands come from the profile (:func:`evalkit.rate`); the figure
    from :func:`evalkit.report.plots.plot_rate_panels`. Under ``rule``, periods whose count
    is hidden leave a gap in the line and band, and sensitive offences are withheld; with a
    window, no hidden period can be recovered from a window's sum shown in
    :func:`indicator_table`.
    """
    _need_exposure(profile)
    a = profile.alpha
    indicators, note = _withheld(profile, rule, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.trends", lang, heading), *note])
    long = _by_period(profile, max_lines, lang)
    rates = long[["_area", "_time", "indicator", "count", "exposure", "rate", "ci_low",
                  "ci_high"]].reset_index(drop=True)
    rates["count"] = rates["count"].astype(np.int64)
    rates["_time"] = rates["_time"].astype(str)
    gaps = _hidden_periods(long, profile, rule)
    rates.loc[gaps, [c for c in rates.columns if c not in ("_area", "_time", "indicator")]] = (
        np.nan)
    if gaps.any():
        note.append(tag("p", t("disc.gaps", lang, n=int(gaps.sum()), label=rule.label),
                        cls="evalkit-note"))
    freq_name = t(f"freq.{profile.freq}", lang)
    exposure = _exposure_label(profile.exposure, lang)
    fig = plot_rate_panels(rates, time="_time", indicator="indicator", group="_area",
                           per=profile.per, exposure=exposure, freq_name=freq_name, alpha=a,
                           labels={i: indicator_label(i, lang) for i in indicators},
                           lang=lang)
    text = t("ind.trends.text", lang, per=_per_text(profile.per, lang), exposure=exposure,
             freq_name=freq_name, level=_level(a))
    return join([*_heading("ind.trends", lang, heading), tag("p", text), figure(fig), *note])


def season_figure(profile: IndicatorProfile, *, lang: Lang = "en", max_lines: int = MAX_LINES,
                  rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Mean count per month of the year (quarter, week, weekday), one panel per indicator.

    Uses every period of the data; one line per area, or the areas summed when there are
    more than ``max_lines``. Yearly data has no seasonality: the section says so. Sensitive
    offences are withheld under ``rule``, and a mean is left out when a period behind it
    is hidden (the mean times the years, minus the periods drawn in the rate figure, would
    give it back).
    """
    indicators, note = _withheld(profile, rule, lang)
    if note and not indicators:  # every indicator withheld
        return join([*_heading("ind.season", lang, heading), *note])
    parts = _heading("ind.season", lang, heading)
    season_name = t(f"season.{profile.freq}", lang)
    if profile.season_means is None:
        return join([*parts, tag("p", t("ind.season.none", lang))])
    combined = len(profile.areas) > max_lines
    long = _by_period(profile, max_lines, lang)
    means = (profile.season_means_combined if combined else profile.season_means).copy()
    # same groups in the same order as the means (both grouped with sort=False)
    means["hidden"] = long.assign(_hidden=_hidden_periods(long, profile, rule)).groupby(
        ["indicator", "_area", "season"], sort=False)["_hidden"].any().to_numpy()
    means["_area"] = (t("ind.combined", lang, n=len(profile.areas)) if combined
                      else [_area_name(profile, a, lang) for a in means["_area"]])
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


def harm_section(profile: IndicatorProfile, harm: HarmProfile | None, *, lang: Lang = "en",
                 rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Harm-weighted totals per area, last window against the previous one.

    ``harm`` comes from :func:`evalkit.indicators.compute_harm` (None prints that no weight
    table was given). When a count behind a total is hidden by ``rule``, the total, its harm
    and the shares are shown as "–" (otherwise the hidden count could be recovered by
    subtraction); sensitive offences ``rule`` withholds are not in the totals (a note names
    them).
    """
    parts = _heading("ind.harm", lang, heading)
    if harm is None:
        return join([*parts, tag("p", t("ind.harm.none", lang))])
    indicators, note = _withheld(profile, rule, lang)
    if not indicators:
        return join([*parts, *note])
    totals = harm.totals
    counts = harm.counts
    hidden = counts.assign(h=rule.hides(counts["count"])).groupby(["_area", "window"])["h"].any()
    rows = []
    for area in profile.areas:
        prev, cur = totals.loc[(area, "prev")], totals.loc[(area, "last")]
        ok_prev, ok_last = not hidden[(area, "prev")], not hidden[(area, "last")]
        top_ok = ok_last and not rule.withholds(cur["top_offence"])
        ratio = cur["harm"] / prev["harm"] if prev["harm"] > 0 else float("nan")
        rows.append([
            _area_name(profile, area, lang),
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
    parts += [tag("p", t("ind.harm.text", lang, name=harm.name, date=harm.version_date), " ",
                  t("ind.counts.window", lang, previous=span(profile.previous),
                    last=span(profile.last))),
              table(pd.DataFrame(rows), headers=headers), *note]
    return join(parts)


def survey_section(survey: SurveyProfile | None, *, question: str | None = None,
                   lang: Lang = "en", rule: DisclosureRule = DEFAULT_RULE,
                   heading: bool = True) -> Html:
    """Weighted share feeling unsafe, by wave and area, with reliability flags.

    ``survey`` comes from :func:`evalkit.designs.survey_profile.compute_survey` (None prints
    that no survey was given). The reliability of each cell comes from ``rule``
    (:meth:`~evalkit.report.disclosure.DisclosureRule.survey_status`; default: fewer than 30
    respondents or RSE above 50% is suppressed and shows "–" instead of the share, interval
    and RSE; RSE from 25% to 50% is flagged), DOMAIN.md §6 rule 5. The selected areas'
    difference in differences follows, unless one of its cells is suppressed.

    Parameters
    ----------
    survey : SurveyProfile or None
    question : str, optional
        The question as asked (default: the catalogue's after-dark question).
    """
    parts = _heading("ind.survey", lang, heading)
    if survey is None:
        return join([*parts, tag("p", t("ind.survey.none", lang))])
    shares, wave, by = survey.shares, survey.wave, survey.by
    if survey.selected and survey.area in shares.columns and shares.empty:
        return join([*parts, tag("p", t("ind.survey.no_areas", lang,
                                        areas=", ".join(survey.present)))])
    level = _level(survey.alpha)
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
    answers = f" {t('ind.or', lang)} ".join(_quote(u, lang) for u in survey.unsafe)
    method = t("ind.survey.design" if survey.design_based else "ind.survey.kish", lang)
    text = t("ind.survey.text", lang, answers=answers,
             question=_quote(question, lang) if question else t("ind.survey.question", lang),
             level=level, method=method)
    parts += [tag("p", text), table(pd.DataFrame(rows), headers=headers)]
    parts += _survey_did(survey, lang=lang, rule=rule)
    parts.append(tag("p", t("ind.survey.file", lang, name=survey.source, n=survey.n_rows),
                     cls="evalkit-footer"))
    return join(parts)


def _survey_did(survey: SurveyProfile, *, lang: Lang, rule: DisclosureRule) -> list[Html]:
    """The selected areas' change between the first and the last wave against the other
    surveyed areas' (:func:`evalkit.survey_did`), when the survey allows it."""
    res = survey.did
    if res is None:
        return []
    first, last = survey.did_waves
    cells = res.series
    hidden = any(rule.survey_status(n, rse if pd.notna(rse) else 0.0) == "suppressed"
                 for n, rse in zip(cells["n"], cells["rse"], strict=True))
    values = {"before": _maybe(f"ind.wave.{first}", lang) or first,
              "after": _maybe(f"ind.wave.{last}", lang) or last,
              "level": _level(survey.alpha)}
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
                       method=t("ind.survey.design" if survey.design_based
                                else "ind.survey.kish", lang)))]


def methods_section(*, per: float = 100_000, lang: Lang = "en",
                    rule: DisclosureRule = DEFAULT_RULE, heading: bool = True) -> Html:
    """Formulas of the rates, intervals and shares, and the disclosure rule applied."""
    return join([*_heading("report.methods", lang, heading),
                 tag("p", t("ind.methods", lang, per=_per_text(per, lang))),
                 tag("p", rule.text(lang))])
