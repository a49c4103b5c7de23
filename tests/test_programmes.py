from pathlib import Path

import pandas as pd
import pytest

from sendlib import config
from sendlib import programmes as P
from sendlib.errors import ParameterError, SourceFormatError
from sendlib.geography import operating_on, read_la_lookup
from sendlib.programmes import COUNT_DATE, MEMBERSHIP_COLUMNS, membership_by_la, membership_by_unit, read_programmes

NaT = pd.NaT
# la_code, la_name, ons_codes, start, end, unit, unit_name, member_set
LAS = [
    ("202", "Camden", "E09000007", "2009-01-01", NaT, "202", "Camden", "sole"),
    ("801", "Bristol, City of", "E06000023", "2009-01-01", NaT, "801", "Bristol, City of", "sole"),
    ("835", "Dorset", "E10000009", "2009-01-01", "2019-03-31", "bcp_dorset", "BCP with Dorset", "old"),
    ("838", "Dorset", "E06000059", "2019-04-01", NaT, "bcp_dorset", "BCP with Dorset", "new"),
    ("839", "Bournemouth, Christchurch and Poole", "E06000058", "2019-04-01", NaT, "bcp_dorset", "BCP with Dorset", "new"),
    ("886", "Kent", "E10000016", "2009-01-01", NaT, "886", "Kent", "sole"),
    ("909", "Cumbria", "E10000006", "2009-01-01", "2023-03-31", "cumbria", "Cumbria", "old"),
    ("942", "Cumberland", "E06000063", "2023-04-01", NaT, "cumbria", "Cumbria", "new"),
    ("943", "Westmorland and Furness", "E06000064", "2023-04-01", NaT, "cumbria", "Cumbria", "new"),
]
HEADER = "la_code,la_name,programme,group,amount_gbp_m,confidence,note,source,invited,signed,moved,dates_source"
ROWS = [
    "839,Bournemouth Christchurch and Poole,delivering_better_value,tranche 1,,medium-high,,letter,2022-06-23,,,dbv",
    "942,Cumberland,delivering_better_value,tranche 1,,medium-high,successor of Cumbria,letter,2022-06-23,,,dbv",
    "943,Westmorland and Furness,delivering_better_value,tranche 1,,medium-high,,letter,2022-06-23,,,dbv",
    "801,Bristol,delivering_better_value,tranche 1,,medium-high,,letter,2022-06-23,,2024-03-31,dbv",
    "801,Bristol,safety_valve,2023-24,53.8,high,,gov.uk,,2024-03-31,,gov.uk",
    "838,Dorset,safety_valve,2021-22,,high,,gov.uk,,2022-03-31,,gov.uk",
    "886,Kent,safety_valve,2022-23,142,high,,gov.uk,2022-06-23,2023-03-31,,gov.uk",
    "202,Camden,case_study_2022,one of 10,,medium,,press,2022-06-23,,,press",
]
CLAIMED = pd.DataFrame({
    "as_at": pd.to_datetime(["2022-06-23", "2022-06-23", "2022-06-23", "2024-03-31"]),
    "item": ["dbv", "safety_valve", "safety_valve_signed", "safety_valve"],
    "claimed": [4.0, 2.0, 1.0, 3.0], "source": ["a", "b", "c", "d"], "quote": ["", "", "", ""],
})


@pytest.fixture
def lookup() -> pd.DataFrame:
    frame = pd.DataFrame(LAS, columns=["la_code", "la_name", "ons_codes", "start_date", "end_date", "unit", "unit_name", "member_set"])
    frame["ons_code"] = frame["ons_codes"]
    return frame.assign(start_date=pd.to_datetime(frame["start_date"]), end_date=pd.to_datetime(frame["end_date"]))


def write_csv(tmp_path: Path, rows: list[str] = ROWS, header: str = HEADER) -> Path:
    path = tmp_path / "programmes.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def programmes(tmp_path: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    return read_programmes(write_csv(tmp_path), lookup)


def test_read_programmes(programmes: pd.DataFrame):
    assert programmes.columns.tolist() == ["la_code", "la_name", "programme", "group", "amount_gbp", "confidence", "note",
                                           "source", "invited", "signed", "moved", "dates_source", "start"]
    starts = programmes.set_index(["programme", "la_code"])["start"]
    assert starts[("safety_valve", "886")] == pd.Timestamp("2022-06-23")  # invited before it signed
    assert starts[("safety_valve", "838")] == pd.Timestamp("2022-03-31")  # no invitation date: from signing
    assert len(programmes) == 8
    kent = programmes[programmes["la_code"] == "886"].iloc[0]
    assert kent["amount_gbp"] == 142e6 and kent["programme"] == "safety_valve"
    assert programmes.loc[programmes["la_code"] == "838", "amount_gbp"].isna().all()
    assert programmes[["programme", "la_code"]].values.tolist() == sorted(programmes[["programme", "la_code"]].values.tolist())


def test_name_matching_no_la_is_named_by_line(tmp_path: Path, lookup: pd.DataFrame):
    path = write_csv(tmp_path, [*ROWS, "886,Kentish Town,safety_valve,2022-23,,high,,x,,2023-03-31,,x"])
    with pytest.raises(SourceFormatError, match=r"line 10: la_name 'Kentish Town' matches no LA"):
        read_programmes(path, lookup)


def test_code_disagreeing_with_name_is_named(tmp_path: Path, lookup: pd.DataFrame):
    path = write_csv(tmp_path, ["835,Dorset,safety_valve,2021-22,,high,,gov.uk,,2022-03-31,,gov.uk"])
    with pytest.raises(SourceFormatError, match=r"line 2: la_code '835' disagrees with la_name 'Dorset' \(838\)"):
        read_programmes(path, lookup)


@pytest.mark.parametrize(
    "row,message",
    [
        ("886,Kent,bailout,2022-23,,high,,x,,2023-03-31,,x", "unknown programme 'bailout'"),
        ("202,Camden,safety_valve,2022-23,lots,high,,x,,2023-03-31,,x", r"amount_gbp_m.*line\(s\) \[10\]"),
        ("886,Kent,safety_valve,2022-23,142,high,,x,,2023-03-31,,x", "886 listed twice in safety_valve"),
        ("202,Camden,safety_valve,2022-23,,high,,x,23/06/2022,,,x", r"'invited': not a YYYY-MM-DD date at line\(s\) \[10\]"),
        ("202,Camden,safety_valve,2022-23,,high,,x,,,,x", r"line\(s\) \[10\]: neither an 'invited' nor a 'signed' date"),
    ],
)
def test_bad_rows(tmp_path: Path, lookup: pd.DataFrame, row: str, message: str):
    with pytest.raises(SourceFormatError, match=message):
        read_programmes(write_csv(tmp_path, [*ROWS, row]), lookup)


def test_missing_file_and_column(tmp_path: Path, lookup: pd.DataFrame):
    with pytest.raises(SourceFormatError, match="make data"):
        read_programmes(tmp_path / "absent.csv", lookup)
    path = write_csv(tmp_path, header=HEADER.replace("amount_gbp_m", "amount"))
    with pytest.raises(SourceFormatError, match="amount_gbp_m"):
        read_programmes(path, lookup)


def test_membership_by_la_credits_successors_to_the_2022_council(programmes: pd.DataFrame, lookup: pd.DataFrame):
    table = membership_by_la(programmes, lookup).set_index("la_code")
    assert table.columns.tolist() == ["la_name", "unit", *MEMBERSHIP_COLUMNS]
    assert table.index.tolist() == sorted(lookup["la_code"])
    cumbria = table.loc["909"]
    assert cumbria["dbv"] and cumbria["dbv_tranche"] == "tranche 1" and cumbria["programme_la_codes"] == "942;943"
    assert table.loc["942", "dbv"] and table.loc["942", "programme_la_codes"] == "942"
    assert not table.loc["835", "dbv"] and not table.loc["835", "safety_valve"]  # gone before 2022
    bristol = table.loc["801"]
    assert bristol["dbv"] and bristol["safety_valve"] and bristol["safety_valve_amount_gbp"] == 53.8e6
    assert table.loc["202", "case_study_2022"] and pd.isna(table.loc["202", "dbv_tranche"])
    assert pd.isna(table.loc["838", "safety_valve_amount_gbp"]) and table.loc["838", "safety_valve_year"] == "2021-22"
    in_2022 = table.loc[operating_on(lookup, COUNT_DATE)["la_code"]]
    assert (in_2022["dbv"].sum(), in_2022["safety_valve"].sum()) == (3, 3)  # BCP, Bristol, Cumbria; Bristol, Dorset, Kent


def test_membership_by_unit(programmes: pd.DataFrame, lookup: pd.DataFrame):
    table = membership_by_unit(programmes, lookup).set_index("unit")
    assert table.index.tolist() == ["202", "801", "886", "bcp_dorset", "cumbria"]
    bcp = table.loc["bcp_dorset"]
    assert bcp["dbv"] and bcp["safety_valve"] and bcp["programme_la_codes"] == "838;839" and bcp["unit_name"] == "BCP with Dorset"
    assert pd.isna(bcp["safety_valve_amount_gbp"])
    assert table.loc["cumbria", "dbv"] and table.loc["cumbria", "programme_la_codes"] == "942;943"
    assert table.loc["886", "safety_valve_amount_gbp"] == 142e6
    assert table["dbv"].dtype == bool and table.loc["886", "dbv"] == False  # noqa: E712


@pytest.mark.needs_data
def test_real_programmes_every_name_matches(raw_data: Path):
    lookup = read_la_lookup(raw_data)
    programmes = read_programmes(config.PROGRAMMES_CSV, lookup)
    assert len(programmes) == 83
    assert programmes["programme"].value_counts().to_dict() == {"safety_valve": 35, "delivering_better_value": 47, "case_study_2022": 1}
    assert programmes.loc[programmes["la_name"] == "Kent", "amount_gbp"].item() == 142e6
    by_la = membership_by_la(programmes, lookup)
    in_2022 = by_la[by_la["la_code"].isin(operating_on(lookup, COUNT_DATE)["la_code"])]
    assert len(in_2022) == 152
    assert in_2022["safety_valve"].sum() == 35  # every listed council, whenever it joined
    assert in_2022["dbv"].sum() == 46  # of 55 published: most tranche 3 councils are not identified yet
    by_unit = membership_by_unit(programmes, lookup).set_index("unit")
    assert len(by_unit) == 150 and by_unit.loc["cumbria", "dbv"] and by_unit.loc["bcp_dorset", "safety_valve"]


# --- membership as at a date ----------------------------------------------------------------------


def test_membership_as_at_counts_only_rows_started_by_then(programmes: pd.DataFrame, lookup: pd.DataFrame):
    june = P.membership_as_at(programmes, lookup, "2022-06-23").set_index("la_code")
    assert sorted(june.index) == sorted(operating_on(lookup, "2022-06-23")["la_code"])  # Cumbria, not its successors
    assert june.loc["909", "dbv"] and june.loc["801", "dbv"] and not june.loc["801", "safety_valve"]
    assert june.loc["886", "safety_valve"] and not june.loc["886", "safety_valve_signed"]  # in negotiation
    assert june.loc["838", "safety_valve_signed"]
    later = P.membership_as_at(programmes, lookup, "2024-03-31").set_index("la_code")
    assert "909" not in later.index and later.loc["942", "dbv"] and later.loc["801", "safety_valve"]
    assert later.loc["801", "dbv"]  # moving is an event: the council stays a DBV council
    before = P.membership_as_at(programmes, lookup, "2022-05-01")
    assert before["safety_valve"].sum() == 1 and before["dbv"].sum() == 0


def test_counts_as_at_beside_the_latest_published_counts(programmes: pd.DataFrame, lookup: pd.DataFrame):
    table = P.counts_as_at(programmes, lookup, "2022-06-23", CLAIMED)
    assert table.columns.tolist() == P.COUNT_COLUMNS
    rows = table.set_index("item")
    assert rows.loc["dbv", ["claimed", "known", "shortfall"]].tolist() == [4, 3, 1]  # BCP, Bristol, Cumbria
    assert rows.loc["safety_valve", ["claimed", "known", "shortfall"]].tolist() == [2, 2, 0]  # Dorset, Kent
    assert rows.loc["safety_valve_signed", "known"] == 1 and rows.loc["safety_valve_not_signed", "known"] == 1
    assert rows.loc["both", "known"] == 0 and rows.loc["total_las", "known"] == 6
    assert rows.loc["either", "known"] == 5 and rows.loc["share_either_pct", "known"] == pytest.approx(500 / 6)
    assert pd.isna(rows.loc["either", "claimed"]) and rows.loc["dbv", "claimed_source"] == "a"
    later = P.counts_as_at(programmes, lookup, "2024-06-01", CLAIMED).set_index("item")
    assert later.loc["safety_valve", "claimed"] == 3 and later.loc["safety_valve", "claimed_as_at"] == pd.Timestamp("2024-03-31")
    assert later.loc["both", "known"] == 1 and later.loc["dbv", "claimed"] == 4  # the latest DBV figure is still June 2022


def test_later_events(programmes: pd.DataFrame):
    events = P.later_events(programmes, "2022-06-23")
    assert events[["la_code", "event"]].values.tolist() == [
        ["886", "agreement signed"], ["801", "joined"], ["801", "moved to the safety valve"]]


@pytest.mark.parametrize("as_at,message", [("23 June 2022", "YYYY-MM-DD"), ("2019-01-01", "outside the programme dates"),
                                           ("2030-01-01", r"\(2022-03-31 to 2024-03-31\)")])
def test_check_as_at_refuses_dates_outside_the_table(programmes: pd.DataFrame, as_at: str, message: str):
    with pytest.raises(ParameterError, match=message):
        P.check_as_at(as_at, programmes)
    assert P.check_as_at("2022-06-23", programmes) == pd.Timestamp("2022-06-23")


@pytest.mark.needs_data
def test_real_counts_as_at_the_announcement(raw_data: Path):
    lookup = read_la_lookup(raw_data)
    table = P.counts_as_at(read_programmes(config.PROGRAMMES_CSV, lookup), lookup).set_index("item")
    claimed, known = table["claimed"], table["known"]
    assert claimed[["dbv", "safety_valve", "safety_valve_signed", "safety_valve_not_signed", "either", "total_las",
                    "share_either_pct"]].tolist() == [55, 34, 14, 20, 89, 152, 58.6]
    assert known[["dbv", "safety_valve", "safety_valve_signed", "both", "total_las"]].tolist() == [46, 31, 14, 0, 152]
    assert round(100 * claimed["either"] / known["total_las"], 1) == claimed["share_either_pct"]
