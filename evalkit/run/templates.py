"""Parameter checks of a run: reject unknown names (papermill itself only warns) and convert
values to the type the template declares (read by :mod:`evalkit._resources`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit._resources import Parameter, Template, list_templates, load_template
from evalkit.errors import TemplateParameterError

__all__ = ["Parameter", "Template", "convert", "list_templates", "load_template",
           "resolve_parameters"]

_TRUE = {"true", "yes", "1", "on", "oui", "vrai"}
_FALSE = {"false", "no", "0", "off", "non", "faux"}


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
