"""Run folders and their manifests, shared by the runner (which writes them) and the front page
(which reads them), so neither imports the other.

- file names (``manifest.json``, ``results.json``, ``index.html``, the ``latest`` link) and the
  three statuses of a report;
- reading every run of a reports folder and finding the latest one;
- which settings a report ran with: :func:`non_default` gives the validated parameters that
  differ from the notebook's declared defaults (``output_dir`` never counts; ``la`` is the
  identity of a council report, not a setting). A manifest record stores the result as
  ``non_default`` and ``defaults``; a record written before those fields existed is judged by
  :func:`record_non_default` against the notebook's current defaults.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sendlib import config
from sendlib.errors import SendlibError

MANIFEST_FILE = "manifest.json"
RESULTS_FILE = "results.json"
INDEX_FILE = "index.html"
LATEST_LINK = "latest"
OK, FAILED, INTERRUPTED = "ok", "failed", "interrupted"
FINISHED = (OK, FAILED)
OUTPUT_DIR = "output_dir"
#: Parameters that name what a report is about rather than how it was made.
IDENTITY_PARAMETERS = frozenset({"la"})
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def moment(stamp: object) -> datetime:
    """An ISO timestamp from a manifest as an aware datetime (UTC if naive; the earliest
    possible moment if missing or unreadable)."""
    try:
        parsed = datetime.fromisoformat(str(stamp))
    except ValueError:
        return _EARLIEST
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def read_runs(reports_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(run folder, manifest) for every run folder under ``reports_dir`` with a manifest (the
    ``latest`` link skipped); a manifest that is not a JSON object is an error naming it."""
    runs = []
    for path in sorted(Path(reports_dir).glob(f"*/{MANIFEST_FILE}")):
        if path.parent.is_symlink():
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SendlibError(f"{path}: not a readable manifest ({exc})") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("reports", {}), dict):
            raise SendlibError(f"{path}: expected a JSON object with a 'reports' object")
        runs.append((path.parent, manifest))
    return runs


def latest_run(reports_dir: Path | None = None) -> Path:
    """The newest run folder that has a manifest: the greatest recorded start time (then
    finish time, then run id); a run id that sorts last (``SENDLIB_RUN_ID=ok``) is not
    thereby the newest. Folders without a readable manifest (a run still going, or killed)
    are never the latest."""
    reports_dir = Path(reports_dir or config.reports_dir())
    candidates = []
    for manifest in reports_dir.glob(f"*/{MANIFEST_FILE}"):
        if manifest.parent.is_symlink():
            continue
        try:
            recorded = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(recorded, dict):
            candidates.append((moment(recorded.get("started_at")), moment(recorded.get("finished_at")),
                               manifest.parent.name))
    if not candidates:
        raise SendlibError(f"no run with a {MANIFEST_FILE} under {reports_dir}")
    return reports_dir / max(candidates)[2]


def point_latest(reports_dir: Path, run_id: str) -> None:
    """Make ``reports/latest`` a relative symlink to the run folder, replaced atomically
    through a temporary link whose name is unique to this writer (removed if anything fails)."""
    temporary = reports_dir / f".{LATEST_LINK}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    try:
        temporary.symlink_to(run_id, target_is_directory=True)
        os.replace(temporary, reports_dir / LATEST_LINK)
    finally:
        temporary.unlink(missing_ok=True)


def non_default(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The ``values`` that differ from ``defaults`` (name -> value, in name order): settings
    only, so ``output_dir``, identity parameters (``la``) and names without a declared default
    are left out; a whole number equals the same float (10 == 10.0)."""
    return {name: values[name] for name in sorted(values)
            if name in defaults and name != OUTPUT_DIR and name not in IDENTITY_PARAMETERS
            and values[name] != defaults[name]}


def notebook_defaults(notebook: Path) -> dict[str, Any]:
    """The declared default of every parameter of ``notebook`` (output_dir left out)."""
    from sendlib.params import notebook_parameters

    return {name: p.default for name, p in notebook_parameters(notebook).items() if name != OUTPUT_DIR}


def record_non_default(record: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest record's non-default settings: its ``non_default`` field, or, for a record
    written before that field existed, its parameters compared with the current defaults of
    its notebook ({} when the notebook cannot be found or read: nothing to compare with)."""
    stored = record.get("non_default")
    if isinstance(stored, dict):
        return stored
    parameters = record.get("parameters")
    defaults = _defaults_of(str(record.get("notebook") or ""), config.notebooks_dir())
    return non_default(parameters, defaults) if isinstance(parameters, dict) and defaults else {}


@functools.lru_cache(maxsize=32)
def _defaults_of(notebook: str, notebooks_dir: Path) -> dict[str, Any]:
    """Defaults of a record's notebook (a path relative to the project, or absolute), looked for
    there, then by its stem in ``notebooks_dir``; {} if neither is readable."""
    candidates = [config.PROJECT_ROOT / notebook, notebooks_dir / f"{Path(notebook).stem}.ipynb"]
    for path in candidates:
        if notebook and path.is_file():
            try:
                return notebook_defaults(path)
            except SendlibError:
                return {}
    return {}


def is_finished(record: Mapping[str, Any]) -> bool:
    """True when the report ran to its end, well or badly (ok or failed), not interrupted."""
    return record.get("status") in FINISHED
