"""Synthetic control: placebo inference, effect rows, robustness and balance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from evalkit.designs.synth.core import _Arrays, _run
from evalkit.designs.synth.inputs import _expand, _predictor_matrix
from evalkit.i18n import Caveat
from evalkit.results import Diagnostic

#: Largest number of donor sets enumerated for several treated units (else sampled).
MAX_SETS = 1000
#: Donors whose weight exceeds this are left out one at a time.
LOO_MIN_WEIGHT = 1e-3


def _rmspe(g: np.ndarray, idx: np.ndarray) -> float:
    return float(np.sqrt(np.mean(g[idx] ** 2)))


def _ratio(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = post / pre
    return np.where(pre > 0, out, np.where(post > 0, np.inf, 0.0))


def _donor_sets(n_do: int, n_tr: int, seed: int | None) -> tuple[np.ndarray, bool]:
    if math.comb(n_do, n_tr) <= MAX_SETS:
        return np.asarray(list(combinations(range(n_do), n_tr)), dtype=int), True
    rng = np.random.default_rng(seed)
    sets = np.vstack([np.sort(rng.choice(n_do, n_tr, replace=False))
                      for _ in range(MAX_SETS - 1)])
    return sets, False


def _placebo_gaps(y: np.ndarray, fits: list[tuple[np.ndarray, np.ndarray | None]],
                  do_idx: np.ndarray) -> np.ndarray:
    """Each donor's gap to its own synthetic control (one row per donor, in ``do_idx``
    order), from its placebo fit on the other donors."""
    pgaps = np.full((len(do_idx), y.shape[1]), np.nan)
    for pos, (w, _) in enumerate(fits):
        d = do_idx[pos]
        pool = np.asarray([o for o in do_idx if o != d])
        pgaps[pos] = y[d] - w @ y[pool]
    return pgaps


def _permutation(gap, pgaps, pre_idx, post_idx, n_tr, *, alpha, seed) -> dict[str, Any]:
    """Placebo distribution of the RMSPE ratio and of |gap_t| / RMSPE_pre, p-values and
    the test-inversion intervals."""
    sets, exact = _donor_sets(pgaps.shape[0], n_tr, seed)
    sgaps = pgaps[sets].mean(axis=1)  # n_sets x T
    n = len(sets)
    s_pre = np.sqrt(np.mean(sgaps[:, pre_idx] ** 2, axis=1))
    s_post = np.sqrt(np.mean(sgaps[:, post_idx] ** 2, axis=1))
    s_ratio = _ratio(s_pre, s_post)
    pre, post = _rmspe(gap, pre_idx), _rmspe(gap, post_idx)
    ratio = float(_ratio(np.asarray([pre]), np.asarray([post]))[0])
    tol = 1e-9
    p_att = (1 + int(np.sum(s_ratio >= ratio * (1 - tol)))) / (n + 1)
    # smallest count k of placebos at least as extreme that keeps p = (1 + k)/(n + 1) > alpha
    k_star = max(0, math.floor(alpha * (n + 1) - 1) + 1)
    k_star = k_star if (1 + k_star) / (n + 1) > alpha else k_star + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        s_std = np.abs(sgaps) / s_pre[:, None]
        std = np.abs(gap) / pre if pre > 0 else np.where(gap != 0, np.inf, 0.0)
    s_std = np.where(np.isnan(s_std), 0.0, s_std)
    p_t = (1 + np.sum(s_std >= std[None, :] * (1 - tol), axis=0)) / (n + 1)
    empty = False
    c = np.inf
    if k_star == 0:
        att_ci = (-np.inf, np.inf)
        band = np.full(gap.shape, np.inf)
    else:
        c = np.sort(s_ratio)[::-1][k_star - 1]
        g = gap[post_idx]
        rhs = c**2 * pre**2 - float(np.mean((g - g.mean()) ** 2))
        if rhs < 0 or not np.isfinite(rhs):
            att_ci, empty = (np.nan, np.nan), not np.isfinite(rhs) or rhs < 0
            if np.isinf(c):
                att_ci, empty = (-np.inf, np.inf), False
        else:
            half = math.sqrt(rhs)
            att_ci = (float(g.mean() - half), float(g.mean() + half))
        c_t = np.sort(s_std, axis=0)[::-1][k_star - 1]
        band = c_t * pre
    return {"ratio": ratio, "p_att": p_att, "att_ci": att_ci, "att_ci_empty": empty, "c": c,
            "p_t": p_t, "band": band, "n_sets": n, "exact": exact, "k_star": k_star,
            "set_ratios": s_ratio, "pre": pre, "post": post}


def _effect_rows(att, gap, obs, cf, all_periods, post_idx, inference, *, n_obs):
    nan = float("nan")
    positive = _has_ratio(obs, cf, post_idx)

    def row(term, est, lo, hi, p, rel):
        return {"term": term, "estimate": float(est), "std_error": nan, "ci_low": float(lo),
                "ci_high": float(hi), "p_value": float(p), "scale": "additive",
                "relative_effect": rel[0], "relative_ci_low": rel[1],
                "relative_ci_high": rel[2], "n_obs": n_obs}

    def point(o: float, c: float) -> float:
        return o / c if positive and c > 0 else nan

    att_rel = (point(float(obs[post_idx].mean()), float(cf[post_idx].mean())), nan, nan)
    if inference is None:
        rows = [row("att", att, nan, nan, nan, att_rel)]
        rows += [row(f"gap_{all_periods[t]}", gap[t], nan, nan, nan,
                     (point(obs[t], cf[t]), nan, nan)) for t in post_idx]
        return rows
    lo, hi = inference["att_ci"]
    rows = [row("att", att, lo, hi, inference["p_att"], (att_rel[0], *inference["ratio_ci"]))]
    for t in post_idx:
        b = inference["band"][t]
        rows.append(row(f"gap_{all_periods[t]}", gap[t], gap[t] - b, gap[t] + b,
                        inference["p_t"][t], (point(obs[t], cf[t]),
                                              *inference["ratio_band"][t])))
    return rows


def _has_ratio(obs: np.ndarray, cf: np.ndarray, post_idx: np.ndarray) -> bool:
    """A ratio is meaningful for outcomes that cannot be negative (counts, rates)."""
    return bool(np.all(obs[post_idx] >= 0) and np.all(cf[post_idx] >= 0)
                and cf[post_idx].mean() > 0)


def _ratio_intervals(obs, cf, post_idx, inference) -> dict[str, Any]:
    """The ratio intervals (see the module docstring): each additive effect ``tau`` the
    placebo test accepts implies the untreated level ``obs - tau``, hence the ratio
    ``obs / (obs - tau)`` (infinite when ``tau >= obs``). ``ratio_ci`` for the post-period
    mean, ``ratio_band`` per period."""
    nan = float("nan")
    out: dict[str, Any] = {"ratio_ci": (nan, nan),
                           "ratio_band": {t: (nan, nan) for t in post_idx}}
    if not _has_ratio(obs, cf, post_idx):
        return out

    def ratio(level: float, tau: float) -> float:
        if np.isnan(tau):
            return nan
        return level / (level - tau) if level - tau > 0 else np.inf

    level = float(obs[post_idx].mean())
    lo, hi = inference["att_ci"]
    out["ratio_ci"] = (ratio(level, lo), ratio(level, hi))
    for t in post_idx:
        gap_t, b = float(obs[t] - cf[t]), float(inference["band"][t])
        out["ratio_band"][t] = (ratio(float(obs[t]), gap_t - b), ratio(float(obs[t]), gap_t + b))
    return out


def _series(label, all_periods, observed, counterfactual, gap, lo, hi, pre_mask):
    return pd.DataFrame({
        "unit": [label] * len(all_periods), "time": all_periods.astype(str),
        "observed": observed, "counterfactual": counterfactual, "gap": gap,
        "ci_low": lo, "ci_high": hi, "post": ~pre_mask,
    })


def _placebo_space_diag(inf, gap, gaps, pgaps, treated, donors, all_periods, pre_idx,
                        post_idx, *, alpha) -> Diagnostic:
    units = list(treated) + list(donors)
    all_gaps = np.vstack([gaps, pgaps])
    pre = np.sqrt(np.mean(all_gaps[:, pre_idx] ** 2, axis=1))
    post = np.sqrt(np.mean(all_gaps[:, post_idx] ** 2, axis=1))
    ratio = _ratio(pre, post)
    n_units, n_t = all_gaps.shape
    table = pd.DataFrame({
        "unit": np.repeat(np.asarray(units, dtype=object), n_t),
        "treated": np.repeat([True] * len(treated) + [False] * len(donors), n_t),
        "time": np.tile(np.asarray(all_periods.astype(str)), n_units),
        "post": np.tile(np.asarray(all_periods >= all_periods[post_idx[0]]), n_units),
        "gap": all_gaps.ravel(),
        "pre_rmspe": np.repeat(pre, n_t), "post_rmspe": np.repeat(post, n_t),
        "rmspe_ratio": np.repeat(ratio, n_t),
    })
    n = inf["n_sets"]
    informative = 1.0 / (n + 1) <= alpha
    who = treated[0] if len(treated) == 1 else f"the average of {len(treated)} treated units"
    rank = 1 + int(np.sum(inf["set_ratios"] > inf["ratio"]))
    return Diagnostic(
        name="placebo_space",
        null="no effect: the treated unit's post/pre RMSPE ratio is like the placebos'",
        statistic=inf["ratio"], p_value=inf["p_att"], passed=bool(informative), table=table,
        message=f"post/pre RMSPE ratio of {who} is {inf['ratio']:.3g}, rank {rank} of {n + 1} "
                f"(exact permutation p = {inf['p_att']:.3g}; smallest attainable "
                f"{1.0 / (n + 1):.3g})")


@dataclass(frozen=True)
class _MainFit:
    """The main fit as the robustness refits reuse it (rows of ``y``: treated, donors)."""

    y: np.ndarray  # units x periods
    x: np.ndarray | None  # units x predictors
    order: list[object]  # unit labels, the rows of y and x
    all_periods: pd.PeriodIndex
    t0: pd.Period
    opt_idx: np.ndarray
    pre_idx: np.ndarray
    tr_idx: np.ndarray
    do_idx: np.ndarray
    w_tr: np.ndarray  # treated x donors weights
    att: float
    pre_rmspe: float


@dataclass(frozen=True)
class _PredictorData:
    """The long data the predictor matrix is rebuilt from for a fake intervention."""

    df: pd.DataFrame
    unit: str
    periods: pd.Series
    pred_num: dict[str, pd.Series]
    predictors: list[tuple[str, Any]] | None
    freq: str


def _robustness(main: _MainFit, data: _PredictorData, *, workers: int,
                thorough: bool) -> tuple[list[Diagnostic], list[Caveat], list[Caveat]]:
    """Leave-one-out and placebo-in-time refits."""
    y, x, order, all_periods, t0, opt_idx, pre_idx, tr_idx, do_idx, w_tr, att, pre_rmspe = (
        main.y, main.x, main.order, main.all_periods, main.t0, main.opt_idx, main.pre_idx,
        main.tr_idx, main.do_idx, main.w_tr, main.att, main.pre_rmspe)
    df, unit, periods, pred_num, predictors, freq = (
        data.df, data.unit, data.periods, data.pred_num, data.predictors, data.freq)
    diags: list[Diagnostic] = []
    notes: list[Caveat] = []
    warn: list[Caveat] = []
    post_idx = np.setdiff1d(np.arange(y.shape[1]), pre_idx)
    shared = {"main": _Arrays(y, x, opt_idx, thorough)}
    jobs: list[tuple[str, int, tuple[int, ...]]] = []
    left_out = [int(do_idx[j]) for j in np.flatnonzero(w_tr.mean(axis=0) > LOO_MIN_WEIGHT)]
    if len(do_idx) < 3:
        left_out = []
    for d in left_out:
        pool = tuple(int(o) for o in do_idx if o != d)
        jobs += [("main", int(i), pool) for i in tr_idx]
    n_loo = len(jobs)
    # placebo in time: a fake intervention half-way through the pre-period
    n_fake_pre = len(pre_idx) // 2
    fake_ok = n_fake_pre >= 3
    if fake_ok:
        fake_t0 = all_periods[pre_idx[n_fake_pre]]
        sub = pre_idx  # only pre-intervention data
        fake_opt = np.asarray([i for i in opt_idx if i < pre_idx[n_fake_pre]], dtype=int)
        if fake_opt.size < 2:
            fake_opt = np.arange(n_fake_pre)
        fake_x = None
        if predictors:
            kept = []
            for column, spec in predictors:
                wanted = _expand(spec, freq, f"predictor {column!r}", all_periods, t0)
                wanted = [p for p in wanted if p < fake_t0]
                if wanted:
                    kept.append((column, wanted))
            if kept:
                fake_x, _ = _predictor_matrix(df, unit, periods, pred_num, kept, order, freq,
                                              all_periods, fake_t0)
        shared["time"] = _Arrays(y[:, sub], fake_x, fake_opt, thorough)
        jobs += [("time", int(i), tuple(int(o) for o in do_idx)) for i in tr_idx]
    fits = _run(jobs, shared, workers) if jobs else []

    if left_out:
        rows = []
        for pos, d in enumerate(left_out):
            pool = np.asarray([o for o in do_idx if o != d])
            sub_fits = fits[pos * len(tr_idx):(pos + 1) * len(tr_idx)]
            g = np.mean([y[i] - f[0] @ y[pool] for i, f in zip(tr_idx, sub_fits,
                                                                strict=True)], axis=0)
            rows.append({"left_out": order[d], "weight": float(w_tr[:, d - len(tr_idx)].mean()),
                         "att": float(g[post_idx].mean()), "pre_rmspe": _rmspe(g, pre_idx)})
        table = pd.DataFrame(rows)
        same = np.sign(table["att"].to_numpy()) == np.sign(att)
        passed = bool(same.all())
        spread = float(np.max(np.abs(table["att"].to_numpy() - att)))
        diags.append(Diagnostic(
            name="leave_one_out",
            null="the effect does not hinge on one donor (same sign without each donor)",
            statistic=spread, p_value=float("nan"), passed=passed, table=table,
            message=f"att ranges from {table['att'].min():.4g} to {table['att'].max():.4g} "
                    f"when each of the {len(left_out)} donors with positive weight is left "
                    f"out (full: {att:.4g})"))
        if not passed:
            flips = ", ".join(str(u) for u in table.loc[~same, "left_out"][:5])
            warn.append(Caveat("synth_loo_sign", donors=flips))
    if fake_ok:
        tf = fits[n_loo:]
        pool = do_idx
        g = np.mean([y[i, sub] - f[0] @ y[np.ix_(pool, sub)] for i, f in zip(tr_idx, tf,
                                                                            strict=True)],
                    axis=0)
        fake_post = np.arange(n_fake_pre, len(sub))
        fake_pre = np.arange(n_fake_pre)
        fake_att = float(g[fake_post].mean())
        fake_rmspe = _rmspe(g, fake_pre)
        yard = 2 * max(pre_rmspe, fake_rmspe)
        passed = bool(abs(fake_att) <= yard)
        table = pd.DataFrame({"time": all_periods[sub].astype(str), "gap": g,
                              "fake_post": np.arange(len(sub)) >= n_fake_pre})
        diags.append(Diagnostic(
            name="placebo_time",
            null=f"no effect at a fake intervention in {fake_t0} (before the real one)",
            statistic=fake_att, p_value=float("nan"), passed=passed, table=table,
            message=f"refitted with data before {fake_t0} only, the mean gap from {fake_t0} "
                    f"to {all_periods[pre_idx[-1]]} is {fake_att:.4g} (twice the pre-period "
                    f"RMSPE: {yard:.4g})"))
        if not passed:
            warn.append(Caveat("synth_placebo_time", fake=str(fake_t0), gap=fake_att,
                               limit=yard))
    else:
        notes.append(Caveat("synth_placebo_time_skipped", n_pre=len(pre_idx)))
    return diags, notes, warn


def _balance(x, names, y, all_periods, opt_idx, tr_idx, do_idx, w_tr, v_tr) -> pd.DataFrame:
    """Predictor balance: treated, synthetic and donor-mean values (and V)."""
    if x is None:
        vals = y[:, opt_idx]
        names = [str(all_periods[i]) for i in opt_idx]
        v = np.full(len(names), np.nan)
    else:
        vals = x
        v = np.mean(np.vstack(v_tr), axis=0)
    treated = vals[tr_idx].mean(axis=0)
    synthetic = np.mean([w_tr[i] @ vals[do_idx] for i in range(len(tr_idx))], axis=0)
    return pd.DataFrame({"predictor": names, "treated": treated, "synthetic": synthetic,
                         "donor_mean": vals[do_idx].mean(axis=0), "v_weight": v})


def _outside_hull(y, tr_idx, do_idx, pre_idx) -> int:
    """Pre-periods where the (average) treated outcome is above every donor or below all."""
    treated = y[np.ix_(tr_idx, pre_idx)].mean(axis=0)
    donors = y[np.ix_(do_idx, pre_idx)]
    return int(np.sum((treated > donors.max(axis=0)) | (treated < donors.min(axis=0))))
