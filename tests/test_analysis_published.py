import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendlib import validate
from sendlib.analysis import published
from sendlib.analysis.published import DIFFERENT, EXPLAINED, MATCH, NOT_COMPARABLE
from sendlib.errors import SourceFormatError

HEADER = "series,period,value,unit,basis,source_key,confidence,independence,derived"
HOSPITAL = "Hospital education, AP teachers pay/pension and supplementary funding factor"
# Each published row, with the status and our value (in the row's unit) expected from mini_tables().
CASES = [
    ("EHC plans in force,Jan 2023,1000,count,SEN2,K,high,official,no", MATCH, 1000),
    ("EHC plans in force,Jan 2023,1003,count,SEN2,K,high,official,no", EXPLAINED, 1000),  # later release: a revision
    ("EHC plans in force,Jan 2025,~2100,count,SEN2,K,high,official,no", DIFFERENT, 2000),  # same release
    ("EHC plans in force,Jan 2019,900,count,SEN2,K,high,official,no", NOT_COMPARABLE, math.nan),
    ("High needs funding,2021-22,over 0.3,GBP bn,PQ,K,high,official,no", MATCH, 0.34),
    ("High needs funding,2021-22,over 0.35,GBP bn,PQ,K,high,official,no", DIFFERENT, 0.34),
    ("High needs funding,2021-22,just under 0.35,GBP bn,PQ,K,high,official,no", DIFFERENT, 0.34),  # 0.345 to 0.35
    ("High needs funding,2021-22,0.3,GBP bn,PQ,K,high,official,no", MATCH, 0.34),  # "0.3" is 0.25 to 0.35
    ("High needs funding increase,2021-22,+11,GBP m,cash increase,K,high,official,no", EXPLAINED, 40),
    ("High needs funding increase,2021-22,+25,GBP m,cash increase,K,high,official,no", DIFFERENT, 40),
    ("High needs funding,2018-19,just under 6,GBP bn,PQ,K,high,official,no", NOT_COMPARABLE, math.nan),
    ("HN spending minus funding,2018-2022,100-150,GBP m per year,IFS,K,high,independent,no", MATCH, 130),
    ("Cumulative DSG deficit,end 2019-20,~15,GBP m,tender text,K,high,official,no", MATCH, 15),
    ("Cumulative DSG deficit,Mar 2020,14,GBP m,council survey,K,medium,independent,no", NOT_COMPARABLE, 15),
    ("Councils with a cumulative DSG deficit,end 2019-20,2,councils,tender,K,high,circular,no", MATCH, 2),
    ("Councils with a cumulative DSG deficit,end 2019-20,3,councils,tender,K,high,official,no", DIFFERENT, 2),
    ("Cumulative DSG deficit,Mar 2026 (forecast),4.6 (range 4.3-4.9),GBP bn,DfE,K,high,model,no", DIFFERENT, 5),
    ("Cumulative DSG deficit,2026 (forecast),over 4,GBP bn,IFS,K,high,model,no", MATCH, 5),
    ("Cumulative DSG deficit,2030 (forecast),over 4,GBP bn,IFS,K,high,model,no", NOT_COMPARABLE, math.nan),
    ("Something else,2021-22,5,GBP m,?,MISSING,low,official,no", NOT_COMPARABLE, math.nan),
]
SOURCES = pd.DataFrame({"source_key": ["K", "L"], "title": ["A report", "Lost"], "publisher": ["P", "P"],
                        "date": ["2024", ""], "url": ["https://example.org/a?b=1&c=2", ""],
                        "quote": ["the figure is 5", ""], "found": ["yes", "no"],
                        "publisher_url": ["https://example.org/a?b=1&c=2", ""], "quote_from": ["https://repost.example/k", ""],
                        "note": ["", ""]})


def mini_tables() -> dict[str, pd.DataFrame]:
    """Two or three LAs with round numbers (GBP unless stated)."""
    ehcp_national = pd.DataFrame({"january": [2023, 2025], "ehcp_count": [1000.0, 2000.0],
                                  "source": ["education-health-and-care-plans_2025.zip:data/caseload.csv"] * 2})
    hnb_allocation = pd.DataFrame({"la_code": ["A", "B", "A", "B"], "fy": ["2020-21", "2020-21", "2021-22", "2021-22"],
                                   "hnb_before_deductions_gbp": [100e6, 200e6, 110e6, 230e6],
                                   "hnb_after_deductions_gbp": [80e6, 150e6, 90e6, 180e6]})
    hnb_factors = pd.DataFrame({"fy": ["2020-21", "2021-22"], "factor": ["A", "F"],
                                "label": ["National funding formula", HOSPITAL], "england_value": [250e6, 29e6],
                                "source_file": ["x.ods", "y.ods"]})
    dsg_balance = pd.DataFrame({"la_code": ["A", "B", "C"], "la_name": ["Ay", "Bee", "Cee"], "fy": ["2019-20"] * 3,
                                "dsg_balance_gbp": [10e6, -4e6, 5e6]})
    hn_benchmarking = pd.DataFrame({
        "la_code": ["A", "B", "A", "B"], "fy": ["2021-22"] * 4, "stage": ["budget", "budget", "outturn", "outturn"],
        "line": ["high_needs_total_excl_place_funding"] * 2 + ["high_needs_total"] * 2,
        "value_gbp": [50e6, 60e6, 150e6, 250e6]})
    projection = pd.DataFrame({"unit": ["A", "B", "C"], "fy": ["2025-26"] * 3, "balance_gbp": [3e9, -1e9, 2e9]})
    return {"ehcp_national": ehcp_national, "hnb_allocation": hnb_allocation, "hnb_factors": hnb_factors,
            "dsg_balance": dsg_balance, "hn_benchmarking": hn_benchmarking, "projection": projection,
            "hn_spend": pd.DataFrame({"la_code": ["A"], "fy": ["2024-25"], "hn_spend_gbp": [1e9]}),
            "deflator": pd.DataFrame({"fy": ["2019-20"], "deflator_index": [100.0]}), "panel": pd.DataFrame()}


def write_published(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "published_figures.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def compare(tmp_path: Path, rows: list[str], tables: dict | None = None) -> pd.DataFrame:
    figures = published.read_published_figures(write_published(tmp_path, rows))
    return published.published_comparison(figures, tables or mini_tables(), SOURCES)


@pytest.fixture
def comparison(tmp_path: Path) -> pd.DataFrame:
    return compare(tmp_path, [row for row, _, _ in CASES])


def test_every_row_gets_its_status_and_our_value(comparison: pd.DataFrame):
    assert comparison.columns.tolist() == published.COMPARISON_COLUMNS
    assert comparison["row"].tolist() == list(range(2, len(CASES) + 2))
    assert comparison["status"].tolist() == [status for _, status, _ in CASES]
    expected = pd.Series([value for _, _, value in CASES], dtype="float64")
    pd.testing.assert_series_equal(comparison["ours"], expected, check_names=False)
    assert (comparison["reason"].str.len() > 0).all()


def test_intervals_and_differences(comparison: pd.DataFrame):
    by_row = comparison.set_index("row")
    assert (by_row.loc[7, "interval_low"], by_row.loc[7, "difference"]) == (0.35, pytest.approx(-0.01))
    assert by_row.loc[9, "interval_low"] == pytest.approx(0.25) and by_row.loc[9, "difference"] == 0
    assert (by_row.loc[17, "interval_low"], by_row.loc[17, "interval_high"], by_row.loc[17, "difference"]) == (3, 3, -1)
    assert (by_row.loc[18, "interval_low"], by_row.loc[18, "interval_high"]) == (4.3, 4.9)
    assert by_row.loc[18, "difference"] == pytest.approx(0.1)


def test_explained_reason_is_computed_from_the_data(tmp_path: Path, comparison: pd.DataFrame):
    reason = comparison.set_index("row").loc[10, "reason"]
    assert reason == (f"ours £40.0m is £28.5m above the published interval (11 within its rounding (±0.5)); the block "
                      f"factor '{HOSPITAL}', in FY2021-22 and absent from the FY2020-21 block accounts for £29.0m: "
                      f"without it ours is £11.0m, inside")
    tables = mini_tables()
    tables["hnb_factors"].loc[1, "england_value"] = 20e6  # a smaller factor no longer accounts for it
    row = compare(tmp_path, [CASES[8][0]], tables).iloc[0]
    assert row["status"] == DIFFERENT and "accounts for £20.0m: without it ours is £20.0m, still £8.5m above" in row["reason"]
    tables["hnb_factors"].loc[0, ["label", "england_value"]] = [HOSPITAL, 10e6]  # present in both years: the change
    row = compare(tmp_path, [CASES[8][0]], tables).iloc[0]
    assert "the change in the block factor" in row["reason"] and "accounts for £10.0m" in row["reason"]


def test_later_revision_is_sized(comparison: pd.DataFrame):
    reason = comparison.iloc[1]["reason"]
    assert "a later revision (ours is from the 2025 release, the figure from January 2023's) accounts for -3" in reason
    assert "without it ours is 1,003, inside" in reason


def test_not_comparable_rows_say_what_would_make_them_comparable(comparison: pd.DataFrame):
    by_row = comparison.set_index("row")
    assert "no data for Jan 2019: SEN2 covers Jan 2023 to Jan 2025" in by_row.loc[5, "reason"]
    assert "would make it comparable" in by_row.loc[5, "reason"]
    assert by_row.loc[15, "reason"].startswith("survey estimate") and "for reference" in by_row.loc[15, "our_basis"]
    assert "a longer projection horizon would make it comparable" in by_row.loc[20, "reason"]
    assert "nothing maps the series 'Something else'" in by_row.loc[21, "reason"]


def test_bases_quote_the_numbers_behind_ours(comparison: pd.DataFrame):
    by_row = comparison.set_index("row")
    assert "after academy/FE place deductions: £0.270bn" in by_row.loc[6, "our_basis"]
    assert "FY2021-22 £130m (2 LAs); years with data: 1 of 4" in by_row.loc[13, "our_basis"]
    assert "2 of 3 LAs in deficit" in by_row.loc[14, "our_basis"] and "net of surpluses: £11.0m" in by_row.loc[14, "our_basis"]
    assert "smallest deficits: Cee £5.00m, Ay £10.00m" in by_row.loc[16, "our_basis"]
    assert "gross deficit at end FY2025-26 over 3 councils, 2 in deficit; net £4.00bn" in by_row.loc[18, "our_basis"]


def test_sources_are_shown_and_a_missing_key_fails_qa(tmp_path: Path, comparison: pd.DataFrame):
    first, last = comparison.iloc[0], comparison.iloc[-1]
    assert (first["source_title"], first["source_url"], first["source_quote"]) == (
        "A report", "https://example.org/a?b=1&c=2", "the figure is 5")
    assert last["source_title"] == "MISSING: no source entry found"
    figures = published.read_published_figures(write_published(tmp_path, [CASES[0][0], CASES[-1][0]]))
    keys, unique, urls = published.check_source_keys(figures, SOURCES)
    assert keys.status == validate.FAIL and "line 3 MISSING" in keys.message
    assert unique.status == validate.PASS and urls.status == validate.PASS
    with pytest.raises(Exception, match="MISSING"):
        validate.raise_on_fail([keys])
    lost = published.read_published_figures(write_published(tmp_path, ["EHC plans in force,Jan 2023,1,count,x,L;K,h,official,no"]))
    keys, _, urls = published.check_source_keys(lost, SOURCES)
    assert keys.status == validate.PASS and urls.status == validate.ADVISORY and "L" in urls.message
    assert published.source_columns("L;K", SOURCES)["source_url"] == "no URL found | https://example.org/a?b=1&c=2"


def test_status_counts_and_tallies_by_independence(comparison: pd.DataFrame):
    """The hand-made table's 20 rows: 14 official, 2 independent, 1 circular, 3 model."""
    counts = published.status_counts(comparison)
    assert counts == {MATCH: 7, EXPLAINED: 2, DIFFERENT: 6, NOT_COMPARABLE: 5}
    by_class = published.status_counts_by_independence(comparison)
    assert by_class == {
        "independent": {MATCH: 1, EXPLAINED: 0, DIFFERENT: 0, NOT_COMPARABLE: 1},
        "official": {MATCH: 4, EXPLAINED: 2, DIFFERENT: 5, NOT_COMPARABLE: 3},
        "circular": {MATCH: 1, EXPLAINED: 0, DIFFERENT: 0, NOT_COMPARABLE: 0},
        "model": {MATCH: 1, EXPLAINED: 0, DIFFERENT: 1, NOT_COMPARABLE: 1},
    }
    assert {s: sum(c[s] for c in by_class.values()) for s in counts} == counts
    results = published.comparison_results(comparison)
    assert results["status_counts"] == counts and results["rows"]["3"]["status"] == EXPLAINED
    assert results["status_counts_by_independence"] == by_class
    assert results["rows"]["16"]["independence"] == "circular" and results["rows"]["2"]["ours_kind"] == "data"


def test_periods():
    assert published.period_january("Jan 2024") == 2024 and published.period_january("2024-25") is None
    assert published.period_fy("end 2019-20") == "2019-20" and published.period_fy("Mar 2026 (forecast)") == "2025-26"
    assert published.period_fy("2027 (forecast)") == "2026-27" and published.period_fy("2016 -> 2025") is None
    assert published.period_fys("2018-2022") == ["2018-19", "2019-20", "2020-21", "2021-22"]
    assert published.period_fy_pair("2021-22") == ("2020-21", "2021-22")
    assert published.period_fy_pair("2021-22 to 2023-24") == ("2021-22", "2023-24")


def test_format_value():
    assert published.format_value(9.9521, "GBP bn") == "£9.952bn" and published.format_value(-0.1, "GBP bn") == "-£0.100bn"
    assert published.format_value(510.5, "count") == "510.5"
    assert published.format_value(576474, "count") == "576,474" and published.format_value(58.6, "%") == "58.6%"
    assert published.format_value(math.nan, "GBP m") == "none"


def test_reading_bad_files(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="not found|does not exist|missing"):
        published.read_published_figures(tmp_path / "absent.csv")
    renamed = write_published(tmp_path, [CASES[0][0]], header=HEADER.replace("value", "amount"))
    with pytest.raises(SourceFormatError, match="value"):
        published.read_published_figures(renamed)
    odd_unit = write_published(tmp_path, [CASES[0][0], "EHC plans in force,Jan 2023,5,USD,x,K,high,official,no"])
    with pytest.raises(SourceFormatError, match=r"line 3: 'USD'"):
        published.read_published_figures(odd_unit)
    odd_class = write_published(tmp_path, [CASES[0][0], "EHC plans in force,Jan 2023,5,count,x,K,high,neutral,no"])
    with pytest.raises(SourceFormatError, match=r"unknown independence .*line 3: 'neutral'"):
        published.read_published_figures(odd_class)
    odd_derived = write_published(tmp_path, ["EHC plans in force,Jan 2023,5,count,x,K,high,model,maybe"])
    with pytest.raises(SourceFormatError, match=r"unknown derived .*line 2: 'maybe'"):
        published.read_published_figures(odd_derived)


def test_unreadable_value_and_missing_tables(tmp_path: Path):
    row = compare(tmp_path, ["EHC plans in force,Jan 2023,rising,count,x,K,high,official,no"]).iloc[0]
    assert row["status"] == NOT_COMPARABLE and "cannot read published value 'rising'" in row["reason"]
    tables = mini_tables()
    del tables["dsg_balance"]
    with pytest.raises(ValueError, match="dsg_balance"):
        compare(tmp_path, [CASES[0][0]], tables)


def test_projection_settings_are_notebook_04_defaults():
    import json

    from sendlib import config

    notebook = json.loads((config.PROJECT_ROOT / "notebooks" / "04_sustainability.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    defaults: dict = {}
    exec("".join(cell["source"]), {}, defaults)
    settings = {k: v for k, v in published.PROJECTION_SETTINGS.items() if k != "horizon"}
    assert settings == {k: defaults[k] for k in settings}




def one_row(tmp_path: Path, row: str, tables: dict | None = None) -> pd.Series:
    return compare(tmp_path, [row], tables).iloc[0]


TIMELINESS = "EHC plans issued within 20 weeks (excl. exceptions),2024,46.4,%,DfE,K,high,official,no"


def test_timeliness_waits_for_the_sen2_table_then_reads_it(tmp_path: Path):
    missing = one_row(tmp_path, TIMELINESS)
    assert missing["status"] == NOT_COMPARABLE and "the SEN2 timeliness table" in missing["reason"]
    assert "'timeliness' and 'timeliness_national'" in missing["reason"] and "is not built yet" in missing["reason"]
    by_la = pd.DataFrame({"la_code": ["A", "B", "C", "A"], "calendar_year": [2024, 2024, 2024, 2023],
                          "issued_ex_count": [100.0, 150.0, np.nan, 80.0],
                          "issued_20wk_ex_count": [50.0, 66.0, 5.0, 70.0]})
    summed = one_row(tmp_path, TIMELINESS, {**mini_tables(), "timeliness": by_la})
    assert summed["ours"] == pytest.approx(100 * 116 / 250) and summed["status"] == MATCH  # 46.4%
    assert "sum of the 2 LAs with both counts" in summed["our_basis"] and "1 with a count missing" in summed["our_basis"]
    national = pd.DataFrame({"calendar_year": [2023, 2024], "issued_ex_count": [1000.0, 1000.0],
                             "issued_20wk_ex_count": [500.0, 470.0]})
    row = one_row(tmp_path, TIMELINESS, {**mini_tables(), "timeliness": by_la, "timeliness_national": national})
    assert (row["ours"], row["status"]) == (pytest.approx(47.0), DIFFERENT)
    assert "DfE SEN2 England row, calendar year 2024: 470 of 1,000 plans issued within 20 weeks, excluding" in row["our_basis"]
    late = one_row(tmp_path, TIMELINESS.replace(",2024,", ",2025,"), {**mini_tables(), "timeliness_national": national})
    assert late["status"] == NOT_COMPARABLE and "covers 2023 to 2024" in late["reason"]


def test_share_of_councils_overspending(tmp_path: Path):
    row = "Share of LAs overspending high-needs budget,2021-22,{},%,NAO,K,high,independent,no"
    tables = mini_tables()  # outturn with places: A 150m, B 250m; block after deductions: A 90m, B 180m
    assert (one_row(tmp_path, row.format(100), tables)["status"], one_row(tmp_path, row.format(100))["ours"]) == (MATCH, 100)
    tables["hn_benchmarking"].loc[2, "value_gbp"] = 60e6  # A now spends less than its block
    found = one_row(tmp_path, row.format(81.3), tables)
    assert (found["ours"], found["status"]) == (50, DIFFERENT) and "FY2021-22: 1 of 2" in found["our_basis"]
    old = one_row(tmp_path, row.format(81.3).replace("2021-22", "2017-18"), tables)
    assert old["status"] == NOT_COMPARABLE and "no data for 2017-18" in old["reason"]
    assert "for reference" in old["our_basis"] and "FY2021-22: 1 of 2 (50.0%)" in old["our_basis"]


def test_funding_per_plan_real_terms_change(tmp_path: Path):
    tables = mini_tables()
    tables["ehcp_national"] = pd.DataFrame({"january": [2021, 2022], "ehcp_count": [100.0, 170.0], "source": ["x", "x"]})
    tables["deflator"] = pd.DataFrame({"fy": ["2020-21", "2021-22"], "deflator_index": [90.0, 100.0]})
    # per plan: 300m / 100 = 3.0m (x 100/90 = 3.333m in 2021-22 prices) -> 340m / 170 = 2.0m: -40%
    row = "High needs funding per EHCP (real-terms change),2020-21 -> 2021-22,~-40,%,IFS,K,medium,independent,yes"
    found = one_row(tmp_path, row, tables)
    assert found["ours"] == pytest.approx(-40.0) and found["status"] == MATCH
    assert "£3,333,333 in FY2020-21 (100 plans), £2,000,000 in FY2021-22 (170 plans)" in found["our_basis"]
    wider = one_row(tmp_path, row.replace("2020-21 -> 2021-22", "2015-16 -> 2024-25"), tables)
    assert wider["status"] == NOT_COMPARABLE and "no data for 2015-16 -> 2024-25" in wider["reason"]
    assert "for reference, the years we have: £3,333,333 per plan in FY2020-21 to £2,000,000 in FY2021-22" in wider["our_basis"]


def test_model_rows_meet_our_projection_and_say_what_ours_is(tmp_path: Path):
    estimate = one_row(tmp_path, "Cumulative DSG deficit,2025-26,at least 4.5,GBP bn,IFS,K,high,model,no")
    assert (estimate["ours"], estimate["status"], estimate["ours_kind"]) == (5, MATCH, "projection")
    assert "our projection" in estimate["our_basis"]
    outturn = one_row(tmp_path, "Cumulative DSG deficit,end 2019-20,~15,GBP m,tender,K,high,official,no")
    assert (outturn["ours"], outturn["ours_kind"]) == (15, "data")
    reserves = one_row(tmp_path, "Share of LAs with deficits exceeding or close to reserves,Mar 2026 (forecast),43,%,"
                                 "NAO,K,high,model,no")
    assert reserves["status"] == NOT_COMPARABLE and "no council reserves" in reserves["reason"]
    assert reserves["ours_kind"] == ""
    survey = one_row(tmp_path, "Cumulative DSG deficit,Mar 2026 (forecast),5.2,GBP bn,survey of councils,K,medium,model,no")
    assert (survey["status"], survey["ours"], survey["ours_kind"]) == (NOT_COMPARABLE, 5, "projection")
