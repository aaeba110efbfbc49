"""Progress bars for the long loops (placebo fits, resampling, power simulations).

One place decides how they look: tqdm (a widget in JupyterLab when ipywidgets is
installed, with the ``lab`` extra; text on stderr otherwise), shown only once a loop has
run for two seconds, so quick calls stay silent. ``EVALKIT_PROGRESS=0`` in the environment
turns them all off: template runs (papermill kernels), batch workers and the test suite set
it, and report export drops stderr, so a bar never reaches a published report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress", "progress_enabled"]

T = TypeVar("T")

#: seconds a loop must run before its bar appears
DELAY = 2.0


def progress_enabled() -> bool:
    """False when ``EVALKIT_PROGRESS`` is set to 0, false or no."""
    return os.environ.get("EVALKIT_PROGRESS", "1").strip().lower() not in {"0", "false", "no"}


def _tqdm() -> type:
    """tqdm's notebook widget when ipywidgets is installed (the ``lab`` extra), else text.

    ``tqdm.auto`` alone warns "IProgress not found" in a notebook without ipywidgets.
    """
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None,
             unit: str = "it") -> Iterator[T]:
    """Iterate with a progress bar that appears only if the loop takes over ``DELAY`` s.

    Parameters
    ----------
    iterable : iterable
    desc : str
        What is being done, e.g. ``"placebo fits"``.
    total : int, optional
        Number of items, when ``iterable`` has no length.
    unit : str
        Name of one item.
    """
    if not progress_enabled():
        yield from iterable
        return
    with _tqdm()(iterable, desc=desc, total=total, unit=unit, delay=DELAY, leave=False,
              dynamic_ncols=True) as bar:
        yield from bar
