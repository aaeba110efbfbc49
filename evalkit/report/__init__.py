"""Report building blocks used by the templates: sections, figures, results.json."""

from __future__ import annotations

from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.narrative import (
    STYLE,
    choice_section,
    data_section,
    design_section,
    diagnostics_section,
    effects_section,
    header,
    headline,
    methods_section,
    parameters_section,
    section,
)
from evalkit.report.notebook import figure, parameters_of, setup
from evalkit.report.results_json import build_results, write_results

__all__ = [
    "DEFAULT_RULE",
    "STYLE",
    "DisclosureRule",
    "build_results",
    "choice_section",
    "data_section",
    "design_section",
    "diagnostics_section",
    "effects_section",
    "figure",
    "header",
    "headline",
    "methods_section",
    "parameters_of",
    "parameters_section",
    "section",
    "setup",
    "write_results",
]
