"""Incident files: which columns hold what, after presets and overrides."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from evalkit.data.incidents.files import _File
from evalkit.data.presets import PRESETS, Preset, get_preset
from evalkit.errors import DataError, SpecError


@dataclass(frozen=True)
class _Map:
    """Which columns hold what, after presets and overrides."""

    kind: Literal["incidents", "aggregated"]
    date: str
    date_format: str | None
    fallback: str | None
    unit: str
    category: str | None
    preset: Preset | None

    def needed(self) -> dict[str, str]:
        """Column → what it is for (for messages)."""
        roles = {self.date: "date", self.unit: "unit"}
        if self.fallback:
            roles[self.fallback] = "date when the first is empty"
        if self.category:
            roles[self.category] = "category"
        p = self.preset
        if self.kind == "aggregated" and p is not None:
            roles[str(p.count)] = "count"
            if p.suppressed:
                roles[p.suppressed[0]] = "withheld-cell flag"
            if p.count_unit:
                roles[p.count_unit] = "unit of count"
            for column, kind in [p.exposure, *p.exposure_by_category.values()]:
                roles[column] = f"exposure ({kind})"
        return roles


def _who(m: _Map) -> str:
    return (f"Preset {m.preset.name!r} ({m.preset.title})" if m.preset else
            "The column mapping (date=, unit=, category=)")


def _year_column(pattern: str, files: list[_File]) -> str:
    """Resolve ``CODGEO_<year>`` to the one column of that form the files have."""
    regex = re.compile(re.escape(pattern.replace("<year>", "")) + r"\d{4}")
    found = {f.path.name: [c for c in f.columns if regex.fullmatch(c)] for f in files}
    for name, columns in found.items():
        if len(columns) != 1:
            what = "none" if not columns else ", ".join(map(repr, columns))
            raise DataError(f"Expected one column {pattern} (e.g. CODGEO_2024) in {name}, but "
                            f"found {what}. Fix: pass unit= the commune code column.")
    names = sorted({c[0] for c in found.values()})
    if len(names) > 1:
        raise DataError(f"Expected every file to use one commune geography, but the files mix "
                        f"{', '.join(names)}. Fix: use files of one geography year (communes "
                        "merge and split between years).")
    return names[0]


def _mapping(preset: str | None, date: str | None, unit: str | None, category: str | None,
             date_format: str | None, files: list[_File]) -> _Map:
    if preset is None:
        if date is None or unit is None:
            raise SpecError(
                f"Expected a preset or the date and unit columns, but got date={date!r}, "
                f"unit={unit!r}. Fix: pass preset= one of {', '.join(map(repr, PRESETS))}, or "
                "date= and unit= (and category=) naming columns of the files.")
        return _Map("incidents", date, date_format, None, unit, category, None)
    p = get_preset(preset)
    own_date = date is None or date == p.date
    if unit is None:
        unit = _year_column(p.unit, files) if "<year>" in p.unit else p.unit
    return _Map(p.kind, date or p.date, date_format or (p.date_format if own_date else None),
                p.date_fallback if own_date else None, unit, category or p.category, p)


def _check_columns(files: list[_File], m: _Map) -> None:
    needed = m.needed()
    lacking = [(f, [c for c in needed if c not in f.columns]) for f in files]
    lacking = [(f, miss) for f, miss in lacking if miss]
    if not lacking:
        return
    f, missing = lacking[0]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, f.columns, n=1, cutoff=0.6)
        hints += [f" Did you mean '{close[0]}' for '{column}'?"] if close else []
    others = f" (and {len(lacking) - 1} other file(s) lack columns too)" if len(lacking) > 1 else ""
    expected = ", ".join(f"'{c}' ({r})" for c, r in needed.items())
    raise DataError(
        f"{_who(m)} expects the columns {expected}, but {f.path.name} lacks "
        f"{', '.join(map(repr, missing))}{others}.{''.join(hints)} Found columns: "
        f"{', '.join(map(repr, f.columns))}. Fix: check that the files are of this kind, or "
        "name their columns with date=, unit= and category=.")
