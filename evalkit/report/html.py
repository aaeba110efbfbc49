"""Small HTML building blocks for reports, on MarkupSafe: plain text is escaped, ``Markup`` kept.

Report functions return MarkupSafe's :class:`~markupsafe.Markup` (``Html`` names it in type
hints). Whatever joins plain text to a ``Markup`` escapes the text: ``Markup + text``,
``Markup.join``, ``Markup(template).format(...)``, and :func:`evalkit.i18n.t` for the
catalogue entries that carry markup. IPython displays an object as HTML only through
``_repr_html_``, which ``Markup`` lacks, so importing this module in a kernel registers
``Markup`` with the kernel's HTML formatter: a template cell that ends with a section shows it
as HTML, and nbconvert keeps it in the exported report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from markupsafe import Markup, escape

__all__ = ["Html", "Markup", "escape", "join", "table", "tag"]

#: trusted HTML (already escaped), the type report functions return
Html = Markup


def tag(name: str, *children: object, cls: str | None = None) -> Markup:
    """``<name class=cls>children</name>``; strings are escaped, ``Markup`` is kept."""
    attrs = Markup(' class="{}"').format(cls) if cls else ""
    return Markup(f"<{name}{attrs}>{join(children)}</{name}>")


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Concatenate parts (escaping plain strings)."""
    return escape(sep).join(parts)


def table(frame: pd.DataFrame, *, headers: Sequence[str] | None = None,
          cls: str = "evalkit-table") -> Markup:
    """An HTML table of ``frame``'s values (already formatted as text), escaped."""
    heads = list(headers) if headers is not None else [str(c) for c in frame.columns]
    head = tag("thead", tag("tr", *(tag("th", h) for h in heads)))
    rows = (tag("tr", *(tag("td", "" if pd.isna(v) else v) for v in row))
            for row in frame.itertuples(index=False))
    return tag("table", head, tag("tbody", *rows), cls=cls)


def _display_in_notebooks() -> None:
    """Let a running IPython kernel show ``Markup`` as HTML."""
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: nothing displays anything
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(Markup, str)


_display_in_notebooks()
