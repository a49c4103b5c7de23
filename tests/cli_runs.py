"""Running the `sendlib` command as a user would, for the notebook and report tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sendlib import config


def run_sendlib(reports: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m sendlib ARGS` from the project root, its reports going under ``reports``."""
    env = {**os.environ, "SENDLIB_REPORTS_DIR": str(reports)}
    env.pop("SENDLIB_RUN_ID", None)
    return subprocess.run([sys.executable, "-m", "sendlib", *args], env=env, cwd=config.PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def report_folders(reports: Path, name: str) -> list[Path]:
    """The folders of report ``name`` in every run under ``reports`` (not via the ``latest`` link)."""
    return [folder for folder in sorted(reports.glob(f"*/{name}")) if not folder.parent.is_symlink()]
