"""Write files atomically: to a temporary sibling first, renamed into place only when complete.

Every writer gets its own temporary name (``.<name>.<pid>.<random>.tmp`` beside the target), so
two processes writing the same file never collide; the temporary file is removed when the write
fails (an exception, KeyboardInterrupt included). A writer killed outright (``kill -9``) cannot
remove it: :func:`remove_stale_temporaries` does, once that process is gone. Files get the permissions a plain ``open()``
would give them: ``0666`` less the process umask (``0644`` under the usual ``022``), not the
``0600`` of ``mkstemp``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: ``.<name>.<pid>.<random>.tmp``, or ``.<name>.<random>.tmp`` as written before the pid was named.
_TEMPORARY = re.compile(r"^\..+?(?:\.(?P<pid>\d+))?\.[A-Za-z0-9_]+\.tmp$")
#: A temporary file that names no writer is stale after this long (a write takes seconds).
STALE_AFTER_S = 3600


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
    succeeds, delete it otherwise. The file ends with the umask's permissions; an OSError that
    names no file (a write on a full disk) is raised again naming ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, umask_mode())
        os.replace(tmp_path, target)
    except OSError as exc:
        if exc.filename is None:  # a failed write (a full disk) names no file: name the target
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise
    finally:
        tmp_path.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` (not below it) whose writer has gone: its
    process no longer runs, or, for a name without a process id, it is older than
    STALE_AFTER_S. Returns what was removed."""
    removed = []
    for path in Path(folder).glob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match is None or not path.is_file():
            continue
        pid = match.group("pid")
        try:
            stale = not _running(int(pid)) if pid else time.time() - path.stat().st_mtime > STALE_AFTER_S
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:  # removed meanwhile by its writer or another cleaner
            continue
    return removed


def _running(pid: int) -> bool:
    """True while process ``pid`` exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True


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
