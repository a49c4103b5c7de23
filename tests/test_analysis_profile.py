import math

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import outcomes, placement, profile
from sendlib.errors import ParameterError

FYS = ["2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24"]


def lookup() -> pd.DataFrame:
    """Three sole LAs and a unit "m" merged from two."""
    return pd.DataFrame(
        {
            "la_code": ["101", "102", "103", "104", "105"],
            "la_name": ["Alpha", "Beta", "Gamma", "Delta North", "Delta South"],
            "ons_code": ["E1", "E2", "E3", "E4", "E5"],
            "ons_codes": ["E1", "E2;X2", "E3", "E4", "E5"],
            "start_date": pd.to_datetime(["2009-01-01"] * 5),
            "unit": ["101", "102", "103", "m", "m"],
            "unit_name": ["Alpha", "Beta", "Gamma", "Delta", "Delta"],
        }
    )


def panel() -> pd.DataFrame:
    """Units A-E over FY2018-19..2023-24. In 2021-22 the features are A (1, 10), B (3, 10),
    C (1, 30), D (3, 30) (spend per head 2-18, EHC plans per 10,000 aged 0-25) and E has no
    spend: z-scores A (-1, -1), B (1, -1), C (-1, 1), D (1, 1)."""
    features = {"A": (1.0, 10.0), "B": (3.0, 10.0), "C": (1.0, 30.0), "D": (3.0, 30.0), "E": (np.nan, 20.0)}
    regions = {"A": "North", "B": "North", "C": "South", "D": "North", "E": "South"}
    types = {"A": "UA", "B": "MD", "C": "UA", "D": "UA", "E": "MD"}
    rows = []
    for unit, (per_head, rate) in features.items():
        for k, fy in enumerate(FYS):
            growth = 1.1 ** (k - 3)  # 10% a year, features as stated in 2021-22
            rows.append({
                "unit": unit, "unit_name": f"Unit {unit}", "region_name": regions[unit], "la_type": types[unit],
                "fy": fy, "fy_start": 2018 + k, "pop_2_18_count": 1000.0, "pop_0_25_count": 10_000.0,
                "hn_spend_gbp": per_head * 1000.0 * growth, "hn_spend_complete": not np.isnan(per_head),
                "ehcp_count": rate * growth, "deflator_index": 100.0,
            })
    return pd.DataFrame(rows)


def projection_panel(scale: float = 1.0) -> pd.DataFrame:
    """Unit A: allocation 90, 100, 110, 115 (FY2020-21..2023-24); DSG balance 5 then 15
    (in-year gap 10 in 2021-22); S251 spend 80 growing 10% a year to 106.48 in 2021-22,
    then 120 actual in 2022-23; total DSG 900, 1000, 1100. Money times ``scale``."""
    fys = ["2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24"]
    frame = pd.DataFrame(
        {
            "unit": "A", "fy": fys, "fy_start": range(2018, 2024),
            "hn_spend_gbp": [80.0, 88.0, 96.8, 106.48, 120.0, np.nan], "hn_spend_complete": [True] * 5 + [False],
            "hnb_after_deductions_gbp": [np.nan, np.nan, 90.0, 100.0, 110.0, 115.0],
            "dsg_balance_gbp": [np.nan, np.nan, 5.0, 15.0, np.nan, np.nan],
            "dsg_total_gbp": [np.nan, np.nan, 900.0, 1000.0, 1100.0, np.nan],
        }
    )
    money = ["hn_spend_gbp", "hnb_after_deductions_gbp", "dsg_balance_gbp", "dsg_total_gbp"]
    frame[money] = frame[money] * scale
    return frame


def test_council_unit_by_code_name_and_ons_code():
    merged = profile.council_unit(lookup(), "Delta South")
    assert (merged.la_code, merged.unit, merged.unit_name) == ("105", "m", "Delta")
    assert merged.member_la_codes == ("104", "105") and merged.member_la_names == ("Delta North", "Delta South")
    assert merged.merged
    sole = profile.council_unit(lookup(), "X2")  # a stale ONS code
    assert (sole.la_code, sole.unit, sole.merged) == ("102", "102", False)
    assert profile.council_unit(lookup(), "101").la_name == "Alpha"


def test_council_unit_unknown_suggests():
    with pytest.raises(ParameterError, match=r"unknown council 'Gamm'.*Gamma \(103\)"):
        profile.council_unit(lookup(), "Gamm")


def test_unit_features_by_hand():
    features = profile.unit_features(panel(), "2021-22")
    assert list(features.index) == ["A", "B", "C", "D", "E"]
    assert features.loc["B"].tolist() == pytest.approx([3.0, 10.0])
    assert np.isnan(features.loc["E", "spend_per_head_2_18_gbp"])  # incomplete spend is not a value
    assert features.loc["E", "ehcp_per_10k_0_25"] == pytest.approx(20.0)


def test_standardised_distances_hand_made():
    distance = profile.standardised_distances(profile.unit_features(panel(), "2021-22"), "A")
    assert distance[["A", "B", "C", "D"]].tolist() == pytest.approx([0.0, 2.0, 2.0, 2 * math.sqrt(2)])
    assert np.isnan(distance["E"])


def test_standardised_distances_match_numpy():
    features = pd.DataFrame({"x": [1.0, 4.0, 2.0, 8.0], "y": [3.0, 1.0, 7.0, 2.0]}, index=["p", "q", "r", "s"])
    values = features.to_numpy()
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    expected = np.sqrt(((z - z[2]) ** 2).sum(axis=1))
    assert profile.standardised_distances(features, "r").tolist() == pytest.approx(expected.tolist())


def test_standardised_distances_subject_without_features_is_all_missing():
    distance = profile.standardised_distances(profile.unit_features(panel(), "2021-22"), "E")
    assert distance.isna().all()


def test_select_comparators_nearest_ties_by_unit():
    chosen = profile.select_comparators(panel(), "A", "nearest", 2, "2021-22")
    assert chosen["unit"].tolist() == ["B", "C"]
    assert chosen["distance"].tolist() == pytest.approx([2.0, 2.0])
    assert chosen["unit_name"].tolist() == ["Unit B", "Unit C"]
    assert profile.select_comparators(panel(), "A", "nearest", 10, "2021-22")["unit"].tolist() == ["B", "C", "D"]


def test_select_comparators_region_and_type():
    region = profile.select_comparators(panel(), "A", "region", 10, "2021-22")
    assert region["unit"].tolist() == ["B", "D"] and region["distance"].isna().all()
    assert profile.select_comparators(panel(), "A", "la_type", 1, "2021-22")["unit"].tolist() == ["C", "D"]
    with pytest.raises(ValueError, match="unknown comparator method 'county'"):
        profile.select_comparators(panel(), "A", "county", 1, "2021-22")
    with pytest.raises(ValueError, match="'Z' is not in the panel"):
        profile.select_comparators(panel(), "Z", "region", 1, "2021-22")


def test_rank_of_ties_and_missing():
    values = pd.Series([5.0, 3.0, 5.0, np.nan], index=["a", "b", "c", "d"])
    assert profile.rank_of(values, "a") == (1, 3)
    assert profile.rank_of(values, "c") == (1, 3)
    assert profile.rank_of(values, "b") == (3, 3)
    assert profile.rank_of(values, "d") == (None, 3)


def test_group_values_and_rank_table():
    frame = panel()
    frame.loc[(frame["unit"] == "C"), "hn_spend_gbp"] *= np.where(frame.loc[frame["unit"] == "C", "fy"] == "2023-24",
                                                                   2.0, 1.0)
    values = profile.group_values(frame, ["C", "A", "B"], "2018-19", "2023-24", "2021-22")
    assert values["unit"].tolist() == ["A", "B", "C"]
    expected_growth = 1.1**5 - 1
    assert values["spend_growth"].tolist() == pytest.approx([expected_growth, expected_growth,
                                                              2 * 1.1**5 - 1])
    ranks = profile.rank_table(values, "A").set_index("measure")
    assert list(ranks.index) == list(profile.RANK_LABELS)
    assert ranks.loc["spend_growth", "rank"] == 2 and ranks.loc["spend_growth", "n_ranked"] == 3
    assert ranks.loc["spend_per_head_2_18_gbp", "rank"] == 2  # C ties A at 1.0; B has 3.0
    assert ranks.loc["ehcp_per_10k_0_25", "subject_value"] == pytest.approx(10.0)
    assert ranks.loc["ehcp_per_10k_0_25", "group_median"] == pytest.approx(10.0)


def test_group_values_incomplete_spend_has_no_growth():
    values = profile.group_values(panel(), ["E", "A"], "2018-19", "2023-24", "2021-22").set_index("unit")
    assert np.isnan(values.loc["E", "spend_growth"]) and not np.isnan(values.loc["A", "spend_growth"])
    assert profile.rank_table(values.reset_index(), "E").set_index("measure").loc["spend_growth", "rank"] is pd.NA


def test_latest_fy_with():
    frame = projection_panel()
    assert profile.latest_fy_with(frame, "dsg_balance_gbp", "2023-24") == "2021-22"
    assert profile.latest_fy_with(frame, "dsg_balance_gbp", "2020-21") == "2020-21"
    assert profile.latest_fy_with(frame, "dsg_balance_gbp", "2019-20") is None
    assert profile.latest_fy_with(frame, "hnb_after_deductions_gbp", "2024-25") == "2023-24"
    assert profile.latest_fy_with(frame, ["hnb_after_deductions_gbp", "hn_spend_gbp"], "2024-25") == "2022-23"


def test_unit_series_long_form():
    columns = {"allocation": "hnb_after_deductions_gbp", "spend": "hn_spend_gbp"}
    series = profile.unit_series(projection_panel(), "A", columns)
    assert series.columns.tolist() == ["fy", "series", "value"] and len(series) == 12
    assert series.loc[series["series"] == "allocation", "value"].iloc[3] == 100.0
    assert series["value"].isna().sum() == 3
    scaled = profile.unit_series(projection_panel(), "A", columns, fys=["2021-22", "2020-21"], scale=10.0)
    assert scaled["fy"].tolist() == ["2020-21", "2021-22"] * 2
    assert scaled["value"].tolist() == pytest.approx([9.0, 10.0, 9.68, 10.648])


def test_group_series():
    series = profile.group_series(panel(), ["E", "A"], ["2021-22", "2020-21"])
    assert series[["unit", "fy"]].values.tolist() == [["A", "2020-21"], ["A", "2021-22"], ["E", "2020-21"],
                                                      ["E", "2021-22"]]
    assert series["spend_per_head_2_18_gbp"].tolist()[:2] == pytest.approx([1 / 1.1, 1.0])
    assert series["spend_per_head_2_18_gbp"].iloc[2:].isna().all()
    assert series["ehcp_per_10k_0_25"].tolist() == pytest.approx([10 / 1.1, 10.0, 20 / 1.1, 20.0])


def test_guidance_projection_by_hand():
    table = profile.guidance_projection(projection_panel(), "A", "2021-22", "2023-24", 0.05, 0.03)
    assert table["fy"].tolist() == ["2021-22", "2022-23", "2023-24"]
    # funding +10% (actual 2022-23) then +5%; S251 spend +10% a year from 106.48; the gap is
    # anchored on 2021-22's observed one, 15 - 5 = 10: offset = 10 - (106.48 - 100) = 3.52
    assert table["funding_gbp"].tolist() == pytest.approx([100.0, 110.0, 115.5])
    assert table["spend_gbp"].tolist() == pytest.approx([106.48, 117.128, 128.8408])
    assert table["gap_gbp"].tolist() == pytest.approx([10.0, 10.648, 16.8608])
    assert table["balance_gbp"].tolist() == pytest.approx([15.0, 25.648, 42.5088])
    assert table["dsg_total_gbp"].tolist() == pytest.approx([1000.0, 1100.0, 1155.0])
    assert table["balance_pct_of_dsg"].tolist() == pytest.approx([1.5, 2564.8 / 1100, 4250.88 / 1155])
    assert table["funding_growth"].tolist()[1:] == pytest.approx([0.1, 0.05])
    assert table["spend_growth_rate"].tolist() == pytest.approx([0.1] * 3)
    assert table["actual_funding_gbp"].tolist() == pytest.approx([100.0, 110.0, 115.0])
    assert table["spend_index_projected"].tolist() == pytest.approx([1.0, 1.1, 1.21])
    assert table["spend_index_actual"].tolist()[:2] == pytest.approx([1.0, 120.0 / 106.48])
    assert np.isnan(table["spend_index_actual"].iloc[2])  # incomplete spend is missing, not 0


def test_guidance_projection_missing_inputs_stay_missing():
    frame = projection_panel().assign(dsg_balance_gbp=np.nan)
    table = profile.guidance_projection(frame, "A", "2021-22", "2023-24", 0.05, 0.03)
    assert table["balance_gbp"].isna().all() and table["gap_gbp"].isna().all()
    assert table["funding_gbp"].notna().all()
    with pytest.raises(ValueError, match="must come after"):
        profile.guidance_projection(frame, "A", "2021-22", "2021-22", 0.05, 0.03)


def test_programme_rows():
    programmes = pd.DataFrame({
        "la_code": ["105", "101", "104"], "la_name": ["Delta South", "Alpha", "Delta North"],
        "programme": ["safety_valve", "delivering_better_value", "delivering_better_value"],
        "group": ["2022-23", "tranche 1", "tranche 2"], "amount_gbp": [1e6, np.nan, np.nan],
        "confidence": ["high", "medium", "medium"], "source": ["s1", "s2", "s3"], "note": ["", "", ""],
    })
    rows = profile.programme_rows(programmes, ["104", "105"])
    assert rows["la_code"].tolist() == ["104", "105"]
    assert rows["programme"].tolist() == ["delivering_better_value", "safety_valve"]
    assert "note" not in rows.columns
    assert profile.programme_rows(programmes, ["999"]).empty


def unit_lookup() -> pd.DataFrame:
    """Councils 1 to 5, each the sole member of unit A to E (the units of panel())."""
    units = ["A", "B", "C", "D", "E"]
    return pd.DataFrame({"la_code": ["101", "102", "103", "104", "105"], "la_name": [f"Council {u}" for u in units],
                         "ons_code": ["E1", "E2", "E3", "E4", "E5"], "unit": units, "unit_name": units})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"comparators": "county"},
         "comparators must be one of stat_neighbours, region, la_type, nearest; got 'county'"),
        ({"comparators": "stat_neighbours", "sn_model": "2019"}, "sn_model must be one of 2025, 2021; got '2019'"),
        ({"n_nearest": 0}, r"n_nearest must be between 1 and 4"),
        ({"n_nearest": 5}, r"n_nearest must be between 1 and 4"),
        ({"first_fy": "2023-24"}, "first_fy '2023-24' must come before last_fy '2023-24'"),
        ({"funding_growth_first": -1.0}, "funding_growth_first is a growth rate"),
        ({"last_fy": "2020-21"}, r"must come after a year with DSG balances.*2020-21, 2021-22"),
        ({"last_fy": "2030-31"}, r"last_fy '2030-31' is not a year of the panel \(2018-19 to 2023-24\)"),
        ({"la": "105"}, r"needs the unit's spend_per_head_2_18_gbp in baseline_fy '2021-22'"),
    ],
)
def test_check_profile_parameters_errors(overrides, message):
    frame = panel().merge(projection_panel()[["fy", "dsg_balance_gbp"]], on="fy")
    parameters = {"la": "101", "comparators": "nearest", "n_nearest": 2, "baseline_fy": "2021-22",
                  "first_fy": "2018-19", "last_fy": "2023-24", "funding_growth_first": 0.05,
                  "funding_growth_after": 0.03, **overrides}
    with pytest.raises(ParameterError, match=message):
        profile.check_profile_parameters(frame, parameters, la_lookup=unit_lookup())


def test_check_profile_parameters_returns_projection_start():
    frame = panel().merge(projection_panel()[["fy", "dsg_balance_gbp"]], on="fy")
    parameters = {"la": "105", "comparators": "region", "n_nearest": 4, "baseline_fy": "2021-22",
                  "first_fy": "2018-19", "funding_growth_first": 0.05, "funding_growth_after": 0.03}
    for last_fy, start_fy in (("2023-24", "2021-22"), ("2021-22", "2020-21")):
        assert profile.check_profile_parameters(frame, {**parameters, "last_fy": last_fy},
                                                la_lookup=unit_lookup()) == start_fy


def test_subject_summary_by_hand():
    frame = panel().assign(deflator_index=lambda f: f["fy_start"].map({2018: 50.0}).fillna(100.0))
    summary = profile.subject_summary(frame, "B", "2018-19", "2023-24", "2021-22")
    assert summary["spend_first_gbp"] == pytest.approx(3000 / 1.1**3)
    assert summary["spend_last_gbp"] == pytest.approx(3000 * 1.1**2)
    assert summary["spend_growth_cash"] == pytest.approx(1.1**5 - 1)
    assert summary["spend_real_first_gbp"] == pytest.approx(2 * 3000 / 1.1**3)  # deflator 50 doubles it
    assert summary["spend_growth_real"] == pytest.approx(1.1**5 / 2 - 1)
    assert summary["ehcp_growth"] == pytest.approx(1.1**5 - 1)
    assert summary["spend_per_head_2_18_gbp"] == pytest.approx(3.0)
    assert summary["ehcp_per_10k_0_25"] == pytest.approx(10.0)
    incomplete = profile.subject_summary(frame, "E", "2018-19", "2023-24", "2021-22")
    assert np.isnan(incomplete["spend_growth_cash"]) and np.isnan(incomplete["spend_per_head_2_18_gbp"])


def test_balance_paths_and_projection_summary():
    frame = projection_panel().assign(dsg_balance_gbp=lambda f: f["dsg_balance_gbp"] * 1e6)
    projection = profile.guidance_projection(frame, "A", "2021-22", "2023-24", 0.05, 0.03)
    paths = profile.balance_paths(frame, "A", projection, "2020-21", "2022-23")
    assert paths["series"].tolist() == ["observed"] * 3 + ["projected"] * 3
    assert paths["fy"].tolist() == ["2020-21", "2021-22", "2022-23", "2021-22", "2022-23", "2023-24"]
    assert paths["value"].iloc[:2].tolist() == pytest.approx([5.0, 15.0]) and np.isnan(paths["value"].iloc[2])
    assert paths["value"].iloc[3] == pytest.approx(15.0)
    summary = profile.projection_summary(profile.guidance_projection(projection_panel(), "A", "2021-22", "2023-24",
                                                                     0.05, 0.03))
    assert (summary["start_fy"], summary["end_fy"], summary["actual_spend_fy"]) == ("2021-22", "2023-24", "2022-23")
    assert summary["balance_start_gbp"] == 15.0 and summary["balance_end_gbp"] == pytest.approx(42.5088)
    assert summary["balance_end_pct"] == pytest.approx(4250.88 / 1155)
    assert summary["spend_growth_rate"] == pytest.approx(0.1)
    assert summary["funding_growth_by_fy"] == {"2022-23": pytest.approx(0.1), "2023-24": pytest.approx(0.05)}
    assert summary["actual_funding_years"] == ["2022-23"]
    assert summary["actual_funding_growth_first_assumed"] == pytest.approx(115 / 110 - 1)
    assert summary["projected_spend_growth"] == pytest.approx(0.1)
    assert summary["actual_spend_growth"] == pytest.approx(120 / 106.48 - 1)


def test_programme_council_counts_as_of_2022():
    """101 is DBV; 103 and 104 (created 2023 from 102) are DBV, which credits 102: two councils as
    at 23 June 2022; none before the programme started (the case-study row started earlier)."""
    lookup = pd.DataFrame({
        "la_code": ["101", "102", "103", "104"], "la_name": ["Alpha", "Old", "New North", "New South"],
        "unit": ["101", "u", "u", "u"],
        "start_date": pd.to_datetime(["2009-01-01", "2009-01-01", "2023-04-01", "2023-04-01"]),
        "end_date": pd.to_datetime([None, "2023-03-31", None, None]),
    })
    programmes = pd.DataFrame({
        "la_code": ["101", "103", "104", "101"], "la_name": ["Alpha", "New North", "New South", "Alpha"],
        "programme": ["delivering_better_value"] * 3 + ["case_study_2022"],
        "group": ["tranche 1"] * 3 + ["case study"], "amount_gbp": np.nan, "confidence": "high",
        "note": "", "source": "s", "start": pd.to_datetime(["2022-01-01", "2022-01-01", "2022-01-01", "2021-06-01"]),
        "signed": pd.NaT,
    })
    assert profile.programme_council_counts(programmes, lookup) == {"dbv": 2, "safety_valve": 0,
                                                                     "case_study_2022": 1}
    assert profile.programme_council_counts(programmes, lookup, "2021-12-31") == {"dbv": 0, "safety_valve": 0,
                                                                                 "case_study_2022": 1}


def neighbours_frame() -> pd.DataFrame:
    """neighbour_units output for subject A: D (rank 1), B (rank 2, standing for two neighbours)."""
    return pd.DataFrame({
        "rank": [1, 2], "neighbour_la_code": ["904", "902"], "neighbour_name": ["Dee", "Bee North"],
        "closeness": ["very close", "close"], "unit": ["D", "B"], "unit_name": ["Unit D", "Unit B"],
        "neighbour_la_codes": ["904", "902;903"], "note": ["", "stands for neighbours 902, 903"],
    })


def test_select_comparators_stat_neighbours_keeps_rank_order():
    chosen = profile.select_comparators(panel(), "A", "stat_neighbours", 10, "2021-22", neighbours_frame())
    assert chosen["unit"].tolist() == ["D", "B"] and chosen["unit_name"].tolist() == ["Unit D", "Unit B"]
    assert chosen["closeness"].tolist() == ["very close", "close"] and chosen["distance"].isna().all()
    with pytest.raises(ValueError, match="needs the council's neighbours"):
        profile.select_comparators(panel(), "A", "stat_neighbours", 10, "2021-22")
    with pytest.raises(ValueError, match=r"neighbour unit\(s\) \['Z'\] are not in the panel"):
        profile.select_comparators(panel(), "A", "stat_neighbours", 10, "2021-22", neighbours_frame().assign(unit="Z"))


def test_comparator_average_is_the_simple_mean_of_those_with_a_value():
    series = profile.group_series(panel(), ["A", "B", "D", "E"], ["2021-22"])
    average = profile.comparator_average(series, ["B", "D", "E"], ["spend_per_head_2_18_gbp", "ehcp_per_10k_0_25"],
                                         "Average")
    row = average.iloc[0]
    assert (row["fy"], row["unit_name"]) == ("2021-22", "Average")
    assert row["spend_per_head_2_18_gbp"] == pytest.approx(3.0) and row["n_spend_per_head_2_18_gbp"] == 2  # E none
    assert row["ehcp_per_10k_0_25"] == pytest.approx((10 + 30 + 20) / 3) and row["n_ehcp_per_10k_0_25"] == 3


def test_council_with_no_row_in_the_model_is_refused():
    frame = panel().merge(projection_panel()[["fy", "dsg_balance_gbp"]], on="fy")
    table = pd.DataFrame({"model": ["2021", "2021", "2025"], "la_code": ["101", "101", "102"], "rank": [1, 2, 1],
                          "neighbour_la_code": ["102", "103", "101"], "closeness": "close",
                          "la_name": ["Alpha", "Alpha", "Beta"]})
    parameters = {"la": "101", "comparators": "stat_neighbours", "n_nearest": 2, "baseline_fy": "2021-22",
                  "first_fy": "2018-19", "last_fy": "2023-24", "funding_growth_first": 0.05,
                  "funding_growth_after": 0.03}
    with pytest.raises(ParameterError, match=r"council 101 has no statistical neighbours in the 2025 model; "
                                             r"model 2021 has its neighbours \(use sn_model 2021\)"):
        profile.check_profile_parameters(frame, {**parameters, "sn_model": "2025"}, la_lookup=unit_lookup(),
                                         stat_neighbours=table)
    assert profile.check_profile_parameters(frame, {**parameters, "sn_model": "2021"}, la_lookup=unit_lookup(),
                                            stat_neighbours=table) == "2021-22"


# --- what a council's report reads and states, section by section ---------------------------------


def report_panel() -> pd.DataFrame:
    """panel() with the columns a report reads besides: projection_panel()'s allocation, DSG
    balance and total DSG for every unit (B's balance twice A's), real spend, and programme flags
    (B in the safety valve, 2022-23, £5m)."""
    money = projection_panel()[["fy", "hnb_after_deductions_gbp", "dsg_balance_gbp", "dsg_total_gbp"]]
    frame = panel().merge(money, on="fy")
    frame.loc[frame["unit"] == "B", "dsg_balance_gbp"] *= 2
    frame["dsg_balance_pct"] = 100 * frame["dsg_balance_gbp"] / frame["dsg_total_gbp"]
    frame["hn_spend_real_gbp"] = frame["hn_spend_gbp"] * 2
    valve = frame["unit"] == "B"
    return frame.assign(dbv=False, dbv_tranche=None, safety_valve=valve,
                        safety_valve_year=np.where(valve, "2022-23", None),
                        safety_valve_amount_gbp=np.where(valve, 5e6, np.nan), case_study_2022=frame["unit"] == "A")


def report_inputs(stat_neighbours: pd.DataFrame | None = None) -> profile.ProfileInputs:
    programmes = pd.DataFrame({"la_code": ["102", "101"], "la_name": ["Council B", "Council A"],
                               "programme": ["safety_valve", "case_study_2022"], "group": ["2022-23", "case study"],
                               "amount_gbp": [5e6, np.nan], "confidence": "high", "source": "s",
                               "start": pd.to_datetime(["2022-06-01", "2021-06-01"]), "signed": pd.NaT, "note": ""})
    lookup = unit_lookup().assign(start_date=pd.Timestamp("2009-01-01"), end_date=pd.NaT)
    neighbours = stat_neighbours if stat_neighbours is not None else pd.DataFrame(
        {"model": "2025", "la_code": "101", "rank": [1, 2], "neighbour_la_code": ["104", "102"], "closeness": "close"})
    return profile.ProfileInputs(report_panel(), lookup, neighbours, programmes)


PARAMETERS = {"la": "101", "comparators": "stat_neighbours", "sn_model": "2025", "n_nearest": 2,
              "baseline_fy": "2021-22", "first_fy": "2018-19", "last_fy": "2023-24", "funding_growth_first": 0.05,
              "funding_growth_after": 0.03}


def test_inputs_name_their_units_and_the_council_is_checked_first():
    inputs = report_inputs()
    assert inputs.units == ["A", "B", "C", "D", "E"] and inputs.unit_names["C"] == "Unit C"
    council = profile.checked_council(inputs, **PARAMETERS)
    assert (council.la_code, council.unit) == ("101", "A")
    with pytest.raises(ParameterError, match="first_fy '2023-24' must come before"):
        profile.checked_council(inputs, **{**PARAMETERS, "first_fy": "2023-24"})
    older = pd.concat([inputs.stat_neighbours, pd.DataFrame({"model": ["2021"], "la_code": ["102"], "rank": [1],
                                                             "neighbour_la_code": ["101"], "closeness": ["close"]})])
    with pytest.raises(ParameterError, match="council 101 has no statistical neighbours in the 2021 model"):
        profile.checked_council(report_inputs(older), **{**PARAMETERS, "sn_model": "2021"})


def test_council_results_and_comparators():
    inputs = report_inputs()
    council = profile.council_unit(inputs.lookup, "101")
    results = profile.council_results(inputs.panel, council, "2018-19", "2023-24")
    assert (results["la_code"], results["unit"], results["region"], results["la_type"]) == ("101", "A", "North", "UA")
    assert results["level_fy"] == "2023-24" and results["unit_is_merged"] is False
    assert results["spend_growth_cash"] == pytest.approx(1.1**5 - 1)  # subject_summary's
    chosen = profile.comparators_for(inputs, council, "stat_neighbours", "2025", 2, "2021-22")
    assert chosen["unit"].tolist() == ["D", "B"]
    assert profile.comparator_results(chosen, "stat_neighbours", "2025") == {
        "comparators": "stat_neighbours", "sn_model": "2025", "n_comparators": 2, "comparator_units": ["D", "B"]}
    region = profile.comparators_for(inputs, council, "region", "2025", 2, "2021-22")
    assert region["unit"].tolist() == ["B", "D"]
    assert profile.comparator_results(region, "region", "2025")["sn_model"] is None


def test_series_of_the_figures():
    frame = report_panel()
    spending = profile.spending_series(frame, "A", "2020-21", "2021-22")
    assert spending["series"].tolist() == ["cash"] * 2 + ["real terms (2023-24 prices)"] * 2
    assert spending["value"].tolist() == pytest.approx([1000 / 1.1 / 1e6, 1000 / 1e6, 2000 / 1.1 / 1e6, 2000 / 1e6])
    allocation = profile.allocation_series(frame, "A", "2020-21", "2021-22").set_index(["series", "fy"])["value"]
    assert allocation[("allocation (high needs block after deductions)", "2021-22")] == pytest.approx(100 / 1e6)
    lines = profile.comparator_lines(frame, "A", ["B", "E"], "2021-22", "2021-22", "Average")
    average = lines[lines["unit_name"] == "Average"].iloc[0]
    assert average["spend_per_head_2_18_gbp"] == pytest.approx(3.0) and average["n_spend_per_head_2_18_gbp"] == 1
    assert sorted(lines["unit_name"]) == ["Average", "Unit A", "Unit B", "Unit E"]


def test_ranks_and_their_results():
    found = profile.ranks(panel(), "A", ["B", "C"], "2018-19", "2023-24", "2021-22")
    assert found.values["unit"].tolist() == ["A", "B", "C"]
    assert found.table.equals(profile.rank_table(found.values, "A"))
    results = found.results()
    assert results["rank_spend_per_head_2_18_gbp"] == 2 and results["n_ranked_spend_per_head_2_18_gbp"] == 3
    assert results["comparator_median_ehcp_per_10k_0_25"] == pytest.approx(10.0)
    assert len(results) == 3 * len(profile.RANK_LABELS)


def test_latest_allocation_and_dsg_balance():
    frame = report_panel()
    allocation = profile.latest_allocation(frame, "A", "2023-24")
    assert (allocation.fy, allocation.allocation_gbp, allocation.spend_gbp) == ("2023-24", 115.0,
                                                                                pytest.approx(1000 * 1.1**2))
    assert allocation.results()["spend_vs_allocation"] == pytest.approx(1000 * 1.1**2 / 115 - 1)
    assert profile.latest_allocation(frame, "A", "2019-20").results() == {
        "allocation_fy": None, "allocation_gbp": None, "spend_vs_allocation": None}
    balance = profile.dsg_balance(frame, "A", "2023-24")
    assert list(balance.rows.index) == ["2020-21", "2021-22"] and balance.fy == "2021-22"
    assert (balance.balance_gbp, balance.balance_pct) == (15.0, pytest.approx(1.5))
    assert (balance.rank, balance.n_ranked) == (2, 5)  # B's deficit is twice as large
    assert balance.results() == {"balance_fy": "2021-22", "balance_gbp": 15.0, "balance_pct": pytest.approx(1.5),
                                 "rank_balance_pct": 2, "n_ranked_balance_pct": 5}
    assert profile.dsg_balance(frame, "A", "2019-20").results()["balance_fy"] is None


def test_council_programmes():
    inputs = report_inputs()
    programmes = profile.council_programmes(inputs, profile.council_unit(inputs.lookup, "102"))
    assert programmes.membership["programme"].tolist() == ["safety_valve"]
    assert programmes.results() == {"dbv": False, "dbv_tranche": None, "safety_valve": True,
                                    "safety_valve_year": "2022-23", "safety_valve_amount_gbp": 5e6,
                                    "case_study_2022": False}
    assert programmes.known == {"dbv": 0, "safety_valve": 1, "case_study_2022": 1, "claimed_dbv": 55,
                                "case_studies": ["Council A"]}


def test_projection_starts_at_the_last_balance_before_last_fy():
    frame = projection_panel()
    assert profile.projection_start(frame, "2023-24") == "2021-22"
    assert profile.projection_start(frame, "2021-22") == "2020-21"
    assert profile.projection_start(frame, "2019-20") is None
    projection = profile.council_projection(frame, "A", "2023-24", 0.05, 0.03)
    assert projection.equals(profile.guidance_projection(frame, "A", "2021-22", "2023-24", 0.05, 0.03))
    results = profile.projection_results(profile.projection_summary(projection))
    assert results["projection_start_fy"] == "2021-22" and results["projection_end_fy"] == "2023-24"
    assert all(key.startswith("projection_") for key in results)


@pytest.mark.needs_data
def test_read_inputs_reads_every_table_of_the_profile(processed_data):
    inputs = profile.read_inputs()
    assert {"202", "cumbria"} <= set(inputs.units) and inputs.unit_names["202"] == "Camden"
    assert set(inputs.placement_tables) == set(placement.TABLES)
    assert set(inputs.national) == set(outcomes.OUTCOMES) and "2024-25" in inputs.national["mainstream_share"]
