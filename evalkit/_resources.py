"""The shipped templates and sample data: where they live (wheel or source checkout) and
the parameters a template declares.

A template is a notebook with one code cell tagged ``parameters`` whose lines read
``name: type = default  # help``. evalkit reads that cell (never executes it) to list the
parameters; :mod:`evalkit.run.templates` checks and converts the values of a run.
At the bottom of the layers, so that the report helpers run inside a template and the
command line read the same files without the report importing :mod:`evalkit.run`.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError, TemplateParameterError

__all__ = ["Parameter", "Template", "list_templates", "load_template", "samples_dir",
           "template_path", "templates_dir"]

_SCALARS = ("str", "int", "float", "bool")

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise EvalkitError(f"evalkit's {name} folder was not found next to the package "
                       f"({_PACKAGE}); reinstall evalkit.")


def templates_dir() -> Path:
    """Folder of the papermill templates (``*.ipynb``)."""
    return _find("templates")


def samples_dir() -> Path:
    """Folder of the shipped sample data (``city_monthly.csv``, ``truth.json``...)."""
    return _find("data_samples")


def template_path(name_or_path: str | Path) -> Path:
    """The notebook of a template given by name (``its``) or path (``my_template.ipynb``).

    Raises
    ------
    TemplateParameterError
        No such template: the message lists the shipped ones.
    """
    path = Path(name_or_path)
    if path.suffix != ".ipynb":
        path = templates_dir() / f"{name_or_path}.ipynb"
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(templates_dir().glob("*.ipynb")))
        raise TemplateParameterError(
            f"unknown template {str(name_or_path)!r}. Available templates: {names}. "
            "Give a template name or the path of a .ipynb file."
        )
    return path


@dataclass(frozen=True)
class Parameter:
    """One template parameter as declared in the ``parameters`` cell."""

    name: str
    type: str  # "str", "int", "float", "bool", "list[str]", "list[float]", "list[int]"
    default: Any
    help: str


@dataclass(frozen=True)
class Template:
    """A template notebook and its declared parameters."""

    name: str
    path: Path
    title: str
    parameters: tuple[Parameter, ...]
    #: the sample city's parameter values, used only when no data file is given
    sample: Mapping[str, Any] = field(default_factory=dict)
    #: parameters that user data must set (the sample values stand in without data)
    required: tuple[str, ...] = ()

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise TemplateParameterError(_unknown(self, name))

    @property
    def names(self) -> list[str]:
        """Parameter names in declaration order."""
        return [p.name for p in self.parameters]


def _unknown(template: Template, name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, template.names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"template {template.name!r} has no parameter {name!r}.{hint} Valid parameters: "
            f"{', '.join(template.names)}. See `evalkit templates`.")


def _parse_cell(source: str, path: Path) -> tuple[Parameter, ...]:
    # Not papermill.inspect_notebook: its line regex drops `title: str = "a = b"`, reads the
    # default of `colour: str = "#fff"` as `"` and merges a stray statement into the line
    # above, and importing papermill costs ~1.9 s of CPU against 0.1 s for all of
    # `evalkit templates` (measured 2026-12, papermill 2.7).
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    params = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.value is not None):
            raise TemplateParameterError(
                f"{path.name}: line {node.lineno} of the parameters cell is not of the form "
                "`name: type = default  # help`."
            )
        kind = ast.unparse(node.annotation)
        if kind not in _SCALARS and kind not in ("list[str]", "list[int]", "list[float]"):
            raise TemplateParameterError(f"{path.name}: parameter {node.target.id!r} has "
                                         f"unsupported type {kind!r}.")
        params.append(Parameter(node.target.id, kind, ast.literal_eval(node.value),
                                comments.get(node.lineno, "")))
    return tuple(params)


def load_template(name_or_path: str | Path) -> Template:
    """Read a template by name (``its``) or path (``my_template.ipynb``)."""
    path = template_path(name_or_path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb.get("cells", [])
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise TemplateParameterError(f"{path.name} must have exactly one cell tagged "
                                     f"'parameters'; found {len(cells)}.")
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) \
        else cells[0]["source"]
    meta = nb.get("metadata", {}).get("evalkit", {})
    params = _parse_cell(source, path)
    sample = dict(meta.get("sample", {}))
    required = tuple(meta.get("required", ()))
    unknown = sorted((set(sample) | set(required)) - {p.name for p in params})
    if unknown:
        raise TemplateParameterError(f"{path.name}: metadata.evalkit names unknown "
                                     f"parameters {unknown}.")
    return Template(path.stem, path, meta.get("title", path.stem), params, sample, required)


def list_templates() -> list[Template]:
    """Every template shipped with evalkit, sorted by name."""
    return [load_template(p) for p in sorted(templates_dir().glob("*.ipynb"))]
