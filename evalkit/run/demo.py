"""``evalkit demo``: the full evaluation of the shipped sample city, as reports."""

from __future__ import annotations

from pathlib import Path

from evalkit.run.execute import RunOutcome, run_template

__all__ = ["DEMO_RUNS", "run_demo"]

#: template runs of the demo: (folder name, template, parameters)
DEMO_RUNS: tuple[tuple[str, str, dict], ...] = (
    ("its", "its", {}),
    ("did", "did", {}),
)


def run_demo(out: str | Path, *, lang: str = "en", progress: bool = True) -> list[RunOutcome]:
    """Run every demo template on ``data_samples/`` into ``out/<name>/`` (replacing them)."""
    from evalkit.i18n import t

    out = Path(out)
    return [run_template(template, out=out / name, lang=lang, overwrite=True,
                         parameters={"partnership": t("demo.partnership", lang), **params},
                         progress=progress)
            for name, template, params in DEMO_RUNS]
