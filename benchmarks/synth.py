"""Benchmark: ``evalkit.synth`` placebo-in-space against ``pysyncon.utils.PlaceboTest``.

One synthetic factor-model panel (default: 1 treated unit + 50 donors, 20 pre-periods and
10 post-periods), five predictors (two covariates averaged over the pre-period and the
outcome in three pre-period years), nested V optimisation, every donor refitted as a
placebo. The runs of the two packages are interleaved; the script prints the median wall
time of each, the ratio peer / evalkit, and how far apart the treated unit's donor
weights and gaps are.

Work done: pysyncon's ``PlaceboTest.fit`` fits the treated unit and every donor (51 nested
fits: Nelder–Mead over V, SLSQP for W). evalkit's ``synth(placebo=True)`` does the same 51
fits (Nelder–Mead and BFGS from two starts over V, exact simplex least squares for W) and,
in the same call, input validation, provenance, the permutation p-values and intervals,
the leave-one-out refits and the placebo-in-time refit. Both use ``--workers`` processes.
pysyncon is not an evalkit dependency (``pip install pysyncon``).

pysyncon needs about 2.5 minutes per fit on this panel (its inner SLSQP solve is the cost),
so its complete placebo test takes about an hour on 2 cores. By default the script times
evalkit's complete placebo test and single fits of both packages (interleaved), and
extrapolates pysyncon's placebo test as ``51 fits x single-fit time / workers`` — perfect
parallel speed-up, which favours pysyncon; ``--full`` runs pysyncon's ``PlaceboTest``
for real.

Usage::

    .venv/bin/python benchmarks/synth.py [--donors 50] [--pre 20] [--post 10] [--repeats 3]
                                         [--workers 2] [--full]
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

import numpy as np
import pandas as pd


def make_panel(n_donors: int, n_pre: int, n_post: int, seed: int = 2026) -> pd.DataFrame:
    """Factor-model panel; the treated unit mixes four donors; effect -10 after ``n_pre``."""
    rng = np.random.default_rng(seed)
    n_t = n_pre + n_post
    lam = np.cumsum(rng.normal(0, 1, size=(n_t, 3)), axis=0)
    mu = rng.uniform(0.5, 2.0, size=(n_donors, 3))
    mix = rng.dirichlet(np.ones(4))
    pick = rng.choice(n_donors, 4, replace=False)
    mu = np.vstack([mix @ mu[pick], mu])
    y = 100 + mu @ lam.T + rng.normal(0, 1, size=(n_donors + 1, n_t))
    y[0, n_pre:] -= 10
    names = ["treated"] + [f"donor_{j:02d}" for j in range(n_donors)]
    years = np.arange(1990, 1990 + n_t)
    df = pd.DataFrame({"unit": np.repeat(names, n_t), "year": np.tile(years, n_donors + 1),
                       "y": y.ravel()})
    df["x1"] = np.repeat(mu[:, 0], n_t) + rng.normal(0, 0.1, len(df))
    df["x2"] = np.repeat(mu[:, 1], n_t) + rng.normal(0, 0.1, len(df))
    return df


def spec(df: pd.DataFrame, n_pre: int) -> dict:
    years = sorted(df["year"].unique())
    pre = years[:n_pre]
    lags = [pre[1], pre[n_pre // 2], pre[-1]]
    return {"years": years, "pre": pre, "lags": lags, "t0": years[n_pre]}


def run_evalkit(df: pd.DataFrame, s: dict, workers: int) -> tuple[pd.Series, pd.Series]:
    from evalkit.designs.synth import donor_weights, synth

    predictors = [("x1", (s["pre"][0], s["pre"][-1])), ("x2", (s["pre"][0], s["pre"][-1]))]
    predictors += [("y", [lag]) for lag in s["lags"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = synth(df, outcome="y", unit="unit", time="year", treated_unit="treated",
                    intervention=s["t0"], predictors=predictors,
                    optimize_periods=(s["pre"][0], s["pre"][-1]), placebo=True,
                    n_jobs=workers)
    gaps = res.series.set_index(res.series["time"].astype(int))["gap"]
    return donor_weights(res), gaps


def _dataprep(df: pd.DataFrame, s: dict, treated: str = "treated"):
    from pysyncon import Dataprep

    donors = sorted(set(df["unit"]) - {"treated", treated})
    return Dataprep(
        foo=df, predictors=["x1", "x2"], predictors_op="mean", time_predictors_prior=s["pre"],
        special_predictors=[("y", [lag], "mean") for lag in s["lags"]], dependent="y",
        unit_variable="unit", time_variable="year", treatment_identifier=treated,
        controls_identifier=donors, time_optimize_ssr=s["pre"])


def run_pysyncon_placebo(df: pd.DataFrame, s: dict, workers: int) -> tuple[pd.Series, pd.Series]:
    """pysyncon's complete placebo test (every donor refitted) plus the treated fit."""
    from pysyncon import Synth
    from pysyncon.utils import PlaceboTest

    placebo = PlaceboTest()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        placebo.fit(dataprep=_dataprep(df, s), scm=Synth(), max_workers=workers, verbose=False)
    weights, _ = run_pysyncon_single(df, s)
    return weights, placebo.treated_gap


def run_pysyncon_single(df: pd.DataFrame, s: dict) -> tuple[pd.Series, float]:
    """One pysyncon fit of the treated unit (the unit of work of its placebo test)."""
    from pysyncon import Synth

    fit = Synth()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fit.fit(dataprep=_dataprep(df, s))
    return pd.Series(fit.W, index=list(fit.W_names)), float(fit.loss_V)


def run_evalkit_single(df: pd.DataFrame, s: dict) -> tuple[pd.Series, float]:
    from evalkit.designs.synth import donor_weights, synth

    predictors = [("x1", (s["pre"][0], s["pre"][-1])), ("x2", (s["pre"][0], s["pre"][-1]))]
    predictors += [("y", [lag]) for lag in s["lags"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = synth(df, outcome="y", unit="unit", time="year", treated_unit="treated",
                    intervention=s["t0"], predictors=predictors,
                    optimize_periods=(s["pre"][0], s["pre"][-1]), placebo=False)
    return donor_weights(res), float(res.extras.optimize_mspe)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=50)
    parser.add_argument("--pre", type=int, default=20)
    parser.add_argument("--post", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true",
                        help="also run pysyncon's complete PlaceboTest (about an hour with "
                             "the defaults) instead of extrapolating it from single fits")
    args = parser.parse_args()

    from importlib.metadata import version

    import evalkit

    df = make_panel(args.donors, args.pre, args.post)
    s = spec(df, args.pre)
    n_fits = args.donors + 1
    print(f"panel: 1 treated + {args.donors} donors x {args.pre}+{args.post} periods; "
          f"5 predictors; {args.workers} worker processes")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}")
    print(f"evalkit {evalkit.__version__} vs pysyncon {version('pysyncon')}")

    times: dict[str, list[float]] = {"evalkit placebo test": [], "evalkit single fit": [],
                                     "pysyncon single fit": []}
    for _ in range(args.repeats):  # interleaved
        seconds, (_, g_ek) = timed(run_evalkit, df, s, args.workers)
        times["evalkit placebo test"].append(seconds)
        seconds, (w_ek, loss_ek) = timed(run_evalkit_single, df, s)
        times["evalkit single fit"].append(seconds)
        seconds, (w_ps, loss_ps) = timed(run_pysyncon_single, df, s)
        times["pysyncon single fit"].append(seconds)
    if args.full:
        seconds, (_, g_ps) = timed(run_pysyncon_placebo, df, s, args.workers)
        times["pysyncon placebo test"] = [seconds]

    med = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(f"{'run':<24}{'median s':>10}{'min s':>10}{'max s':>10}")
    for name, values in times.items():
        print(f"{name:<24}{med[name]:>10.2f}{min(values):>10.2f}{max(values):>10.2f}")
    peer = med.get("pysyncon placebo test")
    if peer is None:
        peer = med["pysyncon single fit"] * n_fits / args.workers
        print(f"pysyncon placebo test, extrapolated: {n_fits} fits x "
              f"{med['pysyncon single fit']:.1f} s / {args.workers} workers = {peer:.0f} s "
              "(perfect parallel speed-up assumed: favours pysyncon)")
    print(f"ratio pysyncon/evalkit, placebo test: {peer / med['evalkit placebo test']:.0f}x "
          f"(target >= 5x); single fit: "
          f"{med['pysyncon single fit'] / med['evalkit single fit']:.0f}x")
    w_ps = w_ps.reindex(w_ek.index).fillna(0.0)
    print(f"treated weights: max |difference| {np.max(np.abs(w_ek - w_ps)):.3f}; pre-period "
          f"MSPE (the V criterion) evalkit {loss_ek:.4f}, pysyncon {loss_ps:.4f}")
    print("  donors > 0.01 evalkit:  " + ", ".join(f"{k} {v:.3f}" for k, v in
                                                   w_ek[w_ek > 0.01].items()))
    print("  donors > 0.01 pysyncon: " + ", ".join(f"{k} {v:.3f}" for k, v in
                                                   w_ps[w_ps > 0.01].items()))
    post = g_ek.index >= s["t0"]
    print(f"evalkit att {g_ek[post].mean():.3f} (true -10)")
    if args.full:
        g_ps = g_ps.reindex(g_ek.index)
        print(f"pysyncon att {g_ps[post].mean():.3f}; max |gap difference| "
              f"{np.nanmax(np.abs(g_ek - g_ps)):.3f}")


if __name__ == "__main__":
    main()
