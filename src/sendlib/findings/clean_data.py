"""What notebook 01 (the clean step) reports, in words: the tables built, the QA checks (their
column names put into words), coverage by table and year, which national sums are incomplete,
where the tables went, and the panel's national totals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sendlib import validate as qa
from sendlib.present.markup import code, escape
from sendlib.present.readable import NO_DATA, format_value, gbp_bn, markdown_table, project_path, years_span

#: Parts of the processed tables' column names, in words (column_words).
NAME_PARTS = {
    "la": "LA", "hn": "high-needs", "hnb": "high needs block", "dsg": "DSG", "ehcp": "EHC plans", "fy": "financial year",
    "gbp": "(£)", "pct": "(%)", "count": "", "pop": "population", "dfe": "(DfE)", "ons": "ONS", "iod": "IoD",
    "imd": "IMD", "idaci": "IDACI", "sen": "SEN", "avg": "average",
}
#: The tables of the coverage summary (tables.coverage_summary), in words.
COVERAGE_TABLES = {
    "hn_spend": "High-needs spending (S251 outturn)", "hnb_allocation": "High needs block allocation",
    "dsg_balance": "Cumulative DSG balance", "ehcp": "EHC plans (January in the year)",
    "population": "Population aged 2-18 (mid-year)", "sen_support": "Pupils with SEN support (January in the year)",
}
#: The panel's national totals: column -> (heading, "gbp_bn" or a unit of readable.format_value).
NATIONAL_TOTALS = {
    "hn_spend_gbp": ("High-needs spending (S251 lines 1.2.x)", "gbp_bn"),
    "hnb_after_deductions_gbp": ("High needs block after deductions", "gbp_bn"),
    "ehcp_count": ("EHC plans (January in the year)", "count"),
    "pop_2_18_count": ("Population aged 2-18 (mid-year)", "count"),
}


def column_words(name: str) -> str:
    """A processed table's column name in words: "la_code" -> "LA code", "hn_spend_gbp" ->
    "high-needs spend (£)", "pop_0_25_count" -> "population aged 0-25", "fy" -> "financial year"."""
    parts = re.sub(r"(?<![a-z])(\d+)_(\d+)(?![a-z])", r"aged \1-\2", name).split("_")
    return " ".join(word for word in (NAME_PARTS.get(part, part) for part in parts) if word)


def columns_in_words(text: str, names: set[str] | frozenset[str]) -> str:
    """``text`` with every column name of ``names`` in words (:func:`column_words`), a list such
    as "['la_code', 'fy']" as "LA code, financial year" and "fy=2023-24" as "financial year 2023-24"."""
    def listed(match: re.Match[str]) -> str:
        items = [item.strip(" '\"") for item in match.group(1).split(",")]
        return ", ".join(column_words(item) if item in names else item for item in items)

    def word(match: re.Match[str]) -> str:
        return column_words(match.group(1)) + (" " if match.group(2) else "")

    text = re.sub(r"\[((?:\s*'[^']*'\s*,?)+)\]", listed, text)
    if not names:
        return text
    pattern = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])({pattern})(?:(=)|(?![\w-]))", word, text)


def missing_with_names(text: str, names: Mapping[str, str]) -> str:
    """A QA message's "missing: 942, 943" as "missing: Cumberland (942), Westmorland and Furness
    (943)" (``names``: LA code -> name; an unknown code stays as it is)."""
    def named(match: re.Match[str]) -> str:
        codes = [code.strip() for code in match.group(2).split(",")]
        return match.group(1) + ", ".join(f"{names[c]} ({c})" if c in names else c for c in codes)

    return re.sub(r"(missing: )(\d{3}(?:, \d{3})*)", named, text)


def tables_markdown(built: Mapping[str, pd.DataFrame]) -> str:
    """Every table built, with its rows and columns (Markdown)."""
    frame = pd.DataFrame({"Table": sorted(built)})
    frame["Rows"] = [format_value(len(built[name]), "count") for name in frame["Table"]]
    frame["Columns"] = [str(built[name].shape[1]) for name in frame["Table"]]
    return markdown_table(frame, ["Each table is data/processed/<table>.parquet."])


def qa_counts(qa_table: pd.DataFrame) -> dict[str, int]:
    """Checks per result (PASS, ADVISORY, FAIL; 0 when none)."""
    counts = qa_table["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in (qa.PASS, qa.ADVISORY, qa.FAIL)}


def qa_tally(qa_table: pd.DataFrame) -> str:
    """"**90 PASS, 8 ADVISORY, 0 FAIL** over 10 tables."."""
    counts = qa_counts(qa_table)
    return (f"**{counts[qa.PASS]} PASS, {counts[qa.ADVISORY]} ADVISORY, {counts[qa.FAIL]} FAIL** over "
            f"{qa_table['table'].nunique()} tables.")


def qa_markdown(qa_table: pd.DataFrame, names: set[str] | frozenset[str], councils: Mapping[str, str],
                note: str) -> str:
    """The QA results as a Markdown table (table, check, result, detail), column names in words,
    missing councils named (``councils``: LA code -> name), with ``note`` (what the selection
    is) under it."""
    frame = pd.DataFrame({
        "Table": qa_table["table"].astype(str),
        "Check": [columns_in_words(str(text), names) for text in qa_table["check"]],
        "Result": qa_table["status"].astype(str),
        "Detail": [missing_with_names(columns_in_words(str(text), names), councils) for text in qa_table["message"]],
    })
    return markdown_table(frame, [note])


def coverage_markdown(coverage: pd.DataFrame) -> str:
    """Councils with a value per table (rows, in words) and financial year (Markdown); "no data"
    where the source has no such year."""
    frame = pd.DataFrame({"Table": [COVERAGE_TABLES.get(name, name) for name in coverage.index]})
    for fy in coverage.columns:
        frame[str(fy)] = [format_value(value, "count") for value in coverage[fy]]
    return markdown_table(frame, [f"\"{NO_DATA}\": the source has no values for that year."])


def incomplete_markdown(qa_table: pd.DataFrame, names: set[str] | frozenset[str], councils: Mapping[str, str]) -> str:
    """The table-years whose national sums are incomplete (ADVISORY coverage checks), as a list
    naming the missing councils."""
    rows = qa_table[(qa_table["status"] == qa.ADVISORY) & qa_table["check"].str.startswith("coverage")]
    lines = [f"- {escape(COVERAGE_TABLES.get(row.table, row.table))}, "
             f"{escape(columns_in_words(row.check.removeprefix('coverage '), names))}: "
             f"{escape(missing_with_names(row.message, councils))}" for row in rows.itertuples()]
    if not lines:
        return "Every table covers every expected council in every year."
    return "National sums over these table-years are **incomplete**:\n" + "\n".join(lines)


def written_sentence(n_tables: int, processed: Path, root: Path, panel: pd.DataFrame) -> str:
    """Where the tables went (relative to the project ``root``) and the panel's size."""
    return (f"Wrote {n_tables} tables to {code(project_path(processed, root))}; the panel has "
            f"{panel['unit'].nunique()} units × {panel['fy'].nunique()} financial years.")


def national_totals_markdown(panel: pd.DataFrame) -> str:
    """The panel's national totals by financial year (Markdown), "no data" for a year no council
    has, and under it the years each total covers."""
    sums = panel.groupby("fy")[list(NATIONAL_TOTALS)].sum(min_count=1)
    frame = pd.DataFrame({"Financial year": sums.index.astype(str)})
    notes = []
    for column, (heading, unit) in NATIONAL_TOTALS.items():
        frame[heading] = [gbp_bn(v) if unit == "gbp_bn" else format_value(v, unit) for v in sums[column]]
        notes.append(f"{heading}: {years_span(sums.index[sums[column].notna()].astype(str).tolist())}.")
    return markdown_table(frame, ["Sums over the panel's units with a value.", *notes])
