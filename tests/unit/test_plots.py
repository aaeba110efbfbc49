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
    return ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel(), ax.get_legend()


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
