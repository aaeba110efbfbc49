"""Harm-weighted crime totals from a user-supplied, dated weight table.

evalkit ships no harm weights (Cambridge CHI, ONS CSS, Statistics Canada CSI, ... are the
user's choice); load one with :func:`load_harm_weights` and report harm next to counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit._checks import as_names
from evalkit.errors import DataError, SpecError
from evalkit.indicators._checks import require_columns

__all__ = ["HarmWeights", "harm_total", "load_harm_weights"]

_GROUPBY = {"sort": True, "dropna": False, "observed": True}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _codes(values: pd.Series) -> pd.Series:
    """Offence codes as stripped strings so '110', 110 and ' 110 ' match."""
    return values.astype("string").str.strip().astype(object)


@dataclass(frozen=True)
class HarmWeights:
    """A validated, dated harm weight table.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``code`` (offence code, as a string) and ``weight`` (non-negative float),
        one row per code.
    name : str
        What the weights are, e.g. ``"Cambridge Crime Harm Index"``.
    version_date : str
        Date of the weight version, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
    """

    table: pd.DataFrame
    name: str
    version_date: str

    def __post_init__(self) -> None:
        require_columns(self.table, ["code", "weight"], "the harm weight table")
        if not str(self.name).strip():
            raise SpecError("name the harm weights (e.g. name='Cambridge CHI').")
        if not _DATE.match(str(self.version_date)):
            raise SpecError(
                "version_date must be the date of the weight version as YYYY, YYYY-MM or "
                f"YYYY-MM-DD, got {self.version_date!r}."
            )
        table = self.table
        if table["code"].isna().any():
            raise DataError("the harm weight table has rows with no offence code; drop them.")
        dup = table["code"][table["code"].duplicated()].unique().tolist()
        if dup:
            raise DataError(
                f"duplicate offence code(s) in the harm weight table: {dup[:10]}; keep one "
                "weight per code."
            )
        w = pd.to_numeric(table["weight"], errors="coerce")
        if w.isna().any() or not np.isfinite(w).all():
            bad = table["code"][w.isna() | ~np.isfinite(w)].tolist()
            raise DataError(f"harm weights must be numbers; missing or invalid for {bad[:10]}.")
        if (w < 0).any():
            raise DataError(
                f"harm weights must be non-negative; negative for {table['code'][w < 0].tolist()}."
            )


def load_harm_weights(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    code: str = "code",
    weight: str = "weight",
    name: str,
    version_date: str,
) -> HarmWeights:
    """Load and validate a harm weight table.

    Parameters
    ----------
    data : DataFrame or path
        The weight table, or a path to a CSV (read with ``evalkit.data.io.read_table``
        when available). It is not modified.
    code, weight : str
        Columns holding the offence code and its weight.
    name : str
        What the weights are (printed in reports).
    version_date : str
        Date of the weight version (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).

    Returns
    -------
    HarmWeights
        With a copied table of columns ``code`` (string) and ``weight`` (float).

    Raises
    ------
    DataError
        Missing columns, missing codes, duplicate codes, missing or negative weights.
    SpecError
        Empty ``name`` or malformed ``version_date``.
    """
    if isinstance(data, str | os.PathLike):
        try:
            from evalkit.data.io import read_table
        except ImportError:
            frame = pd.read_csv(Path(data), dtype={code: str})
        else:
            frame = read_table(data)
    else:
        frame = data
    require_columns(frame, [code, weight], "the harm weight table")
    codes = frame[code]
    table = pd.DataFrame(
        {
            "code": codes.where(codes.isna(), _codes(codes)),
            "weight": pd.to_numeric(frame[weight], errors="coerce").astype(float),
        }
    ).reset_index(drop=True)
    return HarmWeights(table=table, name=name, version_date=str(version_date))


def harm_total(
    data: pd.DataFrame,
    *,
    offence: str,
    count: str | None = None,
    weights: HarmWeights,
    by: str | Iterable[str] = (),
) -> pd.DataFrame:
    """Harm-weighted totals ``H = sum_k count_k * w_k``, reported next to the counts.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per offence type (with a ``count`` column) or per incident
        (``count=None``). Not modified.
    offence : str
        Column of offence codes, matched as stripped strings to ``weights.table.code``.
    count : str or None, default None
        Column of counts; ``None`` counts each row once.
    weights : HarmWeights
        From :func:`load_harm_weights`.
    by : str or sequence of str, default ()
        Grouping columns (e.g. unit and period).

    Returns
    -------
    pandas.DataFrame
        Columns ``by..., count, harm, harm_share_top, top_offence``: ``harm_share_top`` is
        the share of the group's harm coming from its single most harmful offence type
        (``top_offence``); values near 1 mean one serious offence dominates and the harm
        series will be high-variance. ``attrs`` records the weights' name and date.

    Raises
    ------
    DataError
        Missing columns, missing or negative counts, offence codes without a weight.
    """
    if not isinstance(weights, HarmWeights):
        raise SpecError("weights must be a HarmWeights object; build it with load_harm_weights().")
    keys = list(as_names(by))
    require_columns(data, [offence, count, *keys])
    if data[offence].isna().any():
        raise DataError(f"column {offence!r} has missing offence codes; drop or recode them.")
    codes = _codes(data[offence])
    if count is None:
        counts = pd.Series(1.0, index=data.index)
    else:
        counts = pd.to_numeric(data[count], errors="coerce").astype(float)
        if counts.isna().any() or (counts < 0).any():
            raise DataError(f"column {count!r} must hold non-negative numbers with no gaps.")
    lookup = dict(zip(weights.table["code"], weights.table["weight"], strict=True))
    unknown = sorted(set(codes) - set(lookup))
    if unknown:
        raise DataError(
            f"{len(unknown)} offence code(s) in column {offence!r} have no weight in "
            f"'{weights.name}' ({weights.version_date}): {unknown[:20]}. Add them to the "
            "weight table, or recode/filter those rows before calling harm_total."
        )
    work = data[keys].copy() if keys else pd.DataFrame(index=data.index)
    work["_offence"] = codes
    work["count"] = counts
    work["harm"] = counts * codes.map(lookup).astype(float)
    group_keys = [*keys, "_offence"]
    per_type = work.groupby(group_keys, **_GROUPBY)[["count", "harm"]].sum()
    per_type = per_type.reset_index()
    if keys:
        totals = per_type.groupby(keys, **_GROUPBY)[["count", "harm"]].sum()
        top = per_type.sort_values(
            [*keys, "harm", "_offence"], ascending=[True] * len(keys) + [False, True]
        ).drop_duplicates(keys)
        top = top.set_index(keys)[["_offence", "harm"]]
        out = totals.join(top.rename(columns={"harm": "_top", "_offence": "top_offence"}))
        out = out.reset_index()
    else:
        best = per_type.sort_values(["harm", "_offence"], ascending=[False, True]).iloc[0]
        out = pd.DataFrame(
            {
                "count": [per_type["count"].sum()],
                "harm": [per_type["harm"].sum()],
                "top_offence": [best["_offence"]],
                "_top": [best["harm"]],
            }
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["harm_share_top"] = np.where(out["harm"] > 0, out["_top"] / out["harm"], np.nan)
    out = out[[*keys, "count", "harm", "harm_share_top", "top_offence"]]
    out.attrs = {"harm_weights": weights.name, "harm_weights_version": weights.version_date}
    return out
