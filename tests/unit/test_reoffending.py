import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from evalkit.errors import DataError, SpecError
from evalkit.indicators import relative_reduction, reoffending_rates


@pytest.fixture
def cohort():
    rng = np.random.default_rng(1)
    group = np.repeat(["comparison", "treated"], [180, 120])
    events = rng.poisson(np.where(group == "treated", 0.6, 0.9))
    return pd.DataFrame({"cohort": group, "events": events, "reoffended": (events > 0).astype(int)})


def test_binary_and_frequency_against_statsmodels(cohort):
    before = cohort.copy()
    out = reoffending_rates(cohort, reoffended="reoffended", events="events", group="cohort")
    pd.testing.assert_frame_equal(cohort, before)
    assert out["cohort"].tolist() == ["comparison", "treated"]
    for _, row in out.iterrows():
        sub = cohort[cohort["cohort"] == row["cohort"]]
        k, n, e = sub["reoffended"].sum(), len(sub), sub["events"].sum()
        assert (row["n_offenders"], row["n_reoffenders"], row["n_events"]) == (n, k, e)
        lo, hi = proportion_confint(k, n, alpha=0.05, method="beta")
        assert row["binary_rate"] == pytest.approx(k / n)
        assert (row["binary_ci_low"], row["binary_ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
        flo, fhi = confint_poisson(e, n, method="exact-c")
        assert row["frequency_per_100"] == pytest.approx(100 * e / n)
        assert row["frequency_ci_low"] == pytest.approx(100 * flo, rel=1e-9)
        assert row["frequency_ci_high"] == pytest.approx(100 * fhi, rel=1e-9)


def test_single_cohort_bool_flags_and_edge_rates():
    df = pd.DataFrame({"r": [False] * 10})
    out = reoffending_rates(df, reoffended="r")
    assert list(out.columns) == [
        "n_offenders",
        "n_reoffenders",
        "binary_rate",
        "binary_ci_low",
        "binary_ci_high",
    ]
    assert out.loc[0, "binary_ci_low"] == 0.0
    assert out.loc[0, "binary_ci_high"] == pytest.approx(1 - 0.025 ** (1 / 10))  # exact, k = 0
    out = reoffending_rates(pd.DataFrame({"r": [1] * 10}), reoffended="r")
    assert out.loc[0, "binary_ci_high"] == 1.0
    assert out.loc[0, "binary_ci_low"] == pytest.approx(0.025 ** (1 / 10))


def test_relative_reduction_peterborough_thresholds():
    # 10 % fewer reconviction events per 100 than the matched comparison
    assert relative_reduction(90.0, 100.0) == pytest.approx(0.10)
    assert relative_reduction(92.5, 100.0) == pytest.approx(0.075)
    assert relative_reduction(110.0, 100.0) == pytest.approx(-0.10)
    np.testing.assert_allclose(relative_reduction([45, 60], [50, 50]), [0.1, -0.2])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((1.0, 0.0), "comparison_rate is 0"),
        ((-1.0, 2.0), "non-negative"),
        (([1, 2, 3], [1, 2]), "different lengths"),
        ((np.nan, 1.0), "missing values"),
    ],
)
def test_relative_reduction_errors(args, match):
    with pytest.raises(DataError, match=match):
        relative_reduction(*args)


def test_reoffending_errors(cohort):
    with pytest.raises(DataError, match="must hold 0/1"):
        reoffending_rates(cohort.assign(reoffended=2), reoffended="reoffended")
    with pytest.raises(DataError, match="must hold 0/1"):
        reoffending_rates(cohort.assign(reoffended=np.nan), reoffended="reoffended")
    with pytest.raises(DataError, match="non-negative whole numbers"):
        reoffending_rates(cohort.assign(events=-1), reoffended="reoffended", events="events")
    with pytest.raises(DataError, match="missing cohort labels"):
        reoffending_rates(cohort.assign(cohort=None), reoffended="reoffended", group="cohort")
    with pytest.raises(DataError, match="no such column"):
        reoffending_rates(cohort, reoffended="reconvicted")
    with pytest.raises(SpecError, match=r"alpha must be strictly between 0 and 1 .*got 0\."):
        reoffending_rates(cohort, reoffended="reoffended", alpha=0)
