"""notebooks/01_clean_data.ipynb run like a user (`sendlib run`, its tables written to a folder of
its own), its report read as a person reads it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cli_runs import NotebookRun, NotebookRuns, unreadable_bits
from sendlib.present.readable import gbp_bn

STEM = "01_clean_data"

pytestmark = pytest.mark.needs_data


@pytest.fixture(scope="module")
def processed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("processed")


@pytest.fixture(scope="module")
def clean_run(notebook_runs: NotebookRuns, processed_dir: Path) -> NotebookRun:
    return notebook_runs.notebook(STEM, {"processed_dir": str(processed_dir)})


def test_report_reads_as_a_person_reads_it(clean_run: NotebookRun):
    assert unreadable_bits(clean_run.text) == []
    assert " rows × " not in clean_run.text  # every table whole or a stated selection
    qa = pd.read_csv(clean_run.figure_csv("qa_checks"))
    results = clean_run.results
    assert (results["qa_pass"], results["qa_advisory"], results["qa_fail"]) == tuple(
        int((qa["status"] == status).sum()) for status in ("PASS", "ADVISORY", "FAIL"))
    assert (f"{results['qa_pass']} PASS, {results['qa_advisory']} ADVISORY, {results['qa_fail']} FAIL over "
            f"{qa['table'].nunique()} tables") in clean_run.text
    shown = len(qa) - results["qa_pass"]
    assert f"The {shown} checks that did not PASS; all {len(qa)} checks are in figures/qa_checks.csv" in clean_run.text
    assert "Cumberland (942), Westmorland and Furness (943)" in clean_run.text  # missing councils by name


def test_the_written_folder_is_shown_as_code_not_an_empty_element(clean_run: NotebookRun, processed_dir: Path):
    page = clean_run.page()
    assert "<code></code>" not in page
    shown = "/".join(processed_dir.parts[-2:])  # outside the project: its last two parts, never the whole path
    n_tables = len(list(processed_dir.glob("*.parquet")))
    assert n_tables > 16  # the SEN2 tables too
    assert f"Wrote {n_tables} tables to <code>{shown}</code>; the panel has 150 units" in page
    assert str(processed_dir) not in clean_run.text


def test_national_totals_in_pounds_and_counts(clean_run: NotebookRun, panel: pd.DataFrame):
    totals = panel.groupby("fy")[["hn_spend_gbp", "ehcp_count"]].sum(min_count=1)
    for fy, row in totals.iterrows():
        assert f"{fy} {gbp_bn(row['hn_spend_gbp'])}" in clean_run.text
        assert f"{row['ehcp_count']:,.0f}" in clean_run.text
    assert "High needs block after deductions: 2019-20 to 2023-24." in clean_run.text
