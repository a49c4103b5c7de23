"""Small numbers (sendlib.analysis.small_numbers), the one registry of counts and thresholds the
council profile flags with: flags of the headline's measures on a hand-made panel, the counts
the outcomes and the placement section rest on, and on the real panel which councils they flag."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sendlib.analysis import outcomes, placement, small_numbers, standard_measures

NAN = float("nan")
PANEL = pd.DataFrame({
    "unit": ["420"] * 3 + ["857"] * 3 + ["356"] * 3,
    "fy": ["2017-18", "2023-24", "2024-25"] * 3,
    "ehcp_count": [11.0, 18.0, 17.0, 230.0, 340.0, 499.0, 1500.0, 2900.0, float("nan")],
})
YEARS = {"spend_per_head_2_18_gbp": "2023-24", "dsg_balance_pct": "2021-22", "spend_growth_pct": "2017-18 to 2024-25",
         "spend_per_ehcp_gbp": "2024-25"}


def tiny_panel(**columns: list[float]) -> pd.DataFrame:
    """Units a, b, c in FY 2022-23 with the given count columns."""
    return pd.DataFrame({"unit": ["a", "b", "c"], "fy": ["2022-23"] * 3, **columns})


def test_measures_resting_on_fewer_than_500_plans_are_flagged_with_the_smallest_count() -> None:
    flags = small_numbers.small_number_flags(PANEL, "420", YEARS).set_index("measure")
    assert list(flags.index) == ["spend_per_head_2_18_gbp", "spend_growth_pct", "spend_per_ehcp_gbp"]
    assert flags.loc["spend_growth_pct", ["count", "count_fy"]].tolist() == [11.0, "2017-18"], "a growth: either year"
    assert flags.loc["spend_per_head_2_18_gbp", "chance_share"] == pytest.approx(1 / math.sqrt(18))
    assert flags["threshold"].eq(500).all() and flags["count_label"].eq("EHC plans").all()
    assert flags["basis"].eq("chance").all()
    assert list(flags.reset_index().columns) == small_numbers.FLAG_COLUMNS


def test_the_threshold_is_strict_and_a_missing_or_zero_count_is_no_flag() -> None:
    assert small_numbers.small_number_flags(PANEL, "857", {"spend_per_ehcp_gbp": "2024-25"})["count"].tolist() == [499]
    assert small_numbers.small_number_flags(PANEL.assign(ehcp_count=0.0), "420", YEARS).empty
    assert small_numbers.small_number_flags(PANEL, "356", YEARS).empty
    assert small_numbers.small_number_flags(PANEL, "356", {"spend_per_ehcp_gbp": "2024-25"}).empty


def test_the_registry_takes_new_counts_and_measures() -> None:
    timeliness = {"issued": small_numbers.SmallCount(("new_count",), "new EHC plans", "new EHC plan", 50, "share")}
    panel = PANEL.assign(new_count=[2.0] * 3 + [60.0] * 6)
    flags = small_numbers.small_number_flags(panel, "420", {"pct_within_20_weeks": "2023-24"},
                                             {"pct_within_20_weeks": "issued"}, timeliness)
    assert flags[["measure", "count", "threshold", "basis"]].values.tolist() == [
        ["pct_within_20_weeks", 2.0, 50, "share"]]
    with pytest.raises(ValueError, match="basis 'odds'"):
        small_numbers.SmallCount(("x",), "x", "x", 1, "odds")


def test_the_headlines_shares_and_timeliness_take_the_counts_the_placement_section_takes() -> None:
    panel = tiny_panel(ehcp_count=[17.0, 2000.0, 150.0], issued_ex_count=[1.0, 300.0, 29.0])
    years = {"mainstream_share_pct": "2022-23", "timely_20wk_ex_pct": "2022-23"}
    flags = small_numbers.small_number_flags(panel, "a", years).set_index("measure")
    assert flags.loc["mainstream_share_pct", ["count_label", "count", "threshold", "basis"]].tolist() == [
        "EHC plans in force", 17.0, 100, "share"]
    assert flags.loc["timely_20wk_ex_pct", ["count", "threshold"]].tolist() == [1.0, 30]
    assert list(small_numbers.small_number_flags(panel, "c", years)["measure"]) == ["timely_20wk_ex_pct"]  # 150 plans
    for measure in years:  # the same count and threshold as the outcome the measure shows
        outcome = standard_measures.MEASURES_BY_KEY[measure].outcome
        assert small_numbers.MEASURE_COUNTS[measure] == small_numbers.MEASURE_COUNTS[outcome]


def test_small_rows_flag_below_the_threshold_only() -> None:
    threshold = small_numbers.SMALL_COUNTS["issued_ex"].threshold
    frame = tiny_panel(issued_20wk_ex_count=[1.0, 1.0, 1.0], issued_ex_count=[threshold - 1, threshold, NAN])
    assert small_numbers.small_rows(frame, "timely_20wk_ex").tolist() == [True, False, False]
    shares = tiny_panel(ehcp_ap_count=[1.0] * 3, ehcp_count=[99.0, 100.0, 5000.0])
    assert small_numbers.small_rows(shares, "ap_share").tolist() == [True, False, False]
    decisions = tiny_panel(assess_count=[20.0, 20.0, NAN], not_assess_count=[9.0, 10.0, 1.0])
    assert small_numbers.small_rows(decisions, "refusal_share").tolist() == [True, False, False]  # a sum; missing: no
    with pytest.raises(ValueError, match="'dsg_balance_pct' rests on no count"):
        small_numbers.small_rows(frame, "dsg_balance_pct")


def test_a_share_defined_outside_the_outcomes_is_registered_the_same_way() -> None:
    fe = outcomes.Outcome("fe_share", "ehcp_fe_count", ("ehcp_count",), 1.0, "Share in further education", "share")
    frame = tiny_panel(ehcp_fe_count=[10.0, NAN, 3.0], ehcp_count=[50.0, 200.0, 0.0])
    values = outcomes.outcome_values(frame, fe)
    assert values.name == "fe_share" and values.iloc[0] == pytest.approx(0.2) and values.iloc[1:].isna().all()
    assert small_numbers.small_rows(frame, "fe_share").tolist() == [True, False, False]  # no plans: no value
    assert small_numbers.count_key("new_plans_fe_share") == "new_plans"
    assert small_numbers.count_key("need_asd_share") == "plans" and small_numbers.count_key("need_asd") is None


def test_every_outcome_and_section_measure_rests_on_its_own_denominator() -> None:
    for name, outcome in outcomes.OUTCOMES.items():
        assert small_numbers.SMALL_COUNTS[small_numbers.MEASURE_COUNTS[name]].columns == outcome.denominator, name
    for key, measure in placement.MEASURES.items():
        assert small_numbers.SMALL_COUNTS[small_numbers.count_key(key)].columns == measure.outcome.denominator, key
    for measure in standard_measures.STANDARD_MEASURES:
        assert (measure.key in small_numbers.MEASURE_COUNTS) == (measure.key != "dsg_balance_pct"), measure.key


def test_is_small_and_chance_share() -> None:
    counts = pd.Series([9_999.0, 10_000.0, NAN, 0.0, 1.0])
    assert small_numbers.is_small(counts, "people").tolist() == [True, False, False, False, True]  # none: no value
    assert small_numbers.chance_share(25) == pytest.approx(0.2)


@pytest.mark.needs_data
def test_on_the_real_panel_the_threshold_marks_three_units(panel: pd.DataFrame) -> None:
    """As the README and the module say: the Isles of Scilly, the City of London and Rutland."""
    rule = small_numbers.SMALL_COUNTS["children"]
    years = panel[panel["fy"].between("2017-18", "2024-25")]
    (column,) = rule.columns
    assert set(years.loc[years[column] < rule.threshold, "unit"]) == {"201", "420", "857"}


@pytest.mark.needs_data
def test_the_outcomes_small_counts_on_the_real_panel_are_the_tiny_councils(processed_data: Path) -> None:
    panel = pd.read_parquet(processed_data / "panel.parquet")
    flagged = {name: set(panel.loc[small_numbers.small_rows(panel, name), "unit"]) for name in outcomes.OUTCOMES}
    scilly_city = {"420", "201"}
    for name in ("mainstream_share", "special_independent_share", "new_plans_per_10k", "requests_per_10k"):
        assert flagged[name] == scilly_city, name
    assert flagged["appeal_rate"] == scilly_city | {"857"}  # and Rutland
    assert scilly_city <= flagged["timely_20wk_ex"]
    rutland = panel[panel["unit"] == "857"]
    assert rutland["pop_0_25_count"].min() > small_numbers.SMALL_COUNTS["people"].threshold
