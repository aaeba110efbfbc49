"""Reference values for the castle-doctrine TWFE tests (tests/reference/test_twfe_reference.py).

Data: castle_bacondecomp.csv (Cheng & Hoekstra 2013, as shipped by the bacondecomp R package;
in this file a state is treated (post = 1) from its first year with any part under the law).

Model: l_homicide ~ post + state FE + year FE, OLS, unweighted and weighted by popwt.
Standard errors: clustered by state with fixest's default small-sample correction
ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE):

    V = G/(G-1) * (n-1)/(n-K) * (X'WX)^-1 [sum_g s_g s_g'] (X'WX)^-1

with s_g = sum_{i in g} w_i x_i e_i, G = 50 states, n = 550 and K the number of parameters
counted by fixest when the state fixed effects are nested in the state clusters:
K = nparams - (#state FE - 1) = (1 + 50 + 11 - 1) - 49 = 12, i.e. post + intercept + 10 year
dummies. (fixest R/VCOV.R: K = K - (sum(fixef_sizes[is_nested]) - n_nested).)

Independent computation: statsmodels OLS/WLS with explicit dummy variables; the raw
(uncorrected) cluster sandwich comes from statsmodels (use_correction=False) and is also
recomputed by hand; the fixest factor is applied explicitly below. If pyfixest is importable
it is used as a cross-check only (not a test dependency).

Run: .venv/bin/python tests/reference/scripts/twfe_castle.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"


def twfe(df: pd.DataFrame, weights: str | None) -> dict[str, float]:
    formula = "l_homicide ~ post + C(state) + C(year)"
    if weights is None:
        model = smf.ols(formula, df)
        w = np.ones(len(df))
    else:
        model = smf.wls(formula, df, weights=df[weights])
        w = df[weights].to_numpy(float)
    groups = pd.factorize(df["state"])[0]
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    n = int(fit.nobs)
    G = len(np.unique(groups))
    k_full = int(fit.df_model) + 1  # 61 columns: intercept, post, 49 state, 10 year dummies
    n_state = df["state"].nunique()
    K = k_full - (n_state - 1)  # fixest "nested": state FE nested in the state clusters
    factor = G / (G - 1) * (n - 1) / (n - K)

    # Raw sandwich recomputed by hand (check on statsmodels' use_correction=False).
    X = model.exog
    e = fit.resid.to_numpy()
    bread = np.linalg.inv(X.T @ (w[:, None] * X))
    scores = pd.DataFrame(w[:, None] * X * e[:, None]).groupby(groups).sum().to_numpy()
    raw = bread @ (scores.T @ scores) @ bread
    j = model.exog_names.index("post")
    assert np.isclose(raw[j, j], fit.cov_params().loc["post", "post"], rtol=1e-10)

    return {
        "estimate": float(fit.params["post"]),
        "std_error": float(np.sqrt(factor * raw[j, j])),
        "raw_cluster_se": float(np.sqrt(raw[j, j])),
        "n": n,
        "G": G,
        "K": K,
        "factor": factor,
    }


def pyfixest_check(df: pd.DataFrame, weights: str | None) -> tuple[float, float, str] | None:
    try:
        import pyfixest as pf
    except ImportError:
        return None
    fit = pf.feols(
        "l_homicide ~ post | state + year",
        data=df,
        weights=weights,
        vcov={"CRV1": "state"},
        ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"),
    )
    return float(fit.coef()["post"]), float(fit.se()["post"]), pf.__version__


def main() -> None:
    df = pd.read_csv(DATA / "castle_bacondecomp.csv")
    for label, weights in (("unweighted", None), ("weighted by popwt", "popwt")):
        r = twfe(df, weights)
        print(f"{label}:")
        print(f"  estimate   = {r['estimate']:.10f}")
        print(f"  std_error  = {r['std_error']:.10f}   (fixest default ssc)")
        print(f"  raw cluster SE (no correction) = {r['raw_cluster_se']:.10f}")
        print(
            f"  n = {r['n']}, G = {r['G']}, K = {r['K']}, "
            f"factor G/(G-1)*(n-1)/(n-K) = {r['factor']:.10f}"
        )
        check = pyfixest_check(df, weights)
        if check is not None:
            est, se, version = check
            print(f"  pyfixest {version}: estimate = {est:.10f}, std_error = {se:.10f}")
            print(
                f"  |diff| estimate = {abs(est - r['estimate']):.2e}, "
                f"std_error = {abs(se - r['std_error']):.2e}"
            )


if __name__ == "__main__":
    main()
