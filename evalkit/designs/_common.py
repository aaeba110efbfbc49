"""Small helpers shared by the designs: option checks, provenance, COVID window."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_alpha, check_choice
from evalkit._version import __version__
from evalkit.data.io import data_fingerprint
from evalkit.data.panel import Panel, with_first_treated
from evalkit.errors import SpecError

__all__ = ["COVID_WINDOW", "NEVER_TREATED", "as_list", "check_alpha", "check_choice",
           "never_treated", "provenance"]

#: Default COVID-19 disruption window (DOMAIN.md §4), inclusive months.
COVID_WINDOW = ("2020-03", "2021-06")
#: a linear model of counts with an exposure models the rate per this many units of exposure
#: (per 100,000 residents, as crime rates are published), so that effects read as numbers
RATE_PER = 100_000


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """A column name, a list of names or None, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def provenance(data: Panel | pd.DataFrame | str | os.PathLike, parameters: dict[str, Any],
               *, seed: int | None = None) -> dict[str, Any]:
    """evalkit version, the data's sha256, the parameters and the seed.

    A Panel brings the digest of its source, computed when it was built.
    """
    return {
        "evalkit_version": __version__,
        "data_sha256": data.sha256 if isinstance(data, Panel) else data_fingerprint(data),
        "parameters": parameters,
        "seed": seed,
    }


def covid_overlap(periods: pd.PeriodIndex) -> bool:
    """True when the data's periods overlap the COVID-19 disruption window."""
    lo, hi = (pd.Period(p, "M") for p in COVID_WINDOW)
    start, end = periods.min().asfreq("M", "start"), periods.max().asfreq("M", "end")
    return bool(start <= hi and end >= lo)


#: cohort values that mean "never treated" (besides missing values, 0 and infinity)
NEVER_TREATED = {"", "0", "0.0", "nan", "NaN", "NA", "never", "Never", "None", "inf"}


def never_treated(raw: pd.Series) -> np.ndarray:
    """Mask of the rows whose cohort (first treated period) says "never treated"."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype(float)
        return (num.isna() | (num == 0) | np.isinf(num)).to_numpy()
    codes, uniques = pd.factorize(raw)  # missing values get code -1
    never = [i for i, v in enumerate(uniques) if str(v).strip() in NEVER_TREATED]
    return (codes < 0) | np.isin(codes, never)


def cohort_or_treatment(data: Any, *, cohort: str | None, treatment: str | None, unit: str,
                        time: str) -> tuple[Any, str]:
    """The data and its cohort column: ``cohort`` as given, or read from the 0/1
    ``treatment`` column (each unit's first period at 1) into a new column of a copy."""
    if cohort is not None:
        return data, cohort
    if treatment is None:
        raise SpecError("give cohort= (each unit's first treated period) or treatment= "
                        "(a 0/1 column the cohorts are read from).")
    return with_first_treated(data, unit=unit, time=time, treatment=treatment,
                              column="_first_treated"), "_first_treated"
