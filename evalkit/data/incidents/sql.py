"""Incident files: SQL text (literals, identifiers, missing-value labels) and the fetch helper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.data.io import NA_VALUES


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


_NA = (*NA_VALUES, "(null)")


def _label(raw: str) -> str | None:
    """A unit or category label without surrounding spaces; None for a missing-value marker."""
    text = raw.strip()
    return None if text in _NA else text


def _first(con: Any, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()
