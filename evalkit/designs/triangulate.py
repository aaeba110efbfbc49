"""Several designs' estimates of one effect side by side: what they find, whether they differ,
how strong the evidence is — and the verdict the ``evaluation`` report prints.

Every crime-effect estimate is put on one scale, the **percentage change** of the outcome in
the treated area-periods against the design's counterfactual: ``100 (relative_effect - 1)``,
with ``relative_effect`` (and ``relative_ci_low``, ``relative_ci_high``) the ratio of observed
to counterfactual that the design itself gives on its headline term, computed from the cells
it estimated (ITS: ``cumulative_effect``; Poisson DiD: ``exp(att)``; group-time DiD and
synthetic control: observed over observed minus the ATT). Nothing is recomputed here from
the data file: a design without a relative effect has no % change, and is not counted
(``eval_no_relative``). results.json carries those ratios, so every % shown derives from it.

**Credibility.** A design counts when its own check of its identifying assumption passes
(the registry's ``concern``: the pre-trend test of a DiD, the pre-period fit of the
synthetic control, enough pre-periods and calibrated placebos for a time series). A named
confound (``concerns``, from :func:`evalkit.designs.evaluation.run_designs`' checks) can make
a design not credible (a citywide change at the start explains a before/after change) or
lower every design's level by one, as the Maryland scale does for a serious threat to
validity (areas chosen after a peak: regression to the mean).

**The headline rests on the strong designs**: the credible effect designs of Maryland level 3
or more. The **best estimate** is the first of them in the registry's pre-declared order
(``Design.priority``: panel DiD, controlled ITS, synthetic DiD, synthetic control), never the
narrowest interval. Its interval gives the **direction** (a clear reduction or increase when
it excludes no change). The other strong designs are compared with it by a **test of their
difference** on the log-ratio scale, ``z = (b_1 - b_2) / sqrt(se_1^2 + se_2^2)`` with each
``se`` read off its own interval (with its t reference when it has one); it ignores the
positive correlation of two estimates from the same data, so it finds a difference less
often than an exact test would (it never
overstates disagreement). When they differ at ``alpha`` the verdict is ``contested``: no
direction. An interval overlap is no test (two 95 % intervals can overlap while the
difference is significant), and no range of "values every interval contains" is printed:
under no effect that range excludes zero far more often than 5 %.

The ITS against its own trend (level 2) never sets the direction: it is a **context line**
("a before/after comparison without comparison areas would suggest ..."). When no strong
design remains, the verdict says so and draws no direction.

**Maryland Scientific Methods Scale** (Sherman et al. 1997; DOMAIN.md §4): ITS = level 2;
controlled ITS, synthetic control, DiD = level 3; DiD with at least ``MANY`` treated and
``MANY`` comparison areas = level 4; minus one for a named confound that lowers the grade.
The evidence level is the best design's (2 when only the ITS is credible).

**Economics** (EMMIE): crimes prevented by the best design (total over the treated
area-periods, with its interval), from the design's own result: ITS ``fitted x (1 / ratio -
1)``; synthetic control ``-att x`` post-periods; group-time DiD ``-att x`` the treated
area-periods it estimated; Poisson DiD ``treated_total x (exp(-att) - 1)``, with
``treated_total`` the observed total over the treated area-periods of the rows the DiD was
given (:func:`evalkit.designs.evaluation.run_designs` computes it). Cost per crime prevented =
cost / prevented, with the interval's bounds swapped (unbounded when the interval includes no
prevention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from evalkit._checks import check_alpha
from evalkit.designs.registry import MANY, MIN_PRE, Design, entries, find, ratios
from evalkit.errors import SpecError
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic, EvaluationResult

__all__ = ["AGREEMENT_TEST", "CONFOUNDS", "MANY", "MIN_PRE", "STRONG", "Triangulation",
           "Verdict", "triangulate"]

Agreement = Literal["agree", "disagree", "single", "none"]
Direction = Literal["reduction", "increase", "no_clear_change", "contested", "none"]

#: the lowest Maryland level that may carry the headline
STRONG = 3
#: how two strong designs are compared (results.json ``verdict.agreement_test``)
AGREEMENT_TEST = ("z-test of the difference of the two designs' log ratios, each standard "
                  "error read off its own interval (conservative: ignores their correlation)")
#: what a named confound does: ``not_credible`` for the designs without comparison areas
#: (their before/after change is explained by it), or ``lower`` every effect design's level
CONFOUNDS: dict[str, Literal["not_credible", "lower"]] = {
    "eval_citywide_change": "not_credible",
    "eval_peak_selection": "lower",
    "eval_peak_selection_periods": "lower",
}
#: designs without comparison areas (a citywide change confounds them: concern
#: ``eval_its_citywide``)
_UNCONTROLLED = ("its",)

_COLUMNS = ("design", "role", "term", "estimate", "ci_low", "ci_high", "p_value", "unit",
            "sms_level", "credible", "concern", "strong", "priority", "difference_p",
            "prevented", "prevented_low", "prevented_high", "df")


@dataclass(frozen=True)
class Verdict:
    """What the evaluation concludes, as data (results.json ``verdict``).

    Attributes
    ----------
    direction : {"reduction", "increase", "no_clear_change", "contested", "none"}
        From the best design's interval; ``contested`` when strong designs differ
        significantly, ``none`` when no strong design remains.
    best_design : str or None
        Method of the design giving the best estimate.
    estimate_pct, ci_low_pct, ci_high_pct : float or None
        Its % change and interval.
    confidence : float
        The intervals' level (``1 - alpha``).
    agreement : {"agree", "disagree", "single", "none"}
    agreement_test : str
        How the strong designs were compared.
    agreement_p : float or None
        The smallest p-value of their differences (None: nothing compared).
    evidence_level : int or None
        Maryland level of the best design after confounds (2: only the ITS; None: nothing).
    concerns : tuple of dict
        ``{"code", "design", "message"}`` of every failed check and named confound.
    context : dict or None
        The ITS without comparison areas (``design``, ``estimate_pct``, ``ci_low_pct``,
        ``ci_high_pct``): shown for context, never the verdict.
    prevented, prevented_low, prevented_high : float or None
        Crimes prevented by the best design, with its interval.
    sensitivity : tuple of dict
        ``{"design", "variant", "estimate_pct", "ci_low_pct", "ci_high_pct"}`` of each
        sensitivity fit (``variant`` ``slope_change``: the time series with a change of trend).
    """

    direction: Direction
    best_design: str | None
    estimate_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    confidence: float
    agreement: Agreement
    agreement_test: str
    agreement_p: float | None
    evidence_level: int | None
    concerns: tuple[dict[str, str], ...]
    context: dict[str, Any] | None
    prevented: float | None
    prevented_low: float | None
    prevented_high: float | None
    sensitivity: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: non-finite numbers become None (an unbounded interval is null)."""
        def clean(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, tuple | list):
                return [clean(v) for v in value]
            return value
        return {f: clean(getattr(self, f)) for f in self.__dataclass_fields__}


@dataclass(frozen=True)
class Triangulation:
    """The designs side by side, the verdict and the strength of evidence.

    Attributes
    ----------
    table : DataFrame
        One row per design: ``design`` (the result's method), ``role`` (``effect``,
        ``displacement``, ``insecurity``), ``term``, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value``, ``unit`` (``percent`` for effects, ``crimes`` for displacement,
        ``percentage_points`` for insecurity), ``sms_level`` (after confounds),
        ``credible``, ``concern`` (the failed check's caveat code, empty when credible),
        ``strong`` (credible effect design of level 3 or more), ``priority`` (pre-declared
        order), ``difference_p`` (test of its difference from the best design; NaN for the
        best and for the designs not compared), ``prevented``, ``prevented_low``,
        ``prevented_high`` (crimes prevented, effect rows) and ``df`` (the degrees of
        freedom of its t reference; ``inf``: normal or not a Wald interval).
    agreement : {"agree", "disagree", "single", "none"}
        Among the strong designs: no significant difference from the best, some, only one
        strong design, none.
    direction : {"reduction", "increase", "no_clear_change", "contested", "none"}
    apart : (str, str) or None
        The best design and the strong design that differs most from it (disagreement).
    agreement_p : float or None
        Smallest p-value of the differences tested.
    sms_level : int or None
        Maryland level of the evidence: the best design's, else the highest level of a
        credible design (2: only the ITS, or designs a confound lowered), None when no
        design is credible.
    strongest : str or None
        The best design (None when no strong design remains).
    context : str or None
        The ITS without comparison areas, shown as a context line (None when not run or not
        credible).
    cost, cost_per_crime : float or None, (float, float, float) or None
        The cost given and the cost per crime prevented (estimate, low, high; ``inf`` when
        unbounded).
    alpha : float
    reasons : tuple of Caveat
        Why a design is not credible or was down-graded (plain-language notes).
    concerns : tuple of Caveat
        The named confounds given to :func:`triangulate`.
    sensitivity : DataFrame or None
        The sensitivity fits given (``design``, ``variant``, ``estimate``, ``ci_low``,
        ``ci_high`` in %): shown beside the table, never in the verdict's direction.
    held : str or None
        With no strong design because a confound lowered the grade (areas chosen after a
        peak, kept in the data): the design with comparison areas that would have given the
        best estimate; the report shows it and says why it draws no conclusion.
    """

    table: pd.DataFrame
    agreement: Agreement
    direction: Direction
    apart: tuple[str, str] | None
    agreement_p: float | None
    sms_level: int | None
    strongest: str | None
    context: str | None
    cost: float | None
    cost_per_crime: tuple[float, float, float] | None
    alpha: float
    reasons: tuple[Caveat, ...]
    concerns: tuple[Caveat, ...] = ()
    sensitivity: pd.DataFrame | None = None
    held: str | None = None

    @property
    def credible_effects(self) -> pd.DataFrame:
        """The rows of the crime-effect designs that passed their checks."""
        return _credible_effects(self.table)

    @property
    def strong_effects(self) -> pd.DataFrame:
        """The credible effect designs of level 3 or more, in the pre-declared order."""
        return self.table[self.table["strong"]].sort_values("priority", kind="stable")

    def row(self, design: str) -> pd.Series:
        """The table row of ``design``."""
        rows = self.table[self.table["design"] == design]
        if rows.empty:
            raise SpecError(f"no design {design!r} in this triangulation; designs: "
                            f"{', '.join(self.table['design'])}.")
        return rows.iloc[0]

    def verdict(self, describe: Any = None) -> Verdict:
        """The verdict as data; ``describe(caveat) -> str`` words each concern's message
        (default: its catalogue code)."""
        words = describe or (lambda c: c.code)
        concerns = tuple({"code": c.code, "design": str(c.values.get("design", "")),
                          "message": words(c)} for c in (*self.concerns, *self.reasons))
        best = self.row(self.strongest) if self.strongest is not None else None

        def value(name: str) -> float | None:
            return None if best is None else float(best[name])
        context = None
        if self.context is not None:
            r = self.row(self.context)
            context = {"design": self.context, "estimate_pct": float(r["estimate"]),
                       "ci_low_pct": float(r["ci_low"]), "ci_high_pct": float(r["ci_high"])}
        rows = self.sensitivity if self.sensitivity is not None else pd.DataFrame()
        sensitivity = tuple({"design": r["design"], "variant": r["variant"],
                             "estimate_pct": float(r["estimate"]),
                             "ci_low_pct": float(r["ci_low"]),
                             "ci_high_pct": float(r["ci_high"])} for _, r in rows.iterrows())
        return Verdict(self.direction, self.strongest, value("estimate"), value("ci_low"),
                       value("ci_high"), 1 - self.alpha, self.agreement, AGREEMENT_TEST,
                       self.agreement_p, self.sms_level, concerns, context,
                       value("prevented"), value("prevented_low"), value("prevented_high"),
                       sensitivity)

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """``designs_agree`` and ``evidence_level``, as results.json diagnostics."""
        n = len(self.strong_effects)
        p = float("nan") if self.agreement_p is None else self.agreement_p
        return (
            Diagnostic("designs_agree", "the strong designs' estimates do not differ (test of "
                       "their difference)", float(n), p,
                       self.agreement in ("agree", "single"),
                       message=f"{self.agreement}: {n} strong design(s), {self.direction}"),
            Diagnostic("evidence_level", "Maryland Scientific Methods Scale level of the "
                       "best credible design (3 or more passes)",
                       float(self.sms_level) if self.sms_level else float("nan"),
                       float("nan"), bool(self.sms_level and self.sms_level >= STRONG),
                       message=f"level {self.sms_level} ({self.strongest or self.context})"),
        )


def _credible_effects(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["role"] == "effect") & table["credible"]]


def _diag(res: EvaluationResult, name: str) -> Diagnostic | None:
    return next((d for d in res.diagnostics if d.name == name), None)


def _percent(ratio: float) -> float:
    return 100.0 * (ratio - 1.0)  # an unbounded ratio is an unbounded change; NaN stays NaN


def _effect_row(res: EvaluationResult, entry: Design, *,
                treated_total: float | None) -> dict[str, Any]:
    row = res.effect(entry.term)
    pct = tuple(_percent(r) for r in ratios(row))
    prevented = entry.prevented(res, row, treated_total)
    return {"estimate": pct[0], "ci_low": pct[1], "ci_high": pct[2], "unit": "percent",
            "prevented": prevented[0], "prevented_low": prevented[1],
            "prevented_high": prevented[2], "p_value": float(row["p_value"]),
            "df": float((res.wald_df or {}).get(entry.term, math.inf))}


def _other_row(res: EvaluationResult, entry: Design, alpha: float) -> dict[str, Any]:
    row = entry.headline_row(res, alpha)
    values = tuple(float(row[c]) for c in ("estimate", "ci_low", "ci_high", "p_value"))
    return {"estimate": values[0], "ci_low": values[1], "ci_high": values[2],
            "p_value": values[3], "unit": entry.unit,
            "prevented": float("nan"), "prevented_low": float("nan"),
            "prevented_high": float("nan"), "df": math.inf}


def _log_se(row: pd.Series, alpha: float) -> tuple[float, float]:
    """The log ratio of a % row and the standard error its interval implies, with the
    design's own reference (``df``: t, normal when absent or infinite); NaN when the
    interval is not bounded on both sides."""
    est, lo, hi = (1 + row[c] / 100 for c in ("estimate", "ci_low", "ci_high"))
    if not (est > 0 and 0 < lo < math.inf and 0 < hi < math.inf):
        return float("nan"), float("nan")
    df = float(row.get("df", math.inf))
    q = student_t.ppf(1 - alpha / 2, df) if math.isfinite(df) else norm.ppf(1 - alpha / 2)
    return math.log(est), (math.log(hi) - math.log(lo)) / (2 * q)


def difference_p(a: pd.Series, b: pd.Series, alpha: float = 0.05) -> float:
    """Two-sided p-value of the difference between two designs' % changes (see the module
    docstring); NaN when either interval is unbounded."""
    (ba, sa), (bb, sb) = _log_se(a, alpha), _log_se(b, alpha)
    if not all(math.isfinite(v) for v in (ba, sa, bb, sb)) or sa + sb == 0:
        return float("nan")
    return float(2 * norm.sf(abs(ba - bb) / math.hypot(sa, sb)))


def _clear(row: pd.Series) -> Direction:
    if row["ci_high"] < 0:
        return "reduction"
    if row["ci_low"] > 0:
        return "increase"
    return "no_clear_change"


def triangulate(results: Sequence[EvaluationResult], *, treated_total: float | None = None,
                cost: float | None = None, alpha: float = 0.05,
                concerns: Sequence[Caveat] = (),
                sensitivity: Sequence[EvaluationResult] = ()) -> Triangulation:
    """Compare the designs' estimates, draw the verdict and grade the evidence.

    Parameters
    ----------
    results : sequence of EvaluationResult
        The designs' results (``its``, ``controlled_its``, ``did``, ``staggered_did``,
        ``synth``, ``sdid``, ``wdd``, ``survey_did``; an ``event_study`` lends its pre-trend
        test to ``did`` and is not a row of its own).
    treated_total : float, optional
        Observed outcome summed over the treated area-periods of the rows the Poisson DiD
        was given (``run_designs(...).treated_total``): its crimes prevented, the one
        figure its result does not carry. Never used for a % change.
    cost : float, optional
        Cost of the partnership over the evaluated period (any currency), for the cost per
        crime prevented.
    alpha : float
        One minus the confidence level of the results (the test of differences uses it).
    concerns : sequence of Caveat
        Named confounds found by the data checks (``run_designs(...).concerns``); codes in
        :data:`CONFOUNDS` change credibility or levels, others are listed only.
    sensitivity : sequence of EvaluationResult
        Time series refitted with a change of trend (``run_designs(...).sensitivity``):
        rows of :attr:`Triangulation.sensitivity`, outside the verdict.

    Returns
    -------
    Triangulation
    """
    check_alpha(alpha)
    if cost is not None and (not math.isfinite(float(cost)) or float(cost) < 0):
        raise SpecError(f"cost must be a positive amount (or None); got {cost!r}.")
    found = {r.method: find(r.method) for r in results}
    unknown = sorted(m for m, e in found.items() if e is None or e.role is None)
    if unknown:
        known = sorted(m for e in entries() if e.role is not None for m in e.methods)
        raise SpecError(f"triangulate() does not know design(s) {', '.join(unknown)}; it "
                        f"compares {', '.join(known)}.")
    effects_of = {CONFOUNDS.get(c.code) for c in concerns}
    # a design in the pre_trend role (the event study) lends its test and has no row
    events = next((r for r in results if found[r.method].role == "pre_trend"), None)
    pre_trend = _diag(events, "pre_trend") if events is not None else None
    rows, reasons = [], []
    for res in results:
        entry = found[res.method]
        if entry.role == "pre_trend":
            continue
        effect = entry.role == "effect"
        values = (_effect_row(res, entry, treated_total=treated_total) if effect
                  else _other_row(res, entry, alpha))
        # without its own relative effect a design has no % to compare
        concern = "eval_no_relative" if effect and math.isnan(values["estimate"]) \
            else entry.concern(res, pre_trend)
        if not concern and effect and res.method in _UNCONTROLLED \
                and "not_credible" in effects_of:
            concern = "eval_its_citywide"  # its before/after change is the citywide one
        level = entry.level(res)
        if effect and "lower" in effects_of:  # a serious threat: one level down
            level = max(level - 1, 1)
        rows.append({"design": res.method, "role": entry.role, "term": entry.term, **values,
                     "sms_level": level, "credible": not concern, "concern": concern,
                     "strong": bool(effect and not concern and level >= STRONG),
                     "priority": entry.priority, "difference_p": float("nan")})
        if concern:
            reasons.append(Caveat(concern, design=res.method))
    table = pd.DataFrame(rows, columns=list(_COLUMNS))
    for col in ("credible", "strong"):
        table[col] = table[col].astype(bool)
    strong = table[table["strong"]].sort_values("priority", kind="stable")
    # the best estimate must bound the effect: an open interval cannot set a direction
    bounded = strong[np.isfinite(strong["ci_low"].to_numpy(float))
                     & np.isfinite(strong["ci_high"].to_numpy(float))]
    apart = agreement_p = best = None
    if bounded.empty:
        agreement: Agreement = "none"
        direction: Direction = "none"
    else:
        best = bounded.iloc[0]
        direction = _clear(best)
        tests = {str(r["design"]): difference_p(best, r, alpha)
                 for _, r in strong.iterrows() if r["design"] != best["design"]}
        for design, p in tests.items():
            table.loc[table["design"] == design, "difference_p"] = p
        known = {d: p for d, p in tests.items() if math.isfinite(p)}
        agreement = "single" if not known else "agree"
        if known:
            agreement_p = min(known.values())
            if agreement_p < alpha:
                agreement, direction = "disagree", "contested"
                apart = (str(best["design"]), min(known, key=known.get))
    credible = _credible_effects(table)
    its = credible[credible["design"].isin(_UNCONTROLLED)]
    # a before/after comparison is shown for context unless a confound lowered it too
    context = str(its.iloc[0]["design"]) if not its.empty and \
        int(its.iloc[0]["sms_level"]) >= 2 else None
    strongest = None if best is None else str(best["design"])
    sms = int(best["sms_level"]) if best is not None else (
        int(credible["sms_level"].max()) if not credible.empty else None)
    # designs with comparison areas that a confound took below the strong level
    held = credible[~credible["design"].isin(_UNCONTROLLED)
                    & np.isfinite(credible["ci_low"].to_numpy(float))
                    & np.isfinite(credible["ci_high"].to_numpy(float))]
    held_design = str(held.sort_values("priority", kind="stable").iloc[0]["design"]) \
        if best is None and "lower" in effects_of and not held.empty else None
    cost_per = None
    if cost is not None and best is not None:
        cost_per = _cost_per_crime(float(cost), best)
    variants = pd.DataFrame(
        [{"design": r.method, "variant": "slope_change",
          **{k: v for k, v in _effect_row(r, find(r.method), treated_total=treated_total)
             .items() if k in ("estimate", "ci_low", "ci_high")}} for r in sensitivity],
        columns=["design", "variant", "estimate", "ci_low", "ci_high"])
    return Triangulation(table, agreement, direction, apart, agreement_p, sms, strongest,
                         context, None if cost is None else float(cost), cost_per, alpha,
                         tuple(reasons), tuple(concerns), variants, held_design)


def _cost_per_crime(cost: float, row: pd.Series) -> tuple[float, float, float]:
    def per(prevented: float) -> float:
        if prevented == math.inf:
            return 0.0
        return cost / prevented if math.isfinite(prevented) and prevented > 0 else math.inf
    est, lo, hi = (float(row[c]) for c in ("prevented", "prevented_low", "prevented_high"))
    return per(est), per(hi), per(lo)
