"""``evalkit panel`` outputs: never an input, a folder or a link; --overwrite only replaces
what evalkit panel wrote; written atomically; formula-looking text escaped (issue 15, C)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from evalkit.data.incidents import escape_formula, panel_from_incidents, write_panel
from evalkit.errors import SpecError
from evalkit.run.cli import main

ROWS = "date,unit,cat\n2021-01-03,A,vol\n2021-01-09,B,vol\n2021-02-01,A,vol\n"


@pytest.fixture
def incidents(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.csv"
    path.write_text(ROWS)
    return path


@pytest.fixture
def population(tmp_path: Path) -> Path:
    path = tmp_path / "pop.csv"
    path.write_text("unit,pop\nA,1000\nB,2000\n")
    return path


def _panel(source: Path, **kwargs: object) -> pd.DataFrame:
    return panel_from_incidents(source, date="date", unit="unit", category="cat",
                                progress=False, **kwargs)


def _cli(*args: object) -> int:
    return main(["panel", *map(str, args), "--date", "date", "--unit", "unit", "--category",
                 "cat", "--no-progress"])


def test_exposure_input_is_never_overwritten(incidents: Path, population: Path) -> None:
    before = population.read_bytes()
    frame = _panel(incidents, exposure=population)
    with pytest.raises(SpecError, match="is one of them"):
        write_panel(frame, population.with_suffix(".csv"), overwrite=True)
    assert population.read_bytes() == before


def test_cli_exposure_as_out_exits_2(incidents: Path, population: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    before = population.read_bytes()
    assert _cli(incidents, "--exposure", population, "--out", population, "--overwrite") == 2
    assert "inputs are never modified" in capsys.readouterr().err
    assert population.read_bytes() == before


def test_hard_link_to_an_input_is_refused(incidents: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin.csv"
    os.link(incidents, twin)
    with pytest.raises(SpecError, match="is one of them"):
        write_panel(_panel(incidents), twin, overwrite=True)
    assert incidents.read_text() == ROWS


def test_folder_is_never_replaced(incidents: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(SpecError, match=r"is a folder\. Fix: name a file inside it"):
        write_panel(_panel(incidents), folder, overwrite=True)
    assert (folder / "keep.txt").read_text() == "x"


def test_symlink_is_never_written_through(incidents: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.csv"
    write_panel(_panel(incidents), target)  # even a panel: the link is not replaced
    before = target.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(SpecError, match="is a symbolic link"):
        write_panel(_panel(incidents), link, overwrite=True)
    assert link.is_symlink() and target.read_bytes() == before


def test_dangling_symlink_is_refused(incidents: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.parquet"
    link.symlink_to(tmp_path / "nowhere" / "x.parquet")
    with pytest.raises(SpecError, match="is a symbolic link"):
        write_panel(_panel(incidents), link)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("name", ["notes.csv", "table.parquet"])
def test_overwrite_refuses_files_evalkit_did_not_write(incidents: Path, tmp_path: Path,
                                                        name: str) -> None:
    other = tmp_path / name
    if name.endswith(".csv"):
        other.write_text("area,n\nx,1\n")
    else:
        pd.DataFrame({"unit_id": ["x"], "period": ["2021-01"]}).to_parquet(other)
    before = other.read_bytes()
    with pytest.raises(SpecError, match=r"replace a panel that evalkit panel wrote, but .* is "
                                        r"not one"):
        write_panel(_panel(incidents), other, overwrite=True)
    assert other.read_bytes() == before


@pytest.mark.parametrize("name", ["panel.csv", "panel.parquet"])
def test_overwrite_replaces_a_panel_evalkit_wrote(incidents: Path, tmp_path: Path,
                                                  name: str) -> None:
    out = tmp_path / name
    write_panel(_panel(incidents), out)
    write_panel(_panel(incidents, freq="Y"), out, overwrite=True)
    table = pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)
    assert table["period"].astype(str).tolist() == ["2021", "2021"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_parquet_panel_carries_the_marker(incidents: Path, tmp_path: Path) -> None:
    out = write_panel(_panel(incidents), tmp_path / "p.parquet")
    metadata = pq.read_schema(out).metadata
    assert b"evalkit.panel" in metadata and b"pandas" in metadata


def test_unwritable_place_is_a_spec_error(incidents: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(SpecError, match=r"Expected to write .*panel\.csv, but the system "
                                        r"refused"):
        write_panel(_panel(incidents), blocker / "panel.csv")
    assert blocker.read_text() == "x"


def test_failed_write_leaves_the_old_panel_and_no_temporary_file(
        incidents: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = write_panel(_panel(incidents), tmp_path / "p.csv")
    before = out.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(KeyboardInterrupt):
        write_panel(_panel(incidents, freq="Y"), out, overwrite=True)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incidents.csv", "p.csv"]


# --------------------------------------------------------------------------- CSV injection

@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"a\")", "+1+cmd", "-2+3",
                                  "@SUM(A1)", "\tTAB", "\rCR"])
def test_formula_starts_are_escaped(text: str) -> None:
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "+1.5", "12", "Centre", "a=b", ""])
def test_plain_text_and_numbers_are_left_alone(text: str) -> None:
    assert escape_formula(text) == text


def _hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.csv"
    path.write_text('date,unit,cat\n2021-01-03,"=HYPERLINK(""http://evil"",""x"")",vol\n'
                    "2021-01-09,-5,@SUM(1+1)\n2021-01-10,Nord,+cmd\n")
    return path


def test_long_csv_escapes_unit_and_category_labels(tmp_path: Path) -> None:
    out = write_panel(_panel(_hostile(tmp_path)), tmp_path / "p.csv")
    table = pd.read_csv(out, dtype=str)
    assert set(table["unit_id"]) == {"'=HYPERLINK(\"http://evil\",\"x\")", "-5", "Nord"}
    assert set(table["indicator"]) == {"'@SUM(1+1)", "'+cmd", "vol"}
    assert not any(cell.startswith(("=", "+", "@")) for cell in out.read_text().split(","))


def test_wide_csv_escapes_indicator_column_names(tmp_path: Path) -> None:
    out = write_panel(_panel(_hostile(tmp_path), layout="wide"), tmp_path / "w.csv")
    header = out.read_text().splitlines()[0].split(",")
    assert header[:2] == ["unit_id", "period"] and {"'@SUM(1+1)", "'+cmd"} <= set(header)


def test_parquet_keeps_labels_verbatim(tmp_path: Path) -> None:
    out = write_panel(_panel(_hostile(tmp_path)), tmp_path / "p.parquet")
    assert "=HYPERLINK(\"http://evil\",\"x\")" in set(pd.read_parquet(out)["unit_id"])


def test_source_name_is_escaped_too(incidents: Path, tmp_path: Path) -> None:
    out = write_panel(_panel(incidents, source_name="=cmd|' /C calc'!A0"), tmp_path / "p.csv")
    assert set(pd.read_csv(out, dtype=str)["source"]) == {"'=cmd|' /C calc'!A0"}


def test_report_writers_write_no_csv() -> None:
    # every CSV evalkit writes goes through write_panel; the report package writes none
    report = Path(__file__).resolve().parents[2] / "evalkit" / "report"
    texts = [p.read_text() for p in report.rglob("*.py")]
    assert texts and not any(w in t for t in texts for w in ("to_csv(", "csv.writer("))
