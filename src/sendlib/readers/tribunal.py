"""The SEND Tribunal appeal rate per LA, calendar years 2014-2024: the formatted supporting file
"SEND Tribunals and appeal rate 2014-2024.csv" of the SEN2 2025 release zip.

The file is a table laid out for reading, not a tidy file: title rows, a two-row header (the
year over its three columns, then "Appeals registered", "Total Appealable Decisions" and "SEND
Tribunal Appeal Rate", each with footnote digits), region heading rows ("NORTH EAST", ...),
numbers with thousands separators, footnote digits after some names ("Cumbria8"), the England
total, then sources and notes. Cell markers: " - " is a true zero (no appeals), ".." not
available, "~" suppressed, "x" not available; ".." "~" "x" and blank cells become missing values
with a ``<column>_suppressed`` flag, never 0.

Left out: the two trailing "In development" columns of 2024 (a new, not comparable measure of
appealable decisions and its rate), and the row "England total excluding suppressed" (a partial
total). The file's own LA codes are kept as ``file_la_code``: several disagree with the names
(see :mod:`sendlib.tables`, which puts rows on DfE codes by name).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.errors import SourceFormatError
from sendlib.readers.common import read_csv_in_zip
from sendlib.readers.sen2 import release_path

MEMBER = "supporting-files/SEND Tribunals and appeal rate 2014-2024.csv"
#: Header words of each year's columns (footnote digits removed, lower case) -> our column.
MEASURES = {
    "appeals registered": "appeals_count",
    "total appealable decisions": "appealable_decisions_count",
    "send tribunal appeal rate": "appeal_rate_pct",
}
#: The counts (the rate is the file's own, kept for QA).
COUNTS = ["appeals_count", "appealable_decisions_count"]
IN_DEVELOPMENT = "in development"
NATIONAL = "england total"
PARTIAL_NATIONAL = "england total excluding suppressed"
END_OF_TABLE = ("sources", "notes")
TRUE_ZERO = "-"
MISSING = frozenset({"..", "~", "x", ""})
COLUMNS = ["geographic_level", "file_la_code", "la_name", "calendar_year",
           *[c for column in MEASURES.values() for c in (column, f"{column}_suppressed")]]

_FOOTNOTE = re.compile(r"\d+(,\d+)*$")


def without_footnote(text: str) -> str:
    """A name or header with its trailing footnote digits removed: "Cumbria8" -> "Cumbria"."""
    return _FOOTNOTE.sub("", str(text).strip()).strip()


def _header_row(grid: pd.DataFrame, where: str) -> int:
    """The position of the row starting "Local Authority", "LA code" (then the years)."""
    first_two = grid.iloc[:, :2].apply(lambda column: column.str.strip().str.lower())
    found = np.flatnonzero((first_two[0] == "local authority") & (first_two[1] == "la code"))
    if not len(found) or found[0] + 1 >= len(grid):
        raise SourceFormatError(where, "no header row starting 'Local Authority', 'LA code' followed by a row of measures")
    return int(found[0])


def _layout(years: pd.Series, measures: pd.Series, where: str) -> list[tuple[int, int, str]]:
    """(column position, calendar year, our column) of every cell read; the years row names a
    year over its first column only; "In development" columns are skipped."""
    year = years.str.strip().replace("", np.nan).ffill()
    layout = []
    for position in range(2, len(measures)):
        words = without_footnote(measures.iloc[position]).lower()
        if not words or words.startswith(IN_DEVELOPMENT):
            continue
        if words not in MEASURES or not re.fullmatch(r"\d{4}", str(year.iloc[position])):
            raise SourceFormatError(where, f"header column {position + 1} is {measures.iloc[position]!r} under year "
                                           f"{year.iloc[position]!r}; expected a year and one of {list(MEASURES)}")
        layout.append((position, int(year.iloc[position]), MEASURES[words]))
    found = pd.DataFrame(layout, columns=["position", "year", "column"]).groupby("year")["column"].agg(sorted)
    expected = sorted(MEASURES.values())
    bad = [int(y) for y, columns in found.items() if columns != expected]
    if found.empty or bad:
        raise SourceFormatError(where, f"years {bad or 'none'} do not have the three columns {expected}")
    return layout


def _cell_values(cells: pd.Series, where: str, what: str) -> tuple[pd.Series, pd.Series]:
    """Numbers of one column's cells: " - " = 0, markers and blanks missing and flagged."""
    text = cells.str.strip()
    flagged = text.str.lower().isin(MISSING)
    cleaned = text.mask(flagged).replace(TRUE_ZERO, "0").str.replace(",", "", regex=False).str.removesuffix("%")
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna() & ~flagged
    if bad.any():
        lines = (cells.index[bad] + 1).tolist()[:5]
        raise SourceFormatError(where, f"{what}: values {sorted(set(text[bad]))[:5]} on line(s) {lines} are not "
                                       f"numbers, ' - ' (zero), '..', '~' or 'x'")
    return numbers.astype("float64"), flagged.astype(bool)


def _body(grid: pd.DataFrame, start: int, layout: list[tuple[int, int, str]], where: str) -> pd.DataFrame:
    """The LA and England rows after the header, up to the sources and notes; headings skipped."""
    rows = grid.iloc[start:]
    names = rows[0].map(without_footnote)
    lowered = names.str.lower()
    end = np.flatnonzero(lowered.str.startswith(END_OF_TABLE).to_numpy())
    if len(end):
        rows, names, lowered = rows.iloc[:end[0]], names.iloc[:end[0]], lowered.iloc[:end[0]]
    code = rows[1].str.strip()
    blank = rows[[p for p, _, _ in layout]].apply(lambda column: column.str.strip() == "").all(axis=1)
    keep = ~(blank & (code == "")) & (lowered != PARTIAL_NATIONAL)
    rows, names, lowered, code = rows[keep], names[keep], lowered[keep], code[keep]
    bad = ~code.str.fullmatch(r"(\d{3})?") | (names == "")
    if bad.any():
        raise SourceFormatError(where, f"line(s) {(rows.index[bad] + 1).tolist()[:5]}: expected an LA name and a "
                                       f"3-digit LA code (or none), got {rows.loc[bad, [0, 1]].values.tolist()[:3]}")
    national = lowered.str.startswith(NATIONAL)
    return pd.DataFrame({"geographic_level": np.where(national, "National", "Local authority"),
                         "file_la_code": code.mask(national | (code == "")).astype("string"),
                         "la_name": names.where(~national, "England")}).join(rows[[p for p, _, _ in layout]])


def read_tribunal_appeals(raw_dir: Path | None = None) -> pd.DataFrame:
    """SEND Tribunal appeals registered, total appealable decisions and the file's appeal rate
    (%), per LA (and England) and calendar year 2014-2024, one row per name and year.

    Columns: geographic_level ("Local authority" or "National"), file_la_code (the file's
    code, missing where it has none), la_name (footnote digits removed), calendar_year,
    appeals_count, appealable_decisions_count, appeal_rate_pct, each with ``_suppressed``.
    """
    path = release_path(raw_dir)
    where = f"{path}:{MEMBER}"
    grid = read_csv_in_zip(path, MEMBER, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    header = _header_row(grid, where)
    layout = _layout(grid.iloc[header], grid.iloc[header + 1], where)
    body = _body(grid, header + 2, layout, where)
    ids = body[["geographic_level", "file_la_code", "la_name"]]
    parts = {}
    for position, year, column in layout:
        values, flags = _cell_values(body[position], where, f"{year} {column}")
        parts.setdefault(year, ids.assign(calendar_year=year))
        parts[year][column], parts[year][f"{column}_suppressed"] = values, flags
    table = pd.concat(parts.values(), ignore_index=True)[COLUMNS]
    keys = ["geographic_level", "la_name", "calendar_year"]
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        raise SourceFormatError(where, f"names appear twice: {sorted(set(table.loc[duplicated, 'la_name']))[:5]}")
    return table.sort_values(["calendar_year", "geographic_level", "la_name"], kind="stable").reset_index(drop=True)
