"""Goodman-Bacon (2021) decomposition of a two-way fixed-effects DiD estimate.

With a binary, absorbing treatment on a balanced panel, the TWFE coefficient of
``y_it = a_i + l_t + b D_it`` is a weighted average of every 2x2 DiD that can be formed from
two *timing groups* (units that start treatment in the same period; never-treated and
always-treated units are groups too) (Goodman-Bacon 2021, Theorem 1)::

    b_TWFE = sum_(k, l) s_kl * b_kl,      s_kl >= 0,  sum s_kl = 1.

For a pair of groups ``k`` (earlier start, treated share of periods ``Dk``) and ``l`` (later
start, ``Dl < Dk``; ``Dl = 0`` for never-treated units), with unit shares ``nk`` and ``nl``
and ``V`` the variance of the two-way-demeaned treatment, the two comparisons are

* ``k`` treated, ``l`` control, over the periods before ``l`` starts: weight
  ``nk nl (Dk - Dl)(1 - Dk) / V``. Clean: ``"treated_vs_never"`` when ``l`` is never
  treated, ``"earlier_vs_later"`` otherwise.
* ``l`` treated, ``k`` control, over the periods from ``k``'s start: weight
  ``nk nl (Dk - Dl) Dl / V``. The control units are already treated, so any change in their
  treatment effect over time is subtracted from ``l``'s effect: ``"later_vs_earlier"`` (the
  "forbidden" comparison), or ``"treated_vs_always"`` when ``k`` is treated in every period.

Each 2x2 estimate is the difference of the two groups' changes in mean outcome from the
comparison's pre-window to its post-window. The weights grow with group size and with the
variance of treatment in the pair, so groups treated near the middle of the panel count most.

Reference: Goodman-Bacon, A. (2021), "Difference-in-differences with variation in treatment
timing", *Journal of Econometrics* 225(2):254-277. On the castle-doctrine data the output
matches the R package bacondecomp's ``bacon()`` (tests/reference/test_bacon.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.data.panel import Panel, as_panel, panel_roles
from evalkit.data.periods import period_codes
from evalkit.data.validate import check_absorbing, check_numeric
from evalkit.errors import DataError
from evalkit.results import Diagnostic

__all__ = ["FORBIDDEN_THRESHOLD", "FORBIDDEN_TYPES", "TYPES", "BaconDecomposition",
           "bacon_decomposition"]

TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier", "treated_vs_always")
"""Comparison types, in the order used by the tables."""

FORBIDDEN_TYPES = ("later_vs_earlier", "treated_vs_always")
"""Comparisons whose control units are already treated (Goodman-Bacon 2021, §3.1)."""

FORBIDDEN_THRESHOLD = 0.10
"""Share of the TWFE weight on already-treated controls above which the diagnostic fails.

A screening rule of thumb, not a test: below 10% the forbidden comparisons can move the
TWFE estimate by at most a tenth of the gap between their own average and the clean one,
which is small next to the sampling error of a typical city evaluation. Above it, report
group-time (Callaway-Sant'Anna-type) estimates instead of, or beside, the TWFE estimate.
"""

_LIMIT = 5


@dataclass(frozen=True, eq=False)
class BaconDecomposition:
    """The 2x2 comparisons behind a TWFE estimate and their weights.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per 2x2 comparison with positive weight: ``type`` (one of :data:`TYPES`),
        ``treated`` (cohort: first treated period, as text), ``control`` (cohort, ``"never"``
        or ``"always"``), ``estimate`` (the 2x2 DiD) and ``weight`` (sums to 1).
    twfe : float
        The TWFE coefficient, computed directly by the within regression; equal to
        ``(table.weight * table.estimate).sum()`` up to rounding.
    summary : pandas.DataFrame
        One row per type present: ``type``, ``n_comparisons``, ``weight`` (total) and
        ``estimate`` (weighted average of the type's 2x2 estimates).
    forbidden_share : float
        Total weight of the comparisons that use already-treated units as controls
        (``later_vs_earlier`` and ``treated_vs_always``; see :data:`FORBIDDEN_TYPES`).
    """

    table: pd.DataFrame
    twfe: float
    summary: pd.DataFrame
    forbidden_share: float

    def diagnostic(self, *, threshold: float = FORBIDDEN_THRESHOLD) -> Diagnostic:
        """The decomposition as an evalkit :class:`~evalkit.results.Diagnostic`.

        Parameters
        ----------
        threshold : float, default :data:`FORBIDDEN_THRESHOLD` (0.10)
            The check passes when ``forbidden_share < threshold``.

        Returns
        -------
        Diagnostic
            ``name="bacon"``, ``statistic=forbidden_share``, ``p_value=nan`` (a weight
            share, not a test), ``table=summary``.
        """
        share = self.forbidden_share
        passed = bool(share < threshold)
        lead = (f"{share:.1%} of the weight behind the two-way fixed-effects estimate "
                f"({self.twfe:.4g}) comes from comparisons that use already-treated units "
                "as controls")
        if passed:
            message = (f"{lead}, below the {threshold:.0%} threshold, so the estimate rests "
                       "mainly on clean comparisons with not-yet-treated or never-treated "
                       "units.")
        else:
            message = (f"{lead}, at or above the {threshold:.0%} threshold; if the effect "
                       "grows or fades over time these comparisons bias the estimate, so "
                       "prefer group-time (Callaway-Sant'Anna-type) estimates.")
        return Diagnostic(
            name="bacon",
            null=(f"comparisons with already-treated controls carry less than {threshold:.0%}"
                  " of the two-way fixed-effects weight (Goodman-Bacon decomposition)"),
            statistic=float(share), p_value=math.nan, passed=passed,
            table=self.summary.copy(), message=message,
        )


def _check_switch_on(df: pd.DataFrame, unit: str, time: str, treatment: str) -> None:
    """A 0/1 treatment that switches on once per unit, its rows named as in the input."""
    d = check_numeric(df, treatment, nonnegative=False, booleans=True)
    not_binary = ~d.isin([0.0, 1.0]).to_numpy()
    if not_binary.any():
        pos = np.flatnonzero(not_binary)
        shown = "; ".join(f"row {df.index[p]} ({d.iloc[p]:g})" for p in pos[:_LIMIT])
        more = f"; and {len(pos) - _LIMIT} more" if len(pos) > _LIMIT else ""
        raise DataError(
            f"Column '{treatment}' must be binary (0/1) for the Bacon decomposition, but "
            f"found {len(pos)} other value{'s' if len(pos) != 1 else ''}: {shown}{more}. "
            "Fix: code 1 from the first treated period on; a treated share of the period "
            "works in ek.did but has no Goodman-Bacon decomposition."
        )
    check_absorbing(df.assign(**{treatment: d}), unit=unit, time=time, treatment=treatment)


def bacon_decomposition(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treatment: str,
) -> BaconDecomposition:
    """Goodman-Bacon (2021) decomposition of the TWFE estimate into 2x2 DiD comparisons.

    Decomposes the unweighted OLS coefficient of ``outcome ~ treatment | unit + time``, i.e.
    ``ek.did(data, outcome=, unit=, time=, treatment=)`` without covariates or weights.

    Parameters
    ----------
    data : Panel, DataFrame or path
        Balanced panel: one row per unit and period, every unit in every period. A Panel's
        roles (unit, time, outcome) are the defaults of those arguments; an argument naming
        another column raises :class:`SpecError`.
    outcome : str
        Numeric outcome column, no missing values.
    unit, time : str
        Unit and period columns (periods in any format :func:`evalkit.data.periods.to_periods`
        reads; only their order matters).
    treatment : str
        Binary (0/1) absorbing treatment column: once 1, a unit stays at 1.

    Returns
    -------
    BaconDecomposition
        ``table`` of 2x2 comparisons, ``twfe``, ``summary`` by type, ``forbidden_share`` and
        ``diagnostic()``.

    Raises
    ------
    DataError
        On a missing column, unreadable period, missing or non-numeric outcome, duplicated
        (unit, period), unbalanced panel, non-binary or non-absorbing treatment, or a
        treatment whose effect the TWFE regression does not identify.

    Notes
    -----
    Not supported, by design:

    * covariates: with time-varying controls the TWFE estimate also uses within-group
      variation and the 2x2 terms change (Goodman-Bacon 2021, §5); out of scope here;
    * regression weights: the identity is proved for the unweighted estimator only;
    * a treated share between 0 and 1, or treatment that switches off.

    Examples
    --------
    >>> bd = bacon_decomposition(df, outcome="y", unit="district", time="month",
    ...                          treatment="partnership")  # doctest: +SKIP
    >>> bd.summary  # doctest: +SKIP
    >>> bd.diagnostic().passed  # doctest: +SKIP
    """
    outcome, unit, time = panel_roles(data, ("outcome", "unit", "time"), outcome=outcome,
                                      unit=unit, time=time).values()
    # any number as the outcome; the balance check below is the design's own
    panel = as_panel(data, unit=unit, time=time, outcome=outcome, gaps=False,
                     rules={outcome: {"nonnegative": False},
                            treatment: {"nonnegative": False, "booleans": True}},
                     checks=[lambda df: _check_switch_on(df, unit, time, treatment)])
    df = panel.data
    y = df[outcome].to_numpy(float)
    periods = df[time]
    d = check_numeric(df, treatment, nonnegative=False, booleans=True)  # as numbers
    unit_codes, unit_labels = pd.factorize(df[unit], sort=True)
    time_codes, period_labels = period_codes(periods)
    n_units, n_periods = len(unit_labels), len(period_labels)
    counts = np.bincount(unit_codes, minlength=n_units)
    if (counts != n_periods).any():
        short = np.flatnonzero(counts != n_periods)
        shown = "; ".join(f"{unit} {unit_labels[i]!r} ({counts[i]} of {n_periods})"
                          for i in short[:_LIMIT])
        more = f"; and {len(short) - _LIMIT} more" if len(short) > _LIMIT else ""
        raise DataError(
            f"The Bacon decomposition needs a balanced panel (every unit in each of the "
            f"{n_periods} periods, {period_labels[0]} to {period_labels[-1]}), but "
            f"{len(short)} unit{'s are' if len(short) != 1 else ' is'} observed in fewer "
            f"periods: {shown}{more}. Fix: keep only the units observed throughout, or "
            "restrict the data to the periods every unit has."
        )
    Y = np.empty((n_units, n_periods))
    D = np.empty((n_units, n_periods))
    Y[unit_codes, time_codes] = y
    D[unit_codes, time_codes] = d.to_numpy(float)
    return decompose_grid(Y, D, period_labels, treatment=treatment)


def decompose_grid(Y: np.ndarray, D: np.ndarray, period_labels: pd.PeriodIndex, *,
                   treatment: str) -> BaconDecomposition:
    """The decomposition proper, on validated unit × period matrices.

    ``Y`` and ``D`` are (units × periods) arrays of a balanced panel, ``D`` binary and
    absorbing (checked by :func:`bacon_decomposition`); periods are in time order.
    """
    n_units, n_periods = D.shape
    if not D.any():
        raise DataError(
            f"Column '{treatment}' is 0 everywhere: no unit is ever treated, so there is no "
            "two-way fixed-effects estimate to decompose."
        )
    # timing group = index of the first treated period (n_periods for never-treated units)
    first = np.where(D.any(axis=1), D.argmax(axis=1), n_periods)
    groups, sizes = np.unique(first, return_counts=True)
    switching = (groups > 0) & (groups < n_periods)
    if len(groups) < 2 or not switching.any():
        raise DataError(_not_identified(treatment, groups, n_periods, period_labels))

    dt = D - D.mean(axis=1, keepdims=True)  # one (units × periods) temporary, then in place
    dt -= D.mean(axis=0, keepdims=True)
    dt += D.mean()
    ss = float(np.vdot(dt, dt))
    vd = ss / D.size
    twfe = float(np.vdot(dt, Y)) / ss

    share = sizes / n_units
    dbar = (n_periods - groups) / n_periods
    member = (first[None, :] == groups[:, None]) / sizes[:, None]  # (groups × units)
    ybar = member @ Y  # the groups' mean series
    rows = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            early, late = int(groups[i]), int(groups[j])
            base = share[i] * share[j] * (dbar[i] - dbar[j]) / vd
            if early > 0:  # early treated, late (not yet / never treated) control, before late
                est = _did(ybar[i], ybar[j], pre=slice(0, early), post=slice(early, late))
                kind = "treated_vs_never" if late == n_periods else "earlier_vs_later"
                rows.append((kind, _label(early, period_labels), _label(late, period_labels),
                             est, base * (1 - dbar[i])))
            if late < n_periods:  # late treated, early (already treated) control, from early on
                est = _did(ybar[j], ybar[i], pre=slice(early, late), post=slice(late, n_periods))
                kind = "treated_vs_always" if early == 0 else "later_vs_earlier"
                rows.append((kind, _label(late, period_labels), _label(early, period_labels),
                             est, base * dbar[j]))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    table = table[table["weight"] > 0]
    table = (table.assign(_order=table["type"].map(TYPES.index))
             .sort_values(["_order", "treated", "control"], kind="stable")
             .drop(columns="_order").reset_index(drop=True))
    forbidden = float(table.loc[table["type"].isin(FORBIDDEN_TYPES), "weight"].sum())
    return BaconDecomposition(table=table, twfe=twfe, summary=_summarise(table),
                              forbidden_share=forbidden)


def _did(treated: np.ndarray, control: np.ndarray, *, pre: slice, post: slice) -> float:
    """2x2 DiD of group-mean series: change in the treated minus change in the control."""
    return float((treated[post].mean() - treated[pre].mean())
                 - (control[post].mean() - control[pre].mean()))


def _label(group: int, periods: np.ndarray) -> str:
    if group >= len(periods):
        return "never"
    if group == 0:
        return "always"
    return str(periods[group])


def _summarise(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind in TYPES:
        part = table[table["type"] == kind]
        if part.empty:
            continue
        total = float(part["weight"].sum())
        rows.append({"type": kind, "n_comparisons": len(part), "weight": total,
                     "estimate": float((part["weight"] * part["estimate"]).sum() / total)})
    return pd.DataFrame(rows, columns=["type", "n_comparisons", "weight", "estimate"])


def _not_identified(treatment: str, groups: np.ndarray, n_periods: int,
                    periods: np.ndarray) -> str:
    if len(groups) == 1 and groups[0] == 0:
        found = "every unit is treated in every period"
    elif len(groups) == 1:
        found = (f"every unit starts treatment in the same period ({periods[groups[0]]}) "
                 "and there is no never-treated unit")
    else:
        found = "units are either treated in every period or never treated"
    return (
        f"Column '{treatment}': the two-way fixed-effects estimate is not identified, because "
        f"{found}; the unit and period effects absorb the whole treatment. Fix: include "
        "comparison units that are never treated or start at another date, and units whose "
        "treatment starts inside the panel."
    )
