"""Report sections of the synthetic-control template (one treated area).

Reads a :func:`evalkit.designs.synth.synth` result; never recomputes it.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.designs.synth import donor_weights
from evalkit.i18n import Lang, format_significant, outcome_name, t
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.html import Html, join, table, tag
from evalkit.report.narrative import _render, section, title_block
from evalkit.report.plots import PALETTE, _period_axis, literal_text
from evalkit.results import EvaluationResult

__all__ = ["checks_section", "design_section", "header", "headline", "methods_section",
           "plot_synth", "weights_section"]

#: Placebos whose pre-period MSPE exceeds this multiple of the treated unit's are left out of
#: the gap figure (Abadie, Diamond & Hainmueller 2010, Figures 5-7 use 20, 5 and 2): a
#: placebo the donors cannot reproduce before the start says nothing about the gaps after.
#: The p-value uses every placebo (the RMSPE ratio already scales by the pre-period fit).
TRIM_MSPE = 5


def _name(res: EvaluationResult, lang: str, label: str | None) -> str:
    return outcome_name(str(res.spec.get("outcome") or ""), lang, label)


def header(res: EvaluationResult, *, lang: Lang, title: str = "", partnership: str = "",
           outcome_label: str | None = None) -> Html:
    """Title and the who / where / when summary."""
    s, spec = res.sample, res.spec
    treated = spec.get("treated_unit")
    rows = [("report.who", partnership),
            ("disp.response", ", ".join(treated) if isinstance(treated, list | tuple)
             else str(treated)),
            ("report.when", str(spec.get("intervention") or "")),
            ("report.what", _name(res, lang, outcome_label)),
            ("report.period", f"{s.get('first_period')} – {s.get('last_period')}")]
    title = title or t("synth.title", lang, outcome=_name(res, lang, outcome_label))
    return title_block(title, rows, lang=lang)


def headline(res: EvaluationResult, *, lang: Lang, outcome_label: str | None = None) -> Html:
    """The average post-period gap in words, with the permutation p-value.

    The interval sentence appears only with a finite interval; with too few placebos (an
    unbounded interval) or with no constant effect compatible with the placebos (an empty
    one) the headline says that instead.
    """
    row = res.effect("att")
    alpha = float(res.spec.get("alpha", 0.05))
    level = round(100 * (1 - alpha))
    freq = str(res.spec.get("freq") or "M")
    noun = outcome_name(str(res.spec.get("outcome") or ""), lang, outcome_label, noun=True)
    n = int(res.sample.get("n_placebos") or 0)
    bounds = np.asarray([row["ci_low"], row["ci_high"]], dtype=float)
    if np.isfinite(bounds).all():
        key = "synth.headline"
        # the interval inverts the permutation test, which rejects at p <= alpha
        clear = not bounds[0] <= 0 <= bounds[1]
        note = t(f"report.uncertainty.{'clear' if clear else 'unclear'}", lang, level=level)
    elif np.isinf(bounds).any():
        key = "synth.headline.noci"
        note = t("synth.uncertainty.few", lang, n=n,
                 p_min=format_significant(1 / (n + 1), lang))
    else:
        key, note = "synth.headline.empty", ""
    sentence = t(key, lang, noun=noun, freq_name=t(f"freq.{freq}", lang),
                 est=format_significant(row["estimate"], lang), level=level,
                 lo=format_significant(row["ci_low"], lang),
                 hi=format_significant(row["ci_high"], lang),
                 p=format_significant(row["p_value"], lang), n=n)
    n_caveats = len(res.warnings)
    pointer = tag("p", t("report.headline.caveats", lang, n=n_caveats)) if n_caveats else ""
    return tag("div", tag("span", t("report.headline.label", lang), cls="label"), sentence,
               " ", note, pointer, cls="evalkit-headline")


def design_section(*, lang: Lang) -> Html:
    """What a synthetic control is and when it can be trusted."""
    return join([section("report.design", lang), tag("p", t("synth.design", lang)),
                 tag("p", t("synth.design.weakness", lang))])


def plot_synth(res: EvaluationResult, *, lang: Lang = "en", outcome_label: str | None = None,
               rule: DisclosureRule = DEFAULT_RULE) -> Figure:
    """Observed vs synthetic series (top) and the treated gap among placebo gaps (bottom).

    Periods whose observed count ``rule`` hides leave a gap in the observed line and in the
    treated gap (the gap plus the synthetic value would give the count back).
    """
    import matplotlib.pyplot as plt

    s = res.series
    name = _name(res, lang, outcome_label)
    labels = s["time"].astype(str).tolist()
    pos = np.arange(len(labels))
    literal_text()
    fig, axes = plt.subplots(2, 1, figsize=(9.0, 8.0), layout="constrained", sharex=True)
    first = int(np.argmax(s["post"].to_numpy())) if s["post"].any() else len(pos)
    top, bottom = axes
    outcome = str(res.spec.get("outcome") or "")
    hidden = rule.hides_series(s["observed"].to_numpy(float), outcome)
    observed = np.where(hidden, np.nan, s["observed"].to_numpy(float))
    gap = np.where(hidden, np.nan, s["gap"].to_numpy(float))
    top.plot(pos, observed, color=PALETTE["observed"], lw=1.6,
             label=t("synth.plot.observed", lang))
    top.plot(pos, s["counterfactual"], color=PALETTE["counterfactual"], lw=2, ls="--",
             label=t("synth.plot.synthetic", lang))
    placebos = res.diagnostic("placebo_space").table
    placebos = placebos[~placebos["treated"]]
    limit = TRIM_MSPE * float(res.extras.pre_rmspe) ** 2
    poor = placebos.groupby("unit", sort=False)["pre_rmspe"].first() ** 2 > limit
    for _, part in placebos[~placebos["unit"].isin(poor.index[poor])].groupby("unit"):
        bottom.plot(np.arange(len(part)), part["gap"], color="#bdbdbd", lw=0.8)
    bottom.plot([], [], color="#bdbdbd", lw=0.8, label=t("synth.plot.placebo", lang))
    bottom.plot(pos, gap, color=PALETTE["treated"], lw=2,
                label=t("synth.plot.gap", lang))
    bottom.axhline(0, color="#333333", lw=1)
    for ax in axes:
        ax.axvline(first - 0.5, color="#555555", lw=1.2, ls=":",
                   label=t("plot.its.intervention", lang, period=res.spec["intervention"])
                   if ax is top else None)
    top.set_title(t("synth.plot.title", lang, outcome=name), fontsize=13, loc="left")
    top.set_ylabel(t("synth.plot.y", lang, outcome=name,
                     freq_name=t(f"freq.{res.spec.get('freq', 'M')}", lang)))
    bottom.set_title(t("synth.plot.gap_title", lang), fontsize=12, loc="left")
    notes = []
    if poor.any():
        treated = res.spec.get("treated_unit")
        area = str(treated) if not isinstance(treated, list | tuple) else \
            t("synth.plot.treated_areas", lang)
        notes.append(t("synth.plot.trimmed", lang, n=int(poor.sum()), total=len(poor),
                       times=TRIM_MSPE, area=area))
    if hidden.any() and rule.withholds(outcome):
        notes.append(t("disc.sensitive_figure", lang, outcome=name))
    elif hidden.any():
        notes.append(t("disc.gaps", lang, n=int(hidden.sum()), label=rule.label))
    bottom.set_ylabel(t("synth.plot.gap_y", lang))
    bottom.set_xlabel(t("plot.its.x", lang, freq_name=t(f"freq.{res.spec.get('freq', 'M')}",
                                                        lang)))
    _period_axis(bottom, labels)
    top.legend(loc="best", fontsize=9, frameon=True)
    bottom.legend(*bottom.get_legend_handles_labels(), loc="upper center", ncol=2,
                  bbox_to_anchor=(0.5, -0.2), fontsize=9, frameon=False)
    if notes:  # a figure-level label, so the constrained layout keeps room for it
        fig.supxlabel("\n".join(textwrap.fill(n, 120) for n in notes), x=0.01, ha="left",
                      fontsize=8, color="#555555")
    return fig


def weights_section(res: EvaluationResult, *, lang: Lang) -> Html:
    """Donor weights above 1 % (every weight is in results.json)."""
    w = donor_weights(res)
    w = w[w > 0.01].sort_values(ascending=False)
    frame = pd.DataFrame({"unit": w.index, "weight": [format_significant(v, lang, 2)
                                                       for v in w.to_numpy()]})
    return join([tag("h3", t("synth.weights", lang)),
                 table(frame, headers=[t("ind.col.area", lang), t("synth.weight", lang)])])


def checks_section(res: EvaluationResult, *, lang: Lang,
                   rule: DisclosureRule = DEFAULT_RULE) -> Html:
    """The synthetic control's checks in plain words, then the caveats.

    The placebo-in-space test is the effect's own test, not a check that passes or fails:
    its status says whether the area's gap stands out from the placebos (p below alpha),
    does not, or cannot be judged with so few placebos.
    """
    alpha = float(res.spec.get("alpha", 0.05))
    items = []
    for d in res.diagnostics:
        if d.name == "placebo_space":
            n = int(res.sample.get("n_placebos") or 0)
            text = t("synth.check.placebo_space", lang, statistic=d.statistic,
                     p=format_significant(d.p_value, lang), n=n)
            status = ("synth.check.few" if not d.passed else "synth.check.stands_out"
                      if d.p_value <= alpha else "synth.check.not_out")
            ok = d.passed
        else:
            text = t(f"report.diag.{d.name}", lang, statistic=d.statistic)
            status = f"report.diag.{'passed' if d.passed else 'failed'}"
            ok = d.passed
        mark = "⚠ " if not ok else "• " if d.name == "placebo_space" else "✔ "
        items.append(tag("li", tag("span", mark,
                                   cls="evalkit-ok" if ok else "evalkit-warn"),
                         text, " ", tag("em", f"({t(status, lang)})")))
    caveats = list(dict.fromkeys(_render(w, lang, rule) for w in res.warnings))
    return join([section("report.diagnostics", lang),
                 tag("ul", *items) if items else tag("p", t("report.diag.none", lang)),
                 tag("h3", t("report.caveats", lang)),
                 tag("ul", *(tag("li", c) for c in caveats)) if caveats
                 else tag("p", t("report.caveats.none", lang))])


def methods_section(res: EvaluationResult, *, lang: Lang) -> Html:
    """Estimator, inference and references."""
    return join([section("report.methods", lang),
                 tag("p", t("synth.methods", lang, n=res.sample.get("n_placebos", ""))),
                 tag("p", t("synth.ref", lang))])
