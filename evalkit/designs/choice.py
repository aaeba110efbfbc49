"""Which difference-in-differences design fits the data, and why (used by the did template).

* one start date for every treated area → two-way fixed effects with an event study;
* several start dates (staggered roll-out) → Callaway–Sant'Anna group-time effects, the TWFE
  estimate shown for comparison with its Goodman-Bacon decomposition;
* fewer than 5 treated areas or 20 areas in all → inference that holds with few clusters
  (wild cluster bootstrap for linear models, randomization inference for Poisson).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from evalkit._checks import FEW_CLUSTERS, FEW_TREATED, check_choice
from evalkit.data.panel import Panel, panel_roles, source_frame, timing
from evalkit.data.periods import to_periods
from evalkit.data.validate import require_columns
from evalkit.designs._common import never_treated
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat

__all__ = ["DesignChoice", "choose_did_design"]


@dataclass(frozen=True)
class DesignChoice:
    """The chosen design, the inference that goes with it, and the reasons in plain words."""

    design: Literal["twfe", "staggered"]
    inference: Literal["cluster", "wild", "permutation"]
    n_units: int
    n_treated: int
    n_never: int
    cohorts: tuple[str, ...]
    reasons: tuple[Caveat, ...]

    def render(self, lang: str) -> list[str]:
        """The reasons as sentences in ``lang``."""
        return [r.render(lang) for r in self.reasons]


def choose_did_design(data: Panel | pd.DataFrame | str | os.PathLike, *,
                      unit: str | None = None, time: str | None = None,
                      treatment: str | None = None, cohort: str | None = None,
                      family: Literal["ols", "poisson"] = "ols",
                      design: Literal["auto", "twfe", "staggered"] = "auto") -> DesignChoice:
    """Choose between TWFE and group-time DiD, and the inference, from the data.

    Parameters
    ----------
    data : Panel, DataFrame or path
        A Panel's unit and time are the defaults of ``unit`` and ``time`` (its timing of
        ``treatment`` is reused); an argument naming another column raises
        :class:`SpecError`.
    unit, time : str
    treatment : str, optional
        0/1 (or share) treatment column; first treated periods are derived from it.
    cohort : str, optional
        First treated period per unit (empty for never treated); used when given.
    family : {"ols", "poisson"}
        The outcome model of the TWFE estimate (decides the few-clusters inference).
    design : {"auto", "twfe", "staggered"}
        ``"auto"`` chooses from the timing; the others force a design (the reason says so).
    """
    check_choice("design", design, ("auto", "twfe", "staggered"))
    if treatment is None and cohort is None:
        raise SpecError("give treatment= or cohort= so that the start dates can be found.")
    unit, time = panel_roles(data, ("unit", "time"), unit=unit, time=time).values()
    df = source_frame(data)
    require_columns(df, [unit, time] + [c for c in (treatment, cohort) if c])
    df = df.dropna(subset=[unit, time])
    units = df[unit].astype(str)
    if cohort:
        raw = df[cohort]
        never = pd.Series(never_treated(raw), index=raw.index)
        if never.all():
            raise DataError(f"no treated unit: column {cohort!r} is empty for every area. "
                            "Give each partnership area its first treated period.")
        first = raw[~never].groupby(units[~never]).first().astype(str)
        first = pd.Series(to_periods(first, column=cohort)[0].astype(str).to_numpy(),
                          index=first.index)
    elif isinstance(data, Panel):
        first = data.timing(treatment).first.astype(str)
    else:
        periods, _ = to_periods(df[time], column=time)
        first = timing(df.assign(**{time: periods, unit: units}), unit=unit, time=time,
                       treatment=treatment).first.astype(str)
    n_units = int(units.nunique())
    n_treated = int(first.size)
    if n_treated == 0:
        raise DataError(f"no treated unit: nothing in {cohort or treatment!r} marks a start.")
    cohorts = tuple(sorted(first.unique()))
    n_never = n_units - n_treated
    reasons: list[Caveat] = []
    if design == "auto":
        chosen = "staggered" if len(cohorts) > 1 else "twfe"
        reasons.append(Caveat("choice_staggered", n=len(cohorts)) if chosen == "staggered"
                       else Caveat("choice_common", start=cohorts[0]))
    else:
        chosen = design
        reasons.append(Caveat("choice_requested", design=design))
    if chosen == "staggered" and n_never == 0 and cohort is not None:
        reasons.append(Caveat("choice_not_yet_treated"))
    few = n_treated < FEW_TREATED or n_units < FEW_CLUSTERS
    inference = "cluster" if not few else ("wild" if family == "ols" else "permutation")
    if few:
        reasons.append(Caveat("choice_few_treated", n_treated=n_treated, n_units=n_units))
    return DesignChoice(chosen, inference, n_units, n_treated, n_never, cohorts,
                        tuple(reasons))
