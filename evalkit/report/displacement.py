"""Report sections of the displacement template: did crime move next door?

Reads the results of :func:`evalkit.wdq` and :func:`evalkit.wdd` computed on the same
areas and windows; never recomputes them.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from evalkit.i18n import (
    Caveat,
    Lang,
    format_interval,
    format_p,
    format_percent,
    format_significant,
    outcome_name,
    t,
)
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.html import Html, join, table, tag
from evalkit.report.narrative import section, title_block
from evalkit.report.plots import _figure, _legend_below
from evalkit.results import EvaluationResult

__all__ = ["design_section", "effects_section", "header", "headline", "methods_section",
           "plot_displacement"]

_ROLES = ("response", "buffer", "control", "buffer_control")


def _name(res: EvaluationResult, lang: str, label: str | None) -> str:
    return outcome_name(str(res.spec.get("outcome") or ""), lang, label)


def header(wdd_res: EvaluationResult, *, lang: Lang, title: str = "", partnership: str = "",
           outcome_label: str | None = None) -> Html:
    """Title and the who / where / when summary."""
    s, spec = wdd_res.sample, wdd_res.spec
    rows = [("report.who", partnership),
            ("disp.response", ", ".join(spec.get("response") or [])),
            ("disp.buffer", ", ".join(spec.get("buffer") or [])),
            ("report.when", str(spec.get("intervention") or "")),
            ("report.what", _name(wdd_res, lang, outcome_label)),
            ("report.period", f"{s.get('first_period')} – {s.get('last_period')}")]
    title = title or t("disp.title", lang, outcome=_name(wdd_res, lang, outcome_label))
    return title_block(title, rows, lang=lang)


def _crimes(value: float, lang: str) -> str:
    text = format_significant(abs(value), lang)
    return ("−" if value < 0 else "+") + text if value else "0"


def headline(wdd_res: EvaluationResult, wdq_res: EvaluationResult, *, lang: Lang,
             outcome_label: str | None = None) -> Html:
    """Local effect, displacement and net effect in words, with the WDQ's reading."""
    noun = outcome_name(str(wdd_res.spec.get("outcome") or ""), lang, outcome_label, noun=True)
    level = round(100 * (1 - float(wdd_res.spec.get("alpha", 0.05))))
    parts_table = wdd_res.diagnostic("displacement").table.set_index("part")
    sentences = [t("disp.headline", lang, noun=noun, level=level,
                   local=_crimes(parts_table.loc["local", "estimate"], lang),
                   local_lo=_crimes(parts_table.loc["local", "ci_low"], lang),
                   local_hi=_crimes(parts_table.loc["local", "ci_high"], lang),
                   disp=_crimes(parts_table.loc["displacement", "estimate"], lang),
                   disp_lo=_crimes(parts_table.loc["displacement", "ci_low"], lang),
                   disp_hi=_crimes(parts_table.loc["displacement", "ci_high"], lang),
                   total=_crimes(parts_table.loc["total", "estimate"], lang),
                   total_lo=_crimes(parts_table.loc["total", "ci_low"], lang),
                   total_hi=_crimes(parts_table.loc["total", "ci_high"], lang))]
    clear = not parts_table.loc["total", "ci_low"] <= 0 <= parts_table.loc["total", "ci_high"]
    sentences.append(t(f"report.uncertainty.{'clear' if clear else 'unclear'}", lang,
                       level=level))
    extras = wdd_res.extras
    if getattr(extras, "cannot_tell_reason", None) == "few_placebos":
        sentences.append(t("disp.cannot_tell_few", lang))
    elif getattr(extras, "cannot_tell", False):
        sentences.append(t("disp.cannot_tell", lang, power_pct=round(100 * extras.power),
                           mde=format_significant(100 * extras.mde_buffer, lang, 2)))
    interpretation = wdq_res.extras.wdq_interpretation or wdq_res.extras.wdq_reason
    if interpretation:
        sentences.append(interpretation.render(lang) if isinstance(interpretation, Caveat)
                         else str(interpretation))
    return tag("div", tag("span", t("report.headline.label", lang), cls="label"),
               " ".join(sentences), cls="evalkit-headline")


def design_section(*, lang: Lang) -> Html:
    """What the WDQ and the WDD measure, and why both are shown."""
    return join([section("report.design", lang), tag("p", t("disp.design", lang)),
                 tag("p", t("disp.design.weakness", lang))])


def plot_displacement(wdd_res: EvaluationResult, *, lang: Lang = "en",
                      outcome_label: str | None = None, rule: DisclosureRule = DEFAULT_RULE
                      ) -> Figure:
    """Counts before and after the start in each area role, side by side.

    A count ``rule`` hides is drawn as an empty bar labelled "<5", and its change is not
    printed; a sensitive offence below district level is not drawn at all (a note says so).
    """
    s = wdd_res.sample
    roles = [r for r in _ROLES if f"{r}_before" in s]
    fig, ax = _figure((9.0, 4.6))
    x = range(len(roles))
    before = [s[f"{r}_before"] for r in roles]
    after = [s[f"{r}_after"] for r in roles]
    outcome = str(wdd_res.spec.get("outcome") or "")
    hide_b, hide_a = rule.hides_series(before, outcome), rule.hides_series(after, outcome)
    for i in range(len(roles)):
        for dx, hide in ((-0.19, hide_b[i]), (0.19, hide_a[i])):
            if hide and not rule.withholds(outcome):
                ax.annotate(rule.label, (i + dx, 0), ha="center", va="bottom", fontsize=9)
    before = [0 if h else v for v, h in zip(before, hide_b, strict=True)]
    after = [0 if h else v for v, h in zip(after, hide_a, strict=True)]
    width = 0.38
    ax.bar([i - width / 2 for i in x], before, width, color="#969696",
           label=t("disp.plot.before", lang, n=s.get("n_periods_before", "")))
    ax.bar([i + width / 2 for i in x], after, width, color="#2c7fb8",
           label=t("disp.plot.after", lang, n=s.get("n_periods_after", "")))
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        if hide_b[i] or hide_a[i]:
            continue
        change = (a - b) / b * 100 if b else math.nan
        ax.annotate(format_percent(change, lang, "+.0f"),
                    (i + width / 2, a), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(list(x))
    ax.set_xticklabels([t(f"disp.{r}", lang) for r in roles])
    name = _name(wdd_res, lang, outcome_label)
    ax.set_title(t("disp.plot.title", lang, outcome=name), fontsize=13, loc="left")
    ax.set_xlabel(t("disp.plot.x", lang))
    ax.set_ylabel(t("disp.plot.y", lang, outcome=name))
    if rule.withholds(outcome):
        fig._evalkit_note = t("disc.sensitive_figure", lang, outcome=name)
    _legend_below(ax, 2)
    return fig


def effects_section(wdd_res: EvaluationResult, wdq_res: EvaluationResult, *,
                    lang: Lang) -> Html:
    """The WDD parts with intervals, then the WDQ measures."""
    level = round(100 * (1 - float(wdd_res.spec.get("alpha", 0.05))))
    parts = wdd_res.diagnostic("displacement").table
    rows = [[t(f"disp.part.{r['part']}", lang), _crimes(r["estimate"], lang),
             format_interval(_crimes(r["ci_low"], lang), _crimes(r["ci_high"], lang), lang),
             format_p(r["p_value"], lang) if "p_value" in r else "–"]
            for _, r in parts.iterrows()]
    wdd_table = table(pd.DataFrame(rows), headers=[
        t("report.table.term", lang), t("disp.col.crimes", lang),
        t("report.table.change", lang, level=level), t("report.table.p", lang)])
    q = wdq_res.extras
    wdq = wdq_res.effect("wdq")["estimate"]
    measures = [[t("disp.measure.sm", lang), format_significant(q.success_measure, lang)],
                [t("disp.measure.bm", lang), format_significant(q.buffer_measure, lang)],
                [t("disp.measure.wdq", lang), format_significant(wdq, lang)],
                [t("disp.measure.tne", lang), format_significant(q.tne, lang)]]
    wdq_table = table(pd.DataFrame(measures), headers=[t("report.table.term", lang),
                                                         t("report.param.value", lang)])
    return join([section("report.results", lang), wdd_table, tag("h3", "WDQ"), wdq_table])


def methods_section(wdd_res: EvaluationResult | None = None, *, lang: Lang) -> Html:
    """Formulas and references; with ``wdd_res`` computed with the placebo variance, how
    that variance is fitted."""
    placebo = wdd_res is not None and wdd_res.spec.get("variance") == "placebo"
    return join([section("report.methods", lang), tag("p", t("disp.methods", lang)),
                 tag("p", t("disp.methods.placebo", lang)) if placebo else "",
                 tag("p", t("disp.ref", lang))])
