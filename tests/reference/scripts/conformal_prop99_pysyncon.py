"""Reference values for tests/designs/test_synth_conformal.py: pysyncon's conformal
intervals (Chernozhukov, Wüthrich & Zhu 2021, Algorithm 1) on Prop 99.

pysyncon's ``Synth`` refits its predictor weights V under each null, so that the
hypothesised post-period point only moves V; the CWZ proxy that evalkit uses is the simplex
least squares of the outcome on every period under the null. To compare the same procedure,
pysyncon's own ``ConformalInference`` (its permutation p-value and its root search) is run
with a ``BaseSynth`` whose ``fit`` is that proxy, solved here by scipy's SLSQP (not by
evalkit's solver). Run from the repository root with pysyncon installed:

    python tests/reference/conformal_prop99_pysyncon.py

pysyncon's search stops within ``tol`` of the end point (it steps until the p-value drops
to alpha), so its ends agree with evalkit's bisected ends to about ``tol``.

Output (2026-12-07, pysyncon 1.7.0, scipy SLSQP; about 35 minutes)::

           value  lower_ci  upper_ci
    time
    1989  -8.440   -14.817     1.837
    1990  -9.207   -16.400     3.489
    1991 -12.634   -21.388    -4.963
    1992 -13.729   -23.277    -6.268
    1993 -17.534   -30.735   -11.298
    1994 -22.049   -39.330   -15.317
    1995 -22.858   -41.528   -14.309
    1996 -23.997   -40.429   -15.969
    1997 -26.261   -47.468   -12.730
    1998 -23.338   -44.678   -12.927
    1999 -27.520   -44.592   -16.382
    2000 -26.597   -44.037   -16.854
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pysyncon
from pysyncon.base import BaseSynth
from pysyncon.inference import ConformalInference
from scipy.optimize import minimize


class SimplexLS(BaseSynth):
    """CWZ's constrained least squares proxy: simplex weights fitted on every row of Z."""

    def fit(self, Z0: pd.DataFrame, Z1: pd.Series, **_: object) -> None:
        scale = float(np.abs(Z0.to_numpy(float)).max())  # SLSQP fails on raw packs/capita
        a, b = Z0.to_numpy(float) / scale, Z1.to_numpy(float) / scale
        j = a.shape[1]
        res = minimize(lambda w: np.sum((b - a @ w) ** 2), np.full(j, 1 / j),
                       jac=lambda w: -2 * a.T @ (b - a @ w), method="SLSQP",
                       bounds=[(0, 1)] * j,
                       constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                       options={"ftol": 1e-15, "maxiter": 2000})
        if not res.success:
            raise RuntimeError(res.message)
        self.W = res.x


def main() -> None:
    df = pd.read_csv("tests/data/reference/smoking_prop99.csv")
    wide = df.pivot(index="year", columns="state", values="cigsale")
    z1, z0 = wide.pop("California"), wide
    pre, post = list(range(1970, 1989)), list(range(1989, 2001))
    scm = SimplexLS()
    scm.fit(z0.loc[pre], z1.loc[pre])
    out = ConformalInference().confidence_intervals(
        alpha=0.05, scm=scm, Z0=z0, Z1=z1, pre_periods=pre, post_periods=post, tol=0.01,
        max_iter=500, verbose=True)
    print("pysyncon", pysyncon.__version__)
    print(out.round(3).to_string())


if __name__ == "__main__":
    main()
