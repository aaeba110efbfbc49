"""Report sections of the ``evaluation`` template: the designs side by side, their agreement,
the forest plot and the strength of evidence (Maryland SMS, EMMIE).

Everything here reads a :class:`~evalkit.designs.triangulate.Triangulation` (and the
:class:`~evalkit.designs.evaluation.DesignRun` it came from) and never recomputes an estimate.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.designs.evaluation import describe
from evalkit.designs.registry import get
from evalkit.i18n import (
    Caveat,
    Lang,
    format_interval,
    format_money,
    format_number,
    format_p,
    format_percent,
    format_significant,
    outcome_name,
    round_percent,
    t,
)
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.displacement import plot_displacement
from evalkit.report.html import Html, join, table, tag
from evalkit.report.narrative import (
    _same_precision,
    check_item,
    methods_section,
    section,
    title_block,
)
from evalkit.report.narrative import diagnostics_section as _diagnostics
from evalkit.report.notebook import figure
from evalkit.report.plots import _figure, plot_event_study, plot_its
from evalkit.report.synth import plot_synth
from evalkit.results import EvaluationResult

__all__ = ["comparison_section", "designs_section", "diagnostics_section", "evidence_section",
           "figures_section", "header", "headline", "methods_appendix", "plot_forest",
           "verdict_text"]


def _name(design: str, lang: str) -> str:
    """The name of the design whose method is ``design``, in ``lang``."""
    return t(get(design).label, lang)


def _pct(value: float, lang: str) -> str:
    if not math.isfinite(value):
        return "–"
    return ("+" if value > 0 else "") + format_percent(round_percent(value), lang)


def header(run: Any, *, lang: Lang, outcome: str, title: str = "", partnership: str = "",
           outcome_label: str | None = None) -> Html:
    """Title and the who / where / when / what table (with the areas left out)."""
    name = outcome_name(outcome, lang, outcome_label)
    starts = sorted(set(run.treated.values()))
    rows = [("report.who", partnership), ("report.where", ", ".join(run.treated)),
            ("eval.always_treated_areas", ", ".join(run.always_treated)),
            ("report.when", ", ".join(starts)), ("report.what", name),
            ("eval.comparison_areas", t("eval.n_areas.one" if len(run.comparison) == 1
                                        else "eval.n_areas", lang, n=len(run.comparison))),
            ("eval.buffer_areas", ", ".join(run.buffer))]
    return title_block(title or t("eval.title", lang, outcome=name), rows, lang=lang)


def _p_text(p: float, lang: str) -> str:
    """``p = 0.031`` or ``p < 0.001``."""
    text = format_p(p, lang)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _interval(row: Any, lang: str) -> dict[str, str]:
    return {"est": _pct(row["estimate"], lang), "lo": _pct(row["ci_low"], lang),
            "hi": _pct(row["ci_high"], lang)}


def verdict_text(tri: Any, *, lang: Lang, outcome: str, outcome_label: str | None = None
                 ) -> str:
    """What the strong designs find (the verdict), then how the others compare with the best
    one, then the ITS as a context line: the effect part of the headline and of EMMIE."""
    name = outcome_name(outcome, lang, outcome_label, noun=True)
    level = round(100 * (1 - tri.alpha))
    parts = []
    if tri.direction == "none" and getattr(tri, "held", None):
        parts.append(t("eval.verdict.lowered", lang, design=_name(tri.held, lang),
                       outcome=name, level=level, **_interval(tri.row(tri.held), lang)))
    elif tri.direction == "none":
        parts.append(t("eval.verdict.none", lang))
    elif tri.direction == "contested":
        a, b = (tri.row(d) for d in tri.apart)
        parts.append(t("eval.verdict.contested", lang, a=_name(tri.apart[0], lang),
                       b=_name(tri.apart[1], lang), a_est=_pct(a["estimate"], lang),
                       b_est=_pct(b["estimate"], lang), p=_p_text(tri.agreement_p, lang)))
    else:
        best = tri.row(tri.strongest)
        parts.append(t(f"eval.verdict.{tri.direction}", lang, design=_name(tri.strongest, lang),
                       outcome=name, level=level, **_interval(best, lang)))
        others = tri.strong_effects[tri.strong_effects["design"] != tri.strongest]
        for _, r in others.iterrows():
            if math.isfinite(r["difference_p"]):
                parts.append(t("eval.agree.same", lang, design=_name(r["design"], lang),
                               level=level, p=_p_text(r["difference_p"], lang),
                               **_interval(r, lang)))
            else:
                parts.append(t("eval.agree.untested", lang, design=_name(r["design"], lang),
                               est=_pct(r["estimate"], lang)))
        if others.empty:
            parts.append(t("eval.agree.single", lang))
    if tri.context is not None:
        parts.append(t("eval.context", lang, level=level, **_interval(tri.row(tri.context),
                                                                      lang)))
    return " ".join(parts)


def headline(tri: Any, *, lang: Lang, outcome: str, outcome_label: str | None = None) -> Html:
    """The verdict, the named confounds, the evidence grade and the buffers', in a box."""
    parts = [verdict_text(tri, lang=lang, outcome=outcome, outcome_label=outcome_label)]
    parts += [describe(c, lang) for c in tri.concerns]
    if tri.sms_level is not None:
        parts.append(t("eval.headline.grade", lang, level=tri.sms_level,
                       meaning=t(f"eval.sms.{tri.sms_level}", lang)))
    else:
        parts.append(t("eval.headline.nograde", lang))
    for role in ("displacement", "insecurity"):
        rows = tri.table[tri.table["role"] == role]
        if not rows.empty:
            parts.append(_other_sentence(rows.iloc[0], lang, round(100 * (1 - tri.alpha))))
    body = " ".join(p for p in parts if p)
    return tag("div", tag("span", t("eval.headline.label", lang), cls="label"), body,
               cls="evalkit-headline")


def _other_sentence(row: Any, lang: str, level: int) -> str:
    clear = not row["ci_low"] <= 0 <= row["ci_high"]
    if row["role"] == "displacement":
        # a test that cannot detect a plausible displacement says so, not "no displacement"
        key = ("cannot_tell" if row.get("concern") == "eval_wdd_cannot_tell" else
               "unclear" if not clear else
               "displacement" if row["estimate"] > 0 else "diffusion")
        est, lo, hi = _same_precision([abs(row["estimate"]), row["ci_low"], row["ci_high"]],
                                      lang)
        return t(f"eval.buffer.{key}", lang, n=est.lstrip("+"), lo=lo, hi=hi, level=level)
    return t(f"eval.survey.{'clear' if clear else 'unclear'}", lang,
             est=format_number(round(row["estimate"], 1), lang, "+g"),
             lo=format_number(round(row["ci_low"], 1), lang, "+g"),
             hi=format_number(round(row["ci_high"], 1), lang, "+g"), level=level)


def designs_section(run: Any, *, lang: Lang, results: Any = None) -> Html:
    """Which designs were run (``results``, default ``run.results``), which not, and why."""
    # a design that only lends its check to another (the event study) is not listed
    items = [tag("li", _name(r.method, lang)) for r in (results or run.results)
             if get(r.method).role != "pre_trend"]
    notes = [tag("li", _reason(n, lang)) for n in run.notes]
    parts = [section("eval.designs", lang), tag("p", t("eval.designs.intro", lang)),
             tag("ul", *items)]
    if notes:
        parts.append(tag("ul", *notes, cls="evalkit-notes"))
    return join(parts)


#: how the evaluation draws each kind of figure a registry entry names (the DiD's trends are
#: not drawn: its event study shows the periods before the start)
_FIGURES: dict[str, Callable[..., Figure]] = {
    "its": lambda res, *, window, **kw: plot_its(res, **kw),
    "event_study": lambda res, *, window, rule, **kw: plot_event_study(
        res, window=(-window, 2 * window), **kw),
    "synth": lambda res, *, window, **kw: plot_synth(res, **kw),
    "displacement": lambda res, *, window, **kw: plot_displacement(res, **kw),
}


def figures_section(results: Sequence[EvaluationResult], *, lang: Lang,
                    outcome_label: str | None = None, rule: DisclosureRule = DEFAULT_RULE,
                    window: int = 12) -> Html:
    """Each design's figure (its registry entry's), in the results' order; the event
    studies show ``window`` periods before the start and twice as many after."""
    parts = [section("eval.figures", lang)]
    for res in results:
        draw = _FIGURES.get(get(res.method).figure or "")
        if draw is not None:
            parts.append(figure(draw(res, lang=lang, outcome_label=outcome_label, rule=rule,
                                     window=window)))
    return join(parts)


def methods_appendix(results: Sequence[EvaluationResult], *, lang: Lang) -> Html:
    """The first design's methods, then those of every other design whose registry entry
    has a methods heading."""
    parts = [methods_section(results[0], lang=lang)]
    for res in results[1:]:
        heading = get(res.method).methods_heading
        if heading is not None:
            parts.append(methods_section(res, lang=lang, heading=heading))
    return join(parts)


def diagnostics_section(run: Any, results: Sequence[EvaluationResult], *, lang: Lang,
                        rule: DisclosureRule = DEFAULT_RULE) -> Html:
    """Every design's checks and caveats, each line starting with the design's name (several
    designs run the same check); a cohort of few areas is named by its areas."""
    def label(res: EvaluationResult) -> str:
        name = _name(res.method, lang)
        return t("eval.diag.design", lang, design=name[:1].upper() + name[1:])

    named = [dataclasses.replace(r, warnings=tuple(_for_evaluation(w, run.treated)
                                                   for w in r.warnings))
             for r in results]  # a rebuilt result emits nothing: design functions warn
    checks = [check_item(d.passed, t("eval.diag.design", lang, design=t("eval.diag.data", lang)),
                         describe(d.message, lang)) for d in getattr(run, "checks", ())
              if isinstance(d.message, Caveat)]
    out = _diagnostics(named, lang=lang, label=label, rule=rule)
    return join([out, tag("ul", *checks)]) if checks else out


#: the designs' caveats whose advice names estimator options the evaluation sets itself
_ADVICE = {"autocorrelation_counts": "eval_autocorrelation",
           "overdispersion": "eval_overdispersion"}


def _for_evaluation(caveat: Any, treated: dict[str, str]) -> Any:
    """A design's caveat as the evaluation says it: advice in the evaluation's parameters,
    and the small-cohort caveat with the cohort's areas named."""
    code = getattr(caveat, "code", None)
    if code in _ADVICE:
        return Caveat(_ADVICE[code], **caveat.values)
    if code != "cs_small_cohort":
        return caveat
    areas = sorted(a for a, start in treated.items() if start == str(caveat.values["cohort"]))
    if not areas:  # the cohort label does not read as a start: keep the design's own text
        return caveat
    return Caveat("eval_small_cohort" + ("_one" if len(areas) == 1 else ""),
                  cohort=caveat.values["cohort"], n=len(areas), areas=", ".join(areas))


def comparison_section(tri: Any, *, lang: Lang) -> Html:
    """The designs side by side: estimate, interval, p-value, SMS level and credibility."""
    level = round(100 * (1 - tri.alpha))
    rows = []
    for _, r in tri.table.iterrows():
        if r["unit"] == "percent":
            est, lo, hi = (_pct(v, lang) for v in (r["estimate"], r["ci_low"], r["ci_high"]))
            if not (math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])):
                lo = hi = "–"
        else:
            est, lo, hi = _same_precision([r["estimate"], r["ci_low"], r["ci_high"]], lang)
        unit = t(f"eval.unit.{r['unit']}", lang)
        interval = format_interval(lo, hi, lang) if lo != "–" else t("eval.no_interval", lang)
        status = t("eval.credible.no", lang, why=t(f"eval.concern.{r['concern']}", lang)) \
            if not r["credible"] else t("eval.credible.best" if r["design"] == tri.strongest
                                        else "eval.credible.context" if r["design"] == tri.context
                                        else "eval.credible.yes", lang)
        rows.append([_name(r["design"], lang), unit, f"{est} ({interval})",
                     format_p(r["p_value"], lang), str(int(r["sms_level"])), status])
    variants = tri.sensitivity if tri.sensitivity is not None else pd.DataFrame()
    for _, r in variants.iterrows():
        est, lo, hi = (_pct(v, lang) for v in (r["estimate"], r["ci_low"], r["ci_high"]))
        rows.append([t(f"eval.variant.{r['variant']}", lang, design=_name(r["design"], lang)),
                     t("eval.unit.percent", lang), f"{est} ({format_interval(lo, hi, lang)})",
                     "", "", t("eval.credible.sensitivity", lang)])
    headers = [t("eval.table.design", lang), t("eval.table.measure", lang),
               t("report.table.change", lang, level=level), t("report.table.p", lang),
               t("eval.table.sms", lang), t("eval.table.credible", lang)]
    return join([section("eval.comparison", lang), tag("p", t("eval.comparison.intro", lang)),
                 table(pd.DataFrame(rows), headers=headers),
                 tag("p", t("eval.comparison.overlap", lang), cls="evalkit-note")])


def plot_forest(tri: Any, *, lang: Lang = "en", outcome: str = "",
                outcome_label: str | None = None) -> Figure:
    """One line per crime-effect design: the % change with its interval.

    Credible designs are drawn filled, the others hollow and grey. The axis fits the estimates
    and the intervals bounded on both sides; an interval that goes further (or has no bound)
    runs to the edge and ends in an arrow.
    """
    rows = tri.table[tri.table["role"] == "effect"].iloc[::-1]
    fig, ax = _figure((9.0, 1.2 + 0.75 * max(len(rows), 2)))
    # the axis fits the estimates and the intervals that are bounded on both sides; an
    # open-ended interval runs to the edge with an arrow
    lows, highs = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    closed = np.isfinite(lows) & np.isfinite(highs)
    values = np.concatenate([rows["estimate"].to_numpy(float), lows[closed], highs[closed]])
    values = values[np.isfinite(values)]
    span = max(20.0, float(np.abs(values).max()) * 1.15) if values.size else 50.0
    left, right = max(-100.0, -span), span
    ax.axvline(0, color="#444444", lw=1)
    for y, (_, r) in enumerate(rows.iterrows()):
        color = "#2c7fb8" if r["credible"] else "#999999"
        lo = min(max(r["ci_low"], left), right) if not math.isnan(r["ci_low"]) else left
        hi = max(min(r["ci_high"], right), left) if not math.isnan(r["ci_high"]) else right
        ax.plot([lo, hi], [y, y], color=color, lw=2.2, solid_capstyle="butt")
        for end, beyond, marker in ((lo, not r["ci_low"] >= left, "<"),
                                    (hi, not r["ci_high"] <= right, ">")):
            if beyond:  # the interval goes on past the axis
                ax.plot([end], [y], marker=marker, color=color, ms=8)
        ax.plot([r["estimate"]], [y], "o", ms=9, color=color,
                markerfacecolor=color if r["credible"] else "white", markeredgewidth=2)
    labels = [_name(d, lang) + ("" if c else " *") + f"  [SMS {int(s)}]"
              for d, c, s in zip(rows["design"], rows["credible"], rows["sms_level"],
                                 strict=True)]
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(left, right)
    name = outcome_name(outcome, lang, outcome_label)
    ax.set_title(t("eval.forest.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("eval.forest.x", lang, outcome=name, level=round(100 * (1 - tri.alpha))))
    ax.grid(axis="y", visible=False)
    if not rows["credible"].all():
        ax.plot([], [], "o", ms=8, color="#999999", markerfacecolor="white",
                markeredgewidth=2, label=t("eval.forest.not_credible", lang))
    if ax.get_legend_handles_labels()[0]:
        fig.legend(loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    return fig


def evidence_section(tri: Any, *, lang: Lang, outcome: str, outcome_label: str | None = None,
                     mechanism: str = "", moderators: str = "", implementation: str = "",
                     currency: str = "€") -> Html:
    """Maryland SMS level with its meaning, and the EMMIE summary."""
    parts = [section("eval.evidence", lang)]
    if tri.sms_level is None:
        parts.append(tag("p", t("eval.headline.nograde", lang)))
    else:
        parts.append(tag("p", t("eval.sms.text", lang, level=tri.sms_level,
                                design=_name(tri.strongest or tri.context, lang),
                                meaning=t(f"eval.sms.{tri.sms_level}", lang))))
    parts.append(tag("p", t("eval.sms.scale", lang), cls="evalkit-note"))
    notes = (*tri.concerns, *tri.reasons)
    parts += [tag("ul", *(tag("li", _reason(r, lang)) for r in notes))] if notes else []
    name = outcome_name(outcome, lang, outcome_label, noun=True)
    effect = verdict_text(tri, lang=lang, outcome=outcome, outcome_label=outcome_label)
    missing = t("eval.emmie.missing", lang)
    rows = [[t("eval.emmie.effect", lang), effect],
            [t("eval.emmie.mechanism", lang), mechanism or missing],
            [t("eval.emmie.moderators", lang), moderators or missing],
            [t("eval.emmie.implementation", lang), implementation or missing],
            [t("eval.emmie.economics", lang), _economics(tri, lang, name, currency)]]
    parts += [tag("h3", t("eval.emmie", lang)), tag("p", t("eval.emmie.intro", lang)),
              table(pd.DataFrame(rows), headers=[t("eval.emmie.part", lang),
                                                  t("eval.emmie.finding", lang)])]
    return join(parts)


def _reason(reason: Any, lang: str) -> str:
    """A triangulation caveat with the design's name in ``lang``, capitalised."""
    return describe(reason, lang)


def _economics(tri: Any, lang: str, noun: str, currency: str) -> str:
    if tri.cost is None:
        return t("eval.emmie.no_cost", lang)
    if tri.strongest is None or tri.cost_per_crime is None:
        return t("eval.emmie.no_effect", lang, cost=format_money(tri.cost, lang, currency))
    best = tri.row(tri.strongest)
    if not math.isfinite(best["prevented"]):
        return t("eval.emmie.unknown", lang, cost=format_money(tri.cost, lang, currency))
    est, lo, hi = tri.cost_per_crime
    common = dict(cost=format_money(tri.cost, lang, currency), design=_name(tri.strongest, lang),
                  noun=noun, prevented=format_significant(best["prevented"], lang),
                  p_lo=format_significant(best["prevented_low"], lang),
                  p_hi=format_significant(best["prevented_high"], lang),
                  level=round(100 * (1 - tri.alpha)))
    if best["prevented"] < 0:  # more crimes, not "−18,199 crimes prevented"
        more_lo, more_hi = -best["prevented_high"], -best["prevented_low"]
        return t("eval.emmie.more" if more_lo > 0 else "eval.emmie.more_unclear", lang,
                 **{**common, "more": format_significant(-best["prevented"], lang),
                    "m_lo": format_significant(abs(more_lo), lang),
                    "m_hi": format_significant(more_hi, lang)})
    if not math.isfinite(est):
        return t("eval.emmie.none_prevented", lang, **common)
    key = "eval.emmie.cost" if math.isfinite(hi) else "eval.emmie.cost_unbounded"
    return t(key, lang, per=format_money(est, lang, currency), lo=format_money(lo, lang, currency),
             hi=format_money(hi, lang, currency), **common)
