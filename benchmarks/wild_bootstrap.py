"""Speed of the wild cluster bootstrap: 99,999 replications, 20 clusters x 24 periods.

Run: ``.venv/bin/python benchmarks/wild_bootstrap.py``. Target: under a second on 2 cores
(each replication is two small matrix products on per-cluster score pieces).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from evalkit.inference.wild import wild_cluster_bootstrap


def main() -> None:
    rng = np.random.default_rng(0)
    unit = np.repeat(np.arange(20), 24)
    per = np.tile(np.arange(24), 20)
    d = ((unit < 3) & (per >= 12)).astype(float)
    y = rng.normal(size=len(unit))
    times = []
    for with_ci in (False, True, False, True, False, True):
        start = time.perf_counter()
        wild_cluster_bootstrap(y, d, ["att"], term="att", fixed_effects=[unit, per],
                               clusters=unit, reps=99_999, seed=1,
                               confidence_interval=with_ci)
        times.append((with_ci, time.perf_counter() - start))
    for with_ci in (False, True):
        med = statistics.median(t for c, t in times if c == with_ci)
        print(f"99,999 replications, 20 clusters, CI={with_ci}: median {med:.3f} s "
              f"(target < 1 s: {'met' if med < 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
