import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.rates import confint_poisson

from evalkit.errors import DataError, SpecError
from evalkit.indicators import poisson_ci, rate


@pytest.mark.parametrize(
    ("x", "lo", "hi"), [(0, 0.0, 3.689), (5, 1.623, 11.668), (10, 4.795, 18.390)]
)
def test_poisson_ci_domain_vectors(x, lo, hi):
    got_lo, got_hi = poisson_ci(x)
    assert round(float(got_lo), 3) == lo
    assert round(float(got_hi), 3) == hi


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_poisson_ci_matches_statsmodels_exact_c(alpha):
    x = np.array([0, 1, 2, 5, 17, 100, 2500])
    lo, hi = poisson_ci(x, alpha=alpha)
    ref_lo, ref_hi = confint_poisson(x, 1, method="exact-c", alpha=alpha)
    np.testing.assert_allclose(lo, np.nan_to_num(ref_lo), rtol=1e-10)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-10)


def test_rate_values_and_ci_scaled_by_exposure():
    out = rate([0, 5, 10], [1000, 2000, 4000], per=1000)
    assert list(out.columns) == ["count", "exposure", "rate", "ci_low", "ci_high"]
    np.testing.assert_allclose(out["rate"], [0.0, 2.5, 2.5])
    ref_lo, ref_hi = confint_poisson(
        np.array([0, 5, 10]), np.array([1000, 2000, 4000]), method="exact-c"
    )
    np.testing.assert_allclose(out["ci_low"], np.nan_to_num(ref_lo) * 1000, rtol=1e-10)
    np.testing.assert_allclose(out["ci_high"], ref_hi * 1000, rtol=1e-10)


def test_rate_scalar_gives_one_row_and_series_keeps_index():
    assert len(rate(5, 100)) == 1
    assert rate(5, 100)["rate"].iloc[0] == pytest.approx(5000)
    counts = pd.Series([3, 4], index=["north", "south"])
    expo = pd.Series([1000.0, 2000.0], index=["north", "south"])
    before = (counts.copy(), expo.copy())
    out = rate(counts, expo)
    assert list(out.index) == ["north", "south"]
    pd.testing.assert_series_equal(counts, before[0])
    pd.testing.assert_series_equal(expo, before[1])


def test_rate_scalar_exposure_broadcasts():
    out = rate(np.array([1, 2, 3]), 10, per=1)
    np.testing.assert_allclose(out["rate"], [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("count", "exposure", "kwargs", "err", "match"),
    [
        (-1, 10, {}, DataError, "non-negative whole numbers"),
        (2.5, 10, {}, DataError, "non-negative whole numbers"),
        ([1, np.nan], 10, {}, DataError, "missing values"),
        (["a"], 10, {}, DataError, "must be numeric"),
        (3, 0, {}, DataError, "strictly positive"),
        (3, -5, {}, DataError, "strictly positive"),
        ([1, 2, 3], [10, 20], {}, DataError, "3 values but exposure has 2"),
        (3, 10, {"alpha": 0}, SpecError, "alpha must be strictly between 0 and 1"),
        (3, 10, {"alpha": 1.5}, SpecError, "alpha must be strictly between 0 and 1"),
        (3, 10, {"per": 0}, SpecError, "per must be a positive number"),
    ],
)
def test_rate_errors(count, exposure, kwargs, err, match):
    with pytest.raises(err, match=match):
        rate(count, exposure, **kwargs)


def test_rate_misaligned_series_rejected():
    with pytest.raises(DataError, match="different indexes"):
        rate(pd.Series([1, 2], index=["a", "b"]), pd.Series([5, 5], index=["b", "a"]))


def test_poisson_ci_errors():
    with pytest.raises(DataError, match="non-negative whole numbers"):
        poisson_ci([1, -2])
    with pytest.raises(SpecError, match=r"alpha must be strictly between 0 and 1 .*got -0\.1"):
        poisson_ci(3, alpha=-0.1)


def test_rate_does_not_modify_input_array():
    x = np.array([1, 2, 3])
    rate(x, 10)
    np.testing.assert_array_equal(x, [1, 2, 3])
