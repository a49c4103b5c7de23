"""DfE statistical neighbours: the reader on a small hand-made workbook with the real layout,
the mapping onto harmonised units, and the real 2025 file for Camden."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sendlib.errors import SourceFormatError
from sendlib.neighbours import NoNeighboursError, neighbour_mapping, neighbour_units
from sendlib.readers import stat_neighbours as sn

CODES = [f"{300 + i}" for i in range(12)]
BANDS = ["Extremely Close", "Very close", "Very Close", "Close", "close", "Somewhat close", "Somewhat Close",
         "Not close", "Not Close", "not close"]


def council_line(code: str, name: str, neighbours: list[str], bands: list[str] = BANDS) -> list:
    """One sheet row: LA num (a number, as in the file), name, LA number, GOInd, GOReg, SN/SNP pairs."""
    pairs = [int(c) if c.isdigit() else c for c in neighbours]
    return [int(code), name, int(code), 3, "London (Outer)",
            *[cell for pair in zip(pairs, bands, strict=True) for cell in pair]]


def write_workbook(path: Path, current: list[list], old: list[list] | None = None) -> Path:
    """A workbook laid out as LAIT's: two rows of column letters/numbers, the header on row 3,
    the current councils, a blank row, "Old SNs:", a blank row, the pre-reorganisation councils."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sn.SHEET
    sheet.append([chr(ord("A") + i) for i in range(5)] + list(range(3, 23)))
    sheet.append(list(range(1, 26)))
    sheet.append(sn.HEADER)
    for line in current:
        sheet.append(line)
    sheet.append([])
    sheet.append([None, "Old SNs:"])
    sheet.append([])
    for line in old or []:
        sheet.append(line)
    book.save(path)
    return path


def others(code: str) -> list[str]:
    """Ten neighbours of ``code`` among CODES (every code but itself and one more)."""
    return [c for c in CODES if c != code][:10]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    current = [council_line(code, f"Council {code}", others(code)) for code in CODES[:3]]
    current.append(council_line("942", "Cumberland", ["-"] * 10, ["-"] * 10))
    old = [council_line("835", "Dorset (Pre LG)", others("835"), ["Very Close"] * 10)]
    return write_workbook(tmp_path / "sn.xlsx", current, old)


def test_reader_handles_header_rows_bands_and_old_rows(workbook: Path):
    table = sn.read_stat_neighbours_file(workbook, "2025")
    assert list(table.columns) == sn.COLUMNS
    assert sorted(table["la_code"].unique()) == ["300", "301", "302", "835"]  # 942: all "-", no neighbours
    camden_like = table[table["la_code"] == "301"]
    assert camden_like["rank"].tolist() == list(range(1, 11))
    assert camden_like["neighbour_la_code"].tolist() == others("301")
    assert camden_like["closeness"].tolist() == ["extremely close", "very close", "very close", "close", "close",
                                                 "somewhat close", "somewhat close", "not close", "not close", "not close"]
    assert (table["model"] == "2025").all()
    dorset = table[table["la_code"] == "835"]
    assert dorset["old_section"].all() and dorset["la_name"].iloc[0] == "Dorset (Pre LG)"
    assert not table.loc[table["la_code"] != "835", "old_section"].any()


def test_read_both_models_from_a_raw_folder(tmp_path: Path, workbook: Path):
    folder = tmp_path / "raw" / sn.DATASET
    folder.mkdir(parents=True)
    workbook.rename(folder / "a.xlsx")
    write_workbook(folder / "b.xlsx", [council_line("300", "Council 300", others("300"))])
    table = sn.read_stat_neighbours(tmp_path / "raw", files={"2025": "a.xlsx", "2021": "b.xlsx"})
    assert table.groupby("model")["la_code"].nunique().to_dict() == {"2021": 1, "2025": 4}


@pytest.mark.parametrize(("line", "match"), [
    (council_line("300", "X", others("300"), BANDS[:9] + ["Quite close"]), r"row 4, column SNP after SN10: .*'Quite close'"),
    (council_line("300", "X", others("300")[:9] + ["30"]), r"row 4, column SN10: '30' is not a 3-digit"),
    (council_line("300", "X", others("300")[:9] + ["-"]), r"row 4, column SN10: '-'"),
    ([300, "X", 301, *council_line("300", "X", others("300"))[3:]], r"row 4: LA num '300' and LA number '301' differ"),
    ([None, "X", 301, *council_line("300", "X", others("300"))[3:]], r"row 4: no LA num"),
])
def test_reader_errors_name_file_and_row(tmp_path: Path, line: list, match: str):
    path = write_workbook(tmp_path / "bad.xlsx", [line])
    with pytest.raises(SourceFormatError, match=match) as error:
        sn.read_stat_neighbours_file(path, "2025")
    assert "bad.xlsx" in str(error.value)


def test_reader_rejects_a_shifted_header_and_a_council_listed_twice(tmp_path: Path):
    path = write_workbook(tmp_path / "twice.xlsx", [council_line("300", "X", others("300"))] * 2)
    with pytest.raises(SourceFormatError, match=r"twice.xlsx: duplicated rows .*'300'"):
        sn.read_stat_neighbours_file(path, "2025")
    book = openpyxl.load_workbook(path)
    book[sn.SHEET].delete_rows(1)  # header now on row 2
    book.save(path)
    with pytest.raises(SourceFormatError, match=r"row 3: expected header"):
        sn.read_stat_neighbours_file(path, "2025")


# --------------------------------------------------------------------------- mapping onto units

NaT = pd.NaT
LOOKUP = pd.DataFrame([
    ("202", "Camden", "202", "Camden"),
    ("206", "Islington", "206", "Islington"),
    ("909", "Cumbria", "cumbria", "Cumbria"),
    ("942", "Cumberland", "cumbria", "Cumbria"),
    ("943", "Westmorland and Furness", "cumbria", "Cumbria"),
    ("940", "North Northamptonshire", "northamptonshire", "Northamptonshire"),
    ("941", "West Northamptonshire", "northamptonshire", "Northamptonshire"),
], columns=["la_code", "la_name", "unit", "unit_name"])


def neighbour_rows(model: str, la_code: str, neighbours: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"model": model, "la_code": la_code, "rank": range(1, len(neighbours) + 1),
                         "neighbour_la_code": neighbours, "closeness": "close"})


TABLE = pd.concat([
    neighbour_rows("2021", "202", ["206", "909", "941", "940"]),
    neighbour_rows("2021", "940", ["941", "202", "206"]),
    neighbour_rows("2025", "202", ["206", "942", "943", "941"]),
    neighbour_rows("2025", "942", ["943", "202"]),
], ignore_index=True)


def test_merged_neighbours_map_to_their_unit_once_at_the_best_rank():
    units = neighbour_units(TABLE, LOOKUP, "202", "2025")
    assert units["unit"].tolist() == ["206", "cumbria", "northamptonshire"]
    assert units["rank"].tolist() == [1, 2, 4]
    assert units["neighbour_la_codes"].tolist() == ["206", "942;943", "941"]
    assert "942, 943" in units.loc[1, "note"] and units.loc[0, "note"] == ""
    mapping = neighbour_mapping(TABLE, LOOKUP, "202", "2025")
    assert mapping["kept"].tolist() == [True, True, False, True]
    assert "counted once with rank 2 (Cumberland)" in mapping.loc[2, "note"]


def test_former_council_neighbour_maps_to_its_unit():
    units = neighbour_units(TABLE, LOOKUP, "202", "2021")
    assert units.set_index("neighbour_la_code")["unit"].to_dict() == {"206": "206", "909": "cumbria",
                                                                     "941": "northamptonshire"}
    assert units.loc[1, "note"] == "on the panel as Cumbria"


def test_neighbour_in_the_councils_own_unit_is_left_out_and_said_so():
    units = neighbour_units(TABLE, LOOKUP, "940", "2021")
    assert units["unit"].tolist() == ["202", "206"] and units["rank"].tolist() == [2, 3]
    mapping = neighbour_mapping(TABLE, LOOKUP, "940", "2021")
    assert not mapping.loc[0, "kept"] and "own unit, Northamptonshire" in mapping.loc[0, "note"]


def test_council_with_no_row_in_a_model_names_the_other_model():
    with pytest.raises(NoNeighboursError, match="942 has no statistical neighbours in the 2021 model; model 2025") as error:
        neighbour_units(TABLE, LOOKUP, "942", "2021")
    assert error.value.other_models == ["2025"]
    with pytest.raises(NoNeighboursError, match="206 .* no model lists it"):
        neighbour_units(TABLE, LOOKUP, "206", "2025")
    with pytest.raises(Exception, match="sn_model '2019'"):
        neighbour_units(TABLE, LOOKUP, "202", "2019")


# --------------------------------------------------------------------------- real data


@pytest.mark.needs_data
def test_camden_has_the_ten_neighbours_of_the_raw_2025_file(processed_data: Path, raw_data: Path):
    raw = pd.read_excel(raw_data / sn.DATASET / sn.MODEL_FILES["2025"], sheet_name=sn.SHEET, header=2, dtype=str,
                        engine="openpyxl")  # not the reader's engine (calamine)
    camden = raw[raw["LA num"] == "202"].iloc[0]
    expected = [camden[f"SN{rank}"] for rank in range(1, 11)]
    table = pd.read_parquet(processed_data / "stat_neighbours.parquet")
    rows = table[(table["model"] == "2025") & (table["la_code"] == "202")].sort_values("rank")
    assert rows["neighbour_la_code"].tolist() == expected and len(set(expected)) == 10
    lookup = pd.read_parquet(processed_data / "la_lookup.parquet")
    assert neighbour_units(table, lookup, "202", "2025")["unit"].tolist() == expected  # all London boroughs: own units
    assert set(table.loc[~table["la_current"], "la_code"]) == {"835", "836", "837", "909", "928"}


@pytest.mark.needs_data
def test_real_qa_passes_and_reports_former_and_missing_councils(processed_data: Path):
    from sendlib import tables
    from sendlib import validate as qa

    table = pd.read_parquet(processed_data / "stat_neighbours.parquet")
    lookup = pd.read_parquet(processed_data / "la_lookup.parquet")
    results = {r.check: r for r in tables.stat_neighbour_checks(table, lookup)}
    assert all(r.status != qa.FAIL for r in results.values())
    former = results["rows for councils that no longer exist"]
    assert former.status == qa.ADVISORY and "model 2025: 909 Cumbria" in former.message
    missing = results["coverage model=2021"]
    assert missing.status == qa.ADVISORY and missing.message.endswith("missing: 942, 943")
    assert results["coverage model=2025"].status == qa.PASS
