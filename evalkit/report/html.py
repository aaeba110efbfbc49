"""Tiny, safe HTML building blocks for reports (every text is escaped).

A :class:`Html` is a ``str`` that notebooks display as HTML, so report functions can return
it from a template cell and nbconvert keeps it in the exported report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

import pandas as pd

__all__ = ["Html", "esc", "join", "table", "tag"]


class Html(str):
    """Trusted HTML (already escaped) that Jupyter renders as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __add__(self, other: str) -> Html:
        return Html(str(self) + (other if isinstance(other, Html) else esc(other)))


def esc(value: object) -> str:
    """Escape any value for HTML text (Html passes through untouched)."""
    if isinstance(value, Html):
        return str(value)
    return escape(str(value), quote=True)


def tag(name: str, *children: object, cls: str | None = None) -> Html:
    """``<name class=cls>children</name>``; strings are escaped, Html is kept."""
    attrs = f' class="{esc(cls)}"' if cls else ""
    return Html(f"<{name}{attrs}>{''.join(esc(c) for c in children)}</{name}>")


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Concatenate parts (escaping plain strings)."""
    return Html(esc(sep).join(esc(p) for p in parts))


def table(frame: pd.DataFrame, *, headers: Sequence[str] | None = None,
          cls: str = "evalkit-table") -> Html:
    """An HTML table of ``frame``'s values (already formatted as text), escaped."""
    heads = list(headers) if headers is not None else [str(c) for c in frame.columns]
    head = tag("thead", tag("tr", *(tag("th", h) for h in heads)))
    rows = (tag("tr", *(tag("td", "" if pd.isna(v) else v) for v in row))
            for row in frame.itertuples(index=False))
    return tag("table", head, tag("tbody", *rows), cls=cls)
