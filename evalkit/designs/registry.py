"""One entry per design: what the rest of evalkit needs to know about a result's ``method``.

Triangulation, the evaluation's notes, the report's text and figures and the ``evaluation``
template look a result up here (:func:`get`) instead of testing ``result.method``: adding a
design is writing its estimator and registering one :class:`Design`.

An entry names

* its **methods** (the ``result.method`` values it covers) and its **headline term**;
* its **role** in triangulation: ``effect`` (a crime effect, put on the % scale and graded),
  ``displacement``, ``insecurity``, ``pre_trend`` (lends its pre-trend test to the DiD and is
  no row of its own) or None (not compared);
* its **evidence level** (Maryland Scientific Methods Scale, Sherman et al. 1997; DOMAIN.md
  §4) and its **credibility check** (the caveat code of a failed check, "" when it passed),
  and how its crimes prevented are counted (EMMIE economics);
* what the report layer shows: the catalogue keys of its name, of its single-design sentences
  (``text``), of its methods heading in the evaluation appendix, the kind of its paragraphs
  (``sections``) and of its figure (``figure``), resolved by the report layer (this module
  never imports ``evalkit.report``).

The rules of the built-in entries are those of :mod:`evalkit.designs.triangulate`'s docstring.

**Adding a design**: write the estimator (it returns an
:class:`~evalkit.results.EvaluationResult` with its own ``method``), add its name under
``eval.design.<name>`` to both catalogues (``evalkit/i18n/en.py``, ``fr.py``), and register
a :class:`Design` (below, or from your own code with :func:`register`). A new figure or a new
kind of single-design paragraph is a function in ``evalkit/report/`` and a row in the table
that resolves the entry's ``figure`` (``evalkit.report.evaluation._FIGURES``) or ``sections``.
A term that results.json's schema does not know needs a schema version bump.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from evalkit.designs.synth import donor_weight_diagnostics
from evalkit.errors import SpecError
from evalkit.results import Diagnostic, EvaluationResult, effect_row

__all__ = ["MANY", "MIN_PRE", "Design", "entries", "extra_diagnostics", "find", "get",
           "register", "unregister"]

#: pre-periods an ITS needs to count as credible
MIN_PRE = 12
#: treated and comparison areas a DiD needs for Maryland level 4
MANY = 5

Role = Literal["effect", "displacement", "insecurity", "pre_trend"]
Triple = tuple[float, float, float]
_NAN3: Triple = (math.nan,) * 3
_RELATIVE = ("relative_effect", "relative_ci_low", "relative_ci_high")


def ratios(row: pd.Series) -> Triple:
    """The design's own relative effect and interval on its headline row; NaN where none."""
    return tuple(float(row[c]) if c in row and row[c] is not None else math.nan
                 for c in _RELATIVE)


def _diag(res: EvaluationResult, name: str) -> Diagnostic | None:
    return next((d for d in res.diagnostics if d.name == name), None)


# -- rules shared by the built-in entries ------------------------------------------------------
def _level_3(res: EvaluationResult) -> int:
    return 3


def _level_did(res: EvaluationResult) -> int:
    """Level 4 with at least ``MANY`` treated and ``MANY`` never-treated areas, else 3."""
    treated = int(res.sample.get("n_treated_units") or 0)
    never = int(res.sample.get("n_never_treated")
                or int(res.sample.get("n_units") or 0) - treated)
    return 4 if treated >= MANY and never >= MANY else 3


def _no_concern(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    return ""


def _concern_its(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    return "" if int(res.sample.get("n_pre") or 0) >= MIN_PRE else "eval_short_pre"


def _concern_controlled_its(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    """Enough pre-periods, placebos that the model describes (widening factor at most 3),
    and, when no placebo calibration was possible, no residual autocorrelation."""
    if concern := _concern_its(res, pre_trend):
        return concern
    if res.spec.get("inference") == "model" and res.spec.get("unit"):
        return "eval_its_uncalibrated"  # comparison areas too few for placebos
    placebo = _diag(res, "placebo_calibration")
    if placebo is not None and not placebo.passed:
        return "eval_its_placebo"
    auto = _diag(res, "autocorrelation")  # passed when the placebos account for it
    return "eval_its_autocorrelation" if auto is not None and not auto.passed else ""


def _concern_did(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    """Its own pre-trend test, else the event study's (``pre_trend``)."""
    check = _diag(res, "pre_trend") or pre_trend
    if check is None or not math.isfinite(check.statistic):
        return "eval_unchecked"  # no pre-period effect to test: parallel trends unchecked
    return "" if check.passed else "eval_pre_trend"


def _concern_synth(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    fit = _diag(res, "pre_fit")
    if fit is None:
        return "eval_unchecked"
    return "" if fit.passed else "eval_synth_fit"


def _concern_survey(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    rel = _diag(res, "survey_reliability")
    return "eval_survey_reliability" if rel is not None and not rel.passed else ""


def prevented_log(res: EvaluationResult, row: pd.Series, treated_total: float | None) -> Triple:
    """Crimes prevented by a log-scale (Poisson) effect: ``treated_total x (exp(-att) - 1)``,
    the observed total not being in the result; NaN on another scale or without it."""
    if row["scale"] != "log" or treated_total is None:
        return _NAN3
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    return tuple(treated_total * (math.exp(-v) - 1.0) for v in (est, hi, lo))


def _prevented_its(res: EvaluationResult, row: pd.Series, treated_total: float | None) -> Triple:
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    rel = ratios(row)
    if not all(math.isfinite(r) and r > 0 for r in rel):
        return -est, -hi, -lo
    s = res.series
    fitted = float(s.loc[(s["unit"] == "treated") & s["post"].astype(bool), "fitted"].sum())
    # fitted x (1/ratio - 1): -cumulative_effect at the estimate, and bounds that match the
    # % interval (the ratio's), swapped
    return tuple(fitted * (1.0 / r - 1.0) for r in (rel[0], rel[2], rel[1]))


def _prevented_synth(res: EvaluationResult, row: pd.Series,
                     treated_total: float | None) -> Triple:
    n_post = int(res.sample.get("n_post") or 0)
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    return -est * n_post, -hi * n_post, -lo * n_post


def _prevented_group_time(res: EvaluationResult, row: pd.Series,
                          treated_total: float | None) -> Triple:
    """``-att`` times the treated area-periods behind it: its post-period (g, t) cells, each
    counted as many times as its cohort has areas."""
    if row["scale"] == "log":
        return prevented_log(res, row, treated_total)
    s, sizes = res.series, res.sample.get("cohort_sizes") or {}
    if s is None or "aggregation" not in s or not sizes:
        cells = math.nan
    else:
        gt = s[(s["aggregation"] == "gt") & (s["event_time"] >= 0)]
        cells = float(gt["group"].astype(str).map(sizes).sum())
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    return -est * cells, -hi * cells, -lo * cells


def _prevented_sdid(res: EvaluationResult, row: pd.Series,
                    treated_total: float | None) -> Triple:
    """``-att`` (per treated area and period) times the treated area-periods after the
    start."""
    cells = int(res.sample.get("n_post") or 0) * int(res.sample.get("n_treated_units") or 0)
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    return -est * cells, -hi * cells, -lo * cells


def _wdd_row(res: EvaluationResult, alpha: float) -> pd.Series:
    """The buffer part of WDD: displacement (+) or diffusion (-), in crimes, with its Wald
    interval at the triangulation's ``alpha`` (NaN without buffer areas)."""
    est = se = math.nan
    if "wdd_displacement" in set(res.effects["term"]):
        row = res.effect("wdd_displacement")
        est, se = float(row["estimate"]), float(row["std_error"])
    # the placebo variance's t reference (n - 2 areas), normal for the textbook variance
    df = (res.wald_df or {}).get("wdd_displacement")
    return pd.Series(effect_row("wdd_displacement", est, se, alpha=alpha, scale="additive",
                                df=df))


def _concern_wdd(res: EvaluationResult, pre_trend: Diagnostic | None) -> str:
    """The data cannot tell: no clear buffer change and too little power to see one."""
    power = _diag(res, "displacement_power")
    return "eval_wdd_cannot_tell" if power is not None and not power.passed else ""


def _donor_weights(res: EvaluationResult) -> tuple[Diagnostic, ...]:
    return tuple(donor_weight_diagnostics(res))


# -- the entry ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """What evalkit needs to know about one design's results.

    Attributes
    ----------
    name : str
        Entry name (the main method).
    methods : tuple of str
        The ``result.method`` values of this design.
    term : str or None
        Headline term (``result.effect(term)``): compared in triangulation, the single-design
        report's headline.
    role : {"effect", "displacement", "insecurity", "pre_trend"} or None
        Role in triangulation; None: not compared (``triangulate`` refuses it).
    level : callable
        ``level(result) -> int``: the Maryland SMS level of the design on this result.
    concern : callable
        ``concern(result, pre_trend) -> str``: the caveat code of its failed (or missing)
        credibility check, "" when it passed; ``pre_trend`` is the event study's pre-trend
        diagnostic when one was run, else None.
    prevented : callable
        ``prevented(result, row, treated_total) -> (estimate, low, high)``: crimes prevented
        over the treated area-periods (an effect's EMMIE economics), from the headline ``row``;
        NaN when the result cannot say.
    row : callable or None
        ``row(result, alpha) -> Series``: the headline row of a non-effect role when it is not
        ``result.effect(term)``.
    unit : str
        Unit of a non-effect triangulation row (``eval.unit.<unit>``); effects are in percent.
    priority : int
        Pre-declared order of the effect designs: among the credible designs of level 3 or
        more, the lowest priority gives the headline's best estimate (never the narrowest
        interval, which would reward a design for being overconfident).
    label : str or None
        Catalogue key of the design's name (in the evaluation report and its notes).
    text : str
        Prefix of the catalogue keys of its single-design sentences (``<text>.title``,
        ``<text>.headline.*``, ``<text>.term.*``).
    sections : str
        Kind of its design, data and methods paragraphs in the single-design report
        (``its``, ``did`` or ``staggered``: resolved by :mod:`evalkit.report.narrative`).
    report_terms : str or None
        Regular expression of the terms its effects table shows by default (None: all).
    followed : tuple of str
        Caveat codes of advice its presence follows (their advice is left out of a report
        that holds this design).
    figure : str or None
        Kind of its figure (``its``, ``event_study``, ``trends``, ``synth``,
        ``displacement``), drawn by the report layer.
    methods_heading : str or None
        Catalogue key of its heading in the evaluation's methods appendix (None: not there
        unless it is the first design).
    advice : str
        Kind of the advice when :func:`~evalkit.designs.evaluation.run_designs` could not run
        it (``caveat.eval_not_run_<advice>``).
    diagnostics : callable or None
        ``diagnostics(result) -> tuple of Diagnostic``: extra checks for results.json.
    """

    name: str
    methods: tuple[str, ...]
    term: str | None
    role: Role | None
    level: Callable[[EvaluationResult], int] = _level_3
    concern: Callable[[EvaluationResult, Diagnostic | None], str] = _no_concern
    prevented: Callable[[EvaluationResult, pd.Series, float | None], Triple] = prevented_log
    row: Callable[[EvaluationResult, float], pd.Series] | None = None
    unit: str = "percent"
    priority: int = 50
    label: str | None = None
    text: str = "did"
    sections: str = "did"
    report_terms: str | None = None
    followed: tuple[str, ...] = ()
    figure: str | None = None
    methods_heading: str | None = None
    advice: str = ""
    diagnostics: Callable[[EvaluationResult], tuple[Diagnostic, ...]] | None = None

    def headline_row(self, result: EvaluationResult, alpha: float = 0.05) -> pd.Series:
        """The row triangulation compares."""
        return self.row(result, alpha) if self.row is not None else result.effect(self.term)


_BUILT_IN = (
    Design("its", ("its",), "cumulative_effect", "effect", level=lambda res: 2,
           concern=_concern_its, prevented=_prevented_its, priority=90,
           label="eval.design.its", text="its", sections="its", figure="its", advice="its",
           # not the AR(1) correlation (ar1_rho): a nuisance estimate, in results.json
           report_terms=r"level_change$|slope_change$|cumulative_effect$"),
    Design("controlled_its", ("controlled_its",), "cumulative_effect", "effect",
           concern=_concern_controlled_its, prevented=_prevented_its,
           label="eval.design.controlled_its", priority=20,
           text="its", sections="its", figure="its",
           methods_heading="eval.methods.controlled_its", advice="its"),
    Design("did", ("did",), "att", "effect", level=_level_did, concern=_concern_did, priority=10,
           label="eval.design.did", figure="trends", methods_heading="eval.methods.did",
           advice="panel"),
    Design("event_study", ("event_study",), None, "pre_trend", label="eval.design.event_study",
           figure="event_study", advice="panel"),
    Design("staggered_did", ("staggered_did",), "att_simple", "effect", level=_level_did,
           concern=_concern_did, prevented=_prevented_group_time, priority=10,
           label="eval.design.staggered_did", sections="staggered",
           report_terms=r"att_simple$|att_group_.+", followed=("group_time_used",),
           figure="event_study", methods_heading="eval.methods.staggered_did",
           advice="panel"),
    Design("synth", ("synth",), "att", "effect", concern=_concern_synth, priority=30,
           prevented=_prevented_synth, label="eval.design.synth", figure="synth",
           advice="synth", diagnostics=_donor_weights),
    # opt-in (issue 17): not run by run_designs yet; no credibility check of its own (its
    # weights balance the pre-periods by construction), so no concern is raised
    Design("sdid", ("sdid",), "att", "effect", prevented=_prevented_sdid, priority=25,
           label="eval.design.sdid"),
    Design("wdd", ("wdd",), "wdd_displacement", "displacement", row=_wdd_row, unit="crimes",
           concern=_concern_wdd,
           label="eval.design.wdd", figure="displacement", advice="wdd"),
    Design("wdq", ("wdq",), "wdq", None),
    Design("survey_did", ("survey_did",), "att", "insecurity", concern=_concern_survey,
           unit="percentage_points", label="eval.design.survey_did"),
    Design("cohort_outcome", ("cohort_match", "cohort_weight"), "att", None),
)

_ENTRIES: dict[str, Design] = {}  # method -> entry


def register(entry: Design) -> Design:
    """Add ``entry`` (a :class:`Design`); its methods must not be registered already."""
    if not isinstance(entry, Design):
        raise SpecError(f"register() expects a Design; got {type(entry).__name__}. Build one "
                        "with evalkit.designs.registry.Design(name, methods, term, role, ...).")
    if any(e.name == entry.name for e in _ENTRIES.values()):
        raise SpecError(f"a design called {entry.name!r} is already registered; unregister it "
                        "first or give the new design another name.")
    taken = sorted(m for m in entry.methods if m in _ENTRIES)
    if taken:
        raise SpecError(f"method(s) {', '.join(taken)} already registered (design "
                        f"{_ENTRIES[taken[0]].name!r}); unregister it first or use another "
                        "method name.")
    if not entry.methods:
        raise SpecError(f"design {entry.name!r} names no method; give the result.method "
                        "values it covers.")
    for method in entry.methods:
        _ENTRIES[method] = entry
    return entry


def unregister(name: str) -> None:
    """Remove the entry called ``name`` (and all its methods)."""
    methods = [m for m, e in _ENTRIES.items() if e.name == name]
    if not methods:
        raise SpecError(f"no design {name!r} is registered; designs: "
                        f"{', '.join(e.name for e in entries())}.")
    for method in methods:
        del _ENTRIES[method]


def find(method: str) -> Design | None:
    """The entry of ``method``, None when none is registered."""
    return _ENTRIES.get(method)


def get(method: str) -> Design:
    """The entry of ``method`` (a ``result.method`` value).

    Raises
    ------
    SpecError
        No design registered for ``method``.
    """
    entry = _ENTRIES.get(method)
    if entry is None:
        raise SpecError(f"no design is registered for method {method!r}; known methods: "
                        f"{', '.join(sorted(_ENTRIES))}. Register it with "
                        "evalkit.designs.registry.register(Design(...)).")
    return entry


def entries() -> tuple[Design, ...]:
    """Every registered entry, in registration order."""
    return tuple(dict.fromkeys(_ENTRIES.values()))


def extra_diagnostics(results: Sequence[EvaluationResult]) -> tuple[Diagnostic, ...]:
    """The extra results.json checks the results' entries name (synthetic control: its donor
    weights), in the results' order."""
    return tuple(d for res in results if (entry := get(res.method)).diagnostics
                 for d in entry.diagnostics(res))


for _entry in _BUILT_IN:
    register(_entry)
