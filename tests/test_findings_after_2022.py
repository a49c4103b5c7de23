"""The verdicts and sentences of notebook 08 on hand-made numbers."""

import pandas as pd
import pytest

from sendlib.findings import after_2022 as f

NAN = float("nan")


def effect(**changes) -> dict:
    base = {"programme": "safety_valve", "outcome": "hn_spend", "estimate": -0.083, "ci_low": -0.112,
            "ci_high": -0.053, "pre_trend_p": 0.41, "pre_trend_df": 4, "n_treated": 32, "n_control": 73,
            "first_fy": "2017-18", "last_fy": "2024-25", "scale": "proportional difference", "note": ""}
    return base | changes


@pytest.mark.parametrize("low, high, expected", [(-0.2, -0.01, f.SLOWER), (-0.1, 0.1, f.NO_DIFFERENCE),
                                                 (0.01, 0.3, f.FASTER), (NAN, NAN, f.NOT_ESTIMATED),
                                                 (-0.1, 0.0, f.NO_DIFFERENCE)])
def test_direction(low, high, expected):
    assert f.direction(low, high) == expected


def test_a_failed_pre_trend_test_makes_the_verdict_not_credible():
    assert f.verdict(-0.2, -0.1, 0.01, 0.95) == f.NOT_CREDIBLE
    assert f.verdict(-0.2, -0.1, 0.06, 0.95) == f.SLOWER
    assert f.verdict(-0.2, -0.1, 0.06, 0.90) == f.NOT_CREDIBLE  # the test's size follows the level
    assert f.verdict(-0.2, -0.1, NAN, 0.95) == f.SLOWER  # untested: the direction stands, the sentence says so
    assert f.verdict(NAN, NAN, 0.01, 0.95) == f.NOT_ESTIMATED


def test_formatting():
    assert f.format_effect(-0.0491, True) == "-4.9%" and f.format_effect(0.012, False) == "+1.2 points"
    assert f.format_effect(NAN, True) == "no data" and f.format_effect(-0.0004, False) == "+0.0 points"
    assert f.signed_points(-0.00004, 2) == "+0.00" and f.signed_points(0.01234, 2) == "+1.23"
    assert f.format_p(0.0004) == "p < 0.001" and f.format_p(0.0412) == "p = 0.041" and f.format_p(NAN) == "not tested"


def test_effect_sentence_passing_failing_and_untested_pre_trends():
    text = f.effect_sentence(effect(), "high-needs spend, cash", 0.95)
    assert text.startswith("Safety-valve councils, high-needs spend, cash: after entry, on average 8.3% lower")
    assert "95% CI -11.2% to -5.3%" in text and "32 councils against 73" in text
    assert "did not differ detectably" in text and "4 pre-entry leads, p = 0.410" in text
    assert text.endswith("Verdict: slower after entry.")
    failing = f.effect_sentence(effect(pre_trend_p=0.0002), "high-needs spend, cash", 0.95)
    assert "The estimate is not credible" in failing and failing.endswith(f"Verdict: {f.NOT_CREDIBLE}.")
    untested = f.effect_sentence(effect(pre_trend_p=NAN, pre_trend_df=0), "x", 0.95)
    assert "assumed, not checked" in untested
    share = f.effect_sentence(effect(scale="difference in share", estimate=0.012, ci_low=-0.01, ci_high=0.03,
                                     programme="dbv"), "mainstream share", 0.9)
    assert "1.2 points higher" in share and "90% CI -1.0 points to +3.0 points" in share
    assert "no detectable difference" in share and "caused" not in share
    missing = f.effect_sentence(effect(estimate=NAN, note="not estimable: no units"), "x", 0.95)
    assert missing == "Safety-valve councils, x: not estimated (not estimable: no units)."


def test_agreement_summary_lists_where_the_comparisons_disagree():
    rows = pd.concat([comparison_rows(), comparison_rows().assign(outcome="plans", ci_low=[0.01, 0.007, 0.001, 0.01])])
    text = f.agreement_summary("frame", rows, {"hn_spend": "spend", "plans": "EHC plans"}, 0.95)
    assert text.startswith("Councils in the research's frame: the three comparisons agree at 95% on 1 of 2 outcomes: "
                           "EHC plans (faster after entry).")
    assert "They disagree on spend (event study: faster after entry; neighbours: faster after entry; matched: no " \
           "detectable difference)." in text
    assert text.endswith("although its pre-entry test failed for 2 of these outcomes.")
    assert f.agreement_summary("dbv", rows, {}, 0.95).endswith("on 0 of 0 outcomes.")


def test_agreement_sentence():
    rows = pd.DataFrame({"method": ["event_study", "neighbours", "matched", "unmatched"],
                         "ci_low": [-0.2, -0.1, -0.05, 0.1], "ci_high": [-0.1, -0.01, -0.01, 0.2]})
    assert "the 3 comparisons agree (slower after entry at 95%)" in f.agreement_sentence("dbv", "spend", rows, 0.95)
    rows.loc[2, ["ci_low", "ci_high"]] = [0.01, 0.02]
    text = f.agreement_sentence("dbv", "spend", rows, 0.95)
    assert "disagree" in text and "matched on their pre-entry path and DSG balance: faster after entry" in text


def comparison_rows() -> pd.DataFrame:
    return pd.DataFrame({"programme": "frame", "outcome": "hn_spend",
                         "method": ["event_study", "neighbours", "matched", "unmatched"],
                         "estimate": [0.05, 0.03, 0.004, 0.031], "ci_low": [0.01, 0.007, -0.01, 0.01],
                         "ci_high": [0.09, 0.058, 0.02, 0.05], "n_units": [39, 30, 39, 39],
                         "scale": ["proportional difference"] + ["annual growth, log points"] * 3,
                         "pre_trend_p": [0.01, NAN, NAN, NAN]})


def test_selection_sentence_says_whether_matching_changes_the_reading():
    text = f.selection_sentence("frame", "spend", comparison_rows(), 0.95)
    assert "+3.1 points from all comparison councils (faster after entry)" in text
    assert "+0.4 points (95% CI -1.0 to +2.0)" in text and "(no detectable difference)" in text
    assert text.endswith("matching changes the reading, as regression to the mean would.")
    same = comparison_rows().assign(ci_low=[0.01, 0.007, 0.001, 0.01])
    assert f.selection_sentence("frame", "spend", same, 0.95).endswith("the two agree.")
    assert "no matched comparison" in f.selection_sentence("frame", "spend", comparison_rows().head(2), 0.95)


def test_comparisons_display():
    shown = f.comparisons_display(comparison_rows(), {"hn_spend": "spend"}, 0.95)
    assert shown.loc[0, "estimate"] == "+5.0%" and shown.loc[1, "estimate"] == "+3.0 points"
    assert shown.loc[2, "95% CI"] == "-1.0 points to +2.0 points" and shown.loc[2, "direction"] == f.NO_DIFFERENCE
    assert shown.loc[3, "compared with"] == "all comparison councils"


def test_limits_sentence_counts_the_unnamed_members():
    text = f.limits_sentence({"dbv": 9, "dbv_published": 55, "safety_valve": 3, "safety_valve_published": 38})
    assert "9 of DBV's 55 invited councils and 3 of the 38 safety-valve agreements" in text
    assert "2019-2021" in text and "DSG balances stop in 2021-22" in text


def test_placement_sentence():
    row = {"fy": "2020-21", "n_frame": 40, "n_others": 110, "frame_mean": 0.52, "others_mean": 0.48,
           "difference": 0.04, "ci_low": 0.01, "ci_high": 0.07, "label": "share in mainstream schools"}
    text = f.placement_sentence(row, 0.95)
    assert text.startswith("Share in mainstream schools, 2020-21: the frame's 40 councils averaged 52.0% against 48.0%")
    assert "so they placed a larger share before they were chosen (difference +4.0 points" in text


def test_lever_sentence():
    levers = pd.DataFrame({"analysis": ["across units", "across units", "within units"],
                           "term": ["share_start", "share_change", "share_change"],
                           "estimate": [-0.001, 0.0, -0.004], "ci_low": [-0.002, -0.001, -0.006],
                           "ci_high": [-0.0001, 0.001, -0.002], "p_value": [0.03, 0.9, 0.001], "n": [140, 140, 800],
                           "first_fy": "2018-19", "last_fy": "2024-25"})
    text = f.lever_sentence(levers, 0.95)
    assert "a mainstream share 1 point higher in 2018-19 was associated with slower" in text
    assert "no detectably different" in text and "associations, not effects" in text


def test_effects_display_and_verdict_column():
    table = pd.DataFrame([effect(), effect(programme="dbv", pre_trend_p=0.001),
                          effect(programme="frame", estimate=NAN, ci_low=NAN, ci_high=NAN, n_treated=NAN)])
    shown = f.effects_display(table, {"hn_spend": "high-needs spend, cash"}, 0.95)
    assert shown.loc[0, "after entry"] == "-8.3%" and shown.loc[0, "95% CI"] == "-11.2% to -5.3%"
    assert shown["verdict"].tolist() == [f.SLOWER, f.NOT_CREDIBLE, f.NOT_ESTIMATED]
    assert shown.loc[2, "councils (programme / comparison)"] == "no data"
    assert f.with_verdicts(table, 0.95)["verdict"].tolist() == shown["verdict"].tolist()


def test_headline():
    results = {"headline_outcome": "hn_spend", "level": 0.95, "outcome_labels": {"hn_spend": "high-needs spend"},
               "effects": [effect(), effect(programme="dbv", estimate=0.002, ci_low=-0.03, ci_high=0.03,
                                            pre_trend_p=0.0003), effect(outcome="other")]}
    text = f.headline(results)
    assert text.startswith("Four years on (high-needs spend, after entry against comparison councils, 95% CI): ")
    assert "safety valve -8.3% (-11.2% to -5.3%); DBV +0.2% (-3.0% to +3.0%)" in text
    assert "but the paths of DBV already differed before entry, so that estimate is not credible" in text
    every = f.headline(results | {"effects": [effect(pre_trend_p=0.01), effect(programme="dbv", pre_trend_p=0.0)]})
    assert "every group's path already differed before entry, so none of these is credible" in every
    assert f.headline({"effects": []}) is None and f.headline({}) is None
    passing = f.headline(results | {"effects": [effect()]})
    assert "did not differ detectably" in passing
