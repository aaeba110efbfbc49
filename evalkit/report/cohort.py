"""Report sections of the reoffending template: a cohort against a matched comparison.

Reads :func:`evalkit.cohort_outcome` results (one per measure: binary and/or frequency,
estimated on the same matched sample); never recomputes them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_choice
from evalkit.designs.registry import find
from evalkit.errors import SpecError
from evalkit.i18n import (
    Caveat,
    Lang,
    format_interval,
    format_number,
    format_p,
    format_percent,
    round_percent,
    t,
)
from evalkit.report.html import Html, join, table, tag
from evalkit.report.narrative import diagnostics_section as _diagnostics
from evalkit.report.narrative import section, title_block
from evalkit.report.plots import PALETTE, _figure, _legend_below
from evalkit.results import EvaluationResult

__all__ = ["balance_section", "data_section", "design_section", "diagnostics_section",
           "effects_section", "header", "headline", "measures", "methods_section",
           "payment_section", "plot_love", "plot_overlap"]

MEASURES = ("binary", "frequency")


def measures(*, reoffended: str, events: str, payment_measure: str) -> dict[str, str]:
    """The outcome column of each measure to estimate, checked (template parameters).

    Parameters
    ----------
    reoffended : str
        0/1 column (binary measure); empty to skip it.
    events : str
        Count column (frequency measure); empty to skip it.
    payment_measure : {"binary", "frequency"}
        The measure judged against the payment threshold; its column must be given.

    Returns
    -------
    dict
        ``{"binary": reoffended, "frequency": events}`` without the empty ones.
    """
    check_choice("payment_measure", payment_measure, MEASURES)
    columns = {m: c for m, c in zip(MEASURES, (reoffended, events), strict=True) if c}
    if payment_measure not in columns:
        name = "reoffended" if payment_measure == "binary" else "events"
        raise SpecError(f"payment_measure is {payment_measure!r} but its column ({name}) is "
                        f"empty; give the {name} column or choose the other measure.")
    return columns


def _sorted(results: Sequence[EvaluationResult]) -> list[EvaluationResult]:
    results = list(results)
    if not results or any(getattr(find(r.method), "name", None) != "cohort_outcome"
                          for r in results):
        raise SpecError("these report sections need cohort_outcome results "
                        "(method cohort_match or cohort_weight).")
    return sorted(results, key=lambda r: MEASURES.index(r.spec["outcome_type"]))


def _level(res: EvaluationResult) -> int:
    return round(100 * (1 - float(res.spec.get("alpha", 0.05))))


def _num(value: float, lang: str, decimals: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return format_number(value, lang, f",.{decimals}f")


def _pct(value: float, lang: str) -> str:
    """A share (0.123) as a rounded percentage number (12.3)."""
    if value is None or not math.isfinite(value):
        return "–"
    return format_number(round_percent(100 * value), lang, "g")


def _pct_ci(row: pd.Series, lang: str) -> str:
    """``12.3% (4.5% to 20.1%)`` from an effects row on the 0-1 scale."""
    return _with_ci(*(_percent(row[k], lang) for k in ("estimate", "ci_low", "ci_high")), lang)


def _percent(value: float | None, lang: str) -> str:
    """A share (0.123) as a rounded percentage (12.3%)."""
    return format_percent(_pct(value, lang), lang)


def _with_ci(estimate: str, low: str, high: str, lang: str) -> str:
    """``estimate (low to high)``, values already formatted."""
    return f"{estimate} ({format_interval(low, high, lang)})"


def _adjustment(res: EvaluationResult, lang: str) -> str:
    return t(f"cohort.adjustment.{res.spec['method']}", lang)


def _render(message: object, lang: str) -> str:
    return message.render(lang) if isinstance(message, Caveat) else str(message)


# -- text sections ---------------------------------------------------------------------------
def header(results: Sequence[EvaluationResult], *, lang: Lang, title: str = "",
           partnership: str = "") -> Html:
    """Title and the who / cohort / pool / measures summary."""
    results = _sorted(results)
    s = results[0].sample
    rows = [("report.who", partnership),
            ("cohort.cohort", t("cohort.people", lang, n=int(s["n_treated"]))),
            ("cohort.pool", t("cohort.people", lang, n=int(s["n_comparison"]))),
            ("cohort.measures", (" ; " if lang == "fr" else "; ").join(
                t(f"cohort.measure.{r.spec['outcome_type']}", lang) for r in results))]
    return title_block(title or t("cohort.title", lang), rows, lang=lang)


def _change(res: EvaluationResult, lang: str) -> tuple[str, bool]:
    row = res.effect("relative_reduction")
    rr, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
    level = _level(res)
    if not math.isfinite(rr):
        return t("cohort.change.undefined", lang), False
    if rr >= 0:
        text = t("cohort.change.reduction", lang, pct=_pct(rr, lang), lo=_pct(lo, lang),
                 hi=_pct(hi, lang), level=level)
    else:
        text = t("cohort.change.increase", lang, pct=_pct(-rr, lang), lo=_pct(-hi, lang),
                 hi=_pct(-lo, lang), level=level)
    clear = math.isfinite(lo) and not lo <= 0 <= hi
    return text, clear


def headline(results: Sequence[EvaluationResult], *, lang: Lang) -> Html:
    """Each measure in one sentence with its interval, then the payment decision."""
    results = _sorted(results)
    sentences, clear_all = [], True
    for res in results:
        x = res.extras
        change, clear = _change(res, lang)
        clear_all &= clear
        kind = res.spec["outcome_type"]
        sentences.append(t(f"cohort.headline.{kind}", lang,
                           treated=_num(x.treated_rate, lang),
                           comparison=_num(x.comparison_rate, lang),
                           group=t(f"cohort.comparison.{res.spec['method']}", lang),
                           change=change))
    level = _level(results[0])
    sentences.append(t(f"report.uncertainty.{'clear' if clear_all else 'unclear'}", lang,
                       level=level))
    payment = []
    for res in results:
        x = res.extras
        if x.payment_threshold is None:
            continue
        verdict = "passes" if x.payment_passed else "fails"
        payment.append(t("cohort.payment.headline", lang,
                           threshold=_pct(x.payment_threshold, lang),
                           measure=t(f"cohort.measure.{res.spec['outcome_type']}", lang),
                           verdict=t(f"cohort.payment.{verdict}", lang),
                           prob=_pct(x.payment_probability, lang)))
    n_caveats = len({str(w) for r in results for w in r.warnings})
    pointer = tag("p", t("report.headline.caveats", lang, n=n_caveats)) if n_caveats else ""
    return tag("div", tag("span", t("report.headline.label", lang), cls="label"),
               " ".join(sentences), *(tag("p", tag("b", p)) for p in payment), pointer,
               cls="evalkit-headline")


def data_section(results: Sequence[EvaluationResult], *, lang: Lang,
                 data_name: str = "") -> Html:
    """Group sizes, who was matched or how the pool was weighted, the file, the notes."""
    results = _sorted(results)
    res = results[0]
    s = res.sample
    parts = [section("report.data", lang),
             tag("p", t("cohort.data", lang, n=int(s["n_units"]), n_treated=int(s["n_treated"]),
                        n_comparison=int(s["n_comparison"])))]
    if res.spec["method"] == "match":
        parts.append(tag("p", t("cohort.data.matched", lang,
                                n_matched=int(s["n_treated_matched"]),
                                n_treated=int(s["n_treated"]),
                                n_used=int(s["n_comparison_used"]))))
    else:
        parts.append(tag("p", t("cohort.data.weighted", lang,
                                ess=float(res.extras.ess_comparison))))
    sha = str(res.provenance.get("data_sha256", ""))[:12]
    if data_name or sha:
        parts.append(tag("p", t("report.data.file", lang, name=Path(data_name).name or "–",
                                sha=sha)))
    notes = list(dict.fromkeys(_render(n, lang) for r in results
                               for n in r.sample.get("notes", ())))
    if notes:
        parts.append(tag("p", t("report.data.notes", lang)))
        parts.append(tag("ul", *(tag("li", n) for n in notes)))
    return join(parts)


def design_section(res: EvaluationResult, *, lang: Lang) -> Html:
    """What the design does (matching or weighting), why, and its main weakness."""
    spec = res.spec
    parts = [section("report.design", lang), tag("p", t("cohort.design", lang))]
    if spec["method"] == "match":
        caliper = (t("cohort.design.caliper", lang, caliper=float(spec["caliper"]))
                   if spec["caliper"] is not None else t("cohort.design.no_caliper", lang))
        parts.append(tag("p", t("cohort.design.match", lang, ratio=int(spec["ratio"]),
                                replace=t(f"cohort.design.replace.{bool(spec['replace'])}",
                                          lang),
                                caliper=caliper)))
    else:
        parts.append(tag("p", t("cohort.design.weight", lang)))
    parts.append(tag("p", t("cohort.design.weakness", lang)))
    return join(parts)


def effects_section(results: Sequence[EvaluationResult], *, lang: Lang) -> Html:
    """Adjusted rates, difference and relative reduction; then the raw (naive) comparison."""
    results = _sorted(results)
    level = _level(results[0])
    rows, raw = [], []
    for res in results:
        x = res.extras
        kind = res.spec["outcome_type"]
        att = res.effect("att")
        red = res.effect("relative_reduction")
        rows.append([
            t(f"cohort.measure.{kind}", lang), _num(x.treated_rate, lang),
            _num(x.comparison_rate, lang),
            _with_ci(*(_signed(att[k], lang) for k in ("estimate", "ci_low", "ci_high")), lang),
            _pct_ci(red, lang), format_p(red["p_value"], lang),
        ])
        raw.append([
            t(f"cohort.measure.{kind}", lang),
            _with_ci(_num(x.treated_rate_all, lang), _num(x.treated_rate_all_ci_low, lang),
                     _num(x.treated_rate_all_ci_high, lang), lang),
            _with_ci(_num(x.comparison_rate_all, lang),
                     _num(x.comparison_rate_all_ci_low, lang),
                     _num(x.comparison_rate_all_ci_high, lang), lang),
            _signed(x.naive_difference, lang),
        ])
    adjusted = table(pd.DataFrame(rows), headers=[
        t("cohort.table.measure", lang), t("cohort.table.treated", lang),
        t("cohort.table.comparison", lang, adjustment=_adjustment(results[0], lang)),
        t("cohort.table.difference", lang, level=level),
        t("cohort.table.reduction", lang, level=level), t("report.table.p", lang)])
    naive = table(pd.DataFrame(raw), headers=[
        t("cohort.table.measure", lang), t("cohort.table.treated_all", lang, level=level),
        t("cohort.table.pool", lang, level=level), t("cohort.table.naive", lang)])
    return join([section("report.results", lang), tag("p", t("cohort.table.note", lang)),
                 adjusted, tag("h3", t("cohort.table.unadjusted", lang)),
                 tag("p", t("cohort.unadjusted.note", lang)), naive])


def _signed(value: float, lang: str) -> str:
    text = _num(value, lang)
    return f"+{text}" if math.isfinite(value) and value > 0 and text.strip("0,.") else text


def payment_section(results: Sequence[EvaluationResult], *, lang: Lang) -> Html:
    """The outcome-payment test of the measure that carries a threshold (empty if none)."""
    results = [r for r in _sorted(results) if r.extras.payment_threshold is not None]
    if not results:
        return Html("")
    res = results[0]
    x = res.extras
    red = res.effect("relative_reduction")
    level = _level(res)
    yes_no = {True: t("cohort.yes", lang), False: t("cohort.no", lang)}
    rows = [
        [t("cohort.payment.measure", lang), t(f"cohort.measure.{res.spec['outcome_type']}", lang)],
        [t("cohort.payment.threshold", lang), _percent(x.payment_threshold, lang)],
        [t("cohort.payment.estimate", lang, level=level), _pct_ci(red, lang)],
        [t("cohort.payment.point", lang), yes_no[bool(x.payment_passed)]],
        [t("cohort.payment.lower", lang), yes_no[bool(x.payment_lower_bound_passed)]],
        [t("cohort.payment.probability", lang), _percent(x.payment_probability, lang)],
    ]
    return join([section("cohort.payment.title", lang),
                 table(pd.DataFrame(rows), headers=[t("report.param.name", lang),
                                                    t("report.param.value", lang)]),
                 tag("p", t("cohort.payment.note", lang))])


def balance_section(res: EvaluationResult, *, lang: Lang) -> Html:
    """Means, standardised mean differences and variance ratios before and after."""
    bal = res.diagnostic("covariate_balance").table
    rows = [[r["covariate"], _num(r["mean_treated"], lang, 2), _num(r["mean_comparison"], lang, 2),
             _num(r["mean_comparison_after"], lang, 2), _num(r["smd_before"], lang, 3),
             _num(r["smd_after"], lang, 3), _num(r["variance_ratio_after"], lang, 2)]
            for _, r in bal.iterrows()]
    adjustment = _adjustment(res, lang)
    return join([tag("h3", t("cohort.balance.title", lang)),
                 table(pd.DataFrame(rows), headers=[
                     t("cohort.balance.covariate", lang), t("cohort.balance.mean_treated", lang),
                     t("cohort.balance.mean_before", lang),
                     t("cohort.balance.mean_after", lang, adjustment=adjustment),
                     t("cohort.balance.smd_before", lang),
                     t("cohort.balance.smd_after", lang, adjustment=adjustment),
                     t("cohort.balance.vr_after", lang, adjustment=adjustment)]),
                 tag("p", t("cohort.balance.note", lang))])


def diagnostics_section(results: Sequence[EvaluationResult], *, lang: Lang) -> Html:
    """The checks of every measure, each shown once (the measures share the matching)."""
    seen: set[str] = set()
    kept = []
    for res in _sorted(results):  # a rebuilt result emits nothing: design functions warn
        diags = tuple(d for d in res.diagnostics if d.name not in seen)
        seen |= {d.name for d in diags}
        kept.append(dataclasses.replace(res, diagnostics=diags))
    return _diagnostics(kept, lang=lang)


def methods_section(res: EvaluationResult, *, lang: Lang) -> Html:
    """Propensity model, matching or weighting, variance, relative reduction, references."""
    method = res.spec["method"]
    return join([section("report.methods", lang), tag("p", t("cohort.methods", lang)),
                 tag("p", t(f"cohort.methods.{method}", lang)),
                 tag("p", t("cohort.methods.relative", lang)),
                 tag("p", t("cohort.ref", lang))])


# -- figures -------------------------------------------------------------------------------
def plot_love(res: EvaluationResult, *, lang: Lang = "en") -> Figure:
    """Standardised mean difference of each covariate before and after adjustment."""
    bal = res.diagnostic("covariate_balance").table.iloc[::-1].reset_index(drop=True)
    limit = 0.1
    fig, ax = _figure((9.0, 1.6 + 0.42 * len(bal)))
    pos = np.arange(len(bal))
    ax.scatter(bal["smd_before"], pos, s=46, facecolors="none",
               edgecolors=PALETTE["comparison"], linewidths=1.6,
               label=t("cohort.plot.before", lang), zorder=3)
    ax.scatter(bal["smd_after"], pos, s=46, color=PALETTE["treated"],
               label=t("cohort.plot.after", lang, adjustment=_adjustment(res, lang)), zorder=4)
    for y, (b, a) in enumerate(zip(bal["smd_before"], bal["smd_after"], strict=True)):
        ax.plot([b, a], [y, y], color="#bbbbbb", lw=1, zorder=2)
    ax.axvline(0, color="#333333", lw=1)
    for x in (-limit, limit):
        ax.axvline(x, color="#b35900", lw=1, ls="--",
                   label=t("cohort.plot.limit", lang) if x > 0 else None)
    ax.set_yticks(pos)
    ax.set_yticklabels(bal["covariate"])
    ax.set_title(t("cohort.plot.love.title", lang, adjustment=_adjustment(res, lang)),
                 fontsize=13, loc="left")
    ax.set_xlabel(t("cohort.plot.love.x", lang))
    ax.set_ylabel(t("cohort.plot.love.y", lang))
    _legend_below(ax, 3)
    return fig


def plot_overlap(res: EvaluationResult, *, lang: Lang = "en") -> Figure:
    """Distribution of the propensity score in the cohort, the pool and the adjusted pool."""
    s = res.series
    treated = s[s["group"] == "treated"]
    pool = s[s["group"] == "comparison"]
    used = pool[pool["weight"] > 0]
    top = float(s["propensity"].quantile(0.995)) if len(s) else 1.0
    right = min(1.0, math.ceil(top * 10 + 0.5) / 10)
    bins = np.linspace(0, right, 31)  # scores beyond `right` (0.5 %) fall in the last bin
    fig, ax = _figure((9.0, 4.8))
    groups = [(treated["propensity"], np.ones(len(treated)), PALETTE["treated"], "-",
               t("cohort.plot.treated", lang)),
              (pool["propensity"], np.ones(len(pool)), PALETTE["comparison"], ":",
               t("cohort.plot.pool", lang)),
              (used["propensity"], used["weight"].to_numpy(), PALETTE["counterfactual"], "--",
               t("cohort.plot.adjusted", lang, adjustment=_adjustment(res, lang)))]
    for values, weights, color, style, label in groups:
        ax.hist(np.minimum(values, right), bins=bins, weights=100 * weights / weights.sum(),
                histtype="step", lw=2, color=color, ls=style, label=label)
    ax.set_xlim(0, right)
    ax.set_title(t("cohort.plot.overlap.title", lang), fontsize=13, loc="left")
    ax.set_xlabel(t("cohort.plot.overlap.x", lang))
    ax.set_ylabel(t("cohort.plot.overlap.y", lang))
    _legend_below(ax, 3)
    return fig
