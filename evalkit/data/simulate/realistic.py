"""A realistic city for auditing verdicts: :func:`simulate_realistic_city`.

Written for the verdict benchmark (``benchmarks/verdicts.py``), independently of
:func:`~evalkit.data.simulate.simulate_city`'s noise model: what makes real district counts
hard is autocorrelated district noise, citywide shocks, recording changes and areas chosen
after a bad spell, and each of these is a field of :class:`Scenario`.

Expected count in area ``d``, month ``t`` (``t = 0`` at the first month, July 2021: after
the COVID-19 disruption, which the model does not have)::

    mu[d, t] = rate * pop[d, t] / 10_000 * exp(a[d] + trend * t / 12
               + season * cos(2 pi (month - 1) / 12) + c[t] + z[d, t])
               * (1 + shift) ** post[t]                  # citywide recording change
               * (1 + effect) ** (treated[d] * post[t])
               * (1 + displacement) ** (buffer[d] * post[t])

with ``pop`` growing by ``pop_growth`` a year, ``c`` a citywide AR(1) (``city_rho``,
stationary SD ``city_sd``), ``z`` a district AR(1) (``district_rho``, stationary SD
``district_sd``), and counts negative binomial with ``Var = mu + mu ** 2 / nb_size``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import SimulatedCity, _round, _seed
from evalkit.errors import SpecError

__all__ = ["PRESETS", "Scenario", "simulate_realistic_city"]


@dataclass(frozen=True)
class Scenario:
    """One kind of city and partnership.

    Attributes
    ----------
    name : str
        Label in the benchmark table.
    n_areas : int
        Areas in the city (treated, buffers and comparisons), 20 to 30 in the presets.
    n_treated : int
        Partnership areas, all starting at month ``n_pre``.
    selection : {"random", "spike"}
        ``"spike"``: the ``n_treated`` areas with the highest ratio of their last
        ``spike_months`` pre-period counts to their own earlier pre-period mean (chosen after
        a bad spell, so regression to the mean looks like an effect).
    spike_months : int
        The selection window of ``selection="spike"``.
    effect : float
        True relative change in the treated areas after the start (-0.2 = -20 %).
    n_buffer, n_buffer_control : int
        Buffer areas (drawn among the non-treated) and comparison areas for them.
    displacement : float
        True relative change in the buffers after the start (0: none).
    shift : float
        Citywide relative change at the start in every area (a recording change).
    n_months, n_pre : int
        Months in the data, and months before the start.
    rate : float
        Mean monthly count per 10,000 residents at ``t = 0``.
    pop_range : tuple of int
        Range of the areas' populations at ``t = 0`` (log-uniform).
    pop_growth : float
        Mean yearly population growth, >= 0 (each area's rate is drawn uniformly between
        half and 1.5 times it).
    area_sd : float
        SD of the areas' permanent log-rate differences.
    trend : float
        Citywide log-rate change per year.
    season : float
        Amplitude of the log-rate seasonality.
    city_rho, city_sd : float
        Citywide AR(1) shocks: autocorrelation and stationary SD (log scale).
    district_rho, district_sd : float
        District AR(1) shocks: autocorrelation and stationary SD (log scale).
    nb_size : float
        Negative-binomial size ``k`` (``Var = mu + mu ** 2 / k``); ``inf`` for Poisson.
    """

    name: str = "custom"
    n_areas: int = 24
    n_treated: int = 1
    selection: Literal["random", "spike"] = "random"
    spike_months: int = 3
    effect: float = 0.0
    n_buffer: int = 2
    n_buffer_control: int = 8
    displacement: float = 0.0
    shift: float = 0.0
    n_months: int = 72
    n_pre: int = 48
    rate: float = 30.0
    pop_range: tuple[int, int] = (8_000, 40_000)
    pop_growth: float = 0.01
    area_sd: float = 0.3
    trend: float = -0.02
    season: float = 0.12
    city_rho: float = 0.5
    city_sd: float = 0.04
    district_rho: float = 0.0
    district_sd: float = 0.05
    nb_size: float = 40.0

    def __post_init__(self) -> None:
        def bad(what: str, value: object) -> SpecError:
            return SpecError(f"Scenario {self.name!r}: {what}, got {value!r}. Fix: change it "
                             "in Scenario(...) or dataclasses.replace(preset, ...).")

        if self.selection not in ("random", "spike"):
            raise bad("selection must be 'random' or 'spike'", self.selection)
        if not 2 <= self.n_pre < self.n_months:
            raise bad(f"n_pre must be between 2 and n_months - 1 ({self.n_months - 1})",
                      self.n_pre)
        if not 1 <= self.spike_months < self.n_pre:
            raise bad(f"spike_months must be between 1 and n_pre - 1 ({self.n_pre - 1})",
                      self.spike_months)
        others = self.n_areas - self.n_treated - self.n_buffer
        if self.n_treated < 1 or self.n_buffer < 0 or others < max(2, self.n_buffer_control):
            raise bad("n_areas must leave at least 2 comparison areas, and n_buffer_control "
                      "of them, besides the n_treated treated and n_buffer buffer areas "
                      f"(n_treated={self.n_treated}, n_buffer={self.n_buffer}, "
                      f"n_buffer_control={self.n_buffer_control})", self.n_areas)
        if (self.n_buffer > 0) != (self.n_buffer_control > 0):
            raise bad("n_buffer and n_buffer_control must be both zero or both positive",
                      (self.n_buffer, self.n_buffer_control))
        for field in ("effect", "displacement", "shift"):
            if not -1 < getattr(self, field) < 10:
                raise bad(f"{field} must be a relative change above -1", getattr(self, field))
        for field in ("city_rho", "district_rho"):
            if not 0 <= getattr(self, field) < 1:
                raise bad(f"{field} must be in [0, 1)", getattr(self, field))
        for field in ("city_sd", "district_sd", "area_sd", "season", "pop_growth"):
            if not getattr(self, field) >= 0:
                raise bad(f"{field} must be >= 0", getattr(self, field))
        if not (self.nb_size > 0 and self.rate > 0 and 0 < self.pop_range[0]
                <= self.pop_range[1]):
            raise bad("nb_size and rate must be positive and pop_range a (low, high) pair of "
                      "positive numbers", (self.nb_size, self.rate, self.pop_range))


_MODERATE = Scenario()
_PERSISTENT = dataclasses.replace(_MODERATE, district_rho=0.7, district_sd=0.15)

#: The benchmark's scenarios (issue 17): nulls under each confound, then power at -20 %.
PRESETS: dict[str, Scenario] = {s.name: s for s in (
    dataclasses.replace(_MODERATE, name="null_moderate_1"),
    dataclasses.replace(_MODERATE, name="null_moderate_3", n_treated=3),
    dataclasses.replace(_PERSISTENT, name="null_persistent_1"),
    dataclasses.replace(_PERSISTENT, name="null_spike_1", selection="spike"),
    dataclasses.replace(_PERSISTENT, name="null_spike_3", selection="spike", n_treated=3),
    dataclasses.replace(_MODERATE, name="null_shift15_1", shift=-0.15),
    dataclasses.replace(_MODERATE, name="null_shift25_1", shift=-0.25),
    dataclasses.replace(_MODERATE, name="power20_1", effect=-0.20),
    dataclasses.replace(_MODERATE, name="power20_3", effect=-0.20, n_treated=3),
    dataclasses.replace(_MODERATE, name="power20_6", effect=-0.20, n_treated=6, n_areas=30),
    dataclasses.replace(_MODERATE, name="displace10_1", effect=-0.20, displacement=0.10),
)}


def _ar1(rng: np.random.Generator, rho: float, sd: float, shape: tuple[int, int]) -> np.ndarray:
    """AR(1) series along the last axis, started from the stationary law."""
    out = np.empty(shape)
    innov = sd * np.sqrt(1 - rho**2)
    out[:, 0] = rng.normal(0.0, sd, shape[0])
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + rng.normal(0.0, innov, shape[0])
    return out


def _negbin(rng: np.random.Generator, mu: np.ndarray, size: float) -> np.ndarray:
    if np.isinf(size):
        return rng.poisson(mu)
    return rng.poisson(rng.gamma(size, mu / size))  # gamma-Poisson mixture


def simulate_realistic_city(scenario: Scenario | str, *, seed: int) -> SimulatedCity:
    """Simulate monthly area counts of one partnership under ``scenario``.

    Parameters
    ----------
    scenario : Scenario or str
        A :class:`Scenario`, or the name of one in :data:`PRESETS`.
    seed : int
        Non-negative seed; the same seed and scenario give the same city.

    Returns
    -------
    SimulatedCity
        ``data``: one row per area and month with ``area``, ``month`` ("YYYY-MM"),
        ``count``, ``population``, ``treatment`` (1 in treated areas from the start) and
        ``buffer`` (1 in buffer areas), the layout ``run_designs`` and the ``evaluation``
        template read. ``truth``: the scenario, the seed, the roles of the areas
        (``treated``, ``buffer``, ``buffer_control``), the ``start`` month, the true %
        changes (``effect_pct``, ``displacement_pct``, ``shift_pct``), the expected treated
        post-period counts with and without the partnership, and the spike ratios the
        selection ranked (``spike_ratio``).

    Raises
    ------
    SpecError
        An unknown preset name or a bad seed.
    """
    if isinstance(scenario, str):
        if scenario not in PRESETS:
            raise SpecError(f"unknown scenario {scenario!r}; the presets are "
                            f"{', '.join(PRESETS)}. Fix: pass one of them or a Scenario(...).")
        scenario = PRESETS[scenario]
    if not isinstance(scenario, Scenario):
        raise SpecError(f"scenario must be a Scenario or a preset name, got {scenario!r}.")
    s, seed = scenario, _seed(seed)
    rng_city, rng_noise, rng_pre, rng_roles, rng_post = (
        np.random.default_rng(x) for x in np.random.SeedSequence(seed).spawn(5))
    n, months = s.n_areas, s.n_months
    t = np.arange(months)
    period = pd.period_range("2021-07", periods=months, freq="M")
    lo, hi = np.log(s.pop_range)
    pop0 = np.exp(rng_city.uniform(lo, hi, n))
    growth = s.pop_growth * rng_city.uniform(0.5, 1.5, n)  # every area grows (or none)
    pop = np.round(pop0[:, None] * (1 + growth[:, None]) ** (t / 12)).astype(int)
    area = rng_city.normal(0.0, s.area_sd, n)
    season = s.season * np.cos(2 * np.pi * (period.month.to_numpy() - 1) / 12)
    city = _ar1(rng_noise, s.city_rho, s.city_sd, (1, months))[0]
    district = _ar1(rng_noise, s.district_rho, s.district_sd, (n, months))
    post = t >= s.n_pre
    mu0 = (s.rate * pop / 10_000 * np.exp(area[:, None] + s.trend * t / 12 + season + city
                                          + district) * (1 + s.shift) ** post)
    counts = np.zeros((n, months), dtype=int)
    counts[:, ~post] = _negbin(rng_pre, mu0[:, ~post], s.nb_size)
    # chosen after a spike: the last k pre-months against the area's own earlier mean
    k = s.spike_months
    recent = counts[:, s.n_pre - k:s.n_pre].mean(axis=1)
    earlier = counts[:, :s.n_pre - k].mean(axis=1)
    ratio = (recent + 0.5) / (earlier + 0.5)
    if s.selection == "spike":
        treated = np.argsort(-ratio, kind="stable")[:s.n_treated]
    else:
        treated = rng_roles.choice(n, size=s.n_treated, replace=False)
    rest = rng_roles.permutation(np.setdiff1d(np.arange(n), treated))
    buffer, buffer_control = rest[:s.n_buffer], rest[s.n_buffer:s.n_buffer + s.n_buffer_control]
    is_treated, is_buffer = np.isin(np.arange(n), treated), np.isin(np.arange(n), buffer)
    mu = (mu0 * (1 + s.effect) ** (is_treated[:, None] & post)
          * (1 + s.displacement) ** (is_buffer[:, None] & post))
    # one stream per area: the same seed gives the same untreated areas whatever the effect
    for d, rng in enumerate(rng_post.spawn(n)):
        counts[d, post] = _negbin(rng, mu[d, post], s.nb_size)

    names = [f"A{i + 1:02d}" for i in range(n)]
    data = pd.DataFrame({
        "area": np.repeat(names, months),
        "month": np.tile(period.strftime("%Y-%m"), n),
        "count": counts.ravel(),
        "population": pop.ravel(),
        "treatment": (is_treated[:, None] & post).astype(int).ravel(),
        "buffer": np.repeat(is_buffer.astype(int), months),
    })
    cells = is_treated[:, None] & post
    truth = {
        "generator": "simulate_realistic_city",
        "seed": seed,
        "scenario": dataclasses.asdict(s) | {"pop_range": list(s.pop_range)},
        "start": str(period[s.n_pre]),
        "treated": sorted(names[i] for i in treated),
        "buffer": sorted(names[i] for i in buffer),
        "buffer_control": sorted(names[i] for i in buffer_control),
        "effect_pct": _round(100 * s.effect),
        "displacement_pct": _round(100 * s.displacement),
        "shift_pct": _round(100 * s.shift),
        "expected_untreated": _round(mu0[cells].sum()),
        "expected_treated": _round(mu[cells].sum()),
        "spike_ratio": {names[i]: _round(ratio[i]) for i in range(n)},
    }
    return SimulatedCity(data, truth)
