"""Reproduce the Sicily smoking-ban models of Lopez Bernal, Cummins & Gasparrini (2017).

Int J Epidemiol 46(1):348-355, doi:10.1093/ije/dyw098. The authors' code (Rcode.R in their
code-and-data repository, gasparrini/2017_lopezbernal_IJE_codedata) fits

  model1: glm(aces ~ offset(log(stdpop)) + smokban + time, family = poisson)
  model2: same, family = quasipoisson
  model3: glm(aces ~ offset(log(stdpop)) + smokban + time + harmonic(month, 2, 12),
              family = quasipoisson)

and reports rate ratios with Epi::ci.exp(), i.e. exp(b +/- qnorm(0.975) * se) where se comes
from vcov() of the fit: for quasi-Poisson the dispersion is Pearson X2 / (n - p) (summary.glm),
so the CI is a Wald interval with the dispersion-scaled SE and the NORMAL quantile (not t).
tsModel::harmonic(month, 2, 12) gives sin/cos(2*pi*k*month/12) for k = 1, 2.
Step change only: no change-in-slope term.

Independent check for tests/reference/test_sicily_its.py (statsmodels GLM).

Run: .venv/bin/python tests/reference/scripts/sicily_its.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"


def main() -> None:
    df = pd.read_csv(DATA / "sicily.csv")
    for k in (1, 2):
        df[f"sin{k}"] = np.sin(2 * np.pi * k * df["month"] / 12)
        df[f"cos{k}"] = np.cos(2 * np.pi * k * df["month"] / 12)
    offset = np.log(df["stdpop"])
    z = stats.norm.ppf(0.975)
    models = {
        "model1 Poisson, no seasonality": ("aces ~ smokban + time", 1.0),
        "model2 quasi-Poisson, no seasonality": ("aces ~ smokban + time", "X2"),
        "model3 quasi-Poisson, harmonic(month, 2, 12)": (
            "aces ~ smokban + time + sin1 + sin2 + cos1 + cos2",
            "X2",
        ),
    }
    for label, (formula, scale) in models.items():
        fit = smf.glm(formula, df, family=sm.families.Poisson(), offset=offset).fit(scale=scale)
        b, se = fit.params["smokban"], fit.bse["smokban"]
        print(f"{label}: n = {int(fit.nobs)}, dispersion = {fit.scale:.6f}")
        print(f"  log RR = {b:.10f}, se = {se:.10f}")
        lo, hi = np.exp(b - z * se), np.exp(b + z * se)
        print(f"  RR = {np.exp(b):.6f} (95% CI {lo:.6f} to {hi:.6f})")
        if scale == "X2":
            t = stats.t.ppf(0.975, fit.df_resid)
            print(
                f"  [t-quantile CI, NOT the published convention: "
                f"{np.exp(b - t * se):.6f} to {np.exp(b + t * se):.6f}]"
            )


if __name__ == "__main__":
    main()
