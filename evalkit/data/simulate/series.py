"""Simulated cities: one area's monthly counts around an intervention (:func:`simulate_series`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import (
    SimulatedCity,
    _int,
    _month,
    _positive,
    _round,
    _seed,
    _summary,
)
from evalkit.errors import SpecError


def simulate_series(
    *,
    n_months: int = 72,
    intervention_month: int = 48,
    start: str = "2017-01",
    baseline: float = 50.0,
    level_change: float = 0.8,
    slope_change: float = 1.0,
    trend: float = -0.01,
    seasonality: float = 0.1,
    overdispersion: float | None = None,
    ar1: float = 0.0,
    noise_sd: float | None = None,
    population: int | None = None,
    seed: int = 2026,
) -> SimulatedCity:
    """Simulate one area's monthly counts around an intervention (interrupted time series).

    ``log mu_t = log(baseline) + trend * t / 12 + seasonality * cos(2 pi (moy - 1) / 12) + e_t
    + post_t * (log(level_change) + log(slope_change) * (t - intervention_month) / 12)``,
    with ``e_t`` a stationary AR(1) latent error of lag-1 autocorrelation ``ar1`` and
    standard deviation ``noise_sd``.

    Parameters
    ----------
    n_months : int
        Length of the series (>= 3).
    intervention_month : int
        Index (0-based) of the first post-intervention month; 1 <= it < ``n_months``.
    start : str
        First month, ``"YYYY-MM"``.
    baseline : float
        Expected count in the first month, before seasonality and noise.
    level_change : float
        Rate ratio of the immediate change.
    slope_change : float
        Rate ratio per year of the change in trend after the intervention (per month on the
        log scale: ``log(slope_change) / 12``).
    trend : float
        Pre-existing trend per year on the log scale.
    seasonality : float
        Amplitude of the yearly cosine on the log scale (peak in January).
    overdispersion : float or None
        Negative binomial shape; None for Poisson.
    ar1 : float
        Lag-1 autocorrelation of the latent log-scale error, in (-1, 1).
    noise_sd : float, optional
        Standard deviation of the latent error; default 0.1 when ``ar1 != 0``, else 0.
    population : int, optional
        Constant population column (default 100,000); counts do not depend on it.
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    SimulatedCity
        ``data`` columns ``month, count, population, post, time``; ``truth`` has the level and
        slope changes, the cumulative effect in counts over the post period and the expected
        observed and counterfactual series (conditional on the latent error).
    """
    seed = _seed(seed)
    n_months = _int(n_months, "n_months", 3)
    intervention_month = _int(intervention_month, "intervention_month", 1, n_months - 1)
    first = _month(start, "start")
    baseline = _positive(baseline, "baseline")
    level_change = _positive(level_change, "level_change")
    slope_change = _positive(slope_change, "slope_change")
    if overdispersion is not None:
        overdispersion = _positive(overdispersion, "overdispersion")
    if isinstance(ar1, bool) or not isinstance(ar1, int | float) or not -1 < ar1 < 1:
        raise SpecError(f"ar1 must be a number strictly between -1 and 1, got {ar1!r}")
    if noise_sd is None:
        noise_sd = 0.1 if ar1 else 0.0
    if isinstance(noise_sd, bool) or not isinstance(noise_sd, int | float) or not noise_sd >= 0:
        raise SpecError(f"noise_sd must be a number >= 0, got {noise_sd!r}")
    population = 100_000 if population is None else _int(population, "population", 1)

    rng = np.random.default_rng(seed)
    labels = list(pd.period_range(first, periods=n_months, freq="M").strftime("%Y-%m"))
    t = np.arange(n_months)
    moy = np.array([int(m[5:]) for m in labels])
    e = np.zeros(n_months)
    if noise_sd > 0:
        shocks = rng.normal(0.0, noise_sd * math.sqrt(1 - ar1**2), n_months)
        e[0] = rng.normal(0.0, noise_sd)
        for i in range(1, n_months):
            e[i] = ar1 * e[i - 1] + shocks[i]
    log_mu0 = (math.log(baseline) + trend * t / 12
               + seasonality * np.cos(2 * np.pi * (moy - 1) / 12) + e)  # fmt: skip
    post = t >= intervention_month
    since = t - intervention_month
    log_eff = np.where(post, math.log(level_change) + math.log(slope_change) * since / 12, 0.0)
    mu0, mu1 = np.exp(log_mu0), np.exp(log_mu0 + log_eff)
    lam = mu1 if overdispersion is None else rng.gamma(overdispersion, mu1 / overdispersion)
    count = rng.poisson(lam).astype(np.int64)
    data = pd.DataFrame({
        "month": np.array(labels, dtype=object), "count": count,
        "population": np.full(n_months, population, dtype=np.int64),
        "post": post.astype(np.int64), "time": t.astype(np.int64),
    })  # fmt: skip
    summary = _summary(mu0[post], log_eff[post])
    truth = {
        "generator": "evalkit.data.simulate.simulate_series",
        "seed": seed,
        "parameters": {
            "n_months": n_months,
            "intervention_month": intervention_month,
            "start": labels[0],
            "baseline": baseline,
            "level_change": level_change,
            "slope_change": slope_change,
            "trend": float(trend),
            "seasonality": float(seasonality),
            "overdispersion": overdispersion,
            "ar1": float(ar1),
            "noise_sd": float(noise_sd),
            "population": population,
        },
        "intervention": labels[intervention_month],
        "level_change": {"rate_ratio": level_change, "log": _round(math.log(level_change))},
        "slope_change": {
            "rate_ratio_per_year": slope_change,
            "log_per_month": _round(math.log(slope_change) / 12),
        },
        "cumulative_effect": summary["att_total"],
        "crimes_prevented": summary["crimes_prevented"],
        "relative_effect": summary["relative_effect"],
        "expected_counterfactual": [_round(x) for x in mu0],
        "expected_observed": [_round(x) for x in mu1],
        "notes": "cumulative_effect = sum over post months of E[Y(1)] - E[Y(0)], conditional "
        "on the latent error.",
    }
    return SimulatedCity(data=data, truth=truth)
