"""Interrupted time series against Lopez Bernal, Cummins & Gasparrini (2017), "Interrupted time
series regression for the evaluation of public health interventions: a tutorial",
Int J Epidemiol 46(1):348-355, doi:10.1093/ije/dyw098.

Data: sicily.csv, the authors' own file (59 months, 2002-01 to 2006-11; acute coronary events
``aces``; smoking ban from 2005-01; age-standardised population ``stdpop`` as the offset).

Reference values are those of the authors' published code (Rcode.R, gasparrini/
2017_lopezbernal_IJE_codedata), step change only (no change in slope):

* model1: Poisson, log(stdpop) offset, linear trend, no seasonality:
  RR 0.894 (95% CI 0.865 to 0.925)
* model3: quasi-Poisson, same + harmonic(month, 2, 12) (two sine/cosine pairs, period 12):
  RR 0.885 (95% CI 0.839 to 0.933)   [dispersion 2.262]
* model2 (quasi-Poisson, no seasonality), extra: RR 0.894 (95% CI 0.839 to 0.953)

The CIs are Epi::ci.exp() intervals: exp(b +/- qnorm(0.975) * se), with the quasi-Poisson se
scaled by the Pearson dispersion X2/(n - p). A t quantile would give 0.838 to 0.934 for model3,
which these tests reject. Independent check: tests/reference/scripts/sicily_its.py
(statsmodels GLM) reproduces every number below; the full-precision values it prints are the
``*_LOG`` constants.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import evalkit as ek

# Full-precision log rate ratio and SE from the statsmodels reproduction (scripts/sicily_its.py).
MODEL1_LOG = (-0.1116284426, 0.0172247781)  # Poisson
MODEL2_LOG = (-0.1116284426, 0.0324959407)  # quasi-Poisson, no seasonality
MODEL3_LOG = (-0.1220867929, 0.0270310988)  # quasi-Poisson, 2 harmonic pairs


@pytest.fixture
def sicily(load_reference) -> pd.DataFrame:
    df = load_reference("sicily.csv")
    assert len(df) == 59
    df["period"] = [f"{y:04d}-{m:02d}" for y, m in zip(df["year"], df["month"], strict=True)]
    return df


def _fit(df: pd.DataFrame, **kwargs):
    return ek.its(
        df,
        outcome="aces",
        time="period",
        intervention="2005-01",
        exposure="stdpop",
        slope_change=False,
        **kwargs,
    )


def _check_published(row, rr: float, lo: float, hi: float) -> None:
    """Published values are printed to 3 decimals: agree within half a unit of the last."""
    assert row["relative_effect"] == pytest.approx(rr, abs=5e-4)
    assert row["relative_ci_low"] == pytest.approx(lo, abs=5e-4)
    assert row["relative_ci_high"] == pytest.approx(hi, abs=5e-4)


def _check_reproduced(row, log_rr: tuple[float, float]) -> None:
    est, se = log_rr
    assert row["scale"] == "log"
    assert row["estimate"] == pytest.approx(est, rel=1e-6)
    assert row["std_error"] == pytest.approx(se, rel=1e-5)
    assert row["relative_effect"] == pytest.approx(math.exp(est), rel=1e-6)
    z = 1.959963984540054
    assert row["relative_ci_low"] == pytest.approx(math.exp(est - z * se), rel=1e-5)
    assert row["relative_ci_high"] == pytest.approx(math.exp(est + z * se), rel=1e-5)


def test_model1_poisson_step_change(sicily, get_row):
    """Lopez Bernal et al. (2017), Step 4 / Rcode.R model1: Poisson segmented regression,
    level change only, log(stdpop) offset, no seasonality. RR 0.894 (0.865 to 0.925)."""
    res = _fit(sicily, family="poisson", seasonality="none")
    row = get_row(res, "level_change")
    _check_published(row, 0.894, 0.865, 0.925)
    _check_reproduced(row, MODEL1_LOG)


def test_model3_quasipoisson_fourier_step_change(sicily, get_row):
    """Lopez Bernal et al. (2017), Step 5 (seasonality) / Rcode.R model3: quasi-Poisson,
    level change only, two Fourier pairs with period 12. RR 0.885 (0.839 to 0.933)."""
    res = _fit(sicily, family="quasipoisson", seasonality="fourier", harmonics=2)
    row = get_row(res, "level_change")
    _check_published(row, 0.885, 0.839, 0.933)
    _check_reproduced(row, MODEL3_LOG)


def test_model2_quasipoisson_no_seasonality(sicily, get_row):
    """Rcode.R model2 (overdispersion step): quasi-Poisson without seasonality. Same point
    estimate as model1, CI widened by sqrt(dispersion 3.559): 0.894 (0.839 to 0.953)."""
    res = _fit(sicily, family="quasipoisson", seasonality="none")
    row = get_row(res, "level_change")
    _check_published(row, 0.894, 0.839, 0.953)
    _check_reproduced(row, MODEL2_LOG)


def test_step_change_model_has_no_slope_change_term(sicily):
    """The tutorial's impact model is a step change: slope_change=False drops that term."""
    res = _fit(sicily, family="poisson", seasonality="none")
    assert "slope_change" not in set(res.effects["term"])
