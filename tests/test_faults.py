"""Faults a user meets outside the code: a full disk, a read-only or forbidden reports folder, a
file where the folder should be, damaged or replaced processed tables, interrupted runs. Each
ends in one clear line naming the path and what to do (exit 2 before any work, 1 after),
with no traceback, and leaves the previous index and manifests readable."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sendlib import cli, config, runner
from sendlib.atomic import write_text_atomic
from sendlib.present import frontpage
from sendlib.present.frontpage import write_index

TOYS = Path(__file__).parent / "fixtures" / "notebooks"


@pytest.fixture
def toy_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Reports in tmp_path/reports, notebooks = the toy notebooks, a data folder without tables."""
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SENDLIB_NOTEBOOKS_DIR", str(TOYS))
    monkeypatch.delenv("SENDLIB_RUN_ID", raising=False)
    return tmp_path / "reports"


def error_lines(err: str) -> list[str]:
    """The lines the command wrote to stderr (no traceback allowed)."""
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.strip()]


def failing(monkeypatch: pytest.MonkeyPatch, under: Path, code: int, *, calls: tuple[str, ...]) -> None:
    """Make the named Path methods fail with ``code`` for every path under ``under``, as the
    file system would (a full disk, a read-only mount, a forbidden folder)."""
    for name in calls:
        original: Callable = getattr(Path, name)

        def broken(self: Path, *args: object, _original: Callable = original, **kwargs: object) -> object:
            if Path(os.path.abspath(self)).is_relative_to(under):
                raise OSError(code, os.strerror(code), str(self))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Path, name, broken)


def snapshot(reports: Path) -> dict[str, bytes]:
    """Every file under ``reports`` (not through the ``latest`` link), by relative path."""
    return {p.relative_to(reports).as_posix(): p.read_bytes() for p in sorted(reports.rglob("*"))
            if p.is_file() and "latest" not in p.relative_to(reports).parts}


# --- the reports folder -----------------------------------------------------------------------


def test_reports_dir_that_is_a_file(toy_reports: Path, capsys: pytest.CaptureFixture) -> None:
    toy_reports.parent.mkdir(parents=True, exist_ok=True)
    toy_reports.write_text("not a folder", encoding="utf-8")
    assert cli.main(["run", "toy_ok"]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert str(toy_reports) in lines[0] and "is a file, not a folder" in lines[0]
    assert "SENDLIB_REPORTS_DIR" in lines[0]
    assert toy_reports.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(("code", "words"), [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied")])
def test_reports_dir_that_cannot_be_written(toy_reports: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture, code: int, words: str) -> None:
    assert cli.main(["run", "toy_ok"]) == 0
    before = snapshot(toy_reports)
    capsys.readouterr()
    failing(monkeypatch, toy_reports, code, calls=("mkdir", "write_text", "write_bytes"))
    assert cli.main(["run", "toy_ok"]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert str(toy_reports) in lines[0] and words in lines[0] and "SENDLIB_REPORTS_DIR" in lines[0]
    assert snapshot(toy_reports) == before, "the previous index and manifest are untouched"


def test_a_disk_too_full_to_start_is_refused_before_anything_runs(toy_reports: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "toy_ok"]) == 0
    before = snapshot(toy_reports)
    capsys.readouterr()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 4096, 4096))
    assert cli.main(["run", "toy_ok"]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert str(toy_reports) in lines[0] and "free" in lines[0] and "SENDLIB_REPORTS_DIR" in lines[0]
    assert snapshot(toy_reports) == before


def test_a_disk_that_fills_during_a_run_fails_it_cleanly(toy_reports: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "toy_ok"]) == 0
    before = snapshot(toy_reports)
    capsys.readouterr()
    failing(monkeypatch, toy_reports, errno.ENOSPC, calls=("write_text", "write_bytes"))
    assert cli.main(["run", "toy_ok"]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert lines and all("No space left on device" not in line or "disk" in line for line in lines), lines
    assert any(str(toy_reports) in line and "disk is full" in line and "SENDLIB_REPORTS_DIR" in line
               for line in lines), lines
    after = snapshot(toy_reports)
    assert {name: after[name] for name in before} == before, "the previous index and manifest are untouched"
    assert not [name for name in after if name.endswith(".tmp")]


# --- temporary files and summary lines -----------------------------------------------------------


def test_stale_temporary_files_of_the_index_are_cleaned(toy_reports: Path) -> None:
    assert cli.main(["run", "toy_ok"]) == 0
    dead = _a_dead_pid()
    stale = [toy_reports / f".index.html.{dead}.deadbeef.tmp", toy_reports / f".latest.{dead}.deadbeef.tmp",
             toy_reports / ".index.html.k2j4h5g6.tmp"]
    for path in stale:
        path.write_text("half", encoding="utf-8")
    os.utime(stale[2], (0, 0))  # an old temporary file of a writer that named none
    live = toy_reports / f".index.html.{os.getpid()}.cafe.tmp"
    live.write_text("being written", encoding="utf-8")
    write_index(toy_reports)
    assert [p for p in stale if p.exists()] == []
    assert live.exists(), "a live writer's temporary file is left alone"


def _a_dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_an_interrupted_report_has_a_plain_summary_line(toy_reports: Path, capsys: pytest.CaptureFixture) -> None:
    run_dir = runner.create_run_dir()
    record = runner.RunRecord("council_202", "notebooks/x.ipynb", {}, runner.INTERRUPTED,
                              "the run was interrupted before this report finished", "t", "t", 0.0, {})
    runner.write_manifest(run_dir, [record])
    assert cli._finish(run_dir, [record]) == cli.EXIT_INTERRUPTED
    line = next(line for line in capsys.readouterr().out.splitlines() if "council_202" in line)
    assert "interrupted" in line and not line.rstrip().endswith("-") and "0.0s" not in line


# --- damaged or replaced processed tables ---------------------------------------------------------


@pytest.fixture
def data_copy(processed_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the processed tables (raw files linked) that a test may damage; reports in tmp_path."""
    data = tmp_path / "data"
    shutil.copytree(processed_data, data / "processed")
    (data / "raw").symlink_to(config.raw_dir())
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(data))
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SENDLIB_NOTEBOOKS_DIR", raising=False)
    return data / "processed"


@pytest.mark.parametrize("args", [
    ["run", "02_case_study_growth"], ["run", "03_programme_groups", "-p", "end_fy", "2021-22"],
    ["run", "07_selection_and_follow_up"], ["report", "--la", "202"], ["report", "--all", "--limit", "2"],
])
def test_a_panel_replaced_by_another_table_is_named(data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                     args: list[str]) -> None:
    shutil.copy(data_copy / "ehcp.parquet", data_copy / "panel.parquet")
    assert cli.main(args) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert str(data_copy / "panel.parquet") in lines[0] and "sendlib data" in lines[0]
    assert "KeyError" not in lines[0]
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("args", [["report", "--all", "--limit", "2"], ["report", "--la", "202"],
                                  ["run", "06_published_figures"]])
def test_a_truncated_panel_is_refused_cleanly(data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                              args: list[str]) -> None:
    panel = data_copy / "panel.parquet"
    panel.write_bytes(panel.read_bytes()[:2000])
    assert cli.main(args) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert str(panel) in lines[0] and "sendlib data" in lines[0] and "ArrowInvalid" not in lines[0]
    assert not (tmp_path / "reports").exists()


def test_a_replaced_la_lookup_is_named_once_as_that_file(data_copy: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    shutil.copy(data_copy / "hn_spend.parquet", data_copy / "la_lookup.parquet")
    assert cli.main(["report", "--la", "202"]) == 2
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1, lines
    assert err.count("la_lookup.parquet") == 1 and str(data_copy / "la_lookup.parquet") in err
    assert "panel is missing" not in err and "sendlib data" in err
    assert not (tmp_path / "reports").exists()


def test_read_table_checks_the_schema(data_copy: Path) -> None:
    from sendlib.errors import SourceFormatError
    from sendlib.tables import read_table

    shutil.copy(data_copy / "ehcp.parquet", data_copy / "deflator.parquet")
    with pytest.raises(SourceFormatError, match=r"deflator\.parquet.*sendlib data"):
        read_table("deflator")
    assert len(read_table("ehcp")) > 100


def test_a_table_as_built_is_not_checked_again(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes the build record lists, with the code they were built with, are read without the
    schema check; with other code they are checked."""
    from sendlib import tables

    checked: list[str] = []
    monkeypatch.setattr(tables, "schema_problems", lambda frame, name: checked.append(name) or "")
    assert len(tables.read_table("deflator")) > 10 and checked == []
    monkeypatch.setattr(tables, "fingerprint", lambda settings: "the code changed since the build")
    tables._TABLE_CACHE.clear()
    tables.read_table("deflator")
    assert checked == ["deflator"]


def test_front_page_stays_readable_when_the_index_cannot_be_replaced(toy_reports: Path, monkeypatch,
                                                                      capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "toy_ok"]) == 0
    index = (toy_reports / "index.html").read_bytes()
    capsys.readouterr()

    def full(target: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(frontpage, "write_text_atomic", full)
    assert cli.main(["run", "toy_ok"]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert any(str(toy_reports / "index.html") in line and "disk is full" in line for line in lines), lines
    assert (toy_reports / "index.html").read_bytes() == index
    manifests = [m for m in sorted(toy_reports.glob("*/manifest.json")) if not m.parent.is_symlink()]
    assert len(manifests) == 2 and all(json.loads(m.read_text())["status"] == "ok" for m in manifests)
    write_text_atomic(toy_reports / "check.txt", "the folder is still writable")


def test_a_failed_write_names_its_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    from sendlib.atomic import atomic_path

    with pytest.raises(OSError) as info:
        with atomic_path(tmp_path / "manifest.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write on a full disk: no file named
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "manifest.json")
    assert list(tmp_path.iterdir()) == []


def test_progress_lines_say_n_of_n_elapsed_and_left() -> None:
    record = runner.RunRecord("council_202", "x", {}, runner.OK, None, "t", "t", 5.2, {})
    assert runner.progress_line(3, 152, record, 16.0) == (
        "[3/152] ok council_202 in 5.2s; 0:00:16 elapsed, about 0:13:15 left")
    failed = runner.RunRecord("council_886", "x", {}, runner.FAILED, "cell [4]: ValueError: no data\nmore", "t", "t",
                              1.0, {})
    assert runner.progress_line(152, 152, failed, 3725.0) == (
        "[152/152] failed council_886 in 1.0s (cell [4]: ValueError: no data); 1:02:05 elapsed")
