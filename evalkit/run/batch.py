"""Many template runs from one plan file: ``evalkit batch PLAN.yaml`` (DESIGN.md §4).

A plan names an output folder, defaults merged under every run, explicit ``runs`` and/or a
``grid`` of parameter values (one run per combination). Each run writes
``out/<name>/{report.html,report.ipynb,results.json}`` through
:func:`evalkit.run.execute.run_template` (whole or not at all) and then records its identity
in ``out/<name>/.evalkit-run.json``. A later batch skips every run whose identity is unchanged,
so a batch that was interrupted resumes where it stopped. One failing run never stops the
others; ``out/batch.json`` records every run and the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit._atomic import atomic_path
from evalkit._version import __version__
from evalkit.errors import EvalkitError, RunError, SpecError, TemplateParameterError

__all__ = ["BatchResult", "Plan", "RunSpec", "format_summary", "load_plan", "main",
           "run_batch", "run_identity"]

#: file written inside each finished run folder, holding the run's identity
IDENTITY_FILE = ".evalkit-run.json"
#: lock held inside the batch's ``out`` while a batch writes there
BATCH_LOCK = ".evalkit-batch.lock"
_PLAN_KEYS = ("out", "defaults", "runs", "grid")
_DEFAULT_KEYS = ("template", "data", "parameters")
_RUN_KEYS = ("name", "template", "data", "parameters")
_GRID_KEYS = ("parameters",)


@dataclass(frozen=True)
class RunSpec:
    """One run of a plan, with paths already made absolute.

    Attributes
    ----------
    name : str
        Folder name of the run inside the plan's ``out``.
    template : str
        Template name or absolute ``.ipynb`` path.
    data : Path or None
        Data file (None: the template's default).
    parameters : dict
        Parameter values (defaults merged under the run's own).
    """

    name: str
    template: str
    data: Path | None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A parsed batch plan.

    Attributes
    ----------
    path : Path
        The plan file.
    out : Path
        Folder holding one sub-folder per run and ``batch.json``.
    runs : tuple of RunSpec
    """

    path: Path
    out: Path
    runs: tuple[RunSpec, ...]


@dataclass(frozen=True)
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    records : list of dict
        One record per run: ``name``, ``identity``, ``status`` (``done``, ``skipped`` or
        ``failed``), ``seconds``, ``message``.
    out : Path
        The batch output folder (``batch.json`` is inside).
    """

    records: list[dict[str, Any]]
    out: Path

    @property
    def exit_code(self) -> int:
        """1 if any run failed, else 0."""
        return 1 if any(r["status"] == "failed" for r in self.records) else 0


# --------------------------------------------------------------------------- plan


def _fail(path: Path, message: str) -> TemplateParameterError:
    return TemplateParameterError(f"batch plan {path}: {message}")


def _check_keys(path: Path, where: str, value: Any, allowed: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, f"{where} must be a mapping with keys {', '.join(allowed)}; "
                          f"got {type(value).__name__}.")
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(map(repr, unknown))} in {where}. "
                          f"Valid keys: {', '.join(allowed)}.")
    return dict(value)


def _safe_name(text: str, limit: int | None = 100) -> str:
    """A folder name made of letters, digits, ``.``, ``_`` and ``-`` only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:limit]


#: longest run folder name: the hidden work and lock names beside it add ~20 characters
#: and most file systems allow 255 bytes
_MAX_NAME = 80


def _bounded(label: str) -> str:
    """``label`` itself, or its start and a hash of the whole when it is too long."""
    if len(label) <= _MAX_NAME:
        return label
    digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:12]
    return f"{label[:_MAX_NAME - 13].rstrip('._-')}-{digest}"


def _value_label(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "-".join(_value_label(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _relative_file(value: Any, base: Path) -> Any:
    """Make a relative file name (from ``base``) absolute if that file exists."""
    if isinstance(value, list):
        return [_relative_file(v, base) for v in value]
    if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        candidate = base / Path(value).expanduser()
        with contextlib.suppress(OSError):  # too long, a loop...: the template says so
            if candidate.is_file():
                return str(candidate.resolve())
    return value


def _parameters(path: Path, where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(path, f"{where}.parameters must be a mapping of name: value; "
                          f"got {type(value).__name__}.")
    from evalkit.run.execute import PATH_PARAMETERS

    return {str(k): _relative_file(v, path.parent) if k in PATH_PARAMETERS else v
            for k, v in value.items()}


def _template(path: Path, value: Any) -> str:
    text = str(value)
    if text.endswith(".ipynb") and not Path(text).expanduser().is_absolute():
        return str((path.parent / Path(text).expanduser()).resolve())
    return text


def _data(path: Path, value: Any) -> Path | None:
    if value is None:
        return None
    return (path.parent / Path(str(value)).expanduser()).resolve()


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read and check a batch plan.

    Parameters
    ----------
    path : str or PathLike
        YAML file with ``out``, ``defaults``, ``runs`` and/or ``grid`` (DESIGN.md §4).
        Relative paths (``out``, ``data``, ``.ipynb`` templates, text parameters naming
        existing files) are relative to the plan file.

    Returns
    -------
    Plan

    Raises
    ------
    TemplateParameterError
        Missing file, invalid YAML, unknown keys, no runs, duplicate names, a run without a
        template.
    """
    from evalkit.run.safety import load_yaml

    plan_path = Path(path).expanduser().resolve()
    raw = load_yaml(plan_path, what="batch plan")
    if raw is None:
        raise _fail(plan_path, "the file is empty; it needs `out` and `runs` and/or `grid`.")
    plan = _check_keys(plan_path, "the plan", raw, _PLAN_KEYS)
    if plan.get("out") in (None, ""):
        raise _fail(plan_path, "`out` (the output folder) is missing.")
    out = (plan_path.parent / Path(str(plan["out"])).expanduser()).resolve()
    defaults = _check_keys(plan_path, "defaults", plan.get("defaults") or {}, _DEFAULT_KEYS)
    base_params = _parameters(plan_path, "defaults", defaults.get("parameters"))

    entries: list[tuple[str, dict[str, Any], bool]] = []  # (name, run, explicit)
    runs = plan.get("runs") or []
    if not isinstance(runs, list):
        raise _fail(plan_path, "`runs` must be a list of {name, template, data, parameters}.")
    for i, run in enumerate(runs, 1):
        run = _check_keys(plan_path, f"run {i}", run, _RUN_KEYS)
        if run.get("name") in (None, ""):
            raise _fail(plan_path, f"run {i} has no `name`.")
        entries.append((str(run["name"]), run, True))
    if plan.get("grid") is not None:
        grid = _check_keys(plan_path, "grid", plan["grid"], _GRID_KEYS)
        axes = grid.get("parameters") or {}
        if not isinstance(axes, Mapping) or not axes:
            raise _fail(plan_path, "grid.parameters must map parameter names to lists of "
                                   "values, e.g. {outcome: [burglary, robbery]}.")
        for name, values in axes.items():
            if not isinstance(values, list) or not values:
                raise _fail(plan_path, f"grid parameter {name!r} must be a non-empty list "
                                       f"of values; got {values!r}.")
        for combo in itertools.product(*axes.values()):
            params = dict(zip(axes, combo, strict=True))
            # whole values in the hash: two long values with one start stay apart
            label = _bounded("_".join(_safe_name(_value_label(v), None) or "x"
                                      for v in combo))
            entries.append((label, {"parameters": params}, False))
    if not entries:
        raise _fail(plan_path, "no runs: add a `runs` list and/or a `grid`.")

    specs: list[RunSpec] = []
    taken: set[str] = set()
    for name, run, explicit in entries:
        if explicit:
            safe = _safe_name(name)
            if safe != name or len(name) > _MAX_NAME:
                safe = _bounded(safe)
                raise _fail(plan_path, f"run name {name!r} is not a safe folder name; use "
                                       f"at most {_MAX_NAME} letters, digits, '.', '_' and '-' "
                                       f"(e.g. {safe!r}).")
            if name in taken:
                raise _fail(plan_path, f"duplicate run name {name!r}; run names must be "
                                       "unique (each is a folder).")
        else:
            base, k = name, 2
            while name in taken:
                name, k = _bounded(f"{base}_{k}"), k + 1
        taken.add(name)
        template = run.get("template", defaults.get("template"))
        if template in (None, ""):
            raise _fail(plan_path, f"run {name!r} has no template; set `template` in the "
                                   "run or in `defaults`.")
        data = run["data"] if "data" in run else defaults.get("data")
        params = {**base_params, **_parameters(plan_path, f"run {name!r}",
                                               run.get("parameters"))}
        specs.append(RunSpec(name, _template(plan_path, template), _data(plan_path, data),
                             params))
    return Plan(plan_path, out, tuple(specs))


# --------------------------------------------------------------------------- identity


def run_identity(run: RunSpec) -> str:
    """The sha256 identifying a run's inputs.

    It hashes the template name (and the notebook's own sha256), the resolved parameters as
    canonical JSON, the data file's sha256 and the evalkit version: a run whose identity is
    unchanged would produce the same report.

    Raises
    ------
    TemplateParameterError, DataError
        Unknown template or parameter, wrong type, missing data file (the message names the
        run).
    """
    from evalkit.data.io import data_fingerprint
    from evalkit.run.templates import load_template, resolve_parameters

    try:
        tpl = load_template(run.template)
        values = resolve_parameters(tpl, given=run.parameters)
        data_sha = data_fingerprint(run.data) if run.data is not None else None
    except EvalkitError as exc:
        raise type(exc)(f"run {run.name!r}: {exc}") from None
    if data_sha is not None:
        values.pop("data", None)
    payload = {
        "template": tpl.name,
        "template_sha256": hashlib.sha256(tpl.path.read_bytes()).hexdigest(),
        "parameters": values,
        "data_sha256": data_sha,
        "evalkit_version": __version__,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _recorded_identity(folder: Path, *, details: bool = False) -> Any:
    """The identity recorded in a finished run folder (with ``details``: the whole file)."""
    try:
        if not (folder / "results.json").is_file():
            return None
        recorded = json.loads((folder / IDENTITY_FILE).read_text(encoding="utf-8"))
        return recorded if details and isinstance(recorded, dict) else recorded["identity"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temporary file in the same folder, then rename).

    Raises
    ------
    RunError
        The file cannot be written (a full disk...): one line, exit code 1.
    """
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}.") from None


# --------------------------------------------------------------------------- one run


class _Timeout(BaseException):
    """Raised by the alarm inside a run that exceeded its time limit.

    A BaseException, so that no ``except Exception`` on the way swallows it.
    """


def _execute(task: Mapping[str, Any]) -> None:
    """Run one task in this process: run_template, then the identity file."""
    from evalkit.run.execute import run_template

    out = Path(task["out"])
    os.environ["EVALKIT_PROGRESS"] = "0"  # unattended: the batch shows one bar over runs
    start = time.monotonic()
    run_template(task["template"], out=out, data=task["data"], parameters=task["parameters"],
                 overwrite=True, progress=False)
    _write_json(out / IDENTITY_FILE, {"identity": task["identity"], "name": task["name"],
                                      "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                      "seconds": round(time.monotonic() - start, 3)})


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, EvalkitError) else f"{type(exc).__name__}: {exc}"


#: True while a worker process runs a task (its SIGTERM handler cleans up, then exits)
_BUSY = False


def _worker_init() -> None:
    """Set up a pool worker: its own process group, gone with the batch, SIGTERM cleans up.

    In its own process group a worker does not receive the terminal's Ctrl-C: the batch
    decides what to stop. ``PR_SET_PDEATHSIG`` kills it if the batch is killed outright.
    """
    import signal

    from evalkit.run.safety import raise_terminated, set_parent_death_signal

    os.setpgid(0, 0)
    set_parent_death_signal()

    def _on_term(signum: int, frame: Any) -> None:
        if _BUSY:
            raise_terminated(signum, frame)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Execute one run and return its record (never raises: failures are recorded).

    Without a timeout the run happens in the calling worker. With one, it runs in a child
    Python process that stops itself with an alarm (so papermill shuts its kernel down) and
    is killed outright if it does not. A run whose folder already holds its identity (dask
    re-running the task of a lost worker) is not executed again.
    """
    global _BUSY
    start = time.monotonic()
    status, message = "done", ""
    timeout = task.get("timeout")
    done = _recorded_identity(Path(task["out"]), details=True)
    if done is not None and done.get("identity") == task["identity"]:
        return {"name": task["name"], "identity": task["identity"], "status": "done",
                "seconds": float(done.get("seconds") or 0.0),
                "message": "finished by an earlier attempt"}
    _BUSY = True
    try:
        if timeout is None:
            _execute(task)
        else:
            status, message = _run_child(task, float(timeout))
    except KeyboardInterrupt:
        if multiprocessing_child():
            os._exit(143)  # cleaned up on the way here; the batch records the run
        raise
    except Exception as exc:
        status, message = "failed", _message(exc)
    finally:
        _BUSY = False
    return {"name": task["name"], "identity": task["identity"], "status": status,
            "seconds": round(time.monotonic() - start, 3), "message": message}


def multiprocessing_child() -> bool:
    """True in a process-pool worker (its parent is the batch)."""
    import multiprocessing

    return multiprocessing.parent_process() is not None


def _run_child(task: Mapping[str, Any], timeout: float) -> tuple[str, str]:
    timed_out = ("failed", f"timed out after {timeout:g} s")
    proc = subprocess.Popen([sys.executable, "-c",
                             "from evalkit.run.batch import _child; _child()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        stdout, _ = proc.communicate(json.dumps(dict(task)), timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        return timed_out
    finally:
        if proc.poll() is None:  # interrupted: the child cleans up on SIGTERM
            _stop_group(proc)
    try:
        answer = json.loads(stdout.strip().splitlines()[-1])
        return answer["status"], answer["message"]
    except (ValueError, IndexError, KeyError):
        return "failed", f"run process ended with code {proc.returncode} and no answer"


def _stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL it after ``grace`` seconds."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _child() -> None:
    """Entry point of a timed run's child process: task JSON on stdin, answer on stdout."""
    import signal

    from evalkit.run.safety import raise_terminated, set_parent_death_signal

    set_parent_death_signal()
    signal.signal(signal.SIGTERM, raise_terminated)
    task = json.loads(sys.stdin.read())
    timeout = float(task["timeout"])

    def _alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.001))
    try:
        _execute(task)
        answer = {"status": "done", "message": ""}
    except _Timeout:
        answer = {"status": "failed", "message": f"timed out after {timeout:g} s"}
    except KeyboardInterrupt:
        raise SystemExit(143) from None
    except Exception as exc:
        answer = {"status": "failed", "message": _message(exc)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(answer), flush=True)


# --------------------------------------------------------------------------- executors


def _local_results(tasks: list[dict[str, Any]], workers: int | None) -> Iterator[dict[str, Any]]:
    """Run the tasks in a process pool; on an interruption, stop every worker first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    n = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_worker_init)
    try:
        futures = {pool.submit(_run_task, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the worker process itself died
                task = futures[future]
                yield {"name": task["name"], "identity": task["identity"],
                       "status": "failed", "seconds": 0.0, "message": _message(exc)}
    except BaseException:
        # Ctrl-C, SIGTERM, or the consumer stopped: queued runs must not start, running
        # ones stop and clean up (their work folders and kernels)
        pids = list(getattr(pool, "_processes", None) or {})  # shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_workers(pids)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(processes: list[int], grace: float = 15.0) -> None:
    """SIGTERM the process groups of pool workers; SIGKILL what is left after ``grace``."""
    import signal

    from evalkit.run import safety

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(safety.alive(pid) for pid in processes):
            time.sleep(0.1)


def _dask_results(tasks: list[dict[str, Any]], workers: int | None, scheduler: str,
                  no_worker_timeout: float) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SpecError("--scheduler needs dask.distributed, which is not installed; "
                        "install it with `pip install evalkit[dask]`.") from None
    cluster = None
    if scheduler == "local":
        n = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpecError(f"cannot connect to the dask scheduler {scheduler!r}: {exc}. "
                            "Give its address, e.g. tcp://host:8786, or 'local'.") from None
    pending: dict[Any, dict[str, Any]] = {}
    try:
        pending = {client.submit(_run_task, task, pure=False,
                                 key=f"evalkit-{task['name']}-{task['identity'][:12]}-"
                                     f"{os.getpid()}"): task for task in tasks}
        alone_since: float | None = None
        while pending:
            finished = [f for f in pending if f.done()]
            for future in finished:
                task = pending.pop(future)
                try:
                    record = future.result()
                except Exception as exc:  # the task killed its workers, ...
                    record = {"name": task["name"], "identity": task["identity"],
                              "status": "failed", "seconds": 0.0, "message": _message(exc)}
                # forget the result: if its worker is lost later, dask must not recompute it
                future.release()
                yield record
            if finished:
                continue
            if client.nthreads():
                alone_since = None
            else:
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since > no_worker_timeout:
                    raise RunError(f"the dask cluster {scheduler!r} has had no worker for "
                                   f"{no_worker_timeout:g} s; {len(pending)} run(s) could "
                                   "not run. Start workers and run the batch again.")
            time.sleep(0.25)
    finally:
        if pending:  # interrupted: queued runs must not start on a shared cluster
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- batch


def _inputs(run: RunSpec) -> list[str]:
    """The input files of a run (a run folder may neither be nor hold one)."""
    from evalkit.run.execute import _inputs as parameter_inputs

    return ([str(run.data)] if run.data is not None else []) + parameter_inputs(run.parameters)


def _check_out(plan: Plan) -> None:
    """Refuse a batch ``out`` that is a file and create it."""
    if os.path.lexists(plan.out) and not plan.out.is_dir():
        raise _fail(plan.path, f"`out` {plan.out} is a file, not a folder; give a folder "
                               "for the reports.")
    try:
        plan.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(plan.path, f"cannot create `out` {plan.out}: {exc.strerror}.") from None


def _previous(folder: Path) -> dict[str, Any] | None:
    """Status and timing of the earlier execution of a skipped run (its identity file)."""
    recorded = _recorded_identity(folder, details=True)
    if recorded is None:
        return None
    return {"status": "done", "seconds": recorded.get("seconds"),
            "finished": recorded.get("finished")}


def run_batch(plan: Plan | str | os.PathLike[str], *, workers: int | None = None,
              scheduler: str | None = None, timeout: float | None = None,
              progress: bool = True, no_worker_timeout: float = 60.0) -> BatchResult:
    """Run every run of a plan; resumable, one failure does not stop the rest.

    Parameters
    ----------
    plan : Plan or path
        A plan from :func:`load_plan`, or the plan file.
    workers : int, optional
        Runs at the same time (default: the number of CPUs). Ignored with a remote scheduler.
    scheduler : str, optional
        None: a local process pool. ``"local"``: a ``dask.distributed.LocalCluster``.
        ``"tcp://host:port"``: an existing dask scheduler. Needs ``evalkit[dask]``.
    timeout : float, optional
        Seconds allowed per run; a run that takes longer is stopped and recorded as failed.
    progress : bool
        Show a progress bar over the runs.
    no_worker_timeout : float
        With dask: seconds without any worker after which the batch stops (RunError).

    Returns
    -------
    BatchResult
        ``records`` (also written to ``out/batch.json``) and ``exit_code``.

    Raises
    ------
    TemplateParameterError, DataError
        A plan error, an unknown template or parameter, a missing data file, a run folder
        evalkit did not write, another batch writing the same ``out``: nothing runs.
    SpecError
        ``scheduler`` given but dask is not installed, or the scheduler cannot be reached.
    RunError
        The dask cluster has had no worker for ``no_worker_timeout`` seconds.
    KeyboardInterrupt
        Ctrl-C or SIGTERM: running runs were stopped and cleaned, ``batch.json`` lists them
        as ``interrupted``.
    """
    from evalkit.run import safety

    if not isinstance(plan, Plan):
        plan = load_plan(plan)
    if workers is not None and workers < 1:
        raise SpecError(f"workers must be at least 1; got {workers}.")
    if timeout is not None and timeout <= 0:
        raise SpecError(f"timeout must be a positive number of seconds; got {timeout}.")
    started = time.monotonic()
    identities = {run.name: run_identity(run) for run in plan.runs}
    _check_out(plan)
    with safety.output_lock(plan.out, what="batch out", lock=plan.out / BATCH_LOCK):
        records: dict[str, dict[str, Any]] = {}
        tasks: list[dict[str, Any]] = []
        inputs = [item for run in plan.runs for item in _inputs(run)]
        for run in plan.runs:
            identity = identities[run.name]
            folder = plan.out / run.name
            if _recorded_identity(folder) == identity:
                records[run.name] = {"name": run.name, "identity": identity,
                                     "status": "skipped", "seconds": 0.0,
                                     "message": "unchanged since the last run",
                                     "previous": _previous(folder)}
                continue
            safety.check_output(folder, inputs=inputs, overwrite=True,
                                option=f"batch plan {plan.path}: run folder")
            safety.remove_stale_work(folder)
            records[run.name] = {"name": run.name, "identity": identity, "status": "pending",
                                 "seconds": 0.0, "message": ""}
            tasks.append({"name": run.name, "identity": identity, "template": run.template,
                          "data": None if run.data is None else str(run.data),
                          "parameters": run.parameters, "out": str(folder),
                          "timeout": timeout})
        for path in plan.out.glob(".batch.json.*.part"):
            path.unlink(missing_ok=True)

        def save() -> list[dict[str, Any]]:
            ordered = [records[r.name] for r in plan.runs]
            _write_batch_json(plan, ordered, time.monotonic() - started)
            return ordered

        save()  # every run is listed from the start, even if the batch is killed
        try:
            _run_tasks(tasks, records, save, workers, scheduler, no_worker_timeout, progress)
        except BaseException as exc:
            why = ("interrupted" if isinstance(exc, KeyboardInterrupt)
                   else f"not run: {_message(exc)}")
            for record in records.values():
                if record["status"] == "pending":
                    record.update(status="interrupted" if isinstance(exc, KeyboardInterrupt)
                                  else "failed", message=why)
                    # the workers are stopped: their work folders go now, not next time,
                    # and so do lock files nobody holds (taking the lock removes it)
                    folder = plan.out / record["name"]
                    safety.remove_stale_work(folder)
                    with contextlib.suppress(EvalkitError, OSError), \
                            safety.output_lock(folder):
                        pass
            save()
            raise
        ordered = save()
    print(format_summary(ordered, seconds=time.monotonic() - started))
    return BatchResult(ordered, plan.out)


def _run_tasks(tasks: list[dict[str, Any]], records: dict[str, dict[str, Any]],
               save: Callable[[], Any], workers: int | None, scheduler: str | None,
               no_worker_timeout: float, progress: bool) -> None:
    if not tasks:
        return
    from tqdm.auto import tqdm

    results: Iterator[dict[str, Any]]
    if scheduler is None:
        results = _local_results(tasks, workers)
    else:
        results = _dask_results(tasks, workers, scheduler, no_worker_timeout)
    with tqdm(total=len(tasks), desc="evalkit batch", unit="run", disable=not progress) as bar:
        try:
            for record in results:
                records[record["name"]] = record
                save()  # batch.json follows the batch as it goes
                bar.update(1)
                if record["status"] == "failed":
                    bar.write(f"failed: {record['name']}: {record['message']}")
        finally:
            results.close()  # type: ignore[attr-defined]  # stops the workers now


def _write_batch_json(plan: Plan, records: list[dict[str, Any]], seconds: float) -> None:
    _write_json(plan.out / "batch.json", {
        "schema": "evalkit.batch/1",
        "evalkit_version": __version__,
        "plan": str(plan.path),
        "seconds": round(seconds, 3),
        "runs": records,
    })


def format_summary(records: Sequence[Mapping[str, Any]], *, seconds: float) -> str:
    """A table of the runs (name, status, seconds, message) and the totals."""
    width = max([len("run"), *(len(r["name"]) for r in records)])
    lines = [f"{'run':<{width}}  {'status':<7}  {'seconds':>8}  message"]
    for r in records:
        message = str(r["message"]).splitlines()[0][:100] if r["message"] else ""
        lines.append(f"{r['name']:<{width}}  {r['status']:<7}  {r['seconds']:>8.1f}  {message}")
    counts = {s: sum(r["status"] == s for r in records) for s in ("done", "skipped", "failed")}
    lines.append(f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} "
                 f"failed in {seconds:.1f} s")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``batch`` sub-command to ``evalkit``'s sub-parsers."""
    batch = sub.add_parser("batch", help="many runs from a plan; resumable; failures isolated")
    batch.add_argument("plan", help="YAML batch plan (see DESIGN.md §4)")
    batch.add_argument("--workers", type=int, help="runs at the same time (default: CPUs)")
    batch.add_argument("--scheduler", help="'local' (dask LocalCluster) or a dask scheduler "
                                           "address tcp://host:port (needs evalkit[dask])")
    batch.add_argument("--timeout", type=float, help="seconds allowed per run")
    batch.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return batch


def handle(args: argparse.Namespace) -> int:
    """Run ``evalkit batch`` from parsed arguments; returns the exit code."""
    result = run_batch(args.plan, workers=args.workers, scheduler=args.scheduler,
                       timeout=args.timeout, progress=not args.no_progress)
    print(f"batch.json: {result.out / 'batch.json'}")
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evalkit.run.batch PLAN.yaml ...`` (the same as ``evalkit batch``)."""
    from evalkit.run.cli import main as cli_main

    return cli_main(["batch", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
