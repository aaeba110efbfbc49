"""Indicators: rates with exact CIs, change, harm totals, survey shares, reoffending."""

from __future__ import annotations

from evalkit.indicators.change import rate_change
from evalkit.indicators.harm import HarmWeights, harm_total, load_harm_weights
from evalkit.indicators.profile import (
    HarmProfile,
    IndicatorProfile,
    compute_harm,
    compute_indicators,
)
from evalkit.indicators.rates import poisson_ci, rate
from evalkit.indicators.reoffending import relative_reduction, reoffending_rates
from evalkit.indicators.survey import survey_share

__all__ = [
    "HarmProfile",
    "HarmWeights",
    "IndicatorProfile",
    "compute_harm",
    "compute_indicators",
    "harm_total",
    "load_harm_weights",
    "poisson_ci",
    "rate",
    "rate_change",
    "relative_reduction",
    "reoffending_rates",
    "survey_share",
]
