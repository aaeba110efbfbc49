"""Simulated cities with known true effects.

The simulators feed the test suite, the files in ``data_samples/`` and the training course.
Every function is deterministic given ``seed`` and returns a :class:`SimulatedCity`: the
data and a JSON-safe ``truth`` dict with the true effects, the design and every parameter,
so an estimate can always be compared with the value it should recover.

Sign convention used in every ``truth`` dict: an effect in counts is
``E[Y(1)] - E[Y(0)]`` (negative = fewer crimes); ``crimes_prevented`` is its opposite.
Expectations are conditional on the simulated district (or area) random effects.
"""

from __future__ import annotations

from evalkit.data.simulate.city import (
    DEFAULT_BASELINE,
    DEFAULT_EFFECT,
    DISTRICT_NAMES,
    simulate_city,
)
from evalkit.data.simulate.common import SimulatedCity
from evalkit.data.simulate.hotspots import simulate_hotspots
from evalkit.data.simulate.incidents import simulate_incidents
from evalkit.data.simulate.series import simulate_series
from evalkit.data.simulate.survey import SURVEY_CATEGORIES, simulate_survey

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_EFFECT",
    "DISTRICT_NAMES",
    "SURVEY_CATEGORIES",
    "SimulatedCity",
    "simulate_city",
    "simulate_hotspots",
    "simulate_incidents",
    "simulate_series",
    "simulate_survey",
]
