"""sendlib.analysis.evaluation on seeded synthetic staggered panels and tiny hand-made frames."""

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import evaluation as ev
from sendlib.errors import ParameterError

COHORTS = (0, 2020, 2021, 2022, 2023)


def staggered_panel(effect: float = 0.0, pretrend: float = 0.0, n_units: int = 150, seed: int = 1,
                    cohort_shares: tuple[float, ...] = (0.4, 0.1, 0.15, 0.2, 0.15), dynamic: float = 0.0
                    ) -> pd.DataFrame:
    """unit, time (2017-2024), first_treat (0 = never), value: unit and year effects, noise; treated
    units' values move by ``effect * (1 + dynamic * years since entry)`` from entry on, and by
    ``pretrend`` a year (from 2017, before and after entry) when ``pretrend`` is set."""
    rng = np.random.default_rng(seed)
    years = np.arange(2017, 2025)
    cohorts = rng.choice(COHORTS, size=n_units, p=cohort_shares)
    level, shocks = rng.normal(0, 1, n_units), rng.normal(0, 0.05, years.size)
    unit, time = np.repeat(np.arange(n_units), years.size), np.tile(years, n_units)
    first = cohorts[unit]
    since = np.where(first > 0, time - first, -1)
    value = level[unit] + 0.1 * (time - 2017) + shocks[time - 2017] + rng.normal(0, 0.05, unit.size)
    value += np.where(since >= 0, effect * (1 + dynamic * since), 0.0)
    value += np.where(first > 0, pretrend * (time - 2017), 0.0)
    return pd.DataFrame({"unit": [f"u{i:03d}" for i in unit], "time": time, "first_treat": first, "value": value})


def true_average_effect(panel: pd.DataFrame, effect: float, dynamic: float) -> float:
    """The average effect over treated unit-years after entry (Callaway-Sant'Anna's simple weights)."""
    treated = panel[(panel["first_treat"] > 0) & (panel["time"] >= panel["first_treat"])]
    return float((effect * (1 + dynamic * (treated["time"] - treated["first_treat"]))).mean())


DESIGNS = [("callaway_santanna", "not_yet_treated"), ("callaway_santanna", "never_treated"),
           ("sun_abraham", "never_treated")]


# --- the estimators on synthetic panels --------------------------------------------------------------


@pytest.mark.parametrize("estimator, comparison", DESIGNS)
def test_a_known_effect_is_covered_and_zero_excluded(estimator, comparison):
    panel = staggered_panel(effect=-0.05)
    study = ev.event_study(panel, estimator, comparison, seed=3)
    assert study.ci_low < -0.05 < study.ci_high and study.ci_high < 0
    assert study.pre_trend_p > 0.05 and study.pre_trend_df == 5  # leads -6..-2 of the 2023 cohort
    assert study.n_treated == (panel.drop_duplicates("unit")["first_treat"] > 0).sum()
    coefficients = study.coefficients.set_index("event_time")
    assert coefficients.loc[-1, "reference"] and coefficients.loc[-1, "estimate"] == 0
    assert list(coefficients.index) == list(range(-6, 5))


@pytest.mark.parametrize("estimator, comparison", DESIGNS)
def test_heterogeneous_dynamic_effects_are_recovered(estimator, comparison):
    panel = staggered_panel(effect=-0.04, dynamic=0.5, seed=5)
    study = ev.event_study(panel, estimator, comparison)
    truth = true_average_effect(panel, -0.04, 0.5) if estimator == "callaway_santanna" else None
    if truth is not None:
        assert study.ci_low < truth < study.ci_high
    post = study.coefficients.set_index("event_time").loc[0:4, ["ci_low", "ci_high"]]
    expected = -0.04 * (1 + 0.5 * np.arange(5))
    assert ((post["ci_low"] < expected) & (expected < post["ci_high"])).sum() >= 4


@pytest.mark.parametrize("estimator, comparison", DESIGNS)
def test_no_effect_gives_an_interval_covering_zero(estimator, comparison):
    study = ev.event_study(staggered_panel(effect=0.0, seed=2), estimator, comparison)
    assert study.ci_low < 0 < study.ci_high


@pytest.mark.parametrize("estimator, comparison", DESIGNS)
def test_a_built_in_pre_trend_fails_the_pre_trend_test(estimator, comparison):
    study = ev.event_study(staggered_panel(effect=-0.05, pretrend=0.03), estimator, comparison)
    assert study.pre_trend_p < 0.001


def test_few_treated_units_use_the_wild_cluster_bootstrap_seeded():
    panel = staggered_panel(effect=-0.1, n_units=60, cohort_shares=(0.8, 0.05, 0.05, 0.05, 0.05), seed=4)
    n_treated = (panel.drop_duplicates("unit")["first_treat"] > 0).sum()
    assert n_treated < 30
    first = ev.event_study(panel, "callaway_santanna", "never_treated", n_boot=499, seed=9, wild_below=30)
    again = ev.event_study(panel, "callaway_santanna", "never_treated", n_boot=499, seed=9, wild_below=30)
    analytic = ev.event_study(panel, "callaway_santanna", "never_treated", wild_below=0)
    assert first.inference.startswith("wild cluster bootstrap") and analytic.inference.startswith("cluster-robust")
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert first.estimate == pytest.approx(analytic.estimate)
    assert first.ci_low < -0.1 < first.ci_high < 0


def test_sun_abraham_with_few_treated_units_uses_the_small_sample_correction():
    panel = staggered_panel(effect=-0.1, n_units=40, cohort_shares=(0.75, 0.05, 0.05, 0.1, 0.05), seed=6)
    study = ev.event_study(panel, "sun_abraham", "never_treated", wild_below=30)
    assert "Bell-McCaffrey" in study.inference and study.ci_low < -0.1 < study.ci_high


def test_sun_abraham_cannot_compare_with_not_yet_treated_units():
    with pytest.raises(ParameterError, match="never-treated units only"):
        ev.event_study(staggered_panel(), "sun_abraham", "not_yet_treated")
    with pytest.raises(ParameterError, match="unknown estimator 'ols'"):
        ev.check_design("ols", "never_treated")


def test_no_comparison_units_is_an_error():
    panel = staggered_panel(cohort_shares=(0.0, 0.25, 0.25, 0.25, 0.25))
    with pytest.raises(ValueError, match="no treated or no comparison units"):
        ev.event_study(panel, "callaway_santanna", "never_treated")


def test_joint_wald_test_on_hand_made_numbers():
    statistic, df, p_value = ev.joint_wald_test(np.array([1.0, 2.0]), np.eye(2))
    assert (statistic, df) == (5.0, 2) and p_value == pytest.approx(np.exp(-2.5))
    assert ev.joint_wald_test(np.array([]), np.zeros((0, 0)))[1] == 0
    statistic, df, _ = ev.joint_wald_test(np.array([1.0, 1.0]), np.ones((2, 2)))  # singular: rank 1
    assert df == 1 and statistic == pytest.approx(1.0)  # (1 + 1)^2 / var(b1 + b2) = 4 / 4


# --- who is treated, and when ---------------------------------------------------------------------------


def test_fy_containing():
    assert ev.fy_containing(pd.Timestamp("2022-06-23")) == "2022-23"
    assert ev.fy_containing(pd.Timestamp("2021-03-31")) == "2020-21"
    assert ev.fy_containing(pd.Timestamp("2023-04-01")) == "2023-24"


def programme_rows() -> pd.DataFrame:
    day = pd.Timestamp
    return pd.DataFrame({
        "la_code": ["100", "101", "102", "103", "104", "105"],
        "programme": ["delivering_better_value", "delivering_better_value", "safety_valve", "safety_valve",
                      "safety_valve", "delivering_better_value"],
        "group": ["tranche 1", "tranche 2", "2020-21", "2023-24", "2021-22", "tranche 1"],
        "invited": [day("2022-06-23"), day("2022-06-23"), pd.NaT, pd.NaT, pd.NaT, day("2022-06-23")],
        "signed": [pd.NaT, pd.NaT, day("2021-03-31"), day("2024-03-31"), day("2022-03-31"), pd.NaT],
        "start": [day("2022-06-23"), day("2022-06-23"), day("2021-03-31"), day("2024-03-31"), day("2022-03-31"),
                  day("2022-06-23")],
    })


def lookup() -> pd.DataFrame:
    return pd.DataFrame({"la_code": ["100", "101", "102", "103", "104", "105", "106", "107"],
                         "unit": ["100", "101", "102", "101", "m", "m", "106", "107"],
                         "end_date": [pd.NaT] * 8})


def test_programme_timing_dates_entry_by_invitation_and_agreement():
    timing = ev.programme_timing(programme_rows(), lookup()).set_index(["unit", "programme"])
    assert timing.loc[("100", "dbv"), "entry_fy"] == "2022-23" and timing.loc[("100", "dbv"), "entry"] == 2022
    assert timing.loc[("102", "safety_valve"), "entry_fy"] == "2020-21"
    assert timing.loc[("101", "safety_valve"), "entry_fy"] == "2023-24"  # a DBV council that moved
    assert timing.loc[("m", "safety_valve"), "entry_fy"] == "2021-22"  # a merged unit, member 104
    assert timing.loc[("m", "dbv"), "group"] == "tranche 1"


def test_treatment_groups_count_a_unit_for_the_programme_it_entered_first():
    timing = pd.concat([ev.programme_timing(programme_rows(), lookup()), ev.frame_timing(["106", "100"])])
    units = ["100", "101", "102", "m", "106", "107"]
    dbv = ev.treatment_groups(timing, "dbv", units).set_index("unit")
    assert dbv.loc["100", "role"] == "treated" and dbv.loc["100", "first_treat"] == 2022
    assert dbv.loc["101", "role"] == "treated"  # DBV first, safety valve later
    assert dbv.loc["m", "role"] == "left out" and "safety valve first" in dbv.loc["m", "note"]
    assert dbv.loc["102", "role"] == "left out" and dbv.loc["107", "role"] == "comparison"
    valve = ev.treatment_groups(timing, "safety_valve", units).set_index("unit")
    assert valve.loc["m", "first_treat"] == 2021 and valve.loc["102", "first_treat"] == 2020
    assert valve.loc["101", "role"] == "left out" and "Delivering Better Value first" in valve.loc["101", "note"]
    frame = ev.treatment_groups(timing, "frame", units).set_index("unit")
    assert frame.loc["106", "role"] == "treated" and frame.loc["106", "first_treat"] == 2022
    assert frame.loc["100", "role"] == "left out" and frame.loc["107", "role"] == "comparison"
    with pytest.raises(ParameterError, match="unknown programme"):
        ev.treatment_groups(timing, "sure_start", units)


def test_estimation_frame_keeps_known_years_and_complete_units():
    values = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 3 + ["c"] * 3, "time": [2019, 2020, 2021] * 3,
                           "mainstream_share": [0.4, 0.5, np.nan, 0.3, np.nan, np.nan, 0.2, 0.25, np.nan]})
    groups = pd.DataFrame({"unit": ["a", "b", "c"], "first_treat": [2020, 0, 0]})
    frame = ev.estimation_frame(values, "mainstream_share", groups)
    assert sorted(frame["unit"].unique()) == ["a", "c"] and sorted(frame["time"].unique()) == [2019, 2020]
    assert frame.loc[frame["unit"] == "a", "value"].tolist() == [0.4, 0.5]


def test_money_is_analysed_in_logs_and_read_as_a_proportional_difference():
    spec = ev.outcome_spec("hn_spend")
    assert spec.in_logs and ev.analysis_scale(pd.Series([np.e, 0.0]), spec).tolist()[0] == pytest.approx(1.0)
    assert np.isnan(ev.analysis_scale(pd.Series([0.0]), spec)[0])
    assert ev.effect_scale(np.log(0.9), spec) == pytest.approx(-0.1)


def test_outcome_values_keep_spend_of_complete_units_only():
    panel = pd.DataFrame({"unit": ["a", "a", "b"], "fy": ["2021-22", "2022-23", "2021-22"],
                          "hn_spend_gbp": [100.0, 110.0, 50.0], "hn_spend_complete": [True, True, False],
                          "deflator_index": [100.0, 110.0, 100.0], "pop_2_18_count": [10.0, 10.0, 5.0]})
    values = ev.outcome_values(panel, ["hn_spend", "hn_spend_real", "hn_spend_per_head_2_18"])
    assert values["time"].tolist() == [2021, 2022, 2021]
    assert values["hn_spend_real"].tolist()[:2] == [100.0, 100.0] and np.isnan(values["hn_spend"].iloc[2])
    assert values["hn_spend_per_head_2_18"].tolist()[:2] == [10.0, 11.0]


# --- growth around entry, neighbours, matching --------------------------------------------------------


def wide_logs() -> pd.DataFrame:
    """Log values, 2019-2022: t (treated, entry 2021) grows 0.10 a year, then 0.02; its neighbours
    n1 and n2 grow 0.10 then 0.06 and 0.05 then 0.05; x is far away and grows 0.30 throughout."""
    rows = {"t": [0.0, 0.1, 0.2, 0.22], "n1": [0.0, 0.1, 0.2, 0.26], "n2": [1.0, 1.05, 1.1, 1.15],
            "x": [5.0, 5.3, 5.6, 5.9]}
    return pd.DataFrame(rows, index=[2019, 2020, 2021, 2022]).T


def test_growth_around_entry():
    growth = ev.growth_around(wide_logs(), 2021)
    assert growth.loc["t", "pre_growth"] == pytest.approx(0.1) and growth.loc["t", "post_growth"] == pytest.approx(
        (0.22 - 0.1) / 2)


def test_neighbour_comparison_on_hand_made_numbers():
    groups = pd.DataFrame({"unit": ["t", "n1", "n2", "x"], "first_treat": [2022, 0, 0, 0],
                           "role": ["treated", "comparison", "comparison", "comparison"], "note": ""})
    table = ev.neighbour_comparison(wide_logs(), groups, {"t": ["n1", "n2", "outside"]}).set_index("unit")
    # entry 2022: pre growth 2019->2021, post 2021->2022
    own = (0.22 - 0.2) - 0.1
    peers = np.mean([(0.26 - 0.2) - 0.1, 0.05 - 0.05])
    assert table.loc["t", "n_neighbours"] == 2
    assert table.loc["t", "unit_change"] == pytest.approx(own)
    assert table.loc["t", "difference"] == pytest.approx(own - peers)
    summary = ev.aggregate(table["difference"], 199, 1, 0.9)
    assert summary.n_units == 1 and summary.mean == pytest.approx(own - peers)


def test_matched_comparison_picks_the_nearest_pre_entry_path():
    wide = pd.DataFrame({2018: [0.0, 0.0, 0.0, 0.0], 2019: [0.2, 0.21, 0.0, 0.19], 2020: [0.3, 0.25, 0.5, 0.4]},
                        index=["t", "near", "far", "near2"])
    balances = pd.DataFrame({2019: [1.0, 1.2, -5.0, 0.9]}, index=wide.index)
    groups = pd.DataFrame({"unit": ["t", "near", "far", "near2"], "first_treat": [2020, 0, 0, 0],
                           "role": ["treated", "comparison", "comparison", "comparison"], "note": ""})
    table = ev.matched_comparison(wide, groups, balances, n_matches=2).set_index("unit")
    assert set(table.loc["t", "matches"].split(";")) == {"near", "near2"}
    assert table.loc["t", "post_growth"] == pytest.approx(0.1)
    assert table.loc["t", "matched_post_growth"] == pytest.approx(np.mean([0.04, 0.21]))
    unmatched = ev.unmatched_comparison(wide, groups).set_index("unit")
    assert unmatched.loc["t", "difference"] == pytest.approx(0.1 - np.mean([0.04, 0.5, 0.21]))


def test_unit_la_code_prefers_the_units_own_code_then_current_councils():
    table = pd.DataFrame({"la_code": ["909", "942", "943"], "unit": ["cumbria"] * 3,
                          "end_date": [pd.Timestamp("2023-03-31"), pd.NaT, pd.NaT]})
    assert ev.unit_la_code(table, "cumbria") == ["942", "943", "909"]
    assert ev.unit_la_code(pd.DataFrame({"la_code": ["202"], "unit": ["202"], "end_date": [pd.NaT]}), "202") == ["202"]


def test_comparison_neighbours_of_a_merged_unit_try_its_next_council_in_the_model():
    """cumbria's current councils (942, 943) are only in the 2025 model, its old council (909) only
    in 2021: each model's neighbours come from the first council it lists; a unit with no council
    in the table has none; a model the table lacks is refused."""
    lookup = pd.DataFrame({"la_code": ["909", "942", "943", "202", "203", "204"],
                           "la_name": ["Cumbria", "Cumberland", "Westmorland", "Camden", "Greenwich", "Hackney"],
                           "unit": ["cumbria"] * 3 + ["202", "203", "204"],
                           "unit_name": ["Cumbria"] * 3 + ["Camden", "Greenwich", "Hackney"],
                           "end_date": [pd.Timestamp("2023-03-31")] + [pd.NaT] * 5})
    rows = [("2021", "909", 1, "203"), ("2021", "909", 2, "202"), ("2025", "942", 1, "204"),
            ("2025", "942", 2, "203"), ("2025", "943", 1, "202")]
    table = pd.DataFrame(rows, columns=["model", "la_code", "rank", "neighbour_la_code"]).assign(closeness="close")
    comparison = ["202", "203"]
    assert ev.comparison_neighbours(table, lookup, ["cumbria"], "2021", comparison) == {"cumbria": ["203", "202"]}
    assert ev.comparison_neighbours(table, lookup, ["cumbria"], "2025", comparison) == {"cumbria": ["203"]}  # 942's
    assert ev.comparison_neighbours(table, lookup, ["cumbria", "202"], "2025", comparison)["202"] == []
    with pytest.raises(ParameterError, match="'2019' is not a statistical-neighbour model"):
        ev.comparison_neighbours(table, lookup, ["cumbria"], "2019", comparison)


# --- levers, paths, placement ----------------------------------------------------------------------------


def lever_panel(seed: int = 0, slope: float = -0.5) -> pd.DataFrame:
    """Spending growth a year = 0.05 + slope x the year's change in mainstream share + EHC plan growth."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(120):
        share, spend, plans = rng.uniform(0.3, 0.6), 0.0, 0.0
        for year in range(2018, 2025):
            change = rng.normal(0, 0.02)
            plans_growth = rng.normal(0.08, 0.02)
            share, plans = share + change, plans + plans_growth
            spend += 0.05 + slope * change + 0.5 * plans_growth + rng.normal(0, 0.005)
            rows.append((f"u{i}", year, spend, share, plans, 20 + i % 7, ["UA", "MD", "SC"][i % 3]))
    return pd.DataFrame(rows, columns=["unit", "time", "log_spend", "share", "log_ehcp", "imd_score", "la_type"])


def test_levers_recover_a_known_within_unit_association():
    frame = lever_panel()
    assert ev.lever_years(frame) == (2018, 2024)
    table = ev.levers(frame, 2018, 2024, 0.95).set_index(["analysis", "term"])
    assert set(table["first_fy"]) == {"2018-19"} and set(table["last_fy"]) == {"2024-25"}
    within = table.loc[("within units", "share_change")]
    assert within["ci_low"] < -0.005 < within["ci_high"] < 0  # -0.5 per unit share = -0.005 per point
    across = table.loc[("across units", "share_change")]
    assert across["ci_low"] < -0.005 < across["ci_high"]
    assert table.loc[("across units", "share_start"), "ci_low"] < 0 < table.loc[("across units", "share_start"),
                                                                                "ci_high"]


def test_group_paths_index_money_and_average_shares():
    values = pd.DataFrame({"unit": ["a", "a", "b", "b", "c", "c"], "fy": ["2021-22", "2022-23"] * 3,
                           "hn_spend": [100.0, 120.0, 50.0, 55.0, 10.0, np.nan],
                           "mainstream_share": [0.4, 0.5, 0.2, 0.3, 0.1, 0.1]})
    labels = pd.Series({"a": "g", "b": "g", "c": "h"})
    money = ev.group_paths(values, "hn_spend", labels).set_index(["group", "fy"])
    assert money.loc[("g", "2021-22"), "value"] == 100 and money.loc[("g", "2022-23"), "value"] == pytest.approx(115)
    assert ("h", "2021-22") not in money.index  # c lacks a year
    shares = ev.group_paths(values, "mainstream_share", labels).set_index(["group", "fy"])
    assert shares.loc[("h", "2022-23"), "value"] == pytest.approx(10) and shares.loc[("g", "2022-23"), "n_units"] == 2


def test_unit_groups_partition_units():
    timing = pd.concat([ev.programme_timing(programme_rows(), lookup()), ev.frame_timing(["106", "100"])])
    labels = ev.unit_groups(timing, ["100", "m", "106", "107"])
    assert labels.to_dict() == {"100": "Delivering Better Value", "106": "frame, in no programme",
                                "107": "no programme", "m": "safety valve"}


# --- parameters --------------------------------------------------------------------------------------


def test_check_evaluation_parameters_lists_every_problem_the_rules_cannot_see():
    panel = pd.DataFrame({"unit": ["a"], "fy": ["2021-22"], "hn_spend_gbp": [1.0], "hn_spend_complete": [True]})
    with pytest.raises(ParameterError) as caught:
        ev.check_evaluation_parameters(panel, {"outcomes": ["hn_spend", "mainstream_share"],
                                               "estimator": "sun_abraham", "comparison": "not_yet_treated"})
    message = str(caught.value)
    assert "never-treated units only" in message and "cannot give the outcomes" in message
    ev.check_evaluation_parameters(panel, {"outcomes": ["hn_spend"], "estimator": "sun_abraham",
                                           "comparison": "never_treated"})


def test_entry_marks_name_every_programme_entering_each_year():
    timing = pd.concat([ev.programme_timing(programme_rows(), lookup()), ev.frame_timing(["106"])])
    assert ev.entry_marks(timing, ["dbv", "safety_valve", "frame"]) == {
        "2020-21": "entry: safety valve", "2021-22": "entry: safety valve", "2022-23": "entry: DBV, frame",
        "2023-24": "entry: safety valve"}
    assert ev.entry_marks(timing, ["frame"]) == {"2022-23": "entry: frame"}


def test_event_times_of_fewer_than_five_treated_units_are_neither_tested_nor_drawn():
    panel = staggered_panel(effect=-0.05, seed=8, cohort_shares=(0.4, 0.0, 0.3, 0.3, 0.0))
    lone = panel["unit"] == panel.loc[panel["first_treat"] == 0, "unit"].iloc[0]
    panel.loc[lone, "first_treat"] = 2024  # one council entering in 2024: alone at event time -7
    panel.loc[lone & (panel["time"] == 2017), "value"] += 5.0  # a wild year only it has
    study = ev.event_study(panel, "callaway_santanna", "never_treated")
    support = study.coefficients.set_index("event_time")["n_units"]
    assert support[-7] == 1 and support[-4] > 5
    assert study.pre_trend_df == 4 and study.pre_trend_p > 0.01  # leads -5..-2; -6 and -7 have one unit
    table = ev.coefficient_table([ev.Evaluation("dbv", "hn_spend", study, "")])
    assert table["event_time"].min() == -5 and table.loc[table["reference"], ["ci_low", "ci_high"]].eq(0).all(axis=None)


def test_frame_placement_on_hand_made_shares():
    values = pd.DataFrame({"unit": ["a", "b", "c", "d", "a"], "fy": ["2020-21"] * 4 + ["2021-22"],
                           "mainstream_share": [0.5, 0.6, 0.3, 0.4, 0.9],
                           "special_independent_share": [0.05, 0.05, 0.1, 0.1, 0.0]})
    table = ev.frame_placement(values, ["a", "b"], 199, 1, 0.9).set_index("outcome")
    assert table.loc["mainstream_share", "difference"] == pytest.approx(0.2)
    assert table.loc["special_independent_share", "frame_mean"] == pytest.approx(0.05)
    assert (table["n_frame"] == 2).all() and (table["fy"] == "2020-21").all()


def test_comparison_table_sets_every_effect_beside_the_three_growth_comparisons():
    panel = staggered_panel(effect=-0.1, n_units=150, cohort_shares=(0.5, 0.0, 0.0, 0.5, 0.0), seed=3)
    values = panel.rename(columns={"value": "hn_spend"}).assign(hn_spend=lambda f: np.exp(f["hn_spend"]))
    groups = {"dbv": panel.drop_duplicates("unit").assign(
        role=lambda f: np.where(f["first_treat"] > 0, "treated", "comparison"), note="")[ev.GROUP_COLUMNS]}
    effects = ev.effect_table(ev.evaluate(values, groups, ["hn_spend"], "callaway_santanna", "never_treated",
                                          0.95, 199, 1, 30))
    comparison_units = groups["dbv"].loc[groups["dbv"]["role"] == "comparison", "unit"]
    neighbours = {"dbv": {unit: list(comparison_units) for unit in groups["dbv"]["unit"]}}
    balances = pd.DataFrame({2021: 0.0}, index=groups["dbv"]["unit"])
    table = ev.comparison_table(effects, values, groups, neighbours, balances, 2, 199, 1, 0.95)
    assert table["method"].tolist() == ["event_study", "neighbours", "matched", "unmatched"]
    growth = table.set_index("method").loc[["neighbours", "matched", "unmatched"]]
    truth = -0.1 / 3  # a 0.1 drop from 2022 on, spread over the three years after 2021
    assert (growth["ci_low"] < truth).all() and (truth < growth["ci_high"]).all() and (growth["ci_high"] < 0).all()
    assert (growth["n_units"] == (groups["dbv"]["role"] == "treated").sum()).all()
