"""Reoffending cohorts: propensity-score matching and weighting (evalkit.designs.cohort)."""

from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

import evalkit as ek
from evalkit.data.simulate_cohort import simulate_cohort
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.report.results_json import SCHEMA_PATH, build_results

COVS = ["age", "sex", "prior_convictions", "offence_type"]
KW = {"treated": "programme", "covariates": COVS}
FREQ = {"outcome": "reconviction_events", "outcome_type": "frequency"}
BIN = {"outcome": "reoffended", "outcome_type": "binary"}
pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.EvalkitWarning")


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(n_treated=1000, n_comparison=6000, seed=11)


def tiny(xt, yt, xc, yc) -> pd.DataFrame:
    """One covariate x: matching on the logit score is matching on x."""
    return pd.DataFrame({"g": [1] * len(xt) + [0] * len(xc), "x": [*xt, *xc],
                         "y": [*yt, *yc]})


# -- the known effect --------------------------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"replace": True, "ratio": 2}, {"method": "weight"}])
def test_recovers_the_true_effect_where_the_naive_difference_does_not(cohort, options):
    data, truth = cohort.data, cohort.truth["effects"]["frequency"]
    res = ek.cohort_outcome(data, **KW, **FREQ, **options)
    att, red = res.effect("att"), res.effect("relative_reduction")
    assert att["ci_low"] <= truth["difference_per_100"] <= att["ci_high"]
    assert red["ci_low"] <= truth["relative_reduction"] <= red["ci_high"]
    assert red["ci_low"] > 0  # the programme clearly reduced reconviction events
    # the raw comparison points the wrong way: its interval excludes the truth
    y, g = data["reconviction_events"], data["programme"] == 1
    naive = 100 * (y[g].mean() - y[~g].mean())
    se = 100 * math.sqrt(y[g].var() / g.sum() + y[~g].var() / (~g).sum())
    assert naive == pytest.approx(res.extras.naive_difference)
    assert naive - 1.96 * se > truth["difference_per_100"]
    assert naive > 0


def test_binary_measure_recovers_the_truth_and_shares_the_matched_sample(cohort):
    truth = cohort.truth["effects"]["binary"]
    binary = ek.cohort_outcome(cohort.data, **KW, **BIN)
    freq = ek.cohort_outcome(cohort.data, **KW, **FREQ)
    red = binary.effect("relative_reduction")
    assert red["ci_low"] <= truth["relative_reduction"] <= red["ci_high"]
    att = binary.effect("att")
    assert att["ci_low"] <= truth["difference_per_100"] <= att["ci_high"]
    # one matching for both measures: same people, same weights
    pd.testing.assert_frame_equal(binary.series, freq.series)
    assert binary.method == "cohort_match" and binary.spec["scale"] == "per 100 offenders"


@pytest.mark.slow  # 100 matchings and weightings
def test_coverage_over_100_replications(coverage_band):
    """95% intervals cover the truth about 95% of the time (matching on the frequency and
    weighting on the binary rate, alternately): inside the binomial band for 100
    replications, and each method inside the band for its 50."""
    hits = {"match": [], "weight": []}
    for r in range(100):
        sim = simulate_cohort(n_treated=100, n_comparison=500, seed=1000 + r)
        if r % 2:
            res = ek.cohort_outcome(sim.data, **KW, **BIN, method="weight")
            truth = sim.truth["effects"]["binary"]["difference_per_100"]
            row = res.effect("att")
        else:
            res = ek.cohort_outcome(sim.data, **KW, **FREQ, seed=r)
            truth = sim.truth["effects"]["frequency"]["relative_reduction"]
            row = res.effect("relative_reduction")
        hits[res.spec["method"]].append(row["ci_low"] <= truth <= row["ci_high"])
    low, high = coverage_band(100)
    assert low <= np.mean(hits["match"] + hits["weight"]) <= high
    low, high = coverage_band(50)
    for method in ("match", "weight"):
        assert low <= np.mean(hits[method]) <= high, (method, np.mean(hits[method]))


# -- independent references --------------------------------------------------------------------
def test_matching_without_replacement_equals_a_hand_computed_example():
    # nearest controls: 1.0 -> 1.3, 4.0 -> 4.4, 7.0 -> 6.2 (distinct, so any greedy order)
    data = tiny([1.0, 4.0, 7.0], [2, 1, 0], [0.0, 1.3, 2.5, 4.4, 6.2, 9.0, 3.0, 5.5],
                [3, 2, 1, 4, 1, 0, 2, 1])
    res = ek.cohort_outcome(data, treated="g", outcome="y", outcome_type="frequency",
                            covariates=["x"], caliper=None)
    y1, y0 = np.array([2, 1, 0]), np.array([2, 4, 1])
    t, c = y1.mean(), y0.mean()  # 1 and 7/3
    d = y1 - y0
    se = math.sqrt(((d - d.mean()) ** 2).sum()) / 3  # Abadie-Imbens, no reused control
    att = res.effect("att")
    assert att["estimate"] == pytest.approx(100 * (t - c))
    assert att["std_error"] == pytest.approx(100 * se)
    assert se == pytest.approx(math.sqrt(42) / 9)
    e = np.column_stack([y1 - t, y0 - c])
    cov = e.T @ e / 9
    se_log = math.sqrt(cov[0, 0] / t**2 + cov[1, 1] / c**2 - 2 * cov[0, 1] / (t * c))
    red = res.effect("relative_reduction")
    assert red["estimate"] == pytest.approx(4 / 7)
    assert red["estimate"] == pytest.approx(ek.relative_reduction(t, c))
    assert red["ci_low"] == pytest.approx(1 - (t / c) * math.exp(1.96 * se_log), rel=1e-3)
    assert att["relative_effect"] == pytest.approx(3 / 7)
    assert res.sample["n_comparison_used"] == 3
    matched = res.series.loc[res.series["weight"] > 0, "unit"].tolist()
    assert sorted(matched) == [0, 1, 2, 4, 6, 7]  # treated rows 0-2; controls 1.3, 4.4, 6.2


def test_matching_with_replacement_adds_the_reused_control_variance():
    # 1.0 and 1.2 both take 1.3 (used twice); 7.0 takes 6.2
    xc, yc = [0.0, 1.3, 2.5, 4.4, 6.2, 9.0, 3.0, 5.5], [3, 4, 1, 4, 1, 0, 2, 1]
    data = tiny([1.0, 1.2, 7.0], [1, 0, 2], xc, yc)
    res = ek.cohort_outcome(data, treated="g", outcome="y", outcome_type="frequency",
                            covariates=["x"], caliper=None, replace=True)
    y1, y0 = np.array([1, 0, 2]), np.array([4, 4, 1])
    d = y1 - y0
    # sigma² of the 1.3 control from its 2 nearest other controls (2.5 and 0.0): mean 2
    sigma2 = 2 / 3 * (4 - 2) ** 2
    var = (((d - d.mean()) ** 2).sum() + (2**2 - 2) * sigma2) / 9
    att = res.effect("att")
    assert att["estimate"] == pytest.approx(100 * d.mean())
    assert att["std_error"] == pytest.approx(100 * math.sqrt(var))
    assert res.sample["max_uses"] == 2 and res.sample["n_comparison_used"] == 2
    assert any("up to 2 times" in str(n) for n in res.sample["notes"])


def test_caliper_drops_the_unmatched_treated_with_a_warning():
    xt, xc = [1.0, 4.0, 7.0], [0.0, 1.3, 2.5, 4.4, 6.2, 9.0, 3.0, 5.5]
    data = tiny(xt, [2, 1, 0], xc, [3, 2, 1, 4, 1, 0, 2, 1])
    pooled = math.sqrt((np.var(xt, ddof=1) + np.var(xc, ddof=1)) / 2)
    caliper = 0.6 / pooled  # 0.6 on the x scale: 7.0 (0.8 from 6.2) has no match
    with pytest.warns(EvalkitWarning, match=r"1 of the 3 people in the cohort \(33%\) had no "
                                            r"comparison within the caliper"):
        res = ek.cohort_outcome(data, treated="g", outcome="y", outcome_type="frequency",
                                covariates=["x"], caliper=caliper)
    assert res.sample["n_treated_matched"] == 2 and res.sample["n_treated_dropped"] == 1
    assert res.effect("att")["estimate"] == pytest.approx(100 * ((2 + 1) / 2 - (2 + 4) / 2))
    diag = res.diagnostic("treated_matched")
    assert not diag.passed and diag.statistic == pytest.approx(2 / 3)


def test_weighting_equals_wls_with_the_same_weights_and_a_numerical_sandwich():
    data = simulate_cohort(n_treated=150, n_comparison=600, seed=5).data
    res = ek.cohort_outcome(data, **KW, **BIN, method="weight")
    logit = smf.logit("programme ~ age + C(sex) + prior_convictions + C(offence_type)",
                      data=data).fit(disp=False)
    odds = np.exp(logit.fittedvalues.to_numpy())
    w = data["programme"].to_numpy(float)
    y = data["reoffended"].to_numpy(float)
    weights = np.where(w == 1, 1.0, odds)
    wls = sm.WLS(y, sm.add_constant(w), weights=weights).fit()
    assert res.effect("att")["estimate"] == pytest.approx(100 * wls.params[1], rel=1e-6)
    # stacked estimating equations, Jacobian by finite differences
    x = np.asarray(logit.model.exog)
    n, p = x.shape
    theta = np.r_[logit.params.to_numpy(), y[w == 1].mean(),
                  (weights * y)[w == 0].sum() / weights[w == 0].sum()]

    def psi(th):
        e = 1 / (1 + np.exp(-x @ th[:p]))
        o = e / (1 - e)
        return np.column_stack([x * (w - e)[:, None], w * (y - th[p]),
                                (1 - w) * o * (y - th[p + 1])])

    jac = np.empty((p + 2, p + 2))
    for k in range(p + 2):
        step = np.zeros(p + 2)
        step[k] = 1e-6
        jac[:, k] = (psi(theta + step).mean(0) - psi(theta - step).mean(0)) / 2e-6
    g = psi(theta)
    inv = np.linalg.inv(jac)
    v = (inv @ (g.T @ g / n) @ inv.T / n)[p:, p:]
    se = math.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1])
    assert res.effect("att")["std_error"] == pytest.approx(100 * se, rel=1e-4)
    # ignoring the estimated score (WLS HC0) gives a different, here larger, SE
    assert wls.get_robustcov_results("HC0").bse[1] > se


# -- balance, payment, results.json -----------------------------------------------------------
def test_balance_table_uses_the_pooled_sd_of_the_unmatched_groups(cohort):
    res = ek.cohort_outcome(cohort.data, **KW, **FREQ)
    bal = res.diagnostic("covariate_balance").table.set_index("covariate")
    d = cohort.data
    g = d["programme"] == 1
    sd = math.sqrt((d.loc[g, "age"].var() + d.loc[~g, "age"].var()) / 2)
    assert bal.loc["age", "smd_before"] == pytest.approx(
        (d.loc[g, "age"].mean() - d.loc[~g, "age"].mean()) / sd)
    s = res.series
    used = s[s["weight"] > 0].set_index("unit")
    ages = d.loc[used.index, "age"]
    after_t = ages[used["group"] == "treated"].mean()
    after_c = np.average(ages[used["group"] == "comparison"],
                         weights=used.loc[used["group"] == "comparison", "weight"])
    assert bal.loc["age", "smd_after"] == pytest.approx((after_t - after_c) / sd)
    assert abs(bal.loc["prior_convictions", "smd_before"]) > 0.5
    assert bal["smd_after"].abs().max() <= 0.1 and res.diagnostic("covariate_balance").passed
    # a two-level text covariate is shown once; the others one row per level
    assert "sex: male" in bal.index and "sex: female" not in bal.index
    assert {f"offence_type: {k}" for k in ("violence", "acquisitive", "drugs", "other")} \
        <= set(bal.index)
    assert {"variance_ratio_before", "variance_ratio_after"} <= set(bal.columns)


def test_remaining_imbalance_is_flagged():
    # a tiny pool used without a caliper: the matches cannot balance prior convictions
    data = simulate_cohort(n_treated=200, n_comparison=260, seed=3).data
    with pytest.warns(EvalkitWarning, match=r"still imbalanced after adjustment .*: "
                                            r".*prior_convictions"):
        res = ek.cohort_outcome(data, **KW, **FREQ, caliper=None)
    diag = res.diagnostic("covariate_balance")
    assert not diag.passed and diag.statistic > 0.1


def test_payment_probability_and_decision(cohort):
    res = ek.cohort_outcome(cohort.data, **KW, **FREQ, threshold=0.075)
    red, att = res.effect("relative_reduction"), res.effect("att")
    se_log = red["std_error"] / att["relative_effect"]
    expected = stats.norm.cdf((math.log(1 - 0.075) - math.log(att["relative_effect"])) / se_log)
    diag = res.diagnostic("outcome_payment")
    assert diag.statistic == pytest.approx(expected)
    assert diag.passed is True and res.extras.payment_passed is True
    assert res.extras.payment_probability == pytest.approx(expected)
    assert res.extras.payment_lower_bound_passed == (red["ci_low"] >= 0.075)
    high = ek.cohort_outcome(cohort.data, **KW, **FREQ, threshold=0.6)
    assert high.diagnostic("outcome_payment").passed is False
    assert high.diagnostic("outcome_payment").statistic < expected
    assert "does not reach the threshold of 60.0%" in high.diagnostic("outcome_payment").message
    none = ek.cohort_outcome(cohort.data, **KW, **FREQ)
    assert "outcome_payment" not in {d.name for d in none.diagnostics}


def test_results_json_carries_snake_case_terms_and_the_payment_test(cohort):
    res = ek.cohort_outcome(cohort.data, **KW, **FREQ, threshold=0.1)
    doc = build_results([res], template="reoffending", parameters={"threshold": 0.1},
                        data=cohort.data)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert [e["term"] for e in doc["estimates"]] == ["att", "relative_reduction"]
    assert {e["method"] for e in doc["estimates"]} == {"cohort_match"}
    names = [d["name"] for d in doc["diagnostics"]]
    assert names == ["covariate_balance", "overlap", "treated_matched", "outcome_payment"]
    json.dumps(res.to_dict())
    assert "relative_reduction" in res.summary()


# -- invariances -------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"replace": True}, {"method": "weight"}])
def test_row_order_index_and_identifiers_do_not_matter(cohort, options):
    data = cohort.data.iloc[:1200]
    base = ek.cohort_outcome(data, **KW, **FREQ, **options)
    shuffled = data.sample(frac=1.0, random_state=7)
    shuffled.index = [f"row{i}" for i in range(len(shuffled))]
    shuffled["person_id"] = [f"Z{i}" for i in range(len(shuffled))]
    shuffled = shuffled[shuffled.columns[::-1]]
    other = ek.cohort_outcome(shuffled, **KW, **FREQ, **options)
    pd.testing.assert_frame_equal(base.effects, other.effects)
    assert base.diagnostics == other.diagnostics
    before = data.copy()
    ek.cohort_outcome(data, **KW, **FREQ, **options)
    pd.testing.assert_frame_equal(data, before)  # the caller's data is not modified


def test_seed_changes_only_the_matching_order(cohort):
    a = ek.cohort_outcome(cohort.data, **KW, **FREQ, seed=1)
    b = ek.cohort_outcome(cohort.data, **KW, **FREQ, seed=1)
    c = ek.cohort_outcome(cohort.data, **KW, **FREQ, seed=2)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    assert a.provenance["seed"] == 1
    assert c.effect("att")["estimate"] != a.effect("att")["estimate"]
    assert ek.cohort_outcome(cohort.data, **KW, **FREQ).provenance["seed"] == 20261123


# -- caveats -----------------------------------------------------------------------------------
def test_zero_rate_and_small_counts_are_caveated():
    data = tiny([1.0, 4.0, 7.0], [0, 0, 0], [0.0, 1.3, 2.5, 4.4, 6.2, 9.0, 3.0, 5.5],
                [1, 1, 0, 1, 1, 0, 0, 1])
    with pytest.warns(EvalkitWarning, match="A rate is zero"):
        res = ek.cohort_outcome(data, treated="g", outcome="y", covariates=["x"],
                                caliper=None)
    red = res.effect("relative_reduction")
    assert red["estimate"] == 1.0 and math.isnan(red["ci_low"])
    assert any("Few outcome events" in w for w in res.warnings)


def test_heavy_weights_are_caveated():
    data = tiny([1.0, 2.0, 3.0, 8.5], [1, 0, 1, 1],
                [0.0, 0.5, 1.5, 2.5, 3.5, 4.0, 5.0, 6.0, 9.0, 1.0], [1, 0, 1, 0, 1, 1, 0, 1, 0, 1])
    with pytest.warns(EvalkitWarning, match=r"carries \d+% of the comparison weight"):
        ek.cohort_outcome(data, treated="g", outcome="y", covariates=["x"], method="weight")


# -- errors ------------------------------------------------------------------------------------
def _data() -> pd.DataFrame:
    return simulate_cohort(n_treated=60, n_comparison=200, seed=2).data


@pytest.mark.parametrize(("change", "match"), [
    (lambda d: d.assign(programme=d["programme"].replace(1, 2)),
     r"Column 'programme' must hold 0 or 1 \(1 = in the programme cohort.*found other values "
     r"in \d+ rows: row \d+ \(programme 2\)"),
    (lambda d: d.assign(programme=d["programme"].astype(float).where(d.index != 3)),
     r"Column 'programme' must hold 0 or 1 .* 1 row: row 3 \(programme missing\)"),
    (lambda d: d.assign(programme=0),
     r"must contain both treated \(1\) and comparison \(0\) individuals, but found only "
     r"comparison \(0\) individuals in 260 rows"),
    (lambda d: d.assign(programme=1), r"but found only treated \(1\) individuals"),
    (lambda d: d.assign(age=d["age"].astype(float).where(d.index != 5)),
     r"Covariate 'age' must have a value for every individual, but found missing values in "
     r"1 row: row 5 \(age missing\)\. Fix: drop these individuals"),
    (lambda d: d.assign(sex="male"),
     r"Covariate 'sex' takes the same value \('male'\) for every individual.*remove it"),
    (lambda d: d.assign(offence_type=d["offence_type"].where(
        (d["programme"] == 0) | (d.index % 5 != 0), "arson")),
     r"Covariate 'offence_type': level 'arson' occurs only among the treated individuals "
     r"\(\d+ rows\).*complete separation"),
    (lambda d: d.assign(age=np.where(d["programme"] == 1, 20, 50) + d.index % 3),
     r"the propensity model separates the treated from the comparison individuals "
     r"perfectly \(complete separation"),
    (lambda d: d.assign(age2=d["age"] * 2),
     r"the covariates are collinear: \d+ model terms \(constant, age, .*age2\) but only"),
])
def test_bad_data_is_refused_with_a_clear_message(change, match):
    data = change(_data())
    covs = [*COVS, "age2"] if "age2" in data else COVS
    with pytest.raises(DataError, match=match):
        ek.cohort_outcome(data, treated="programme", covariates=covs, **FREQ)


def test_bad_outcomes_are_refused():
    data = _data()
    with pytest.raises(DataError, match=r"Column 'reconviction_events' must hold 0 or 1 \(1 = "
                                        r"at least one proven reoffence.*outcome_type="
                                        r"'frequency'"):
        ek.cohort_outcome(data, **KW, outcome="reconviction_events")
    with pytest.raises(DataError, match=r"Column 'reconviction_events' must not be negative.* "
                                        r"row 4 \(reconviction_events -1\)"):
        ek.cohort_outcome(data.assign(reconviction_events=lambda d: d["reconviction_events"]
                                      .where(d.index != 4, -1)), **KW, **FREQ)
    with pytest.raises(DataError, match=r"must contain whole numbers, but found fractional "
                                        r"values in 1 row: row 2"):
        ek.cohort_outcome(data.assign(reconviction_events=lambda d: d["reconviction_events"]
                                      .astype(float).where(d.index != 2, 1.5)), **KW, **FREQ)
    with pytest.raises(DataError, match=r"Expected a column 'agee'.*Did you mean 'age'\?"):
        ek.cohort_outcome(data, treated="programme", covariates=["agee"], **FREQ)


def test_a_caliper_that_matches_nobody_is_refused():
    rng = np.random.default_rng(0)
    data = tiny(rng.normal(1, 1, 20), [0] * 20, rng.normal(0, 1, 40), [1] * 40)
    with pytest.raises(SpecError, match=r"the caliper of 1e-09 standard deviations .* leaves "
                                        r"no treated individual with a comparison match.*"
                                        r"Widen the caliper"):
        ek.cohort_outcome(data, treated="g", outcome="y", covariates=["x"], caliper=1e-9)


@pytest.mark.parametrize(("options", "match"), [
    ({"outcome_type": "count"}, r"outcome_type must be one of 'binary', 'frequency'; got 'count'"),
    ({"method": "nearest"}, r"method must be one of 'match', 'weight'; got 'nearest'"),
    ({"estimand": "ate"}, r"estimand must be one of 'att'; got 'ate'"),
    ({"ratio": 0}, r"ratio must be a whole number of at least 1 .*got 0"),
    ({"ratio": 1.5}, r"ratio must be a whole number"),
    ({"caliper": -0.2}, r"caliper must be a positive number of standard deviations .*got -0.2"),
    ({"threshold": 1.2}, r"threshold must be a relative reduction below 1 .*got 1.2"),
    ({"seed": -1}, r"seed must be a non-negative whole number or None; got -1"),
    ({"replace": "yes"}, r"replace must be True or False; got 'yes'"),
    ({"method": "weight", "replace": True}, r"replace and ratio apply to matching"),
    ({"covariates": []}, r"covariates must list at least one column"),
    ({"covariates": ["age", "age"]}, r"covariates lists \['age'\] more than once"),
    ({"covariates": ["age", "programme"]}, r"must be different columns; the propensity model "
                                           r"cannot use the treatment or the outcome"),
    ({"alpha": 1.5}, r"alpha must be strictly between 0 and 1"),
])
def test_bad_options_are_refused(options, match):
    kwargs = {**KW, **FREQ, **options}
    with pytest.raises(SpecError, match=match):
        ek.cohort_outcome(_data(), **kwargs)


# -- simulator ---------------------------------------------------------------------------------
def test_simulator_is_deterministic_and_documents_its_truth():
    a, b = simulate_cohort(seed=4, n_treated=50, n_comparison=80), simulate_cohort(
        seed=4, n_treated=50, n_comparison=80)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert list(a.data.columns) == ["person_id", "programme", "age", "sex",
                                    "prior_convictions", "offence_type", "engaged",
                                    "reoffended", "reconviction_events"]
    assert (a.data["reoffended"] == (a.data["reconviction_events"] > 0)).all()
    assert a.data.loc[a.data["programme"] == 0, "engaged"].isna().all()
    truth = simulate_cohort(effect=0.7, seed=1).truth["effects"]
    assert truth["frequency"]["relative_reduction"] == pytest.approx(0.3)
    assert 0 < truth["binary"]["relative_reduction"] < 0.3
    none = simulate_cohort(effect=1.0, seed=1).truth["effects"]["binary"]
    assert none["relative_reduction"] == 0 and none["difference_per_100"] == 0


@pytest.mark.parametrize(("options", "match"), [
    ({"n_treated": 1}, r"n_treated must be an integer >= 2, got 1"),
    ({"effect": 0}, r"effect must be a positive number, got 0"),
    ({"confounding": -1}, r"confounding must be a number from 0 \(none\) to below 10"),
    ({"engagement": 1.5}, r"engagement must be a share between 0 and 1, got 1.5"),
    ({"seed": "x"}, r"seed must be a non-negative integer"),
])
def test_simulator_rejects_bad_parameters(options, match):
    with pytest.raises(SpecError, match=match):
        simulate_cohort(**options)
