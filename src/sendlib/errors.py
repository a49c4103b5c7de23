"""Exceptions that name the file, row or parameter at fault, and how values and file-system
faults are shown in a message (briefly, in words, with what to do)."""

from __future__ import annotations

import difflib
import errno
import reprlib
from collections.abc import Mapping
from typing import Any

#: The longest text of a value a message shows (a value can be a 10,000-character name).
SHOWN_CHARACTERS = 40


class SendlibError(Exception):
    """Base class for every error the project raises on purpose. ``exit_status`` is the
    `sendlib` command's exit status when it stops on this error."""

    exit_status = 2


class DataUnavailableError(SendlibError):
    """A raw file could be neither copied from a mirror nor downloaded."""


class ChecksumError(SendlibError):
    """A file's sha256 is not the one recorded in the sources registry."""


class SourceFormatError(SendlibError):
    """A raw file does not have the layout its reader expects."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ValidationError(SendlibError):
    """A processed table failed a schema or a QA check."""


class ParameterError(SendlibError):
    """A notebook parameter is unknown, of the wrong type or out of range."""


class FileSystemError(SendlibError):
    """A file or folder could not be written (a full disk, a read-only or forbidden folder, a
    file where a folder should be). ``after_work``: reports had already run (exit status 1)."""

    def __init__(self, message: str, *, after_work: bool = False) -> None:
        super().__init__(message)
        self.exit_status = 1 if after_work else 2


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = SHOWN_CHARACTERS
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 2


def shown(value: object) -> str:
    """A short repr of ``value`` for a message: long texts and lists are cut (``'abc...xyz'
    (10,000 characters)``, ``[1, 2, 3, 4, ...] (10,000 items)``), never expanded in full."""
    text = _SHORT.repr(value)
    if isinstance(value, str) and len(value) > SHOWN_CHARACTERS:
        return f"{text} ({len(value):,} characters)"
    if isinstance(value, (list, dict)) and len(value) > _SHORT.maxlist:
        return f"{text} ({len(value):,} items)"
    return text


def suggestion(word: object, choices: list[str] | tuple[str, ...] | Mapping[str, Any]) -> str:
    """`` (did you mean 'x' or 'y'?)`` for the closest ``choices`` to ``word``, or ``""``."""
    text = str(word)
    if len(text) > 2 * SHOWN_CHARACTERS:  # nothing that long is close to a name
        return ""
    close = difflib.get_close_matches(text, [str(c) for c in choices], n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


#: errno -> (what happened, what to do); "{setting}" names the folder's setting.
_FAULTS = {
    errno.ENOSPC: ("the disk is full (no space left on device)",
                   "free some space, or set {setting} to a folder on another disk"),
    errno.EDQUOT: ("your disk quota is used up", "free some space, or set {setting} to a folder on another disk"),
    errno.EROFS: ("the file system is read-only", "set {setting} to a writable folder"),
    errno.EACCES: ("permission denied", "make the folder writable for you, or set {setting} to a folder you can write"),
    errno.EPERM: ("permission denied", "make the folder writable for you, or set {setting} to a folder you can write"),
    errno.ENOTDIR: ("a file is where a folder should be (it, or a folder above it, is a file, not a folder)",
                    "remove or rename that file, or set {setting} to a folder"),
    errno.EEXIST: ("it is a file, not a folder", "remove or rename that file, or set {setting} to a folder"),
}


def file_system_error(exc: OSError, doing: str, setting: str, *, after_work: bool = False) -> FileSystemError:
    """One line for a file-system fault: ``cannot <doing> <path>: <what happened>: <what to do>``;
    ``setting`` names where the folder comes from (e.g. ``SENDLIB_REPORTS_DIR``)."""
    path = exc.filename if exc.filename is not None else "?"
    what, remedy = _FAULTS.get(exc.errno or 0, (exc.strerror or str(exc), "check the folder, or set {setting} to another"))
    return FileSystemError(f"cannot {doing} {path}: {what}: {remedy.format(setting=setting)}", after_work=after_work)


def failure_text(exc: Exception) -> str:
    """How a report that raised ``exc`` is recorded: a file-system fault in words (path and
    what to do), anything else as ``Type: message``."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return str(file_system_error(exc, "write", "SENDLIB_REPORTS_DIR"))
    return f"{type(exc).__name__}: {exc}"
