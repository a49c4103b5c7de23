import json
from pathlib import Path

import pandas as pd
import pytest

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError, ValidationError
from cli_runs import hard_names
from sendlib.geography import (
    LA_TYPES,
    attach_la_code,
    attach_unit,
    check_la_codes,
    council_keys,
    default_lookup,
    is_aggregate_name,
    matching_councils,
    normalise_name,
    operating_on,
    read_harmonised_units,
    read_la_lookup,
    resolve_la,
    resolve_unit,
    search_key,
    search_words,
    sum_to_units,
)

LAS_HEADER = "new_la_code,la_name,date_of_operation,date_of_termination,parent_geography_code,entity_code,entity_description,status,old_la_code"
LAS_ROWS = [
    "E09000007,Camden,01/01/2009,,E12000007,E09,London Boroughs,live,202",
    "E09000014,Haringey,01/01/2009,,E12000007,E09,London Boroughs,live,309",
    "E10000016,Kent,01/01/2009,,E12000008,E10,Counties,live,886",
    "E10000002,Buckinghamshire,01/01/2009,31/03/2020,E12000008,E10,Counties,terminated,825",
    "E06000060,Buckinghamshire,01/04/2020,,E12000008,E06,Unitary Authorities,live,825",
    "E10000009,Dorset,01/01/2009,31/03/2019,E12000009,E10,Counties,terminated,835",
    "E06000029,Poole,01/01/2009,31/03/2019,E12000009,E06,Unitary Authorities,terminated,836",
    "E06000028,Bournemouth,01/01/2009,31/03/2019,E12000009,E06,Unitary Authorities,terminated,837",
    "E06000059,Dorset,01/04/2019,,E12000009,E06,Unitary Authorities,live,838",
    '"E06000058","Bournemouth, Christchurch and Poole",01/04/2019,,E12000009,E06,Unitary Authorities,live,839',
    '"E06000023","Bristol, City of",01/01/2009,,E12000009,E06,Unitary Authorities,live,801',
    "E06000033,Southend-on-Sea,01/01/2009,,E12000006,E06,Unitary Authorities,live,882",
    "E10000001,Bedfordshire,01/01/2009,31/03/2009,E12000006,E10,Counties,terminated,820",
    "E06000061 / E06000062,North Northamptonshire / West Northamptonshire,01/04/2021,,E12000004,E06,Unitary Authorities,live,940 / 941",
    "E10000010,Durham,01/01/2009,31/03/2009,E12000001,E10,Counties,terminated,x",
    "z,British Forces Post Office overseas establishments,,,,,,live,702",
]
REGIONS = "region_code,region_name\nE12000004,East Midlands\nE12000006,East of England\nE12000007,London\nE12000008,South East\nE12000009,South West\n"
# Haringey (309) and Southend (882) are left out on purpose: their type is derived.
LA_TYPE_ROWS = [(202, "Camden", "ILB"), (886, "Kent", "SC"), (825, "Buckinghamshire", "SC"), (835, "Dorset (Pre LG)", "SC"),
                (836, "Poole (Pre LG)", "UA"), (837, "Bournemouth (Pre LG)", "UA"), (838, "Dorset", "UA"),
                (839, "Bournemouth, Christchurch and Poole", "UA"), (801, "Bristol, City of", "UA"), (970, "England", None)]  # fmt: skip
UNITS = """unit,unit_name,la_code,member_set,note,source
bcp_dorset,BCP with Dorset,835,old,Dorset CC,las.csv
bcp_dorset,BCP with Dorset,836,old,Poole,las.csv
bcp_dorset,BCP with Dorset,837,old,Bournemouth,las.csv
bcp_dorset,BCP with Dorset,838,new,Dorset UA,las.csv
bcp_dorset,BCP with Dorset,839,new,BCP,las.csv
"""


def write_raw(root: Path, las_rows: list[str] = LAS_ROWS, units: str = UNITS) -> tuple[Path, Path]:
    """A tiny la_lookup folder (las.csv, regions.csv, la_code_list.xlsx) and a units table."""
    folder = root / "raw" / "la_lookup"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "las.csv").write_text("\n".join([LAS_HEADER, *las_rows]) + "\n")
    (folder / "regions.csv").write_text(REGIONS)
    types = pd.DataFrame(LA_TYPE_ROWS, columns=["LA Number", "LA Name", "Type"])
    types.insert(2, "Region", "x")
    types.to_excel(folder / "la_code_list.xlsx", index=False)
    units_csv = root / "harmonised_units.csv"
    units_csv.write_text(units)
    return root / "raw", units_csv


@pytest.fixture
def lookup(tmp_path: Path) -> pd.DataFrame:
    raw, units = write_raw(tmp_path)
    return read_la_lookup(raw, units)


# --- read_la_lookup ----------------------------------------------------------------------


def test_lookup_one_row_per_la_code_with_every_ons_code(lookup: pd.DataFrame):
    assert lookup["la_code"].tolist() == ["202", "309", "801", "825", "835", "836", "837", "838", "839", "882", "886"]
    bucks = lookup.set_index("la_code").loc["825"]
    assert bucks["ons_codes"] == "E10000002;E06000060" and bucks["ons_code"] == "E06000060"
    assert pd.isna(bucks["end_date"]) and bucks["start_date"] == pd.Timestamp("2009-01-01")
    dorset_cc = lookup.set_index("la_code").loc["835"]
    assert dorset_cc["end_date"] == pd.Timestamp("2019-03-31") and dorset_cc["la_type"] == "SC"
    assert lookup.set_index("la_code").loc["202", "region_name"] == "London"
    assert str(lookup["la_code"].dtype) in {"str", "object", "string"}


def test_lookup_units_and_derived_types(lookup: pd.DataFrame):
    by_code = lookup.set_index("la_code")
    assert by_code.loc[["835", "836", "837", "838", "839"], "unit"].eq("bcp_dorset").all()
    assert by_code.loc[["835", "836", "837"], "member_set"].eq("old").all()
    assert by_code.loc[["838", "839"], "member_set"].eq("new").all()
    assert by_code.loc["202", "unit"] == "202" and by_code.loc["202", "unit_name"] == "Camden"
    assert by_code.loc["202", "member_set"] == "sole"
    assert by_code.loc["882", "la_type"] == "UA"  # E06, not in la_code_list.xlsx
    assert by_code.loc["309", "la_type"] == "OLB"  # E09 3xx by DfE numbering
    assert set(lookup["la_type"]) <= LA_TYPES


def test_lookup_missing_file_is_named(tmp_path: Path):
    raw, units = write_raw(tmp_path)
    (raw / "la_lookup" / "regions.csv").unlink()
    with pytest.raises(SourceFormatError, match="regions.csv"):
        read_la_lookup(raw, units)


def test_lookup_renamed_column_is_named(tmp_path: Path):
    raw, units = write_raw(tmp_path)
    las = raw / "la_lookup" / "las.csv"
    las.write_text(las.read_text().replace("old_la_code", "la_number", 1))
    with pytest.raises(SourceFormatError, match=r"las.csv.*old_la_code"):
        read_la_lookup(raw, units)


def test_lookup_duplicated_row_is_named(tmp_path: Path):
    raw, units = write_raw(tmp_path, LAS_ROWS + [LAS_ROWS[0]])
    with pytest.raises(SourceFormatError, match=r"las.csv.*E09000007"):
        read_la_lookup(raw, units)


def test_lookup_bad_date_is_named(tmp_path: Path):
    rows = [LAS_ROWS[0].replace("01/01/2009", "2009-01-01"), *LAS_ROWS[1:]]
    raw, units = write_raw(tmp_path, rows)
    with pytest.raises(SourceFormatError, match=r"date_of_operation.*rows \[2\]"):
        read_la_lookup(raw, units)


def test_lookup_unknown_region_is_named(tmp_path: Path):
    raw, units = write_raw(tmp_path, [LAS_ROWS[0].replace("E12000007", "E12000099"), *LAS_ROWS[1:]])
    with pytest.raises(SourceFormatError, match="E12000099"):
        read_la_lookup(raw, units)


def test_lookup_truncated_workbook_is_named(tmp_path: Path):
    raw, units = write_raw(tmp_path)
    (raw / "la_lookup" / "la_code_list.xlsx").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="la_code_list.xlsx"):
        read_la_lookup(raw, units)


def test_lookup_type_cannot_be_derived_from_unknown_entity(tmp_path: Path):
    raw, units = write_raw(tmp_path, [*LAS_ROWS, "E07000001,Nowhere,01/01/2009,,E12000008,E07,Districts,live,999"])
    with pytest.raises(SourceFormatError, match=r"las.csv.*LA 999.*'E07'"):
        read_la_lookup(raw, units)


def test_units_table_naming_unknown_la_is_an_error(tmp_path: Path):
    raw, units = write_raw(tmp_path, units=UNITS + "bcp_dorset,BCP with Dorset,999,new,typo,x\n")
    with pytest.raises(SourceFormatError, match=r"harmonised_units.csv.*999"):
        read_la_lookup(raw, units)


def test_units_table_needs_old_and_new_sets(tmp_path: Path):
    path = tmp_path / "units.csv"
    path.write_text("unit,unit_name,la_code,member_set,note,source\nx,X,835,old,,\n")
    with pytest.raises(SourceFormatError, match=r"\['x'\].*old.*new"):
        read_harmonised_units(path)


def test_operating_on_counts_boundary_changes(lookup: pd.DataFrame):
    assert len(operating_on(lookup, "2019-03-31")) == 9  # 11 minus BCP and Dorset UA
    assert len(operating_on(lookup, "2019-04-01")) == 8  # Dorset CC, Poole, Bournemouth gone


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a,b",
    [
        ("Bristol, City of", "City of Bristol"),
        ("Bristol, City of", "Bristol"),
        ("County Durham", "Durham"),
        ("St. Helens", "St Helens"),
        ("Saint Helens", "St Helens"),
        ("Telford & Wrekin", "Telford and Wrekin"),
        ("Kingston upon Hull, City of", "KINGSTON UPON HULL"),
        ("Herefordshire, County of", "Herefordshire"),
        ("Southend-on-Sea", "Southend on Sea"),
        ("Bournemouth, Christchurch and Poole", "Bournemouth Christchurch & Poole"),
    ],
)
def test_name_variants_normalise_alike(a: str, b: str):
    assert normalise_name(a) == normalise_name(b)


def test_city_of_london_is_not_london():
    assert normalise_name("City of London") != normalise_name("London")


def test_aggregate_names():
    for name in ["England", "ENGLAND", "North East", "Inner London", "London (Outer)", "Yorkshire & the Humber"]:
        assert is_aggregate_name(name), name
    for name in ["North East Lincolnshire", "City of London", "Camden", None, float("nan")]:
        assert not is_aggregate_name(name), name


# --- attach_la_code / check_la_codes / attach_unit ----------------------------------------


def test_attach_by_ons_code_accepts_stale_codes(lookup: pd.DataFrame):
    frame = pd.DataFrame({"ons_code": ["E10000002", "E06000060", "e09000007"], "v": [1, 2, 3]})
    out = attach_la_code(frame, lookup, "ons_code", "src.csv")
    assert out.columns.tolist() == ["la_code", "ons_code", "v"]
    assert out["la_code"].tolist() == ["825", "825", "202"]


def test_attach_by_ons_code_lists_every_unknown_value(lookup: pd.DataFrame):
    frame = pd.DataFrame({"ons_code": ["E09000007", "E99999999", "E12000001", "E99999999"]})
    with pytest.raises(SourceFormatError, match=r"src.csv.*2 ons_code.*\['E12000001', 'E99999999'\]"):
        attach_la_code(frame, lookup, "ons_code", "src.csv")


def test_attach_by_name_normalises_and_uses_aliases(lookup: pd.DataFrame):
    names = ["bristol", "City of Bristol", "Bournemouth Christchurch & Poole", "Dorset", "Dorset (Pre LG)", "Southend", "KENT"]
    out = attach_la_code(pd.DataFrame({"la_name": names}), lookup, "la_name", "src.xlsx")
    assert out["la_code"].tolist() == ["801", "801", "839", "838", "835", "882", "886"]


def test_attach_by_name_rejects_aggregates_and_unknown_names(lookup: pd.DataFrame):
    frame = pd.DataFrame({"la_name": ["Camden", "England", "Atlantis", None]})
    with pytest.raises(SourceFormatError, match=r"src.xlsx.*Atlantis.*England.*drop them first") as info:
        attach_la_code(frame, lookup, "la_name", "src.xlsx")
    assert "Camden'" not in str(info.value)


def test_attach_missing_identifier_column_is_named(lookup: pd.DataFrame):
    with pytest.raises(SourceFormatError, match=r"src.csv.*'la_name'"):
        attach_la_code(pd.DataFrame({"name": ["Camden"]}), lookup, "la_name", "src.csv")


def test_check_la_codes(lookup: pd.DataFrame):
    check_la_codes(pd.DataFrame({"la_code": ["202", "886"]}), lookup, "f.ods")
    with pytest.raises(SourceFormatError, match=r"f.ods.*\['999', 'x'\]"):
        check_la_codes(pd.DataFrame({"la_code": ["202", "999", "x"]}), lookup, "f.ods")


def test_attach_unit(lookup: pd.DataFrame):
    out = attach_unit(pd.DataFrame({"fy": ["2018-19", "2018-19"], "la_code": ["836", "202"]}), lookup)
    assert out.columns.tolist() == ["fy", "la_code", "unit", "unit_name"]
    assert out["unit"].tolist() == ["bcp_dorset", "202"]
    with pytest.raises(ValidationError, match="999"):
        attach_unit(pd.DataFrame({"la_code": ["999"]}), lookup)


# --- sum_to_units ------------------------------------------------------------------------


def test_sum_to_units_complete_partial_and_missing(lookup: pd.DataFrame):
    nan = float("nan")
    frame = pd.DataFrame(
        {
            "la_code": ["835", "836", "837", "838", "839", "838", "839", "202", "886"],
            "fy": ["2018-19"] * 3 + ["2019-20"] * 2 + ["2020-21"] * 2 + ["2020-21"] * 2,
            "a_gbp": [1.0, 2.0, 4.0, 10.0, 20.0, 5.0, nan, 7.0, nan],
            "b_count": [nan, nan, nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    out = sum_to_units(frame, ["a_gbp", "b_count"], ["fy"], lookup).set_index(["unit", "fy"])
    assert out.columns.tolist() == ["unit_name", "a_gbp", "b_count", "a_gbp_complete", "b_count_complete"]
    assert out.loc[("bcp_dorset", "2018-19"), "a_gbp"] == 7.0 and out.loc[("bcp_dorset", "2018-19"), "a_gbp_complete"]
    assert pd.isna(out.loc[("bcp_dorset", "2018-19"), "b_count"]) and not out.loc[("bcp_dorset", "2018-19"), "b_count_complete"]
    assert out.loc[("bcp_dorset", "2019-20"), "a_gbp"] == 30.0 and out.loc[("bcp_dorset", "2019-20"), "a_gbp_complete"]
    assert out.loc[("bcp_dorset", "2020-21"), "a_gbp"] == 5.0 and not out.loc[("bcp_dorset", "2020-21"), "a_gbp_complete"]
    assert out.loc[("202", "2020-21"), "a_gbp_complete"] and out.loc[("202", "2020-21"), "unit_name"] == "Camden"
    assert pd.isna(out.loc[("886", "2020-21"), "a_gbp"]) and not out.loc[("886", "2020-21"), "a_gbp_complete"]
    assert out.index.tolist() == sorted(out.index.tolist())


def test_sum_to_units_old_and_new_in_one_period_is_double_counting(lookup: pd.DataFrame):
    frame = pd.DataFrame({"la_code": ["836", "839"], "fy": ["2019-20", "2019-20"], "a_gbp": [1.0, 2.0]})
    with pytest.raises(ValidationError, match=r"double counting.*bcp_dorset.*2019-20"):
        sum_to_units(frame, ["a_gbp"], ["fy"], lookup)


def test_sum_to_units_old_member_without_value_is_not_double_counting(lookup: pd.DataFrame):
    frame = pd.DataFrame({"la_code": ["836", "838", "839"], "fy": ["2019-20"] * 3, "a_gbp": [float("nan"), 1.0, 2.0]})
    out = sum_to_units(frame, ["a_gbp"], ["fy"], lookup)
    assert out["a_gbp"].tolist() == [3.0] and out["a_gbp_complete"].tolist() == [True]


def test_sum_to_units_duplicate_rows_are_an_error(lookup: pd.DataFrame):
    frame = pd.DataFrame({"la_code": ["202", "202"], "fy": ["2019-20"] * 2, "a_gbp": [1.0, 1.0]})
    with pytest.raises(ValidationError, match="202"):
        sum_to_units(frame, ["a_gbp"], ["fy"], lookup)


# --- resolve_la / resolve_unit ------------------------------------------------------------


def test_resolve_la_by_code_ons_code_and_name(lookup: pd.DataFrame):
    assert resolve_la("202", lookup) == "202"
    assert resolve_la(" E10000002 ", lookup) == "825"
    assert resolve_la("city of bristol", lookup) == "801"
    assert resolve_la("Bournemouth Christchurch & Poole", lookup) == "839"


def test_resolve_la_unknown_suggests_close_names(lookup: pd.DataFrame):
    with pytest.raises(ParameterError, match=r"unknown council 'Camdn'.*Camden \(202\)"):
        resolve_la("Camdn", lookup)
    with pytest.raises(ParameterError, match="not a council"):
        resolve_la("South West", lookup)


def test_resolve_unit(lookup: pd.DataFrame):
    assert resolve_unit("BCP_Dorset", lookup) == "bcp_dorset"
    assert resolve_unit("Poole", lookup) == "bcp_dorset"
    assert resolve_unit("E09000007", lookup) == "202"
    with pytest.raises(ParameterError, match="Kent"):
        resolve_unit("Kentt", lookup)


# --- real data ---------------------------------------------------------------------------


@pytest.mark.needs_data
def test_real_lookup_coverage(raw_data: Path):
    lookup = read_la_lookup(raw_data)
    by_code = lookup.set_index("la_code")
    assert len(lookup) == 158 and lookup["la_code"].is_unique
    assert by_code.loc["825", "ons_codes"] == "E10000002;E06000060"
    assert by_code.loc["815", "ons_codes"] == "E10000023;E06000065"
    assert by_code.loc["933", "ons_codes"] == "E10000027;E06000066"
    for code in ["201", "420", "835", "836", "837", "838", "839", "928", "940", "941", "909", "942", "943"]:
        assert code in by_code.index, code
    assert by_code.loc[["835", "836", "837"], "end_date"].eq(pd.Timestamp("2019-03-31")).all()
    assert by_code.loc["928", "end_date"] == pd.Timestamp("2021-03-31")
    assert by_code.loc["909", "end_date"] == pd.Timestamp("2023-03-31")
    counts = {day: len(operating_on(lookup, day)) for day in ["2018-04-01", "2019-04-01", "2022-04-01", "2023-04-01"]}
    assert counts == {"2018-04-01": 152, "2019-04-01": 151, "2022-04-01": 152, "2023-04-01": 153}
    assert set(lookup["la_type"]) == LA_TYPES and lookup["region_name"].notna().all()
    assert lookup["unit"].nunique() == 150
    assert read_harmonised_units(config.HARMONISED_UNITS_CSV)["la_code"].nunique() == 11


@pytest.mark.needs_data
def test_real_source_identifiers_all_resolve(raw_data: Path):
    lookup = read_la_lookup(raw_data)
    records = []
    for path in sorted((raw_data / "s251_outturn").glob("s251_lookup_*.json")):
        records += [{"ons_code": k, "la_name": v["la_name"], "file": path.name} for k, v in json.loads(path.read_text()).items()]
    s251 = pd.DataFrame(records)
    by_code = attach_la_code(s251, lookup, "ons_code", "s251_outturn")
    by_name = attach_la_code(s251, lookup, "la_name", "s251_outturn")
    assert by_code["la_code"].nunique() == 158
    # Only "Dorset" is ambiguous by name: the county council (835) in 2017-18 and 2018-19.
    differ = by_code[by_code["la_code"] != by_name["la_code"]]
    assert set(differ["la_code"]) == {"835"} and set(differ["file"]) == {"s251_lookup_2017.json", "s251_lookup_2018.json"}
    balance = pd.read_excel(raw_data / "dsg_balance" / "dsg_deficit_derived.xlsx", engine="calamine")
    las = balance[~balance["la_name"].map(is_aggregate_name) & balance["la_name"].notna()]
    assert attach_la_code(las, lookup, "la_name", "dsg_deficit_derived.xlsx")["la_code"].nunique() == 151


# --- finding a council: the command line's and the front page's matcher ---------------------


@pytest.mark.parametrize(("text", "words"), [
    ("Saint Helens", ["st", "helens"]), ("St. Helens", ["st", "helens"]),
    ("Telford & Wrekin", ["telford", "and", "wrekin"]),
    ("  Southend-on-Sea ", ["southend", "on", "sea"]), ("E08000007", ["e08000007"]), ("", []),
])
def test_search_words_read_names_alike(text: str, words: list[str]) -> None:
    assert search_words(text) == words


def test_search_key_holds_each_way_a_name_is_written_and_every_code() -> None:
    assert search_key("801", "Bristol, City of", ["E06000023"]) == (
        "bristol city of city of bristol bristol 801 e06000023")
    assert search_key("840", "County Durham", ["E06000047"]) == "county durham durham 840 e06000047"
    assert search_key("810", "Kingston upon Hull, City of").endswith("kingston upon hull hull 810")  # alias "Hull"


def test_matching_councils_prefers_whole_word_starts_then_parts_of_words() -> None:
    keys = {"206": "islington 206", "314": "kingston upon thames 314", "810": "kingston upon hull hull 810",
            "334": "solihull 334", "202": "camden 202"}
    assert matching_councils("Kingston", keys) == ["314", "810"]
    assert matching_councils("hull", keys) == ["810"], "a word starts 'hull' in Hull only"
    assert matching_councils("ihul", keys) == ["334"], "else any part of a word"
    assert matching_councils("amde", keys) == ["202"]
    assert matching_councils(" ", keys) == list(keys) and matching_councils("zzz", keys) == []


def test_resolve_la_offers_the_councils_whose_words_start_so(lookup: pd.DataFrame):
    with pytest.raises(ParameterError, match=r"unknown council 'Bourne'; did you mean: Bournemouth \(837\), "
                                             r"Bournemouth, Christchurch and Poole \(839\)\?"):
        resolve_la("Bourne", lookup)
    with pytest.raises(ParameterError, match=r"unknown council 'Haring'; did you mean: Haringey \(309\)\?"):
        resolve_la("Haring", lookup)


@pytest.mark.needs_data
@pytest.mark.parametrize("case", hard_names(), ids=lambda case: case["query"])
def test_hard_names_on_the_real_lookup(case: dict[str, str], raw_data: Path) -> None:
    lookup = default_lookup()
    assert matching_councils(case["query"], council_keys(lookup)) == case["finds"].split()
    if case["resolves"]:
        assert resolve_la(case["query"], lookup) == case["resolves"]
    else:
        with pytest.raises(ParameterError) as refused:
            resolve_la(case["query"], lookup)
        assert all(f"({code})" in str(refused.value) for code in case["finds"].split()), str(refused.value)
