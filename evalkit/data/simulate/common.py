"""Simulated cities: the result type and the checks of the options every simulator shares."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice
from evalkit.errors import SpecError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, eq=False)
class SimulatedCity:
    """Simulated data and the truth it was generated from.

    Attributes
    ----------
    data : pandas.DataFrame
        The simulated data, in the layout a city would supply.
    truth : dict
        JSON-safe: generator name, seed, every parameter (defaults resolved), the design and
        the true effects.
    """

    data: pd.DataFrame
    truth: dict

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return (
            f"SimulatedCity(data=<{rows} rows x {cols} columns>, "
            f"generator={self.truth.get('generator')!r}, seed={self.truth.get('seed')!r})"
        )


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _choice(value: Any, name: str, allowed: Sequence[str]) -> None:
    check_choice(name, value, allowed)


def _int(value: Any, name: str, low: int, high: int | None = None) -> int:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f">= {low}"
        raise SpecError(f"{name} must be an integer {span}, got {value!r}")
    return int(value)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise SpecError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise SpecError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _month(value: Any, name: str) -> pd.Period:
    if not isinstance(value, str) or not _MONTH.match(value):
        raise SpecError(f"{name} must be a month written 'YYYY-MM', got {value!r}")
    return pd.Period(value, freq="M")


def _names(values: Any, name: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    values = list(values)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise SpecError(f"{name} must be a non-empty sequence of names, got {values!r}")
    if len(set(values)) != len(values):
        raise SpecError(f"{name} contains duplicates: {values!r}")
    return values


def _per_crime(
    given: Mapping[str, float] | None,
    defaults: Mapping[str, float],
    crimes: list[str],
    name: str,
    fallback: float | None,
) -> dict[str, float]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(crimes))
    if unknown:
        raise SpecError(f"{name} names crimes that are not simulated: {unknown}; crimes={crimes}")
    out: dict[str, float] = {}
    for crime in crimes:
        value = given.get(crime, defaults.get(crime, fallback))
        if value is None:
            hint = f"{name}={{{crime!r}: ...}}"
            raise SpecError(f"{name} has no value for crime {crime!r}; pass {hint}")
        out[crime] = _positive(value, f"{name}[{crime!r}]")
    return out


def _round(x: float) -> float:
    return float(round(float(x), 6)) + 0.0  # + 0.0 turns -0.0 into 0.0


def _summary(mu0: np.ndarray, logrr: np.ndarray) -> dict[str, float | int]:
    mu1 = mu0 * np.exp(logrr)
    diff = mu1 - mu0
    n = int(mu0.size)
    return {
        "n_cells": n,
        "expected_untreated": _round(mu0.sum()),
        "expected_treated": _round(mu1.sum()),
        "att": _round(diff.mean()) if n else 0.0,
        "att_total": _round(diff.sum()),
        "crimes_prevented": _round(-diff.sum()),
        "relative_effect": _round(mu1.sum() / mu0.sum() - 1.0) if n else 0.0,
    }
