import math
from pathlib import Path

import pandas as pd
import pytest

from sendlib import validate
from sendlib.analysis import published
from sendlib.analysis.published import DIFFERENT, EXPLAINED, MATCH, NOT_COMPARABLE
from sendlib.errors import SourceFormatError

HEADER = "series,period,value,unit,basis,source_key,confidence"
HOSPITAL = "Hospital education, AP teachers pay/pension and supplementary funding factor"
# Each published row, with the status and our value (in the row's unit) expected from mini_tables().
CASES = [
    ("EHC plans in force,Jan 2023,1000,count,SEN2,K,high", MATCH, 1000),
    ("EHC plans in force,Jan 2023,1003,count,SEN2,K,high", EXPLAINED, 1000),  # later release: a revision
    ("EHC plans in force,Jan 2025,~2100,count,SEN2,K,high", DIFFERENT, 2000),  # same release
    ("EHC plans in force,Jan 2019,900,count,SEN2,K,high", NOT_COMPARABLE, math.nan),
    ("High needs funding,2021-22,over 0.3,GBP bn,PQ,K,high", MATCH, 0.34),
    ("High needs funding,2021-22,over 0.35,GBP bn,PQ,K,high", DIFFERENT, 0.34),
    ("High needs funding,2021-22,just under 0.35,GBP bn,PQ,K,high", DIFFERENT, 0.34),  # 0.345 to 0.35
    ("High needs funding,2021-22,0.3,GBP bn,PQ,K,high", MATCH, 0.34),  # "0.3" is 0.25 to 0.35
    ("High needs funding increase,2021-22,+11,GBP m,cash increase,K,high", EXPLAINED, 40),
    ("High needs funding increase,2021-22,+25,GBP m,cash increase,K,high", DIFFERENT, 40),
    ("High needs funding,2018-19,just under 6,GBP bn,PQ,K,high", NOT_COMPARABLE, math.nan),
    ("HN spending minus funding,2018-2022,100-150,GBP m per year,IFS,K,high", MATCH, 130),
    ("Cumulative DSG deficit,end 2019-20,~15,GBP m,tender text,K,high", MATCH, 15),
    ("Cumulative DSG deficit,Mar 2020,14,GBP m,council survey,K,medium", NOT_COMPARABLE, 15),
    ("Councils with a cumulative DSG deficit,end 2019-20,2,councils,tender,K,high", MATCH, 2),
    ("Councils with a cumulative DSG deficit,end 2019-20,3,councils,tender,K,high", DIFFERENT, 2),
    ("Cumulative DSG deficit,Mar 2026 (forecast),4.6 (range 4.3-4.9),GBP bn,DfE,K,high", DIFFERENT, 5),
    ("Cumulative DSG deficit,2026 (forecast),over 4,GBP bn,IFS,K,high", MATCH, 5),
    ("Cumulative DSG deficit,2030 (forecast),over 4,GBP bn,IFS,K,high", NOT_COMPARABLE, math.nan),
    ("Something else,2021-22,5,GBP m,?,MISSING,low", NOT_COMPARABLE, math.nan),
]
SOURCES = pd.DataFrame({"source_key": ["K", "L"], "title": ["A report", "Lost"], "publisher": ["P", "P"],
                        "date": ["2024", ""], "url": ["https://example.org/a?b=1&c=2", ""],
                        "quote": ["the figure is 5", ""], "found": ["yes", "no"], "note": ["", ""]})


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
    lost = published.read_published_figures(write_published(tmp_path, ["EHC plans in force,Jan 2023,1,count,x,L;K,h"]))
    keys, _, urls = published.check_source_keys(lost, SOURCES)
    assert keys.status == validate.PASS and urls.status == validate.ADVISORY and "L" in urls.message
    assert published.source_columns("L;K", SOURCES)["source_url"] == "no URL found | https://example.org/a?b=1&c=2"


def test_markdown_links_every_source_and_escapes_text(comparison: pd.DataFrame):
    table = published.comparison_markdown(comparison)
    assert table.count("[A report](<https://example.org/a?b=1&c=2>)") == len(comparison) - 1
    assert "MISSING&#58; no source entry found (no URL found)" in table
    assert "nan" not in table.lower().replace("financial", "")
    assert table.splitlines()[0] == "| Figure | Period | Published | Ours | Difference | Status | Why | Source |"


def test_status_counts_and_tally(comparison: pd.DataFrame):
    counts = published.status_counts(comparison)
    assert counts == {MATCH: 7, EXPLAINED: 2, DIFFERENT: 6, NOT_COMPARABLE: 5}
    assert published.tally_line(counts) == (
        "20 published figures: **7 MATCH**, **2 EXPLAINED**, **6 DIFFERENT**, **5 NOT COMPARABLE**.")
    results = published.comparison_results(comparison)
    assert results["status_counts"] == counts and results["rows"]["3"]["status"] == EXPLAINED


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
    odd_unit = write_published(tmp_path, [CASES[0][0], "EHC plans in force,Jan 2023,5,USD,x,K,high"])
    with pytest.raises(SourceFormatError, match=r"line 3: 'USD'"):
        published.read_published_figures(odd_unit)


def test_unreadable_value_and_missing_tables(tmp_path: Path):
    row = compare(tmp_path, ["EHC plans in force,Jan 2023,rising,count,x,K,high"]).iloc[0]
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


def test_status_lines_and_checks_table(comparison: pd.DataFrame):
    lines = published.status_lines(comparison, EXPLAINED).splitlines()
    assert len(lines) == 2 and lines[0].startswith("- EHC plans in force (Jan 2023): ours 1,000 is 2\\.5 below")
    assert published.status_lines(comparison.iloc[:1], DIFFERENT) == "none."
    table = published.checks_table(published.check_source_keys(comparison.rename(columns={}).assign(
        source_key=["K"] * len(comparison)), SOURCES))
    assert table.columns.tolist() == ["Table", "Check", "Result", "Detail"] and set(table["Result"]) == {"PASS"}
