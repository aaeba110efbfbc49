"""Tests of the city simulator and of the shipped sample data."""

from __future__ import annotations

import json
import math
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data.simulate import (
    SURVEY_CATEGORIES,
    SimulatedCity,
    simulate_city,
    simulate_hotspots,
    simulate_incidents,
    simulate_series,
    simulate_survey,
)
from evalkit.errors import SpecError

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
CRIMES = ["burglary", "robbery", "violence", "antisocial_behaviour"]


def _json_roundtrip(truth: dict) -> dict:
    return json.loads(json.dumps(truth, allow_nan=False))


# ----------------------------------------------------------------------------- city


def test_city_is_deterministic_and_seed_matters() -> None:
    a, b = simulate_city(seed=7), simulate_city(seed=7)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    assert not a.data.equals(simulate_city(seed=8).data)
    assert "1920 rows" in repr(a)


def test_city_layout() -> None:
    city = simulate_city()
    cols = ["district", "month", "population", "dwellings", *CRIMES, "partnership", "cohort"]
    assert list(city.data.columns) == cols
    assert city.data.shape == (20 * 96, len(cols))
    assert {"Centre", "Gare", "Port", "Hôtel-de-Ville"} <= set(city.data["district"])
    assert city.data["month"].iloc[0] == "2017-01" and city.data["month"].iloc[-1] == "2024-12"
    assert not city.data.duplicated(["district", "month"]).any()
    pop = city.data["population"]
    assert pop.between(4_000, 70_000).all() and (city.data["dwellings"] < pop).all()
    assert (city.data[CRIMES] >= 0).all().all()
    assert all(city.data[c].dtype == np.int64 for c in CRIMES)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"roll_out": "common"},
        {"roll_out": "single"},
        {"dynamic": "ramp", "n_treated": 20},
        {"roll_out": "staggered", "start_dates": ["2018-03", "2023-11"], "n_treated": 2},
    ],
)
def test_treatment_absorbing_and_cohort_consistent(kwargs: dict) -> None:
    city = simulate_city(**kwargs)
    df = city.data
    for district, g in df.groupby("district", sort=False):
        d = g["partnership"].to_numpy()
        assert set(d) <= {0, 1} and (np.diff(d) >= 0).all(), district
        cohort = g["cohort"].iloc[0]
        assert g["cohort"].nunique(dropna=False) == 1
        if d.any():
            assert cohort == g.loc[g["partnership"] == 1, "month"].iloc[0]
            assert district in city.truth["design"]["cohorts"][cohort]
        else:
            assert pd.isna(cohort) and district in city.truth["design"]["never_treated"]
    n_treated = city.truth["parameters"]["n_treated"]
    assert df.loc[df["partnership"] == 1, "district"].nunique() == n_treated


def test_roll_out_defaults() -> None:
    assert simulate_city().truth["parameters"]["start_dates"] == ["2021-01", "2021-07", "2022-01"]
    common = simulate_city(roll_out="common").truth
    assert common["parameters"]["start_dates"] == ["2021-06"]
    assert common["parameters"]["n_treated"] == 8
    single = simulate_city(roll_out="single", treated=["Port"]).truth
    assert single["design"]["cohorts"] == {"2021-06": ["Port"]}
    many = simulate_city(n_districts=30)
    assert "District 30" in set(many.data["district"])


def test_truth_is_json_safe_and_consistent() -> None:
    city = simulate_city(dynamic="ramp")
    truth = city.truth
    assert _json_roundtrip(truth) == truth
    treated_cells = int(city.data["partnership"].sum())
    for crime, eff in truth["effects"].items():
        assert eff["n_cells"] == treated_cells
        assert math.isclose(eff["crimes_prevented"], -eff["att_total"], abs_tol=1e-9)
        assert math.isclose(eff["att"] * eff["n_cells"], eff["att_total"], rel_tol=1e-5)
        by = eff["by_cohort"].values()
        assert sum(c["n_cells"] for c in by) == eff["n_cells"]
        assert math.isclose(sum(c["att_total"] for c in by), eff["att_total"], abs_tol=1e-4)
        ratio = eff["expected_treated"] / eff["expected_untreated"]
        assert math.isclose(ratio - 1, eff["relative_effect"], abs_tol=1e-6)
        rr = truth["parameters"]["effect"][crime]
        if rr == 1.0:
            assert eff["att_total"] == 0.0
        else:  # the ramp dilutes the average effect but not beyond the full rate ratio
            assert min(rr, 1.0) < 1 + eff["relative_effect"] < max(rr, 1.0)
    assert truth["seed"] == 2026 and truth["generator"].endswith("simulate_city")


def test_constant_effect_relative_effect_equals_rate_ratio() -> None:
    truth = simulate_city(effect={"violence": 1.2}).truth
    for crime, eff in truth["effects"].items():
        assert math.isclose(1 + eff["relative_effect"], eff["rate_ratio"], abs_tol=1e-6), crime
    assert truth["effects"]["violence"]["att"] > 0


def test_ramp_builds_up_over_ramp_months() -> None:
    truth = simulate_city(roll_out="common", dynamic="ramp", ramp_months=12, seed=3).truth
    by_e = truth["effects"]["burglary"]["by_event_time"]
    assert by_e["0"] < 0 and abs(by_e["0"]) < abs(by_e["11"])
    # from event time 11 on, the effect is the full one: -0.2 of the counterfactual
    full = simulate_city(roll_out="common", seed=3).truth["effects"]["burglary"]["by_event_time"]
    assert math.isclose(by_e["20"], full["20"], rel_tol=1e-6)
    assert math.isclose(by_e["0"] / full["0"], (1 - 0.8 ** (1 / 12)) / 0.2, rel_tol=1e-4)


def test_simulated_rate_ratio_is_recovered() -> None:
    city = simulate_city(n_districts=240, roll_out="common", n_treated=120, seed=11)
    df, truth = city.data, city.truth
    post = df["month"] >= "2021-06"
    for crime in CRIMES:
        eff = truth["effects"][crime]
        observed = df.loc[df["partnership"] == 1, crime].sum()
        # observed treated total vs the true expected counterfactual total
        assert observed / eff["expected_untreated"] == pytest.approx(eff["rate_ratio"], rel=0.03)
        # and a crude difference-in-differences of ratios, without the truth
        tr = df.groupby([df["partnership"].groupby(df["district"]).transform("max"), post])
        s = tr[crime].sum()
        ratio = (s[(1, True)] / s[(1, False)]) / (s[(0, True)] / s[(0, False)])
        assert ratio == pytest.approx(eff["rate_ratio"], rel=0.1)


def test_poisson_and_overdispersed_variance() -> None:
    kw = {"n_districts": 2, "n_months": 600, "n_treated": 1, "roll_out": "single"}
    kw |= {"seasonality": 0.0, "trend": 0.0, "start_dates": ["2060-01"], "treated": ["Gare"]}
    for od, lo, hi in ((None, 0.8, 1.25), (2.0, 3.0, 100.0)):
        c = simulate_city(**kw, overdispersion=od, population_range=(50_000, 50_000)).data
        x = c.loc[(c["district"] == "Centre"), "antisocial_behaviour"].to_numpy()
        # differencing removes the slow population growth: var(diff) = 2 var for white noise
        assert lo < np.diff(x).var() / (2 * x.mean()) < hi


def test_single_with_buffers() -> None:
    city = simulate_city(
        roll_out="single", treated=["Centre"], n_buffer=2, buffer_effect={"burglary": 0.9}
    )
    ring = city.data.groupby("district")["ring"].first()
    assert ring["Centre"] == "response"
    assert sorted(ring[ring == "buffer"].index) == sorted(city.truth["design"]["buffer"])
    assert (ring.value_counts() == pd.Series({"control": 17, "buffer": 2, "response": 1})).all()
    buf = city.truth["effects"]["burglary"]["buffer"]
    assert buf["rate_ratio"] == 0.9 and buf["n_cells"] == 2 * (96 - 53)
    assert math.isclose(buf["relative_effect"], -0.1, abs_tol=1e-6)
    assert city.truth["effects"]["robbery"]["buffer"]["att_total"] == 0.0
    assert city.data.loc[city.data["ring"] == "buffer", "partnership"].eq(0).all()


# ----------------------------------------------------------------------------- series


def test_series() -> None:
    s = simulate_series(level_change=0.7, slope_change=0.9, seed=5)
    assert list(s.data.columns) == ["month", "count", "population", "post", "time"]
    pd.testing.assert_frame_equal(
        s.data, simulate_series(level_change=0.7, slope_change=0.9, seed=5).data
    )
    assert s.data["post"].sum() == 24 and s.data.loc[48, "month"] == "2021-01"
    assert s.truth["intervention"] == "2021-01" and (s.data["count"] >= 0).all()
    obs, cf = np.array(s.truth["expected_observed"]), np.array(s.truth["expected_counterfactual"])
    ratio = obs / cf
    assert np.allclose(ratio[:48], 1) and math.isclose(ratio[48], 0.7, rel_tol=1e-5)
    assert math.isclose(ratio[60], 0.7 * 0.9, rel_tol=1e-5)
    assert math.isclose(s.truth["cumulative_effect"], (obs - cf)[48:].sum(), rel_tol=1e-5)
    assert _json_roundtrip(s.truth) == s.truth
    assert simulate_series(ar1=0.6).truth["parameters"]["noise_sd"] == 0.1


def test_series_level_change_recovered() -> None:
    s = simulate_series(baseline=2000, seasonality=0, trend=0, level_change=0.8, seed=2)
    d = s.data
    ratio = d.loc[d["post"] == 1, "count"].mean() / d.loc[d["post"] == 0, "count"].mean()
    assert ratio == pytest.approx(0.8, rel=0.02)


def test_series_ar1_autocorrelation() -> None:
    s = simulate_series(
        n_months=2000,
        intervention_month=1990,
        baseline=5000,
        ar1=0.8,
        noise_sd=0.2,
        seasonality=0,
        trend=0,
        seed=1,
    )
    y = np.log(s.data["count"].to_numpy()[:1990])
    assert np.corrcoef(y[:-1], y[1:])[0, 1] == pytest.approx(0.8, abs=0.08)


# ----------------------------------------------------------------------------- hot spots


def test_hotspots_regression_to_the_mean() -> None:
    h = simulate_hotspots(seed=4)
    d = h.data
    assert list(d.columns) == ["area", "period", "count", "selected", "post"]
    assert h.truth["effect"] == 1.0 and len(h.truth["selected"]) == 10
    at_sel = d[d["period"] == 12].set_index("area")["count"]
    chosen = at_sel[sorted(h.truth["selected"])]
    assert chosen.min() >= at_sel.drop(chosen.index).max()
    sel = d[d["selected"] == 1]
    assert sel.loc[sel["post"] == 1, "count"].mean() < chosen.mean()
    assert h.truth["expected_apparent_change"] < 0
    assert _json_roundtrip(h.truth) == h.truth
    pd.testing.assert_frame_equal(d, simulate_hotspots(seed=4).data)


# ----------------------------------------------------------------------------- survey


def test_survey_layout_and_design() -> None:
    s = simulate_survey()
    d = s.data
    assert list(d.columns) == [
        "respondent_id",
        "wave",
        "area",
        "treated_area",
        "weight",
        "stratum",
        "psu",
        "feel_unsafe_after_dark",
    ]
    assert len(d) == 1200 and d["respondent_id"].is_unique
    assert set(d["feel_unsafe_after_dark"]) <= set(SURVEY_CATEGORIES)
    assert d["weight"].nunique() > 2 and (d["weight"] > 0).all()
    totals = d.groupby(["wave", "area"])["weight"].sum().unstack("wave")
    pop = pd.Series(s.truth["design"]["area_population"])
    assert np.allclose(totals["before"][pop.index], pop, rtol=1e-3)
    assert d.groupby("area")["treated_area"].nunique().eq(1).all()
    assert s.truth["did"] == pytest.approx(-0.07)
    assert _json_roundtrip(s.truth) == s.truth
    pd.testing.assert_frame_equal(d, simulate_survey().data)


def test_survey_weighted_share_recovers_truth() -> None:
    s = simulate_survey(n_per_wave=120_000, seed=9)
    d = s.data.assign(y=s.data["feel_unsafe_after_dark"].isin(["unsafe", "very unsafe"]))
    d["group"] = np.where(d["treated_area"] == 1, "treated", "control") + "_" + d["wave"]
    for key, g in d.groupby("group"):
        weighted = np.average(g["y"], weights=g["weight"])
        assert weighted == pytest.approx(s.truth["true_shares"][key], abs=0.01), key
        assert g["y"].mean() > weighted + 0.01  # unweighted is biased upwards
        vu = np.average(g["feel_unsafe_after_dark"] == "very unsafe", weights=g["weight"])
        assert vu == pytest.approx(s.truth["category_shares"][key]["very unsafe"], abs=0.01)


# ----------------------------------------------------------------------------- incidents


def test_incidents_match_city_counts() -> None:
    city = simulate_city(
        n_districts=4, n_months=30, n_treated=2, start_dates=["2018-06"], start="2017-01"
    )
    inc = simulate_incidents(city, months=["2017-02", "2018-12"], crimes=["robbery", "violence"])
    d = inc.data
    assert list(d.columns) == ["incident_id", "date", "district", "offence"]
    assert d["incident_id"].is_unique and d["date"].is_monotonic_increasing
    pd.to_datetime(d["date"], format="%Y-%m-%d")  # valid dates
    agg = d.groupby(["district", d["date"].str[:7], "offence"]).size()
    sub = city.data[city.data["month"].isin(["2017-02", "2018-12"])]
    exp = sub.melt(["district", "month"], ["robbery", "violence"], "offence", "n")
    exp = exp[exp["n"] > 0].set_index(["district", "month", "offence"])["n"]
    assert agg.sort_index().tolist() == exp.sort_index().tolist()
    assert inc.truth["n_incidents"] == len(d) == exp.sum()
    pd.testing.assert_frame_equal(
        d,
        simulate_incidents(
            city, months=["2017-02", "2018-12"], crimes=["robbery", "violence"]
        ).data,
    )


# ----------------------------------------------------------------------------- errors


CITY_ERRORS = [
    ({"roll_out": "phased"}, r"roll_out must be one of 'common', 'staggered', 'single'"),
    ({"dynamic": "jump"}, r"dynamic must be one of 'constant', 'ramp'; got 'jump'"),
    ({"seed": -1}, r"seed must be a non-negative integer"),
    ({"seed": 1.5}, r"seed must be a non-negative integer"),
    ({"n_districts": 1}, r"n_districts must be an integer >= 2, got 1"),
    ({"n_months": "96"}, r"n_months must be an integer >= 2"),
    ({"ramp_months": 0}, r"ramp_months must be an integer >= 1"),
    ({"crimes": []}, r"crimes must be a non-empty sequence of names"),
    ({"crimes": ["burglary", "burglary"]}, r"crimes contains duplicates"),
    ({"crimes": ["burglary", "month"]}, r"crimes must not reuse the column names \['month'\]"),
    ({"crimes": ["fraud"]}, r"baseline has no value for crime 'fraud'; pass baseline="),
    ({"baseline": {"arson": 1.0}}, r"baseline names crimes that are not simulated: \['arson'\]"),
    ({"effect": {"burglary": 0}}, r"effect\['burglary'\] must be a positive number, got 0"),
    ({"trend": float("nan")}, r"trend must be a finite number"),
    ({"district_sd": -0.1}, r"district_sd must be >= 0"),
    ({"overdispersion": 0}, r"overdispersion must be a positive number"),
    ({"population_range": (60_000, 5_000)}, r"population_range must be \(low, high\)"),
    ({"population_range": 5}, r"population_range must be \(low, high\)"),
    ({"start": "2017/01"}, r"start must be a month written 'YYYY-MM', got '2017/01'"),
    ({"treated": ["Atlantis"]}, r"treated names unknown districts \['Atlantis'\]"),
    ({"treated": ["Centre"], "n_treated": 2}, r"n_treated=2 disagrees with the 1 districts"),
    ({"n_treated": 0}, r"n_treated must be an integer between 1 and 20, got 0"),
    ({"n_treated": 21}, r"n_treated must be an integer between 1 and 20, got 21"),
    ({"roll_out": "single", "n_treated": 3}, r"roll_out='single' treats exactly one district"),
    (
        {"roll_out": "common", "start_dates": ["2020-01", "2021-01"]},
        r"roll_out='common' takes exactly one start date",
    ),
    (
        {"start_dates": ["2019-01", "2020-01", "2021-01"], "n_treated": 2},
        r"3 start_dates for 2 treated districts",
    ),
    ({"start_dates": ["2017-01"]}, r"start date 2017-01 must fall after the first month 2017-01"),
    ({"start_dates": ["2030-01"]}, r"start date 2030-01 must fall .* no later than 2024-12"),
    ({"start_dates": ["2021-13"]}, r"start_dates must be a month written 'YYYY-MM'"),
    ({"start_dates": ["2021-01", "2021-01"]}, r"start_dates contains duplicates"),
    ({"n_buffer": 2}, r"n_buffer needs roll_out='single'"),
    ({"roll_out": "single", "n_buffer": 19}, r"n_buffer must be an integer between 0 and 18"),
    (
        {"roll_out": "single", "buffer_effect": {"burglary": 0.9}},
        r"buffer_effect needs n_buffer >= 1",
    ),
]


@pytest.mark.parametrize(("kwargs", "match"), CITY_ERRORS)
def test_city_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        simulate_city(**kwargs)


OTHER_ERRORS = [
    (simulate_series, {"n_months": 2}, r"n_months must be an integer >= 3"),
    (
        simulate_series,
        {"intervention_month": 72},
        r"intervention_month must be an integer "
        r"between 1 and 71, got 72",
    ),
    (simulate_series, {"baseline": -5}, r"baseline must be a positive number, got -5"),
    (simulate_series, {"level_change": 0}, r"level_change must be a positive number"),
    (simulate_series, {"slope_change": float("inf")}, r"slope_change must be a positive number"),
    (simulate_series, {"overdispersion": -1.0}, r"overdispersion must be a positive number"),
    (simulate_series, {"ar1": 1.0}, r"ar1 must be a number strictly between -1 and 1"),
    (simulate_series, {"noise_sd": -0.1}, r"noise_sd must be a number >= 0"),
    (simulate_series, {"population": 0}, r"population must be an integer >= 1"),
    (simulate_series, {"start": "January"}, r"start must be a month written 'YYYY-MM'"),
    (simulate_hotspots, {"n_areas": 1}, r"n_areas must be an integer >= 2"),
    (simulate_hotspots, {"n_periods": 1}, r"n_periods must be an integer >= 2"),
    (simulate_hotspots, {"select_top": 200}, r"select_top must be an integer between 1 and 199"),
    (
        simulate_hotspots,
        {"selection_period": 24},
        r"selection_period must be an integer between 1 and 23",
    ),
    (simulate_hotspots, {"mean_count": 0}, r"mean_count must be a positive number"),
    (simulate_survey, {"n_per_wave": 10}, r"n_per_wave must be an integer >= 30"),
    (simulate_survey, {"n_psu": 1}, r"n_psu must be an integer >= 2"),
    (simulate_survey, {"areas": []}, r"areas must be a non-empty sequence of names"),
    (simulate_survey, {"waves": ["a", "a"]}, r"waves contains duplicates"),
    (simulate_survey, {"treated_areas": ["Mars"]}, r"treated_areas names unknown areas \['Mars'\]"),
    (
        simulate_survey,
        {"areas": ["A", "B"], "treated_areas": ["A", "B"]},
        r"treated_areas must leave at least one control area",
    ),
    (simulate_survey, {"waves": ["w1", "w2", "w3"]}, r"true_shares is required for waves"),
    (
        simulate_survey,
        {"true_shares": {"treated_before": 0.4}},
        r"true_shares must have exactly the keys \['treated_before'",
    ),
    (
        simulate_survey,
        {
            "true_shares": {
                "treated_before": 0.4,
                "treated_after": 1.0,
                "control_before": 0.3,
                "control_after": 0.3,
            }
        },
        r"true_shares\['treated_after'\] must be strictly between 0 and 1, got 1.0",
    ),
    (
        simulate_survey,
        {"area_population": {"Centre": 100}},
        r"area_population must have exactly the keys",
    ),
    (
        simulate_survey,
        {"areas": ["A", "B"], "area_population": {"A": 10, "B": -1}},
        r"area_population\['B'\] must be an integer >= 1",
    ),
]


@pytest.mark.parametrize(("func", "kwargs", "match"), OTHER_ERRORS)
def test_other_errors(func, kwargs: dict, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        func(**kwargs)


def test_incident_errors() -> None:
    city = simulate_city(n_districts=3, n_months=24, n_treated=1, start_dates=["2018-01"])
    with pytest.raises(SpecError, match=r"city must be the SimulatedCity returned by"):
        simulate_incidents(city.data)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"city must be the SimulatedCity returned by"):
        simulate_incidents(simulate_series())
    with pytest.raises(SpecError, match=r"crimes not in the city: \['fraud'\]"):
        simulate_incidents(city, crimes=["fraud"])
    with pytest.raises(SpecError, match=r"districts not in the city: \['Mars'\]"):
        simulate_incidents(city, districts=["Mars"])
    with pytest.raises(SpecError, match=r"months not in the city: \['2030-01'\]"):
        simulate_incidents(city, months=["2030-01"])
    with pytest.raises(SpecError, match=r"seed must be a non-negative integer"):
        simulate_incidents(city, seed=True)
    assert isinstance(simulate_incidents(city, months=["2017-01"]), SimulatedCity)


# ----------------------------------------------------------------------------- samples


def test_sample_files_are_reproducible(tmp_path: Path) -> None:
    module = runpy.run_path(str(SAMPLES / "make_samples.py"))
    assert module["main"](["--out", str(tmp_path)]) == 0
    for name in module["FILES"]:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    assert sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file()) < 3_000_000


def test_sample_files_documented_and_consistent() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
    assert "CC0" in readme and "2026" in readme
    for name in ("city_monthly.csv", "city_single.csv", "survey.csv", "incidents.csv"):
        frame = pd.read_csv(SAMPLES / name)
        assert name in readme and name in truth["files"]
        for column in frame.columns:
            assert f"`{column}`" in readme, (name, column)
    city = pd.read_csv(SAMPLES / "city_monthly.csv")
    assert city.shape[0] == 20 * 96
    single = pd.read_csv(SAMPLES / "city_single.csv")
    assert set(single["ring"]) == {"response", "buffer", "control"}
    assert single.loc[single["ring"] == "buffer", "district"].nunique() == 2
    assert (SAMPLES / "incidents.csv").stat().st_size < 1_000_000
