"""Simulated cities: hot spots selected on their counts, regression to the mean."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import SimulatedCity, _int, _positive, _round, _seed


def simulate_hotspots(
    *,
    n_areas: int = 200,
    n_periods: int = 24,
    select_top: int = 10,
    selection_period: int | None = None,
    mean_count: float = 10.0,
    seed: int = 2026,
) -> SimulatedCity:
    """Simulate stable areas, then "select" the hot spots: regression to the mean.

    Every area has a constant true rate (gamma distributed with shape 6, mean
    ``mean_count``) and Poisson counts. The ``select_top`` areas with the highest count in
    ``selection_period`` are flagged ``selected``; they fall afterwards although nothing was
    done (true effect 1.0).

    Parameters
    ----------
    n_areas : int
        Number of areas (>= 2).
    n_periods : int
        Number of periods (>= 2), numbered 1..n_periods.
    select_top : int
        Number of selected areas, 1 <= it < ``n_areas``.
    selection_period : int, optional
        The last pre period, on whose counts areas are selected; default ``n_periods // 2``.
    mean_count : float
        Mean true count per area and period.
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    SimulatedCity
        ``data`` columns ``area, period, count, selected, post``; ``truth["effect"]`` is 1.0.
    """
    seed = _seed(seed)
    n_areas = _int(n_areas, "n_areas", 2)
    n_periods = _int(n_periods, "n_periods", 2)
    select_top = _int(select_top, "select_top", 1, n_areas - 1)
    if selection_period is None:
        selection_period = max(1, n_periods // 2)
    selection_period = _int(selection_period, "selection_period", 1, n_periods - 1)
    mean_count = _positive(mean_count, "mean_count")

    rng = np.random.default_rng(seed)
    rate = rng.gamma(6.0, mean_count / 6.0, n_areas)
    counts = rng.poisson(np.repeat(rate[:, None], n_periods, axis=1)).astype(np.int64)
    at_selection = counts[:, selection_period - 1]
    order = np.lexsort((rng.random(n_areas), -at_selection))
    chosen = np.sort(order[:select_top])
    selected = np.zeros(n_areas, dtype=np.int64)
    selected[chosen] = 1
    areas = np.array([f"A{i + 1:03d}" for i in range(n_areas)], dtype=object)
    periods = np.arange(1, n_periods + 1)
    data = pd.DataFrame({
        "area": np.repeat(areas, n_periods), "period": np.tile(periods, n_areas),
        "count": counts.ravel(), "selected": np.repeat(selected, n_periods),
        "post": np.tile((periods > selection_period).astype(np.int64), n_areas),
    })  # fmt: skip
    truth = {
        "generator": "evalkit.data.simulate.simulate_hotspots",
        "seed": seed,
        "parameters": {
            "n_areas": n_areas,
            "n_periods": n_periods,
            "select_top": select_top,
            "selection_period": selection_period,
            "mean_count": mean_count,
        },
        "effect": 1.0,
        "selected": [str(a) for a in areas[chosen]],
        "true_mean_selected": _round(rate[chosen].mean()),
        "observed_mean_selected_at_selection": _round(at_selection[chosen].mean()),
        "expected_apparent_change": _round(rate[chosen].mean() / at_selection[chosen].mean() - 1),
        "notes": "No true effect anywhere: any fall of the selected areas after selection is "
        "regression to the mean; expected_apparent_change is the relative fall to expect.",
    }
    return SimulatedCity(data=data, truth=truth)
