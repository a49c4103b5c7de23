"""Shared fixtures for tests/ and the nbval run over notebooks/.

Data-dependent tests ask for `raw_data` or `processed_data`: they skip with instructions
when no data is available, and fail under CI=true. Notebook (nbval) items likewise skip
or fail when the processed tables cannot be built.

`make test` runs the suite in two processes (pytest-xdist, `-n 2 --dist loadfile
--no-loadscope-reorder`): each file's tests (a notebook's cells, for nbval) stay in one process,
in order, the slowest files first. The raw files are acquired and the processed tables built at
most once per session, by whichever process comes first, under a file lock in a folder every
process of the session shares (:func:`session_lock`); notebook runs are shared the same way
(tests/cli_runs.py). nbval's run of notebook 01 rewrites data/processed (the same bytes): each of
its cells holds that lock, and so does each test that copies the processed tables or checks they
are up to date (``steady_processed_data``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sendlib import config
from sendlib.sources import load_registry

if TYPE_CHECKING:
    import pandas as pd

    from cli_runs import NotebookRuns

#: The notebook that rewrites data/processed when nbval runs it.
CLEAN_NOTEBOOK = "01_clean_data.ipynb"
#: The slowest files first, as measured (BENCHMARKS.md): with two processes, a long one
#: started last would leave one process working alone at the end.
SLOW_FIRST = ("tests/test_clean_integration.py", "tests/test_notebook_05_council_profile.py", "tests/test_render.py",
              "tests/test_workers.py", "tests/test_cli.py", "tests/test_notebook_08_after_2022.py",
              "tests/test_readers_finance.py", "tests/test_notebook_04_sustainability.py",
              "tests/test_notebook_02_case_study_growth.py")
NO_DATA_REASON = (
    "real data not available: set SENDLIB_DATA_MIRROR to the mirror folder "
    "(e.g. ../shared/data/mirror) or run `make data` on a machine with internet"
)


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def data_available() -> bool:
    """True when every raw file is in data/raw or a mirror folder is configured."""
    raw_complete = all((config.raw_dir() / f.relpath).is_file() for f in load_registry())
    mirror = config.mirror_dir()
    return raw_complete or (mirror is not None and mirror.is_dir())


def data_missing(reason: str = NO_DATA_REASON) -> None:
    """Skip the test, or fail it when running under CI."""
    if under_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def shared_folder(factory: pytest.TempPathFactory) -> Path:
    """A folder every process of this test session shares: the session's base temporary folder,
    or, under pytest-xdist, the folder holding every worker's."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def session_lock(folder: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock (``fcntl.flock`` on ``folder/<name>.lock``) shared by the
    session's processes: one builds what the others then reuse."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_data_once(folder: Path) -> None:
    """Acquire the raw files and build the processed tables unless they are up to date (the
    clean step's own test, sendlib.tables.is_up_to_date: the same raw files, code and settings,
    every table its recorded sha256), under the session's lock."""
    from sendlib.acquire import acquire
    from sendlib.tables import CleanSettings, clean, is_up_to_date

    with session_lock(folder, "data"):
        acquire(mirror=config.mirror_dir())
        settings = CleanSettings(raw_dir=config.raw_dir())
        if not is_up_to_date(settings, config.processed_dir()):
            clean(settings, config.processed_dir())


@pytest.fixture(scope="session")
def raw_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real raw files, acquired (from the mirror) into data/raw and verified."""
    if not data_available():
        data_missing()
    from sendlib.acquire import acquire

    with session_lock(shared_folder(tmp_path_factory), "data"):
        acquire(mirror=config.mirror_dir())
    return config.raw_dir()


@pytest.fixture(scope="session")
def processed_data(raw_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The processed tables, built by the real clean step at most once per session (none when
    they are up to date) and shared read-only."""
    build_data_once(shared_folder(tmp_path_factory))
    return config.processed_dir()


@pytest.fixture(scope="session")
def panel(processed_data: Path) -> "pd.DataFrame":
    """The real panel, read once per session (tests must not modify it)."""
    import pandas as pd

    return pd.read_parquet(processed_data / "panel.parquet")


@pytest.fixture(scope="session")
def notebook_runs(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> "NotebookRuns":
    """Every notebook run the tests ask for, each made once per session (by whichever process
    asks first) and shared read-only."""
    from cli_runs import NotebookRuns

    return NotebookRuns(shared_folder(tmp_path_factory) / "notebook_runs")


def schedule(items: list[pytest.Item], root: Path) -> None:
    """Put the SLOW_FIRST files first, each file's tests in their order (pytest-xdist sends whole
    files, in this order, with `--dist loadfile --no-loadscope-reorder`)."""
    rank = {path: position for position, path in enumerate(SLOW_FIRST)}

    def where(item: pytest.Item) -> str:
        return item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else str(item.path)

    items.sort(key=lambda item: rank.get(where(item), len(rank)))


@pytest.fixture
def steady_processed_data(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The processed tables, not rewritten while the test runs (nbval's run of notebook 01 waits)."""
    with session_lock(shared_folder(tmp_path_factory), "data"):
        yield processed_data


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Each cell of notebook 01 run by nbval holds the session's data lock (it rewrites data/processed)."""
    if item.path.name != CLEAN_NOTEBOOK or item.path.parent.name != "notebooks":
        yield
        return
    with session_lock(shared_folder(item.config._tmp_path_factory), "data"):  # type: ignore[attr-defined]
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Schedule the tests (see :func:`schedule`); nbval notebook cells need the processed data:
    build it now, or skip/fail with the reason."""
    schedule(items, config.rootpath)
    notebook_items = [item for item in items if item.path.suffix == ".ipynb"]
    if not notebook_items:
        return
    if not data_available():
        if under_ci():
            raise pytest.UsageError(f"CI=true but {NO_DATA_REASON}")
        for item in notebook_items:
            item.add_marker(pytest.mark.skip(reason=NO_DATA_REASON))
        return
    build_data_once(shared_folder(config._tmp_path_factory))  # type: ignore[attr-defined]
