"""Incident files (CSV, Parquet; millions of rows) → the canonical unit × period panel.

The files are read and counted by DuckDB; only the counts, one per unit × period × category
cell, reach Python. The canonical long panel (DOMAIN.md §5) has the columns ``unit_id,
period, indicator, count, exposure, exposure_type, status, source, source_vintage``.
"""

from __future__ import annotations

from evalkit.data.incidents.api import MAX_CELLS, panel_from_incidents
from evalkit.data.incidents.frames import COLUMNS, STATUSES
from evalkit.data.incidents.output import escape_formula, write_panel

__all__ = ["COLUMNS", "MAX_CELLS", "STATUSES", "escape_formula", "panel_from_incidents",
           "write_panel"]
