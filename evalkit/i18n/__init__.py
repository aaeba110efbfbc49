"""Text catalogues (one module per language, same keys) and language-aware formatting.

``t(key, lang, **values)`` fills a catalogue entry; numbers are formatted for the language
(French: decimal comma, narrow no-break space between thousands). :class:`Caveat` is a
plain-language warning that remembers its catalogue key, so a report can show it in
another language than the English text it carries.
"""

from __future__ import annotations

import math
import string
from typing import Any, Literal

from evalkit.errors import SpecError
from evalkit.i18n import en, fr

__all__ = ["LANGUAGES", "Caveat", "Lang", "catalogue", "format_number", "format_significant",
           "outcome_name", "round_percent", "t"]

Lang = Literal["en", "fr"]
LANGUAGES: dict[str, dict[str, str]] = {"en": en.TEXT, "fr": fr.TEXT}
_NNBSP = "\u202f"


def format_number(value: float, lang: str, spec: str) -> str:
    """``format(value, spec)`` localised: French decimal comma and narrow no-break spaces."""
    text = format(value, spec)
    if lang == "fr":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", _NNBSP)
    return text


def format_significant(value: float | None, lang: str, digits: int = 3) -> str:
    """``digits`` significant digits (never fewer than the units), localised; "–" if missing."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return format_number(value, lang, f",.{decimals}f")


def round_percent(value: float) -> float:
    """Round a percentage for prose: whole numbers from 10 up, one decimal below."""
    return round(value) if abs(value) >= 10 else round(value, 1)


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format_field(value, format_spec)
        return format_number(value, self.lang,
                             format_spec or ("," if isinstance(value, int) else ",.4g"))


def catalogue(lang: str) -> dict[str, str]:
    """The text catalogue of ``lang``."""
    if lang not in LANGUAGES:
        raise SpecError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}.")
    return LANGUAGES[lang]


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """Translate ``key`` into ``lang`` and fill its ``{placeholders}`` (numbers localised)."""
    return _Formatter(lang).format(catalogue(lang)[key], **values)


class Caveat(str):
    """A warning sentence (English) that can be re-rendered in another language.

    It is a ``str``, so results, JSON and ``print`` see the English text; the report calls
    :meth:`render` with its language. The text comes from the catalogue key
    ``caveat.<code>``.
    """

    code: str
    values: dict[str, Any]

    def __new__(cls, code: str, **values: Any) -> Caveat:
        obj = super().__new__(cls, t(f"caveat.{code}", "en", **values))
        obj.code = code
        obj.values = values
        return obj

    def render(self, lang: str) -> str:
        """The sentence in ``lang``."""
        return t(f"caveat.{self.code}", lang, **self.values)

    def __reduce__(self):  # keep code and values through pickling (process pools)
        return (_rebuild_caveat, (self.code, self.values))


def _rebuild_caveat(code: str, values: dict[str, Any]) -> Caveat:
    return Caveat(code, **values)


def outcome_name(outcome: str, lang: str, label: str | None = None, *,
                 noun: bool = False) -> str:
    """A readable name for an outcome column: the user's label, else a known translation.

    With ``noun=True`` the plural common noun for counts ("burglaries", "cambriolages"),
    falling back to "recorded events".
    """
    texts = catalogue(lang)
    if noun:
        if label and not texts.get(f"label.{outcome}"):
            return label[:1].lower() + label[1:]
        return texts.get(f"noun.{outcome}", texts["noun.default"])
    return label or texts.get(f"label.{outcome}", outcome)
