"""The registry of every raw file the project uses (``data/reference/sources.csv``).

Each file is a byte-identical copy of a public file; it can be downloaded from a public
repository at a pinned commit (so its sha256 holds) and the publisher's page is recorded
for the README and for later updates.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sendlib import config
from sendlib.errors import SourceFormatError

DEFAULT_DOWNLOAD_BASE = "https://raw.githubusercontent.com"
REGISTRY_COLUMNS = (
    "dataset", "file", "bytes", "sha256", "repo", "commit", "path_in_repo",
    "official_source", "licence",
)


@dataclass(frozen=True)
class RawFile:
    """One raw input file and where it comes from."""

    dataset: str
    file: str
    bytes: int
    sha256: str
    repo: str
    commit: str
    path_in_repo: str
    official_source: str
    licence: str

    @property
    def relpath(self) -> str:
        """``<dataset>/<file>``: its place under ``data/raw/`` and in a mirror."""
        return f"{self.dataset}/{self.file}"

    def download_url(self, base: str | None = None) -> str:
        """The commit-pinned URL returning exactly these bytes.

        ``base`` (or ``SENDLIB_DOWNLOAD_BASE``) replaces the host, e.g. for a local test server.
        """
        base = base or os.environ.get("SENDLIB_DOWNLOAD_BASE") or DEFAULT_DOWNLOAD_BASE
        return f"{base.rstrip('/')}/{self.repo}/{self.commit}/{quote(self.path_in_repo)}"


def load_registry(path: Path = config.SOURCES_CSV) -> list[RawFile]:
    """Read the registry, checking its columns and hashes are well formed."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(REGISTRY_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise SourceFormatError(path, f"missing columns {sorted(missing)}")
        files = []
        for line, row in enumerate(reader, start=2):
            sha = row["sha256"].strip().lower()
            if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                raise SourceFormatError(path, f"row {line}: sha256 {row['sha256']!r} is not 64 hex digits")
            files.append(RawFile(**{**row, "bytes": int(row["bytes"]), "sha256": sha}))
    return sorted(files, key=lambda f: f.relpath)


def registry_by_relpath(path: Path = config.SOURCES_CSV) -> dict[str, RawFile]:
    """The registry keyed by ``<dataset>/<file>``."""
    return {f.relpath: f for f in load_registry(path)}


def raw_path(dataset: str, file: str) -> Path:
    """Where a registered raw file lives once acquired."""
    return config.raw_dir() / dataset / file
