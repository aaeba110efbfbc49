"""simulate_realistic_city: the realistic city of the verdict benchmark (issue 17)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evalkit.data.simulate.realistic import PRESETS, Scenario, simulate_realistic_city
from evalkit.errors import SpecError

#: no shock, season, trend or growth: each area's mean is constant over time
FLAT = Scenario(name="flat", trend=0.0, season=0.0, city_sd=0.0, district_sd=0.0,
                pop_growth=0.0, n_months=400, n_pre=200, n_areas=30)


def _matrix(data: pd.DataFrame, column: str = "count") -> pd.DataFrame:
    return data.pivot(index="area", columns="month", values=column)


def test_overdispersion_measured_matches_the_size_set():
    # Var = mu + mu^2 / k, each area's mean constant: k = mu^2 / (var - mu), pooled
    city = simulate_realistic_city(dataclasses.replace(FLAT, nb_size=20.0), seed=3)
    counts = _matrix(city.data).to_numpy(float)
    mu, var = counts.mean(axis=1), counts.var(axis=1, ddof=1)
    k = (mu**2).sum() / (var - mu).sum()
    assert k == pytest.approx(20.0, rel=0.2)
    poisson = _matrix(simulate_realistic_city(
        dataclasses.replace(FLAT, nb_size=float("inf")), seed=3).data).to_numpy(float)
    assert poisson.var(axis=1, ddof=1).mean() / poisson.mean(axis=1).mean() == pytest.approx(
        1.0, abs=0.1)


def test_district_ar1_rho_is_recovered():
    s = dataclasses.replace(FLAT, district_rho=0.7, district_sd=0.3, nb_size=float("inf"),
                            rate=2000.0)  # large counts: log count ≈ log mean
    logs = np.log(_matrix(simulate_realistic_city(s, seed=5).data).to_numpy(float))
    z = logs - logs.mean(axis=1, keepdims=True)
    rho = (z[:, 1:] * z[:, :-1]).sum() / (z[:, :-1] ** 2).sum()
    assert rho == pytest.approx(0.7, abs=0.05)
    white = np.log(_matrix(simulate_realistic_city(
        dataclasses.replace(s, district_rho=0.0), seed=5).data).to_numpy(float))
    w = white - white.mean(axis=1, keepdims=True)
    assert abs((w[:, 1:] * w[:, :-1]).sum() / (w[:, :-1] ** 2).sum()) < 0.05


@pytest.mark.parametrize("n_treated", [1, 3])
def test_spike_selection_picks_the_top_areas_of_the_last_pre_months(n_treated):
    s = dataclasses.replace(PRESETS["null_spike_1"], n_treated=n_treated)
    city = simulate_realistic_city(s, seed=11)
    counts = _matrix(city.data)
    pre = counts.iloc[:, :s.n_pre].to_numpy(float)
    k = s.spike_months
    ratio = (pre[:, -k:].mean(axis=1) + 0.5) / (pre[:, :-k].mean(axis=1) + 0.5)
    top = sorted(counts.index[np.argsort(-ratio)[:n_treated]])
    assert city.truth["treated"] == top
    assert city.truth["spike_ratio"] == pytest.approx(dict(zip(counts.index, ratio, strict=True)))
    # selected after a spike: their last pre-months are well above their own history
    assert min(city.truth["spike_ratio"][a] for a in top) > 1.05


def test_population_exposure_grows_in_every_area():
    pop = _matrix(simulate_realistic_city("null_moderate_1", seed=2).data, "population")
    assert (pop.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    growth = pop.iloc[:, -1] / pop.iloc[:, 0] - 1
    assert (growth > 0.02).all()  # 6 years at 0.5–1.5 % a year


def test_effect_is_applied_only_to_treated_post_periods():
    base = PRESETS["null_moderate_3"]
    null = simulate_realistic_city(base, seed=8)
    cut = simulate_realistic_city(dataclasses.replace(base, effect=-0.5), seed=8)
    a, b = _matrix(null.data), _matrix(cut.data)
    post = a.columns >= null.truth["start"]
    treated = a.index.isin(null.truth["treated"])
    assert null.truth["treated"] == cut.truth["treated"]
    # the same seed gives the same counts everywhere the partnership is not
    assert a.loc[:, ~post].equals(b.loc[:, ~post])
    assert a.loc[~treated].equals(b.loc[~treated])
    ratio = b.loc[treated, post].to_numpy().sum() / a.loc[treated, post].to_numpy().sum()
    assert ratio == pytest.approx(0.5, abs=0.05)
    assert cut.truth["expected_treated"] == pytest.approx(0.5 * cut.truth["expected_untreated"])


def test_buffers_shift_with_displacement_and_the_city_with_a_shift():
    base = PRESETS["null_moderate_1"]
    plain = simulate_realistic_city(base, seed=4)
    moved = simulate_realistic_city(dataclasses.replace(base, displacement=0.5), seed=4)
    a, b = _matrix(plain.data), _matrix(moved.data)
    post = a.columns >= plain.truth["start"]
    buffer = a.index.isin(plain.truth["buffer"])
    assert a.loc[~buffer].equals(b.loc[~buffer])
    assert b.loc[buffer, post].to_numpy().sum() / a.loc[buffer, post].to_numpy().sum() \
        == pytest.approx(1.5, abs=0.1)
    shifted = _matrix(simulate_realistic_city(dataclasses.replace(base, shift=-0.25),
                                              seed=4).data)
    assert shifted.loc[:, post].to_numpy().sum() / a.loc[:, post].to_numpy().sum() \
        == pytest.approx(0.75, abs=0.03)


def test_truth_matches_the_data():
    city = simulate_realistic_city("power20_3", seed=6)
    data, truth = city.data, city.truth
    assert list(data.columns) == ["area", "month", "count", "population", "treatment",
                                  "buffer"]
    assert sorted(data.loc[data["treatment"] == 1, "area"].unique()) == truth["treated"]
    assert data.loc[data["treatment"] == 1, "month"].min() == truth["start"]
    assert (data.loc[data["area"].isin(truth["treated"]) & (data["month"] >= truth["start"]),
                     "treatment"] == 1).all()
    assert sorted(data.loc[data["buffer"] == 1, "area"].unique()) == truth["buffer"]
    roles = [set(truth["treated"]), set(truth["buffer"]), set(truth["buffer_control"])]
    assert sum(map(len, roles)) == len(set().union(*roles)) == 3 + 2 + 8
    assert truth["effect_pct"] == -20.0
    assert truth["scenario"]["name"] == "power20_3"
    assert data.groupby("area").size().eq(PRESETS["power20_3"].n_months).all()


def test_seeds_reproduce():
    one = simulate_realistic_city("null_spike_3", seed=9)
    again = simulate_realistic_city("null_spike_3", seed=9)
    pd.testing.assert_frame_equal(one.data, again.data)
    assert one.truth == again.truth
    other = simulate_realistic_city("null_spike_3", seed=10)
    assert not one.data["count"].equals(other.data["count"])


def test_run_designs_reads_the_city():
    from evalkit.designs.evaluation import run_designs

    city = simulate_realistic_city("power20_1", seed=1)
    run = run_designs(city.data, outcome="count", unit="area", time="month",
                      treatment="treatment", exposure="population",
                      buffer=city.truth["buffer"], buffer_control=city.truth["buffer_control"])
    assert list(run.treated) == city.truth["treated"]
    assert {r.method for r in run.results} >= {"its", "controlled_its", "wdd"}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"selection": "peak"}, r"selection must be 'random' or 'spike', got 'peak'"),
    ({"n_treated": 20}, r"n_areas must leave at least 2 comparison areas"),
    ({"n_pre": 72}, r"n_pre must be between 2 and n_months - 1 \(71\)"),
    ({"spike_months": 48}, r"spike_months must be between 1 and n_pre - 1 \(47\)"),
    ({"effect": -1.0}, r"effect must be a relative change above -1"),
    ({"district_rho": 1.0}, r"district_rho must be in \[0, 1\)"),
    ({"pop_growth": -0.01}, r"pop_growth must be >= 0"),
    ({"n_buffer": 0}, r"n_buffer and n_buffer_control must be both zero or both positive"),
    ({"nb_size": 0.0}, r"nb_size and rate must be positive"),
])
def test_bad_scenarios_are_refused(kwargs, match):
    with pytest.raises(SpecError, match=match):
        Scenario(**kwargs)


def test_unknown_preset_and_bad_seed_are_refused():
    with pytest.raises(SpecError, match=r"unknown scenario 'nope'; the presets are "
                                        r"null_moderate_1, "):
        simulate_realistic_city("nope", seed=1)
    with pytest.raises(SpecError, match=r"scenario must be a Scenario or a preset name"):
        simulate_realistic_city(3, seed=1)
    with pytest.raises(SpecError, match=r"seed must be a non-negative integer, got -1"):
        simulate_realistic_city("null_moderate_1", seed=-1)
