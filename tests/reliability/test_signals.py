"""Signals and concurrency with real processes (issue 15, part A).

``evalkit run`` and ``evalkit batch`` run as subprocesses of slow fixture templates; the
tests send SIGTERM, SIGINT or SIGKILL and check what is left: no process, no hidden folder,
no lock file, a complete ``batch.json``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from evalkit.run.batch import IDENTITY_FILE, run_batch

from .helpers_outputs import (
    FIX,
    cli,
    descendants,
    kill_started,
    one_line_error,
    popen,
    wait_dead,
    wait_for,
    write_plan,
)

SLOW = str(FIX / "slow.ipynb")


@pytest.fixture(autouse=True)
def _no_process_left():
    yield
    kill_started()


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_cleans_up_promptly(tmp_path, sig, code):
    proc = popen("run", SLOW, "-p", "count", "120", "--out", "a/b/out", "--no-progress",
                 cwd=tmp_path)
    wait_for(lambda: list((tmp_path / "a" / "b").glob(".out.tmp-*/report.ipynb")), proc=proc)
    time.sleep(1.0)  # inside the sleeping cell
    children = descendants(proc.pid)
    assert children, "the kernel should run"
    start = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 20
    assert proc.returncode == code
    assert one_line_error(err) == "evalkit: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # parents it created too
    assert wait_dead(children) == set()


def test_the_work_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path, monkeypatch):
    proc = popen("run", SLOW, "-p", "count", "120", "--out", "rep", "--no-progress",
                 cwd=tmp_path)
    wait_for(lambda: list(tmp_path.glob(".rep.tmp-*/report.ipynb")), proc=proc)
    children = descendants(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_dead(children) == set()  # the kernel notices its parent is gone
    assert [p.name[:9] for p in tmp_path.glob(".rep.tmp-*")] == [".rep.tmp-"]
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("run", str(FIX / "echo.ipynb"), "--out", "rep", "--no-progress")
    assert code == 0, err
    assert hidden(tmp_path) == []
    assert (tmp_path / "rep" / "results.json").is_file()


def test_a_second_run_on_the_same_out_is_refused_and_the_first_finishes(tmp_path):
    first = popen("run", SLOW, "-p", "count", "4", "--out", "rep", "--no-progress",
                  cwd=tmp_path)
    wait_for(lambda: list(tmp_path.glob(".rep.tmp-*")), proc=first)
    second = popen("run", str(FIX / "echo.ipynb"), "--out", "rep", "--no-progress",
                   cwd=tmp_path)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 2
    assert f"being written by another evalkit process (PID {first.pid}" in one_line_error(err)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    got = json.loads((tmp_path / "rep" / "results.json").read_text(encoding="utf-8"))
    assert got["parameters"]["count"] == 4
    assert hidden(tmp_path) == []


SLOW_PLAN = """
out: out
defaults: {template: slow.ipynb}
runs:
  - {name: r1, parameters: {count: 120}}
  - {name: r2, parameters: {count: 121}}
  - {name: r3, parameters: {count: 122}}
  - {name: r4, parameters: {count: 123}}
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_batch_stops_every_worker_and_cleans_up(tmp_path, sig, code):
    write_plan(tmp_path, SLOW_PLAN)
    out = tmp_path / "out"
    proc = popen("batch", "plan.yaml", "--workers", "2", "--no-progress", cwd=tmp_path)
    wait_for(lambda: len(list(out.glob(".r*.tmp-*/report.ipynb"))) == 2, proc=proc,
             timeout=90)
    time.sleep(1.0)
    children = descendants(proc.pid)
    assert len(children) >= 4  # two workers, two kernels
    start = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=90)
    assert time.monotonic() - start < 40  # not 4 x 2 minutes of queued runs
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "evalkit: interrupted"
    assert wait_dead(children) == set()
    assert hidden(out) == []
    assert hidden(tmp_path) == []
    record = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in record["runs"]] == ["r1", "r2", "r3", "r4"]
    assert {r["status"] for r in record["runs"]} == {"interrupted"}
    assert sorted(p.name for p in out.iterdir()) == ["batch.json"]


def test_a_killed_batch_leaves_no_worker_and_resumes_remembering_finished_runs(tmp_path):
    write_plan(tmp_path, """
out: out
defaults: {template: slow.ipynb}
runs:
  - {name: r1, parameters: {count: 0}}
  - {name: r2, parameters: {count: 6}}
  - {name: r3, parameters: {count: 7}}
""")
    out = tmp_path / "out"
    proc = popen("batch", "plan.yaml", "--workers", "1", "--no-progress", cwd=tmp_path)
    wait_for(lambda: (out / "r1" / IDENTITY_FILE).is_file()
             and list(out.glob(".r2.tmp-*/report.ipynb")), proc=proc, timeout=90)
    children = descendants(proc.pid)
    assert children
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert wait_dead(children) == set()  # the pool worker and its kernel
    record = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["status"]) for r in record["runs"]] == [
        ("r1", "done"), ("r2", "pending"), ("r3", "pending")]
    first_seconds = record["runs"][0]["seconds"]

    result = run_batch(tmp_path / "plan.yaml", workers=2, progress=False)
    runs = {r["name"]: r for r in result.records}
    assert [runs[n]["status"] for n in ("r1", "r2", "r3")] == ["skipped", "done", "done"]
    assert runs["r1"]["previous"]["status"] == "done"
    assert runs["r1"]["previous"]["seconds"] == pytest.approx(first_seconds, abs=1.0)
    assert runs["r1"]["previous"]["finished"]
    saved = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert saved["runs"][0]["previous"] == runs["r1"]["previous"]
    assert hidden(out) == []


def test_a_second_batch_on_the_same_plan_is_refused_naming_the_first(tmp_path):
    write_plan(tmp_path, SLOW_PLAN)
    out = tmp_path / "out"
    first = popen("batch", "plan.yaml", "--workers", "1", "--no-progress", cwd=tmp_path)
    try:
        wait_for(lambda: list(out.glob(".r1.tmp-*")), proc=first, timeout=90)
        second = popen("batch", "plan.yaml", "--workers", "1", "--no-progress",
                       cwd=tmp_path)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        line = one_line_error(err)
        assert f"batch out {out} is being written by another evalkit process" in line
        assert f"PID {first.pid}" in line
        assert list(out.glob(".r1.tmp-*"))  # the first batch's work is untouched
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=90)
    assert first.returncode == 143


def test_a_stopped_batch_with_a_run_timeout_stops_the_run_processes_too(tmp_path):
    write_plan(tmp_path, SLOW_PLAN)
    out = tmp_path / "out"
    proc = popen("batch", "plan.yaml", "--workers", "1", "--timeout", "600", "--no-progress",
                 cwd=tmp_path)
    wait_for(lambda: list(out.glob(".r1.tmp-*/report.ipynb")), proc=proc, timeout=90)
    time.sleep(1.0)
    children = descendants(proc.pid)
    assert len(children) >= 3  # worker, run process, kernel
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 143, err
    assert wait_dead(children) == set()
    assert hidden(out) == [] and sorted(p.name for p in out.iterdir()) == ["batch.json"]


def test_a_stopped_dask_batch_stops_its_local_cluster_and_cleans_up(tmp_path):
    pytest.importorskip("distributed")
    write_plan(tmp_path, SLOW_PLAN)
    out = tmp_path / "out"
    proc = popen("batch", "plan.yaml", "--scheduler", "local", "--workers", "2",
                 "--no-progress", cwd=tmp_path)
    wait_for(lambda: len(list(out.glob(".r*.tmp-*/report.ipynb"))) == 2, proc=proc,
             timeout=120)
    children = descendants(proc.pid)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=90)
    assert time.monotonic() - start < 40
    assert proc.returncode == 143
    assert err.strip().splitlines() == ["evalkit: interrupted"]
    assert wait_dead(children) == set()
    assert hidden(out) == [] and sorted(p.name for p in out.iterdir()) == ["batch.json"]
    record = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert {r["status"] for r in record["runs"]} == {"interrupted"}
