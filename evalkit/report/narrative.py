"""Report sections in plain words, in English or French, read from results.

Every function returns :class:`~evalkit.report.html.Html` built from the language catalogue
(``evalkit.i18n``); values that come from data or parameters are escaped. Presentation never
changes a number: the sections only format what the result holds.
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._version import __version__
from evalkit.designs.registry import get
from evalkit.i18n import (
    Caveat,
    Lang,
    format_interval,
    format_number,
    format_p,
    format_percent,
    format_significant,
    outcome_name,
    round_percent,
    t,
)
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.html import Html, join, table, tag
from evalkit.results import EvaluationResult

__all__ = [
    "STYLE",
    "choice_section",
    "data_section",
    "design_section",
    "diagnostics_section",
    "effects_section",
    "header",
    "headline",
    "methods_section",
    "parameters_section",
    "section",
    "title_block",
]

STYLE = Html("<style>" + (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")
             + "</style>")


# -- formatting ------------------------------------------------------------------------------
def _level(result: EvaluationResult) -> int:
    return round(100 * (1 - float(result.spec.get("alpha", 0.05))))


def _freq(result: EvaluationResult, lang: str) -> tuple[str, str]:
    f = str(result.spec.get("freq") or "M")
    return t(f"freq.{f}", lang), t(f"freqs.{f}", lang)


def _label(result: EvaluationResult, outcome_label: str | None, lang: str) -> str:
    return outcome_name(str(result.spec.get("outcome", "")), lang, outcome_label)


def section(key: str, lang: str) -> Html:
    """A section heading from the catalogue."""
    return tag("h2", t(key, lang))


def _render(message: object, lang: str, rule: DisclosureRule = DEFAULT_RULE) -> str:
    """A caveat in ``lang``, with any count ``rule`` hides said as "below 5"."""
    message = rule.caveat(message)
    return message.render(lang) if isinstance(message, Caveat) else str(message)


# -- sections --------------------------------------------------------------------------------
def header(result: EvaluationResult, *, lang: Lang, title: str = "", partnership: str = "",
           areas: str = "", outcome_label: str | None = None) -> Html:
    """Title and the who / what / when summary."""
    name = _label(result, outcome_label, lang)
    title = title or t(f"{get(result.method).text}.title", lang, outcome=name)
    first, last = result.sample.get("first_period"), result.sample.get("last_period")
    rows = [
        ("report.who", partnership),
        ("report.where", areas),
        ("report.when", result.spec.get("intervention") or ""),
        ("report.what", name),
        ("report.period", f"{first} – {last}" if first else ""),
    ]
    return title_block(title, rows, lang=lang)


def title_block(title: str, rows: Sequence[tuple[str, str]], *, lang: Lang) -> Html:
    """The report's style, its title and the who / where / when table (empty rows skipped);
    ``rows`` are (catalogue key, value) pairs."""
    items = [tag("tr", tag("th", t(k, lang)), tag("td", v)) for k, v in rows if v]
    return Html(STYLE + tag("h1", title) + tag("table", tag("tbody", *items),
                                               cls="evalkit-table evalkit-summary"))


#: concerns that say a check could not be run, not that it failed
_UNTESTED = ("eval_unchecked", "eval_no_relative")


def headline(result: EvaluationResult, *, lang: Lang, mde: Mapping[str, Caveat],
             outcome_label: str | None = None, pre_trend: EvaluationResult | None = None
             ) -> Html:
    """The main finding in one sentence with its uncertainty, in a highlighted box.

    ``mde`` holds the minimum detectable effect sentence of each term
    (:func:`evalkit.designs.power.mde_notes`); the headline term's is added when the interval
    includes no change. When the design fails its own check of its assumption (the
    registry's ``concern``: a pre-trend test, the pre-period fit...), the box says that the
    number cannot be read as the partnership's effect, whatever its interval. ``pre_trend``
    is a result lending its pre-trend test (the event study beside a two-way DiD).
    """
    name = _label(result, outcome_label, lang)
    level = _level(result)
    entry = get(result.method)
    row = result.effect(entry.term)
    if entry.text == "its":  # its sentences also say the crimes and the periods
        _, freq_plural = _freq(result, lang)
        noun = outcome_name(str(result.spec.get("outcome", "")), lang, outcome_label, noun=True)
        extra = {"n_post": result.sample.get("n_post", ""), "freq_plural": freq_plural,
                 "noun": noun,
                 "n": abs(row["estimate"]), "n_lo": abs(row["ci_high"] if row["estimate"] < 0
                                                      else row["ci_low"]),
                 "n_hi": abs(row["ci_low"] if row["estimate"] < 0 else row["ci_high"])}
    else:
        extra = {}
    ratio = row.get("relative_effect", float("nan"))
    if ratio is None or not math.isfinite(ratio):
        sentence = t("did.headline.additive", lang, outcome=name, level=level,
                     est=format_significant(row["estimate"], lang),
                     lo=format_significant(row["ci_low"], lang),
                     hi=format_significant(row["ci_high"], lang))
        clear = not row["ci_low"] <= 0 <= row["ci_high"]
    else:
        lo_r, hi_r = row["relative_ci_low"], row["relative_ci_high"]
        clear = not lo_r <= 1 <= hi_r
        if clear and ratio < 1:
            key, pct, lo, hi = "fall", (1 - ratio) * 100, (1 - hi_r) * 100, (1 - lo_r) * 100
        elif clear:
            key, pct, lo, hi = "rise", (ratio - 1) * 100, (lo_r - 1) * 100, (hi_r - 1) * 100
        else:
            key, pct, lo, hi = "unclear", (ratio - 1) * 100, (lo_r - 1) * 100, (hi_r - 1) * 100
        def sign(value: float) -> str:  # a change that may go either way carries its sign
            value = round_percent(value)
            text = format_number(value, lang, "g")
            return f"+{text}" if value > 0 else text

        bounds = ({"lo": sign(lo), "hi": sign(hi)} if key == "unclear"
                  else {"lo": round_percent(lo), "hi": round_percent(hi)})
        sentence = t(f"{entry.text}.headline.{key}", lang, outcome=name, level=level,
                     pct=round_percent(pct), signed=sign(pct), **bounds, **extra)
        sentence = sentence[0].upper() + sentence[1:]
    clear = clear and not row["p_value"] >= float(result.spec.get("alpha", 0.05))
    note = t(f"report.uncertainty.{'clear' if clear else 'unclear'}", lang, level=level)
    if not clear and row["term"] in mde:
        note += " " + mde[row["term"]].render(lang)
    lent = None if pre_trend is None else next(
        (d for d in pre_trend.diagnostics if d.name == "pre_trend"), None)
    concern = entry.concern(result, lent)
    if concern and concern not in _UNTESTED:  # a failed check outweighs any interval
        note = t("report.headline.not_credible", lang, why=t(f"eval.concern.{concern}", lang))
    n_caveats = len(_caveats([result], lang))
    pointer = tag("p", t("report.headline.caveats", lang, n=n_caveats)) if n_caveats else ""
    return tag("div", tag("span", t("report.headline.label", lang), cls="label"), sentence,
               " ", note, pointer, cls="evalkit-headline")


def data_section(result: EvaluationResult, *, lang: Lang, data_name: str = "",
                 rule: DisclosureRule = DEFAULT_RULE) -> Html:
    """Period, units, observations, rows dropped and why (notes said under ``rule``)."""
    s = result.sample
    _, freq_plural = _freq(result, lang)
    parts = [section("report.data", lang)]
    n_units = s.get("n_units") or 1
    areas = t("word.area" if n_units == 1 else "word.areas", lang)
    if s.get("first_period") and get(result.method).sections == "its":
        parts.append(tag("p", t("report.data.series", lang, n_periods=s.get("n_periods", ""),
                                freq_plural=freq_plural, first=s["first_period"],
                                last=s["last_period"], n_units=n_units, areas=areas)))
    elif s.get("first_period"):
        n_periods = s.get("n_periods") or (s.get("n_periods_before", 0)
                                           + s.get("n_periods_after", 0))
        parts.append(tag("p", t("report.data.rows", lang, n_obs=int(s["n_obs"]),
                                n_units=n_units, areas=areas,
                                n_periods=n_periods, freq_plural=freq_plural,
                                first=s["first_period"], last=s["last_period"])))
    sha = str(result.provenance.get("data_sha256", ""))[:12]
    if data_name or sha:
        parts.append(tag("p", t("report.data.file", lang, name=Path(data_name).name or "–",
                                sha=sha)))
    notes = [_render(n, lang, rule) for n in s.get("notes", ())]
    if notes:
        parts.append(tag("p", t("report.data.notes", lang)))
        parts.append(tag("ul", *(tag("li", n) for n in notes)))
    else:
        parts.append(tag("p", t("report.data.none_dropped", lang)))
    return join(parts)


def design_section(result: EvaluationResult, *, lang: Lang,
                   outcome_label: str | None = None) -> Html:
    """What the design does, why it fits this data, and its main weakness."""
    spec, s = result.spec, result.sample
    freq_name, freq_plural = _freq(result, lang)
    parts = [section("report.design", lang)]
    kind = get(result.method).sections
    if kind == "its":
        season = spec.get("seasonality", "none")
        season_name = t(f"season.{spec.get('freq', 'M')}", lang)
        seasonality = t(f"its.seasonality.{season}", lang, season_name=season_name,
                        harmonics=spec.get("harmonics") or 0)
        exposure = t("its.exposure", lang, exposure=spec["exposure"]) if spec.get(
            "exposure") else ""
        parts.append(tag("p", t("its.design", lang,
                                family_name=t(f"family.{spec['family']}", lang),
                                freq_name=freq_name, seasonality_text=seasonality,
                                exposure_text=exposure)))
        parts.append(tag("p", t("its.design.fit", lang, intervention=spec["intervention"],
                                n_pre=s.get("n_pre", ""), freq_plural=freq_plural),
                         " ", t("its.design.weakness", lang), " ",
                         t("its.design.control", lang, control=_list(spec.get("control")))
                         if spec.get("control") else t("its.design.no_control", lang)))
    elif kind == "staggered":
        parts.append(tag("p", t("staggered.design", lang,
                                outcome=_label(result, outcome_label, lang),
                                freq_name=freq_name)))
        parts.append(tag("p", t("did.design.assumption", lang)))
    else:
        model = t("did.design.poisson", lang) if spec.get("family") == "poisson" else ""
        parts.append(tag("p", t(
            "did.design", lang, outcome=_label(result, outcome_label, lang),
            n_treated=s.get("n_treated_units", ""), n_units=s.get("n_units", ""),
            n_periods=s.get("n_periods", ""), freq_plural=freq_plural, model=model)))
        parts.append(tag("p", t("did.design.assumption", lang)))
    return join(parts)


def _list(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _term_label(result: EvaluationResult, term: str, lang: str) -> str:
    freq_name, freq_plural = _freq(result, lang)
    if term.startswith(("event_time_", "att_event_")):
        return t("es.term", lang, k=int(term.rsplit("_", 1)[1]), freq_plural=freq_plural)
    if term.startswith("att_group_"):
        g = term.removeprefix("att_group_")
        members = (result.sample.get("cohort_units") or {}).get(g)
        if members is not None and len(members) == 1:  # a cohort of one area: name it
            return t("did.term.cohort_one", lang, name=str(members[0]), g=g)
        return t("did.term.cohort", lang, g=g)
    return t(f"{get(result.method).text}.term.{term}", lang, freq_name=freq_name,
             freq_plural=freq_plural, n_post=result.sample.get("n_post", ""))


def effects_section(result: EvaluationResult, *, lang: Lang, heading: str | None = "report.results",
                    terms: Sequence[str] | None = None) -> Html:
    """The effects table: each effect as a % change (rate ratios) or a difference, with CI.

    ``terms`` selects rows; by default every term, except for group-time results where the
    overall and per-cohort effects are shown (event times and ATT(g,t) are in results.json).
    """
    level = _level(result)
    effects = result.effects
    if terms is not None:
        effects = effects[effects["term"].isin(terms)]
    elif (shown := get(result.method).report_terms) is not None:
        effects = effects[effects["term"].str.match(shown)]
    rows = []
    for _, r in effects.iterrows():
        rel = r.get("relative_effect")
        if rel is not None and pd.notna(rel):
            values = [(v - 1) * 100 for v in (rel, r["relative_ci_low"], r["relative_ci_high"])]
            est, lo, hi = (x if x == "–" else format_percent(x, lang)
                           for x in _same_precision(values, lang))
        else:
            est, lo, hi = _same_precision([r["estimate"], r["ci_low"], r["ci_high"]], lang)
        change = f"{est} ({format_interval(lo, hi, lang)})"
        rows.append([_term_label(result, r["term"], lang), change, format_p(r["p_value"], lang)])
    headers = [t("report.table.term", lang), t("report.table.change", lang, level=level),
               t("report.table.p", lang)]
    body = table(pd.DataFrame(rows), headers=headers)
    return join([section(heading, lang), body] if heading else [body])


def _same_precision(values: list[float], lang: str) -> list[str]:
    """Format numbers with one shared number of decimals (3 significant digits of the largest)."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return ["–" if v is None or not math.isfinite(v) else "0" for v in values]
    decimals = max(0, 2 - math.floor(math.log10(max(finite))))
    out = []
    for v in values:
        text = format_number(v, lang, f",.{decimals}f") if math.isfinite(v) else "–"
        out.append(f"+{text}" if 0 < v < math.inf and text.strip("0,.") else text)
    return out


#: caveats made redundant by another one in the same report
_SUPERSEDED = {"staggered_event_study": "staggered_twfe", "staggered_twfe": "group_time_used"}


def _caveats(results: Sequence[EvaluationResult], lang: str,
             label: Callable[[EvaluationResult], str] | None = None,
             rule: DisclosureRule = DEFAULT_RULE) -> list[str]:
    warnings = [(r, w) for r in results for w in r.warnings]
    codes = {getattr(w, "code", None) for _, w in warnings}
    # a design whose presence follows a caveat's advice (group-time DiD: the staggered-TWFE
    # advice) makes that caveat redundant
    codes.update(code for r in results for code in get(r.method).followed)
    kept = [(r, w) for r, w in warnings
            if _SUPERSEDED.get(getattr(w, "code", None)) not in codes]
    return list(dict.fromkeys((label(r) if label else "") + _render(w, lang, rule)
                              for r, w in kept))


def diagnostics_section(results: EvaluationResult | Sequence[EvaluationResult], *,
                        lang: Lang, label: Callable[[EvaluationResult], str] | None = None,
                        rule: DisclosureRule = DEFAULT_RULE) -> Html:
    """Each diagnostic in plain words with its status, then the caveats (deduplicated);
    ``label(result)``, when given, starts each line (the design's name in a report of
    several designs). A caveat naming a count ``rule`` hides says "below 5" instead."""
    results = [results] if isinstance(results, EvaluationResult) else list(results)
    items = []
    for res, d in ((r, d) for r in results for d in r.diagnostics):
        rho = None
        if d.table is not None and "autocorrelation" in d.table:
            rho = float(d.table["autocorrelation"].iloc[0])
        p_text = format_p(d.p_value, lang)
        p_text = p_text if p_text.startswith("<") else f"= {p_text}"
        try:
            text = t(f"report.diag.{d.name}", lang, statistic=d.statistic, p=p_text,
                     rho=rho or 0.0)
        except KeyError:
            text = d.message or d.null
        # a passed test with a small p-value: the model allowed for what it found (not so
        # for the placebo check, whose p-value is the effect's rank among the placebos)
        accounted = d.passed and math.isfinite(d.p_value) and d.p_value < 0.05 \
            and d.name != "placebo_calibration"
        status = t("report.diag.accounted" if accounted else
                   f"report.diag.{'passed' if d.passed else 'failed'}", lang)
        items.append(check_item(d.passed, label(res) if label else "", text, " ",
                                tag("em", f"({status})")))
    parts = [section("report.diagnostics", lang)]
    parts.append(tag("ul", *items) if items else tag("p", t("report.diag.none", lang)))
    parts.append(tag("h3", t("report.caveats", lang)))
    caveats = _caveats(results, lang, label, rule)
    parts.append(tag("ul", *(tag("li", c) for c in caveats)) if caveats
                 else tag("p", t("report.caveats.none", lang)))
    return join(parts)


def check_item(passed: bool, *content: object) -> Html:
    """A list item of the checks: a green tick or an orange warning sign, then ``content``."""
    return tag("li", tag("span", "✔ " if passed else "⚠ ",
                         cls="evalkit-ok" if passed else "evalkit-warn"), *content)


def _se_text(result: EvaluationResult, lang: str) -> str:
    spec = result.spec
    se = spec.get("se", "model")
    return t(f"se.{se}", lang, lags=spec.get("hac_lags") or 0,
             cluster=spec.get("cluster") or "", n_clusters=result.sample.get("n_clusters")
             or 0)


def methods_section(result: EvaluationResult, *, lang: Lang,
                    heading: str = "report.methods") -> Html:
    """Model, estimator, variance convention and references."""
    parts = [section(heading, lang)]
    freq_name, _ = _freq(result, lang)
    kind = get(result.method).sections
    if kind == "its":
        link = t("link.ols" if result.spec["family"] == "ols" else "link.count", lang)
        parts.append(tag("p", t("its.methods", lang, link=link, freq_name=freq_name)))
        parts.append(tag("p", t("its.methods.se", lang, vcov=_se_text(result, lang))))
        parts.append(tag("p", t("its.methods.ref", lang)))
    elif kind == "staggered":
        spec = result.spec
        parts.append(tag("p", t("staggered.methods", lang, estimator=spec.get("method", ""),
                                control=t(f"staggered.control.{spec['control_group']}", lang),
                                base=t(f"staggered.base.{spec['base_period']}", lang))))
        parts.append(tag("p", _staggered_inference(result, lang)))
        parts.append(tag("p", t("staggered.ref", lang)))
    else:
        poisson = t("did.methods.poisson", lang) if result.spec.get("family") == "poisson" \
            else ""
        parts.append(tag("p", t("did.methods", lang, poisson=poisson)))
        if result.spec.get("exposure"):
            key = "did.methods.offset" if result.spec.get("family") == "poisson" else \
                "did.methods.rate"
            parts.append(tag("p", t(key, lang, exposure=result.spec["exposure"],
                                    outcome=result.spec.get("outcome", ""))))
        parts.append(tag("p", t("its.methods.se", lang, vcov=_se_text(result, lang))))
        parts.append(tag("p", t("did.methods.ref", lang)))
    return join(parts)


def _staggered_inference(result: EvaluationResult, lang: str) -> str:
    """The clustering, the weighting and an automatic comparison group of group-time DiD."""
    spec = result.spec
    text = [t("staggered.methods.cluster", lang, cluster=spec.get("cluster") or "",
              n=result.sample.get("n_clusters") or 0)]
    text.append(t("staggered.methods.weights", lang, weights=spec["weights"])
                if spec.get("weights") else t("staggered.methods.unweighted", lang))
    if spec.get("exposure"):
        text.append(t("did.methods.rate", lang, outcome=spec.get("outcome", ""),
                      exposure=spec["exposure"]))
    if spec.get("control_group_requested") == "auto":
        text.append(t("staggered.methods.auto", lang,
                      control=t(f"staggered.control.{spec['control_group']}", lang)))
    return " ".join(text)


def choice_section(choice: Any, *, lang: Lang) -> Html:
    """Why the design was chosen (a :class:`~evalkit.designs.choice.DesignChoice`)."""
    return join([section("report.choice", lang)] + [tag("p", r) for r in choice.render(lang)])


def parameters_section(parameters: Mapping[str, Any], result: EvaluationResult | None, *,
                       lang: Lang, today: _dt.date | None = None,
                       rule: DisclosureRule | None = None) -> Html:
    """The parameters of the run, software versions, seed and date; the disclosure rule.

    ``rule`` (the :class:`~evalkit.report.disclosure.DisclosureRule` the report's tables and
    figures were rendered with) is printed in the footer when given.
    """
    import pandas
    import statsmodels

    frame = pd.DataFrame({"name": list(parameters),
                          "value": [_value(v) for v in parameters.values()]})
    parts = [section("report.parameters", lang),
             table(frame, headers=[t("report.param.name", lang), t("report.param.value", lang)]),
             tag("p", t("report.versions", lang, evalkit=__version__,
                        statsmodels=statsmodels.__version__, pandas=pandas.__version__,
                        python=platform.python_version()))]
    seed = result.provenance.get("seed") if result is not None else None
    if seed is not None:
        parts.append(tag("p", t("report.seed", lang, seed=str(seed))))
    from babel.dates import format_date

    date = format_date(today or _dt.date.today(), format="long", locale=lang)
    if rule is not None:
        parts.append(tag("p", rule.text(lang), cls="evalkit-footer"))
    parts.append(tag("p", t("report.generated", lang, version=__version__, date=date),
                     cls="evalkit-footer"))
    return join(parts)


def _value(value: object) -> str:
    """A parameter as it is typed on the command line (``true``, ``0.05``, ``a, b``)."""
    if isinstance(value, list | tuple):
        return ", ".join(map(_value, value)) or "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g")
    return "–" if value in (None, "") else str(value)
