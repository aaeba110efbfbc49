"""evalkit's own exception and warning types.

Every problem with the user's input is raised as a subclass of :class:`EvalkitError`
with a message that says what was expected, what was found and how to fix it. The
command line prints these messages without a traceback and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "EvalkitError",
    "EvalkitWarning",
    "RunError",
    "SpecError",
    "TemplateParameterError",
]


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose."""


class DataError(EvalkitError, ValueError):
    """The data cannot be used as given (missing column, duplicates, gaps, bad values...)."""


class SpecError(EvalkitError, ValueError):
    """The requested analysis is not valid (unknown option, incompatible settings...)."""


class TemplateParameterError(EvalkitError, ValueError):
    """A template parameter is unknown, mistyped or cannot be converted."""


class EvalkitWarning(UserWarning):
    """A caveat about a result; it is also recorded in ``EvaluationResult.warnings``."""


class RunError(EvalkitError):
    """A template run failed inside the notebook (the message names the cell); exit code 1."""
