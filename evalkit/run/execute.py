"""Run a template with papermill and export the report; outputs are written whole or not at all.

The run happens in a hidden work folder beside the output folder, under a lock on that
folder. Only when the notebook ran, ``results.json`` exists and the HTML is exported is the
work folder put in place (:func:`evalkit.run.safety.install`: an old report is exchanged
atomically), so a run that fails or is interrupted leaves nothing behind. ``--out`` may only
replace a report folder evalkit wrote (:func:`evalkit.run.safety.check_output`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError, EvalkitError, RunError, SpecError, TemplateParameterError
from evalkit.run.templates import Template, load_template, resolve_parameters

__all__ = ["RunOutcome", "export_html", "run_template"]

#: exceptions raised inside a template that mean "bad input" (exit code 2), not a crash
_INPUT_ERRORS = {cls.__name__: cls for cls in (DataError, SpecError, TemplateParameterError)}


@dataclass(frozen=True)
class RunOutcome:
    """Where a run wrote its report and what results.json says."""

    out: Path
    results: dict[str, Any]

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.out / "report.html"


def export_html(notebook: Path, target: Path, *, show_code: bool = False,
                lang: str = "en") -> Path:
    """Export an executed notebook to a self-contained HTML report.

    Code is hidden unless ``show_code``; cells that print nothing are dropped so hidden set-up
    cells leave no gaps; the page title is the report's first heading and ``<html lang>`` is
    ``lang``. The page is nbconvert's lab page without the scripts that it loads from the
    internet (the ``evalkit`` template beside this module), so the report opens offline.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:  # warnings and progress bars on stderr never reach a report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    if not show_code:
        nb.cells = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]
    nb.metadata["title"] = (_first_heading(nb) or nb.metadata.get("evalkit", {}).get(
        "report_title", notebook.stem))
    exporter = HTMLExporter(template_name="evalkit", extra_template_basedirs=[str(_NBCONVERT)],
                            language_code=lang, exclude_input=not show_code,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_markdown=not show_code)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    target.write_text(body, encoding="utf-8")
    return target


#: the nbconvert template folder of evalkit's report page
_NBCONVERT = Path(__file__).with_name("nbconvert")


def _first_heading(nb: Any) -> str:
    """The text of the first ``<h1>`` that a code cell displays, or ""."""
    import html as _html

    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            heading = re.search(r"<h1[^>]*>(.*?)</h1>",
                                "".join(output.get("data", {}).get("text/html", "")), flags=re.S)
            if heading:
                return _html.unescape(re.sub(r"<[^>]+>", "", heading.group(1)))
    return ""


def _quiet_kernel_manager() -> type:
    """A kernel manager whose kernel process writes nothing to our stderr, and draws no bars.

    The kernel reports errors through the messaging protocol (that is how a failing cell
    becomes a RunError); what it prints on its own stderr is shutdown noise, such as the
    ZMQ tracebacks ipykernel logs when it is stopped after a failure, which would put a
    traceback in front of the user's one-line error message. Progress bars inside the
    kernel are turned off (``EVALKIT_PROGRESS=0``): papermill's bar over the cells is the
    one the user sees, and a widget would end up in the report.
    """
    import subprocess

    from jupyter_client.manager import AsyncKernelManager

    from evalkit.run.prepare import PREPARED_ENV

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            kw["stderr"] = subprocess.DEVNULL
            kw["env"] = {**(kw.get("env") or os.environ), "EVALKIT_PROGRESS": "0",
                         PREPARED_ENV: "1"}
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _prepare(template: str | Path, data: str | Path | None, parameters: Mapping[str, Any] | None,
             text: Mapping[str, str] | None, lang: str | None) -> tuple[Template, dict]:
    tpl = load_template(template)
    given = dict(parameters or {})
    if data is not None:
        path = Path(data).expanduser().resolve()
        if not path.is_file():
            raise DataError(f"data file not found: {path}. Check the path given with --data.")
        given["data"] = str(path)
    if lang is not None:
        given["lang"] = lang
    values = _absolute_paths(resolve_parameters(tpl, given=given, text=text))
    if "lang" in values and values["lang"] not in ("en", "fr"):
        raise TemplateParameterError(f"lang must be 'en' or 'fr'; got {values['lang']!r}.")
    from evalkit.run.prepare import prepare

    return tpl, prepare(tpl, values)


#: parameters that name files: only these are resolved as paths (other text, such as an
#: EMMIE paragraph with "and/or", is never probed on disk) and protected from --out
PATH_PARAMETERS = ("data", "survey", "harm_weights")


def _absolute_paths(values: dict[str, Any]) -> dict[str, Any]:
    """Make file parameters absolute (the notebook runs in another folder)."""
    def fix(value: Any) -> Any:
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            with contextlib.suppress(OSError):  # too long, a loop...: the template says so
                if not path.is_absolute() and path.is_file():
                    return str(path.resolve())
        return value

    return {k: ([fix(v) for v in val] if isinstance(val, list) else fix(val))
            if k in PATH_PARAMETERS else val for k, val in values.items()}


def _inputs(values: Mapping[str, Any]) -> list[str]:
    """The input files named by the parameters (the output may neither be nor hold them)."""
    found = []
    for name in PATH_PARAMETERS:
        value = values.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                found.append(item)
    return found


def run_template(template: str | Path, *, out: str | Path, data: str | Path | None = None,
                 parameters: Mapping[str, Any] | None = None,
                 text: Mapping[str, str] | None = None, lang: str | None = None,
                 show_code: bool = False, overwrite: bool = False,
                 progress: bool = True) -> RunOutcome:
    """Execute a template and write ``report.ipynb``, ``report.html`` and ``results.json``.

    Parameters
    ----------
    template : str or Path
        Template name (``its``) or notebook path.
    out : path
        Output folder; created whole at the end of a successful run.
    data : path, optional
        Data file (sets the ``data`` parameter, made absolute).
    parameters : mapping, optional
        Typed parameter values (e.g. from a YAML file).
    text : mapping, optional
        Parameter values as text (command line ``-p NAME VALUE``).
    lang : {"en", "fr"}, optional
    show_code : bool
        Keep the code cells in the HTML (training).
    overwrite : bool
        Replace an existing output folder; only a report folder evalkit wrote (it holds
        :data:`evalkit.run.safety.MARKER`) can be replaced.
    progress : bool
        Show papermill's progress bar.

    Raises
    ------
    TemplateParameterError, DataError, SpecError
        Bad parameters or data, an ``out`` that may not be written or replaced, another
        process writing ``out`` (exit code 2).
    RunError
        Any other failure inside the notebook (the message names the cell), or the report
        could not be written (a full disk).
    """
    from evalkit.run import safety

    tpl, values = _prepare(template, data, parameters, text, lang)
    inputs = _inputs(values)
    out = safety.check_output(out, inputs=inputs, overwrite=overwrite)
    import papermill as pm  # after the checks: it takes seconds to import
    try:
        created = safety.create_parents(out)
    except OSError as exc:
        raise TemplateParameterError(f"cannot create the folder of --out {out}: "
                                     f"{exc.strerror}.") from None
    try:
        with safety.output_lock(out):
            # again under the lock: another run may have written ``out`` meanwhile
            safety.check_output(out, inputs=inputs, overwrite=overwrite)
            safety.remove_stale_work(out)
            return _execute(pm, tpl, values, out, show_code, progress)
    except OSError as exc:  # the lock or work folder cannot be created there
        safety.remove_parents(created)
        raise TemplateParameterError(f"cannot write the report to {out.parent}: "
                                     f"{exc.strerror}.") from None
    except BaseException:
        safety.remove_parents(created)
        raise


def _execute(pm: Any, tpl: Template, values: dict[str, Any], out: Path, show_code: bool,
             progress: bool) -> RunOutcome:
    """Run the notebook in a hidden work folder beside ``out`` and install it (locked)."""
    from evalkit.run import safety

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        safety.write_marker(work)
        try:
            pm.execute_notebook(str(tpl.path), str(work / "report.ipynb"), parameters=values,
                                cwd=str(work), progress_bar=progress,
                                kernel_name="python3", log_output=False,
                                extra_arguments=["--log-level=CRITICAL"],
                                start_timeout=_start_timeout(),
                                kernel_manager_class=_quiet_kernel_manager())
        except pm.PapermillExecutionError as exc:
            raise _translate(exc, tpl) from None
        results_path = work / "results.json"
        if not results_path.is_file():
            raise RunError(f"template {tpl.name!r} ran but wrote no results.json.")
        results = json.loads(results_path.read_text(encoding="utf-8"))
        export_html(work / "report.ipynb", work / "report.html", show_code=show_code,
                    lang=str(values.get("lang", "en")))
        work.chmod(0o755)
        for path in work.iterdir():
            path.chmod(0o644)
        safety.install(work, out)
    except OSError as exc:  # a full disk, a folder made read-only meanwhile...
        shutil.rmtree(work, ignore_errors=True)
        raise RunError(f"template {tpl.name!r}: cannot write the report to {out}: "
                       f"{exc.strerror or exc}.") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return RunOutcome(out, results)


def _start_timeout() -> int:
    """Seconds a kernel may take to start: papermill's 60 s is too short on a busy machine
    (a batch's workers start kernels side by side), so 300 unless
    ``EVALKIT_KERNEL_START_TIMEOUT`` says otherwise."""
    value = os.environ.get("EVALKIT_KERNEL_START_TIMEOUT", "")
    return int(value) if value.isdigit() and int(value) > 0 else 300


def _translate(exc: Exception, tpl: Template) -> EvalkitError:
    ename = getattr(exc, "ename", "Error")
    evalue = getattr(exc, "evalue", str(exc))
    if ename in _INPUT_ERRORS:
        return _INPUT_ERRORS[ename](evalue)
    source = (getattr(exc, "source", "") or "").strip().splitlines()
    first = source[0] if source else ""
    # papermill's cell_index counts its injected-parameters cell, which follows the
    # template's parameters cell: for later cells the 0-based index is the 1-based number
    cell = getattr(exc, "cell_index", "?")
    return RunError(f"template {tpl.name!r} failed in cell {cell} ({first[:60]!r}): "
                    f"{ename}: {evalue}")
