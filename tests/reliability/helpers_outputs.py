"""Shared helpers of the output, signal and batch reliability tests (issue 15, part A).

Not a conftest: another engineer adds modules to ``tests/reliability``.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).parents[2]
FIX = ROOT / "tests" / "templates" / "fixtures"

#: parameters cell of the ``files`` notebook: two declared file parameters and plain text
_FILES_PARAMS = '''data: str = ""  # data file
survey: str = ""  # survey file
note: str = ""  # a text
count: int = 0  # seconds to sleep
log: str = ""  # absolute file to which each execution appends a line'''

_FILES_BODY = '''import json
import time

if log:
    with open(log, "a") as handle:
        handle.write("ran\\n")
time.sleep(count)
with open("results.json", "w") as handle:
    json.dump({"schema": "evalkit.results/1", "template": "files", "estimates": [],
               "parameters": {"data": data, "survey": survey, "note": note}}, handle)'''


def files_notebook(folder: Path) -> Path:
    """Write ``files.ipynb`` (data, survey, note, count, log) into ``folder``."""
    nb = nbformat.read(FIX / "echo.ipynb", as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(_FILES_PARAMS, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(_FILES_BODY)]
    path = folder / "files.ipynb"
    nbformat.write(nb, path)
    return path


def cli(*args: str) -> tuple[int, str, str]:
    """``evalkit ARGS`` in this process: (exit code, stdout, stderr); SIGTERM restored."""
    from evalkit.run.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        signal.signal(signal.SIGTERM, handler)
    return code, out.getvalue(), err.getvalue()


def one_line_error(err: str) -> str:
    """The single line of an error message (no traceback)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def env() -> dict[str, str]:
    """The environment of an evalkit subprocess: this checkout first on the path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


#: processes started by :func:`popen`, killed by :func:`kill_started` after each test
STARTED: list[subprocess.Popen] = []


def kill_started() -> None:
    """SIGKILL what a failed test left running (its workers die with it: PDEATHSIG)."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)


def popen(*args: str, cwd: Path) -> subprocess.Popen:
    """``python -m evalkit ARGS`` in its own session, stdout and stderr captured."""
    proc = subprocess.Popen([sys.executable, "-m", "evalkit", *args], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    STARTED.append(proc)
    return proc


def wait_for(condition, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` or if ``proc`` ended."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended early ({proc.returncode}): "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def descendants(pid: int) -> set[int]:
    """Every live process whose parent chain leads to ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_dead(pids: set[int], timeout: float = 20.0) -> set[int]:
    """The PIDs of ``pids`` still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return {p for p in pids if alive(p)}


def write_plan(folder: Path, text: str) -> Path:
    """Copy the fixture notebooks beside ``plan.yaml`` holding ``text``."""
    import shutil

    for name in ("echo", "fails", "slow"):
        shutil.copy(FIX / f"{name}.ipynb", folder / f"{name}.ipynb")
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path
