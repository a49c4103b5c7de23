"""Notebook 04's sentences and tables, on hand-made numbers."""

import numpy as np
import pandas as pd

from sendlib.findings import sustainability as findings

RESULTS = {
    "start_fy": "2021-22", "spend_rule": "own_trend", "trend_years": 3, "gap_basis": "observed",
    "backtest_base_fy": "2022-23", "funding_growth_first": 0.05, "funding_growth_after": 0.03, "threshold_pct": 10.0,
    "last_projected_fy": "2026-27", "projection_n_units": 148, "national_balance_start_gbp": 1.154e9,
    "national_balance_start_pct_of_dsg": 2.258, "national_balance_final_gbp": 7.99e9,
    "national_balance_final_pct_of_dsg": 12.983, "national_gap_start_gbp": 3.535e8, "national_gap_final_gbp": 2.98e9,
    "national_raw_gap_start_gbp": -4.89e8, "national_spend_final_gbp": 11.3e9, "national_funding_final_gbp": 9.16e9,
    "national_spend_trend_rate": 0.1112, "median_unit_spend_growth_rate": 0.1108,
    "n_over_threshold_start": 4, "n_known_start": 148, "n_over_threshold_final": 73, "n_known_final": 148,
    "share_over_threshold_final": 73 / 148, "n_over_threshold_ever": 74,
    "funding_backtest_fy": "2023-24", "funding_assumed_growth": 0.05, "funding_actual_growth": 0.1072,
    "funding_n_units": 148, "funding_actual_gbp": 9.952e9, "funding_assumed_gbp": 9.438e9,
    "funding_difference_pct": 0.0545, "funding_share_units_above": 0.993, "funding_median_unit_difference_pct": 0.053,
    "spend_backtest_first_fy": "2022-23", "spend_backtest_final_fy": "2024-25", "spend_first_difference_pct": 0.026,
    "spend_n_units": 150, "spend_projected_gbp": 9.013e9, "spend_actual_gbp": 10.216e9, "spend_difference_pct": 0.1334,
    "spend_share_units_above": 0.7667, "spend_median_unit_difference_pct": 0.156,
}


def test_projection_finding_reads_in_pounds_and_percentages():
    text = findings.projection_finding(RESULTS)
    assert text.startswith("**Finding.** With funding actual to 2022-23, then +5.0% and +3.0% a year, and spending "
                           "growing at each council's own 3-year trend (median 11.1% a year)")
    assert "goes from £1.15bn at the end of 2021-22 (2.3% of their total DSG) to £7.99bn by the end of 2026-27 (13.0%)" in text
    assert "spending minus funding was -£0.49bn nationally" in text and "(observed) is +£0.35bn." in text
    national = findings.spend_rule_words({**RESULTS, "spend_rule": "national"})
    assert national == "the national 3-year trend (11.1% a year)"


def test_threshold_and_backtest_findings():
    assert findings.threshold_finding(RESULTS) == (
        "**Finding.** At the end of 2021-22, 4 of 148 councils had a cumulative deficit above 10% of their DSG; under "
        "these assumptions 73 of 148 would by 2026-27 (49.3%), and 74 pass it in at least one year.")
    funding = findings.funding_backtest_finding(RESULTS)
    assert "grew 10.7% in 2023-24 against the 5.0% assumed: £9.95bn instead of £9.44bn (+5.5%). 99.3% of councils" in funding
    spend = findings.spend_backtest_finding({**RESULTS, "spend_share_units_above": np.nan})
    assert "would have been £9.01bn (150 councils); actual outturn was £10.22bn (+13.3%; +2.6% already in 2022-23)" in spend
    assert "exceeded the projection in no data of councils" in spend  # a missing share says so, never NaN


def test_inputs_table_says_no_data_and_the_years_each_input_covers():
    inputs = pd.DataFrame({"fy": ["2018-19", "2019-20"], "hn_spend_gbp": [4.729e9, 5.164e9],
                           "hnb_before_deductions_gbp": [np.nan, 6.279e9], "hnb_after_deductions_gbp": [np.nan, 5.47e9],
                           "dsg_total_gbp": [np.nan, 44.87e9], "dsg_balance_gbp": [np.nan, np.nan]})
    lines = findings.inputs_table(inputs).splitlines()
    assert lines[0].startswith("| Financial year | High\\-needs spending \\(S251 lines 1\\.2\\.x\\) |")
    assert lines[2] == "| 2018\\-19 | £4\\.73bn | no data | no data | no data | no data |"
    assert "High needs block before deductions&#58; 2019\\-20 in the files we read\\.  " in lines
    assert "Cumulative DSG balance \\(positive = deficit\\)&#58; no year in the files we read\\.  " in lines


def test_projection_and_backtest_tables():
    national = pd.DataFrame({"fy": ["2021-22", "2022-23"], "n_units": [148, 148], "funding_gbp": [6.976e9, 7.986e9],
                             "spend_gbp": [6.486e9, 7.228e9], "gap_gbp": [3.5e8, -8.4e7], "balance_gbp": [1.154e9, 1.07e9],
                             "balance_pct_of_dsg": [2.258, 1.99]})
    rows = findings.projection_table(national, "2021-22").splitlines()
    assert rows[2] == "| 2021\\-22 \\(observed\\) | 148 | £6\\.98bn | £6\\.49bn | \\+£0\\.35bn | £1\\.15bn | 2\\.3% |"
    assert rows[3].startswith("| 2022\\-23 | 148 |") and "\\-£0\\.08bn" in rows[3]
    path = findings.projection_path(national)
    assert set(path["series"]) == set(findings.PROJECTION_SERIES.values()) and path["gbp_bn"].max() == 7.986
    test = pd.DataFrame({"level": ["national", "unit"], "unit": ["national", "A"], "fy": ["2023-24"] * 2,
                         "n_units": [148, 1], "assumed_gbp": [9.438e9, 1e8], "actual_gbp": [9.952e9, 1.1e8],
                         "difference_pct": [0.0545, 0.1]})
    table = findings.backtest_table(test, "assumed_gbp", "assumed allocation").splitlines()
    assert table[0] == "| Financial year | Councils | Assumed allocation | Actual | Actual above \\(\\+\\) or below \\(\\-\\) |"
    assert table[2:] == ["| 2023\\-24 | 148 | £9\\.44bn | £9\\.95bn | \\+5\\.5% |"]
    assert findings.in_bn(test, "assumed_gbp")["assumed_gbp"].tolist() == [9.438, 0.1]


def test_over_threshold_table_lists_every_council_with_names():
    over = pd.DataFrame({"unit": ["315", "cumbria"], "unit_name": ["Merton", "Cumbria (Cumberland and Westmorland)"],
                         "first_fy_over": ["2021-22", "2025-26"], "n_years_over": [6, 2],
                         "2021-22": [13.94, 3.6], "2022-23": [16.28, np.nan]})
    lines = findings.over_threshold_table(over, ["2021-22", "2022-23"], 10.0).splitlines()
    assert lines[0] == "| Council | First year over | Years over | 2021\\-22 | 2022\\-23 |"
    assert lines[2] == "| Merton \\(315\\) | 2021\\-22 | 6 | 13\\.9% | 16\\.3% |"
    assert lines[3] == "| Cumbria \\(Cumberland and Westmorland\\) | 2025\\-26 | 2 | 3\\.6% | no data |"
    assert lines[5].startswith("All 2 councils whose cumulative DSG deficit passes 10% of their total DSG")
