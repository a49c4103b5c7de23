import math

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import standard_measures as sm

BASE, LAST = "2017-18", "2018-19"
SEN2_COLUMNS = ("ehcp_mainstream_count", "ehcp_special_independent_count", "issued_ex_count", "issued_20wk_ex_count")


def panel() -> pd.DataFrame:
    """Units A-E in FY2017-18 and 2018-19. In 2018-19: spend A 100, B 200, C 300, D 50 but
    incomplete, E 400; EHC plans 4, 5, 10, 2, 0; allocation 80, 250, 300, 100, NaN; population
    2-18 10, 20, 0, 10, 40 and 0-25 1000 each; DSG balance 10, -20, 0, NaN, 5 of total DSG
    100, 200, 300, 100, 50; plans in mainstream 2, 1, 6, 1, 0 and in independent special schools 1, 0,
    1, NaN, 0; plans issued excluding exceptions 20, 40, 100, NaN, 50, of them within 20 weeks 15, 10,
    50, NaN, 50. In 2017-18 every spend is half (E's missing), and nothing else."""
    last = pd.DataFrame({
        "unit": list("ABCDE"), "fy": LAST, "fy_start": 2018,
        "hn_spend_gbp": [100.0, 200.0, 300.0, 50.0, 400.0], "hn_spend_complete": [True, True, True, False, True],
        "ehcp_count": [4.0, 5.0, 10.0, 2.0, 0.0],
        "hnb_after_deductions_gbp": [80.0, 250.0, 300.0, 100.0, np.nan],
        "pop_2_18_count": [10.0, 20.0, 0.0, 10.0, 40.0], "pop_0_25_count": 1000.0,
        "dsg_balance_gbp": [10.0, -20.0, 0.0, np.nan, 5.0], "dsg_total_gbp": [100.0, 200.0, 300.0, 100.0, 50.0],
        "ehcp_mainstream_count": [2.0, 1.0, 6.0, 1.0, 0.0], "ehcp_special_independent_count": [1.0, 0.0, 1.0, np.nan, 0.0],
        "issued_ex_count": [20.0, 40.0, 100.0, np.nan, 50.0], "issued_20wk_ex_count": [15.0, 10.0, 50.0, np.nan, 50.0],
    })
    base = last.assign(fy=BASE, fy_start=2017, hn_spend_gbp=[50.0, 100.0, 150.0, 25.0, np.nan],
                       hn_spend_complete=[True, True, True, False, False])
    for column in ("ehcp_count", "hnb_after_deductions_gbp", "pop_2_18_count", "dsg_balance_gbp", "dsg_total_gbp",
                   *SEN2_COLUMNS):
        base[column] = np.nan
    return pd.concat([base, last], ignore_index=True)


def table(subject: str = "A", comparators: tuple[str, ...] = ("B", "C", "D")) -> pd.DataFrame:
    return sm.measure_table(panel(), subject, list(comparators), BASE, LAST, "Unit A").set_index("measure")


def independent(frame: pd.DataFrame, numerator: str, denominator: str, scale: float) -> tuple[pd.Series, float]:
    """Per-unit ratio and England ratio of sums, by plain pandas (complete spend, positive divisor)."""
    rows = frame[frame["fy"] == LAST].set_index("unit")
    top = rows[numerator].where(rows["hn_spend_complete"]) if numerator == "hn_spend_gbp" else rows[numerator]
    bottom = rows[denominator].where(rows[denominator] > 0)
    both = top.notna() & bottom.notna()
    return scale * top / bottom, scale * top[both].sum() / bottom[both].sum()


def test_per_ehcp_plan_by_hand_and_by_pandas():
    row = table().loc["spend_per_ehcp_gbp"]
    # A 25, B 40, C 30; D incomplete spend and E no plans have no value
    assert row["value"] == 25.0 and row["fy"] == LAST
    assert row["comparators_mean"] == pytest.approx(35.0)  # B and C; D has no value
    assert (row["n_comparators_with_value"], row["n_comparators"]) == (2, 3)
    assert row["england"] == pytest.approx(600 / 19)
    assert (row["rank"], row["n_ranked"]) == (3, 3)
    assert (row["quartile"], row["n_national"]) == (4, 3)  # ceil(4 x 3 / 3)
    values, england = independent(panel(), "hn_spend_gbp", "ehcp_count", 1.0)
    assert row["england"] == pytest.approx(england)
    assert row["comparators_mean"] == pytest.approx(values.reindex(["B", "C", "D"]).mean())


def test_pct_of_allocation_by_hand_and_by_pandas():
    row = table().loc["spend_pct_of_allocation"]
    assert row["value"] == pytest.approx(125.0)
    assert row["comparators_mean"] == pytest.approx((80.0 + 100.0) / 2)
    assert row["england"] == pytest.approx(100 * 600 / 630)
    assert (row["rank"], row["n_ranked"], row["quartile"]) == (1, 3, 2)  # ceil(4 x 1 / 3)
    values, england = independent(panel(), "hn_spend_gbp", "hnb_after_deductions_gbp", 100.0)
    assert row["value"] == pytest.approx(values["A"]) and row["england"] == pytest.approx(england)
    ranked = values.dropna().rank(ascending=False, method="min")
    assert row["quartile"] == math.ceil(4 * ranked["A"] / len(ranked))


def test_other_measures_by_hand():
    measures = table()
    per_head = measures.loc["spend_per_head_2_18_gbp"]  # A 10, B 10, C no population, E 10
    assert per_head["value"] == 10.0 and per_head["england"] == pytest.approx(700 / 70)
    assert (per_head["rank"], per_head["n_ranked"]) == (1, 2)  # ties share the better rank
    rate = measures.loc["ehcp_per_10k_0_25"]
    assert rate["value"] == pytest.approx(40.0) and rate["england"] == pytest.approx(10_000 * 21 / 5000)
    balance = measures.loc["dsg_balance_pct"]  # A 10%, B -10%, C 0%, E 10%; D missing
    assert balance["value"] == pytest.approx(10.0) and balance["comparators_mean"] == pytest.approx(-5.0)
    assert balance["england"] == pytest.approx(100 * -5 / 650)
    growth = measures.loc["spend_growth_pct"]  # every complete unit doubled; E has no base year
    assert growth["fy"] == f"{BASE} to {LAST}" and growth["value"] == pytest.approx(100.0)
    assert growth["england"] == pytest.approx(100.0) and growth["n_national"] == 3


def test_missing_values_say_why():
    measures = sm.measure_table(panel(), "D", ["A"], BASE, LAST, "Unit D").set_index("measure")
    assert pd.isna(measures.loc["spend_per_ehcp_gbp", "value"])
    assert measures.loc["spend_per_ehcp_gbp", "note"] == "no complete high-needs spending for Unit D in 2018-19"
    assert measures.loc["dsg_balance_pct", "note"] == "no DSG balance for Unit D in 2018-19"
    assert pd.isna(measures.loc["spend_per_ehcp_gbp", "rank"]) and pd.isna(measures.loc["dsg_balance_pct", "quartile"])
    e = sm.measure_table(panel(), "E", [], BASE, LAST).set_index("measure")
    assert e.loc["spend_per_ehcp_gbp", "note"] == "no EHC plan count for E in 2018-19"  # zero plans
    assert e.loc["spend_growth_pct", "note"] == "no complete high-needs spending in the base year for E in 2017-18"


def test_subject_among_its_comparators_counts_once():
    row = sm.measure_table(panel(), "A", ["B", "A", "B"], BASE, LAST).set_index("measure").loc["spend_per_ehcp_gbp"]
    assert (row["n_comparators"], row["n_ranked"], row["comparators_mean"]) == (1, 2, 40.0)


def test_national_parts_follow_the_panels_content_not_an_earlier_report():
    first = table().loc["spend_per_ehcp_gbp"]
    frame = panel()
    frame.loc[(frame["fy"] == LAST) & (frame["unit"] == "E"), "ehcp_count"] = 8.0  # E now has a value
    changed = sm.measure_table(frame, "A", ["B", "C", "D"], BASE, LAST).set_index("measure").loc["spend_per_ehcp_gbp"]
    assert (first["n_national"], changed["n_national"]) == (3, 4)
    assert changed["england"] == pytest.approx(1000 / 27)
    assert table().loc["spend_per_ehcp_gbp"].equals(first)  # and the first panel's again


def test_measure_year_is_the_latest_with_a_value():
    frame = panel()
    frame.loc[frame["fy"] == LAST, "dsg_balance_gbp"] = np.nan
    frame.loc[frame["fy"] == BASE, ["dsg_balance_gbp", "dsg_total_gbp"]] = [1.0, 10.0]
    measure = sm.MEASURES_BY_KEY["dsg_balance_pct"]
    assert sm.measure_year(frame, measure, BASE, LAST) == BASE
    assert sm.measure_year(frame, sm.MEASURES_BY_KEY["spend_growth_pct"], BASE, LAST) == LAST


def test_outcome_measures_by_hand_with_englands_own_row():
    measures = table()
    mainstream = measures.loc["mainstream_share_pct"]  # A 50%, B 20%, C 60%, D 50%; E has no plans
    assert mainstream["value"] == pytest.approx(50.0) and mainstream["fy"] == LAST
    assert mainstream["comparators_mean"] == pytest.approx((20 + 60 + 50) / 3)
    assert (mainstream["rank"], mainstream["n_ranked"]) == (2, 4)  # C higher, D ties: the better rank
    assert (mainstream["quartile"], mainstream["n_national"]) == (2, 4)
    assert mainstream["england"] == pytest.approx(100 * 10 / 21)  # no England rows given: the units' sums
    timely = measures.loc["timely_20wk_ex_pct"]  # A 75%, B 25%, C 50%, E 100%
    assert timely["value"] == pytest.approx(75.0) and timely["comparators_mean"] == pytest.approx(37.5)
    assert (timely["rank"], timely["quartile"]) == (1, 2)  # ceil(4 x 2 / 4) nationally, E is higher
    given = sm.measure_table(panel(), "B", ["A"], BASE, LAST, "Unit B",
                             national={"mainstream_share": {LAST: 0.4}, "timely_20wk_ex": {BASE: 0.9}})
    given = given.set_index("measure")
    assert given.loc["mainstream_share_pct", "england"] == pytest.approx(40.0)  # England's own row
    assert pd.isna(given.loc["timely_20wk_ex_pct", "england"])  # England's row lacks the year shown
    assert given.loc["spend_per_ehcp_gbp", "england"] == pytest.approx(600 / 19)  # not an outcome: unchanged


def test_small_counts_are_flagged_as_the_small_numbers_registry_says():
    a, b = table(), sm.measure_table(panel(), "B", ["A"], BASE, LAST, "Unit B").set_index("measure")
    assert a.loc["timely_20wk_ex_pct", "small"] and not b.loc["timely_20wk_ex_pct", "small"]  # 20 and 40 issued
    assert a.loc["mainstream_share_pct", "small"]  # 4 plans, under 100
    assert a.loc["spend_per_ehcp_gbp", "small"]  # 4 children with a plan, under 500
    assert not a.loc["dsg_balance_pct", "small"]  # rests on no count
    e = sm.measure_table(panel(), "E", [], BASE, LAST).set_index("measure")
    assert not e.loc["mainstream_share_pct", "small"]  # no plans: no value, so nothing to flag
    flags = sm.small_flags(panel(), "A", a.reset_index()).set_index("measure")
    assert set(flags.index) == set(a.index[a["small"]])
    assert flags.loc["timely_20wk_ex_pct", ["count", "threshold", "count_fy"]].tolist() == [20.0, 30, LAST]
    assert flags.loc["spend_growth_pct", "count_fy"] == LAST  # the base year has no plan count
    headline = sm.headline(panel(), "A", ["B"], BASE, LAST, "Unit A")
    assert headline.table.equals(sm.measure_table(panel(), "A", ["B"], BASE, LAST, "Unit A"))
    assert headline.flags.equals(sm.small_flags(panel(), "A", headline.table))
