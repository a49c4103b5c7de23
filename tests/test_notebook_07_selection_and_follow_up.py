"""Run notebooks/07_selection_and_follow_up.ipynb like a user (``sendlib run``) on the real
processed tables, and check its results.json against plain-pandas calculations from the panel."""

from pathlib import Path

import pandas as pd
import pytest

from cli_runs import notebook_run, refused, unreadable_bits
from sendlib import config

STEM = "07_selection_and_follow_up"
RULES = ("dsg_in_year", "hnb_vs_spend", "dsg_cumulative")
CUSTOM = {"frame_rule": "hnb_vs_spend", "base_fy": "2017-18", "measure": "ehcp", "n_draws": 500, "seed": 7}
RULE_KEYS = {"size", "units", "members", "camden_in_frame", "claim_percentile_among_frame_groups",
             "frame_mean_growth", "others_mean_growth", "decomposition", "follow_up", "follow_up_verdict"}

pytestmark = pytest.mark.needs_data


default_run = notebook_run(STEM)
custom_run = notebook_run(STEM, CUSTOM)
case_study_run = notebook_run("02_case_study_growth")


# --- independent calculations, plain pandas ---------------------------------------------------


def wide(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    return panel.pivot(index="unit", columns="fy", values=column)


def safety_valve_2020_21_units(processed: Path) -> set[str]:
    rows = pd.read_csv(config.PROGRAMMES_CSV, dtype=str, keep_default_na=False)
    signed = pd.to_datetime(rows["signed"].replace("", None))
    codes = rows.loc[(rows["programme"] == "safety_valve") & signed.between("2020-04-01", "2021-03-31"), "la_code"]
    return set(codes.map(pd.read_parquet(processed / "la_lookup.parquet").set_index("la_code")["unit"]))


def dsg_in_year_frame(panel: pd.DataFrame, processed: Path) -> set[str]:
    balance = wide(panel, "dsg_balance_gbp")
    fell = balance.index[balance["2020-21"] < balance["2019-20"]]
    return set(fell) - safety_valve_2020_21_units(processed)


def growth(panel: pd.DataFrame, column: str, base: str, end: str, complete: bool = True) -> pd.Series:
    values = panel[column].where(panel["hn_spend_complete"]) if complete else panel[column]
    table = panel.assign(value=values).pivot(index="unit", columns="fy", values="value")
    return (table[end] / table[base] - 1).dropna()


def split_means(values: pd.Series, frame: set[str]) -> tuple[float, float]:
    inside = values.index.isin(list(frame))
    return values[inside].mean(), values[~inside].mean()


# --- the default run --------------------------------------------------------------------------


def test_every_rule_reports_every_key(default_run):
    assert set(default_run.results["frame_rules"]) == set(RULES)
    for rule in RULES:
        found = default_run.results["frame_rules"][rule]
        assert RULE_KEYS <= set(found), rule
        assert found["size"] == len(found["units"]) == len(found["members"]) > 10
        assert set(found["follow_up"]) == {"spend", "spend_per_head", "ehcp", "allocation"}
        assert found["follow_up_verdict"] in {"persisted", "vanished", "reversed", "no gap before"}


def test_dsg_in_year_frame_and_growth_match_plain_pandas(default_run, panel, processed_data):
    found = default_run.results["frame_rules"]["dsg_in_year"]
    frame = dsg_in_year_frame(panel, processed_data)
    assert set(found["units"]) == frame and found["camden_in_frame"] == ("202" in frame)
    assert not frame & safety_valve_2020_21_units(processed_data)
    frame_mean, others_mean = split_means(growth(panel, "hn_spend_gbp", "2018-19", "2021-22"), frame)
    assert found["frame_mean_growth"] == pytest.approx(frame_mean)
    assert found["others_mean_growth"] == pytest.approx(others_mean)
    parts = found["decomposition"]
    assert parts["frame_minus_others"] == pytest.approx(frame_mean - others_mean)
    assert parts["low"] < parts["frame_minus_others"] < parts["high"]
    assert 0 <= found["claim_percentile_among_frame_groups"] <= 1


def test_follow_up_matches_plain_pandas(default_run, panel, processed_data):
    found = default_run.results["frame_rules"]["dsg_in_year"]["follow_up"]
    frame = dsg_in_year_frame(panel, processed_data)
    assert sorted(found["spend"]) == ["2022-23", "2023-24", "2024-25"]
    assert sorted(found["ehcp"])[-1] == "2024-25" and sorted(found["allocation"])[-1] == "2023-24"
    assert sorted(found["spend_per_head"])[-1] == "2023-24"
    frame_mean, others_mean = split_means(growth(panel, "hn_spend_gbp", "2021-22", "2024-25"), frame)
    assert found["spend"]["2024-25"]["difference"] == pytest.approx(frame_mean - others_mean)
    plans_frame, plans_others = split_means(growth(panel, "ehcp_count", "2021-22", "2023-24", complete=False), frame)
    assert found["ehcp"]["2023-24"]["frame_mean"] == pytest.approx(plans_frame)
    assert found["ehcp"]["2023-24"]["others_mean"] == pytest.approx(plans_others)


def test_sensitivity_rows_and_paths(default_run):
    rows = pd.DataFrame(default_run.results["claim_in_frame_sensitivity"])
    assert len(rows) > 20 and rows["claim_pct_frame_groups"].between(0, 1).all()
    paths = default_run.results["indexed_spend_paths"]
    assert set(paths) == {"frame", "others"} and paths["frame"]["2017-18"] == pytest.approx(100)
    assert sorted(paths["frame"]) == [f"{y}-{str(y + 1)[2:]}" for y in range(2017, 2025)]


def test_the_headline_share_is_notebook_02s_with_its_monte_carlo_error(default_run, case_study_run):
    headline = case_study_run.results
    for rule in RULES:
        found = default_run.results["frame_rules"][rule]
        # the same function, pool (all units), group size, draws and seed: the same number, not simulation noise
        assert found["claim_percentile_among_all_groups"] == headline["claim_percentile_among_random_groups"]
        assert found["claim_percentile_among_all_groups_mc_se"] == headline["claim_percentile_among_random_groups_mc_se"]
        share = found["claim_percentile_among_frame_groups"]
        assert found["claim_percentile_among_frame_groups_mc_se"] == pytest.approx((share * (1 - share) / 20000) ** 0.5)
        assert found["decomposition"]["low_mc_se"] >= 0 and found["follow_up"]["spend"]["2024-25"]["high_mc_se"] >= 0
    parameters = default_run.results["parameters"]
    assert (parameters["n_draws"], parameters["seed"]) == (headline["n_draws"], headline["seed"])


@pytest.mark.parametrize("run", ["default_run", "custom_run"])
def test_report_text_reads_as_a_person_reads_it(run, request):
    assert unreadable_bits(request.getfixturevalue(run).text) == []


# --- another rule, base year and measure --------------------------------------------------------


def test_custom_parameters_change_the_results(custom_run, default_run, panel):
    assert custom_run.results["parameters"]["frame_rule"] == "hnb_vs_spend" and custom_run.results["parameters"]["measure"] == "ehcp"
    found = custom_run.results["frame_rules"]["hnb_vs_spend"]
    frame_mean, others_mean = split_means(growth(panel, "ehcp_count", "2017-18", "2021-22", complete=False),
                                          set(found["units"]))
    assert found["frame_mean_growth"] == pytest.approx(frame_mean)
    assert found["others_mean_growth"] == pytest.approx(others_mean)
    assert found["units"] == default_run.results["frame_rules"]["hnb_vs_spend"]["units"]  # the frame does not depend on them
    assert found["frame_mean_growth"] != default_run.results["frame_rules"]["hnb_vs_spend"]["frame_mean_growth"]
    assert custom_run.results["claim_in_frame_sensitivity"] != default_run.results["claim_in_frame_sensitivity"]


# --- bad parameters ------------------------------------------------------------------------------


def test_an_unknown_frame_rule_is_refused_before_any_report(processed_data, tmp_path):
    stderr = refused(tmp_path / "reports", "run", STEM, "-p", "frame_rule", "surplus")
    assert "'surplus' is not a known frame_rule" in stderr and "dsg_in_year" in stderr


def test_an_as_at_outside_the_data_is_refused_before_any_report(processed_data, tmp_path):
    assert "outside the programme dates" in refused(tmp_path / "reports", "run", STEM, "-p", "as_at", "2031-01-01")
