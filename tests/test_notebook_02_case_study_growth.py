"""notebooks/02_case_study_growth.ipynb, run like a user (`python -m sendlib run ...`) on the real
processed data; its results.json is checked against calculations done here from the panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runs import NotebookRun, notebook_run, refused, unreadable_bits
from sendlib import config
from sendlib.params import notebook_parameters

STEM = "02_case_study_growth"
NOTEBOOK = config.NOTEBOOKS_DIR / f"{STEM}.ipynb"
FIGURES = ["growth_by_unit", "random_group_means", "selected_groups",
           "sensitivity_claim_percentile_among_units", "sensitivity_claim_percentile_among_random_groups"]
CUSTOM = {"case_study": ["Camden", 886], "basis": "real", "end_fy": "2020-21", "claimed_growth": 0.1,
          "group_size": 5, "n_draws": 2000, "seed": 7, "sensitivity_end_fy": ["2020-21"]}

default_run = notebook_run(STEM)
custom_run = notebook_run(STEM, CUSTOM)


def spend_growth(panel: pd.DataFrame, base_fy: str, end_fy: str, real: bool = False) -> pd.DataFrame:
    """Per unit: spend in both years (complete reporting in both), cash or real, and growth."""
    def year(fy: str) -> pd.DataFrame:
        rows = panel[(panel["fy"] == fy) & panel["hn_spend_complete"]].set_index("unit")
        value = rows["hn_spend_gbp"] / rows["deflator_index"] * 100 if real else rows["hn_spend_gbp"]
        return value.dropna()

    both = pd.concat({"base": year(base_fy), "end": year(end_fy)}, axis=1, join="inner")
    return both.assign(growth=both["end"] / both["base"] - 1)


def random_group_share(values: np.ndarray, size: int, threshold: float, draws: int = 20000) -> float:
    """Share of random groups (without replacement) whose mean is at most ``threshold``."""
    rng = np.random.default_rng(1)
    means = np.array([rng.choice(values, size=size, replace=False).mean() for _ in range(draws)])
    return float(np.mean(means <= threshold))


def test_default_case_study_is_the_programmes_csv_list() -> None:
    programmes = pd.read_csv(config.PROGRAMMES_CSV, dtype=str)
    listed = sorted(programmes.loc[programmes["programme"] == "case_study_2022", "la_code"])
    assert notebook_parameters(NOTEBOOK)["case_study"].default == listed == ["202"]


@pytest.mark.needs_data
def test_default_run_matches_the_panel(default_run: NotebookRun, panel: pd.DataFrame) -> None:
    results = default_run.results
    table = spend_growth(panel, "2018-19", "2021-22")
    assert results["n_units_with_growth"] == len(table) == 150
    assert results["national_growth"] == pytest.approx(table["end"].sum() / table["base"].sum() - 1)
    assert results["unit_growth_p50"] == pytest.approx(table["growth"].median())
    assert results["claim_percentile_among_units"] == pytest.approx((table["growth"] <= 0.25).mean())
    camden = table.loc["202", "growth"]
    assert results["case_study_growth"] == {"202": pytest.approx(camden)}
    assert results["case_study_percentile_among_units"]["202"] == pytest.approx((table["growth"] <= camden).mean())
    assert results["selected_lowest_growth_mean_growth"] == pytest.approx(table["growth"].nsmallest(10).mean())
    assert results["selected_highest_growth_mean_growth"] == pytest.approx(table["growth"].nlargest(10).mean())
    expected = random_group_share(table["growth"].to_numpy(), 10, 0.25)
    assert results["claim_percentile_among_random_groups"] == pytest.approx(expected, abs=0.005)
    assert results["unnamed_members_n"] == 9
    assert results["unnamed_members_implied_mean"] == pytest.approx((10 * 0.25 - camden) / 9)
    assert results["case_study_ci_estimable"] is False and results["case_study_ci_low"] is None
    assert results["sensitivity_measures_skipped"] == ["hnb_after_deductions"]
    assert results["sensitivity_rows"] == 2 * 4 * 2 * 3  # bases x denominators x base years x end years


@pytest.mark.needs_data
def test_default_regressions_match_an_independent_least_squares(default_run: NotebookRun, panel: pd.DataFrame) -> None:
    results = default_run.results
    table = spend_growth(panel, "2018-19", "2021-22")
    base = panel[panel["fy"] == "2018-19"].set_index("unit")
    end = panel[panel["fy"] == "2021-22"].set_index("unit")
    frame = table.join(base[["hn_spend_gbp", "pop_2_18_count", "ehcp_count", "idaci_score", "la_type", "dbv"]])
    frame["ehcp_growth"] = end["ehcp_count"] / frame["ehcp_count"] - 1
    frame["per_head_k"] = frame["hn_spend_gbp"] / frame["pop_2_18_count"] / 1000
    types = pd.get_dummies(frame["la_type"], dtype=float).drop(columns=sorted(frame["la_type"].unique())[0])
    design = np.column_stack([np.ones(len(frame)), frame["dbv"].astype(float), frame["per_head_k"],
                              frame["ehcp_growth"], frame["idaci_score"], types.to_numpy()])
    coefficients = np.linalg.lstsq(design, frame["growth"].to_numpy(), rcond=None)[0]
    assert results["regression_dbv_coefficient"] == pytest.approx(coefficients[1], rel=1e-6)
    assert results["regression_dbv_n"] == 150 and results["regression_dbv_n_members"] == int(frame["dbv"].sum())
    assert results["regression_case_study_n_members"] == 1
    assert results["regression_case_study_hc3_defined"] is False and results["regression_case_study_robust_se"] is None
    assert results["regression_safety_valve_robust_se"] > 0


@pytest.mark.needs_data
def test_every_simulated_share_and_percentile_has_its_monte_carlo_error(default_run: NotebookRun) -> None:
    results = default_run.results
    share, n_draws = results["claim_percentile_among_random_groups"], results["n_draws"]
    assert n_draws == 20000
    assert results["claim_percentile_among_random_groups_mc_se"] == pytest.approx(np.sqrt(share * (1 - share) / n_draws))
    assert 0 < results["random_group_p2_5_mc_se"] < 0.005 and 0 < results["random_group_p97_5_mc_se"] < 0.005
    unnamed = results["unnamed_members_implied_mean_percentile"]
    assert results["unnamed_members_implied_mean_percentile_mc_se"] == pytest.approx(
        np.sqrt(unnamed * (1 - unnamed) / n_draws))
    assert 0 < results["sensitivity_claim_percentile_among_random_groups_mc_se_max"] <= 0.5 / np.sqrt(n_draws)
    assert results["selected_lowest_growth_share_of_random_groups"] == 0.0
    assert f"{100 * share:.1f}% of random groups of 10 units (Monte Carlo s.e. " in default_run.text


@pytest.mark.needs_data
@pytest.mark.parametrize("run", ["default_run", "custom_run"])
def test_report_text_reads_as_a_person_reads_it(run: str, request: pytest.FixtureRequest) -> None:
    assert unreadable_bits(request.getfixturevalue(run).text) == []


@pytest.mark.needs_data
def test_default_run_writes_every_figure_and_the_report(default_run: NotebookRun) -> None:
    folder = default_run.folder
    for name in FIGURES:
        assert (folder / "figures" / f"{name}.png").stat().st_size > 0
        assert len(pd.read_csv(folder / "figures" / f"{name}.csv")) > 0
    assert (folder / f"{STEM}.nocode.html").is_file()


@pytest.mark.needs_data
def test_parameter_file_changes_the_results_accordingly(
    default_run: NotebookRun, custom_run: NotebookRun, panel: pd.DataFrame
) -> None:
    results = custom_run.results
    table = spend_growth(panel, "2018-19", "2020-21", real=True)
    assert results["case_study_units"] == ["202", "886"]
    assert results["national_growth"] == pytest.approx(table["end"].sum() / table["base"].sum() - 1)
    assert results["national_growth"] != pytest.approx(default_run.results["national_growth"])
    assert results["claim_percentile_among_units"] == pytest.approx((table["growth"] <= 0.1).mean())
    named = table.loc[["202", "886"], "growth"]
    assert results["case_study_mean_growth"] == pytest.approx(named.mean())
    assert results["case_study_ci_estimable"] is True
    assert results["case_study_ci_low"] <= results["case_study_mean_growth"] <= results["case_study_ci_high"]
    assert results["unnamed_members_n"] == 3
    assert results["unnamed_members_implied_mean"] == pytest.approx((5 * 0.1 - named.sum()) / 3)
    assert results["selected_lowest_growth_mean_growth"] == pytest.approx(table["growth"].nsmallest(5).mean())
    expected = random_group_share(table["growth"].to_numpy(), 5, 0.1)
    assert results["claim_percentile_among_random_groups"] == pytest.approx(expected, abs=0.02)
    assert results["sensitivity_rows"] == 2 * 4 * 2
    assert results["regression_case_study_n_members"] == 2


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("case_study", "999", "unknown council '999'"),
        ("end_fy", "2030-31", "'2030-31' is not a year of the panel"),
        ("measure", "spend", "'spend' is not a known measure"),
    ],
)
def test_bad_parameter_exits_2_and_creates_no_report(
    processed_data: Path, tmp_path: Path, name: str, value: str, message: str
) -> None:
    assert message in refused(tmp_path / "reports", "run", STEM, "-p", name, value)


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["-p", "measure", "hnb_after_deductions"],
         "measure 'hnb_after_deductions' (cash, total) has no data in base_fy 2018-19; years with data: "
         "2019-20 to 2023-24"),
        (["-p", "base_fy", "2021-22", "-p", "end_fy", "2020-21"], "end_fy '2020-21' must come after base_fy '2021-22'"),
    ],
)
def test_combination_without_data_is_refused_before_a_kernel_starts(
    processed_data: Path, tmp_path: Path, overrides: list[str], message: str
) -> None:
    assert f"{STEM}: {message}" in refused(tmp_path / "reports", "run", STEM, *overrides)  # sendlib.prechecks
