"""2x2 difference-in-differences against Wooldridge, *Introductory Econometrics: A Modern
Approach*, Chapter 13 (Examples 13.3 and 13.4; the numbers are the same in the 4th-7th
editions).

Data: kielmc.csv and injury.csv from the ``wooldridge`` package (MIT). Published coefficients
and classical OLS standard errors are compared to the printed precision (half a unit of the
last printed digit). Independent check: tests/reference/scripts/wooldridge_ch13.py
(statsmodels OLS) reproduces every number below.
"""

from __future__ import annotations

import pytest

import evalkit as ek


def _check(row, estimate: float, std_error: float, printed: float) -> None:
    tol = printed / 2
    assert row["estimate"] == pytest.approx(estimate, abs=tol)
    assert row["std_error"] == pytest.approx(std_error, abs=tol)


def test_example_13_3_incinerator_no_controls(load_reference, get_row):
    """Example 13.3 (Kiel & McClain incinerator, 1978/1981): rprice on y81, nearinc,
    y81*nearinc. Book: delta1 = -11,863.90 (se 7,456.65), n = 321, R2 = .174."""
    df = load_reference("kielmc.csv")
    res = ek.did(df, outcome="rprice", treated="nearinc", post="y81", se="classical")
    _check(get_row(res, "att"), -11863.90, 7456.65, printed=0.01)


def test_example_13_3_incinerator_age_controls(load_reference, get_row):
    """Example 13.3, adding age and age^2. Book: delta1 = -21,920.27 (se 6,359.75),
    R2 = .414."""
    df = load_reference("kielmc.csv")
    res = ek.did(
        df,
        outcome="rprice",
        treated="nearinc",
        post="y81",
        covariates=("age", "agesq"),
        se="classical",
    )
    _check(get_row(res, "att"), -21920.27, 6359.75, printed=0.01)


def test_example_13_3_incinerator_full_controls(load_reference, get_row):
    """Example 13.3, adding age, age^2, intst, land, area, rooms, baths.
    Book: delta1 = -14,177.93 (se 4,987.27), R2 = .660."""
    df = load_reference("kielmc.csv")
    res = ek.did(
        df,
        outcome="rprice",
        treated="nearinc",
        post="y81",
        covariates=("age", "agesq", "intst", "land", "area", "rooms", "baths"),
        se="classical",
    )
    _check(get_row(res, "att"), -14177.93, 4987.27, printed=0.01)


def test_example_13_4_injury_kentucky(load_reference, get_row):
    """Example 13.4 (Meyer, Viscusi & Durbin 1995 workers' compensation), Kentucky only,
    equation (13.12): log(durat) on afchnge, highearn, afchnge*highearn.
    Book: .191 (se .069), n = 5,626, R2 = .021."""
    df = load_reference("injury.csv")
    ky = df[df["ky"] == 1].reset_index(drop=True)
    assert len(ky) == 5626
    res = ek.did(ky, outcome="ldurat", treated="highearn", post="afchnge", se="classical")
    _check(get_row(res, "att"), 0.191, 0.069, printed=0.001)
    # The book's coefficient is reproduced by OLS on the shipped file to 1e-6.
    row = get_row(res, "att")
    assert row["estimate"] == pytest.approx(0.190601, abs=1e-6)
    assert row["std_error"] == pytest.approx(0.068509, abs=1e-6)


def test_example_13_3_is_additive_scale(load_reference, get_row):
    """An OLS DiD reports an additive effect whose CI brackets the estimate."""
    df = load_reference("kielmc.csv")
    res = ek.did(df, outcome="rprice", treated="nearinc", post="y81", se="classical")
    row = get_row(res, "att")
    assert row["scale"] == "additive"
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
