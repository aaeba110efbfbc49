"""How often the WDD displacement test claims displacement or diffusion (issue 17, item 4).

Run::

    .venv/bin/python benchmarks/wdd.py --reps 100
    .venv/bin/python benchmarks/wdd.py --reps 100 --variance poisson

Each replication simulates one city with :func:`simulate_realistic_city` and runs
:func:`evalkit.wdd` the way ``run_designs`` does (the treated areas as the response area, the
comparison areas that are not buffer controls as its control, windows of 12 months). A
**claim** is what the evaluation report prints as displacement or diffusion: the buffer
part's interval excludes 0 and the result does not say the data cannot tell (``normal``:
the same with a normal interval from the part's standard error, as the evaluation's
triangulation reads it while it ignores ``wald_df``). Rates carry
95 % Clopper–Pearson intervals; replication ``r`` of scenario ``i`` uses seed
``SeedSequence([seed, i, r])``, as ``benchmarks/verdicts.py`` does.
"""

from __future__ import annotations

import argparse
import warnings
from statistics import NormalDist

import numpy as np
from scipy.stats import binomtest

from evalkit.data.simulate.realistic import simulate_realistic_city
from evalkit.designs.displacement import wdd

SCENARIOS = ("null_moderate_1", "null_persistent_1", "null_shift15_1", "displace10_1")


def one(name: str, seed: list[int], variance: str | None) -> tuple[bool, ...]:
    """(claimed, displacement found, cannot tell, claimed with a normal interval) on one
    simulated city."""
    city = simulate_realistic_city(name, seed=int(np.random.SeedSequence(seed)
                                                  .generate_state(1)[0]))
    truth = city.truth
    comparison = sorted(set(city.data["area"]) - set(truth["treated"]) - set(truth["buffer"]))
    kw = {} if variance is None else {"variance": variance}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = wdd(data=city.data, unit="area", time="month", outcome="count",
                  intervention=truth["start"], response=truth["treated"],
                  buffer=truth["buffer"],
                  control=[a for a in comparison if a not in truth["buffer_control"]],
                  buffer_control=truth["buffer_control"], before=12, after=12, **kw)
    row = res.effect("wdd_displacement")
    clear = not row["ci_low"] <= 0 <= row["ci_high"]
    cannot = bool(getattr(res.extras, "cannot_tell", False))
    normal = abs(row["estimate"]) > NormalDist().inv_cdf(0.975) * row["std_error"]
    return (clear and not cannot, clear and not cannot and row["estimate"] > 0, cannot,
            normal and not cannot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--variance", default=None, help="wdd(variance=...); default: wdd's")
    parser.add_argument("--only", default="", help="comma-separated scenarios")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else SCENARIOS
    print("| scenario | reps | claimed (95% CI) | displacement found | cannot tell | normal |")
    print("|---|---|---|---|---|---|")
    for i, name in enumerate(names):
        runs = [one(name, [args.seed, i, r], args.variance) for r in range(args.reps)]
        claims, found, cannot, normal = (sum(x) for x in zip(*runs, strict=True))
        ci = binomtest(claims, args.reps).proportion_ci(0.95, method="exact")
        print(f"| {name} | {args.reps} | {claims / args.reps:.0%} ({ci.low:.0%}–{ci.high:.0%}) "
              f"| {found / args.reps:.0%} | {cannot / args.reps:.0%} "
              f"| {normal / args.reps:.0%} |", flush=True)


if __name__ == "__main__":
    main()
