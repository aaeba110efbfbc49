"""Goodman-Bacon decomposition of the castle-doctrine TWFE estimate, against R bacondecomp.

Data: castle_bacondecomp.csv: Cheng & Hoekstra (2013), "Does Strengthening Self-Defense Law
Deter Crime or Escalate Violence? Evidence from Expansions to Castle Doctrine", J Human
Resources 48(3):821-854, as shipped by the bacondecomp R package (MIT). In THIS file a state
counts as treated (post = 1) from its first year with ANY part under the law. 50 states,
2000-2010; cohorts 2005 (1 state), 2006 (13), 2007 (4), 2008 (2), 2009 (1), 29 never treated.

Model: ``bacon(l_homicide ~ post, data = bacondecomp::castle, id_var = "state",
time_var = "year")``, i.e. the unweighted two-way FE regression l_homicide ~ post | state + year.

Published numbers:

1. bacondecomp vignette "bacon" (CRAN, bacondecomp 0.1.x; rendered at
   https://stat.ethz.ch/CRAN/web/packages/bacondecomp/vignettes/bacon.html), printed summary,
   weight and weighted average 2x2 estimate per type (5 decimals), and "Weighted sum of
   decomposition = 0.0818"::

       Earlier vs Later Treated 0.05976 -0.00554
       Later vs Earlier Treated 0.03190  0.07032
       Treated vs Untreated     0.90834  0.08796

   The package's own test (evanjflack/bacondecomp, tests/testthat/test_summary.R) checks the
   same numbers to 3 decimals against Stata's bacondecomp: 0.060/-0.006, 0.032/0.070,
   0.908/0.088.
2. The example notebook of the package's first release (evanjflack/bacondecomp, index.ipynb
   at tag 0.1.0, https://raw.githubusercontent.com/evanjflack/bacondecomp/0.1.0/index.ipynb):
   weights per type to 8 decimals (0.05976325, 0.03189818, 0.90833857), the TWFE estimate
   0.0818116169306475, and the largest comparison, 2006 vs never treated: estimate 0.06823587,
   weight 0.5923947. (That release's "avg_estimate" column is an unweighted-summary bug, fixed
   later: it prints the same value for both timing types and does not reproduce 0.0818. Not
   used.)

Type names: evalkit "earlier_vs_later" = "Earlier vs Later Treated", "later_vs_earlier" =
"Later vs Earlier Treated", "treated_vs_never" = "Treated vs Untreated".
Tolerance: half a unit of the last printed digit.
"""

from __future__ import annotations

import warnings

import pytest

import evalkit as ek
from evalkit.designs.bacon import bacon_decomposition

# (weight, weighted average estimate), vignette, 5 decimals
VIGNETTE = {
    "earlier_vs_later": (0.05976, -0.00554),
    "later_vs_earlier": (0.03190, 0.07032),
    "treated_vs_never": (0.90834, 0.08796),
}
NOTEBOOK_WEIGHTS = {  # index.ipynb at tag 0.1.0, 8 decimals
    "earlier_vs_later": 0.05976325,
    "later_vs_earlier": 0.03189818,
    "treated_vs_never": 0.90833857,
}
NOTEBOOK_TWFE = 0.0818116169306475
NOTEBOOK_TOP = {"treated": "2006", "control": "never", "estimate": 0.06823587,
                "weight": 0.5923947}


@pytest.fixture
def castle(load_reference):
    df = load_reference("castle_bacondecomp.csv")
    assert df.shape[0] == 550 and df["state"].nunique() == 50 and df["year"].nunique() == 11
    return df


@pytest.fixture
def decomposition(castle):
    return bacon_decomposition(castle, outcome="l_homicide", unit="state", time="year",
                               treatment="post")


def test_castle_summary_matches_bacondecomp_vignette(decomposition):
    summary = decomposition.summary.set_index("type")
    assert set(summary.index) == set(VIGNETTE)
    for kind, (weight, estimate) in VIGNETTE.items():
        assert summary.loc[kind, "weight"] == pytest.approx(weight, abs=5e-6), kind
        assert summary.loc[kind, "estimate"] == pytest.approx(estimate, abs=5e-6), kind
    assert summary["n_comparisons"].to_dict() == {"treated_vs_never": 5, "earlier_vs_later": 10,
                                                  "later_vs_earlier": 10}


def test_castle_weights_match_bacon_notebook(decomposition):
    summary = decomposition.summary.set_index("type")
    for kind, weight in NOTEBOOK_WEIGHTS.items():
        assert summary.loc[kind, "weight"] == pytest.approx(weight, abs=5e-9), kind
    top = decomposition.table.sort_values("weight", ascending=False).iloc[0]
    assert (top["type"], top["treated"], top["control"]) == ("treated_vs_never", "2006", "never")
    assert top["estimate"] == pytest.approx(NOTEBOOK_TOP["estimate"], abs=5e-9)
    assert top["weight"] == pytest.approx(NOTEBOOK_TOP["weight"], abs=5e-8)


def test_castle_weighted_sum_is_the_twfe_estimate(castle, decomposition):
    table = decomposition.table
    total = float((table["weight"] * table["estimate"]).sum())
    assert round(total, 4) == 0.0818  # vignette: "Weighted sum of decomposition = 0.0818"
    assert decomposition.twfe == pytest.approx(NOTEBOOK_TWFE, abs=1e-12)
    assert total == pytest.approx(decomposition.twfe, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        res = ek.did(castle, outcome="l_homicide", unit="state", time="year", treatment="post")
    assert total == pytest.approx(res.effect("att")["estimate"], abs=1e-8)
    assert table["weight"].sum() == pytest.approx(1.0, abs=1e-12)


def test_castle_diagnostic_passes_with_three_percent_forbidden(decomposition):
    assert decomposition.forbidden_share == pytest.approx(0.03189818, abs=5e-9)
    diag = decomposition.diagnostic()
    assert diag.name == "bacon" and diag.passed
    assert diag.statistic == decomposition.forbidden_share
    assert "3.2%" in diag.message
