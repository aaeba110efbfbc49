import warnings

import numpy as np
import pytest
from statsmodels.stats import rates as sm_rates
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.indicators import rate_change

CASES = [(20, 1000.0, 10, 1000.0), (120, 5e4, 90, 5.2e4), (15, 800.0, 30, 1000.0), (7, 1.0, 3, 2.0)]


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return rate_change(*args, **kwargs)


@pytest.mark.parametrize(("xb", "eb", "xa", "ea"), CASES)
def test_exact_matches_clopper_pearson_and_statsmodels_exact_cond(xb, eb, xa, ea):
    out = _quiet(xb, eb, xa, ea).iloc[0]
    assert out["rate_ratio"] == pytest.approx((xa / ea) / (xb / eb))
    # independent reference 1: statsmodels Clopper-Pearson ("beta") on x_a / (x_a + x_b)
    lo, hi = proportion_confint(xa, xa + xb, alpha=0.05, method="beta")
    assert out["ci_low"] == pytest.approx(lo / (1 - lo) * eb / ea, rel=1e-9)
    assert out["ci_high"] == pytest.approx(hi / (1 - hi) * eb / ea, rel=1e-9)
    # independent reference 2: statsmodels exact conditional test, one-sided tails doubled
    tails = [
        sm_rates.test_poisson_2indep(xa, ea, xb, eb, method="exact-cond", alternative=alt).pvalue
        for alt in ("larger", "smaller")
    ]
    assert out["p_value"] == pytest.approx(min(1.0, 2 * min(tails)), rel=1e-9)
    assert out["percent_change"] == pytest.approx(100 * (out["rate_ratio"] - 1))
    assert out["percent_ci_low"] == pytest.approx(100 * (out["ci_low"] - 1))


def test_exact_p_value_close_to_statsmodels_minlike_default():
    out = _quiet(20, 1000, 10, 1000).iloc[0]
    ref = sm_rates.test_poisson_2indep(10, 1000, 20, 1000, method="exact-cond").pvalue
    assert out["p_value"] == pytest.approx(ref, rel=1e-9)  # symmetric case: both rules agree


@pytest.mark.parametrize(("xb", "eb", "xa", "ea"), CASES)
def test_wald_matches_statsmodels_wald_log(xb, eb, xa, ea):
    out = _quiet(xb, eb, xa, ea, method="wald").iloc[0]
    lo, hi = sm_rates.confint_poisson_2indep(xa, ea, xb, eb, method="wald-log", alpha=0.05)
    ref = sm_rates.test_poisson_2indep(xa, ea, xb, eb, method="wald-log")
    assert out["ci_low"] == pytest.approx(lo, rel=1e-9)
    assert out["ci_high"] == pytest.approx(hi, rel=1e-9)
    assert out["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_rates_and_vectorised_rows():
    out = _quiet([20, 15], [1000, 800], [10, 30], [1000, 1000], per=1000)
    assert len(out) == 2
    np.testing.assert_allclose(out["rate_before"], [20.0, 18.75])
    np.testing.assert_allclose(out["rate_after"], [10.0, 30.0])
    assert list(out.columns) == [
        "count_before",
        "count_after",
        "rate_before",
        "rate_after",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "percent_change",
        "percent_ci_low",
        "percent_ci_high",
        "p_value",
    ]


def test_zeros_give_open_bounds_not_errors():
    with pytest.warns(EvalkitWarning, match="fewer than 10 events"):
        out = rate_change([5, 0, 0], 100, [0, 5, 0], 100)
    assert out.loc[0, "rate_ratio"] == 0 and out.loc[0, "ci_low"] == 0
    assert np.isfinite(out.loc[0, "ci_high"]) and out.loc[0, "percent_ci_low"] == -100
    assert np.isinf(out.loc[1, "rate_ratio"]) and np.isinf(out.loc[1, "ci_high"])
    assert out.loc[1, "ci_low"] > 0
    assert np.isnan(out.loc[2, "rate_ratio"]) and out.loc[2, "p_value"] == 1.0
    assert (out.loc[2, "ci_low"], out.loc[2, "ci_high"]) == (0.0, np.inf)
    # x_b = 5, x_a = 0, equal exposure: p = 2 * 0.5**5
    assert out.loc[0, "p_value"] == pytest.approx(2 * 0.5**5)


def test_wald_zero_warns_and_opens_interval():
    with pytest.warns(EvalkitWarning) as record:
        out = rate_change(0, 100, 5, 100, method="wald")
    assert any("use method='exact'" in str(w.message) for w in record)
    assert (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == (0.0, np.inf)
    assert np.isnan(out.loc[0, "p_value"])


def test_input_arrays_unchanged():
    xb, xa = np.array([20, 15]), np.array([10, 30])
    _quiet(xb, 1000, xa, 1000)
    np.testing.assert_array_equal(xb, [20, 15])
    np.testing.assert_array_equal(xa, [10, 30])


@pytest.mark.parametrize(
    ("args", "kwargs", "err", "match"),
    [
        ((-1, 10, 5, 10), {}, DataError, "count_before must be non-negative whole numbers"),
        ((1, 10, 2.5, 10), {}, DataError, "count_after must be non-negative whole numbers"),
        ((1, 0, 2, 10), {}, DataError, "exposure_before must be strictly positive"),
        ((1, 10, 2, -1), {}, DataError, "exposure_after must be strictly positive"),
        (([1, 2], 10, [1, 2, 3], 10), {}, DataError, "different lengths"),
        ((1, 10, 2, 10), {"method": "score"}, SpecError, "method must be one of"),
        ((1, 10, 2, 10), {"alpha": 2}, SpecError, "alpha must be strictly between"),
        ((1, 10, 2, 10), {"per": -1}, SpecError, "per must be a positive number"),
    ],
)
def test_errors(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        _quiet(*args, **kwargs)
