"""The Python API reads each area's start from the 0/1 treatment column, as the templates do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.panel import with_first_treated
from evalkit.errors import SpecError
from evalkit.run.resources import samples_dir

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")


@pytest.fixture(scope="module")
def city() -> pd.DataFrame:
    return pd.read_csv(samples_dir() / "city_monthly.csv")


def test_first_treated_matches_the_shipped_cohort_column(city):
    derived = with_first_treated(city, unit="district", time="month", treatment="partnership")
    assert derived["first_treated"].tolist() == city["cohort"].fillna("").tolist()
    assert "first_treated" not in city  # the input is not modified


@pytest.mark.parametrize("design", ["staggered_did", "event_study"])
def test_treatment_gives_the_same_estimates_as_the_cohort(city, design):
    kw = dict(outcome="burglary", unit="district", time="month")
    extra = {"leads": 3, "lags": 3} if design == "event_study" else {}
    fit = getattr(ek, design)
    a = fit(city, cohort="cohort", **kw, **extra).effects
    b = fit(city.drop(columns="cohort"), treatment="partnership", **kw, **extra).effects
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-12)


def test_neither_cohort_nor_treatment_is_refused(city):
    with pytest.raises(SpecError, match=r"give cohort= .* or treatment="):
        ek.staggered_did(city, outcome="burglary", unit="district", time="month")
