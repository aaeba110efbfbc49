"""Difference in differences of survey shares feeling unsafe, with the survey variance.

``att = (T_after - T_before) - (C_after - C_before)`` where each cell is the weighted share
answering "unsafe"/"very unsafe" (:func:`evalkit.indicators.survey_share`) among the
respondents of the treated (T) or comparison (C) areas in the before or after waves. The
four cells are different respondents, so the variance is the sum of the four design-based
variances (DOMAIN.md §1, survey row); reliability follows DOMAIN.md §6 rule 5.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from evalkit.data.panel import Panel, source_frame
from evalkit.data.validate import check_names, require_columns
from evalkit.designs._common import check_alpha, provenance
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat
from evalkit.indicators.survey import _MIN_N, _RSE_CAUTION, _RSE_SUPPRESS, survey_share
from evalkit.results import (
    Diagnostic,
    EvaluationResult,
    effect_row,
    effects_table,
    warns_at_caller,
)

__all__ = ["survey_did"]

_GROUPS = ("treated", "comparison")
_PERIODS = ("before", "after")
_SERIES_COLUMNS = ["unit", "time", "waves", "share", "std_error", "ci_low", "ci_high", "n",
                   "n_missing", "n_eff", "deff", "rse", "reliability"]


def _labels(values: object, name: str) -> list[str]:
    """A label or a list of labels, as a non-empty list of distinct strings."""
    if values is None:
        raise SpecError(f"{name} is required: give a wave/area label or a list of them.")
    items = [values] if isinstance(values, str | int | float) else list(values)  # type: ignore[arg-type]
    if not items:
        raise SpecError(f"{name} is empty; give at least one label.")
    return list(dict.fromkeys(str(v) for v in items))


def _codes(column: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a label column and its labels as text; raise if a label is missing."""
    if column.isna().any():
        rows = column.index[column.isna()].tolist()[:10]
        raise DataError(
            f"the {name} column {column.name!r} has {int(column.isna().sum())} missing "
            f"value(s) (rows {rows}); every respondent needs one. Fill or drop those rows."
        )
    codes, uniques = pd.factorize(column)
    return codes, [str(u) for u in uniques]


def _by_wave(column: pd.Series | None, wave_codes: np.ndarray, wave_labels: list[str],
             name: str) -> pd.Categorical:
    """Design labels crossed with the wave (``"<label> (wave <w>)"``): waves independent."""
    if column is None:
        codes, labels = np.zeros(len(wave_codes), dtype=np.int64), [""]
    else:
        codes, labels = _codes(column, name)
    pair, uniques = pd.factorize(codes * len(wave_labels) + wave_codes)
    names = [f"{labels[u // len(wave_labels)]} (wave {wave_labels[u % len(wave_labels)]})"
             .lstrip() for u in uniques]
    if len(set(names)) < len(names):  # labels equal as text (1 and "1"): keep them apart
        names = [f"{x} #{i + 1}" for i, x in enumerate(names)]
    return pd.Categorical.from_codes(pair, categories=names)


@warns_at_caller
def survey_did(
    data: Panel | pd.DataFrame | str | os.PathLike,
    *,
    response: str,
    area: str,
    wave: str,
    treated_areas: str | Sequence[str],
    before: str | Sequence[str],
    after: str | Sequence[str],
    unsafe: str | Iterable[object] = ("unsafe", "very unsafe"),
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    alpha: float = 0.05,
) -> EvaluationResult:
    """Difference in differences of the weighted shares feeling unsafe between survey waves.

    ``att = 100 * [(T_after - T_before) - (C_after - C_before)]`` in **percentage
    points**, where ``T``/``C`` are the weighted shares answering one of ``unsafe`` among
    respondents of the treated areas / of every other area, pooled over the ``before`` or
    ``after`` waves (weights are used as given, so waves whose weights sum to the
    population count equally).

    Variance: the waves are independent samples of different respondents and the treated
    and comparison cells are treated as independent too, so
    ``V(att) = V(T_a) + V(T_b) + V(C_a) + V(C_b)`` (times 100²). Each cell's variance is
    the one :func:`evalkit.indicators.survey_share` computes: design-based Taylor
    linearisation when ``strata`` and/or ``psu`` is given, else Kish
    (``p (1 - p) / n_eff``, which is ``p (1 - p) / n`` unweighted). In the design-based
    case strata and PSUs are crossed with the wave: **a PSU or stratum that spans waves is
    treated as a separate, independent sample in each wave**, and with ``psu`` but no
    ``strata`` each wave is a stratum. Cells are domains of that design, so the sum of
    variances is exact when treated and comparison areas do not share PSUs (e.g. strata
    or PSUs nested in areas) and ignores their covariance otherwise. The interval and
    p-value use the normal reference.

    Parameters
    ----------
    data : Panel, pandas.DataFrame or path
        One row per respondent. Not modified. A Panel gives its table and its digest (its
        roles name no survey column).
    response : str
        Answer to the after-dark safety question; missing answers are dropped (counted in
        the ``n_missing`` column of ``series``).
    area : str
        Area column; every area not in ``treated_areas`` is a comparison area.
    wave : str
        Survey wave column. Labels are compared as text (``2019`` matches ``"2019"``).
    treated_areas : str or sequence of str
        Areas with the partnership.
    before, after : str or sequence of str
        Wave labels pooled into the before and after periods (disjoint). Other waves are
        ignored.
    unsafe : str or sequence, default ("unsafe", "very unsafe")
        Answers counted as feeling unsafe (text compared case-insensitively).
    weight : str, optional
        Survey weight column (strictly positive); unweighted when omitted.
    strata, psu : str, optional
        Design columns for design-based standard errors (PSUs nested in strata).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    EvaluationResult
        Method ``survey_did``; term ``att`` (scale ``additive``, unit recorded in
        ``spec["units"] = "percentage_points"``; negative = fewer people feel unsafe).
        ``series`` has the four cells (``unit`` treated/comparison, ``time`` before/after,
        ``waves``) with share (0–1), SE, CI, n, n_eff, deff, RSE and reliability.
        Diagnostic ``survey_reliability`` fails when a cell is suppressed (unweighted
        n < 30 or RSE > 50 %, DOMAIN.md §6 rule 5); warnings name suppressed and caution
        cells.

    Raises
    ------
    DataError
        Missing columns; missing area or wave labels; unknown waves; treated areas absent
        from the selected waves; no comparison area; a cell without respondents; missing
        or non-positive weights; single-PSU strata.
    SpecError
        Empty or overlapping ``before``/``after``, empty ``treated_areas``, bad ``alpha``.
    """
    a = check_alpha(alpha)
    df = source_frame(data)
    require_columns(df, list(dict.fromkeys(c for c in (response, area, wave, weight, strata,
                                                       psu) if c)))
    before_l, after_l = _labels(before, "before"), _labels(after, "after")
    treated_l = _labels(treated_areas, "treated_areas")
    both = sorted(set(before_l) & set(after_l))
    if both:
        raise SpecError(
            f"wave(s) {both} are in both before and after; each wave belongs to one period. "
            "Remove them from one of the two lists."
        )
    wave_codes, known = _codes(df[wave], "wave")
    check_names(before_l + after_l, [str(k) for k in known], parameter="before and after",
                column=wave)
    in_before = np.isin(wave_codes, [known.index(w) for w in before_l])
    keep = in_before | np.isin(wave_codes, [known.index(w) for w in after_l])
    df, wave_codes, in_before = df.loc[keep], wave_codes[keep], in_before[keep]
    area_codes, present = _codes(df[area], "area")
    absent = [t for t in treated_l if t not in present]
    if absent:
        raise DataError(
            f"treated area(s) {absent} have no respondents in waves {before_l + after_l} of "
            f"the {area!r} column; areas found: {present[:20]}. Check treated_areas."
        )
    is_treated = np.isin(area_codes, [present.index(t) for t in treated_l])
    if is_treated.all():
        raise DataError(
            f"every area in the selected waves is treated ({present[:20]}): there is no "
            "comparison area. Add survey data from comparable areas without the partnership."
        )
    if weight is not None:
        w = pd.to_numeric(df[weight], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            rows = df.index[bad].tolist()[:10]
            raise DataError(
                f"weight column {weight!r} must hold positive numbers; {int(bad.sum())} "
                f"respondent(s) have a missing, zero or negative weight (rows {rows}). "
                "Fix or drop them."
            )
    frame = pd.DataFrame({
        response: df[response].to_numpy(),  # the user's name, so messages name their column
        "_group": np.where(is_treated, _GROUPS[0], _GROUPS[1]),
        "_period": np.where(in_before, _PERIODS[0], _PERIODS[1]),
    })
    if weight is not None:
        frame["_weight"] = w
    if strata is not None or psu is not None:
        frame["_stratum"] = _by_wave(df[strata] if strata else None, wave_codes, known,
                                     "strata")
        if psu is not None:
            frame["_psu"] = _by_wave(df[psu], wave_codes, known, "psu")
    cells = _cells(frame, response=response, unsafe=unsafe, alpha=a,
                   waves=(before_l, after_l))
    row, se = _att(cells, alpha=a)
    diag, warn = _reliability(cells)
    design = "design-based (Taylor linearisation)" if "_stratum" in frame else "Kish"
    spec = {"outcome": response, "unsafe": list((unsafe,) if isinstance(unsafe, str)
                                                else unsafe),
            "area": area, "wave": wave, "treated_areas": treated_l, "before": before_l,
            "after": after_l, "weight": weight, "strata": strata, "psu": psu,
            "units": "percentage_points",
            "vcov": f"sum of the four cell variances, {design}; waves independent",
            "alpha": a}
    sample = {"n_obs": int(cells["n"].sum()), "n_missing": int(cells["n_missing"].sum()),
              "n_units": len(present), "n_treated_units": len(treated_l),
              "n_periods": len(before_l) + len(after_l), "dropped_rows": int((~keep).sum())}
    params = {"response": response, "area": area, "wave": wave, "treated_areas": treated_l,
              "before": before_l, "after": after_l, "unsafe": spec["unsafe"],
              "weight": weight, "strata": strata, "psu": psu, "alpha": a}
    return EvaluationResult(
        method="survey_did", spec=spec, effects=effects_table([row]), series=cells,
        diagnostics=(diag,), warnings=tuple(warn), sample=sample,
        provenance=provenance(data, params),
        vcov=pd.DataFrame([[se**2]], index=["att"], columns=["att"]), wald_df={"att": math.inf},
    )


def _cells(frame: pd.DataFrame, *, response: str, unsafe: str | Iterable[object],
           alpha: float, waves: tuple[list[str], list[str]]) -> pd.DataFrame:
    """The share feeling unsafe in each of treated/comparison × before/after, with SEs."""
    before_l, after_l = waves
    out = survey_share(
        frame, response=response, unsafe=unsafe,
        weight="_weight" if "_weight" in frame else None, by=["_group", "_period"],
        strata="_stratum" if "_stratum" in frame else None,
        psu="_psu" if "_psu" in frame else None, alpha=alpha,
    )
    found = {(r["_group"], r["_period"]): r for r in out.to_dict("records") if r["n"] > 0}
    empty = [f"{g}/{t}" for g in _GROUPS for t in _PERIODS if (g, t) not in found]
    if empty:
        raise DataError(
            f"cell(s) {empty} have no respondents with an answer in {response!r}; each of "
            "treated/comparison × before/after needs some. Check the areas and the waves "
            "given to before= and after=."
        )
    cells = pd.DataFrame([
        {**found[g, t], "unit": g, "time": t,
         "waves": ", ".join(before_l if t == "before" else after_l)}
        for g in _GROUPS for t in _PERIODS
    ])
    cells["n"] = cells["n"].astype(int)
    return cells[_SERIES_COLUMNS]


def _att(cells: pd.DataFrame, *, alpha: float) -> tuple[dict, float]:
    """The difference in differences of the shares in points, SE from independent cells."""
    share = dict(zip(zip(cells["unit"], cells["time"], strict=True), cells["share"],
                     strict=True))
    estimate = 100 * ((share["treated", "after"] - share["treated", "before"])
                      - (share["comparison", "after"] - share["comparison", "before"]))
    se = 100 * math.sqrt(float((cells["std_error"] ** 2).sum()))
    row = effect_row("att", estimate, se, alpha=alpha, scale="additive")
    return row, se


def _reliability(cells: pd.DataFrame) -> tuple[Diagnostic, list[Caveat]]:
    """Which cells are suppressed or to be read with caution (DOMAIN.md §6 rule 5)."""
    label = [f"{u}/{t}" for u, t in zip(cells["unit"], cells["time"], strict=True)]
    suppressed = [x for x, r in zip(label, cells["reliability"], strict=True)
                  if r == "suppressed"]
    caution = [x for x, r in zip(label, cells["reliability"], strict=True) if r == "caution"]
    warn: list[Caveat] = []
    if suppressed:
        warn.append(Caveat("survey_unreliable", cells=", ".join(suppressed), min_n=_MIN_N,
                           rse_max=_RSE_SUPPRESS))
    if caution:
        warn.append(Caveat("survey_caution", cells=", ".join(caution), rse_low=_RSE_CAUTION,
                           rse_max=_RSE_SUPPRESS))
    diag = Diagnostic(
        name="survey_reliability",
        null=(f"every cell has at least {_MIN_N} respondents and a relative standard error "
              f"of at most {_RSE_SUPPRESS:.0%}"),
        statistic=float(len(suppressed)), p_value=float("nan"), passed=not suppressed,
        table=cells.copy(),
        message=(f"{len(suppressed)} of 4 cells suppressed" if suppressed
                 else "all 4 cells publishable"),
    )
    return diag, warn
