"""Checks on a data table, each raising :class:`~evalkit.errors.DataError` with a fix.

Every message says what was expected, what was found (the column and up to five
offending rows, by their index label) and how to fix it. No check modifies its input.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import DataError

__all__ = [
    "check_absorbing",
    "check_gaps",
    "check_groups",
    "check_intervention",
    "check_labels",
    "check_names",
    "check_numeric",
    "check_positive",
    "check_unique",
    "require_columns",
]

_LIMIT = 5


def _fmt(value: object) -> str:
    """Format one cell for a message: text quoted, missing as ``missing``."""
    if isinstance(value, str):
        return repr(value)
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "missing"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _more(n: int, limit: int = _LIMIT) -> str:
    return f"; and {n - limit} more" if n > limit else ""


def _rows(frame: pd.DataFrame, mask: object, columns: Sequence[str]) -> str:
    """Describe rows where ``mask`` is true: ``2 rows: row 3 (unit 'a', month 2021-06); …``."""
    pos = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = []
    for p in pos[:_LIMIT]:
        cells = ", ".join(f"{c} {_fmt(frame[c].iloc[p])}" for c in columns)
        shown.append(f"row {frame.index[p]} ({cells})")
    n = len(pos)
    return f"{n} row{'s' if n != 1 else ''}: " + "; ".join(shown) + _more(n)


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, role: str | None = None) -> None:
    """Check that every name in ``columns`` is a column of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    columns : sequence of str
        Column names that must be present (names are case-sensitive).
    role : str, optional
        What the columns are used for (``"outcome"``, ``"unit"``...), quoted in the message.

    Raises
    ------
    DataError
        If a column is missing; the message lists the available columns and suggests the
        closest name.
    """
    available = [str(c) for c in df.columns]
    for name in columns:
        if name in df.columns:
            continue
        what = f"the {role} column" if role else "a column"
        close = closest(str(name), available, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise DataError(
            f"Expected {what} '{name}', but the data has no such column.{hint} "
            f"Available columns: {', '.join(repr(c) for c in available) or 'none'}. "
            "Fix: pass the exact column name (names are case-sensitive) or rename the column."
        )


def spreadsheet_lines(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` indexed by the line each row has in its file as a spreadsheet shows it (the
    header is line 1), so that messages name rows as the user finds them."""
    return df.set_axis(pd.RangeIndex(2, len(df) + 2), axis=0)


def as_lines(message: str) -> str:
    """A check's message about a table indexed by :func:`spreadsheet_lines`: rows are lines."""
    message = re.sub(r"\brow (\d+)", r"line \1", message)
    message = re.sub(r"\b(\d+) rows: line", r"\1 rows: line", message)
    return re.sub(r"in (\d+) rows \((\d+)", r"in \1 rows (lines \2", message)


def closest(name: str, choices: Sequence[str], n: int = 5) -> list[str]:
    """The ``n`` choices closest to ``name``: same text ignoring case first, then by spelling."""
    text = str(name)
    same = [c for c in choices if c.lower() == text.lower()]
    near = difflib.get_close_matches(text, choices, n=n, cutoff=0.5)
    contains = [c for c in choices if text.lower() in c.lower() or c.lower() in text.lower()]
    out: list[str] = []
    for c in same + near + contains:
        if c not in out:
            out.append(c)
    return out[:n]


def check_names(names: Sequence[str], known: Sequence[str], *, parameter: str,
                column: str) -> list[str]:
    """Check that every name in ``names`` is a value of ``column``, and return the names.

    A name that contains a comma and was split apart on the command line
    (``-p units "Washington, D.C."`` read as ``Washington`` and ``D.C.``) is joined again
    when the joined text is a known name and its pieces are not.

    Raises
    ------
    DataError
        Naming each unknown name with the closest known ones, and how many there are.
    """
    known_set = set(map(str, known))
    names = [str(n) for n in names]
    joined: list[str] = []
    i = 0
    while i < len(names):
        for j in range(len(names), i + 1, -1):  # longest run of pieces first
            text = ", ".join(names[i:j])
            if text in known_set and not all(p in known_set for p in names[i:j]):
                joined.append(text)
                i = j
                break
        else:
            joined.append(names[i])
            i += 1
    unknown = [n for n in joined if n not in known_set]
    if unknown:
        ordered = sorted(known_set)
        hints = []
        for name in unknown[:_LIMIT]:
            near = closest(name, ordered, n=3)
            hints.append(f"{name!r} (closest: {', '.join(map(repr, near))})" if near
                         else f"{name!r} (no similar name)")
        raise DataError(
            f"{parameter}: {len(unknown)} name{'s' if len(unknown) != 1 else ''} not found in "
            f"column '{column}': {'; '.join(hints)}{_more(len(unknown))}. The column has "
            f"{len(ordered)} distinct values. Fix: use the names exactly as they appear in the "
            "data (case and accents count)."
        )
    return joined


def _as_numbers(s: pd.Series) -> pd.Series:
    """Convert to float; text that is not a number becomes NaN (decimal commas accepted)."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    text = s.astype(object).where(s.notna(), None)
    text = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.map(
        lambda v: (
            v.replace(",", ".", 1)
            if isinstance(v, str) and v.count(",") == 1 and "." not in v
            else v
        )
    )
    return pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")


def _kinds(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of boolean cells and of nested cells (lists, dicts, arrays) of a column."""
    if pd.api.types.is_bool_dtype(s):
        return s.notna().to_numpy(), np.zeros(len(s), bool)
    plain = ("string", "integer", "floating", "mixed-integer-float", "decimal", "empty")
    if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) in plain:  # fast path
        return np.zeros(len(s), bool), np.zeros(len(s), bool)
    kinds = s.map(lambda v: 1 if isinstance(v, bool | np.bool_) else
                  2 if isinstance(v, list | tuple | dict | set | np.ndarray) else 0).to_numpy()
    return kinds == 1, kinds == 2


def _check_scalar(df: pd.DataFrame, column: str, wanted: str, *, booleans: bool = False) -> None:
    """Refuse true/false values (unless ``booleans``) and nested values where ``wanted``
    (numbers, labels) are expected, whatever file type the column came from."""
    flags, nested = _kinds(df[column])
    frame = df[[column]]
    if nested.any():
        raise DataError(
            f"Column '{column}' must hold {wanted}, one per row, but holds lists or other "
            f"nested values in {_rows(frame, nested, [column])}. Fix: store one value per row "
            "(a Parquet list column must be flattened first)."
        )
    if flags.any() and not booleans:
        raise DataError(
            f"Column '{column}' must hold {wanted}, but holds true/false values in "
            f"{_rows(frame, flags, [column])}. Fix: check that this is the intended column, "
            "or convert the values to what they stand for."
        )


def check_labels(df: pd.DataFrame, column: str) -> None:
    """Check that a label column (units, categories) holds text or numbers, not true/false
    values or lists (which would otherwise become labels such as ``"['Centre']"``).

    Raises
    ------
    DataError
        Naming the rows holding booleans or nested values.
    """
    _check_scalar(df, column, "labels (text or numbers)")


def _is_blank(s: pd.Series) -> pd.Series:
    blank = s.isna()
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        blank |= s.astype(object).map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    return blank


def check_numeric(
    df: pd.DataFrame,
    column: str,
    *,
    nonnegative: bool = True,
    integer: bool = False,
    allow_missing: bool = False,
    booleans: bool = False,
) -> pd.Series:
    """Check that a column holds numbers and return it as float.

    Parameters
    ----------
    df : pandas.DataFrame
        The table holding the column.
    column : str
        Name of the column to check.
    nonnegative : bool, default True
        Reject negative values.
    integer : bool, default False
        Reject fractional values (for counts).
    allow_missing : bool, default False
        Accept missing (empty / NA) cells; they are NaN in the result.
    booleans : bool, default False
        Accept true/false values as 1/0 (treatment flags). Otherwise a boolean column is
        refused, whatever the file type: counts, rates and exposures are never true/false
        (a CSV's ``TRUE`` is text, and a Parquet or Excel boolean is refused alike).

    Returns
    -------
    pandas.Series
        The column as ``float64``, same index and name.

    Raises
    ------
    DataError
        On text, booleans, nested values (lists), infinite, missing, negative or (with
        ``integer``) fractional values.
    """
    require_columns(df, [column])
    raw = df[column]
    _check_scalar(df, column, "numbers", booleans=booleans)
    num = _as_numbers(raw)
    blank = _is_blank(raw).to_numpy()
    frame = df[[column]]
    text = num.isna().to_numpy() & ~blank
    if text.any():
        raise DataError(
            f"Column '{column}' must hold numbers, but found text in "
            f"{_rows(frame, text, [column])}. Fix: correct these cells, or leave them empty "
            "(or NA) for a missing value."
        )
    checks = [
        (
            np.isinf(num.to_numpy()),
            "must hold finite numbers, but found infinite values in",
            "replace them with the real values or leave the cells empty",
        ),
        (
            blank if not allow_missing else np.zeros(len(num), bool),
            "must have a value in every row, but found missing values in",
            "fill them in (0 if there were no incidents) or drop these rows",
        ),
        (
            (num < 0).to_numpy() if nonnegative else np.zeros(len(num), bool),
            "must not be negative (counts, rates and exposures are 0 or more), but found",
            "correct the sign or check that this is the intended column",
        ),
        (
            (num.notna() & (num % 1 != 0)).to_numpy() if integer else np.zeros(len(num), bool),
            "holds counts and must contain whole numbers, but found fractional values in",
            "round the values, or check whether this column is a rate rather than a count",
        ),
    ]
    for mask, expected, fix in checks:
        if mask.any():
            raise DataError(
                f"Column '{column}' {expected} {_rows(frame, mask, [column])}. Fix: {fix}."
            )
    return num.rename(column)


def check_positive(df: pd.DataFrame, column: str) -> None:
    """Check that an exposure column (population, dwellings, footfall...) is positive.

    Parameters
    ----------
    df : pandas.DataFrame
        The table holding the column.
    column : str
        Name of the exposure column.

    Raises
    ------
    DataError
        On text, missing, zero or negative values.
    """
    num = check_numeric(df, column, nonnegative=False, allow_missing=True)
    bad = (num.isna() | (num <= 0)).to_numpy()
    if bad.any():
        raise DataError(
            f"Column '{column}' is an exposure (population, dwellings, footfall...) and must be "
            f"a positive number in every row, but found missing, zero or negative values in "
            f"{_rows(df[[column]], bad, [column])}. Fix: fill in the exposure for these rows, "
            "drop them, or choose another exposure column."
        )


def _key_text(keys: Sequence[str], values: object) -> str:
    vals = values if isinstance(values, tuple) else (values,)
    return "(" + ", ".join(f"{k} {_fmt(v)}" for k, v in zip(keys, vals, strict=True)) + ")"


def _has_duplicates(df: pd.DataFrame, keys: list[str]) -> bool:
    """Fast test for repeated key combinations (integer codes, no row objects)."""
    combined = np.zeros(len(df), dtype=np.int64)
    size = 1
    for key in keys:
        codes, uniques = pd.factorize(df[key], use_na_sentinel=False)
        size *= max(len(uniques), 1)
        if size > 2**62:
            return bool(df.duplicated(subset=keys).any())
        combined = combined * max(len(uniques), 1) + codes
    if size <= 8 * len(df) + 1024:
        return bool(len(df)) and int(np.bincount(combined).max()) > 1
    return len(np.unique(combined)) < len(combined)


def check_unique(df: pd.DataFrame, keys: Sequence[str]) -> None:
    """Check that there is at most one row per combination of ``keys`` (e.g. unit, period).

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    keys : sequence of str
        Columns that together identify a row.

    Raises
    ------
    DataError
        Naming up to five duplicated keys, their rows and how many rows are involved.
    """
    keys = list(keys)
    require_columns(df, keys)
    if not _has_duplicates(df, keys):
        return
    dup = df.duplicated(subset=keys, keep=False).to_numpy()
    if not dup.any():
        return
    sub = df.loc[dup, keys]
    groups = sub.groupby(keys, sort=False, dropna=False)
    shown = []
    for key, grp in groups:
        if len(shown) == _LIMIT:
            break
        labels = ", ".join(str(i) for i in grp.index[:_LIMIT])
        shown.append(f"{_key_text(keys, key)} in {len(grp)} rows ({labels})")
    raise DataError(
        f"Expected one row per ({', '.join(keys)}), but found {int(dup.sum())} rows sharing "
        f"{groups.ngroups} key{'s' if groups.ngroups != 1 else ''}: {'; '.join(shown)}"
        f"{_more(groups.ngroups)}. Fix: aggregate to one row per key first (e.g. "
        f"df.groupby({keys!r}, as_index=False).sum()), or check that these are the right "
        "unit and time columns."
    )


def check_gaps(df: pd.DataFrame, *, unit: str | None, time: str) -> None:
    """Check that each unit's series has no missing period inside its own range.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; ``time`` must already be of Period dtype (see ``to_periods``).
    unit : str or None
        Unit column, or None for a single series.
    time : str
        Time column (Period dtype).

    Raises
    ------
    DataError
        Naming up to five units with their missing periods.
    """
    require_columns(df, [time] + ([unit] if unit else []))
    if not isinstance(df[time].dtype, pd.PeriodDtype):
        raise DataError(
            f"Column '{time}' must hold periods (Period dtype) to check for gaps, but it has "
            f"dtype {df[time].dtype}. Fix: convert it first with evalkit.data.to_periods."
        )
    idx = pd.PeriodIndex(df[time])
    ords = pd.Series(idx.asi8, index=df.index)
    by = df[unit].to_numpy() if unit else np.zeros(len(df), dtype=int)
    stats = ords.groupby(by).agg(["min", "max", "nunique"])
    gappy = stats[stats["max"] - stats["min"] + 1 > stats["nunique"]]
    if gappy.empty:
        return
    shown = []
    for label, row in gappy.head(_LIMIT).iterrows():
        present = set(ords[by == label])
        missing = [o for o in range(row["min"], row["max"] + 1) if o not in present]
        periods = [str(pd.Period(ordinal=o, freq=idx.freq)) for o in missing[:_LIMIT]]
        who = f"unit {_fmt(label)}" if unit else "the series"
        shown.append(f"{who} is missing {', '.join(periods)}{_more(len(missing))}")
    n = len(gappy)
    raise DataError(
        f"Column '{time}': expected one row for every period between each unit's first and last "
        f"period, but {n} unit{'s have' if n != 1 else ' has'} gaps: {'; '.join(shown)}"
        f"{_more(n)}. Fix: add the missing rows with a count of 0 if there were no incidents, "
        "or pass the data through evalkit.data's aggregation."
    )


def check_intervention(
    periods: pd.Series | pd.Index,
    intervention: pd.Period,
    *,
    min_pre: int,
    min_post: int = 1,
    design: str,
) -> None:
    """Check that the intervention lies in the data with enough periods before and after.

    Parameters
    ----------
    periods : pandas.Series or pandas.Index
        The data's periods (Period dtype; duplicates allowed).
    intervention : pandas.Period
        First period under the intervention, at the data's frequency.
    min_pre : int
        Fewest periods the design needs before the intervention.
    min_post : int, default 1
        Fewest periods the design needs from the intervention on.
    design : str
        Name of the design, quoted in the message.

    Raises
    ------
    DataError
        If the intervention is outside the data's range or too few periods surround it.
    """
    uniq = pd.PeriodIndex(pd.Index(periods).dropna().unique()).sort_values()
    if len(uniq) == 0:
        raise DataError(
            f"The {design} design needs periods to place the intervention in, but none were "
            "given. Fix: check that the data has rows and a time column."
        )
    if not isinstance(intervention, pd.Period) or intervention.freq != uniq.freq:
        raise DataError(
            f"Expected the intervention as a period at the data's frequency ({uniq.freqstr}), "
            f"but got {intervention!r}. Fix: convert it with evalkit.data.parse_period(value, "
            "freq)."
        )
    first, last = uniq[0], uniq[-1]
    if intervention < first or intervention > last:
        raise DataError(
            f"Expected the intervention inside the data's range {first} to {last}, but it is "
            f"{intervention}. Fix: check the intervention date or use data covering it."
        )
    pre, post = int((uniq < intervention).sum()), int((uniq >= intervention).sum())
    for n, need, side, fix in [
        (pre, min_pre, "before", "use data starting earlier"),
        (post, min_post, "from", "use data running longer"),
    ]:
        if n < need:
            raise DataError(
                f"The {design} design needs at least {need} period{'s' if need != 1 else ''} "
                f"{side} the intervention ({intervention}), but the data has {n} (data range "
                f"{first} to {last}). Fix: {fix}, move the intervention date, or choose a "
                "design that needs fewer periods."
            )


def check_groups(is_treated: pd.Series, *, unit: str) -> None:
    """Check that there are both treated and control units.

    Parameters
    ----------
    is_treated : pandas.Series
        Bool (or 0/1) indexed by unit label.
    unit : str
        Name of the unit column, quoted in the message.

    Raises
    ------
    DataError
        On missing flags, no treated unit or no control unit.
    """
    if is_treated.isna().any():
        labels = ", ".join(_fmt(u) for u in is_treated.index[is_treated.isna()][:_LIMIT])
        raise DataError(
            f"Expected every {unit} to be marked treated or not, but the flag is missing for "
            f"{labels}{_more(int(is_treated.isna().sum()))}. Fix: mark them 0 or 1."
        )
    flags = is_treated.astype(bool)
    n = len(flags)
    if not flags.any():
        raise DataError(
            f"Expected at least one treated {unit}, but all {n} units are controls. Fix: check "
            "the treatment column or the list of treated units."
        )
    if flags.all():
        raise DataError(
            f"Expected at least one control (untreated) {unit}, but all {n} units are treated. "
            "Fix: add comparison units, or use a design without controls (interrupted time "
            "series)."
        )


def check_absorbing(df: pd.DataFrame, *, unit: str, time: str, treatment: str) -> None:
    """Check that treatment never switches off once it has switched on.

    Parameters
    ----------
    df : pandas.DataFrame
        Panel with ``unit``, ``time`` (sortable) and ``treatment`` (0/1 or a 0..1 share).
    unit, time, treatment : str
        Column names.

    Raises
    ------
    DataError
        On values outside 0..1, or naming units whose treatment returns to 0.
    """
    require_columns(df, [unit, time, treatment])
    dose = check_numeric(df, treatment, nonnegative=True)
    above = (dose > 1).to_numpy()
    if above.any():
        raise DataError(
            f"Column '{treatment}' must be 0/1 or a treated share between 0 and 1, but found "
            f"{_rows(df[[treatment]], above, [treatment])}. Fix: rescale it to 0..1."
        )
    frame = pd.DataFrame({"u": df[unit], "t": df[time], "d": dose}).sort_values(["u", "t"])
    by_unit = frame.groupby("u", sort=False)["d"]
    was_on = by_unit.cummax().groupby(frame["u"], sort=False).shift(1, fill_value=0)
    off = frame[(was_on > 0) & (frame["d"] == 0)]
    if off.empty:
        return
    shown = []
    for label, grp in off.groupby("u", sort=True):
        if len(shown) == _LIMIT:
            break
        start = frame.loc[(frame["u"] == label) & (frame["d"] > 0), "t"].iloc[0]
        times = ", ".join(_fmt(t) for t in grp["t"].iloc[:_LIMIT])
        shown.append(f"{unit} {_fmt(label)} on from {_fmt(start)}, off again in {times}")
    n = off["u"].nunique()
    raise DataError(
        f"Column '{treatment}': this design needs an absorbing treatment (once on, it stays "
        f"on), but {n} unit{'s switch' if n != 1 else ' switches'} it off: {'; '.join(shown)}"
        f"{_more(n)}. Fix: code treatment as on from the first treated period onwards "
        "(intention to treat), or use a design that allows treatment to switch off."
    )
