"""National-scale benchmark: evalkit's panel estimators against the peer libraries.

One synthetic balanced monthly panel per size (default 1,000, 10,000 and 35,000 units x 120
months = 4.2 million rows), with unit and month effects, a staggered adoption (four cohorts
and 40 % never-treated units), a continuous outcome with effects growing with exposure, and a
count outcome (Poisson, rate ratio 0.9 under treatment). The same DataFrame goes to every
package. For each size and estimator the script times evalkit and each peer in one process,
interleaved (peer, evalkit, other peer; repeat), and prints the median seconds of each side,
the ratio evalkit / peer against its target, the peak memory of each side, whether the
estimates agree (largest absolute difference of the coefficients and of their SEs), and the
1-minute load average at the end of the timed runs (on a shared machine the ratios move
with it).

Pairs (evalkit call → peer call):

* ``twfe``: ``ek.did(..., treatment="d", se="cluster")`` → ``pyfixest.feols("y ~ d | unit +
  t", vcov={"CRV1": "unit"})`` (target ratio <= 0.3) and linearmodels ``PanelOLS(...,
  entity_effects=True, time_effects=True).fit(cov_type="clustered", cluster_entity=True)``
  (its SEs are compared after conversion to fixest's CR1 small-sample scale, see
  ``lm_to_cr1``).
* ``event``: ``ek.event_study(..., leads=12, lags=24)`` → ``pyfixest.feols("y ~ i(rel,
  ref=-1) | unit + t")``, where ``rel`` is the event time clipped to [-12, 24] exactly as
  evalkit bins the end points, and -1 (the reference) for never-treated units (target <= 0.3).
* ``poisson``: ``ek.did(..., family="poisson")`` → ``pyfixest.fepois("count ~ d | unit +
  t", vcov={"CRV1": "unit"})`` (target <= 1).
* ``staggered``: ``ek.staggered_did(method="dr")`` (all ATT(g,t) with analytic SEs and the four
  aggregations in one call) → ``csdid`` ``ATTgt(...).fit(est_method="dr", bstrap=False)``
  plus ``aggte()`` for the simple, group, dynamic and calendar aggregations (target <= 0.1),
  and ``differences`` ``ATTgt(...).fit(est_method="dr")`` plus ``aggregate()`` for its four
  aggregations. Never-treated comparison group, no covariates.

evalkit gets what a user would give it: months as ``"2019-04"`` strings and the cohort
(first treated month) as such a string, empty for never-treated units; its calls also
validate the input, hash the data for provenance and compute their diagnostics (e.g. the
Goodman-Bacon decomposition of a staggered TWFE, the pre-trend test). The peers get integer
periods (``t`` = 1..120, cohort ``g`` with 0 = never treated), as they require.

Warm-up: before any timing each side runs once on a tiny panel (200 units), so imports,
caches and pyfixest's numba JIT compilation are not timed.

Peak memory: each side runs once more in a fresh subprocess that imports only that side,
warms up, builds the panel, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``)
and reads ``VmHWM`` after the call: ``peak MB`` is the process's peak resident memory during
the call (data, libraries and the call's own allocations, numba/BLAS included), ``+MB`` the
part above the resident memory just before it.

Slow peers: once a side has used ``--budget`` seconds on one (size, estimator), it is not
repeated; the table says how many runs each median rests on. A peer that fails to import
or to run is reported and skipped.

Peers are never evalkit dependencies: ``.venv/bin/pip install -e ".[bench]"``.

Usage::

    .venv/bin/python benchmarks/run.py [--sizes 1000 10000 35000] [--periods 120]
        [--repeats 3] [--estimators twfe event poisson staggered] [--peers pyfixest ...]
        [--budget 600] [--threads N] [--no-memory] [--json out.json] [--quick]

``--estimators staggered --peers csdid`` is the former ``benchmarks/staggered.py``
(``--sizes 20000 --periods 10`` for its short panel).

Threads: by default every library uses its own thread pools (OpenBLAS: one thread per
core). On a machine shared with other jobs, multi-threaded OpenBLAS can be many times
slower on tall, thin matrix products (its threads wait for each other); ``--threads 1``
gives every side one thread, which makes the timings much more stable under load.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

LEADS, LAGS = 12, 24
START = "2015-01"
SEED = 2026
WARMUP_UNITS = 200
COHORT_SHARE = 0.15  # each of the four cohorts; the remaining 40 % are never treated
TOL = 1e-6
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "POLARS_MAX_THREADS")
_THREADS_MARK = "EVALKIT_BENCH_THREADS"

Runner = Callable[[pd.DataFrame], pd.DataFrame]


# -- data -------------------------------------------------------------------------------------
def make_panel(n_units: int, n_periods: int = 120, seed: int = SEED) -> pd.DataFrame:
    """Balanced monthly panel with staggered adoption, a continuous and a count outcome.

    Columns: ``unit`` (1..n), ``month`` ("2015-01"...), ``t`` (1..T), ``cohort`` (first
    treated month as "YYYY-MM", "" if never treated), ``g`` (first treated ``t``, 0 if never),
    ``d`` (1 from the first treated month on), ``y`` (continuous) and ``count`` (Poisson).
    """
    rng = np.random.default_rng(seed)
    starts = np.array([int(n_periods * f) + 1 for f in (0.2, 0.4, 0.6, 0.8)])
    g = rng.choice(np.concatenate([[0], starts]), size=n_units,
                   p=[1 - 4 * COHORT_SHARE] + [COHORT_SHARE] * 4)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    gg = np.repeat(g, n_periods)
    d = ((gg > 0) & (t >= gg)).astype(np.int8)
    alpha = np.repeat(rng.normal(0.0, 1.0, n_units), n_periods)
    month_fx = (np.cumsum(rng.normal(0.01, 0.05, n_periods))
                + 0.3 * np.sin(np.arange(n_periods) * np.pi / 6))[t - 1]
    effect = np.where(d == 1, -0.5 - 0.005 * (t - gg), 0.0)
    y = 10 + alpha + month_fx + effect + rng.normal(size=n_units * n_periods)
    count = rng.poisson(np.exp(0.5 + 0.5 * alpha + 0.5 * month_fx + np.log(0.9) * d))
    labels = pd.period_range(START, periods=n_periods, freq="M").astype(str).to_numpy()
    return pd.DataFrame({
        "unit": np.repeat(np.arange(1, n_units + 1), n_periods),
        "month": labels[t - 1],
        "t": t,
        "cohort": np.where(gg > 0, labels[np.maximum(gg, 1) - 1], ""),
        "g": gg,
        "d": d,
        "y": y,
        "count": count,
    })


def _month_index(labels: pd.Series) -> np.ndarray:
    """``t`` (1-based) of "YYYY-MM" labels."""
    start = pd.Period(START, freq="M").ordinal
    return pd.PeriodIndex(labels.astype(str), freq="M").asi8 - start + 1


def _table(keys: list, est, se) -> pd.DataFrame:
    return pd.DataFrame({"key": keys, "estimate": np.asarray(est, dtype=float),
                         "se": np.asarray(se, dtype=float)})


# -- evalkit ----------------------------------------------------------------------------------
def ek_twfe(df: pd.DataFrame) -> pd.DataFrame:
    import evalkit as ek

    res = ek.did(df, outcome="y", unit="unit", time="month", treatment="d", se="cluster")
    return _table(["d"], res.effects["estimate"], res.effects["std_error"])


def ek_event(df: pd.DataFrame) -> pd.DataFrame:
    import evalkit as ek

    res = ek.event_study(df, outcome="y", unit="unit", time="month", cohort="cohort",
                         leads=LEADS, lags=LAGS)
    keys = [int(s.removeprefix("event_time_")) for s in res.effects["term"]]
    return _table(keys, res.effects["estimate"], res.effects["std_error"])


def ek_poisson(df: pd.DataFrame) -> pd.DataFrame:
    import evalkit as ek

    res = ek.did(df, outcome="count", unit="unit", time="month", treatment="d",
                 se="cluster", family="poisson")
    return _table(["d"], res.effects["estimate"], res.effects["std_error"])


def ek_staggered(df: pd.DataFrame) -> pd.DataFrame:
    import evalkit as ek

    res = ek.staggered_did(df, outcome="y", unit="unit", time="month", cohort="cohort",
                           method="dr", control_group="never_treated")
    gt = res.series[res.series["aggregation"] == "gt"]
    keys = list(zip(_month_index(gt["group"]), _month_index(gt["time"]), strict=True))
    return _table(keys, gt["estimate"], gt["std_error"])


# -- peers ------------------------------------------------------------------------------------
def pf_twfe(df: pd.DataFrame) -> pd.DataFrame:
    import pyfixest as pf

    m = pf.feols("y ~ d | unit + t", data=df, vcov={"CRV1": "unit"})
    return _table(["d"], m.coef(), m.se())


def lm_twfe(df: pd.DataFrame) -> pd.DataFrame:
    from linearmodels import PanelOLS

    panel = df.set_index(["unit", "t"])
    res = PanelOLS(panel["y"], panel[["d"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    return _table(["d"], res.params, res.std_errors)


def pf_event(df: pd.DataFrame) -> pd.DataFrame:
    import pyfixest as pf

    rel = np.where(df["g"] > 0, np.clip(df["t"] - df["g"], -LEADS, LAGS), -1)
    m = pf.feols("y ~ i(rel, ref=-1) | unit + t", data=df.assign(rel=rel),
                 vcov={"CRV1": "unit"})
    keys = [int(re.search(r"::(-?\d+)", s).group(1)) for s in m.coef().index]
    return _table(keys, m.coef(), m.se())


def pf_poisson(df: pd.DataFrame) -> pd.DataFrame:
    import pyfixest as pf

    m = pf.fepois("count ~ d | unit + t", data=df, vcov={"CRV1": "unit"})
    return _table(["d"], m.coef(), m.se())


def cs_staggered(df: pd.DataFrame) -> pd.DataFrame:
    from csdid.att_gt import ATTgt

    with contextlib.redirect_stdout(io.StringIO()):  # csdid prints its summaries
        res = ATTgt(yname="y", tname="t", idname="unit", gname="g", data=df,
                    control_group="nevertreated", xformla="y~1").fit(est_method="dr",
                                                                      bstrap=False)
        for kind in ("simple", "group", "dynamic", "calendar"):
            res.aggte(typec=kind, bstrap=False)
    keys = list(zip(np.asarray(res.MP["group"], dtype=int), np.asarray(res.MP["t"], dtype=int),
                    strict=True))
    return _table(keys, res.results["att"], res.results["se"])


def diff_staggered(df: pd.DataFrame) -> pd.DataFrame:
    from differences import ATTgt

    panel = df.assign(g=df["g"].where(df["g"] > 0)).set_index(["unit", "t"])
    att = ATTgt(panel, cohort_column="g")
    att.fit("y", est_method="dr", control_group="never_treated", progress_bar=False)
    for kind in ("simple", "cohort", "event", "time"):
        att.aggregate(kind)
    out = att.results()
    keys = [(int(c), int(t)) for c, _, t in out.index]
    return _table(keys, out[("ATTgtElements", "", "ATT")],
                  out[("ATTgtElements", "analytic", "std_error")])


# -- the pairs --------------------------------------------------------------------------------
def lm_to_cr1(n_units: int, n_periods: int, k: int = 1) -> float:
    """Factor taking linearmodels' clustered SE to fixest's (and evalkit's) CR1 SE.

    linearmodels' ``PanelOLS.fit(cov_type="clustered")`` (debiased by default) scales the
    covariance by ``n / (n - d - k)``, counting the ``d = units + periods - 1`` absorbed
    effects, and applies no ``G / (G - 1)``; fixest's default CR1 scales by ``G / (G - 1) *
    (n - 1) / (n - K)``, where the unit effects nested in the unit clusters are not counted
    (``K = k + periods``). Checked to 1e-15 on three panels.
    """
    n = n_units * n_periods
    linearmodels = n / (n - (n_units + n_periods - 1) - k)
    fixest = n_units / (n_units - 1) * (n - 1) / (n - k - n_periods)
    return float(np.sqrt(fixest / linearmodels))


@dataclass(frozen=True)
class Peer:
    name: str
    module: str  # imported to check that the peer is there
    run: Runner
    target: float | None  # evalkit / peer ratio to meet, None = no target
    se_to_cr1: Callable[[int, int], float] | None = None  # peer SE x this = CR1 SE


@dataclass(frozen=True)
class Pair:
    key: str
    label: str
    evalkit: Runner
    peers: tuple[Peer, ...]


PAIRS = {p.key: p for p in (
    Pair("twfe", "TWFE DiD, CR1 by unit", ek_twfe,
         (Peer("pyfixest", "pyfixest", pf_twfe, 0.3),
          Peer("linearmodels", "linearmodels", lm_twfe, None, lm_to_cr1))),
    Pair("event", f"event study [-{LEADS}, {LAGS}], CR1", ek_event,
         (Peer("pyfixest", "pyfixest", pf_event, 0.3),)),
    Pair("poisson", "Poisson TWFE, CR1", ek_poisson,
         (Peer("pyfixest", "pyfixest", pf_poisson, 1.0),)),
    Pair("staggered", "CS ATT(g,t) dr + aggregations", ek_staggered,
         (Peer("csdid", "csdid", cs_staggered, 0.1),
          Peer("differences", "differences", diff_staggered, None))),
)}


def _runner(pair: Pair, side: str) -> Runner:
    if side == "evalkit":
        return pair.evalkit
    return next(p.run for p in pair.peers if p.name == side)


def available_peers(pairs: list[Pair]) -> dict[str, str | None]:
    """Peer name -> None if importable, else the reason it is skipped."""
    status: dict[str, str | None] = {}
    for peer in {p.name: p for pair in pairs for p in pair.peers}.values():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(peer.module)
            status[peer.name] = None
        except Exception as exc:  # any import failure skips the peer
            status[peer.name] = f"{type(exc).__name__}: {exc}"
    return status


# -- measuring --------------------------------------------------------------------------------
@dataclass
class Side:
    times: list[float] = field(default_factory=list)
    out: pd.DataFrame | None = None
    error: str | None = None
    peak_mb: float | None = None
    extra_mb: float | None = None
    mem_error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def _call(fn: Runner, df: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        out = fn(df)
        return time.perf_counter() - start, out


def _status_mb() -> dict[str, float]:
    with open("/proc/self/status") as fh:
        text = fh.read()
    return {k: int(re.search(rf"{k}:\s+(\d+)", text).group(1)) / 1024
            for k in ("VmRSS", "VmHWM")}


def child_main(estimator: str, side: str, n_units: int, n_periods: int) -> None:
    """Run one side once in this fresh process and print its peak memory as JSON."""
    fn = _runner(PAIRS[estimator], side)
    _call(fn, make_panel(WARMUP_UNITS, n_periods, seed=1))  # imports, numba JIT
    df = make_panel(n_units, n_periods)
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # reset the peak-RSS counter
            fh.write("5")
        before = _status_mb()["VmRSS"]
    except OSError:  # no /proc or not allowed: peak since the process started
        before = None
    _call(fn, df)
    peak = _status_mb()["VmHWM"]
    print(json.dumps({"peak_mb": peak, "extra_mb": None if before is None else peak - before}))


def measure_memory(estimator: str, side: str, n_units: int, n_periods: int,
                   timeout: float) -> tuple[float | None, float | None, str | None]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", estimator, side,
           str(n_units), "--periods", str(n_periods)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, f"timed out after {timeout:.0f} s"
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, None, f"child failed: {tail}"
    got = json.loads(lines[-1])
    return got["peak_mb"], got["extra_mb"], None


def compare(ek: pd.DataFrame, peer: pd.DataFrame) -> dict[str, float | int]:
    m = ek.merge(peer, on="key", suffixes=("_ek", "_peer"))
    d_est = np.abs(m["estimate_ek"] - m["estimate_peer"]).to_numpy()
    d_se = np.abs(m["se_ek"] - m["se_peer"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_se = d_se / np.abs(m["se_peer"].to_numpy())
    return {"compared": len(m), "n_evalkit": len(ek), "n_peer": len(peer),
            "max_abs_coef": float(np.nanmax(d_est)) if len(m) else float("nan"),
            "max_abs_se": float(np.nanmax(d_se)) if len(m) else float("nan"),
            "max_rel_se": float(np.nanmax(rel_se)) if len(m) else float("nan")}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_pair(pair: Pair, df: pd.DataFrame, peers: list[Peer], *, repeats: int,
               budget: float) -> dict[str, Side]:
    """Warm up, then time evalkit and the peers interleaved: peer, evalkit, peer, ..."""
    warm = make_panel(WARMUP_UNITS, int(df["t"].max()), seed=1)
    order = [peers[0].name, "evalkit", *[p.name for p in peers[1:]]] if peers else ["evalkit"]
    sides = {name: Side() for name in order}
    for name in order:
        try:
            _call(_runner(pair, name), warm)
        except Exception as exc:  # a failing side is reported, not fatal
            sides[name].error = f"{type(exc).__name__}: {str(exc)[:200]}"
            log(f"  {pair.key}/{name}: failed on the warm-up panel: {sides[name].error}")
    for rep in range(repeats):
        for name in order:
            side = sides[name]
            if side.error or sum(side.times) >= budget:
                continue
            try:
                seconds, side.out = _call(_runner(pair, name), df)
            except Exception as exc:
                side.error = f"{type(exc).__name__}: {str(exc)[:200]}"
                log(f"  {pair.key}/{name}: failed: {side.error}")
                continue
            side.times.append(seconds)
            log(f"  {pair.key} repeat {rep + 1}: {name} {seconds:.2f} s")
            gc.collect()
    return sides


# -- report -----------------------------------------------------------------------------------
def _fmt(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def _mem(side: Side) -> str:
    if side.mem_error:
        return side.mem_error
    if side.peak_mb is None:
        return "-"
    extra = f" (+{side.extra_mb:,.0f})" if side.extra_mb is not None else ""
    return f"{side.peak_mb:,.0f}{extra}"


def rows_for(n_units: int, n_periods: int, pair: Pair,
             sides: dict[str, Side], skipped: dict[str, str], tol: float,
             load: float | None = None) -> list[dict]:
    ek = sides["evalkit"]
    rows = []
    for peer in pair.peers:
        row = {"units": n_units, "periods": n_periods, "rows": n_units * n_periods,
               "estimator": pair.key, "label": pair.label, "peer": peer.name,
               "target": peer.target, "load": load}
        if peer.name in skipped:
            row["note"] = f"peer skipped: {skipped[peer.name]}"
            row.update(_side_fields("evalkit", ek))
            rows.append(row)
            continue
        if peer.name not in sides:  # not selected with --peers
            continue
        ps = sides[peer.name]
        row.update(_side_fields("evalkit", ek))
        row.update(_side_fields("peer", ps))
        ratio = ek.median / ps.median if ek.median and ps.median else None
        row["ratio"] = ratio
        row["met"] = None if ratio is None or peer.target is None else ratio <= peer.target
        if ek.out is not None and ps.out is not None:
            peer_out = ps.out
            if peer.se_to_cr1 is not None:  # compare on the same small-sample scale
                factor = peer.se_to_cr1(n_units, n_periods)
                peer_out = peer_out.assign(se=peer_out["se"] * factor)
                row["se_note"] = (f"{peer.name} SEs x {factor:.6f} (its small-sample "
                                  "correction differs from CR1; see lm_to_cr1)")
            cmp = compare(ek.out, peer_out)
            row.update(cmp)
            row["agree"] = bool(cmp["compared"] == cmp["n_evalkit"] == cmp["n_peer"]
                                and cmp["max_abs_coef"] <= tol and cmp["max_abs_se"] <= tol)
        row["note"] = "; ".join(f"{k}: {v}" for k, v in
                                (("evalkit", ek.error), (peer.name, ps.error)) if v)
        rows.append(row)
    return rows


def _side_fields(prefix: str, side: Side) -> dict:
    return {f"{prefix}_s": side.median, f"{prefix}_min_s": min(side.times, default=None),
            f"{prefix}_runs": len(side.times), f"{prefix}_peak_mb": side.peak_mb,
            f"{prefix}_extra_mb": side.extra_mb, f"{prefix}_mem": _mem(side)}


HEAD = ("| units x months | estimator | peer | load | evalkit s | peer s | evalkit/peer "
        "| target | met | evalkit peak MB (+call) | peer peak MB (+call) | max abs coef diff "
        "| max abs SE diff (rel) | agree |")


def table_line(r: dict) -> str:
    """One markdown row of the results table."""
    if "peer_s" not in r:
        return (f"| {r['units']:,} x {r['periods']} | {r['estimator']} | {r['peer']} "
                f"| {_fmt(r.get('load'), '.1f')} "
                f"| {_fmt(r['evalkit_s'], '.3f')} | - | - | {_fmt(r['target'], 'g')} | - "
                f"| {r['evalkit_mem']} | - | - | - | {r['note']} |")
    runs = f" [{r['evalkit_runs']}/{r['peer_runs']} runs]" if min(
        r["evalkit_runs"], r["peer_runs"]) < max(r["evalkit_runs"], r["peer_runs"]) else ""
    met = "-" if r["met"] is None else ("**yes**" if r["met"] else "no")
    agree = "-" if "agree" not in r else ("yes" if r["agree"] else "NO")
    if "compared" in r and r["compared"] != r["n_evalkit"]:
        agree += f" ({r['compared']} of {r['n_evalkit']}/{r['n_peer']} terms)"
    for extra in ("se_note", "note"):
        if r.get(extra):
            agree += f" ({r[extra]})"
    return (f"| {r['units']:,} x {r['periods']} | {r['estimator']} | {r['peer']} "
            f"| {_fmt(r.get('load'), '.1f')} "
            f"| {_fmt(r['evalkit_s'], '.3f')} | {_fmt(r['peer_s'], '.3f')}{runs} "
            f"| {_fmt(r['ratio'], '.3f')} | {_fmt(r['target'], 'g')} | {met} "
            f"| {r['evalkit_mem']} | {r['peer_mem']} | {_fmt(r.get('max_abs_coef'), '.1e')} "
            f"| {_fmt(r.get('max_abs_se'), '.1e')} ({_fmt(r.get('max_rel_se'), '.1e')}) "
            f"| {agree} |")


def print_table(rows: list[dict], tol: float) -> None:
    print(HEAD)
    print("|" + "---|" * (HEAD.count("|") - 1))
    for r in rows:
        print(table_line(r))
    print(f"\nload = 1-minute load average at the end of the timed runs (the benchmark itself "
          f"counts about 1); agree = every term matched and max abs differences of "
          f"coefficients and SEs <= {tol:g}; peak MB = the process's peak RSS during the "
          "call, (+call) = above the RSS just before it.")


def machine_line() -> str:
    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "absent"

    import evalkit

    pkgs = ", ".join(f"{p} {v(p)}" for p in ("pyfixest", "linearmodels", "csdid", "drdid",
                                              "differences"))
    return (f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), load average "
            f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}, numpy "
            f"{np.__version__}, pandas {pd.__version__}; evalkit {evalkit.__version__}; {pkgs}; "
            f"threads: {os.environ.get(_THREADS_MARK, 'library defaults')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 35_000],
                        help="numbers of units (default 1000 10000 35000)")
    parser.add_argument("--periods", type=int, default=120, help="months (default 120)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--estimators", nargs="+", choices=list(PAIRS), default=list(PAIRS))
    parser.add_argument("--peers", nargs="+", metavar="PEER",
                        help="only these peers (default: all of the chosen estimators)")
    parser.add_argument("--threads", type=int,
                        help="limit BLAS/OpenMP/numba threads of every side to N (the script "
                             "re-executes itself with OPENBLAS_NUM_THREADS etc. set); default: "
                             "each library's own default")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds per side and (size, estimator) after which a side is "
                             "not repeated (default 600)")
    parser.add_argument("--tol", type=float, default=TOL,
                        help=f"agreement tolerance on coefficients and SEs (default {TOL:g})")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory subprocesses")
    parser.add_argument("--child-timeout", type=float, default=1800.0)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 300 units x 36 months, 1 repeat")
    parser.add_argument("--child", nargs=3, metavar=("ESTIMATOR", "SIDE", "UNITS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child[0], args.child[1], int(args.child[2]), args.periods)
        return
    if args.quick:
        args.sizes, args.periods, args.repeats = [300], 36, 1
    if args.threads is not None and os.environ.get(_THREADS_MARK) != str(args.threads):
        env = dict(os.environ, **{v: str(args.threads) for v in (*_THREAD_VARS, _THREADS_MARK)})
        script = os.path.abspath(__file__)
        os.execve(sys.executable, [sys.executable, script, *(argv or sys.argv[1:])], env)

    pairs = [PAIRS[k] for k in args.estimators]
    status = available_peers(pairs)
    skipped = {k: v for k, v in status.items() if v}
    for name, why in skipped.items():
        log(f"peer {name} skipped (pip install -e '.[bench]'): {why}")
    print(machine_line())
    print("warm-up: every side runs once on a 200-unit panel before timing "
          "(imports, caches, pyfixest's numba JIT)")
    rows: list[dict] = []
    for n_units in args.sizes:
        df = make_panel(n_units, args.periods)
        log(f"panel {n_units:,} units x {args.periods} months = {len(df):,} rows")
        for pair in pairs:
            peers = [p for p in pair.peers if p.name not in skipped
                     and (args.peers is None or p.name in args.peers)]
            sides = bench_pair(pair, df, peers, repeats=args.repeats, budget=args.budget)
            load = os.getloadavg()[0]  # 1-minute load average at the end of the timed runs
            if not args.no_memory:
                for name, side in sides.items():
                    if side.error:
                        continue
                    side.peak_mb, side.extra_mb, side.mem_error = measure_memory(
                        pair.key, name, n_units, args.periods, args.child_timeout)
                    log(f"  {pair.key}/{name}: peak {_mem(side)} MB")
            new = rows_for(n_units, args.periods, pair, sides, skipped, args.tol, load)
            new = [r for r in new if args.peers is None or r["peer"] in args.peers]
            for r in new:
                log("  " + table_line(r))
            rows += new
            if args.json:  # rewritten after each pair, so a long run leaves what it did
                with open(args.json, "w") as fh:
                    json.dump(rows, fh, indent=1, default=str)
        del df
        gc.collect()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
    print_table(rows, args.tol)


if __name__ == "__main__":
    main()
