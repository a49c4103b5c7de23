"""Warm workers (sendlib.workers): no state leaks from one report to the next, a dead kernel
fails only its report, figures are stored once and a report folder stands alone."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from processes import processes_with

from cli_runs import notebook_results
from sendlib import config
from sendlib.runner import create_run_dir, run_many, run_notebook
from sendlib.workers import WarmUp, Worker, notebook_imports, process_alive, reset_source

TOYS = Path(__file__).parent / "fixtures" / "notebooks"
COUNCILS = ["202", "886", "201"]


@pytest.fixture
def toy_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("SENDLIB_NOTEBOOKS_DIR", str(TOYS))
    monkeypatch.delenv("SENDLIB_RUN_ID", raising=False)
    return tmp_path


def execution_counts(notebook: Path) -> list:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell["execution_count"] for cell in cells if cell["cell_type"] == "code"]


@pytest.mark.parametrize("at_start", [False, True], ids=["warmed-on-first-use", "warmed-as-it-starts"])
def test_every_report_in_a_warm_kernel_starts_as_in_a_fresh_one(toy_env: Path, at_start: bool) -> None:
    """toy_state records what it finds (a variable, open figures, an rcParam, a pandas option,
    the working directory), then changes all of it; the next report must not see any of it. The
    same when the kernel did the warm-up as it started (its imports, a table read)."""
    fresh_dir, warm_dir = create_run_dir("fresh"), create_run_dir("warm")
    run_notebook("toy_state", {"mark": 0}, fresh_dir, "state")
    worker = Worker(warm_up=WarmUp((TOYS / "toy_state.ipynb",), ("panel",)) if at_start else None)
    try:
        records = [run_notebook("toy_state", {"mark": mark}, warm_dir, f"state{mark}", worker=worker)
                   for mark in (1, 2, 3)]
    finally:
        worker.stop()
    assert [r.status for r in records] == ["ok", "ok", "ok"], [r.error for r in records]
    found = notebook_results(fresh_dir / "state")  # the runner adds the parameters, which differ by design
    assert found["leftover_variable"] is False and found["open_figures"] == 0
    assert found["cwd"] == str(config.PROJECT_ROOT) and found["max_rows"] == 60
    for mark in (1, 2, 3):
        assert notebook_results(warm_dir / f"state{mark}") == found, f"report {mark} saw a leak"
        assert execution_counts(warm_dir / f"state{mark}" / "toy_state.ipynb") == execution_counts(
            fresh_dir / "state" / "toy_state.ipynb")


def test_executed_notebook_shows_injected_parameters_and_not_the_reset_cell(toy_env: Path) -> None:
    run_dir = create_run_dir()
    run_notebook("toy_state", {"mark": 7}, run_dir, "state")
    cells = json.loads((run_dir / "state" / "toy_state.ipynb").read_text(encoding="utf-8"))["cells"]
    injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "mark = 7" in "".join(injected[0]["source"])
    assert not any("kernel_state" in "".join(c["source"]) for c in cells)
    assert execution_counts(run_dir / "state" / "toy_state.ipynb") == [1, 2, 3, 4]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_dead_kernel_fails_only_its_report(toy_env: Path, n_jobs: int) -> None:
    run_dir = create_run_dir()
    jobs = [("toy_die", {}, "before"), ("toy_die", {"die": True}, "dies"), ("toy_die", {}, "after1"),
            ("toy_die", {}, "after2")]
    records = run_many(jobs, run_dir, n_jobs=n_jobs)
    assert [r.status for r in records] == ["ok", "failed", "ok", "ok"], [r.error for r in records]
    assert "DeadKernelError" in records[1].error
    assert (run_dir / "dies" / "toy_die.ipynb").is_file(), "the failed report's notebook is kept"
    for name in ("before", "after1", "after2"):
        assert notebook_results(run_dir / name) == {"died": False}


def test_figures_are_stored_once_and_a_copied_folder_shows_them(toy_env: Path, tmp_path: Path) -> None:
    run_dir = create_run_dir()
    record = run_notebook("toy_state", {}, run_dir, "state", with_code=True)
    copy = shutil.copytree(run_dir / "state", tmp_path / "elsewhere" / "state")
    shutil.rmtree(run_dir)  # nothing may point back at the run folder
    png = (copy / "figures" / "bars.png").read_bytes()
    page = (copy / "toy_state.nocode.html").read_text(encoding="utf-8")
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [base64.b64decode(data) for data in embedded] == [png], "the page to read embeds the figure"
    for kind in ("html", "notebook"):
        text = (copy / Path(record.outputs[kind]).name).read_text(encoding="utf-8")
        assert base64.b64encode(png)[:200].decode() not in text, f"{kind}: the figure is stored again"
        sources = re.findall(r'<img [^>]*?src=\\?"([^"\\]+)\\?"', text)
        assert sources == ["figures/bars.png"], sources
        assert all((copy / source).is_file() for source in sources)


def test_warm_up_imports_every_import_once() -> None:
    import nbformat

    notebook = nbformat.read(TOYS / "toy_state.ipynb", as_version=4)
    imports = notebook_imports(notebook)
    assert imports.splitlines() == [
        "import os", "import matplotlib", "import matplotlib.pyplot as plt", "import pandas as pd",
        "from sendlib.present import plots", "from sendlib.outputs import prepare_output_dir, write_results",
    ]
    assert notebook_imports(json.loads((TOYS / "toy_state.ipynb").read_text(encoding="utf-8"))) == imports
    source = reset_source(imports)
    assert f"warm_up({imports!r}, ())" in source and source.count("restore()") == 2
    assert "warm_up" not in reset_source(None)
    at_start = WarmUp((TOYS / "toy_state.ipynb", TOYS / "toy_ok.ipynb"), ("panel",)).source()
    assert f"warm_up({imports!r}" not in at_start, "the imports of both notebooks, each once"
    assert at_start.count("import pandas as pd") == 1 and at_start.rstrip().endswith("del _sendlib_state")
    assert "('panel',))" in at_start


@pytest.mark.needs_data
def test_warm_workers_give_the_same_council_reports_as_fresh_kernels(
    processed_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three councils, fresh kernel each, then through one warm worker in two orders: the
    same results.json and figure CSVs, byte for byte."""
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SENDLIB_RUN_ID", raising=False)
    fresh = create_run_dir("fresh")
    for code in COUNCILS:
        assert run_notebook("05_council_profile", {"la": code}, fresh, f"council_{code}").status == "ok"
    for order in (COUNCILS, COUNCILS[::-1]):
        warm = create_run_dir("warm")
        records = run_many([("05_council_profile", {"la": code}, f"council_{code}") for code in order], warm,
                           with_code=True)
        assert all(r.status == "ok" for r in records), [r.error for r in records]
        for code in COUNCILS:
            files = ["results.json", *sorted(p.relative_to(fresh / f"council_{code}").as_posix()
                                             for p in (fresh / f"council_{code}" / "figures").glob("*.csv"))]
            assert len(files) > 5
            for relpath in files:
                assert (warm / f"council_{code}" / relpath).read_bytes() == (
                    fresh / f"council_{code}" / relpath).read_bytes(), f"{code} {relpath} ({order})"
    assert_folder_stands_alone(shutil.copytree(warm / "council_202", tmp_path / "elsewhere" / "council_202"))


def assert_folder_stands_alone(folder: Path) -> None:
    """A copied council folder: the page to read embeds every figure PNG of the folder, the
    notebook and the HTML with code reference only files that are in the copy."""
    figures = sorted((folder / "figures").glob("*.png"))
    assert len(figures) >= 10
    page = (folder / "05_council_profile.nocode.html").read_text(encoding="utf-8")
    embedded = sorted(base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page))
    assert embedded == sorted(png.read_bytes() for png in figures)
    for name in ("05_council_profile.html", "05_council_profile.ipynb"):
        sources = re.findall(r'<img [^>]*?src=\\?"([^"\\]+)\\?"', (folder / name).read_text(encoding="utf-8"))
        assert sorted(sources) == sorted(f"figures/{png.name}" for png in figures), name


def test_kernels_keep_no_history_and_leave_no_connection_file(
    toy_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    started: list[tuple[int, str]] = []
    worker = Worker(on_kernel=lambda pid, connection_file: started.append((pid, connection_file)))
    try:
        record = run_notebook("toy_ok", {"label": "secret-parameter"}, create_run_dir(), "ok", worker=worker)
        assert record.status == "ok"
        assert len(started) == 1 and Path(started[0][1]).is_file()
    finally:
        worker.stop()
    pid, connection_file = started[0]
    assert not Path(connection_file).exists()
    assert not process_alive(pid)
    for history in (tmp_path / "ipython").rglob("history.sqlite"):
        assert b"secret-parameter" not in history.read_bytes()


ORPHANED_PARENT = """
from sendlib.runner import create_run_dir, run_many
run_many([("toy_sleep", {}, "a"), ("toy_sleep", {}, "b")], create_run_dir(), n_jobs=2)
"""


def test_workers_and_kernels_end_promptly_when_their_parent_is_killed(toy_env: Path) -> None:
    """`kill -9` of the command while two workers run long reports: the workers and their
    kernels end within seconds (not when the report would have finished), without a traceback."""
    marker = f"sendlib-orphan-{uuid.uuid4().hex}"
    env = {**os.environ, "SENDLIB_TEST_MARKER": marker}
    parent = subprocess.Popen([sys.executable, "-c", ORPHANED_PARENT], env=env, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    deadline = time.monotonic() + 120
    while len(processes_with(marker)) < 5:  # the parent, two workers, two kernels
        assert parent.poll() is None and time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.2)
    time.sleep(3)  # the reports are under way
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    killed = time.monotonic()
    while processes_with(marker) and time.monotonic() < killed + 15:
        time.sleep(0.2)
    assert processes_with(marker) == [], "a worker or kernel outlived its parent"
    errors = parent.stderr.read()
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
