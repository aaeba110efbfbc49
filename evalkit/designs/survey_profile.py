"""The survey numbers of an indicator profile, computed once from the respondent file.

:func:`compute_survey` reads the survey once and computes the weighted shares feeling unsafe
by wave and area (:func:`evalkit.survey_share`) and, when the selected areas can be compared
with other surveyed areas over two waves, their difference in differences
(:func:`evalkit.survey_did`). :func:`evalkit.report.indicators.survey_section` formats the
frozen :class:`SurveyProfile` and applies disclosure control.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit._checks import check_alpha
from evalkit.data.io import read_table
from evalkit.data.periods import to_periods
from evalkit.designs.survey_did import survey_did
from evalkit.errors import EvalkitError, EvalkitWarning
from evalkit.indicators.profile import _names
from evalkit.indicators.survey import survey_share
from evalkit.results import EvaluationResult

__all__ = ["SurveyProfile", "compute_survey", "wave_order"]


@dataclass(frozen=True, eq=False)
class SurveyProfile:
    """The survey numbers of an indicator profile (see :func:`compute_survey`).

    Attributes
    ----------
    source : str
        The file's name (``"DataFrame"`` for a frame).
    n_rows : int
        Respondents in the file.
    area, wave : str
        Area and wave columns.
    by : tuple of str
        The columns of ``shares`` the shares are split by (wave then area, those present).
    unsafe : tuple of str
        Answers counted as feeling unsafe.
    design_based : bool
        Standard errors from the strata/PSU design (else Kish).
    alpha : float
        One minus the confidence level.
    selected : tuple of str
        The areas asked for (empty for all).
    shares : pandas.DataFrame
        :func:`evalkit.survey_share` of the selected areas, waves in file order.
    present : tuple of str
        Every surveyed area, sorted (said when none of the selected areas was surveyed).
    did : EvaluationResult or None
        The selected areas' change between the first and the last wave in time order
        (:func:`wave_order`) against the other surveyed areas', when the survey allows it.
    did_waves : tuple of str
        The first and last wave of ``did`` (empty without it).
    """

    source: str
    n_rows: int
    area: str
    wave: str
    by: tuple[str, ...]
    unsafe: tuple[str, ...]
    design_based: bool
    alpha: float
    selected: tuple[str, ...]
    shares: pd.DataFrame
    present: tuple[str, ...]
    did: EvaluationResult | None
    did_waves: tuple[str, ...]


def wave_order(waves: list[str]) -> list[str]:
    """Survey waves in time order: ``before`` then ``after``, else by date when every label
    reads as a period (2019, 2021-06, 2023Q1), else as they first appear in the file."""
    if {"before", "after"} <= set(waves):
        return ["before", *[w for w in waves if w not in ("before", "after")], "after"]
    try:
        periods, _ = to_periods(pd.Series(waves), column="wave")
    except EvalkitError:
        return waves
    if periods.isna().any():
        return waves
    return [w for _, w in sorted(zip(periods, waves, strict=True))]


def compute_survey(survey: str | os.PathLike[str] | pd.DataFrame, *,
                   areas: Sequence[str] | None = None, area: str = "area", wave: str = "wave",
                   response: str = "feel_unsafe_after_dark", weight: str | None = "weight",
                   strata: str | None = "stratum", psu: str | None = "psu",
                   unsafe: Sequence[str] = ("unsafe", "very unsafe"), alpha: float = 0.05
                   ) -> SurveyProfile:
    """Weighted shares feeling unsafe by wave and area, and the selected areas' DiD.

    Shares come from :func:`evalkit.survey_share` on the whole file (design-based standard
    errors when the ``strata``/``psu`` columns exist, else Kish); the rows of the selected
    ``areas`` are kept. With selected areas, at least two waves and other surveyed areas to
    compare with, :func:`evalkit.survey_did` gives their change between the first and the
    last wave (in time order, :func:`wave_order`) against the other areas'.

    Parameters
    ----------
    survey : path or DataFrame
        One row per respondent.
    areas : list of str, optional
        Areas to keep (all when empty).
    area, wave, response, weight, strata, psu : str
        Columns; ``wave``, ``strata`` and ``psu`` are used only when present.
    unsafe : list of str
        Answers counted as feeling unsafe.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    SurveyProfile
    """
    a = check_alpha(alpha)
    df = read_table(survey)
    by = [c for c in (wave, area) if c and c in df.columns]
    design = {k: (v if v and v in df.columns else None) for k, v in
              (("strata", strata), ("psu", psu))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        shares = survey_share(df, response=response, unsafe=tuple(unsafe), weight=weight,
                              by=by, alpha=a, **design)
    wanted = _names(list(areas or []), "areas")
    present = tuple(sorted(df[area].astype(str).unique())) if area in df.columns else ()
    if wanted and area in shares.columns:
        shares = shares[shares[area].astype(str).isin(wanted)]
    if wave in shares.columns and not shares.empty:
        order = {w: i for i, w in enumerate(pd.unique(df[wave]))}
        shares = shares.sort_values([wave, *([area] if area in shares else [])],
                                    key=lambda s: s.map(order) if s.name == wave else s,
                                    kind="stable")
    did, waves = None, ()
    if not shares.empty and wanted and wave in df.columns and area in df.columns:
        labels = wave_order([str(w) for w in pd.unique(df[wave].dropna())])
        surveyed = set(df[area].astype(str))
        treated = [x for x in wanted if x in surveyed]
        if len(labels) >= 2 and treated and surveyed - set(treated):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvalkitWarning)
                did = survey_did(df, response=response, area=area, wave=wave,
                                 treated_areas=treated, before=labels[0], after=labels[-1],
                                 unsafe=tuple(unsafe),
                                 weight=weight if weight and weight in df.columns else None,
                                 alpha=a, **design)
            waves = (labels[0], labels[-1])
    return SurveyProfile(
        source="DataFrame" if isinstance(survey, pd.DataFrame) else Path(survey).name,
        n_rows=len(df), area=area, wave=wave, by=tuple(by), unsafe=tuple(unsafe),
        design_based=any(design.values()), alpha=a, selected=tuple(wanted), shares=shares,
        present=present, did=did, did_waves=waves)
