"""Confound checks: a citywide change at the start date, areas chosen after a peak, and the
selection window left out (evalkit.designs.confounds)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.panel import load_panel
from evalkit.data.simulate.realistic import simulate_realistic_city
from evalkit.designs.confounds import (
    MIN_COMPARISON,
    citywide_change,
    exclude_before,
    peak_selection,
)
from evalkit.errors import DataError, SpecError
from evalkit.i18n import Caveat, round_percent

COLS = {"outcome": "count", "unit": "area", "time": "month", "exposure": "population"}


def city(preset: str, seed: int) -> tuple[pd.DataFrame, dict, list[str]]:
    """A simulated city, its truth and its comparison areas (neither treated nor buffer)."""
    sim = simulate_realistic_city(preset, seed=seed)
    truth = sim.truth
    comparison = sorted(set(sim.data["area"]) - set(truth["treated"]) - set(truth["buffer"]))
    return sim.data, truth, comparison


def flat(n_areas: int = 12, n_months: int = 36, level: float = 40.0, seed: int = 0,
         bumps: dict[str, float] | None = None, start: int = 30, window: int = 3
         ) -> pd.DataFrame:
    """Poisson counts around a flat ``level``; an area in ``bumps`` is multiplied by its
    value in the ``window`` months before month ``start``."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2020-01", periods=n_months, freq="M").astype(str)
    rows = []
    for a in range(n_areas):
        name = f"A{a:02d}"
        mu = np.full(n_months, level)
        mu[start - window:start] *= (bumps or {}).get(name, 1.0)
        rows += [(name, m, int(c), 10_000) for m, c in zip(months, rng.poisson(mu), strict=True)]
    return pd.DataFrame(rows, columns=["area", "month", "count", "population"])


# -- citywide change --------------------------------------------------------------------
def test_citywide_change_flags_a_citywide_shift_and_says_by_how_much():
    data, truth, comparison = city("null_shift25_1", seed=1)
    diag = citywide_change(data, **COLS, start=truth["start"], comparison=comparison)
    assert diag.name == "citywide_change" and not diag.passed
    row = diag.table.iloc[0]
    assert -35 < diag.statistic < -15 and row["ci_high_pct"] < 0 < row["ci_high_pct"] + 30
    assert row["n_areas"] == len(comparison)
    assert isinstance(diag.message, Caveat) and diag.message.code == "eval_citywide_change"
    assert f"{diag.statistic:+.0f}%" in diag.message and "citywide" in diag.message
    assert "secteurs de comparaison" in diag.message.render("fr")


def test_citywide_change_passes_without_a_shift():
    data, truth, comparison = city("null_moderate_1", seed=0)
    diag = citywide_change(data, **COLS, start=truth["start"], comparison=comparison)
    row = diag.table.iloc[0]
    assert diag.passed and row["ci_low_pct"] <= 0 <= row["ci_high_pct"]
    assert diag.message.code == "eval_citywide_change_none"


def test_citywide_change_is_the_its_level_change_of_the_comparison_areas():
    data, truth, comparison = city("null_shift15_1", seed=2)
    diag = citywide_change(data, **COLS, start=truth["start"], comparison=comparison,
                           alpha=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ek.its(data, **COLS, units=comparison, intervention=truth["start"],
                     family="quasipoisson", seasonality="auto", slope_change=False,
                     alpha=0.1)
    row = res.effects.set_index("term").loc["level_change"]
    assert diag.statistic == pytest.approx(100 * (row["relative_effect"] - 1))
    assert diag.table["ci_low_pct"].iloc[0] == pytest.approx(100 * (row["relative_ci_low"] - 1))
    assert diag.p_value == pytest.approx(row["p_value"])
    # the sentence's numbers are the diagnostic's, so results.json holds them
    assert f"({round_percent(diag.statistic):+g}%, p " in diag.message


def test_citywide_change_needs_comparison_areas():
    data, truth, _ = city("null_moderate_1", seed=0)
    with pytest.raises(SpecError, match="needs comparison areas; got none"):
        citywide_change(data, **COLS, start=truth["start"], comparison=[])


# -- peak selection ---------------------------------------------------------------------
def test_peak_selection_flags_an_area_chosen_after_a_spike():
    data = flat(bumps={"A00": 1.6})
    diag = peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                          comparison=[f"A{a:02d}" for a in range(1, 12)])
    assert diag.name == "peak_selection" and not diag.passed
    assert diag.statistic > 1.3 and diag.p_value == pytest.approx(1 / 12)
    assert diag.message.code == "eval_peak_selection"
    assert "last 3 months" in diag.message and "exclude_before=3" in diag.message
    assert "higher than 100% of comparison areas" in diag.message
    assert "régression vers la moyenne" in diag.message.render("fr")
    table = diag.table.set_index("area")
    assert table.loc["A00", "role"] == "treated"
    assert table.loc["A00", "ratio"] == pytest.approx(diag.statistic)


def test_peak_selection_passes_an_ordinary_area():
    data = flat(bumps={"A05": 1.6})  # the peak is in a comparison area
    diag = peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                          comparison=[f"A{a:02d}" for a in range(1, 12)])
    assert diag.passed and diag.p_value > 0.1
    assert diag.message.code == "eval_peak_selection_none"


def test_several_treated_areas_are_ranked_among_groups_of_the_same_size():
    """Three areas with a moderate peak each: summed they stand out against sums of three
    comparison areas (which vary less than single areas)."""
    data = flat(n_areas=16, bumps={"A00": 1.25, "A01": 1.25, "A02": 1.25}, seed=3)
    comparison = [f"A{a:02d}" for a in range(3, 16)]
    diag = peak_selection(data, **COLS, start="2022-07", treated=["A00", "A01", "A02"],
                          comparison=comparison)
    assert not diag.passed and diag.p_value < 0.02
    assert "comparison groups of the same size" in diag.message
    assert diag.table["role"].iloc[-1] == "treated group"
    assert diag.table["ratio"].iloc[-1] == pytest.approx(diag.statistic)


def test_peak_selection_uses_rates_with_an_exposure():
    """A population that doubles in the window doubles the count, not the rate."""
    data = flat(bumps={"A00": 2.0})
    window = data["month"].isin(["2022-04", "2022-05", "2022-06"]) & (data["area"] == "A00")
    data.loc[window, "population"] = 20_000
    comparison = [f"A{a:02d}" for a in range(1, 12)]
    by_rate = peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                             comparison=comparison)
    by_count = peak_selection(data, outcome="count", unit="area", time="month",
                              start="2022-07", treated=["A00"], comparison=comparison)
    assert by_rate.passed and by_rate.statistic == pytest.approx(1.0, abs=0.2)
    assert not by_count.passed and by_count.statistic > 1.6


def test_peak_selection_handles_zeros_and_missing_periods():
    data = flat(level=0.0)  # no event anywhere: every ratio is 1, nothing stands out
    diag = peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                          comparison=[f"A{a:02d}" for a in range(1, 12)])
    assert diag.statistic == 1.0 and diag.passed
    # a comparison area without a period of the window is left out; a missing count is too
    data = flat(bumps={"A00": 1.6})
    data = data[~((data["area"] == "A11") & data["month"].between("2022-04", "2022-06"))]
    data.loc[(data["area"] == "A00") & (data["month"] == "2020-03"), "count"] = np.nan
    diag = peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                          comparison=[f"A{a:02d}" for a in range(1, 12)])
    assert "A11" not in set(diag.table["area"]) and diag.p_value == pytest.approx(1 / 11)


def test_peak_selection_says_what_is_wrong_before_computing():
    data = flat()
    comparison = [f"A{a:02d}" for a in range(1, 12)]
    args = {**COLS, "start": "2022-07", "treated": ["A00"], "comparison": comparison}
    with pytest.raises(SpecError, match="window= a whole number of periods >= 1"):
        peak_selection(data, **{**args, "window": 0})
    with pytest.raises(SpecError, match="A01 is both treated and a comparison area"):
        peak_selection(data, **{**args, "treated": ["A00", "A01"]})
    with pytest.raises(SpecError, match=f"at least {MIN_COMPARISON} comparison areas"):
        peak_selection(data, **{**args, "comparison": comparison[:5]})
    with pytest.raises(SpecError, match="needs the partnership areas"):
        peak_selection(data, **{**args, "treated": []})
    with pytest.raises(DataError, match="periods before the selection window"):
        peak_selection(data, **{**args, "start": "2020-06"})
    gone = data[~((data["area"] == "A00") & data["month"].between("2022-04", "2022-06"))]
    with pytest.raises(DataError, match="every treated area both in the selection window"):
        peak_selection(gone, **args)
    few = data[~(data["area"].isin(comparison[:4])
                 & data["month"].between("2022-04", "2022-06"))]
    with pytest.raises(DataError, match="comparison areas with counts both"):
        peak_selection(few, **args)
    with pytest.raises(DataError, match="Z99"):
        peak_selection(data, **{**args, "treated": ["Z99"]})


def test_peak_selection_names_periods_for_data_that_are_not_monthly():
    data = flat(bumps={"A00": 1.6})
    data["quarter"] = pd.PeriodIndex(data["month"], freq="M").asfreq("Q").astype(str)
    quarterly = data.groupby(["area", "quarter"], as_index=False)[["count"]].sum()
    diag = peak_selection(quarterly, outcome="count", unit="area", time="quarter",
                          start="2022Q3", treated=["A00"], window=1,
                          comparison=[f"A{a:02d}" for a in range(1, 12)])
    assert not diag.passed and diag.message.code == "eval_peak_selection_periods"
    assert "last 1 period" in diag.message


def test_checks_take_a_panels_roles():
    data = flat(bumps={"A00": 1.6})
    panel = load_panel(data, unit="area", time="month", outcome="count", exposure="population")
    comparison = [f"A{a:02d}" for a in range(1, 12)]
    diag = peak_selection(panel, start="2022-07", treated=["A00"], comparison=comparison)
    assert diag == peak_selection(data, **COLS, start="2022-07", treated=["A00"],
                                  comparison=comparison)


# -- the selection window left out -------------------------------------------------------
def test_exclude_before_drops_the_k_periods_before_the_start():
    data = flat()
    out = exclude_before(data, time="month", start="2022-07", k=3)
    assert set(data["month"]) - set(out["month"]) == {"2022-04", "2022-05", "2022-06"}
    assert len(out) == len(data) - 3 * 12 and out.index.equals(pd.RangeIndex(len(out)))
    assert exclude_before(data, time="month", start="2022-07", k=0).equals(data)
    panel = load_panel(data, unit="area", time="month", outcome="count")
    kept = exclude_before(panel, start="2022-07", k=3)
    assert isinstance(kept, type(panel)) and kept.sha256 == panel.sha256
    assert len(kept.data) == len(out) and "2022-05" not in set(kept.data["month"].astype(str))


def test_exclude_before_refuses_a_bad_k_or_an_empty_pre_period():
    data = flat()
    with pytest.raises(SpecError, match="k= a whole number of periods >= 0"):
        exclude_before(data, time="month", start="2022-07", k=-1)
    with pytest.raises(DataError, match="Expected periods before 2019-10"):
        exclude_before(data, time="month", start="2020-01", k=3)


# -- flag rates on simulated cities (the numbers in the report of issue 17) -------------
@pytest.mark.slow
def test_flag_rates_on_realistic_cities():
    """40 cities per preset: a citywide -25 % shift is flagged nearly always; areas chosen
    after a spike nearly always; random areas in the top decile about 10 % of the time."""
    def rates(preset: str, n: int = 40) -> tuple[float, float]:
        city_flags = peak_flags = 0
        for seed in range(n):
            data, truth, comparison = city(preset, seed)
            args = {**COLS, "start": truth["start"], "comparison": comparison}
            city_flags += not citywide_change(data, **args).passed
            peak_flags += not peak_selection(data, **args, treated=truth["treated"]).passed
        return city_flags / n, peak_flags / n

    shift_city, shift_peak = rates("null_shift25_1")
    assert shift_city >= 0.95 and shift_peak <= 0.25
    spike1 = rates("null_spike_1")[1]
    spike3 = rates("null_spike_3")[1]
    assert spike1 >= 0.85 and spike3 >= 0.85
    moderate_city, moderate_peak = rates("null_moderate_1")
    assert moderate_city <= 0.3 and moderate_peak <= 0.25
