"""Simulated cities: a district × month panel with a roll-out (:func:`simulate_city`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import (
    SimulatedCity,
    _choice,
    _int,
    _month,
    _names,
    _per_crime,
    _positive,
    _round,
    _seed,
    _summary,
)
from evalkit.errors import SpecError

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
