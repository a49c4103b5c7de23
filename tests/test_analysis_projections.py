import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import projections
from sendlib.errors import ParameterError


def panel() -> pd.DataFrame:
    """A grows 10% a year, B is flat (then +5% in 2021-22), C is incomplete in 2021-22."""
    spend = {"A": [100.0, 110.0, 121.0, 133.1], "B": [200.0, 200.0, 200.0, 210.0], "C": [50.0, 50.0, 50.0, 20.0]}
    rows = []
    for unit, values in spend.items():
        for k, value in enumerate(values):
            rows.append({"unit": unit, "fy_start": 2018 + k, "hn_spend_gbp": value,
                         "hn_spend_complete": not (unit == "C" and k == 3)})
    frame = pd.DataFrame(rows)
    frame["fy"] = [f"{y}-{(y + 1) % 100:02d}" for y in frame["fy_start"]]
    start = frame["fy"] == "2021-22"
    frame["hnb_after_deductions_gbp"] = np.where(start, frame["unit"].map({"A": 120.0, "B": 250.0, "C": 60.0}), np.nan)
    frame["dsg_balance_gbp"] = np.where(start, frame["unit"].map({"A": 5.0, "B": -10.0, "C": np.nan}), np.nan)
    frame["dsg_total_gbp"] = np.where(start, frame["unit"].map({"A": 1000.0, "B": 2000.0, "C": 500.0}), np.nan)
    return frame


def test_project_funding_compounds():
    assert projections.project_funding(100.0, [0.1, 0.2]) == pytest.approx([110.0, 132.0])
    assert projections.project_funding(100.0, []) == []


def test_spend_trend_rate():
    series = pd.Series([100.0, 110.0, 121.0], index=[2019, 2020, 2021])
    assert projections.spend_trend_rate(series, 2) == pytest.approx(0.1)
    assert projections.spend_trend_rate(series, 1) == pytest.approx(0.1)
    assert np.isnan(projections.spend_trend_rate(series, 3))  # 2018 absent
    assert np.isnan(projections.spend_trend_rate(pd.Series([100.0, np.nan], index=[2019, 2020]), 1))
    with pytest.raises(ValueError, match="n_years"):
        projections.spend_trend_rate(series, 0)


def test_project_unit_arithmetic_by_hand():
    table = projections.project_unit("2021-22", 2, funding0=100, spend0=120, balance0=10,
                                     funding_growth=[0.1, 0.0], spend_growth=0.5)
    assert list(table.columns) == projections.PROJECTION_COLUMNS
    assert table["fy"].tolist() == ["2022-23", "2023-24"] and table["fy_start"].tolist() == [2022, 2023]
    assert table["funding_gbp"].tolist() == pytest.approx([110.0, 110.0])
    assert table["spend_gbp"].tolist() == pytest.approx([180.0, 270.0])
    assert table["gap_gbp"].tolist() == pytest.approx([70.0, 160.0])
    assert table["balance_gbp"].tolist() == pytest.approx([80.0, 240.0])


def test_funding_growth_forms():
    by_year = projections.growth_path({"2022-23": 0.1, "2023-24": 0.2, "2030-31": 9.0}, "2021-22", 2)
    assert by_year == [0.1, 0.2]
    assert projections.growth_path(0.03, "2021-22", 3) == [0.03] * 3
    with pytest.raises(ValueError, match=r"no rate for \['2023-24'\]"):
        projections.growth_path({"2022-23": 0.1}, "2021-22", 2)
    with pytest.raises(ValueError, match="3 rates for a horizon of 2"):
        projections.growth_path([0.1, 0.1, 0.1], "2021-22", 2)


def test_project_all_own_trend():
    table = projections.project_all(panel(), "2021-22", 2, 0.05, spend_rule="own_trend", trend_years=3)
    assert table["unit"].tolist() == ["A", "A", "B", "B", "C", "C"]
    a = table.loc[table["unit"] == "A"]
    assert a["spend_growth_rate"].tolist() == pytest.approx([0.1, 0.1])
    assert a["funding_gbp"].tolist() == pytest.approx([126.0, 132.3])
    assert a["spend_gbp"].tolist() == pytest.approx([146.41, 161.051])
    assert a["balance_gbp"].tolist() == pytest.approx([5 + 20.41, 5 + 20.41 + 28.751])
    assert a["dsg_total_gbp"].tolist() == pytest.approx([1050.0, 1102.5])
    assert a["balance_pct_of_dsg"].iloc[0] == pytest.approx(100 * 25.41 / 1050)
    b = table.loc[table["unit"] == "B"]
    assert b["spend_growth_rate"].iloc[0] == pytest.approx((210 / 200) ** (1 / 3) - 1)
    c = table.loc[table["unit"] == "C"]
    assert c[["spend_gbp", "balance_gbp"]].isna().all().all()  # incomplete start year: no projection, never 0


def test_project_all_national_rule_and_bad_rule():
    table = projections.project_all(panel(), "2021-22", 1, [0.0], spend_rule="national", trend_years=3)
    rate = ((133.1 + 210) / (100 + 200)) ** (1 / 3) - 1  # C is incomplete in 2021-22, so left out
    assert table["spend_growth_rate"].tolist() == pytest.approx([rate] * 3)
    assert table.loc[table["unit"] == "B", "spend_gbp"].iloc[0] == pytest.approx(210 * (1 + rate))
    with pytest.raises(ValueError, match="unknown spend_rule 'flat'"):
        projections.project_all(panel(), "2021-22", 1, 0.0, spend_rule="flat")
    with pytest.raises(ValueError, match="funding_measure 'ehcp'"):
        projections.project_all(panel(), "2021-22", 1, 0.0, funding_measure="ehcp")


def test_councils_over_threshold():
    table = projections.project_all(panel(), "2021-22", 2, 0.05, trend_years=3)
    summary = projections.councils_over_threshold(table, threshold_pct_of_dsg=2.0)
    assert summary["fy"].tolist() == ["2022-23", "2023-24"]
    assert summary["n_units"].tolist() == [3, 3] and summary["n_known"].tolist() == [2, 2]
    assert summary["n_over"].tolist() == [1, 1] and summary["share_over"].tolist() == [0.5, 0.5]


def allocations() -> pd.DataFrame:
    rows = [("A", "2021-22", 90.0), ("A", "2022-23", 100.0), ("A", "2023-24", 106.0),
            ("B", "2021-22", 190.0), ("B", "2022-23", 200.0), ("B", "2023-24", 208.0),
            ("C", "2022-23", np.nan), ("C", "2023-24", 50.0)]
    return pd.DataFrame(rows, columns=["unit", "fy", "hnb_before_deductions_gbp"])


def test_backtest_funding_assumption_per_unit_and_national():
    table = projections.backtest_funding_assumption(allocations(), "2022-23", {"2023-24": 0.05, "2024-25": 0.03})
    first = table.loc[table["fy"] == "2023-24"].set_index("unit")
    assert first.loc["A", "assumed_gbp"] == pytest.approx(105.0) and first.loc["A", "actual_gbp"] == 106.0
    assert first.loc["A", "difference_gbp"] == pytest.approx(1.0)
    assert first.loc["A", "difference_pct"] == pytest.approx(106 / 105 - 1)
    assert first.loc["A", "actual_growth"] == pytest.approx(0.06) and first.loc["A", "n_units"] == 1
    assert first.loc["C", "n_units"] == 0 and np.isnan(first.loc["C", "assumed_gbp"])
    assert first.loc["national", "n_units"] == 2 and first.loc["national", "level"] == "national"
    assert first.loc["national", "assumed_gbp"] == pytest.approx(315.0)
    assert first.loc["national", "actual_gbp"] == pytest.approx(314.0)
    assert first.loc["national", "actual_growth"] == pytest.approx(314 / 300 - 1)
    later = table.loc[table["fy"] == "2024-25"].set_index("unit")
    assert later.loc["A", "assumed_gbp"] == pytest.approx(100 * 1.05 * 1.03)
    assert later["actual_gbp"].isna().all()  # no allocations yet: missing, never 0
    with pytest.raises(ValueError, match="without gaps"):
        projections.backtest_funding_assumption(allocations(), "2022-23", {"2024-25": 0.03})


def test_backtest_spend_projection():
    table = projections.backtest_spend_projection(panel(), "2020-21", spend_rule="own_trend", trend_years=2)
    assert table["fy"].unique().tolist() == ["2021-22"]  # default end: the latest year with spend
    rows = table.set_index("unit")
    assert rows.loc["A", "spend_growth_rate"] == pytest.approx(0.1)
    assert rows.loc["A", "projected_gbp"] == pytest.approx(133.1)
    assert rows.loc["A", "difference_gbp"] == pytest.approx(0)
    assert rows.loc["B", "projected_gbp"] == pytest.approx(200.0)
    assert rows.loc["B", "difference_pct"] == pytest.approx(0.05)
    assert rows.loc["C", "n_units"] == 0 and np.isnan(rows.loc["C", "actual_gbp"])
    assert rows.loc["national", "n_units"] == 2
    assert rows.loc["national", "projected_gbp"] == pytest.approx(333.1)
    assert rows.loc["national", "actual_gbp"] == pytest.approx(343.1)
    with pytest.raises(ValueError, match="no year to compare"):
        projections.backtest_spend_projection(panel(), "2021-22")


def panel_with_2022() -> pd.DataFrame:
    """panel() plus 2020-21 balances, allocations before deductions, and a 2022-23 row per unit
    holding that year's actual allocations (no spend)."""
    frame = panel()
    previous = frame["fy"] == "2020-21"
    frame.loc[previous, "dsg_balance_gbp"] = frame.loc[previous, "unit"].map({"A": 2.0, "B": -12.0, "C": np.nan})
    extra = pd.DataFrame({
        "unit": ["A", "B", "C"], "fy_start": 2022, "fy": "2022-23", "hn_spend_gbp": np.nan, "hn_spend_complete": False,
        "hnb_after_deductions_gbp": [132.0, 250.0, 66.0], "dsg_balance_gbp": np.nan,
        "dsg_total_gbp": [1100.0, 2000.0, 550.0],
    })
    frame = pd.concat([frame, extra], ignore_index=True)
    frame["hnb_before_deductions_gbp"] = frame["hnb_after_deductions_gbp"] * 1.1
    return frame


def test_project_unit_gap_offset_shifts_every_gap():
    table = projections.project_unit("2021-22", 2, funding0=100, spend0=120, balance0=10,
                                     funding_growth=[0.1, 0.0], spend_growth=0.5, gap_offset=-50)
    assert table["gap_gbp"].tolist() == pytest.approx([20.0, 110.0])
    assert table["balance_gbp"].tolist() == pytest.approx([30.0, 140.0])


def test_project_all_observed_gap_actual_funding_and_start_row():
    table = projections.project_all(panel_with_2022(), "2021-22", 2, {"2023-24": 0.05}, gap_basis="observed",
                                    actual_funding_until="2022-23", include_start=True)
    a = table.loc[table["unit"] == "A"].set_index("fy")
    assert a.index.tolist() == ["2021-22", "2022-23", "2023-24"]
    # start row: observed gap = 5 - 2; offset = 3 - (133.1 - 120) = -10.1
    assert a.loc["2021-22", ["funding_gbp", "spend_gbp", "gap_gbp", "balance_gbp", "dsg_total_gbp"]].tolist() == \
        pytest.approx([120.0, 133.1, 3.0, 5.0, 1000.0])
    # 2022-23: actual allocation 132 and total DSG 1100; gap = 3 + (146.41 - 133.1) - (132 - 120)
    assert a.loc["2022-23", "funding_gbp"] == pytest.approx(132.0)
    assert a.loc["2022-23", "dsg_total_gbp"] == pytest.approx(1100.0)
    assert a.loc["2022-23", "gap_gbp"] == pytest.approx(4.31)
    assert a.loc["2022-23", "balance_gbp"] == pytest.approx(9.31)
    # 2023-24: assumed +5% on the actual 2022-23 values
    assert a.loc["2023-24", "funding_gbp"] == pytest.approx(138.6)
    assert a.loc["2023-24", "dsg_total_gbp"] == pytest.approx(1155.0)
    assert a.loc["2023-24", "gap_gbp"] == pytest.approx(3 + (161.051 - 133.1) - (138.6 - 120))
    assert a.loc["2023-24", "balance_pct_of_dsg"] == pytest.approx(100 * (9.31 + 12.351) / 1155)
    c = table.loc[table["unit"] == "C"]
    assert c[["gap_gbp", "balance_gbp"]].isna().all().all()  # no 2020-21 balance and no spend: missing, never 0


def test_project_all_raw_gap_and_bad_arguments():
    raw = projections.project_all(panel_with_2022(), "2021-22", 1, {"2022-23": 0.0}, actual_funding_until="2022-23")
    a = raw.loc[raw["unit"] == "A"].iloc[0]
    assert a["gap_gbp"] == pytest.approx(146.41 - 132.0) and a["balance_gbp"] == pytest.approx(5 + 14.41)
    with pytest.raises(ValueError, match="unknown gap_basis 'net'"):
        projections.project_all(panel(), "2021-22", 1, 0.0, gap_basis="net")
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        projections.project_all(panel(), "2021-22", 0, 0.0)


def test_guidance_rates_and_years_with_values():
    assert projections.guidance_rates("2022-23", "2025-26", 0.05, 0.03) == {
        "2023-24": 0.05, "2024-25": 0.03, "2025-26": 0.03}
    assert projections.guidance_rates("2022-23", "2022-23", 0.05, 0.03) == {}
    assert projections.years_with_values(panel_with_2022(), "dsg_balance_gbp") == ["2020-21", "2021-22"]


def test_national_spend_trend_rate():
    rate = projections.national_spend_trend_rate(panel(), "2021-22", 3)
    assert rate == pytest.approx(((133.1 + 210) / (100 + 200)) ** (1 / 3) - 1)  # C incomplete in 2021-22
    with pytest.raises(ValueError, match="trend_years"):
        projections.national_spend_trend_rate(panel(), "2021-22", 0)


def test_national_projection_sums_complete_units_only():
    table = projections.project_all(panel_with_2022(), "2021-22", 2, {"2023-24": 0.05}, gap_basis="observed",
                                    actual_funding_until="2022-23", include_start=True)
    national = projections.national_projection(table).set_index("fy")
    assert national["n_units"].tolist() == [2, 2, 2]  # C has missing values
    assert national.loc["2021-22", ["funding_gbp", "spend_gbp", "gap_gbp", "balance_gbp", "dsg_total_gbp"]].tolist() \
        == pytest.approx([370.0, 343.1, 3.0 + 2.0, -5.0, 3000.0])
    assert national.loc["2021-22", "balance_pct_of_dsg"] == pytest.approx(100 * -5 / 3000)
    b_rate = (210 / 200) ** (1 / 3) - 1
    assert national.loc["2022-23", "spend_gbp"] == pytest.approx(146.41 + 210 * (1 + b_rate))


def test_units_over_threshold_lists_first_year_and_values():
    table = projections.project_all(panel_with_2022(), "2021-22", 2, {"2023-24": 0.05}, gap_basis="observed",
                                    actual_funding_until="2022-23", include_start=True)
    over = projections.units_over_threshold(table, 0.8)
    assert over["unit"].tolist() == ["A"]  # A: 0.5%, 0.846%, 1.875%; B stays in surplus
    assert over["first_fy_over"].tolist() == ["2022-23"] and over["n_years_over"].tolist() == [2]
    assert list(over.columns) == ["unit", "first_fy_over", "n_years_over", "2021-22", "2022-23", "2023-24"]
    assert over.loc[0, "2022-23"] == pytest.approx(100 * 9.31 / 1100)
    assert projections.units_over_threshold(table, 50.0).empty


def test_comparison_path_starts_at_base_and_keeps_units_known_every_year():
    table = projections.backtest_spend_projection(panel(), "2020-21", spend_rule="own_trend", trend_years=2)
    path = projections.comparison_path(table, "2020-21", "projected_gbp")
    assert path["fy"].tolist() == ["2020-21", "2021-22"]
    assert path["n_units"].tolist() == [2, 2]  # C has no complete 2021-22 outturn
    assert path["projected_gbp"].tolist() == pytest.approx([321.0, 333.1])
    assert path["actual_gbp"].tolist() == pytest.approx([321.0, 343.1])


def test_backtest_summary_by_hand():
    table = pd.DataFrame({
        "level": ["national", "unit", "unit", "unit", "unit"],
        "unit": ["national", "A", "B", "C", "D"],
        "fy": "2023-24",
        "n_units": [3, 1, 1, 1, 0],
        "assumed_gbp": [300.0, 100.0, 100.0, 100.0, np.nan],
        "actual_gbp": [330.0, 120.0, 90.0, 120.0, 50.0],
        "difference_pct": [0.1, 0.2, -0.1, 0.2, np.nan],
    })
    summary = projections.backtest_summary(table, "2023-24", "assumed_gbp")
    assert summary == pytest.approx({"n_units": 3, "assumed_gbp": 300.0, "actual_gbp": 330.0, "difference_pct": 0.1,
                                     "share_units_above": 2 / 3, "median_unit_difference_pct": 0.2})
    with pytest.raises(ValueError, match="0 national rows for '2024-25'"):
        projections.backtest_summary(table, "2024-25", "assumed_gbp")


GOOD_SETUP = {"start_fy": "2021-22", "horizon": 3, "spend_rule": "own_trend", "trend_years": 3,
              "gap_basis": "observed", "backtest_base_fy": "2021-22", "funding_growth_first": 0.05,
              "funding_growth_after": 0.03}


def test_check_projection_parameters_accepts_a_good_setup():
    projections.check_projection_parameters(panel_with_2022(), GOOD_SETUP)


@pytest.mark.parametrize("changes, message", [
    ({"start_fy": "2019-20", "trend_years": 1},
     "start_fy '2019-20' has no DSG balance; years with balances: 2020-21, 2021-22"),
    ({"start_fy": "2020-21", "trend_years": 2}, r"needs the DSG balance of the year before start_fy \(2019-20\)"),
    ({"trend_years": 4}, "needs outturn in 2017-18 and 2021-22"),
    ({"backtest_base_fy": "2022-23"}, "backtest_base_fy '2022-23' needs allocations in it and the year after"),
    ({"horizon": 0}, "horizon must be at least 1"),
    ({"spend_rule": "flat"}, "spend_rule 'flat' is not one of"),
    ({"gap_basis": "net"}, "gap_basis 'net' is not one of"),
    ({"funding_growth_after": -1.5}, "funding_growth_after must be above -1"),
])
def test_check_projection_parameters_rejects(changes, message):
    with pytest.raises(ParameterError, match=message):
        projections.check_projection_parameters(panel_with_2022(), {**GOOD_SETUP, **changes})


def test_check_projection_parameters_start_after_base():
    frame = panel_with_2022()
    frame.loc[frame["fy"] == "2020-21", "hnb_after_deductions_gbp"] = 100.0
    frame["hnb_before_deductions_gbp"] = frame["hnb_after_deductions_gbp"] * 1.1
    with pytest.raises(ParameterError, match="start_fy '2021-22' must not come after backtest_base_fy '2020-21'"):
        projections.check_projection_parameters(frame, {**GOOD_SETUP, "backtest_base_fy": "2020-21"})


def test_national_inputs_sums_known_values_only():
    inputs = projections.national_inputs(panel_with_2022())
    assert inputs.columns.tolist() == ["fy", *projections.INPUT_COLUMNS]
    assert inputs["fy"].tolist() == ["2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]
    by_fy = inputs.set_index("fy")
    assert by_fy.loc["2021-22", "hn_spend_gbp"] == pytest.approx(133.1 + 210 + 20)
    assert by_fy.loc["2021-22", "dsg_balance_gbp"] == pytest.approx(-5.0)  # C unknown: left out
    assert np.isnan(by_fy.loc["2018-19", "dsg_total_gbp"]) and np.isnan(by_fy.loc["2022-23", "hn_spend_gbp"])


def guidance_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = panel_with_2022()
    projection = projections.guidance_projection(frame, "2021-22", 2, "2022-23", 0.05, 0.03)
    return frame, projection


def test_guidance_projection_is_project_all_on_the_guidance_path():
    frame, projection = guidance_run()
    expected = projections.project_all(frame, "2021-22", 2, {"2023-24": 0.05}, gap_basis="observed",
                                       actual_funding_until="2022-23", include_start=True)
    pd.testing.assert_frame_equal(projection, expected)


def test_projection_and_threshold_results_by_hand():
    frame, projection = guidance_run()
    results = projections.projection_results(frame, projection, "2021-22", 3)
    national = projections.national_projection(projection).set_index("fy")
    assert results["last_projected_fy"] == "2023-24" and results["projection_n_units"] == 2
    assert results["national_balance_start_gbp"] == pytest.approx(-5.0)
    assert results["national_balance_start_pct_of_dsg"] == pytest.approx(100 * -5 / 3000)
    assert results["national_balance_final_gbp"] == pytest.approx(national.loc["2023-24", "balance_gbp"])
    assert results["national_raw_gap_start_gbp"] == pytest.approx(343.1 - 370.0)
    assert results["national_gap_start_gbp"] == pytest.approx(5.0)
    assert results["national_spend_trend_rate"] == pytest.approx(((133.1 + 210) / 300) ** (1 / 3) - 1)
    assert results["median_unit_spend_growth_rate"] == pytest.approx(
        np.median([0.1, (210 / 200) ** (1 / 3) - 1]))  # C: incomplete 2021-22 spend, no rate
    over_by_year = projections.councils_over_threshold(projection, 0.8)
    over = projections.units_over_threshold(projection, 0.8)
    counts = projections.threshold_results(over_by_year, over)
    assert counts == {"n_over_threshold_start": 0, "n_known_start": 2, "n_over_threshold_final": 1,
                      "n_known_final": 2, "share_over_threshold_final": 0.5, "n_over_threshold_ever": 1,
                      "n_over_threshold_by_fy": {"2021-22": 0, "2022-23": 1, "2023-24": 1}}


def test_backtest_results_by_hand():
    frame = allocations()
    table = projections.backtest_guidance(frame, "2022-23", 0.05, 0.03)
    pd.testing.assert_frame_equal(table, projections.backtest_funding_assumption(frame, "2022-23", {"2023-24": 0.05}))
    results = projections.funding_backtest_results(table, "2022-23")
    assert results["funding_backtest_fy"] == "2023-24" and results["funding_assumed_growth"] == 0.05
    assert results["funding_actual_growth"] == pytest.approx(314 / 300 - 1)
    assert results["funding_actual_growth_by_fy"] == {"2023-24": pytest.approx(314 / 300 - 1)}
    assert results["funding_assumed_gbp"] == pytest.approx(315.0) and results["funding_n_units"] == 2
    assert projections.backtest_units(table, "2023-24")["unit"].tolist() == ["A", "B", "C"]
    spend = projections.backtest_spend_projection(panel(), "2019-20", spend_rule="own_trend", trend_years=1)
    spend_results = projections.spend_backtest_results(spend)
    assert (spend_results["spend_backtest_first_fy"], spend_results["spend_backtest_final_fy"]) == ("2020-21", "2021-22")
    assert spend_results["spend_first_difference_pct"] == pytest.approx(
        projections.backtest_summary(spend, "2020-21", "projected_gbp")["difference_pct"])
    assert spend_results["spend_n_units"] == 2
