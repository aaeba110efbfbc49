"""Simulated cities: a repeated cross-section victimisation survey (:func:`simulate_survey`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import SimulatedCity, _int, _names, _round, _seed
from evalkit.errors import SpecError

SURVEY_CATEGORIES: tuple[str, ...] = ("very safe", "fairly safe", "unsafe", "very unsafe")
_SURVEY_AREAS = ("Centre", "Gare", "Port", "Hôtel-de-Ville", "Saint-Michel", "Les Halles")
_SURVEY_SHARES = {
    "treated_before": 0.45, "treated_after": 0.36,
    "control_before": 0.35, "control_after": 0.33,
}  # fmt: skip


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
