"""The sentences and tables of notebook 07, on hand-made numbers with known wording."""

import numpy as np
import pandas as pd

from sendlib.analysis import selection as S
from sendlib.findings import selection as say

#: Frame mean 15% against 45% for the others, all units 34%; interval -40 to -20 points.
PARTS = S.Decomposition(0.15, 0.45, 0.34, -0.3, -0.4, -0.2, -0.09, -0.19, 2.1, 0.0012, 0.0009, 20000)
CLAIM = {"n_frame": 2, "n_others": 3, "frame_mean": 0.15, "others_mean": 0.45, "all_mean": 0.34,
         "claim_pct_frame_groups": 1.0, "claim_pct_other_groups": 0.0, "claim_pct_all_groups": 0.006,
         "claim_pct_frame_groups_mc_se": 0.0, "claim_pct_other_groups_mc_se": 0.0,
         "claim_pct_all_groups_mc_se": np.sqrt(0.006 * 0.994 / 20000), "n_draws": 20000}


def test_frame_sentence_says_when_camden_is_left_out():
    summary = S.FrameSummary("dsg_cumulative", 3, ["x"], ["X"], False, [])
    assert "Camden, the one named case study, is NOT in it" in say.frame_sentence(summary)
    kept = S.FrameSummary("dsg_in_year", 45, ["202"], ["Camden"], True, ["Bury", "Tower Hamlets"])
    assert say.frame_sentence(kept) == (
        "**DSG balance improved during FY2020-21 (no 2020-21 safety-valve payment)**: 45 units. Camden, the one named "
        "case study, is in it. Left out for a 2020-21 safety-valve agreement: Bury and Tower Hamlets.")


def test_every_rule_and_follow_up_measure_has_words():
    assert set(say.FRAME_RULE_NAMES) == set(S.FRAME_RULES)
    assert set(say.FOLLOW_UP_NAMES) == set(S.FOLLOW_UP_MEASURES)
    assert set(say.GROUP_NAMES) == {S.FRAME, S.OTHERS}


def test_claim_conclusion_gives_the_gap_the_rule_explains_and_every_share_with_its_error():
    sentence = say.claim_conclusion("dsg_in_year", 0.25, CLAIM, PARTS, 0.95, 10)
    assert "the rule explains all of it, and more of that gap" in sentence  # frame mean 15% is below the 25% claim
    assert ("grew by a mean 15.0% against 45.0% for the other 3 (difference -30.0 points; 95% CI -40.0 to -20.0 "
            "points, Monte Carlo s.e. of the ends at most 0.12 points)") in sentence
    assert "The claimed 25.0% is 9.0 points below the all-unit mean (34.0%)" in sentence
    assert "all 20,000 groups from the frame (above 99.985% at 95% confidence)" in sentence
    assert "0.6% of groups from all units (Monte Carlo s.e. 0.055 points, 20,000 draws)" in sentence
    assert "none of 20,000 groups from outside the frame" in sentence
    partly = S.Decomposition(0.3, 0.4, 0.34, -0.1, -0.2, 0.0, -0.09, -0.04, 0.44, 0.001, 0.001, 2000)
    assert "explains about 44% of that gap" in say.claim_conclusion("dsg_in_year", 0.25, CLAIM, partly, 0.95, 10)


def analysis() -> S.RuleAnalysis:
    summary = S.FrameSummary("hnb_vs_spend", 2, ["202", "a"], ["Camden", "A"], True, [])
    return S.RuleAnalysis(summary, pd.DataFrame(), CLAIM, PARTS, pd.DataFrame(), "vanished")


def test_overview_members_and_overlap():
    shown = say.overview_frame([analysis()])
    assert shown.iloc[0].tolist() == ["FY2020-21 high-needs block covered spend plus place funding", 2, "yes", "15.0%",
                                      "45.0%", "100% (all; > 99.985%)", "vanished"]
    assert say.members_sentence(analysis().summary) == (
        "**Members of the frame \"FY2020-21 high-needs block covered spend plus place funding\"** (2): Camden; A.")
    assert say.overlap_sentence({"dbv": ["Hull, City of"], "safety_valve": []}, "2022-06-23") == (
        "As at 2022\\-06\\-23, of the frame's units: 1 in Delivering Better Value (Hull, City of); 0 in the safety valve.")


def claims() -> pd.DataFrame:
    return pd.DataFrame([{"measure": "hn_spend", "basis": "cash", "denominator": "total", "base_fy": "2018-19",
                          "end_fy": "2021-22", **CLAIM, "claim_pct_frame_groups": np.nan,
                          "claim_pct_frame_groups_mc_se": np.nan}])


def test_claim_table_shows_shares_with_their_errors_and_says_what_no_data_means():
    shown = say.claim_table_frame(claims())
    assert shown.iloc[0].tolist() == ["high-needs spending, cash", "2018-19 to 2021-22", "2", "3", "15.0%", "45.0%",
                                      "no data", "0% (none; < 0.015%)", "0.6% (0.055)"]
    assert "nan" not in shown.to_string().lower()
    assert say.claim_table_note(claims(), 10).startswith(
        "Each share: 20,000 random groups of 10 units, drawn without replacement. \"no data\": fewer units than 10 in "
        "that pool.")


def follow() -> pd.DataFrame:
    return pd.DataFrame({"measure": ["spend", "ehcp"], "from_fy": ["2021-22"] * 2, "to_fy": ["2022-23", "2024-25"],
                         "n_frame": [45, 45], "n_others": [105, 105], "frame_mean": [0.165, 0.371],
                         "others_mean": [0.134, 0.344], "difference": [0.031, -0.0004], "low": [0.007, -0.019],
                         "high": [0.056, 0.073], "low_mc_se": [0.0004, 0.0006], "high_mc_se": [0.0005, 0.001]})


def test_follow_up_table_note_and_verdict():
    shown = say.follow_up_frame(follow(), 0.95)
    assert shown.columns[-1] == "95% interval" and shown["years"].iloc[0] == "2021-22 to 2022-23"
    assert shown.iloc[0].tolist() == ["high-needs spend (S251 1.2.x), cash", "2021-22 to 2022-23", "45", "105", "16.5%",
                                      "13.4%", "+3.1 points", "+0.7 to +5.6 points"]
    assert shown.iloc[1]["difference"] == "0.0 points"
    assert say.follow_up_note(follow()).endswith("the largest Monte Carlo standard error of an interval end in this "
                                                 "table is 0.10 points.")
    sentence = say.follow_up_sentence("dsg_in_year", PARTS, follow().iloc[0], 0.95)
    assert sentence.endswith("from 2021-22 to 2022-23 the difference is +3.1 points (95% CI +0.7 to +5.6 points): the "
                             "slower growth reversed: the frame grew faster (the interval is above 0).")
    no_gap = S.Decomposition(0.4, 0.3, 0.34, 0.1, 0.0, 0.2, 0.15, 0.06, 0.4)
    assert "was never there" in say.follow_up_sentence("dsg_in_year", no_gap, follow().iloc[0], 0.95)
