"""Choosing the difference-in-differences design from the data."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.data.simulate import simulate_city
from evalkit.designs.choice import choose_did_design
from evalkit.errors import DataError, SpecError


def test_staggered_city_gets_group_time_and_reasons_in_both_languages():
    city = simulate_city(seed=1, crimes=("burglary",)).data
    choice = choose_did_design(city, unit="district", time="month", treatment="partnership",
                               cohort="cohort")
    assert choice.design == "staggered" and choice.inference == "cluster"
    assert choice.n_treated == 8 and len(choice.cohorts) == 3
    assert "staggered roll-out" in choice.render("en")[0]
    assert "déploiement échelonné" in choice.render("fr")[0]


def test_common_timing_and_few_treated():
    city = simulate_city(seed=2, roll_out="single", crimes=("burglary",)).data
    choice = choose_did_design(city, unit="district", time="month", treatment="partnership",
                               family="poisson")
    assert choice.design == "twfe" and choice.inference == "permutation"
    assert any("Only 1 treated of 20 areas" in r for r in choice.render("en"))
    ols = choose_did_design(city, unit="district", time="month", treatment="partnership")
    assert ols.inference == "wild"


def test_forced_design_and_errors():
    city = simulate_city(seed=3, crimes=("burglary",)).data
    forced = choose_did_design(city, unit="district", time="month", cohort="cohort",
                               design="twfe")
    assert forced.design == "twfe" and "set by the evaluator" in forced.render("en")[0]
    with pytest.raises(SpecError, match=r"design must be one of"):
        choose_did_design(city, unit="district", time="month", cohort="cohort", design="x")
    with pytest.raises(SpecError, match=r"give treatment= or cohort="):
        choose_did_design(city, unit="district", time="month")
    with pytest.raises(DataError, match=r"no treated unit"):
        choose_did_design(pd.DataFrame({"u": ["a", "b"], "t": ["2020-01", "2020-01"],
                                        "d": [0, 0]}), unit="u", time="t", treatment="d")
