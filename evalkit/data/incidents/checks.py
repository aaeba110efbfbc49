"""Incident files: checks of the counted rows and the notes on what was left out."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.data.incidents.mapping import _Map
from evalkit.data.incidents.queries import _TRUNC
from evalkit.data.incidents.sql import _first, _lit
from evalkit.data.periods import Freq
from evalkit.data.validate import _more
from evalkit.errors import DataError, SpecError


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def _of(n: int, total: int) -> str:
    """``"1 of the 20 rows has"`` / ``"2 of the 20 rows have"``."""
    return f"{n:,} of the {total:,} rows {'has' if n == 1 else 'have'}"


def _sorted(labels: Sequence[str]) -> list[str]:
    """Unit labels in order, numerically when they are all whole numbers (8 before 32)."""
    labels = list(dict.fromkeys(labels))
    if all(label.isdigit() for label in labels):
        return sorted(labels, key=lambda label: (int(label), label))
    return sorted(labels)


def _examples(con: Any, flag: int) -> str:
    rows = _first(con, "SELECT bad FROM cells WHERE flag = ? GROUP BY bad ORDER BY bad LIMIT 5",
                  [flag])
    return ", ".join(repr(r[0]) for r in rows)


def _check_dates(con: Any, m: _Map, total: int, bad: int, bad_dates: str, who: str) -> None:
    if bad and bad_dates == "error":
        fmt = f" (format {m.date_format!r})" if m.date_format else ""
        raise DataError(
            f"Column '{m.date}' ({who}) must hold dates{fmt}, but {bad:,} of the {total:,} "
            f"rows could not be read, e.g. {_examples(con, 2)}. Fix: correct these rows, pass "
            "date_format= the strptime format of the column (e.g. '%d/%m/%Y'), or "
            "bad_dates='drop' to leave these rows out (they are then counted in the warnings).")


def _warnings(con: Any, m: _Map, total: int, state: dict[str, int]) -> list[str]:
    """One message per kind of row left out for a missing or unreadable value."""
    fmt = f" (format {m.date_format!r})" if m.date_format else ""
    warned = []
    for key, what, flag in [
        ("no_date", f"no date in '{m.date}'", None),
        ("bad_date", f"an unreadable date in '{m.date}'{fmt}", 2),
        ("implausible_date", f"a date before 1900 or after 2100 in '{m.date}'", 3),
        ("no_unit", f"no unit in '{m.unit}'", None),
        ("no_category", f"no category in '{m.category}'", None),
    ]:
        if state.get(key):
            shown = f" (e.g. {_examples(con, flag)})" if flag else ""
            warned.append(f"{_of(state[key], total)} {what}{shown}: left out of the panel.")
    return warned


def _select(seen: list[str], indicators: Sequence[str] | Mapping[str, str] | None,
            column: str) -> tuple[list[str], dict[str, int]]:
    """Output indicator names and the code of each source category kept."""
    if indicators is None:
        return seen, {c: i for i, c in enumerate(seen)}
    if isinstance(indicators, str):
        indicators = [indicators]
    pairs = (list(indicators.items()) if isinstance(indicators, Mapping)
             else [(c, c) for c in indicators])
    if not pairs:
        raise SpecError("Expected indicators= to name at least one category, but it is empty. "
                        "Fix: pass None to keep every category.")
    unknown = [str(c) for c, _ in pairs if c not in seen]
    if unknown:
        close = difflib.get_close_matches(unknown[0], seen, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"Expected indicators= to name categories of column '{column}', but "
            f"{', '.join(map(repr, unknown))} never occur(s) in the files.{hint} Found: "
            f"{', '.join(map(repr, seen[:30]))}{_more(len(seen), 30)}. Fix: use these exact "
            "names (case-sensitive).")
    names = list(dict.fromkeys(str(n) for _, n in pairs))
    return names, {str(c): names.index(str(n)) for c, n in pairs}


def _period_code_sql(freq: Freq, first: pd.Period) -> str:
    lo = f"DATE {_lit(first.start_time.date().isoformat())}"
    if freq == "W":
        return f"datediff('day', {lo}, p) // 7"
    return f"datediff({_lit(_TRUNC[freq])}, {lo}, p)"
