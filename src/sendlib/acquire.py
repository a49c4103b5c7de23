"""Get every registered raw file into ``data/raw/<dataset>/<file>``, verified by sha256.

A file comes from the local mirror named by ``SENDLIB_DATA_MIRROR`` when that is set,
otherwise it is downloaded (timeouts and retries, via pooch) from its commit-pinned public
URL. A verified file is never overwritten. ``data/raw/provenance.json`` records, per file,
where it came from, when, its sha256 and size.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from sendlib import config
from sendlib.atomic import atomic_path, sha256_of, write_json_atomic
from sendlib.errors import ChecksumError, DataUnavailableError
from sendlib.sources import RawFile, load_registry

PROVENANCE_FILE = "provenance.json"
DOWNLOAD_TIMEOUT_S = 60
DOWNLOAD_RETRIES = 3

HOW_TO_PROVIDE = (
    "To work offline, set SENDLIB_DATA_MIRROR to a folder laid out <dataset>/<file> "
    "(for example ../shared/data/mirror), or put the file at data/raw/<dataset>/<file> yourself; "
    "on a machine with internet, unset SENDLIB_DATA_MIRROR and rerun `make data`."
)


def _check_hash(path: Path, expected: str, label: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(f"{label}: sha256 mismatch: expected {expected}, got {actual}")


def copy_from_mirror(raw_file: RawFile, mirror: Path, dest: Path) -> str:
    """Copy one file from the mirror to ``dest`` via a verified temporary file; return its source."""
    if not mirror.is_dir():
        raise DataUnavailableError(
            f"{raw_file.relpath} is needed, but the mirror folder {mirror} (SENDLIB_DATA_MIRROR) "
            f"{'is not a folder' if mirror.exists() else 'does not exist'}: correct SENDLIB_DATA_MIRROR, "
            "or unset it to download the files"
        )
    source = mirror / raw_file.dataset / raw_file.file
    if not source.is_file():
        raise DataUnavailableError(
            f"{raw_file.relpath}: not found in the mirror {mirror} (SENDLIB_DATA_MIRROR), expected at {source}. "
            "The mirror must be laid out <dataset>/<file>; put the file there or at "
            f"data/raw/{raw_file.relpath}, or unset SENDLIB_DATA_MIRROR to download it"
        )
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
        _check_hash(tmp, raw_file.sha256, f"{raw_file.relpath} (copied from {source})")
    return str(source)


def download(raw_file: RawFile, dest: Path, base_url: str | None = None, progressbar: bool = False) -> str:
    """Download one file to ``dest`` with timeouts and retries, verifying its sha256; return the URL."""
    import pooch  # imported only to download: the other commands and the notebooks do without it
    import requests

    url = raw_file.download_url(base_url)
    fetcher = pooch.create(
        path=dest.parent,
        base_url="",
        registry={dest.name: f"sha256:{raw_file.sha256}"},
        urls={dest.name: url},
        retry_if_failed=DOWNLOAD_RETRIES,
    )
    downloader = pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S, progressbar=progressbar)
    try:
        fetcher.fetch(dest.name, downloader=downloader)
    except ValueError as exc:  # pooch reports a hash mismatch as ValueError
        raise ChecksumError(f"{raw_file.relpath} (downloaded from {url}): {exc}") from exc
    except requests.RequestException as exc:
        raise DataUnavailableError(
            f"{raw_file.relpath}: could not download from {url} ({type(exc).__name__}: {exc}). " + HOW_TO_PROVIDE
        ) from exc
    return url


def verify_raw_files(raw: Path | None = None, files: Iterable[RawFile] | None = None) -> dict[str, str]:
    """Check that every registered raw file in ``raw`` (default data/raw) still has its
    registered sha256, before anything reads it; return ``<dataset>/<file>`` -> sha256.

    A missing file is a DataUnavailableError; files whose bytes changed after they were
    acquired are one ChecksumError naming each file and both hashes."""
    raw = Path(raw or config.raw_dir())
    files = list(load_registry() if files is None else files)
    missing = [f.relpath for f in files if not (raw / f.relpath).is_file()]
    if missing:
        raise DataUnavailableError(f"{len(missing)} raw file(s) not found in {raw}: {', '.join(missing)}; "
                                   "run `sendlib data` to get them")
    problems = []
    for raw_file in files:
        actual = sha256_of(raw / raw_file.relpath)
        if actual != raw_file.sha256:
            problems.append(f"{raw / raw_file.relpath}: sha256 {actual}, registered {raw_file.sha256}")
    if problems:
        raise ChecksumError(
            "raw file(s) changed since they were acquired (data/reference/sources.csv registers other bytes):\n"
            + "\n".join(problems) + "\nrestore them: delete the file(s) and run `sendlib data` to fetch them again"
        )
    return {raw_file.relpath: raw_file.sha256 for raw_file in files}


def read_provenance(raw: Path) -> dict[str, dict]:
    """The provenance record of ``raw`` (empty when none yet)."""
    path = raw / PROVENANCE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def acquire(
    files: Iterable[RawFile] | None = None,
    raw: Path | None = None,
    mirror: Path | None = None,
    base_url: str | None = None,
    progressbar: bool = False,
) -> dict[str, dict]:
    """Acquire ``files`` (default: the whole registry) into ``raw``; return the provenance record.

    Files are copied from ``mirror`` when given, else downloaded. Files already present are checked and kept; a present file with the wrong hash is an
    error (it is never silently replaced).
    """
    files = list(load_registry() if files is None else files)
    raw = raw or config.raw_dir()
    provenance = read_provenance(raw)
    for raw_file in files:
        dest = raw / raw_file.dataset / raw_file.file
        if dest.is_file():
            _check_hash(dest, raw_file.sha256, f"{dest} (already in data/raw; delete it to fetch again)")
            if raw_file.relpath in provenance:
                continue
            source = "found in data/raw"
        elif mirror is not None:
            source = copy_from_mirror(raw_file, mirror, dest)
        else:
            source = download(raw_file, dest, base_url=base_url, progressbar=progressbar)
        provenance[raw_file.relpath] = {
            "dataset": raw_file.dataset,
            "file": raw_file.file,
            "source": source,
            "official_source": raw_file.official_source,
            "licence": raw_file.licence,
            "retrieved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sha256": raw_file.sha256,
            "bytes": dest.stat().st_size,
        }
        write_json_atomic(raw / PROVENANCE_FILE, provenance)
    return provenance
