"""Small helpers shared by the designs: option checks, provenance, COVID window."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from evalkit.data.io import data_fingerprint
from evalkit.errors import SpecError

__all__ = ["COVID_WINDOW", "as_list", "check_alpha", "check_choice", "provenance"]

#: Default COVID-19 disruption window (DOMAIN.md §4), inclusive months.
COVID_WINDOW = ("2020-03", "2021-06")


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise SpecError unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise SpecError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


def check_alpha(alpha: float) -> None:
    """alpha must lie strictly between 0 and 1."""
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise SpecError(f"alpha must be a number between 0 and 1 (e.g. 0.05); got {alpha!r}.")


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """A column name, a list of names or None, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def provenance(data: pd.DataFrame | str | os.PathLike, parameters: dict[str, Any],
               *, seed: int | None = None) -> dict[str, Any]:
    """evalkit version, the data's sha256, the parameters and the seed."""
    from evalkit import __version__

    return {
        "evalkit_version": __version__,
        "data_sha256": data_fingerprint(data),
        "parameters": parameters,
        "seed": seed,
    }


def covid_overlap(periods: pd.PeriodIndex) -> bool:
    """True when the data's periods overlap the COVID-19 disruption window."""
    lo, hi = (pd.Period(p, "M") for p in COVID_WINDOW)
    start, end = periods.min().asfreq("M", "start"), periods.max().asfreq("M", "end")
    return bool(start <= hi and end >= lo)
