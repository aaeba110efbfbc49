"""The evalkit command: exit codes, messages without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.run.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True,
                          text=True, check=False)


def test_validate_ok(capsys):
    code = main(["validate", str(SAMPLES / "city_monthly.csv"), "--unit", "district",
                 "--time", "month", "--outcome", "burglary", "--exposure", "population"])
    assert code == 0
    assert "1920 rows, 20 unit(s), 96 periods" in capsys.readouterr().out


def test_bad_input_exits_2_with_the_problem_and_no_traceback():
    proc = run("validate", str(SAMPLES / "city_monthly.csv"), "--time", "mnth")
    assert proc.returncode == 2
    assert "1 problem found" in proc.stderr and "Did you mean 'month'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    proc = run("validate", str(tmp_path / "nope.csv"), "--time", "month")
    assert proc.returncode == 2
    assert "nope.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_debug_shows_traceback(tmp_path):
    proc = run("--debug", "validate", str(tmp_path / "nope.csv"), "--time", "month")
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr


def test_unknown_command_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_validate_prints_every_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("district;month;burglary;population\nA;2021-01;3;1000\nA;2021-02;2;0\n"
                   "A;2021-02;2;10\nB;2021-01;x;500\n", encoding="utf-8")
    before = bad.read_bytes()
    proc = run("validate", str(bad), "--unit", "district", "--time", "month", "--outcome",
               "burglary", "--exposure", "population")
    assert proc.returncode == 2
    assert "3 problems found" in proc.stderr
    assert "Column 'burglary' must hold numbers" in proc.stderr
    assert "must be a positive number in every row" in proc.stderr
    assert "Expected one row per (district, month)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert bad.read_bytes() == before
