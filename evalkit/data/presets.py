"""Named mappings of public crime-data schemas (DOMAIN.md §5) for :func:`panel_from_incidents`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from evalkit.errors import SpecError

__all__ = ["PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """Where a public schema keeps the date, the unit and the category of each row.

    Attributes
    ----------
    name : str
        Preset name (``police_uk``...), also the default ``source`` of the panel rows.
    title : str
        The publication, for messages.
    kind : {"incidents", "aggregated"}
        One row per incident (rows are counted, empty cells filled with 0) or one row per
        published count (never zero-filled).
    date : str
        Date column.
    date_format : str
        DuckDB ``strptime`` format of the date column; it also sets the finest period the
        dates allow (``%Y-%m``: months only, as police.uk publishes).
    unit : str
        Default unit column; a ``<year>`` suffix (``CODGEO_<year>``) matches any 4-digit year.
    category : str
        Category (offence type, indicator) column.
    unit_choices : tuple of str
        Other unit columns of the schema (for messages and the documentation).
    date_fallback : str, optional
        Date column used where ``date`` is empty (NYPD report date behind occurrence date).
    count, suppressed, count_unit : optional
        Aggregated sources: the count column, the ``(column, value)`` marking a withheld
        cell, and the unit-of-count column (indicators of different units are never summed).
    exposure : tuple of (column, type), optional
        Aggregated sources: the denominator column and its type.
    exposure_by_category : mapping
        Category → ``(column, type)`` where the denominator differs (dwellings for burglary).
    """

    name: str
    title: str
    kind: Literal["incidents", "aggregated"]
    date: str
    date_format: str
    unit: str
    category: str
    unit_choices: tuple[str, ...] = ()
    date_fallback: str | None = None
    count: str | None = None
    suppressed: tuple[str, str] | None = None
    count_unit: str | None = None
    exposure: tuple[str, str] | None = None
    exposure_by_category: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the preset reads."""
        names = [self.date, self.unit, self.category, self.date_fallback, self.count,
                 self.suppressed[0] if self.suppressed else None, self.count_unit,
                 self.exposure[0] if self.exposure else None,
                 *(column for column, _ in self.exposure_by_category.values())]
        return tuple(dict.fromkeys(n for n in names if n is not None))


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="police_uk",
            title="police.uk street-level crime CSV",
            kind="incidents",
            date="Month",
            date_format="%Y-%m",
            unit="LSOA code",
            category="Crime type",
            unit_choices=("LSOA code", "LSOA name", "Falls within"),
        ),
        Preset(
            name="chicago",
            title="City of Chicago 'Crimes - 2001 to Present'",
            kind="incidents",
            date="Date",
            date_format="%m/%d/%Y %I:%M:%S %p",
            # community areas are stable; beats and districts were redrawn in 2012
            unit="Community Area",
            category="Primary Type",
            unit_choices=("Community Area", "District", "Beat", "Ward"),
        ),
        Preset(
            name="nypd",
            title="NYPD Complaint Data",
            kind="incidents",
            date="CMPLNT_FR_DT",
            date_format="%m/%d/%Y",
            unit="ADDR_PCT_CD",
            category="OFNS_DESC",
            unit_choices=("ADDR_PCT_CD", "BORO_NM"),
            date_fallback="RPT_DT",
        ),
        Preset(
            name="ssmsi",
            title="SSMSI base communale (French recorded crime by commune)",
            kind="aggregated",
            date="annee",
            date_format="%Y",
            unit="CODGEO_<year>",
            category="indicateur",
            count="nombre",
            suppressed=("est_diffuse", "ndiff"),
            count_unit="unite_de_compte",
            exposure=("insee_pop", "residents"),
            exposure_by_category={"Cambriolages de logement": ("insee_log", "dwellings")},
        ),
    )
}


def get_preset(name: str) -> Preset:
    """Return the named preset.

    Raises
    ------
    SpecError
        If no preset has this name.
    """
    if name not in PRESETS:
        raise SpecError(
            f"Expected preset to be one of {', '.join(map(repr, PRESETS))}, but got {name!r}. "
            "Fix: pass one of these names, or no preset and the columns with date=, unit= "
            "and category=."
        )
    return PRESETS[name]
