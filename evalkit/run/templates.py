"""Template inspection and parameter checks.

A template is a notebook with one code cell tagged ``parameters`` whose lines read
``name: type = default  # help``. evalkit reads that cell (never executes it) to list the
parameters, reject unknown names (papermill itself only warns) and convert values to the
declared type before a run.
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

from evalkit.errors import TemplateParameterError
from evalkit.run.resources import templates_dir

__all__ = ["Parameter", "Template", "convert", "list_templates", "load_template",
           "resolve_parameters"]

_SCALARS = {"str": str, "int": int, "float": float, "bool": bool}
_TRUE = {"true", "yes", "1", "on", "oui", "vrai"}
_FALSE = {"false", "no", "0", "off", "non", "faux"}


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
    path = Path(name_or_path)
    if path.suffix != ".ipynb":
        path = templates_dir() / f"{name_or_path}.ipynb"
    if not path.is_file():
        names = ", ".join(t.name for t in list_templates())
        raise TemplateParameterError(
            f"unknown template {str(name_or_path)!r}. Available templates: {names}. "
            "Give a template name or the path of a .ipynb file."
        )
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


def convert(param: Parameter, value: Any, *, from_text: bool) -> Any:
    """Convert ``value`` to ``param``'s declared type or raise TemplateParameterError.

    ``from_text`` is True for command-line values (always strings); YAML values keep their
    types and are only checked (an int is accepted for a float).
    """
    def fail(expected: str) -> TemplateParameterError:
        return TemplateParameterError(
            f"parameter {param.name!r} expects {expected}; got {value!r}. ({param.help})"
        )

    kind = param.type
    if kind.startswith("list["):
        inner = Parameter(param.name, kind[5:-1], None, param.help)
        if from_text and isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import yaml

                try:
                    value = yaml.safe_load(text)
                except yaml.YAMLError as exc:
                    raise fail("a list such as [a, b] or a,b") from exc
            else:
                value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list):
            raise fail(f"a list of {inner.type}")
        return [convert(inner, v, from_text=from_text and isinstance(v, str)) for v in value]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if from_text and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise fail("true or false")
    if kind == "str":
        if isinstance(value, str):
            return value
        if not from_text and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # YAML reads 2021 or 2021-06 ... keep it as text
        raise fail("text")
    if kind == "int":
        if isinstance(value, bool):
            raise fail("a whole number")
        if isinstance(value, int):
            return value
        if from_text:
            try:
                return int(str(value).strip())
            except ValueError:
                pass
        raise fail("a whole number")
    if kind == "float":
        if isinstance(value, bool):
            raise fail("a number")
        if isinstance(value, int | float):
            return float(value)
        if from_text:
            try:
                return float(str(value).strip().replace(",", "."))
            except ValueError:
                pass
        raise fail("a number")
    raise fail(kind)  # unreachable: types are checked when the template is read


def resolve_parameters(template: Template, *, given: Mapping[str, Any] | None = None,
                       text: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Check and convert the parameters of a run; defaults fill the rest.

    Parameters
    ----------
    template : Template
    given : mapping, optional
        Typed values (from a YAML file or Python).
    text : mapping, optional
        Values typed on the command line (strings), applied after ``given``.
    """
    values = {p.name: p.default for p in template.parameters}
    for source, from_text in ((given or {}, False), (text or {}, True)):
        for name, value in source.items():
            values[name] = convert(template.parameter(name), value, from_text=from_text)
    return values
