"""``evalkit demo``: the full evaluation of the shipped sample city, as reports."""

from __future__ import annotations

from pathlib import Path

from evalkit._resources import samples_dir
from evalkit.run.execute import RunOutcome, run_template

__all__ = ["DEMO_RUNS", "run_demo"]


def _runs() -> tuple[tuple[str, str, dict], ...]:
    """(folder, template, parameters) of each demo run."""
    return (
        # one district (Centre) with buffers: ITS, controlled ITS, synthetic control, WDD
        ("centre", "evaluation", {}),
        # the staggered roll-out to 8 districts with the residents' survey
        ("rollout", "evaluation", {
            "data": str(samples_dir() / "city_monthly.csv"), "outcome": "burglary",
            "exposure": "population", "survey": str(samples_dir() / "survey.csv"),
            "survey_response": "feel_unsafe_after_dark", "survey_area": "area",
            "survey_before": ["before"], "survey_after": ["after"], "survey_weight": "weight",
            "survey_strata": "stratum", "survey_psu": "psu", "cost": 400_000.0}),
    )


#: template runs of the demo: (folder name, template, parameters)
DEMO_RUNS = _runs()


def run_demo(out: str | Path, *, lang: str = "en", progress: bool = True) -> list[RunOutcome]:
    """Run every demo evaluation on ``data_samples/`` into ``out/<name>/`` (replacing them)."""
    from evalkit.i18n import t

    out = Path(out)
    return [run_template(template, out=out / name, lang=lang, overwrite=True,
                         parameters={"partnership": t("demo.partnership", lang), **params},
                         progress=progress)
            for name, template, params in DEMO_RUNS]
