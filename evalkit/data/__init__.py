"""Reading, validating and shaping the city's data into a :class:`Panel`."""

from __future__ import annotations

from evalkit.data.io import data_fingerprint, read_table
from evalkit.data.panel import Panel, load_panel
from evalkit.data.periods import Freq, parse_period, to_periods
from evalkit.data.validate import (
    check_absorbing,
    check_gaps,
    check_groups,
    check_intervention,
    check_numeric,
    check_positive,
    check_unique,
    require_columns,
)

__all__ = [
    "Freq",
    "Panel",
    "check_absorbing",
    "check_gaps",
    "check_groups",
    "check_intervention",
    "check_numeric",
    "check_positive",
    "check_unique",
    "data_fingerprint",
    "load_panel",
    "parse_period",
    "read_table",
    "require_columns",
    "to_periods",
]
