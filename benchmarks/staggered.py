"""Benchmark: ``evalkit.staggered_did`` against the ``csdid`` package (Callaway & Sant'Anna).

One synthetic balanced panel (default 20,000 units x 10 yearly periods, five adoption
cohorts and never-treated units, dynamic effects), analytic standard errors, no bootstrap,
never-treated comparison group, doubly robust estimator, no covariates. The runs of the two
packages are interleaved; the script prints the median wall time of each, the ratio
evalkit / peer, and the largest absolute difference between their ATT(g,t) and SEs.

Both sides do the same work: every ATT(g,t) with its influence function, then the four
aggregations (simple, group, dynamic, calendar). evalkit does it in one call; csdid needs
``ATTgt(...).fit()`` plus ``aggte()`` per aggregation. The peer is not an evalkit
dependency (``pip install csdid``; it is in the ``bench`` extra).

Usage::

    .venv/bin/python benchmarks/staggered.py [--units 20000] [--periods 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd


def make_panel(n_units: int, n_periods: int, seed: int = 2026) -> pd.DataFrame:
    """Balanced yearly panel with staggered adoption and effects growing with exposure."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + n_periods)
    cohorts = np.concatenate([[0], years[2:7]])
    g = rng.choice(cohorts, size=n_units, p=[0.4] + [0.12] * 5)
    alpha = rng.normal(size=n_units)
    lam = np.cumsum(rng.normal(0.1, 0.2, size=n_periods))
    unit = np.repeat(np.arange(1, n_units + 1), n_periods)
    year = np.tile(years, n_units)
    gg = np.repeat(g, n_periods)
    treated = (gg > 0) & (year >= gg)
    effect = np.where(treated, 0.5 + 0.25 * (year - gg), 0.0)
    y = (np.repeat(alpha, n_periods) + lam[year - years[0]] + effect
         + rng.normal(size=n_units * n_periods))
    return pd.DataFrame({"unit": unit, "year": year, "cohort": gg, "y": y})


def run_evalkit(df: pd.DataFrame) -> pd.DataFrame:
    from evalkit.designs.staggered import staggered_did

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = staggered_did(df, outcome="y", unit="unit", time="year", cohort="cohort",
                            method="dr", control_group="never_treated")
    gt = res.series[res.series["aggregation"] == "gt"]
    return pd.DataFrame({"group": gt["group"].astype(int), "t": gt["time"].astype(int),
                         "att": gt["estimate"].to_numpy(), "se": gt["std_error"].to_numpy()})


def run_csdid(df: pd.DataFrame) -> pd.DataFrame:
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # csdid prints its summaries; keep the table clean
        res = ATTgt(yname="y", tname="year", idname="unit", gname="cohort", data=df,
                    control_group="nevertreated", xformla="y~1").fit(est_method="dr",
                                                                      bstrap=False)
        for kind in ("simple", "group", "dynamic", "calendar"):
            res.aggte(typec=kind, bstrap=False)
    return pd.DataFrame({"group": np.asarray(res.MP["group"], dtype=int),
                         "t": np.asarray(res.MP["t"], dtype=int),
                         "att": np.asarray(res.results["att"], dtype=float),
                         "se": np.asarray(res.results["se"], dtype=float)})


def time_it(fn: Callable[[pd.DataFrame], pd.DataFrame], df: pd.DataFrame
            ) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    out = fn(df)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from importlib.metadata import version

    import evalkit

    df = make_panel(args.units, args.periods)
    print(f"panel: {args.units:,} units x {args.periods} periods = {len(df):,} rows; "
          f"cohorts {sorted(set(df['cohort']) - {0})} + never treated")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}")
    print(f"evalkit {evalkit.__version__} vs csdid {version('csdid')} (drdid {version('drdid')})")

    run_evalkit(df.head(1000 * args.periods))  # warm-up (imports, caches)
    run_csdid(df.head(1000 * args.periods))
    times: dict[str, list[float]] = {"evalkit": [], "csdid": []}
    outs: dict[str, pd.DataFrame] = {}
    for _ in range(args.repeats):  # interleaved
        for name, fn in (("evalkit", run_evalkit), ("csdid", run_csdid)):
            seconds, outs[name] = time_it(fn, df)
            times[name].append(seconds)

    merged = outs["evalkit"].merge(outs["csdid"], on=["group", "t"], suffixes=("_ek", "_cs"))
    med = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(f"{'package':<10}{'median s':>10}{'min s':>10}{'max s':>10}")
    for name, values in times.items():
        print(f"{name:<10}{med[name]:>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    print(f"ratio evalkit/csdid: {med['evalkit'] / med['csdid']:.3f} (target <= 0.1)")
    print(f"ATT(g,t) compared: {len(merged)} of {len(outs['evalkit'])} (evalkit) / "
          f"{len(outs['csdid'])} (csdid)")
    print(f"max |ATT difference|: {np.max(np.abs(merged['att_ek'] - merged['att_cs'])):.2e}")
    print(f"max |SE difference|:  {np.nanmax(np.abs(merged['se_ek'] - merged['se_cs'])):.2e}")


if __name__ == "__main__":
    main()
