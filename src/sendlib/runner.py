"""Run analysis notebooks with papermill, export them to HTML and record every run.

Notebook conventions (every notebook in notebooks/ follows them):

- The first code cell is tagged ``parameters`` and holds ONLY literal assignments
  ``name = <literal>`` (str, int, float, bool, None, or lists/dicts of them), each with an
  optional trailing ``# comment`` that documents it (``sendlib params NOTEBOOK`` lists them).
  Anything else in that cell (imports, expressions, magics) is an error.
- Every notebook declares ``output_dir = ""``. The runner always sets it to the report's
  folder ``reports/<run-id>/<report-name>/``; run by hand (empty), outputs go to
  ``reports/scratch/<default name>/``.
- A notebook writes its outputs only through sendlib.outputs, into
  ``out = prepare_output_dir(output_dir, "<notebook stem>")``: figures as
  ``figures/<name>.png`` with the data behind them in ``figures/<name>.csv`` (sendlib.plots
  saves both; other tables via ``save_table``) and the numbers it quotes in ``results.json``
  (``write_results``).
- Parameter names carry rules (sendlib.params): ``la``/``case_study`` take councils (code,
  ONS code or name), names ending ``_fy`` take "2021-22" years within the panel,
  ``measure``/``basis``/``denominator`` take names from sendlib.analysis.measures.
- Notebooks run in the ``sendlib`` kernel with the project root as working directory and
  read data through sendlib.config paths.

A run lives in ``reports/<run-id>/`` (run id: UTC time, e.g. ``20261128T121500Z``)::

    <report-name>/<stem>.ipynb          the executed notebook (kept when it fails)
    <report-name>/<stem>.html           HTML with code
    <report-name>/<stem>.nocode.html    HTML without code: the report to read
    <report-name>/results.json, figures/*.png, figures/*.csv
    manifest.json                       parameters, versions, git commit, input and output
                                        sha256 + size, timings, status

``reports/index.html`` links every report of the latest run; ``reports/latest`` is a
symlink to that run's folder.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from sendlib import config
from sendlib.acquire import read_provenance
from sendlib.atomic import sha256_of, write_json_atomic, write_text_atomic
from sendlib.errors import ParameterError, SendlibError
from sendlib.params import notebook_parameters, suggestion, validate_parameters

if TYPE_CHECKING:
    import pandas as pd

# papermill, nbformat, nbconvert and pandas are imported where used: together they take
# about two seconds to import, which `sendlib --help`, `sendlib params` and refusing a bad
# parameter should not pay.

RUN_ID_ENV = "SENDLIB_RUN_ID"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.html"
LATEST_LINK = "latest"
PANEL_FILE = "panel.parquet"
# Each kernel logs a TCP warning on start and, at times, "KeyboardInterrupt caught" when
# shut down; neither concerns the notebook (cell errors are in the notebook itself).
KERNEL_QUIET = "--IPKernelApp.log_level=CRITICAL"
RECORDED_PACKAGES = (
    "sendlib", "pandas", "numpy", "pyarrow", "scipy", "statsmodels", "matplotlib", "seaborn",
    "pandera", "papermill", "nbclient", "nbconvert", "ipykernel",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Job = tuple[str | Path, Mapping[str, Any], str]


@dataclass
class RunRecord:
    """What happened to one report of a run (paths in ``outputs`` are relative to the run folder)."""

    report_name: str
    notebook: str
    parameters: dict[str, Any]
    status: str
    error: str | None
    started_at: str
    finished_at: str
    duration_s: float
    outputs: dict[str, str] = field(default_factory=dict)


def find_notebook(name: str | Path) -> Path:
    """A notebook given as a path (``*.ipynb``) or as a stem in the notebooks folder
    (``02_case_study_growth``)."""
    path = Path(name)
    if path.suffix != ".ipynb":
        path = config.notebooks_dir() / f"{name}.ipynb"
    if path.is_file():
        return path.resolve()
    stems = sorted(p.stem for p in config.notebooks_dir().glob("*.ipynb"))
    raise SendlibError(
        f"notebook {str(name)!r} not found{suggestion(name, stems)}; "
        f"notebooks in {config.notebooks_dir()}: {', '.join(stems) or 'none'}"
    )


def new_run_id(now: datetime | None = None) -> str:
    """A sortable UTC timestamp id such as ``20261128T121500Z``; ``SENDLIB_RUN_ID`` overrides it."""
    override = os.environ.get(RUN_ID_ENV, "").strip()
    if override:
        return _safe_name(override, RUN_ID_ENV)
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime(RUN_ID_FORMAT)


def create_run_dir(run_id: str | None = None) -> Path:
    """A new, empty ``reports/<run-id>/`` (``-02``, ``-03``... appended if the id is taken)."""
    base = run_id or new_run_id()
    candidate, attempt = config.reports_dir() / base, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            attempt += 1
            candidate = config.reports_dir() / f"{base}-{attempt:02d}"


def run_notebook(notebook: str | Path, parameters: Mapping[str, Any], run_dir: Path, report_name: str) -> RunRecord:
    """Validate ``parameters``, execute ``notebook`` into ``run_dir/report_name/`` and export
    it to HTML with and without code. A notebook that fails is kept (and exported) and
    recorded as "failed"; bad parameters raise ParameterError before any kernel starts."""
    path = find_notebook(notebook)
    run_dir = Path(run_dir).resolve()
    report_dir = run_dir / _safe_name(report_name, "report name")
    validated = validate_parameters(path, parameters)
    _require_kernel()
    report_dir.mkdir(parents=True, exist_ok=True)
    injected = {**validated, "output_dir": str(report_dir)}
    defaults = {name: p.default for name, p in notebook_parameters(path).items()}
    executed = report_dir / f"{path.stem}.ipynb"
    started_at, clock = _utc_now(), time.monotonic()
    error = _execute(path, executed, injected)
    exported = export_html(executed, title=report_name) if executed.is_file() else {}
    return RunRecord(
        report_name=report_name,
        notebook=_display_path(path),
        parameters={**defaults, **injected},
        status="failed" if error else "ok",
        error=error,
        started_at=started_at,
        finished_at=_utc_now(),
        duration_s=round(time.monotonic() - clock, 2),
        outputs={
            kind: file.relative_to(run_dir).as_posix()
            for kind, file in {"notebook": executed, **exported}.items()
            if file.is_file()
        },
    )


def export_html(executed: Path, title: str) -> dict[str, Path]:
    """Write ``<stem>.html`` (with code) and ``<stem>.nocode.html`` beside an executed notebook,
    images embedded so each file stands alone; return them by kind."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    targets = {"html": executed.with_suffix(".html"), "html_nocode": executed.with_suffix(".nocode.html")}
    for kind, target in targets.items():
        hide_code = kind == "html_nocode"
        exporter = HTMLExporter(
            embed_images=True, exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=hide_code
        )
        body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
        write_text_atomic(target, body)
    return targets


def run_many(jobs: Sequence[Job], run_dir: Path, n_jobs: int = 1) -> list[RunRecord]:
    """Run ``(notebook, parameters, report_name)`` jobs, ``n_jobs`` at a time (each in its own
    kernel process), with a progress bar on a terminal; records come back in job order."""
    check_jobs(jobs, n_jobs)
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        futures = [pool.submit(run_notebook, notebook, params, run_dir, name) for notebook, params, name in jobs]
        with tqdm(total=len(futures), desc="reports", unit="report", disable=None, file=sys.stderr) as bar:
            for _ in as_completed(futures):
                bar.update()
    return [future.result() for future in futures]


def check_jobs(jobs: Sequence[Job], n_jobs: int) -> None:
    """Raise ParameterError unless there is at least one job, report names are unique and
    ``n_jobs`` >= 1."""
    if not jobs:
        raise ParameterError("nothing to run: no notebook or council selected")
    if n_jobs < 1:
        raise ParameterError(f"the number of parallel jobs must be at least 1, got {n_jobs}")
    names = [name for _, _, name in jobs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ParameterError(f"report names must be unique within a run; repeated: {', '.join(duplicated)}")


def write_manifest(run_dir: Path, records: Sequence[RunRecord]) -> Path:
    """Write ``run_dir/manifest.json``: run id, git commit, Python and package versions, every
    input's and output's sha256 and size, each report's parameters, timings and status.
    Reports already in an existing manifest of that folder are kept unless re-run."""
    run_dir = Path(run_dir)
    target = run_dir / MANIFEST_FILE
    previous = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else {}
    reports = {**previous.get("reports", {}), **{r.report_name: asdict(r) for r in records}}
    manifest = {
        "run_id": run_dir.name,
        "status": "failed" if any(r["status"] != "ok" for r in reports.values()) else "ok",
        "started_at": min((r["started_at"] for r in reports.values()), default=None),
        "finished_at": max((r["finished_at"] for r in reports.values()), default=None),
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "inputs": input_files(),
        "reports": reports,
        "outputs": output_files(run_dir),
    }
    write_json_atomic(target, manifest)
    return target


def git_state() -> dict[str, Any]:
    """The project's git commit and whether tracked files differ from it (None if unknown)."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a result depends on."""
    versions: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def input_files() -> dict[str, dict[str, Any]]:
    """sha256 and size of each processed table (hashed now) and raw file (as verified on
    acquisition, from data/raw/provenance.json), keyed by path under the data folder."""
    processed = {
        f"processed/{path.name}": _file_entry(path) for path in sorted(config.processed_dir().glob("*.parquet"))
    }
    raw = {
        f"raw/{relpath}": {"sha256": entry["sha256"], "bytes": entry["bytes"]}
        for relpath, entry in sorted(read_provenance(config.raw_dir()).items())
    }
    return {**processed, **raw}


def output_files(run_dir: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under ``run_dir`` except the manifest, by relative path."""
    files = sorted(p for p in Path(run_dir).rglob("*") if p.is_file() and p.name != MANIFEST_FILE)
    return {path.relative_to(run_dir).as_posix(): _file_entry(path) for path in files}


def latest_run(reports_dir: Path | None = None) -> Path:
    """The newest run folder (greatest run id) that has a manifest."""
    reports_dir = Path(reports_dir or config.reports_dir())
    runs = sorted(p.parent for p in reports_dir.glob(f"*/{MANIFEST_FILE}") if not p.parent.is_symlink())
    if not runs:
        raise SendlibError(f"no run with a {MANIFEST_FILE} under {reports_dir}")
    return runs[-1]


def write_index(reports_dir: Path | None = None) -> Path:
    """Write the front page ``reports/index.html`` (sendlib.frontpage: headline findings, the
    evidence notebooks and every council, newest report of each name across all runs) and
    point ``reports/latest`` at the latest run."""
    from sendlib.frontpage import render_front_page  # loads pandas; only needed here

    reports_dir = Path(reports_dir or config.reports_dir())
    run_dir = latest_run(reports_dir)
    target = reports_dir / INDEX_FILE
    write_text_atomic(target, render_front_page(reports_dir))
    _point_latest(reports_dir, run_dir.name)
    return target


def councils_with_data(panel_path: Path | None = None, lookup: pd.DataFrame | None = None) -> list[str]:
    """The la_code of every council to profile, sorted: the councils whose harmonised unit has
    at least one high-needs spend value (``hn_spend_gbp``) in the panel. The panel is one row
    per unit x fy; units map to councils through the LA lookup (``lookup``, default
    sendlib.geography.read_la_lookup()), keeping councils that still exist (no ``end_date``), so
    a merged unit is profiled through its current councils (e.g. bcp_dorset via 838 and 839).
    A panel that carries ``la_code`` itself is used directly."""
    panel_path = Path(panel_path or config.processed_dir() / PANEL_FILE)
    if not panel_path.is_file():
        raise SendlibError(f"{panel_path} not found: run `sendlib data` first")
    import pandas as pd

    panel = pd.read_parquet(panel_path)
    if "hn_spend_gbp" in panel.columns:
        panel = panel[panel["hn_spend_gbp"].notna()]
    if "la_code" in panel.columns:
        return sorted(panel["la_code"].dropna().astype(str).unique())
    if "unit" not in panel.columns:
        raise SendlibError(f"{panel_path}: neither a 'la_code' nor a 'unit' column")
    if lookup is None:
        from sendlib.geography import read_la_lookup  # reads the raw LA lists; only needed here

        lookup = read_la_lookup()
    live = lookup[lookup["unit"].isin(panel["unit"].astype(str)) & lookup["end_date"].isna()]
    return sorted(live["la_code"].astype(str).unique())


def _point_latest(reports_dir: Path, run_id: str) -> None:
    """Make ``reports/latest`` a relative symlink to the run folder, replaced atomically."""
    temporary = reports_dir / f".{LATEST_LINK}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_id, target_is_directory=True)
    os.replace(temporary, reports_dir / LATEST_LINK)


def _execute(source: Path, executed: Path, parameters: Mapping[str, Any]) -> str | None:
    """Execute with papermill (kernel cwd = project root, no process-wide chdir so parallel
    runs are safe); the error message if the notebook failed, else None."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source), str(executed), parameters=dict(parameters),
            kernel_name=config.KERNEL_NAME, log_output=False, progress_bar=False,
            resources={"metadata": {"path": str(config.PROJECT_ROOT)}},
            extra_arguments=[KERNEL_QUIET],
        )
    except PapermillExecutionError as exc:
        return f"cell [{exc.exec_count}]: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a dead or unstartable kernel fails this report, not the whole run
        return f"{type(exc).__name__}: {exc}"
    return None


def _require_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(config.KERNEL_NAME)
    except NoSuchKernel:
        raise SendlibError(
            f"the Jupyter kernel {config.KERNEL_NAME!r} is not installed: run `make setup`, which registers it"
        ) from None


def _safe_name(name: str, what: str) -> str:
    if not _SAFE_NAME.match(name):
        raise ParameterError(f"{what} {name!r} must be letters, digits, '_', '-' or '.' (it names a folder)")
    return name


def _display_path(path: Path) -> str:
    """``path`` relative to the project root when inside it."""
    try:
        return path.relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size}


def _git(*args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(config.PROJECT_ROOT), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return completed.stdout.strip()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
