"""evalkit: measure what a city security partnership changed.

The public API (DESIGN.md §4)::

    import evalkit as ek
    panel = ek.load_panel("city.csv", unit="district", time="month", outcome="burglary")
    res = ek.its("city.csv", outcome="burglary", time="month", intervention="2021-06",
                 unit="district", units=["Centre"], exposure="population")
    res.tidy()
"""

from __future__ import annotations

__version__ = "0.2.0"

from evalkit.data.incidents import panel_from_incidents
from evalkit.data.io import read_table
from evalkit.data.panel import Panel, load_panel
from evalkit.designs.bacon import bacon_decomposition
from evalkit.designs.cohort import cohort_outcome
from evalkit.designs.did import did, event_study
from evalkit.designs.displacement import wdd, wdq
from evalkit.designs.its import its
from evalkit.designs.power import did_power, its_power, mde_from_result
from evalkit.designs.staggered import staggered_did
from evalkit.designs.survey_did import survey_did
from evalkit.designs.synth import donor_weights, synth
from evalkit.errors import (
    DataError,
    EvalkitError,
    EvalkitWarning,
    SpecError,
    TemplateParameterError,
)
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
    "cohort_outcome",
    "did",
    "did_power",
    "donor_weights",
    "event_study",
    "harm_total",
    "its",
    "its_power",
    "load_harm_weights",
    "load_panel",
    "mde_from_result",
    "panel_from_incidents",
    "poisson_ci",
    "rate",
    "rate_change",
    "read_table",
    "relative_magnitudes",
    "relative_reduction",
    "reoffending_rates",
    "staggered_did",
    "survey_did",
    "survey_share",
    "synth",
    "wdd",
    "wdq",
]
