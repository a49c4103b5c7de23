"""Parameter checks that need the panel run before a run folder or kernel exists: a bad value
exits 2 with the message and never leaves a failed run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runs import run_sendlib

from sendlib import cli, config, prechecks, runner
from sendlib.errors import DataUnavailableError, ParameterError
from sendlib.params import notebook_parameters


def _defaults(stem: str) -> dict:
    parameters = notebook_parameters(runner.find_notebook(stem))
    return {name: p.default for name, p in parameters.items() if name != "output_dir"}


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SENDLIB_NOTEBOOKS_DIR", raising=False)
    return tmp_path / "reports"


def test_every_notebook_has_a_precheck_that_resolves():
    assert {cli.CLEAN_NOTEBOOK, *cli.ANALYSIS_NOTEBOOKS, cli.COUNCIL_NOTEBOOK} <= set(prechecks.PRECHECKS)
    for stem, precheck in prechecks.PRECHECKS.items():
        assert (config.NOTEBOOKS_DIR / f"{stem}.ipynb").is_file(), stem
        assert precheck.function is None or callable(prechecks.precheck_function(precheck.function)), precheck


@pytest.mark.parametrize("stem", sorted(prechecks.PRECHECKS))
def test_the_notebooks_own_defaults_pass_their_precheck(processed_data: Path, stem: str):
    parameters = _defaults(stem) | ({"la": "202"} if stem == cli.COUNCIL_NOTEBOOK else {})
    prechecks.check_before_run(config.NOTEBOOKS_DIR / f"{stem}.ipynb", parameters)


def test_another_notebook_is_not_prechecked_but_the_projects_are_even_with_defaults(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path / "no-data"))  # no panel: a precheck would raise
    shutil.copy(config.NOTEBOOKS_DIR / "02_case_study_growth.ipynb", tmp_path / "02_case_study_growth.ipynb")
    prechecks.check_before_run(tmp_path / "02_case_study_growth.ipynb", {"n_draws": 0})
    for stem in ("02_case_study_growth", "06_published_figures"):
        with pytest.raises(DataUnavailableError, match="run `sendlib data` first"):
            prechecks.check_before_run(config.NOTEBOOKS_DIR / f"{stem}.ipynb", {})


def test_nan_is_refused_before_a_kernel_starts(processed_data: Path, tmp_path: Path):
    done = run_sendlib(tmp_path, "run", "02_case_study_growth", "-p", "claimed_growth", "nan", "-p", "n_draws", "50")
    assert done.returncode == 2
    assert "02_case_study_growth: parameter 'claimed_growth' must be a finite number, got nan" in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("args", "message"), [
    (["run", "02_case_study_growth", "-p", "n_draws", "0"],
     "02_case_study_growth: parameter 'n_draws': expected a whole number from 1 to 100,000"),
    (["run", "02_case_study_growth", "-p", "end_fy", "2017-18"], "end_fy '2017-18' must come after base_fy '2018-19'"),
    (["run", "03_programme_groups", "-p", "level", "inf"], "'level' must be a finite number, got inf"),
    (["run", "03_programme_groups", "-p", "n_draws", "-5"], "expected a whole number from 1 to 100,000"),
    (["run", "03_programme_groups", "-p", "end_fy", "2017-18"], "end_fy '2017-18' must come after base_fy"),
    (["run", "04_sustainability", "-p", "start_fy", "2023-24", "-p", "backtest_base_fy", "2023-24"],
     "start_fy '2023-24' has no DSG balance"),
    (["run", "04_sustainability", "-p", "horizon", "0"], "04_sustainability: parameter 'horizon': expected a whole"),
    (["run", "04_sustainability", "-p", "funding_growth_first", "5"], "did you mean 0.05 (5%)?"),
    (["run", "05_council_profile", "-p", "la", "Camden", "-p", "n_nearest", "151"],
     "n_nearest must be between 1 and 149"),
    (["report", "--la", "202", "-p", "n_nearest", "0"], "05_council_profile: parameter 'n_nearest': expected a whole"),
    (["report", "--la", "202", "-p", "funding_growth_after", "3"], "did you mean 0.03 (3%)?"),
    (["report", "--la", "202", "-p", "first_fy", "2024-25"], "first_fy '2024-25' must come before last_fy"),
    (["run", "07_selection_and_follow_up", "-p", "follow_up_from_fy", "2024-25"], "follow_up_from_fy"),
    (["run", "07_selection_and_follow_up", "-p", "level", "1.5"], "level"),
])
def test_a_value_the_data_cannot_answer_exits_2_before_a_kernel_starts(processed_data: Path, reports: Path,
                                                                         capsys, args: list[str], message: str):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err
    assert not reports.exists()


def test_a_missing_panel_says_run_sendlib_data_first(reports: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path / "empty"))
    assert cli.main(["run", "04_sustainability", "-p", "horizon", "3"]) == 2
    assert "panel.parquet not found: run `sendlib data` first" in capsys.readouterr().err
    assert not reports.exists()


def test_a_damaged_panel_says_run_sendlib_data(processed_data: Path, reports: Path, tmp_path: Path, monkeypatch,
                                               capsys):
    damaged = tmp_path / "data" / "processed"
    damaged.mkdir(parents=True)
    (damaged / "panel.parquet").write_bytes((processed_data / "panel.parquet").read_bytes()[:1000])
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(damaged.parent))
    assert cli.main(["run", "03_programme_groups", "-p", "n_draws", "10"]) == 2
    assert "panel.parquet: cannot be read" in capsys.readouterr().err
    assert not reports.exists()


# --- notebook 01: its years against the raw files, its folders ------------------------------------


def test_the_clean_notebooks_years_are_checked_against_the_raw_files(raw_data: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path / "no-panel"))  # no panel to compare with
    (tmp_path / "no-panel").mkdir()
    (tmp_path / "no-panel" / "raw").symlink_to(raw_data)
    clean = config.NOTEBOOKS_DIR / "01_clean_data.ipynb"
    prechecks.check_before_run(clean, {})
    with pytest.raises(ParameterError, match="01_clean_data: first_fy '2024-25' must not come after last_fy '2017-18'"):
        prechecks.check_before_run(clean, {"first_fy": "2024-25", "last_fy": "2017-18"})
    with pytest.raises(ParameterError, match=r"first_fy '2010-11'.*outturn.*2017-18 to 2024-25"):
        prechecks.check_before_run(clean, {"first_fy": "2010-11"})
    with pytest.raises(ParameterError, match=r"deflator_base_fy '1900-01'"):
        prechecks.check_before_run(clean, {"deflator_base_fy": "1900-01"})


def test_the_clean_notebooks_folders_are_checked(raw_data: Path, tmp_path: Path):
    clean = config.NOTEBOOKS_DIR / "01_clean_data.ipynb"
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"raw_dir .*no-such-folder.* is not a folder"):
        prechecks.check_before_run(clean, {"raw_dir": str(tmp_path / "no-such-folder")})
    with pytest.raises(ParameterError, match=r"raw_dir .* lacks .*s251_outturn"):
        prechecks.check_before_run(clean, {"raw_dir": str(tmp_path)})
    with pytest.raises(ParameterError, match=r"processed_dir .*a-file.* is a file, not a folder"):
        prechecks.check_before_run(clean, {"processed_dir": str(tmp_path / "a-file")})


def test_report_all_and_la_get_the_same_precheck(processed_data: Path, reports: Path, capsys):
    for which in (["--la", "202"], ["--all", "--limit", "3"]):
        assert cli.main(["report", *which, "-p", "n_nearest", "0"]) == 2
        assert "05_council_profile: parameter 'n_nearest'" in capsys.readouterr().err
    assert not reports.exists()
