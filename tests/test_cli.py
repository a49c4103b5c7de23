"""The `sendlib` command, run like a user would (a subprocess), on the toy notebooks; the
commands that need a council resolver or the data step run in-process with fakes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

import pytest
from processes import processes_with

from cli_runs import notebook_results
from sendlib import cli, config, runner
from sendlib.errors import ParameterError

TOYS = Path(__file__).parent / "fixtures" / "notebooks"
COUNCILS = {"202": "202", "camden": "202", "886": "886", "kent": "886"}


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Reports and data in tmp_path, notebooks = the toy notebooks (also for in-process runs)."""
    folders = {"reports": tmp_path / "reports", "data": tmp_path / "data", "notebooks": TOYS}
    for name, path in folders.items():
        monkeypatch.setenv(f"SENDLIB_{name.upper()}_DIR", str(path))
    monkeypatch.delenv("SENDLIB_RUN_ID", raising=False)
    return folders


@pytest.fixture
def project_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: dict[str, Path]) -> Path:
    """A notebooks folder laid out like the project's, made of toy notebooks."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for stem in ("01_clean_data", *cli.ANALYSIS_NOTEBOOKS):
        shutil.copy(TOYS / "toy_square.ipynb", notebooks / f"{stem}.ipynb")
    shutil.copy(TOYS / "toy_council.ipynb", notebooks / f"{cli.COUNCIL_NOTEBOOK}.ipynb")
    monkeypatch.setenv("SENDLIB_NOTEBOOKS_DIR", str(notebooks))
    return notebooks


@pytest.fixture
def fake_geography(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve_la(query: str, lookup: object = None) -> str:
        if query.lower() not in COUNCILS:
            raise ParameterError(f"no council {query!r}")
        return COUNCILS[query.lower()]

    module = types.ModuleType("sendlib.geography")
    module.resolve_la = resolve_la
    monkeypatch.setitem(sys.modules, "sendlib.geography", module)


@pytest.fixture
def no_acquisition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_acquire", lambda: print("acquired"))


def sendlib(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m sendlib ARGS` with this process's environment (set by `folders`)."""
    return subprocess.run(
        [sys.executable, "-m", "sendlib", *args], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )


def only_run(reports: Path) -> Path:
    runs = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1, runs
    return runs[0]


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


# --- help, params, usage errors (no kernel) ---------------------------------------------------


def test_console_help(folders: dict[str, Path]) -> None:
    completed = sendlib("--help")
    assert completed.returncode == 0
    for command in ("data", "run", "params", "report", "reproduce"):
        assert command in completed.stdout


@pytest.mark.parametrize("command", ["data", "run", "params", "report", "reproduce"])
def test_help_on_every_command(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: sendlib {command}" in capsys.readouterr().out


def test_params_lists_name_type_default_comment(folders: dict[str, Path]) -> None:
    completed = sendlib("params", "toy_ok")
    assert completed.returncode == 0
    assert "n  (int, default 3)\n    number of rows\n" in completed.stdout
    assert "flags  (list of str, default ['a', 'b'])\n    a list of text\n" in completed.stdout
    assert "start_fy  (str, default '2019-20')\n    a financial year\n    allowed: a financial year" in completed.stdout


def test_misspelt_parameter_suggests_and_runs_nothing(folders: dict[str, Path]) -> None:
    completed = sendlib("run", "toy_ok", "-p", "scal", "2")
    assert completed.returncode == 2
    assert "unknown parameter 'scal' (did you mean 'scale'?)" in completed.stderr
    assert not folders["reports"].exists()


def test_wrong_type_on_the_command_line(folders: dict[str, Path]) -> None:
    completed = sendlib("run", "toy_ok", "-p", "n", "three")
    assert completed.returncode == 2
    assert "-p n 'three': expected an integer" in completed.stderr
    assert not folders["reports"].exists()


def test_wrong_type_in_a_parameter_file(folders: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("n: three\n", encoding="utf-8")
    completed = sendlib("run", "toy_ok", "-f", str(tmp_path / "p.yaml"))
    assert completed.returncode == 2
    assert "parameter 'n' expects int (default 3), got str 'three'" in completed.stderr
    assert not folders["reports"].exists()


def test_unknown_notebook(folders: dict[str, Path]) -> None:
    completed = sendlib("run", "toy_okay")
    assert completed.returncode == 2
    assert "notebook 'toy_okay' not found (did you mean 'toy_ok'" in completed.stderr


def test_limit_goes_with_all_only(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["report", "--la", "202", "--limit", "2"])
    assert info.value.code == 2
    assert "--limit and --la-list go with --all" in capsys.readouterr().err


# --- runs -------------------------------------------------------------------------------------


def test_run_with_parameter_file_and_command_line(folders: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("n: 2\nscale: 2\nlabel: from-file\n", encoding="utf-8")
    completed = sendlib("run", "toy_ok", "-f", str(tmp_path / "p.yaml"), "-p", "label", "cli", "-p", "flags", "x,y")
    assert completed.returncode == 0, completed.stderr
    run_dir = only_run(folders["reports"])
    results = json.loads((run_dir / "toy_ok" / "results.json").read_text())
    assert (results["n"], results["total"], results["label"], results["flags"]) == (2, 2.0, "cli", ["x", "y"])
    parameters = manifest(run_dir)["reports"]["toy_ok"]["parameters"]
    assert parameters["scale"] == 2.0 and parameters["label"] == "cli"
    assert f'href="{run_dir.name}/toy_ok/toy_ok.nocode.html"' in (folders["reports"] / "index.html").read_text()
    assert "ok           toy_ok" in completed.stdout
    assert not (run_dir / "toy_ok" / "toy_ok.html").exists(), "no page with code unless asked"


def test_with_code_writes_the_page_with_code_too(folders: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "toy_ok", "--with-code"]) == 0
    run_dir = only_run(folders["reports"])
    assert "prepare_output_dir" in (run_dir / "toy_ok" / "toy_ok.html").read_text(encoding="utf-8")
    assert manifest(run_dir)["reports"]["toy_ok"]["outputs"]["html"] == "toy_ok/toy_ok.html"


def test_failing_notebook_is_kept_marked_and_exits_1(folders: dict[str, Path]) -> None:
    completed = sendlib("run", "toy_fail")
    assert completed.returncode == 1
    assert "toy_fail failed: cell [3]: ValueError: toy failure" in completed.stderr
    run_dir = only_run(folders["reports"])
    assert (run_dir / "toy_fail" / "toy_fail.ipynb").is_file()
    assert manifest(run_dir)["status"] == "failed"
    assert f'<tr class="failed"><td><a href="{run_dir.name}/toy_fail/toy_fail.nocode.html">' in (
        folders["reports"] / "index.html").read_text()


def test_report_for_one_council_by_name(
    project_notebooks: Path, fake_geography: None, folders: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["report", "--la", "Camden"]) == 0
    run_dir = only_run(folders["reports"])
    assert notebook_results(run_dir / "council_202") == {"la": "202"}
    assert "council_202" in capsys.readouterr().out


def test_unknown_council_exits_2_before_running(
    project_notebooks: Path, fake_geography: None, folders: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["report", "--la", "Atlantis"]) == 2
    assert "parameter 'la': no council 'Atlantis'" in capsys.readouterr().err
    assert not folders["reports"].exists()


def test_report_all_with_limit_in_parallel(
    project_notebooks: Path, fake_geography: None, folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "councils_with_data", lambda: ["202", "886", "kent"])
    assert cli.main(["report", "--all", "--limit", "2", "--jobs", "2"]) == 0
    run_dir = only_run(folders["reports"])
    assert sorted(manifest(run_dir)["reports"]) == ["council_202", "council_886"]


def test_data_without_the_cleaning_notebook_is_a_clear_error(
    no_acquisition: None, folders: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["data"]) == 2
    assert "notebook '01_clean_data' not found" in capsys.readouterr().err
    assert not folders["reports"].exists()


def test_reproduce_runs_everything_into_one_run(
    project_notebooks: Path, fake_geography: None, no_acquisition: None, folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clean step, then the analyses (first, in ANALYSIS_NOTEBOOKS' longest-first order) and the
    councils as one batch in one pool; the manifest and the front page are written once, at the end."""
    from sendlib.present import frontpage

    monkeypatch.setattr(cli, "_clean_is_current", lambda job: False)
    monkeypatch.setattr(runner, "councils_with_data", lambda: ["202", "886"])
    batches, writes = [], []
    run_many, write_manifest, write_index = runner.run_many, runner.write_manifest, frontpage.write_index
    monkeypatch.setattr(runner, "run_many", lambda jobs, *a, **k: batches.append([j[2] for j in jobs])
                        or run_many(jobs, *a, **k))
    monkeypatch.setattr(runner, "write_manifest", lambda *a: writes.append("manifest") or write_manifest(*a))
    monkeypatch.setattr(frontpage, "write_index", lambda *a: writes.append("index") or write_index(*a))
    assert cli.main(["reproduce", "--jobs", "2"]) == 0
    run_dir = only_run(folders["reports"])
    expected = ["01_clean_data", *cli.ANALYSIS_NOTEBOOKS, "council_202", "council_886"]
    assert sorted(manifest(run_dir)["reports"]) == sorted(expected)
    assert batches == [["01_clean_data"], expected[1:]] and writes == ["manifest", "index"]
    index = (folders["reports"] / "index.html").read_text()
    assert all(f'href="{run_dir.name}/{name}/' in index for name in expected)


def test_reproduce_stops_when_cleaning_fails(
    project_notebooks: Path, no_acquisition: None, folders: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    shutil.copy(TOYS / "toy_fail.ipynb", project_notebooks / "01_clean_data.ipynb")
    assert cli.main(["reproduce"]) == 1
    assert "analyses and council profiles were not run" in capsys.readouterr().err
    assert list(manifest(only_run(folders["reports"]))["reports"]) == ["01_clean_data"]


# --- interruption -----------------------------------------------------------------------------


@pytest.mark.needs_data
def test_ctrl_c_stops_a_report_fan_out_cleanly(processed_data: Path, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) once the first report
    is under way: exit 130, no process left (kernels run in their own session), a manifest
    and index marking the unfinished reports "interrupted", no partial report or temp file."""
    reports, marker = tmp_path / "reports", f"sendlib-test-{uuid.uuid4().hex}"
    env = {**os.environ, "SENDLIB_REPORTS_DIR": str(reports), "SENDLIB_TEST_MARKER": marker}
    env.pop("SENDLIB_RUN_ID", None)
    process = subprocess.Popen([sys.executable, "-m", "sendlib", "report", "--all", "--limit", "6", "--jobs", "2"],
                               cwd=config.PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(reports.glob("*/council_*/results.json")) and process.poll() is None:
        assert time.monotonic() < deadline, "no report started"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == [], "a kernel or worker outlived the command"
    run_dir = only_run(reports)
    recorded = manifest(run_dir)
    statuses = {name: report["status"] for name, report in recorded["reports"].items()}
    assert len(statuses) == 6 and recorded["status"] == "interrupted"
    assert "interrupted" in statuses.values(), statuses
    assert set(statuses.values()) <= {"ok", "interrupted"}, statuses
    for name, status in statuses.items():
        assert (run_dir / name).exists() == (status == "ok"), name
    assert set(recorded["outputs"]) == {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")
                                        if p.is_file() and p.name != "manifest.json"}
    assert not [p for p in reports.rglob("*") if p.name.endswith(".tmp")]
    assert "interrupted" in (reports / "index.html").read_text(encoding="utf-8")


# --- parameters: ranges listed, negative numbers, progress through a pipe ---------------------


def test_params_lists_each_range_and_the_fraction_convention() -> None:
    completed = sendlib("params", "04_sustainability")
    assert completed.returncode == 0, completed.stderr
    text = completed.stdout
    assert "horizon" in text and "1 to 30" in text
    assert "funding_growth_first" in text and "0.05 or 5%" in text
    assert "fraction" in text.lower()


def test_a_negative_number_after_p_is_a_value_not_an_option(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "02_case_study_growth", "-p", "claimed_growth", "-1e308"]) == 2
    err = capsys.readouterr().err
    assert "expected 2 arguments" not in err
    assert "parameter 'claimed_growth'" in err and "-1e+308" in err


def test_progress_is_shown_line_by_line_through_a_pipe(project_notebooks: Path, folders: dict[str, Path],
                                                       raw_data: Path) -> None:
    """Through a pipe (not a terminal) each finished report prints its line at once, with n of N,
    the time so far and an estimate of the time left."""
    env = {**os.environ, "SENDLIB_DATA_DIR": str(raw_data.parent)}  # councils resolved on the real LA lists
    process = subprocess.Popen([sys.executable, "-m", "sendlib", "report", "--all", "--la-list", "202", "886", "201"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = process.stdout.readline()
    still_running = process.poll() is None
    rest, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert still_running, "the first progress line came only when the command ended"
    progress = [line for line in (first + rest).splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == ["[1/3", "[2/3", "[3/3"], first + rest
    assert all("elapsed" in line for line in progress)
    assert "left" in progress[0]
