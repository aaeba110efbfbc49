"""Simulated cities: one row per incident from a city's counts (:func:`simulate_incidents`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import SimulatedCity, _names, _seed
from evalkit.errors import SpecError


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
