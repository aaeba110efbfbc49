"""The quick mode of the verdict benchmark (benchmarks/verdicts.py), run in this process.

A smoke test: the table has its columns and one row per quick scenario, every rate is a
share with its Clopper–Pearson interval around it. The full benchmark is run by hand
(``.venv/bin/python benchmarks/verdicts.py --workers 2``); its table is in the README.
"""

from __future__ import annotations

import pytest
from benchmark_loader import load_benchmark

RATES = ("clear", "no_verdict", "correct_reduction", "coverage", "displacement_claim")

bench = load_benchmark("verdicts")


@pytest.mark.slow
def test_quick_table_has_rates_in_0_1_with_clopper_pearson_intervals():
    table = bench.run(bench.QUICK_SCENARIOS, bench.QUICK_REPS)
    assert list(table.columns) == list(bench.COLUMNS)
    assert list(table["scenario"]) == list(bench.QUICK_SCENARIOS)
    assert (table["reps"] == bench.QUICK_REPS).all() and (table["failed"] == 0).all()
    for rate in RATES:
        lo, mid, hi = table[f"{rate}_lo"], table[rate], table[f"{rate}_hi"]
        assert ((lo >= 0) & (lo <= mid) & (mid <= hi) & (hi <= 1)).all(), rate
        assert (hi - lo > 0).all(), rate  # a few replications: never a point
    assert table["levels"].str.match(r"^(\d|none):\d+%").all()
    markdown = bench.markdown(table)
    assert len(markdown.splitlines()) == 2 + len(table)  # header, separator, one a scenario


def test_a_clear_reduction_is_counted_from_the_verdict():
    # the classification reads Verdict.direction, not a rule of its own
    runs = [{"direction": d, "level": 3, "best": "controlled_its", "covered": c,
             "error": e, "buffer_claim": b}
            for d, c, e, b in (("reduction", False, -30.0, True), ("contested", True, -5.0, False),
                               ("no_clear_change", True, 1.0, False),
                               ("increase", False, 25.0, False))]
    row = bench.summarise("null_moderate_1", [*runs, "DataError: no design"])
    assert (row["reps"], row["failed"]) == (4, 1)
    assert (row["clear"], row["no_verdict"], row["correct_reduction"]) == (0.5, 0.25, 0.25)
    assert (row["coverage"], row["displacement_claim"]) == (0.5, 0.25)
    assert row["bias"] == pytest.approx(-9 / 4)
    assert row["levels"] == "3:100%"
    with pytest.raises(SystemExit, match=r"unknown scenario\(s\) \['nope'\]"):
        bench.run(["nope"], 1)
