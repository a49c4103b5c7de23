import math
from pathlib import Path

import pandas as pd
import pytest

from sendlib.analysis import published
from sendlib.analysis.published import FAIL, NOT_COMPARABLE, PASS, PASS_LATER_REVISION, REVISED
from sendlib.errors import ParameterError, SourceFormatError

HEADER = "series,period,value,unit,basis,source_key,confidence"
# Each published row, with the status and our value (in the row's unit) expected from TABLES.
CASES = [
    ("EHC plans in force,Jan 2023,1000,count,SEN2,K,high", PASS, 1000),
    ("EHC plans in force,Jan 2023,1003,count,SEN2,K,high", PASS_LATER_REVISION, 1000),
    ("EHC plans in force,Jan 2023,1100,count,SEN2,K,high", REVISED, 1000),
    ("EHC plans in force,Jan 2025,~2000,count,SEN2,K,high", PASS, 2000),
    ("EHC plans in force,Jan 2025,2100,count,SEN2,K,high", FAIL, 2000),
    ("EHC plans in force,Jan 2019,900,count,SEN2,K,high", NOT_COMPARABLE, math.nan),
    ("High needs funding,2021-22,0.34,GBP bn,PQ,K,high", PASS, 0.34),
    ("High needs funding,2021-22,0.35,GBP bn,PQ,K,high", PASS, 0.34),
    ("High needs funding increase,2021-22,+40,GBP m,cash increase,K,high", PASS, 40),
    ("High needs funding,2018-19,just under 6,GBP bn,PQ,K,high", NOT_COMPARABLE, math.nan),
    ("High needs planned spend (s251 HN lines),2021-22,0.11,GBP bn,s251 budget,K,high", PASS, 0.11),
    ("HN spending minus funding,2018-2022,100-150,GBP m per year,IFS,K,high", PASS, 130),
    ("Cumulative DSG deficit,end 2019-20,~15,GBP m,tender text,K,high", PASS, 15),
    ("Cumulative DSG deficit,Mar 2020,14,GBP m,council survey,K,medium", NOT_COMPARABLE, 15),
    ("Cumulative DSG deficit,Mar 2026 (forecast),40,GBP m,DfE,K,high", NOT_COMPARABLE, math.nan),
    ("Cumulative DSG deficit,end Mar 2023,20,GBP m,estimate,K,low", NOT_COMPARABLE, math.nan),
    ("Something else,2021-22,5,GBP m,?,K,low", NOT_COMPARABLE, math.nan),
]


def mini_tables() -> dict[str, pd.DataFrame]:
    """Two LAs, A and B, with round numbers (GBP unless stated)."""
    ehcp_national = pd.DataFrame(
        {
            "january": [2023, 2025],
            "ehcp_count": [1000.0, 2000.0],
            "source": ["education-health-and-care-plans_2025.zip:data/caseload.csv"] * 2,
        }
    )
    hnb_allocation = pd.DataFrame(
        {
            "la_code": ["A", "B", "A", "B"],
            "fy": ["2020-21", "2020-21", "2021-22", "2021-22"],
            "hnb_before_deductions_gbp": [100e6, 200e6, 110e6, 230e6],
            "hnb_after_deductions_gbp": [80e6, 150e6, 90e6, 180e6],
        }
    )
    dsg_balance = pd.DataFrame(
        {"la_code": ["A", "B", "C"], "fy": ["2019-20"] * 3, "dsg_balance_gbp": [10e6, -4e6, 5e6]}
    )
    hn_benchmarking = pd.DataFrame(
        {
            "la_code": ["A", "B", "A", "B"],
            "fy": ["2021-22"] * 4,
            "stage": ["budget", "budget", "outturn", "outturn"],
            "line": ["high_needs_total_excl_place_funding"] * 2 + ["high_needs_total"] * 2,
            "value_gbp": [50e6, 60e6, 150e6, 250e6],
        }
    )
    hn_spend = pd.DataFrame({"la_code": ["A", "B"], "fy": ["2024-25"] * 2, "hn_spend_gbp": [1e9, 2e9]})
    return {"ehcp_national": ehcp_national, "hnb_allocation": hnb_allocation, "dsg_balance": dsg_balance,
            "hn_benchmarking": hn_benchmarking, "hn_spend": hn_spend}


def write_published(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "published_figures.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def comparison(tmp_path: Path) -> pd.DataFrame:
    figures = published.read_published_figures(write_published(tmp_path, [row for row, _, _ in CASES]))
    return published.published_comparison(figures, mini_tables(), 0.005, 0.03)


def test_every_row_gets_its_status_and_our_value(comparison: pd.DataFrame):
    assert comparison.columns.tolist() == published.COMPARISON_COLUMNS
    assert comparison["row"].tolist() == list(range(2, len(CASES) + 2))
    assert comparison["status"].tolist() == [status for _, status, _ in CASES]
    expected = pd.Series([value for _, _, value in CASES], dtype="float64")
    pd.testing.assert_series_equal(comparison["ours"], expected, check_names=False)
    assert set(comparison["status"]) <= set(published.STATUSES)
    assert (comparison["reason"].str.len() > 0).all()


def test_differences_and_tolerances(comparison: pd.DataFrame):
    later = comparison.iloc[1]
    assert later["difference"] == pytest.approx(-3) and later["difference_pct"] == pytest.approx(-300 / 1003)
    assert later["tolerance_pct"] == pytest.approx(0.5)
    assert "later release" in later["reason"]
    # "0.35" is rounded to 0.005: tolerance max(3%, 0.005 / 0.35) = 3%; "15" to 0.5 -> 3.3%.
    assert comparison.iloc[7]["tolerance_pct"] == pytest.approx(3.0)
    assert comparison.iloc[12]["tolerance_pct"] == pytest.approx(100 * 0.5 / 15)
    inside = comparison.iloc[11]  # 130 within 100-150
    assert (inside["published_low"], inside["published_high"], inside["difference"]) == (100, 150, 0)


def test_reasons_and_bases_say_what_was_compared(comparison: pd.DataFrame):
    by_row = comparison.set_index("row")
    assert "no data for that year" in by_row.loc[7, "reason"] and "Jan 2023..Jan 2025" in by_row.loc[7, "reason"]
    assert "after academy/FE place deductions: £0.27bn" in by_row.loc[8, "our_basis"]
    assert "FY2021-22 £130m (2 LAs); years with data: 1 of 4" in by_row.loc[13, "our_basis"]
    assert "2 of 3 LAs in deficit" in by_row.loc[14, "our_basis"]
    assert "net of surpluses: £11m" in by_row.loc[14, "our_basis"]
    assert "survey estimate" in by_row.loc[15, "reason"]
    assert "forecast or projection" in by_row.loc[16, "reason"]
    assert "no rule: nothing maps the series 'Something else'" in by_row.loc[18, "reason"]
    assert by_row["not_comparable_kind"].to_dict() == {
        2: "", 3: "", 4: "", 5: "", 6: "", 7: published.NO_DATA, 8: "", 9: "", 10: "", 11: published.NO_DATA,
        12: "", 13: "", 14: "", 15: published.SURVEY, 16: published.FORECAST, 17: published.NO_DATA,
        18: published.NO_RULE,
    }


def test_tighter_tolerances_turn_passes_into_fails(tmp_path: Path):
    figures = published.read_published_figures(write_published(tmp_path, [row for row, _, _ in CASES]))
    tight = published.published_comparison(figures, mini_tables(), 0.001, 0.01)
    # 1003 vs 1000 is 0.3% > 0.1%: from a later release, so REVISED; 0.34 vs 0.35 is -2.9% > 1.4% rounding.
    assert tight["status"].iloc[1] == REVISED and tight["status"].iloc[7] == FAIL
    assert tight["status"].iloc[6] == PASS


def test_rounding_half_unit():
    assert published.rounding_half_unit("5.6") == pytest.approx(0.05)
    assert published.rounding_half_unit("354000") == 500
    assert published.rounding_half_unit("575963") == 0.5
    assert published.rounding_half_unit("~256300") == 50
    assert published.rounding_half_unit("+0.44 (4.3%)") == pytest.approx(0.005)
    assert published.rounding_half_unit("0") == 0.5
    assert published.rounding_half_unit("over 9.1") == 0.0
    assert published.rounding_half_unit("200-800") == 0.0


def test_periods():
    assert published.period_january("Jan 2024") == 2024 and published.period_january("2024-25") is None
    assert published.period_fy("2021-22") == "2021-22" and published.period_fy("end 2019-20") == "2019-20"
    assert published.period_fy("Mar 2022") == "2021-22" and published.period_fy("end Mar 2023") == "2022-23"
    assert published.period_fy("2024 (this year)") is None
    assert published.period_fys("2018-2022") == ["2018-19", "2019-20", "2020-21", "2021-22"]
    assert published.period_fys("Mar 2022") == ["2021-22"] and published.period_fys("2016 -> 2025") == []


def test_status_counts_lists_every_status(comparison: pd.DataFrame):
    counts = published.status_counts(comparison)
    assert list(counts) == list(published.STATUSES)
    assert counts == {PASS: 8, PASS_LATER_REVISION: 1, REVISED: 1, FAIL: 1, NOT_COMPARABLE: 6}


def test_bad_tolerances_and_missing_tables(tmp_path: Path):
    figures = published.read_published_figures(write_published(tmp_path, [CASES[0][0]]))
    with pytest.raises(ParameterError, match="tolerance_count_rel must be a share between 0 and 1"):
        published.published_comparison(figures, mini_tables(), -0.1, 0.03)
    with pytest.raises(ParameterError, match="tolerance_money_rel"):
        published.check_tolerances(0.005, 1.5)
    tables = mini_tables()
    del tables["dsg_balance"]
    with pytest.raises(ValueError, match="dsg_balance"):
        published.published_comparison(figures, tables)


def test_reading_bad_files(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="not found|does not exist|missing"):
        published.read_published_figures(tmp_path / "absent.csv")
    renamed = write_published(tmp_path, [CASES[0][0]], header=HEADER.replace("value", "amount"))
    with pytest.raises(SourceFormatError, match="value"):
        published.read_published_figures(renamed)
    odd_unit = write_published(tmp_path, [CASES[0][0], "EHC plans in force,Jan 2023,5,USD,x,K,high"])
    with pytest.raises(SourceFormatError, match=r"line 3: 'USD'"):
        published.read_published_figures(odd_unit)


def test_unreadable_published_value_is_not_comparable(tmp_path: Path):
    rows = ["EHC plans in force,Jan 2023,rising,count,x,K,high"]
    figures = published.read_published_figures(write_published(tmp_path, rows))
    row = published.published_comparison(figures, mini_tables()).iloc[0]
    assert row["status"] == NOT_COMPARABLE and "cannot read published value 'rising'" in row["reason"]
    assert row["ours"] == 1000 and row["not_comparable_kind"] == published.UNREADABLE


def test_a_missing_value_of_ours_is_not_comparable(tmp_path: Path):
    figures = published.read_published_figures(write_published(tmp_path, [CASES[0][0]]))
    tables = mini_tables()
    tables["ehcp_national"].loc[0, "ehcp_count"] = float("nan")
    row = published.published_comparison(figures, tables).iloc[0]
    assert (row["status"], row["not_comparable_kind"]) == (NOT_COMPARABLE, published.NO_DATA)


def test_not_comparable_needs_a_known_kind():
    with pytest.raises(ValueError, match="unknown kind"):
        published.not_comparable("because", "detail")


def test_ehcp_ours_vs_published(comparison: pd.DataFrame):
    frame = published.ehcp_ours_vs_published(comparison, mini_tables()["ehcp_national"])
    assert frame.values.tolist() == [
        [2023, "ours (SEN2)", 1000.0], [2025, "ours (SEN2)", 2000.0],
        [2023, "published", 1000.0], [2023, "published", 1003.0], [2023, "published", 1100.0],
        [2025, "published", 2000.0], [2025, "published", 2100.0],
    ]


def test_comparison_results(comparison: pd.DataFrame):
    results = published.comparison_results(comparison)
    assert (results["n_rows"], results["n_pass"], results["n_fail"], results["n_not_comparable"]) == (17, 9, 2, 6)
    assert results["not_comparable_kinds"] == {published.NO_DATA: 3, published.FORECAST: 1, published.SURVEY: 1,
                                               published.OTHER_DEFINITION: 0, published.NO_RULE: 1,
                                               published.UNREADABLE: 0}
    assert results["rows"]["3"] == {"series": "EHC plans in force", "period": "Jan 2023", "published": "1003",
                                    "unit": "count", "ours": 1000.0, "difference_pct": pytest.approx(-300 / 1003),
                                    "status": PASS_LATER_REVISION}


def test_describe_row(comparison: pd.DataFrame):
    assert published.describe_row(comparison.iloc[4]) == (
        "row 6, EHC plans in force (Jan 2025): published 2100 count, ours 2,000 (-4.76% from the nearest "
        "published bound); DfE SEN2 national total, January 2025, from "
        "education-health-and-care-plans_2025.zip:data/caseload.csv"
    )
    assert "ours 0.340 (+0.00% from" in published.describe_row(comparison.iloc[6])
