"""Power and minimum detectable effects (evalkit.designs.power).

Simulation tests use 100 replications: the Monte Carlo SE of a power near 0.8 is then
about 0.04, which near the MDE corresponds to about 0.015 in rate ratio (the power curves
below rise by ~0.2 per 0.08 of rate ratio), so analytic and simulated MDEs are compared
within 0.03 (two Monte Carlo SEs). Every run is seeded, so the tests are deterministic.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from evalkit.core.fit import fit
from evalkit.data.simulate import simulate_series
from evalkit.designs.did import did
from evalkit.designs.displacement import wdd, wdq
from evalkit.designs.its import _design, _fit, its
from evalkit.designs.power import (
    _sandwich_se,
    did_power,
    its_power,
    mde_from_result,
    mde_note,
    mde_notes,
    simulate_did_panel,
)
from evalkit.errors import EvalkitWarning, SpecError
from evalkit.results import EvaluationResult, effect_row, effects_table

Z80 = 0.8416212335729143
Z975 = 1.959963984540054


# -- the simulation uses evalkit's estimators --------------------------------------------
@pytest.mark.parametrize(("family", "seasonality"), [("poisson", "none"),
                                                       ("quasipoisson", "month")])
def test_its_fast_path_equals_its(family, seasonality):
    sim = simulate_series(n_months=36, intervention_month=24, baseline=15, trend=0.0,
                          level_change=0.8, overdispersion=10.0, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = its(sim.data, outcome="count", time="month", intervention=sim.truth["intervention"],
                  family=family, seasonality=seasonality)
    import pandas as pd

    frame = pd.DataFrame({"_period": pd.period_range("2017-01", periods=36, freq="M"),
                          "_group": 1, "_y": 0.0})
    x, names, cols = _design(frame, frame["_period"][24], "M", seasonality=seasonality,
                             harmonics=2, slope_change=True, covariates=[])
    _, fitted, vcov, _, _ = _fit(sim.data["count"].to_numpy(float), x, None, family=family,
                                 se="model", lags=1)
    j = names.index(cols["level_change"])
    row = res.effect("level_change")
    assert np.asarray(fitted.params)[j] == pytest.approx(row["estimate"], rel=1e-10)
    assert math.sqrt(vcov[j, j]) == pytest.approx(row["std_error"], rel=1e-10)


def test_did_panel_fit_equals_did():
    df = simulate_did_panel(n_treated=3, n_control=6, n_pre=6, n_post=6, baseline=12,
                            effect=0.8, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        res = did(df, outcome="count", unit="area", time="month", treatment="treated",
                  family="poisson")
    unit = np.repeat(np.arange(9), 12)
    period = np.tile(np.arange(12), 9)
    f = fit(df["count"].to_numpy(float), df[["treated"]].to_numpy(float), ["att"],
            fixed_effects=[unit, period], family="poisson", se="cluster", clusters=unit)
    assert f.params[0] == pytest.approx(res.effect("att")["estimate"], rel=1e-8)
    assert f.se()[0] == pytest.approx(res.effect("att")["std_error"], rel=1e-8)


# -- analytic approximation --------------------------------------------------------------
def test_sandwich_reduces_to_the_textbook_formula():
    # level change with no trend: Var(log RR) = (1/(n_pre mu) + 1/(n_post mu)) (1 + mu/theta)
    n_pre, n_post, mu, theta = 24, 12, 20.0, 5.0
    post = (np.arange(n_pre + n_post) >= n_pre).astype(float)
    x = np.column_stack([np.ones_like(post), post])
    se = _sandwich_se(x, [np.full(len(post), mu)], 1, theta=theta, sigma=0.0, rho=0.0,
                      theta_fit=None)
    expected = math.sqrt((1 / (n_pre * mu) + 1 / (n_post * mu)) * (1 + mu / theta))
    assert se == pytest.approx(expected, rel=1e-12)
    # negative binomial fit: inverse information with weights mu / (1 + mu/theta)
    se_nb = _sandwich_se(x, [np.full(len(post), mu)], 1, theta=theta, sigma=0.0, rho=0.0,
                         theta_fit=theta)
    assert se_nb == pytest.approx(expected, rel=1e-12)


def test_its_analytic_and_simulated_mde_agree():
    res = its_power(n_pre=24, n_post=12, baseline=20, reps=100, seed=1)
    assert res.simulated_mde == pytest.approx(res.analytic_mde, abs=0.03)
    assert res.mde == res.simulated_mde
    assert 0.55 < res.analytic_mde < 0.65  # a ~40 % fall for 36 months of ~20 counts
    table = res.table
    assert list(table.columns) == ["effect", "power_analytic", "power_simulated", "mcse"]
    assert np.all(np.abs(table["power_simulated"] - table["power_analytic"]) < 0.12)
    assert res.sentence().startswith("With this data, only a change larger than 4")
    assert res.sentence("fr").startswith("Avec ces données")
    assert res.to_dict()["parameters"]["seed"] == 1


def test_its_analytic_and_simulated_agree_with_overdispersion_and_seasonality():
    res = its_power(n_pre=24, n_post=24, baseline=30, overdispersion=15.0, seasonality=True,
                    reps=100, seed=2)
    assert res.simulated_mde == pytest.approx(res.analytic_mde, abs=0.03)
    assert "quasipoisson" in res.method and "month-of-year" in res.method


def test_power_increases_with_baseline_and_post_period():
    by_baseline = [its_power(n_pre=24, n_post=12, baseline=b, method="analytic").mde
                   for b in (5, 20, 80)]
    assert by_baseline[0] < by_baseline[1] < by_baseline[2] < 1
    by_post = [its_power(n_pre=24, n_post=n, baseline=20, method="analytic").mde
               for n in (3, 12, 24)]
    assert by_post[0] < by_post[1] < by_post[2] < 1
    # same true effect, simulated: more events give more power
    low = its_power(n_pre=24, n_post=12, baseline=5, effects=[0.7], reps=100,
                    method="simulation", seed=4)
    high = its_power(n_pre=24, n_post=12, baseline=40, effects=[0.7], reps=100,
                     method="simulation", seed=4)
    assert high.table["power_simulated"][0] > low.table["power_simulated"][0] + 0.3
    assert low.analytic_mde is None


def test_seed_makes_the_simulation_deterministic():
    a = its_power(n_pre=12, n_post=6, baseline=10, effects=[0.6, 0.8], reps=30, seed=9)
    b = its_power(n_pre=12, n_post=6, baseline=10, effects=[0.6, 0.8], reps=30, seed=9)
    c = its_power(n_pre=12, n_post=6, baseline=10, effects=[0.6, 0.8], reps=30, seed=10)
    assert a.table.equals(b.table)
    assert a.mde == b.mde or (np.isnan(a.mde) and np.isnan(b.mde))
    assert not a.table.equals(c.table)


# -- DiD -----------------------------------------------------------------------------------
def test_did_analytic_and_simulated_mde_agree_with_many_treated():
    res = did_power(n_treated=8, n_control=16, n_pre=6, n_post=6, baseline=10,
                    reps=100, seed=1)
    assert res.simulated_mde == pytest.approx(res.analytic_mde, abs=0.03)
    assert not res.notes


def test_did_few_treated_cluster_test_overstates_power():
    # one treated area, effect practically null: the cluster-robust test rejects far more
    # than 5 %, the wild score bootstrap holds its level
    kw = {"n_treated": 1, "n_control": 11, "n_pre": 6, "n_post": 6, "baseline": 10,
          "effects": [0.995], "reps": 100, "seed": 3, "method": "simulation"}
    cluster = did_power(**kw)
    wild = did_power(**kw, inference="wild")
    assert cluster.table["power_simulated"][0] > 0.10
    assert wild.table["power_simulated"][0] <= 0.05
    assert [n.code for n in cluster.notes] == ["power_few_treated", "power_not_reached"]
    assert "over-rejects" in cluster.method
    assert "wild cluster score bootstrap" in wild.method


# -- MDE from a result ---------------------------------------------------------------------
def _result(row) -> EvaluationResult:
    return EvaluationResult(method="its", spec={"alpha": 0.05}, effects=effects_table([row]),
                            series=effects_table([row]))


def test_mde_from_result_on_known_standard_errors():
    log_row = effect_row("level_change", -0.1, 0.05, alpha=0.05, scale="log",
                         relative="exp")
    res = _result(log_row)
    assert mde_from_result(res) == pytest.approx(math.exp(-(Z975 + Z80) * 0.05), rel=1e-9)
    assert mde_from_result(res, direction="increase") == pytest.approx(
        math.exp((Z975 + Z80) * 0.05), rel=1e-9)
    assert mde_from_result(res, power=0.9) < mde_from_result(res)
    # a t(10) reference interval: its own critical value is used
    t_row = effect_row("att", 2.0, 1.5, alpha=0.05, scale="additive", df=10)
    from scipy import stats

    assert mde_from_result(_result(t_row)) == pytest.approx(
        -(stats.t(10).ppf(0.975) + Z80) * 1.5, rel=1e-9)
    note = mde_note(res)
    assert note.code == "power_mde_ratio" and "13%" in note
    assert mde_note(_result(t_row)).code == "power_mde_additive"


def test_mde_notes_give_each_term_its_sentence_in_the_units_of_its_headline():
    """The MDE sentences a headline adds (computed here, in designs, not by the report)."""
    log_row = effect_row("level_change", -0.1, 0.05, alpha=0.05, scale="log", relative="exp")
    # an additive count change with a relative interval (the ITS cumulative effect): a % MDE
    cumulative = effect_row("cumulative_effect", -40.0, 30.0, alpha=0.05, scale="additive",
                            relative=(0.9, 0.8, 1.25))
    no_se = {**effect_row("wdq", 0.9, 0.1, alpha=0.05, scale="ratio"), "std_error": math.nan}
    res = EvaluationResult(method="its", spec={"alpha": 0.05},
                           effects=effects_table([log_row, cumulative, no_se]),
                           series=effects_table([log_row]))
    notes = mde_notes(res)
    assert set(notes) == {"level_change", "cumulative_effect"}
    assert notes["level_change"] == mde_note(res, term="level_change")
    se = (math.log(1.25) - math.log(0.8)) / (2 * Z975)
    pct = 100 * (1 - math.exp(-(Z975 + Z80) * se))
    assert notes["cumulative_effect"].code == "power_mde_ratio"
    assert notes["cumulative_effect"].values["pct"] == pytest.approx(pct, abs=0.5)
    assert f"{round(pct)}%" in notes["cumulative_effect"].render("en")
    assert mde_notes(res, power=0.9)["cumulative_effect"].values["power_pct"] == 90


def test_mde_from_wdd_matches_its_own_mde():
    res = wdd({"control": (308, 318), "response": (207, 110),
               "buffer_control": (150, 140), "buffer": (178, 157)})
    assert mde_from_result(res) == pytest.approx(-res.extras.mde_power, rel=1e-9)
    assert mde_from_result(res) == pytest.approx(-110.94, abs=0.01)


# -- errors --------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(SpecError, match="n_pre must be a whole number >= 14"):
        its_power(n_pre=12, n_post=6, baseline=10, seasonality=True)
    with pytest.raises(SpecError, match="baseline must be a positive"):
        its_power(n_pre=12, n_post=6, baseline=0)
    with pytest.raises(SpecError, match="method must be one of"):
        its_power(n_pre=12, n_post=6, baseline=10, method="exact")
    with pytest.raises(SpecError, match="rate ratios other than 1"):
        its_power(n_pre=12, n_post=6, baseline=10, effects=[0.8, 1.0])
    with pytest.raises(SpecError, match="reps must be"):
        its_power(n_pre=12, n_post=6, baseline=10, reps=5)
    with pytest.raises(SpecError, match="power must be"):
        did_power(n_treated=1, n_control=5, n_pre=4, n_post=4, baseline=5, power=80)
    with pytest.raises(SpecError, match="inference must be one of"):
        did_power(n_treated=1, n_control=5, n_pre=4, n_post=4, baseline=5, inference="hc1")
    with pytest.raises(SpecError, match="ar1 must be"):
        did_power(n_treated=1, n_control=5, n_pre=4, n_post=4, baseline=5, ar1=1.0)
    with pytest.warns(EvalkitWarning):
        no_se = wdq({"response": (10, 10), "buffer": (5, 6), "control": (10, 10)})
    with pytest.raises(SpecError, match="no standard error"):
        mde_from_result(no_se, term="wdq")
    with pytest.raises(SpecError, match="needs an EvaluationResult"):
        mde_from_result({"std_error": 0.1})
