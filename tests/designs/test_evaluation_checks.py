"""The evaluation's confound checks (issue 17 item 3): areas chosen after a peak have the
selection window left out of every design (``exclude_before``), or lower the grade when it is
kept; a citywide change at the start sets the before/after comparison aside."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from evalkit.data.simulate.realistic import PRESETS, simulate_realistic_city
from evalkit.designs.evaluation import evaluate, run_designs
from evalkit.errors import SpecError

KW = {"outcome": "count", "unit": "area", "time": "month", "treatment": "treatment",
      "exposure": "population"}


def _evaluate(scenario, seed, **kw):
    city = simulate_realistic_city(scenario, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return city, evaluate(city.data, **KW, **kw)


def test_areas_chosen_after_a_peak_have_the_window_left_out_of_every_design():
    _, ev = _evaluate("null_spike_1", 4)
    run = ev.run
    assert run.excluded == ("2025-04", "2025-05", "2025-06")
    assert [c.code for c in run.concerns] == ["eval_peak_excluded"]
    peak = next(d for d in run.checks if d.name == "peak_selection")
    assert not peak.passed and peak.p_value <= 0.10
    assert run.get("controlled_its").sample["n_pre"] == 45
    assert list(run.get("synth").spec["optimize_periods"])[-1] == "2025-03"
    # left out: the threat is met, so the grade stands
    assert ev.triangulation.sms_level == 3
    assert "were left out of every design" in ev.verdict.concerns[0]["message"]


def test_keeping_the_window_lowers_the_grade_and_withholds_the_direction():
    _, ev = _evaluate("null_spike_1", 4, exclude_before=0)
    assert ev.run.excluded == ()
    assert [c.code for c in ev.run.concerns] == ["eval_peak_selection"]
    tri = ev.triangulation
    assert tri.row("controlled_its")["sms_level"] == 2
    assert tri.direction == "none" and ev.verdict.best_design is None
    assert "Re-run with exclude_before=3" in ev.verdict.concerns[0]["message"]


def test_panel_designs_leave_the_window_out_too():
    spike6 = dataclasses.replace(PRESETS["null_spike_3"], n_treated=6, n_areas=30)
    city = simulate_realistic_city(spike6, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_designs(city.data, **KW, exclude_before=2)
    assert run.excluded == ("2025-05", "2025-06")
    assert [r.method for r in run.results] == ["its", "did", "event_study"]
    events = run.get("event_study")
    assert "event_time_-3" not in set(events.effects["term"]), "the reference period"
    assert not {"event_time_-2", "event_time_-1"} & set(events.effects["term"])
    assert run.get("did").sample["n_periods"] == 70


def test_a_citywide_change_sets_the_before_after_comparison_aside():
    _, ev = _evaluate("null_shift25_1", 1)
    codes = [c.code for c in ev.run.concerns]
    assert "eval_citywide_change" in codes
    tri = ev.triangulation
    assert tri.row("its")["concern"] == "eval_its_citywide" and tri.context is None
    assert tri.strongest == "controlled_its"
    assert tri.row("its")["ci_high"] < 0, "the ITS alone reads the citywide fall as an effect"


@pytest.mark.parametrize(("value", "match"), [
    (-1, r"exclude_before must be 'auto' or a whole number of periods >= 0; got -1"),
    ("3", r"exclude_before must be 'auto' or a whole number of periods >= 0; got '3'"),
    (True, r"got True"),
])
def test_exclude_before_errors(value, match):
    city = simulate_realistic_city("null_moderate_1", seed=1)
    with pytest.raises(SpecError, match=match):
        run_designs(city.data, **KW, exclude_before=value)


def _weekly(n_areas=12, n_weeks=80, start=52, seed=0):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(seed)
    weeks = pd.period_range("2022-01-03", periods=n_weeks, freq="W")
    areas = [f"W{i:02d}" for i in range(n_areas)]
    df = pd.DataFrame([(a, str(w.start_time.date()), int(rng.poisson(30)),
                        int(a == "W00" and j >= start)) for a in areas
                       for j, w in enumerate(weeks)], columns=["area", "week", "count", "on"])
    return df, str(weeks[start].start_time.date())


def test_weekly_data_leave_out_weeks_by_their_labels():
    df, _ = _weekly()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_designs(df, outcome="count", unit="area", time="week", treatment="on",
                          exclude_before=3)
    assert len(run.excluded) == 3
    assert run.get("controlled_its").sample["n_pre"] == 49
    assert run.get("synth") is not None


def test_degenerate_comparison_series_name_the_check_instead_of_failing():
    df, _ = _weekly()
    df.loc[df["area"] != "W00", "count"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the check's own fit fails (log of a zero RSS)
        run = run_designs(df, outcome="count", unit="area", time="week", treatment="on")
    assert "citywide_change" not in {d.name for d in run.checks}
    assert any(n.code == "eval_check_not_run_citywide_change" for n in run.notes)
