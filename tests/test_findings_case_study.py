"""The sentences and tables of notebook 02, on hand-made numbers with known wording."""

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import case_study as cs
from sendlib.analysis.growth import NationalGrowth, SimulatedInterval, SimulatedQuantile, SimulatedShare
from sendlib.findings import case_study as say

SUMMARY = "high-needs spending, cash"


def units(named_growth: dict[str, float] | None = None, excluded: bool = False) -> cs.ClaimAmongUnits:
    """Five units growing 10%..50%, Camden (202) named at 10%; optionally a unit without growth."""
    named_growth = {"202": 0.1} if named_growth is None else named_growth
    growth = {"202": 0.1, "203": 0.2, "204": 0.3, "205": 0.4, "cumbria": 0.5}
    table = pd.DataFrame({"unit": list(growth), "growth": list(growth.values()), "excluded_reason": pd.NA,
                          "unit_name": ["Camden", "Unit 203", "Unit 204", "Unit 205", "Cumbria"]})
    table["case_study"] = table["unit"].isin(list(named_growth))
    if excluded:
        table.loc[len(table)] = ["206", np.nan, "missing end value (2021-22)", "Unit 206", False]
    known = table.dropna(subset=["growth"])
    named = known.loc[known["case_study"], ["unit", "unit_name", "growth"]].reset_index(drop=True)
    named["percentile"] = [0.2 * (i + 1) for i in range(len(named))]
    national = NationalGrowth(100.0, 131.0, 0.31, 5, ("206",) if excluded else ())
    return cs.ClaimAmongUnits(table, known, national, 0.25, 0.4, 2, named, cs.distribution_table(known["growth"]))


def groups(share: float = 0.006, n_unnamed: int = 9) -> cs.ClaimAmongGroups:
    central = SimulatedInterval(0.37, SimulatedQuantile(0.025, 0.277, 0.0008), SimulatedQuantile(0.975, 0.467, 0.001),
                                0.95, 20000)
    unnamed = cs.UnnamedMembers(n_unnamed, 0.267, 0.018, 20000)
    return cs.ClaimAmongGroups(np.array([0.3, 0.4]), SimulatedShare(share, 20000), central, unnamed, 10, 1)


def test_run_summary_names_the_case_study_council_with_its_code():
    text = say.run_summary(SUMMARY, "2018-19", "2021-22", units().named, 10, 0.25)
    assert text == ("Measure: **high-needs spending, cash**, growth from **2018-19** to **2021-22**. Named case-study "
                    "council(s): Camden \\(202\\). The claimed group has 10 councils averaging 25.0% growth.")


def test_distribution_frame_in_words_and_percent():
    shown = say.distribution_frame(units().distribution)
    assert shown["statistic"].tolist()[:3] == ["units with a growth value", "mean", "lowest"]
    assert shown.set_index("statistic")["growth"].to_dict() | {} == {
        "units with a growth value": "5", "mean": "30.0%", "lowest": "10.0%", "10th percentile": "14.0%",
        "25th percentile": "20.0%", "median": "30.0%", "75th percentile": "40.0%", "90th percentile": "46.0%",
        "highest": "50.0%"}


def test_claim_among_units_gives_england_the_median_and_the_named_council():
    text = say.claim_among_units(units(), SUMMARY, "2018-19", "2021-22")
    assert text.startswith("From 2018-19 to 2021-22, high-needs spending, cash grew by **31.0%** in England (5 units).")
    assert "The median unit grew by 30.0%." in text
    assert "The claimed 25.0% is at or above the growth of **40.0%** of the 5 units: 2 of them grew by less." in text
    assert "Camden grew by 10.0% (20.0% of units grew by at most that)." in text and "without a growth" not in text
    partial = say.claim_among_units(units(excluded=True), SUMMARY, "2018-19", "2021-22")
    assert "(5 units; left out for lack of data: 206)" in partial
    assert "Units without a growth value: Unit 206 \\(206\\) (missing end value \\(2021\\-22\\))." in partial


def test_claim_among_groups_gives_each_simulated_number_its_error():
    text = say.claim_among_groups(groups(), 0.25)
    assert ("The central 95% of random groups of 10 averaged 27.7% to 46.7% (Monte Carlo s.e. of the ends at most "
            "0.1 points, 20,000 draws).") in text
    assert "**0.6% of random groups of 10 units (Monte Carlo s.e. 0.055 points, 20,000 draws)**" in text
    assert "the other 9 would have to average **26.7%**" in text
    assert "1.8% of random groups of 9 other units (Monte Carlo s.e. 0.094 points, 20,000 draws) average" in text
    everyone = say.claim_among_groups(groups(share=0.0, n_unnamed=0), 0.25)
    assert "none of 20,000 random groups of 10 units (below 0.015% at 95% confidence)" in everyone
    assert "would have to average" not in everyone


def test_named_group_interval_says_when_it_cannot_be_estimated():
    one = cs.GroupInterval(1, 0.093, np.nan, np.nan, 0.95, False, "one member")
    assert "**No interval can be estimated** (one member)" in say.named_group_interval(one, 10)
    assert "without the other 9 councils" in say.named_group_interval(one, 10)
    simulated = SimulatedInterval(0.2, SimulatedQuantile(0.025, 0.1, 0.002), SimulatedQuantile(0.975, 0.3, 0.001),
                                  0.95, 2000)
    two = cs.GroupInterval(2, 0.2, 0.1, 0.3, 0.95, True, "percentile bootstrap over 2 members", simulated)
    assert ("95% bootstrap interval: 10.0% to 30.0% (Monte Carlo s.e. of the ends at most 0.2 points, 2,000 draws)"
            in say.named_group_interval(two, 10))


def effects() -> pd.DataFrame:
    return pd.DataFrame({
        "membership": ["case_study", "dbv", "safety_valve"], "n": [150] * 3, "n_members": [1, 46, 31],
        "coefficient": [-0.0606, 0.0181, 0.0396], "robust_se": [np.nan, 0.0256, 0.0421],
        "robust_p_value": [np.nan, 0.4782, 0.0004], "hc3_defined": [False, True, True],
        "classical_se": [0.1483, 0.0261, 0.0307], "classical_p_value": [0.6834, 0.488, 0.1999]})


def test_regression_frame_says_why_a_standard_error_is_missing():
    shown = say.regression_frame(effects())
    assert shown.iloc[0].tolist() == ["named case-study councils", "150 (1)", "-6.1 points",
                                      "not defined (a member has leverage 1)", "not defined", "14.8 points", "p = 0.683"]
    assert shown.iloc[2]["robust p"] == "p < 0.001" and "nan" not in shown.to_string().lower()


def test_regressions_compare_member_counts_with_dfe():
    text = say.regressions(effects(), {"dbv": 55.0, "safety_valve": 34.0}, "2022-06-23")
    lines = text.splitlines()
    assert lines[0] == ("- **named case-study councils** (1 of 150 units): -6.1 points of growth; HC3 s.e. not defined "
                        "(a member has leverage 1); classical s.e. 14.8 points, p = 0.683.")
    assert lines[1].endswith("HC3 s.e. 2.6 points, p = 0.478; classical s.e. 2.6 points, p = 0.488.")
    assert "DBV 46 (DfE counts 55 DBV councils), safety valve 31 (DfE counts 34)" in text


def sensitivity() -> pd.DataFrame:
    return pd.DataFrame({
        "measure": ["hn_spend"] * 3, "basis": ["cash", "cash", "real"], "denominator": ["total"] * 3,
        "base_fy": ["2018-19"] * 3, "end_fy": ["2020-21", "2021-22", "2021-22"], "n_units": [150] * 3,
        "national_growth": [0.203, 0.372, 0.279], "claim_percentile_among_units": [0.673, 0.2, 0.433],
        "claim_percentile_among_random_groups": [0.9, 0.006, 0.0],
        "claim_percentile_among_random_groups_mc_se": [np.sqrt(0.09 / 20000), np.sqrt(0.006 * 0.994 / 20000), 0.0],
        "random_group_size": [10] * 3})


def test_sensitivity_frame_and_note_show_every_row_with_its_error():
    shown = say.sensitivity_frame(sensitivity(), 20000)
    assert len(shown) == 3 and shown.iloc[1].tolist() == ["high-needs spending, cash", "2018-19 to 2021-22", "150",
                                                          "37.2%", "20.0%", "0.6% (0.055)"]
    assert shown.iloc[2]["random groups at most the claim"] == "0% (none; < 0.015%)"
    note = say.sensitivity_note(sensitivity(), 20000)
    assert note.startswith("Random groups: 20,000 groups of 10 units for each row; the largest Monte Carlo standard "
                           "error in the table is 0.21 points.")


def test_sensitivity_counts_combinations_and_names_skipped_measures():
    table = sensitivity()
    text = say.sensitivity(table, cs.percentile_ranges(table), {"hnb_after_deductions": ["2019-20", "2023-24"]},
                           0.25, 10)
    assert text.startswith("Over 3 combinations, the claimed 25.0% is at or below the median unit in 2. A random group "
                           "of 10 averages that little less than 5% of the time in 2.")
    assert "- high-needs spending, cash: 20.0% to 67.3% of units grew by at most the claim" in text
    assert ("Not in the table, for lack of data in these years: the high needs block after deductions, cash "
            "(data 2019-20 to 2023-24).") in text


def selection() -> pd.DataFrame:
    return pd.DataFrame({"group": ["lowest growth", "highest growth"],
                         "rule": ["the 2 units with the lowest growth", "the 2 units with the highest growth"],
                         "n": [2, 2], "mean_growth": [0.15, 0.45], "units": ["202+203", "205+cumbria"],
                         "share_of_random_groups": [0.0, 1.0], "share_of_random_groups_mc_se": [0.0, 0.0]})


def test_selection_names_members_and_the_named_council():
    names = {"202": "Camden", "203": "Bristol, City of", "205": "Unit 205", "cumbria": "Cumbria"}
    shown = say.selection_frame(selection(), names, 20000)
    assert shown["members"].tolist() == ["Camden; Bristol, City of", "Unit 205; Cumbria"]
    assert shown["random groups at most that"].tolist() == ["0% (none; < 0.015%)", "100% (all; > 99.985%)"]
    text = say.selection(selection(), ["202"], names, 0.3, 0.25, 2)
    assert text.splitlines() == [
        "Picking 2 units on the outcome gives group averages from 15.0% to 45.0%. Random groups average 30.0% and "
        "the claim is 25.0%:",
        "- the 2 units with the lowest growth: mean growth **15.0%**; includes Camden.",
        "- the 2 units with the highest growth: mean growth **45.0%**."]


def test_what_is_known_lists_who_when_which_against_and_uncertainty():
    interval = cs.GroupInterval(1, 0.1, np.nan, np.nan, 0.95, False, "one member")
    text = say.what_is_known(units(), groups(), interval, sensitivity(), {"2017-18": 0.127, "2018-19": 0.2},
                             SUMMARY, "2021-22")
    lines = text.splitlines()
    assert lines[0] == "- **Who:** 1 of the 10 councils is named (Camden \\(202\\)); the other 9 have not been published."
    assert "the share of units growing by at most the claim is 12.7% from 2017-18 and 20.0% from 2018-19." in lines[1]
    assert "ranges from 20.0% to 67.3%." in lines[2]
    assert "0.6% of random groups of 10 units (Monte Carlo s.e. 0.055 points, 20,000 draws) average at most 25.0%" in lines[3]
    assert lines[4] == "- **Uncertainty of the group's own mean:** not estimable from the named member(s) alone."
    assert "no sensitivity row matches" in say.what_is_known(units(), groups(), interval, sensitivity(), {}, SUMMARY,
                                                             "2021-22")


@pytest.mark.parametrize("column", list(say.SENSITIVITY_TITLES))
def test_every_sensitivity_heatmap_is_a_column_of_the_table(column):
    assert column in cs.SENSITIVITY_COLUMNS
