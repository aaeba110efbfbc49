"""The one public result type of every evalkit design.

A design computes everything first, then builds an :class:`EvaluationResult`; the
result is frozen all the way down and the report layer only reads it. ``effects`` is the
single source of estimates (every estimate of a design is a row): ``tidy()``,
``summary()``, ``conf_int()``, ``to_dict()`` and the templates' ``results.json`` are all
views of it. ``sample`` holds counts (units, periods, observations, dropped rows, notes on
them); what else a design computes is its typed :class:`Extras` dataclass
(``ItsExtras``, ``SynthExtras``...). A public design function is decorated with
:func:`warns_at_caller`, which emits the result's caveats at the user's line.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass, field, fields
from html import escape
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EvalkitWarning, SpecError

__all__ = [
    "EFFECT_COLUMNS",
    "RELATIVE_COLUMNS",
    "Diagnostic",
    "EvaluationResult",
    "Extras",
    "effect_row",
    "effects_table",
    "emit_warnings",
    "json_safe",
    "warn",
    "warns_at_caller",
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


def _refuse(self: Any, *args: Any, **kwargs: Any) -> None:
    raise TypeError(f"this {type(self).__mro__[1].__name__} belongs to a frozen evalkit result "
                    f"and cannot be changed; copy it first with "
                    f"{type(self).__mro__[1].__name__}(...)")


class _FrozenDict(dict):
    """A dict that refuses changes (still a dict for pandas, json and isinstance checks)."""

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FrozenDict, (dict(self),))


class _FrozenList(list):
    """A list that refuses changes: the lists inside a frozen result (equal to a plain list)."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FrozenList, (list(self),))


def _freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become read-only dicts, lists read-only lists, arrays
    read-only arrays and frames copies."""
    if isinstance(value, Mapping):
        return _FrozenDict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return _FrozenList(_freeze(v) for v in value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(value)
    if isinstance(value, np.ndarray):
        out = value.copy()
        out.flags.writeable = False
        return out
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        return value.copy(deep=True)
    return value


class _FrameField:
    """A DataFrame field of a frozen dataclass: stored as a private deep copy, read as a copy,
    so that changing what a reader got never changes the result."""

    def __init__(self, *, optional: bool = False) -> None:
        self.optional = optional

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.private = name, f"_{name}_frame"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if self.optional:
                return None  # the dataclass default
            raise AttributeError(self.name)  # no default: a required field
        frame = obj.__dict__[self.private]
        return None if frame is None else frame.copy(deep=True)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.private in obj.__dict__:
            raise FrozenInstanceError(f"cannot assign to field {self.name!r}")
        if value is None and self.optional:
            obj.__dict__[self.private] = None
            return
        if not isinstance(value, pd.DataFrame):
            raise SpecError(f"{self.name} must be a pandas DataFrame; got "
                            f"{type(value).__name__}. Build it with pd.DataFrame(...).")
        obj.__dict__[self.private] = value.copy(deep=True)


@dataclass(frozen=True, eq=False)
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
        Supporting detail (per-lag autocorrelations, lead coefficients...); read as a copy.
    message : str
        One plain-language sentence about what the check found.
    """

    name: str
    null: str
    statistic: float
    p_value: float
    passed: bool
    table: pd.DataFrame | None = _FrameField(optional=True)  # type: ignore[assignment]
    message: str = ""

    def _key(self) -> tuple[Any, ...]:
        # the table is detail, not identity (as before: compare=False)
        return (self.name, self.null, self.statistic, self.p_value, self.passed, self.message)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

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
class Extras:
    """Base of the per-design extras: what a design computes besides its estimates and counts
    (donor weights, fit measures, caveat notes...). Subclasses are frozen dataclasses; their
    containers are made read-only on construction."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _freeze(getattr(self, f.name)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field (``extras`` in :meth:`EvaluationResult.to_dict`)."""
        return json_safe({f.name: getattr(self, f.name) for f in fields(self)})


# eq=False: two results are equal only when they are the same object (their tables are
# copies on each read, so field-wise equality would compare DataFrames and raise)
@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Result of an evalkit design; frozen and fully computed before construction.

    Immutability holds all the way down: ``effects``, ``series`` and ``vcov`` are stored as
    private copies and read as copies; ``spec``, ``sample``, ``provenance`` and ``extras``
    are read-only views of deep copies.

    Attributes
    ----------
    method : str
        Design name (``its``, ``did``, ``event_study``...).
    spec : Mapping
        Exactly what was estimated: outcome, unit, time, treatment, controls, family,
        vcov convention, alpha, ...
    effects : DataFrame
        Tidy effects: ``term, estimate, std_error, ci_low, ci_high, p_value, scale``
        (+ ``relative_effect, relative_ci_low, relative_ci_high`` where meaningful). Every
        estimate of the design is a row.
    series : DataFrame
        Long frame for plots (observed/counterfactual or event-time coefficients).
    diagnostics : tuple of Diagnostic
    warnings : tuple of str
        Plain-language caveats; the design function emits them as :class:`EvalkitWarning`
        pointing at the caller's line (see :func:`warns_at_caller`), the constructor does not.
    sample : Mapping
        Numbers of units, periods, observations, dropped rows.
    provenance : Mapping
        evalkit version, data sha256, parameters, seed.
    extras : Extras, optional
        The design's own typed payload (``ItsExtras``, ``WddExtras``...).
    vcov : DataFrame, optional
        Covariance matrix of the estimated parameters, rows and columns labelled by term,
        for the terms whose interval is a Wald interval; None where none exists (permutation,
        bootstrap or conformal inference).
    wald_df : Mapping
        Term → degrees of freedom of the t reference of its Wald interval (``inf`` for a
        normal reference); the terms :meth:`conf_int` can recompute.
    """

    method: str
    spec: Mapping[str, Any]
    effects: pd.DataFrame = _FrameField()  # type: ignore[assignment]
    series: pd.DataFrame = _FrameField()  # type: ignore[assignment]
    diagnostics: tuple[Diagnostic, ...] = ()
    warnings: tuple[str, ...] = ()
    sample: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    extras: Extras | None = None
    vcov: pd.DataFrame | None = _FrameField(optional=True)  # type: ignore[assignment]
    wald_df: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("spec", "sample", "provenance", "wald_df"):
            object.__setattr__(self, name, _freeze(dict(getattr(self, name))))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        if self.extras is not None and not isinstance(self.extras, Extras):
            raise SpecError(f"extras must be an evalkit Extras dataclass; got "
                            f"{type(self.extras).__name__}.")
        unknown = [t for t in self.wald_df if t not in set(self._stored_effects["term"])]
        if unknown:
            raise SpecError(f"wald_df names terms {unknown} that are not rows of effects; "
                            "give degrees of freedom only for the effects' terms.")

    # -- views -------------------------------------------------------------------------
    @property
    def weights(self) -> pd.Series | None:
        """Donor weights of a synthetic-control result, indexed by unit (None otherwise)."""
        donors = getattr(self.extras, "donor_weights", None)
        if donors is None:
            return None
        return pd.Series(list(donors.values()), index=list(donors.keys()), name="weight",
                         dtype=float)

    def tidy(self) -> pd.DataFrame:
        """A copy of the effects table (the one source of estimates)."""
        return self.effects

    def effect(self, term: str) -> pd.Series:
        """The effects row of one term, e.g. ``result.effect("att")["estimate"]``."""
        effects = self._stored_effects
        hit = effects[effects["term"] == term]
        if hit.empty:
            raise SpecError(
                f"no term {term!r} in this {self.method} result; "
                f"available terms: {', '.join(effects['term'])}"
            )
        return hit.iloc[0].copy()

    def conf_int(self, level: float = 0.95, terms: Sequence[str] | None = None
                 ) -> pd.DataFrame:
        """Wald intervals at any confidence level, with the reference the design used.

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).
        terms : sequence of str, optional
            Terms to give (default: every term with a Wald interval).

        Returns
        -------
        DataFrame
            ``term, estimate, std_error, df, ci_low, ci_high`` (``df`` is ``inf`` for a
            normal reference), on the model scale of ``estimate``.

        Raises
        ------
        SpecError
            When ``level`` is not in (0, 1), a term is unknown, or a term's interval is not
            a Wald interval (bootstrap, permutation, conformal): ``effects`` holds that
            interval at the design's own level only.
        """
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise SpecError(f"level must be a confidence level between 0 and 1 (e.g. 0.9); "
                            f"got {level!r}.")
        if terms is None:
            terms = [t for t in self._stored_effects["term"] if t in self.wald_df]
            if not terms:
                raise SpecError(
                    f"this {self.method} result has no Wald interval (its intervals come "
                    f"from {self.spec.get('vcov', 'its own inference')}); use the interval "
                    "in effects, computed at the design's alpha, or re-run the design with "
                    "another alpha.")
        rows = []
        for term in terms:
            row = self.effect(term)
            if term not in self.wald_df:
                raise SpecError(
                    f"the interval of {term!r} in this {self.method} result is not a Wald "
                    "interval (bootstrap, permutation or conformal), so it cannot be "
                    "recomputed at another level; re-run the design with "
                    f"alpha={1 - level:.3g}. Terms with Wald intervals: "
                    f"{', '.join(self.wald_df) or 'none'}.")
            df = float(self.wald_df[term])
            dist = stats.norm if not np.isfinite(df) else stats.t(df)
            q = float(dist.ppf(0.5 + level / 2))
            est, se = float(row["estimate"]), float(row["std_error"])
            rows.append({"term": term, "estimate": est, "std_error": se, "df": df,
                         "ci_low": est - q * se, "ci_high": est + q * se})
        return pd.DataFrame(rows, columns=["term", "estimate", "std_error", "df", "ci_low",
                                           "ci_high"])

    @property
    def _stored_effects(self) -> pd.DataFrame:
        # the stored frame itself, for reads inside this class that hand out only copies
        return self.__dict__["_effects_frame"]

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
            "extras": None if self.extras is None else self.extras.to_dict(),
            "vcov": None if self.vcov is None else {
                "terms": list(self.vcov.index), "matrix": self.vcov.to_numpy().tolist()},
            # None (JSON null) is a normal reference, a number the df of a t reference
            "wald_df": dict(self.wald_df),
        }
        safe = json_safe(out)
        json.dumps(safe)  # fail here, not in the caller, if something slipped through
        return safe


_PACKAGE = Path(__file__).resolve().parent
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _inside_evalkit(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):  # "<stdin>", "<ipython-input-...>"
        return False


def emit_warnings(result: EvaluationResult) -> None:
    """Emit a result's caveats as :class:`EvalkitWarning`, pointing at the first line
    outside evalkit on the stack (the user's call), however deep inside evalkit this runs."""
    for message in result.warnings:
        warn(message)


def warn(message: object) -> None:
    """Emit ``message`` as an :class:`EvalkitWarning` pointing at the first line outside
    evalkit on the stack (the user's call), for warnings raised before a result exists."""
    frame, level = sys._getframe(0), 1
    while frame is not None and _inside_evalkit(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, EvalkitWarning, stacklevel=level)


def warns_at_caller(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a public design function: its result's caveats are emitted as warnings that
    point at the caller's line, not at evalkit's (the result constructor emits nothing)."""
    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        result = func(*args, **kwargs)
        if isinstance(result, EvaluationResult):
            emit_warnings(result)
        return result
    return wrapper


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
