"""Words a council can read (issue 14): minimum detectable effects in the headline's units,
more crimes never printed as negative crimes prevented, warnings in the reader's language."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from types import SimpleNamespace

import pandas as pd
import pytest

import evalkit as ek
from evalkit._resources import samples_dir
from evalkit.designs.power import mde_notes
from evalkit.i18n import Caveat, show_warnings
from evalkit.report import narrative
from evalkit.report.evaluation import _economics


@pytest.fixture(scope="module")
def unclear_its():
    """An ITS whose cumulative effect is unclear (relative CI about 0.69 to 1.28)."""
    data = pd.read_csv(samples_dir() / "city_single.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        return ek.its(data[data["district"] == "Centre"], outcome="burglary", time="month",
                      intervention="2021-01", exposure="population")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_mde_is_a_percentage_next_to_a_percentage(unclear_its, lang):
    """Finding 2: the MDE of the ITS headline was the cumulative count ("246.5 in absolute
    value") next to a % change."""
    text = re.sub(r"<[^>]+>", " ", narrative.headline(unclear_its, lang=lang,
                                                       mde=mde_notes(unclear_its)))
    match = re.search(r"(?:larger than|de plus de) (\d+)\u00a0?%", text)
    assert match, text
    assert "absolute" not in text and "absolue" not in text
    row = unclear_its.effect("cumulative_effect")
    half = (row["relative_ci_high"] / row["relative_effect"])  # exp(q se)
    assert 15 < int(match[1]) < 60 and half > 1


def test_mde_of_an_additive_effect_has_no_spurious_decimal():
    text = Caveat("power_mde_additive", mde=18199.3, power_pct=80).render("en")
    assert "larger than 18,200 in absolute value" in text
    fr = Caveat("power_mde_additive", mde=18199.3, power_pct=80).render("fr")
    assert "de plus de 18\u202f200 en valeur absolue" in fr


def _tri(prevented: float, low: float, high: float) -> SimpleNamespace:
    row = {"prevented": prevented, "prevented_low": low, "prevented_high": high}
    return SimpleNamespace(cost=250_000.0, strongest="its", alpha=0.05,
                           cost_per_crime=(float("inf"), float("inf"), float("inf")),
                           row=lambda name: row)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "estimates 18,199 more burglaries than without the partnership (95% CI 6,000 to "
           "30,000 more)"),
    ("fr", "donne 18\u202f199 faits en plus (cambriolages) qu'en l'absence du partenariat "
           "(IC à 95\u00a0% de 6\u202f000 à 30\u202f000 en plus)"),
])
def test_more_crimes_are_not_negative_crimes_prevented(lang, expected):
    """Finding 3: "−18,199 crimes prevented" for 18,199 more crimes."""
    noun = "burglaries" if lang == "en" else "cambriolages"
    text = _economics(_tri(-18_199.0, -30_000.0, -6_000.0), lang, noun, "€")
    assert expected in text
    assert "−" not in text and "-1" not in text


def test_more_crimes_with_an_interval_that_crosses_zero():
    text = _economics(_tri(-1_000.0, -3_000.0, 500.0), "en", "burglaries", "€")
    assert "1,000 more burglaries" in text and "from 500 fewer to 3,000 more" in text


# -- warnings in the reader's language (finding 6) -----------------------------------------------
def test_show_warnings_prints_caveats_in_french(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after
    show_warnings("fr")
    caveat = Caveat("few_clusters", n=12, threshold=20)
    text = warnings.formatwarning(ek.EvalkitWarning(caveat), ek.EvalkitWarning, "x.py", 1)
    assert text.startswith("EvalkitWarning: Seulement 12 grappes\u202f:"), text
    other = warnings.formatwarning(UserWarning("plain"), UserWarning, "x.py", 1)
    assert other == "UserWarning: plain\n"


@pytest.mark.slow  # a fresh Python process imports evalkit and fits an ITS: 2-5 s
def test_a_french_notebook_shows_estimator_warnings_in_french(tmp_path):
    """A French kernel that calls show_warnings("fr") prints the estimator's caveats in
    French (the course notebooks do so in their first code cell)."""
    code = (
        "import warnings, pandas as pd, evalkit as ek\n"
        "from evalkit.i18n import show_warnings\n"
        "show_warnings('fr')\n"
        "warnings.simplefilter('always')\n"
        f"d = pd.read_csv({str(samples_dir() / 'city_single.csv')!r})\n"
        "d = d[d.district == 'Centre'].iloc[:40]\n"
        "ek.its(d, outcome='burglary', time='month', intervention='2019-12')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("EvalkitWarning")]
    assert lines, proc.stderr
    for line in lines:
        assert not re.search(r"\b(the|with|only|are)\b", line), line


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_unclear_change_shows_both_bounds_with_their_sign(unclear_its, lang):
    """A change that may go either way reads "-6 % to +45 %", as in the results table."""
    text = re.sub(r"<[^>]+>", " ", narrative.headline(unclear_its, lang=lang,
                                                       mde=mde_notes(unclear_its)))
    assert re.search(r"-\d+(?:[.,]\d+)?\u00a0?% (?:to|à) \+\d", text), text


def test_parameters_are_shown_as_typed_on_the_command_line():
    html = narrative.parameters_section({"slope_change": True, "cost": 0.0, "alpha": 0.05,
                                         "units": ["Gare", "Port"]}, None, lang="fr")
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert {"true", "0", "0.05", "Gare, Port"} <= set(cells), cells
