"""Goodman-Bacon decomposition: hand-computed 2x2s, the TWFE identity, diagnostic, errors."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data.simulate import simulate_city
from evalkit.designs.bacon import (
    FORBIDDEN_THRESHOLD,
    TYPES,
    BaconDecomposition,
    bacon_decomposition,
)
from evalkit.errors import DataError


def twfe(df: pd.DataFrame, **kw) -> float:
    """The TWFE coefficient from ek.did (warnings about few clusters etc. silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        return float(ek.did(df, **kw).effect("att")["estimate"])


def hand_panel(always: bool = False) -> pd.DataFrame:
    """Six years 2001-2006; y = unit effect + year effect + tau (no noise).

    Early cohort (units e1, e2) from 2003 with a growing effect tau = 1, 2, 3, 4; late cohort
    (unit l1) from 2005 with tau = 5; never-treated unit n1. With ``always``, unit a1 is
    treated in every year with tau = 1, 2, ..., 6.
    """
    tau = {"e1": [0, 0, 1, 2, 3, 4], "e2": [0, 0, 1, 2, 3, 4], "l1": [0, 0, 0, 0, 5, 5],
           "n1": [0] * 6}
    start = {"e1": 2, "e2": 2, "l1": 4, "n1": 6}
    if always:
        tau["a1"] = [1, 2, 3, 4, 5, 6]
        start["a1"] = 0
    unit_fe = {"e1": 3.0, "e2": -1.0, "l1": 0.5, "n1": 2.0, "a1": -2.0}
    year_fe = [0.0, 0.7, -0.4, 1.1, 0.2, 0.9]
    rows = [{"unit": u, "year": 2001 + t, "d": int(t >= start[u]),
             "y": unit_fe[u] + year_fe[t] + tau[u][t]}
            for u in tau for t in range(6)]
    return pd.DataFrame(rows)


def random_panel(seed: int = 1, n_units: int = 24, n_periods: int = 12) -> pd.DataFrame:
    """Noisy panel with cohorts at periods 3, 6 and 9, never-treated units and dynamic effects."""
    rng = np.random.default_rng(seed)
    starts = [3, 6, 9, None]
    rows = []
    for i in range(n_units):
        first = starts[i % 4]
        a = rng.normal(0, 2)
        for t in range(n_periods):
            d = int(first is not None and t >= first)
            effect = (1.0 + 0.3 * (t - first)) * d if first is not None else 0.0
            rows.append({"unit": f"u{i:02d}", "period": f"2020-{t + 1:02d}", "d": d,
                         "y": a + 0.2 * t + effect + rng.normal()})
    return pd.DataFrame(rows)


def decompose(df: pd.DataFrame, **kw) -> BaconDecomposition:
    args = {"outcome": "y", "unit": "unit", "time": "year", "treatment": "d"} | kw
    return bacon_decomposition(df, **args)


def row(bd: BaconDecomposition, treated: str, control: str) -> pd.Series:
    table = bd.table
    hit = table[(table["treated"] == treated) & (table["control"] == control)]
    assert len(hit) == 1, table
    return hit.iloc[0]


# -- hand-made three-cohort example -------------------------------------------------------
def test_hand_example_two_by_two_estimates_and_weights():
    """2x2s by hand (fixed effects cancel in every 2x2, only tau is left):

    * 2003 vs never, 2001-2006: early tau 0,0 | 1,2,3,4 -> 2.5 - 0 = 2.5
    * 2005 vs never, 2001-2006: late tau 0,0,0,0 | 5,5 -> 5
    * 2003 vs 2005 (earlier vs later), 2001-2004: early 0,0 | 1,2 -> 1.5; late flat -> 1.5
    * 2005 vs 2003 (later vs earlier), 2003-2006: late 0,0 | 5,5 -> 5; early 1,2 | 3,4 -> 2;
      5 - 2 = 3 (the early cohort's growing effect is subtracted)

    Weights (unit shares n: early 1/2, late 1/4, never 1/4; treated shares D: 2/3, 1/3, 0):
    n_k n_l (D_k - D_l)(1 - D_k) resp. n_k n_l (D_k - D_l) D_l:
    early-never 1/8 * 2/3 * 1/3 = 1/36, late-never 1/16 * 1/3 * 2/3 = 1/72, early-late
    1/8 * 1/3 * 1/3 = 1/72, late-early 1/8 * 1/3 * 1/3 = 1/72; total 5/72 = V(D~), so
    weights 2/5, 1/5, 1/5, 1/5 and TWFE = 0.4*2.5 + 0.2*5 + 0.2*1.5 + 0.2*3 = 2.9.
    """
    df = hand_panel()
    bd = decompose(df)
    expected = {("2003", "never"): ("treated_vs_never", 2.5, 2 / 5),
                ("2005", "never"): ("treated_vs_never", 5.0, 1 / 5),
                ("2003", "2005"): ("earlier_vs_later", 1.5, 1 / 5),
                ("2005", "2003"): ("later_vs_earlier", 3.0, 1 / 5)}
    assert len(bd.table) == len(expected)
    for (treated, control), (kind, estimate, weight) in expected.items():
        r = row(bd, treated, control)
        assert r["type"] == kind
        assert r["estimate"] == pytest.approx(estimate, abs=1e-12)
        assert r["weight"] == pytest.approx(weight, abs=1e-12)
    assert bd.twfe == pytest.approx(2.9, abs=1e-12)
    assert twfe(df, outcome="y", unit="unit", time="year", treatment="d") == pytest.approx(
        2.9, abs=1e-8)
    assert bd.forbidden_share == pytest.approx(0.2, abs=1e-12)
    summary = bd.summary.set_index("type")
    assert list(summary.index) == ["treated_vs_never", "earlier_vs_later", "later_vs_earlier"]
    assert summary.loc["treated_vs_never", "weight"] == pytest.approx(0.6)
    assert summary.loc["treated_vs_never", "estimate"] == pytest.approx((0.4 * 2.5 + 0.2 * 5)
                                                                        / 0.6)
    assert summary["n_comparisons"].tolist() == [2, 1, 1]


def test_hand_example_with_an_always_treated_unit():
    """Adding a1 (treated throughout, tau = 1..6), shares 2/5, 1/5, 1/5, 1/5 (early, late,
    never, always). New comparisons, always-treated as control over the whole panel:

    * 2003 vs always: early 0,0 | 1,2,3,4 -> 2.5; always 1,2 | 3,4,5,6 -> 3; -0.5
    * 2005 vs always: late 0,0,0,0 | 5,5 -> 5; always 1..4 | 5,6 -> 3; 2

    Unnormalised weights (x 225/2): early-never 2, late-never 1, early-late 1, late-early 1,
    early-always (2/5 * 1/5 * 1/3 * 2/3) 2, late-always (1/5 * 1/5 * 2/3 * 1/3) 1; total 8.
    TWFE = (2*2.5 + 5 + 1.5 + 3 + 2*(-0.5) + 2) / 8 = 15.5 / 8 = 1.9375.
    """
    df = hand_panel(always=True)
    bd = decompose(df)
    expected = {("2003", "never"): (2.5, 2), ("2005", "never"): (5.0, 1),
                ("2003", "2005"): (1.5, 1), ("2005", "2003"): (3.0, 1),
                ("2003", "always"): (-0.5, 2), ("2005", "always"): (2.0, 1)}
    assert len(bd.table) == len(expected)
    for (treated, control), (estimate, weight) in expected.items():
        r = row(bd, treated, control)
        assert r["estimate"] == pytest.approx(estimate, abs=1e-12)
        assert r["weight"] == pytest.approx(weight / 8, abs=1e-12)
    assert set(bd.table.loc[bd.table["control"] == "always", "type"]) == {"treated_vs_always"}
    assert bd.twfe == pytest.approx(1.9375, abs=1e-12)
    assert twfe(df, outcome="y", unit="unit", time="year", treatment="d") == pytest.approx(
        1.9375, abs=1e-8)
    # already-treated controls: later-vs-earlier (1/8) and both treated-vs-always (3/8)
    assert bd.forbidden_share == pytest.approx(0.5, abs=1e-12)
    assert not bd.diagnostic().passed
    assert bd.summary["type"].tolist() == list(TYPES)


# -- the identity ---------------------------------------------------------------------------
def identity_holds(df: pd.DataFrame, **kw) -> BaconDecomposition:
    bd = bacon_decomposition(df, **kw)
    total = float((bd.table["weight"] * bd.table["estimate"]).sum())
    assert bd.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (bd.table["weight"] > 0).all()
    assert total == pytest.approx(bd.twfe, abs=1e-10)
    assert total == pytest.approx(twfe(df, **kw), abs=1e-8)
    summary = bd.summary
    assert float((summary["weight"] * summary["estimate"]).sum()) == pytest.approx(total,
                                                                                  abs=1e-12)
    return bd


def test_identity_on_the_simulated_city():
    city = simulate_city(roll_out="staggered", seed=7).data
    city = city.assign(log_burglary=np.log(city["burglary"] + 1))
    bd = identity_holds(city, outcome="log_burglary", unit="district", time="month",
                        treatment="partnership")
    assert set(bd.table["type"]) == {"treated_vs_never", "earlier_vs_later", "later_vs_earlier"}
    cohorts = {"2021-01", "2021-07", "2022-01"}
    assert set(bd.table["treated"]) == cohorts
    assert set(bd.table["control"]) == cohorts | {"never"}
    assert 0 < bd.forbidden_share < 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_identity_on_random_panels(seed):
    identity_holds(random_panel(seed), outcome="y", unit="unit", time="period", treatment="d")


def test_each_two_by_two_is_the_twfe_on_its_own_subsample():
    """The definition behind the weights (and R bacondecomp's construction): each 2x2 is the
    TWFE coefficient on the two groups' units over the comparison's window."""
    df = random_panel(4)
    df["t"] = df["period"].str[-2:].astype(int) - 1
    first = df[df["d"] == 1].groupby("unit")["t"].min()
    df["cohort"] = df["unit"].map(first).fillna(99).astype(int)
    label = {3: "2020-04", 6: "2020-07", 9: "2020-10", 99: "never"}
    code = {v: k for k, v in label.items()}
    bd = decompose(df, time="period")
    assert len(bd.table) == 3 + 3 + 3
    for r in bd.table.itertuples():
        k, c = code[r.treated], code[r.control]
        sub = df[df["cohort"].isin([k, c])]
        if r.type == "earlier_vs_later":
            sub = sub[sub["t"] < c]
        elif r.type == "later_vs_earlier":
            sub = sub[sub["t"] >= c]
        sub = sub.assign(d=(sub["cohort"] == k) & (sub["t"] >= k)).astype({"d": int})
        assert r.estimate == pytest.approx(
            twfe(sub, outcome="y", unit="unit", time="period", treatment="d"), abs=1e-8)


def test_result_does_not_depend_on_row_order_or_period_format():
    df = random_panel(5)
    a = decompose(df, time="period")
    shuffled = df.sample(frac=1, random_state=0).reset_index(drop=True)
    shuffled["period"] = pd.to_datetime(shuffled["period"] + "-01")
    b = decompose(shuffled, time="period")
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, atol=1e-12)
    assert a.twfe == pytest.approx(b.twfe, abs=1e-12)


def test_reads_a_csv_path(tmp_path):
    path = tmp_path / "panel.csv"
    hand_panel().to_csv(path, index=False)
    assert decompose(str(path)).twfe == pytest.approx(2.9, abs=1e-12)


def test_single_cohort_with_never_treated_is_plain_did():
    df = hand_panel()
    df = df[df["unit"] != "l1"]
    bd = decompose(df)
    assert bd.table[["type", "treated", "control"]].values.tolist() == [
        ["treated_vs_never", "2003", "never"]]
    assert bd.table["weight"].tolist() == [pytest.approx(1.0)]
    assert bd.forbidden_share == 0.0
    assert bd.diagnostic().passed


# -- result object and diagnostic ----------------------------------------------------------
def test_result_is_frozen_and_tidy():
    bd = decompose(hand_panel())
    with pytest.raises(dataclasses.FrozenInstanceError):
        bd.twfe = 0.0  # type: ignore[misc]
    assert list(bd.table.columns) == ["type", "treated", "control", "estimate", "weight"]
    assert list(bd.summary.columns) == ["type", "n_comparisons", "weight", "estimate"]


def test_diagnostic_fields_and_threshold():
    bd = decompose(hand_panel())  # forbidden share 0.2
    diag = bd.diagnostic()
    assert isinstance(diag, ek.Diagnostic)
    assert diag.name == "bacon"
    assert diag.statistic == pytest.approx(0.2)
    assert math.isnan(diag.p_value)
    assert diag.passed is False
    assert FORBIDDEN_THRESHOLD == 0.10
    assert "20.0%" in diag.message and "10%" in diag.message
    pd.testing.assert_frame_equal(diag.table, bd.summary)
    assert diag.to_dict()["p_value"] is None
    assert bd.diagnostic(threshold=0.25).passed is True


# -- errors ----------------------------------------------------------------------------------
def test_error_missing_column():
    with pytest.raises(DataError, match=r"Expected a column 'dd'.*Did you mean 'd'"):
        decompose(hand_panel(), treatment="dd")


def test_error_missing_outcome_value():
    df = hand_panel()
    df.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match="Column 'y' must have a value in every row"):
        decompose(df)


def test_error_missing_unit():
    df = hand_panel().astype({"unit": object})
    df.loc[3, "unit"] = None
    with pytest.raises(DataError, match="Column 'unit' must name the unit in every row"):
        decompose(df)


def test_error_unreadable_period():
    df = hand_panel().astype({"year": object})
    df.loc[0, "year"] = "someday"
    with pytest.raises(DataError, match="Column 'year' must hold dates or periods"):
        decompose(df)


def test_error_duplicated_unit_period():
    df = hand_panel()
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"Expected one row per \(unit, year\)"):
        decompose(df)


def test_error_treated_share_is_not_binary():
    df = hand_panel().astype({"d": float})
    df.loc[2, "d"] = 0.5
    with pytest.raises(DataError, match=r"Column 'd' must be binary \(0/1\) for the Bacon "
                                        r"decomposition, but found 1 other value: row 2 \(0.5\)"):
        decompose(df)


def test_error_treatment_switches_off():
    df = hand_panel()
    df.loc[(df["unit"] == "e1") & (df["year"] == 2006), "d"] = 0
    with pytest.raises(DataError, match=r"needs an absorbing treatment.*unit 'e1' on from 2003"):
        decompose(df)


def test_error_unbalanced_panel():
    df = hand_panel()
    df = df[~((df["unit"] == "n1") & (df["year"] == 2002))]
    with pytest.raises(DataError, match=r"needs a balanced panel .*unit 'n1' \(5 of 6\)"):
        decompose(df)


def test_error_never_treated():
    df = hand_panel().assign(d=0)
    with pytest.raises(DataError, match="Column 'd' is 0 everywhere: no unit is ever treated"):
        decompose(df)


def test_error_single_cohort_without_comparison():
    df = hand_panel()
    df = df[df["unit"].isin(["e1", "e2"])]
    with pytest.raises(DataError, match=r"not identified, because every unit starts treatment "
                                        r"in the same period \(2003\)"):
        decompose(df)


def test_error_only_always_and_never_treated():
    df = hand_panel(always=True)
    df = df[df["unit"].isin(["a1", "n1"])]
    with pytest.raises(DataError, match="not identified, because units are either treated in "
                                        "every period or never treated"):
        decompose(df)


def test_error_everyone_always_treated():
    df = hand_panel().assign(d=1)
    with pytest.raises(DataError, match="not identified, because every unit is treated in "
                                        "every period"):
        decompose(df)
