"""Where the shipped templates and sample data live (wheel or source checkout)."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import EvalkitError

__all__ = ["samples_dir", "templates_dir"]

_PACKAGE = Path(__file__).resolve().parents[1]


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise EvalkitError(f"evalkit's {name} folder was not found next to the package "
                       f"({_PACKAGE}); reinstall evalkit.")


def templates_dir() -> Path:
    """Folder of the papermill templates (``*.ipynb``)."""
    return _find("templates")


def samples_dir() -> Path:
    """Folder of the shipped sample data (``city_monthly.csv``, ``truth.json``...)."""
    return _find("data_samples")
