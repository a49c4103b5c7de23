import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sendlib.present import plots  # noqa: E402
from sendlib.analysis import case_study as cs  # noqa: E402
from sendlib.analysis import growth  # noqa: E402
from sendlib.errors import ParameterError  # noqa: E402

FYS = ["2018-19", "2019-20", "2020-21"]
UNITS = ["101", "102", "103", "104", "105", "ab"]


def toy_panel() -> pd.DataFrame:
    """Six units, spend 100 in 2018-19 growing to 110, 120, ..., 160 in 2020-21 (growth 0.1..0.6);
    allocations only from 2019-20; DSG balances only in 2019-20 and 2020-21; unit "ab" is two councils."""
    rows = []
    for i, unit in enumerate(UNITS):
        for j, fy in enumerate(FYS):
            rows.append({
                "unit": unit, "unit_name": f"Unit {unit}", "la_type": "UA" if i % 2 else "SC",
                "la_codes": "106+107" if unit == "ab" else unit, "fy": fy, "fy_start": 2018 + j,
                "hn_spend_gbp": 100.0 + j * 5.0 * (i + 1), "hn_spend_complete": True,
                "hnb_after_deductions_gbp": np.nan if j == 0 else 90.0 + j * (i + 1),
                "ehcp_count": 10.0 + j * (i + 1) / 2, "pop_2_18_count": 200.0, "deflator_index": 90.0 + 5 * j,
                "idaci_score": 0.1 + 0.02 * i, "dbv": i in (1, 2), "safety_valve": i == 5,
                "dsg_balance_pct": np.nan if j == 0 else [3.0, -1.0, 2.0, -4.0, 0.5, 6.0][i],
            })
    return pd.DataFrame(rows)


def check(panel: pd.DataFrame, **overrides):
    arguments = dict(case_study=["101"], measure="hn_spend", basis="cash", denominator="total",
                     base_fy="2018-19", end_fy="2020-21", group_size=3, n_draws=100,
                     sensitivity_base_fy=["2018-19"], sensitivity_end_fy=["2019-20", "2020-21"])
    return cs.check_parameters(panel, {**arguments, **overrides})


def test_measure_years_lists_years_with_any_value():
    panel = toy_panel()
    assert cs.measure_years(panel, "hn_spend", "cash", "total") == FYS
    assert cs.measure_years(panel, "hnb_after_deductions", "real", "per_head_2_18") == FYS[1:]


def test_units_of_councils_maps_members_to_their_unit():
    panel = toy_panel()
    assert cs.units_of_councils(panel, ["107", "101", "106"]) == ["101", "ab"]
    with pytest.raises(ParameterError, match=r"\['999'\] belong to no unit"):
        cs.units_of_councils(panel, ["101", "999"])


def test_check_parameters_accepts_a_valid_run_and_returns_the_units():
    assert check(toy_panel(), case_study=["101", "106"]) == ["101", "ab"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_fy": "2020-21", "end_fy": "2019-20"}, "end_fy '2019-20' must come after base_fy '2020-21'"),
        ({"base_fy": "2019-20", "end_fy": "2019-20"}, "must come after"),
        ({"measure": "hnb_after_deductions"},
         r"measure 'hnb_after_deductions' \(cash, total\) has no data in base_fy 2018-19; "
         r"years with data: 2019-20 to 2020-21"),
        ({"measure": "ehcp", "basis": "real"}, "is a count"),
        ({"measure": "spend"}, "unknown measure 'spend'"),
        ({"case_study": []}, "case_study is empty"),
        ({"case_study": ["999"]}, "belong to no unit"),
        ({"group_size": 7}, "group_size must be between the 1 named case-study unit"),
        ({"group_size": 1, "case_study": ["101", "102"]}, "between the 2 named"),
        ({"n_draws": 0}, "n_draws must be at least 1"),
        ({"sensitivity_end_fy": ["2018-19", "2020-21"]}, r"base year\(s\) \['2018-19'\] are not before"),
    ],
)
def test_check_parameters_refuses_combinations_the_data_cannot_answer(overrides, message):
    with pytest.raises(ParameterError, match=message):
        check(toy_panel(), **overrides)


def test_check_parameters_needs_a_case_study_unit_with_growth():
    panel = toy_panel()
    panel.loc[(panel["unit"] == "101") & (panel["fy"] == "2020-21"), "hn_spend_gbp"] = np.nan
    with pytest.raises(ParameterError, match="no case-study unit has a growth value.*missing end value"):
        check(panel)


def test_distribution_table_known_quantiles():
    table = cs.distribution_table(pd.Series([5.0, 1.0, np.nan, 3.0, 2.0, 4.0]))
    assert table["statistic"].tolist() == ["n", "mean", "min", "p10", "p25", "p50", "p75", "p90", "max"]
    values = dict(zip(table["statistic"], table["value"]))
    assert values["n"] == 5 and values["mean"] == 3.0 and values["min"] == 1.0 and values["max"] == 5.0
    assert values["p25"] == 2.0 and values["p50"] == 3.0 and values["p10"] == pytest.approx(1.4)


def test_growth_markers_names_few_units_and_averages_many():
    few = cs.growth_markers(0.25, 0.3, {"Camden": 0.1})
    assert few == {"claimed": 0.25, "England": 0.3, "Camden (named)": 0.1}
    many = cs.growth_markers(0.25, 0.3, {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4})
    assert many == {"claimed": 0.25, "England": 0.3, "named units' mean (n = 4)": pytest.approx(0.25)}


def test_group_mean_interval_is_not_estimable_for_one_member():
    one = cs.group_mean_interval([np.nan, 0.093], n_draws=100, seed=1)
    assert one.n == 1 and one.mean == 0.093 and not one.estimable
    assert np.isnan(one.low) and np.isnan(one.high) and "not estimable" in one.note
    none = cs.group_mean_interval([], n_draws=100, seed=1)
    assert none.n == 0 and np.isnan(none.mean) and not none.estimable


def test_group_mean_interval_bootstraps_two_or_more_members():
    constant = cs.group_mean_interval([0.2, 0.2, 0.2], n_draws=200, seed=3)
    assert constant.estimable and (constant.mean, constant.low, constant.high) == pytest.approx((0.2, 0.2, 0.2))
    values = [0.1, 0.3, 0.2, 0.6]
    interval = cs.group_mean_interval(values, n_draws=500, seed=7)
    assert (interval.mean, interval.low, interval.high) == growth.bootstrap_mean_ci(values, 500, 7)
    assert interval.low < interval.mean < interval.high


def test_implied_mean_of_others():
    assert cs.implied_mean_of_others(0.25, [0.1], 10) == pytest.approx((2.5 - 0.1) / 9)
    assert np.isnan(cs.implied_mean_of_others(0.25, [0.1, 0.4], 2))
    with pytest.raises(ValueError, match="exceed group_size"):
        cs.implied_mean_of_others(0.25, [0.1, 0.2, 0.3], 2)


def test_unnamed_members_against_every_possible_group():
    table = pd.DataFrame({"unit": list("abcdef"), "growth": [0.1, 0.2, 0.3, 0.4, 0.5, np.nan]})
    result = cs.unnamed_members(table, ["a"], claimed_growth=0.31, group_size=3, n_draws=20000, seed=5)
    implied = (3 * 0.31 - 0.1) / 2  # the other two must average 0.415
    assert result.n_unnamed == 2 and result.implied_mean == pytest.approx(implied)
    pairs = list(itertools.combinations([0.2, 0.3, 0.4, 0.5], 2))
    exact = np.mean([np.mean(pair) <= implied for pair in pairs])  # 5 of 6 pairs
    assert exact == pytest.approx(5 / 6)
    assert result.percentile_among_random_groups == pytest.approx(exact, abs=0.02)
    everyone = cs.unnamed_members(table, ["a", "b"], claimed_growth=0.3, group_size=2, n_draws=10, seed=5)
    assert everyone.n_unnamed == 0 and np.isnan(everyone.implied_mean)


def test_regression_frame_builds_the_controls():
    panel = toy_panel()
    unit_growth = growth.unit_growth(panel, "hn_spend", "cash", "total", "2018-19", "2020-21")
    frame = cs.regression_frame(panel, unit_growth, "2018-19", "2020-21", ["102"])
    assert frame.columns.tolist() == [
        "unit", "unit_name", "la_type", "growth", *cs.NUMERIC_CONTROLS, *cs.MEMBERSHIPS]
    row = frame.set_index("unit").loc["102"]
    assert row["growth"] == pytest.approx(0.2)
    assert row["baseline_spend_per_head_2_18_k"] == pytest.approx(100 / 200 / 1000)
    assert row["ehcp_growth"] == pytest.approx(12 / 10 - 1)
    assert row["idaci_score"] == pytest.approx(0.12) and row["la_type"] == "UA"
    assert bool(row["case_study"]) and bool(row["dbv"]) and not bool(row["safety_valve"])
    assert frame["case_study"].sum() == 1


def test_regression_controls_leave_out_the_outcome():
    assert cs.regression_controls("hn_spend") == list(cs.NUMERIC_CONTROLS)
    assert "ehcp_growth" not in cs.regression_controls("ehcp")


def test_category_dummies_drop_the_first_level():
    dummies = cs.category_dummies(pd.Series(["UA", "SC", "MD", "UA"], name="la_type"))
    assert dummies.columns.tolist() == ["la_type[SC]", "la_type[UA]"]
    assert dummies.to_numpy().tolist() == [[0, 1], [1, 0], [0, 0], [0, 1]]


def synthetic_frame(n: int = 40, members: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    member = np.arange(n) < members
    kind = np.where(np.arange(n) % 3 == 0, "A", "B")
    y = 0.2 + 0.1 * member + 0.5 * x + 0.05 * (kind == "B") + rng.normal(scale=0.05, size=n)
    return pd.DataFrame({"unit": [f"u{i:02d}" for i in range(n)], "growth": y, "x": x, "member": member,
                         "kind": kind})


def least_squares(frame: pd.DataFrame) -> np.ndarray:
    """Independent OLS coefficients: const, member, x, kind[B]."""
    design = np.column_stack([np.ones(len(frame)), frame["member"], frame["x"], frame["kind"] == "B"])
    return np.linalg.lstsq(design.astype(float), frame["growth"].to_numpy(), rcond=None)[0]


def test_membership_effects_recover_a_known_coefficient():
    frame = synthetic_frame()
    effects = cs.membership_effects(frame, "growth", ["member"], ["x"], "kind")
    assert effects.columns.tolist() == cs.REGRESSION_COLUMNS
    row = effects.iloc[0]
    assert row["n"] == 40 and row["n_members"] == 12 and bool(row["hc3_defined"])
    assert row["coefficient"] == pytest.approx(least_squares(frame)[1])
    assert row["coefficient"] == pytest.approx(0.1, abs=0.05)
    assert row["robust_se"] > 0 and row["classical_se"] > 0 and 0 <= row["robust_p_value"] <= 1


def test_membership_effects_one_member_has_no_hc3_error_but_a_coefficient():
    frame = synthetic_frame(members=1)
    row = cs.membership_effects(frame, "growth", ["member"], ["x"], "kind").iloc[0]
    assert row["n_members"] == 1 and not bool(row["hc3_defined"])
    assert np.isnan(row["robust_se"]) and np.isnan(row["robust_p_value"])
    others = frame.iloc[1:]
    fitted = np.linalg.lstsq(np.column_stack([np.ones(len(others)), others["x"], others["kind"] == "B"]).astype(float),
                             others["growth"].to_numpy(), rcond=None)[0]
    first = frame.iloc[0]
    residual = first["growth"] - (fitted[0] + fitted[1] * first["x"] + fitted[2] * (first["kind"] == "B"))
    assert row["coefficient"] == pytest.approx(residual)
    assert np.isfinite(row["classical_se"]) and row["classical_se"] > 0


def test_selected_group_mean_ranks_and_breaks_ties_by_unit():
    frame = pd.DataFrame({"unit": ["d", "c", "b", "a", "e"], "growth": [0.4, 0.1, 0.1, 0.3, np.nan],
                          "score": [1.0, 2.0, 2.0, 0.5, 0.0]})
    lowest = cs.selected_group_mean(frame, "growth", "growth", 2)
    assert lowest.units == ("b", "c") and lowest.mean == pytest.approx(0.1)
    by_score = cs.selected_group_mean(frame, "growth", "score", 2, lowest=False)
    assert by_score.units == ("b", "c")
    assert cs.selected_group_mean(frame, "growth", "score", 2).units == ("a", "d")
    with pytest.raises(ValueError, match="between 1 and the 4 units"):
        cs.selected_group_mean(frame, "growth", "score", 5)


def test_latest_year_with_data():
    panel = toy_panel()
    assert cs.latest_year_with_data(panel, "dsg_balance_pct", "2020-21") == "2020-21"
    assert cs.latest_year_with_data(panel, "dsg_balance_pct", "2019-20") == "2019-20"
    assert cs.latest_year_with_data(panel, "dsg_balance_pct", "2018-19") is None


def test_selection_comparison_picks_on_growth_and_on_balance():
    panel = toy_panel()
    unit_growth = growth.unit_growth(panel, "hn_spend", "cash", "total", "2018-19", "2020-21")
    frame = cs.regression_frame(panel, unit_growth, "2018-19", "2020-21", ["101"])
    table = cs.selection_comparison(frame, panel, 2, "2020-21").set_index("group")
    assert table.index.tolist() == ["lowest growth", "healthiest DSG balance", "highest growth"]
    assert table.loc["lowest growth", "units"] == "101+102"
    assert table.loc["lowest growth", "mean_growth"] == pytest.approx(0.15)
    assert table.loc["highest growth", "mean_growth"] == pytest.approx(0.55)
    # balances -4.0 (104, growth 0.4) and -1.0 (102, growth 0.2) are the two smallest deficits
    assert table.loc["healthiest DSG balance", "units"] == "104+102"
    assert table.loc["healthiest DSG balance", "mean_growth"] == pytest.approx(0.3)
    assert "end of 2020-21" in table.loc["healthiest DSG balance", "rule"]
    early = cs.selection_comparison(frame, panel.assign(dsg_balance_pct=np.nan), 2, "2020-21")
    assert "healthiest DSG balance" not in early["group"].tolist()


def test_claim_sensitivity_skips_years_without_data_and_uses_the_claimed_group_size():
    panel = toy_panel()
    table = cs.claim_sensitivity(panel, ["101"], 0.25, ["hn_spend", "hnb_after_deductions"], ["cash"], ["total"],
                                 ["2018-19"], ["2019-20", "2020-21"], group_size=1, n_draws=200, seed=1)
    assert table.columns.tolist() == cs.SENSITIVITY_COLUMNS
    assert table["measure"].tolist() == ["hn_spend", "hn_spend"]  # allocations have no 2018-19 value
    end = table.set_index("end_fy").loc["2020-21"]
    assert end["claim_percentile_among_units"] == pytest.approx(2 / 6)
    # groups of one unit are single units: the same share as among units
    assert end["claim_percentile_among_random_groups"] == pytest.approx(2 / 6, abs=0.08)
    everyone = cs.claim_sensitivity(panel, ["101"], 0.25, ["hn_spend"], ["cash"], ["total"], ["2018-19"],
                                    ["2020-21"], group_size=6, n_draws=50, seed=1)
    assert everyone["claim_percentile_among_random_groups"].tolist() == [0.0]  # every group averages 0.35
    assert everyone["random_group_size"].tolist() == [6]
    with pytest.raises(ValueError, match="group_size"):
        cs.claim_sensitivity(panel, ["101"], 0.25, ["hn_spend"], ["cash"], ["total"], ["2018-19"], ["2020-21"],
                             group_size=7, n_draws=50, seed=1)


def test_sensitivity_matrix_keeps_input_order():
    table = pd.DataFrame({
        "measure": ["m", "m", "m", "m"], "basis": ["real", "real", "cash", "cash"],
        "denominator": ["total"] * 4, "base_fy": ["2018-19"] * 4,
        "end_fy": ["2021-22", "2020-21", "2021-22", "2020-21"], "value": [1.0, 2.0, 3.0, 4.0],
    })
    matrix = cs.sensitivity_matrix(table, "value")
    assert matrix.index.tolist() == ["m, real, total", "m, cash, total"]
    assert matrix.columns.tolist() == ["2018-19 to 2021-22", "2018-19 to 2020-21"]
    assert matrix.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_annotated_heatmap_labels_cells_and_leaves_missing_blank():
    with matplotlib.rc_context():
        plots.apply_style()
        matrix = pd.DataFrame([[0.1, np.nan], [0.95, 0.5]], index=["r1", "r2"], columns=["c1", "c2"])
        fig = plots.annotated_heatmap(matrix, "title", "share")
        texts = sorted(t.get_text() for t in fig.axes[0].texts)
        assert texts == ["10%", "50%", "95%"]
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["r1", "r2"]
        plt.close(fig)
