"""Run notebooks/03_programme_groups.ipynb like a user (``sendlib run``) on the real processed
tables, and check its results.json against plain-pandas calculations from the panel."""

from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from cli_runs import notebook_run, refused, unreadable_bits
from sendlib import config

STEM = "03_programme_groups"
GROUPS = ("safety valve", "DBV", "neither")
CUSTOM = {"base_fy": "2019-20", "end_fy": "2024-25", "both_rule": "DBV", "n_draws": 500, "seed": 7, "level": 0.9,
          "as_at": "2024-03-31"}

pytestmark = pytest.mark.needs_data

default_run = notebook_run(STEM)
custom_run = notebook_run(STEM, CUSTOM)


# --- independent calculations, plain pandas ---------------------------------------------------


def units_in(programme: str, as_at: str, processed: Path) -> set[str]:
    """Units with a council of ``programme`` invited (or, without an invitation date, signed) by ``as_at``."""
    rows = pd.read_csv(config.PROGRAMMES_CSV, dtype=str, keep_default_na=False)
    start = pd.to_datetime(rows["invited"].where(rows["invited"] != "", rows["signed"]))
    codes = rows.loc[(rows["programme"] == programme) & (start <= pd.Timestamp(as_at)), "la_code"]
    lookup = pd.read_parquet(processed / "la_lookup.parquet").set_index("la_code")["unit"]
    return set(codes.map(lookup))


def unit_group(panel: pd.DataFrame, both_rule: str, processed: Path, as_at: str = "2022-06-23") -> pd.Series:
    units = pd.Index(panel["unit"].unique())
    dbv = units.isin(list(units_in("delivering_better_value", as_at, processed)))
    sv = units.isin(list(units_in("safety_valve", as_at, processed)))
    group = pd.Series("neither", index=units)
    group[dbv] = "DBV"
    group[sv] = "safety valve"
    group[dbv & sv] = both_rule
    return group


def values_in(panel: pd.DataFrame, column: str, fy: str) -> pd.Series:
    rows = panel[panel["fy"] == fy]
    return rows.set_index("unit")[column]


def spend_growth_pct(panel: pd.DataFrame, base: str, end: str) -> pd.Series:
    spend = panel["hn_spend_gbp"].where(panel["hn_spend_complete"])
    wide = panel.assign(spend=spend).pivot(index="unit", columns="fy", values="spend")
    return (100 * (wide[end] / wide[base] - 1)).dropna()


def group_means(values: pd.Series, group: pd.Series) -> dict[str, float]:
    return values.dropna().groupby(group.reindex(values.dropna().index)).mean().to_dict()


def check_means(results: dict, measure: str, expected: dict[str, float]) -> None:
    for name in GROUPS:
        assert results["groups"][measure][name]["mean"] == pytest.approx(expected[name], rel=1e-9), (measure, name)


# --- the default run --------------------------------------------------------------------------


def test_membership_counts_as_at_the_announcement(default_run):
    results = default_run.results
    membership = results["membership"]
    known, claimed = membership["known"], membership["claimed"]
    assert claimed == {"dbv": 55, "safety_valve": 34, "safety_valve_signed": 14, "safety_valve_not_signed": 20,
                       "either": 89, "total_las": 152, "share_either_pct": 58.6}
    assert claimed["dbv"] + claimed["safety_valve"] == claimed["either"]
    assert round(100 * claimed["either"] / known["total_las"], 1) == claimed["share_either_pct"]
    assert (known["dbv"], known["safety_valve"], known["safety_valve_signed"], known["both"], known["total_las"]) == (
        46, 31, 14, 0, 152)
    assert membership["councils_in_both"] == []
    assert sorted(membership["dbv_inferred"]) == ["North Yorkshire", "Warwickshire", "West Berkshire", "Wiltshire"]
    # 5 + 9 signed; 17 of the 20 in negotiation known (two with the year inferred, folded into 2022-23)
    assert membership["safety_valve_by_year"] == {"2020-21": 5, "2021-22": 9, "2022-23": 17}
    assert membership["dbv_by_tranche"] == {"tranche 1": 20, "tranche 2": 22, "tranche 3": 4}
    moves = [event for event in membership["later_events"] if "moved to the safety valve" in event]
    assert moves == ["2024-03-31 Bracknell Forest: moved to the safety valve (delivering_better_value)",
                     "2024-03-31 Bristol: moved to the safety valve (delivering_better_value)",
                     "2024-03-31 Wiltshire: moved to the safety valve (delivering_better_value)"]


def test_default_groups_and_means_match_plain_pandas(default_run, panel, processed_data):
    results = default_run.results
    group = unit_group(panel, "safety valve", processed_data)
    # BCP with Dorset is both (BCP in DBV, Dorset signed 2021-22): the only unit in both in June 2022
    assert results["group_units"] == group.value_counts().to_dict() == {"safety valve": 31, "DBV": 45, "neither": 74}
    check_means(results, "spend_growth_cash_pct", group_means(spend_growth_pct(panel, "2018-19", "2022-23"), group))
    check_means(results, "dsg_balance_2021_22_pct", group_means(values_in(panel, "dsg_balance_pct", "2021-22"), group))
    per_10k = 1e4 * values_in(panel, "ehcp_count", "2022-23") / values_in(panel, "pop_0_25_count", "2022-23")
    check_means(results, "ehcp_per_10k_0_25", group_means(per_10k, group))
    assert results["years"] == {"allocation_fys": ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24"],
                                "dsg_fys": ["2019-20", "2021-22"], "per_head_fy": "2022-23"}


def test_default_differences_match_welch_and_contain_the_difference(default_run, panel, processed_data):
    results = default_run.results
    group = unit_group(panel, "safety valve", processed_data)
    balance = values_in(panel, "dsg_balance_pct", "2019-20").dropna()
    a, b = balance[group[balance.index] == "safety valve"], balance[group[balance.index] == "neither"]
    found = results["differences"]["dsg_balance_2019_20_pct"]["safety valve minus neither"]
    assert found["difference"] == pytest.approx(a.mean() - b.mean())
    assert found["p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert found["low"] < found["difference"] < found["high"] and (found["n_a"], found["n_b"]) == (len(a), len(b))
    selection = results["selection"]["mean_dsg_balance_pct"]
    assert selection["safety valve"] > selection["neither"]


def test_default_run_writes_every_figure_with_its_data(default_run):
    figures = default_run.folder / "figures"
    pngs = {p.stem for p in figures.glob("*.png")}
    assert {"by_group_spend_growth_real_pct", "by_group_dsg_balance_2021_22_pct", "medians_spend_to_hnb_pct",
            "hnb_minus_spend_by_group"} <= pngs
    assert all((figures / f"{stem}.csv").is_file() for stem in pngs)
    units = pd.read_csv(figures / "unit_measures.csv", dtype={"unit": str})
    assert len(units) == 150 and units["unit"].is_unique


def test_bootstrap_intervals_record_the_monte_carlo_error_of_their_ends(default_run):
    found = default_run.results["differences"]["spend_growth_cash_pct"]["safety valve minus neither"]
    assert 0 < found["low_mc_se"] < 1 and 0 < found["high_mc_se"] < 1  # percentage points, 20,000 resamples
    assert "Largest Monte Carlo standard error of an interval end" in default_run.text


@pytest.mark.parametrize("run", ["default_run", "custom_run"])
def test_report_text_reads_as_a_person_reads_it(run, request):
    assert unreadable_bits(request.getfixturevalue(run).text) == []


# --- a custom parameter file -------------------------------------------------------------------


def test_custom_parameters_change_the_results(custom_run, default_run, panel, processed_data):
    results = custom_run.results
    assert results["parameters"] == CUSTOM
    group = unit_group(panel, "DBV", processed_data, "2024-03-31")
    assert results["group_units"] == group.value_counts().to_dict() == {"safety valve": 31, "DBV": 46, "neither": 73}
    assert results["membership"]["known"]["both"] == 3 and results["membership"]["claimed"]["safety_valve"] == 38
    growth = spend_growth_pct(panel, "2019-20", "2024-25")
    check_means(results, "spend_growth_cash_pct", group_means(growth, group))
    # Population ends at mid-2023: plans per 10,000 fall back to FY2023-24.
    assert results["years"]["per_head_fy"] == "2023-24"
    per_10k = 1e4 * values_in(panel, "ehcp_count", "2023-24") / values_in(panel, "pop_0_25_count", "2023-24")
    check_means(results, "ehcp_per_10k_0_25", group_means(per_10k, group))
    defaults = default_run.results
    assert results["groups"]["spend_growth_cash_pct"] != defaults["groups"]["spend_growth_cash_pct"]


# --- bad parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "messages"), [
    (["-p", "end_fy", "2030-31"], ["end_fy", "not a year of the panel"]),
    (["-p", "as_at", "2019-01-01"], ["as_at", "outside the programme dates"]),
    (["-p", "measure", "hn_spend"], ["unknown parameter 'measure'"]),
    (["-p", "base_fy", "2022-23", "-p", "end_fy", "2019-20"], ["end_fy '2019-20' must come after base_fy '2022-23'"]),
    (["-p", "both_rule", "neither"], ["both_rule", "'neither'"]),
])
def test_bad_parameters_are_refused_before_any_report(processed_data, tmp_path, overrides, messages):
    stderr = refused(tmp_path / "reports", "run", STEM, *overrides)
    assert all(message in stderr for message in messages)
