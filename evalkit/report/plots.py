"""Figures that read an :class:`~evalkit.results.EvaluationResult` (never modify it).

Every function returns a matplotlib ``Figure`` with a title, labelled axes with units and a
legend, in English or French (``lang``). Styling goes through seaborn.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from evalkit.designs.registry import entries, find
from evalkit.errors import SpecError
from evalkit.i18n import Lang, format_number, outcome_name, t
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.results import EvaluationResult

__all__ = ["literal_text", "plot_event_study", "plot_its", "plot_rates", "plot_trends"]

PALETTE = {"observed": "#1b1b1b", "fitted": "#2c7fb8", "counterfactual": "#d95f02",
           "treated": "#2c7fb8", "comparison": "#969696", "control": "#7570b3"}


def literal_text() -> None:
    """Draw every text literally: a name such as "Plan $1M $2M" is not typeset as math.

    Set process-wide because tick labels are made when a figure is drawn, after the
    function that built it has returned."""
    matplotlib.rcParams["text.parse_math"] = False


def _figure(figsize: tuple[float, float] = (9.0, 5.2)) -> tuple[Figure, Any]:
    sns.set_theme(style="whitegrid", context="notebook")
    literal_text()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _require(result: EvaluationResult, figure: str) -> None:
    """The result's design must draw this kind of ``figure`` (its registry entry's)."""
    entry = find(result.method)
    if entry is None or entry.figure != figure:
        methods = [m for e in entries() if e.figure == figure for m in e.methods]
        raise SpecError(f"this plot needs a {' or '.join(methods)} result; got "
                        f"{result.method!r}.")


def _level(result: EvaluationResult) -> int:
    return round(100 * (1 - float(result.spec.get("alpha", 0.05))))


def _period_axis(ax: Any, labels: list[str]) -> None:
    """Readable period ticks: one per year (at January) for long monthly series."""
    n = len(labels)
    januaries = [i for i, lab in enumerate(labels) if lab.endswith("-01")]
    if n > 36 and len(januaries) >= 3:
        ax.set_xticks(januaries)
        ax.set_xticklabels([labels[i][:4] for i in januaries])
        return
    step = max(1, int(np.ceil(n / 12)))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks], rotation=45, ha="right")


def _legend_below(ax: Any, n_items: int, extra: list[Any] | None = None) -> None:
    """Legend under the plot, so it never hides data; ``extra`` adds the handles of other
    axes (a twin y-axis) after ``ax``'s own.

    It is a figure legend placed by the constrained layout *outside* the axes, under the
    x-axis title (an axes legend anchored below the axes ran over the title and the tick
    labels), with the disclosure note, if any, under it.
    """
    fig = ax.get_figure()
    handles, labels = ax.get_legend_handles_labels()
    extra = extra or []
    legend = fig.legend(handles + extra, labels + [h.get_label() for h in extra],
                        loc="outside lower center", ncol=min(n_items, 3), fontsize=9,
                        frameon=False, title=getattr(fig, "_evalkit_note", None),
                        title_fontsize=8)
    legend.get_title().set_color("#555555")


def _disclosure_note(fig: Figure, n_hidden: int, rule: DisclosureRule, lang: Lang, *,
                     outcome: str = "", name: str = "", unchecked: bool = False) -> None:
    """Say under the figure what disclosure control left out (drawn under the legend by
    :func:`_legend_below`): a sensitive ``outcome`` (named ``name``), rates whose counts
    cannot be checked (``unchecked``), or ``n_hidden`` values from hidden counts."""
    if not n_hidden:
        return
    if outcome and rule.withholds(outcome):
        fig._evalkit_note = t("disc.sensitive_figure", lang, outcome=name or outcome)
    elif unchecked:
        fig._evalkit_note = t("disc.rates_unchecked", lang)
    else:
        fig._evalkit_note = t("disc.gaps", lang, n=n_hidden, label=rule.label)


def _hidden_observed(values: np.ndarray, counts: np.ndarray | None, rule: DisclosureRule,
                     outcome: str) -> tuple[np.ndarray, bool]:
    """Observed values not to draw, and whether that is because they cannot be checked.

    ``counts`` are the counts behind ``values`` (``values`` themselves for a count series);
    None for rates whose counts the result does not carry: they are then all left out
    whenever ``rule`` hides counts, as a rate times the area's exposure gives the count
    back."""
    if rule.withholds(outcome):
        return np.isfinite(values), False
    if counts is None:
        hide = rule.hides_counts and bool(np.isfinite(values).any())
        return np.isfinite(values) & hide, hide
    return rule.hides(counts), False


def plot_its(result: EvaluationResult, *, lang: Lang = "en", outcome_label: str | None = None,
             rule: DisclosureRule = DEFAULT_RULE) -> Figure:
    """Observed series, model fit and counterfactual with its band; intervention marked.

    Parameters
    ----------
    result : EvaluationResult
        An ``its`` result.
    lang : {"en", "fr"}
    outcome_label : str, optional
        Readable name of the outcome (default: the column name).
    rule : DisclosureRule
        Observed counts it hides (1 to 4 by default) are not drawn; a note says how many.
    """
    _require(result, "its")
    spec = result.spec
    s = result.series
    treated = s[s["unit"] == "treated"].reset_index(drop=True)
    labels = treated["time"].tolist()
    pos = np.arange(len(labels))
    post = treated["post"].to_numpy(bool)
    name = outcome_name(str(spec["outcome"]), lang, outcome_label)
    freq_name = t(f"freq.{spec.get('freq', 'M')}", lang)
    if spec.get("family") == "ols" and spec.get("exposure"):
        units = t("units.rate", lang, per=100_000,
                  exposure=spec["exposure"])
    else:
        units = t("units.count_per_period", lang, freq_name=freq_name)
    fig, ax = _figure()
    observed = treated["observed"].to_numpy(float)
    rates = spec.get("family") == "ols" and spec.get("exposure")

    def behind(part: pd.DataFrame) -> np.ndarray | None:  # the counts behind the values
        if not rates:
            return part["observed"].to_numpy(float)
        return part["count"].to_numpy(float) if "count" in part else None

    outcome = str(spec["outcome"])
    hidden, unchecked = _hidden_observed(observed, behind(treated), rule, outcome)
    ax.scatter(pos[~hidden], observed[~hidden], s=14, color=PALETTE["observed"],
               label=t("plot.its.observed", lang), zorder=3)
    _disclosure_note(fig, int(hidden.sum()), rule, lang, outcome=outcome, name=name,
                     unchecked=unchecked)
    ax.plot(pos, treated["fitted"], color=PALETTE["fitted"], lw=2,
            label=t("plot.its.fitted", lang))
    if post.any():
        first = int(np.argmax(post))
        seg = slice(max(first - 1, 0), len(pos))
        ax.plot(pos[seg], treated["counterfactual"][seg], color=PALETTE["counterfactual"],
                lw=2, ls="--", label=t("plot.its.counterfactual", lang))
        ax.fill_between(pos[seg], treated["ci_low"][seg], treated["ci_high"][seg],
                        color=PALETTE["counterfactual"], alpha=0.18,
                        label=t("plot.its.band", lang, level=_level(result)))
        ax.axvline(first - 0.5, color="#555555", lw=1.2, ls=":",
                   label=t("plot.its.intervention", lang, period=spec["intervention"]))
    control = s[s["unit"] == "control"]
    extra: list[Any] = []
    if not control.empty:
        shown = control["observed"].to_numpy(float)
        shown = np.where(_hidden_observed(shown, behind(control), rule, outcome)[0], np.nan,
                         shown)
        # a control series several times larger gets its own axis, so the treated one stays
        # readable
        own = np.nanmax(shown, initial=0) > 3 * np.nanmax(observed, initial=0)
        cax = ax.twinx() if own else ax
        extra = cax.plot(pos[: len(control)], shown, color=PALETTE["control"], lw=1,
                         alpha=0.8, label=t("plot.its.control", lang))
        if own:
            cax.set_ylabel(t("plot.its.control_axis", lang, units=units),
                           color=PALETTE["control"])
            cax.set_ylim(bottom=0)
            cax.grid(False)
        else:
            extra = []
    ax.set_title(t("plot.its.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.its.x", lang, freq_name=freq_name))
    ax.set_ylabel(t("plot.its.y", lang, outcome=name, units=units))
    ax.set_ylim(bottom=0 if (treated["observed"] >= 0).all() else None)
    _period_axis(ax, labels)
    _legend_below(ax, len(ax.get_legend_handles_labels()[0]) + len(extra), extra)
    return fig


def plot_event_study(result: EvaluationResult, *, lang: Lang = "en",
                     outcome_label: str | None = None,
                     window: tuple[int, int] | None = None) -> Figure:
    """Effects by period relative to the start with confidence intervals.

    Reads an ``event_study`` result (reference period at zero) or a ``staggered_did`` result
    (its event-time aggregation); ``window=(-leads, lags)`` limits the periods shown.
    """
    _require(result, "event_study")
    if "aggregation" in result.series:  # group-time effects: their event-time aggregation
        s = result.series[result.series["aggregation"] == "event"]
        s = s.assign(event_time=s["key"].astype(int)).sort_values("event_time")
        y_label = t("plot.event.y_gt", lang, outcome=outcome_name(
            str(result.spec["outcome"]), lang, outcome_label))
    else:
        s = result.series
        y_label = None
    if window is not None:
        s = s[s["event_time"].between(*window)]
    name = outcome_name(str(result.spec["outcome"]), lang, outcome_label)
    freq_name = t(f"freq.{result.spec.get('freq', 'M')}", lang)
    fig, ax = _figure()
    k = s["event_time"].to_numpy()
    est = s["estimate"].to_numpy()
    err = np.vstack([est - s["ci_low"].to_numpy(), s["ci_high"].to_numpy() - est])
    for mask, color, label in ((k < 0, PALETTE["comparison"], None),
                               (k >= 0, PALETTE["treated"],
                                t("plot.event.estimate", lang, level=_level(result)))):
        ax.errorbar(k[mask], est[mask], yerr=err[:, mask], fmt="o", ms=5, color=color,
                    ecolor=color, elinewidth=1.5, capsize=3, label=label)
    ax.axhline(0, color="#333333", lw=1)
    ax.axvline(-0.5, color="#555555", lw=1.2, ls=":", label=t("plot.event.start", lang))
    ax.set_title(t("plot.event.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.event.x", lang, freq_name=freq_name))
    ax.set_ylabel(y_label or t("plot.event.y", lang, outcome=name,
                               reference=result.spec["reference"]))
    _legend_below(ax, 2)
    return fig


def plot_trends(result: EvaluationResult, *, lang: Lang = "en",
                outcome_label: str | None = None, rule: DisclosureRule = DEFAULT_RULE
                ) -> Figure:
    """Mean outcome of treated and comparison areas per period (a TWFE ``did`` result).

    A mean whose underlying total (mean × areas) is a count ``rule`` hides is left out of
    the line (for one treated area the mean *is* its count), whatever the model family. Mean
    rates (a linear model with an exposure) are left out whenever ``rule`` hides counts (a
    rate times the exposure gives the count back), and a sensitive offence is not drawn
    below district level.
    """
    _require(result, "trends")
    s = result.series
    name = outcome_name(str(result.spec["outcome"]), lang, outcome_label)
    fig, ax = _figure()
    # a 2x2 design's periods are "before" and "after": in that order, in the reader's language
    labels = sorted(s["time"].unique(), key=lambda v: (v != "before", v == "after", str(v)))
    pos = {lab: i for i, lab in enumerate(labels)}
    n_hidden = 0
    outcome = str(result.spec["outcome"])
    rates = result.spec.get("family") == "ols" and bool(result.spec.get("exposure"))
    unchecked = False
    for group in ("treated", "comparison"):
        g = s[s["group"] == group]
        values = g["observed"].to_numpy(float)
        n = g["n_obs"].to_numpy(float) if "n_obs" in g else np.ones(len(g))
        total = values * n
        # a total that is not a whole number is no count (an outcome that is not counted)
        counts = None if rates else np.where(np.isclose(total, np.round(total), rtol=0,
                                                        atol=1e-6), total, np.nan)
        hidden, unchecked = _hidden_observed(values, counts, rule, outcome)
        values = np.where(hidden, np.nan, values)
        n_hidden += int(hidden.sum())
        ax.plot([pos[v] for v in g["time"]], values, marker="o", ms=3, lw=1.6,
                color=PALETTE[group], label=t(f"plot.trends.{group}", lang))
    _disclosure_note(fig, n_hidden, rule, lang, outcome=outcome, name=name,
                     unchecked=unchecked)
    ax.set_title(t("plot.trends.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.trends.x", lang))
    ax.set_ylabel(t("plot.trends.y", lang, outcome=name))
    ax.set_ylim(bottom=0)
    _period_axis(ax, [t(f"ind.wave.{v}", lang) if v in ("before", "after") else str(v)
                      for v in labels])
    _legend_below(ax, 2)
    return fig


def plot_rates(rates: pd.DataFrame, *, time: str, group: str | None = None,
               per: int = 100_000, exposure: str = "", indicator: str = "",
               alpha: float = 0.05, lang: Lang = "en") -> Figure:
    """Rates over time with their exact confidence band, one line per group.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`evalkit.rate` with a ``time`` column (and optionally ``group``).
    time, group : str
        Column names.
    per : int
        Rate base used when computing ``rates``.
    exposure, indicator : str
        Words for the labels (e.g. "residents", "Burglary"); default "residents" and
        "Rate" in ``lang``.
    """
    missing = [c for c in ("rate", "ci_low", "ci_high", time) if c not in rates.columns]
    if missing:
        raise SpecError(f"plot_rates needs columns {missing}; pass the output of ek.rate() "
                        "with the time column added.")
    exposure = exposure or t("ind.exposure.population", lang)
    indicator = indicator or t("plot.rates.rate", lang)
    fig, ax = _figure()
    labels = sorted(rates[time].astype(str).unique())
    pos = {lab: i for i, lab in enumerate(labels)}
    groups = [(None, rates)] if group is None else list(rates.groupby(group, sort=True))
    colors = sns.color_palette("deep", len(groups))
    level = round(100 * (1 - alpha))
    for (name, part), color in zip(groups, colors, strict=True):
        x = [pos[v] for v in part[time].astype(str)]
        ax.plot(x, part["rate"], color=color, lw=1.8, label=str(name) if name is not None
                else indicator)
        ax.fill_between(x, part["ci_low"], part["ci_high"], color=color, alpha=0.15)
    ax.fill_between([], [], [], color="#999999", alpha=0.3,
                    label=t("plot.rates.band", lang, level=level))
    per_txt = format_number(per, lang, ",")
    ax.set_title(t("plot.rates.title", lang, indicator=indicator, per=per_txt,
                   exposure=exposure), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.rates.x", lang))
    ax.set_ylabel(t("plot.rates.y", lang, per=per_txt, exposure=exposure))
    ax.set_ylim(bottom=0)
    _period_axis(ax, labels)
    _legend_below(ax, len(groups) + 1)
    return fig


# -- indicator profile (templates/indicators.ipynb) ------------------------------------------
__all__ += ["plot_rate_panels", "plot_season"]


def _panels(n: int, *, height: float = 3.1) -> tuple[Figure, list[Any]]:
    """A figure with one small panel per indicator (two columns when there are several)."""
    sns.set_theme(style="whitegrid", context="notebook")
    literal_text()
    ncols = 1 if n == 1 else 2
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10.0, 1.4 + height * nrows),
                             layout="constrained", squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _finish_panels(fig: Figure, axes: list[Any], *, x_label: str, y_label: str,
                   legend: tuple[list[Any], list[str]]) -> None:
    """Axis labels on the outer panels and one legend under the panels."""
    ncols = 1 if len(axes) == 1 else 2
    for i, ax in enumerate(axes):
        if i + ncols >= len(axes):  # lowest panel of its column
            ax.set_xlabel(x_label, fontsize=10)
        if i % ncols == 0:
            ax.set_ylabel(y_label, fontsize=10)
    handles, texts = legend
    fig.legend(handles, texts, loc="outside lower center", ncol=min(len(handles), 4),
               fontsize=9, frameon=False)


def _check_frame(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SpecError(f"{name} needs columns {missing}; got {list(frame.columns)}.")


def _year_axis(ax: Any, labels: list[str]) -> None:
    """Tick every January (labelled with the year) on long monthly axes, else a few periods."""
    n = len(labels)
    monthly = n > 24 and all(len(v) == 7 and v[4] == "-" for v in labels)
    if monthly:
        ticks = [i for i, v in enumerate(labels) if v.endswith("-01")]
        ax.set_xticks(ticks)
        ax.set_xticklabels([labels[i][:4] for i in ticks])
    else:
        step = max(1, int(np.ceil(n / 6)))
        ticks = list(range(0, n, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([labels[i] for i in ticks], rotation=30, ha="right")


def plot_rate_panels(rates: pd.DataFrame, *, time: str = "time", indicator: str = "indicator",
                     group: str = "area", per: int = 100_000, exposure: str = "residents",
                     freq_name: str = "month", alpha: float = 0.05,
                     labels: dict[str, str] | None = None, lang: Lang = "en") -> Figure:
    """Rates over time with exact confidence bands: one panel per indicator, one line per area.

    Parameters
    ----------
    rates : DataFrame
        Long table with columns ``time``, ``indicator``, ``group``, ``rate``, ``ci_low``,
        ``ci_high`` (e.g. :func:`evalkit.rate` output with those columns added). Not modified.
    time, indicator, group : str
        Column names.
    per : int
        Rate base used when computing ``rates``.
    exposure, freq_name : str
        Words for the labels (e.g. "residents", "month"), already in ``lang``.
    alpha : float
        One minus the confidence level of the bands.
    labels : dict, optional
        Readable name of each indicator (default: the value itself).
    lang : {"en", "fr"}
    """
    _check_frame(rates, [time, indicator, group, "rate", "ci_low", "ci_high"], "plot_rate_panels")
    names = list(dict.fromkeys(rates[indicator]))
    if not names:
        raise SpecError("plot_rate_panels got an empty table; nothing to plot.")
    labels = labels or {}
    periods = sorted(rates[time].astype(str).unique())
    pos = {lab: i for i, lab in enumerate(periods)}
    groups = list(dict.fromkeys(rates[group]))
    colors = dict(zip(groups, sns.color_palette("deep", len(groups)), strict=True))
    level = round(100 * (1 - alpha))
    per_txt = format_number(per, lang, ",")
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names, strict=True):
        part = rates[rates[indicator] == name]
        for area, sub in part.groupby(group, sort=False):
            x = [pos[v] for v in sub[time].astype(str)]
            ax.plot(x, sub["rate"], color=colors[area], lw=1.5, label=str(area))
            ax.fill_between(x, sub["ci_low"], sub["ci_high"], color=colors[area],
                            alpha=0.15 if len(groups) == 1 else 0.1, lw=0)
        ax.set_title(labels.get(name, str(name)), fontsize=11, loc="left")
        ax.set_ylim(bottom=0)
        _year_axis(ax, periods)
    handles, texts = axes[0].get_legend_handles_labels()
    band = axes[0].fill_between([], [], [], color="#999999", alpha=0.3)
    fig.suptitle(t("ind.plot.rates.title", lang, per=per_txt, exposure=exposure,
                   freq_name=freq_name), fontsize=13, x=0.01, ha="left")
    _finish_panels(fig, axes, x_label=t("plot.rates.x", lang),
                   y_label=t("ind.plot.rates.y", lang, per=per_txt, exposure=exposure,
                             freq_name=freq_name),
                   legend=([*handles, band], [*texts, t("plot.rates.band", lang, level=level)]))
    return fig


def plot_season(means: pd.DataFrame, *, season: str = "season", value: str = "mean",
                indicator: str = "indicator", group: str = "area",
                season_name: str = "month of the year", freq_name: str = "month",
                season_labels: list[str] | None = None, labels: dict[str, str] | None = None,
                lang: Lang = "en") -> Figure:
    """Mean count per season (month of the year...): one panel per indicator, one line per area.

    Parameters
    ----------
    means : DataFrame
        Long table with columns ``season`` (1, 2, ...), ``value`` (mean count per period),
        ``indicator`` and ``group``. Not modified.
    season, value, indicator, group : str
        Column names.
    season_name, freq_name : str
        Words for the labels, already in ``lang`` (e.g. "month of the year", "month").
    season_labels : list of str, optional
        Tick labels for seasons 1, 2, ... (e.g. month abbreviations).
    labels : dict, optional
        Readable name of each indicator.
    lang : {"en", "fr"}
    """
    _check_frame(means, [season, value, indicator, group], "plot_season")
    names = list(dict.fromkeys(means[indicator]))
    if not names:
        raise SpecError("plot_season got an empty table; nothing to plot.")
    labels = labels or {}
    groups = list(dict.fromkeys(means[group]))
    colors = dict(zip(groups, sns.color_palette("deep", len(groups)), strict=True))
    seasons = sorted(means[season].unique())
    fig, axes = _panels(len(names), height=2.8)
    for ax, name in zip(axes, names, strict=True):
        part = means[means[indicator] == name]
        for area, sub in part.groupby(group, sort=False):
            sub = sub.sort_values(season)
            ax.plot(sub[season], sub[value], color=colors[area], lw=1.6, marker="o", ms=3.5,
                    label=str(area))
        title = labels.get(name, str(name))
        if len(names) == 1:
            title = t("plot.season.title", lang, indicator=title, season_name=season_name)
        ax.set_title(title, fontsize=11 if len(names) > 1 else 13, loc="left")
        ax.set_ylim(bottom=0)
        ax.set_xticks(seasons)
        if season_labels is not None and len(season_labels) >= len(seasons):
            ax.set_xticklabels([season_labels[int(s) - 1] for s in seasons], fontsize=8)
    if len(names) > 1:
        fig.suptitle(t("plot.season.suptitle", lang, season_name=season_name), fontsize=13,
                     x=0.01, ha="left")
    x_label = t("plot.season.x", lang, season_name=season_name)
    _finish_panels(fig, axes, x_label=x_label[:1].upper() + x_label[1:],
                   y_label=t("plot.season.y", lang, freq_name=freq_name),
                   legend=axes[0].get_legend_handles_labels())
    return fig
