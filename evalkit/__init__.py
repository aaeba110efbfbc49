"""evalkit: measure what a city security partnership changed.

The public API (DESIGN.md §4)::

    import evalkit as ek
    panel = ek.load_panel("city.csv", unit="district", time="month", outcome="burglary")
    res = ek.its("city.csv", outcome="burglary", time="month", intervention="2021-06",
                 unit="district", units=["Centre"], exposure="population")
    res.tidy()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalkit._version import __version__
from evalkit.errors import (
    DataError,
    EvalkitError,
    EvalkitWarning,
    SpecError,
    TemplateParameterError,
)

# The numerical stack (pandas, scipy, statsmodels) loads on first use of a name below, so
# that `evalkit --help`, `evalkit templates` and parameter errors answer at once.
_LAZY = {
    "panel_from_incidents": "evalkit.data.incidents",
    "read_table": "evalkit.data.io",
    "Panel": "evalkit.data.panel",
    "load_panel": "evalkit.data.panel",
    "bacon_decomposition": "evalkit.designs.bacon",
    "cohort_outcome": "evalkit.designs.cohort",
    "citywide_change": "evalkit.designs.confounds",
    "exclude_before": "evalkit.designs.confounds",
    "peak_selection": "evalkit.designs.confounds",
    "did": "evalkit.designs.did",
    "event_study": "evalkit.designs.did",
    "wdd": "evalkit.designs.displacement",
    "evaluate": "evalkit.designs.evaluation",
    "wdq": "evalkit.designs.displacement",
    "its": "evalkit.designs.its",
    "did_power": "evalkit.designs.power",
    "its_power": "evalkit.designs.power",
    "mde_from_result": "evalkit.designs.power",
    "sdid": "evalkit.designs.sdid",
    "staggered_did": "evalkit.designs.staggered",
    "survey_did": "evalkit.designs.survey_did",
    "donor_weights": "evalkit.designs.synth",
    "synth": "evalkit.designs.synth",
    "HarmWeights": "evalkit.indicators",
    "harm_total": "evalkit.indicators",
    "load_harm_weights": "evalkit.indicators",
    "poisson_ci": "evalkit.indicators",
    "rate": "evalkit.indicators",
    "rate_change": "evalkit.indicators",
    "relative_reduction": "evalkit.indicators",
    "reoffending_rates": "evalkit.indicators",
    "survey_share": "evalkit.indicators",
    "relative_magnitudes": "evalkit.inference.sensitivity",
    "Diagnostic": "evalkit.results",
    "EvaluationResult": "evalkit.results",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover
    from evalkit.data.incidents import panel_from_incidents
    from evalkit.data.io import read_table
    from evalkit.data.panel import Panel, load_panel
    from evalkit.designs.bacon import bacon_decomposition
    from evalkit.designs.cohort import cohort_outcome
    from evalkit.designs.confounds import citywide_change, exclude_before, peak_selection
    from evalkit.designs.did import did, event_study
    from evalkit.designs.displacement import wdd, wdq
    from evalkit.designs.evaluation import evaluate
    from evalkit.designs.its import its
    from evalkit.designs.power import did_power, its_power, mde_from_result
    from evalkit.designs.sdid import sdid
    from evalkit.designs.staggered import staggered_did
    from evalkit.designs.survey_did import survey_did
    from evalkit.designs.synth import donor_weights, synth
    from evalkit.indicators import (
        HarmWeights,
        harm_total,
        load_harm_weights,
        poisson_ci,
        rate,
        rate_change,
        relative_reduction,
        reoffending_rates,
        survey_share,
    )
    from evalkit.inference.sensitivity import relative_magnitudes
    from evalkit.results import Diagnostic, EvaluationResult

__all__ = [
    "DataError",
    "Diagnostic",
    "EvalkitError",
    "EvalkitWarning",
    "EvaluationResult",
    "HarmWeights",
    "Panel",
    "SpecError",
    "TemplateParameterError",
    "__version__",
    "bacon_decomposition",
    "citywide_change",
    "cohort_outcome",
    "did",
    "did_power",
    "donor_weights",
    "evaluate",
    "event_study",
    "exclude_before",
    "harm_total",
    "its",
    "its_power",
    "load_harm_weights",
    "load_panel",
    "mde_from_result",
    "panel_from_incidents",
    "peak_selection",
    "poisson_ci",
    "rate",
    "rate_change",
    "read_table",
    "relative_magnitudes",
    "relative_reduction",
    "reoffending_rates",
    "sdid",
    "staggered_did",
    "survey_did",
    "survey_share",
    "synth",
    "wdd",
    "wdq",
]
