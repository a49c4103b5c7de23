"""Shared fixtures for tests/ and the nbval run over notebooks/.

Data-dependent tests ask for `raw_data` or `processed_data`: they skip with instructions
when no data is available, and fail under CI=true. Notebook (nbval) items likewise skip
or fail when the processed tables cannot be built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sendlib import config
from sendlib.sources import load_registry

if TYPE_CHECKING:
    import pandas as pd

    from cli_runs import NotebookRuns

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


@pytest.fixture(scope="session")
def raw_data() -> Path:
    """The real raw files, acquired (from the mirror) into data/raw and verified."""
    if not data_available():
        data_missing()
    from sendlib.acquire import acquire

    acquire(mirror=config.mirror_dir())
    return config.raw_dir()


@pytest.fixture(scope="session")
def processed_data(raw_data: Path) -> Path:
    """The processed tables, built once per session by the real clean step."""
    from sendlib.tables import CleanSettings, clean

    clean(CleanSettings(raw_dir=raw_data), config.processed_dir())
    return config.processed_dir()


@pytest.fixture(scope="session")
def panel(processed_data: Path) -> "pd.DataFrame":
    """The real panel, read once per session (tests must not modify it)."""
    import pandas as pd

    return pd.read_parquet(processed_data / "panel.parquet")


@pytest.fixture(scope="session")
def notebook_runs(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> "NotebookRuns":
    """Every notebook run the tests ask for, each made once per session and shared read-only."""
    from cli_runs import NotebookRuns

    return NotebookRuns(tmp_path_factory.mktemp("notebook_runs"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """nbval notebook cells need the processed data: build it now, or skip/fail with the reason."""
    notebook_items = [item for item in items if item.path.suffix == ".ipynb"]
    if not notebook_items:
        return
    if not data_available():
        if under_ci():
            raise pytest.UsageError(f"CI=true but {NO_DATA_REASON}")
        for item in notebook_items:
            item.add_marker(pytest.mark.skip(reason=NO_DATA_REASON))
        return
    from sendlib import config as sendlib_config
    from sendlib.acquire import acquire
    from sendlib.tables import CleanSettings, clean, is_up_to_date

    settings = CleanSettings(raw_dir=sendlib_config.raw_dir())
    if not is_up_to_date(settings, sendlib_config.processed_dir()):
        acquire(mirror=sendlib_config.mirror_dir())
        clean(settings, sendlib_config.processed_dir())
