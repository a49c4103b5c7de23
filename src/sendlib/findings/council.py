"""Sentences and marks of the council profile (05_council_profile) that are built from its
numbers: the small-number flags beside the headline measures and their note, and the line
that links the report's data.
"""

from __future__ import annotations

import pandas as pd

from sendlib.analysis import standard_measures
from sendlib.geography import search_words
from sendlib.present.markup import escape
from sendlib.present.readable import NO_DATA, markdown_table
from sendlib.present.reportpage import plain_council_name

SMALL_MARK = " (small numbers)"


def mark_small_numbers(headline: pd.DataFrame, table: pd.DataFrame, flags: pd.DataFrame, column: str) -> pd.DataFrame:
    """``headline`` (a text frame with a row per row of the measure ``table``) with SMALL_MARK
    after the ``column`` value of every measure in ``flags`` (sendlib.analysis.small_numbers) that
    has a value."""
    marked = headline.copy()
    flagged = set(flags["measure"])
    marked[column] = [text + SMALL_MARK if key in flagged and text != NO_DATA else text
                      for key, text in zip(table["measure"], headline[column])]
    return marked


def small_numbers_notes(flags: pd.DataFrame, unit_label: str) -> list[str]:
    """One note per count the flagged measures rest on, at its smallest: "Small numbers:
    Isles of Scilly had 11 EHC plans in 2017-18, fewer than 500: by chance alone a count that
    size moves by about 3 of them (30%) a year, so the measures marked "small numbers" rest on few
    children; read them and their changes with care."""
    notes = []
    for label, rows in flags.groupby("count_label", sort=True):
        row = rows.sort_values(["count", "count_fy"]).iloc[0]
        moves = row["count"] * row["chance_share"]
        notes.append(
            f"Small numbers: {unit_label} had {row['count']:,.0f} {label} in {row['count_fy']}, fewer than "
            f"{row['threshold']:,}: by chance alone a count that size moves by about {moves:,.0f} of them "
            f"({100 * row['chance_share']:.0f}%) a year, so the measures marked \"{SMALL_MARK.strip(' ()')}\" "
            "rest on few children; read them and their changes with care.")
    return notes


def headline_table(table: pd.DataFrame, flags: pd.DataFrame, unit_label: str, comparators_heading: str) -> str:
    """The headline summary (Markdown) of a standard measure ``table``: the measures, the unit's
    values marked where ``flags`` says they rest on small numbers, then the notes on missing
    values and on the small numbers."""
    headline = standard_measures.headline_frame(table, unit_label, comparators_heading)
    notes = standard_measures.missing_notes(table, unit_label) + small_numbers_notes(flags, unit_label)
    return markdown_table(mark_small_numbers(headline, table, flags, unit_label), notes)


def data_zip_name(la_name: str, la_code: str) -> str:
    """The stem of the zip of a council's CSVs: "stockport_356_high_needs_data"."""
    return "_".join([*search_words(plain_council_name(la_name)), la_code, "high_needs_data"])


def data_sentence(zip_stem: str) -> str:
    """The Markdown line that says where the report's data is: a CSV under each figure, and all
    of them in one zip (linked relative to the report folder)."""
    return (f"The data behind each figure is in a CSV linked under it; all of this report's CSVs are in one file: "
            f"[{escape(zip_stem)}.zip]({zip_stem}.zip).")
