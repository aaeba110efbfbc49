"""Staggered roll-out: data preparation (the balanced panel as arrays, cohorts, comparisons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core.absorb import as_grid
from evalkit.data.panel import source_frame
from evalkit.data.periods import coded_periods, to_periods
from evalkit.data.validate import (
    _fmt,
    check_numeric,
    check_positive,
    check_unique,
    require_columns,
)
from evalkit.designs._common import (
    RATE_PER,
    never_treated,
)
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat

#: fewest never-treated units (plus one per covariate) for a never-treated comparison: R did
#: stops below it ("never treated group is too small"), and csdid does the same
MIN_NEVER_TREATED = 5


@dataclass
class _Panel:
    y: np.ndarray                 # (n, T) outcome
    x: np.ndarray                 # (n, T, k) covariates (k may be 0)
    g_idx: np.ndarray             # (n,) cohort index into cohort_ords, -1 = never treated
    periods: pd.PeriodIndex       # the T periods, sorted
    cohort_ords: np.ndarray       # ordinal of each cohort's first treated period
    cohort_labels: list[str]
    cohort_sizes: np.ndarray
    n_never: int
    freq: str
    notes: list[Caveat]
    w: np.ndarray | None = None        # (n,) unit weights, mean 1; None = equal weights
    cluster: np.ndarray | None = None  # (n,) cluster codes; None = each unit its own cluster
    control_group: str = "never_treated"  # the comparison used ("auto" resolved)
    n_never_data: int = 0                 # never-treated units in the data
    unit_labels: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def n_periods(self) -> int:
        return self.y.shape[1]

    @property
    def ords(self) -> np.ndarray:
        return np.asarray(self.periods.asi8)


def _check_int(name: str, value: object, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise SpecError(f"{name} must be a whole number >= {low}; got {value!r}.")


def _prepare(data, *, outcome: str, unit: str, time: str, cohort: str,
             covariates: list[str], control_group: str, anticipation: int,
             weights: str | None = None, cluster: str | None = None,
             exposure: str | None = None) -> _Panel:
    df = source_frame(data)
    cols = list(dict.fromkeys([outcome, unit, time, cohort, *covariates]
                              + [c for c in (weights, cluster, exposure) if c]))
    require_columns(df, cols)
    if len({outcome, unit, time, cohort}) < 4:
        raise SpecError(f"outcome, unit, time and cohort must be four different columns; got "
                        f"{outcome!r}, {unit!r}, {time!r}, {cohort!r}.")
    y = check_numeric(df, outcome, nonnegative=False).to_numpy()
    if exposure:
        check_positive(df, exposure)
        y = y / df[exposure].to_numpy(float) * RATE_PER  # the rate per 100,000
    xs = [check_numeric(df, c, nonnegative=False).to_numpy() for c in covariates]
    if df[unit].isna().any():
        rows = list(df.index[df[unit].isna()][:5])
        raise DataError(f"Column '{unit}' must name a unit in every row, but rows {rows} are "
                        "missing. Fix: fill in the unit or drop these rows.")
    coded = coded_periods(df[time], column=time)
    periods, freq, tcodes = coded.periods, coded.freq, coded.codes
    notes: list[Caveat] = []
    min_never = MIN_NEVER_TREATED + len(covariates)
    ucodes, ulabels = pd.factorize(df[unit], sort=True)
    pidx = coded.labels
    all_ords = np.asarray(pidx.asi8)
    n, T = len(ulabels), len(all_ords)
    cells = ucodes * T
    cells += tcodes
    if np.bincount(cells, minlength=n * T).max() > 1:
        check_unique(df.assign(**{time: periods}), [unit, time])  # raises, naming the rows

    # balanced panel: every unit observed in every period
    counts = np.bincount(ucodes, minlength=n)
    if (counts < T).any():
        present = np.zeros((n, T), dtype=bool)
        present[ucodes, tcodes] = True
        bad = np.flatnonzero(counts < T)
        shown = []
        for b in bad[:5]:
            miss = [str(pd.Period(ordinal=int(o), freq=pidx.freq))
                    for o in all_ords[~present[b]][:5]]
            more = "" if (~present[b]).sum() <= 5 else ", ..."
            shown.append(f"{unit} {_fmt(ulabels[b])} is missing {', '.join(miss)}{more}")
        extra = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(
            f"staggered_did needs a balanced panel (every {unit} observed in each of the {T} "
            f"periods of '{time}'), but {len(bad)} unit(s) have missing periods: "
            f"{'; '.join(shown)}{extra}. Fix: add the missing rows (e.g. a count of 0 if "
            f"there were no incidents), or drop these units, e.g. "
            f"df[~df[{unit!r}].isin([...])]. (R did drops such units silently; evalkit "
            "refuses so that nothing disappears unseen.)")

    # cohort: constant within unit, parsed at the data's frequency
    raw = df[cohort]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        never = never_treated(raw)
        rcodes = raw.to_numpy(dtype=float, copy=True)
        rcodes[never] = -1.0
    else:  # text: each distinct value is looked at once
        rcodes, uniq = pd.factorize(raw)
        never_uniq = never_treated(pd.Series(uniq, dtype=object))
        never = (rcodes < 0) | (never_uniq[np.maximum(rcodes, 0)] if len(uniq) else True)
        rcodes[never] = -2
    per_cell = np.empty(n * T, dtype=rcodes.dtype)
    per_cell[cells] = rcodes                            # balanced: every cell is filled
    per_cell = per_cell.reshape(n, T)
    varies = per_cell.min(axis=1) != per_cell.max(axis=1)
    if varies.any():
        bad = ", ".join(_fmt(ulabels[i]) for i in np.flatnonzero(varies)[:5])
        raise DataError(
            f"Column '{cohort}' must be constant within each {unit} (its first treated "
            f"period), but units [{bad}] have several values. Fix: give every row of a unit "
            "the same first treated period (0 or empty if never treated).")
    first_row = np.zeros(n, dtype=int)
    first_row[ucodes[::-1]] = np.arange(len(df))[::-1]
    unit_never = never[first_row]
    g_ord = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if (~unit_never).any():
        vals = raw.iloc[first_row[~unit_never]]
        codes, uniq = pd.factorize(vals)                 # parse each distinct value once
        _, first_pos = np.unique(codes, return_index=True)
        uniq = pd.Series(np.asarray(uniq, dtype=object), index=vals.index[first_pos])
        if pd.api.types.is_float_dtype(vals):
            uniq = uniq.map(lambda v: str(int(v)) if float(v).is_integer() else str(v))
        gp, _ = to_periods(uniq, freq=freq, column=cohort)  # messages name the data's rows
        g_ord[~unit_never] = pd.PeriodIndex(gp).asi8[codes]

    late = (~unit_never) & (g_ord > all_ords[-1])
    if late.any():
        notes.append(Caveat("cs_late_cohort_never", n=int(late.sum()), last=str(
            pd.Period(ordinal=int(all_ords[-1]), freq=pidx.freq))))
        unit_never = unit_never | late
    g_ord[unit_never] = np.iinfo(np.int64).max
    if unit_never.all() or len(np.unique(g_ord[~unit_never])) == 0:
        raise DataError(
            f"Column '{cohort}' has no treated unit within the data's periods (every value is "
            "0, empty, 'never' or after the last period). Fix: check the cohort column: it "
            "must hold each unit's first treated period, e.g. 2021 or 2021-06.")
    # units treated in the first period (or within `anticipation` of it) have no pre-period
    first_ok = all_ords[0] + anticipation
    early = (~unit_never) & (g_ord <= first_ok)
    keep = np.ones(n, dtype=bool)
    if early.any():
        notes.append(Caveat("cs_dropped_first_period", n=int(early.sum()),
                            first=str(pd.Period(ordinal=int(all_ords[0]), freq=pidx.freq))))
        keep = ~early

    w_unit = None
    if weights:
        check_positive(df, weights)
        w_unit = _per_unit(df[weights].to_numpy(float), ucodes, first_row, ulabels,
                           column=weights, unit=unit, what="weight")
    cl_unit = None
    if cluster and cluster != unit:
        if df[cluster].isna().any():
            rows = list(df.index[df[cluster].isna()][:5])
            raise DataError(f"Column '{cluster}' (the cluster) is missing in rows {rows}. "
                            "Fix: fill in the cluster of every row or drop these rows.")
        cl_unit = _per_unit(pd.factorize(df[cluster])[0], ucodes, first_row, ulabels,
                            column=cluster, unit=unit, what="cluster")

    n_never_data = int(unit_never[keep].sum())
    if control_group == "auto":
        control_group = ("never_treated" if int(unit_never[keep].sum()) >= min_never
                         else "not_yet_treated")
    if not unit_never[keep].any() and control_group == "never_treated":
        raise DataError(
            f"control_group='never_treated' needs units that are never treated, but every "
            f"{unit} in '{cohort}' is treated at some point. Fix: use "
            "control_group='not_yet_treated' (later cohorts serve as comparisons until "
            "they are treated), or add never-treated comparison units.")

    ymat = as_grid(y, cells, n)                         # a view when sorted by unit, period
    xmat = np.empty((n, T, len(xs)))
    for j, xv in enumerate(xs):
        xmat[ucodes, tcodes, j] = xv
    ymat, xmat, g_ord, unit_never = ymat[keep], xmat[keep], g_ord[keep], unit_never[keep]
    if w_unit is not None:
        w_unit = w_unit[keep] / w_unit[keep].mean()   # scale-free: mean 1, as R did
    if cl_unit is not None:
        cl_unit = pd.factorize(cl_unit[keep])[0]
    if control_group == "never_treated" and 0 < unit_never.sum() < min_never:
        raise DataError(
            f"control_group='never_treated' needs at least {min_never} never-treated "
            f"{unit}s (5 plus one per covariate, R did's rule), but only "
            f"{int(unit_never.sum())} never-treated {unit}(s) remain: every cohort would be "
            "compared with so few areas that their idiosyncratic changes pass for effects "
            "and the standard errors are unreliable. Fix: use control_group='auto' or "
            "'not_yet_treated' (later cohorts serve as comparisons until they start), or add "
            "never-treated comparison areas.")

    if not unit_never.any():
        # R did: with no never-treated units, the last cohort becomes the comparison group
        # and periods from its start (minus anticipation) on are dropped.
        last = g_ord.max()
        tkeep = all_ords < last - anticipation
        if tkeep.sum() < 2:
            raise DataError(
                f"Every {unit} is treated and fewer than two periods precede the last cohort; "
                "no comparison is possible. Fix: add never-treated units or earlier periods.")
        notes.append(Caveat("cs_last_cohort_control",
                            cohort=str(pd.Period(ordinal=int(last), freq=pidx.freq)),
                            n=int((g_ord == last).sum())))
        unit_never = g_ord == last
        g_ord = np.where(unit_never, np.iinfo(np.int64).max, g_ord)
        all_ords, ymat, xmat = all_ords[tkeep], ymat[:, tkeep], xmat[:, tkeep]
        if not (g_ord[~unit_never] > all_ords[0] + anticipation).any():
            raise DataError("No cohort is left with a pre-treatment period after using the "
                            "last cohort as comparison. Fix: add never-treated units.")

    cohort_ords = np.unique(g_ord[~unit_never])
    g_idx = np.where(unit_never, -1, np.searchsorted(cohort_ords, g_ord))
    plist = pd.PeriodIndex([pd.Period(ordinal=int(o), freq=pidx.freq) for o in all_ords])
    labels = [str(pd.Period(ordinal=int(o), freq=pidx.freq)) for o in cohort_ords]
    sizes = np.bincount(g_idx[g_idx >= 0], minlength=len(cohort_ords))
    return _Panel(y=ymat, x=xmat, g_idx=g_idx, periods=plist, cohort_ords=cohort_ords,
                  cohort_labels=labels, cohort_sizes=sizes, n_never=int(unit_never.sum()),
                  freq=freq, notes=notes, w=w_unit, cluster=cl_unit,
                  control_group=control_group, unit_labels=np.asarray(ulabels)[keep],
                  n_never_data=n_never_data)


def _per_unit(values: np.ndarray, ucodes: np.ndarray, first_row: np.ndarray,
              ulabels: pd.Index, *, column: str, unit: str, what: str) -> np.ndarray:
    """One value per unit (its first row's); refuses a column that varies within a unit."""
    per_unit = values[first_row]
    varies = values != per_unit[ucodes]
    if varies.any():
        bad = ", ".join(_fmt(ulabels[i]) for i in np.unique(ucodes[varies])[:5])
        fix = ("take one weight per area, e.g. its population in the first period or its "
               "average population" if what == "weight" else
               "give each area the cluster it belongs to throughout")
        raise DataError(
            f"Column '{column}' (the {what}) must be constant within each {unit}, but units "
            f"[{bad}] have several values: group-time estimates compare each area's change "
            f"over time, so each area needs one {what}. Fix: {fix}.")
    return per_unit
