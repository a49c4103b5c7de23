"""Helpers shared by the readers: opening files with clear errors, checking columns,
and turning suppression markers into missing values with a flag (never 0)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sendlib.errors import SourceFormatError

#: Markers DfE/ONS use for values that are suppressed, not applicable or not available.
SUPPRESSION_MARKERS = frozenset({"c", "x", "z", ":", "..", ".", "-", "u", "low", "[c]", "[x]", "[z]", "[u]"})


def require_file(path: Path) -> Path:
    """Return ``path`` if it is a file, else a SourceFormatError saying how to get it."""
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(path, "file not found; run `make data` (or `sendlib data`) to acquire the raw files")
    return path


def require_columns(frame: pd.DataFrame, columns: Iterable[str], path: Path, where: str = "") -> None:
    """Raise a SourceFormatError naming every expected column that is missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        place = f" in {where}" if where else ""
        raise SourceFormatError(
            path, f"expected column(s) {missing}{place} not found; columns present: {list(map(str, frame.columns))[:40]}"
        )


def read_excel(path: Path, sheet: str | int, **kwargs) -> pd.DataFrame:
    """Read one sheet of an .xls/.xlsx/.ods workbook, naming the file and sheet on failure."""
    path = require_file(path)
    engine = "odf" if path.suffix.lower() == ".ods" else "calamine"
    try:
        return pd.read_excel(path, sheet_name=sheet, engine=engine, **kwargs)
    except (ValueError, KeyError) as exc:
        if "not found" in str(exc).lower() or "worksheet" in str(exc).lower():
            raise SourceFormatError(path, f"sheet {sheet!r} not found ({exc})") from exc
        raise SourceFormatError(path, f"cannot read sheet {sheet!r}: {exc}") from exc
    except Exception as exc:  # truncated/corrupted workbooks raise engine-specific errors
        raise SourceFormatError(path, f"cannot be read as a workbook (truncated or corrupted?): {exc}") from exc


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, naming the file if it cannot be opened."""
    path = require_file(path)
    engine = "odf" if path.suffix.lower() == ".ods" else "calamine"
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            return list(book.sheet_names)
    except Exception as exc:
        raise SourceFormatError(path, f"cannot be read as a workbook (truncated or corrupted?): {exc}") from exc


def read_csv_in_zip(path: Path, member: str, **kwargs) -> pd.DataFrame:
    """Read a CSV straight out of a zip archive."""
    path = require_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if member not in archive.namelist():
                raise SourceFormatError(path, f"archive has no member {member!r}")
            with archive.open(member) as handle:
                return pd.read_csv(handle, **kwargs)
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(path, f"not a valid zip archive (truncated or corrupted?): {exc}") from exc


def parse_numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a raw column: returns (float values, suppressed flag).

    Suppression markers become NaN with ``suppressed=True``; thousands separators are
    removed; any other non-numeric text is an error (ValueError listing examples).
    """
    text = values.astype("string").str.strip()
    suppressed = text.str.lower().isin(SUPPRESSION_MARKERS).fillna(False).astype(bool)
    cleaned = text.mask(suppressed).str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna() & cleaned.notna() & (cleaned != "")
    if bad.any():
        examples = sorted(set(cleaned[bad].astype(str)))[:5]
        raise ValueError(f"non-numeric values {examples} (not a known suppression marker)")
    return numbers.astype("float64"), suppressed


def check_unique(frame: pd.DataFrame, keys: list[str], path: Path) -> None:
    """Raise a SourceFormatError naming duplicated key rows."""
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        examples = frame.loc[dup, keys].drop_duplicates().head(5).to_dict("records")
        raise SourceFormatError(path, f"duplicated rows for key {keys}: {examples}")


def numeric_column(values: pd.Series, path: Path, column: str) -> tuple[pd.Series, pd.Series]:
    """parse_numeric, with the file and column named on failure."""
    try:
        return parse_numeric(values)
    except ValueError as exc:
        raise SourceFormatError(path, f"column {column!r}: {exc}") from exc
