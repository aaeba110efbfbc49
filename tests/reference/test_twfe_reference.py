"""Two-way fixed-effects DiD with clustered SEs, fixest's default small-sample correction.

Data: castle_bacondecomp.csv: Cheng & Hoekstra (2013), "Does Strengthening Self-Defense Law
Deter Crime or Escalate Violence? Evidence from Expansions to Castle Doctrine", J Human
Resources 48(3):821-854, as shipped by the bacondecomp R package. In THIS file a state counts as
treated (post = 1) from its first year with ANY part under the law (the causaldata version uses
the first full year instead).

Model: l_homicide ~ post | state + year, clustered by state. fixest default
ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE):
V = G/(G-1) * (n-1)/(n-K) * V_raw with G = 50, n = 550 and K = 12: the state FE are nested
in the state clusters and are not counted, except one for the intercept
(K = 1 + 50 + 11 - 1 - (50 - 1) = post + intercept + 10 year dummies).

Reference values were produced by tests/reference/scripts/twfe_castle.py
(``.venv/bin/python tests/reference/scripts/twfe_castle.py``): statsmodels OLS/WLS with state
and year dummies, raw cluster sandwich, the correction written out; confirmed by pyfixest 0.60.0
(feols, vcov CRV1 by state, default ssc) to < 1e-15.

Published check: the unweighted estimate 0.0818116169 is the two-way FE estimate printed in the
bacondecomp vignette for this file (lm(l_homicide ~ post + factor(state) + factor(year)); the
Goodman-Bacon decomposition's weighted sum of 2x2s = 0.0818). The population-weighted estimate
has no published counterpart for this exact specification (Cheng & Hoekstra's own estimates
add region-by-year effects and controls).
"""

from __future__ import annotations

import pytest

import evalkit as ek

# printed by tests/reference/scripts/twfe_castle.py
UNWEIGHTED = {"estimate": 0.0818116169, "std_error": 0.0588742181}
WEIGHTED_POPWT = {"estimate": 0.0594441496, "std_error": 0.0275695574}
RAW_CLUSTER_SE_UNWEIGHTED = 0.0576956613  # no small-sample correction at all
FIXEST_FACTOR = 50 / 49 * 549 / 538  # G/(G-1) * (n-1)/(n-K), K = 12


@pytest.fixture
def castle(load_reference):
    df = load_reference("castle_bacondecomp.csv")
    assert df.shape[0] == 550 and df["state"].nunique() == 50 and df["year"].nunique() == 11
    return df


def test_twfe_castle_unweighted_fixest_cluster(castle, get_row):
    res = ek.did(
        castle, outcome="l_homicide", unit="state", time="year", treatment="post", se="cluster"
    )
    row = get_row(res, "att")
    assert row["estimate"] == pytest.approx(UNWEIGHTED["estimate"], rel=1e-6)
    assert row["std_error"] == pytest.approx(UNWEIGHTED["std_error"], rel=1e-4)


def test_twfe_castle_weighted_popwt_fixest_cluster(castle, get_row):
    res = ek.did(
        castle,
        outcome="l_homicide",
        unit="state",
        time="year",
        treatment="post",
        weights="popwt",
        se="cluster",
    )
    row = get_row(res, "att")
    assert row["estimate"] == pytest.approx(WEIGHTED_POPWT["estimate"], rel=1e-6)
    assert row["std_error"] == pytest.approx(WEIGHTED_POPWT["std_error"], rel=1e-4)


def test_twfe_castle_published_bacondecomp_estimate(castle, get_row):
    """bacondecomp vignette (Cheng & Hoekstra data): two-way FE estimate = 0.0818."""
    res = ek.did(
        castle, outcome="l_homicide", unit="state", time="year", treatment="post", se="cluster"
    )
    assert get_row(res, "att")["estimate"] == pytest.approx(0.0818, abs=5e-5)


def test_fixest_correction_constants():
    """The stored SEs differ from the uncorrected sandwich by exactly the fixest factor,
    K = 12 (nested state FE not counted), not K = 61 (all dummies) or K = 1 (none)."""
    ratio = (UNWEIGHTED["std_error"] / RAW_CLUSTER_SE_UNWEIGHTED) ** 2
    assert ratio == pytest.approx(FIXEST_FACTOR, rel=1e-8)
    assert ratio != pytest.approx(50 / 49 * 549 / (550 - 61), rel=1e-4)
    assert ratio != pytest.approx(50 / 49 * 549 / (550 - 1), rel=1e-4)
