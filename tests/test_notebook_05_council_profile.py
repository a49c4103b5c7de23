"""05_council_profile run like a user (`sendlib report`), its numbers checked against plain
pandas on the panel, plus the plots helper it uses."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cli_runs import NotebookRun, council_report, run_sendlib, unreadable_bits
from sendlib import config
from sendlib.present import plots
from sendlib.readers import sen2, tribunal
from sendlib.readers import stat_neighbours as sn
from test_readers_sen2 import raw_member

STEM = "05_council_profile"
SPEND, ALLOCATION, BALANCE = "hn_spend_gbp", "hnb_after_deductions_gbp", "dsg_balance_gbp"


def unreadable(run: NotebookRun) -> list[str]:
    """unreadable_bits of the report's page, but for ``la_type``: a value of the comparators
    parameter as well as a column name (the Parameters box and the Comparators section name it)."""
    return [bit for bit in unreadable_bits(run.text) if not bit.startswith("column name la_type:")]


def report(reports_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`sendlib report ARGS` with its reports under ``reports_dir``."""
    return run_sendlib(reports_dir, "report", *args)


camden = council_report("Camden", "202")
kent = council_report("Kent", "886")  # a safety-valve council (agreement 2022-23)
#: The figures of the "Placement and process" section (a programme council adds programme_paths).
SECTION_FIGURES = ("placement_vs_comparators", "new_plan_placement_vs_comparators", "process_vs_comparators",
                   "primary_need_vs_comparators")


def raw_neighbours(raw_data: Path, model: str, la_code: str) -> list[str]:
    """The council's ten neighbours (SN1..SN10) as the raw LAIT workbook lists them, read with openpyxl."""
    raw = pd.read_excel(raw_data / sn.DATASET / sn.MODEL_FILES[model], sheet_name=sn.SHEET, header=2, dtype=str,
                        engine="openpyxl")
    row = raw[raw["LA num"] == la_code].iloc[0]
    return [row[f"SN{rank}"] for rank in range(1, 11)]


def comparators_csv(run: NotebookRun) -> pd.DataFrame:
    return pd.read_csv(run.folder / "figures" / "comparators.csv", dtype=str)


def unit_rows(panel: pd.DataFrame, unit: str) -> pd.DataFrame:
    return panel[panel["unit"] == unit].set_index("fy")


def nearest_units(panel: pd.DataFrame, unit: str, fy: str, n: int) -> list[str]:
    """The n nearest units by z-scored spend per head 2-18 and EHC plans per 10,000 aged 0-25."""
    rows = panel[panel["fy"] == fy].set_index("unit")
    features = pd.DataFrame({
        "spend": (rows[SPEND] / rows["pop_2_18_count"]).where(rows["hn_spend_complete"]),
        "plans": rows["ehcp_count"] / rows["pop_0_25_count"] * 10_000,
    }).dropna()
    z = (features - features.mean()) / features.std(ddof=0)
    distance = np.sqrt(((z - z.loc[unit]) ** 2).sum(axis=1)).drop(unit)
    return distance.sort_values().index[:n].tolist()


def expected_balance_end(rows: pd.DataFrame, first: float, after: float, last_start: int) -> tuple[float, float]:
    """Projected cumulative DSG balance and its % of DSG at the end of FY last_start, by hand:
    the in-year gap starts at 2021-22's observed change in the balance and moves with S251
    spend (own 3-year trend) and the allocation (actual in 2022-23, then first, then after)."""
    funding, spend, balance = (rows.loc["2021-22", column] for column in (ALLOCATION, SPEND, BALANCE))
    offset = (balance - rows.loc["2020-21", BALANCE]) - (spend - funding)
    dsg = rows.loc["2021-22", "dsg_total_gbp"]
    trend = (spend / rows.loc["2018-19", SPEND]) ** (1 / 3) - 1
    for year in range(2022, last_start + 1):
        if year == 2022:  # already allocated in June 2022: actual growth
            funding, dsg = rows.loc["2022-23", ALLOCATION], rows.loc["2022-23", "dsg_total_gbp"]
        else:
            rate = first if year == 2023 else after
            funding, dsg = funding * (1 + rate), dsg * (1 + rate)
        spend *= 1 + trend
        balance += spend - funding + offset
    return balance, 100 * balance / dsg


@pytest.mark.needs_data
def test_camden_matches_the_panel(camden, panel, raw_data):
    results = camden.results
    rows = unit_rows(panel, "202")
    assert (results["la_code"], results["la_name"], results["unit"], results["unit_is_merged"]) == (
        "202", "Camden", "202", False)
    spend = rows[SPEND]
    assert results["spend_growth_cash"] == pytest.approx(spend["2024-25"] / spend["2017-18"] - 1)
    real = spend / rows["deflator_index"] * 100
    assert results["spend_growth_real"] == pytest.approx(real["2024-25"] / real["2017-18"] - 1)
    assert results["level_fy"] == "2023-24"  # population ends mid-2023
    per_head = spend["2023-24"] / rows.loc["2023-24", "pop_2_18_count"]
    assert results["spend_per_head_2_18_gbp"] == pytest.approx(per_head)
    assert results["ehcp_per_10k_0_25"] == pytest.approx(
        rows.loc["2023-24", "ehcp_count"] / rows.loc["2023-24", "pop_0_25_count"] * 10_000)
    plans = rows["ehcp_count"]
    assert results["ehcp_growth"] == pytest.approx(plans["2024-25"] / plans["2017-18"] - 1)
    # comparators: Camden's ten 2025-model statistical neighbours (London boroughs: each its own unit)
    expected = raw_neighbours(raw_data, "2025", "202")
    assert (results["comparators"], results["sn_model"]) == ("stat_neighbours", "2025")
    assert results["comparator_units"] == expected and len(set(expected)) == 10
    assert comparators_csv(camden)["unit"].tolist() == expected
    # Camden's rank on spend growth among the 11
    group = ["202", *results["comparator_units"]]
    growth = panel[panel["fy"] == "2024-25"].set_index("unit").loc[group, SPEND] / \
        panel[panel["fy"] == "2017-18"].set_index("unit").loc[group, SPEND] - 1
    assert results["rank_spend_growth"] == int((growth > growth["202"]).sum()) + 1
    assert results["n_ranked_spend_growth"] == 11
    assert results["comparator_median_spend_growth"] == pytest.approx(growth.median())
    # allocation, DSG balance (POSITIVE = deficit; Camden is in surplus) and programmes
    assert results["allocation_fy"] == "2023-24"
    assert results["spend_vs_allocation"] == pytest.approx(spend["2023-24"] / rows.loc["2023-24", ALLOCATION] - 1)
    assert results["balance_fy"] == "2021-22" and results["balance_gbp"] == pytest.approx(rows.loc["2021-22", BALANCE])
    assert results["balance_gbp"] < 0
    assert results["case_study_2022"] is True and results["dbv"] is False
    # projection under +5% in 2023-24 then +3%
    balance, pct = expected_balance_end(rows, 0.05, 0.03, 2024)
    assert results["projection_balance_end_gbp"] == pytest.approx(balance)
    assert results["projection_balance_end_pct"] == pytest.approx(pct)
    assert results["projection_actual_spend_growth"] == pytest.approx(spend["2024-25"] / spend["2021-22"] - 1)
    # the headline: per EHC plan and % of allocation against the neighbours' simple mean and England
    headline = {entry["key"]: entry for entry in results["headline"]}
    assert len(headline) == 9 and results["headline"][0]["measure"] == "High-needs spending per head aged 2-18"
    for key, (numerator, denominator, fy) in {"spend_per_ehcp_gbp": (SPEND, "ehcp_count", "2024-25"),
                                             "spend_pct_of_allocation": (SPEND, ALLOCATION, "2023-24")}.items():
        year = panel[panel["fy"] == fy].set_index("unit")
        ratio = (year[numerator].where(year["hn_spend_complete"]) / year[denominator]).dropna()
        scale = 100 if key.endswith("allocation") else 1
        both = year.loc[ratio.index]
        assert headline[key]["year"] == fy and headline[key]["value"] == pytest.approx(scale * ratio["202"])
        assert headline[key]["neighbours"] == pytest.approx(scale * ratio.reindex(expected).mean())
        assert headline[key]["n_neighbours_with_value"] == ratio.reindex(expected).notna().sum()
        assert headline[key]["england"] == pytest.approx(scale * both[numerator].sum() / both[denominator].sum())
    # the report: HTML without code, with its figures embedded, and every figure's PNG + CSV
    folder = camden.folder
    page = camden.page()
    assert page.count("data:image/png;base64") >= 10 and "Traceback" not in page
    described = re.findall(r'<img alt="([^"]*)"', page)  # each figure described by its title
    assert len(described) == page.count("<img") and "Figure: EHC plans in force by setting, each January" in described
    assert "No description has been provided" not in page
    text = camden.text
    assert page.index("Headline summary") < page.index("<img")  # before the first figure
    assert text.index("Headline summary") < text.index("Spending is the Section 251 outturn")
    assert "Statistical neighbours' average (10)" in text and "£" in text
    for raw_name in ("NaN", "nan", "unit_name", "la_code", "hn_spend_gbp", "<NA>", "None"):
        assert raw_name not in text.split(), raw_name
    pngs = sorted(p.stem for p in (folder / "figures").glob("*.png"))
    assert len(pngs) == 10 + len(SECTION_FIGURES) and all((folder / "figures" / f"{stem}.csv").is_file() for stem in pngs)
    assert camden.manifest["reports"]["council_202"]["status"] == "ok"


def raw_la_values(raw_data: Path, member: str, topic: str, period: str, numerator: list[str],
                  denominator: list[str]) -> tuple[pd.Series, float]:
    """Per LA code (LA rows of ``member``, ``topic``, ``period``), sum(numerator) / sum(denominator)
    columns ("x" = missing), and England's: plain pandas on the raw SEN2 file."""
    raw = raw_member(raw_data, member)
    rows = raw[(raw["breakdown_topic"] == topic) & (raw["time_period"] == period)]

    def ratio(frame: pd.DataFrame) -> pd.Series:
        numbers = frame[list(dict.fromkeys(numerator + denominator))].apply(pd.to_numeric, errors="coerce")
        return numbers[numerator].sum(axis=1, min_count=len(numerator)) / numbers[denominator].sum(
            axis=1, min_count=len(denominator))

    councils = rows[rows["geographic_level"] == "Local authority"]
    national = rows[rows["geographic_level"] == "National"]
    return ratio(councils).set_axis(councils["old_la_code"]), float(ratio(national).iloc[0])


def raw_appeal_rate(raw_data: Path, la_name: str, year: int) -> float:
    """Appeals / appealable decisions of one council in one year, from the tribunal file as plain CSV
    (" - " is no appeal)."""
    with zipfile.ZipFile(raw_data / sen2.DATASET / sen2.RELEASE) as archive:
        rows = list(csv.reader(io.TextIOWrapper(archive.open(tribunal.MEMBER), encoding="utf-8-sig")))
    column = rows[3].index(str(year))
    (row,) = [row for row in rows if row[0] == la_name]
    appeals, decisions = (0.0 if cell.strip() == "-" else float(cell.replace(",", "")) for cell in row[column:column + 2])
    return appeals / decisions


#: Measure -> (member, topic, period, numerator columns, denominator columns) of the raw SEN2 files.
RAW_MEASURES = {
    "mainstream_share": (sen2.CASELOAD, "All EHC plans", "202425", ["mainstream_total"], ["ehcplans"]),
    "special_independent_share": (sen2.CASELOAD, "All EHC plans", "202425",
                                  ["special_independent", "special_non_maintained"], ["ehcplans"]),
    "new_plans_mainstream_share": (sen2.NEW_PLANS, "New EHC plans", "2024", ["mainstream_total"], ["new_ehc_plans"]),
    "timely_20wk_ex": (sen2.TIMELINESS, "All EHC plans issued", "2024", ["plans_issued_20_weeks_ex"],
                       ["plans_issued_den_ex"]),
    "timely_20wk": (sen2.TIMELINESS, "All EHC plans issued", "2024", ["plans_issued_within_20_weeks"],
                    ["plans_issued_den"]),
    "refusal_share": (sen2.REQUESTS, "All requests for EHC needs assessments", "2024",
                      ["requests_decided_not_to_assess"], ["requests_decided_to_assess", "requests_decided_not_to_assess"]),
    "need_asd_share": (sen2.NEEDS, "All EHC plans", "202425", ["number_asd"], ["ehc_plans"]),
}


def section_text(run: NotebookRun) -> str:
    """The page's "Placement and process" section as a reader sees it."""
    text = run.text
    return text[text.index("Placement and process ¶"):text.index("High-needs spending ¶")]


@pytest.mark.needs_data
@pytest.mark.parametrize(("la_name", "code"), [("Camden", "202"), ("Kent", "886")])
def test_placement_and_process_match_the_raw_sen2_files(notebook_runs, panel, raw_data, la_name, code):
    results = notebook_runs.council(la_name, code).results
    group = [code, *results["comparator_units"]]  # every one a single council, so its unit is its code
    shown = results["placement_process"]
    for measure, (member, topic, period, numerator, denominator) in RAW_MEASURES.items():
        raw, england = raw_la_values(raw_data, member, topic, period, numerator, denominator)
        ours, peers = shown[measure], raw.reindex(results["comparator_units"])
        assert ours["value"] == pytest.approx(raw[code]), measure
        assert ours["neighbours"] == pytest.approx(peers.mean()), measure
        assert ours["n_neighbours_with_value"] == peers.notna().sum() and ours["n_neighbours"] == len(peers)
        assert ours["england"] == pytest.approx(england), measure
        assert ours["rank"] == int((raw.reindex(group) > raw[code]).sum()) + 1 and ours["n_ranked"] == len(group)
        assert ours["year"] == int(period[:4]) + (1 if len(period) == 6 else 0), measure
    rows = panel[(panel["unit"] == code) & (panel["fy"] == "2023-24")]
    expected = 10_000 * float(raw_member(raw_data, sen2.NEW_PLANS).query(
        "breakdown_topic == 'New EHC plans' and time_period == '2023' and old_la_code == @code")["new_ehc_plans"].iloc[0])
    assert shown["new_plans_per_10k"]["value"] == pytest.approx(expected / rows["pop_0_25_count"].iloc[0])
    assert shown["new_plans_per_10k"]["year"] == 2023  # population ends in mid-2023
    # the appeal rate before the panel starts (2014) and the headline's three new measures
    appeals = pd.read_csv(notebook_runs.council(la_name, code).figure_csv("process_vs_comparators"))
    early = appeals[(appeals["year"] == 2014) & appeals["measure"].str.startswith("SEND Tribunal")]
    assert early.set_index("series").loc[results["unit_name"], "value"] == pytest.approx(
        100 * raw_appeal_rate(raw_data, la_name, 2014), abs=1e-9)
    headline = {entry["key"]: entry for entry in results["headline"]}
    for key, measure in (("mainstream_share_pct", "mainstream_share"), ("timely_20wk_ex_pct", "timely_20wk_ex"),
                         ("special_independent_share_pct", "special_independent_share")):
        assert headline[key]["value"] == pytest.approx(100 * shown[measure]["value"])
        assert headline[key]["neighbours"] == pytest.approx(100 * shown[measure]["neighbours"])
        assert headline[key]["england"] == pytest.approx(100 * shown[measure]["england"])
    text = section_text(notebook_runs.council(la_name, code))
    assert "Rank among statistical neighbours" in text and "January 2025" in text
    bad = [word for word in text.split() if word.strip(".,;:()") in ("NaN", "nan", "None", "<NA>", "inf")
           or "_share" in word or "_count" in word or "_10k" in word or "e+0" in word]
    assert not bad, bad


@pytest.mark.needs_data
def test_a_programme_council_is_set_against_its_neighbours_in_no_programme(kent, camden, panel, raw_data):
    paths = kent.results["programme_paths"]
    assert (paths["programme"], paths["entry_fy"]) == ("safety_valve", "2022-23")
    assert paths["neighbour_units"] == raw_neighbours(raw_data, "2025", "886")
    programmes = pd.read_parquet(config.processed_dir() / "programmes.parquet")
    in_a_programme = set(programmes.loc[programmes["programme"] != "case_study_2022", "la_code"])
    assert paths["comparison_units"] == [u for u in paths["neighbour_units"] if u not in in_a_programme]
    spend = panel.assign(per_head=panel["hn_spend_gbp"].where(panel["hn_spend_complete"]) / panel["pop_2_18_count"])
    per_head = spend.pivot(index="unit", columns="fy_start", values="per_head").apply(np.log)
    growth = paths["growth"]["hn_spend_per_head_2_18"]  # before: 2017-18 to 2021-22; after: to 2023-24
    assert growth["council_before"] == pytest.approx((per_head.loc["886", 2021] - per_head.loc["886", 2017]) / 4)
    neighbours = per_head.loc[paths["comparison_units"]]
    assert growth["neighbours_after"] == pytest.approx(((neighbours[2023] - neighbours[2021]) / 2).mean())
    assert growth["difference"] == pytest.approx(
        growth["council_after"] - growth["council_before"] - (growth["neighbours_after"] - growth["neighbours_before"]))
    text = kent.text
    assert "Kent signed a safety-valve agreement in 2022-23" in text and "not at random" in text
    assert (kent.folder / "figures" / "programme_paths.png").is_file()
    assert camden.results["programme_paths"] is None and "not on the project's lists" in camden.text
    assert not (camden.folder / "figures" / "programme_paths.png").exists()

@pytest.mark.needs_data
def test_the_page_an_officer_shares(camden):
    page, text = camden.page(), camden.text
    assert "<title>Camden: high needs profile</title>" in page
    assert re.search(r'<h1 id="[^"]*">Camden: high needs profile', page), "the page's heading"
    assert 'href="../../index.html"' in page
    assert text.index("Parameters used") < text.index("Headline summary")
    assert "Every setting is the notebook's default." in text and "(changed)" not in text
    # each figure's CSV linked under it, and one zip of every CSV
    pngs = sorted(p.stem for p in (camden.folder / "figures").glob("*.png"))
    links = re.findall(r'Data behind this figure: <a href="figures/([^"]+)\.csv"', page)
    assert sorted(links) == pngs
    csvs = sorted(p.name for p in (camden.folder / "figures").glob("*.csv"))
    assert 'href="camden_202_high_needs_data.zip"' in page
    with zipfile.ZipFile(camden.folder / "camden_202_high_needs_data.zip") as archive:
        assert archive.namelist() == [f"camden_202_high_needs_data/{name}" for name in csvs]
    # numbers as shown: no float noise in a CSV, no signed zero anywhere
    for csv_file in (camden.folder / "figures").glob("*.csv"):
        assert not re.search(r"\.\d*(0{6}|9{6})\d", csv_file.read_text()), f"binary noise in {csv_file.name}"
    assert not re.search(r"-£0\.0m|[-+]0\.0%", text)
    assert unreadable(camden) == []
    # results.json: the values used and the defaults they were compared with
    assert camden.results["parameters"]["la"] == "202" and camden.results["defaults"]["sn_model"] == "2025"
    assert "output_dir" not in camden.results["parameters"], "no machine path"
    record = camden.manifest["reports"]["council_202"]
    assert (record["non_default"], record["defaults"]) == ({}, True)
    assert camden.results["ons_codes"] == ["E09000007"] and camden.results["small_numbers"] == []


@pytest.mark.needs_data
def test_sn_model_2021_gives_the_april_2021_neighbours(notebook_runs, raw_data):
    run = notebook_runs.council("Camden", "202", {"sn_model": "2021"})
    expected = raw_neighbours(raw_data, "2021", "202")
    assert run.results["sn_model"] == "2021" and run.results["comparator_units"] == expected
    assert comparators_csv(run)["unit"].tolist() == expected
    assert expected != raw_neighbours(raw_data, "2025", "202")  # the models differ for Camden


@pytest.mark.needs_data
def test_nearest_comparators(panel, notebook_runs):
    results = notebook_runs.council("202", "202", {"comparators": "nearest"}).results
    assert results["comparator_units"] == nearest_units(panel, "202", "2018-19", 10)
    assert results["sn_model"] is None


@pytest.mark.needs_data
@pytest.mark.parametrize("council", ["202", "E09000007"])
def test_code_and_ons_code_give_the_same_report(camden, council, notebook_runs):
    run = notebook_runs.council(council, "202")
    assert run.results == camden.results
    ours, theirs = run.folder / "figures", camden.folder / "figures"
    for png in sorted(ours.glob("*.png")):  # byte-stable figures
        assert png.read_bytes() == (theirs / png.name).read_bytes(), png.name


@pytest.mark.needs_data
def test_parameter_file_changes_the_results(camden, panel, notebook_runs):
    custom = {"comparators": "region", "last_fy": "2023-24", "funding_growth_first": 0.10}
    results, default = notebook_runs.council("Camden", "202", custom).results, camden.results
    london = sorted(panel.loc[(panel["region_name"] == "London") & (panel["unit"] != "202"), "unit"].unique())
    assert results["comparators"] == "region" and results["comparator_units"] == london
    assert results["n_ranked_spend_per_head_2_18_gbp"] == len(london) + 1
    spend = unit_rows(panel, "202")[SPEND]
    assert results["spend_growth_cash"] == pytest.approx(spend["2023-24"] / spend["2017-18"] - 1)
    balance, _ = expected_balance_end(unit_rows(panel, "202"), 0.10, 0.03, 2023)
    assert results["projection_balance_end_gbp"] == pytest.approx(balance)
    assert results["projection_end_fy"] == "2023-24" and default["projection_end_fy"] == "2024-25"
    run = notebook_runs.council("Camden", "202", custom)
    record = run.manifest["reports"]["council_202"]
    assert record["non_default"] == {"comparators": "region", "funding_growth_first": 0.1, "last_fy": "2023-24"}
    assert record["defaults"] is False and results["parameters"]["funding_growth_first"] == 0.1
    assert "3 settings differ from the defaults" in run.text
    assert re.search(r"<td>funding_growth_first</td><td><strong>10%</strong> \(changed\)</td><td>5%</td>", run.page())


@pytest.mark.needs_data
def test_merged_unit_cumberland(panel, notebook_runs):
    run = notebook_runs.council("Cumberland", "942")
    results = run.results
    assert (results["unit"], results["unit_is_merged"]) == ("cumbria", True)
    assert results["unit_la_codes"] == ["909", "942", "943"]
    assert results["spend_per_head_2_18_gbp"] is None  # no complete spend for the unit in 2023-24
    assert results["rank_spend_per_head_2_18_gbp"] is None
    page = run.page()
    assert "harmonised unit <code>cumbria</code>" in page
    spending = pd.read_csv(run.figure_csv("spending"))
    cash = spending[spending["series"] == "cash"].set_index("fy")["value"]
    assert pd.isna(cash["2023-24"]) and cash[["2022-23", "2024-25"]].notna().all(), "a gap, drawn dotted across"
    assert "<title>Cumberland: high needs profile</title>" in page
    assert unreadable(run) == []


@pytest.mark.needs_data
def test_small_numbers_are_flagged_in_the_isles_of_scilly(notebook_runs, panel):
    run = notebook_runs.council("Isles of Scilly", "420")
    flags = {flag["measure"]: flag for flag in run.results["small_numbers"]}
    plans = panel[panel["unit"] == "420"].set_index("fy")["ehcp_count"]
    assert flags["spend_growth_pct"]["count"] == plans[["2017-18", "2024-25"]].min() < 500
    assert set(flags) == {"spend_per_head_2_18_gbp", "spend_per_ehcp_gbp", "spend_pct_of_allocation",
                          "ehcp_per_10k_0_25", "spend_growth_pct",
                          # one registry: shares and timeliness rest on their own counts, as in the placement section
                          "mainstream_share_pct", "special_independent_share_pct", "timely_20wk_ex_pct"}
    shown = run.results["placement_process"]
    for key, measure in (("mainstream_share_pct", "mainstream_share"), ("timely_20wk_ex_pct", "timely_20wk_ex")):
        assert flags[key]["count"] == shown[measure]["denominator"] and shown[measure]["small"], key
    growth = next(row for row in run.results["headline"] if row["key"] == "spend_growth_pct")
    assert f"{growth['value_text']} (small numbers)" in run.text
    assert "Small numbers: Isles of Scilly had" in run.text and "fewer than 500" in run.text
    assert not re.search(r"-£0\.0m|[-+]0\.0%", run.text)
    assert unreadable(run) == []


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--la", "Camdn"], "unknown council 'Camdn'; did you mean: Camden (202)"),
        (["--la", "999"], "unknown council '999'"),
        (["--la", "Camden", "-p", "last_fy", "2030-31"], "'2030-31' is not a year of the panel"),
        (["--la", "Camden", "-p", "measure", "spend"], "unknown parameter 'measure'"),
        (["--la", "Camden", "-p", "sn_model", "2019"],
         "'2019' is not a known sn_model (did you mean '2021' or '2025'?); choose from 2025, 2021"),
    ],
)
def test_bad_parameters_fail_before_running(processed_data, tmp_path, args, message):
    completed = report(tmp_path, *args)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert not list(tmp_path.glob("*/manifest.json"))


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "n_nearest", "151"], "n_nearest must be between 1 and"),
        (["-p", "last_fy", "2019-20"], "must come after a year with DSG balances"),
        (["--la", "Cumberland", "-p", "sn_model", "2021"],
         "council 942 has no statistical neighbours in the 2021 model; model 2025 has its neighbours"),
    ],
)
def test_combinations_the_data_cannot_answer_are_refused_before_running(processed_data, tmp_path, args, message):
    council = [] if "--la" in args else ["--la", "202"]
    completed = report(tmp_path, *council, *args)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert not list(tmp_path.glob("*/manifest.json"))


@pytest.mark.needs_data
def test_unknown_comparator_method_is_refused(processed_data, tmp_path):
    """Refused by the notebook's first cell (exit 1), or before any kernel (exit 2) once
    sendlib.params lists `comparators` among its choice parameters."""
    completed = report(tmp_path, "--la", "202", "-p", "comparators", "county")
    assert completed.returncode in (1, 2)
    assert "'county'" in completed.stderr and "stat_neighbours, region, la_type, nearest" in completed.stderr
    assert not list(tmp_path.glob("*/council_202/results.json"))


@pytest.mark.needs_data
def test_all_councils_limited(processed_data, tmp_path):
    completed = report(tmp_path, "--all", "--limit", "3", "--jobs", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    manifest = json.loads((tmp_path / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["reports"]) == ["council_201", "council_202", "council_203"]
    assert all(record["status"] == "ok" for record in manifest["reports"].values())
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for code in ("201", "202", "203"):
        assert f"council_{code}/{STEM}.nocode.html" in index
    city = json.loads((tmp_path / "latest" / "council_201" / "results.json").read_text(encoding="utf-8"))  # no allocation or DSG balance: no projection, no error
    assert city["allocation_fy"] is None and city["projection_balance_end_gbp"] is None


def test_save_and_display_writes_and_shows_the_saved_png(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    plots.save_and_display(fig, pd.DataFrame({"x": [1, 2], "y": [3, 4]}), tmp_path, "line")
    png = tmp_path / "figures" / "line.png"
    assert (tmp_path / "figures" / "line.csv").read_text() == "x,y\n1,3\n2,4\n"
    assert len(shown) == 1 and shown[0].data == png.read_bytes()
    width_px = int.from_bytes(png.read_bytes()[16:20], "big")
    assert width_px > 300 and shown[0].width == round(width_px * plots.SCREEN_DPI / plots.DPI)
    assert not plt.get_fignums()  # closed
