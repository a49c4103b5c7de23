"""The sampling frames, the claim inside them, the decomposition and the follow-up, on a
hand-made panel with known answers."""

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import growth
from sendlib.analysis import selection as S
from sendlib.errors import ParameterError

FYS = ["2019-20", "2020-21", "2021-22", "2022-23"]
# unit: DSG balance (GBP, positive = deficit) 2019-20 and 2020-21; 2020-21 block after deductions,
# spend, place funding; spend 2019-20..2022-23
UNITS = {
    "a": ((10, 5), (100, 80, 15), [70, 80, 100, 130]),  # balance improved; block covers spend + places
    "b": ((10, 12), (100, 90, 15), [80, 90, 100, 105]),  # balance worsened; block short by 5
    "sv": ((20, 5), (100, 70, 10), [60, 70, 100, 110]),  # improved only by a safety-valve payment
    "202": ((-3, -4), (50, 45, 5), [40, 45, 50, 70]),  # Camden: surplus, growing; block exactly covers
    "n": ((np.nan, np.nan), (100, np.nan, 10), [50, np.nan, 60, 66]),  # no balance; spend incomplete
}
CLAIMED = 0.25


def mini_panel() -> pd.DataFrame:
    rows = []
    for unit, (balance, (block, spend_2020, _), spend) in UNITS.items():
        for i, fy in enumerate(FYS):
            value = spend[i] if fy != "2020-21" else spend_2020
            rows.append({"unit": unit, "unit_name": unit.upper(), "fy": fy, "fy_start": 2019 + i,
                         "dsg_balance_gbp": float(balance[i]) if i < 2 else np.nan,
                         "dsg_balance_pct": float(balance[i]) / 10 if i < 2 else np.nan,
                         "hnb_after_deductions_gbp": float(block), "hn_spend_gbp": float(value),
                         "hn_spend_complete": bool(not np.isnan(value)), "ehcp_count": 10.0 + i,
                         "pop_2_18_count": 1000.0, "deflator_index": 100.0})
    return pd.DataFrame(rows)


@pytest.fixture
def panel() -> pd.DataFrame:
    return mini_panel()


@pytest.fixture
def place_funding() -> pd.Series:
    return pd.Series({unit: float(parts[1][2]) for unit, parts in UNITS.items()})


@pytest.mark.parametrize("rule,expected", [("dsg_in_year", ["202", "a"]), ("hnb_vs_spend", ["202", "a", "sv"]),
                                           ("dsg_cumulative", ["202"])])
def test_each_frame_rule_picks_the_known_units(panel, place_funding, rule, expected):
    frame = S.sampling_frame(panel, rule, {"sv"}, place_funding).set_index("unit")
    assert sorted(frame.index[frame["in_frame"]]) == expected
    assert frame.loc["n", "note"] == "no data for the rule" and not frame.loc["n", "in_frame"]
    summary = S.frame_summary(frame.reset_index(), rule)
    assert summary.size == len(expected) and summary.camden_in_frame


def test_a_safety_valve_payer_does_not_enter_dsg_in_year(panel, place_funding):
    frame = S.sampling_frame(panel, "dsg_in_year", {"sv"}, place_funding).set_index("unit")
    assert frame.loc["sv", "margin_gbp"] == 15 and not frame.loc["sv", "in_frame"]
    assert frame.loc["sv", "note"] == "safety-valve agreement in 2020-21"
    assert S.frame_summary(frame.reset_index(), "dsg_in_year").excluded_safety_valve == ["SV"]
    assert S.sampling_frame(panel, "dsg_in_year").set_index("unit").loc["sv", "in_frame"]  # without the exclusion


def test_margins_of_hnb_vs_spend(panel, place_funding):
    frame = S.sampling_frame(panel, "hnb_vs_spend", {"sv"}, place_funding).set_index("unit")
    assert frame["margin_gbp"].to_dict() == pytest.approx({"202": 0.0, "a": 5.0, "b": -5.0, "n": np.nan, "sv": 20.0},
                                                          nan_ok=True)


def test_units_signed_in_a_year():
    programmes = pd.DataFrame({"la_code": ["1", "2", "3"], "programme": ["safety_valve"] * 2 + ["delivering_better_value"],
                               "signed": pd.to_datetime(["2021-03-31", "2022-03-31", "2021-01-01"])})
    lookup = pd.DataFrame({"la_code": ["1", "2", "3"], "unit": ["u1", "u2", "u3"]})
    assert S.units_signed_in(programmes, lookup, "2020-21") == {"u1"}


def growth_values() -> pd.Series:
    return pd.Series({"a": 0.10, "b": 0.30, "c": 0.50, "d": 0.20, "e": np.nan, "f": 0.60})


def test_claim_in_frame_against_plain_pandas():
    values, frame = growth_values(), ["a", "d", "e"]
    claim = S.claim_in_frame(values, frame, CLAIMED, group_size=2, n_draws=500, seed=1)
    assert (claim["n_frame"], claim["n_others"]) == (2, 3)
    assert claim["frame_mean"] == pytest.approx(0.15) and claim["others_mean"] == pytest.approx(np.mean([0.3, 0.5, 0.6]))
    assert claim["all_mean"] == pytest.approx(values.mean())
    assert claim["claim_pct_frame_groups"] == 1.0  # the only group of 2 from the frame averages 0.15 <= 0.25
    assert claim["claim_pct_other_groups"] == 0.0  # every pair from outside averages more than 0.25
    assert claim["claim_pct_frame_groups_mc_se"] == claim["claim_pct_other_groups_mc_se"] == 0.0
    # all units: the headline share of notebook 02 (same function, pool, size, draws and seed)
    headline = growth.claim_share_among_random_groups(values.dropna(), CLAIMED, 2, 500, 1)
    assert (claim["claim_pct_all_groups"], claim["claim_pct_all_groups_mc_se"]) == (headline.share, headline.mc_se)
    assert 0 < headline.share < 1 and claim["n_draws"] == 500
    too_big = S.claim_in_frame(values, frame, CLAIMED, group_size=3, n_draws=10, seed=1)
    assert np.isnan(too_big["claim_pct_frame_groups"]) and np.isnan(too_big["claim_pct_frame_groups_mc_se"])


def test_decomposition_against_plain_pandas():
    values, frame = growth_values(), ["a", "d"]
    parts = S.decompose(values, frame, CLAIMED, n_draws=2000, seed=3)
    inside, outside = values[["a", "d"]], values.drop(["a", "d"]).dropna()
    assert parts.difference == pytest.approx(inside.mean() - outside.mean())
    assert parts.low < parts.difference < parts.high
    all_mean = values.mean()
    assert parts.claim_minus_all == pytest.approx(CLAIMED - all_mean)
    assert parts.share_explained == pytest.approx((inside.mean() - all_mean) / (CLAIMED - all_mean))
    assert 0 <= parts.low_mc_se < 0.01 and 0 <= parts.high_mc_se < 0.01 and parts.n_draws == 2000  # few, discrete means


def test_follow_up_against_plain_pandas(panel):
    table = S.follow_up(panel, ["a", "202"], "2021-22", n_draws=500, seed=1)
    spend = table[table["measure"] == "spend"].set_index("to_fy")
    assert spend.index.tolist() == ["2022-23"]
    wide = panel.pivot(index="unit", columns="fy", values="hn_spend_gbp")
    growth = wide["2022-23"] / wide["2021-22"] - 1
    inside, outside = growth[["a", "202"]], growth.drop(["a", "202"])
    row = spend.loc["2022-23"]
    assert row["frame_mean"] == pytest.approx(inside.mean()) and row["others_mean"] == pytest.approx(outside.mean())
    assert row["difference"] == pytest.approx(inside.mean() - outside.mean()) and row["n_others"] == 3
    assert row["low"] <= row["difference"] <= row["high"]
    assert row["low_mc_se"] >= 0 and row["high_mc_se"] >= 0
    assert set(table["measure"]) == {"spend", "spend_per_head", "ehcp", "allocation"}


def test_verdict():
    before = S.Decomposition(0.2, 0.3, 0.28, -0.1, -0.2, -0.01, -0.03, -0.08, 2.7)
    assert S.verdict(before, pd.Series({"low": -0.2, "high": -0.01})) == "persisted"
    assert S.verdict(before, pd.Series({"low": -0.2, "high": 0.1})) == "vanished"
    assert S.verdict(before, pd.Series({"low": 0.01, "high": 0.1})) == "reversed"


def test_indexed_paths_and_balance_path(panel):
    paths = S.indexed_paths(panel, ["a", "202"], "2019-20", "2022-23").set_index(["group", "fy"])
    # n (spend incomplete in 2020-21) is left out; frame = a + 202, others = b + sv
    assert paths.loc[("frame", "2022-23"), "index"] == pytest.approx(100 * (130 + 70) / (70 + 40))
    assert paths.loc[("others", "2020-21"), "total_gbp"] == 90 + 70 and paths.loc[("others", "2019-20"), "n"] == 2
    balances = S.balance_path(panel, ["a", "202"]).set_index(["group", "fy"])
    assert balances.loc[("frame", "2020-21"), "mean"] == pytest.approx((0.5 - 0.4) / 2)


@pytest.mark.parametrize("change,message", [
    ({"frame_rule": "surplus"}, "frame_rule must be one of dsg_in_year, hnb_vs_spend, dsg_cumulative, got 'surplus'"),
    ({"end_fy": "2030-31"}, "end_fy '2030-31' is not a year of the panel"),
    ({"base_fy": "2022-23", "end_fy": "2020-21"}, "must come after base_fy"),
    ({"follow_up_from_fy": "2022-23"}, "no high-needs spend after follow_up_from_fy"),
    ({"level": 2.0}, "level must be between 0 and 1"),
])
def test_check_selection_parameters(panel, change, message):
    parameters = {"frame_rule": "dsg_in_year", "measure": "hn_spend", "basis": "cash", "denominator": "total",
                  "base_fy": "2019-20", "end_fy": "2021-22", "follow_up_from_fy": "2021-22", "claimed_growth": 0.25,
                  "group_size": 2, "n_draws": 10, "level": 0.95, "seed": 1}
    S.check_selection_parameters(panel, parameters)
    with pytest.raises(ParameterError, match=message):
        S.check_selection_parameters(panel, {**parameters, **change})
