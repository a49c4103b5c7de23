"""Finance readers: S251 outturn, High Needs Benchmarking Tool, DSG allocations, DSG balance.

Unit tests write tiny files into tmp_path; tests marked ``needs_data`` check the real files."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendlib.errors import SourceFormatError
from sendlib.readers import dsg_allocations, dsg_balance, hn_benchmarking, s251

# ================================================================ S251 outturn (JSON)


def s251_entry(code: str, name: str, year: int | str, buckets: dict[str, float]) -> dict:
    return {"la_name": name, "la_code": code, "year": str(year),
            "education_breakdown": [{"name": k, "value": v} for k, v in buckets.items()],
            "total": sum(buckets.values())}


FULL = {"Schools block": 100, "High needs (SEND)": 40, "Central school services": 5,
        "Early years": 3, "Other education & community": 2}


def write_s251(folder: Path, year: int, entries: dict, name: str | None = None) -> Path:
    path = folder / (name or f"s251_lookup_{year}.json")
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_s251_happy_path_missing_bucket_is_nan(tmp_path: Path):
    no_early_years = {k: v for k, v in FULL.items() if k != "Early years"}
    paths = [
        write_s251(tmp_path, 2022, {"E09000007": s251_entry("E09000007", "Camden", 2022, FULL)}),
        write_s251(tmp_path, 2021, {"E10000017": s251_entry("E10000017", "Lancashire", 2021, no_early_years),
                                    "E09000007": s251_entry("E09000007", "Camden", 2021, FULL)}),
    ]
    table = s251.read_s251_outturn(paths)
    assert list(table.columns) == s251.COLUMNS
    assert table[["ons_code", "fy"]].values.tolist() == [
        ["E09000007", "2021-22"], ["E10000017", "2021-22"], ["E09000007", "2022-23"]]
    assert table["fy_start"].tolist() == [2021, 2021, 2022] and table["fy_start"].dtype == "int64"
    assert table["hn_spend_gbp"].tolist() == [40.0, 40.0, 40.0]
    lancashire = table.iloc[1]
    assert math.isnan(lancashire["early_years_gbp"]) and lancashire["total_gbp"] == 147.0
    assert table["total_gbp"].tolist()[0] == 150.0


def test_s251_missing_high_needs_bucket_is_nan_and_logged(tmp_path: Path, caplog):
    buckets = {k: v for k, v in FULL.items() if k != "High needs (SEND)"}
    path = write_s251(tmp_path, 2021, {"E06000001": s251_entry("E06000001", "Hartlepool", 2021, buckets)})
    with caplog.at_level(logging.WARNING, logger="sendlib.readers.s251"):
        table = s251.read_s251_outturn([path])
    assert table["hn_spend_gbp"].isna().all()
    assert "Hartlepool" in caplog.text and "High needs (SEND)" in caplog.text


def test_s251_default_paths_come_from_raw_dir(tmp_path: Path):
    folder = tmp_path / "s251_outturn"
    folder.mkdir()
    write_s251(folder, 2018, {"E09000007": s251_entry("E09000007", "Camden", 2018, FULL)})
    write_s251(folder, 2017, {"E09000007": s251_entry("E09000007", "Camden", 2017, FULL)})
    (folder / "notes.json").write_text("{}")
    assert [p.name for p in s251.s251_paths(tmp_path)] == ["s251_lookup_2017.json", "s251_lookup_2018.json"]
    with pytest.raises(SourceFormatError, match="no s251_lookup"):
        s251.s251_paths(tmp_path / "empty")


def test_s251_missing_file(tmp_path: Path):
    with pytest.raises(SourceFormatError, match=r"s251_lookup_2019\.json.*make data"):
        s251.read_s251_outturn([tmp_path / "s251_lookup_2019.json"])


def test_s251_truncated_json(tmp_path: Path):
    path = tmp_path / "s251_lookup_2021.json"
    path.write_text('{"E09000007": {"la_name": "Camden", ', encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"s251_lookup_2021\.json.*not valid JSON"):
        s251.read_s251_outturn([path])


def test_s251_year_must_match_file_name(tmp_path: Path):
    path = write_s251(tmp_path, 2021, {"E09000007": s251_entry("E09000007", "Camden", 2020, FULL)})
    with pytest.raises(SourceFormatError, match="E09000007.*year '2020' disagrees with the file name"):
        s251.read_s251_outturn([path])


def test_s251_bad_file_name(tmp_path: Path):
    path = write_s251(tmp_path, 2021, {}, name="s251_2021.json")
    with pytest.raises(SourceFormatError, match="s251_lookup_YYYY"):
        s251.read_s251_outturn([path])


def test_s251_duplicated_la_in_file(tmp_path: Path):
    entry = json.dumps(s251_entry("E09000007", "Camden", 2021, FULL))
    path = tmp_path / "s251_lookup_2021.json"
    path.write_text(f'{{"E09000007": {entry}, "E09000007": {entry}}}', encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"duplicated keys \['E09000007'\]"):
        s251.read_s251_outturn([path])


def test_s251_same_file_twice_is_a_duplicate(tmp_path: Path):
    path = write_s251(tmp_path, 2021, {"E09000007": s251_entry("E09000007", "Camden", 2021, FULL)})
    with pytest.raises(SourceFormatError, match="duplicated rows"):
        s251.read_s251_outturn([path, path])


def test_s251_renamed_bucket(tmp_path: Path):
    buckets = {("High needs" if k == "High needs (SEND)" else k): v for k, v in FULL.items()}
    path = write_s251(tmp_path, 2021, {"E09000007": s251_entry("E09000007", "Camden", 2021, buckets)})
    with pytest.raises(SourceFormatError, match="E09000007.*unknown bucket 'High needs'"):
        s251.read_s251_outturn([path])


def test_s251_missing_key_and_wrong_total_and_text_value(tmp_path: Path):
    entry = s251_entry("E09000007", "Camden", 2021, FULL)
    del entry["total"]
    path = write_s251(tmp_path, 2021, {"E09000007": entry})
    with pytest.raises(SourceFormatError, match="expected an object with keys"):
        s251.read_s251_outturn([path])
    entry = s251_entry("E09000007", "Camden", 2021, FULL) | {"total": 999}
    write_s251(tmp_path, 2021, {"E09000007": entry})
    with pytest.raises(SourceFormatError, match="total 999.0 is not the sum"):
        s251.read_s251_outturn([path])
    entry = s251_entry("E09000007", "Camden", 2021, FULL)
    entry["education_breakdown"][1]["value"] = "c"
    write_s251(tmp_path, 2021, {"E09000007": entry})
    with pytest.raises(SourceFormatError, match="High needs.*expected a number"):
        s251.read_s251_outturn([path])


S251_ENGLAND_HN_BN = {"2017-18": 4.40, "2018-19": 4.73, "2019-20": 5.16, "2020-21": 5.69,
                      "2021-22": 6.49, "2022-23": 7.42, "2023-24": 8.69, "2024-25": 10.22}
S251_LAS_PER_YEAR = {"2017-18": 152, "2018-19": 152, "2019-20": 151, "2020-21": 151,
                     "2021-22": 152, "2022-23": 152, "2023-24": 151, "2024-25": 153}
CUMBRIA_AND_SUCCESSORS = {"E10000006", "E06000063", "E06000064"}


@pytest.mark.needs_data
def test_s251_real_data(raw_data: Path):
    table = s251.read_s251_outturn(s251.s251_paths(raw_data))
    sums = (table.groupby("fy")["hn_spend_gbp"].sum() / 1e9).round(2).to_dict()
    assert sums == S251_ENGLAND_HN_BN
    assert table.groupby("fy").size().to_dict() == S251_LAS_PER_YEAR
    assert table["hn_spend_gbp"].notna().all() and (table["hn_spend_gbp"] > 0).all()
    by_year = table.groupby("fy")["ons_code"].agg(set)
    assert not CUMBRIA_AND_SUCCESSORS & by_year["2023-24"]
    assert "E10000006" in by_year["2022-23"] and {"E06000063", "E06000064"} <= by_year["2024-25"]
    assert {"E09000001", "E06000053"} <= by_year["2021-22"]  # City of London, Isles of Scilly
    buckets = table[[c for c in s251.COLUMNS[4:] if c != "total_gbp"]].sum(axis=1)
    assert np.allclose(buckets, table["total_gbp"], atol=1)
    missing = table[table.isna().any(axis=1)]
    assert set(missing.columns[missing.isna().any()]) == {"early_years_gbp", "other_education_gbp"}
    camden = table.query("ons_code == 'E09000007' and fy == '2017-18'")["hn_spend_gbp"].item()
    assert camden == 28845872


# ================================================================ High Needs Benchmarking Tool (xlsx)

PLACE = ["Place funding", "Early Years", "Primary", "Secondary", "Special schools and academies",
         "PRUs and AP academies", "Post School"]
TOPUP_PHASES = ["Early Years", "Primary", "Secondary", "Special schools and academies",
                "PRUs and AP academies", "Post School", "Income"]
TOPUP_M = ["Top up funding (maintained schools, academies, free schools and colleges)",
           *[f"{p} (1)" for p in TOPUP_PHASES]]
TOPUP_I = ["Top up funding (non-maintained\nand independent schools and colleges)",
           *[f"{p} (2)" for p in TOPUP_PHASES]]
SERVICE_LABELS = ["SEN support and inclusion services", "Alternative provision services",
                  "Hospital education services", "Therapies and other health related services"]
STAGE_LABELS = PLACE + TOPUP_M + TOPUP_I + SERVICE_LABELS
# one LA's values, in label order: place (headline = special + AP), top-ups (total = phases - income), services
STAGE_VALUES = ([30, 1, 2, 3, 10, 20, 4]
                + [205, 10, 20, 30, 100, 40, 10, 5]
                + [55, 0, 0, 5, 50, 0, 1, 1]
                + [7, 8, 9, 6])
EHCP_LABELS = ["with SEN statement or EHCP", "Mainstream schools\nor academies", "Resourced provision\nor SEN units",
               "Maintained special schools\nor special academies", "NMSS or\nindependent schools",
               "Hospital schools or\nalternative provision", "Post 16", "Other"]
EHCP_VALUES = [28, 10, 2, 8, 3, 1, 3, 1]
BUDGET_COL = 15
OUTTURN_COL = BUDGET_COL + len(STAGE_LABELS) + 1


def benchmarking_grid(las: list[tuple] | None = None) -> list[list]:
    """Rows of a miniature 'All LA data' sheet: header rows 0-5, blank row 6, LAs from row 7.

    ``las``: (region, code, name, population, ehcp values or None, budget values or None, outturn values or None)."""
    width = OUTTURN_COL + len(STAGE_LABELS)
    rows = [[None] * width for _ in range(7)]
    rows[1][1:3] = ["Year", "2021-22"]
    rows[2][BUDGET_COL], rows[2][OUTTURN_COL] = "Section 251 budget", "Section 251 outturn"
    rows[3][BUDGET_COL:BUDGET_COL + len(STAGE_LABELS)] = STAGE_LABELS
    rows[3][OUTTURN_COL:OUTTURN_COL + len(STAGE_LABELS)] = STAGE_LABELS
    rows[4][1:7] = ["Region", "LA code", "LA name", "2-18 Population (ONS mid-2021 projection)", None,
                    "No. aged up to 25 with SEN statement or EHCP"]
    rows[5][4] = "2-18 Population (ONS mid-2021 projection)"
    rows[5][6:14] = EHCP_LABELS
    outturn = [v * 2 for v in STAGE_VALUES]
    las = las if las is not None else [
        ("INNER LONDON", 202, "Camden", 1000.5, EHCP_VALUES, STAGE_VALUES, outturn),
        ("INNER LONDON", 203, "Greenwich", 2000.0, EHCP_VALUES, STAGE_VALUES, STAGE_VALUES),
        ("EAST MIDLANDS", 928, "Northamptonshire", 3000.0, EHCP_VALUES, None, None),
        ("SOUTH WEST", 837, "Bournemouth", 0, None, None, None),
    ]
    for region, code, name, population, ehcp, budget, out in las:
        row = [None] * width
        row[1:5] = [region, code, name, population]
        for start, values in ((6, ehcp), (BUDGET_COL, budget), (OUTTURN_COL, out)):
            if values is not None:
                row[start:start + len(values)] = values
        rows.append(row)
    return rows


def write_grid(path: Path, rows: list[list]) -> Path:
    pd.DataFrame(rows).to_excel(path, header=False, index=False, sheet_name="Sheet1")
    return path


@pytest.fixture()
def benchmarking_file(tmp_path: Path) -> Path:
    return write_grid(tmp_path / "Outturn data 202122.xlsx", benchmarking_grid())


def test_benchmarking_happy_path(benchmarking_file: Path):
    table = hn_benchmarking.read_hn_benchmarking(benchmarking_file)
    assert list(table.columns) == hn_benchmarking.LONG_COLUMNS
    assert set(table["la_code"]) == {"202", "203"}  # Northamptonshire/Bournemouth have no finance values
    assert set(table["fy"]) == {"2021-22"} and set(table["stage"]) == {"budget", "outturn"}
    assert table.groupby(["la_code", "stage"]).size().unique().tolist() == [30]
    value = table.set_index(["la_code", "stage", "line"])["value_gbp"]
    assert value["202", "budget", "place_funding_special_and_ap"] == 30
    assert value["202", "budget", "place_funding_post_school"] == 4
    assert value["202", "budget", "top_up_maintained_income"] == 5
    assert value["202", "budget", "top_up_independent_special"] == 50
    assert value["202", "budget", "therapies_health_services"] == 6
    assert value["202", "budget", "place_funding_total"] == 40
    assert value["202", "budget", "high_needs_total_excl_place_funding"] == 205 + 55 + 7 + 8 + 9 + 6
    assert value["202", "budget", "high_needs_total"] == 40 + 290
    assert value["202", "outturn", "high_needs_total"] == 2 * 330
    assert not table["value_gbp_suppressed"].any()
    assert table.equals(table.sort_values(["la_code", "stage", "line"], ignore_index=True))


def test_benchmarking_placements(benchmarking_file: Path):
    table = hn_benchmarking.read_hn_benchmarking_placements(benchmarking_file)
    assert list(table.columns) == hn_benchmarking.PLACEMENT_COLUMNS
    assert table["la_code"].tolist() == ["202", "203", "928"]  # Bournemouth (no positive value) dropped
    camden = table.iloc[0]
    assert camden["population_2_18_count"] == 1000.5 and camden["ehcp_count"] == 28
    assert camden["ehcp_nmss_independent_count"] == 3 and camden["ehcp_post16_count"] == 3


def test_benchmarking_suppression_marker_is_nan_and_flagged(tmp_path: Path):
    rows = benchmarking_grid()
    rows[7][BUDGET_COL + 1] = "c"
    table = hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))
    cell = table.query("la_code == '202' and stage == 'budget' and line == 'place_funding_early_years'")
    assert cell["value_gbp"].isna().all() and cell["value_gbp_suppressed"].all()
    # the derived sum that needs it is missing, not computed as if it were 0
    assert table.query("la_code == '202' and stage == 'budget' and line == 'place_funding_total'").empty


def test_benchmarking_missing_and_corrupted_file(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        hn_benchmarking.read_hn_benchmarking(tmp_path / "absent.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="bad.xlsx"):
        hn_benchmarking.read_hn_benchmarking(bad)


def test_benchmarking_renamed_line_label(tmp_path: Path):
    rows = benchmarking_grid()
    rows[3][OUTTURN_COL + len(STAGE_LABELS) - 2] = "Hospital services"
    with pytest.raises(SourceFormatError, match=r"b\.xlsx.*column [A-Z]+ row 4: unexpected line label 'hospital serv"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))


def test_benchmarking_missing_identifier_header(tmp_path: Path):
    rows = benchmarking_grid()
    rows[4][2] = "Code"
    with pytest.raises(SourceFormatError, match="'LA code'"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))


def test_benchmarking_missing_stage_block(tmp_path: Path):
    rows = benchmarking_grid()
    rows[2][OUTTURN_COL] = "Outturn"
    with pytest.raises(SourceFormatError, match="Section 251 outturn"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))


def test_benchmarking_duplicated_la(tmp_path: Path):
    rows = benchmarking_grid()
    rows.append(list(rows[7]))
    with pytest.raises(SourceFormatError, match="duplicated rows.*202"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))


def test_benchmarking_text_in_value_column(tmp_path: Path):
    rows = benchmarking_grid()
    rows[8][OUTTURN_COL] = "oops"
    with pytest.raises(SourceFormatError, match=r"column [A-Z]+: non-numeric values \['oops'\]"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))


def test_benchmarking_bad_la_code_and_year(tmp_path: Path):
    rows = benchmarking_grid()
    rows[9][2] = "X99"
    with pytest.raises(SourceFormatError, match="row 10: LA code 'X99' is not a 3-digit code"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))
    rows[9][2] = None
    with pytest.raises(SourceFormatError, match="row 10: LA code nan is not a 3-digit code"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "b.xlsx", rows))
    rows = benchmarking_grid()
    rows[1][2] = "2021"
    with pytest.raises(SourceFormatError, match="no 'YYYY-YY' year"):
        hn_benchmarking.read_hn_benchmarking(write_grid(tmp_path / "c.xlsx", rows))


def las_lookup(raw_data: Path) -> dict[str, str]:
    """ONS code -> DfE 3-digit code, from the DfE master list (test-only join)."""
    las = pd.read_csv(raw_data / "la_lookup" / "las.csv", dtype=str).dropna(subset=["old_la_code"])
    return dict(zip(las["new_la_code"], las["old_la_code"]))


@pytest.mark.needs_data
def test_benchmarking_real_data(raw_data: Path):
    table = hn_benchmarking.read_hn_benchmarking(raw_data / hn_benchmarking.DATASET / hn_benchmarking.FILE)
    assert table.groupby("stage")["la_code"].nunique().to_dict() == {"budget": 150, "outturn": 150}
    assert table.groupby(["stage", "line"]).size().unique().tolist() == [150]
    assert not {"201", "420", "928", "835", "836", "837"} & set(table["la_code"])
    wide = table.pivot(index=["la_code", "stage"], columns="line", values="value_gbp")
    phases = ["early_years", "primary", "secondary", "special", "ap", "post_school"]
    for prefix in ("top_up_maintained", "top_up_independent"):
        net = wide[[f"{prefix}_{p}" for p in phases]].sum(axis=1) - wide[f"{prefix}_income"]
        assert np.allclose(net, wide[f"{prefix}_total"], atol=1)
    assert np.allclose(wide["place_funding_special"] + wide["place_funding_ap"], wide["place_funding_special_and_ap"])
    england = (table.groupby(["stage", "line"])["value_gbp"].sum() / 1e9).round(3)
    assert england["outturn", "high_needs_total_excl_place_funding"] == 6.477
    assert england["outturn", "place_funding_total"] == 1.111
    assert england["budget", "high_needs_total_excl_place_funding"] == 6.141

    # the S251 "High needs (SEND)" bucket (lines 1.2.x) equals the tool's lines without place funding
    spend = s251.read_s251_file(raw_data / "s251_outturn" / "s251_lookup_2021.json")
    spend["la_code"] = spend["ons_code"].map(las_lookup(raw_data))
    outturn = wide.xs("outturn", level="stage")
    joined = spend.set_index("la_code")[["hn_spend_gbp"]].join(outturn, how="inner")
    assert len(joined) == 150
    diff = joined["high_needs_total_excl_place_funding"] - joined["hn_spend_gbp"]
    assert (diff.abs() <= 2).sum() == 128
    assert (diff[diff.abs() > 2] < 0).all() and diff.min() > -2.2e6  # S251 higher for the other 22 (max Lancashire)
    with_place = joined["high_needs_total"] - joined["hn_spend_gbp"]
    assert (with_place.abs() <= 2).sum() < 10


@pytest.mark.needs_data
def test_benchmarking_placements_real_data(raw_data: Path):
    table = hn_benchmarking.read_hn_benchmarking_placements(raw_data / hn_benchmarking.DATASET / hn_benchmarking.FILE)
    assert len(table) == 151 and table["la_code"].is_unique
    assert table["ehcp_count"].sum() == 430_665  # January 2021 SEN2 (published 430,700)
    assert table.loc[table["la_code"].isin(["940", "941"]), "ehcp_count"].isna().all()
    parts = table[[c for c in hn_benchmarking.PLACEMENT_COLUMNS[5:]]].sum(axis=1)
    counted = table["ehcp_count"].notna()
    assert (parts[counted] == table.loc[counted, "ehcp_count"]).all()
    assert round(table["population_2_18_count"].sum() / 1e6, 2) == 11.73


# ================================================================ DSG allocations (ods/xlsx)

BEFORE = "{fy} DSG allocations, before recoupment and deductions for direct funding of high needs places by ESFA"
AFTER = "{fy} DSG allocations, after deductions for academies recoupment and direct funding of places by ESFA"


def summary_rows(title: str, fy_text: str, unit: str, areas: list[tuple]) -> list[list]:
    """An allocations summary sheet: (code or area label, name, hnb before, total DSG, hnb after) per row;
    ``None`` as the label gives a blank separator row."""
    labels = ["Schools block", "Central school services block", "High needs block", "Early years block",
              "Total DSG allocation"]
    rows = [[title, None, BEFORE.format(fy=fy_text), None, None, None, None, AFTER.format(fy=fy_text),
             None, None, None, None],
            [None, None, *[f"{label} ({unit})" for label in labels], *[f"{label} ({unit})" for label in labels]],
            [None, None, *"[A] [B] [C] [D] [E] [F] [G] [H] [I] [J]".split()]]
    for code, name, before, total, after in areas:
        rows.append([None] * 12 if code is None else [code, name, 0, 0, before, 0, total, 0, 0, after, 0, total])
    return rows


def areas(scale: float = 1.0, london_region: float = 300) -> list[tuple]:
    return [("ENGLAND", None, 300 * scale, 3000 * scale, 250 * scale),
            (202, "Camden", 100 * scale, 1000 * scale, 90 * scale),
            (203, "Greenwich", 200 * scale, 2000 * scale, 160 * scale),
            (None, None, None, None, None),
            ("LONDON", None, 300 * scale, 3000 * scale, 250 * scale),
            ("METROPOLITAN AUTHORITIES", None, 0, 0, 0),
            (None, None, None, None, None),
            ("LONDON", None, london_region * scale, 3000 * scale, 250 * scale)]


def write_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    engine = "odf" if path.suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def esfa_sheets(first_year: int = 2020, bump: float = 1.0, summary_year: int | None = None) -> dict[str, list[list]]:
    """A miniature ESFA workbook; ``bump`` scales HNB values so two vintages differ."""
    fy_text = f"{first_year} to {first_year + 1}"
    title_year = summary_year or first_year
    bumped = [(code, name, before and before * bump, total, after and after * bump)
              for code, name, before, total, after in areas()]
    summary = summary_rows(f"Dedicated schools grant: {title_year} to {title_year + 1} allocations", fy_text, "£s",
                           bumped)
    block = [["Dedicated schools grant: provisional high needs block allocations", None,
              "Total high needs elements (£s)", "Total high needs block before deductions (£s)"],
             [None, None, "[A]", "[I]"], [None, None, None, None],
             ["ENGLAND", None, 1, 300 * bump], [202, "Camden", 1, 100 * bump], [203, "Greenwich", 1, 200 * bump],
             [None] * 4, ["LONDON", None, 1, 300 * bump]]
    deductions = [["Dedicated schools grant: high needs block deductions", None, "Mainstream academies",
                   "Total deduction to high needs block for direct funding of places (£s)"],
                  [None, None, "Pre-16 SEN places", None], [None, None, "April to August", None],
                  ["ENGLAND", None, 5, 50 * bump], [202, "Camden", 2, 10 * bump], [203, "Greenwich", 3, 40 * bump]]
    information = [[None, None], [None, f"Dedicated schools grant (DSG): {fy_text} financial year allocations"],
                   [None, "Please note that Isles of Scilly and City of London are not included within this file."]]
    return {f"Information_{first_year}_to_{first_year + 1}": information, "Allocations_summary": summary,
            "High_needs_block": block, "High_needs_deductions": deductions}


def amalgamated_sheets() -> dict[str, list[list]]:
    return {"Information": [[None, "This spreadsheet is an amalgamation of the ESFA DSG spreadsheets"]],
            "Allocations_2021": summary_rows("Dedicated schools grant: 2020 to 2021 allocations", "2020 to 2021",
                                             "£s", areas(scale=1.5)),
            "Allocations_1920": summary_rows("Dedicated schools grant: \n2019-20 allocations local authority summary",
                                             "2019-20", "£ million", areas(scale=1e-6))}


@pytest.fixture()
def dsg_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dsg_allocations"
    folder.mkdir()
    write_book(folder / "dedicated-schools-grant.ods", amalgamated_sheets())
    write_book(folder / "dedicated-schools-grant_2021_11_18.ods", esfa_sheets())
    return tmp_path


def test_dsg_allocations_primary_sources(dsg_dir: Path):
    table = dsg_allocations.read_dsg_allocations(dsg_dir)
    assert list(table.columns) == dsg_allocations.LA_COLUMNS
    assert table[["la_code", "fy"]].values.tolist() == [["202", "2019-20"], ["203", "2019-20"],
                                                       ["202", "2020-21"], ["203", "2020-21"]]
    camden_1920, camden_2021 = table.iloc[0], table.iloc[2]
    # 2019-20 from the amalgamation, GBP million scaled to GBP
    assert camden_1920["hnb_before_deductions_gbp"] == pytest.approx(100)
    assert camden_1920["dsg_total_gbp"] == pytest.approx(1000)
    assert camden_1920["source_file"] == "dedicated-schools-grant.ods"
    # 2020-21 from the ESFA workbook (the amalgamation's x1.5 values are not used)
    values = camden_2021[["hnb_before_deductions_gbp", "dsg_total_gbp", "hnb_after_deductions_gbp"]]
    assert values.tolist() == [100, 1000, 90]
    assert camden_2021["source_file"] == "dedicated-schools-grant_2021_11_18.ods"
    assert table["la_code"].dtype == "str" and table["fy_start"].tolist() == [2019, 2019, 2020, 2020]


def test_dsg_allocations_national_rows(dsg_dir: Path):
    table = dsg_allocations.read_dsg_allocations_national(dsg_dir)
    assert list(table.columns) == dsg_allocations.NATIONAL_COLUMNS
    assert table[["fy", "geographic_level", "area_name"]].values.tolist() == [
        ["2019-20", "National", "England"], ["2019-20", "Regional", "London"],
        ["2020-21", "National", "England"], ["2020-21", "Regional", "London"]]
    assert table["hnb_before_deductions_gbp"].iloc[2] == 300


def test_dsg_latest_esfa_workbook_wins(dsg_dir: Path):
    write_book(dsg_dir / "dsg_allocations" / "dedicated-schools-grant_2022_03_01.ods", esfa_sheets(bump=2))
    table = dsg_allocations.read_dsg_allocations(dsg_dir)
    camden = table.query("la_code == '202' and fy == '2020-21'").iloc[0]
    assert camden["hnb_before_deductions_gbp"] == 200
    assert camden["source_file"] == "dedicated-schools-grant_2022_03_01.ods"


def test_esfa_high_needs_detail(dsg_dir: Path):
    table = dsg_allocations.read_esfa_high_needs(dsg_dir / "dsg_allocations" / "dedicated-schools-grant_2021_11_18.ods")
    rows = table.set_index("area_name")
    assert rows.loc["Camden", ["hnb_before_deductions_gbp", "hnb_place_deductions_gbp"]].tolist() == [100, 10]
    assert rows.loc["England", "hnb_place_deductions_gbp"] == 50
    assert math.isnan(rows.loc["London", "hnb_place_deductions_gbp"])  # the deductions sheet has no regions
    assert set(table["fy"]) == {"2020-21"}


def test_esfa_hnb_factors(dsg_dir: Path):
    path = dsg_dir / "dsg_allocations" / "dedicated-schools-grant_2021_11_18.ods"
    table = dsg_allocations.read_esfa_hnb_factors(path)
    assert table.columns.tolist() == dsg_allocations.HNB_FACTOR_COLUMNS
    assert table[["fy", "factor", "label", "england_value"]].values.tolist() == [
        ["2020-21", "A", "Total high needs elements (£s)", 1.0],
        ["2020-21", "I", "Total high needs block before deductions (£s)", 300.0]]


def test_dsg_by_year(tmp_path: Path):
    frame = pd.DataFrame({"la_code": ["ENGLAND", "202", "203", "LONDON", "METROPOLITAN AUTHORITIES", "London"],
                          "la_name": [None, "Camden", "Greenwich", None, None, None],
                          "Total DSG allocation (£s)": [3000.5, 1000.25, 2000.25, 3000.5, 0, 3000.5],
                          "time_period": [201920] * 6})
    path = tmp_path / "DSG_by_year_dr.xlsx"
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="dsg_budget_20", index=False)
        frame.assign(time_period=202021).to_excel(writer, sheet_name="dsg_budget_2021_03_16", index=False)
    table = dsg_allocations.read_dsg_by_year(path)
    assert table.groupby("fy").size().to_dict() == {"2019-20": 4, "2020-21": 4}
    camden = table.query("la_code == '202' and fy == '2019-20'").iloc[0]
    assert camden["dsg_total_gbp"] == 1000.25 and camden["area_name"] == "Camden"
    frame.drop(columns="time_period").to_excel(path, index=False)
    with pytest.raises(SourceFormatError, match="time_period"):
        dsg_allocations.read_dsg_by_year(path)


def test_dsg_missing_files(tmp_path: Path, dsg_dir: Path):
    with pytest.raises(SourceFormatError, match="no dedicated-schools-grant_YYYY_MM_DD"):
        dsg_allocations.read_dsg_allocations(tmp_path / "nowhere")
    (dsg_dir / "dsg_allocations" / "dedicated-schools-grant.ods").unlink()
    with pytest.raises(SourceFormatError, match=r"dedicated-schools-grant\.ods.*make data"):
        dsg_allocations.read_dsg_allocations(dsg_dir)


def test_dsg_corrupted_workbook(tmp_path: Path):
    bad = tmp_path / "dedicated-schools-grant_2021_11_18.ods"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="dedicated-schools-grant_2021_11_18.ods"):
        dsg_allocations.read_esfa_summary(bad)


def test_dsg_information_year_must_match_summary(tmp_path: Path):
    path = write_book(tmp_path / "dedicated-schools-grant_2021_11_18.ods", esfa_sheets(summary_year=2021))
    with pytest.raises(SourceFormatError, match=r"titled \['2021-22'\] but the Information sheet names 2020-21"):
        dsg_allocations.read_esfa_summary(path)


def test_dsg_renamed_column_and_missing_unit(tmp_path: Path):
    sheets = esfa_sheets()
    sheets["Allocations_summary"][1][4] = "HN block (£s)"
    path = write_book(tmp_path / "a.ods", sheets)
    with pytest.raises(SourceFormatError, match="'Allocations_summary'.*one column labelled 'high needs block'"):
        dsg_allocations.read_esfa_summary(path)
    sheets = esfa_sheets()
    sheets["Allocations_summary"][1][6] = "Total DSG allocation"
    path = write_book(tmp_path / "b.ods", sheets)
    with pytest.raises(SourceFormatError, match="column G: unit not stated"):
        dsg_allocations.read_esfa_summary(path)


def test_dsg_missing_sheet(tmp_path: Path):
    sheets = esfa_sheets()
    del sheets["High_needs_deductions"]
    path = write_book(tmp_path / "a.ods", sheets)
    with pytest.raises(SourceFormatError, match="'High_needs_deductions' not found"):
        dsg_allocations.read_esfa_high_needs(path)


def test_dsg_unexpected_area_and_text_value(tmp_path: Path):
    sheets = esfa_sheets()
    sheets["Allocations_summary"].append(["WALES", None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    with pytest.raises(SourceFormatError, match="row 12: unexpected area 'WALES'"):
        dsg_allocations.read_esfa_summary(write_book(tmp_path / "a.ods", sheets))
    sheets = esfa_sheets()
    sheets["Allocations_summary"][4][4] = "oops"
    with pytest.raises(SourceFormatError, match=r"column E: non-numeric values \[.oops.\]"):
        dsg_allocations.read_esfa_summary(write_book(tmp_path / "b.ods", sheets))


def test_dsg_duplicated_la_and_conflicting_london(tmp_path: Path):
    sheets = esfa_sheets()
    sheets["Allocations_summary"].insert(5, [202, "Camden", 0, 0, 1, 0, 1, 0, 0, 1, 0, 1])
    with pytest.raises(SourceFormatError, match="duplicated rows.*'202'"):
        dsg_allocations.read_esfa_summary(write_book(tmp_path / "a.ods", sheets))
    amalgamated = amalgamated_sheets()
    amalgamated["Allocations_2021"] = summary_rows("Dedicated schools grant: 2020 to 2021 allocations", "2020 to 2021",
                                                   "£s", areas(london_region=999))
    with pytest.raises(SourceFormatError, match="duplicated rows.*London"):
        dsg_allocations.read_amalgamated_allocations(write_book(tmp_path / "b.ods", amalgamated))


DSG_LAS_PER_YEAR = {"2019-20": 149, "2020-21": 149, "2021-22": 150, "2022-23": 150, "2023-24": 151}
ENGLAND_HNB_BN = {"2019-20": 6.279, "2020-21": 7.063, "2021-22": 7.906, "2022-23": 8.988, "2023-24": 9.952}


@pytest.fixture(scope="module")
def dsg_primary(raw_data: Path) -> pd.DataFrame:
    """The real LA table, read once for the tests below (the .ods files take seconds to parse)."""
    return dsg_allocations.read_dsg_allocations(raw_data)


@pytest.mark.needs_data
def test_dsg_allocations_real_data(raw_data: Path, dsg_primary: pd.DataFrame):
    table = dsg_primary
    assert table.groupby("fy").size().to_dict() == DSG_LAS_PER_YEAR
    assert not {"201", "420"} & set(table["la_code"])  # City of London, Isles of Scilly absent
    assert table[dsg_allocations.VALUE_COLUMNS].notna().all().all()
    assert (table["hnb_after_deductions_gbp"] < table["hnb_before_deductions_gbp"]).all()
    assert (table["hnb_before_deductions_gbp"] < table["dsg_total_gbp"]).all()
    assert table.groupby("fy")["source_file"].first().to_dict() == {
        "2019-20": "dedicated-schools-grant.ods", "2020-21": "dedicated-schools-grant_2021_11_18.ods",
        "2021-22": "dedicated-schools-grant_2022_07_18.ods", "2022-23": "dedicated-schools-grant_2023_07_20.ods",
        "2023-24": "dedicated-schools-grant_2024_07_20.ods"}
    national = dsg_allocations.read_dsg_allocations_national(raw_data)
    england = national[national["geographic_level"] == "National"].set_index("fy")
    assert (england["hnb_before_deductions_gbp"] / 1e9).round(3).to_dict() == ENGLAND_HNB_BN
    assert national.groupby("fy").size().unique().tolist() == [10]  # England + 9 regions
    la_sums = table.groupby("fy")[dsg_allocations.VALUE_COLUMNS].sum()
    assert np.allclose(la_sums, england[dsg_allocations.VALUE_COLUMNS].loc[la_sums.index], atol=10)
    regions = national[national["geographic_level"] == "Regional"].groupby("fy")[dsg_allocations.VALUE_COLUMNS].sum()
    assert np.allclose(regions, la_sums, atol=10)


@pytest.mark.needs_data
def test_dsg_cross_checks_real_data(raw_data: Path, dsg_primary: pd.DataFrame):
    keys = ["la_code", "fy"]
    primary = dsg_primary.set_index(keys)
    folder = raw_data / "dsg_allocations"
    amalgamated = dsg_allocations.read_amalgamated_allocations(folder / "dedicated-schools-grant.ods")
    amalgamated = amalgamated[amalgamated["geographic_level"] == "Local authority"].set_index(keys)
    assert amalgamated.index.sort_values().equals(primary.index.sort_values())
    diff = (amalgamated[dsg_allocations.VALUE_COLUMNS] - primary[dsg_allocations.VALUE_COLUMNS]).abs()
    worst = diff.groupby(level="fy").max()
    assert (worst.loc[["2019-20", "2020-21", "2021-22"]] == 0).all().all()
    assert worst.loc["2022-23", "hnb_before_deductions_gbp"] == 0
    assert worst.loc["2022-23", "hnb_after_deductions_gbp"] == 120_000  # one LA
    assert (diff.loc[(slice(None), "2022-23"), "hnb_after_deductions_gbp"] > 0).sum() == 1
    assert worst.loc["2023-24", "hnb_before_deductions_gbp"] == 1_950_000  # Slough; an earlier vintage
    assert worst.loc["2022-23", "dsg_total_gbp"] < 4e6 and worst.loc["2023-24", "dsg_total_gbp"] < 7.1e6

    by_year = dsg_allocations.read_dsg_by_year(folder / "DSG_by_year_dr.xlsx")
    dr = by_year[by_year["geographic_level"] == "Local authority"].set_index(keys)["dsg_total_gbp"]
    gap = (dr - primary["dsg_total_gbp"]).groupby(level="fy").sum() / 1e6
    assert abs(gap["2019-20"]) < 1e-3
    assert gap.round(1).to_dict() == {"2019-20": 0.0, "2020-21": 58.3, "2021-22": -25.9,
                                      "2022-23": 17.1, "2023-24": 29.7}
    same = (dr - amalgamated["dsg_total_gbp"]).abs().groupby(level="fy").max()
    assert (same.loc[["2019-20", "2022-23", "2023-24"]] < 1).all()

    for path in dsg_allocations.esfa_paths(raw_data):
        detail = dsg_allocations.read_esfa_high_needs(path)
        summary = dsg_allocations.read_esfa_summary(path)
        both = detail.merge(summary, on=["geographic_level", "la_code", "area_name", "fy"], suffixes=("", "_summary"))
        assert len(both) == len(detail)
        assert (both["hnb_before_deductions_gbp"] == both["hnb_before_deductions_gbp_summary"]).all()
        las = both[both["geographic_level"] == "Local authority"]
        assert (las["hnb_before_deductions_gbp"] - las["hnb_place_deductions_gbp"]
                == las["hnb_after_deductions_gbp"]).all()


# ================================================================ DSG balance (xlsx)

BALANCE_COLUMN = "DSG cumulative balance as a % of the total income"


def balance_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "time_period": [201920, 201920, 201920, 202021, 201920],
        "geographic_level": ["National", "Regional", "Local authority", "Local authority", "Local authority"],
        "region_name": ["England", "London", "London", "London", "London"],
        "la_name": [None, None, "Camden", "Camden", "Barnet"],
        "deficit": [1.08, 1.75, 2.5, 3.0, -0.5],
        BALANCE_COLUMN: [-1.08, -1.75, -2.5, -3.0, 0.5],
        "financial_year": ["2019-20", "2019-20", "2019-20", "2020-21", "2019-20"],
    })


def write_balance(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_excel(path, index=False, sheet_name="Sheet 1")
    return path


def test_balance_happy_path(tmp_path: Path):
    path = write_balance(tmp_path / "b.xlsx", balance_frame())
    table = dsg_balance.read_dsg_balance(path)
    assert list(table.columns) == dsg_balance.LA_COLUMNS
    assert table[["la_name", "fy", "dsg_balance_pct"]].values.tolist() == [
        ["Barnet", "2019-20", -0.5], ["Camden", "2019-20", 2.5], ["Camden", "2020-21", 3.0]]
    assert table["fy_start"].tolist() == [2019, 2019, 2020] and not table["dsg_balance_pct_suppressed"].any()
    aggregates = dsg_balance.read_dsg_balance_aggregates(path)
    assert aggregates[["area_name", "geographic_level", "dsg_balance_pct"]].values.tolist() == [
        ["England", "National", 1.08], ["London", "Regional", 1.75]]


def test_balance_suppressed_value(tmp_path: Path):
    frame = balance_frame().astype({"deficit": object, BALANCE_COLUMN: object})
    frame.loc[4, ["deficit", BALANCE_COLUMN]] = "c"
    table = dsg_balance.read_dsg_balance(write_balance(tmp_path / "b.xlsx", frame))
    barnet = table[table["la_name"] == "Barnet"].iloc[0]
    assert math.isnan(barnet["dsg_balance_pct"]) and barnet["dsg_balance_pct_suppressed"]


def test_balance_sign_check(tmp_path: Path):
    frame = balance_frame()
    frame.loc[2, BALANCE_COLUMN] = 2.5
    with pytest.raises(SourceFormatError, match="row 4: 'deficit' 2.5 is not minus"):
        dsg_balance.read_dsg_balance(write_balance(tmp_path / "b.xlsx", frame))


def test_balance_year_columns_must_agree(tmp_path: Path):
    frame = balance_frame()
    frame.loc[3, "financial_year"] = "2019-20"
    with pytest.raises(SourceFormatError, match="row 5: time_period 202021 disagrees"):
        dsg_balance.read_dsg_balance(write_balance(tmp_path / "b.xlsx", frame))
    frame = balance_frame()
    frame.loc[0, "time_period"] = 2019
    with pytest.raises(SourceFormatError, match="time_period 2019 is not of the form"):
        dsg_balance.read_dsg_balance(write_balance(tmp_path / "c.xlsx", frame))


def test_balance_bad_inputs(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        dsg_balance.read_dsg_balance(tmp_path / "absent.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="bad.xlsx"):
        dsg_balance.read_dsg_balance(bad)
    renamed = write_balance(tmp_path / "r.xlsx", balance_frame().rename(columns={"deficit": "deficit_pct"}))
    with pytest.raises(SourceFormatError, match=r"\['deficit'\]"):
        dsg_balance.read_dsg_balance(renamed)
    duplicated = write_balance(tmp_path / "d.xlsx", pd.concat([balance_frame(), balance_frame().iloc[[2]]]))
    with pytest.raises(SourceFormatError, match="duplicated rows.*Camden"):
        dsg_balance.read_dsg_balance(duplicated)
    level = balance_frame()
    level.loc[2, "geographic_level"] = "Ward"
    with pytest.raises(SourceFormatError, match=r"unexpected values \['Ward'\]"):
        dsg_balance.read_dsg_balance(write_balance(tmp_path / "l.xlsx", level))


@pytest.mark.needs_data
def test_balance_real_data(raw_data: Path):
    path = raw_data / dsg_balance.DATASET / dsg_balance.FILE
    table = dsg_balance.read_dsg_balance(path)
    assert table.groupby("fy").size().to_dict() == {"2019-20": 149, "2020-21": 149, "2021-22": 150}
    assert (table.groupby("fy")["dsg_balance_pct"].apply(lambda s: (s > 0).sum())).to_dict() == {
        "2019-20": 94, "2020-21": 100, "2021-22": 103}
    assert not table["dsg_balance_pct_suppressed"].any() and table["dsg_balance_pct"].notna().all()
    assert table.loc[table["dsg_balance_pct"].idxmax(), ["la_name", "fy", "dsg_balance_pct"]].tolist() == [
        "Dorset", "2020-21", 15.06]
    aggregates = dsg_balance.read_dsg_balance_aggregates(path)
    england = aggregates[aggregates["geographic_level"] == "National"].set_index("fy")["dsg_balance_pct"]
    assert england.to_dict() == {"2019-20": 1.08, "2020-21": 1.69, "2021-22": 2.26}
    assert aggregates.groupby("fy").size().unique().tolist() == [10]
