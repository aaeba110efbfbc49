import dataclasses

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DataError, SpecError
from evalkit.indicators import HarmWeights, harm_total, load_harm_weights

WEIGHTS = pd.DataFrame({"offence_code": ["BUR", "ROB", "HOM", "SHO"], "days": [40, 365, 5000, 2]})


@pytest.fixture
def weights():
    return load_harm_weights(
        WEIGHTS, code="offence_code", weight="days", name="test index", version_date="2024-04"
    )


@pytest.fixture
def crimes():
    return pd.DataFrame(
        {
            "area": ["north", "north", "north", "south", "south"],
            "offence": ["BUR", "HOM", "SHO", "BUR", "ROB"],
            "n": [10, 1, 50, 4, 2],
        }
    )


def test_load_copies_and_normalises(weights):
    before = WEIGHTS.copy()
    assert list(weights.table.columns) == ["code", "weight"]
    assert weights.table["weight"].dtype == float
    weights.table.loc[0, "weight"] = 0.0
    pd.testing.assert_frame_equal(WEIGHTS, before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        weights.name = "other"


def test_load_from_csv(tmp_path):
    path = tmp_path / "weights.csv"
    WEIGHTS.to_csv(path, index=False)
    w = load_harm_weights(
        path, code="offence_code", weight="days", name="csv", version_date="2023-01-15"
    )
    assert w.table.set_index("code")["weight"].to_dict() == {
        "BUR": 40.0,
        "ROB": 365.0,
        "HOM": 5000.0,
        "SHO": 2.0,
    }


def test_harm_total_by_group_hand_computed(weights, crimes):
    before = crimes.copy()
    out = harm_total(crimes, offence="offence", count="n", weights=weights, by="area")
    pd.testing.assert_frame_equal(crimes, before)
    assert list(out.columns) == ["area", "count", "harm", "harm_share_top", "top_offence"]
    # north: 10*40 + 1*5000 + 50*2 = 5500, top = HOM 5000/5500; south: 4*40 + 2*365 = 890
    np.testing.assert_allclose(out["count"], [61, 6])
    np.testing.assert_allclose(out["harm"], [5500, 890])
    np.testing.assert_allclose(out["harm_share_top"], [5000 / 5500, 730 / 890])
    assert out["top_offence"].tolist() == ["HOM", "ROB"]
    assert out.attrs == {"harm_weights": "test index", "harm_weights_version": "2024-04"}


def test_harm_total_incident_level_equals_aggregated(weights, crimes):
    incidents = crimes.loc[crimes.index.repeat(crimes["n"]), ["area", "offence"]]
    a = harm_total(incidents, offence="offence", weights=weights, by=["area"])
    b = harm_total(crimes, offence="offence", count="n", weights=weights, by=["area"])
    pd.testing.assert_frame_equal(a, b)
    total = harm_total(crimes, offence="offence", count="n", weights=weights)
    assert total["harm"].iloc[0] == pytest.approx(6390)


def test_numeric_codes_match_string_codes():
    w = load_harm_weights(
        pd.DataFrame({"code": ["110", "486"], "weight": [1000, 3]}), name="x", version_date="2020"
    )
    out = harm_total(pd.DataFrame({"iucr": [110, 486, 486]}), offence="iucr", weights=w)
    assert out["harm"].iloc[0] == 1006


def test_unweighted_codes_listed_with_fix(weights, crimes):
    bad = pd.concat([crimes, pd.DataFrame({"area": ["x"], "offence": ["ARS"], "n": [1]})])
    with pytest.raises(DataError, match=r"1 offence code\(s\).*\['ARS'\]. Add them to the weight"):
        harm_total(bad, offence="offence", count="n", weights=weights)


@pytest.mark.parametrize(
    ("table", "kwargs", "err", "match"),
    [
        (pd.DataFrame({"code": ["A", "A"], "weight": [1, 2]}), {}, DataError, "duplicate"),
        (pd.DataFrame({"code": ["A", "B"], "weight": [1, -2]}), {}, DataError, "non-negative"),
        (pd.DataFrame({"code": ["A", "B"], "weight": [1, None]}), {}, DataError, "must be numbers"),
        (pd.DataFrame({"code": ["A", None], "weight": [1, 2]}), {}, DataError, "no offence code"),
        (pd.DataFrame({"cd": ["A"], "weight": [1]}), {}, DataError, r"column 'code'.*mean 'cd'"),
        (
            pd.DataFrame({"code": ["A"], "weight": [1]}),
            {"version_date": "April"},
            SpecError,
            "version_date must be",
        ),
        (pd.DataFrame({"code": ["A"], "weight": [1]}), {"name": " "}, SpecError, "name the harm"),
    ],
)
def test_weight_table_errors(table, kwargs, err, match):
    args = {"name": "w", "version_date": "2024-01-01", **kwargs}
    with pytest.raises(err, match=match):
        load_harm_weights(table, **args)


def test_direct_construction_is_validated():
    with pytest.raises(DataError, match="duplicate"):
        HarmWeights(pd.DataFrame({"code": ["A", "A"], "weight": [1, 1]}), "w", "2024")


def test_harm_total_errors(weights, crimes):
    with pytest.raises(DataError, match="non-negative numbers"):
        harm_total(crimes.assign(n=-crimes["n"]), offence="offence", count="n", weights=weights)
    with pytest.raises(DataError, match="missing offence codes"):
        harm_total(crimes.assign(offence=None), offence="offence", weights=weights)
    with pytest.raises(DataError, match=r"column 'zone', but the data has no such"):
        harm_total(crimes, offence="offence", weights=weights, by="zone")
    with pytest.raises(SpecError, match="HarmWeights"):
        harm_total(crimes, offence="offence", weights=WEIGHTS)
