"""panel_from_incidents: real-format fixtures counted by hand, zero-filling, suppression, errors."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.data import incidents
from evalkit.data.incidents import COLUMNS, panel_from_incidents, write_panel
from evalkit.errors import DataError, EvalkitWarning, SpecError
from evalkit.run.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "incidents"
POLICE = DATA / "police_uk"
JAN = POLICE / "2023-01-city-of-london-street.csv"
MAR = POLICE / "2023-03-city-of-london-street.csv"
CHICAGO = DATA / "chicago_crimes.csv"
NYPD = DATA / "nypd_complaints.csv"
SSMSI = DATA / "ssmsi_communes.csv"
ASB, BURGLARY, VIOLENCE = "Anti-social behaviour", "Burglary", "Violence and sexual offences"
CBV, CAMB, VSV = ("Coups et blessures volontaires", "Cambriolages de logement",
                  "Vols sans violence contre des personnes")


def panel(source, **kwargs):
    """The panel, with warnings silenced (they are tested on their own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return panel_from_incidents(source, progress=False, **kwargs)


def counts(frame: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """Non-zero counts of a long panel keyed by (unit, period, indicator)."""
    nz = frame[frame["count"].fillna(-1) != 0]
    return {(u, str(p), i): (None if pd.isna(c) else int(c)) for u, p, i, c in
            zip(nz.unit_id, nz.period, nz.indicator, nz["count"], strict=True)}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def as_parquet(csv_path: Path, out: Path) -> Path:
    pd.read_csv(csv_path, dtype=str, keep_default_na=False).to_parquet(out)
    return out


# --------------------------------------------------------------------------- police.uk

POLICE_COUNTS = {
    ("E01000001", "2023-01", ASB): 2, ("E01000001", "2023-01", BURGLARY): 1,
    ("E01000001", "2023-01", VIOLENCE): 2, ("E01000002", "2023-01", ASB): 1,
    ("E01000002", "2023-01", BURGLARY): 3, ("E01000003", "2023-01", VIOLENCE): 1,
    ("E01000001", "2023-03", BURGLARY): 2, ("E01000002", "2023-03", ASB): 2,
    ("E01000002", "2023-03", VIOLENCE): 1, ("E01000003", "2023-03", BURGLARY): 1,
    ("E01000003", "2023-03", ASB): 1, ("E01000003", "2023-03", VIOLENCE): 2,
}


def test_police_uk_counts_by_hand_zero_fills_the_missing_month_and_keeps_asb():
    with pytest.warns(EvalkitWarning, match=r"2 of the 21 rows have no unit in 'LSOA code'"):
        df = panel_from_incidents(POLICE / "*.csv", preset="police_uk", progress=False)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 3 * 3 * 3  # units x months (Feb has no file: zero-filled) x crime types
    assert counts(df) == POLICE_COUNTS  # ASB rows have no Crime ID and still count
    assert df["count"].sum() == 19
    assert (df.loc[df["count"] > 0, "status"] == "observed").all()
    assert (df.loc[df["count"] == 0, "status"] == "zero_filled").all()
    assert (df.loc[df.period.astype(str) == "2023-02", "status"] == "zero_filled").all()
    assert df["period"].dtype == pd.PeriodDtype("M")
    assert df[["unit_id", "period", "indicator"]].equals(
        df.sort_values(["unit_id", "period", "indicator"])[["unit_id", "period", "indicator"]])
    assert set(df["source"]) == {"police_uk"} and df["source_vintage"].isna().all()
    assert df["exposure"].isna().all() and df["exposure_type"].isna().all()
    info = df.attrs["ingest"]
    assert (info["rows_read"], info["rows_used"], info["dropped"]) == (21, 19, {"no_unit": 2})


def test_one_file_a_list_a_glob_and_a_folder_give_the_same_panel():
    frames = [panel(src, preset="police_uk") for src in
              (POLICE, [JAN, MAR], [str(MAR), str(JAN)], str(POLICE / "2023-0?-*.csv"))]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)
    jan = panel(JAN, preset="police_uk")
    assert counts(jan) == {k: v for k, v in POLICE_COUNTS.items() if k[1] == "2023-01"}


def test_parquet_and_mixed_csv_parquet_inputs_count_like_csv(tmp_path):
    expected = panel([JAN, MAR], preset="police_uk")
    both = [as_parquet(JAN, tmp_path / "jan.parquet"), as_parquet(MAR, tmp_path / "mar.parquet")]
    pd.testing.assert_frame_equal(panel(both, preset="police_uk"), expected)
    pd.testing.assert_frame_equal(panel([both[0], MAR], preset="police_uk"), expected)


def test_start_and_end_extend_the_zero_filling_and_cut_rows():
    df = panel(POLICE, preset="police_uk", start="2022-11", end="2023-02")
    assert [str(p) for p in df.period.unique()] == ["2022-11", "2022-12", "2023-01", "2023-02"]
    assert counts(df) == {k: v for k, v in POLICE_COUNTS.items() if k[1] == "2023-01"}
    info = df.attrs["ingest"]
    assert info["dropped"] == {"no_unit": 2, "outside_period_range": 9}
    assert "9 of the 21 rows have a date outside 2022-11 to 2023-02" in " ".join(info["notes"])


def test_units_lists_every_area_including_those_without_incidents():
    df = panel(POLICE, preset="police_uk", units=["E01000002", "E01000001", "E01000009"])
    assert list(df.unit_id.cat.categories) == ["E01000001", "E01000002", "E01000009"]
    assert (df.loc[df.unit_id == "E01000009", "status"] == "zero_filled").all()
    assert len(df) == 27 and df["count"].sum() == 19 - 5  # E01000003's 5 incidents left out
    assert df.attrs["ingest"]["dropped"]["other_units"] == 5


def test_indicators_select_and_rename_categories():
    df = panel(POLICE, preset="police_uk", indicators={BURGLARY: "burglary", ASB: "asb"})
    assert list(df.indicator.cat.categories) == ["burglary", "asb"]
    assert df.loc[df.indicator == "burglary", "count"].sum() == 7
    merged = panel(POLICE, preset="police_uk", indicators={BURGLARY: "all", VIOLENCE: "all"})
    assert merged["count"].sum() == 7 + 6
    assert merged.attrs["ingest"]["dropped"]["other_categories"] == 6


def test_wide_layout_loads_as_a_panel_for_the_designs():
    wide = panel(POLICE, preset="police_uk", layout="wide")
    assert list(wide.columns) == ["unit_id", "period", ASB, BURGLARY, VIOLENCE]
    assert len(wide) == 9
    row = wide[(wide.unit_id == "E01000002") & (wide.period.astype(str) == "2023-01")]
    assert row[[ASB, BURGLARY, VIOLENCE]].iloc[0].tolist() == [1, 3, 0]
    loaded = ek.load_panel(wide, unit="unit_id", time="period", outcome=BURGLARY)
    assert (loaded.n_units, loaded.n_periods, loaded.freq) == (3, 3, "M")


def test_exposure_tables_by_unit_or_by_unit_and_year(tmp_path):
    table = pd.DataFrame({"lsoa": ["E01000001", "E01000002", "E01000003"],
                          "population": [1500, 1600, 1700]})
    df = panel(POLICE, preset="police_uk", exposure=table)
    assert (df.loc[df.unit_id == "E01000002", "exposure"] == 1600).all()
    assert set(df.exposure_type) == {"population"}
    yearly = write(tmp_path / "pop.csv", "lsoa;year;pop\nE01000001;2022;1000\nE01000001;2023;"
                   "1100\nE01000002;2023;1200\n")
    df = panel(POLICE, preset="police_uk", exposure=yearly, exposure_type="residents",
               start="2022-12", layout="long")
    got = df.groupby(["unit_id", df.period.astype(str)], observed=True)["exposure"].first()
    assert got[("E01000001", "2022-12")] == 1000 and got[("E01000001", "2023-03")] == 1100
    assert np.isnan(got[("E01000002", "2022-12")]) and np.isnan(got[("E01000003", "2023-01")])
    assert set(df.exposure_type.dropna()) == {"residents"}
    notes = " ".join(df.attrs["ingest"]["notes"])
    assert "1 unit of the panel not in the exposure table ('E01000003')" in notes
    wide = panel(POLICE, preset="police_uk", exposure=table, layout="wide")
    assert wide["exposure"].tolist() == [1500.0] * 3 + [1600.0] * 3 + [1700.0] * 3


# --------------------------------------------------------------------------- Chicago, NYPD

def test_chicago_community_areas_by_hand_in_numeric_order():
    with pytest.warns(EvalkitWarning, match="1 of the 14 rows has no unit in 'Community Area'"):
        df = panel_from_incidents(CHICAGO, preset="chicago", progress=False)
    assert list(df.unit_id.cat.categories) == ["8", "32"]
    assert counts(df) == {
        ("32", "2023-01", "THEFT"): 2, ("32", "2023-01", "BATTERY"): 1,
        ("32", "2023-01", "BURGLARY"): 1, ("32", "2023-02", "BATTERY"): 1,
        ("32", "2023-03", "THEFT"): 2, ("8", "2023-01", "BURGLARY"): 1,
        ("8", "2023-02", "BURGLARY"): 1, ("8", "2023-02", "THEFT"): 2,
        ("8", "2023-03", "BATTERY"): 2}
    by_district = panel(CHICAGO, preset="chicago", unit="District")
    assert list(by_district.unit_id.cat.categories) == ["001", "018"]  # codes kept as text
    assert by_district["count"].sum() == 14
    assert counts(by_district)[("018", "2023-03", "THEFT")] == 1


def test_chicago_am_pm_times_fall_on_the_right_day_and_week():
    daily = panel(CHICAGO, preset="chicago", freq="D")
    assert len(daily.period.unique()) == 88  # 2023-01-03 .. 2023-03-31
    got = counts(daily)
    assert got[("8", "2023-01-31", "BURGLARY")] == 1  # 11:59 PM
    assert got[("8", "2023-02-01", "BURGLARY")] == 1  # 12:05 AM
    assert got[("32", "2023-01-20", "BATTERY")] == 1  # 12:00 PM
    weekly = panel(CHICAGO, preset="chicago", freq="W")
    assert counts(weekly)[("8", "2023-01-30/2023-02-05", "BURGLARY")] == 2
    quarterly = panel(CHICAGO, preset="chicago", freq="Q", layout="wide")
    assert quarterly["THEFT"].tolist() == [2, 4]


def test_nypd_uses_the_occurrence_date_and_the_report_date_only_when_it_is_empty():
    with pytest.warns(EvalkitWarning) as caught:
        df = panel_from_incidents(NYPD, preset="nypd", progress=False)
    texts = " ".join(str(w.message) for w in caught)
    assert "1 of the 13 rows has a date before 1900 or after 2100 in 'CMPLNT_FR_DT' (e.g. " \
           "'05/12/1015')" in texts
    assert "no unit in 'ADDR_PCT_CD'" in texts and "no category in 'OFNS_DESC'" in texts
    assert counts(df) == {
        ("14", "2022-12", "PETIT LARCENY"): 1,  # occurred 12/30/2022, reported 01/02/2023
        ("14", "2023-01", "PETIT LARCENY"): 1, ("14", "2023-01", "FELONY ASSAULT"): 1,
        ("14", "2023-02", "FELONY ASSAULT"): 1, ("14", "2023-02", "PETIT LARCENY"): 1,
        ("75", "2023-01", "ROBBERY"): 2, ("75", "2023-01", "FELONY ASSAULT"): 1,
        ("75", "2023-02", "PETIT LARCENY"): 2}
    info = df.attrs["ingest"]
    assert info["dropped"] == {"implausible_date": 1, "no_unit": 1, "no_category": 1}
    assert "1 of the 13 rows has no 'CMPLNT_FR_DT': their 'RPT_DT' is used" in info["notes"][-1]
    by_report = panel(NYPD, preset="nypd", date="RPT_DT")
    assert ("14", "2022-12", "PETIT LARCENY") not in counts(by_report)


# --------------------------------------------------------------------------- SSMSI

def test_ssmsi_withheld_cells_are_suppressed_never_zero_nor_the_complement():
    df = panel(SSMSI, preset="ssmsi")
    assert len(df) == 12  # aggregated: never zero-filled
    assert df.period.dtype == pd.PeriodDtype("Y")
    cell = df.set_index(["unit_id", df.period.astype(str), "indicator"])
    assert cell.loc[("01001", "2023", VSV), "count"] == 11
    assert cell.loc[("01002", "2022", CAMB), "count"] == 0  # a published zero stays observed
    assert cell.loc[("01002", "2022", CAMB), "status"] == "observed"
    for key in [("01002", "2022", CBV), ("01002", "2023", CAMB)]:
        assert pd.isna(cell.loc[key, "count"])  # not 0, not complement_info_nombre (1,52)
        assert cell.loc[key, "status"] == "suppressed_at_source"
    assert cell.loc[("01001", "2022", CBV), ["exposure", "exposure_type"]].tolist() == \
        [832.0, "residents"]
    assert cell.loc[("01001", "2022", CAMB), ["exposure", "exposure_type"]].tolist() == \
        [373.0, "dwellings"]
    assert df.attrs["ingest"]["count_units"] == {CAMB: "Infraction", CBV: "Victime",
                                                 VSV: "Victime"}
    wide = panel(SSMSI, preset="ssmsi", layout="wide")
    assert list(wide.columns) == ["unit_id", "period", CAMB, CBV, VSV, "exposure_dwellings",
                                  "exposure_residents"]
    assert wide[CBV].isna().tolist() == [False, False, True, False]


def test_ssmsi_sums_only_indicators_of_one_unit_of_count_and_keeps_suppression():
    df = panel(SSMSI, preset="ssmsi", indicators={CBV: "personnes", VSV: "personnes"})
    got = {(u, str(p)): c for u, p, c in zip(df.unit_id, df.period, df["count"], strict=True)}
    assert got[("01001", "2022")] == 15 and got[("01002", "2023")] == 4
    assert pd.isna(got[("01002", "2022")])  # one withheld part withholds the sum
    with pytest.raises(DataError, match=r"summed into indicator 'violence' to share one unit "
                       r"of count .* different units of count \(unite_de_compte\)"):
        panel(SSMSI, preset="ssmsi", indicators={CBV: "violence", CAMB: "violence"})


def test_ssmsi_refuses_summing_different_denominators_and_takes_an_exposure_table(tmp_path):
    text = SSMSI.read_text(encoding="utf-8").replace(f"{VSV};Victime", f"{VSV};Infraction")
    same_unit = write(tmp_path / "ssmsi.csv", text)
    with pytest.raises(DataError, match=r"share one unit of count and one denominator, but they "
                       r"have different denominators: dwellings, residents"):
        panel(same_unit, preset="ssmsi", indicators={CAMB: "vols", VSV: "vols"})
    households = pd.DataFrame({"commune": ["01001", "01002"], "menages": [350, 120]})
    df = panel(SSMSI, preset="ssmsi", exposure=households, layout="wide")
    assert df["exposure"].tolist() == [350.0, 350.0, 120.0, 120.0]


def test_ssmsi_refuses_repeated_rows_from_overlapping_files(tmp_path):
    copy = shutil.copy(SSMSI, tmp_path / "copy.csv")
    with pytest.raises(DataError, match=r"one published count per unit, period and indicator"
                       r", but found repeats \(unit '01001', 2022-01-01, .* in 2 rows"):
        panel([SSMSI, copy], preset="ssmsi")


def test_ssmsi_bad_counts_and_geographies(tmp_path):
    head = SSMSI.read_text(encoding="utf-8").splitlines()
    bad = write(tmp_path / "text.csv", "\n".join([head[0], head[1].replace(";6;", ";six;")]))
    with pytest.raises(DataError, match=r"Column 'nombre' must hold numbers, but holds text "
                       r"\(unit '01001', 2022-01-01, .*: 'six'\)"):
        panel(bad, preset="ssmsi")
    empty = write(tmp_path / "empty.csv", "\n".join([head[0], head[1].replace(";6;", ";NA;")]))
    with pytest.raises(DataError, match="is empty in rows that are not marked as withheld"):
        panel(empty, preset="ssmsi")
    frac = write(tmp_path / "frac.csv", "\n".join([head[0], head[1].replace(";6;", ";6,5;")]))
    with pytest.raises(DataError, match="must hold whole numbers of 0 or more"):
        panel(frac, preset="ssmsi")
    other = write(tmp_path / "g2023.csv", "\n".join([head[0].replace("_2024", "_2023"),
                                                     head[1]]))
    with pytest.raises(DataError, match=r"one commune geography, but the files mix "
                       r"CODGEO_2023, CODGEO_2024"):
        panel([SSMSI, other], preset="ssmsi")
    nocode = write(tmp_path / "nocode.csv", "\n".join([head[0].replace("CODGEO_2024", "code"),
                                                       head[1]]))
    with pytest.raises(DataError, match=r"Expected one column CODGEO_<year> .* found none"):
        panel(nocode, preset="ssmsi")
    with pytest.raises(DataError, match=r"holds yearly dates and freq='M' asks for monthly "
                       r"periods \(published counts cannot be split"):
        panel(SSMSI, preset="ssmsi", freq="M")


# --------------------------------------------------------------------------- other inputs

def test_explicit_columns_without_a_preset_sniff_the_date_format(tmp_path):
    df = panel(JAN, date="Month", unit="LSOA name")
    assert list(df.indicator.cat.categories) == ["incidents"]
    assert df["count"].sum() == 11 - 1
    iso = write(tmp_path / "iso.csv", "when;where;what\n2023-01-05T10:00:00;A;x\n"
                "2023-02-01 00:10;A;y\n2023-02-03;B;x\n")
    df = panel(iso, date="when", unit="where", category="what")
    assert counts(df) == {("A", "2023-01", "x"): 1, ("A", "2023-02", "y"): 1,
                          ("B", "2023-02", "x"): 1}
    latin = write(tmp_path / "latin.csv", "date;quartier;type\n15/01/2023;Centre-Gare;vol\n"
                  "16/01/2023;Croix-Rousse;dégradation\n", encoding="latin-1")
    assert counts(panel(latin, date="date", unit="quartier", category="type"))[
        ("Croix-Rousse", "2023-01", "dégradation")] == 1
    zipped = tmp_path / "jan.csv.gz"
    zipped.write_bytes(gzip.compress(JAN.read_bytes()))
    pd.testing.assert_frame_equal(panel(zipped, preset="police_uk"), panel(JAN, preset="police_uk"))


def test_spaces_and_missing_markers_in_units_and_categories(tmp_path):
    padded = write(tmp_path / "padded.csv", "d,u,c\n2023-01-05, A ,x\n2023-01-06,A,x \n"
                   "2023-01-07,NA,x\n2023-01-08,B,(null)\n2023-02-01,B,y\n")
    with pytest.warns(EvalkitWarning) as caught:
        df = panel_from_incidents(padded, date="d", unit="u", category="c", progress=False)
    assert [str(w.message) for w in caught] == [
        "1 of the 5 rows has no unit in 'u': left out of the panel.",
        "1 of the 5 rows has no category in 'c': left out of the panel."]
    assert counts(df) == {("A", "2023-01", "x"): 2, ("B", "2023-02", "y"): 1}
    typed = tmp_path / "na.parquet"
    pd.DataFrame({"d": ["2023-01-05", "2023-01-06"], "u": ["A", "NA"], "c": ["x", "x"]}
                 ).to_parquet(typed)
    assert panel(typed, date="d", unit="u", category="c").attrs["ingest"]["dropped"] == {
        "no_unit": 1}


def test_typed_parquet_columns(tmp_path):
    typed = tmp_path / "typed.parquet"
    pd.DataFrame({"when": [pd.Timestamp(2023, 1, 5, 10), pd.Timestamp(2023, 3, 1),
                           pd.Timestamp(2023, 3, 2)],
                  "precinct": [14.0, 14.0, np.nan], "year": [2023, 2023, 2023],
                  "kind": ["a", "b", "a"]}).to_parquet(typed)
    df = panel(typed, date="when", unit="precinct", category="kind")
    assert list(df.unit_id.cat.categories) == ["14"]
    assert counts(df) == {("14", "2023-01", "a"): 1, ("14", "2023-03", "b"): 1}
    yearly = panel(typed, date="year", unit="kind", freq="Y")
    assert counts(yearly) == {("a", "2023", "incidents"): 2, ("b", "2023", "incidents"): 1}
    nypd = tmp_path / "nypd.parquet"
    pd.DataFrame({"CMPLNT_FR_DT": [pd.Timestamp(2022, 12, 30), pd.NaT],
                  "RPT_DT": [pd.Timestamp(2023, 1, 2), pd.Timestamp(2023, 1, 3)],
                  "ADDR_PCT_CD": [14, 14], "OFNS_DESC": ["ROBBERY", "ROBBERY"]}).to_parquet(nypd)
    df = panel(nypd, preset="nypd")
    assert counts(df) == {("14", "2022-12", "ROBBERY"): 1, ("14", "2023-01", "ROBBERY"): 1}
    assert "1 of the 2 rows has no 'CMPLNT_FR_DT'" in df.attrs["ingest"]["notes"][0]
    pd.testing.assert_frame_equal(panel(as_parquet(NYPD, tmp_path / "n.parquet"), preset="nypd"),
                                  panel(NYPD, preset="nypd"))


def test_unreadable_dates_stop_or_are_dropped_and_counted(tmp_path):
    text = JAN.read_text().replace("2023-01,", "2023-13,", 1).replace(",2023-01,", ",Jan 2023,",
                                                                      1)
    bad = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError, match=r"Column 'Month' \(preset 'police_uk'\) must hold dates "
                       r"\(format '%Y-%m'\), but 2 of the 11 rows could not be read, e\.g\. "
                       r"'2023-13', 'Jan 2023'\. Fix: .*bad_dates='drop'"):
        panel(bad, preset="police_uk")
    with pytest.warns(EvalkitWarning, match=r"2 of the 11 rows have an unreadable date in "
                      r"'Month' \(format '%Y-%m'\) \(e\.g\. '2023-13', 'Jan 2023'\)"):
        df = panel_from_incidents(bad, preset="police_uk", bad_dates="drop", progress=False)
    assert df["count"].sum() == 11 - 1 - 2
    assert df.attrs["ingest"]["dropped"] == {"bad_date": 2, "no_unit": 1}


def test_date_format_errors(tmp_path):
    ambiguous = write(tmp_path / "amb.csv", "d,u\n01/02/2023,A\n03/04/2023,B\n")
    with pytest.raises(DataError, match=r"read both day first and month first\. Fix: pass "
                       r"date_format='%d/%m/%Y' \(day first\) or date_format='%m/%d/%Y'"):
        panel(ambiguous, date="d", unit="u")
    assert counts(panel(ambiguous, date="d", unit="u", date_format="%m/%d/%Y")) == {
        ("A", "2023-01", "incidents"): 1, ("B", "2023-03", "incidents"): 1}
    unknown = write(tmp_path / "unk.csv", "d,u\nmonday,A\n")
    with pytest.raises(DataError, match=r"must hold dates, but its values \(e\.g\. 'monday'\) "
                       r"match none of the formats tried"):
        panel(unknown, date="d", unit="u")
    with pytest.raises(DataError, match=r"holds monthly dates and freq='W' asks for weekly"):
        panel(JAN, preset="police_uk", freq="W")


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize(("source", "message"), [
    ("nope.csv", r"Expected an incident file, but .*nope\.csv does not exist\. Fix: check"),
    ("*.nothing.csv", r"Expected incident files matching '.*\*\.nothing\.csv', but the pattern "
                      r"matches no file"),
    ([], r"Expected at least one incident file, but got an empty list"),
    ([3], r"Expected file paths or glob patterns, but got int"),
])
def test_missing_sources(tmp_path, source, message):
    if isinstance(source, str):
        source = str(tmp_path / source)
    with pytest.raises(DataError, match=message):
        panel(source, preset="police_uk")


def test_unusable_files(tmp_path):
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataError, match=r"Expected CSV or Parquet files in the folder .*folder, "
                       r"but it has none"):
        panel(tmp_path / "folder", preset="police_uk")
    xlsx = write(tmp_path / "a.xlsx", "x")
    with pytest.raises(DataError, match=r"Expected CSV or Parquet incident files .* but got "
                       r"'.*a\.xlsx'"):
        panel(xlsx, preset="police_uk")
    with pytest.raises(DataError, match=r"Expected a table in .*empty\.csv, but the file is empty"):
        panel(write(tmp_path / "empty.csv", "\n"), preset="police_uk")
    header = write(tmp_path / "header.csv", JAN.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match=r"Expected incident rows, but header\.csv hold only a "
                       r"header"):
        panel(header, preset="police_uk")
    ragged = write(tmp_path / "ragged.csv", JAN.read_text() + "x,2023-01,a,b,c,d,e,f,g,h,i,j,k\n")
    with pytest.raises(DataError, match=r"Expected readable incident files, but reading "
                       r".*ragged\.csv failed: .*CSV Error on Line: 13"):
        panel(ragged, preset="police_uk")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"Expected a readable text file in .*broken\.csv\.gz, "
                       r"but: .*Fix: check the file"):
        panel(broken, preset="police_uk")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"Expected a Parquet file in .*corrupt\.parquet, but it "
                       r"could not be read"):
        panel(corrupt, preset="police_uk")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"a,b\n\x00\x01\x02\n")
    with pytest.raises(DataError, match="but it looks binary"):
        panel(binary, preset="police_uk")
    twice = write(tmp_path / "twice.csv", "Month,Month\n2023-01,2023-01\n")
    with pytest.raises(DataError, match=r"distinct column names .* but 'Month' appear"):
        panel(twice, preset="police_uk")


def test_missing_mapped_columns_name_the_preset_the_expected_and_the_found(tmp_path):
    with pytest.raises(DataError, match=(
            r"Preset 'police_uk' \(police.uk street-level crime CSV\) expects the columns "
            r"'Month' \(date\), 'LSOA code' \(unit\), 'Crime type' \(category\), but "
            r"chicago_crimes\.csv lacks 'Month', 'LSOA code', 'Crime type'\. Did you mean "
            r"'Primary Type' for 'Crime type'\? Found columns: 'ID', 'Case Number', 'Date'")):
        panel(CHICAGO, preset="police_uk")
    with pytest.raises(DataError, match=r"lacks 'district'\. Did you mean 'District' for "
                       r"'district'\?"):
        panel(CHICAGO, preset="chicago", unit="district")
    with pytest.raises(DataError, match=r"The column mapping \(date=, unit=, category=\) expects"
                       r" .* lacks 'Dates' \(and 1 other file\(s\) lack columns too\)"):
        panel([JAN, MAR], date="Dates", unit="LSOA code")
    lines = NYPD.read_text().splitlines()
    renamed = write(tmp_path / "nypd.csv", "\n".join(
        [lines[0].replace("RPT_DT", "REPORT_DATE"), *lines[1:]]) + "\n")
    with pytest.raises(DataError, match=r"'RPT_DT' \(date when the first is empty\), .* lacks "
                       r"'RPT_DT'\. Did you mean 'REPORT_DATE'"):
        panel(renamed, preset="nypd")


def test_option_errors():
    with pytest.raises(SpecError, match=r"Expected preset to be one of 'police_uk', 'chicago', "
                       r"'nypd', 'ssmsi', but got 'police'"):
        panel(JAN, preset="police")
    with pytest.raises(SpecError, match=r"Expected a preset or the date and unit columns, but got"
                       r" date='Month', unit=None"):
        panel(JAN, date="Month")
    with pytest.raises(SpecError, match=r"layout must be one of 'long', 'wide'; got 'tall'"):
        panel(JAN, preset="police_uk", layout="tall")
    with pytest.raises(SpecError, match=r"freq must be one of .*; got 'month'"):
        panel(JAN, preset="police_uk", freq="month")
    with pytest.raises(SpecError, match=r"bad_dates must be one of"):
        panel(JAN, preset="police_uk", bad_dates="ignore")
    with pytest.raises(SpecError, match=r"Expected start <= end, but got start='2023-03' "
                       r"\(2023-03\) and end='2023-01'"):
        panel(JAN, preset="police_uk", start="2023-03", end="2023-01")
    with pytest.raises(DataError, match=r"Expected start to be a date or period, but got 'soon'"):
        panel(JAN, preset="police_uk", start="soon")
    with pytest.raises(SpecError, match="Expected indicators= to name at least one category"):
        panel(JAN, preset="police_uk", indicators=[])
    with pytest.raises(SpecError, match="Expected units= to list at least one unit"):
        panel(JAN, preset="police_uk", units=[])


def test_selection_errors(monkeypatch):
    with pytest.raises(DataError, match=r"but 'Burglery' never occur\(s\) in the files\. Did you "
                       r"mean 'Burglary'\? Found: 'Anti-social behaviour', 'Burglary'"):
        panel(JAN, preset="police_uk", indicators=["Burglery"])
    with pytest.raises(DataError, match=r"Expected rows in the panel, but every row was left "
                       r"out: .*a unit not listed in units="):
        panel(JAN, preset="police_uk", units=["E09999999"])
    with pytest.raises(DataError, match=r"differ from the wide table's own columns .* called "
                       r"'period'"):
        panel(JAN, preset="police_uk", layout="wide", indicators={BURGLARY: "period"})
    monkeypatch.setattr(incidents.api, "MAX_CELLS", 20)
    with pytest.raises(DataError, match=r"Expected a panel of at most 20 cells, but 3 units × 3 "
                       r"periods \(2023-01 to 2023-03\) × 3 indicators make 27\. Fix: narrow"):
        panel(POLICE, preset="police_uk")


def test_rows_without_any_usable_key(tmp_path):
    lines = JAN.read_text().splitlines()
    blank = write(tmp_path / "blank.csv", "\n".join([lines[0], lines[-1]]) + "\n")
    with pytest.raises(DataError, match=r"Expected rows with a date, a unit and a category, but "
                       r"none of the 1 rows has all three: 1 of the 1 rows has no unit"):
        panel(blank, preset="police_uk")


def test_exposure_table_errors(tmp_path):
    with pytest.raises(DataError, match=r"Expected an exposure table with the columns \(unit, "
                       r"value\) or \(unit, period, value\), in this order, but it has 4"):
        panel(JAN, preset="police_uk", exposure=pd.DataFrame({"a": [1], "b": [1], "c": [1],
                                                                "d": [1]}))
    daily = pd.DataFrame({"u": ["E01000001"], "day": ["2023-01-05"], "pop": [10]})
    with pytest.raises(DataError, match=r"Expected exposure periods no finer than the panel's "
                       r"\(monthly\), but column 'day' of the exposure table is daily"):
        panel(JAN, preset="police_uk", exposure=daily)
    with pytest.raises(DataError, match=r"is an exposure .* must be a positive number"):
        panel(JAN, preset="police_uk", exposure=pd.DataFrame({"u": ["E01000001"], "pop": [0]}))
    with pytest.raises(DataError, match=r"Expected one row per \(u\)"):
        panel(JAN, preset="police_uk", exposure=pd.DataFrame({"u": ["A", "A"], "pop": [1, 2]}))


# --------------------------------------------------------------------------- progress, files

def test_the_progress_path_gives_the_same_panel():
    pd.testing.assert_frame_equal(
        panel_from_incidents(CHICAGO, preset="chicago", unit="Beat", progress=True),
        panel(CHICAGO, preset="chicago", unit="Beat"))


def test_write_panel_round_trips_and_refuses_to_clobber(tmp_path):
    weekly = panel(CHICAGO, preset="chicago", freq="W", layout="wide")
    out = write_panel(weekly, tmp_path / "sub" / "weekly.csv")
    back = ek.load_panel(out, unit="unit_id", time="period", outcome="THEFT")
    assert (back.freq, back.n_periods, back.n_obs) == ("W", 13, 26)
    long = panel(SSMSI, preset="ssmsi")
    read = pd.read_parquet(write_panel(long, tmp_path / "ssmsi.parquet"))
    assert read["count"].isna().sum() == 2 and list(read.columns) == list(COLUMNS)
    with pytest.raises(SpecError, match=r"Expected a new output file, but .*ssmsi\.parquet "
                       r"already exists\. Fix: .*--overwrite"):
        write_panel(long, tmp_path / "ssmsi.parquet")
    with pytest.raises(SpecError, match=r"Expected an output file other than the inputs"):
        write_panel(long, SSMSI, overwrite=True)
    with pytest.raises(SpecError, match=r"ending in \.csv or \.parquet, but got 'p\.xlsx'"):
        write_panel(long, tmp_path / "p.xlsx")


def test_cli_panel_writes_the_file(tmp_path, capsys):
    out = tmp_path / "police.parquet"
    code = main(["panel", str(POLICE / "*.csv"), "--preset", "police_uk", "--out", str(out),
                 "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "27 rows; 3 units x 3 periods (M, 2023-01 to 2023-03); 19 of 21 rows counted" \
        in printed
    assert "observed: 12, zero_filled: 15" in printed
    assert "note: 2 of the 21 rows have no unit in 'LSOA code'" in printed
    assert pd.read_parquet(out)["count"].sum() == 19
    wide = tmp_path / "ssmsi.csv"
    assert main(["panel", str(SSMSI), "--preset", "ssmsi", "--layout", "wide", "--out",
                 str(wide)]) == 0
    assert wide.read_text().splitlines()[3] == "01002,2022,0,,2,138.0,267.0"
    out = tmp_path / "chicago.csv"
    write(out, "keep me")
    assert main(["panel", str(CHICAGO), "--preset", "chicago", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == "keep me"
    # --overwrite replaces only a panel that evalkit panel wrote
    assert main(["panel", str(CHICAGO), "--preset", "chicago", "--out", str(out), "--overwrite",
                 "--no-progress"]) == 2
    assert "is not one" in capsys.readouterr().err and out.read_text() == "keep me"
    out.unlink()
    assert main(["panel", str(CHICAGO), "--preset", "chicago", "--out", str(out),
                 "--no-progress"]) == 0
    assert main(["panel", str(CHICAGO), "--preset", "chicago", "--out", str(out), "--overwrite",
                 "--indicator", "THEFT", "--freq", "Q", "--no-progress"]) == 0
    assert out.read_text().splitlines()[1:] == [
        "8,2023Q1,THEFT,2,,,observed,chicago,", "32,2023Q1,THEFT,4,,,observed,chicago,"]


def test_cli_panel_bad_input_exits_2_without_traceback_or_output(tmp_path):
    out = tmp_path / "out.csv"
    before = CHICAGO.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "evalkit", "panel", str(CHICAGO), "--preset",
                           "police_uk", "--out", str(out)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("evalkit: error: Preset 'police_uk'")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == [] and CHICAGO.read_bytes() == before
