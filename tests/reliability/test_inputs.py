"""Inputs read as the user meant them, and read within bounds (issue 15, part C).

Every file is generated in the test: workbooks with openpyxl, gzip bombs small enough to
make in milliseconds with a low limit set through the environment, FIFOs, link loops.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data import check_numeric, data_fingerprint, load_panel, read_table, to_periods
from evalkit.data.incidents import panel_from_incidents
from evalkit.data.panel import find_problems
from evalkit.errors import DataError

openpyxl = pytest.importorskip("openpyxl")


def _panel_rows() -> pd.DataFrame:
    return pd.DataFrame({"area": ["a", "a", "b", "b"],
                         "month": ["2021-01", "2021-02", "2021-01", "2021-02"],
                         "n": [1, 2, 3, 4]})


# --------------------------------------------------------------------------- Excel

def _workbook(path: Path, sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = (),
              active: int | None = None) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    if active is not None:
        book.active = active
    book.save(path)
    return path


SHOWN = [["area", "n"], ["shown", 1]]
SECRET = [["area", "n"], ["hidden", 99]]


def test_excel_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", {"old": SECRET, "data": SHOWN}, hidden=("old",),
                     active=1)
    assert read_table(path)["area"].tolist() == ["shown"]


def test_excel_hidden_first_sheet_without_active_mark_reads_first_visible(tmp_path: Path) -> None:
    # active left on the hidden sheet (a program wrote it so): the first visible one is read
    path = _workbook(tmp_path / "a.xlsx", {"old": SECRET, "data": SHOWN, "more": SECRET},
                     hidden=("old",), active=0)
    assert read_table(path)["area"].tolist() == ["shown"]


def test_excel_active_sheet_is_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", {"first": SECRET, "chosen": SHOWN}, active=1)
    assert read_table(path)["area"].tolist() == ["shown"]


def test_excel_explicit_sheet_wins_even_hidden(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", {"old": SECRET, "data": SHOWN}, hidden=("old",),
                     active=1)
    assert read_table(path, sheet="old")["area"].tolist() == ["hidden"]
    assert read_table(path, sheet=0)["area"].tolist() == ["hidden"]


def test_load_panel_reads_the_visible_sheet(tmp_path: Path) -> None:
    rows = [["area", "month", "n"], ["a", "2021-01", 5], ["a", "2021-02", 6]]
    path = _workbook(tmp_path / "p.xlsx", {"draft": [["area", "month", "n"], ["z", "1999-01",
                                                                               0]],
                                           "final": rows}, hidden=("draft",), active=1)
    panel = load_panel(path, unit="area", time="month", outcome="n")
    assert panel.data["n"].tolist() == [5, 6]


def test_excel_formula_without_saved_value_is_named(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "f.xlsx", {"data": [["area", "n"], ["a", 1], ["b", "=B2*2"]]})
    with pytest.raises(DataError, match=r"cell B3 holds a formula with no saved value.*"
                                        r"open and save the file in a spreadsheet program"):
        read_table(path)


def test_excel_several_formulas_are_counted(tmp_path: Path) -> None:
    rows = [["area", "n"]] + [[f"u{i}", f"=ROW()*{i}"] for i in range(8)]
    path = _workbook(tmp_path / "f.xlsx", {"data": rows})
    with pytest.raises(DataError, match=r"cells B2, B3, B4, B5, B6 and 3 more hold a formula"):
        read_table(path)


def test_excel_empty_cell_is_still_a_missing_value(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "e.xlsx", {"data": [["area", "n"], ["a", 1], ["b", None]]})
    assert read_table(path)["n"].isna().tolist() == [False, True]


# --------------------------------------------------------------------------- time zones

UTC_MIDNIGHTS = ["2021-05-31T22:00:00Z", "2021-06-30T22:00:00Z", "2021-07-31T22:00:00Z"]


def test_utc_stored_local_midnights_keep_their_month_with_tz() -> None:
    periods, freq = to_periods(pd.Series(UTC_MIDNIGHTS), tz="Europe/Paris")
    assert freq == "M"
    assert [str(p) for p in periods] == ["2021-06", "2021-07", "2021-08"]


def test_utc_stored_local_midnights_without_tz_are_refused() -> None:
    with pytest.raises(DataError, match=r"not at midnight in 3 rows: row 0 \(time "
                                        r"'2021-05-31T22:00:00Z'\).*2021-06-01 in Paris and "
                                        r"2021-05-31 in UTC.*pass tz="):
        to_periods(pd.Series(UTC_MIDNIGHTS))


def test_zoned_datetime_column_is_converted_to_tz() -> None:
    values = pd.Series(pd.to_datetime(UTC_MIDNIGHTS))
    periods, _ = to_periods(values, tz="Europe/Paris")
    assert [str(p) for p in periods] == ["2021-06", "2021-07", "2021-08"]


def test_zoned_datetime_column_without_tz_is_refused() -> None:
    with pytest.raises(DataError, match="depends on the zone the data is meant in"):
        to_periods(pd.Series(pd.to_datetime(UTC_MIDNIGHTS)))


def test_offsets_are_converted_to_utc_when_asked() -> None:
    values = pd.Series(["2021-06-01T01:00:00+02:00", "2021-06-02T01:00:00+0200"])
    periods, freq = to_periods(values, tz="UTC")
    assert freq == "D" and [str(p) for p in periods] == ["2021-05-31", "2021-06-01"]


def test_day_first_text_with_offset_is_converted() -> None:
    periods, _ = to_periods(pd.Series(["31/05/2021 23:30 Z", "30/06/2021 23:30 Z"]),
                            freq="D", tz="Europe/Paris")
    assert [str(p) for p in periods] == ["2021-06-01", "2021-07-01"]


def test_naive_times_are_taken_as_local_to_tz() -> None:
    periods, _ = to_periods(pd.Series(["2021-06-01", "2021-07-01"]), tz="America/New_York")
    assert [str(p) for p in periods] == ["2021-06", "2021-07"]


def test_unknown_time_zone_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"Expected tz to be a time zone name.*'Mars/Olympus'"):
        to_periods(pd.Series(UTC_MIDNIGHTS), tz="Mars/Olympus")


def test_load_panel_from_csv_with_utc_times(tmp_path: Path) -> None:
    path = tmp_path / "utc.csv"
    path.write_text("area,month,n\n" + "".join(f"a,{t},{i}\n" for i, t in
                                               enumerate(UTC_MIDNIGHTS)))
    panel = load_panel(path, unit="area", time="month", outcome="n", tz="Europe/Paris")
    assert [str(p) for p in panel.periods] == ["2021-06", "2021-07", "2021-08"]
    assert any("pass tz=" in p for p in find_problems(path, unit="area", time="month"))
    assert find_problems(path, unit="area", time="month", tz="Europe/Paris") == []


# --------------------------------------------------------------------------- encodings

def _mixed() -> bytes:
    return (b"area;n\n" + "Hôtel-de-Ville;1\n".encode()
            + "Châtelet;2\n".encode("cp1252") + b"Bastille;3\n"
            + "Opéra;4\n".encode("cp1252"))


def test_mixed_encodings_are_refused_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(_mixed())
    with pytest.raises(DataError, match=r"mixes UTF-8 \(line 2\) with another encoding such as "
                                        r"Windows cp1252 or latin-1 \(lines 3, 5\)"):
        read_table(path)


def test_mixed_encodings_in_gzip_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv.gz"
    path.write_bytes(gzip.compress(_mixed()))
    with pytest.raises(DataError, match="mixes UTF-8"):
        read_table(path)


def test_mixed_encodings_in_incident_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_bytes(b"date,unit,cat\n" + "2021-01-03,Hôtel,vol\n".encode()
                     + "2021-01-04,Châtelet,vol\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"mixes UTF-8 \(line 2\).*\(line 3\)"):
        panel_from_incidents(path, date="date", unit="unit", category="cat", progress=False)


def test_single_cp1252_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes("area;n\nChâtelet;2\nOpéra;4\n".encode("cp1252"))
    assert read_table(path)["area"].tolist() == ["Châtelet", "Opéra"]


# --------------------------------------------------------------------------- booleans, lists

def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("kind", ["parquet", "xlsx", "csv"])
def test_boolean_counts_are_refused_in_every_file_type(tmp_path: Path, kind: str) -> None:
    frame = _panel_rows().assign(n=[True, False, True, True])
    path = tmp_path / f"b.{kind}"
    if kind == "parquet":
        _parquet(path, frame)
    elif kind == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"Column 'n' must hold numbers, but (holds true/false "
                                        r"values|found text) in 4 rows"):
        load_panel(path, unit="area", time="month", outcome="n")


def test_boolean_exposure_is_refused() -> None:
    frame = _panel_rows().assign(pop=True)
    with pytest.raises(DataError, match="Column 'pop' must hold numbers, but holds true/false"):
        load_panel(frame, unit="area", time="month", exposure="pop")


def test_boolean_treatment_flags_stay_accepted() -> None:
    flags = pd.DataFrame({"d": [True, False, np.True_]}, dtype=object)
    assert check_numeric(flags, "d", booleans=True).tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(DataError, match=r"true/false values in 3 rows"):
        check_numeric(flags, "d")


def test_list_unit_column_from_parquet_is_refused(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "l.parquet",
                    _panel_rows().assign(area=[["Centre"], ["Centre"], ["Nord"], ["Nord"]]))
    with pytest.raises(DataError, match=r"Column 'area' must hold labels \(text or numbers\), "
                                        r"one per row, but holds lists"):
        load_panel(path, unit="area", time="month", outcome="n")
    assert any("holds lists" in p for p in find_problems(path, unit="area", time="month"))


def test_boolean_unit_column_is_refused(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "b.parquet", _panel_rows().assign(area=[True, True, False, False]))
    with pytest.raises(DataError, match=r"Column 'area' must hold labels .*true/false"):
        load_panel(path, unit="area", time="month")


def test_list_time_column_from_parquet_is_a_data_error(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "t.parquet",
                    _panel_rows().assign(month=[["2021-01"], ["2021-02"], ["2021-01"],
                                                ["2021-02"]]))
    with pytest.raises(DataError, match=r"Column 'month' must hold one date or period per row, "
                                        r"but holds lists"):
        load_panel(path, unit="area", time="month")


def _incidents(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {"date": ["2021-01-03", "2021-01-09", "2021-02-01"],
                               "unit": ["A", "B", "A"], "cat": ["vol", "vol", "vol"]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(("column", "values", "found"), [
    ("unit", [["A"], ["B"], ["A"]], r"nested values \(VARCHAR\[\]\)"),
    ("unit", [True, False, True], "true/false values"),
    ("cat", [True, True, False], "true/false values"),
    ("date", [["2021-01-03"], ["2021-01-09"], ["2021-02-01"]], "nested values"),
])
def test_incident_parquet_boolean_or_list_columns_are_refused(
        tmp_path: Path, column: str, values: list[object], found: str) -> None:
    path = _parquet(tmp_path / "i.parquet", _incidents(**{column: values}))
    with pytest.raises(DataError, match=rf"Column '{column}' \(.*\) of i.parquet must hold one "
                                        rf"\w+ per row, but its type holds {found}"):
        panel_from_incidents(path, date="date", unit="unit", category="cat", progress=False)


# --------------------------------------------------------------------------- bounds

def test_gzip_bomb_stops_at_the_byte_limit(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 2_000_000))  # 8 MB in ~20 kB
    monkeypatch.setenv("EVALKIT_MAX_BYTES", "1000000")
    with pytest.raises(DataError, match=r"at most 1,000,000 bytes \(the limit set by "
                                        r"EVALKIT_MAX_BYTES\).*decompresses to.*raise the limit, "
                                        r"e\.g\. EVALKIT_MAX_BYTES="):
        read_table(path)


def test_gzip_inflation_ratio_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "zeros.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"0,0\n" * 3_000_000, compresslevel=9))
    monkeypatch.setenv("EVALKIT_MAX_RATIO", "20")
    with pytest.raises(DataError, match=r"grow at most 20 times.*EVALKIT_MAX_RATIO.*"
                                        r"decompression bomb"):
        read_table(path)


def test_huge_sparse_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # 2 GB that take no disk space
        handle.write(b"a,b\n")
        handle.truncate(2 << 30)
    with pytest.raises(DataError, match=r"at most 536,870,912 bytes.*takes 2,147,483,648 bytes"):
        read_table(path)


def test_xlsx_that_inflates_beyond_the_limit_is_refused(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["area", "n"]] + [["same", 1]] * 20_000
    path = _workbook(tmp_path / "big.xlsx", {"data": rows})
    monkeypatch.setenv("EVALKIT_MAX_BYTES", str(path.stat().st_size * 2))
    with pytest.raises(DataError, match="decompresses to"):
        read_table(path)


def test_parquet_whose_row_groups_exceed_the_limit_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _parquet(tmp_path / "big.parquet", pd.DataFrame({"n": np.zeros(200_000)}))
    monkeypatch.setenv("EVALKIT_MAX_BYTES", "100000")
    with pytest.raises(DataError, match="EVALKIT_MAX_BYTES"):
        read_table(path)


def test_bad_limit_value_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n")
    monkeypatch.setenv("EVALKIT_MAX_BYTES", "2GB")
    with pytest.raises(DataError, match=r"EVALKIT_MAX_BYTES to be a positive whole number, but "
                                        r"it is '2GB'"):
        read_table(path)


def test_symlink_loop_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(DataError, match="is a symbolic link that loops back on itself"):
        read_table(tmp_path / "a.csv")
    with pytest.raises(DataError, match="loops back on itself"):
        panel_from_incidents(tmp_path / "a.csv", date="d", unit="u", progress=False)


def test_dangling_symlink_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DataError, match="is a symbolic link to a file that does not exist"):
        read_table(tmp_path / "a.csv")


def test_fifo_is_not_reported_as_missing(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"is a named pipe \(FIFO\), not a file"):
        read_table(fifo)
    with pytest.raises(DataError, match=r"is a named pipe \(FIFO\), not a file"):
        data_fingerprint(fifo)
    with pytest.raises(DataError, match=r"Expected an incident file, but .* is a named pipe"):
        panel_from_incidents(fifo, date="d", unit="u", progress=False)


def test_directory_given_as_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a folder, not a file"):
        read_table(folder)


def test_unreadable_file_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("a,b\n1,2\n")
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # root ignores chmod 000
        if self.name == "secret.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(DataError, match=r"cannot be opened \(Permission denied\).*chmod u\+r"):
        read_table(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_chmod_000_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("a,b\n1,2\n")
    path.chmod(0)
    try:
        with pytest.raises(DataError, match="cannot be opened"):
            read_table(path)
    finally:
        path.chmod(0o600)


# --------------------------------------------------------------------------- incident time zones

def test_incident_times_in_utc_are_counted_in_tz(tmp_path: Path) -> None:
    path = tmp_path / "z.csv"
    path.write_text("d,u\n2023-01-31T23:30:00Z,A\n2023-02-01T10:00:00Z,A\n2023-01-15 10:00,A\n")
    frame = panel_from_incidents(path, date="d", unit="u", progress=False, tz="Europe/Paris")
    assert dict(zip(frame["period"].astype(str), frame["count"], strict=True)) == {
        "2023-01": 1, "2023-02": 2}
    with pytest.raises(DataError, match=r"Column 'd' \(date=\) holds times with a time zone or "
                                        r"UTC offset \(e\.g\. '2023-01-31T23:30:00Z'\).*pass tz="):
        panel_from_incidents(path, date="d", unit="u", progress=False)


def test_incident_parquet_zoned_timestamps_need_tz(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "z.parquet", pd.DataFrame({
        "d": pd.to_datetime(["2023-01-31T23:30:00Z", "2023-02-01T10:00:00Z"]), "u": "A"}))
    with pytest.raises(DataError, match="pass tz="):
        panel_from_incidents(path, date="d", unit="u", progress=False)
    frame = panel_from_incidents(path, date="d", unit="u", progress=False, tz="Europe/Paris")
    assert frame["period"].astype(str).tolist() == ["2023-02"]
    assert frame["count"].tolist() == [2]


def test_incident_midnights_with_offset_keep_their_written_date(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("d,u\n2023-02-01T00:00:00+01:00,A\n2023-03-01T00:00:00+01:00,A\n")
    frame = panel_from_incidents(path, date="d", unit="u", progress=False)
    assert frame["period"].astype(str).tolist() == ["2023-02", "2023-03"]
