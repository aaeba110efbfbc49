import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.indicators import survey_share


@pytest.fixture
def tiny():
    # two strata, two PSUs each (PSU labels reused across strata: nested)
    return pd.DataFrame(
        {
            "stratum": ["A", "A", "A", "B", "B", "B"],
            "psu": [1, 1, 2, 1, 2, 2],
            "w": [2.0, 2.0, 1.0, 3.0, 1.0, 1.0],
            "answer": ["Unsafe", "safe", "very unsafe ", "safe", "safe", "unsafe"],
        }
    )


def test_design_based_se_hand_computed(tiny):
    """Hand computation, identical to R: svymean(~y, svydesign(ids=~psu, strata=~stratum,
    weights=~w, nest=TRUE)) without fpc.

    share = 4/10 = 0.4; z_i = w_i (y_i - 0.4) / 10; PSU totals: A1 0.12 - 0.08 = 0.04,
    A2 0.06, B1 -0.12, B2 -0.04 + 0.06 = 0.02; stratum A: 2 * (0.01^2 + 0.01^2) = 0.0004,
    stratum B: 2 * (0.07^2 + 0.07^2) = 0.0196; V = 0.02, SE = 0.141421.
    """
    before = tiny.copy()
    out = survey_share(tiny, response="answer", weight="w", strata="stratum", psu="psu")
    pd.testing.assert_frame_equal(tiny, before)
    row = out.iloc[0]
    assert row["share"] == pytest.approx(0.4)
    assert row["std_error"] == pytest.approx(np.sqrt(0.02), rel=1e-12)
    assert row["n_eff"] == pytest.approx(0.24 / 0.02)
    assert row["deff"] == pytest.approx(6 / 12)
    assert row["rse"] == pytest.approx(np.sqrt(0.02) / 0.4)
    assert row["reliability"] == "suppressed"  # n = 6 < 30
    lo, hi = proportion_confint(0.4 * 12, 12, alpha=0.05, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)


def test_cluster_design_matches_statsmodels_cluster_robust_wls():
    """Independent check: WLS of y on domain dummies with cluster-robust (no small-sample
    correction) sandwich, times G / (G - 1), equals the with-replacement linearisation
    variance of each domain mean computed over the full design."""
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "psu": rng.integers(0, 25, n),
            "w": rng.uniform(0.5, 3.0, n),
            "area": rng.choice(["east", "west"], n),
        }
    )
    df["resp"] = np.where(rng.random(n) < 0.3 + 0.01 * df["psu"], "unsafe", "safe")
    out = survey_share(df, response="resp", weight="w", psu="psu", by="area")
    y = (df["resp"] == "unsafe").astype(float)
    dummies = pd.get_dummies(df["area"]).astype(float)
    fit = sm.WLS(y, dummies, weights=df["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": df["psu"], "use_correction": False}
    )
    g = df["psu"].nunique()
    np.testing.assert_allclose(out["share"], fit.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(out["std_error"], fit.bse.to_numpy() * np.sqrt(g / (g - 1)))


def test_strata_without_psu_is_srs_within_strata():
    # one stratum, equal weights, each respondent its own PSU: V = p(1-p)/(n-1)
    df = pd.DataFrame({"s": 1, "r": ["unsafe"] * 12 + ["safe"] * 28})
    row = survey_share(df, response="r", strata="s").iloc[0]
    assert row["std_error"] == pytest.approx(np.sqrt(0.3 * 0.7 / 39))


def test_kish_effective_sample_size():
    df = pd.DataFrame({"r": ["unsafe", "safe", "safe", "unsafe"], "w": [1.0, 1.0, 2.0, 4.0]})
    row = survey_share(df, response="r", weight="w").iloc[0]
    assert row["share"] == pytest.approx(5 / 8)
    assert row["n_eff"] == pytest.approx(64 / 22)
    assert row["deff"] == pytest.approx(1 + 1.5 / 4)  # 1 + CV^2, population variance
    assert row["std_error"] == pytest.approx(np.sqrt(5 / 8 * 3 / 8 / (64 / 22)))
    assert row["n"] == 4


def _share(k, n):
    return pd.DataFrame({"r": ["unsafe"] * k + ["safe"] * (n - k)})


@pytest.mark.parametrize(
    ("k", "n", "flag"),
    [
        (50, 100, "ok"),
        (4, 40, "caution"),
        (1, 40, "suppressed"),
        (15, 29, "suppressed"),
        (0, 50, "caution"),
    ],
)
@pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")
def test_reliability_flags(k, n, flag):
    # unweighted: RSE = sqrt((1 - p) / (n p)) -> 0.1, 0.47, 0.99
    assert survey_share(_share(k, n), response="r").loc[0, "reliability"] == flag


def test_missing_responses_dropped_and_counted_by_group():
    df = pd.DataFrame(
        {"area": ["a", "a", "a", "b", "b"], "r": ["unsafe", None, "safe", np.nan, np.nan]}
    )
    out = survey_share(df, response="r", by="area")
    assert out["area"].tolist() == ["a", "b"]
    assert out["n"].tolist() == [2, 0]
    assert out["n_missing"].tolist() == [1, 2]
    assert out.loc[0, "share"] == 0.5
    assert np.isnan(out.loc[1, "share"]) and out.loc[1, "reliability"] == "suppressed"


def test_custom_labels_and_no_match_warning():
    df = pd.DataFrame({"q": [1, 2, 3, 4] * 10})
    assert survey_share(df, response="q", unsafe=(3, 4)).loc[0, "share"] == 0.5
    with pytest.warns(EvalkitWarning, match="No answer in column 'q' matches"):
        survey_share(df, response="q")


def test_errors(tiny):
    with pytest.raises(DataError, match="single PSU"):
        survey_share(tiny.iloc[:4], response="answer", strata="stratum", psu="psu")
    with pytest.raises(DataError, match="non-negative numbers"):
        survey_share(tiny.assign(w=-1.0), response="answer", weight="w")
    with pytest.raises(DataError, match="non-negative numbers"):
        survey_share(tiny.assign(w=np.nan), response="answer", weight="w")
    with pytest.raises(DataError, match="design column 'stratum' has missing"):
        survey_share(tiny.assign(stratum=None), response="answer", strata="stratum")
    with pytest.raises(DataError, match=r"column 'weight', but the data has no such"):
        survey_share(tiny, response="answer", weight="weight")
    with pytest.raises(SpecError, match=r"alpha must be strictly between 0 and 1 .*got 1\."):
        survey_share(tiny, response="answer", alpha=1)
