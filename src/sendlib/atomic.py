"""Write files atomically: to a temporary sibling first, renamed into place only when complete.

Every writer gets its own temporary name (``.<name>.<random>.tmp`` beside the target), so two
processes writing the same file never collide; the temporary file is removed when the write
fails (an exception, KeyboardInterrupt included). Files get the permissions a plain ``open()``
would give them: ``0666`` less the process umask (``0644`` under the usual ``022``), not the
``0600`` of ``mkstemp``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def umask_mode(base: int = 0o666) -> int:
    """``base`` less the current umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return base & ~int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)  # no race-free way elsewhere; restored at once
    os.umask(current)
    return base & ~current


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a unique temporary path beside ``target``; rename it onto ``target`` if the block
    succeeds, delete it otherwise. The file ends with the umask's permissions."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, umask_mode())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(content)


def write_json_atomic(target: Path, data: Any) -> None:
    """Write ``data`` as stable, sorted, indented JSON to ``target`` atomically."""
    write_text_atomic(target, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
