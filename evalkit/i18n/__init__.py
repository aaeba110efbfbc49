"""Text catalogues (one module per language, same keys) and language-aware formatting.

``t(key, lang, **values)`` fills a catalogue entry; numbers are formatted for the language
(French: decimal comma, narrow no-break space between thousands) and never in scientific
notation. Two format specs of the catalogue's own serve prose:

* ``{n:area|areas}`` is the word for the number ``n`` in the catalogue's language (English:
  singular for 1 only; French: singular below 2, so "0 secteur", "1,5 an");
* ``{p:p}`` is a p-value with its sign: "= 0.023", or "< 0.001" below one in a thousand.

:class:`Caveat` is a plain-language warning that remembers its catalogue key, so a report can
show it in another language than the English text it carries; :func:`show_warnings` makes
Python print warnings in the reader's language.
"""

from __future__ import annotations

import math
import re
import string
import warnings
from typing import Any, Literal

from evalkit.errors import SpecError
from evalkit.i18n import en, fr

__all__ = ["LANGUAGES", "Caveat", "Lang", "catalogue", "format_number", "format_p",
           "format_significant", "outcome_name", "plural", "round_percent", "show_warnings", "t"]

Lang = Literal["en", "fr"]
LANGUAGES: dict[str, dict[str, str]] = {"en": en.TEXT, "fr": fr.TEXT}
_NNBSP = "\u202f"


def format_number(value: float, lang: str, spec: str) -> str:
    """``format(value, spec)`` localised: French decimal comma and narrow no-break spaces.

    A ``g`` spec never gives scientific notation: a value it would write as ``1.2e+04`` or
    ``3e-07`` is written out with the same significant digits (``12,000``, ``0.0000003``).
    """
    text = format(value, spec)
    if "e" in text and spec.endswith("g") and math.isfinite(value) and value != 0:
        digits = int(spec.rstrip("g").lstrip("+-, ").lstrip(".") or 6) if "." in spec else 6
        decimals = digits - 1 - math.floor(math.log10(abs(value)))
        grouping = "," if "," in spec or abs(value) >= 10_000 else ""
        text = format(round(value, decimals),
                      f"{'+' if spec.startswith('+') else ''}{grouping}.{max(decimals, 0)}f")
        if decimals > 0 and "#" not in spec:
            text = text.rstrip("0").rstrip(".")
    if lang == "fr":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", _NNBSP)
        if text.endswith("%"):  # a ``%`` spec: 12,5 % as French writes it
            text = text[:-1] + _NNBSP + "%"
    return text


def format_significant(value: float | None, lang: str, digits: int = 3) -> str:
    """``digits`` significant digits (never fewer than the units), localised; "–" if missing."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return format_number(value, lang, f",.{decimals}f")


def format_p(p: float | None, lang: str) -> str:
    """A p-value for prose: three decimals, "< 0.001" below that (never 1e-11); "–" if
    missing."""
    if p is None or not math.isfinite(p):
        return "–"
    if p < 0.001:
        return "< " + format_number(0.001, lang, ".3f")
    return format_number(p, lang, ".3f")


def plural(n: float, lang: str) -> Literal["one", "other"]:
    """The plural category of ``n`` (CLDR rules for cardinals): English ``one`` for 1 only,
    French ``one`` for 0 and anything below 2."""
    n = abs(n)
    if lang == "fr":
        return "one" if n < 2 else "other"
    return "one" if n == 1 else "other"


def round_percent(value: float) -> float:
    """Round a percentage for prose: whole numbers from 10 up, one decimal below."""
    return round(value) if abs(value) >= 10 else round(value, 1)


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:  # "{n:area|areas}": the word that goes with the number n
            one, other = format_spec.split("|", 1)
            return one if plural(float(value), self.lang) == "one" else other
        if format_spec == "p":  # "{p:p}": "= 0.023" or "< 0.001"
            text = format_p(float(value), self.lang)
            return text if text.startswith("<") else f"= {text}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format_field(value, format_spec)
        return format_number(value, self.lang,
                             format_spec or ("," if isinstance(value, int) else ",.4g"))


def catalogue(lang: str) -> dict[str, str]:
    """The text catalogue of ``lang``."""
    if lang not in LANGUAGES:
        raise SpecError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}.")
    return LANGUAGES[lang]


_FRENCH_SPACE = re.compile(r"[ \u00a0\u202f]+([:;!?%»])|(«)[ \u00a0\u202f]+")


def _french_typography(text: str) -> str:
    """A narrow no-break space before ``: ; ! ? %`` and inside guillemets, so a line never
    starts with the mark (the catalogue writes plain spaces there)."""
    return _FRENCH_SPACE.sub(lambda m: f"\u202f{m[1]}" if m[1] else f"{m[2]}\u202f", text)


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """Translate ``key`` into ``lang`` and fill its ``{placeholders}`` (numbers localised;
    French typography: a narrow no-break space before ``: ; ! ? %``)."""
    text = _Formatter(lang).format(catalogue(lang)[key], **values)
    return _french_typography(text) if lang == "fr" else text


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


def _warning_text(message: Warning | str, lang: str) -> str:
    text = message.args[0] if isinstance(message, Warning) and message.args else message
    return text.render(lang) if isinstance(text, Caveat) else str(message)


def show_warnings(lang: str) -> None:
    """Print Python warnings in ``lang``, for notebooks and report kernels.

    An evalkit caveat (:class:`Caveat`, the message of every :class:`~evalkit.errors.
    EvalkitWarning` raised by a result) is printed in ``lang`` as ``EvalkitWarning: text``,
    without the source line that Python adds by default. Other warnings keep their text.
    """
    catalogue(lang)  # reject an unknown language here rather than at the first warning

    def formatwarning(message, category, filename, lineno, line=None) -> str:
        return f"{category.__name__}: {_warning_text(message, lang)}\n"

    warnings.formatwarning = formatwarning
