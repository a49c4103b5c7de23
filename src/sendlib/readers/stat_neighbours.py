"""DfE children's services statistical neighbours (LAIT "LA SN Groups" workbooks).

Each workbook (the 2025 model, ``sn_may_2025.xlsx``, and the April 2021 model,
``sn_april_2021.xlsx``) has one sheet, "LA SN Groups": two rows of column letters and
numbers, then the header row (row 3): ``LA num``, ``LA Name``, ``LA number``, ``GOInd``,
``GOReg``, then ``SN1``..``SN10`` (DfE codes of the 1st..10th nearest neighbour), each followed
by an ``SNP`` closeness band. After the current councils a row "Old SNs:" introduces the
pre-reorganisation councils (e.g. "Dorset (Pre LG)" 835, Northamptonshire 928): they are kept,
with ``old_section`` True. A council whose neighbours are all "-" (Cumberland and Westmorland
and Furness in the 2021 model, created after it) has no neighbours in that model and no rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, read_excel

DATASET = "stat_neighbours"
SHEET = "LA SN Groups"
#: Model label -> workbook.
MODEL_FILES = {"2025": "sn_may_2025.xlsx", "2021": "sn_april_2021.xlsx"}
NEIGHBOURS = 10
HEADER_ROW = 2  # 0-based: row 3 of the sheet
HEADER = ["LA num", "LA Name", "LA number", "GOInd", "GOReg",
          *[name for rank in range(1, NEIGHBOURS + 1) for name in (f"SN{rank}", "SNP")]]
#: Closeness bands, closest first (the file's capitalisation varies; compared in lower case).
CLOSENESS_BANDS = ("extremely close", "very close", "close", "somewhat close", "not close")
#: Cell text of a council with no neighbours in the model.
NO_NEIGHBOUR = "-"
OLD_SECTION_MARKER = "old sns"
COLUMNS = ["model", "la_code", "la_name", "rank", "neighbour_la_code", "closeness", "old_section"]


def _cell(value: object) -> str:
    """A cell as stripped text ("" when blank; whole numbers without ".0")."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _check_header(cells: list[str], path: Path) -> None:
    found = cells[: len(HEADER)]
    if found != HEADER:
        raise SourceFormatError(path, f"sheet {SHEET!r} row {HEADER_ROW + 1}: expected header {HEADER}, found {found}")


def normalise_band(text: str, path: Path, row: int, column: str) -> str:
    """A closeness band in lower case, or a SourceFormatError naming file, row, column and value."""
    band = " ".join(text.lower().split())
    if band not in CLOSENESS_BANDS:
        raise SourceFormatError(path, f"row {row}, column {column}: closeness {text!r} is not one of {list(CLOSENESS_BANDS)}")
    return band


def _la_code(text: str, path: Path, row: int, column: str) -> str:
    if len(text) != 3 or not text.isdigit():
        raise SourceFormatError(path, f"row {row}, column {column}: {text!r} is not a 3-digit DfE LA code")
    return text


def _council_rows(cells: list[str], path: Path, row: int, model: str, old_section: bool) -> list[dict]:
    """The neighbour rows of one council's line (none when every neighbour cell is "-")."""
    la_code = _la_code(cells[0], path, row, "LA num")
    if cells[2] != la_code:
        raise SourceFormatError(path, f"row {row}: LA num {la_code!r} and LA number {cells[2]!r} differ")
    pairs = [(cells[3 + 2 * rank], cells[4 + 2 * rank]) for rank in range(1, NEIGHBOURS + 1)]
    if all(code == NO_NEIGHBOUR and band == NO_NEIGHBOUR for code, band in pairs):
        return []
    records = []
    for rank, (code, band) in enumerate(pairs, start=1):
        records.append({
            "model": model, "la_code": la_code, "la_name": cells[1], "rank": rank,
            "neighbour_la_code": _la_code(code, path, row, f"SN{rank}"),
            "closeness": normalise_band(band, path, row, f"SNP after SN{rank}"), "old_section": old_section,
        })
    return records


def read_stat_neighbours_file(path: Path, model: str) -> pd.DataFrame:
    """One model's workbook as one row per (council, rank): COLUMNS, sorted by la_code and rank.

    Errors (SourceFormatError) name the file and the sheet row: a wrong header, a code that is
    not 3 digits, LA num and LA number differing, an unknown closeness band, a council listed
    twice, a row with text but no LA code (other than the "Old SNs:" marker).
    """
    frame = read_excel(path, SHEET, header=None, dtype=object)
    if len(frame) <= HEADER_ROW or frame.shape[1] < len(HEADER):
        raise SourceFormatError(path, f"sheet {SHEET!r} has no header row {HEADER_ROW + 1} with {len(HEADER)} columns")
    _check_header([_cell(v) for v in frame.iloc[HEADER_ROW]], path)
    records: list[dict] = []
    old_section = False
    for index in range(HEADER_ROW + 1, len(frame)):
        cells = [_cell(v) for v in frame.iloc[index, : len(HEADER)]]
        row = index + 1
        if not any(cells):
            continue
        if not cells[0]:
            if cells[1].lower().startswith(OLD_SECTION_MARKER) and not any(cells[2:]):
                old_section = True
                continue
            raise SourceFormatError(path, f"row {row}: no LA num but other cells filled: {[c for c in cells if c][:5]}")
        records += _council_rows(cells, path, row, model, old_section)
    table = pd.DataFrame(records, columns=COLUMNS)
    check_unique(table, ["la_code", "rank"], path)
    table["rank"] = table["rank"].astype("int64")
    table["old_section"] = table["old_section"].astype(bool)
    return table.sort_values(["la_code", "rank"]).reset_index(drop=True)


def read_stat_neighbours(raw_dir: Path | None = None, files: dict[str, str] | None = None) -> pd.DataFrame:
    """Both models (``model`` "2025" and "2021"), one row per (model, council, rank)."""
    folder = Path(raw_dir or config.raw_dir()) / DATASET
    models = files or MODEL_FILES
    tables = [read_stat_neighbours_file(folder / name, model) for model, name in models.items()]
    return pd.concat(tables, ignore_index=True).sort_values(["model", "la_code", "rank"]).reset_index(drop=True)
