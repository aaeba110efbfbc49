import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitWarning
from evalkit.indicators import (
    harm_total,
    load_harm_weights,
    rate,
    rate_change,
    reoffending_rates,
    survey_share,
)

SETTINGS = settings(max_examples=60, deadline=None)
counts = st.lists(st.integers(0, 10_000), min_size=1, max_size=20)
scale = st.floats(1e-3, 1e3)


@SETTINGS
@given(counts, st.floats(1.0, 1e6), scale)
def test_scaling_exposure_divides_rate_and_ci(x, exposure, k):
    base = rate(x, exposure, per=1)
    scaled = rate(x, exposure * k, per=1)
    for col in ("rate", "ci_low", "ci_high"):
        np.testing.assert_allclose(scaled[col], base[col] / k, rtol=1e-9, atol=0)


@SETTINGS
@given(st.integers(0, 500), st.integers(0, 500), st.floats(1.0, 1e5), scale)
def test_scaling_exposure_after_divides_rate_ratio_and_ci(xb, xa, e, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        for method in ("exact", "wald"):
            base = rate_change(xb, e, xa, e, method=method)
            scaled = rate_change(xb, e, xa, e * k, method=method)
            for col in ("rate_ratio", "ci_low", "ci_high"):
                np.testing.assert_allclose(scaled[col], base[col] / k, rtol=1e-8)
            np.testing.assert_allclose(scaled["p_value"].isna(), base["p_value"].isna())


@SETTINGS
@given(counts, st.randoms(use_true_random=False))
def test_rate_rows_follow_input_order(x, rnd):
    order = list(range(len(x)))
    rnd.shuffle(order)
    base = rate(x, 1000.0)
    shuffled = rate([x[i] for i in order], 1000.0)
    np.testing.assert_allclose(shuffled.to_numpy(), base.to_numpy()[order])


survey_rows = st.lists(
    st.tuples(
        st.sampled_from(["g1", "g2", "g3"]),
        st.sampled_from(["unsafe", "safe", "very unsafe", None]),
        st.floats(0.1, 5.0),
        st.sampled_from(["s1", "s2"]),
        st.integers(0, 3),
    ),
    min_size=20,
    max_size=80,
)
RELABEL = {"g1": "zeta", "g2": "alpha", "g3": "mu"}


def _survey_frame(rows):
    df = pd.DataFrame(rows, columns=["grp", "resp", "w", "stratum", "psu"])
    # every stratum gets at least two PSUs so the design is estimable
    df = pd.concat(
        [
            df,
            pd.DataFrame(
                {
                    "grp": "g1",
                    "resp": "safe",
                    "w": 1.0,
                    "stratum": ["s1", "s1", "s2", "s2"],
                    "psu": [8, 9, 8, 9],
                }
            ),
        ]
    )
    return df.reset_index(drop=True)


@SETTINGS
@given(survey_rows, st.randoms(use_true_random=False))
def test_survey_invariant_to_row_order_and_group_labels(rows, rnd):
    df = _survey_frame(rows)
    kw = {"response": "resp", "weight": "w", "by": "grp", "strata": "stratum", "psu": "psu"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        base = survey_share(df, **kw).set_index("grp")
        perm = df.sample(frac=1, random_state=rnd.randint(0, 2**31))
        shuffled = survey_share(perm, **kw).set_index("grp")
        relabelled = survey_share(df.assign(grp=df["grp"].map(RELABEL)), **kw)
    pd.testing.assert_frame_equal(shuffled, base, rtol=1e-9)
    back = {v: k for k, v in RELABEL.items()}
    relabelled = relabelled.assign(grp=relabelled["grp"].map(back)).set_index("grp")
    pd.testing.assert_frame_equal(relabelled.loc[base.index], base, rtol=1e-9)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]), st.sampled_from(["X", "Y", "Z"]), st.integers(0, 50)
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
def test_harm_invariant_to_row_order(rows, rnd):
    weights = load_harm_weights(
        pd.DataFrame({"code": ["X", "Y", "Z"], "weight": [1, 7.5, 300]}),
        name="w",
        version_date="2024",
    )
    df = pd.DataFrame(rows, columns=["area", "off", "n"])
    base = harm_total(df, offence="off", count="n", weights=weights, by="area")
    perm = df.sample(frac=1, random_state=rnd.randint(0, 2**31))
    shuffled = harm_total(perm, offence="off", count="n", weights=weights, by="area")
    pd.testing.assert_frame_equal(shuffled, base, check_exact=False, rtol=1e-12)


@SETTINGS
@given(
    st.lists(st.tuples(st.sampled_from(["t", "c"]), st.integers(0, 4)), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_reoffending_invariant_to_order_and_labels(rows, rnd):
    df = pd.DataFrame(rows, columns=["grp", "events"]).assign(r=lambda d: (d["events"] > 0) * 1)
    kw = {"reoffended": "r", "events": "events", "group": "grp"}
    base = reoffending_rates(df, **kw).set_index("grp")
    perm = df.sample(frac=1, random_state=rnd.randint(0, 2**31))
    pd.testing.assert_frame_equal(reoffending_rates(perm, **kw).set_index("grp"), base)
    renamed = reoffending_rates(df.assign(grp=df["grp"].map({"t": "treated", "c": "comp"})), **kw)
    renamed = renamed.assign(grp=renamed["grp"].map({"treated": "t", "comp": "c"}))
    pd.testing.assert_frame_equal(renamed.set_index("grp").loc[base.index], base)
