"""Shared fixtures. Data-dependent tests ask for `raw_data` (or fixtures built on it):
they skip with instructions when no data is available, and fail under CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sendlib import config
from sendlib.sources import load_registry

FIXTURES = Path(__file__).parent / "fixtures"
NO_DATA_REASON = (
    "real data not available: set SENDLIB_DATA_MIRROR to the mirror folder "
    "(e.g. ../shared/data/mirror) or run `make data` on a machine with internet"
)


def _raw_complete() -> bool:
    return all((config.raw_dir() / f.relpath).is_file() for f in load_registry())


def data_missing(reason: str = NO_DATA_REASON) -> None:
    """Skip the test, or fail it when running under CI."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def raw_data() -> Path:
    """The real raw files, acquired (from the mirror) into data/raw and verified."""
    mirror = config.mirror_dir()
    if not _raw_complete() and (mirror is None or not mirror.is_dir()):
        data_missing()
    from sendlib.acquire import acquire

    acquire(mirror=mirror)
    return config.raw_dir()
