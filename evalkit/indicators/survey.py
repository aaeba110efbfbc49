"""Survey insecurity shares with design-based or Kish standard errors and RSE flags."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import as_names, check_alpha
from evalkit.errors import DataError
from evalkit.i18n import Caveat
from evalkit.indicators._checks import require_columns
from evalkit.results import warn

__all__ = ["survey_share"]

_COLUMNS = [
    "share",
    "std_error",
    "ci_low",
    "ci_high",
    "n",
    "n_missing",
    "n_eff",
    "deff",
    "rse",
    "reliability",
]
_MIN_N = 30
_RSE_CAUTION = 0.25
_RSE_SUPPRESS = 0.50


def _is_unsafe(values: pd.Series, unsafe: tuple[object, ...]) -> np.ndarray:
    """True where the response is one of ``unsafe`` (text compared case-insensitively)."""
    if all(isinstance(u, str) for u in unsafe):
        norm = values.astype("string").str.strip().str.casefold()
        wanted = [u.strip().casefold() for u in unsafe]
        return norm.isin(wanted).fillna(False).to_numpy(dtype=bool)
    return values.isin(unsafe).to_numpy(dtype=bool)


def _design(data: pd.DataFrame, strata: str | None, psu: str | None) -> tuple[np.ndarray, ...]:
    """Integer codes of each row's stratum and PSU (PSUs nested within strata)."""
    for col in (strata, psu):
        if col is not None and data[col].isna().any():
            raise DataError(f"design column {col!r} has missing values; every row needs one.")
    n = len(data)
    s_codes = pd.factorize(data[strata])[0] if strata else np.zeros(n, dtype=np.int64)
    if psu is None:
        p_codes = np.arange(n)
    else:
        p_codes = pd.factorize(pd.MultiIndex.from_arrays([s_codes, data[psu].to_numpy()]))[0]
    psu_stratum = np.zeros(p_codes.max() + 1 if n else 0, dtype=np.int64)
    psu_stratum[p_codes] = s_codes
    n_psu = np.bincount(psu_stratum)
    lonely = np.flatnonzero(n_psu == 1)
    if lonely.size:
        names = pd.unique(data[strata])[lonely].tolist() if strata else ["(all)"]
        raise DataError(
            f"stratum/strata {names[:10]} contain a single PSU, so no design-based variance "
            "can be computed; merge each with a similar stratum first."
        )
    return s_codes, p_codes, psu_stratum, n_psu


def _design_variance(
    z: np.ndarray, p_codes: np.ndarray, psu_stratum: np.ndarray, n_psu: np.ndarray
) -> float:
    """Between-PSU, within-stratum variance of a linearised total (with-replacement)."""
    totals = np.bincount(p_codes, weights=z, minlength=psu_stratum.size)
    means = np.bincount(psu_stratum, weights=totals) / n_psu
    dev2 = (totals - means[psu_stratum]) ** 2
    factor = n_psu / (n_psu - 1)
    return float((np.bincount(psu_stratum, weights=dev2) * factor).sum())


def survey_share(
    data: pd.DataFrame,
    *,
    response: str,
    unsafe: str | Iterable[object] = ("unsafe", "very unsafe"),
    weight: str | None = None,
    by: str | Iterable[str] = (),
    strata: str | None = None,
    psu: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Weighted share of respondents feeling unsafe, with SE, CI and a reliability flag.

    ``share = sum(w y) / sum(w)`` over non-missing responses, ``y = 1`` when the response
    is in ``unsafe`` (text is compared after stripping and case-folding).

    Standard error:

    * **design-based** when ``strata`` and/or ``psu`` is given: Taylor linearisation of
      the ratio estimator, ``z_i = w_i (y_i - share) / sum(w)`` (0 outside the group),
      ``V = sum_h n_h / (n_h - 1) sum_i (z_hi - mean_h z)^2`` over PSU totals ``z_hi``
      within strata — the with-replacement approximation of R ``survey::svymean`` /
      ``svyby`` for ``svydesign(ids=~psu, strata=~strata, weights=~w, nest=TRUE)``
      without fpc. Groups are domains of the full design. Then
      ``n_eff = share (1 - share) / V`` and ``deff = n / n_eff``.
    * otherwise **Kish**: ``n_eff = (sum w)^2 / sum w^2``, ``deff = n / n_eff = 1 + CV^2(w)``
      (CV with the population variance), ``SE = sqrt(share (1 - share) / n_eff)``.

    The confidence interval is the **Wilson** score interval computed with ``n_eff`` in
    place of ``n`` (it stays inside [0, 1] and is sensible at 0 % and 100 %).

    ``rse = std_error / share`` (NaN when the share is 0). ``reliability`` is
    ``"suppressed"`` when the unweighted ``n < 30`` or ``rse > 0.50``, ``"caution"`` when
    ``0.25 <= rse <= 0.50`` or the RSE is undefined, else ``"ok"``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    response : str
        Column with the answer to the after-dark safety question. Missing answers are
        dropped and counted in ``n_missing``.
    unsafe : str or sequence, default ("unsafe", "very unsafe")
        Answers counted as feeling unsafe.
    weight : str, optional
        Survey weight column (non-negative); unweighted when omitted.
    by : str or sequence of str, default ()
        Grouping columns (areas, waves...).
    strata, psu : str, optional
        Design columns; PSU labels are nested within strata. A single-PSU stratum raises.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``by..., share, std_error, ci_low, ci_high, n, n_missing, n_eff, deff, rse,
        reliability``.

    Raises
    ------
    DataError
        Missing columns; missing or negative weights; missing design values; single-PSU
        strata.
    SpecError
        ``alpha`` outside (0, 1).
    """
    a = check_alpha(alpha)
    keys = list(as_names(by))
    require_columns(data, [response, weight, strata, psu, *keys])
    unsafe_values = (unsafe,) if isinstance(unsafe, str) else tuple(unsafe)
    if weight is None:
        w = np.ones(len(data))
    else:
        w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=float)
        if np.isnan(w).any() or (w < 0).any() or not np.isfinite(w).all():
            raise DataError(
                f"weight column {weight!r} must hold non-negative numbers with no gaps; "
                "fix or drop those respondents."
            )
    design = None if strata is None and psu is None else _design(data, strata, psu)
    missing = data[response].isna().to_numpy()
    y = _is_unsafe(data[response], unsafe_values).astype(float)
    if not y.any() and not missing.all():
        seen = pd.unique(data[response].dropna()).tolist()[:10]
        warn(Caveat("survey_no_unsafe", column=response, unsafe=list(unsafe_values), seen=seen))
    z_crit = stats.norm.isf(a / 2)
    if keys:
        groups = data.groupby(keys, sort=True, dropna=False, observed=True).indices
        items = [((k if isinstance(k, tuple) else (k,)), idx) for k, idx in groups.items()]
    else:
        items = [((), np.arange(len(data)))]
    rows = []
    for key, idx in items:
        in_domain = np.zeros(len(data), dtype=bool)
        in_domain[idx] = True
        n_missing = int((in_domain & missing).sum())
        in_domain &= ~missing
        n = int(in_domain.sum())
        wd = w[in_domain]
        total = wd.sum()
        row = dict(zip(keys, key, strict=True))
        if n == 0 or total <= 0:
            row.update(dict.fromkeys(_COLUMNS, np.nan))
            row.update(n=n, n_missing=n_missing, reliability="suppressed")
            rows.append(row)
            continue
        p = float((wd * y[in_domain]).sum() / total)
        kish = total**2 / (wd**2).sum()
        if design is None:
            n_eff = kish
            se = np.sqrt(p * (1 - p) / n_eff)
        else:
            _, p_codes, psu_stratum, n_psu = design
            z = np.where(in_domain, w * (y - p) / total, 0.0)
            var = _design_variance(z, p_codes, psu_stratum, n_psu)
            se = np.sqrt(var)
            n_eff = p * (1 - p) / var if var > 0 else kish
        denom = 1 + z_crit**2 / n_eff
        centre = (p + z_crit**2 / (2 * n_eff)) / denom
        half = z_crit / denom * np.sqrt(p * (1 - p) / n_eff + z_crit**2 / (4 * n_eff**2))
        rse = se / p if p > 0 else np.nan
        if n < _MIN_N or rse > _RSE_SUPPRESS:
            reliability = "suppressed"
        elif np.isnan(rse) or rse >= _RSE_CAUTION:
            reliability = "caution"
        else:
            reliability = "ok"
        row.update(
            share=p,
            std_error=float(se),
            ci_low=max(0.0, centre - half),
            ci_high=min(1.0, centre + half),
            n=n,
            n_missing=n_missing,
            n_eff=float(n_eff),
            deff=n / n_eff,
            rse=rse,
            reliability=reliability,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, *_COLUMNS])
