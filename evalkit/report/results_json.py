"""``results.json``: the machine-readable twin of a report (schema ``evalkit.results/1``).

The fields are fixed by DESIGN.md §4 and checked against ``evalkit/schemas/results-1.schema.json``.
Automated runs depend on them: change only with a schema version bump.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit._atomic import atomic_path
from evalkit._version import __version__
from evalkit.data.io import data_fingerprint, read_table
from evalkit.data.panel import Panel
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.results import Diagnostic, EvaluationResult, json_safe

__all__ = ["SCHEMA", "SCHEMA_PATH", "build_results", "write_results"]

SCHEMA = "evalkit.results/1"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "results-1.schema.json"
_ESTIMATE_FIELDS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "scale",
                    "relative_effect", "relative_ci_low", "relative_ci_high")


def build_results(results: Sequence[EvaluationResult], *, template: str,
                  parameters: Mapping[str, Any], data: object, unit: str | None = None,
                  time: str | None = None, diagnostics: Sequence[Diagnostic] = (),
                  warnings: Sequence[str] = (), rule: DisclosureRule = DEFAULT_RULE,
                  sha256: str | None = None,
                  verdict: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The results.json document for one template run.

    Parameters
    ----------
    results : sequence of EvaluationResult
        Every design the template estimated (their estimates are concatenated, ``method``
        telling them apart).
    template : str
        Template name.
    unit, time : str, optional
        Columns counted for ``data.units`` / ``data.periods`` in the data file (otherwise
        the largest counts any result carries).
    parameters : mapping
        The run's parameters as given (after type conversion).
    data : Panel, DataFrame or path
        The data file (or frame) the run read; hashed and counted. A Panel gives the digest
        of its source, computed when it was built, and is counted without reading again.
    diagnostics : sequence of Diagnostic
        Checks that belong to no single result (the ``evaluation`` template's
        ``designs_agree`` and ``evidence_level``, and ``design_not_run`` for a design that
        could not be estimated), listed after the results' own.
    warnings : sequence of str
        Notes that belong to no single result (the ``evaluation`` template's: areas left
        out, designs not run), listed after the results' own.
    rule : DisclosureRule
        The report's disclosure control: a warning naming a count it hides says "below 5"
        instead (the estimates are the models' own; a template computing published counts
        or rates, such as ``indicators``, applies the rule to them before).
    sha256 : str, optional
        The digest of ``data`` when the run already computed it (``DesignRun.sha256``, or
        the provenance of a design given ``data`` itself): not computed again.
    verdict : mapping, optional
        The ``evaluation`` template's verdict (``Verdict.to_dict()``): the ``verdict``
        object of the document.
    """
    # a Panel brings its table and the digest of its source: nothing is read or hashed again
    table = data.data if isinstance(data, Panel) else read_table(data)
    digest = sha256 or (data.sha256 if isinstance(data, Panel) else data_fingerprint(data))
    estimates, notes = [], []
    units = periods = 0
    for res in results:
        n_obs = int(res.sample.get("n_obs") or 0)
        units = max(units, int(res.sample.get("n_units") or 0))
        periods = max(periods, int(res.sample.get("n_periods") or 0))
        for row in res.effects.to_dict(orient="records"):
            record = {"method": res.method, "outcome": str(res.spec.get("outcome", ""))}
            record.update({k: row.get(k) for k in _ESTIMATE_FIELDS})
            record["n_obs"] = int(row.get("n_obs") or n_obs)
            estimates.append(record)
        notes += [str(w) for w in map(rule.caveat, res.warnings) if str(w) not in notes]
    notes += [str(w) for w in map(rule.caveat, warnings) if str(w) not in notes]
    checks = [d for res in results for d in res.diagnostics] + list(diagnostics)
    if unit and unit in table:  # the data block describes the file the run read
        units = int(table[unit].nunique())
    if time and time in table:
        periods = int(table[time].nunique())
    document = {
        "schema": SCHEMA,
        "evalkit_version": __version__,
        "template": template,
        "parameters": dict(parameters),
        "data": {"rows": len(table), "units": units, "periods": periods,
                 "sha256": digest},
        "estimates": estimates,
        "diagnostics": [{k: v for k, v in d.to_dict().items() if k != "message"}
                        for d in checks],
        "warnings": notes,
    }
    if verdict is not None:
        document["verdict"] = dict(verdict)
    return json_safe(document)


def results_path(template: str) -> Path:
    """Where a template run writes ``results.json`` when no path is given.

    The working folder (``evalkit run`` and papermill set it to the run's own folder), except
    when it is evalkit's templates folder: a template run there from JupyterLab writes to
    ``~/evalkit-reports/<template>/results.json``, never into the installed templates.
    """
    from evalkit._resources import templates_dir

    here = Path.cwd().resolve()
    if here == templates_dir().resolve():
        folder = Path.home() / "evalkit-reports" / template
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "results.json"
    return here / "results.json"


def write_results(results: Sequence[EvaluationResult], path: str | os.PathLike | None = None,
                  **kwargs: Any) -> Path:
    """Build the document (see :func:`build_results`) and write it atomically to ``path``
    (default :func:`results_path` of the template)."""
    document = build_results(results, **kwargs)
    target = Path(path) if path is not None else results_path(str(kwargs["template"]))
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
