"""``evalkit batch``: run folders it may not replace, bounded plans, a complete batch.json,
and dask clusters that lose workers (issue 15, part A)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from evalkit.errors import RunError, TemplateParameterError
from evalkit.run import batch, safety
from evalkit.run.batch import load_plan, run_batch

from .helpers_outputs import FIX, cli, env, one_line_error, wait_for, write_plan
from .test_outputs import BOMB


def batch_json(out: Path) -> dict:
    return json.loads((out / "batch.json").read_text(encoding="utf-8"))


def logged_notebook(folder: Path) -> Path:
    """``logged.ipynb``: appends a line to ``log`` each time it runs, sleeps ``count`` s."""
    nb = nbformat.read(FIX / "echo.ipynb", as_version=4)
    nb.cells = [
        nbformat.v4.new_code_cell('name: str = "x"  # a text\ncount: int = 0  # seconds\n'
                                  'log: str = ""  # absolute log file',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            'import json, time\nwith open(log, "a") as handle:\n    handle.write(name + "\\n")\n'
            'time.sleep(count)\nwith open("results.json", "w") as handle:\n'
            '    json.dump({"schema": "evalkit.results/1", "template": "logged", '
            '"estimates": [], "parameters": {"name": name}}, handle)')]
    path = folder / "logged.ipynb"
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- run folders


def test_a_run_named_like_the_data_folder_never_deletes_it(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "city.csv").write_text("month,count\n2024-01,1\n")
    plan = write_plan(tmp_path, "out: .\ndefaults: {template: echo.ipynb}\n"
                                "runs: [{name: data}, {name: other}]\n")
    with pytest.raises(TemplateParameterError,
                       match=r"run folder .*/data exists and was not written by evalkit"):
        run_batch(plan, progress=False)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["city.csv"]
    assert not (tmp_path / "other").exists()


def test_a_run_folder_that_is_a_symlink_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_text("x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a").symlink_to(tmp_path / "elsewhere")
    plan = write_plan(tmp_path, "out: out\nruns: [{name: a, template: echo.ipynb}]\n")
    with pytest.raises(TemplateParameterError, match="is a symbolic link"):
        run_batch(plan, progress=False)
    assert (tmp_path / "elsewhere" / "keep.txt").read_text() == "x"


def test_a_run_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a").write_text("mine")
    plan = write_plan(tmp_path, "out: out\nruns: [{name: a, template: echo.ipynb}]\n")
    with pytest.raises(TemplateParameterError, match="is a file, not a report folder"):
        run_batch(plan, progress=False)
    assert (tmp_path / "out" / "a").read_text() == "mine"


def test_a_run_folder_holding_a_data_file_is_refused(tmp_path):
    (tmp_path / "out" / "b").mkdir(parents=True)
    (tmp_path / "out" / "b" / safety.MARKER).write_text("{}")  # even an evalkit folder
    (tmp_path / "out" / "b" / "city.csv").write_text("month,count\n2024-01,1\n")
    plan = write_plan(tmp_path, "out: out\nruns:\n  - {name: b, template: echo.ipynb}\n"
                                "  - {name: c, template: echo.ipynb, data: out/b/city.csv}\n")
    with pytest.raises(TemplateParameterError, match=r"is or holds the input .*city.csv"):
        run_batch(load_plan(plan), progress=False)


def test_a_batch_out_that_is_a_file_is_one_line_exit_2(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    write_plan(tmp_path, "out: out\nruns: [{name: a, template: echo.ipynb}]\n")
    code, _, err = cli("batch", str(tmp_path / "plan.yaml"), "--no-progress")
    assert code == 2 and "`out` " in one_line_error(err) and "is a file, not a folder" in err
    assert (tmp_path / "out").read_text() == "not a folder"


def test_a_batch_out_inside_a_file_is_one_line_exit_2(tmp_path):
    (tmp_path / "f").write_text("x")
    write_plan(tmp_path, "out: f/out\nruns: [{name: a, template: echo.ipynb}]\n")
    code, _, err = cli("batch", str(tmp_path / "plan.yaml"), "--no-progress")
    assert code == 2 and "cannot create `out`" in one_line_error(err)


def test_stale_work_folders_are_removed_only_when_ours_and_dead(tmp_path):
    plan = write_plan(tmp_path, "out: out\nruns: [{name: a, template: echo.ipynb}]\n")
    (tmp_path / "out").mkdir()
    dead = tmp_path / "out" / ".a.tmp-dead"
    dead.mkdir()
    (dead / safety.MARKER).write_text(json.dumps({"pid": 2**22 + 4321}))
    foreign = tmp_path / "out" / ".a.tmp-foreign"
    foreign.mkdir()
    result = run_batch(plan, progress=False)
    assert result.exit_code == 0
    assert not dead.exists() and foreign.exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".a.tmp-foreign", "a", "batch.json"]  # no lock file is left either


# --------------------------------------------------------------------------- plans


def test_a_yaml_alias_bomb_plan_is_refused_at_once(tmp_path):
    (tmp_path / "plan.yaml").write_text("out: out\n" + BOMB, encoding="utf-8")
    start = time.monotonic()
    code, _, err = cli("batch", str(tmp_path / "plan.yaml"), "--no-progress")
    assert time.monotonic() - start < 1.0
    assert code == 2 and "aliases (*name) are not allowed" in one_line_error(err)


@pytest.mark.parametrize(("setup", "match"), [
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: p.write_bytes(b"out: r\xe9sultats\n"), "is not UTF-8 text"),
    (lambda p: p.write_text("out: out\n# " + "x" * 1_100_000 + "\n"), "larger than 1 MB"),
])
def test_unreadable_plans_are_one_line_exit_2(tmp_path, setup, match):
    setup(tmp_path / "plan.yaml")
    code, _, err = cli("batch", str(tmp_path / "plan.yaml"), "--no-progress")
    assert code == 2 and match in one_line_error(err)


def test_grid_values_that_make_long_names_are_shortened_with_a_hash(tmp_path):
    long_a, long_b = "a" * 150, "b" * 150
    plan = load_plan(write_plan(tmp_path, f"""
out: out
defaults: {{template: echo.ipynb}}
grid:
  parameters: {{name: ["{long_a}", "{long_a}x"], items: [["{long_b}"]]}}
"""))
    names = [r.name for r in plan.runs]
    assert len(set(names)) == 2 and all(len(n) <= 80 for n in names)
    assert all(n.startswith("aaaa") for n in names)
    result = run_batch(plan, workers=1, progress=False)
    assert result.exit_code == 0
    assert (tmp_path / "out" / names[0] / "results.json").is_file()


def test_an_explicit_run_name_that_is_too_long_is_refused(tmp_path):
    with pytest.raises(TemplateParameterError, match="at most 80 letters"):
        load_plan(write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\n"
                                       f"runs: [{{name: {'n' * 120}}}]\n"))


def test_text_parameters_of_a_plan_are_never_probed_as_paths(tmp_path):
    paragraph = "patrols " * 40 + "and/or wardens"  # probed as a path: ENAMETOOLONG
    plan = load_plan(write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\nruns: "
                                          f"[{{name: a, parameters: {{name: '{paragraph}'}}}}]\n"))
    assert plan.runs[0].parameters["name"] == paragraph


# --------------------------------------------------------------------------- batch.json


def test_batch_json_lists_every_run_from_the_start_and_after_an_interruption(tmp_path,
                                                                             monkeypatch):
    plan = write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\n"
                                "runs: [{name: a}, {name: b}]\n")
    seen = {}

    def interrupted(tasks, records, save, *args):
        seen.update(batch_json(tmp_path / "out"))
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "_run_tasks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_batch(plan, progress=False)
    assert [(r["name"], r["status"]) for r in seen["runs"]] == [("a", "pending"),
                                                                 ("b", "pending")]
    after = batch_json(tmp_path / "out")
    assert [(r["name"], r["status"]) for r in after["runs"]] == [("a", "interrupted"),
                                                                  ("b", "interrupted")]
    assert not (tmp_path / "out" / batch.BATCH_LOCK).exists()


def test_an_executor_failure_marks_the_runs_that_did_not_run(tmp_path, monkeypatch):
    plan = write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\n"
                                "runs: [{name: a}]\n")

    def lost(*args):
        raise RunError("the dask cluster has had no worker")

    monkeypatch.setattr(batch, "_run_tasks", lost)
    with pytest.raises(RunError, match="the dask cluster has had no worker"):
        run_batch(plan, progress=False)
    run = batch_json(tmp_path / "out")["runs"][0]
    assert run["status"] == "failed" and run["message"].startswith("not run: the dask")


def test_a_resumed_batch_remembers_the_status_and_time_of_finished_runs(tmp_path):
    plan = write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\n"
                                "runs: [{name: a}]\n")
    first = run_batch(plan, progress=False).records[0]
    again = run_batch(plan, progress=False).records[0]
    assert again["status"] == "skipped"
    assert again["previous"]["status"] == "done"
    assert again["previous"]["seconds"] == pytest.approx(first["seconds"], abs=0.5)
    assert batch_json(tmp_path / "out")["runs"][0]["previous"] == again["previous"]


def test_a_task_whose_folder_holds_its_identity_is_not_executed_again(tmp_path):
    plan = write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\n"
                                "runs: [{name: a}]\n")
    record = run_batch(plan, progress=False).records[0]
    results = tmp_path / "out" / "a" / "results.json"
    stamp = results.stat().st_mtime_ns
    again = batch._run_task({"name": "a", "identity": record["identity"],
                             "template": "nonexistent-template", "data": None,
                             "parameters": {}, "out": str(tmp_path / "out" / "a"),
                             "timeout": None})
    assert again["status"] == "done" and again["message"] == "finished by an earlier attempt"
    assert results.stat().st_mtime_ns == stamp


# --------------------------------------------------------------------------- dask


@pytest.fixture
def scheduler():
    """A dask scheduler with no worker of its own (workers are real processes)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                       dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close(timeout=30)


def start_worker(address: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                             "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_a_lost_dask_worker_never_reruns_a_finished_run(tmp_path, scheduler):
    logged_notebook(tmp_path)
    log = tmp_path / "runs.log"
    plan = write_plan(tmp_path, f"""
out: out
defaults: {{template: logged.ipynb, parameters: {{log: {log}}}}}
runs:
  - {{name: r1, parameters: {{name: r1}}}}
  - {{name: r2, parameters: {{name: r2, count: 8}}}}
""")
    out = tmp_path / "out"
    workers = [start_worker(scheduler)]

    def kill_the_worker_then_replace_it() -> None:
        wait_for(lambda: (out / "batch.json").is_file() and batch_json(out)["runs"][0][
            "status"] == "done" and list(out.glob(".r2.tmp-*/report.ipynb")), timeout=120)
        stop(workers[0])
        workers.append(start_worker(scheduler))

    killer = threading.Thread(target=kill_the_worker_then_replace_it, daemon=True)
    killer.start()
    try:
        result = run_batch(plan, scheduler=scheduler, progress=False)
    finally:
        killer.join(timeout=150)
        for proc in workers:
            stop(proc)
    assert [r["status"] for r in result.records] == ["done", "done"]
    lines = log.read_text().split()
    assert lines.count("r1") == 1  # executed once, although its worker was lost
    assert lines.count("r2") in (1, 2)  # lost while running (maybe before its cell): again
    assert sorted(p.name for p in out.iterdir()) == ["batch.json", "r1", "r2"]


def test_a_dask_cluster_without_workers_is_reported_within_the_timeout(tmp_path, scheduler):
    plan = write_plan(tmp_path, "out: out\ndefaults: {template: slow.ipynb}\n"
                                "runs: [{name: r1, parameters: {count: 120}}]\n")
    out = tmp_path / "out"
    worker = start_worker(scheduler)

    def kill_the_worker() -> None:
        wait_for(lambda: list(out.glob(".r1.tmp-*/report.ipynb")), timeout=120)
        stop(worker)

    killer = threading.Thread(target=kill_the_worker, daemon=True)
    killer.start()
    start = time.monotonic()
    try:
        with pytest.raises(RunError, match="has had no worker for 3 s; 1 run"):
            run_batch(plan, scheduler=scheduler, progress=False, no_worker_timeout=3)
    finally:
        killer.join(timeout=150)
        stop(worker)
    assert time.monotonic() - start < 90
    run = batch_json(out)["runs"][0]
    assert run["status"] == "failed" and "no worker" in run["message"]


def test_a_full_disk_while_writing_batch_json_is_one_line_exit_1(tmp_path, monkeypatch):
    import errno
    import tempfile

    write_plan(tmp_path, "out: out\ndefaults: {template: echo.ipynb}\nruns: [{name: a}]\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkstemp", full)
    code, _, err = cli("batch", str(tmp_path / "plan.yaml"), "--no-progress")
    assert code == 1
    assert "batch.json: No space left on device" in one_line_error(err)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
