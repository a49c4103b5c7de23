"""Running the `sendlib` command as a user would, for the notebook and report tests.

A notebook run takes seconds, so each (command, notebook or council, parameters) runs once
per test session and every test that reads it shares the result, read-only:
``notebook_run(stem, parameters)`` and ``council_report(la, parameters)`` make module-level
fixtures that ask the session's ``notebook_runs`` cache (see conftest.py) for the run. The
cache is a folder shared by the session's processes (pytest-xdist workers): a run is made by
the first process that asks, under a lock, and read by the others from its folder.
Tests that need a run of their own (to damage it, or to run twice into one reports folder)
call ``run_sendlib`` with their own folder.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml

from sendlib import config

COUNCIL_NOTEBOOK = "05_council_profile"


def run_sendlib(reports: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m sendlib ARGS` from the project root, its reports going under ``reports``."""
    env = {**os.environ, "SENDLIB_REPORTS_DIR": str(reports)}
    env.pop("SENDLIB_RUN_ID", None)
    return subprocess.run([sys.executable, "-m", "sendlib", *args], env=env, cwd=config.PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it (no tags, styles or scripts; entities decoded)."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


#: What a reader must never see in a report: a missing value as pandas or numpy prints it, a
#: Path's repr, a path of the machine that ran it, and scientific notation.
_UNREADABLE = {
    "NaN": re.compile(r"\bNaN\b"),
    "<NA>": re.compile(r"<NA>"),
    "PosixPath": re.compile(r"PosixPath"),
    "absolute path": re.compile(r"(?<![\w.])/(?:work|home|tmp)/"),
    "e+0 notation": re.compile(r"\d[eE][+-]\d"),
}


@functools.cache
def processed_column_names() -> tuple[str, ...]:
    """The column names of every processed table (read from the Parquet schemas in
    data/processed) that are identifiers rather than words: those with an underscore
    (``hn_spend_gbp``) and lower-case abbreviations of at most three letters (``dbv``, ``fy``).
    A name that is also an English word (``unit``, ``region``, ``stage``) may stand in prose."""
    import pyarrow.parquet as pq

    tables = sorted(config.processed_dir().glob("*.parquet"))
    if not tables:
        raise FileNotFoundError(f"no processed tables in {config.processed_dir()}: run `sendlib data` first")
    names = {name for table in tables for name in pq.read_schema(table).names}
    return tuple(sorted(n for n in names if "_" in n or (len(n) <= 3 and n.isalpha() and n.islower())))


def unreadable_bits(text: str) -> list[str]:
    """What in ``text`` (a page as a reader sees it, see visible_text) a person should not have
    to read: NaN, <NA>, PosixPath, a machine-absolute path (/work/, /home/, /tmp/), e+0 notation,
    or a raw column name of the processed tables (processed_column_names, as a whole word); each
    found item as "<what>: ...<context>...". Empty when the text is clean."""
    found = [f"{what}: ...{text[max(0, m.start() - 40):m.end() + 40]}..."
             for what, pattern in _UNREADABLE.items() for m in pattern.finditer(text)]
    for name in processed_column_names():
        found += [f"column name {name}: ...{text[max(0, m.start() - 40):m.end() + 40]}..."
                  for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
    return found


HARD_NAMES = Path(__file__).parent / "fixtures" / "hard_names.csv"
#: What the runner adds to every results.json: the parameters used and the defaults.
RUNNER_KEYS = ("parameters", "defaults")


def notebook_results(folder: Path) -> dict[str, Any]:
    """A report's results.json as its notebook wrote it (without RUNNER_KEYS)."""
    results = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    return {key: value for key, value in results.items() if key not in RUNNER_KEYS}


def hard_names() -> list[dict[str, str]]:
    """The council names that are hard to find (tests/fixtures/hard_names.csv), shared by the
    matcher's tests and the browser's: query, finds (the codes the front page's filter shows,
    space-separated), resolves (the code `--la` resolves to; empty when it only lists or suggests)."""
    import csv

    with HARD_NAMES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def report_folders(reports: Path, name: str) -> list[Path]:
    """The folders of report ``name`` in every run under ``reports`` (not via the ``latest`` link)."""
    return [folder for folder in sorted(reports.glob(f"*/{name}")) if not folder.parent.is_symlink()]


@dataclass(frozen=True)
class NotebookRun:
    """One finished run of a report: its reports folder, its report folder and what it wrote."""

    reports: Path
    folder: Path
    stem: str
    completed: subprocess.CompletedProcess = field(repr=False)

    @cached_property
    def results(self) -> dict[str, Any]:
        return json.loads((self.folder / "results.json").read_text(encoding="utf-8"))

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.folder.parent / "manifest.json").read_text(encoding="utf-8"))

    def page(self, with_code: bool = False) -> str:
        """The HTML of the report: the page to read, or the one with the code."""
        suffix = ".html" if with_code else ".nocode.html"
        return (self.folder / f"{self.stem}{suffix}").read_text(encoding="utf-8")

    def figure_csv(self, name: str) -> Path:
        return self.folder / "figures" / f"{name}.csv"

    @cached_property
    def text(self) -> str:
        """The page to read, as a reader sees it."""
        return visible_text(self.page())


class NotebookRuns:
    """Session cache: each distinct command line runs once, into a folder of its own named after
    it, shared by the session's processes."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._runs: dict[tuple[str, ...], NotebookRun] = {}

    def get(self, command: tuple[str, ...], report_name: str, stem: str,
            parameters: Mapping[str, Any] | None) -> NotebookRun:
        """The run of ``sendlib COMMAND [-f parameters.yaml]``, made on first use; a failed
        run fails every test that asks for it, with the command's output."""
        from conftest import session_lock

        text = yaml.safe_dump(dict(parameters), sort_keys=True) if parameters else ""
        key = (*command, text)
        if key not in self._runs:
            name = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]
            folder, done = self.base / name, self.base / name / "completed.json"
            with session_lock(self.base, name):
                if not done.is_file():
                    completed = self._run(folder, command, text)
                    done.write_text(json.dumps({"args": completed.args, "returncode": completed.returncode,
                                                "stdout": completed.stdout, "stderr": completed.stderr}))
            recorded = json.loads(done.read_text())
            completed = subprocess.CompletedProcess(recorded["args"], recorded["returncode"], recorded["stdout"],
                                                    recorded["stderr"])
            if completed.returncode != 0:
                pytest.fail(f"`sendlib {' '.join(completed.args[3:])}` exited {completed.returncode}:\n"
                            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
            (report,) = report_folders(folder / "reports", report_name)
            self._runs[key] = NotebookRun(folder / "reports", report, stem, completed)
        return self._runs[key]

    @staticmethod
    def _run(folder: Path, command: tuple[str, ...], text: str) -> subprocess.CompletedProcess:
        """Run the command into ``folder/reports`` (its parameters, if any, from ``folder/parameters.yaml``)."""
        shutil.rmtree(folder, ignore_errors=True)  # what a process killed half-way left
        folder.mkdir(parents=True)
        args = list(command)
        if text:
            parameter_file = folder / "parameters.yaml"
            parameter_file.write_text(text, encoding="utf-8")
            args += ["-f", str(parameter_file)]
        return run_sendlib(folder / "reports", *args)

    def notebook(self, stem: str, parameters: Mapping[str, Any] | None = None) -> NotebookRun:
        """``sendlib run STEM`` with ``parameters`` (as a YAML file)."""
        return self.get(("run", stem), stem, stem, parameters)

    def council(self, la: str, code: str, parameters: Mapping[str, Any] | None = None) -> NotebookRun:
        """``sendlib report --la LA`` with ``parameters`` (``code``: the 3-digit code naming its folder)."""
        return self.get(("report", "--la", la), f"council_{code}", COUNCIL_NOTEBOOK, parameters)


def notebook_run(stem: str, parameters: Mapping[str, Any] | None = None) -> Any:
    """A fixture: ``sendlib run STEM`` with ``parameters``, run once per session."""
    @pytest.fixture
    def fixture(notebook_runs: NotebookRuns) -> NotebookRun:
        return notebook_runs.notebook(stem, parameters)
    return fixture


def council_report(la: str, code: str, parameters: Mapping[str, Any] | None = None) -> Any:
    """A fixture: ``sendlib report --la LA`` with ``parameters``, run once per session."""
    @pytest.fixture
    def fixture(notebook_runs: NotebookRuns) -> NotebookRun:
        return notebook_runs.council(la, code, parameters)
    return fixture


def refused(reports: Path, *args: str) -> str:
    """Run ``sendlib ARGS``, check it was refused before anything ran (exit 2, no run folder
    under ``reports``) and return what it printed on stderr."""
    completed = run_sendlib(reports, *args)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert not reports.exists() or not any(reports.iterdir()), sorted(reports.iterdir())
    return completed.stderr

