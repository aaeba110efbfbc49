"""Disclosure control holds in every output of a report folder (issue 15, part B).

A count the rule hides (1 to 4 in a small area by default) must not come back from any
artefact: caveat sentences, the data drawn in every figure (read back from the matplotlib
axes before the figure is saved), the tables of ``report.html``, the outputs of
``report.ipynb`` and ``results.json`` - neither as such nor through a rate times its exposure,
a mean times its number of periods or a total minus the values shown beside it. Sensitive
offences are withheld below district level everywhere, and text evalkit draws is literal
(two ``$`` are not typeset as math).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from html import unescape
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.text import Text

import evalkit as ek
from evalkit.i18n import Caveat
from evalkit.indicators import compute_harm, compute_indicators
from evalkit.report import build_results, diagnostics_section
from evalkit.report import displacement as disp
from evalkit.report import indicators as ri
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule
from evalkit.report.evaluation import diagnostics_section as eval_diagnostics
from evalkit.report.html import Html
from evalkit.report.plots import (
    plot_event_study,
    plot_its,
    plot_rate_panels,
    plot_rates,
    plot_season,
    plot_trends,
)

matplotlib.use("Agg")
PER = 100_000  # evalkit.designs.its.OLS_RATE_BASE: rates of a linear ITS with an exposure
MONEY = "Plan $1M_x $2M"  # two "$": typeset as (broken) math unless drawn literally


@pytest.fixture(autouse=True)
def _quiet_and_close():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    plt.close("all")


def _text(html: object) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", str(html)))


def _cells(html: object) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", str(html), flags=re.S)]


def _ys(ax) -> list[np.ndarray]:
    """Every y value drawn on ``ax``: lines, scatter points, bars and filled bands."""
    out = [np.asarray(line.get_ydata(), float) for line in ax.get_lines()]
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), float)
        if offsets.size:
            out.append(offsets[:, 1])
        for path in coll.get_paths():
            out.append(np.asarray(path.vertices, float)[:, 1])
    out += [np.array([p.get_height()], float) for p in ax.patches]
    return out


def _all_ys(fig) -> np.ndarray:
    values = [v for ax in fig.axes for v in _ys(ax)]
    return np.concatenate(values) if values else np.array([])


def _line(ax, label: str) -> tuple[np.ndarray, np.ndarray]:
    line = next(x for x in ax.get_lines() if x.get_label() == label)
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def _is_count(values: np.ndarray, low: int = 1, high: int = 4) -> np.ndarray:
    values = np.asarray(values, float)
    near = np.isclose(values, np.round(values), rtol=0, atol=1e-6)
    return near & (np.round(values) >= low) & (np.round(values) <= high)


class _Figures:
    """Captures the figures a section embeds, drawn (tick labels are made at draw time)
    but not saved or closed."""

    def __init__(self, monkeypatch, module) -> None:
        self.figs: list = []
        monkeypatch.setattr(module, "figure", self.keep)

    def keep(self, fig, **kwargs) -> Html:
        self.figs.append(fig)
        fig.canvas.draw()
        return Html("")


# -- panels ---------------------------------------------------------------------------------
def _panel(seed: int = 0, *, areas=("A", "B", "C", "D"), months: int = 24,
           small: str = "A", indicator: str = "burglary") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2021-01", periods=months, freq="M").astype(str)
    rows = []
    for a in areas:
        mean = 2.0 if a == small else 12.0
        for p in periods:
            rows.append({"area": a, "month": p, indicator: int(rng.poisson(mean)),
                         "population": 900 + 400 * areas.index(a)})
    return pd.DataFrame(rows)


def _displacement_frame() -> pd.DataFrame:
    """Response area R with a count of 3 after the start; buffer B, controls C and D."""
    periods = pd.period_range("2022-01", periods=24, freq="M").astype(str)
    totals = {"R": (30, 3), "B": (40, 38), "C": (60, 58), "D": (50, 49)}
    rows = []
    for area, (before, after) in totals.items():
        for half, total in ((periods[:12], before), (periods[12:], after)):
            per = np.zeros(12, int)
            per[: total % 12] += 1
            per += total // 12
            rows += [{"area": area, "month": p, "burglary": int(v)}
                     for p, v in zip(half, per, strict=True)]
    return pd.DataFrame(rows)


def _wdd_pair(outcome: str = "burglary"):
    df = _displacement_frame().rename(columns={"burglary": outcome})
    areas = dict(data=df, unit="area", time="month", outcome=outcome, intervention="2023-01",
                 response=["R"], buffer=["B"], control=["C"], buffer_control=["D"],
                 before=12, after=12)
    return ek.wdq(**areas), ek.wdd(**areas)


# -- 1. caveat sentences follow the rule -------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_displacement_caveats_say_below_five_not_the_count(lang):
    wdq, wdd = _wdd_pair()
    assert any("the smallest is 3" in str(w) for w in wdd.warnings)  # the design's own words
    text = _text(diagnostics_section([wdd, wdq], lang=lang))
    assert not re.search(r"(smallest is|plus petit vaut) 3", text)
    assert ("below 5" if lang == "en" else "inférieur à 5") in text


def test_wdq_caveat_is_hidden_too():
    wdq, _ = _wdd_pair()
    assert any(getattr(w, "code", "") == "wdq_small_counts" for w in wdq.warnings)
    text = _text(diagnostics_section(wdq, lang="en"))
    assert "the smallest is 3" not in text and "the smallest is below 5" in text


def test_evaluation_diagnostics_hide_the_caveat_count():
    _, wdd = _wdd_pair()
    run = type("Run", (), {"treated": {"R": "2023-01"}})()
    text = _text(eval_diagnostics(run, [wdd], lang="en"))
    assert "the smallest is 3" not in text and "below 5" in text


def test_results_json_warnings_hide_the_caveat_count():
    wdq, wdd = _wdd_pair()
    doc = build_results([wdq, wdd], template="displacement", parameters={},
                        data=_displacement_frame())
    joined = " ".join(doc["warnings"])
    assert "the smallest is 3" not in joined and "the smallest is below 5" in joined


def test_a_larger_threshold_hides_a_larger_smallest_count():
    rule = DisclosureRule.from_parameters(min_count=10)
    caveat = Caveat("wdd_small_counts", smallest=7, power_pct=80, mde_power=20.0)
    assert "below 10" in str(rule.caveat(caveat)) and "is 7" not in str(rule.caveat(caveat))
    assert rule.caveat(caveat).render("fr").count("inférieur à 10") == 1


def test_a_shown_count_and_a_rule_without_counts_keep_the_caveat():
    caveat = Caveat("wdd_small_counts", smallest=7, power_pct=80, mde_power=20.0)
    assert DEFAULT_RULE.caveat(caveat) is caveat
    small = Caveat("wdd_small_counts", smallest=2, power_pct=80, mde_power=20.0)
    assert DisclosureRule.from_parameters(min_count=0).caveat(small) is small
    assert DisclosureRule.from_parameters(level="district").caveat(small) is small
    assert DEFAULT_RULE.caveat("plain text") == "plain text"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_its_small_counts_caveat_hides_the_event_counts(lang):
    caveat = Caveat("small_counts", before=3, after=12)
    text = DEFAULT_RULE.caveat(caveat).render(lang)
    assert "3" not in text and "12" not in text and "5" in text


# -- 2. figures: seasonality, trends, ITS rates -----------------------------------------------
def test_season_figure_mean_does_not_give_a_hidden_month_back(monkeypatch):
    df = _panel(3, areas=("A", "B"), months=24)
    df.loc[(df["area"] == "A") & (df["month"] == "2021-01"), "burglary"] = 2
    df.loc[(df["area"] == "A") & (df["month"] == "2022-01"), "burglary"] = 20
    figs = _Figures(monkeypatch, ri)
    ri.season_figure(compute_indicators(df, unit="area", time="month", indicators=["burglary"],
                                        window=None))
    ax = figs.figs[0].axes[0]
    x, y = _line(ax, "A")
    january = y[list(x).index(1)]
    assert math.isnan(january), "mean × 2 − 20 gives the hidden 2 back"


def test_season_figure_says_what_it_left_out():
    df = _panel(3, areas=("A", "B"), months=24)
    df.loc[(df["area"] == "A") & (df["month"] == "2021-01"), "burglary"] = 2
    html = _text(ri.season_figure(compute_indicators(df, unit="area", time="month",
                                                     indicators=["burglary"], window=None)))
    assert "<5" in html and "disclosure control" in html


def _did_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2021-01", periods=24, freq="M").astype(str)
    rows = []
    for a in ["T", "C1", "C2", "C3", "C4"]:
        for i, p in enumerate(periods):
            rows.append({"area": a, "month": p,
                         "burglary": int(rng.integers(1, 5)) if a == "T" else
                         int(rng.poisson(15)),
                         "population": 2000 + 100 * len(rows) % 7,
                         "treated": int(a == "T" and i >= 12)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("family", ["ols", "poisson"])
def test_did_trends_never_draw_a_single_area_count_below_five(family):
    res = ek.did(_did_frame(), outcome="burglary", unit="area", time="month",
                 treatment="treated", family=family)
    fig = plot_trends(res)
    _, y = _line(fig.axes[0], "Partnership areas")
    assert np.isnan(y).all(), y


def test_did_trends_with_linear_rates_are_not_drawn_under_the_rule():
    res = ek.did(_did_frame(), outcome="burglary", unit="area", time="month",
                 treatment="treated", family="ols", exposure="population")
    fig = plot_trends(res)
    for ax in fig.axes:
        for line in ax.get_lines():
            assert np.isnan(np.asarray(line.get_ydata(), float)).all()
    assert "cannot be checked" in fig.legends[0].get_title().get_text()


def test_did_trends_of_a_rate_outcome_that_is_not_a_count_are_drawn():
    df = _did_frame().assign(burglary=lambda d: d["burglary"] + 0.37)
    res = ek.did(df, outcome="burglary", unit="area", time="month", treatment="treated",
                 family="ols")
    _, y = _line(plot_trends(res).axes[0], "Partnership areas")
    assert np.isfinite(y).all()


def _its_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2020-01", periods=36, freq="M").astype(str)
    rows = []
    for a, mean, pop in (("A", 3.0, 1234), ("B", 30.0, 5678)):
        rows += [{"area": a, "month": p, "burglary": int(rng.poisson(mean)), "population": pop}
                 for p in periods]
    return pd.DataFrame(rows)


def test_its_linear_rates_do_not_convert_back_to_small_counts():
    df = _its_frame()
    res = ek.its(df, outcome="burglary", time="month", intervention="2021-07", unit="area",
                 units=["A"], exposure="population", family="ols")
    fig = plot_its(res)
    scatter = np.asarray(fig.axes[0].collections[0].get_offsets(), float)
    drawn = scatter[:, 1] * 1234 / PER if scatter.size else np.array([])
    assert not _is_count(drawn).any()
    # the rates were there to be drawn: the design's series is of rates
    observed = res.series.loc[res.series["unit"] == "treated", "observed"] * 1234 / PER
    assert _is_count(observed.to_numpy()).any()


def test_its_linear_rates_of_a_control_series_are_not_drawn_either():
    df = _its_frame(1)
    res = ek.its(df, outcome="burglary", time="month", intervention="2021-07", unit="area",
                 units=["A"], control=["B"], exposure="population", family="ols")
    fig = plot_its(res)
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_label() == "Control series (observed)":
                assert np.isnan(np.asarray(line.get_ydata(), float)).all()


def test_its_linear_rates_are_drawn_when_no_count_is_hidden():
    df = _its_frame()
    res = ek.its(df, outcome="burglary", time="month", intervention="2021-07", unit="area",
                 units=["A"], exposure="population", family="ols")
    fig = plot_its(res, rule=DisclosureRule.from_parameters(level="district"))
    assert len(fig.axes[0].collections[0].get_offsets()) == 36


# -- 3. sensitive offences withheld below district level everywhere ---------------------------
def test_sensitive_outcome_is_not_drawn_by_the_its_figure():
    df = _its_frame().rename(columns={"burglary": "sexual_offences"})
    df.loc[df["area"] == "A", "sexual_offences"] += 20  # no small count at all
    res = ek.its(df, outcome="sexual_offences", time="month", intervention="2021-07",
                 unit="area", units=["A"])
    fig = plot_its(res)
    assert len(fig.axes[0].collections[0].get_offsets()) == 0
    assert "sensitive offence" in fig.legends[0].get_title().get_text()
    shown = plot_its(res, rule=DisclosureRule.from_parameters(level="district"))
    assert len(shown.axes[0].collections[0].get_offsets()) == 36


def test_sensitive_outcome_is_not_drawn_by_the_trends_figure():
    df = _did_frame().rename(columns={"burglary": "domestic_abuse"})
    df["domestic_abuse"] += 10
    res = ek.did(df, outcome="domestic_abuse", unit="area", time="month",
                 treatment="treated")
    fig = plot_trends(res)
    for line in fig.axes[0].get_lines():
        assert np.isnan(np.asarray(line.get_ydata(), float)).all()


def test_sensitive_outcome_is_not_drawn_by_the_displacement_figure():
    _, wdd = _wdd_pair("rape")
    fig = disp.plot_displacement(wdd)
    assert all(p.get_height() == 0 for p in fig.axes[0].patches)
    assert not [t for t in fig.axes[0].texts if t.get_text() == "<5"]
    assert "sensitive offence" in fig.legends[0].get_title().get_text()


def test_sensitive_indicator_has_no_result_in_results_json():
    df = _panel(4).assign(sexual_offences=lambda d: d["burglary"] + 10)
    common = dict(unit="area", time="month", indicators=["burglary", "sexual_offences"],
                  exposure="population", window=6)
    results = ri.indicator_results(compute_indicators(df, withhold=DEFAULT_RULE.withholds,
                                                      **common))
    assert [r.spec["outcome"] for r in results] == ["burglary"]
    rule = DisclosureRule.from_parameters(level="district")
    district = ri.indicator_results(compute_indicators(df, withhold=rule.withholds, **common),
                                    rule=rule)
    assert len(district) == 2
    # a profile computed for another rule would carry what this one withholds
    with pytest.raises(ek.SpecError, match=r"computed withholding \[\] but the disclosure "
                                           r"rule withholds \['sexual_offences'\]"):
        ri.indicator_results(compute_indicators(df, **common))


def test_harm_totals_do_not_carry_a_withheld_sensitive_offence(tmp_path):
    df = _panel(9, small="none").assign(sexual_offences=7)
    weights = tmp_path / "weights.csv"
    pd.DataFrame({"code": ["burglary", "sexual_offences"], "weight": [1.0, 50.0],
                  "name": "Test index", "version_date": "2024-01-01"}).to_csv(weights,
                                                                               index=False)
    common = dict(unit="area", time="month", indicators=["burglary", "sexual_offences"],
                  window=6)
    numbers = compute_indicators(df, exposure="population", withhold=DEFAULT_RULE.withholds,
                                 **common)
    html = ri.harm_section(numbers, compute_harm(numbers, weights))
    counts = _cells(ri.indicator_table(numbers))
    harm = _cells(html)
    a_harm = harm[harm.index("A") + 2]  # A's count in the last window, all offences
    a_table = counts[counts.index("A") + 2]  # A's burglaries in the last window
    assert a_harm == a_table, "the difference would be A's sexual offences"
    assert "Sexual offences" in _text(html)  # named in the withheld note
    district = DisclosureRule.from_parameters(level="district")
    everything = compute_indicators(df, withhold=district.withholds, **common)
    shown = _cells(ri.harm_section(everything, compute_harm(everything, weights), rule=district))
    assert int(shown[shown.index("A") + 2]) == int(a_table) + 6 * 7


def test_french_rape_column_is_a_sensitive_offence():
    assert DEFAULT_RULE.withholds("viols") and DEFAULT_RULE.withholds("nb_viols")
    assert DEFAULT_RULE.withholds("Viol")
    assert not DEFAULT_RULE.withholds("violence") and not DEFAULT_RULE.withholds("violations")


# -- 4. results.json: no rate, error or total that gives a hidden count back -------------------
def _window_counts(df: pd.DataFrame, window: int) -> dict[tuple[str, str], int]:
    months = sorted(df["month"].unique())
    prev, last = months[-2 * window: -window], months[-window:]
    out = {}
    for area, part in df.groupby("area"):
        out[(area, "previous")] = int(part[part["month"].isin(prev)]["burglary"].sum())
        out[(area, "last")] = int(part[part["month"].isin(last)]["burglary"].sum())
    return out


def test_results_json_has_no_rate_of_a_hidden_window_count():
    df = _panel(5, months=12)
    df.loc[df["area"] == "A", "burglary"] = 0
    df.loc[(df["area"] == "A") & (df["month"] == "2021-12"), "burglary"] = 3
    (res,) = ri.indicator_results(compute_indicators(
        df, unit="area", time="month", indicators=["burglary"], exposure="population",
        window=6))
    terms = set(res.effects["term"])
    assert "rate_last_A" not in terms and "rate_ratio_A" not in terms
    assert "rate_previous_A" in terms  # a zero is no small count
    assert sum(f"rate_last_{a}" in terms for a in "BCD") == 2  # secondary suppression


def test_results_json_total_minus_shown_areas_does_not_give_a_hidden_count():
    df = _panel(6, months=12)
    df.loc[(df["area"] == "A") & (df["month"] > "2021-06"), "burglary"] = 0
    df.loc[(df["area"] == "A") & (df["month"] == "2021-12"), "burglary"] = 2
    (res,) = ri.indicator_results(compute_indicators(
        df, unit="area", time="month", indicators=["burglary"], exposure="population",
        window=6))
    terms = set(res.effects["term"])
    assert "rate_last" in terms  # the total is shown...
    shown = [a for a in "BCD" if f"rate_last_{a}" in terms]
    assert len(shown) <= 2  # ...so a second area's last window is hidden with A's


def test_results_json_estimates_do_not_convert_back_to_hidden_counts():
    df = _panel(7, months=12)
    df.loc[(df["area"] == "A") & (df["month"] > "2021-06"), "burglary"] = 0
    df.loc[(df["area"] == "A") & (df["month"] == "2021-07"), "burglary"] = 4
    results = ri.indicator_results(compute_indicators(
        df, unit="area", time="month", indicators=["burglary"], exposure="population",
        window=6))
    doc = build_results(results, template="indicators", parameters={}, data=df,
                        unit="area", time="month")
    exposure_a = 6 * 900
    for e in doc["estimates"]:
        for key in ("estimate", "std_error", "ci_low", "ci_high"):
            value = e.get(key)
            if value is None:
                continue
            assert not (e["term"].endswith("_A") and _is_count(value * exposure_a / PER)), e
            assert not (e["term"].endswith("_A") and key == "std_error"
                        and _is_count((value * exposure_a / PER) ** 2)), e


# -- 5. rates figure next to the table of window sums ------------------------------------------
def test_complete_lines_hides_a_second_value_in_a_group_with_one_hidden():
    from evalkit.report.disclosure import complete_lines

    values = np.array([3, 9, 7, 20, 2, 1])
    hidden = DEFAULT_RULE.hides(values)
    out = complete_lines(values, hidden, ["a", "a", "a", "b", "b", None])
    assert out.tolist() == [True, False, True, True, True, True]
    assert complete_lines(values, hidden, ["a", "a", "a", None, None, None])[2]


def test_rates_figure_window_sum_minus_drawn_periods_does_not_give_a_hidden_one(monkeypatch):
    df = _panel(8, areas=("A", "B"), months=12, small="none")
    df.loc[(df["area"] == "A") & (df["month"] == "2021-12"), "burglary"] = 3
    figs = _Figures(monkeypatch, ri)
    ri.rates_figure(compute_indicators(df, unit="area", time="month", indicators=["burglary"],
                                       exposure="population", window=6))
    _, y = _line(figs.figs[0].axes[0], "A")
    last = y[6:]
    assert np.isnan(last).sum() >= 2, "the table shows A's last-window sum"


# -- 6. literal text -----------------------------------------------------------------------------
def _check_literal(fig) -> None:
    fig.canvas.draw()  # raises on broken math when "$...$" is typeset
    texts = [t for t in fig.findobj(Text) if "$" in t.get_text()]
    assert texts, "the test text must be drawn somewhere"
    for text in texts:
        assert text._preprocess_math(text.get_text())[1] is False, text.get_text()


def test_its_figure_draws_dollar_text_literally():
    res = ek.its(_its_frame(), outcome="burglary", time="month", intervention="2021-07",
                 unit="area", units=["B"])
    _check_literal(plot_its(res, outcome_label=MONEY))


def test_trends_and_event_study_draw_dollar_text_literally():
    df = _did_frame()
    res = ek.did(df, outcome="burglary", unit="area", time="month", treatment="treated")
    _check_literal(plot_trends(res, outcome_label=MONEY))
    ev = ek.event_study(df, outcome="burglary", unit="area", time="month",
                        treatment="treated", leads=3, lags=3)
    _check_literal(plot_event_study(ev, outcome_label=MONEY))


def test_displacement_figure_draws_dollar_text_literally():
    _, wdd = _wdd_pair()
    _check_literal(disp.plot_displacement(wdd, outcome_label=MONEY))


def test_area_names_with_dollars_are_literal_in_legends():
    frame = pd.DataFrame({"time": ["2021", "2022"] * 2, "indicator": "burglary",
                          "area": [MONEY, MONEY, "B", "B"], "rate": [1.0, 2.0, 3.0, 4.0],
                          "ci_low": 0.5, "ci_high": 5.0})
    _check_literal(plot_rate_panels(frame))
    season = frame.assign(season=[1, 2, 1, 2], mean=[1.0, 2.0, 3.0, 4.0])
    _check_literal(plot_season(season, labels={"burglary": MONEY}))
    _check_literal(plot_rates(frame, time="time", group="area"))


def test_synth_and_forest_draw_dollar_text_literally():
    from evalkit.report.synth import plot_synth

    rng = np.random.default_rng(0)
    periods = pd.period_range("2020-01", periods=24, freq="M").astype(str)
    df = pd.DataFrame([{"area": a, "month": p, "burglary": int(rng.poisson(30))}
                       for a in ["T", *(f"D{i}" for i in range(6))] for p in periods])
    res = ek.synth(df, outcome="burglary", unit="area", time="month", treated_unit="T",
                   intervention="2021-01")
    _check_literal(plot_synth(res, outcome_label=MONEY))


def test_report_kernel_setup_draws_text_literally():
    from evalkit.report import setup

    matplotlib.rcParams["text.parse_math"] = True
    setup("en")
    assert matplotlib.rcParams["text.parse_math"] is False


# -- 7. property: no suppressed count recoverable from the indicator sections -----------------
@st.composite
def small_panels(draw):
    n_areas = draw(st.integers(2, 4))
    months = draw(st.sampled_from([12, 18, 24]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    means = [draw(st.sampled_from([0.4, 1.5, 3.0, 8.0, 20.0])) for _ in range(n_areas)]
    periods = pd.period_range("2021-01", periods=months, freq="M").astype(str)
    rows = []
    for i, mean in enumerate(means):
        pop = int(rng.integers(300, 9000))
        rows += [{"area": f"Z{i}", "month": p, "burglary": int(rng.poisson(mean)),
                  "population": pop} for p in periods]
    return pd.DataFrame(rows), draw(st.sampled_from([3, 6]))


def _recoverable(df: pd.DataFrame, window: int, figs: list, table_html: str, doc: dict
                 ) -> list[str]:
    """Every way a hidden count comes back from the artefacts; empty when none does."""
    leaks = []
    months = sorted(df["month"].unique())
    rates_fig, season_fig = figs
    rate_ax = rates_fig.axes[0]
    season_ax = season_fig.axes[0]
    wins = {"previous": months[-2 * window: -window], "last": months[-window:]}
    cells = _cells(table_html)
    for area, part in df.groupby("area"):
        pop = float(part["population"].iloc[0])
        counts = dict(zip(part["month"], part["burglary"], strict=True))
        x, y = _line(rate_ax, area)
        drawn = {months[int(i)]: v * pop / PER for i, v in zip(x, y, strict=True)
                 if math.isfinite(v)}
        for m, c in counts.items():
            hidden = 1 <= c <= 4
            if hidden and m in drawn:  # a rate × exposure
                leaks.append(f"rate of {area} {m}")
            if hidden:  # the season mean × years minus the other years drawn
                sx, sy = _line(season_ax, area)
                month_no = int(m[5:7])
                mean = sy[list(sx).index(month_no)]
                same = [k for k in counts if int(k[5:7]) == month_no and k != m]
                if math.isfinite(mean) and all(k in drawn for k in same):
                    leaks.append(f"season mean of {area} {m}")
        for name, ms in wins.items():  # a window sum in the table minus the periods drawn
            missing = [m for m in ms if m not in drawn]
            total = sum(counts[m] for m in ms)
            if len(missing) == 1 and 1 <= counts[missing[0]] <= 4:
                shown = str(total) in cells  # the sum printed somewhere in the table
                if shown:
                    leaks.append(f"{name} window sum of {area}")
        for e in doc["estimates"]:  # rate × exposure, standard error² in results.json
            if not e["term"].endswith(f"_{area}"):
                continue
            key = "previous" if "previous" in e["term"] else "last"
            expo = pop * window
            count = sum(counts[m] for m in wins[key])
            if e["term"].startswith("rate_") and 1 <= count <= 4 \
                    and e["term"] != f"rate_ratio_{area}":
                leaks.append(f"{e['term']} in results.json")
            if e["term"] == f"rate_ratio_{area}" and any(
                    1 <= sum(counts[m] for m in wins[k]) <= 4 for k in wins):
                leaks.append(f"{e['term']} in results.json")
            if e["std_error"] is not None and _is_count(
                    (e["std_error"] * expo / PER) ** 2).any() and 1 <= count <= 4:
                leaks.append(f"std error of {e['term']}")
    return leaks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(small_panels())
def test_property_no_suppressed_count_recoverable_from_indicator_artefacts(panel):
    df, window = panel
    capture = _Figures.__new__(_Figures)
    capture.figs = []
    original, ri.figure = ri.figure, capture.keep  # no monkeypatch fixture under @given
    try:
        numbers = compute_indicators(df, unit="area", time="month", indicators=["burglary"],
                                     exposure="population", window=window)
        table_html = str(ri.indicator_table(numbers))
        ri.rates_figure(numbers)
        ri.season_figure(numbers)
    finally:
        ri.figure = original
    results = ri.indicator_results(numbers)
    doc = build_results(results, template="indicators", parameters={}, data=df,
                        unit="area", time="month")
    assert _recoverable(df, window, capture.figs, table_html, doc) == []
    plt.close("all")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31 - 1), st.sampled_from(["ols", "poisson"]))
def test_property_design_figures_draw_no_small_count(seed, family):
    df = _did_frame(seed)
    res = ek.did(df, outcome="burglary", unit="area", time="month", treatment="treated",
                 family=family)
    fig = plot_trends(res)
    n = res.series.set_index(["group", "time"])["n_obs"]
    for group, label in (("treated", "Partnership areas"), ("comparison", "Comparison areas")):
        _, y = _line(fig.axes[0], label)
        sizes = n.loc[group].to_numpy(float)
        assert not _is_count(y * sizes).any()
    its_df = _its_frame(seed)
    its = ek.its(its_df, outcome="burglary", time="month", intervention="2021-07",
                 unit="area", units=["A"], exposure="population",
                 family="ols" if family == "ols" else "poisson")
    offsets = np.asarray(plot_its(its).axes[0].collections[0].get_offsets(), float)
    scale = 1234 / PER if family == "ols" else 1.0
    assert not (offsets.size and _is_count(offsets[:, 1] * scale).any())
    plt.close("all")


# -- 8. end to end: a template's report folder ----------------------------------------------------
def _folder_text(folder: Path) -> tuple[str, list[str], str, dict]:
    html = (folder / "report.html").read_text(encoding="utf-8")
    nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    outputs = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            for kind, value in out.get("data", {}).items():
                if kind.startswith("text"):
                    outputs.append("".join(value) if isinstance(value, list) else value)
            if "text" in out:
                outputs.append("".join(out["text"]))
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return html, outputs, (folder / "results.json").read_text(encoding="utf-8"), results


def test_displacement_template_folder_never_names_the_small_count(tmp_path):
    from evalkit.run.execute import run_template

    data = tmp_path / "disp.csv"
    _displacement_frame().to_csv(data, index=False)
    outcome = run_template("displacement", out=tmp_path / "out", data=data, progress=False,
                           parameters={"outcome": "burglary", "unit": "area",
                                       "time": "month", "intervention": "2023-01",
                                       "response": ["R"], "buffer": ["B"], "control": ["C"],
                                       "buffer_control": ["D"], "before": 12, "after": 12})
    html, outputs, raw, _ = _folder_text(outcome.report.parent)
    for text in [_text(html), *map(_text, outputs), raw]:
        assert "smallest is 3" not in text
    assert "smallest is below 5" in _text(html) and "smallest is below 5" in raw


def test_indicators_template_folder_keeps_hidden_counts_hidden(tmp_path):
    from evalkit.run.execute import run_template

    df = _panel(11, months=24)
    df.loc[(df["area"] == "A") & (df["month"] > "2022-06"), "burglary"] = 0
    df.loc[(df["area"] == "A") & (df["month"] == "2022-12"), "burglary"] = 3
    df["sexual_offences"] = df["burglary"] + 7
    data = tmp_path / "panel.csv"
    df.to_csv(data, index=False)
    outcome = run_template("indicators", out=tmp_path / "out", data=data, progress=False,
                           parameters={"unit": "area", "time": "month",
                                       "indicators": ["burglary", "sexual_offences"],
                                       "exposure": "population", "window": 6})
    html, outputs, _, results = _folder_text(outcome.report.parent)
    cells = _cells(html)
    assert "<5" in cells
    row = next(i for i, c in enumerate(cells) if c == "A")
    assert cells[row + 2] in ("<5", "–")  # A's last-window count
    assert {e["outcome"] for e in results["estimates"]} == {"burglary"}
    assert not any(e["term"] in ("rate_last_A", "rate_ratio_A") for e in results["estimates"])
    assert "Sexual offences" in _text(html)  # named only in the withheld note
    assert "sexual_offences" not in {e["outcome"] for e in results["estimates"]}
    for text in outputs:  # report.ipynb shows the same hidden cells
        out_cells = _cells(text)
        if "A" in out_cells:
            at = out_cells.index("A")
            assert out_cells[at + 2] in ("<5", "–")


def _rows(html: str) -> list[list[str]]:
    """The body rows of every table in ``html``, as cell texts."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.S))
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(small_panels())
def test_property_indicators_template_folder_hides_every_small_window_count(panel):
    """End to end through run_template: the table cells of report.html and of report.ipynb's
    outputs, and the estimates of results.json, at every window count that is hidden."""
    import tempfile

    from evalkit.run.execute import run_template

    df, window = panel
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "panel.csv"
        df.to_csv(data, index=False)
        outcome = run_template("indicators", out=Path(tmp) / "out", data=data,
                               progress=False,
                               parameters={"unit": "area", "time": "month",
                                           "indicators": ["burglary"],
                                           "exposure": "population", "window": window})
        html, outputs, _, results = _folder_text(outcome.report.parent)
    counts = _window_counts(df, window)
    for text in [html, *outputs]:
        rows = [r for r in _rows(text) if len(r) == 10 and r[1] in set(df["area"])]
        shown_last = 0
        for r in rows:
            for key, cell in (("previous", r[2]), ("last", r[3])):
                if 1 <= counts[(r[1], key)] <= 4:
                    assert cell in ("<5", "–"), (r, key)
                    assert r[4 if key == "previous" else 5] == "–"
            shown_last += r[3] not in ("<5", "–")
        if rows and len(rows) > 1:  # a total row is shown: never exactly one hidden cell
            assert len(rows) - shown_last != 1
    for e in results["estimates"]:
        area = e["term"].rsplit("_", 1)[-1]
        if (area, "last") not in counts:
            continue
        if e["term"].startswith("rate_last"):
            assert not 1 <= counts[(area, "last")] <= 4, e
        if e["term"].startswith("rate_previous"):
            assert not 1 <= counts[(area, "previous")] <= 4, e
        if e["term"].startswith("rate_ratio"):
            assert not any(1 <= counts[(area, k)] <= 4 for k in ("previous", "last")), e
