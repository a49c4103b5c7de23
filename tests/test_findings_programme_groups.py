"""The sentences and tables of notebook 03, on hand-made numbers with known wording."""

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis.programme_groups import GroupYears, unit_measure_columns
from sendlib.findings import programme_groups as say
from sendlib.programmes import COUNT_ITEMS

YEARS = GroupYears("2019-20", "2021-22", ("2019-20", "2020-21", "2021-22"), ("2019-20", "2021-22"), "2021-22")


def counts_table(claimed: list[float], known: list[float], as_at: str = "2022-06-23") -> pd.DataFrame:
    return pd.DataFrame({"as_at": pd.Timestamp(as_at), "item": COUNT_ITEMS, "claimed": claimed, "known": known,
                         "claimed_as_at": pd.Timestamp(as_at)})


def test_counts_sentence_checks_the_published_arithmetic():
    sentence = say.counts_sentence(counts_table([55, 34, 14, 20, 89, np.nan, 152, 58.6], [46, 31, 14, 17, 77, 0, 152, 50.7]))
    assert sentence.startswith("As at 23 June 2022, England had 152 local authorities (published: 152).")
    assert "Of the 55 Delivering Better Value councils published, 46 are known by name (9 not identified" in sentence
    assert "14 councils with signed agreements and 20 then in negotiation (14 and 17 known)" in sentence
    assert "No council was in both programmes." in sentence
    assert "is 55 + 34, which is right since no council was in both; 89 of 152 LAs is 58.6% (published: the same)" in sentence
    doubled = say.counts_sentence(counts_table([55, 34, 14, 20, 89, np.nan, 152, 58.6], [46, 31, 14, 17, 74, 3, 152, 48.7]))
    assert "which counts the 3 councils in both twice" in doubled


def test_counts_display_has_readable_headings_and_no_nan():
    table = counts_table([55, 34, 14, 20, 89, np.nan, 152, 58.6], [46, 31, 14, 17, 77, 0, 152, 50.66])
    table["shortfall"] = table["claimed"] - table["known"]
    table["claimed_source"] = pd.Series(["s"] * 5 + [pd.NA] + ["s"] * 2, dtype="string")
    table.loc[5, "claimed_as_at"] = pd.NaT
    shown = say.counts_display(table)
    assert shown.columns.tolist() == ["", "published", "known by name", "not identified", "published figure describes",
                                      "source"]
    assert shown.iloc[5].tolist() == ["councils in both programmes", "", "0", "", "", ""]
    assert shown.iloc[7]["known by name"] == "50.7" and "nan" not in shown.to_string().lower()


def test_every_measure_has_a_label_a_unit_and_a_format():
    for column in unit_measure_columns(YEARS):
        assert say.measure_labels(YEARS)[column] and say.measure_unit(column)
        assert say.level_text(column, 1.5) != say.level_text(column, None) == "no data"
    assert say.measure_labels(YEARS)["spend_to_hnb_pct"] == "spend as % of the high-needs block, FY2019-20 to 2021-22"


@pytest.mark.parametrize(("column", "value", "level", "difference", "se", "error"), [
    ("spend_growth_cash_pct", 6.94, "6.9%", "+6.9 points", 0.07, "0.07 points"),
    ("dsg_balance_2019_20_pct", -0.5, "-0.5%", "-0.5 points", 0.012, "0.01 points"),
    ("hnb_minus_spend_gbp", -8_137_652.0, "-£8.1m", "-£8.1m", 21_345.4, "£21,345"),
    ("ehcp_per_10k_0_25", 39.97, "40.0", "+40.0 per 10,000", 0.274, "0.27 per 10,000"),
])
def test_levels_differences_and_errors_in_each_measures_unit(column, value, level, difference, se, error):
    assert say.level_text(column, value) == level
    assert say.difference_text(column, value) == difference
    assert say.error_text(column, se) == error


def test_range_text_keeps_one_unit():
    assert say.range_text("spend_growth_cash_pct", -16.3, 2.4) == "-16.3 to +2.4 points"
    assert say.range_text("ehcp_per_10k_0_25", 17.0, 62.5) == "+17.0 to +62.5 per 10,000"
    assert say.range_text("hnb_minus_spend_gbp", -11.2e6, -5.2e6) == "-£11.2m to -£5.2m"


def differences() -> pd.DataFrame:
    return pd.DataFrame({
        "measure": ["spend_growth_cash_pct", "spend_growth_cash_pct", "ehcp_per_10k_0_25"],
        "group_a": ["safety valve", "safety valve", "DBV"], "group_b": ["neither", "DBV", "neither"],
        "difference": [6.94, -12.5, 23.8], "low": [1.2, -22.4, -2.7], "high": [12.34, -2.6, 44.3],
        "low_mc_se": [0.05, 0.08, 0.3], "high_mc_se": [0.06, 0.07, 0.25], "p_value": [0.0213, 0.018, np.nan],
        "n_a": [34, 34, 45], "n_b": [74, 45, 74], "seed": [1, 2, 3], "n_draws": [20000] * 3})


def test_difference_sentence():
    row = differences().iloc[0]
    assert say.difference_sentence(row, "spend growth", 0.95) == (
        "safety valve minus neither, spend growth: +6.9 points (95% CI +1.2 to +12.3 points; Welch p = 0.021; n = 34 "
        "and 74): the interval excludes 0"
    )
    straddling = differences().iloc[2]
    assert "Welch p not defined" in say.difference_sentence(straddling, "x", 0.9)
    assert say.difference_sentence(straddling, "x", 0.95).endswith("the interval includes 0: no clear difference")


def test_differences_table_note_and_the_comparisons_with_neither():
    labels = {"spend_growth_cash_pct": "spend growth", "ehcp_per_10k_0_25": "EHC plans per 10,000"}
    shown = say.differences_frame(differences(), labels, 0.95)
    assert shown.iloc[2].tolist() == ["EHC plans per 10,000", "DBV minus neither", "+23.8 per 10,000",
                                      "-2.7 to +44.3 per 10,000", "p not defined", "45 and 74"]
    note = say.differences_note(differences(), list(labels), labels)
    assert note == ("Intervals: percentile bootstrap over 20,000 resamples of each group. Largest Monte Carlo standard "
                    "error of an interval end, by measure: spend growth 0.08 points; EHC plans per 10,000 0.30 per "
                    "10,000.")
    text = say.against_neither(differences(), labels, 0.95)
    assert text.count("\n- ") == 2 and "safety valve minus DBV" not in text


def test_group_sizes_sentence_names_units_in_both():
    sizes = pd.Series({"safety valve": 31, "DBV": 45, "neither": 74})
    assert say.group_sizes_sentence(sizes, pd.DataFrame(), "safety valve") == (
        "150 units: 31 safety valve, 45 DBV, 74 neither. No unit is in both programmes.")
    both = pd.DataFrame({"unit_name": ["BCP with Dorset"], "dbv_tranche": ["tranche 1"],
                         "safety_valve_year": ["2021-22"]})
    assert ("1 unit is in both programmes and goes to the safety valve group (parameter `both_rule`): BCP with Dorset "
            "(DBV tranche 1, safety valve 2021\\-22).") in say.group_sizes_sentence(sizes, both, "safety valve")


def summary() -> pd.DataFrame:
    rows = [("spend_to_hnb_pct", "safety valve", 31, 104.7, 99.2), ("spend_to_hnb_pct", "DBV", 44, 98.8, 97.5),
            ("hnb_minus_spend_gbp", "safety valve", 31, -1_987_158.6, 198_973.4),
            ("dsg_balance_2019_20_pct", "safety valve", 31, 5.3, 4.0), ("dsg_balance_2019_20_pct", "DBV", 45, 1.4, 1.5),
            ("dsg_balance_2019_20_pct", "neither", 72, -0.5, -0.4), ("spend_growth_real_pct", "safety valve", 31, 30.1, 0),
            ("spend_growth_real_pct", "DBV", 45, 41.0, 0), ("spend_growth_real_pct", "neither", 74, 36.3, 0),
            ("spend_to_hnb_pct", "neither", 72, 88.4, 87.0)]
    return pd.DataFrame(rows, columns=["measure", "programme_group", "n", "mean", "median"])


def test_summary_frame_in_each_measures_unit_with_missing_groups_said():
    labels = {"spend_to_hnb_pct": "spend as % of the block", "hnb_minus_spend_gbp": "block minus spend"}
    shown = say.summary_frame(summary(), list(labels), labels).set_index("measure")
    assert shown.loc["spend as % of the block", "DBV: mean"] == "98.8%"
    assert shown.loc["block minus spend", "safety valve: mean"] == "-£2.0m"
    assert shown.loc["block minus spend", "DBV: units"] == "0" and shown.loc["block minus spend", "DBV: mean"] == "no data"


def test_selection_not_effect_quotes_the_first_balances():
    text = say.selection_not_effect(summary(), YEARS, "2020-21")
    assert text.startswith("**Selection, not effect.** At the end of FY2019-20, before any safety-valve agreement (the "
                           "first are for 2020-21), the mean cumulative DSG balance was **+5.3% of the DSG** in "
                           "safety-valve councils, +1.4% in DBV councils and -0.5% in the rest")
    assert "grew by a mean 30.1% (safety valve), 41.0% (DBV) and 36.3% (neither) in real terms from 2019-20" in text
    assert text.endswith("averaged 104.7%, 98.8% and 88.4%.")


def test_membership_tables_show_every_council_and_the_events():
    members = pd.DataFrame({"group": ["tranche 1"], "n_councils": [2], "n_inferred": [1], "councils": ["A; B*"]})
    inferred = pd.DataFrame({"la_code": ["815"], "la_name": ["North Yorkshire"], "group": ["tranche 3 (inferred)"],
                             "confidence": ["medium"], "note": ["by elimination"]})
    events = pd.DataFrame({"date": pd.to_datetime(["2024-03-31"]), "la_name": ["Bristol"],
                           "programme": ["delivering_better_value"], "event": ["moved to the safety valve"]})
    text = say.membership_tables(members, inferred, members, events)
    assert "| tranche 1 | 2 | 1 | A; B\\* |" in text and "| North Yorkshire \\(815\\) |" in text
    assert "| 2024\\-03\\-31 | Bristol | Delivering Better Value | moved to the safety valve |" in text


def test_box_measures_and_block_minus_spend_sentence():
    assert say.box_measures(YEARS)[2] == "dsg_balance_2021_22_pct"
    totals = pd.DataFrame({"programme_group": ["DBV", "neither", "DBV"], "fy": ["2023-24", "2023-24", "2022-23"],
                           "total": [-120.7e6, 343.4e6, 1.0]})
    assert say.block_minus_spend_sentence(totals, "2023-24").startswith(
        "In FY2023-24 the high-needs block after deductions exceeded S251 1.2.x spend by -£120.7m (DBV), £343.4m "
        "(neither) (negative: spend above the block).")
