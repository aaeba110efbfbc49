"""Simulated cities with known true effects.

The simulators feed the test suite, the files in ``data_samples/`` and the training course.
Every function is deterministic given ``seed`` and returns a :class:`SimulatedCity`: the
data and a JSON-safe ``truth`` dict with the true effects, the design and every parameter,
so an estimate can always be compared with the value it should recover.

Sign convention used in every ``truth`` dict: an effect in counts is
``E[Y(1)] - E[Y(0)]`` (negative = fewer crimes); ``crimes_prevented`` is its opposite.
Expectations are conditional on the simulated district (or area) random effects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit._checks import check_choice
from evalkit.errors import SpecError

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_EFFECT",
    "DISTRICT_NAMES",
    "SURVEY_CATEGORIES",
    "SimulatedCity",
    "simulate_city",
    "simulate_hotspots",
    "simulate_incidents",
    "simulate_series",
    "simulate_survey",
]

DISTRICT_NAMES: tuple[str, ...] = (
    "Centre", "Gare", "Port", "Hôtel-de-Ville", "Saint-Michel", "Les Halles", "Université",
    "Marché", "Faubourg", "Cathédrale", "Canal", "Jardins", "Plateau", "Quai", "Moulins",
    "Arsenal", "Bastide", "Belvédère", "Citadelle", "Écluse", "Forum", "Prairie", "Remparts",
    "Vignes",
)  # fmt: skip
#: Mean monthly count per 10,000 residents.
DEFAULT_BASELINE: dict[str, float] = {
    "burglary": 4.0, "robbery": 1.0, "violence": 8.0, "antisocial_behaviour": 15.0,
}  # fmt: skip
#: True rate ratio in treated district-months.
DEFAULT_EFFECT: dict[str, float] = {
    "burglary": 0.80, "robbery": 0.90, "violence": 1.00, "antisocial_behaviour": 0.85,
}  # fmt: skip
_SEASON_PEAK = {"burglary": 12, "robbery": 12, "violence": 7, "antisocial_behaviour": 7}
_START_DATES = {
    "staggered": ("2021-01", "2021-07", "2022-01"),
    "common": ("2021-06",),
    "single": ("2021-06",),
}
SURVEY_CATEGORIES: tuple[str, ...] = ("very safe", "fairly safe", "unsafe", "very unsafe")
_SURVEY_AREAS = ("Centre", "Gare", "Port", "Hôtel-de-Ville", "Saint-Michel", "Les Halles")
_SURVEY_SHARES = {
    "treated_before": 0.45, "treated_after": 0.36,
    "control_before": 0.35, "control_after": 0.33,
}  # fmt: skip
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, eq=False)
class SimulatedCity:
    """Simulated data and the truth it was generated from.

    Attributes
    ----------
    data : pandas.DataFrame
        The simulated data, in the layout a city would supply.
    truth : dict
        JSON-safe: generator name, seed, every parameter (defaults resolved), the design and
        the true effects.
    """

    data: pd.DataFrame
    truth: dict

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return (
            f"SimulatedCity(data=<{rows} rows x {cols} columns>, "
            f"generator={self.truth.get('generator')!r}, seed={self.truth.get('seed')!r})"
        )


# --------------------------------------------------------------------------- validation


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _choice(value: Any, name: str, allowed: Sequence[str]) -> None:
    check_choice(name, value, allowed)


def _int(value: Any, name: str, low: int, high: int | None = None) -> int:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f">= {low}"
        raise SpecError(f"{name} must be an integer {span}, got {value!r}")
    return int(value)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise SpecError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise SpecError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _month(value: Any, name: str) -> pd.Period:
    if not isinstance(value, str) or not _MONTH.match(value):
        raise SpecError(f"{name} must be a month written 'YYYY-MM', got {value!r}")
    return pd.Period(value, freq="M")


def _names(values: Any, name: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    values = list(values)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise SpecError(f"{name} must be a non-empty sequence of names, got {values!r}")
    if len(set(values)) != len(values):
        raise SpecError(f"{name} contains duplicates: {values!r}")
    return values


def _per_crime(
    given: Mapping[str, float] | None,
    defaults: Mapping[str, float],
    crimes: list[str],
    name: str,
    fallback: float | None,
) -> dict[str, float]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(crimes))
    if unknown:
        raise SpecError(f"{name} names crimes that are not simulated: {unknown}; crimes={crimes}")
    out: dict[str, float] = {}
    for crime in crimes:
        value = given.get(crime, defaults.get(crime, fallback))
        if value is None:
            hint = f"{name}={{{crime!r}: ...}}"
            raise SpecError(f"{name} has no value for crime {crime!r}; pass {hint}")
        out[crime] = _positive(value, f"{name}[{crime!r}]")
    return out


def _round(x: float) -> float:
    return float(round(float(x), 6)) + 0.0  # + 0.0 turns -0.0 into 0.0


# --------------------------------------------------------------------------- city panel


def _summary(mu0: np.ndarray, logrr: np.ndarray) -> dict[str, float | int]:
    mu1 = mu0 * np.exp(logrr)
    diff = mu1 - mu0
    n = int(mu0.size)
    return {
        "n_cells": n,
        "expected_untreated": _round(mu0.sum()),
        "expected_treated": _round(mu1.sum()),
        "att": _round(diff.mean()) if n else 0.0,
        "att_total": _round(diff.sum()),
        "crimes_prevented": _round(-diff.sum()),
        "relative_effect": _round(mu1.sum() / mu0.sum() - 1.0) if n else 0.0,
    }


def simulate_city(
    *,
    n_districts: int = 20,
    start: str = "2017-01",
    n_months: int = 96,
    crimes: Sequence[str] = ("burglary", "robbery", "violence", "antisocial_behaviour"),
    baseline: Mapping[str, float] | None = None,
    effect: Mapping[str, float] | None = None,
    roll_out: Literal["common", "staggered", "single"] = "staggered",
    n_treated: int | None = None,
    treated: Sequence[str] | None = None,
    start_dates: Sequence[str] | None = None,
    dynamic: Literal["constant", "ramp"] = "constant",
    ramp_months: int = 12,
    n_buffer: int = 0,
    buffer_effect: Mapping[str, float] | None = None,
    trend: float = -0.01,
    seasonality: float = 0.15,
    overdispersion: float | None = 20.0,
    district_sd: float = 0.3,
    population_range: tuple[int, int] = (5_000, 60_000),
    seed: int = 2026,
) -> SimulatedCity:
    """Simulate a district x month panel of crime counts with a partnership roll-out.

    Expected count of crime ``k`` in district ``d``, month ``t`` (``t`` = 0 at ``start``)::

        mu0 = baseline[k] * population[d, t] / 10_000
              * exp(u[d] + v[d, k] + trend * t / 12 + seasonality * cos(2 pi (moy - peak_k) / 12))
        mu  = mu0 * RR[d, t, k]

    with ``u ~ N(0, district_sd)``, ``v ~ N(0, district_sd / 3)``, ``RR = effect[k]`` in
    treated district-months (``dynamic="ramp"``: ``effect[k] ** min(1, (e + 1) / ramp_months)``
    at ``e`` months since the district's start) and 1 elsewhere. Counts are Poisson
    (``overdispersion=None``) or negative binomial with shape ``overdispersion``.

    Parameters
    ----------
    n_districts : int
        Number of districts (>= 2). The first 24 get readable names (:data:`DISTRICT_NAMES`).
    start : str
        First month, ``"YYYY-MM"``.
    n_months : int
        Number of months (>= 2).
    crimes : sequence of str
        Crime columns to simulate.
    baseline : mapping, optional
        Crime -> mean monthly count per 10,000 residents; merged over :data:`DEFAULT_BASELINE`.
    effect : mapping, optional
        Crime -> true rate ratio in treated district-months; merged over
        :data:`DEFAULT_EFFECT` (crimes not listed there: 1.0).
    roll_out : {"common", "staggered", "single"}
        One start date for all treated districts, cohorts starting at different dates, or a
        single treated district.
    n_treated : int, optional
        Number of treated districts, chosen at random; default 8 (1 for ``"single"``).
    treated : sequence of str, optional
        Explicit treated district names instead of a random choice.
    start_dates : sequence of str, optional
        First treated months. Defaults: staggered 2021-01, 2021-07, 2022-01 (treated
        districts split evenly across the cohorts at random); common and single 2021-06.
    dynamic : {"constant", "ramp"}
        Full effect from the first treated month, or a linear build-up on the log scale.
    ramp_months : int
        Months for the ramp to reach the full effect.
    n_buffer : int
        ``roll_out="single"`` only: number of untreated neighbours of the treated district;
        adds a column ``ring`` (``response`` / ``buffer`` / ``control``).
    buffer_effect : mapping, optional
        Crime -> rate ratio in buffer districts from the start date (< 1 diffusion of
        benefits, > 1 displacement); default 1.0 (no spillover).
    trend : float
        Common trend per year on the log scale.
    seasonality : float
        Amplitude of the yearly cosine on the log scale (peak in December for burglary and
        robbery, July otherwise).
    overdispersion : float or None
        Negative binomial shape (variance ``mu + mu**2 / shape``); None for Poisson.
    district_sd : float
        Standard deviation of the district random effects (log scale).
    population_range : (int, int)
        Range of the initial district populations (residents).
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    SimulatedCity
        ``data`` columns: ``district, month, population, dwellings, <crimes...>, partnership,
        cohort`` (+ ``ring``). ``truth["effects"][crime]`` gives the rate ratio and the true
        effect on treated district-months (``att`` per cell, ``att_total``,
        ``crimes_prevented``), ``by_cohort`` and ``by_event_time``.

    Raises
    ------
    SpecError
        For any invalid option.
    """
    _choice(roll_out, "roll_out", ("common", "staggered", "single"))
    _choice(dynamic, "dynamic", ("constant", "ramp"))
    seed = _seed(seed)
    n_districts = _int(n_districts, "n_districts", 2)
    n_months = _int(n_months, "n_months", 2)
    ramp_months = _int(ramp_months, "ramp_months", 1)
    crimes = _names(crimes, "crimes")
    clash = sorted(set(crimes) & {"district", "month", "population", "dwellings", "partnership",
                                  "cohort", "ring"})  # fmt: skip
    if clash:
        raise SpecError(f"crimes must not reuse the column names {clash}")
    base = _per_crime(baseline, DEFAULT_BASELINE, crimes, "baseline", None)
    rr = _per_crime(effect, DEFAULT_EFFECT, crimes, "effect", 1.0)
    for name, value in (("trend", trend), ("seasonality", seasonality),
                        ("district_sd", district_sd)):  # fmt: skip
        finite = isinstance(value, int | float) and not isinstance(value, bool)
        if not (finite and math.isfinite(value)):
            raise SpecError(f"{name} must be a finite number, got {value!r}")
    if district_sd < 0:
        raise SpecError(f"district_sd must be >= 0, got {district_sd!r}")
    if overdispersion is not None:
        overdispersion = _positive(overdispersion, "overdispersion")
    try:
        lo, hi = population_range
    except (TypeError, ValueError):
        lo = hi = None
    if not (isinstance(lo, int | np.integer) and isinstance(hi, int | np.integer) and 0 < lo <= hi):
        raise SpecError(f"population_range must be (low, high) with 0 < low <= high, "
                        f"got {population_range!r}")  # fmt: skip

    first = _month(start, "start")
    labels = list(pd.period_range(first, periods=n_months, freq="M").strftime("%Y-%m"))
    names = [DISTRICT_NAMES[i] if i < len(DISTRICT_NAMES) else f"District {i + 1}"
             for i in range(n_districts)]  # fmt: skip
    rng_city, rng_design, rng_noise = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )

    # ---- design
    if treated is not None:
        treated = _names(treated, "treated")
        unknown = [t for t in treated if t not in names]
        if unknown:
            raise SpecError(f"treated names unknown districts {unknown}; districts are {names}")
        if n_treated is not None and n_treated != len(treated):
            raise SpecError(f"n_treated={n_treated!r} disagrees with the {len(treated)} "
                            "districts in treated; give one or the other")  # fmt: skip
        idx = np.array([names.index(t) for t in treated])
    else:
        default_n = 1 if roll_out == "single" else 8
        n = _int(default_n if n_treated is None else n_treated, "n_treated", 1, n_districts)
        idx = rng_design.choice(n_districts, size=n, replace=False)
    if roll_out == "single" and len(idx) != 1:
        raise SpecError(f"roll_out='single' treats exactly one district, got {len(idx)}")
    dates = _START_DATES[roll_out] if start_dates is None else _names(start_dates, "start_dates")
    periods = sorted(_month(d, "start_dates") for d in dates)
    if roll_out != "staggered" and len(periods) != 1:
        raise SpecError(f"roll_out={roll_out!r} takes exactly one start date, got {list(dates)}")
    if len(periods) > len(idx):
        raise SpecError(f"{len(periods)} start_dates for {len(idx)} treated districts: "
                        "every cohort needs at least one district")  # fmt: skip
    positions = [(p - first).n for p in periods]
    for p, pos in zip(periods, positions, strict=True):
        if not 1 <= pos < n_months:
            raise SpecError(f"start date {p.strftime('%Y-%m')} must fall after the first month "
                            f"{labels[0]} and no later than {labels[-1]}")  # fmt: skip
    first_pos = np.full(n_districts, -1)
    cohorts: dict[str, list[str]] = {}
    for pos, group in zip(positions, np.array_split(idx, len(positions)), strict=True):
        first_pos[group] = pos
        cohorts[labels[pos]] = [names[i] for i in sorted(group)]

    n_buffer = _int(n_buffer, "n_buffer", 0, n_districts - 2)
    if n_buffer and roll_out != "single":
        raise SpecError("n_buffer needs roll_out='single': buffers ring one treated district")
    if buffer_effect is not None and not n_buffer:
        raise SpecError("buffer_effect needs n_buffer >= 1")
    brr = _per_crime(buffer_effect, {}, crimes, "buffer_effect", 1.0)
    others = np.setdiff1d(np.arange(n_districts), idx)
    buffers = np.sort(rng_design.choice(others, size=n_buffer, replace=False))

    # ---- structure: population, dwellings, random effects
    t = np.arange(n_months)
    pop0 = rng_city.uniform(lo, hi, n_districts)
    growth = rng_city.uniform(-0.005, 0.015, n_districts)
    household = rng_city.uniform(1.8, 2.6, n_districts)
    u = rng_city.normal(0.0, district_sd, n_districts)
    v = rng_city.normal(0.0, district_sd / 3, (n_districts, len(crimes)))
    pop = np.rint(pop0[:, None] * (1 + growth[:, None]) ** (t[None, :] / 12)).astype(np.int64)
    dwellings = np.rint(pop / household[:, None]).astype(np.int64)
    moy = np.array([int(m[5:]) for m in labels])

    # ---- expected counts, effects, draws
    since = t[None, :] - first_pos[:, None]
    on = (first_pos[:, None] >= 0) & (since >= 0)
    frac = np.ones_like(since, dtype=float)
    if dynamic == "ramp":
        frac = np.minimum(1.0, (since + 1) / ramp_months)
    buffer_on = np.zeros_like(on)
    if n_buffer:
        buffer_on[buffers, positions[0] :] = True
    mu0 = np.empty((n_districts, n_months, len(crimes)))
    logrr = np.zeros_like(mu0)
    for k, crime in enumerate(crimes):
        season = seasonality * np.cos(2 * np.pi * (moy - _SEASON_PEAK.get(crime, 7)) / 12)
        mu0[:, :, k] = (base[crime] * pop / 10_000
                        * np.exp(u[:, None] + v[:, k, None] + trend * t / 12 + season))  # fmt: skip
        logrr[:, :, k] = np.where(on, frac * math.log(rr[crime]), 0.0)
        logrr[:, :, k] += np.where(buffer_on, frac * math.log(brr[crime]), 0.0)
    mu = mu0 * np.exp(logrr)
    if overdispersion is not None:
        mu = rng_noise.gamma(overdispersion, mu / overdispersion)
    counts = rng_noise.poisson(mu).astype(np.int64)

    cohort_of = np.array([labels[p] if p >= 0 else np.nan for p in first_pos], dtype=object)
    columns: dict[str, Any] = {
        "district": np.repeat(np.array(names, dtype=object), n_months),
        "month": np.tile(np.array(labels, dtype=object), n_districts),
        "population": pop.ravel(),
        "dwellings": dwellings.ravel(),
    }
    for k, crime in enumerate(crimes):
        columns[crime] = counts[:, :, k].ravel()
    columns["partnership"] = on.astype(np.int64).ravel()
    columns["cohort"] = np.repeat(cohort_of, n_months)
    if n_buffer:
        ring = np.full(n_districts, "control", dtype=object)
        ring[buffers], ring[idx] = "buffer", "response"
        columns["ring"] = np.repeat(ring, n_months)
    data = pd.DataFrame(columns)

    # ---- truth
    effects: dict[str, Any] = {}
    for k, crime in enumerate(crimes):
        m0, lr = mu0[:, :, k], logrr[:, :, k]
        entry: dict[str, Any] = {
            "rate_ratio": rr[crime],
            "log_rate_ratio": _round(math.log(rr[crime])),
            **_summary(m0[on], lr[on]),
            "by_cohort": {},
            "by_event_time": {},
        }
        for pos in positions:
            cell = on & (first_pos[:, None] == pos)
            entry["by_cohort"][labels[pos]] = _summary(m0[cell], lr[cell])
        for e in np.unique(since[on]):
            cell = on & (since == e)
            entry["by_event_time"][str(int(e))] = _summary(m0[cell], lr[cell])["att"]
        if n_buffer:
            entry["buffer"] = {"rate_ratio": brr[crime], **_summary(m0[buffer_on], lr[buffer_on])}
        effects[crime] = entry
    truth = {
        "generator": "evalkit.data.simulate.simulate_city",
        "seed": seed,
        "parameters": {
            "n_districts": n_districts,
            "start": labels[0],
            "n_months": n_months,
            "crimes": crimes,
            "baseline": base,
            "effect": rr,
            "roll_out": roll_out,
            "n_treated": len(idx),
            "treated": [names[i] for i in sorted(idx)],
            "start_dates": [labels[p] for p in positions],
            "dynamic": dynamic,
            "ramp_months": ramp_months,
            "n_buffer": n_buffer,
            "buffer_effect": brr,
            "trend": float(trend),
            "seasonality": float(seasonality),
            "overdispersion": overdispersion,
            "district_sd": float(district_sd),
            "population_range": [lo, hi],
            "season_peak_month": {c: _SEASON_PEAK.get(c, 7) for c in crimes},
        },
        "design": {
            "roll_out": roll_out,
            "cohorts": cohorts,
            "treated": [names[i] for i in sorted(idx)],
            "never_treated": [names[i] for i in range(n_districts) if first_pos[i] < 0],
            "buffer": [names[i] for i in buffers],
            "district_effect": {names[i]: _round(u[i]) for i in range(n_districts)},
        },
        "effects": effects,
        "notes": "att = mean over treated district-months of E[Y(1)] - E[Y(0)] (negative = "
        "fewer crimes); att_total = its sum; crimes_prevented = -att_total; expectations are "
        "conditional on the simulated district effects.",
    }
    return SimulatedCity(data=data, truth=truth)


# --------------------------------------------------------------------------- one series


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


# --------------------------------------------------------------------------- hot spots


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


# --------------------------------------------------------------------------- survey


def simulate_survey(
    *,
    n_per_wave: int = 600,
    areas: Sequence[str] = _SURVEY_AREAS,
    treated_areas: Sequence[str] | None = None,
    waves: Sequence[str] = ("before", "after"),
    true_shares: Mapping[str, float] | None = None,
    n_psu: int = 5,
    area_population: Mapping[str, int] | None = None,
    seed: int = 2026,
) -> SimulatedCity:
    """Simulate a repeated cross-section victimisation survey with a complex design.

    Strata are the areas; each area-wave has ``n_psu`` equal-sized PSUs with centred random
    effects. A hidden respondent type (half the population) is over-sampled (65% of each
    area's sample) and answers "unsafe" more often, so unweighted shares are biased and the
    weights (residents represented per respondent) remove the bias. The population share
    answering "unsafe" or "very unsafe" in each group and wave is exactly ``true_shares``;
    within it 30% say "very unsafe", and 40% of the others "very safe".

    Parameters
    ----------
    n_per_wave : int
        Respondents per wave, split evenly across areas; >= ``len(areas) * n_psu``.
    areas : sequence of str
        Area (stratum) names.
    treated_areas : sequence of str, optional
        Areas with the partnership; default the first half of ``areas``.
    waves : sequence of str
        Wave labels, in order.
    true_shares : mapping, optional
        ``"<treated|control>_<wave>"`` -> population share feeling unsafe (0 < share < 1).
        Default for waves ("before", "after"): treated 0.45 -> 0.36, control 0.35 -> 0.33
        (true difference-in-differences -0.07).
    n_psu : int
        PSUs per area and wave.
    area_population : mapping, optional
        Area -> residents (the weights sum to it in each wave); default random 5k-60k.
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    SimulatedCity
        ``data`` columns ``respondent_id, wave, area, treated_area, weight, stratum, psu,
        feel_unsafe_after_dark``; ``truth`` has the true shares per group and wave.
    """
    seed = _seed(seed)
    areas = _names(areas, "areas")
    waves = _names(waves, "waves")
    n_psu = _int(n_psu, "n_psu", 2)
    n_per_wave = _int(n_per_wave, "n_per_wave", len(areas) * n_psu)
    if treated_areas is None:
        treated_areas = areas[: max(1, len(areas) // 2)]
    treated_areas = _names(treated_areas, "treated_areas")
    unknown = [a for a in treated_areas if a not in areas]
    if unknown:
        raise SpecError(f"treated_areas names unknown areas {unknown}; areas are {areas}")
    if len(treated_areas) == len(areas):
        raise SpecError("treated_areas must leave at least one control area")
    keys = [f"{g}_{w}" for g in ("treated", "control") for w in waves]
    if true_shares is None:
        if waves != ["before", "after"]:
            raise SpecError(f"true_shares is required for waves {waves}; keys {keys}")
        true_shares = _SURVEY_SHARES
    shares = dict(true_shares)
    if sorted(shares) != sorted(keys):
        raise SpecError(f"true_shares must have exactly the keys {keys}, got {sorted(shares)}")
    for key, s in shares.items():
        if isinstance(s, bool) or not isinstance(s, int | float) or not 0 < s < 1:
            raise SpecError(f"true_shares[{key!r}] must be strictly between 0 and 1, got {s!r}")

    rng_pop, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    area_pop = {a: int(round(rng_pop.uniform(5_000, 60_000), -2)) for a in areas}
    if area_population is not None:
        if sorted(area_population) != sorted(areas):
            raise SpecError(f"area_population must have exactly the keys {areas}")
        area_pop = {a: _int(area_population[a], f"area_population[{a!r}]", 1) for a in areas}
    sizes = [len(x) for x in np.array_split(np.arange(n_per_wave), len(areas))]
    frames = []
    for wave in waves:
        for area, n in zip(areas, sizes, strict=True):
            group = "treated" if area in treated_areas else "control"
            s = float(shares[f"{group}_{wave}"])
            m = min(s, 1 - s)
            n_a = round(0.65 * n)
            is_a = rng.permutation(np.arange(n) < n_a)
            psu = np.arange(n) % n_psu
            z = np.clip(rng.normal(0.0, 1.0, n_psu), -2.5, 2.5)
            z -= z.mean()
            p = s + np.where(is_a, 0.2 * m, -0.2 * m) + 0.05 * m * z[psu]
            unsafe = rng.random(n) < p
            strong = rng.random(n) < np.where(unsafe, 0.3, 0.4)
            answer = np.where(unsafe, np.where(strong, "very unsafe", "unsafe"),
                              np.where(strong, "very safe", "fairly safe"))  # fmt: skip
            weight = np.where(is_a, 0.5 * area_pop[area] / n_a,
                              0.5 * area_pop[area] / (n - n_a))  # fmt: skip
            frames.append(pd.DataFrame({
                "wave": wave, "area": area, "treated_area": int(group == "treated"),
                "weight": np.round(weight, 3), "stratum": area,
                "psu": [f"{area}/{wave}/{j + 1}" for j in psu],
                "feel_unsafe_after_dark": answer.astype(object),
            }))  # fmt: skip
    data = pd.concat(frames, ignore_index=True)
    data.insert(0, "respondent_id", [f"R{i + 1:05d}" for i in range(len(data))])
    categories = {
        key: {"very safe": _round(0.4 * (1 - s)), "fairly safe": _round(0.6 * (1 - s)),
              "unsafe": _round(0.7 * s), "very unsafe": _round(0.3 * s)}
        for key, s in shares.items()
    }  # fmt: skip
    truth: dict[str, Any] = {
        "generator": "evalkit.data.simulate.simulate_survey",
        "seed": seed,
        "parameters": {
            "n_per_wave": n_per_wave,
            "areas": areas,
            "treated_areas": treated_areas,
            "waves": waves,
            "true_shares": {k: float(v) for k, v in shares.items()},
            "n_psu": n_psu,
            "area_population": area_pop,
        },
        "outcome": "share answering 'unsafe' or 'very unsafe' (weighted, population)",
        "true_shares": {k: float(v) for k, v in shares.items()},
        "category_shares": categories,
        "design": {
            "stratum": "area",
            "psu_per_area_and_wave": n_psu,
            "area_population": area_pop,
            "oversampled_type_share_in_sample": 0.65,
            "oversampled_type_share_in_population": 0.5,
        },
    }
    if len(waves) == 2:
        w0, w1 = waves
        truth["did"] = _round((shares[f"treated_{w1}"] - shares[f"treated_{w0}"])
                              - (shares[f"control_{w1}"] - shares[f"control_{w0}"]))  # fmt: skip
    return SimulatedCity(data=data, truth=truth)


# --------------------------------------------------------------------------- incidents


def simulate_incidents(
    city: SimulatedCity,
    *,
    crimes: Sequence[str] | None = None,
    districts: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    seed: int = 2026,
) -> SimulatedCity:
    """Expand a simulated city's monthly counts into one row per incident.

    Each incident gets a day drawn uniformly within its month; aggregating the result by
    district, month and offence reproduces the city's counts exactly. No coordinates,
    addresses or times are produced.

    Parameters
    ----------
    city : SimulatedCity
        Output of :func:`simulate_city`.
    crimes, districts, months : sequence of str, optional
        Subsets to expand; default all crimes, districts and months of ``city``.
    seed : int
        Seed of the numpy Generator (days within the month).

    Returns
    -------
    SimulatedCity
        ``data`` columns ``incident_id, date (YYYY-MM-DD), district, offence``, sorted by
        date, district and offence.
    """
    if not isinstance(city, SimulatedCity) or "crimes" not in city.truth.get("parameters", {}):
        raise SpecError("city must be the SimulatedCity returned by simulate_city")
    seed = _seed(seed)
    frame, params = city.data, city.truth["parameters"]
    options = {
        "crimes": list(params["crimes"]),
        "districts": list(pd.unique(frame["district"])),
        "months": list(pd.unique(frame["month"])),
    }
    chosen: dict[str, list[str]] = {}
    for name, given in (("crimes", crimes), ("districts", districts), ("months", months)):
        values = options[name] if given is None else _names(given, name)
        unknown = [x for x in values if x not in options[name]]
        if unknown:
            raise SpecError(f"{name} not in the city: {unknown}")
        chosen[name] = values
    sub = frame[frame["district"].isin(chosen["districts"]) & frame["month"].isin(chosen["months"])]
    sub_months = sub["month"].to_numpy(dtype=object)
    sub_districts = sub["district"].to_numpy(dtype=object)
    rep_parts, off_parts = [], []
    for crime in chosen["crimes"]:
        c = sub[crime].to_numpy(dtype=np.int64)
        rep_parts.append(np.repeat(np.arange(len(sub)), c))
        off_parts.append(np.full(int(c.sum()), crime, dtype=object))
    rep = np.concatenate(rep_parts)
    dim = np.array([pd.Period(m, freq="M").days_in_month for m in sub_months], dtype=np.int64)
    days = np.random.default_rng(seed).integers(1, dim[rep] + 1) if rep.size else rep
    data = pd.DataFrame({
        "date": [f"{m}-{d:02d}" for m, d in zip(sub_months[rep], days, strict=True)],
        "district": sub_districts[rep], "offence": np.concatenate(off_parts),
    })  # fmt: skip
    data = data.sort_values(["date", "district", "offence"], kind="stable", ignore_index=True)
    data.insert(0, "incident_id", [f"I{i + 1:07d}" for i in range(len(data))])
    truth = {
        "generator": "evalkit.data.simulate.simulate_incidents",
        "seed": seed,
        "city_seed": city.truth.get("seed"),
        "parameters": chosen,
        "n_incidents": len(data),
        "counts": {c: int(sub[c].sum()) for c in chosen["crimes"]},
        "notes": "Aggregating by district, month (first 7 characters of date) and offence "
        "reproduces the city counts exactly.",
    }
    return SimulatedCity(data=data, truth=truth)
