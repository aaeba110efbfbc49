"""Regenerate every data file in ``data_samples/`` deterministically.

Run ``python data_samples/make_samples.py`` (or ``--out DIR`` to write elsewhere). The files
are generated data, dedicated to the public domain (CC0 1.0). See README.md for the data
dictionary and the true effects.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from evalkit.data.simulate import (
    simulate_city,
    simulate_incidents,
    simulate_survey,
)

HERE = Path(__file__).resolve().parent
SEED = 2026
FILES = ("city_monthly.csv", "city_single.csv", "survey.csv", "incidents.csv", "truth.json")
INCIDENT_MONTHS = tuple(pd.period_range("2020-07", periods=12, freq="M").strftime("%Y-%m"))
BUFFER_EFFECT = {"burglary": 0.95, "antisocial_behaviour": 1.08}


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def build() -> dict[str, bytes]:
    """Return the content of every generated file, keyed by file name."""
    city = simulate_city(seed=SEED)
    single = simulate_city(
        roll_out="single",
        treated=["Centre"],
        n_buffer=2,
        buffer_effect=BUFFER_EFFECT,
        seed=SEED,
    )
    # survey and incidents follow the first cohort (2021-01) and three never-treated districts
    design = city.truth["design"]
    first, controls = design["cohorts"]["2021-01"], design["never_treated"][:3]
    before = city.data[city.data["month"] == "2020-12"].set_index("district")["population"]
    survey = simulate_survey(
        areas=first + controls,
        treated_areas=first,
        area_population={d: int(before[d]) for d in first + controls},
        seed=SEED,
    )
    incidents = simulate_incidents(
        city, districts=[first[0], *controls[:2]], months=INCIDENT_MONTHS, seed=SEED
    )
    truth = {
        "schema": "evalkit.sample_truth/1",
        "generated_by": "data_samples/make_samples.py",
        "licence": "CC0-1.0 (generated data, public domain)",
        "seed": SEED,
        "files": {
            "city_monthly.csv": city.truth,
            "city_single.csv": single.truth,
            "survey.csv": survey.truth,
            "incidents.csv": {**incidents.truth, "source_file": "city_monthly.csv"},
        },
    }
    text = json.dumps(truth, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return {
        "city_monthly.csv": _csv(city.data),
        "city_single.csv": _csv(single.data),
        "survey.csv": _csv(survey.data),
        "incidents.csv": _csv(incidents.data),
        "truth.json": text.encode("utf-8"),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the sample files into ``--out`` (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in build().items():
        (args.out / name).write_bytes(content)
        print(f"{args.out / name}  {len(content):,} bytes")
    return 0


# -- reoffending cohort (templates/reoffending.ipynb) ----------------------------------------
def _with_reoffending_cohort(build_others):
    """Add ``reoffending_cohort.csv`` and its truth to what ``build_others`` returns."""
    from evalkit.data.simulate_cohort import simulate_cohort

    def build_all() -> dict[str, bytes]:
        files = build_others()
        cohort = simulate_cohort(n_treated=1000, n_comparison=6000, seed=SEED)
        truth = json.loads(files["truth.json"])
        truth["files"]["reoffending_cohort.csv"] = {**cohort.truth, "payment": {
            "threshold": 0.075, "measure": "frequency",
            "due": cohort.truth["effects"]["frequency"]["relative_reduction"] >= 0.075}}
        text = json.dumps(truth, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        return {**files, "reoffending_cohort.csv": _csv(cohort.data),
                "truth.json": text.encode("utf-8")}

    return build_all


build = _with_reoffending_cohort(build)
FILES = (*FILES, "reoffending_cohort.csv")


if __name__ == "__main__":
    raise SystemExit(main())
