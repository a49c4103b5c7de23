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
  ``figures/<name>.png`` with the data behind them in ``figures/<name>.csv`` (sendlib.present.plots
  saves both; other tables via ``save_table``) and the numbers it quotes in ``results.json``
  (``write_results``).
- Every parameter's allowed values are declared in sendlib.param_rules (councils, years,
  choices, number ranges, fractions that may be written ``5%``); a new parameter adds its
  rule there.
- Notebooks run in the ``sendlib`` kernel with the project root as working directory and
  read data through sendlib.config paths.

How notebooks run (sendlib.workers): ``run_many`` keeps ``min(--jobs, jobs)`` warm workers
(one in this process, or worker processes: the HTML export is CPU-bound Python, so threads
would share one interpreter lock). Each worker owns one kernel that has done the notebook's
imports once and reads each processed table once (``tables.read_table`` caches copies), and
runs report after report in it; a hidden reset cell (sendlib.kernel_state, not saved) gives
every report a fresh kernel's state. papermill injects the parameters (the executed
notebook shows its "injected-parameters" cell). A kernel that dies fails only that report;
the worker starts another. On Ctrl-C/SIGTERM queued reports are not started, kernels are
interrupted then ended, and the unfinished reports are recorded "interrupted" (their
partial folders removed); the CLI then writes the manifest and index and exits 130. A line is
printed as each report finishes (n of N, time so far, estimated time left). A report that
cannot be written (a full disk) is recorded "failed" naming the file and what to do; before a
run starts, :func:`check_room` refuses a reports folder that is a file or a disk too full.

A run lives in ``reports/<run-id>/`` (run id: UTC time, e.g. ``20261128T121500Z``)::

    <report-name>/<stem>.nocode.html    HTML without code: the report to read, figures
                                        embedded (the file alone shows everything)
    <report-name>/<stem>.ipynb          the executed notebook } figures shown from
                                        (kept when it fails)  } figures/*.png beside them
    <report-name>/<stem>.html           HTML with code, only  }
                                        with --with-code      }
    <report-name>/results.json, figures/*.png, figures/*.csv
    manifest.json                       parameters, versions, git commit, input and output
                                        sha256 + size, timings, status ("ok", "failed",
                                        "interrupted"), and each report's settings that differ
                                        from the notebook's defaults (``non_default``, ``defaults``)

Each figure is stored twice (the PNG file and inside the page to read), not four times; a
report folder copied or zipped alone still shows every figure. The commands start the workers
and their kernels (:func:`warm_workers`) before they check the parameters against the data, so
that each kernel boots and warms up (its notebook's imports, the tables its precheck reads)
meanwhile. Every page gets a link back to
the front page and a "Parameters used" box after the injected parameters (a council report is
titled "<council>: high needs profile"; sendlib.present.reportpage), and every results.json the
``parameters`` used and the ``defaults`` they were compared with. The front page,
``reports/index.html``, is written by sendlib.present.frontpage.write_index; run folders and
manifests are read through sendlib.runs, which this module and the front page share.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sendlib import config
from sendlib.acquire import read_provenance
from sendlib.atomic import sha256_of, write_json_atomic
from sendlib.errors import (
    FileSystemError,
    ParameterError,
    SendlibError,
    failure_text,
    file_system_error,
    shown,
    suggestion,
)
from sendlib.params import notebook_parameters, validate_parameters
from sendlib.runs import FAILED, INTERRUPTED, MANIFEST_FILE, OK, OUTPUT_DIR, RESULTS_FILE, non_default
from sendlib.runs import latest_run  # noqa: F401  (runner.latest_run, as before)

if TYPE_CHECKING:
    import pandas as pd

    from sendlib.workers import Worker, WarmUp

# papermill, nbformat, nbconvert and pandas are imported where used: together they take
# about two seconds to import, which `sendlib --help`, `sendlib params` and refusing a bad
# parameter should not pay.

RUN_ID_ENV = "SENDLIB_RUN_ID"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
REPORTS_SETTING = "SENDLIB_REPORTS_DIR"
#: Room a run needs on the reports' disk: a report takes up to a few MB (a council profile about
#: 0.7 MB, 02 with 100,000 draws 4 MB), so about 1 MB each and 10 MB more.
REPORT_BYTES, SPARE_BYTES = 1_000_000, 10_000_000
RECORDED_PACKAGES = (
    "sendlib", "pandas", "numpy", "pyarrow", "scipy", "statsmodels", "matplotlib", "seaborn",
    "pandera", "papermill", "nbclient", "nbconvert", "ipykernel",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Job = tuple[str | Path, Mapping[str, Any], str]


@dataclass
class RunRecord:
    """What happened to one report of a run (paths in ``outputs`` are relative to the run folder);
    ``non_default``: the settings that differ from the notebook's defaults (sendlib.runs.non_default),
    ``defaults``: True when there are none."""

    report_name: str
    notebook: str
    parameters: dict[str, Any]
    status: str
    error: str | None
    started_at: str
    finished_at: str
    duration_s: float
    outputs: dict[str, str] = field(default_factory=dict)
    non_default: dict[str, Any] = field(default_factory=dict)
    defaults: bool = True


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
        f"notebook {shown(str(name))} not found{suggestion(name, stems)}; "
        f"notebooks in {config.notebooks_dir()}: {', '.join(stems) or 'none'}"
    )


def new_run_id(now: datetime | None = None) -> str:
    """A sortable UTC timestamp id such as ``20261128T121500Z``; ``SENDLIB_RUN_ID`` overrides it."""
    override = os.environ.get(RUN_ID_ENV, "").strip()
    if override:
        return _safe_name(override, RUN_ID_ENV)
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime(RUN_ID_FORMAT)


def check_room(reports_dir: Path, n_reports: int) -> None:
    """A FileSystemError when ``reports_dir`` is a file, or its disk has too little free space
    for ``n_reports`` reports (REPORT_BYTES each and SPARE_BYTES): refused before anything runs."""
    reports_dir = Path(reports_dir)
    if reports_dir.exists() and not reports_dir.is_dir():
        raise FileSystemError(f"{REPORTS_SETTING} {reports_dir} is a file, not a folder: remove or rename that file, "
                              f"or set {REPORTS_SETTING} to a folder")
    existing = next(folder for folder in (reports_dir, *reports_dir.parents) if folder.exists())
    free, needed = shutil.disk_usage(existing).free, n_reports * REPORT_BYTES + SPARE_BYTES
    if free < needed:
        raise FileSystemError(
            f"only {free / 1e6:.1f} MB free on the disk of {reports_dir}; {n_reports} report(s) need at least "
            f"{needed / 1e6:.0f} MB: free some space, or set {REPORTS_SETTING} to a folder on another disk")


def create_run_dir(run_id: str | None = None) -> Path:
    """A new, empty ``reports/<run-id>/`` (``-02``, ``-03``... appended if the id is taken);
    a FileSystemError naming the folder when it cannot be created."""
    base = run_id or new_run_id()
    candidate, attempt = config.reports_dir() / base, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            attempt += 1
            candidate = config.reports_dir() / f"{base}-{attempt:02d}"
        except OSError as exc:
            raise file_system_error(exc, "create the run folder", REPORTS_SETTING) from None


def run_notebook(
    notebook: str | Path, parameters: Mapping[str, Any], run_dir: Path, report_name: str, worker: Worker | None = None,
    with_code: bool = False,
) -> RunRecord:
    """Validate ``parameters``, execute ``notebook`` into ``run_dir/report_name/`` and export
    it to HTML (the page with code too when ``with_code``), in ``worker``'s warm kernel or,
    without one, in a fresh kernel stopped after. A notebook that fails is kept (and exported)
    and recorded as "failed"; bad parameters raise ParameterError before any kernel starts."""
    path = find_notebook(notebook)
    validated = validate_parameters(path, parameters)
    _safe_name(report_name, "report name")
    _require_kernel()
    if worker is not None:
        return _run_validated(worker, path, validated, Path(run_dir), report_name, with_code)
    from sendlib.workers import Worker

    fresh = Worker()
    try:
        return _run_validated(fresh, path, validated, Path(run_dir), report_name, with_code)
    finally:
        fresh.stop()


def _run_validated(
    worker: Worker, path: Path, validated: Mapping[str, Any], run_dir: Path, report_name: str, with_code: bool = False
) -> RunRecord:
    """Run one already validated job in ``worker`` (in this process or a worker process)."""
    from sendlib.present.reportpage import council_title, page_header

    run_dir = run_dir.resolve()
    report_dir = run_dir / report_name
    report_dir.mkdir(parents=True, exist_ok=True)
    injected = {**validated, OUTPUT_DIR: str(report_dir)}
    declared = {name: p for name, p in notebook_parameters(path).items() if name != OUTPUT_DIR}
    defaults = {name: p.default for name, p in declared.items()}
    used, changed = {**defaults, **validated}, non_default(validated, defaults)
    header = page_header({name: (p.default, p.comment) for name, p in declared.items()}, used, changed)
    heading = council_title(validated)
    started_at, clock = _utc_now(), time.monotonic()
    execution = worker.run(path, injected, report_dir / f"{path.stem}.ipynb", title=heading or report_name,
                           header=header, heading=heading, with_code=with_code)
    record_settings(report_dir, used, defaults)
    return RunRecord(
        report_name=report_name,
        notebook=_display_path(path),
        parameters={**defaults, **injected},
        status=FAILED if execution.error else OK,
        error=execution.error,
        started_at=started_at,
        finished_at=_utc_now(),
        duration_s=round(time.monotonic() - clock, 2),
        outputs={
            kind: file.relative_to(run_dir).as_posix() for kind, file in execution.outputs.items() if file.is_file()
        },
        non_default=changed,
        defaults=not changed,
    )


def record_settings(report_dir: Path, used: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Add to the report's ``results.json`` (when the notebook wrote one) the ``parameters`` it
    ran with and the notebook's declared ``defaults`` they were compared with (``output_dir``
    left out of both), so the file says what produced its numbers. Same sorted JSON as
    sendlib.outputs.write_results."""
    target = Path(report_dir) / RESULTS_FILE
    try:
        results = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(results, dict):
        write_json_atomic(target, {**results, "parameters": dict(used), "defaults": dict(defaults)})


def _settings(path: Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The record fields saying which settings differ from the notebook's defaults."""
    changed = non_default(parameters, {name: p.default for name, p in notebook_parameters(path).items()})
    return {"non_default": changed, "defaults": not changed}


def run_many(jobs: Sequence[Job], run_dir: Path, n_jobs: int = 1, with_code: bool = False,
             started: Workers | None = None) -> list[RunRecord]:
    """Run ``(notebook, parameters, report_name)`` jobs in ``min(n_jobs, len(jobs))`` warm
    workers (sendlib.workers: one in this process, or that many worker processes), or in the
    workers ``started`` before the jobs were checked (see :func:`warm_workers`, which ends them),
    printing a progress line as each report finishes; records come back in job order. Every job
    is validated before anything runs; a report that cannot be run or written (a full disk) is
    recorded "failed" and the others go on. ``with_code``: write each page with code too. On
    Ctrl-C (KeyboardInterrupt; the CLI turns SIGTERM into one) queued jobs are not started,
    running kernels are interrupted then stopped, and each unfinished report is recorded
    "interrupted" with its partial folder removed."""
    check_jobs(jobs, n_jobs)
    prepared = []
    for notebook, parameters, name in jobs:
        path = find_notebook(notebook)
        prepared.append((path, validate_parameters(path, parameters), _safe_name(name, "report name")))
    _require_kernel()
    run_dir = Path(run_dir).resolve()
    records: list[RunRecord | None] = [None] * len(prepared)
    n_workers = started.size if started is not None else min(n_jobs, len(prepared))
    print(f"{len(prepared)} report(s) to run, {n_workers} at a time, into {run_dir}", flush=True)
    pool = started or Workers(n_workers, [warm_up_for(path) for path, _, _ in prepared[:n_workers]])
    finished, clock, completed = _records(prepared, run_dir, pool, with_code), time.monotonic(), False
    try:
        for done, (index, record) in enumerate(finished, start=1):
            records[index] = record
            print(progress_line(done, len(prepared), record, time.monotonic() - clock), flush=True)
        completed = True
    except KeyboardInterrupt:
        finished.close()
        pool.close(completed=False)  # ends the kernels and workers (if the interrupt came between reports)
        for index, record in enumerate(records):
            if record is None:
                records[index] = _interrupted(prepared[index], run_dir)
    finally:
        if started is None or not completed:
            pool.close(completed)
    return [record for record in records if record is not None]


def warm_up_for(notebook: Path) -> WarmUp:
    """A kernel's warm-up for ``notebook``: its imports, and the processed tables its precheck
    reads (sendlib.prechecks: the panel and the tables it names), read before any report."""
    from sendlib.prechecks import PRECHECKS
    from sendlib.workers import WarmUp

    precheck = PRECHECKS.get(Path(notebook).stem)
    tables = ((("panel",) if precheck.reads_panel else ()) + precheck.tables) if precheck else ()
    return WarmUp(notebooks=(Path(notebook),), tables=tables)


class Workers:
    """The warm workers of a run: one in this process (``n_workers`` 1), or a pool of worker
    processes, each starting its kernel, with the warm-up given for its position, at once."""

    def __init__(self, n_workers: int, warm_ups: Sequence[WarmUp | None] = ()) -> None:
        from sendlib import workers

        self.size = n_workers
        self.worker: Worker | None = None
        self.pool: workers.WorkerPool | None = None
        if n_workers == 1:
            self.worker = workers.Worker(warm_up=warm_ups[0] if warm_ups else None)
            with contextlib.suppress(Exception):  # a kernel that cannot start fails the first report, saying why
                self.worker.start()
        else:
            self.pool = workers.WorkerPool(n_workers, warm_ups)
        self._closed = False
        self.used = False  # True once a report was given to them

    def close(self, completed: bool = True) -> None:
        """Shut every kernel down and end the workers; when not ``completed`` (an interrupt or an
        error), interrupt then end at once the kernels that may be running a report. Only the
        first call counts."""
        from sendlib import workers

        if self._closed:
            return
        self._closed = True
        with workers.interrupts_deferred():
            if self.worker is not None:
                if not completed and self.used and self.worker.kernel_pid:
                    workers.quiet_asyncio()
                    workers.end_kernel(self.worker.kernel_pid)
                self.worker.stop()
            if self.pool is not None:
                self.pool.close() if completed else self.pool.terminate()


@contextlib.contextmanager
def warm_workers(n_workers: int, notebooks: Sequence[Path]) -> Iterator[Workers]:
    """Start ``n_workers`` workers now, the i-th warmed up for ``notebooks[i]`` (or the last), so
    their kernels boot and import while the command checks parameters and data; pass them to
    :func:`run_many` (``started``). Ended when the block ends, at once if it ends by an error or
    an interrupt (a refused parameter leaves no kernel behind)."""
    chosen = [notebooks[min(position, len(notebooks) - 1)] for position in range(n_workers)] if notebooks else []
    started = Workers(n_workers, [warm_up_for(notebook) for notebook in chosen])
    completed = False
    try:
        yield started
        completed = True
    finally:
        started.close(completed)


def progress_line(done: int, total: int, record: RunRecord, elapsed_s: float) -> str:
    """``[3/152] ok council_202 in 5.2s; 0:00:16 elapsed, about 0:07:40 left`` (the time left
    estimated from the reports finished so far); a failed report also says why."""
    left = f", about {_clock(elapsed_s / done * (total - done))} left" if done < total else ""
    why = f" ({record.error.splitlines()[0][:300]})" if record.status == FAILED and record.error else ""
    return (f"[{done}/{total}] {record.status} {record.report_name} in {record.duration_s:.1f}s{why}; "
            f"{_clock(elapsed_s)} elapsed{left}")


def _clock(seconds: float) -> str:
    """3725 -> "1:02:05"."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def _records(prepared: Sequence[tuple[Path, dict[str, Any], str]], run_dir: Path, started: Workers,
             with_code: bool) -> Iterator[tuple[int, RunRecord]]:
    """(job index, record) as jobs finish, from the worker in this process or the pool of worker
    processes of ``started``."""
    started.used = True
    if started.worker is not None:
        worker = started.worker
        for index, job in enumerate(prepared):
            path, parameters, name = job
            try:
                record = _run_validated(worker, path, parameters, run_dir, name, with_code)
            except Exception as exc:  # as in a worker process: this report fails, the next one runs
                worker.stop()
                record = _lost(job, run_dir, failure_text(exc))
            yield index, record
        return
    assert started.pool is not None
    tasks = [(_run_validated, (path, parameters, run_dir, name, with_code)) for path, parameters, name in prepared]
    yield from started.pool.run(tasks, on_lost=lambda index, reason: _lost(prepared[index], run_dir, reason))


def _lost(job: tuple[Path, dict[str, Any], str], run_dir: Path, reason: str) -> RunRecord:
    """The record of a report whose worker process died or could not run it."""
    path, parameters, name = job
    now = _utc_now()
    outputs = {"notebook": f"{name}/{path.stem}.ipynb"} if (run_dir / name / f"{path.stem}.ipynb").is_file() else {}
    return RunRecord(name, _display_path(path), {**parameters, OUTPUT_DIR: str(run_dir / name)}, FAILED, reason,
                     now, now, 0.0, outputs, **_settings(path, parameters))


def _interrupted(job: tuple[Path, dict[str, Any], str], run_dir: Path) -> RunRecord:
    """The record of a report the run did not finish; its partial folder is removed, so what
    is left of an interrupted run is complete reports only."""
    path, parameters, name = job
    shutil.rmtree(run_dir / name, ignore_errors=True)
    now = _utc_now()
    return RunRecord(name, _display_path(path), {**parameters, OUTPUT_DIR: str(run_dir / name)}, INTERRUPTED,
                     "the run was interrupted before this report finished", now, now, 0.0, {},
                     **_settings(path, parameters))


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
        "status": run_status(r["status"] for r in reports.values()),
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


def run_status(statuses: Any) -> str:
    """A run's status from its reports': "interrupted" if any was, else "failed" if any
    failed, else "ok"."""
    seen = set(statuses)
    return INTERRUPTED if INTERRUPTED in seen else FAILED if seen - {OK} else OK


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


def councils_with_data(panel: pd.DataFrame | None = None, lookup: pd.DataFrame | None = None) -> list[str]:
    """The la_code of every council to profile, sorted: the councils whose harmonised unit has
    at least one high-needs spend value (``hn_spend_gbp``) in the panel (default: the processed
    panel, read and checked by sendlib.tables.read_table). The panel is one row per unit x fy;
    units map to councils through the LA lookup (``lookup``, default
    sendlib.geography.read_la_lookup()), keeping councils that still exist (no ``end_date``), so
    a merged unit is profiled through its current councils (e.g. bcp_dorset via 838 and 839).
    A panel that carries ``la_code`` itself is used directly."""
    if panel is None:
        from sendlib.tables import read_table  # loads pandas and the schemas; only needed here

        panel = read_table("panel")
    if "hn_spend_gbp" in panel.columns:
        panel = panel[panel["hn_spend_gbp"].notna()]
    if "la_code" in panel.columns:
        return sorted(panel["la_code"].dropna().astype(str).unique())
    if "unit" not in panel.columns:
        raise SendlibError("the panel has neither a 'la_code' nor a 'unit' column")
    if lookup is None:
        from sendlib.geography import read_la_lookup  # reads the raw LA lists; only needed here

        lookup = read_la_lookup()
    live = lookup[lookup["unit"].isin(panel["unit"].astype(str)) & lookup["end_date"].isna()]
    return sorted(live["la_code"].astype(str).unique())


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
