"""Text catalogues of the reports: one module per language with the same keys."""

from __future__ import annotations

from typing import Any, Literal

from evalkit.errors import SpecError
from evalkit.report.i18n import en, fr

__all__ = ["LANGUAGES", "Lang", "catalogue", "t"]

Lang = Literal["en", "fr"]
LANGUAGES: dict[str, dict[str, str]] = {"en": en.TEXT, "fr": fr.TEXT}


def catalogue(lang: str) -> dict[str, str]:
    """The text catalogue of ``lang``."""
    if lang not in LANGUAGES:
        raise SpecError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}.")
    return LANGUAGES[lang]


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """Translate ``key`` into ``lang`` and fill its ``{placeholders}``."""
    return catalogue(lang)[key].format(**values)
