"""notebooks/04_sustainability.ipynb run like a user (`sendlib run`), its numbers checked
against plain-pandas calculations straight from the panel."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest

from cli_runs import NotebookRun, notebook_run, refused, unreadable_bits
from sendlib import config
from sendlib.present import plots

STEM = "04_sustainability"
FIGURES = ["national_projection", "councils_over_threshold", "funding_assumed_vs_actual",
           "funding_difference_by_council", "spend_projected_vs_actual", "spend_difference_by_council"]
CUSTOM = {"start_fy": "2020-21", "horizon": 3, "spend_rule": "national", "trend_years": 2,
          "backtest_base_fy": "2021-22", "funding_growth_first": 0.10, "funding_growth_after": 0.02,
          "threshold_pct": 5.0, "gap_basis": "raw"}


default_run = notebook_run(STEM)
custom_run = notebook_run(STEM, CUSTOM)


def wide(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    """unit x fy table of a panel column (spend only where complete)."""
    values = panel[column].where(panel["hn_spend_complete"]) if column == "hn_spend_gbp" else panel[column]
    return panel.assign(value=values).pivot(index="unit", columns="fy", values="value")


def sum_growth(frame: pd.DataFrame, base: str, end: str) -> tuple[float, float, float]:
    """(sum in base, sum in end, growth) over units known in both years."""
    both = frame[[base, end]].dropna()
    return both[base].sum(), both[end].sum(), both[end].sum() / both[base].sum() - 1


@pytest.mark.needs_data
def test_default_outputs_exist(default_run: NotebookRun):
    for name in FIGURES:
        assert (default_run.folder / "figures" / f"{name}.png").stat().st_size > 0
        assert (default_run.folder / "figures" / f"{name}.csv").stat().st_size > 0
    for table in ["projection_by_council", "councils_over_threshold_list", "funding_backtest", "spend_backtest"]:
        assert (default_run.folder / "figures" / f"{table}.csv").is_file()
    assert (default_run.folder / f"{STEM}.nocode.html").is_file()


@pytest.mark.needs_data
def test_default_funding_backtest_matches_plain_sums(default_run: NotebookRun, panel: pd.DataFrame):
    results = default_run.results
    base, end, growth = sum_growth(wide(panel, "hnb_before_deductions_gbp"), "2022-23", "2023-24")
    assert results["funding_backtest_fy"] == "2023-24" and results["funding_assumed_growth"] == 0.05
    assert results["funding_actual_growth"] == pytest.approx(growth, rel=1e-12)
    assert results["funding_assumed_gbp"] == pytest.approx(base * 1.05, rel=1e-12)
    assert results["funding_actual_gbp"] == pytest.approx(end, rel=1e-12)
    assert results["funding_n_units"] == 148  # every council but City of London and the Isles of Scilly
    assert 0.10 < results["funding_actual_growth"] < 0.11  # 8.99bn -> 9.95bn


@pytest.mark.needs_data
def test_default_spend_backtest_matches_plain_compounding(default_run: NotebookRun, panel: pd.DataFrame):
    results = default_run.results
    spend = wide(panel, "hn_spend_gbp")
    rate = (spend["2021-22"] / spend["2018-19"]) ** (1 / 3) - 1
    projected = spend["2021-22"] * (1 + rate) ** 3
    both = projected.notna() & spend["2024-25"].notna()
    assert results["spend_backtest_final_fy"] == "2024-25" and results["spend_n_units"] == int(both.sum())
    assert results["spend_projected_gbp"] == pytest.approx(projected[both].sum(), rel=1e-12)
    assert results["spend_actual_gbp"] == pytest.approx(spend.loc[both, "2024-25"].sum(), rel=1e-12)
    assert results["spend_share_units_above"] == pytest.approx((spend["2024-25"] > projected)[both].mean())
    _, _, national = sum_growth(spend, "2018-19", "2021-22")
    assert results["national_spend_trend_rate"] == pytest.approx((1 + national) ** (1 / 3) - 1, rel=1e-12)


@pytest.mark.needs_data
def test_default_projection_matches_plain_arithmetic(default_run: NotebookRun, panel: pd.DataFrame):
    """Guidance path from 2021-22: funding actual in 2022-23, +5% in 2023-24, +3% to 2026-27;
    gap anchored on the observed 2021-22 change in the balance."""
    results = default_run.results
    spend, funding = wide(panel, "hn_spend_gbp"), wide(panel, "hnb_after_deductions_gbp")
    balance, dsg = wide(panel, "dsg_balance_gbp"), wide(panel, "dsg_total_gbp")
    rate = (spend["2021-22"] / spend["2018-19"]) ** (1 / 3) - 1
    growth = np.array([1.0, 1.05, 1.05 * 1.03, 1.05 * 1.03**2, 1.05 * 1.03**3])
    funding_path = np.outer(funding["2022-23"], growth)
    spend_path = spend["2021-22"].to_numpy()[:, None] * (1 + rate.to_numpy()[:, None]) ** np.arange(1, 6)
    observed_gap = balance["2021-22"] - balance["2020-21"]
    gaps = (observed_gap.to_numpy()[:, None] + (spend_path - spend["2021-22"].to_numpy()[:, None])
            - (funding_path - funding["2021-22"].to_numpy()[:, None]))
    final_balance = pd.Series(balance["2021-22"].to_numpy() + gaps.sum(axis=1), index=spend.index)
    final_dsg = dsg["2022-23"] * growth[-1]
    known = final_balance.notna() & final_dsg.notna() & dsg["2021-22"].notna() & funding["2021-22"].notna()
    assert results["projection_n_units"] == int(known.sum()) == 148
    assert results["last_projected_fy"] == "2026-27"
    assert results["national_balance_start_gbp"] == pytest.approx(balance.loc[known, "2021-22"].sum(), rel=1e-12)
    assert results["national_gap_start_gbp"] == pytest.approx(observed_gap[known].sum(), rel=1e-9)
    assert results["national_balance_final_gbp"] == pytest.approx(final_balance[known].sum(), rel=1e-9)
    assert results["national_balance_final_pct_of_dsg"] == pytest.approx(
        100 * final_balance[known].sum() / final_dsg[known].sum(), rel=1e-9)
    over_final = (100 * final_balance / final_dsg > 10.0)[known]
    assert results["n_over_threshold_final"] == int(over_final.sum())
    start_pct = panel.loc[panel["fy"] == "2021-22", "dsg_balance_pct"]
    assert results["n_over_threshold_start"] == int((start_pct > 10.0).sum()) == 4


@pytest.mark.needs_data
def test_custom_parameters_change_results(custom_run: NotebookRun, default_run: NotebookRun, panel: pd.DataFrame):
    custom, default = custom_run.results, default_run.results
    assert {key: custom[key] for key in ["start_fy", "horizon", "spend_rule", "gap_basis", "threshold_pct"]} == {
        key: CUSTOM[key] for key in ["start_fy", "horizon", "spend_rule", "gap_basis", "threshold_pct"]}
    assert custom["last_projected_fy"] == "2023-24"
    base, _, growth = sum_growth(wide(panel, "hnb_before_deductions_gbp"), "2021-22", "2022-23")
    assert custom["funding_backtest_fy"] == "2022-23" and custom["funding_assumed_growth"] == 0.10
    assert custom["funding_assumed_gbp"] == pytest.approx(base * 1.10, rel=1e-12)
    assert custom["funding_actual_growth"] == pytest.approx(growth, rel=1e-12)
    _, _, national = sum_growth(wide(panel, "hn_spend_gbp"), "2018-19", "2020-21")
    assert custom["national_spend_trend_rate"] == pytest.approx((1 + national) ** 0.5 - 1, rel=1e-12)
    assert custom["median_unit_spend_growth_rate"] == pytest.approx(custom["national_spend_trend_rate"])
    assert custom["national_gap_start_gbp"] == pytest.approx(custom["national_raw_gap_start_gbp"])  # raw basis
    start_pct = panel.loc[panel["fy"] == "2020-21", "dsg_balance_pct"]
    assert custom["n_over_threshold_start"] == int((start_pct > 5.0).sum())
    assert custom["funding_actual_growth"] != default["funding_actual_growth"]
    assert custom["national_balance_final_gbp"] != default["national_balance_final_gbp"]


@pytest.mark.needs_data
@pytest.mark.parametrize("which", ["default_run", "custom_run"])
def test_report_reads_as_a_person_reads_it(which: str, request: pytest.FixtureRequest):
    run: NotebookRun = request.getfixturevalue(which)
    assert unreadable_bits(run.text) == []
    assert " rows × " not in run.text and "…" not in run.text  # every table whole, never cut by pandas
    assert run.page().count("<img") == len(FIGURES)  # every figure shown, not only saved
    over = pd.read_csv(run.figure_csv("councils_over_threshold_list"), dtype={"unit": str})
    assert len(over) == run.results["n_over_threshold_ever"]
    assert all(name in run.text for name in over["unit_name"])  # the whole list, by name
    for words in ("High needs block before deductions", "Cumulative DSG deficit", "no data", "£"):
        assert words in run.text


@pytest.mark.needs_data
@pytest.mark.parametrize("args, message", [
    (("-p", "start_fy", "2030-31"), "'2030-31' is not a year of the panel"),
    (("-p", "horizon", "five"), "-p horizon 'five': expected an integer"),
    (("-p", "spend_rul", "national"), "unknown parameter 'spend_rul' (did you mean 'spend_rule'"),
])
def test_bad_parameter_is_refused_before_running(processed_data: Path, tmp_path: Path, args, message):
    assert message in refused(tmp_path / "reports", "run", STEM, *args)


@pytest.mark.needs_data
def test_start_year_without_balance_is_refused_before_running(processed_data: Path, tmp_path: Path):
    stderr = refused(tmp_path / "reports", "run", STEM, "-p", "start_fy", "2022-23")
    assert "start_fy '2022-23' has no DSG balance; years with balances: 2019-20, 2020-21, 2021-22" in stderr


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(config.NOTEBOOKS_DIR / f"{STEM}.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == config.KERNEL_NAME


def test_count_bars_labels_every_bar():
    frame = pd.DataFrame({"fy": ["2021-22", "2022-23"], "n": [4, 11]})
    fig = plots.count_bars(frame, "fy", "n", title="t", ylabel="councils")
    ax = fig.axes[0]
    assert [patch.get_height() for patch in ax.patches] == [4, 11]
    assert [text.get_text() for text in ax.texts] == ["4", "11"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["2021-22", "2022-23"]
    assert all(float(tick).is_integer() for tick in ax.get_yticks())
    plt.close(fig)
    small = plots.count_bars(frame.assign(n=[1, 2]), "fy", "n", ylabel="councils")
    assert all(float(tick).is_integer() for tick in small.axes[0].get_yticks())  # no 0.5 council
    plt.close(small)
