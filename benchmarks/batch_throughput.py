"""Benchmark: throughput of ``evalkit batch`` with 1 and 2 workers, 40 ITS runs.

One plan of 40 runs of the ``its`` template on ``data_samples/city_monthly.csv`` (4 outcomes
x 2 count families x 5 sets of partnership districts, intervention 2021-01) is executed with
``evalkit batch PLAN --workers 1`` and ``--workers 2``, alternately, each time into a fresh
output folder, as a separate ``python -m evalkit batch`` process (so every measurement pays
the same start-up). For each measurement the script prints the wall-clock seconds, runs per
minute, whether all 40 runs are ``done`` (read from ``batch.json``), the 1-minute load
average before and after, and how many cores *other* processes used meanwhile (CPU time of
the whole machine from ``/proc/stat`` minus this benchmark's own CPU time): on a shared
machine that number says how much of the 2 cores the batch really had. Each round ends with
the speed-up ``seconds(1 worker) / seconds(2 workers)``; the target is >= 1.8 on 2 cores,
judged only on quiet rounds (other processes below 0.1 cores in both measurements), since two
workers cannot be twice as fast on cores that others are using.

Where a run's time goes is read back from the runs themselves: ``batch.json`` gives each
run's seconds, and papermill's metadata in each ``report.ipynb`` gives the time the kernel
spent executing cells, of which the ``setup`` cell is mostly imports. The rest of a run is
kernel start-up and shut-down, the HTML export and moving the folder into place.

Usage::

    .venv/bin/python benchmarks/batch_throughput.py [--rounds 2] [--workers 1 2] [--runs 40]
                                                    [--blas-threads N] [--quiet CORES]
                                                    [--max-wait S] [--keep DIR]

``--blas-threads N`` sets ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``
and ``NUMEXPR_NUM_THREADS`` for the batch, its workers and their kernels (default: the
environment as it is). ``--quiet 0.3`` waits, before each measurement, until other processes
use at most 0.3 cores over 10 s (on a shared machine).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data_samples" / "city_monthly.csv"
TARGET = 1.8
#: a round counts for the verdict only if other processes used less than this many cores
QUIET_CORES = 0.1
BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "NUMEXPR_NUM_THREADS")

OUTCOMES = ("burglary", "robbery", "violence", "antisocial_behaviour")
FAMILIES = ("quasipoisson", "negbin")
#: districts whose partnership started in 2021-01 (data_samples/README.md)
UNIT_SETS = (("Hôtel-de-Ville",), ("Cathédrale",), ("Moulins",),
             ("Cathédrale", "Moulins"), ("Hôtel-de-Ville", "Cathédrale", "Moulins"))


def plan_runs(n: int) -> list[dict[str, Any]]:
    """The first ``n`` runs of outcome x family x unit set (40 in all)."""
    combos = list(itertools.product(OUTCOMES, FAMILIES, UNIT_SETS))
    if not 1 <= n <= len(combos):
        raise SystemExit(f"--runs must be between 1 and {len(combos)}; got {n}.")
    runs = []
    for outcome, family, units in combos[:n]:
        slug = "-".join(u.encode("ascii", "ignore").decode()[:4].lower() for u in units)
        runs.append({"name": f"{outcome}_{family}_{slug}",
                     "parameters": {"outcome": outcome, "family": family,
                                    "units": list(units)}})
    return runs


def write_plan(folder: Path, out: Path, runs: list[dict[str, Any]]) -> Path:
    """A batch plan (DESIGN.md §4) with the shared settings under ``defaults``."""
    plan = {"out": str(out),
            "defaults": {"template": "its", "data": str(DATA),
                         "parameters": {"time": "month", "intervention": "2021-01",
                                        "lang": "en"}},
            "runs": runs}
    path = folder / f"plan_{out.name}.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU seconds of this process and its finished descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def wait_for_quiet(max_cores: float, *, timeout: float, window: float = 10.0) -> float:
    """Wait until other processes use at most ``max_cores`` cores over ``window`` seconds.

    Returns the cores they used in the last window (waiting stops after ``timeout`` s).
    """
    deadline = time.monotonic() + timeout
    while True:
        busy0, own0 = _busy_seconds(), _own_cpu_seconds()
        time.sleep(window)
        used = max((_busy_seconds() - busy0) - (_own_cpu_seconds() - own0), 0.0) / window
        if used <= max_cores or time.monotonic() >= deadline:
            return used


@dataclass(frozen=True)
class Measurement:
    """One ``evalkit batch`` execution."""

    round_no: int
    workers: int
    seconds: float
    done: int
    total: int
    load_before: float
    load_after: float
    others_cores: float  # cores used by other processes during the measurement
    cpu_seconds: float  # CPU time of the batch (all its processes)
    run_seconds: float  # mean seconds of one run, as batch.json records it
    notebook_seconds: float  # mean kernel time executing the notebook's cells
    setup_seconds: float  # mean time of the template's setup cell (imports)

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.done / self.seconds


def _notebook_times(out: Path) -> tuple[float, float]:
    """Mean papermill duration of the notebooks and of their ``setup`` cell."""
    total, setup = [], []
    for notebook in out.glob("*/report.ipynb"):
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        total.append(nb["metadata"]["papermill"]["duration"])
        setup += [c["metadata"]["papermill"]["duration"] for c in nb["cells"]
                  if "setup" in c.get("metadata", {}).get("tags", [])]
    mean = statistics.fmean
    return (mean(total) if total else float("nan"), mean(setup) if setup else float("nan"))


def measure(folder: Path, runs: list[dict[str, Any]], *, workers: int, round_: int,
            env: dict[str, str]) -> Measurement:
    """Run the plan once into a fresh folder with ``workers`` and time it."""
    out = folder / f"out_r{round_}_w{workers}"
    plan = write_plan(folder, out, runs)
    command = [sys.executable, "-m", "evalkit", "batch", str(plan), "--workers", str(workers),
               "--no-progress"]
    load_before = os.getloadavg()[0]
    busy0, own0 = _busy_seconds(), _own_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    busy, own = _busy_seconds() - busy0, _own_cpu_seconds() - own0
    load_after = os.getloadavg()[0]
    if proc.returncode not in (0, 1) or not (out / "batch.json").is_file():
        raise SystemExit(f"evalkit batch failed (exit {proc.returncode}):\n{proc.stderr}")
    records = json.loads((out / "batch.json").read_text(encoding="utf-8"))["runs"]
    for r in records:
        if r["status"] != "done":
            print(f"  run {r['name']}: {r['status']} {r['message']}", file=sys.stderr)
    notebook, setup = _notebook_times(out)
    return Measurement(round_, workers, seconds, sum(r["status"] == "done" for r in records),
                       len(runs), load_before, load_after,
                       others_cores=max(busy - own, 0.0) / seconds, cpu_seconds=own,
                       run_seconds=statistics.fmean(r["seconds"] for r in records),
                       notebook_seconds=notebook, setup_seconds=setup)


def _row(m: Measurement) -> str:
    return (f"| {m.round_no} | {m.workers} | {m.load_before:.2f} / {m.load_after:.2f} | "
            f"{m.others_cores:.2f} | {m.cpu_seconds:.0f} | {m.seconds:.1f} | "
            f"{m.runs_per_minute:.1f} | {m.done}/{m.total} | {m.run_seconds:.2f} | "
            f"{m.notebook_seconds:.2f} | {m.setup_seconds:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the worker "
                        "counts (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts measured in each round (default 1 2)")
    parser.add_argument("--runs", type=int, default=40, help="runs in the plan (default 40)")
    parser.add_argument("--blas-threads", type=int, help="threads of the numeric libraries "
                        "in every process (default: environment unchanged)")
    parser.add_argument("--quiet", type=float, metavar="CORES", help="before each "
                        "measurement, wait until other processes use at most CORES cores "
                        "(default: do not wait)")
    parser.add_argument("--max-wait", type=float, default=900, help="longest wait for "
                        "--quiet, seconds (default 900)")
    parser.add_argument("--keep", type=Path, help="keep the output folders here (default: a "
                        "temporary folder, deleted at the end)")
    args = parser.parse_args()

    env = dict(os.environ)
    if args.blas_threads is not None:
        env.update({name: str(args.blas_threads) for name in BLAS_VARIABLES})
    runs = plan_runs(args.runs)
    from evalkit import __version__

    print(f"{len(os.sched_getaffinity(0))} usable CPUs ({os.cpu_count()} online), "
          f"{platform.machine()}, Python {platform.python_version()}, evalkit {__version__}; "
          f"{len(runs)} its runs on {DATA.name}; numeric threads: "
          f"{args.blas_threads if args.blas_threads is not None else 'environment'}")
    print(f"command: {sys.executable} -m evalkit batch PLAN --workers N --no-progress\n")
    header = ("| round | workers | load 1 min before / after | other processes (cores) | "
              "batch CPU s | seconds | runs/min | done | s per run | s notebook | "
              "s setup cell |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))

    with tempfile.TemporaryDirectory(prefix="evalkit-batch-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        measurements: list[Measurement] = []
        for round_ in range(1, args.rounds + 1):
            for workers in args.workers:
                if args.quiet is not None:
                    wait_for_quiet(args.quiet, timeout=args.max_wait)
                m = measure(folder, runs, workers=workers, round_=round_, env=env)
                measurements.append(m)
                print(_row(m), flush=True)

    print()
    ok = all(m.done == m.total for m in measurements)
    by_round: dict[int, dict[int, Measurement]] = {}
    for m in measurements:
        by_round.setdefault(m.round_no, {})[m.workers] = m
    ratios, quiet = [], []
    if {1, 2} <= set(args.workers):
        for round_, pair in by_round.items():
            ratio = pair[1].seconds / pair[2].seconds
            ratios.append(ratio)
            alone = max(pair[1].others_cores, pair[2].others_cores) < QUIET_CORES
            if alone:
                quiet.append(ratio)
            print(f"round {round_}: speed-up 2 workers vs 1 = {ratio:.2f} "
                  f"(other processes used {pair[1].others_cores:.2f} and "
                  f"{pair[2].others_cores:.2f} cores{'' if alone else ': not a quiet round'})")
        print(f"median speed-up {statistics.median(ratios):.2f} over {len(ratios)} round(s)")
        if quiet:
            verdict = "met" if statistics.median(quiet) >= TARGET else "NOT met"
            print(f"quiet rounds (other processes < {QUIET_CORES} cores): median speed-up "
                  f"{statistics.median(quiet):.2f}; target >= {TARGET}: {verdict}")
        else:
            print(f"no quiet round (other processes < {QUIET_CORES} cores in both "
                  "measurements): the speed-up says how busy the machine was, not whether "
                  f"the target {TARGET} is met; rerun with --quiet 0.1")
    print(f"all runs done in every measurement: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
