"""Real public data sets, run end to end through ``evalkit run`` with the fewest parameters a
newcomer would give, in English and French; the headline numbers are recomputed here with an
independent package (statsmodels, pyfixest, csdid, scipy). See README.md beside this file
for each data set's source, licence, command and reference numbers.

Tolerances: iteratively fitted models (GLM, Poisson PML) agree to the solvers' convergence,
so estimates are compared at rel 1e-6 and standard errors at rel 1e-5; closed-form
estimators (csdid's doubly robust ATT(g,t) without covariates, exact rates) at rel 1e-6;
the synthetic control's counterfactual is unique (a projection on a convex hull) but found
here by another solver (BVLS with a weighted adding-up row), hence rel 1e-5.
"""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.optimize import lsq_linear
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from .conftest import mentions, renderings, squeeze

LANGS = ["en", "fr"]
REL_EST, REL_SE = 1e-6, 1e-5


def _quiet_pyfixest():
    import pyfixest as pf

    warnings.filterwarnings("ignore", module="pyfixest")
    return pf


# -- every data set: runs in both languages ------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["seatbelts", "castle", "guns", "organ", "texas", "maryland"])
def test_runs_with_newcomer_parameters(gallery_run, name, lang):
    run = gallery_run(name, lang)
    run.check_ok()
    assert (run.out / "report.html").is_file() and (run.out / "results.json").is_file()
    assert run.results["parameters"]["lang"] == lang
    # no default of the sample city (its area names) may reach a run on the user's data
    used = json.dumps(run.results["parameters"], ensure_ascii=False)
    assert not [a for a in SAMPLE_AREAS if a in used], used


SAMPLE_AREAS = ["Hôtel-de-Ville", "Cathédrale", "Moulins", "Quai", "Centre", "Gare"]


# -- ITS: UK seat-belt law, 1983-02 (Harvey & Durbin 1986) ---------------------------------
@pytest.fixture(scope="module")
def seatbelts_reference(gallery_run):
    """Segmented quasi-Poisson regression, month-of-year dummies, Pearson dispersion
    (statsmodels formula GLM): level change b2 = post, slope change b3 = (t - t0) post."""
    df = gallery_run("seatbelts", "en").data.copy()
    df["t"] = np.arange(len(df), dtype=float)
    t0 = float(df.index[df["month"] == "1983-02"][0])
    df["post"] = (df["t"] >= t0).astype(float)
    df["since"] = (df["t"] - t0) * df["post"]
    df["moy"] = df["month"].str[5:]
    return smf.glm("DriversKilled ~ t + post + since + C(moy)", df,
                   family=sm.families.Poisson()).fit(scale="X2")


@pytest.mark.parametrize("lang", LANGS)
def test_seatbelts_its_matches_statsmodels_glm(gallery_run, seatbelts_reference, lang):
    run, ref = gallery_run("seatbelts", lang), seatbelts_reference
    ci = ref.conf_int()
    for term, col in [("level_change", "post"), ("slope_change", "since")]:
        row = run.estimate(term)
        assert row["scale"] == "log"
        assert row["estimate"] == pytest.approx(ref.params[col], rel=REL_EST)
        assert row["std_error"] == pytest.approx(ref.bse[col], rel=REL_SE)
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(list(ci.loc[col]), abs=1e-6)
    assert run.estimate("level_change")["n_obs"] == 192


@pytest.mark.parametrize("lang", LANGS)
def test_seatbelts_report_states_the_headline(gallery_run, lang):
    run = gallery_run("seatbelts", lang)
    cum = run.estimate("cumulative_effect")
    assert mentions(run, 100 * (cum["relative_effect"] - 1), percent=True)
    assert mentions(run, cum["estimate"])  # crimes (here deaths) prevented


# -- group-time DiD: castle doctrine (Cheng & Hoekstra 2013), shall-carry laws (AER Guns) ---
def _cohorts(df: pd.DataFrame, unit: str, time: str, treatment: str) -> pd.Series:
    first = df[df[treatment] > 0].groupby(unit)[time].min()
    return df[unit].map(first).fillna(0).astype(int)


def _csdid_simple(df, *, outcome, unit, time, treatment):
    from csdid.att_gt import ATTgt

    d = df[[unit, time, outcome, treatment]].copy()
    d["g"] = _cohorts(d, unit, time, treatment)
    d["id"] = pd.factorize(d[unit])[0] + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ATTgt(yname=outcome, gname="g", idname="id", tname=time, data=d,
                    control_group=["nevertreated"]).fit(est_method="dr", bstrap=False)
        agg = fit.aggte(typec="simple", bstrap=False)
    return agg.atte["overall_att"], agg.atte["overall_se"]


STAGGERED = {"castle": ("homicide", "sid", "year", "post"),
             "guns": ("violent", "state", "year", "shall")}


@pytest.fixture(scope="module")
def staggered_reference(gallery_run):
    pf = _quiet_pyfixest()
    out = {}
    for name, (y, u, tm, d) in STAGGERED.items():
        df = gallery_run(name, "en").data
        twfe = pf.fepois(f"{y} ~ {d} | {u} + {tm}", df, vcov={"CRV1": u})
        out[name] = {"simple": _csdid_simple(df, outcome=y, unit=u, time=tm, treatment=d),
                     "twfe": (twfe.coef()[d], twfe.se()[d])}
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(STAGGERED))
def test_staggered_att_matches_csdid(gallery_run, staggered_reference, name, lang):
    """Staggered roll-out: the report's main estimate is the group-time simple ATT
    (never-treated comparison), cohorts read from the treatment column."""
    run = gallery_run(name, lang)
    att, se = staggered_reference[name]["simple"]
    row = run.estimate("att_simple", "staggered_did")
    assert row["estimate"] == pytest.approx(att, rel=REL_EST)
    assert row["std_error"] == pytest.approx(se, rel=REL_EST)
    z = 1.959963984540054
    assert [row["ci_low"], row["ci_high"]] == pytest.approx([att - z * se, att + z * se],
                                                            rel=REL_EST)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(STAGGERED))
def test_staggered_twfe_matches_pyfixest_fepois(gallery_run, staggered_reference, name, lang):
    run = gallery_run(name, lang)
    coef, se = staggered_reference[name]["twfe"]
    row = run.estimate("att", "did")
    assert row["scale"] == "log"
    assert row["estimate"] == pytest.approx(coef, rel=REL_EST)
    assert row["std_error"] == pytest.approx(se, rel=REL_SE)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(STAGGERED))
def test_staggered_report_states_the_headline(gallery_run, name, lang):
    """The headline is the group-time ATT as a % change of the treated cells it averages."""
    run = gallery_run(name, lang)
    row = run.estimate("att_simple", "staggered_did")
    assert row["relative_effect"] is not None
    assert mentions(run, 100 * (row["relative_effect"] - 1), percent=True)


# -- DiD with one start date: organ donation active choice, California 2011 Q3 -------------
@pytest.fixture(scope="module")
def organ_reference(gallery_run):
    """Poisson PML TWFE clustered by state (pyfixest), and the exact randomization p-value:
    California's treatment path given to each of the 27 states in turn, |coef| ranked."""
    pf = _quiet_pyfixest()
    df = gallery_run("organ", "en").data.copy()
    fit = pf.fepois("Rate ~ treated | State + Quarter_Num", df, vcov={"CRV1": "State"})
    coefs = {}
    for state in sorted(df["State"].unique()):
        df["placebo"] = ((df["State"] == state) & (df["Quarter_Num"] >= 4)).astype(int)
        coefs[state] = pf.fepois("Rate ~ placebo | State + Quarter_Num", df,
                                 vcov="iid").coef()["placebo"]
    observed = abs(coefs["California"])
    p = np.mean([abs(c) >= observed * (1 - 1e-9) for c in coefs.values()])
    return fit.coef()["treated"], fit.se()["treated"], p


@pytest.mark.parametrize("lang", LANGS)
def test_organ_did_matches_pyfixest(gallery_run, organ_reference, lang):
    run = gallery_run("organ", lang)
    coef, se, p = organ_reference
    row = run.estimate("att", "did")
    assert row["estimate"] == pytest.approx(coef, rel=REL_EST)
    assert row["std_error"] == pytest.approx(se, rel=REL_SE)
    # one treated state of 27: the p-value is the exact randomization one (6/27 here)
    assert row["p_value"] == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("lang", LANGS)
def test_organ_interval_agrees_with_p_value(gallery_run, lang):
    """A reader is told the interval and the test; they must say the same thing (an interval
    that excludes no change with p > alpha reads as both 'significant' and 'chance')."""
    run = gallery_run("organ", lang)
    row = run.estimate("att", "did")
    if row["ci_low"] is None:  # no valid interval with one treated state: none is shown
        assert row["ci_high"] is None and row["relative_ci_low"] is None
        return
    excludes_zero = row["ci_low"] > 0 or row["ci_high"] < 0
    assert excludes_zero == (row["p_value"] < run.results["parameters"]["alpha"]), row


@pytest.mark.parametrize("lang", LANGS)
def test_organ_report_states_the_headline(gallery_run, lang):
    run = gallery_run("organ", lang)
    row = run.estimate("att", "did")
    assert mentions(run, 100 * (row["relative_effect"] - 1), percent=True)


# -- synthetic control: Texas prison expansion 1993 (Cunningham, Mixtape ch. 10) -----------
def _simplex_fit(y1: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """argmin ||y1 - y0 w||^2 on the simplex by scipy's bounded-variable least squares
    (BVLS, Stark & Parker 1995; evalkit uses Lawson-Hanson NNLS and an active-set solve),
    the adding-up constraint as a row of weight 1e3 on data scaled to unit RMS: sum(w) is
    1 to about 1e-5, which moves the mean gap by less than 1e-6 relative."""
    s = float(np.sqrt(np.mean(y0**2)))
    k = y0.shape[1]
    a = np.vstack([y0 / s, np.full(k, 1e3)])
    return lsq_linear(a, np.append(y1 / s, 1e3), bounds=(0, np.inf), method="bvls",
                      tol=1e-14).x


@pytest.fixture(scope="module")
def texas_reference(gallery_run):
    """Weights fitted to the 1985-1992 outcomes; ATT = mean 1993-2000 gap; placebo p-value
    = (1 + #{donor post/pre RMSPE ratio >= Texas'}) / (1 + donors)."""
    df = gallery_run("texas", "en").data
    wide = df.pivot(index="year", columns="state", values="bmprison")
    pre = wide.index < 1993

    def gaps(unit: str, donors: list[str]) -> np.ndarray:
        w = _simplex_fit(wide.loc[pre, unit].to_numpy(), wide.loc[pre, donors].to_numpy())
        return wide[unit].to_numpy() - wide[donors].to_numpy() @ w

    def ratio(g: np.ndarray) -> float:
        return math.sqrt(np.mean(g[~pre] ** 2)) / math.sqrt(np.mean(g[pre] ** 2))

    donors = [s for s in wide.columns if s != "Texas"]
    gap = gaps("Texas", donors)
    placebo = [ratio(gaps(d, [o for o in donors if o != d])) for d in donors]
    p = (1 + sum(r >= ratio(gap) * (1 - 1e-9) for r in placebo)) / (1 + len(donors))
    return float(gap[~pre].mean()), p


@pytest.mark.parametrize("lang", LANGS)
def test_texas_synth_matches_scipy_bvls(gallery_run, texas_reference, lang):
    run = gallery_run("texas", lang)
    att, p = texas_reference
    row = run.estimate("att", "synth")
    assert row["estimate"] == pytest.approx(att, rel=1e-5)
    assert row["p_value"] == pytest.approx(p, abs=1e-9)
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


@pytest.mark.parametrize("lang", LANGS)
def test_texas_report_states_the_headline(gallery_run, lang):
    run = gallery_run("texas", lang)
    assert mentions(run, run.estimate("att", "synth")["estimate"])


# -- indicators: Maryland crime by county 1975-2020 ----------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("area", ["Baltimore City", "Garrett County"])
def test_maryland_rates_match_statsmodels_exact_intervals(gallery_run, lang, area):
    """Robbery per 100,000 residents per year over the last window and the one before
    (window read from results.json; the person-years of a window are its populations summed),
    exact Poisson interval (statsmodels 'exact-c') and the exact conditional rate-ratio
    interval (Clopper-Pearson on the binomial split)."""
    run = gallery_run("maryland", lang)
    params = run.results["parameters"]
    window, per = int(params["window"]), float(params["per"])
    df = run.data[run.data["JURISDICTION"] == area].sort_values("YEAR")
    last, prev = df.iloc[-window:], df.iloc[-2 * window:-window]
    c1, c0 = int(last["ROBBERY"].sum()), int(prev["ROBBERY"].sum())
    e1, e0 = last["POPULATION"].sum(), prev["POPULATION"].sum()
    lo, hi = confint_poisson(c1, e1, method="exact-c", alpha=params["alpha"])
    b_lo, b_hi = proportion_confint(c1, c1 + c0, alpha=params["alpha"], method="beta")
    expected = [c1 / e1 * per, lo * per, hi * per]
    ratio = [(c1 / e1) / (c0 / e0)] + [b / (1 - b) * e0 / e1 for b in (b_lo, b_hi)]
    text = squeeze(run.text, lang)
    found = re.search(re.escape(squeeze(area, lang)) + r"\d", text)  # the table row
    assert found, f"no table row for {area}"
    row = text[found.start():][:200]
    if min(c1, c0) < int(params["min_count"]):  # a small count is withheld, with its rates
        assert f"<{int(params['min_count'])}" in row, row
        assert not any(f in row for f in renderings(expected[0])), row
        return
    for value in expected:
        assert any(f in row for f in renderings(value)), (area, value, row)
    for value in ratio:
        assert f"{value:.2f}" in row, (area, value, row)


@pytest.mark.parametrize("lang", LANGS)
def test_maryland_profile_covers_every_county(gallery_run, lang):
    run = gallery_run("maryland", lang)
    assert run.results["data"] == {**run.results["data"], "rows": 1104, "units": 24,
                                   "periods": 46}
    text = run.text
    assert all(county in text for county in run.data["JURISDICTION"].unique())
