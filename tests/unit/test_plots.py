"""Figures: title, axis labels with units, legend; never modify the result."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.simulate import simulate_city, simulate_series
from evalkit.errors import SpecError
from evalkit.report.plots import plot_event_study, plot_its, plot_rates, plot_trends


@pytest.fixture(scope="module")
def results():
    city = simulate_city(n_districts=10, n_months=36, start="2015-01", roll_out="common",
                         n_treated=4, start_dates=["2016-06"], seed=1)
    sim = simulate_series(start="2010-01", n_months=60, intervention_month=36, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "its": ek.its(sim.data, outcome="count", time="month", intervention="2013-01"),
            "event": ek.event_study(city.data, outcome="burglary", unit="district",
                                    time="month", cohort="cohort", leads=6, lags=6),
            "did": ek.did(city.data, outcome="burglary", unit="district", time="month",
                          treatment="partnership"),
            "city": city.data,
        }


def labels(fig):
    ax = fig.axes[0]
    legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
    return ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel(), legend


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_its_plot_is_labelled(results, lang):
    before = results["its"].series.copy()
    fig = plot_its(results["its"], lang=lang)
    title, x, y, legend = labels(fig)
    assert title and x and y and legend is not None
    assert ("per month" in y) if lang == "en" else ("par mois" in y)
    texts = [t.get_text() for t in legend.get_texts()]
    assert any("95" in t for t in texts)
    assert any("2013-01" in t for t in texts)
    pd.testing.assert_frame_equal(results["its"].series, before)


def test_event_study_plot(results):
    title, x, y, legend = labels(plot_event_study(results["event"]))
    assert "relative to the start" in title and "month" in x and "period -1" in y
    assert legend is not None


def test_trends_plot(results):
    title, _x, y, legend = labels(plot_trends(results["did"], lang="fr"))
    assert "moyen" in y and legend is not None and title


def test_rates_plot(results):
    city = results["city"]
    rates = ek.rate(city["burglary"], city["population"], per=1000).assign(
        month=city["month"].to_numpy(), district=city["district"].to_numpy())
    title, _x, y, legend = labels(plot_rates(rates, time="month", group="district",
                                            per=1000, indicator="Burglary"))
    assert "per 1,000 residents" in y and legend is not None and "Burglary" in title


def test_plots_refuse_the_wrong_result(results):
    with pytest.raises(SpecError,
                       match=r"this plot needs a its or controlled_its result; got 'did'"):
        plot_its(results["did"])
    with pytest.raises(SpecError, match=r"plot_rates needs columns"):
        plot_rates(pd.DataFrame({"x": [1]}), time="month")


def _figures(results, lang):
    from evalkit.report.disclosure import DisclosureRule
    from evalkit.report.plots import plot_rate_panels, plot_season

    city = results["city"]
    rates = ek.rate(city["burglary"], city["population"]).assign(
        month=city["month"].to_numpy(), district=city["district"].to_numpy())
    two = rates[rates["district"].isin(rates["district"].unique()[:2])]
    panels = pd.concat([two.assign(indicator=i) for i in ("burglary", "robbery", "violence")])
    season = panels.assign(season=pd.PeriodIndex(panels["month"], freq="M").month).groupby(
        ["indicator", "district", "season"], as_index=False)["count"].mean()
    hides = DisclosureRule.from_parameters(min_count=30, level="small_area")
    return {
        "its": plot_its(results["its"], lang=lang, rule=hides),  # with a disclosure note
        "event": plot_event_study(results["event"], lang=lang),
        "trends": plot_trends(results["did"], lang=lang),
        "rates": plot_rates(two, time="month", group="district", lang=lang),
        "panels": plot_rate_panels(panels, time="month", indicator="indicator",
                                   group="district", exposure="residents", freq_name="month",
                                   lang=lang),
        "season": plot_season(season, season="season", value="count", indicator="indicator",
                              group="district", season_name="month", freq_name="month",
                              lang=lang),
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_legends_are_clear_of_axis_titles_and_tick_labels(results, lang):
    """Finding 5 (issue 14): legends anchored under the axes ran over the x-axis title."""
    import matplotlib.pyplot as plt

    for name, fig in _figures(results, lang).items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend())]
        assert legends, name
        texts = []
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            texts += [ax.xaxis.label, ax.yaxis.label, ax.title, ax._left_title]
            texts += [tick for tick in ax.get_xticklabels() + ax.get_yticklabels()
                      if tick.get_text()]
        texts += [t for t in fig.texts if t.get_text()]
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for text in texts:
                if text.get_text() and text.get_visible():
                    other = text.get_window_extent(renderer)
                    assert not box.overlaps(other), (name, text.get_text())
            # and inside the figure
            assert box.y0 >= -1 and box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, name
        plt.close(fig)
