"""Tests for evalkit.data.io: read_table and data_fingerprint."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data import data_fingerprint, read_table
from evalkit.errors import DataError


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read_unchanged(path: Path, **kwargs: object) -> pd.DataFrame:
    """read_table, checking that the file's bytes are the same afterwards."""
    before = path.read_bytes()
    df = read_table(path, **kwargs)
    assert path.read_bytes() == before
    return df


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["a", "b"], "month": ["2021-01", "2021-02"], "n": [1, 2]})


def test_dataframe_is_copied_not_shared(frame: pd.DataFrame) -> None:
    before = frame.copy(deep=True)
    out = read_table(frame)
    assert out is not frame
    pd.testing.assert_frame_equal(out, frame)
    out.loc[0, "n"] = 99
    pd.testing.assert_frame_equal(frame, before)


def test_semicolon_decimal_comma_latin1(tmp_path: Path) -> None:
    text = (
        "commune;mois;cambriolages;taux_pour_mille;population\n"
        "Hôtel-de-Ville;2021-01;12;1,5;1.234\n"
        "Hôtel-de-Ville;2021-02;NA;2,25;1.234\n"
        "Gare;2021-01;3;;12.345.678\n"
    )
    path = _write(tmp_path / "ssmsi.csv", text.encode("latin-1"))
    df = _read_unchanged(path)
    assert list(df.columns) == ["commune", "mois", "cambriolages", "taux_pour_mille", "population"]
    assert df.loc[0, "commune"] == "Hôtel-de-Ville"
    assert df["taux_pour_mille"].tolist()[:2] == [1.5, 2.25]
    assert np.isnan(df.loc[2, "taux_pour_mille"])
    assert np.isnan(df.loc[1, "cambriolages"])
    assert df["population"].tolist() == [1234, 1234, 12345678]
    assert df["mois"].tolist() == ["2021-01", "2021-02", "2021-01"]


def test_cp1252_characters(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "lieu;n\nCafé – Œuvre;2\n".encode("cp1252"))
    assert _read_unchanged(path).loc[0, "lieu"] == "Café – Œuvre"


def test_utf8_bom_comma(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.csv", "\ufeffunit,n,rate\nÉcole,3,0.5\n".encode("utf-8"))
    df = _read_unchanged(path)
    assert list(df.columns) == ["unit", "n", "rate"]
    assert df.loc[0, "unit"] == "École"
    assert df.loc[0, "rate"] == 0.5


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "u16.txt", "unit\tn\nnord\t4\n".encode("utf-16"))
    assert _read_unchanged(path).loc[0, "n"] == 4


@pytest.mark.parametrize(("name", "sep"), [("t.tsv", "\t"), ("t.txt", "\t"), ("p.csv", "|")])
def test_tab_and_pipe(tmp_path: Path, name: str, sep: str) -> None:
    path = _write(tmp_path / name, f"unit{sep}n\nnorth{sep}5\nsouth{sep}6\n".encode())
    df = _read_unchanged(path)
    assert df["n"].tolist() == [5, 6]
    assert df["unit"].tolist() == ["north", "south"]


def test_csv_gz(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv.gz", gzip.compress(b"unit;n\nx;1,5\n"))
    assert _read_unchanged(path).loc[0, "n"] == 1.5


def test_comma_file_quoted_thousands_and_dot_decimal(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b'unit,pop,rate\nnorth,"1,234,567",2.5\nsouth,"12,000",3\n')
    df = _read_unchanged(path)
    assert df["pop"].tolist() == [1234567, 12000]
    assert df["rate"].tolist() == [2.5, 3.0]


def test_space_thousands_and_leading_zero_codes(tmp_path: Path) -> None:
    text = "CODGEO;pop;n\n01004;14\u00a0204,5;3\n2A004;1 234;4\n"
    path = _write(tmp_path / "a.csv", text.encode("utf-8"))
    df = _read_unchanged(path)
    assert df["CODGEO"].tolist() == ["01004", "2A004"]
    assert df["pop"].tolist() == [14204.5, 1234.0]


def test_leading_zero_numbers_stay_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b"code,n\n01,1\n02,2\n")
    assert _read_unchanged(path)["code"].tolist() == ["01", "02"]


def test_parquet(tmp_path: Path, frame: pd.DataFrame) -> None:
    for name in ("a.parquet", "a.pq"):
        frame.to_parquet(tmp_path / name)
        pd.testing.assert_frame_equal(_read_unchanged(tmp_path / name), frame, check_dtype=False)


def test_xlsx_sheets(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "a.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="first", index=False)
        frame.assign(n=[7, 8]).to_excel(writer, sheet_name="second", index=False)
    assert _read_unchanged(path)["n"].tolist() == [1, 2]
    assert _read_unchanged(path, sheet="second")["n"].tolist() == [7, 8]
    assert _read_unchanged(path, sheet=1)["n"].tolist() == [7, 8]
    with pytest.raises(DataError, match=r"Expected sheet 'third'.*'first', 'second'.*Fix"):
        read_table(path, sheet="third")
    with pytest.raises(DataError, match=r"Expected sheet 5"):
        read_table(path, sheet=5)


def test_missing_file_names_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected = str((tmp_path / "nope.csv").resolve())
    with pytest.raises(DataError, match=r"Expected a data file.*does not exist.*Fix") as info:
        read_table("nope.csv")
    assert expected in str(info.value)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder, not a file"):
        read_table(tmp_path)


def test_unknown_suffix_lists_supported(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.json", b"{}")
    with pytest.raises(DataError, match=r"one of \.csv, .*\.parquet.*\.xlsx.*'a\.json'.*Fix"):
        read_table(path)


def test_not_a_path_or_frame() -> None:
    with pytest.raises(DataError, match="Expected a pandas DataFrame or a file path, but got int"):
        read_table(123)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = _write(tmp_path / "e.csv", content)
    with pytest.raises(DataError, match=r"the file is empty\. Fix"):
        read_table(path)


def test_header_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", b"unit;month;n\n")
    with pytest.raises(DataError, match=r"only a header \(unit, month, n\)\. Fix"):
        read_table(path)


def test_binary_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.csv", b"a,b\n\x00\x01\x02,3\n")
    with pytest.raises(DataError, match=r"looks binary.*Fix: export"):
        read_table(path)


def test_ragged_file_cannot_be_parsed(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", b"a,b\n1,2\n3,4\n5,6,7\n")
    with pytest.raises(DataError, match=r"could not be parsed.*Fix: check that every line"):
        read_table(path)


def test_bad_gzip(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv.gz", b"not gzip at all")
    with pytest.raises(DataError, match=r"could not be decompressed.*Fix"):
        read_table(path)


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.parquet", b"PAR1 garbage")
    with pytest.raises(DataError, match=r"Expected a Parquet file.*could not be read.*Fix"):
        read_table(path)


@pytest.mark.parametrize("name", ["a.xlsx", "a.xls"])
def test_corrupt_excel(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, b"garbage bytes")
    with pytest.raises(DataError, match=r"Excel.*Fix"):
        read_table(path)


def test_empty_excel_sheet(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    pd.DataFrame().to_excel(path, index=False)
    with pytest.raises(DataError, match="the file is empty"):
        read_table(path)


def test_fingerprint_of_file_is_sha256_of_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b"unit,n\nx,1\n")
    assert data_fingerprint(path) == hashlib.sha256(b"unit,n\nx,1\n").hexdigest()
    assert data_fingerprint(str(path)) == data_fingerprint(path)


def test_fingerprint_of_frame(frame: pd.DataFrame) -> None:
    before = frame.copy(deep=True)
    digest = data_fingerprint(frame)
    assert len(digest) == 64
    assert digest == data_fingerprint(frame.copy())
    assert digest != data_fingerprint(frame.assign(n=[1, 3]))
    assert digest != data_fingerprint(frame.rename(columns={"n": "count"}))
    assert digest != data_fingerprint(frame.astype({"n": "float64"}))
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(("a", "b"), [
    ([1, "b"], ["1", "b"]),
    ([True, "b"], ["True", "b"]),
    ([1.0, "b"], ["1.0", "b"]),
])
def test_fingerprint_tells_mixed_objects_from_their_text(a, b) -> None:
    frame = {"x": pd.Series(a, dtype=object)}
    assert data_fingerprint(pd.DataFrame(frame)) != data_fingerprint(
        pd.DataFrame({"x": pd.Series(b, dtype=object)}))


def test_fingerprint_tells_column_1_from_column_text_1() -> None:
    assert data_fingerprint(pd.DataFrame({1: [1, 2]})) != data_fingerprint(
        pd.DataFrame({"1": [1, 2]}))


def test_fingerprint_unhashable_cells() -> None:
    df = pd.DataFrame({"a": [[1, 2], [3]]})
    assert data_fingerprint(df) == data_fingerprint(df.copy())


def test_fingerprint_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        data_fingerprint(tmp_path / "missing.csv")
