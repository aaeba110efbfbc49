"""Several designs' estimates of one effect side by side: do they agree, how strong is the evidence?

Every crime-effect estimate is put on one scale, the **percentage change** of the outcome in
the treated area-periods against the design's counterfactual: ``100 (relative_effect - 1)``,
with ``relative_effect`` (and ``relative_ci_low``, ``relative_ci_high``) the ratio of observed
to counterfactual that the design itself gives on its headline term, computed from the cells
it estimated (ITS: ``cumulative_effect``; Poisson DiD: ``exp(att)``; group-time DiD and
synthetic control: observed over observed minus the ATT). Nothing is recomputed here from
the data file: a design without a relative effect has no % change, and is not counted
(``eval_no_relative``). results.json carries those ratios, so every % shown derives from it.

**Agreement.** The credible designs *agree* when their intervals share a common value (for
intervals that is the same as every pair overlapping), and *disagree* otherwise. Overlap is
a lenient test — two independent 95 % intervals can overlap while the difference is
significant — so "agree" means "not shown to differ", and the report says so.

**Credibility.** A design counts when its own check of its identifying assumption passes:
the pre-trend test (event study, group-time DiD), the pre-period fit (synthetic control),
at least ``MIN_PRE`` pre-periods (ITS, controlled ITS). A DiD whose parallel trends could not
be tested at all is not counted either. Designs that fail stay in the table, marked, and out
of the agreement and the grade.

**Maryland Scientific Methods Scale** (Sherman et al. 1997; DOMAIN.md §4): ITS against its
own trend = level 2 (before/after); controlled ITS, synthetic control, DiD with comparison
areas = level 3; DiD with at least ``MANY`` treated and ``MANY`` comparison areas = level 4.
The evidence grade is the level of the strongest credible design.

**Economics** (EMMIE): crimes prevented by the strongest credible design (total over the
treated area-periods, with its interval), from the design's own result: ITS ``fitted x
(1 / ratio - 1)``; synthetic control ``-att x`` post-periods; group-time DiD ``-att x`` the
treated area-periods it estimated (its post-period group-time cells times their cohort
sizes); Poisson DiD ``treated_total x (exp(-att) - 1)``, the one figure the result lacks —
the observed total over the treated area-periods of the rows the DiD was given, which
:func:`evalkit.designs.evaluation.run_designs` computes on exactly those rows. Cost per
crime prevented = cost / prevented, with the interval's bounds swapped (unbounded when the
interval includes no prevention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit._checks import check_alpha
from evalkit.designs.registry import MANY, MIN_PRE, Design, entries, find, ratios
from evalkit.errors import SpecError
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic, EvaluationResult

__all__ = ["MANY", "MIN_PRE", "Triangulation", "triangulate"]

Agreement = Literal["agree", "disagree", "single", "none"]
Direction = Literal["reduction", "increase", "no_clear_change", "mixed", "none"]

_COLUMNS = ("design", "role", "term", "estimate", "ci_low", "ci_high", "p_value", "unit",
            "sms_level", "credible", "concern", "prevented", "prevented_low",
            "prevented_high")


@dataclass(frozen=True)
class Triangulation:
    """The designs side by side, their agreement and the strength of evidence.

    Attributes
    ----------
    table : DataFrame
        One row per design: ``design`` (the result's method), ``role`` (``effect``,
        ``displacement``, ``insecurity``), ``term``, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value``, ``unit`` (``percent`` for effects, ``crimes`` for displacement,
        ``percentage_points`` for insecurity), ``sms_level``, ``credible``, ``concern``
        (the failed check's caveat code, empty when credible), and ``prevented``,
        ``prevented_low``, ``prevented_high`` (crimes prevented, effect rows).
    agreement : {"agree", "disagree", "single", "none"}
        Among the credible effect designs with a finite interval.
    direction : {"reduction", "increase", "no_clear_change", "mixed", "none"}
        What their intervals say: all exclude zero below, all above, none excludes zero,
        or a mix.
    common : (float, float) or None
        The values every credible interval contains (agreement), in percent.
    apart : (str, str) or None
        The two designs furthest apart (disagreement).
    sms_level : int or None
        Maryland SMS level of the strongest credible design (None when none is credible).
    strongest : str or None
        That design.
    cost, cost_per_crime : float or None, (float, float, float) or None
        The cost given and the cost per crime prevented (estimate, low, high; ``inf`` when
        unbounded).
    alpha : float
    reasons : tuple of Caveat
        Plain-language notes (why a design is not credible, what disagreement means).
    """

    table: pd.DataFrame
    agreement: Agreement
    direction: Direction
    common: tuple[float, float] | None
    apart: tuple[str, str] | None
    sms_level: int | None
    strongest: str | None
    cost: float | None
    cost_per_crime: tuple[float, float, float] | None
    alpha: float
    reasons: tuple[Caveat, ...]

    @property
    def credible_effects(self) -> pd.DataFrame:
        """The rows of the crime-effect designs that passed their checks."""
        return _credible_effects(self.table)

    def row(self, design: str) -> pd.Series:
        """The table row of ``design``."""
        rows = self.table[self.table["design"] == design]
        if rows.empty:
            raise SpecError(f"no design {design!r} in this triangulation; designs: "
                            f"{', '.join(self.table['design'])}.")
        return rows.iloc[0]

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """``designs_agree`` and ``evidence_level``, as results.json diagnostics."""
        n = len(self.credible_effects)
        return (
            Diagnostic("designs_agree", "the credible designs' confidence intervals share a "
                       "common value", float(n), float("nan"),
                       self.agreement in ("agree", "single"),
                       message=f"{self.agreement}: {n} credible design(s), {self.direction}"),
            Diagnostic("evidence_level", "Maryland Scientific Methods Scale level of the "
                       "strongest credible design (3 or more passes)",
                       float(self.sms_level) if self.sms_level else float("nan"),
                       float("nan"), bool(self.sms_level and self.sms_level >= 3),
                       message=f"level {self.sms_level} ({self.strongest})"),
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
            "prevented_high": prevented[2], "p_value": float(row["p_value"])}


def _other_row(res: EvaluationResult, entry: Design, alpha: float) -> dict[str, Any]:
    row = entry.headline_row(res, alpha)
    values = tuple(float(row[c]) for c in ("estimate", "ci_low", "ci_high", "p_value"))
    return {"estimate": values[0], "ci_low": values[1], "ci_high": values[2],
            "p_value": values[3], "unit": entry.unit,
            "prevented": float("nan"), "prevented_low": float("nan"),
            "prevented_high": float("nan")}


def _direction(rows: pd.DataFrame) -> Direction:
    if rows.empty:
        return "none"
    down = (rows["ci_high"] < 0).to_numpy()
    up = (rows["ci_low"] > 0).to_numpy()
    if down.all():
        return "reduction"
    if up.all():
        return "increase"
    if not (down | up).any():
        return "no_clear_change"
    return "mixed"


def triangulate(results: Sequence[EvaluationResult], *, treated_total: float | None = None,
                cost: float | None = None, alpha: float = 0.05) -> Triangulation:
    """Compare the designs' estimates, say whether they agree and grade the evidence.

    Parameters
    ----------
    results : sequence of EvaluationResult
        The designs' results (``its``, ``controlled_its``, ``did``, ``staggered_did``,
        ``synth``, ``wdd``, ``survey_did``; an ``event_study`` lends its pre-trend test to
        ``did`` and is not a row of its own).
    treated_total : float, optional
        Observed outcome summed over the treated area-periods of the rows the Poisson DiD
        was given (``run_designs(...).treated_total``): its crimes prevented, the one
        figure its result does not carry. Never used for a % change.
    cost : float, optional
        Cost of the partnership over the evaluated period (any currency), for the cost per
        crime prevented.
    alpha : float
        One minus the confidence level of the results (for the text only).

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
        rows.append({"design": res.method, "role": entry.role, "term": entry.term, **values,
                     "sms_level": entry.level(res), "credible": not concern,
                     "concern": concern})
        if concern:
            reasons.append(Caveat(concern, design=res.method))
    table = pd.DataFrame(rows, columns=list(_COLUMNS))
    table["credible"] = table["credible"].astype(bool)
    effects = _credible_effects(table)
    # an infinite bound is an interval too (it contains every value on that side)
    bounded = effects[effects["ci_low"].notna() & effects["ci_high"].notna()]
    common = apart = None
    if effects.empty:
        agreement: Agreement = "none"
    elif len(bounded) < 2:
        agreement = "single"
    else:
        lo, hi = float(bounded["ci_low"].max()), float(bounded["ci_high"].min())
        if lo <= hi:
            agreement, common = "agree", (lo, hi)
        else:
            agreement = "disagree"
            apart = (str(bounded.loc[bounded["ci_high"].idxmin(), "design"]),
                     str(bounded.loc[bounded["ci_low"].idxmax(), "design"]))
            reasons += [Caveat(code) for code in (found[d].disagrees for d in apart) if code]
    direction = _direction(bounded)
    strongest = sms = None
    cost_per = None
    if not effects.empty:
        width = (effects["ci_high"] - effects["ci_low"]).to_numpy(float)
        ranked = effects.assign(width=np.where(np.isfinite(width), width, np.inf),
                                finite=np.isfinite(width))
        # a design that bounds the effect first, then the highest level, then the narrowest
        ranked = ranked.sort_values(["finite", "sms_level", "width"],
                                    ascending=[False, False, True])
        best = ranked.iloc[0]
        strongest, sms = str(best["design"]), int(best["sms_level"])
        if cost is not None:
            cost_per = _cost_per_crime(float(cost), best)
    return Triangulation(table, agreement, direction, common, apart, sms, strongest,
                         None if cost is None else float(cost), cost_per, alpha,
                         tuple(reasons))


def _cost_per_crime(cost: float, row: pd.Series) -> tuple[float, float, float]:
    def per(prevented: float) -> float:
        if prevented == math.inf:
            return 0.0
        return cost / prevented if math.isfinite(prevented) and prevented > 0 else math.inf
    est, lo, hi = (float(row[c]) for c in ("prevented", "prevented_low", "prevented_high"))
    return per(est), per(hi), per(lo)
