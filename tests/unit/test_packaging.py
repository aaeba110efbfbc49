"""The wheel carries the templates, sample data, schema and style (pip users need them)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # pip builds the wheel in an isolated build environment
def test_wheel_contains_templates_samples_and_schema(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("evalkit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").glob("*.ipynb"):
        assert f"evalkit/templates/{template.name}" in names
    for expected in ("evalkit/data_samples/city_monthly.csv", "evalkit/data_samples/truth.json",
                     "evalkit/schemas/results-1.schema.json", "evalkit/report/style.css",
                     "evalkit/run/nbconvert/evalkit/index.html.j2",
                     "evalkit/run/nbconvert/evalkit/conf.json"):
        assert expected in names
