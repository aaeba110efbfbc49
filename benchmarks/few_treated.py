"""Few treated clusters in the TWFE DiD: coverage of the ``att`` interval under a true null.

Run::

    .venv/bin/python benchmarks/few_treated.py                 # 400 replications a cell
    .venv/bin/python benchmarks/few_treated.py --reps 40       # smoke run
    .venv/bin/python benchmarks/few_treated.py --jobs 2 --treated 2,6

Realistic city panels (written here, not with evalkit's simulator): 30 districts, 48
months, treatment of ``G1`` districts drawn at random from month 37 (36 pre, 12 post);
log mean = district level (lognormal around 25 crimes a month) + citywide trend,
seasonality and AR(1) shock (ρ 0.5, sd 0.05) + a district AR(1) shock (ρ 0.6, sd 0.15);
counts negative binomial (shape 10). The true effect is zero (rate ratio 1), so every
method can be scored the same way, randomization inference included: an interval covers
when it contains 0, a p-value "covers" when it is at least 0.05.

For OLS (counts, additive effect) and Poisson (log rate ratio) TWFE, on the same data:

* ``cluster``: the CR1 Wald interval ``ek.did(inference="cluster")`` reports (t(G-1) = t(29)
  for OLS, normal for Poisson); the default of ``inference="auto"`` from 5 treated areas;
* ``t(G1-1)``: the same estimate and CR1 SE with a t(G1-1) reference,
  ``ek.did(df_rule="treated")``;
* ``wild``: the wild cluster bootstrap-t (Webb weights, null imposed, 9,999 draws) that
  ``inference="wild"`` reports (OLS only; the default of ``auto`` below 5 treated areas);
* ``RI``: the randomization-inference p-value of ``inference="permutation"`` (placebo
  treated sets among the 30 districts; ``--ri-reps`` draws, default 99). ``did`` gives no
  interval with it when more than one area is treated.

Both Wald intervals are computed from one ``ek.did(inference="permutation")`` fit (its
estimate and CR1 standard error); tests/designs/test_df_rule.py checks that they equal
what ``ek.did`` reports with ``inference="cluster"`` and ``df_rule="treated"``. Coverage
is shown with its 95 % Clopper–Pearson interval, widths as the mean over replications.
Every replication draws from ``SeedSequence([seed, G1, rep])``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import evalkit as ek

sys.path.insert(0, str(Path(__file__).parent))  # benchmarks/coverage.py, not the package
from coverage import _ar1, _nb, did_wild_interval

N_DISTRICTS, N_MONTHS, START = 30, 48, 36
RI_REPS = 99
DEFAULT_SEED = 20261207
METHODS = ("cluster", "t(G1-1)", "wild", "RI")


def city_panel(rng: np.random.Generator, n_treated: int) -> pd.DataFrame:
    """One simulated city under a true null (see the module docstring)."""
    t = np.arange(N_MONTHS)
    level = np.log(25.0) + rng.normal(0.0, 0.5, (N_DISTRICTS, 1))
    city = (-0.005 * t + 0.1 * np.sin(2 * np.pi * t / 12)
            + 0.05 * _ar1(rng, (N_MONTHS,), 0.5))
    district = 0.15 * _ar1(rng, (N_DISTRICTS, N_MONTHS), 0.6)
    counts = _nb(rng, np.exp(level + city[None, :] + district), 10.0)
    treated = np.zeros(N_DISTRICTS, dtype=bool)
    treated[rng.choice(N_DISTRICTS, n_treated, replace=False)] = True
    d = treated[:, None] & (t[None, :] >= START)
    return pd.DataFrame({
        "district": np.repeat([f"d{i:02d}" for i in range(N_DISTRICTS)], N_MONTHS),
        "month": np.tile(pd.period_range("2015-01", periods=N_MONTHS, freq="M").astype(str),
                         N_DISTRICTS),
        "crimes": counts.ravel(), "d": d.ravel().astype(float)})


def replicate(task: tuple[int, int, int, int]) -> dict[str, tuple[float, float, float]]:
    """(low, high, p) per family and method for one city; NaN bounds: no interval."""
    n_treated, rep, seed, ri_reps = task
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_treated, rep]))
    df = city_panel(rng, n_treated)
    out = {}
    for family in ("ols", "poisson"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ek.did(df, outcome="crimes", unit="district", time="month", treatment="d",
                         family=family, inference="permutation", reps=ri_reps)
        row = res.effect("att")
        b, se = float(row["estimate"]), float(row["std_error"])
        for key, dist in (("cluster", stats.t(N_DISTRICTS - 1) if family == "ols"
                           else stats.norm),
                          ("t(G1-1)", stats.t(n_treated - 1))):
            q = float(dist.ppf(0.975))
            out[f"{family}/{key}"] = (b - q * se, b + q * se, float(2 * dist.sf(abs(b) / se)))
        out[f"{family}/RI"] = (math.nan, math.nan, float(row["p_value"]))
    lo, hi = did_wild_interval(df, outcome="crimes", unit="district", time="month",
                               treatment="d")
    out["ols/wild"] = (lo, hi, math.nan)
    return out


def clopper_pearson(hits: int, n: int, level: float = 0.95) -> tuple[float, float]:
    ci = stats.binomtest(hits, n).proportion_ci(level, method="exact")  # Clopper-Pearson
    return float(ci.low), float(ci.high)


def summarise(results: dict[int, list[dict]]) -> pd.DataFrame:
    rows = []
    for n_treated, reps in results.items():
        for family in ("ols", "poisson"):
            for method in METHODS:
                key = f"{family}/{method}"
                if key not in reps[0]:
                    continue
                lo, hi, p = (np.array([r[key][j] for r in reps]) for j in range(3))
                if method == "RI":
                    covered = p >= 0.05
                    width = math.nan
                else:
                    covered = (lo <= 0) & (hi >= 0)
                    width = float(np.mean(hi - lo))
                hits = int(covered.sum())
                cp = clopper_pearson(hits, len(reps))
                rows.append({"treated": n_treated, "family": family, "method": method,
                             "reps": len(reps), "coverage": hits / len(reps),
                             "cp_low": cp[0], "cp_high": cp[1], "mean_width": width})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| treated of 30 | model | interval | reps | coverage | 95 % CP interval | "
             "mean width |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        width = "— (p-value only)" if math.isnan(r.mean_width) else f"{r.mean_width:.3g}"
        lines.append(f"| {r.treated} | {r.family} | {r.method} | {r.reps} | "
                     f"{100 * r.coverage:.1f} % | {100 * r.cp_low:.1f}–{100 * r.cp_high:.1f} | "
                     f"{width} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--treated", default="2,3,6,9")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--ri-reps", type=int, default=RI_REPS,
                        help="placebo draws of randomization inference (at least 99)")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.treated.split(",")]
    start = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for g in counts:  # one G1 at a time, its rows printed to stderr as it ends
            tasks = [(g, r, args.seed, args.ri_reps) for r in range(args.reps)]
            results[g] = list(pool.map(replicate, tasks, chunksize=5))
            print(markdown(summarise({g: results[g]})), file=sys.stderr, flush=True)
    print(markdown(summarise(results)))
    print(f"\n{args.reps} replications per row ({args.ri_reps} placebo draws for RI), seed "
          f"{args.seed}, {args.jobs} job(s), {time.perf_counter() - start:.0f} s wall; "
          f"evalkit {ek.__version__}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
