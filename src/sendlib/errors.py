"""Exceptions that name the file, row or parameter at fault."""

from __future__ import annotations


class SendlibError(Exception):
    """Base class for every error the project raises on purpose."""


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
