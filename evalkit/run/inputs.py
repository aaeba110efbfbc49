"""The input files of a template run: the data file and the survey file (sample or given)."""

from __future__ import annotations

from pathlib import Path

from evalkit._resources import samples_dir

__all__ = ["resolve_data", "resolve_survey"]


def resolve_data(data: str, *, sample: str = "city_monthly.csv") -> Path:
    """The data file to read: ``data`` if given, else the shipped sample file."""
    if data:
        return Path(data).expanduser()
    return samples_dir() / sample


def resolve_survey(survey: str, *, data: str) -> Path | None:
    """The survey file of a run: ``"sample"`` is the shipped ``survey.csv``, but only when
    ``data`` is empty (the sample city too); ``""`` means no survey."""
    if survey == "sample":
        return samples_dir() / "survey.csv" if not data else None
    return Path(survey).expanduser() if survey else None
