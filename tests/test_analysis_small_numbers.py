"""Small-number flags (sendlib.analysis.small_numbers) and their words in the council profile
(sendlib.findings.council), on a hand-made panel."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sendlib.analysis import small_numbers
from sendlib.findings import council

PANEL = pd.DataFrame({
    "unit": ["420"] * 3 + ["857"] * 3 + ["356"] * 3,
    "fy": ["2017-18", "2023-24", "2024-25"] * 3,
    "ehcp_count": [11.0, 18.0, 17.0, 230.0, 340.0, 499.0, 1500.0, 2900.0, float("nan")],
})
YEARS = {"spend_per_head_2_18_gbp": "2023-24", "dsg_balance_pct": "2021-22", "spend_growth_pct": "2017-18 to 2024-25",
         "spend_per_ehcp_gbp": "2024-25"}


def test_measures_resting_on_fewer_than_500_plans_are_flagged_with_the_smallest_count() -> None:
    flags = small_numbers.small_number_flags(PANEL, "420", YEARS).set_index("measure")
    assert list(flags.index) == ["spend_per_head_2_18_gbp", "spend_growth_pct", "spend_per_ehcp_gbp"]
    assert flags.loc["spend_growth_pct", ["count", "count_fy"]].tolist() == [11.0, "2017-18"], "a growth: either year"
    assert flags.loc["spend_per_head_2_18_gbp", "chance_share"] == pytest.approx(1 / math.sqrt(18))
    assert flags["threshold"].eq(500).all() and flags["count_label"].eq("EHC plans").all()


def test_the_threshold_is_strict_and_a_missing_count_is_no_flag() -> None:
    assert small_numbers.small_number_flags(PANEL, "857", {"spend_per_ehcp_gbp": "2024-25"})["count"].tolist() == [499]
    assert small_numbers.small_number_flags(PANEL, "356", YEARS).empty
    assert small_numbers.small_number_flags(PANEL, "356", {"spend_per_ehcp_gbp": "2024-25"}).empty


def test_the_registry_takes_new_counts_and_measures() -> None:
    timeliness = {"pct_within_20_weeks": small_numbers.SmallCount("new_count", "new EHC plans", 50)}
    panel = PANEL.assign(new_count=[2.0] * 3 + [60.0] * 6)
    flags = small_numbers.small_number_flags(panel, "420", {"pct_within_20_weeks": "2023-24"},
                                             {"pct_within_20_weeks": "pct_within_20_weeks"}, timeliness)
    assert flags[["measure", "count", "threshold"]].values.tolist() == [["pct_within_20_weeks", 2.0, 50]]


def test_flags_are_marked_beside_the_values_and_explained_in_a_note() -> None:
    flags = small_numbers.small_number_flags(PANEL, "420", YEARS)
    table = pd.DataFrame({"measure": ["spend_per_head_2_18_gbp", "dsg_balance_pct", "spend_per_ehcp_gbp"]})
    headline = pd.DataFrame({"Isles of Scilly": ["£1,059", "2.0%", "no data"]})
    marked = council.mark_small_numbers(headline, table, flags, "Isles of Scilly")
    assert marked["Isles of Scilly"].tolist() == ["£1,059 (small numbers)", "2.0%", "no data"]
    (note,) = council.small_numbers_notes(flags, "Isles of Scilly")
    assert note.startswith("Small numbers: Isles of Scilly had 11 EHC plans in 2017-18, fewer than 500: by chance "
                           "alone a count that size moves by about 3 of them (30%) a year")
    assert council.small_numbers_notes(flags.iloc[0:0], "x") == []


def test_data_zip_name_and_sentence() -> None:
    assert council.data_zip_name("Kingston upon Hull, City of", "810") == "kingston_upon_hull_810_high_needs_data"
    assert council.data_zip_name("St. Helens", "342") == "st_helens_342_high_needs_data"
    assert council.data_sentence("st_helens_342_high_needs_data").endswith(
        "[st\\_helens\\_342\\_high\\_needs\\_data.zip](st_helens_342_high_needs_data.zip).")


def test_headline_table_marks_and_explains_small_numbers() -> None:
    table = pd.DataFrame({"measure": ["spend_per_head_2_18_gbp"], "label": ["High-needs spending per head aged 2-18"],
                          "unit": ["gbp"], "fy": ["2023-24"], "value": [1059.2], "comparators_mean": [700.0],
                          "n_comparators_with_value": [2], "n_comparators": [2], "england": [758.0], "note": [""],
                          "denominator": [math.nan], "small": [False]})  # as measure_table gives it
    flags = small_numbers.small_number_flags(PANEL, "420", {"spend_per_head_2_18_gbp": "2023-24"})
    text = council.headline_table(table, flags, "Isles of Scilly", "Neighbours' average (2)")
    row = "| High\\-needs spending per head aged 2\\-18 | 2023\\-24 | £1,059 \\(small numbers\\) | £700 | £758 |"
    assert row in text
    assert "Small numbers&#58; Isles of Scilly had 18 EHC plans in 2023\\-24" in text


@pytest.mark.needs_data
def test_on_the_real_panel_the_threshold_marks_three_units(panel: pd.DataFrame) -> None:
    """As the README and the module say: the Isles of Scilly, the City of London and Rutland."""
    rule = small_numbers.SMALL_COUNTS["ehcp_count"]
    years = panel[panel["fy"].between("2017-18", "2024-25")]
    assert set(years.loc[years[rule.column] < rule.threshold, "unit"]) == {"201", "420", "857"}
