"""DiD on a user's own panel (issue 14): clustering, weights, exposure, the pre-trend test,
the comparison group, one treated cluster, relative effects, cohort names.

Reference numbers on mpdta (``tests/data/reference/mpdta.csv``, Callaway & Sant'Anna 2021,
as shipped by R ``did``) come from csdid 0.4.3 (the Python port of R ``did``), with
``state = countyreal % 40`` and ``pop = exp(lpop)``::

    from csdid.att_gt import ATTgt
    out = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                data=df, control_group="nevertreated", weights_name="pop",
                xformla=XF).fit(est_method="dr", bstrap=False)
    agg = out.aggte(typec="simple", bstrap=False)   # agg.atte["overall_att"/"overall_se"]
    inf = out.MP["inffunc"]["inffunc"]              # (500, 12) influence functions
    S = pd.DataFrame(inf).groupby(first_year_rows["state"]).sum()
    np.sqrt((S ** 2).sum()) / 500                   # clustered standard errors

XF = None: simple ATT -0.018412580086603143 (se 0.013671307636754766); clustered SEs of
ATT(2004, 2004..2007) = 0.00824476, 0.01396007, 0.03286664, 0.0217716.
XF = "lemp ~ lpop": simple ATT -0.018132710865802978 (se 0.014049986950079703).
R ``did`` 2.5.0's pre-test on mpdta (defaults): W = 7.79123662720035, 5 df, p = 0.16812.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit as ek
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.report.narrative import _term_label, methods_section

MPDTA = Path(__file__).resolve().parents[1] / "data" / "reference" / "mpdta.csv"


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(MPDTA)
    return df.assign(state=df["countyreal"] % 40, pop=np.exp(df["lpop"]))


def cs(df, **kw):
    return quiet(ek.staggered_did, df, outcome="lemp", unit="countyreal", time="year",
                 cohort="first.treat", **kw)


# -- 1. cluster and weights reach the group-time estimator ----------------------------------
@pytest.mark.parametrize("covariates, att, se", [
    ([], -0.018412580086603143, 0.013671307636754766),
    (["lpop"], -0.018132710865802978, 0.014049986950079703)])
def test_weights_match_csdid(mpdta, covariates, att, se):
    r = cs(mpdta, weights="pop", covariates=covariates)
    row = r.effect("att_simple")
    assert row["estimate"] == pytest.approx(att, abs=1e-9)
    assert row["std_error"] == pytest.approx(se, rel=1e-6)
    assert r.spec["weights"] == "pop"


def test_cluster_sums_influence_functions_as_csdid(mpdta):
    r = cs(mpdta, weights="pop", cluster="state")
    ses = r.effects.set_index("term").loc[[f"att_gt_2004_{t}" for t in range(2004, 2008)],
                                          "std_error"]
    assert ses.to_numpy() == pytest.approx([0.00824476, 0.01396007, 0.03286664, 0.0217716],
                                           rel=1e-5)
    assert r.sample["n_clusters"] == mpdta["state"].nunique()
    assert r.spec["cluster"] == "state" and "clustered by state" in r.spec["vcov"]
    # the clustered multiplier bootstrap draws one weight per cluster: same scale
    b = cs(mpdta, weights="pop", cluster="state", bootstrap=2000, seed=1)
    assert b.effect("att_simple")["std_error"] == pytest.approx(
        r.effect("att_simple")["std_error"], rel=0.15)


def test_cluster_with_covariates_and_report_text(mpdta):
    unit = cs(mpdta, covariates=["lpop"])
    by_state = cs(mpdta, covariates=["lpop"], cluster="state")
    assert by_state.effect("att_simple")["estimate"] == unit.effect("att_simple")["estimate"]
    assert by_state.effect("att_simple")["std_error"] != unit.effect("att_simple")["std_error"]
    text = str(methods_section(by_state, lang="en"))
    assert "summed within each state (" in text and "no weights" in text
    assert "weighted by pop" in str(methods_section(cs(mpdta, weights="pop"), lang="en"))


def test_weights_varying_within_unit_are_refused(mpdta):
    df = mpdta.assign(pop=mpdta["pop"] * (1 + 0.01 * (mpdta["year"] - 2003)))
    with pytest.raises(DataError, match=r"'pop' \(the weight\) must be constant within each "
                                        r"countyreal.*one weight per area"):
        cs(df, weights="pop")


def test_cluster_varying_within_unit_is_refused(mpdta):
    df = mpdta.assign(state=np.where(mpdta["year"] == 2005, 99, mpdta["state"]))
    with pytest.raises(DataError, match=r"'state' \(the cluster\) must be constant"):
        cs(df, cluster="state")


# -- 3. joint pre-trend test ------------------------------------------------------------------
def test_pre_trend_matches_r_did_on_mpdta(mpdta):
    d = cs(mpdta, control_group="never_treated").diagnostic("pre_trend")
    assert d.statistic == pytest.approx(7.79123662720035, rel=1e-6)
    assert round(stats.chi2.sf(d.statistic, 5), 5) == 0.16812    # R's p-value (chi2)
    # Hotelling's reference with G = 191 treated counties (fewer than the 309 never treated)
    f = 7.79123662720035 * 186 / (5 * 190)
    assert d.p_value == pytest.approx(stats.f.sf(f, 5, 186), rel=1e-6)
    assert "5 pre-treatment group-time effects ATT(g,t) are all zero: W = 7.79; Hotelling " \
        "F(5, 186) = 1.53, p = 0.184" in d.message


def alternating_panel(n_treated: int = 8, n_never: int = 40, seed: int = 3) -> pd.DataFrame:
    """Treated units swing +1/-1 around the comparison units every year before treatment:
    the short-difference placebos alternate in sign and average about zero."""
    rng = np.random.default_rng(seed)
    years = np.arange(2000, 2012)
    rows = []
    for u in range(n_treated + n_never):
        treated = u < n_treated
        for y in years:
            swing = (1.0 if y % 2 else -1.0) if treated and y < 2010 else 0.0
            rows.append({"unit": u, "year": y, "cohort": 2010 if treated else 0,
                         "y": swing + 0.1 * rng.normal()})
    return pd.DataFrame(rows)


def test_pre_trend_is_joint_not_an_average():
    r = quiet(ek.staggered_did, alternating_panel(), outcome="y", unit="unit", time="year",
              cohort="cohort")
    d = r.diagnostic("pre_trend")
    assert d.p_value < 1e-4 and not d.passed       # an average of +2, -2, ... would pass
    assert "the average of the 9 pre-treatment ATT(g,t) and the 2 event-time effects" in \
        d.message and "F(3, 5)" in d.message


def test_pre_trend_with_more_cells_than_clusters_tests_event_times():
    df = alternating_panel(n_treated=8, n_never=10)
    df.loc[df["unit"].isin([1, 3, 5, 7]), "cohort"] = 2011   # two cohorts: 19 pre cells
    r = quiet(ek.staggered_did, df, outcome="y", unit="unit", time="year", cohort="cohort",
              control_group="never_treated")
    d = r.diagnostic("pre_trend")
    assert "the average of the 19 pre-treatment ATT(g,t) and the 2 event-time effects nearest " \
        "the start (-2 to -1) are all zero (too many cells for 8 treated or comparison " \
        "clusters)" in d.message
    assert d.p_value < 1e-3 and math.isfinite(d.statistic)


def test_pre_trend_holds_its_level_under_parallel_trends():
    """8 treated units, 9 pre-treatment cells: chi-squared(9) rejected about half of these
    draws; the test now rejects at most its level."""
    rejections = 0
    for seed in range(40):
        df = alternating_panel(n_treated=8, n_never=40).assign(
            y=lambda d, s=seed: np.random.default_rng(s).normal(size=len(d)))
        d = quiet(ek.staggered_did, df, outcome="y", unit="unit", time="year",
                  cohort="cohort").diagnostic("pre_trend")
        rejections += not d.passed
    assert rejections <= 4


# -- 4. comparison group ----------------------------------------------------------------------
def one_never(mpdta):
    never = sorted(mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique())
    return mpdta[~mpdta["countyreal"].isin(never[1:])]


def test_auto_control_group_with_one_never_treated_unit(mpdta):
    r = cs(one_never(mpdta))
    assert r.spec["control_group"] == "not_yet_treated"
    assert r.spec["control_group_requested"] == "auto"
    assert "cs_control_auto" in {w.code for w in r.warnings}
    assert cs(mpdta).spec["control_group"] == "never_treated"


def test_never_treated_control_group_too_small_is_refused(mpdta):
    with pytest.raises(DataError, match=r"needs at least 5 never-treated countyreals .* only "
                                        r"1 never-treated .*control_group='auto' or "
                                        r"'not_yet_treated'"):
        cs(one_never(mpdta), control_group="never_treated")


# -- 7. relative effect from the cells the design used ------------------------------------------
def test_relative_effect_of_att_simple_uses_its_treated_cells(mpdta):
    df = mpdta.assign(emp=np.exp(mpdta["lemp"]))
    r = quiet(ek.staggered_did, df, outcome="emp", unit="countyreal", time="year",
              cohort="first.treat")
    row = r.effect("att_simple")
    # by hand: the post cells of each cohort, weighted by cohort size as att_simple
    post = df[(df["first.treat"] > 0) & (df["year"] >= df["first.treat"])]
    cell = post.groupby(["first.treat", "year"])["emp"].mean()
    size = df[df["year"] == 2003].groupby("first.treat").size()
    w = size.reindex(cell.index.get_level_values(0)).to_numpy(float)
    observed = float(np.average(cell.to_numpy(), weights=w))
    assert r.extras.treated_mean_post == pytest.approx(observed, rel=1e-12)
    att, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
    assert row["relative_effect"] == pytest.approx(observed / (observed - att), rel=1e-12)
    assert row["relative_ci_low"] == pytest.approx(observed / (observed - lo), rel=1e-12)
    assert row["relative_ci_high"] == pytest.approx(observed / (observed - hi), rel=1e-12)
    # always-treated units are dropped by the estimator: they must not move the % either
    always = df[df["first.treat"] == 2004].assign(countyreal=lambda d: d["countyreal"] + 10**6,
                                                  emp=lambda d: d["emp"] * 5)
    always["first.treat"] = 2003
    r2 = quiet(ek.staggered_did, pd.concat([df, always]), outcome="emp", unit="countyreal",
               time="year", cohort="first.treat")
    assert r2.effect("att_simple")["relative_effect"] == pytest.approx(
        row["relative_effect"], rel=1e-12)


# -- 2. exposure --------------------------------------------------------------------------------
def poisson_panel(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(30):
        pop = 1000 * (1 + u % 7)
        growth = 0.05 if u < 10 else 0.0     # the treated areas grow: no effect per head
        for t in range(10):
            p = pop * (1 + growth) ** t
            rows.append({"unit": u, "year": 2000 + t, "d": int(u < 10 and t >= 5), "pop": p,
                         "n": rng.poisson(0.02 * p)})
    return pd.DataFrame(rows)


def test_did_poisson_exposure_matches_pyfixest_offset():
    pf = pytest.importorskip("pyfixest")
    df = poisson_panel()
    r = quiet(ek.did, df, outcome="n", unit="unit", time="year", treatment="d",
              family="poisson", exposure="pop", inference="cluster")
    ref = pf.fepois("n ~ d | unit + year", data=df.assign(lpop=np.log(df["pop"])),
                    offset="lpop", vcov={"CRV1": "unit"})
    assert r.effect("att")["estimate"] == pytest.approx(ref.coef()["d"], rel=1e-6)
    assert r.effect("att")["std_error"] == pytest.approx(ref.se()["d"], rel=1e-4)
    no_offset = quiet(ek.did, df, outcome="n", unit="unit", time="year", treatment="d",
                      family="poisson", inference="cluster")
    # growth of the population passes for an effect without the offset
    assert no_offset.effect("att")["estimate"] > r.effect("att")["estimate"] + 0.1
    assert r.spec["exposure"] == "pop"


def test_ols_exposure_models_the_rate():
    df = poisson_panel()
    r = quiet(ek.did, df, outcome="n", unit="unit", time="year", treatment="d",
              exposure="pop", inference="cluster")
    ref = quiet(ek.did, df.assign(rate=df["n"] / df["pop"] * 100_000), outcome="rate", unit="unit",
                time="year", treatment="d", inference="cluster")
    assert r.effect("att")["estimate"] == pytest.approx(ref.effect("att")["estimate"])
    es = quiet(ek.event_study, df.assign(cohort=np.where(df["unit"] < 10, 2005, 0)),
               outcome="n", unit="unit", time="year", cohort="cohort", exposure="pop")
    assert es.spec["outcome_scale"] == "rate per 100,000 of exposure"
    with pytest.raises(DataError, match="'pop' is an exposure"):
        quiet(ek.did, df.assign(pop=0.0), outcome="n", unit="unit", time="year",
              treatment="d", exposure="pop")


# -- 5. one treated cluster -------------------------------------------------------------------
def one_treated(seed: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"unit": u, "year": 2000 + t, "d": int(u == 0 and t >= 6),
             "y": 400 + 10 * u + 3 * t + 20 * rng.normal()}
            for u in range(25) for t in range(12)]
    return pd.DataFrame(rows)


def test_one_treated_cluster_no_wild_bootstrap():
    df = one_treated()
    r = quiet(ek.did, df, outcome="y", unit="unit", time="year", treatment="d")
    row = r.effect("att")
    codes = {w.code for w in r.warnings}
    assert "wild" not in r.spec["vcov"] and "inverted" in r.spec["vcov"]
    assert "inference_one_treated_ri" in codes and "inference_wild" not in {
        n.code for n in r.sample["notes"]}
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["p_value"] >= 1 / 25                 # randomization over 25 areas
    with pytest.raises(SpecError, match="inference='wild' is not valid with a single "
                                        "treated cluster"):
        quiet(ek.did, df, outcome="y", unit="unit", time="year", treatment="d",
              inference="wild")


def test_one_treated_cluster_poisson_gives_no_interval():
    df = one_treated().assign(y=lambda d: np.round(d["y"]).astype(int))
    r = quiet(ek.did, df, outcome="y", unit="unit", time="year", treatment="d",
              family="poisson")
    row = r.effect("att")
    assert math.isnan(row["ci_low"]) and math.isnan(row["relative_ci_high"])
    assert "inference_one_treated_no_ci" in {w.code for w in r.warnings}


# -- 6. a cohort of one area is named -----------------------------------------------------------
def test_cohort_of_one_area_is_named():
    df = alternating_panel()
    df.loc[df["unit"] == 0, "cohort"] = 2008
    df["unit"] = df["unit"].map(lambda u: "Texas" if u == 0 else f"area {u}")
    r = quiet(ek.staggered_did, df, outcome="y", unit="unit", time="year", cohort="cohort")
    assert r.sample["cohort_units"] == {"2008": ["Texas"]}
    assert _term_label(r, "att_group_2008", "en") == "Texas (from 2008)"
    assert _term_label(r, "att_group_2008", "fr") == "Texas (depuis 2008)"
    assert _term_label(r, "att_group_2010", "en") == "Areas starting in 2010"
