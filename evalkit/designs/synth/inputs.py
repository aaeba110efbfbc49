"""Synthetic control: reading and checking the inputs (predictors, periods, units)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.periods import parse_period
from evalkit.data.validate import (
    check_names,
    check_numeric,
)
from evalkit.errors import DataError, SpecError

PeriodSpec = Any  # (first, last) inclusive, a list of periods, or one period


def _py(value: object) -> object:
    """A numpy scalar as a Python scalar (for JSON-safe mappings)."""
    return value.item() if isinstance(value, np.generic) else value


def _spec_repr(spec: PeriodSpec | None) -> object:
    if spec is None:
        return None
    if isinstance(spec, tuple):
        return {"from": str(spec[0]), "to": str(spec[1])}
    if isinstance(spec, list | range | np.ndarray | pd.Index):
        return [str(p) for p in spec]
    return [str(spec)]


def _check_predictor_spec(predictors: object) -> list[tuple[str, PeriodSpec]] | None:
    if predictors is None:
        return None
    if isinstance(predictors, str | dict) or not isinstance(predictors, Sequence):
        raise SpecError("predictors must be a list of (column, periods) pairs, e.g. "
                        "[('gdpcap', (1960, 1969)), ('popdens', [1969])]; got "
                        f"{predictors!r}.")
    out = []
    for item in predictors:
        if (not isinstance(item, list | tuple) or len(item) != 2
                or not isinstance(item[0], str)):
            raise SpecError(f"each predictor must be a (column, periods) pair such as "
                            f"('gdpcap', (1960, 1969)); got {item!r}.")
        out.append((item[0], item[1]))
    if not out:
        raise SpecError("predictors is empty; pass None to fit the pre-period outcomes.")
    return out


def _expand(spec: PeriodSpec, freq: str, name: str, all_periods: pd.PeriodIndex,
            t0: pd.Period) -> list[pd.Period]:
    """Periods of a (first, last) range, a list or one period; all in the pre-period."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise SpecError(f"{name}: a tuple means (first, last) inclusive; got {spec!r}. "
                            "Use a list for explicit periods.")
        first, last = (parse_period(p, freq, name=name) for p in spec)
        if last < first:
            raise SpecError(f"{name}: the range {spec!r} ends before it starts.")
        wanted = list(pd.period_range(first, last, freq=first.freq))
    elif isinstance(spec, list | range | np.ndarray | pd.Index):
        wanted = [parse_period(p, freq, name=name) for p in spec]
        if not wanted:
            raise SpecError(f"{name} lists no periods.")
    else:
        wanted = [parse_period(spec, freq, name=name)]
    outside = [str(p) for p in wanted if p < all_periods[0] or p > all_periods[-1]]
    if outside:
        raise DataError(f"{name}: periods {', '.join(outside[:5])} are outside the data "
                        f"({all_periods[0]} to {all_periods[-1]}).")
    late = [str(p) for p in wanted if p >= t0]
    if late:
        raise SpecError(f"{name}: periods {', '.join(late[:5])} are not before the "
                        f"intervention ({t0}); the fit may only use pre-intervention data.")
    return list(dict.fromkeys(wanted))


def _left_out(df: pd.DataFrame, unit: str, labels: list[object], treated: list[object],
              exclude: list[object], treatment: str | None) -> dict[object, str]:
    """Units kept out of the donor pool, each with its reason: ``"exclude"`` (named by the
    user) or ``"treated"`` (``treatment`` is 1 in some period)."""
    out: dict[object, str] = {}
    texts = {str(lab): lab for lab in labels}
    unknown = [u for u in exclude if str(u) not in texts]
    if unknown:
        hints = []
        for u in unknown[:5]:
            close = difflib.get_close_matches(str(u), list(texts), n=3, cutoff=0.6)
            hints.append(f"{u!r} (closest: {', '.join(close)})" if close
                         else f"{u!r} (no close name)")
        raise DataError(f"exclude names unit(s) not found in column {unit!r}: "
                        f"{'; '.join(hints)}. Fix the spelling (names are compared exactly) "
                        "or remove them from exclude.")
    for u in exclude:
        lab = texts[str(u)]
        if lab in treated:
            raise SpecError(f"exclude lists the treated unit {u!r}; exclude is for donors "
                            "only. Remove it from exclude.")
        out[lab] = "exclude"
    if treatment:
        d = check_numeric(df, treatment, nonnegative=True, allow_missing=True, booleans=True)
        bad = d.notna() & ~d.isin([0, 1])
        if bad.any():
            values = ", ".join(map(str, pd.unique(d[bad])[:5]))
            raise DataError(f"column {treatment!r} must be 0 (untreated) or 1 (treated) in "
                            f"every row; found {values}. Fix: recode it as 0/1.")
        ever = pd.unique(df.loc[(d == 1).to_numpy(), unit])
        for lab in ever:
            if lab not in treated and lab not in out:
                out[lab] = "treated"
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def _resolve_unit(value: object, labels: list[object], unit: str) -> object:
    for label in labels:
        if label == value:
            return label
    text = str(value)
    hits = [lab for lab in labels if str(lab) == text]
    if not hits:
        try:
            number = float(text)
            hits = [lab for lab in labels if isinstance(lab, int | float | np.number)
                    and float(lab) == number]
        except ValueError:
            hits = []
    if len(hits) == 1:
        return hits[0]
    check_names([text], sorted(map(str, labels)), parameter="treated_unit", column=unit)
    shown = ", ".join(map(str, sorted(labels, key=str)[:20]))
    raise DataError(f"treated unit {value!r} not found in column {unit!r}; available units: "
                    f"{shown}{' ...' if len(labels) > 20 else ''}. Check the spelling of "
                    "treated_unit.")


def _check_missing_outcome(y, order, all_periods, treated, outcome) -> None:
    missing = np.isnan(y)
    if not missing.any():
        return
    bad = np.flatnonzero(missing.any(axis=1))
    parts = []
    for i in bad[:5]:
        miss = [str(p) for p in all_periods[missing[i]]]
        role = "treated unit" if order[i] in treated else "donor"
        parts.append(f"{role} {order[i]!r} ({', '.join(miss[:4])}"
                     f"{' ...' if len(miss) > 4 else ''})")
    more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise DataError(
        f"missing {outcome!r} values (or missing rows) in periods the synthetic control "
        f"uses ({all_periods[0]} to {all_periods[-1]}): {'; '.join(parts)}{more}. Fix: drop "
        "these donors from the data, fill in the values, or restrict the data to periods "
        "every unit reports.")


def _predictor_matrix(df, unit, periods, pred_num, predictors, order, freq, all_periods, t0):
    """Units x predictors matrix of means over each predictor's periods."""
    cols, names = [], []
    for column, spec in predictors:
        wanted = _expand(spec, freq, f"predictor {column!r}", all_periods, t0)
        mask = periods.isin(wanted).to_numpy()
        means = pred_num[column][mask].groupby(df.loc[mask, unit].to_numpy()).mean()
        values = means.reindex(order).to_numpy(float)
        if np.isnan(values).any():
            missing = [str(order[i]) for i in np.flatnonzero(np.isnan(values))]
            raise DataError(
                f"predictor {column!r} has no value in {_spec_text(wanted)} for "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}. Fix: fill "
                "these values, choose periods where they are observed, or drop these units.")
        cols.append(values)
        names.append(f"{column}[{_spec_text(wanted)}]")
    return np.column_stack(cols), names


def _spec_text(wanted: list[pd.Period]) -> str:
    if len(wanted) == 1:
        return str(wanted[0])
    contiguous = all((b - a).n == 1 for a, b in pairwise(wanted))
    if contiguous:
        return f"{wanted[0]}:{wanted[-1]}"
    return ",".join(map(str, wanted))
