"""Disclosure control for published tables and figures (DOMAIN.md §6).

Applied only when rendering: models run on the exact data; everything a report folder
*shows* (tables, figures, caveat sentences, ``report.ipynb`` and ``results.json``) goes
through a :class:`DisclosureRule`:

1. small-area counts ``low <= n <= high`` (default 1 to 4) are shown as ``"<5"``, and any
   rate, share or change computed from such a count as "–";
2. secondary suppression: where a total is shown, a lone hidden cell in a row or column
   forces the next-smallest cell to be hidden too, so that it cannot be recovered by
   subtracting the shown cells from the total (:func:`secondary_suppression`);
3. sexual offences, domestic abuse and homicide are not shown below district level;
4. (no incident-level rows, coordinates or dates-with-times are ever rendered by evalkit);
5. survey cells with fewer than 30 respondents or a relative standard error above 50 %
   are suppressed, and flagged between 25 % and 50 %;
6. thresholds are configurable per report, and :meth:`DisclosureRule.text` prints the rule
   applied in the report footer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from evalkit.errors import SpecError
from evalkit.i18n import Caveat, Lang, format_number, t

__all__ = ["DEFAULT_RULE", "SENSITIVE_PATTERNS", "DisclosureRule", "complete_lines",
           "secondary_suppression"]

Level = Literal["small_area", "district"]
DASH = "–"

#: indicator names (column names or labels, any case) treated as sensitive offences
SENSITIVE_PATTERNS: tuple[str, ...] = (
    r"sex", r"rape", r"viol(?:ence|s)?_?sexu", r"domestic", r"intrafamil", r"conjugal",
    r"homicide", r"murder", r"meurtre", r"assassinat", r"\bviols?\b", r"(?:^|_)viols?(?:_|$)",
)

#: caveats whose values are counts an area's data give away: code -> the count fields. A
#: caveat naming a hidden count is said with the ``<code>_hidden`` sentence instead ("below
#: 5", never the count).
_CAVEAT_COUNTS: dict[str, tuple[str, ...]] = {
    "wdq_small_counts": ("smallest",),
    "wdd_small_counts": ("smallest",),
    "small_counts": ("before", "after"),
}


@dataclass(frozen=True)
class DisclosureRule:
    """What a report may show of small counts, sensitive offences and survey cells.

    Parameters
    ----------
    low, high : int
        Smallest and largest count hidden at small-area level (default 1 and 4: "<5").
    level : {"small_area", "district"}
        Geography of the report's units. ``"small_area"`` (default, the cautious reading)
        applies the small-count rule and withholds sensitive offences; ``"district"`` (a
        district, commune or larger) shows counts and sensitive offences as they are.
    secondary : bool
        Apply secondary suppression where totals are shown.
    survey_min_n : int
        Survey cells with fewer respondents are suppressed (default 30).
    survey_max_rse, survey_flag_rse : float
        Relative standard errors above which a survey cell is suppressed (0.5) or flagged
        as unreliable (0.25).
    sensitive : tuple of str
        Regular expressions matched (case-insensitively) against indicator names.
    """

    low: int = 1
    high: int = 4
    level: Level = "small_area"
    secondary: bool = True
    survey_min_n: int = 30
    survey_max_rse: float = 0.5
    survey_flag_rse: float = 0.25
    sensitive: tuple[str, ...] = SENSITIVE_PATTERNS

    def __post_init__(self) -> None:
        if not (isinstance(self.low, int) and isinstance(self.high, int)
                and 0 <= self.low <= self.high):
            raise SpecError(f"a small-count rule needs whole numbers 0 <= low <= high; got "
                            f"low={self.low!r}, high={self.high!r}.")
        if self.level not in ("small_area", "district"):
            raise SpecError(f"disclosure level must be 'small_area' or 'district'; got "
                            f"{self.level!r}. Use 'district' only when every unit is a "
                            "district, commune or larger area.")
        if not (isinstance(self.survey_min_n, int) and self.survey_min_n >= 0
                and 0 < self.survey_flag_rse <= self.survey_max_rse):
            raise SpecError(
                "survey thresholds need a whole survey_min_n >= 0 and 0 < survey_flag_rse "
                f"<= survey_max_rse; got survey_min_n={self.survey_min_n!r}, "
                f"survey_flag_rse={self.survey_flag_rse!r}, "
                f"survey_max_rse={self.survey_max_rse!r}.")

    @classmethod
    def from_parameters(cls, *, min_count: int = 5, level: str = "small_area") -> DisclosureRule:
        """The rule from two template parameters: counts below ``min_count`` are hidden.

        ``min_count=0`` or ``1`` hides no count (only for data already cleared for release).
        """
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 0:
            raise SpecError(f"min_count must be a whole number >= 0 (counts below it are "
                            f"shown as '<min_count'); got {min_count!r}.")
        rule = cls(low=1, high=max(min_count - 1, 1), level=level)  # type: ignore[arg-type]
        return rule if min_count > 1 else rule.without_small_counts()

    def without_small_counts(self) -> DisclosureRule:
        """A copy that hides no count (keeps the other rules)."""
        return replace(self, low=0, high=0)

    # -- counts --------------------------------------------------------------------------
    @property
    def hides_counts(self) -> bool:
        """True when the small-count rule is in force (small-area level, a non-empty band)."""
        return self.level == "small_area" and self.high >= max(self.low, 1)

    @property
    def label(self) -> str:
        """What a hidden count is shown as, e.g. ``"<5"``."""
        return f"<{self.high + 1}"

    def hides(self, count: object) -> np.ndarray:
        """True where ``count`` must not be shown (a boolean array of ``count``'s shape)."""
        values = np.asarray(count, dtype=float)
        if not self.hides_counts:
            return np.zeros(values.shape, dtype=bool)
        return (values >= max(self.low, 1)) & (values <= self.high)

    def count(self, value: float | None, lang: Lang) -> str:
        """A count formatted for ``lang``, or the hidden label."""
        if value is None or not math.isfinite(value):
            return DASH
        if bool(self.hides(value)):
            return self.label
        return format_number(round(float(value)), lang, ",d")

    def hides_series(self, values: object, outcome: str = "") -> np.ndarray:
        """True where a series of ``outcome`` counts must not be drawn: counts it hides, and
        every value when ``outcome`` is a sensitive offence it withholds."""
        values = np.asarray(values, dtype=float)
        if outcome and self.withholds(outcome):
            return np.isfinite(values)
        return self.hides(values)

    def caveat(self, message: object) -> object:
        """``message`` as a report may say it: a caveat that names a count this rule hides
        (e.g. "the smallest is 3") becomes its ``_hidden`` sentence ("below 5"); any other
        message is returned unchanged."""
        code = getattr(message, "code", None)
        fields = _CAVEAT_COUNTS.get(code or "")
        if not fields or not isinstance(message, Caveat):
            return message
        if not any(bool(self.hides(message.values.get(f, 0))) for f in fields):
            return message
        values = {k: v for k, v in message.values.items() if k not in fields}
        return Caveat(f"{code}_hidden", **values, below=self.high + 1)

    # -- sensitive offences ----------------------------------------------------------------
    def withholds(self, indicator: str) -> bool:
        """True when ``indicator`` is a sensitive offence that this report must not show."""
        if self.level != "small_area":
            return False
        name = str(indicator).lower()
        return any(re.search(p, name) for p in self.sensitive)

    def shown(self, indicators: Sequence[str]) -> tuple[list[str], list[str]]:
        """Split indicators into those shown and those withheld (sensitive offences)."""
        kept = [i for i in indicators if not self.withholds(i)]
        return kept, [i for i in indicators if self.withholds(i)]

    # -- survey cells ------------------------------------------------------------------------
    def survey_status(self, n: float, rse: float) -> Literal["ok", "caution", "suppressed"]:
        """``suppressed`` (n < min or RSE > max), ``caution`` (RSE above the flag level), ``ok``."""
        if not (n >= self.survey_min_n) or not (rse <= self.survey_max_rse):
            return "suppressed"
        return "caution" if rse > self.survey_flag_rse else "ok"

    # -- footer ------------------------------------------------------------------------------
    def text(self, lang: Lang) -> str:
        """The rule applied, in plain words, for the report footer."""
        parts = []
        if self.hides_counts:
            parts.append(t("disc.counts", lang, low=max(self.low, 1), high=self.high,
                           label=self.label))
            if self.secondary:
                parts.append(t("disc.secondary", lang))
            parts.append(t("disc.sensitive", lang))
        else:
            parts.append(t("disc.district", lang))
        parts.append(t("disc.survey", lang, n=self.survey_min_n,
                       max=round(100 * self.survey_max_rse),
                       flag=round(100 * self.survey_flag_rse)))
        return t("disc.lead", lang) + " " + " ".join(parts)


DEFAULT_RULE = DisclosureRule()


def secondary_suppression(values: np.ndarray, hidden: np.ndarray, *, rows: bool = True,
                          columns: bool = True) -> np.ndarray:
    """Extend primary suppression so no hidden cell can be recovered from shown totals.

    When a row (or column) total is published, a row with exactly one hidden cell gives
    that cell away: total minus the shown cells. The smallest shown non-zero cell of that
    row is then hidden too (a zero only when nothing else is left). Rows and columns are
    revisited until no line has exactly one hidden cell.

    Parameters
    ----------
    values : (r, c) array
        The counts of the table body.
    hidden : (r, c) bool array
        Primary suppression (e.g. :meth:`DisclosureRule.hides`).
    rows, columns : bool
        Whether row totals / column totals are shown.

    Returns
    -------
    (r, c) bool array: every cell to hide.
    """
    values = np.asarray(values, dtype=float)
    out = np.array(hidden, dtype=bool, copy=True)
    if values.shape != out.shape or values.ndim != 2:
        raise SpecError(f"values and hidden must be 2-D arrays of the same shape; got "
                        f"{values.shape} and {out.shape}.")
    changed = True
    while changed:
        changed = False
        for transpose, active in ((False, rows), (True, columns)):
            if not active:
                continue
            v, h = (values.T, out.T) if transpose else (values, out)
            for i in range(v.shape[0]):
                if h[i].sum() != 1:
                    continue
                candidates = np.flatnonzero(~h[i])
                if not len(candidates):
                    continue
                nonzero = candidates[v[i, candidates] > 0]
                pool = nonzero if len(nonzero) else candidates
                h[i, pool[np.argmin(v[i, pool])]] = True  # writes through to ``out``
                changed = True
    return out


def complete_lines(values: np.ndarray, hidden: np.ndarray, groups: Sequence[object]
                   ) -> np.ndarray:
    """Hide a second value of each group with exactly one hidden value.

    A series drawn period by period next to a table of its window totals gives a hidden
    period away (the total minus the periods drawn). In every group (a window of one
    line) with a lone hidden value, the smallest shown non-zero value is hidden too.

    Parameters
    ----------
    values : (n,) array
        The counts.
    hidden : (n,) bool array
        Primary suppression.
    groups : (n,) sequence
        Group label of each value (None: in no group).
    """
    values = np.asarray(values, dtype=float)
    out = np.array(hidden, dtype=bool, copy=True)
    members: dict[object, list[int]] = {}
    for i, label in enumerate(groups):
        if label is not None:
            members.setdefault(label, []).append(i)
    for at in map(np.array, members.values()):
        if out[at].sum() != 1:
            continue
        candidates = at[~out[at]]
        if not len(candidates):
            continue
        nonzero = candidates[values[candidates] > 0]
        pool = nonzero if len(nonzero) else candidates
        out[pool[np.argmin(values[pool])]] = True
    return out
