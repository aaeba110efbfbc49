"""The validated unit × period table every design starts from."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from evalkit.data.io import data_fingerprint, read_table
from evalkit.data.periods import Freq, period_label, to_periods
from evalkit.data.validate import (
    _fmt,
    _more,
    _rows,
    as_lines,
    check_absorbing,
    check_gaps,
    check_labels,
    check_numeric,
    check_positive,
    check_unique,
    require_columns,
    spreadsheet_lines,
)
from evalkit.errors import DataError, SpecError

__all__ = ["Panel", "Timing", "as_panel", "check_treatment", "find_problems", "load_panel",
           "panel_roles", "source_frame", "timing", "with_first_treated"]


@dataclass(frozen=True, eq=False)
class Timing:
    """When each unit's treatment starts, read from a 0/1 (or share) treatment column.

    Attributes
    ----------
    treatment : str
        The treatment column.
    first : pandas.Series
        Each treated unit's first period with a treatment value above 0, indexed by unit
        (never-treated units are left out).
    never_treated : tuple of str
        Units never treated, sorted.
    always_treated : tuple of str
        Treated units whose start is their own first period in the data (no period before).
    """

    treatment: str
    first: pd.Series
    never_treated: tuple[str, ...]
    always_treated: tuple[str, ...]

    @property
    def cohorts(self) -> pd.PeriodIndex:
        """The distinct first treated periods, in time order."""
        return pd.PeriodIndex(self.first.unique()).sort_values()


def timing(df: pd.DataFrame, *, unit: str, time: str, treatment: str) -> Timing:
    """The :class:`Timing` of ``treatment`` in a long table whose ``time`` column holds
    Periods (values that are not numbers count as untreated)."""
    on = pd.to_numeric(df[treatment], errors="coerce").fillna(0).to_numpy(dtype=float) > 0
    first = df.loc[on, time].groupby(df.loc[on, unit]).min()
    opening = df[time].groupby(df[unit]).min()
    never = sorted(str(u) for u in opening.index.difference(first.index))
    always = sorted(str(u) for u, p in first.items() if p <= opening[u])
    return Timing(treatment, first, tuple(never), tuple(always))


@dataclass(frozen=True, eq=False, repr=False)
class Panel:
    """A validated panel: one row per unit and period, sorted by unit then time.

    Attributes
    ----------
    data : pandas.DataFrame
        All columns of the input, sorted by unit then time, time as Period dtype, unit
        labels as text, fresh RangeIndex. Read it, do not change it: ``sha256`` and the
        cached :meth:`timing` describe this table as built (``panel.data.copy()`` to edit,
        then build a new Panel).
    unit : str or None
        Unit column, or None for a single series.
    time : str
        Time column.
    outcome, exposure : str or None
        Outcome and exposure columns, if given.
    freq : str
        ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    notes : tuple of str
        Plain-language notes on what loading changed (rows dropped and why).
    sha256 : str
        Digest of the source data, computed once when the Panel is built; designs given the
        Panel record it in their ``provenance``.
    """

    data: pd.DataFrame
    unit: str | None
    time: str
    outcome: str | None
    exposure: str | None
    freq: str
    notes: tuple[str, ...] = ()
    # a file's bytes or the caller's frame, as data_fingerprint hashes them: the same digest
    # a design given the file or frame records
    sha256: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_timings", {})  # a cache, not a field: the Panel stays frozen

    def timing(self, treatment: str) -> Timing:
        """Treatment timing of column ``treatment``, computed once per column.

        Raises
        ------
        DataError
            If the Panel has no unit column or no column ``treatment``.
        """
        cache: dict[str, Timing] = self._timings  # type: ignore[attr-defined]
        if treatment not in cache:
            if self.unit is None:
                raise DataError(f"Expected a panel of units to read the timing of "
                                f"'{treatment}', but this Panel is a single series. Fix: "
                                "build the Panel with unit=.")
            require_columns(self.data, [treatment], role="treatment")
            cache[treatment] = timing(self.data, unit=self.unit, time=self.time,
                                      treatment=treatment)
        # a copy: the cached Series stays what every design of this Panel reads
        return replace(cache[treatment], first=cache[treatment].first.copy())

    @property
    def units(self) -> pd.Index:
        """Sorted unique unit labels (empty for a single series)."""
        if self.unit is None:
            return pd.Index([], dtype=object)
        return pd.Index(self.data[self.unit].unique()).sort_values()

    @property
    def periods(self) -> pd.PeriodIndex:
        """Sorted unique periods."""
        return pd.PeriodIndex(self.data[self.time].unique()).sort_values()

    @property
    def n_units(self) -> int:
        """Number of units (1 for a single series)."""
        return len(self.units) if self.unit is not None else 1

    @property
    def n_periods(self) -> int:
        """Number of distinct periods."""
        return len(self.periods)

    @property
    def n_obs(self) -> int:
        """Number of rows."""
        return len(self.data)

    def __repr__(self) -> str:
        span = f"{self.periods[0]}..{self.periods[-1]}" if self.n_obs else "empty"
        roles = ", ".join(
            f"{k}={v!r}"
            for k, v in [
                ("unit", self.unit),
                ("time", self.time),
                ("outcome", self.outcome),
                ("exposure", self.exposure),
            ]
            if v is not None
        )
        return (
            f"Panel({self.n_units} units x {self.n_periods} periods [{self.freq}, {span}], "
            f"{self.n_obs} rows; {roles})"
        )


def _unit_labels(s: pd.Series) -> pd.Series:
    """Unit labels as text; whole numbers lose their ``.0`` (``3.0`` → ``"3"``)."""
    if pd.api.types.is_float_dtype(s) and bool((s % 1 == 0).all()):
        s = s.astype("int64")
    return s.astype(str)


def _drop_blank_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    blank = df.isna().all(axis=1)
    if not blank.any():
        return df, []
    n = int(blank.sum())
    labels = ", ".join(str(i) for i in df.index[blank][:5])
    rows = "row" if n == 1 else "rows"
    return df.loc[~blank], [
        f"Dropped {n} empty {rows} (every cell blank): {rows} {labels}{_more(n)}."
    ]


def _drop_missing_keys(df: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, list[str]]:
    missing = df[keys].isna().any(axis=1)
    if not missing.any():
        return df, []
    n = int(missing.sum())
    rows = "row" if n == 1 else "rows"
    labels = ", ".join(str(i) for i in df.index[missing][:5])
    return df.loc[~missing], [
        f"Dropped {n} {rows} without a {' or a '.join(keys)}: {rows} {labels}{_more(n)}."
    ]


def _outcome_rules(given: dict[str, bool] | None) -> dict[str, bool]:
    return {"nonnegative": True, "allow_missing": False, **(given or {})}


def _check_rules(df: pd.DataFrame, rules: dict[str, dict[str, bool]]) -> None:
    require_columns(df, list(rules))
    for column, rule in rules.items():
        check_numeric(df, column, **rule)


def _check_unit_present(df: pd.DataFrame, unit: str) -> None:
    miss = df[unit].isna().to_numpy()
    if miss.any():
        raise DataError(
            f"Column '{unit}' must name the unit in every row, but found missing labels in "
            f"{_rows(df, miss, [unit])}. Fix: fill in the unit or drop these rows."
        )


def _check_balanced(df: pd.DataFrame, unit: str | None, time: str) -> None:
    if unit is None:
        return
    first, last = df[time].min(), df[time].max()
    span = df.groupby(unit)[time].agg(["min", "max"])
    short = span[(span["min"] != first) | (span["max"] != last)]
    if short.empty:
        return
    shown = "; ".join(
        f"{unit} {_fmt(u)} covers {r['min']} to {r['max']}" for u, r in short.head(5).iterrows()
    )
    raise DataError(
        f"Expected a balanced panel (every unit observed in every period from {first} to "
        f"{last}), but {len(short)} units are not: {shown}{_more(len(short))}. Fix: add the "
        "missing rows, restrict the data to the common periods, or pass require_balanced=False."
    )


def load_panel(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    unit: str | None,
    time: str,
    outcome: str | None = None,
    exposure: str | None = None,
    freq: Freq | None = None,
    require_balanced: bool = False,
    sheet: str | int | None = None,
    tz: str | None = None,
    drop_missing_keys: bool = False,
    gaps: bool = True,
    rules: dict[str, dict[str, bool]] | None = None,
    checks: Sequence[Callable[[pd.DataFrame], None]] = (),
) -> Panel:
    """Read and validate a unit × period table.

    Parameters
    ----------
    data : pandas.DataFrame, str or os.PathLike
        The table or its file (see :func:`read_table`); never modified.
    unit : str or None
        Unit column (labels are kept as text), or None for a single series.
    time : str
        Time column, parsed with :func:`to_periods`.
    outcome : str, optional
        Outcome column: numbers, none missing, none negative.
    exposure : str, optional
        Exposure column (population, dwellings...): positive numbers.
    freq : {"D", "W", "M", "Q", "Y"}, optional
        Frequency of the periods; inferred when None.
    require_balanced : bool, default False
        Also require every unit to cover the same first and last period.
    sheet : str or int, optional
        Excel sheet; by default the sheet Excel shows (see :func:`read_table`).
    tz : str, optional
        Time zone the times are meant in, for times stored with a zone or UTC offset (see
        :func:`to_periods`).
    drop_missing_keys : bool, default False
        Drop the rows without a unit or a time, with a note, instead of refusing them.
    gaps : bool, default True
        Refuse a unit whose series misses a period inside its own range; False for designs
        that model the periods they have.
    rules : dict, optional
        Numbers a design needs: column → arguments of :func:`check_numeric`
        (``nonnegative``, ``integer``, ``allow_missing``, ``booleans``). The outcome's
        replace its defaults above (e.g. ``{"integer": True}`` for counts); other columns
        are checked, not converted, before the rows are sorted, so that messages name the
        input's rows.
    checks : sequence of callables
        A design's own checks, each called with the table after the others (time as
        Periods, unit labels as text, rows not yet sorted: messages name the input's rows).

    Returns
    -------
    Panel

    Raises
    ------
    DataError
        On any problem found by the checks, each with the column, the rows and the fix.
    """
    df, notes = _drop_blank_rows(read_table(data, sheet=sheet))
    if df.empty:
        raise DataError("Expected data rows, but the table is empty. Fix: check the input data.")
    for column, role in [
        (unit, "unit"),
        (time, "time"),
        (outcome, "outcome"),
        (exposure, "exposure"),
    ]:
        if column is not None:
            require_columns(df, [column], role=role)
    if drop_missing_keys:
        df, dropped = _drop_missing_keys(df, [c for c in (unit, time) if c is not None])
        notes += dropped
    if unit is not None:
        _check_unit_present(df, unit)
        check_labels(df, unit)
        df[unit] = _unit_labels(df[unit])
    df[time], found = to_periods(df[time], freq=freq, column=time, tz=tz)
    if outcome is not None:
        values = check_numeric(df, outcome, **_outcome_rules((rules or {}).get(outcome)))
        if not pd.api.types.is_numeric_dtype(df[outcome]):
            df[outcome] = values
    _check_rules(df, {c: r for c, r in (rules or {}).items() if c != outcome})
    if exposure is not None:
        check_positive(df, exposure)
        if not pd.api.types.is_numeric_dtype(df[exposure]):
            df[exposure] = check_numeric(df, exposure)
    keys = [unit, time] if unit is not None else [time]
    check_unique(df, keys)
    if gaps:
        check_gaps(df, unit=unit, time=time)
    if require_balanced:
        _check_balanced(df, unit, time)
    for check in checks:
        check(df)
    df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return Panel(df, unit, time, outcome, exposure, found, tuple(notes),
                 sha256=data_fingerprint(data))


#: the roles a Panel knows, which designs take as defaults for their column arguments
_ROLES = ("unit", "time", "outcome", "exposure")


def panel_roles(data: object, required: tuple[str, ...] = (), **given: str | None
                ) -> dict[str, str | None]:
    """A design's column arguments, with a :class:`Panel`'s roles filling those not given.

    For any other ``data`` the arguments are returned as given.

    Raises
    ------
    SpecError
        If an argument names another column than the Panel's role, or a ``required`` one is
        neither given nor a role of the Panel.
    """
    out = dict(given)
    for role, value in given.items() if isinstance(data, Panel) else ():
        mine = getattr(data, role) if role in _ROLES else None
        if value is None:
            out[role] = mine
        elif mine is not None and value != mine:
            raise SpecError(
                f"Expected {role}= to match the Panel's {role} column '{mine}', but got "
                f"'{value}'. Fix: leave {role}= out to use the Panel's, or build the Panel "
                f"with {role}='{value}'.")
    for role in required:
        if out.get(role) is None:
            raise SpecError(f"Expected {role}= (the {role} column), but none was given"
                            + (" and the Panel has none" if isinstance(data, Panel) else "")
                            + f". Fix: pass {role}=COLUMN.")
    return out


def source_frame(data: Any, sheet: str | int | None = None) -> pd.DataFrame:
    """The table a design reads: a :class:`Panel`'s data (never modified) or
    :func:`read_table` of a DataFrame or path."""
    if isinstance(data, Panel):
        return read_table(data.data)
    return read_table(data, sheet=sheet)


def as_panel(
    data: Panel | pd.DataFrame | str | os.PathLike[str],
    *,
    unit: str | None,
    time: str | None = None,
    outcome: str | None = None,
    treatment: str | None = None,
    exposure: str | None = None,
    freq: Freq | None = None,
    **options: Any,
) -> Panel:
    """The :class:`Panel` of ``data``: a Panel as it is (its roles checked against the
    arguments), or :func:`load_panel` of a DataFrame or path.

    Parameters
    ----------
    data : Panel, pandas.DataFrame, str or os.PathLike
    unit, time, outcome, exposure, freq
        As in :func:`load_panel`; for a Panel, None takes the Panel's role.
    treatment : str, optional
        A treatment column that must be present; its :meth:`Panel.timing` is then ready.
    **options
        Further arguments of :func:`load_panel` (``require_balanced``, ``sheet``, ``tz``,
        ``drop_missing_keys``, ``gaps``, ``rules``, ``checks``); for a Panel, ``rules``
        and ``checks`` run on its data (and the default rules on an outcome the Panel was
        built without).

    Raises
    ------
    SpecError
        An argument contradicts a Panel's role (or its frequency).
    DataError
        From :func:`load_panel`'s checks.
    """
    if isinstance(data, Panel):
        panel_roles(data, unit=unit, time=time, outcome=outcome, exposure=exposure)
        if freq is not None and freq != data.freq:
            raise SpecError(f"Expected freq= to match the Panel's frequency '{data.freq}', but "
                            f"got '{freq}'. Fix: leave freq= out, or build the Panel with "
                            f"freq='{freq}'.")
        panel = data
        # a design's own rules hold for a Panel too
        rules, name = dict(options.get("rules") or {}), outcome or data.outcome
        if name is not None and (name in rules or data.outcome is None):
            require_columns(data.data, [name], role="outcome")
            rules[name] = _outcome_rules(rules.get(name))
        _check_rules(data.data, rules)
        if options.get("gaps", True):  # a Panel built with gaps=False (run_designs) is checked here
            check_gaps(data.data, unit=data.unit, time=data.time)
        for check in options.get("checks", ()):
            check(data.data)
    else:
        if time is None:
            raise SpecError("as_panel needs time= (the time column) to build a Panel from a "
                            "table.")
        panel = load_panel(data, unit=unit, time=time, outcome=outcome, exposure=exposure,
                           freq=freq, **options)
    if treatment is not None:
        panel.timing(treatment)
    return panel


def find_problems(data: pd.DataFrame | str | os.PathLike[str], *, unit: str | None,
                  time: str, outcome: str | None = None, exposure: str | None = None,
                  freq: Freq | None = None, sheet: str | int | None = None,
                  counts: bool = True, treatment: str | None = None,
                  cohort: str | None = None, tz: str | None = None) -> list[str]:
    """Run every check of :func:`load_panel` and return all the problems, not just the first.

    Checks that depend on an earlier one (duplicates and gaps need parsed periods) are
    skipped when it failed. A file that cannot be read at all raises :class:`DataError`.
    With ``counts`` (the default) the outcome must also hold whole numbers. With
    ``treatment`` (and ``cohort``) the treatment column is checked too
    (:func:`check_treatment`). Rows of a file are named by their spreadsheet line. ``tz``
    is as in :func:`load_panel`.

    Returns
    -------
    list of str
        One message per problem (empty when the data loads cleanly).
    """
    table = read_table(data, sheet=sheet)
    from_file = not isinstance(data, pd.DataFrame)
    if from_file:  # rows named by their line in the file, as a spreadsheet shows them
        table = spreadsheet_lines(table)
    df, _ = _drop_blank_rows(table)
    problems: list[str] = []

    def attempt(check, *args, **kwargs):
        try:
            return check(*args, **kwargs), True
        except DataError as exc:
            problems.append(as_lines(str(exc)) if from_file else str(exc))
            return None, False

    if df.empty:
        return ["Expected data rows, but the table is empty. Fix: check the input data."]
    present = {}
    for column, role in [(unit, "unit"), (time, "time"), (outcome, "outcome"),
                         (exposure, "exposure"), (treatment, "treatment"), (cohort, "cohort")]:
        if column is not None:
            present[column] = attempt(require_columns, df, [column], role=role)[1]
    if unit is not None and present.get(unit):
        present[unit] = (attempt(_check_unit_present, df, unit)[1]
                         and attempt(check_labels, df, unit)[1])
        if present[unit]:
            df[unit] = _unit_labels(df[unit])
    parsed, time_ok = (None, False)
    if present.get(time):
        parsed, time_ok = attempt(to_periods, df[time], freq=freq, column=time, tz=tz)
    if outcome is not None and present.get(outcome):
        attempt(check_numeric, df, outcome, nonnegative=True, integer=counts,
                allow_missing=False)
    if exposure is not None and present.get(exposure):
        attempt(check_positive, df, exposure)
    if time_ok and (unit is None or present.get(unit)):
        df[time] = parsed[0]
        keys = [time] if unit is None else [unit, time]
        if attempt(check_unique, df, keys)[1]:
            attempt(check_gaps, df, unit=unit, time=time)
            if unit is not None and treatment is not None and present.get(treatment) and (
                    cohort is None or present.get(cohort)):
                attempt(check_treatment, df, unit=unit, time=time, treatment=treatment,
                        cohort=cohort, freq=parsed[1])
    return problems


def _when(period: object) -> str:
    return "never" if period is None or pd.isna(period) else period_label(period)


def check_treatment(df: pd.DataFrame, *, unit: str, time: str, treatment: str,
                    cohort: str | None = None, freq: Freq | None = None,
                    comparison: bool = True) -> None:
    """Check the treatment column of a panel whose ``time`` column holds Periods.

    It must be 0/1 (or a share 0..1) and absorbing; at least one area is treated and, with
    ``comparison``, at least one is not; not every treated area is treated from the first
    period (no before to compare with); and a ``cohort`` column, when given, names the same
    first treated period as ``treatment`` in every area (empty for never treated).

    Raises
    ------
    DataError
        Naming the areas and periods at fault, and the fix.
    """
    check_absorbing(df, unit=unit, time=time, treatment=treatment)
    starts = timing(df, unit=unit, time=time, treatment=treatment).first
    areas = df[unit].nunique()
    if starts.empty:
        raise DataError(f"Column '{treatment}' is 0 in every row: no treated unit (no area "
                        "has the partnership). Fix: mark the partnership areas with 1 from "
                        "their first period under the partnership.")
    if comparison and len(starts) == areas:
        raise DataError(f"Column '{treatment}' marks every one of the {areas} areas as treated: "
                        "no area is left to compare with. Fix: check the column, or use the "
                        "its template, which needs no comparison areas.")
    first = df[time].min()
    always = sorted(starts.index[starts == first].astype(str))
    if len(always) == len(starts):
        raise DataError(
            f"Column '{treatment}' is 1 from the first period ({period_label(first)}) in every "
            f"treated area ({', '.join(always[:5])}{_more(len(always))}): there is no period "
            "before the partnership to compare with. Fix: use data that starts before the "
            "partnership, or check the column.")
    if not cohort:
        return
    raw = df[cohort]
    empty = (raw.isna() | raw.astype(str).str.strip().isin(["", "0", "nan", "inf", "Inf"])
             ).to_numpy()
    given = pd.Series(pd.NA, index=df.index, dtype=object)
    if (~empty).any():
        given[~empty] = to_periods(raw[~empty], freq=freq, column=cohort)[0]
    mine = df[unit].map(starts)
    differs = [not ((pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b)
                                                     and a == b))
               for a, b in zip(given, mine, strict=True)]
    if not any(differs):
        return
    bad = sorted(set(map(str, df.loc[differs, unit])))
    detail = "; ".join(
        f"{u}: {cohort} says {_when(given[df[unit] == u].iloc[0])}, {treatment} starts "
        f"{_when(starts.get(u))}" for u in bad[:5])
    raise DataError(
        f"Columns '{cohort}' and '{treatment}' disagree on when the partnership starts in "
        f"{len(bad)} area{'s' if len(bad) != 1 else ''}: {detail}{_more(len(bad))}. Fix: "
        f"correct one of them, or leave the cohort empty to take the start from "
        f"'{treatment}'.")


def with_first_treated(data: Panel | pd.DataFrame | str | os.PathLike[str], *, unit: str,
                       time: str, treatment: str, column: str = "first_treated"
                       ) -> Panel | pd.DataFrame:
    """The data with ``column``: each area's first period under the partnership, read from the
    0/1 ``treatment`` column (empty for areas never treated), for the designs that take a
    cohort column. The input is never modified; a Panel gives a Panel (same digest and
    roles) with the column added.
    """
    if isinstance(data, Panel):
        starts = data.timing(treatment).first
        labels = {u: period_label(p) for u, p in starts.items()}
        return dataclasses.replace(
            data, data=data.data.assign(**{column: data.data[unit].map(labels).fillna("")}))
    df = data.copy() if isinstance(data, pd.DataFrame) else read_table(data)
    require_columns(df, [unit, time, treatment])
    periods = to_periods(df[time], column=time)[0]
    starts = timing(df.assign(**{time: periods}), unit=unit, time=time,
                    treatment=treatment).first
    labels = {u: period_label(p) for u, p in starts.items()}
    df[column] = df[unit].map(labels).fillna("")
    return df
