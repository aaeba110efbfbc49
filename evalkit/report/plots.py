"""Figures that read an :class:`~evalkit.results.EvaluationResult` (never modify it).

Every function returns a matplotlib ``Figure`` with a title, labelled axes with units and a
legend, in English or French (``lang``). Styling goes through seaborn.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from evalkit.errors import SpecError
from evalkit.i18n import Lang, t
from evalkit.results import EvaluationResult

__all__ = ["plot_event_study", "plot_its", "plot_rates", "plot_trends"]

PALETTE = {"observed": "#1b1b1b", "fitted": "#2c7fb8", "counterfactual": "#d95f02",
           "treated": "#2c7fb8", "comparison": "#969696", "control": "#7570b3"}


def _figure(figsize: tuple[float, float] = (9.0, 4.8)) -> tuple[Figure, Any]:
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _require(result: EvaluationResult, methods: tuple[str, ...]) -> None:
    if result.method not in methods:
        raise SpecError(f"this plot needs a {' or '.join(methods)} result; got "
                        f"{result.method!r}.")


def _level(result: EvaluationResult) -> int:
    return round(100 * (1 - float(result.spec.get("alpha", 0.05))))


def _period_axis(ax: Any, labels: list[str]) -> None:
    n = len(labels)
    step = max(1, int(np.ceil(n / 12)))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks], rotation=45, ha="right")


def plot_its(result: EvaluationResult, *, lang: Lang = "en", outcome_label: str | None = None
             ) -> Figure:
    """Observed series, model fit and counterfactual with its band; intervention marked.

    Parameters
    ----------
    result : EvaluationResult
        An ``its`` result.
    lang : {"en", "fr"}
    outcome_label : str, optional
        Readable name of the outcome (default: the column name).
    """
    _require(result, ("its",))
    spec = result.spec
    s = result.series
    treated = s[s["unit"] == "treated"].reset_index(drop=True)
    labels = treated["time"].tolist()
    pos = np.arange(len(labels))
    post = treated["post"].to_numpy(bool)
    name = outcome_label or str(spec["outcome"])
    freq_name = t(f"freq.{spec.get('freq', 'M')}", lang)
    if spec.get("family") == "ols" and spec.get("exposure"):
        units = t("units.rate", lang, per="100 000" if lang == "fr" else "100,000",
                  exposure=spec["exposure"])
    else:
        units = t("units.count_per_period", lang, freq_name=freq_name)
    fig, ax = _figure()
    ax.scatter(pos, treated["observed"], s=14, color=PALETTE["observed"],
               label=t("plot.its.observed", lang), zorder=3)
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
    if not control.empty:
        ax.plot(pos[: len(control)], control["observed"].to_numpy(), color=PALETTE["control"],
                lw=1, alpha=0.8, label=t("plot.its.control", lang))
    ax.set_title(t("plot.its.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.its.x", lang, freq_name=freq_name))
    ax.set_ylabel(t("plot.its.y", lang, outcome=name, units=units))
    ax.set_ylim(bottom=0 if (treated["observed"] >= 0).all() else None)
    _period_axis(ax, labels)
    ax.legend(loc="best", fontsize=9, frameon=True)
    return fig


def plot_event_study(result: EvaluationResult, *, lang: Lang = "en",
                     outcome_label: str | None = None) -> Figure:
    """Event-time coefficients with confidence intervals; reference period at zero."""
    _require(result, ("event_study",))
    s = result.series
    name = outcome_label or str(result.spec["outcome"])
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
    ax.set_ylabel(t("plot.event.y", lang, outcome=name, reference=result.spec["reference"]))
    ax.legend(loc="best", fontsize=9)
    return fig


def plot_trends(result: EvaluationResult, *, lang: Lang = "en",
                outcome_label: str | None = None) -> Figure:
    """Mean outcome of treated and comparison areas per period (a TWFE ``did`` result)."""
    _require(result, ("did",))
    s = result.series
    name = outcome_label or str(result.spec["outcome"])
    fig, ax = _figure()
    labels = sorted(s["time"].unique())
    pos = {lab: i for i, lab in enumerate(labels)}
    for group in ("treated", "comparison"):
        g = s[s["group"] == group]
        ax.plot([pos[v] for v in g["time"]], g["observed"], marker="o", ms=3, lw=1.6,
                color=PALETTE[group], label=t(f"plot.trends.{group}", lang))
    ax.set_title(t("plot.trends.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.trends.x", lang))
    ax.set_ylabel(t("plot.trends.y", lang, outcome=name))
    _period_axis(ax, labels)
    ax.legend(loc="best", fontsize=9)
    return fig


def plot_rates(rates: pd.DataFrame, *, time: str, group: str | None = None,
               per: int = 100_000, exposure: str = "residents", indicator: str = "",
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
        Words for the labels (e.g. "residents", "Burglary").
    """
    missing = [c for c in ("rate", "ci_low", "ci_high", time) if c not in rates.columns]
    if missing:
        raise SpecError(f"plot_rates needs columns {missing}; pass the output of ek.rate() "
                        "with the time column added.")
    fig, ax = _figure()
    labels = sorted(rates[time].astype(str).unique())
    pos = {lab: i for i, lab in enumerate(labels)}
    groups = [(None, rates)] if group is None else list(rates.groupby(group, sort=True))
    colors = sns.color_palette("deep", len(groups))
    level = round(100 * (1 - alpha))
    for (name, part), color in zip(groups, colors, strict=True):
        x = [pos[v] for v in part[time].astype(str)]
        ax.plot(x, part["rate"], color=color, lw=1.8, label=str(name) if name is not None
                else indicator or "rate")
        ax.fill_between(x, part["ci_low"], part["ci_high"], color=color, alpha=0.15)
    ax.fill_between([], [], [], color="#999999", alpha=0.3,
                    label=t("plot.rates.band", lang, level=level))
    per_txt = f"{per:,}".replace(",", "\u202f" if lang == "fr" else ",")
    ax.set_title(t("plot.rates.title", lang, indicator=indicator or "Rate", per=per_txt,
                   exposure=exposure), fontsize=13, loc="left")
    ax.set_xlabel(t("plot.rates.x", lang))
    ax.set_ylabel(t("plot.rates.y", lang, per=per_txt, exposure=exposure))
    ax.set_ylim(bottom=0)
    _period_axis(ax, labels)
    ax.legend(loc="best", fontsize=9)
    return fig
