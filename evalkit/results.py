"""The one public result type of every evalkit design.

A design computes everything first, then builds an :class:`EvaluationResult`; the
result is frozen and the report layer only reads it. ``effects`` is the single
source of estimates: ``tidy()``, ``summary()``, ``to_dict()`` and the templates'
``results.json`` are all views of it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EvalkitWarning, SpecError

__all__ = [
    "EFFECT_COLUMNS",
    "RELATIVE_COLUMNS",
    "Diagnostic",
    "EvaluationResult",
    "effect_row",
    "effects_table",
    "json_safe",
]

Scale = Literal["additive", "log", "ratio"]

EFFECT_COLUMNS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "scale")
RELATIVE_COLUMNS = ("relative_effect", "relative_ci_low", "relative_ci_high")


def effect_row(
    term: str,
    estimate: float,
    std_error: float,
    *,
    alpha: float,
    scale: Scale,
    df: float | None = None,
    relative: Literal["exp", "none"] | tuple[float, float, float] = "none",
) -> dict[str, Any]:
    """One row of an effects table with a Wald interval and two-sided p-value.

    Parameters
    ----------
    term : str
        Term name as in ``results.json`` (``level_change``, ``att``, ...).
    estimate, std_error : float
        Point estimate and its standard error on the model scale.
    alpha : float
        1 - confidence level.
    scale : {"additive", "log", "ratio"}
        Scale of ``estimate``.
    df : float, optional
        Degrees of freedom for a t reference distribution; normal when None.
    relative : "exp", "none" or (estimate, low, high)
        ``"exp"`` adds the rate ratio ``exp(estimate)`` with its interval (log-scale terms);
        a tuple gives the relative effect and its interval computed elsewhere.
    """
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    q = float(dist.ppf(1 - alpha / 2))
    if std_error > 0 and np.isfinite(std_error):
        p = float(2 * dist.sf(abs(estimate) / std_error))
    else:
        p = float("nan")
    lo, hi = estimate - q * std_error, estimate + q * std_error
    row: dict[str, Any] = {
        "term": term,
        "estimate": float(estimate),
        "std_error": float(std_error),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": p,
        "scale": scale,
    }
    if relative == "exp":
        row.update(relative_effect=math.exp(estimate), relative_ci_low=math.exp(lo),
                   relative_ci_high=math.exp(hi))
    elif isinstance(relative, tuple):
        row.update(zip(RELATIVE_COLUMNS, map(float, relative), strict=True))
    return row


def effects_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a tidy effects table with the contract's column order.

    Relative columns are included (NaN where a row has none) when any row has them.
    """
    frame = pd.DataFrame(list(rows))
    missing = [c for c in EFFECT_COLUMNS if c not in frame.columns]
    if missing:
        raise SpecError(f"effects table is missing columns {missing}")
    columns = list(EFFECT_COLUMNS)
    if any(c in frame.columns for c in RELATIVE_COLUMNS):
        columns += list(RELATIVE_COLUMNS)
    extra = [c for c in frame.columns if c not in columns]
    return frame.reindex(columns=columns + extra).reset_index(drop=True)


@dataclass(frozen=True)
class Diagnostic:
    """A check of one assumption, as a hypothesis test or a fit statistic.

    Attributes
    ----------
    name : str
        Machine name (``pre_trend``, ``autocorrelation``, ``overdispersion``...).
    null : str
        The null hypothesis or the quantity checked, in plain words.
    statistic : float
        Test statistic (or the fit measure).
    p_value : float
        p-value of the test (NaN for a fit statistic without one).
    passed : bool
        True when the data give no reason to doubt the assumption.
    table : DataFrame, optional
        Supporting detail (per-lag autocorrelations, lead coefficients...).
    message : str
        One plain-language sentence about what the check found.
    """

    name: str
    null: str
    statistic: float
    p_value: float
    passed: bool
    table: pd.DataFrame | None = field(default=None, compare=False)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the fields ``results.json`` carries."""
        return json_safe({
            "name": self.name,
            "null": self.null,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "passed": bool(self.passed),
            "message": self.message,
        })


@dataclass(frozen=True)
class EvaluationResult:
    """Result of an evalkit design; frozen and fully computed before construction.

    Attributes
    ----------
    method : str
        Design name (``its``, ``did``, ``event_study``...).
    spec : Mapping
        Exactly what was estimated: outcome, unit, time, treatment, controls, family,
        vcov convention, alpha, ...
    effects : DataFrame
        Tidy effects: ``term, estimate, std_error, ci_low, ci_high, p_value, scale``
        (+ ``relative_effect, relative_ci_low, relative_ci_high`` where meaningful).
    series : DataFrame
        Long frame for plots (observed/counterfactual or event-time coefficients).
    diagnostics : tuple of Diagnostic
    warnings : tuple of str
        Plain-language caveats.
    sample : Mapping
        Numbers of units, periods, observations, dropped rows.
    provenance : Mapping
        evalkit version, data sha256, parameters, seed.
    """

    method: str
    spec: Mapping[str, Any]
    effects: pd.DataFrame
    series: pd.DataFrame
    diagnostics: tuple[Diagnostic, ...] = ()
    warnings: tuple[str, ...] = ()
    sample: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("spec", "sample", "provenance"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        for message in self.warnings:
            warnings.warn(message, EvalkitWarning, stacklevel=3)

    # -- views -------------------------------------------------------------------------
    @property
    def weights(self) -> pd.Series | None:
        """Donor weights of a synthetic-control result, indexed by unit (None otherwise)."""
        donors = self.sample.get("donor_weights")
        if donors is None:
            return None
        return pd.Series(list(donors.values()), index=list(donors.keys()), name="weight",
                         dtype=float)

    def tidy(self) -> pd.DataFrame:
        """A copy of the effects table (the one source of estimates)."""
        return self.effects.copy()

    def effect(self, term: str) -> pd.Series:
        """The effects row of one term, e.g. ``result.effect("att")["estimate"]``."""
        hit = self.effects[self.effects["term"] == term]
        if hit.empty:
            raise SpecError(
                f"no term {term!r} in this {self.method} result; "
                f"available terms: {', '.join(self.effects['term'])}"
            )
        return hit.iloc[0].copy()

    def diagnostic(self, name: str) -> Diagnostic:
        """The diagnostic called ``name``."""
        for d in self.diagnostics:
            if d.name == name:
                return d
        names = ", ".join(d.name for d in self.diagnostics) or "none"
        raise SpecError(f"no diagnostic {name!r} in this result; available: {names}")

    def summary(self) -> str:
        """Plain-text summary: design, sample, effects, diagnostics, warnings."""
        level = round(100 * (1 - float(self.spec.get("alpha", 0.05))))
        lines = [
            f"evalkit {self.method} — outcome: {self.spec.get('outcome', '?')}",
            "sample: " + ", ".join(f"{k}={v}" for k, v in self.sample.items()
                                   if isinstance(v, int | float | str)),
            f"vcov: {self.spec.get('vcov', '?')}",
            "",
            f"effects ({level}% CI):",
            _format_effects(self.effects).to_string(index=False),
        ]
        if self.diagnostics:
            lines += ["", "diagnostics:"]
            lines += [f"  [{'ok' if d.passed else '!!'}] {d.name}: statistic={d.statistic:.3g}, "
                      f"p={d.p_value:.3g} — {d.message or d.null}" for d in self.diagnostics]
        if self.warnings:
            lines += ["", "warnings:"] + [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        effects = _format_effects(self.effects).to_html(index=False, escape=True, border=0)
        diag = "".join(
            f"<li>{'✔' if d.passed else '⚠'} <b>{escape(d.name)}</b>: "
            f"{escape(d.message or d.null)} (p = {d.p_value:.3g})</li>"
            for d in self.diagnostics
        )
        warn = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
        return (
            f"<div class='evalkit-result'><h4>evalkit {escape(self.method)} — "
            f"{escape(str(self.spec.get('outcome', '')))}</h4>{effects}"
            + (f"<p>Diagnostics</p><ul>{diag}</ul>" if diag else "")
            + (f"<p>Warnings</p><ul>{warn}</ul>" if warn else "")
            + "</div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything but the plot series, JSON-safe (NaN and inf become None)."""
        out = {
            "method": self.method,
            "spec": dict(self.spec),
            "effects": self.effects.to_dict(orient="records"),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "warnings": list(self.warnings),
            "sample": dict(self.sample),
            "provenance": dict(self.provenance),
        }
        safe = json_safe(out)
        json.dumps(safe)  # fail here, not in the caller, if something slipped through
        return safe


def _format_effects(effects: pd.DataFrame) -> pd.DataFrame:
    shown = effects.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: f"{v:.4g}" if pd.notna(v) else "")
    return shown


def json_safe(value: Any) -> Any:
    """Convert numpy/pandas scalars, periods, tuples and NaN to JSON-safe values."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence | np.ndarray | pd.Index | pd.Series):
        return [json_safe(v) for v in list(value)]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    return str(value)
