"""Outcomes (shares, rates per 10,000) on hand-made panels: definitions, missing never 0, merged
units from whole member sets only, England's series (their small-number flags are tested with
sendlib.analysis.small_numbers)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendlib import panel as panel_module
from sendlib.analysis import outcomes, small_numbers
from sendlib.readers import sen2

NAN = float("nan")


def tiny_panel(**columns: list[float]) -> pd.DataFrame:
    """Units a, b, c in FY 2022-23 with the given count columns."""
    return pd.DataFrame({"unit": ["a", "b", "c"], "fy": ["2022-23"] * 3, **columns})


def test_every_outcome_is_its_ratio_and_missing_never_becomes_zero():
    frame = tiny_panel(ehcp_mainstream_count=[40.0, NAN, 5.0], ehcp_count=[100.0, 50.0, NAN])
    got = outcomes.outcome_frame(frame, ["mainstream_share"])
    assert list(got.columns) == ["unit", "fy", "mainstream_share"]
    assert got["mainstream_share"].iloc[0] == pytest.approx(0.4)
    assert got["mainstream_share"].iloc[1:].isna().all()  # missing numerator, missing denominator


def test_rates_are_per_10000_and_a_zero_denominator_is_missing():
    frame = tiny_panel(new_plans_count=[30.0, 3.0, 0.0], pop_0_25_count=[60000.0, 0.0, 500.0])
    values = outcomes.outcome_values(frame, "new_plans_per_10k")
    assert values.iloc[0] == pytest.approx(5.0) and math.isnan(values.iloc[1]) and values.iloc[2] == 0.0


def test_refusal_share_divides_by_all_decisions_and_needs_both():
    frame = tiny_panel(not_assess_count=[25.0, 10.0, 0.0], assess_count=[75.0, NAN, 40.0])
    values = outcomes.outcome_values(frame, "refusal_share")
    assert values.iloc[0] == pytest.approx(0.25) and math.isnan(values.iloc[1]) and values.iloc[2] == 0.0


def test_timeliness_with_and_without_exceptions_and_appeal_rate():
    frame = tiny_panel(issued_20wk_ex_count=[45.0, 0, 0], issued_ex_count=[90.0, 1, 1],
                       issued_20wk_count=[46.0, 0, 0], issued_count=[100.0, 1, 1],
                       appeals_count=[30.0, 0, 0], appealable_decisions_count=[1500.0, 1, 1])
    got = outcomes.outcome_frame(frame, ["timely_20wk_ex", "timely_20wk", "appeal_rate"]).iloc[0]
    assert (got["timely_20wk_ex"], got["timely_20wk"], got["appeal_rate"]) == pytest.approx((0.5, 0.46, 0.02))


def test_outcome_definitions_follow_the_contract():
    assert list(outcomes.OUTCOMES) == [
        "mainstream_share", "special_state_share", "special_independent_share", "ap_share", "new_plans_per_10k",
        "ehcp_per_10k", "timely_20wk_ex", "timely_20wk", "requests_per_10k", "refusal_share", "appeal_rate"]
    for outcome in outcomes.OUTCOMES.values():
        assert outcome.scale == (10_000 if outcome.kind == "rate" else 1.0), outcome.name
        assert outcome.name in small_numbers.MEASURE_COUNTS and outcome.label  # its small count
    assert outcomes.OUTCOMES["refusal_share"].denominator == ("assess_count", "not_assess_count")


def test_unknown_outcome_kind_or_column_is_refused():
    with pytest.raises(ValueError, match="unknown outcome 'spend_share'.*mainstream_share"):
        outcomes.outcome_frame(tiny_panel(), ["spend_share"])
    with pytest.raises(ValueError, match="kind 'ratio'"):
        outcomes.Outcome("x", "a", ("b",), 1.0, "X", "ratio")
    with pytest.raises(Exception, match="ehcp_count"):
        outcomes.outcome_frame(tiny_panel(ehcp_mainstream_count=[1.0, 2.0, 3.0]), ["mainstream_share"])


# --------------------------------------------------------------------------- merged units

#: A merged unit "m": old member 001, new members 002 + 003; and a single-LA unit 004.
LOOKUP = pd.DataFrame({"la_code": ["001", "002", "003", "004"], "unit": ["m", "m", "m", "004"],
                       "unit_name": ["M", "M", "M", "D"], "member_set": ["old", "new", "new", "sole"]})


def test_merged_units_sum_whole_member_sets_only_so_their_ratios_are_never_partial():
    new_plans = pd.DataFrame({"la_code": ["001", "002", "003", "004", "002", "004"],
                              "calendar_year": [2020, 2021, 2021, 2021, 2022, 2022],
                              "new_plans_count": [50.0, 30.0, 25.0, 10.0, 40.0, 12.0]})
    units = panel_module.flows_on_units(new_plans, ["new_plans_count"], LOOKUP).set_index(["unit", "fy"])
    assert units.loc[("m", "2020-21"), "new_plans_count"] == 50  # the old member set
    assert units.loc[("m", "2021-22"), "new_plans_count"] == 55  # the whole new member set
    assert math.isnan(units.loc[("m", "2022-23"), "new_plans_count"])  # 003 missing: no partial sum
    frame = units.reset_index().assign(pop_0_25_count=100_000.0)
    rates = outcomes.outcome_frame(frame, ["new_plans_per_10k"]).set_index(["unit", "fy"])["new_plans_per_10k"]
    assert rates[("m", "2021-22")] == pytest.approx(5.5) and math.isnan(rates[("m", "2022-23")])
    assert rates[("004", "2022-23")] == pytest.approx(1.2)


def by_setting(counts: dict[str, float], la_code: str = "004", january: int = 2023) -> pd.DataFrame:
    """ehcp_by_setting rows of one LA and January: leaf setting -> count (NaN = missing)."""
    return pd.DataFrame({"la_code": la_code, "january": january, "setting": list(counts),
                         "setting_group": [sen2.SETTING_GROUPS[s] for s in counts],
                         "ehcp_count": list(counts.values())})


def test_setting_groups_are_missing_when_any_leaf_is_and_the_total_leaves_out_not_recorded():
    leaves = {"mainstream_academy": 40.0, "mainstream_independent": 5.0, "special_la_maintained": 20.0,
              "special_independent": 6.0, "special_non_maintained": 1.0, "ap_pru_la_maintained": NAN,
              "general_fe_tertiary_colleges": 8.0, "neet": 2.0, "placement_unknown": 9.0}
    got = panel_module.setting_counts(by_setting(leaves), ["la_code", "january"]).iloc[0]
    assert got["ehcp_mainstream_count"] == 45 and got["ehcp_special_state_count"] == 20
    assert got["ehcp_special_independent_count"] == 7 and got["ehcp_fe_count"] == 8
    assert math.isnan(got["ehcp_ap_count"]) and math.isnan(got["ehcp_setting_total_count"])
    complete = panel_module.setting_counts(by_setting({**leaves, "ap_pru_la_maintained": 3.0}), ["january"]).iloc[0]
    assert complete["ehcp_setting_total_count"] == 85  # every leaf but placement_unknown (9)


def test_settings_on_units_pair_january_with_the_fy_it_falls_in():
    rows = pd.concat([by_setting({"mainstream_academy": 10.0}, la, 2023) for la in ("002", "003")])
    units = panel_module.settings_on_units(rows, LOOKUP).set_index(["unit", "fy"])
    assert units.loc[("m", "2022-23"), "ehcp_mainstream_count"] == 20


# --------------------------------------------------------------------------- England

def national_tables() -> dict[str, pd.DataFrame]:
    """England tables as the clean step writes them, two years each."""
    flows = {"new_plans": {"new_plans_count": [600.0, 700.0]},
             "requests": {"requests_count": [1000.0, 1100.0], "assess_count": [NAN, 800.0],
                          "not_assess_count": [200.0, 300.0]},
             "timeliness": {"issued_count": [500.0, 600.0], "issued_20wk_count": [250.0, 240.0],
                            "issued_ex_count": [400.0, 500.0], "issued_20wk_ex_count": [240.0, 230.0]},
             "tribunal_appeals": {"appeals_count": [20.0, 30.0], "appealable_decisions_count": [1000.0, 1200.0]}}
    tables = {f"{name}_national": pd.DataFrame({"calendar_year": [2022, 2023], **columns})
              for name, columns in flows.items()}
    tables["ehcp_national"] = pd.DataFrame({"january": [2023, 2024], "ehcp_count": [5000.0, 5500.0]})
    tables["ehcp_by_setting_national"] = pd.concat(
        [by_setting({"mainstream_academy": m, "special_independent": 300.0}, "", j).drop(columns="la_code")
         for j, m in ((2023, 2000.0), (2024, 2475.0))])
    tables["population_england"] = pd.DataFrame({"mid_year": [2022, 2023], "pop_0_25_count": [1e6, 1e6]})
    return tables


def test_national_outcomes_pair_january_calendar_year_and_mid_year_by_fy():
    got = outcomes.national_outcomes(national_tables())
    assert set(got) == set(outcomes.OUTCOMES)
    assert got["mainstream_share"] == pytest.approx({"2022-23": 0.4, "2023-24": 0.45})
    assert got["new_plans_per_10k"] == pytest.approx({"2022-23": 6.0, "2023-24": 7.0})
    assert got["refusal_share"] == pytest.approx({"2023-24": 300 / 1100})  # 2022: decisions missing, no value
    assert got["timely_20wk_ex"]["2022-23"] == pytest.approx(0.6)
    assert got["appeal_rate"] == pytest.approx({"2022-23": 0.02, "2023-24": 0.025})


# --------------------------------------------------------------------------- real data


@pytest.mark.needs_data
def test_england_mainstream_share_is_dfe_mainstream_total_over_all_plans(processed_data: Path, raw_data: Path):
    with zipfile.ZipFile(raw_data / sen2.DATASET / sen2.RELEASE) as archive:
        raw = pd.read_csv(archive.open(sen2.CASELOAD), dtype=str)
    england = raw.query("geographic_level == 'National' and breakdown_topic == 'All EHC plans'")
    expected = (england.set_index("time_period")["mainstream_total"].astype(float)
                / england.set_index("time_period")["ehcplans"].astype(float))
    got = outcomes.national_outcomes(names=["mainstream_share"])["mainstream_share"]
    assert got["2023-24"] == pytest.approx(expected["202324"]) and got["2018-19"] == pytest.approx(expected["201819"])
    assert np.isfinite(list(got.values())).all() and len(got) == 7
