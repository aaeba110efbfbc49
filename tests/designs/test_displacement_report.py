"""The displacement sentences: displacement, diffusion, unclear, or the data cannot tell."""

from __future__ import annotations

import warnings
from html import unescape

import pandas as pd
import pytest

from evalkit.designs.displacement import wdd, wdq
from evalkit.report import displacement as disp
from evalkit.report import evaluation as ev


def _row(estimate: float, lo: float, hi: float, concern: str = "") -> pd.Series:
    return pd.Series({"design": "wdd", "role": "displacement", "estimate": estimate,
                      "ci_low": lo, "ci_high": hi, "concern": concern})


@pytest.mark.parametrize(("row", "start"), [
    (_row(40.0, 10.0, 70.0), "In the buffer areas, crime rose by about 40"),
    (_row(-40.0, -70.0, -10.0), "In the buffer areas, crime fell by about 40"),
    (_row(5.0, -30.0, 40.0), "In the buffer areas the change against"),
    (_row(5.0, -30.0, 40.0, "eval_wdd_cannot_tell"),
     "The data cannot tell whether crime moved to the buffer areas"),
])
def test_the_evaluation_picks_the_buffer_sentence(row, start):
    assert ev._other_sentence(row, "en", 95).startswith(start)


def test_cannot_tell_reads_in_french():
    text = ev._other_sentence(_row(5.0, -30.0, 40.0, "eval_wdd_cannot_tell"), "fr", 95)
    assert text.startswith("Les données ne permettent pas de dire si la délinquance s'est "
                           "déplacée vers les zones tampons")
    assert "IC à 95\xa0% de -30,0 à +40,0 faits" in text


def _areas(buffer: tuple[int, int]) -> dict:
    counts = {"R": (200, 150), "B": buffer, **{f"C{i}": (100, 100) for i in range(3)},
              **{f"E{i}": (100, 100) for i in range(3)}}
    rows = [{"area": a, "month": m, "n": v[i]} for a, v in counts.items()
            for i, m in enumerate(("2022-01", "2022-02"))]
    return {"data": pd.DataFrame(rows), "unit": "area", "time": "month", "outcome": "n",
            "intervention": "2022-02", "response": ["R"], "buffer": ["B"],
            "control": ["C0", "C1", "C2"], "buffer_control": ["E0", "E1", "E2"]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_displacement_headline_says_when_the_data_cannot_tell(lang):
    areas = _areas((100, 110))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        noisy, quotient = wdd(**areas), wdq(**areas)
    assert noisy.extras.cannot_tell
    text = unescape(str(disp.headline(noisy, quotient, lang=lang)))
    mde = f"{100 * noisy.extras.mde_buffer:.0f}"
    assert ({"en": f"The data cannot tell whether crime moved to the buffer: only a rise of "
                   f"about {mde}% or more",
             "fr": f"Les données ne permettent pas de dire si la délinquance s'est déplacée "
                   f"vers la zone tampon : seule une hausse d'environ {mde} %"}[lang]
            .replace(" :", "\u202f:").replace(" %", "\xa0%")) in text
    methods = unescape(str(disp.methods_section(noisy, lang=lang)))
    assert "φ(1/Ga + 1/Gb) + κΣw²" in methods
    # the textbook test: no paragraph on the fitted noise
    textbook = wdd(**areas, variance="poisson", max_mde=10)
    assert not textbook.extras.cannot_tell
    assert "cannot tell" not in str(disp.headline(textbook, quotient, lang="en"))
    assert "φ(1/Ga" not in unescape(str(disp.methods_section(textbook, lang=lang)))


def test_too_few_control_areas_is_said_as_such():
    areas = _areas((100, 110))
    areas["data"] = areas["data"][~areas["data"]["area"].isin(["C2", "E2"])]
    areas["control"], areas["buffer_control"] = ["C0", "C1"], ["E0", "E1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res, quotient = wdd(**areas), wdq(**areas)
    assert res.extras.cannot_tell_reason == "few_placebos"
    text = unescape(str(disp.headline(res, quotient, lang="en")))
    assert "there are too few control areas to measure how noisy the counts are" in text
    assert "only a rise of" not in text
