"""The council profile's "Placement and process" numbers on hand-made frames: the comparators'
average and how many had a value, rank, national quartile, England's own row, missing values
kept missing, small-number flags, counts on merged units, the latest year, results and figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import placement, small_numbers
from sendlib.readers import sen2
from test_outcomes import national_tables

NAN = float("nan")
#: Units a-e (one council each) and m (001 to 2020, then 002 and 003).
LOOKUP = pd.DataFrame({"la_code": ["101", "102", "103", "104", "105", "001", "002", "003"],
                       "unit": ["a", "b", "c", "d", "e", "m", "m", "m"],
                       "unit_name": ["A", "B", "C", "D", "E", "M", "M", "M"],
                       "member_set": ["sole"] * 5 + ["old", "new", "new"]})


def small_threshold(measure: str) -> float:
    """The count under which a value of ``measure`` is small (sendlib.analysis.small_numbers)."""
    return small_numbers.SMALL_COUNTS[small_numbers.count_key(measure)].threshold


def values(measure: str, year: int, by_unit: dict[str, float], denominator: float = 1000.0) -> pd.DataFrame:
    """VALUE_COLUMNS rows of one measure and year: unit -> value (numerator = value x denominator)."""
    units = list(by_unit)
    shares = np.array(list(by_unit.values()), dtype="float64")
    return pd.DataFrame({"unit": units, "measure": measure, "year": year, "value": shares,
                         "numerator": shares * denominator, "denominator": denominator,
                         "small": denominator < small_threshold(measure)})[placement.VALUE_COLUMNS]


def england(measure: str, year: int, value: float) -> pd.DataFrame:
    return values(measure, year, {"england": value})


def test_comparators_average_count_rank_and_quartile_by_hand_and_by_pandas():
    every = values("mainstream_share", 2025, {"a": 0.5, "b": 0.2, "c": 0.6, "d": 0.5, "e": NAN})
    row = placement.comparison(every, england("mainstream_share", 2025, 0.45), "a", ["b", "c", "d", "e"]).iloc[0]
    assert row["value"] == 0.5 and row["england"] == 0.45 and row["year"] == 2025
    assert row["comparators_mean"] == pytest.approx((0.2 + 0.6 + 0.5) / 3)  # e has no value
    assert (row["n_comparators_with_value"], row["n_comparators"]) == (3, 4)
    assert (row["rank"], row["n_ranked"]) == (2, 4)  # c is higher; d ties and shares the better rank
    assert (row["quartile"], row["n_national"]) == (2, 4)  # ceil(4 x 2 / 4)
    known = every.set_index("unit")["value"].dropna()  # the same by plain pandas
    assert row["comparators_mean"] == pytest.approx(known.reindex(["b", "c", "d"]).mean())
    assert row["rank"] == known.rank(ascending=False, method="min")["a"]
    assert row["label"] == sen2.SETTING_GROUP_LABELS["mainstream"] and row["topic"] == "placement"
    assert (row["kind"], row["period"]) == ("share", "january")


def test_a_unit_without_a_value_has_no_rank_and_its_comparators_still_count():
    every = values("timely_20wk_ex", 2024, {"a": 0.5, "b": 0.9, "e": NAN})
    row = placement.comparison(every, england("timely_20wk_ex", 2024, 0.46), "e", ["a", "b", "z"]).iloc[0]
    assert math.isnan(row["value"]) and pd.isna(row["rank"]) and pd.isna(row["quartile"])
    assert row["comparators_mean"] == pytest.approx(0.7) and (row["n_comparators_with_value"], row["n_comparators"]) \
        == (2, 3)  # z is not in the data at all
    assert row["n_ranked"] == 2 and row["n_national"] == 2
    alone = placement.comparison(every, england("timely_20wk_ex", 2023, 0.5), "a", ["a"]).iloc[0]
    assert alone["n_comparators"] == 0 and math.isnan(alone["comparators_mean"])  # the subject is not its own comparator
    assert math.isnan(alone["england"])  # England's row is for another year


def counts(**columns: list[float]) -> pd.DataFrame:
    """unit_counts-like rows: units a and b in FY 2022-23 (January 2023, calendar year 2022)."""
    base = {column: [10.0, 10.0] for column in (
        "ehcp_count", *(f"ehcp_{short}_count" for short in placement.SETTINGS.values()), "pop_0_25_count",
        "new_plans_count", *(f"new_plans_{short}_count" for short in placement.SETTINGS.values()), "requests_count",
        "assess_count", "not_assess_count", "issued_count", "issued_20wk_count", "issued_ex_count",
        "issued_20wk_ex_count", "appeals_count", "appealable_decisions_count")}
    return pd.DataFrame({"unit": ["a", "b"], "fy": ["2022-23"] * 2, **{**base, **columns}})


def test_measure_values_pair_years_and_flag_small_denominators_at_the_registrys_thresholds():
    frame = counts(ehcp_count=[99.0, 100.0], ehcp_fe_count=[9.0, 20.0], issued_ex_count=[29.0, 30.0],
                   issued_20wk_ex_count=[29.0, 15.0], pop_0_25_count=[9_999.0, 20_000.0])
    got = placement.measure_values(frame).set_index(["measure", "unit"])
    assert got.loc[("fe_share", "a"), "year"] == 2023 and got.loc[("timely_20wk_ex", "a"), "year"] == 2022
    assert got.loc[("fe_share", "a"), "value"] == pytest.approx(9 / 99) and got.loc[("fe_share", "b"), "value"] == 0.2
    assert got.loc[("fe_share", "a"), "small"] and not got.loc[("fe_share", "b"), "small"]  # 99 and 100 plans
    assert got.loc[("timely_20wk_ex", "a"), "small"] and not got.loc[("timely_20wk_ex", "b"), "small"]  # 29, 30
    assert got.loc[("new_plans_per_10k", "a"), "small"] and got.loc[("new_plans_per_10k", "b"), "value"] == 5.0
    assert got.loc[("timely_20wk_ex", "b"), "denominator"] == 30 and got.loc[("timely_20wk_ex", "b"), "numerator"] == 15
    assert set(got.index.get_level_values("measure")) == set(placement.MEASURES)


def test_missing_counts_stay_missing_and_years_no_unit_has_are_left_out():
    frame = pd.concat([counts(ehcp_mainstream_count=[NAN, 4.0]),
                       counts(ehcp_mainstream_count=[NAN, NAN]).assign(fy="2017-18")])  # January 2018: no settings
    got = placement.measure_values(frame)
    mainstream = got[got["measure"] == "mainstream_share"].set_index(["unit", "year"])["value"]
    assert list(mainstream.index) == [("a", 2023), ("b", 2023)]  # 2018 left out: no unit has it
    assert math.isnan(mainstream[("a", 2023)]) and mainstream[("b", 2023)] == pytest.approx(0.4)  # never 0
    assert set(placement.measure_values(frame, "2021-22")["year"]) == {2017, 2018}  # FY2017-18 only: to last_fy


def new_plans_by_setting(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["la_code", "calendar_year", "setting", "new_plans_count"]).assign(
        setting_group=lambda f: f["setting"].map(sen2.SETTING_GROUPS))


def test_unit_counts_sum_whole_member_sets_and_read_appeals_before_the_panel():
    panel = counts().assign(unit=["m", "a"])
    by_setting = new_plans_by_setting([
        ("002", 2022, "mainstream_academy", 5.0), ("003", 2022, "mainstream_academy", 7.0),
        ("002", 2022, "special_independent", 1.0), ("003", 2022, "special_independent", 2.0),
        ("101", 2022, "mainstream_academy", 3.0), ("101", 2022, "mainstream_independent", NAN),
        ("002", 2021, "mainstream_academy", 4.0)])  # 003 missing in 2021: no partial sum
    appeals = pd.DataFrame({"la_code": ["001", "101", "101"], "calendar_year": [2014, 2014, 2022],
                            "appeals_count": [3.0, 2.0, 6.0], "appealable_decisions_count": [100.0, 50.0, 300.0]})
    got = placement.unit_counts(panel, {"new_plans_by_setting": by_setting, "tribunal_appeals": appeals}, LOOKUP)
    got = got.set_index(["unit", "fy"])
    assert got.loc[("m", "2022-23"), "new_plans_mainstream_count"] == 12
    assert got.loc[("m", "2022-23"), "new_plans_special_independent_count"] == 3
    assert math.isnan(got.loc[("m", "2021-22"), "new_plans_mainstream_count"])
    assert math.isnan(got.loc[("a", "2022-23"), "new_plans_mainstream_count"])  # a leaf is missing
    assert got.loc[("m", "2014-15"), "appeals_count"] == 3 and got.loc[("a", "2014-15"), "appealable_decisions_count"] == 50
    assert got.loc[("a", "2022-23"), "appeals_count"] == 6 and got.loc[("a", "2022-23"), "ehcp_count"] == 10
    assert math.isnan(got.loc[("a", "2014-15"), "ehcp_count"])  # before the panel: appeals only


def section_tables() -> dict[str, pd.DataFrame]:
    """The England tables of test_outcomes (two years) plus new plans by setting and primary need,
    and the LA tables for units a and b."""
    tables = national_tables()
    tables["new_plans_by_setting_national"] = new_plans_by_setting(
        [("", 2022, "mainstream_academy", 450.0), ("", 2023, "mainstream_academy", 560.0)]).drop(columns="la_code")
    tables["new_plans_by_setting"] = new_plans_by_setting(
        [("101", 2022, "mainstream_academy", 6.0), ("102", 2022, "mainstream_academy", 2.0)])
    tables["tribunal_appeals"] = pd.DataFrame({"la_code": ["101", "102"], "calendar_year": [2022, 2022],
                                               "appeals_count": [2.0, 1.0], "appealable_decisions_count": [40.0, 100.0]})
    needs = {"asd": ("Autistic spectrum disorder", [6.0, 3.0, 300.0]), "semh": ("Social, emotional and mental health",
                                                                                  [4.0, NAN, 700.0])}
    rows = [(code, 2025, need, label, count[i]) for need, (label, count) in needs.items()
            for i, code in enumerate(["101", "102", ""])]
    frame = pd.DataFrame(rows, columns=["la_code", "january", "need", "need_label", "ehcp_count"])
    tables["primary_need"], tables["primary_need_national"] = frame[frame["la_code"] != ""], \
        frame[frame["la_code"] == ""].drop(columns="la_code")
    return tables


def test_section_sets_the_council_against_its_comparators_and_englands_own_rows():
    panel = counts(new_plans_count=[8.0, 4.0], pop_0_25_count=[20_000.0, 20_000.0])
    section = placement.section(panel, section_tables(), LOOKUP, "a", ["b"], "2023-24")
    shown = section.shown.set_index("measure")
    assert shown.loc["new_plans_mainstream_share", "value"] == pytest.approx(0.75)  # 6 of a's 8 new plans
    assert shown.loc["new_plans_mainstream_share", "comparators_mean"] == pytest.approx(0.5)
    assert shown.loc["new_plans_mainstream_share", "england"] == pytest.approx(0.75)  # 450 of 600 in 2022
    assert shown.loc["appeal_rate", "value"] == pytest.approx(0.05) and shown.loc["appeal_rate", "small"]  # 40 decisions
    assert shown.loc["appeal_rate", "england"] == pytest.approx(0.02)
    assert shown.loc["new_plans_per_10k", "value"] == pytest.approx(4.0) and shown.loc["new_plans_per_10k", "rank"] == 1
    asd = shown.loc["need_asd_share"]
    assert asd["value"] == pytest.approx(0.6) and asd["england"] == pytest.approx(0.3) and asd["small"]
    assert math.isnan(asd["comparators_mean"]) and asd["n_comparators"] == 1  # b lacks a need: no total, no share
    assert asd["label"] == "Autistic spectrum disorder" and asd["topic"] == "need"
    assert list(shown.index[-2:]) == ["need_semh_share", "need_asd_share"]  # needs by England's share, largest first
    assert section.series["year"].max() == 2023 and section.needs["year"].unique().tolist() == [2025]


def test_latest_year_is_the_last_any_unit_has_in_the_order_of_the_measures():
    every = pd.concat([values("appeal_rate", 2023, {"a": 0.02, "b": 0.03}), values("appeal_rate", 2024, {"a": NAN}),
                       values("mainstream_share", 2025, {"a": NAN, "b": 0.4})])
    table = placement.comparison(every, england("appeal_rate", 2024, 0.03), "a", ["b"])
    latest = placement.latest(table)
    assert latest["measure"].tolist() == ["mainstream_share", "appeal_rate"]
    assert latest.set_index("measure").loc["appeal_rate", "year"] == 2023  # 2024: no unit has a value


def test_result_entries_keep_fractions_and_figures_show_percentages():
    every = values("ap_share", 2025, {"a": 0.05, "b": 0.15}, denominator=80.0)
    table = placement.comparison(every, england("ap_share", 2025, 0.01), "a", ["b"])
    entry = placement.result_entries(table)["ap_share"]
    assert entry["value"] == 0.05 and entry["neighbours"] == 0.15 and entry["england"] == 0.01
    assert (entry["rank"], entry["n_ranked"], entry["quartile"], entry["small"]) == (2, 2, 4, True)
    assert (entry["numerator"], entry["denominator"], entry["year"]) == (4.0, 80.0, 2025)
    figure = placement.figure_frame(table, "placement", "Council A", "Neighbours' average (1)")
    assert figure["series"].tolist() == ["Council A", "Neighbours' average (1)", "England"]
    assert figure["value"].tolist() == pytest.approx([5.0, 15.0, 1.0])
    assert figure["measure"].iloc[0] == sen2.SETTING_GROUP_LABELS["alternative_provision"] + " (%)"
