"""The verdict benchmark: how often the evaluation report's headline is right (issue 17).

Run::

    .venv/bin/python benchmarks/verdicts.py --quick              # CI smoke run (< 60 s)
    .venv/bin/python benchmarks/verdicts.py --reps 200 --workers 2
    .venv/bin/python benchmarks/verdicts.py --only null_spike_1,power20_1 --out table.csv

Each replication simulates one city with :func:`simulate_realistic_city` (negative-binomial
district counts with growing population, trend, seasonality, citywide and district AR(1)
shocks, recording shifts, spike selection, buffers) and runs what the ``evaluation``
template runs, with its defaults: ``ek.evaluate`` → ``report.evaluation.headline``. The
headline's classification is read from the verdict the report renders:

* a **clear finding** is ``Verdict.direction`` in ``{"reduction", "increase"}`` (the
  report's "The strongest credible design … finds a clear reduction/increase");
  ``no_verdict`` counts ``"none"`` (no credible design with comparison areas) and
  ``"contested"`` (strong designs differ significantly): no direction drawn;
* the **best estimate** is ``Verdict.best_design``'s % change and interval, compared with
  the true % change in the treated areas (a citywide recording shift moves every area, so
  it is no effect);
* the **evidence level** is ``Verdict.evidence_level`` (``none``: no credible design);
* a **displacement claim** is the headline printing the catalogue's
  ``eval.buffer.displacement`` or ``eval.buffer.diffusion`` sentence rather than
  ``eval.buffer.unclear``.

Every rate carries a 95 % Clopper–Pearson interval. Results do not depend on ``--workers``:
replication ``r`` of scenario ``i`` uses seed ``SeedSequence([seed, i, r])``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from evalkit._resources import load_template
from evalkit.data.simulate.realistic import PRESETS, simulate_realistic_city
from evalkit.designs.evaluation import evaluate
from evalkit.i18n import en
from evalkit.report import evaluation as ev

FULL_REPS = 200
QUICK_REPS = 4
QUICK_SCENARIOS = ("null_moderate_1", "null_spike_3", "power20_6")
#: the evaluation template's defaults, read from templates/evaluation.ipynb so the benchmark
#: follows them (window 0 means a year of periods: 12 for these monthly cities)
TEMPLATE = {p.name: p.default for p in load_template("evaluation").parameters
            if p.name in ("family", "seasonality", "slope_change", "seed", "alpha",
                          "control_group")} | {"window": 12}
#: the start of a buffer sentence, before its first placeholder
_CLAIMS = tuple(en.TEXT[k].split("{")[0] for k in ("eval.buffer.displacement",
                                                   "eval.buffer.diffusion"))

COLUMNS = ("scenario", "reps", "effect_pct", "clear", "clear_lo", "clear_hi", "no_verdict",
           "no_verdict_lo", "no_verdict_hi", "correct_reduction", "correct_reduction_lo",
           "correct_reduction_hi", "coverage", "coverage_lo", "coverage_hi", "bias",
           "best_designs", "levels", "displacement_claim", "displacement_claim_lo",
           "displacement_claim_hi", "failed")


def one(name: str, seed: Sequence[int]) -> dict[str, Any]:
    """Evaluate one simulated city of scenario ``name`` the way the template does."""
    city = simulate_realistic_city(name, seed=int(np.random.SeedSequence(seed)
                                                  .generate_state(1)[0]))
    truth = city.truth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report shows warnings; here only outcomes count
        evaluation = evaluate(city.data, outcome="count", unit="area", time="month",
                              treatment="treatment", exposure="population",
                              buffer=truth["buffer"], buffer_control=truth["buffer_control"],
                              **TEMPLATE)
        text = str(ev.headline(evaluation.triangulation, lang="en", outcome="count"))
    verdict = evaluation.verdict
    out: dict[str, Any] = {"direction": verdict.direction, "level": verdict.evidence_level,
                           "best": verdict.best_design, "covered": None, "error": None,
                           "buffer_claim": None}
    if verdict.best_design is not None:
        true = truth["effect_pct"]
        out["covered"] = bool(verdict.ci_low_pct <= true <= verdict.ci_high_pct)
        out["error"] = float(verdict.estimate_pct) - true
    if truth["buffer"]:
        out["buffer_claim"] = any(claim in text for claim in _CLAIMS)
    return out


def _rate(hits: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return (float("nan"),) * 3
    ci = binomtest(hits, n).proportion_ci(0.95, method="exact")
    return hits / n, float(ci.low), float(ci.high)


def summarise(name: str, runs: list[dict[str, Any] | str]) -> dict[str, Any]:
    """One table row: each rate with its Clopper–Pearson interval."""
    ok = [r for r in runs if isinstance(r, dict)]
    n = len(ok)
    directions = [r["direction"] for r in ok]
    clear = sum(d in ("reduction", "increase") for d in directions)
    no_verdict = sum(d in ("none", "contested") for d in directions)
    reduction = sum(d == "reduction" for d in directions)
    graded = [r for r in ok if r["covered"] is not None]
    covered = sum(r["covered"] for r in graded)
    buffers = [r for r in ok if r["buffer_claim"] is not None]
    levels = pd.Series([str(r["level"]) if r["level"] else "none" for r in ok])
    best = pd.Series([r["best"] or "none" for r in ok])

    def dist(s: pd.Series) -> str:
        return " ".join(f"{k}:{v / max(n, 1):.0%}" for k, v in s.value_counts().sort_index()
                        .items())

    row: dict[str, Any] = {"scenario": name, "reps": n,
                           "effect_pct": PRESETS[name].effect * 100}
    for key, hits, of in (("clear", clear, n), ("no_verdict", no_verdict, n),
                          ("correct_reduction", reduction, n), ("coverage", covered,
                                                                len(graded)),
                          ("displacement_claim", sum(r["buffer_claim"] for r in buffers),
                           len(buffers))):
        row[key], row[f"{key}_lo"], row[f"{key}_hi"] = _rate(hits, of)
    row["bias"] = float(np.mean([r["error"] for r in graded])) if graded else float("nan")
    row["best_designs"], row["levels"] = dist(best), dist(levels)
    row["failed"] = len(runs) - n
    return row


def _job(args: tuple[str, int, int, int]) -> tuple[str, dict[str, Any] | str]:
    name, index, rep, seed = args
    try:
        return name, one(name, (seed, index, rep))
    except Exception as exc:  # a crash is counted and named, never silently a "no"
        return name, f"{type(exc).__name__}: {exc}"


def run(scenarios: Sequence[str], reps: int, *, seed: int = 17, workers: int = 1
        ) -> pd.DataFrame:
    """The benchmark table: one row per scenario (see the module docstring)."""
    unknown = [s for s in scenarios if s not in PRESETS]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {', '.join(PRESETS)}")
    jobs = [(name, list(PRESETS).index(name), r, seed) for name in scenarios
            for r in range(reps)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_job, jobs, chunksize=4))
    else:
        done = [_job(j) for j in jobs]
    by: dict[str, list[dict[str, Any] | str]] = {name: [] for name in scenarios}
    for name, out in done:
        by[name].append(out)
    for name, outs in by.items():
        for err in sorted({o for o in outs if isinstance(o, str)}):
            print(f"{name}: failed run: {err}", file=sys.stderr)
    return pd.DataFrame([summarise(name, by[name]) for name in scenarios],
                        columns=list(COLUMNS))


def markdown(table: pd.DataFrame) -> str:
    """The table as printed in benchmarks/README.md (rates in %, CP 95 % intervals)."""
    def pct(row: pd.Series, key: str) -> str:
        if pd.isna(row[key]):
            return "–"
        return f"{100 * row[key]:.0f} ({100 * row[key + '_lo']:.0f}–{100 * row[key + '_hi']:.0f})"

    lines = ["| scenario | reps | true % | clear headline | no verdict | clear reduction "
             "| best-estimate coverage | bias (points) | displacement claimed "
             "| evidence level | best design |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        lines.append(
            f"| {row['scenario']} | {row['reps']} | {row['effect_pct']:+.0f} "
            f"| {pct(row, 'clear')} | {pct(row, 'no_verdict')} "
            f"| {pct(row, 'correct_reduction')} "
            f"| {pct(row, 'coverage')} | {row['bias']:+.1f} | {pct(row, 'displacement_claim')} "
            f"| {row['levels']} | {row['best_designs']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_REPS} replications of {', '.join(QUICK_SCENARIOS)}")
    parser.add_argument("--reps", type=int, default=0,
                        help=f"replications a scenario (default {FULL_REPS})")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--out", default="", help="also write the table as CSV")
    args = parser.parse_args(argv)
    scenarios = (args.only.split(",") if args.only
                 else list(QUICK_SCENARIOS) if args.quick else list(PRESETS))
    reps = args.reps or (QUICK_REPS if args.quick else FULL_REPS)
    t0 = time.perf_counter()
    table = run(scenarios, reps, seed=args.seed, workers=args.workers)
    print(markdown(table))
    print(f"\n{reps} replications a scenario, {time.perf_counter() - t0:.0f} s, "
          f"{args.workers} worker(s), seed {args.seed}")
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
