"""Readers for EHC plans, population, GDP deflator, SEN pupils (LAIT) and deprivation.

Unit tests write tiny hand-made files into tmp_path; tests marked ``needs_data`` check
coverage and known values on the real raw files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ees_fixtures import ees_row, write_zip

from sendlib.errors import SourceFormatError
from sendlib.readers import deflator, deprivation, ehcp, population, sen2, sen_support

# --------------------------------------------------------------------------- EHC plans


def age_caseload(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    """sen2_age_caseload.csv rows: (year, level, la_code, ons, name, Total_all), plus a non-total age row."""
    records = []
    for year, level, code, ons, name, total in rows:
        base = ees_row(year, level, code, ons, name)
        records.append({**base, "characteristic_age": "Total", "Total_st": "z", "Total_ehc": total, "Total_all": total})
        records.append({**base, "characteristic_age": "Under 5", "Total_st": "z", "Total_ehc": "1", "Total_all": "1"})
    return pd.DataFrame(records)


def caseload(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    """caseload.csv rows: (time_period, level, la_code, ons, name, ehcplans), settings splitting the total."""
    settings = list(sen2.SETTING_GROUPS)
    records = []
    for period, level, code, ons, name, total in rows:
        base = {**ees_row(period, level, code, ons, name), "time_identifier": "Academic year"}
        rest = str(int(total) - 1) if total.isdigit() else total
        split = {s: "0" for s in settings} | {"special_la_maintained": rest, "neet": "1"}
        split["ukrlp_provider"] = "x"
        records.append({**base, "breakdown_topic": "All EHC plans", "breakdown": "All EHC plans",
                        "ehcplans": total, "mainstream_total": "0", **split})
        records.append({**base, "breakdown_topic": "Sex", "breakdown": "Male", "ehcplans": "5",
                        "mainstream_total": "0", **split})
    return pd.DataFrame(records)


@pytest.fixture
def ehcp_raw(tmp_path: Path) -> Path:
    """A raw/ folder with both SEN2 releases: Januaries 2018-2019 (2022) and 2019, 2025 (2025)."""
    folder = tmp_path / "raw" / "ehcp_sen2"
    folder.mkdir(parents=True)
    write_zip(folder / ehcp.RELEASE_2022, {ehcp.MEMBER_2022: age_caseload([
        ("2018", "National", "", "", "", "300"),
        ("2018", "Local authority", "202", "E09000007", "Camden", "100"),
        ("2019", "National", "", "", "", "999"),
    ])})
    write_zip(folder / ehcp.RELEASE_2025, {ehcp.MEMBER_2025: caseload([
        ("201819", "National", "", "", "", "350"),
        ("201819", "Local authority", "202", "E09000007", "Camden", "110"),
        ("202425", "Regional", "", "", "", "700"),
        ("202425", "Local authority", "886", "E10000016", "Kent", "c"),
    ])})
    return tmp_path / "raw"


def test_read_ehcp_joins_releases_at_2019(ehcp_raw: Path):
    table = ehcp.read_ehcp(ehcp_raw)
    assert list(table.columns) == ehcp.EHCP_COLUMNS
    got = {(r.geographic_level, r.la_code if isinstance(r.la_code, str) else None, r.january): r.ehcp_count
           for r in table.itertuples()}
    assert got[("National", None, 2018)] == 300 and got[("Local authority", "202", 2018)] == 100
    assert got[("National", None, 2019)] == 350  # 2025 release wins from 2019 (the 2022 value 999 is dropped)
    assert got[("Local authority", "202", 2019)] == 110
    national = table[table["geographic_level"] == "National"].iloc[0]
    assert (national["ons_code"], national["la_name"]) == ("E92000001", "England")
    regional = table[table["geographic_level"] == "Regional"].iloc[0]
    assert (regional["ons_code"], regional["la_name"], regional["january"]) == ("E12000007", "London", 2025)
    assert table["source"].str.startswith("education-health-and-care-plans_20").all()
    assert table["la_code"].dtype == "str" and table["january"].dtype == "int64"


def test_read_ehcp_suppressed_value_is_missing_and_flagged(ehcp_raw: Path):
    kent = ehcp.read_ehcp(ehcp_raw).query("la_code == '886'").iloc[0]
    assert np.isnan(kent["ehcp_count"]) and kent["ehcp_count_suppressed"]


def test_read_ehcp_missing_release(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        ehcp.read_ehcp(tmp_path)


def test_read_ehcp_corrupted_zip(ehcp_raw: Path):
    (ehcp_raw / "ehcp_sen2" / ehcp.RELEASE_2025).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="2025.zip.*zip"):
        ehcp.read_ehcp(ehcp_raw)


def test_read_ehcp_renamed_column(tmp_path: Path):
    frame = age_caseload([("2018", "National", "", "", "", "300")]).rename(columns={"Total_all": "Total"})
    path = write_zip(tmp_path / "r.zip", {ehcp.MEMBER_2022: frame})
    with pytest.raises(SourceFormatError, match="r.zip.*'Total_all'"):
        ehcp.read_ehcp_2022_release(path)


def test_read_ehcp_duplicated_row(tmp_path: Path):
    row = ("201819", "Local authority", "202", "E09000007", "Camden", "1")
    path = write_zip(tmp_path / "r.zip", {ehcp.MEMBER_2025: caseload([row, row])})
    with pytest.raises(SourceFormatError, match="duplicated.*202"):
        ehcp.read_ehcp_2025_release(path)


def test_read_ehcp_bad_la_code_and_bad_value(tmp_path: Path):
    bad_code = write_zip(tmp_path / "a.zip", {ehcp.MEMBER_2022: age_caseload(
        [("2018", "Local authority", "20", "E09000007", "Camden", "1")])})
    with pytest.raises(SourceFormatError, match="a.zip.*old_la_code"):
        ehcp.read_ehcp_2022_release(bad_code)
    bad_value = write_zip(tmp_path / "b.zip", {ehcp.MEMBER_2022: age_caseload(
        [("2018", "Local authority", "202", "E09000007", "Camden", "lots")])})
    with pytest.raises(SourceFormatError, match="b.zip.*Total_all.*lots"):
        ehcp.read_ehcp_2022_release(bad_value)


#: National EHC plans in force (published_figures.csv); ours are DfE's later revisions.
PUBLISHED_EHCP = {2015: 240185, 2017: 287290, 2019: 354000, 2020: 390100, 2021: 430700, 2022: 473300,
                  2023: 517000, 2024: 575963, 2025: 638000}
#: National totals read from the releases (2022 release to 2018, 2025 release from 2019).
OUR_EHCP = {2010: 228221, 2015: 240183, 2017: 287290, 2018: 319819, 2019: 353995, 2020: 390109,
            2021: 430697, 2022: 473255, 2023: 517048, 2024: 576474, 2025: 638745}


@pytest.mark.needs_data
def test_ehcp_real_data(raw_data: Path):
    table = ehcp.read_ehcp(raw_data)
    assert sorted(table["january"].unique()) == list(range(2010, 2026))
    national = table[table["geographic_level"] == "National"].set_index("january")["ehcp_count"]
    assert {y: national[y] for y in OUR_EHCP} == OUR_EHCP
    for year, published in PUBLISHED_EHCP.items():  # later revisions: within 0.15% (2024: +511, 2025: +745)
        assert abs(national[year] / published - 1) < 0.0015, (year, national[year], published)
    las = table[table["geographic_level"] == "Local authority"]
    assert (las.groupby("january")["ehcp_count"].sum() == national).all()
    assert las.groupby("january").size().between(151, 153).all()
    assert not table["ehcp_count_suppressed"].any()
    # The two releases agree exactly on every LA and the national total, Januaries 2019-2022.
    folder = raw_data / ehcp.DATASET
    keys = ["geographic_level", "la_code", "ons_code", "january"]
    early = ehcp.read_ehcp_2022_release(folder / ehcp.RELEASE_2022).query("january >= 2019")
    late = ehcp.read_ehcp_2025_release(folder / ehcp.RELEASE_2025).query("january <= 2022")
    both = early.merge(late, on=keys, how="outer", indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == 606 + 4 * 10  # LAs + England and 9 regions
    assert (both["ehcp_count_x"] == both["ehcp_count_y"]).all()
    # Reorganised councils as in the source.
    names_2019 = set(las.loc[las["january"] == 2019, "la_name"])
    assert {"Bournemouth", "Poole", "Dorset"} <= names_2019
    assert "Cumbria" in set(las.loc[las["january"] == 2023, "la_name"])
    assert {"Cumberland", "Westmorland and Furness"} <= set(las.loc[las["january"] == 2024, "la_name"])


# --------------------------------------------------------------------------- population


def mye2_grid(mid_year: int | None, rows: list[tuple[str, str, float]], ages: list = None) -> pd.DataFrame:
    """An MYE2 persons sheet: title, blank row, header, then (code, name, value per age) rows."""
    ages = ages if ages is not None else [*range(90), "90+"]
    title = f"MYE2: Persons by single year of age and sex for local authorities in the UK, mid-{mid_year}" if mid_year else "MYE2"
    header = ["Code", "Name", "Geography", "All ages", *ages]
    body = [[code, name, "x", value * len(ages), *[value] * len(ages)] for code, name, value in rows]
    width = len(header)
    return pd.DataFrame([[title] + [None] * (width - 1), [None] * width, header, *body])


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """An .xlsx with the given sheets written without pandas headers."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


MYE_ROWS = [("E92000001", "ENGLAND", 10.0), ("E06000001", "Hartlepool", 1.0),
            ("E07000026", "Allerdale", 5.0), ("W06000001", "Isle of Anglesey", 7.0), ("E10000002", "Buckinghamshire", 2.0)]


def test_read_mye2_workbook_sums_age_bands_for_upper_tier(tmp_path: Path):
    path = write_workbook(tmp_path / "mye.xlsx", {"Cover sheet": pd.DataFrame([["x"]]),
                                                 "MYE2 - Persons": mye2_grid(2019, MYE_ROWS)})
    table = population.read_mye2_workbook(path)
    assert list(table.columns) == population.ONS_COLUMNS
    assert table["ons_code"].tolist() == ["E06000001", "E10000002", "E92000001"]  # districts and Wales dropped
    hartlepool = table.set_index("ons_code").loc["E06000001"]
    assert (hartlepool["pop_0_25_count"], hartlepool["pop_2_18_count"], hartlepool["pop_0_17_count"]) == (26, 17, 18)
    assert table.set_index("ons_code").loc["E92000001", "pop_0_17_count"] == 180
    assert (table["mid_year"] == 2019).all() and (table["vintage"] == "pre-2021-census").all()
    assert (table["source_file"] == "mye.xlsx").all()


def test_read_ons_population_finds_sheet_and_text_age_labels(tmp_path: Path):
    folder = tmp_path / "population"
    folder.mkdir()
    labels = [str(a) for a in range(90)] + ["90+"]
    write_workbook(folder / "a.xlsx", {"MYE2-All": mye2_grid(2018, MYE_ROWS[:2], labels)})
    write_workbook(folder / "b.xlsx", {"Persons UK": mye2_grid(2021, MYE_ROWS[:2])})
    table = population.read_ons_population(tmp_path, files=("b.xlsx", "a.xlsx"))
    assert table[["mid_year", "ons_code"]].values.tolist() == [
        [2018, "E06000001"], [2018, "E92000001"], [2021, "E06000001"], [2021, "E92000001"]]
    assert table.groupby("mid_year")["vintage"].first().to_dict() == {2018: "pre-2021-census", 2021: "post-2021-census"}


@pytest.mark.parametrize(
    ("sheets", "match"),
    [
        ({"Contents": pd.DataFrame([["x"]])}, "one MYE2 persons sheet"),
        ({"MYE2 - Persons": mye2_grid(2019, MYE_ROWS).drop(index=2)}, "header row starting with 'Code'"),
        ({"MYE2 - Persons": mye2_grid(None, MYE_ROWS)}, "mid-year"),
        ({"MYE2 - Persons": mye2_grid(2019, MYE_ROWS, [a for a in range(91) if a != 5])}, r"age column\(s\) \[5\]"),
        ({"MYE2 - Persons": mye2_grid(2019, MYE_ROWS + [MYE_ROWS[1]])}, "duplicated.*E06000001"),
        ({"MYE2 - Persons": mye2_grid(2019, MYE_ROWS[1:])}, "no England row"),
    ],
)
def test_read_mye2_workbook_bad_layouts(tmp_path: Path, sheets: dict, match: str):
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(SourceFormatError, match=f"bad.xlsx.*{match}"):
        population.read_mye2_workbook(path)


def test_read_mye2_workbook_non_numeric_cell_and_corrupted_file(tmp_path: Path):
    grid = mye2_grid(2019, MYE_ROWS).astype(object)
    grid.iloc[4, 10] = "lots"
    path = write_workbook(tmp_path / "cell.xlsx", {"MYE2 - Persons": grid})
    with pytest.raises(SourceFormatError, match="cell.xlsx.*lots"):
        population.read_mye2_workbook(path)
    grid.iloc[4, 10] = None
    path = write_workbook(tmp_path / "blank.xlsx", {"MYE2 - Persons": grid})
    with pytest.raises(SourceFormatError, match="blank.xlsx.*column 11 has no number on row 5"):
        population.read_mye2_workbook(path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="broken.xlsx"):
        population.read_mye2_workbook(broken)
    with pytest.raises(SourceFormatError, match="make data"):
        population.read_ons_population(tmp_path, files=("absent.xls",))


def dfe_population_csv(path: Path, values: list[str], age_group: str = "Children aged 0 to 17 years") -> Path:
    """DfE's 0-17 series: England and Camden and Bournemouth for 2018."""
    rows = [ees_row("2018", "National"), ees_row("2018", "Local authority", "202", "E09000007", "Camden"),
            ees_row("2018", "Local authority", "837", "E06000028", "Bournemouth")]
    frame = pd.DataFrame(rows).assign(age_group=age_group, population_estimate=values)
    frame.to_csv(path, index=False)
    return path


def test_read_dfe_population_0_17(tmp_path: Path):
    table = population.read_dfe_population_0_17(dfe_population_csv(tmp_path / "p.csv", ["11000", "40000", "x"]))
    assert list(table.columns) == population.DFE_COLUMNS
    rows = table.set_index(["geographic_level", "ons_code"])
    assert rows.loc[("National", "E92000001"), "pop_0_17_count"] == 11000
    assert rows.loc[("Local authority", "E09000007"), "la_code"] == "202"
    bournemouth = rows.loc[("Local authority", "E06000028")]
    assert np.isnan(bournemouth["pop_0_17_count"]) and bournemouth["pop_0_17_count_suppressed"]
    assert (table["mid_year"] == 2018).all()


def test_read_dfe_population_bad_inputs(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        population.read_dfe_population_0_17(tmp_path / "absent.csv")
    with pytest.raises(SourceFormatError, match="age_group"):
        population.read_dfe_population_0_17(dfe_population_csv(tmp_path / "a.csv", ["1", "2", "3"], "Aged 0 to 25"))
    renamed = tmp_path / "r.csv"
    pd.read_csv(dfe_population_csv(renamed, ["1", "2", "3"])).rename(columns={"population_estimate": "pop"}).to_csv(renamed, index=False)
    with pytest.raises(SourceFormatError, match="r.csv.*population_estimate"):
        population.read_dfe_population_0_17(renamed)
    duplicated = tmp_path / "d.csv"
    frame = pd.read_csv(dfe_population_csv(duplicated, ["1", "2", "3"]), dtype=str)
    pd.concat([frame, frame.tail(1)]).to_csv(duplicated, index=False)
    with pytest.raises(SourceFormatError, match="duplicated.*837"):
        population.read_dfe_population_0_17(duplicated)


@pytest.mark.needs_data
def test_population_real_data(raw_data: Path):
    ons = population.read_ons_population(raw_data)
    assert sorted(ons["mid_year"].unique()) == list(range(2015, 2024))
    areas = ons[ons["ons_code"] != population.ENGLAND].groupby("mid_year").size()
    assert areas.to_dict() == {2015: 152, 2016: 152, 2017: 152, 2018: 151, 2019: 151, 2020: 152,
                               2021: 152, 2022: 153, 2023: 153}
    england = ons[ons["ons_code"] == population.ENGLAND].set_index("mid_year")
    assert england["pop_0_17_count"].between(11.5e6, 12.2e6).all()
    assert england.loc[2021, "pop_0_17_count"] == 11761656 and england.loc[2015, "pop_0_25_count"] == 17352579
    uts = ons[ons["ons_code"] != population.ENGLAND]
    assert (uts.groupby("mid_year")["pop_0_17_count"].sum() == england["pop_0_17_count"]).all()

    dfe = population.read_dfe_population_0_17(raw_data / population.DATASET / population.DFE_POPULATION_CSV)
    assert dfe.groupby("mid_year").size().eq(1 + 11 + dfe.query("geographic_level == 'Local authority'")
                                             .groupby("mid_year").size()).all()
    assert dfe["pop_0_17_count_suppressed"].sum() == 21  # Bournemouth, Poole, Dorset CC 2012-2018
    dfe_england = dfe[dfe["geographic_level"] == "National"].set_index("mid_year")["pop_0_17_count"]
    assert dfe_england[2024] == 12183016
    gap = (england["pop_0_17_count"] / dfe_england.loc[england.index] - 1).abs()
    assert gap.max() < 0.03  # largest in 2020 (+2.6%): pre-census ONS file vs DfE's revised series
    both = uts.merge(dfe, on=["ons_code", "mid_year"])
    both = both[~both["ons_code"].isin(["E09000001", "E06000053"])]  # City of London, Isles of Scilly: tiny
    both["gap"] = (both["pop_0_17_count_x"] / both["pop_0_17_count_y"] - 1).abs()
    assert both.loc[both["mid_year"] >= 2021, "gap"].max() < 0.025
    assert both.loc[both["mid_year"] <= 2020, "gap"].max() < 0.60  # Westminster 2020 +59% (pre-census vintage)


# --------------------------------------------------------------------------- GDP deflator

QUARTERLY_CSV = '''"Title","Gross domestic product at market prices:Implied deflator:SA"
"CDID","YBGB"
"Important notes",
"2020","90"
"2021","95"
"2020 Q1","1"
"2020 Q2","2"
"2020 Q3","4"
"2020 Q4","6"
"2021 Q1","8"
"2021 Q2","10"
"2021 Q3","10"
"2021 Q4","10"
"2022 Q1","14"
"2022 Q2","99"
"2022 JAN","5"
'''


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_gdp_deflator_averages_april_to_march(tmp_path: Path):
    table = deflator.read_gdp_deflator(write_text(tmp_path / "d.csv", QUARTERLY_CSV))
    assert list(table.columns) == ["fy", "fy_start", "deflator"]
    assert table.values.tolist() == [["2020-21", 2020, 5.0], ["2021-22", 2021, 11.0]]  # 2019-20, 2022-23 incomplete


def test_rebase_deflator(tmp_path: Path):
    table = deflator.read_gdp_deflator(write_text(tmp_path / "d.csv", QUARTERLY_CSV))
    rebased = deflator.rebase_deflator(table, "2021-22")
    assert rebased["deflator_index"].tolist() == pytest.approx([5 / 11 * 100, 100.0])
    assert "deflator_index" not in table.columns
    with pytest.raises(ValueError, match=r"'2030-31'.*2020-21 to 2021-22"):
        deflator.rebase_deflator(table, "2030-31")
    with pytest.raises(ValueError, match="YYYY-YY"):
        deflator.rebase_deflator(table, "2021")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('"Title","x"\n"2020","1"\n', "no quarterly rows"),
        (QUARTERLY_CSV.replace('"2021 Q3","10"', '"2021 Q3",""'), r"\['2021 Q3'\] have no numeric value"),
        (QUARTERLY_CSV + '"2021 Q3","10"\n', "listed twice.*2021 Q3"),
        ('"Title","x"\n"2020 Q1","1"\n"2020 Q2","1"\n', "no financial year has all four quarters"),
    ],
)
def test_read_gdp_deflator_bad_inputs(tmp_path: Path, text: str, match: str):
    with pytest.raises(SourceFormatError, match=f"d.csv.*{match}"):
        deflator.read_gdp_deflator(write_text(tmp_path / "d.csv", text))


def test_read_gdp_deflator_missing_file(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        deflator.read_gdp_deflator(tmp_path / "absent.csv")


@pytest.mark.needs_data
def test_gdp_deflator_real_data(raw_data: Path):
    table = deflator.read_gdp_deflator(raw_data / deflator.GDP_DEFLATOR_CSV)
    assert (table["fy"].iloc[0], table["fy"].iloc[-1], len(table)) == ("1955-56", "2024-25", 70)
    values = table.set_index("fy")["deflator"]
    # 2022 = 100 in the June 2025 release; FY means of the quarters as published (1 dp).
    assert values["2022-23"] == pytest.approx(102.0) and values["2024-25"] == pytest.approx(112.375)
    assert values["2015-16"] == pytest.approx(83.75)
    rebased = deflator.rebase_deflator(table, "2024-25").set_index("fy")["deflator_index"]
    assert rebased["2015-16"] == pytest.approx(74.527, abs=1e-3)


# --------------------------------------------------------------------------- SEN pupils (LAIT)


def lait_frame(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    """bds_long rows: (Short Desc, Years, LA and Regions, Values, LA Number)."""
    frame = pd.DataFrame(rows, columns=["Short Desc", "Years", "LA and Regions", "Values", "LA Number"])
    return frame.assign(**{"Data item": None, "Region": "NA"})


LAIT_ROWS = [
    ("SEN_TotSENSuP", "2025", "Camden", "12.5", 202.0), ("SEN_TotStat", "2025", "Camden", "4.2", 202.0),
    ("SEN_TotSENSuP", "2025", "England", "14.2", 970.0), ("SEN_TotStat", "2025", "England", "5.3", 970.0),
    ("SEN_TotSENSuP", "2025", "London", "13", 986.0), ("SEN_TotStat", "2025", "London", "4.9", 986.0),
    ("SEN_TotSENSuP", "2025", "Bournemouth (Pre LG)", "-", 837.0), ("SEN_TotStat", "2025", "Bournemouth (Pre LG)", "-", 837.0),
    ("SEN_TotSENSuP", "2024", "Camden", "12.0", 202.0), ("SEN_TotStat", "2024", "Camden", "c", 202.0),
    ("RTA", "2025", "Camden", "99", 202.0),
]


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path, index=False)
    return path


def test_read_sen_support(tmp_path: Path):
    table = sen_support.read_sen_support(write_parquet(tmp_path / "b.parquet", lait_frame(LAIT_ROWS)))
    assert list(table.columns) == sen_support.COLUMNS
    assert table[["geographic_level", "la_code", "january"]].astype(object).where(table.notna(), None).values.tolist() == [
        ["Local authority", "202", 2024], ["Local authority", "202", 2025], ["National", None, 2025], ["Regional", None, 2025]]
    camden = table.set_index(["la_code", "january"]).loc[("202", 2025)]
    assert (camden["sen_support_pct"], camden["ehcp_pupil_pct"]) == (12.5, 4.2)
    earlier = table.set_index(["la_code", "january"]).loc[("202", 2024)]
    assert np.isnan(earlier["ehcp_pupil_pct"]) and earlier["ehcp_pupil_pct_suppressed"]
    assert not earlier["sen_support_pct_suppressed"]


@pytest.mark.parametrize(
    ("rows", "drop", "match"),
    [
        (LAIT_ROWS + [LAIT_ROWS[0]], None, "duplicated"),
        ([("SEN_TotSENSuP", "2024/25", "Camden", "1", 202.0), ("SEN_TotStat", "2024/25", "Camden", "1", 202.0)], None, "Years.*2024/25"),
        ([("SEN_TotSENSuP", "2025", "Camden", "lots", 202.0), ("SEN_TotStat", "2025", "Camden", "1", 202.0)], None, "SEN_TotSENSuP.*lots"),
        ([("SEN_TotSENSuP", "2025", "Camden", "1", 202.0)], None, r"item\(s\) \['SEN_TotStat'\]"),
        (LAIT_ROWS, "Values", "'Values'"),
    ],
)
def test_read_sen_support_bad_inputs(tmp_path: Path, rows: list, drop: str | None, match: str):
    frame = lait_frame(rows)
    path = write_parquet(tmp_path / "b.parquet", frame.drop(columns=drop) if drop else frame)
    with pytest.raises(SourceFormatError, match=f"b.parquet.*{match}"):
        sen_support.read_sen_support(path)


def test_read_sen_support_missing_and_corrupted(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        sen_support.read_sen_support(tmp_path / "absent.parquet")
    broken = write_text(tmp_path / "broken.parquet", "PAR1 truncated")
    with pytest.raises(SourceFormatError, match="broken.parquet.*Parquet"):
        sen_support.read_sen_support(broken)


@pytest.mark.needs_data
def test_sen_support_real_data(raw_data: Path):
    table = sen_support.read_sen_support(raw_data / sen_support.LAIT_PARQUET)
    assert sorted(table["january"].unique()) == list(range(2016, 2026))
    england = table[table["geographic_level"] == "National"].set_index("january")
    # SEN in England (January census): EHC plans 2.8% (2016) -> 5.3% (2025); SEN support 11.6% -> 14.2%.
    assert england["ehcp_pupil_pct"].round(1).to_dict() == {
        2016: 2.8, 2017: 2.8, 2018: 2.9, 2019: 3.1, 2020: 3.3, 2021: 3.7, 2022: 4.0, 2023: 4.3, 2024: 4.8, 2025: 5.3}
    assert england["sen_support_pct"].round(1).to_dict() == {
        2016: 11.6, 2017: 11.6, 2018: 11.7, 2019: 11.9, 2020: 12.1, 2021: 12.2, 2022: 12.6, 2023: 13.0, 2024: 13.6, 2025: 14.2}
    las = table[table["geographic_level"] == "Local authority"]
    assert las.groupby("january").size().to_dict() == {
        2016: 152, 2017: 152, 2018: 152, 2019: 152, 2020: 151, 2021: 151, 2022: 152, 2023: 152, 2024: 153, 2025: 153}
    assert las["la_code"].str.fullmatch(r"\d{3}").all()
    assert (table.groupby("january").size() == las.groupby("january").size() + 10).all()  # England + 9 regions
    assert not table[["sen_support_pct_suppressed", "ehcp_pupil_pct_suppressed"]].any().any()
    assert las[["sen_support_pct", "ehcp_pupil_pct"]].stack().between(0, 30).all()
    kent = las.set_index(["la_code", "january"]).loc[("886", 2025)]
    assert (kent["sen_support_pct"], kent["ehcp_pupil_pct"]) == (13.1, 5.8)


# --------------------------------------------------------------------------- deprivation


def iod_sheet(domain: str, rows: list[tuple[str, str, float, int]]) -> pd.DataFrame:
    """A File 11 domain sheet: code, name, average rank, its rank, average score, its rank."""
    return pd.DataFrame(
        [(code, name, 20000.0, rank, score, rank) for code, name, score, rank in rows],
        columns=["Upper Tier Local Authority District code (2019)", "Upper Tier Local Authority District name (2019)",
                 f"{domain} - Average rank", f"{domain} - Rank of average rank",
                 f"{domain} - Average score", f"{domain} - Rank of average score"],
    )


IMD_ROWS = [("E06000009", "Blackpool", 45.039, 1), ("E10000016", "Kent", 19.538, 2)]
IDACI_ROWS = [("E06000009", "Blackpool", 0.307, 2), ("E10000016", "Kent", 0.158, 1)]


def write_iod(path: Path, imd: pd.DataFrame, idaci: pd.DataFrame) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Notes")
        imd.to_excel(writer, sheet_name="IMD", index=False)
        idaci.to_excel(writer, sheet_name="IDACI", index=False)
    return path


def test_read_deprivation(tmp_path: Path):
    folder = tmp_path / "deprivation"
    folder.mkdir()
    write_iod(folder / "iod19.xlsx", iod_sheet("IMD", IMD_ROWS),
              iod_sheet("Income Deprivation Affecting Children Index (IDACI)", IDACI_ROWS))
    table = deprivation.read_deprivation(tmp_path, files={2019: "iod19.xlsx"})
    assert list(table.columns) == deprivation.COLUMNS
    assert table.values.tolist() == [["E06000009", "Blackpool", 2019, 45.039, 1, 0.307, 2],
                                     ["E10000016", "Kent", 2019, 19.538, 2, 0.158, 1]]
    assert table["imd_rank_of_avg_score"].dtype == "Int64"


@pytest.mark.parametrize(
    ("imd", "idaci", "match"),
    [
        (iod_sheet("IMD", IMD_ROWS).drop(columns="IMD - Average score"), iod_sheet("IDACI", IDACI_ROWS),
         "IMD.*ending '- average score'"),
        (iod_sheet("IMD", IMD_ROWS + IMD_ROWS[:1]), iod_sheet("IDACI", IDACI_ROWS + IDACI_ROWS[:1]), "duplicated.*E06000009"),
        (iod_sheet("IMD", IMD_ROWS), iod_sheet("IDACI", IDACI_ROWS[:1]), "different LAs.*E10000016"),
        (iod_sheet("IMD", [("Blackpool", "Blackpool", 1.0, 1)]), iod_sheet("IDACI", IDACI_ROWS), "not ONS codes"),
        (iod_sheet("IMD", [("E06000009", "Blackpool", np.nan, 1)]), iod_sheet("IDACI", IDACI_ROWS[:1]), "blank on row"),
    ],
)
def test_read_deprivation_bad_inputs(tmp_path: Path, imd: pd.DataFrame, idaci: pd.DataFrame, match: str):
    path = write_iod(tmp_path / "iod.xlsx", imd, idaci)
    with pytest.raises(SourceFormatError, match=f"iod.xlsx.*{match}"):
        deprivation.read_iod_workbook(path, 2019)


def test_read_deprivation_missing_sheet_and_file(tmp_path: Path):
    path = tmp_path / "iod.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        iod_sheet("IMD", IMD_ROWS).to_excel(writer, sheet_name="IMD", index=False)
    with pytest.raises(SourceFormatError, match="iod.xlsx.*'IDACI'"):
        deprivation.read_iod_workbook(path, 2019)
    with pytest.raises(SourceFormatError, match="make data"):
        deprivation.read_deprivation(tmp_path)


@pytest.mark.needs_data
def test_deprivation_real_data(raw_data: Path):
    table = deprivation.read_deprivation(raw_data)
    assert table.groupby("iod_year").size().to_dict() == {2015: 152, 2019: 151}
    for year, group in table.groupby("iod_year"):
        for rank in ["imd_rank_of_avg_score", "idaci_rank_of_avg_score"]:
            assert sorted(group[rank]) == list(range(1, len(group) + 1))
    assert table["ons_code"].str.match(r"E0[689]|E10").all()
    by = table.set_index(["iod_year", "la_name"])
    assert by.loc[(2019, "Blackpool"), "imd_rank_of_avg_score"] == 1 and by.loc[(2015, "Blackpool"), "imd_rank_of_avg_score"] == 1
    assert by.loc[(2019, "Middlesbrough"), "idaci_rank_of_avg_score"] == 1
    assert by.loc[(2019, "Middlesbrough"), "imd_avg_score"] == pytest.approx(40.46)
    assert "Bournemouth, Christchurch and Poole" in set(table.loc[table["iod_year"] == 2019, "la_name"])
