"""The balanced-panel fast paths give the same numbers as the general path (1e-8).

On a complete unit × period grid the two-way demeaning is done in closed form (OLS) or by
row/column reductions of the grid (Poisson IRLS weights), and the event study's dummies
never become an n × K matrix (``fit_grid_dummies``); elsewhere alternating projections over
integer codes are used. Forcing the general path (``grid_cells`` returning None) must not
change any estimate, standard error or interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.core import absorb, fit

TOL = 1e-8


def _panel(n_units: int = 40, n_periods: int = 24, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    start = rng.choice([0, 8, 12, 16], n_units)[unit]
    d = ((start > 0) & (t >= start)).astype(float)
    months = pd.period_range("2019-01", periods=n_periods, freq="M").astype(str)
    y = rng.normal(size=n_units)[unit] + 0.1 * t + 0.5 * d + rng.normal(size=len(unit))
    lam = np.exp(1.5 + 0.3 * rng.normal(size=n_units)[unit] + 0.02 * t - 0.25 * d)
    cohort = np.where(start > 0, months.to_numpy()[np.minimum(start, n_periods - 1)], "never")
    return pd.DataFrame({"area": [f"a{u:02d}" for u in unit], "month": months[t], "y": y,
                         "count": rng.poisson(lam), "d": d, "cohort": cohort,
                         "pop": rng.uniform(1, 3, n_units)[unit],
                         "region": [f"r{u % 7}" for u in unit],
                         "half": np.where(t < n_periods // 2, "early", "late")})


def _unbalanced(df: pd.DataFrame) -> pd.DataFrame:
    """Missing cells: some rows dropped, one outcome missing (dropped with a note)."""
    out = df.drop(index=[3, 50, 51, 200, 611])
    out.loc[17, "y"] = np.nan  # by label: the same row when the frame is shuffled
    return out


def _zero_area(df: pd.DataFrame) -> pd.DataFrame:
    """One area with only zero counts: Poisson drops its rows, the grid is incomplete."""
    return df.assign(count=np.where(df["area"] == "a05", 0, df["count"]))


@pytest.fixture
def general_path(monkeypatch):
    """Disable the complete-grid detection, so every fit takes alternating projections."""
    def force():
        import evalkit.designs.did as did_module
        for module in (absorb, fit, did_module):  # every caller of grid_cells
            monkeypatch.setattr(module, "grid_cells", lambda fixed_effects: None)
    return force


def _numbers(res: ek.EvaluationResult) -> np.ndarray:
    cols = ["estimate", "std_error", "ci_low", "ci_high", "p_value"]
    return res.tidy()[cols].to_numpy(float)


CASES = {
    "twfe_ols": lambda df: ek.did(df, outcome="y", unit="area", time="month", treatment="d",
                                  inference="cluster"),
    "twfe_weighted": lambda df: ek.did(df, outcome="y", unit="area", time="month",
                                       treatment="d", weights="pop", inference="cluster"),
    "twfe_poisson": lambda df: ek.did(df, outcome="count", unit="area", time="month",
                                      treatment="d", family="poisson", inference="cluster"),
    "event_study": lambda df: ek.event_study(df, outcome="y", unit="area", time="month",
                                             cohort="cohort", leads=4, lags=6),
    "event_study_full_window": lambda df: ek.event_study(df, outcome="y", unit="area",
                                                         time="month", cohort="cohort"),
    "event_study_region_clusters": lambda df: ek.event_study(
        df, outcome="y", unit="area", time="month", cohort="cohort", leads=3, lags=5,
        cluster="region"),
    "event_study_clusters_split_units": lambda df: ek.event_study(
        df, outcome="y", unit="area", time="month", cohort="cohort", leads=3, lags=5,
        cluster="half"),
    "event_study_weighted": lambda df: ek.event_study(df, outcome="y", unit="area",
                                                      time="month", cohort="cohort", leads=4,
                                                      lags=6, weights="pop"),
    # unbalanced panels: the grid check must send these to the general path as well; an
    # incomplete grid wrongly taken for complete would give different numbers here
    "event_study_unbalanced": lambda df: ek.event_study(_unbalanced(df), outcome="y",
                                                        unit="area", time="month",
                                                        cohort="cohort", leads=4, lags=6),
    "twfe_unbalanced": lambda df: ek.did(_unbalanced(df), outcome="y", unit="area",
                                         time="month", treatment="d", inference="cluster"),
    "twfe_poisson_dropped_area": lambda df: ek.did(_zero_area(df), outcome="count",
                                                   unit="area", time="month", treatment="d",
                                                   family="poisson", inference="cluster"),
}


@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_equals_general_path(case, general_path):
    df = _panel()
    fast = _numbers(CASES[case](df))
    shuffled = _numbers(CASES[case](df.sample(frac=1, random_state=1)))
    general_path()
    slow = _numbers(CASES[case](df))
    np.testing.assert_allclose(fast, slow, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(shuffled, slow, rtol=TOL, atol=TOL)


@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("case", ["twfe_ols", "twfe_poisson_dropped_area", "event_study"])
def test_fast_path_keeps_series_sample_and_warnings(case, general_path):
    df = _panel()
    fast = CASES[case](df)
    general_path()
    slow = CASES[case](df)
    pd.testing.assert_frame_equal(fast.series, slow.series, rtol=TOL, atol=TOL)
    assert fast.sample == slow.sample
    assert [w.code for w in fast.warnings] == [w.code for w in slow.warnings]
    assert fast.provenance["data_sha256"] == slow.provenance["data_sha256"]


@pytest.mark.parametrize("ordered", [False, True])
def test_grid_dummies_equal_the_dense_fit(ordered):
    rng = np.random.default_rng(5)
    n_a, n_b, n_k = 25, 9, 4
    a = np.repeat(np.arange(n_a), n_b)
    b = np.tile(np.arange(n_b), n_a)
    if not ordered:
        perm = rng.permutation(len(a))
        a, b = a[perm], b[perm]
    codes = np.where(a % 3 == 0, -1, (a + b) % (n_k + 1) - 1)  # exclusive, -1 = none
    y = rng.normal(size=len(a)) + a - 0.3 * b
    x = np.zeros((len(a), n_k))
    x[codes >= 0, codes[codes >= 0]] = 1.0
    names = [f"k{j}" for j in range(n_k)]
    cells = absorb.grid_cells([a, b])
    for clusters in (a, a // 5):
        fast = fit.fit_grid_dummies(y, codes, names, fixed_effects=[a, b], cells=cells,
                                        clusters=clusters)
        slow = fit.fit(y, x, names, fixed_effects=[a, b], clusters=clusters, cells=None)
        for field in ("params", "vcov", "resid", "fitted"):
            np.testing.assert_allclose(getattr(fast, field), getattr(slow, field),
                                       rtol=TOL, atol=TOL)
        assert (fast.n, fast.k, fast.n_clusters, fast.df_t, fast.vcov_label) == \
            (slow.n, slow.k, slow.n_clusters, slow.df_t, slow.vcov_label)
    # clusters that split a unit: no fast path
    assert fit.fit_grid_dummies(y, codes, names, fixed_effects=[a, b], cells=cells,
                                    clusters=b % 2) is None


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ordered", [False, True])
def test_grid_demeaning_equals_alternating_projections(weighted, ordered):
    rng = np.random.default_rng(7)
    n_a, n_b = 30, 11
    a = np.repeat(np.arange(n_a), n_b)
    b = np.tile(np.arange(n_b), n_a)
    if not ordered:
        perm = rng.permutation(len(a))
        a, b = a[perm], b[perm]
    x = rng.normal(size=(len(a), 3)) + 5 * a[:, None] - 2 * b[:, None]
    w = rng.uniform(0.1, 10, len(a)) if weighted else None
    fast = absorb.demean(x, [a, b], w)
    slow = absorb.demean(x, [a, b], w, cells=None)
    np.testing.assert_allclose(fast, slow, atol=TOL)
    # the residuals are orthogonal to both sets of dummies
    ww = np.ones(len(a)) if w is None else w
    for codes in (a, b):
        sums = np.stack([np.bincount(codes, weights=ww * fast[:, j]) for j in range(3)])
        np.testing.assert_allclose(sums, 0, atol=1e-8)


def test_grid_detection_rejects_incomplete_or_repeated_cells():
    a = np.array([0, 0, 1, 1])
    assert absorb.grid_cells([a, np.array([0, 1, 0, 1])]) is not None
    assert absorb.grid_cells([a, np.array([0, 0, 1, 1])]) is None  # repeated cells
    assert absorb.grid_cells([a[:3], np.array([0, 1, 0])]) is None  # a missing cell
    assert absorb.grid_cells([a]) is None  # one fixed effect


def test_warm_started_demeaning_gives_the_same_residuals():
    rng = np.random.default_rng(11)
    a = rng.integers(0, 25, 600)
    b = rng.integers(0, 9, 600)  # unbalanced: alternating projections
    x = rng.normal(size=(600, 2))
    w = rng.uniform(0.5, 2, 600)
    start = x - (3.0 * (a == 4) - 1.5 * (b == 2))[:, None]  # x minus fixed effects
    np.testing.assert_allclose(absorb.demean(x, [a, b], w, start=start),
                               absorb.demean(x, [a, b], w), atol=1e-9)


def test_coded_periods_match_to_periods_and_period_codes():
    from evalkit.data.periods import coded_periods, period_codes, to_periods

    values = pd.Series(["2020-03", "2019-12", "2020-01", "2019-12", "2021-07"],
                       index=[4, 0, 2, 9, 7])
    coded = coded_periods(values, column="month")
    periods, freq = to_periods(values, column="month")
    codes, labels = period_codes(periods)
    pd.testing.assert_series_equal(coded.periods, periods)
    assert coded.freq == freq == "M"
    np.testing.assert_array_equal(coded.codes, codes)
    assert coded.labels.equals(labels)
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-01-01"]))
    coded = coded_periods(dates)
    assert list(coded.codes) == [0, 1, 0] and coded.freq == "M"


def test_fingerprint_hashes_arrow_text_by_its_buffers():
    pa = pytest.importorskip("pyarrow")
    from evalkit.data.io import data_fingerprint

    text = pd.Series(["2019-01", "2019-02", "", "2019-10"] * 50, dtype="string[pyarrow]")
    df = pd.DataFrame({"month": text, "y": np.arange(200.0)})
    digest = data_fingerprint(df)
    whole = text.array._pa_array.combine_chunks()
    pieces = pa.chunked_array([whole.slice(0, 7), whole.slice(7, 0), whole.slice(7)])
    split = df.assign(month=pd.array(pieces, dtype="string[pyarrow]"))
    assert split["month"].array._pa_array.num_chunks > 1
    assert data_fingerprint(split) == digest  # how Arrow chunks the column does not matter
    assert data_fingerprint(df.copy()) == digest
    for changed in (df.assign(month=df["month"].replace("2019-02", "2019-03")),
                    df.assign(month=df["month"].replace("", "x")),
                    df.assign(month=df["month"].where(df.index != 3)),  # a missing value
                    df.iloc[::-1],  # order (and index)
                    df.set_axis(np.arange(1, 201)),  # index only
                    df.assign(month=df["month"].astype(object))):  # dtype only
        assert data_fingerprint(changed) != digest
    # moving a character from one string to the next changes the offsets
    a = pd.DataFrame({"s": pd.Series(["ab", "c"], dtype="string[pyarrow]")})
    b = pd.DataFrame({"s": pd.Series(["a", "bc"], dtype="string[pyarrow]")})
    assert data_fingerprint(a) != data_fingerprint(b)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_staggered_factored_influence_equals_dense(control_group, base_period):
    """Without covariates the ATT(g,t) influence functions stay factored by unit type; their
    sums of squares, cross-products and bootstrap products equal those of the n × K matrix
    built cell by cell as R did does."""
    from evalkit.designs.staggered import aggregation, att_gt, preparation

    df = _panel(n_units=60, n_periods=14, seed=9)
    df["cohort"] = df["cohort"].where(df["cohort"] <= "2019-12", "never")
    panel = preparation._prepare(df, outcome="y", unit="area", time="month", cohort="cohort",
                                 covariates=[], control_group=control_group, anticipation=0)
    cells = att_gt._att_gt(panel, control_group=control_group, method="dr", anticipation=0,
                           base_period=base_period)
    assert cells.inf is None and cells.by_type is not None
    n, n_cells = panel.n, len(cells.att)
    kind = np.where(panel.g_idx >= 0, panel.g_idx, len(panel.cohort_ords))
    inf = np.zeros((n, n_cells))
    ords = panel.ords
    for k in range(n_cells):
        t, b, g = cells.t[k], cells.base[k], cells.g[k]
        if t == b:
            continue  # universal base: the reference cell
        late, early = (t, b) if ords[t] > ords[b] else (b, t)
        dy = panel.y[:, late] - panel.y[:, early]
        treated = kind == g
        later = ords[max(t, b)]
        if control_group == "never_treated":
            control = kind == len(panel.cohort_ords)
        else:
            control = (panel.g_idx < 0) | ((panel.cohort_ords[np.maximum(panel.g_idx, 0)]
                                             > later) & (kind != g))
        m1, m0 = dy[treated].mean(), dy[control].mean()
        assert cells.att[k] == pytest.approx(m1 - m0, abs=1e-12)
        inf[treated, k] = n / treated.sum() * (dy[treated] - m1)
        inf[control, k] = -n / control.sum() * (dy[control] - m0)
    _, lin, shares = aggregation._aggregate(panel, cells, balance_e=None)
    full_lin = np.hstack([np.eye(n_cells), lin])
    full_shares = np.hstack([np.zeros((len(shares), n_cells)), shares])
    onehot = np.zeros((n, len(shares)))
    onehot[panel.g_idx >= 0, panel.g_idx[panel.g_idx >= 0]] = 1.0
    z = inf @ full_lin + onehot @ full_shares
    scores = att_gt._Influence(cells, panel, full_lin, full_shares)
    np.testing.assert_allclose(scores.sum_squares(), (z**2).sum(axis=0), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(scores.cross(), z.T @ z, rtol=TOL, atol=TOL)
    v = np.random.default_rng(1).normal(size=(7, n))
    np.testing.assert_allclose(scores.times(v), v @ z, rtol=TOL, atol=TOL)
    dense = att_gt._Influence(att_gt._Cells(cells.g, cells.t, cells.base, cells.att, inf, None,
                                            cells.n_used, cells.skipped),
                              panel, full_lin, full_shares)
    np.testing.assert_allclose(dense.sum_squares(), (z**2).sum(axis=0), rtol=TOL, atol=TOL)
