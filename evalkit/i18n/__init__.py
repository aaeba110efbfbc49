"""Text catalogues (one module per language, same keys) and language-aware formatting.

``t(key, lang, **values)`` fills a catalogue entry; numbers are formatted for the language
with Babel's symbols for its locale (French: decimal comma, narrow no-break space between
thousands, no-break space before ``%``) and never in scientific notation. A catalogue entry
that carries HTML markup (tags or entities) is filled as MarkupSafe's ``Markup``: its values
are escaped, so a caller passes plain text. Two format specs of the catalogue's own serve
prose:

* ``{n:area|areas}`` is the word for the number ``n`` in the catalogue's language (Babel's
  CLDR plural rules: English singular for 1 only; French singular below 2, so "0 secteur",
  "1,5 an");
* ``{p:p}`` is a p-value with its sign: "= 0.023", or "< 0.001" below one in a thousand.

One function per kind of number: :func:`format_number`, :func:`format_percent`,
:func:`format_interval`, :func:`format_money`, and :func:`plural` for the word that goes with
a count.

:class:`Caveat` is a plain-language warning that remembers its catalogue key, so a report can
show it in another language than the English text it carries; :func:`show_warnings` makes
Python print warnings in the reader's language.
"""

from __future__ import annotations

import math
import re
import string
import warnings
from functools import cache
from typing import Any, Literal

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol
from markupsafe import Markup, escape

from evalkit.errors import SpecError
from evalkit.i18n import en, fr

__all__ = ["LANGUAGES", "Caveat", "Lang", "catalogue", "format_interval", "format_money",
           "format_number", "format_p", "format_percent", "format_significant", "outcome_name",
           "plural", "round_percent", "show_warnings", "t"]

Lang = Literal["en", "fr"]
LANGUAGES: dict[str, dict[str, str]] = {"en": en.TEXT, "fr": fr.TEXT}


@cache
def _locale(lang: str) -> Locale:
    catalogue(lang)  # an unknown language is a SpecError, not Babel's UnknownLocaleError
    return Locale.parse(lang)


@cache
def _percent_affixes(lang: str) -> tuple[str, str]:
    """What Babel writes before and after a positive percentage ("", "%" / "", "\u00a0%")."""
    pattern = _locale(lang).percent_formats[None]
    return pattern.prefix[0], pattern.suffix[0]


def format_number(value: float, lang: str, spec: str) -> str:
    """``format(value, spec)`` with the decimal and group symbols of ``lang``'s locale.

    Python's ``format`` chooses the digits (so rounding is the same in every language); Babel
    gives the symbols. A ``%`` spec is written as :func:`format_percent` writes it. A ``g``
    spec never gives scientific notation: a value it would write as ``1.2e+04`` or ``3e-07``
    is written out with the same significant digits (``12,000``, ``0.0000003``).
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
    locale = _locale(lang)
    text = text.translate({ord(","): get_group_symbol(locale),
                           ord("."): get_decimal_symbol(locale)})
    return format_percent(text[:-1], lang) if text.endswith("%") else text


def format_percent(value: float | str, lang: str, spec: str = "g") -> str:
    """A percentage (``12.5`` → "12.5%", "12,5\u00a0%"), with the percent sign as Babel
    places it for ``lang``.

    ``value`` is in percent (not a share), formatted with :func:`format_number` and ``spec``;
    text already formatted (a number written with a precision shared with others, or "–") is
    only given the sign.
    """
    text = value if isinstance(value, str) else format_number(value, lang, spec)
    prefix, suffix = _percent_affixes(lang)
    return f"{prefix}{text}{suffix}"


def format_interval(low: str, high: str, lang: str) -> str:
    """An interval between two formatted values: "1.2 to 3.4", "1,2 à 3,4"."""
    return t("interval", lang, low=low, high=high)


def format_money(value: float, lang: str, currency: str) -> str:
    """A whole amount of money with ``currency`` placed as Babel's pattern for ``lang`` places
    the currency sign ("€1,200", "-€1,200", "1\u202f200\u00a0€"); "∞" or "-∞" for an
    unbounded amount, "–" for a missing one."""
    if math.isnan(value):
        return "–"
    sign = "-" if value < 0 else ""
    if math.isinf(value):
        return f"{sign}∞"
    pattern = _locale(lang).currency_formats["standard"]
    prefix, suffix = (part.replace("\xa4", currency) for part in
                      (pattern.prefix[0], pattern.suffix[0]))
    # half away from zero, as amounts are rounded in accounts (round() would go to even)
    whole = math.floor(abs(value) + 0.5)
    return f"{sign}{prefix}{format_number(whole, lang, ',d')}{suffix}"


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
    """The plural category of ``n`` by Babel's CLDR rules for cardinals: English ``one`` for 1
    only, French ``one`` for 0 and anything below 2. The catalogues have two forms, so CLDR's
    French ``many`` (a million) is ``other``."""
    if not math.isfinite(n):
        return "other"
    n = abs(n)
    form = _locale(lang).plural_form(int(n) if float(n).is_integer() else n)
    return "one" if form == "one" else "other"


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


class _MarkupFormatter(_Formatter):
    """Fills a catalogue entry that carries markup: every value is escaped (MarkupSafe), as
    ``Markup(template).format`` does, after the catalogue's own number and plural specs."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if hasattr(value, "__html__") and not format_spec:  # already HTML (a Markup)
            return value.__html__()
        return escape(super().format_field(value, format_spec))


#: a catalogue entry is HTML if it has a tag or an entity (the other entries are plain text)
_MARKUP = re.compile(r"</?[a-z][a-z0-9]*[\s/>]|&(?:[a-z]+|#[0-9]+);")
_FRENCH_SPACE = re.compile(r"[ \u00a0\u202f]+([:;!?»])|(«)[ \u00a0\u202f]+|[ \u00a0\u202f]+%")


def _french_typography(text: str) -> str:
    """A narrow no-break space before ``: ; ! ?`` and inside guillemets, and Babel's space
    before ``%``, so a line never starts with the mark (the catalogue writes plain spaces
    there)."""
    percent = _percent_affixes("fr")[1]
    return _FRENCH_SPACE.sub(lambda m: f"\u202f{m[1]}" if m[1] else f"{m[2]}\u202f" if m[2]
                             else percent, text)


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """Translate ``key`` into ``lang`` and fill its ``{placeholders}`` (numbers localised;
    French typography: a narrow no-break space before ``: ; ! ?``).

    An entry with HTML markup comes back as ``Markup`` with its values escaped; pass them as
    plain text (a ``Markup`` value is kept as it is).
    """
    template = catalogue(lang)[key]
    markup = _MARKUP.search(template) is not None
    text = (_MarkupFormatter if markup else _Formatter)(lang).format(template, **values)
    if lang == "fr":
        text = _french_typography(text)
    return Markup(text) if markup else text


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
