"""Reproduce Wooldridge, *Introductory Econometrics*, Examples 13.3 and 13.4 on the shipped CSVs.

Independent check for tests/reference/test_wooldridge.py: plain statsmodels OLS with classical
(homoskedastic) standard errors; the DiD estimate is the interaction coefficient.

Run: .venv/bin/python tests/reference/scripts/wooldridge_ch13.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"

SPECS = {
    "13.3 rprice, no controls": ("kielmc.csv", None, "rprice ~ y81 + nearinc + y81nrinc"),
    "13.3 rprice + age, agesq": (
        "kielmc.csv",
        None,
        "rprice ~ y81 + nearinc + y81nrinc + age + agesq",
    ),
    "13.3 rprice + full controls": (
        "kielmc.csv",
        None,
        "rprice ~ y81 + nearinc + y81nrinc + age + agesq + intst + land + area + rooms + baths",
    ),
    "13.4 ldurat, Kentucky": ("injury.csv", "ky == 1", "ldurat ~ afchnge + highearn + afhigh"),
}
TERM = {"kielmc.csv": "y81nrinc", "injury.csv": "afhigh"}


def main() -> None:
    for label, (file, subset, formula) in SPECS.items():
        df = pd.read_csv(DATA / file)
        if subset:
            df = df.query(subset)
        fit = smf.ols(formula, df).fit()
        term = TERM[file]
        print(f"Example {label}: {formula}")
        print(
            f"  {term}: estimate = {fit.params[term]:.6f}, std_error = {fit.bse[term]:.6f}, "
            f"n = {int(fit.nobs)}, R2 = {fit.rsquared:.4f}"
        )


if __name__ == "__main__":
    main()
