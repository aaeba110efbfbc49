"""ek.synth on simulated panels: recovery, permutation inference, invariances, errors.

The data come from a linear factor model (Abadie, Diamond & Hainmueller 2010, §2.3),
``y_it = 50 + a_i + l_t' m_i + e_it``, under which a synthetic control that matches the
treated unit's pre-period path recovers its untreated outcome.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from evalkit.designs.synth import donor_weights, placebo_table, simplex_least_squares, synth
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.results import EvaluationResult


def factor_panel(*, n_donors: int = 20, n_pre: int = 20, n_post: int = 6, effect: float = 0.0,
                 noise: float = 1.0, seed: int = 0, n_treated: int = 1,
                 exchangeable: bool = False) -> pd.DataFrame:
    """Panel of ``n_treated + n_donors`` areas; the first ``n_treated`` are treated.

    Treated loadings are convex mixtures of donor loadings (inside the convex hull) unless
    ``exchangeable``, when every unit is drawn from the same distribution.
    """
    rng = np.random.default_rng(seed)
    n_t = n_pre + n_post
    lam = np.cumsum(rng.normal(0, 1, size=(n_t, 2)), axis=0) + rng.normal(0, 1, (n_t, 2))
    mu_d = rng.uniform(0.5, 2.0, size=(n_donors, 2))
    a_d = rng.normal(0, 3, size=n_donors)
    if exchangeable:
        mu_t = rng.uniform(0.5, 2.0, size=(n_treated, 2))
        a_t = rng.normal(0, 3, size=n_treated)
    else:
        mix = rng.dirichlet(np.ones(4), size=n_treated)
        pick = np.vstack([rng.choice(n_donors, 4, replace=False) for _ in range(n_treated)])
        mu_t = np.einsum("ik,ikj->ij", mix, mu_d[pick])
        a_t = np.einsum("ik,ik->i", mix, a_d[pick])
    mu = np.vstack([mu_t, mu_d])
    a = np.concatenate([a_t, a_d])
    y = 50 + a[:, None] + mu @ lam.T + rng.normal(0, noise, size=(len(a), n_t))
    y[:n_treated, n_pre:] += effect
    names = [f"treated_{i}" for i in range(n_treated)] + [f"donor_{j:02d}"
                                                         for j in range(n_donors)]
    years = np.arange(2000, 2000 + n_t)
    df = pd.DataFrame({"area": np.repeat(names, n_t), "year": np.tile(years, len(names)),
                       "crimes": y.ravel()})
    df["income"] = 10 + mu[:, 0].repeat(n_t) + rng.normal(0, 0.05, len(df))
    return df


def run(df: pd.DataFrame, **kwargs) -> EvaluationResult:
    options = {"outcome": "crimes", "unit": "area", "time": "year",
               "treated_unit": "treated_0", "intervention": 2020}
    options.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return synth(df, **options)


# -- the inner problem ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_simplex_least_squares_is_optimal(seed):
    """Exact on random problems: no worse than SLSQP, on the simplex, and KKT holds."""
    rng = np.random.default_rng(seed)
    k, j = rng.integers(3, 12), rng.integers(5, 40)
    a = rng.normal(size=(k, j)) * rng.uniform(0.1, 100)
    b = rng.normal(size=k) * 2 * np.abs(a).max()
    w = simplex_least_squares(a, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    loss = np.sum((a @ w - b) ** 2)
    ref = minimize(lambda x: np.sum((a @ x - b) ** 2), np.full(j, 1 / j), method="SLSQP",
                   bounds=[(0, 1)] * j,
                   constraints={"type": "eq", "fun": lambda x: x.sum() - 1},
                   options={"ftol": 1e-14, "maxiter": 1000})
    feasible = ref.success and abs(ref.x.sum() - 1) < 1e-8 and ref.x.min() > -1e-10
    if feasible:
        assert loss <= ref.fun * (1 + 1e-7) + 1e-9
    # KKT conditions (sufficient: the problem is convex): the gradient is equal on the
    # support and no smaller anywhere else
    grad = 2 * a.T @ (a @ w - b)
    mult = grad[w > 0].mean()
    tol = 1e-7 * max(1.0, np.abs(grad).max())
    assert np.all(np.abs(grad[w > 0] - mult) <= tol)
    assert np.all(grad >= mult - tol)


def test_simplex_least_squares_target_in_hull_is_matched_exactly():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 4))
    w_true = np.array([0.1, 0.2, 0.3, 0.4])
    w = simplex_least_squares(a, a @ w_true)
    np.testing.assert_allclose(w, w_true, atol=1e-9)


# -- recovery and inference ----------------------------------------------------------------
def test_recovers_known_effect_with_small_permutation_p():
    df = factor_panel(effect=-15.0, seed=1)
    res = run(df)
    att = res.effect("att")
    assert att["estimate"] == pytest.approx(-15.0, abs=1.5)
    assert att["p_value"] == pytest.approx(1 / 21)
    assert att["ci_low"] < -15.0 < att["ci_high"] < 0
    assert np.isnan(att["std_error"]) and att["scale"] == "additive"
    terms = list(res.effects["term"])
    assert terms == ["att"] + [f"gap_{y}" for y in range(2020, 2026)]
    assert res.method == "synth"
    assert res.diagnostic("pre_fit").passed
    assert res.diagnostic("placebo_time").passed
    assert res.diagnostic("leave_one_out").passed


def test_no_effect_is_not_significant_and_p_is_roughly_uniform(quiet):
    """Under no effect with exchangeable units, P(p <= 0.05) = 1/25 = 0.04 for 24 donors."""
    ps = []
    for rep in range(100):
        df = factor_panel(n_donors=24, n_pre=12, n_post=4, seed=100 + rep, exchangeable=True)
        res = synth(df, outcome="crimes", unit="area", time="year", treated_unit="treated_0",
                    intervention=2012)
        ps.append(res.effect("att")["p_value"])
    ps = np.asarray(ps)
    assert np.mean(ps <= 0.05) <= 0.10
    assert 0.35 <= np.mean(ps) <= 0.65  # uniform on {1/25, ..., 1}: mean 0.52


def test_series_band_and_placebo_tables():
    res = run(factor_panel(effect=-5.0, seed=2))
    s = res.series
    assert list(s.columns) == ["unit", "time", "observed", "counterfactual", "gap", "ci_low",
                               "ci_high", "post"]
    assert len(s) == 26 and (s["unit"] == "treated_0").all()
    np.testing.assert_allclose(s["gap"], s["observed"] - s["counterfactual"])
    assert (s["ci_low"] <= s["gap"]).all() and (s["gap"] <= s["ci_high"]).all()
    post = s[s["post"]]
    np.testing.assert_allclose(res.effects["estimate"].iloc[1:], post["gap"])
    table = res.diagnostic("placebo_space").table
    assert set(table.columns) >= {"unit", "time", "gap", "pre_rmspe", "post_rmspe",
                                  "rmspe_ratio", "treated"}
    assert len(table) == 21 * 26
    summary = placebo_table(res)
    assert len(summary) == 21 and summary["rank"].tolist() == list(range(1, 22))
    res.to_dict()  # JSON-safe


def test_weights_on_simplex_and_in_sample():
    res = run(factor_panel(seed=4))
    w = donor_weights(res)
    assert w.index.tolist() == [f"donor_{j:02d}" for j in range(20)]
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    assert res.extras.donor_weights == pytest.approx(w.to_dict())
    with pytest.raises(SpecError, match="needs a synth result"):
        donor_weights(EvaluationResult(method="its", spec={}, effects=res.effects,
                                       series=res.series))


@pytest.mark.parametrize("with_predictors", [False, True])
def test_relabelling_donors_does_not_change_weights(with_predictors):
    df = factor_panel(seed=5, n_donors=12)
    kwargs = {"placebo": False}
    if with_predictors:
        kwargs["predictors"] = [("income", (2010, 2019)), ("crimes", [2005]),
                                ("crimes", [2015]), ("crimes", (2017, 2019))]
    base = donor_weights(run(df, **kwargs))
    rng = np.random.default_rng(0)
    donors = sorted(df.loc[df["area"] != "treated_0", "area"].unique())
    new_names = dict(zip(donors, [f"zone_{c}" for c in rng.permutation(len(donors))],
                         strict=True))
    renamed = df.assign(area=df["area"].map(lambda u: new_names.get(u, u)))
    shuffled = renamed.sample(frac=1.0, random_state=1)
    moved = donor_weights(run(shuffled, **kwargs))
    back = moved.rename(index={v: k for k, v in new_names.items()}).reindex(base.index)
    np.testing.assert_allclose(back.to_numpy(), base.to_numpy(), atol=1e-6)


def test_inputs_not_modified():
    df = factor_panel(seed=6)
    before = df.copy(deep=True)
    run(df, predictors=[("income", (2015, 2019)), ("crimes", [2010])], placebo=False)
    pd.testing.assert_frame_equal(df, before)


def test_results_do_not_depend_on_n_jobs():
    df = factor_panel(seed=7, n_donors=8, n_pre=10)
    kwargs = {"predictors": [("income", (2005, 2009)), ("crimes", [2002]), ("crimes", [2006])],
              "intervention": 2010}
    one = run(df, n_jobs=1, **kwargs)
    two = run(df, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one.effects, two.effects)
    pd.testing.assert_frame_equal(one.series, two.series)
    assert one.provenance["parameters"]["n_jobs"] == 1


def test_several_treated_units_average_and_placebo_sets():
    df = factor_panel(seed=8, n_treated=3, effect=-8.0, n_donors=15)
    res = run(df, treated_unit=["treated_0", "treated_1", "treated_2"], seed=11)
    assert res.effect("att")["estimate"] == pytest.approx(-8.0, abs=1.5)
    assert res.sample["n_placebos"] == 455  # C(15, 3) sets, all enumerated
    assert res.effect("att")["p_value"] == pytest.approx(1 / 456)
    assert set(res.series["unit"]) == {"treated_0", "treated_1", "treated_2", "average"}
    by = res.extras.donor_weights_by_treated
    mean = pd.DataFrame(by).mean(axis=1)
    np.testing.assert_allclose(donor_weights(res).reindex(mean.index), mean)
    assert any(getattr(n, "code", "") == "synth_several_treated" for n in res.sample["notes"])


def test_several_treated_units_sampled_sets_use_seed():
    df = factor_panel(seed=9, n_treated=4, n_donors=16, n_pre=8, n_post=2)
    kwargs = {"treated_unit": [f"treated_{i}" for i in range(4)], "intervention": 2008}
    a = run(df, seed=1, **kwargs)
    b = run(df, seed=1, **kwargs)
    assert a.sample["n_placebos"] == 999  # C(16, 4) = 1820 > 1000: sampled
    pd.testing.assert_frame_equal(a.effects, b.effects)
    assert a.provenance["seed"] == 1


def test_placebo_false_gives_estimates_without_inference():
    res = run(factor_panel(seed=10), placebo=False)
    assert np.isnan(res.effect("att")["p_value"])
    assert [d.name for d in res.diagnostics] == ["pre_fit"]
    assert any(getattr(n, "code", "") == "synth_no_placebo" for n in res.sample["notes"])


def test_too_few_placebos_warns_and_interval_is_unbounded():
    df = factor_panel(seed=12, n_donors=10)
    with pytest.warns(EvalkitWarning, match="smallest attainable p-value"):
        res = synth(df, outcome="crimes", unit="area", time="year", treated_unit="treated_0",
                    intervention=2020)
    att = res.effect("att")
    assert att["ci_low"] == -np.inf and att["ci_high"] == np.inf
    assert not res.diagnostic("placebo_space").passed


def test_outside_convex_hull_warns():
    df = factor_panel(seed=13)
    df.loc[df["area"] == "treated_0", "crimes"] += 200
    with pytest.warns(EvalkitWarning) as record:
        res = synth(df, outcome="crimes", unit="area", time="year", treated_unit="treated_0",
                    intervention=2020, placebo=False)
    assert any("outside the range of every donor" in str(w.message) for w in record)
    assert not res.diagnostic("pre_fit").passed
    codes = {c.code for c in res.warnings}
    assert {"synth_convex_hull", "synth_poor_fit"} <= codes
    assert "donneurs" in next(c for c in res.warnings
                              if c.code == "synth_convex_hull").render("fr")


# -- errors --------------------------------------------------------------------------------
def test_error_too_few_pre_periods():
    df = factor_panel(seed=14)
    with pytest.raises(DataError, match=r"at least 5 periods before the intervention"):
        run(df, intervention=2004)


def test_error_missing_donor_outcome_names_donor():
    df = factor_panel(seed=15)
    df.loc[(df["area"] == "donor_03") & (df["year"] == 2011), "crimes"] = np.nan
    df = df[~((df["area"] == "donor_07") & (df["year"] == 2022))]
    with pytest.raises(DataError, match=r"donor 'donor_03' \(2011\); donor 'donor_07' "
                                        r"\(2022\).*drop these donors"):
        run(df)


def test_error_treated_unit_not_found():
    with pytest.raises(DataError,
                       match=r"treated_unit: 1 name not found in column 'area': 'Atlantis'"):
        run(factor_panel(seed=16), treated_unit="Atlantis")


@pytest.mark.parametrize("when", [1990, 2040])
def test_error_intervention_outside_data(when):
    with pytest.raises(DataError, match=r"intervention inside the data's range 2000 to 2025"):
        run(factor_panel(seed=17), intervention=when)


def test_error_predictor_specifications():
    df = factor_panel(seed=18)
    with pytest.raises(SpecError, match=r"not before the intervention \(2020\)"):
        run(df, predictors=[("income", (2015, 2021))])
    with pytest.raises(SpecError, match=r"\(column, periods\) pair"):
        run(df, predictors=["income"])
    with pytest.raises(SpecError, match=r"predictors must be a list of \(column, periods\) "
                                         r"pairs.*got 'income'"):
        run(df, predictors="income")
    with pytest.raises(DataError, match=r"no such column"):
        run(df, predictors=[("wages", [2010])])
    with pytest.raises(DataError, match=r"outside the data"):
        run(df, predictors=[("income", [1995])])
    with pytest.raises(SpecError, match=r"optimize_periods: periods 2021"):
        run(df, optimize_periods=[2010, 2021])
    gappy = df.copy()
    gappy.loc[gappy["area"] == "donor_02", "income"] = np.nan
    with pytest.raises(DataError, match=r"predictor 'income' has no value .* donor_02"):
        run(gappy, predictors=[("income", (2015, 2019))])


def test_error_options():
    df = factor_panel(seed=19)
    with pytest.raises(SpecError, match=r"n_jobs must be a positive whole number or -1 "
                                         r"\(all cores\); got 0"):
        run(df, n_jobs=0)
    with pytest.raises(SpecError, match=r"v_search must be one of 'synth', 'thorough'; "
                                         r"got 'global'"):
        run(df, v_search="global")
    with pytest.raises(SpecError, match=r"alpha must be strictly between 0 and 1 .*got 1\.5"):
        run(df, alpha=1.5)
    with pytest.raises(SpecError, match=r"treated_unit lists a unit twice: "
                                         r"\['treated_0', 'treated_0'\]"):
        run(df, treated_unit=["treated_0", "treated_0"])
    with pytest.raises(DataError, match="at least two donor"):
        run(df[df["area"].isin(["treated_0", "donor_00"])])


# -- relative effect: ratio intervals by inverting the test under a proportional effect ------
def _excludes(lo: float, hi: float, null: float) -> bool:
    return not lo <= null <= hi


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("effect", [-30.0, -8.0, 0.0, 6.0])
def test_ratio_interval_is_positive_and_agrees_with_the_additive_one(seed, effect):
    """Issue 14: a ratio interval once started at -0.15. The ratio interval inverts the same
    permutation test under a constant proportional effect, so it stays within (0, inf] and
    'additive interval excludes 0' <=> 'ratio interval excludes 1' <=> 'p <= alpha' (an
    exact permutation test rejects at p <= alpha: with 19 placebos p = 1/20 = 0.05 rejects)."""
    res = run(factor_panel(effect=effect, noise=3.0, seed=40 + seed, n_donors=19))
    for _, row in res.effects.iterrows():
        if not np.isfinite(row["relative_ci_low"]):
            continue
        assert row["relative_ci_low"] > 0
        assert row["relative_ci_low"] <= row["relative_effect"] <= row["relative_ci_high"]
        if np.isnan(row["ci_low"]):  # additive interval empty (caveat synth_ci_empty)
            assert row["p_value"] <= 0.05 and _excludes(row["relative_ci_low"],
                                                       row["relative_ci_high"], 1.0)
            continue
        additive = _excludes(row["ci_low"], row["ci_high"], 0.0)
        ratio = _excludes(row["relative_ci_low"], row["relative_ci_high"], 1.0)
        assert additive == ratio == (row["p_value"] <= 0.05 + 1e-12), row["term"]


def test_ratio_interval_of_a_large_fall_stays_above_zero():
    df = factor_panel(effect=-30.0, noise=8.0, seed=3, n_donors=19, n_post=4)
    res = run(df)
    att = res.effect("att")
    s = res.series[res.series["post"]]
    level = s["observed"].mean()
    assert att["relative_effect"] == pytest.approx(level / s["counterfactual"].mean())
    assert 0 < att["relative_ci_low"] < att["relative_effect"] < att["relative_ci_high"] < 1
    # the untreated level each accepted additive effect implies: observed minus the effect
    assert att["relative_ci_low"] == pytest.approx(level / (level - att["ci_low"]))
    assert att["relative_ci_high"] == pytest.approx(level / (level - att["ci_high"]))
    # holding the synthetic level fixed instead (the old mapping) goes below 0
    assert (s["counterfactual"].mean() + att["ci_low"]) / s["counterfactual"].mean() < 0.05


def test_ratio_interval_is_open_ended_when_an_accepted_effect_exceeds_the_level():
    df = factor_panel(effect=10.0, noise=12.0, seed=3, n_donors=19, n_post=3)
    df["crimes"] = (df["crimes"] - 35).clip(lower=0.5)
    res = run(df)
    rows = res.effects.set_index("term")
    s = res.series.set_index("time")
    opened = 0
    for term, row in rows.iloc[1:].iterrows():
        level = s.loc[term.removeprefix("gap_"), "observed"]
        if row["ci_high"] >= level:
            assert row["relative_ci_high"] == np.inf
            opened += 1
        else:
            assert row["relative_ci_high"] == pytest.approx(level / (level - row["ci_high"]))
        assert row["relative_ci_low"] == pytest.approx(level / (level - row["ci_low"]))
    assert opened >= 1
    few = run(factor_panel(seed=12, n_donors=10)).effect("att")  # too few placebos
    assert (few["relative_ci_low"], few["relative_ci_high"]) == (0.0, np.inf)


def test_no_ratio_for_an_outcome_that_can_be_negative():
    df = factor_panel(effect=-5.0, seed=2)
    df["crimes"] -= 60
    att = run(df).effect("att")
    assert np.isnan(att["relative_effect"]) and np.isnan(att["relative_ci_low"])


# -- donors: exclude and treatment ---------------------------------------------------------
def _with_treated_donor(seed: int = 5) -> pd.DataFrame:
    """donor_03 adopts the same policy in 2022, with the same effect as the treated unit."""
    df = factor_panel(effect=-12.0, seed=seed)
    df["policy"] = ((df["area"] == "treated_0") & (df["year"] >= 2020)).astype(int)
    late = (df["area"] == "donor_03") & (df["year"] >= 2022)
    df.loc[late, "policy"] = 1
    df.loc[late, "crimes"] -= 12.0
    return df


def test_treatment_column_keeps_treated_units_out_of_the_donors():
    df = _with_treated_donor()
    res = run(df, treatment="policy")
    assert "donor_03" not in donor_weights(res).index
    assert len(donor_weights(res)) == 19
    assert res.extras.excluded_donors == {"donor_03": "treated"}
    assert res.sample["n_placebos"] == 19
    notes = [n for n in res.sample["notes"] if getattr(n, "code", "") ==
             "synth_left_out_treated"]
    assert len(notes) == 1 and "column policy" in notes[0] and "donor_03" in notes[0]
    assert "donor_03" in notes[0].render("fr")
    assert res.provenance["parameters"]["treatment"] == "policy"
    # the same fit as dropping the unit from the data
    dropped = run(df[df["area"] != "donor_03"])
    pd.testing.assert_series_equal(donor_weights(res), donor_weights(dropped))


def test_exclude_keeps_units_out_and_says_so():
    res = run(factor_panel(seed=6), exclude=["donor_01", "donor_02"])
    assert {"donor_01", "donor_02"}.isdisjoint(donor_weights(res).index)
    assert res.extras.excluded_donors == {"donor_01": "exclude", "donor_02": "exclude"}
    assert any("donor_01, donor_02" in n for n in res.sample["notes"])


def test_exclude_names_not_in_the_data_are_refused_with_the_closest_names():
    with pytest.raises(DataError, match=r"'donor_3' \(closest: donor_13, donor_03"):
        run(factor_panel(seed=6), exclude=["donor_3"])
    with pytest.raises(DataError, match=r"'Atlantis' \(no close name\)"):
        run(factor_panel(seed=6), exclude=["Atlantis"])
    with pytest.raises(SpecError, match="exclude lists the treated unit 'treated_0'"):
        run(factor_panel(seed=6), exclude=["treated_0"])


def test_treatment_column_must_be_zero_or_one():
    df = factor_panel(seed=6).assign(policy=0.5)
    with pytest.raises(DataError, match=r"column 'policy' must be 0 \(untreated\) or 1"):
        run(df, treatment="policy")
    with pytest.raises(DataError, match=r"Expected a column 'policy', but the data has no such"):
        run(factor_panel(seed=6), treatment="policy")


def test_donor_weights_are_written_to_results_json(tmp_path):
    import jsonschema

    from evalkit.designs.synth import donor_weight_diagnostics
    from evalkit.report.results_json import SCHEMA_PATH, build_results

    df = factor_panel(seed=4)
    res = run(df)
    diags = donor_weight_diagnostics(res)
    doc = build_results([res], template="synth", parameters={}, data=df, diagnostics=diags)
    jsonschema.validate(doc, __import__("json").loads(SCHEMA_PATH.read_text()))
    written = {d["name"]: d["statistic"] for d in doc["diagnostics"]
               if d["name"].startswith("donor_weight:")}
    assert written == pytest.approx({f"donor_weight:{k}": v
                                     for k, v in donor_weights(res).items()})
    assert len(written) == 20


# -- report sections (evalkit.report.synth) --------------------------------------------------
def test_headline_without_an_interval_claims_nothing_about_one():
    from evalkit.report.synth import headline

    few = run(factor_panel(seed=12, n_donors=10))  # too few placebos: unbounded interval
    text = str(headline(few, lang="en"))
    assert "confidence interval" not in text and "CI" not in text
    assert "smallest attainable p-value is 0.0909" in text
    assert "intervalle de confiance" not in str(headline(few, lang="fr"))
    res = run(factor_panel(effect=-15.0, seed=1))
    effects = res.effects.copy()
    effects.loc[0, ["ci_low", "ci_high"]] = np.nan  # no constant effect fits the gaps
    empty = dataclasses.replace(res, effects=effects)
    text = str(headline(empty, lang="en"))
    assert "confidence interval" not in text and "there is no 95% interval" in text


def test_headline_reads_the_interval_that_inverts_the_test():
    """With 20 placebos p = 1/21 < 0.05; with 19, p = 1/20 = 0.05 = alpha and the interval
    (which inverts the test at p <= alpha) excludes 0: the sentence must follow it."""
    from evalkit.report.synth import headline

    res = run(factor_panel(effect=-15.0, seed=1, n_donors=19))
    att = res.effect("att")
    assert att["p_value"] == pytest.approx(0.05) and att["ci_high"] < 0
    assert "interval excludes no change" in str(headline(res, lang="en"))


def test_checks_say_whether_the_gap_stands_out_from_the_placebos():
    from evalkit.report.synth import checks_section

    strong = str(checks_section(run(factor_panel(effect=-15.0, seed=1)), lang="en"))
    assert "(the gap stands out from the placebo areas)" in strong
    assert "taken into account" not in strong
    null = str(checks_section(run(factor_panel(seed=6, exchangeable=True)), lang="en"))
    assert "(the gap does not stand out from the placebo areas)" in null
    few = str(checks_section(run(factor_panel(seed=12, n_donors=10)), lang="fr"))
    assert "trop peu de secteurs placebo pour conclure" in few


def test_figure_trims_poorly_fitted_placebos_and_labels_the_axis():
    from evalkit.report.synth import TRIM_MSPE, plot_synth

    df = factor_panel(seed=8)
    df.loc[df["area"].isin(["donor_00", "donor_01"]), "crimes"] += 400  # unmatchable donors
    res = run(df)
    fig = plot_synth(res, lang="en", outcome_label="Rate per 100,000")
    top, bottom = fig.axes[:2]
    assert top.get_ylabel() == "Rate per 100,000 per year"
    pre = placebo_table(res).set_index("unit")["pre_rmspe"]
    poor = pre.drop("treated_0") ** 2 > TRIM_MSPE * res.extras.pre_rmspe ** 2
    assert poor["donor_00"] and poor["donor_01"]
    drawn = [line for line in bottom.get_lines() if line.get_color() == "#bdbdbd"
             and len(line.get_xdata()) > 0]
    assert len(drawn) == int((~poor).sum())
    note = " ".join(fig.get_supxlabel().split())
    assert f"Not shown: {int(poor.sum())} of 20 placebo areas" in note
    assert "more than 5 times that of treated_0" in note
    import matplotlib.pyplot as plt

    plt.close(fig)
