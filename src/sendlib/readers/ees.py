"""Helpers for Explore Education Statistics (EES) tidy files: the geography columns every such
file carries, its ``time_period`` codes, the rows of one breakdown, and count columns read with
suppression kept missing and flagged (never 0).

An EES tidy file has one row per area (``geographic_level`` National, Regional or Local
authority), period and breakdown (``breakdown_topic`` / ``breakdown``); ``x`` and ``z`` mark
values not available or not applicable.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, numeric_column, parse_numeric, require_columns

#: The geography columns of every EES tidy file.
EES_GEOGRAPHY_COLUMNS = (
    "time_period", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
)
EES_LEVELS = ("National", "Regional", "Local authority")
ID_COLUMNS = ["geographic_level", "la_code", "ons_code", "la_name"]
#: Sort order of EES tables: period first, then England, regions, LAs.
LEVEL_KEYS = ["geographic_level", "la_code", "ons_code"]

_CALENDAR_YEAR = re.compile(r"^\d{4}$")
_ACADEMIC_YEAR = re.compile(r"^(\d{4})(\d{2})$")


def ees_identifiers(frame: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """``geographic_level, la_code, ons_code, la_name`` of each row of an EES tidy file.

    LA rows keep their 3-digit ``old_la_code`` and ``new_la_code``; regional rows take the
    region's code and name, the national row the country's (E92000001, England).
    """
    require_columns(frame, EES_GEOGRAPHY_COLUMNS, path)
    level = frame["geographic_level"].astype("str")
    unknown = sorted(set(level) - set(EES_LEVELS))
    if unknown:
        raise SourceFormatError(path, f"column 'geographic_level' has unexpected values {unknown}")
    is_la, is_region = level == "Local authority", level == "Regional"
    la_code = frame["old_la_code"].astype("str").str.strip().where(is_la)
    bad = is_la & ~la_code.str.fullmatch(r"\d{3}").fillna(False).astype(bool)
    if bad.any():
        rows = (frame.index[bad] + 2).tolist()[:5]
        raise SourceFormatError(path, f"column 'old_la_code' is not a 3-digit LA code on line(s) {rows}")
    ons_code = np.select([is_la, is_region], [frame["new_la_code"], frame["region_code"]], frame["country_code"])
    la_name = np.select([is_la, is_region], [frame["la_name"], frame["region_name"]], frame["country_name"])
    return pd.DataFrame(
        {"geographic_level": level, "la_code": la_code,
         "ons_code": pd.Series(ons_code, index=frame.index, dtype="str"),
         "la_name": pd.Series(la_name, index=frame.index, dtype="str").str.strip()},
        index=frame.index,
    )


def january_from_time_period(values: pd.Series, path: Path | str) -> pd.Series:
    """The January of an EES ``time_period``: "2022" -> 2022, academic "201819" -> 2019."""
    text = values.astype("str").str.strip()
    calendar = text.str.fullmatch(_CALENDAR_YEAR.pattern).fillna(False).astype(bool)
    parts = text.str.extract(_ACADEMIC_YEAR)
    start = pd.to_numeric(parts[0], errors="coerce")
    academic = parts[1].notna() & ((start + 1) % 100 == pd.to_numeric(parts[1], errors="coerce"))
    bad = ~(calendar | academic)
    if bad.any():
        examples = sorted(set(text[bad].astype(str)))[:5]
        raise SourceFormatError(path, f"column 'time_period' has values {examples}; expected YYYY or YYYYyy")
    january = pd.to_numeric(text.where(calendar), errors="coerce").fillna(start + 1)
    return january.astype("int64")


def calendar_year_from_time_period(values: pd.Series, path: Path | str) -> pd.Series:
    """The calendar year of a flow's EES ``time_period`` ("2022" -> 2022); anything else, such
    as an academic year "202122", is a SourceFormatError."""
    text = values.astype("str").str.strip()
    bad = ~text.str.fullmatch(_CALENDAR_YEAR.pattern).fillna(False).astype(bool)
    if bad.any():
        examples = sorted(set(text[bad].astype(str)))[:5]
        raise SourceFormatError(path, f"column 'time_period' has values {examples}; expected a calendar year YYYY")
    return text.astype("int64")


def breakdown_rows(frame: pd.DataFrame, topic: str, path: Path | str) -> pd.DataFrame:
    """The rows of one ``breakdown_topic`` (e.g. the totals, "All EHC plans")."""
    require_columns(frame, ["breakdown_topic", "breakdown"], path)
    rows = frame[frame["breakdown_topic"].astype("str").str.strip() == topic]
    if rows.empty:
        topics = sorted(set(frame["breakdown_topic"].dropna().astype(str)))[:10]
        raise SourceFormatError(path, f"no rows with breakdown_topic {topic!r}; topics present: {topics}")
    return rows


def region_total_copies(rows: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """True for LA counts that repeat their region's total when at least two LAs of the region
    do so: counts are not negative, so two LAs each equal to a non-zero regional total is
    impossible (the 2025 release gives every Yorkshire and the Humber council the region's
    6,078 new plans of 2022). ``rows`` must hold the regional rows too."""
    level = rows["geographic_level"].astype("str").to_numpy()
    key = (rows["time_period"].astype("str") + "|" + rows["region_code"].astype("str")).to_numpy()
    regional = counts[level == "Regional"].set_axis(key[level == "Regional"]).groupby(level=0).first()
    totals = regional.reindex(key).to_numpy()
    same = (level == "Local authority")[:, None] & (counts.to_numpy() == totals) & (counts.to_numpy() > 0)
    repeats = pd.DataFrame(same).groupby(key).transform("sum").to_numpy()
    return pd.DataFrame(same & (repeats >= 2), index=counts.index, columns=counts.columns)


def _parse_block(rows: pd.DataFrame, columns: list[str], where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """parse_numeric over several columns at once (numbers, suppressed flags)."""
    try:
        numbers, suppressed = parse_numeric(pd.Series(rows[columns].to_numpy().ravel(order="F")))
    except ValueError:  # parse column by column to name the column at fault
        for column in columns:
            numeric_column(rows[column], where, column)
        raise
    shape = (len(columns), len(rows))
    frame = {"index": rows.index, "columns": columns}
    return (pd.DataFrame(numbers.to_numpy().reshape(shape).T, **frame),
            pd.DataFrame(suppressed.to_numpy().reshape(shape).T, **frame))


def count_columns(rows: pd.DataFrame, columns: dict[str, str], where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts ``{source column: our column}`` of EES rows, each with ``<ours>_suppressed``
    (``x``/``z`` and the other markers: missing and flagged, never 0), and a frame (our column
    names) saying which values were set aside because they repeat the regional total: those
    are missing but not flagged as suppressed (the source gave a number, a wrong one)."""
    require_columns(rows, list(columns), where)
    numbers, suppressed = _parse_block(rows, list(columns), where)
    copies = region_total_copies(rows, numbers)
    numbers = numbers.mask(copies)
    counts = pd.DataFrame(index=rows.index)
    for source, ours in columns.items():
        counts[ours], counts[f"{ours}_suppressed"] = numbers[source], suppressed[source]
    return counts, copies.set_axis(list(columns.values()), axis=1)


def set_aside_note(set_aside: pd.DataFrame) -> pd.Series:
    """Per row, "set aside, repeats the regional total: <columns>" or missing."""
    notes = pd.Series(pd.NA, index=set_aside.index, dtype="string")
    if not set_aside.to_numpy().any():
        return notes
    names = pd.Series("", index=set_aside.index, dtype="str")
    for column in set_aside.columns:
        names = names.where(~set_aside[column], names + ", " + column)
    return notes.mask(names != "", "set aside, repeats the regional total: " + names.str.removeprefix(", "))


def sorted_unique(table: pd.DataFrame, keys: list[str], path: Path | str) -> pd.DataFrame:
    """Check ``keys`` are unique, then sort by them (England first) with a fresh index."""
    check_unique(table, keys, path)
    return table.sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)
