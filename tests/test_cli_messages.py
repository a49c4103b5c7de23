"""Usage mistakes get a message a person understands (exit 2, nothing run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendlib import cli


@pytest.fixture(autouse=True)
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SENDLIB_NOTEBOOKS_DIR", raising=False)
    return tmp_path / "reports"


def _usage_error(args: list[str], capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("text", ["abc", "2.5", ""])
def test_jobs_that_is_not_a_number(text: str, capsys) -> None:
    error = _usage_error(["report", "--all", "--jobs", text], capsys)
    assert f"argument --jobs: expected a whole number of at least 1, got {text!r}" in error
    assert "_positive_int" not in error


def test_jobs_below_one(capsys) -> None:
    assert "argument --jobs: must be at least 1, got 0" in _usage_error(["reproduce", "--jobs", "0"], capsys)


@pytest.mark.parametrize("which", [["--la", "202"], ["--all", "--limit", "2"]])
def test_parameter_la_with_report_is_an_error_not_dropped(which: list[str], capsys, reports: Path) -> None:
    error = _usage_error(["report", *which, "-p", "la", "886"], capsys)
    assert "-p la is not a parameter of `sendlib report`: choose the council(s) with --la" in error
    assert not reports.exists()


def test_la_in_a_parameter_file_of_report_is_an_error(tmp_path: Path, capsys, reports: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("la: Kent\nn_nearest: 5\n", encoding="utf-8")
    assert cli.main(["report", "--la", "202", "-f", str(path)]) == 2
    assert f"{path}: `la` is not a parameter of `sendlib report`" in capsys.readouterr().err
    assert not reports.exists()


def test_a_directory_as_parameter_file(tmp_path: Path, capsys, reports: Path) -> None:
    assert cli.main(["run", "02_case_study_growth", "-f", str(tmp_path)]) == 2
    assert f"{tmp_path}: is a directory, not a parameter file" in capsys.readouterr().err
    assert not reports.exists()


def test_a_missing_mirror_folder_is_named(tmp_path: Path, monkeypatch, capsys, reports: Path) -> None:
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SENDLIB_DATA_MIRROR", str(tmp_path / "no-such-mirror"))
    assert cli.main(["data"]) == 2
    error = capsys.readouterr().err
    assert f"the mirror folder {tmp_path / 'no-such-mirror'} (SENDLIB_DATA_MIRROR) does not exist" in error
    assert not reports.exists()


def test_a_parameter_without_its_value(capsys) -> None:
    assert "argument -p/--parameter: expected 2 arguments" in _usage_error(
        ["run", "02_case_study_growth", "-p", "n_draws"], capsys)


def test_a_parameter_for_a_command_that_takes_none(capsys) -> None:
    assert "-p goes with `sendlib run` and `sendlib report`, not `sendlib params`" in _usage_error(
        ["params", "02_case_study_growth", "-p", "n_draws", "10"], capsys)
