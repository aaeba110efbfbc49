"""Helpers that keep templates thin: kernel setup, figures as images, parameters."""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Mapping
from typing import Any

from evalkit._resources import load_template
from evalkit.errors import EvalkitWarning
from evalkit.report.html import Html, Markup

__all__ = ["figure", "parameters_of", "setup"]


def setup(lang: str = "en") -> None:
    """Prepare a report kernel: caveats are shown in the report, not as Python warnings, any
    other warning the kernel prints (in ``report.ipynb``) is written in ``lang``, and
    matplotlib draws text literally."""
    import matplotlib

    from evalkit.i18n import show_warnings

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # names with "$" are text, not math
    show_warnings(lang)
    warnings.simplefilter("ignore", EvalkitWarning)


def figure(fig: Any, *, dpi: int = 110) -> Html:
    """Embed a matplotlib figure as a PNG image (alt text = its title) and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    title = next((ax.get_title(loc="left") or ax.get_title() for ax in fig.axes), "")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup('<figure class="evalkit-figure"><img alt="{}" src="data:image/png;base64,{}" '
                  'style="max-width:100%"/></figure>').format(title, data)


def parameters_of(template: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The current values of ``template``'s parameters, read from a notebook's globals."""
    return {name: namespace[name] for name in load_template(template).names
            if name in namespace}
