"""Benchmark: ``evalkit.sdid`` against ``diff_diff.SyntheticDiD``, and the coverage of its
intervals.

1. **Agreement and speed** on California's Proposition 99 (one treated state, placebo
   variance) and on ``tests/data/sdid_factor_panel.csv`` (4 treated areas; placebo,
   jackknife and bootstrap): each package's estimate, standard error and median wall time
   (``--repeats`` interleaved runs). The estimates and the jackknife agree to rounding; the
   placebo and bootstrap standard errors are random draws of each package.
2. **Coverage** of the 95 % interval on simulated factor-model panels with a known effect
   (``--reps`` panels per scenario; the scenario's unit and year effects, area loadings on a
   common factor and normal noise are redrawn each time), with Clopper–Pearson intervals:
   one treated area (placebo) and three treated areas (jackknife, placebo).

diff-diff is not an evalkit dependency (``pip install diff-diff``); without it part 1 is
skipped.

Usage::

    .venv/bin/python benchmarks/sdid.py [--repeats 3] [--reps 200] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.designs.sdid import sdid

ROOT = Path(__file__).resolve().parents[1]


def _prop99() -> tuple[pd.DataFrame, dict, dict]:
    df = pd.read_csv(ROOT / "tests/data/reference/smoking_prop99.csv")
    df["d"] = ((df["state"] == "California") & (df["year"] >= 1989)).astype(int)
    df["ever"] = (df["state"] == "California").astype(int)
    return (df, {"outcome": "cigsale", "unit": "state", "time": "year", "treatment": "d"},
            {"outcome": "cigsale", "unit": "state", "time": "year", "treatment": "ever",
             "post_periods": list(range(1989, 2001))})


def _factor() -> tuple[pd.DataFrame, dict, dict]:
    df = pd.read_csv(ROOT / "tests/data/sdid_factor_panel.csv")
    df["ever"] = df.groupby("area")["treated"].transform("max")
    return (df, {"outcome": "y", "unit": "area", "time": "year", "treatment": "treated"},
            {"outcome": "y", "unit": "area", "time": "year", "treatment": "ever",
             "post_periods": list(range(2014, 2020))})


def agreement(repeats: int) -> None:
    try:
        from diff_diff import SyntheticDiD, __version__
    except ImportError:
        print("diff-diff is not installed: agreement skipped (pip install diff-diff)")
        return
    print(f"agreement with diff-diff {__version__} (median of {repeats} runs)")
    print(f"{'data':8} {'vcov':10} {'evalkit att':>12} {'se':>8} {'s':>6} | "
          f"{'diff-diff att':>13} {'se':>8} {'s':>6}")
    cases = [("prop99", _prop99(), "placebo")] + [("factor", _factor(), v) for v in
                                                   ("placebo", "jackknife", "bootstrap")]
    for name, (df, ours, theirs), vcov in cases:
        t_e, t_d = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            res = sdid(df, **ours, vcov=vcov)
            t_e.append(time.perf_counter() - t)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                peer = SyntheticDiD(variance_method=vcov, seed=1).fit(df, **theirs)
            t_d.append(time.perf_counter() - t)
        row = res.effect("att")
        print(f"{name:8} {vcov:10} {row['estimate']:12.6f} {row['std_error']:8.4f} "
              f"{statistics.median(t_e):6.2f} | {peer.att:13.6f} {peer.se:8.4f} "
              f"{statistics.median(t_d):6.2f}")


def _panel(rng: np.random.Generator, n_control: int, n_treated: int, n_pre: int,
           n_post: int, effect: float) -> pd.DataFrame:
    n, t = n_control + n_treated, n_pre + n_post
    y = (rng.normal(50, 10, n)[:, None] + np.cumsum(rng.normal(0, 1, t))
         + rng.normal(1, 0.5, n)[:, None] * np.sin(np.arange(t) / 3) * 4
         + rng.normal(0, 1, (n, t)))
    d = np.zeros((n, t), int)
    d[n_control:, n_pre:] = 1
    y = y + effect * d
    units = np.repeat([f"a{u:02d}" for u in range(n)], t)
    return pd.DataFrame({"area": units, "year": np.tile(np.arange(2000, 2000 + t), n),
                         "y": y.ravel(), "treated": d.ravel()})


def coverage(reps: int, seed: int = 1) -> None:
    print(f"coverage of the 95 % interval, {reps} panels per scenario (effect -2, 26 "
          "comparison areas, 14 pre and 6 post years)")
    print(f"{'scenario':28} {'coverage':>8} {'95% CP':>16} {'bias':>7} {'mean se':>8} "
          f"{'sd est':>7}")
    rng = np.random.default_rng(seed)
    for label, n_treated, vcov, kw in (("1 treated, placebo", 1, "placebo",
                                        {"replications": 100}),
                                       ("3 treated, jackknife", 3, "jackknife", {}),
                                       ("3 treated, placebo", 3, "placebo",
                                        {"replications": 100})):
        hit, est, se = 0, [], []
        for r in range(reps):
            df = _panel(rng, 26, n_treated, 14, 6, -2.0)
            row = sdid(df, outcome="y", unit="area", time="year", treatment="treated",
                       vcov=vcov, seed=r, **kw).effect("att")
            hit += bool(row["ci_low"] <= -2.0 <= row["ci_high"])
            est.append(row["estimate"])
            se.append(row["std_error"])
        lo = stats.beta.ppf(0.025, hit, reps - hit + 1) if hit else 0.0
        hi = stats.beta.ppf(0.975, hit + 1, reps - hit) if hit < reps else 1.0
        print(f"{label:28} {hit / reps:8.3f} {f'[{lo:.3f}, {hi:.3f}]':>16} "
              f"{np.mean(est) + 2.0:7.3f} {np.mean(se):8.3f} {np.std(est, ddof=1):7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="1 repeat, 20 panels")
    args = parser.parse_args()
    repeats, reps = (1, 20) if args.quick else (args.repeats, args.reps)
    agreement(repeats)
    coverage(reps)


if __name__ == "__main__":
    main()
