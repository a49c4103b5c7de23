"""Run notebooks/06_published_figures.ipynb like a user (``sendlib run``) on the real processed
tables, and check its table and results.json against plain-pandas calculations."""

import json
import subprocess
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import yaml

from cli_runs import run_sendlib, report_folders
from sendlib import config

STEM = "06_published_figures"
STATUSES = {"PASS", "PASS — later revision", "REVISED", "FAIL", "NOT COMPARABLE"}
CUSTOM = {"tolerance_count_rel": 0.0001, "tolerance_money_rel": 0.01}

pytestmark = pytest.mark.needs_data


def run_notebook(reports: Path, *args: str) -> subprocess.CompletedProcess:
    return run_sendlib(reports, "run", STEM, *args)


def report_dirs(reports: Path) -> list[Path]:
    return report_folders(reports, STEM)


class Run(NamedTuple):
    folder: Path
    results: dict
    table: pd.DataFrame


def run_ok(reports: Path, *args: str) -> Run:
    result = run_notebook(reports, *args)
    assert result.returncode == 0, result.stderr
    (folder,) = report_dirs(reports)
    table = pd.read_csv(folder / "figures" / "published_comparison.csv", keep_default_na=False,
                        na_values=[""], dtype={"not_comparable_kind": str, "our_basis": str})
    return Run(folder, json.loads((folder / "results.json").read_text(encoding="utf-8")), table)


@pytest.fixture(scope="module")
def default_run(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_ok(tmp_path_factory.mktemp("reports_default"))


@pytest.fixture(scope="module")
def custom_run(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    reports = tmp_path_factory.mktemp("reports_custom")
    parameters = reports.parent / "custom_06.yaml"
    parameters.write_text(yaml.safe_dump(CUSTOM), encoding="utf-8")
    return run_ok(reports, "-f", str(parameters))


@pytest.fixture(scope="module")
def ours(processed_data: Path) -> dict[str, float]:
    """A few of our figures, straight from the processed tables."""
    national = pd.read_parquet(processed_data / "ehcp_national.parquet").set_index("january")["ehcp_count"]
    allocation = pd.read_parquet(processed_data / "hnb_allocation.parquet")
    balance = pd.read_parquet(processed_data / "dsg_balance.parquet")
    before = allocation.groupby("fy")["hnb_before_deductions_gbp"].sum()
    deficits = balance.loc[(balance["fy"] == "2019-20") & (balance["dsg_balance_gbp"] > 0), "dsg_balance_gbp"]
    return {"ehcp_jan_2024": national[2024], "hnb_2023_24_bn": before["2023-24"] / 1e9,
            "hnb_increase_2021_22_bn": (before["2021-22"] - before["2020-21"]) / 1e9,
            "dsg_deficit_2019_20_m": deficits.sum() / 1e6}


def row(table: pd.DataFrame, series: str, period: str) -> pd.Series:
    (found,) = table[(table["series"] == series) & (table["period"] == period)].itertuples(index=False)
    return pd.Series(found._asdict())


def expected_status(ours: float, published: float, tolerance: float, later_release: bool = False) -> str:
    within = abs(ours / published - 1) <= tolerance
    if later_release and ours != published:
        return "PASS — later revision" if within else "REVISED"
    return "PASS" if within else "FAIL"


def test_every_published_row_appears_with_a_status(default_run):
    _, results, table = default_run
    published = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)
    assert len(table) == len(published) == results["n_rows"]
    assert table["series"].tolist() == published["series"].tolist()
    assert table["published"].tolist() == published["value"].tolist()
    assert set(table["status"]) <= STATUSES
    counts = table["status"].value_counts()
    assert results["status_counts"] == {status: int(counts.get(status, 0)) for status in results["status_counts"]}
    assert results["n_pass"] == counts.get("PASS", 0) + counts.get("PASS — later revision", 0)
    assert results["n_not_comparable"] == counts["NOT COMPARABLE"]
    assert table.loc[table["status"] == "NOT COMPARABLE", "reason"].str.len().min() > 0


def test_default_values_and_statuses_match_plain_pandas(default_run, ours):
    _, _, table = default_run
    jan_2024 = row(table, "EHC plans in force", "Jan 2024")
    assert jan_2024["ours"] == ours["ehcp_jan_2024"] == 576474
    assert jan_2024["status"] == expected_status(ours["ehcp_jan_2024"], 575963, 0.005, later_release=True)
    hnb = row(table, "High needs funding", "2023-24")
    assert hnb["ours"] == pytest.approx(ours["hnb_2023_24_bn"])
    assert hnb["status"] == expected_status(ours["hnb_2023_24_bn"], 9.7, 0.03) == "PASS"
    increase = row(table, "High needs funding increase", "2021-22")
    assert increase["ours"] == pytest.approx(ours["hnb_increase_2021_22_bn"])
    assert increase["status"] == expected_status(ours["hnb_increase_2021_22_bn"], 0.73, 0.03)
    deficit = row(table, "Cumulative DSG deficit", "end 2019-20")
    assert deficit["ours"] == pytest.approx(ours["dsg_deficit_2019_20_m"]) and deficit["status"] == "PASS"
    survey = row(table, "Cumulative DSG deficit", "Mar 2022")
    assert survey["status"] == "NOT COMPARABLE" and survey["not_comparable_kind"] == "survey estimate"
    assert row(table, "High needs funding", "2025-26")["not_comparable_kind"] == "no data for that year"


def test_tighter_tolerances_change_statuses(custom_run, default_run, ours):
    _, results, table = custom_run
    assert (results["tolerance_count_rel"], results["tolerance_money_rel"]) == (0.0001, 0.01)
    # 576474 vs 575963 is +0.09%: beyond 0.01%, and ours is a later release.
    assert row(table, "EHC plans in force", "Jan 2024")["status"] == "REVISED"
    hnb = row(table, "High needs funding", "2023-24")
    assert hnb["status"] == expected_status(ours["hnb_2023_24_bn"], 9.7, 0.01) == "FAIL"
    defaults = default_run.results
    assert results["n_fail"] > defaults["n_fail"]
    assert results["n_not_comparable"] == defaults["n_not_comparable"]


def test_default_run_writes_the_figures(default_run):
    folder, _, table = default_run
    for name in ("ehcp_ours_vs_published", "differences"):
        assert (folder / "figures" / f"{name}.png").is_file() and (folder / "figures" / f"{name}.csv").is_file()
    gaps = pd.read_csv(folder / "figures" / "differences.csv")
    assert len(gaps) == (table["status"] != "NOT COMPARABLE").sum()


def test_a_negative_tolerance_is_refused_before_any_report(processed_data, tmp_path):
    result = run_notebook(tmp_path, "-p", "tolerance_count_rel", "-0.1")
    assert result.returncode == 2
    assert "tolerance_count_rel must be a share between 0 and 1" in result.stderr
    assert not report_dirs(tmp_path)


def test_a_non_number_or_unknown_parameter_is_refused_before_any_report(processed_data, tmp_path):
    result = run_notebook(tmp_path, "-p", "tolerance_money_rel", "lots")
    assert result.returncode == 2 and "expected a number" in result.stderr
    result = run_notebook(tmp_path, "-p", "tolerance", "0.1")
    assert result.returncode == 2 and "unknown parameter 'tolerance'" in result.stderr
    assert not report_dirs(tmp_path)
