"""One home for shared rules: thresholds, the default seed, option checks, atomic writes."""

from __future__ import annotations

import ast
import stat
from pathlib import Path

import pandas as pd
import pytest

import evalkit
from evalkit import _checks
from evalkit._atomic import atomic_path
from evalkit.report.results_json import write_results
from evalkit.results import EvaluationResult, effect_row, effects_table

PACKAGE = Path(evalkit.__file__).parent
SHARED = ("FEW_CLUSTERS", "FEW_TREATED", "DEFAULT_SEED")


def _assigned_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def test_thresholds_and_seed_are_defined_once():
    defining = {name: sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                             if name in _assigned_names(p))
                for name in SHARED}
    assert defining == {name: ["_checks.py"] for name in SHARED}
    assert (_checks.FEW_CLUSTERS, _checks.FEW_TREATED, _checks.DEFAULT_SEED) == (20, 5, 20261123)


def test_atomic_path_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.json.")
        tmp.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # not replaced before the end
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_results_json_is_written_atomically_and_readable(tmp_path):
    """results.json shares the atomic writer: readable like the report beside it (it was
    left with mkstemp's owner-only mode 0600)."""
    res = EvaluationResult(method="its", spec={"alpha": 0.05},
                           effects=effects_table([effect_row("level_change", 0.1, 0.05,
                                                             alpha=0.05, scale="additive")]),
                           series=pd.DataFrame())
    data = pd.DataFrame({"month": ["2020-01", "2020-02"], "count": [1, 2]})
    path = write_results([res], tmp_path / "results.json", template="its", parameters={},
                         data=data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
