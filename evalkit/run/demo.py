"""``evalkit demo``: a short evaluation of the shipped sample city."""

from __future__ import annotations

import json
import warnings

import pandas as pd

from evalkit.designs.did import did
from evalkit.designs.its import its
from evalkit.run.resources import samples_dir

__all__ = ["demo_tables"]


def demo_tables() -> dict[str, pd.DataFrame]:
    """ITS and DiD effect tables for burglary in the sample city, beside the true effects."""
    folder = samples_dir()
    data = folder / "city_monthly.csv"
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    city = truth["files"]["city_monthly.csv"]
    first = sorted(city["design"]["cohorts"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res_its = its(data, outcome="burglary", time="month", intervention=first,
                      unit="district", units=city["design"]["cohorts"][first],
                      exposure="population", seasonality="month", family="quasipoisson")
        res_did = did(data, outcome="burglary", unit="district", time="month",
                      treatment="partnership", family="poisson")
    return {"its": res_its.tidy(), "did": res_did.tidy(),
            "truth": pd.DataFrame([{"crime": "burglary",
                                    "true_rate_ratio": city["effects"]["burglary"]["rate_ratio"]}])}
