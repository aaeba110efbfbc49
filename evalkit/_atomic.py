"""Atomic file writing shared by every layer (private): whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path"]


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file beside ``target`` that replaces it in one step when the block ends.

    The caller writes the temporary file inside the ``with`` block; on a normal exit it is
    made readable (mode 0644) and renamed over ``target`` (``os.replace``), so a reader sees
    the old file or the new one, never part of one. On any exception the temporary file is
    removed and the exception propagates (an ``OSError`` from the system unchanged, for the
    caller to explain).

    Parameters
    ----------
    target : str or os.PathLike
        The file to write; its folder must exist.

    Yields
    ------
    pathlib.Path
        The hidden temporary file ``.<name>.<random>.part`` in the same folder.
    """
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
