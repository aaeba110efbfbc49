"""Benchmark: ``panel_from_incidents`` on 10 million police.uk-like incident rows.

The rows are generated once (with DuckDB) into a cache folder under /tmp, both as CSV and as
Parquet, each split into several files, with the twelve police.uk columns: 35,000 LSOAs,
36 months, 14 crime types, 15% anti-social behaviour rows without a Crime ID and 1.5% rows
without a location (no LSOA: left out and counted). Each measurement runs in a fresh child
process; the script prints the wall time and the CPU time (all threads) of the call, and the
peak resident memory of the whole process (DuckDB's native memory and the evalkit import
included: ``ru_maxrss`` of that child from ``os.wait4``, not tracemalloc). The machine's
1-minute load average is printed with each run: on a shared machine the wall time grows with
it, the CPU time much less. Target: 10 million rows to a panel in under 10 s with a peak
under 2 GB on the 2-core machine.

Usage::

    .venv/bin/python benchmarks/ingest.py [--rows 10000000] [--files 4] [--repeats 1]
        [--layout long] [--threads N] [--memory-limit 1GB] [--cache /tmp/evalkit-ingest-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

CRIME_TYPES = ["Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
               "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
               "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
               "Violence and sexual offences"]
N_LSOA, N_MONTHS = 35_000, 36


def _rows_sql(lo: int, hi: int) -> str:
    """police.uk street-level columns for rows lo..hi-1 (deterministic, from hashes of i)."""
    types = "[" + ", ".join("'" + t + "'" for t in CRIME_TYPES) + "]"
    return f"""
    SELECT
      CASE WHEN c = 0 THEN NULL ELSE md5(i::VARCHAR) || md5((i + 1)::VARCHAR) END AS "Crime ID",
      strftime(DATE '2021-01-01' + to_months(m), '%Y-%m') AS "Month",
      'Metropolitan Police Service' AS "Reported by",
      'Metropolitan Police Service' AS "Falls within",
      CASE WHEN nowhere THEN NULL ELSE round(-0.5 + (h % 10007) / 20000.0, 6) END AS "Longitude",
      CASE WHEN nowhere THEN NULL ELSE round(51.3 + (h % 10009) / 20000.0, 6) END AS "Latitude",
      CASE WHEN nowhere THEN 'No Location' ELSE 'On or near ' || (h % 5000)::VARCHAR || ' Street'
           END AS "Location",
      CASE WHEN nowhere THEN NULL ELSE 'E0' || lpad((1000001 + l)::VARCHAR, 7, '0') END
           AS "LSOA code",
      CASE WHEN nowhere THEN NULL ELSE 'Borough ' || lpad((l // 8)::VARCHAR, 3, '0') || 'A' END
           AS "LSOA name",
      {types}[1 + c] AS "Crime type",
      CASE WHEN c = 0 THEN NULL ELSE 'Investigation complete; no suspect identified' END
           AS "Last outcome category",
      NULL::VARCHAR AS "Context"
    FROM (SELECT i, h, h % 1000 < 15 AS nowhere, (hash(i * 7 + 1) % {N_MONTHS})::INT AS m,
                 (hash(i * 13 + 5) % {N_LSOA})::INT AS l,
                 -- about 15% anti-social behaviour, the rest spread over 13 crime types
                 CASE WHEN hash(i * 3 + 2) % 100 < 15 THEN 0
                      ELSE 1 + (hash(i * 5 + 3) % 13)::INT END AS c
          FROM (SELECT i, hash(i) AS h FROM range({lo}, {hi}) t(i)))
    """


def generate(cache: Path, rows: int, files: int) -> dict[str, list[str]]:
    """Write the CSV and Parquet files once; reuse them when the cache matches."""
    stamp = cache / "done.json"
    wanted = {"rows": rows, "files": files, "version": 1}
    if stamp.is_file() and json.loads(stamp.read_text())["params"] == wanted:
        return json.loads(stamp.read_text())["paths"]
    import duckdb

    cache.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    paths: dict[str, list[str]] = {"csv": [], "parquet": []}
    start = time.perf_counter()
    for k in range(files):
        lo, hi = k * rows // files, (k + 1) * rows // files
        con.execute(f"CREATE OR REPLACE TEMP TABLE part AS {_rows_sql(lo, hi)}")
        for kind, options in [("csv", "FORMAT csv, HEADER"), ("parquet", "FORMAT parquet")]:
            path = cache / f"street-{k:02d}.{kind}"
            con.execute(f"COPY part TO '{path}' ({options})")
            paths[kind].append(str(path))
    stamp.write_text(json.dumps({"params": wanted, "paths": paths}))
    print(f"generated {rows:,} rows in {files} CSV and {files} Parquet files under {cache} "
          f"({time.perf_counter() - start:.0f} s)")
    return paths


def child(kind: str, paths: list[str], layout: str, threads: int | None,
          memory_limit: str | None) -> None:
    """One measurement (in a fresh process): print a JSON line."""
    import warnings

    import evalkit as ek

    warnings.simplefilter("ignore")
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    frame = ek.panel_from_incidents(paths, preset="police_uk", layout=layout, progress=False,
                                    threads=threads, memory_limit=memory_limit)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    info = frame.attrs["ingest"]
    print(json.dumps({"seconds": seconds, "call_cpu_s": cpu, "rows_out": len(frame),
                      "rows_read": info["rows_read"], "rows_used": info["rows_used"]}))


def measure(kind: str, args: argparse.Namespace, paths: list[str]) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--layout", args.layout,
               "--paths", json.dumps(paths)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    load = os.getloadavg()[0]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result |= {"kind": kind, "peak_mb": usage.ru_maxrss / 1024, "load": load}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layout", choices=["long", "wide"], default="long")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--memory-limit")
    parser.add_argument("--cache", default="/tmp/evalkit-ingest-bench")
    parser.add_argument("--child", choices=["csv", "parquet"], help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(args.paths), args.layout, args.threads, args.memory_limit)
        return
    import duckdb

    paths = generate(Path(args.cache), args.rows, args.files)
    size = {k: sum(Path(p).stat().st_size for p in v) / 2**30 for k, v in paths.items()}
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, {platform.platform()}; Python "
          f"{platform.python_version()}, duckdb {duckdb.__version__}")
    print(f"input: {args.rows:,} rows in {args.files} files: CSV {size['csv']:.2f} GiB, Parquet "
          f"{size['parquet']:.2f} GiB; layout={args.layout}, threads={args.threads or 'auto'}, "
          f"memory_limit={args.memory_limit or 'DuckDB default'}")
    print("| input | load avg (1 min) | seconds | CPU s of the call | peak RSS MB (process) | "
          "rows read | panel rows | < 10 s and < 2 GB |")
    print("|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeats):
        for kind in ("csv", "parquet"):
            r = measure(kind, args, paths[kind])
            ok = "yes" if r["seconds"] < 10 and r["peak_mb"] < 2048 else "no"
            print(f"| {kind} | {r['load']:.1f} | {r['seconds']:.1f} | {r['call_cpu_s']:.1f} | "
                  f"{r['peak_mb']:.0f} | {r['rows_read']:,} | {r['rows_out']:,} | {ok} |",
                  flush=True)


if __name__ == "__main__":
    main()
