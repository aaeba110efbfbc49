"""The Python API reads each area's start from the 0/1 treatment column, as the templates do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit._resources import samples_dir
from evalkit.data.panel import with_first_treated
from evalkit.errors import SpecError

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


def test_weekly_cohorts_read_back_from_the_treatment_column():
    """A weekly start was written as a 'start/end' range no parser reads back."""
    rng = np.random.default_rng(1)
    weeks = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    starts = {f"a{u}": weeks[30] if u < 3 else weeks[40] if u < 6 else None for u in range(12)}
    df = pd.DataFrame([{"area": a, "week": w.strftime("%Y-%m-%d"), "n": rng.poisson(20),
                        "d": int(s is not None and w >= s)}
                       for a, s in starts.items() for w in weeks])
    derived = with_first_treated(df, unit="area", time="week", treatment="d")
    assert set(derived["first_treated"]) == {"2021-08-02", "2021-10-11", ""}
    res = ek.staggered_did(df, outcome="n", unit="area", time="week", treatment="d",
                           control_group="not_yet_treated")
    assert np.isfinite(res.effect("att_simple")["estimate"])
