"""``evalkit batch``: plans, resumable runs, failure isolation, dask, kill-and-resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability.helpers_outputs import write_plan  # tests/ is on sys.path

from evalkit.errors import TemplateParameterError
from evalkit.run.batch import IDENTITY_FILE, load_plan, run_batch

PLAN = """
out: reports
defaults:
  template: echo.ipynb
  parameters: {ratio: 0.25, items: [a, b]}
runs:
  - {name: first, parameters: {name: one}}
  - {name: second, parameters: {name: two, count: 2}}
grid:
  parameters: {name: [burglary], flag: [true, false]}
"""


def batch_json(out: Path) -> dict:
    return json.loads((out / "batch.json").read_text(encoding="utf-8"))


def test_plan_runs_then_skips_then_reruns_only_what_changed(tmp_path, capsys):
    plan_path = write_plan(tmp_path, PLAN)
    plan = load_plan(plan_path)
    names = [r.name for r in plan.runs]
    assert names == ["first", "second", "burglary_true", "burglary_false"]
    assert plan.out == tmp_path / "reports"

    result = run_batch(plan, workers=2, progress=False)
    assert result.exit_code == 0
    assert [r["status"] for r in result.records] == ["done"] * 4
    record = batch_json(plan.out)
    assert [r["name"] for r in record["runs"]] == names
    for run in record["runs"]:
        assert set(run) == {"name", "identity", "status", "seconds", "message"}
        assert len(run["identity"]) == 64 and run["status"] == "done"
        folder = plan.out / run["name"]
        assert {"report.html", "report.ipynb", "results.json", IDENTITY_FILE} <= {
            p.name for p in folder.iterdir()}
    second = json.loads((plan.out / "second" / "results.json").read_text())
    assert second["parameters"] == {"name": "two", "count": 2, "ratio": 0.25, "flag": False,
                                    "items": ["a", "b"]}
    assert "4 done, 0 skipped, 0 failed" in capsys.readouterr().out

    again = run_batch(plan_path, workers=2, progress=False)
    assert [r["status"] for r in again.records] == ["skipped"] * 4
    assert [r["identity"] for r in again.records] == [r["identity"] for r in result.records]

    plan_path.write_text(PLAN.replace("name: two, count: 2", "name: two, count: 3"))
    third = run_batch(plan_path, workers=2, progress=False)
    assert [r["status"] for r in third.records] == ["skipped", "done", "skipped", "skipped"]
    assert json.loads((plan.out / "second" / "results.json").read_text())[
        "parameters"]["count"] == 3
    assert batch_json(plan.out)["runs"][1]["status"] == "done"


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path):
    plan_path = write_plan(tmp_path, """
out: out
defaults: {template: echo.ipynb}
runs:
  - {name: good}
  - {name: bad, template: fails.ipynb}
  - {name: also_good, parameters: {count: 5}}
""")
    result = run_batch(plan_path, workers=2, progress=False)
    assert result.exit_code == 1
    status = {r["name"]: r for r in result.records}
    assert status["good"]["status"] == status["also_good"]["status"] == "done"
    assert status["bad"]["status"] == "failed"
    assert "boom in the fixture" in status["bad"]["message"]
    assert not (tmp_path / "out" / "bad").exists()
    assert batch_json(tmp_path / "out")["runs"][1]["status"] == "failed"
    assert not list((tmp_path / "out").glob(".*tmp-*"))


def test_a_run_over_its_time_limit_fails_with_timed_out(tmp_path):
    plan_path = write_plan(tmp_path, """
out: out
defaults: {template: slow.ipynb}
runs:
  - {name: quick, parameters: {count: 0}}
  - {name: sleepy, parameters: {count: 600}}
""")
    # 30 s: a quick run (kernel start included) must finish even on a loaded 2-core machine
    result = run_batch(plan_path, workers=2, timeout=30, progress=False)
    status = {r["name"]: r for r in result.records}
    assert status["quick"]["status"] == "done"
    assert status["sleepy"]["status"] == "failed"
    assert "timed out" in status["sleepy"]["message"]
    assert status["sleepy"]["seconds"] < 60
    assert not (tmp_path / "out" / "sleepy").exists()
    assert result.exit_code == 1


def test_dask_local_cluster_runs_the_same_plan(tmp_path):
    pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                              "(pip install evalkit[dask])")
    plan_path = write_plan(tmp_path, PLAN)
    result = run_batch(plan_path, workers=2, scheduler="local", progress=False)
    assert result.exit_code == 0
    assert [r["status"] for r in result.records] == ["done"] * 4
    for r in result.records:
        assert (tmp_path / "reports" / r["name"] / "results.json").is_file()
    # a resumed local-pool batch recognises the dask runs
    again = run_batch(plan_path, workers=1, progress=False)
    assert [r["status"] for r in again.records] == ["skipped"] * 4


def test_killed_batch_resumes_without_duplicates_or_leftovers(tmp_path):
    plan_path = write_plan(tmp_path, """
out: out
defaults: {template: slow.ipynb}
runs:
  - {name: r1, parameters: {count: 0}}
  - {name: r2, parameters: {count: 3}}
  - {name: r3, parameters: {count: 1}}
""")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "evalkit.run.batch", str(plan_path),
                             "--workers", "1", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / "r1" / IDENTITY_FILE).is_file() and time.monotonic() < deadline:
        assert proc.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.1)
    assert (out / "r1" / IDENTITY_FILE).is_file()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (out / "r3").exists()

    result = run_batch(plan_path, workers=2, progress=False)
    status = {r["name"]: r["status"] for r in result.records}
    assert status["r1"] == "skipped"
    assert status["r3"] == "done"
    assert status["r2"] in ("done", "skipped")
    assert sorted(p.name for p in out.iterdir()) == ["batch.json", "r1", "r2", "r3"]
    for name in ("r1", "r2", "r3"):
        results = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        assert results["schema"] == "evalkit.results/1"
    assert not list(out.glob("*.tmp-*"))


def test_cli_module_exit_code_2_on_a_plan_error(tmp_path):
    plan_path = write_plan(tmp_path, "out: out\nruns: []\n")
    proc = subprocess.run([sys.executable, "-m", "evalkit.run.batch", str(plan_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no runs" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("text", "match"), [
    ("out: [unclosed\n", "not valid YAML"),
    ("out: out\n", "no runs"),
    ("out: out\nruns: []\ngrid: null\n", "no runs"),
    ("runs: [{name: a, template: echo.ipynb}]\n", "`out`"),
    ("out: out\nrunz: []\n", r"unknown key\(s\) 'runz' in the plan\. Valid keys: out, "
                             r"defaults, runs, grid"),
    ("out: out\nruns: [{name: a, template: echo.ipynb, params: {}}]\n",
     r"unknown key\(s\) 'params' in run 1\. Valid keys: name, template, data, parameters"),
    ("out: out\ndefaults: {templat: echo}\nruns: [{name: a}]\n", r"'templat' in defaults"),
    ("out: out\nruns: [{name: a}]\n", "run 'a' has no template"),
    ("out: out\ndefaults: {template: echo.ipynb}\nruns: [{name: a}, {name: a}]\n",
     "duplicate run name 'a'"),
    ("out: out\ndefaults: {template: echo.ipynb}\nruns: [{name: ../a}]\n",
     "not a safe folder name"),
    ("out: out\ndefaults: {template: echo.ipynb}\ngrid: {parameters: {name: x}}\n",
     "non-empty list"),
])
def test_plan_errors_are_clear(tmp_path, text, match):
    with pytest.raises(TemplateParameterError, match=match):
        load_plan(write_plan(tmp_path, text))


def test_missing_plan_file(tmp_path):
    with pytest.raises(TemplateParameterError, match="batch plan not found"):
        load_plan(tmp_path / "nope.yaml")


def test_grid_names_are_safe_and_unique_and_paths_relative_to_the_plan(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "lookup.csv").write_text("a\n1\n")
    plan = load_plan(write_plan(tmp_path, """
out: ../elsewhere
defaults: {template: echo.ipynb, data: sub/lookup.csv}
runs: [{name: a_b}]
grid:
  parameters: {name: ["a/b", "a b", sub/lookup.csv]}
"""))
    assert plan.out == (tmp_path.parent / "elsewhere").resolve()
    assert [r.name for r in plan.runs] == ["a_b", "a_b_2", "a_b_3", "sub_lookup.csv"]
    assert all(r.data == tmp_path / "sub" / "lookup.csv" for r in plan.runs)
    assert plan.runs[0].template == str(tmp_path / "echo.ipynb")
    # ``name`` is text, not a declared file parameter: kept as written (issue 15)
    assert plan.runs[-1].parameters["name"] == "sub/lookup.csv"


def test_unknown_parameter_stops_the_batch_before_any_run(tmp_path):
    plan_path = write_plan(tmp_path, """
out: out
defaults: {template: echo.ipynb}
runs: [{name: ok}, {name: typo, parameters: {cuont: 2}}]
""")
    with pytest.raises(TemplateParameterError, match=r"run 'typo'.*no parameter 'cuont'"):
        run_batch(plan_path, progress=False)
    assert not (tmp_path / "out" / "ok").exists()
