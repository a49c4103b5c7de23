"""DfE High Needs Benchmarking Tool extract, FY2021-22 (``hn_benchmarking/Outturn data 202122.xlsx``).

The workbook's only sheet is named ``Sheet1`` (it holds the tool's "All LA data" values; there is
no sheet of that name) and has a multi-row header (Excel rows 2-6) above one row per LA with its
3-digit code (from Excel row 8). Column blocks are separated by
blank columns; nothing is located by column letter: the reader finds the "LA code"/"LA name" and
"Year" cells, the "Section 251 budget"/"Section 251 outturn" block titles and the line labels under
them, and maps each label to a name (an unknown label is an error, so a layout change is noticed).

:func:`read_hn_benchmarking` gives the S251 high-needs lines in GBP, long, with these ``line`` names:

- ``place_funding_special_and_ap``: the block's "Place funding" headline. On the real file it equals
  place funding for special schools plus PRUs/AP only (exactly, for every LA and both stages), NOT
  the sum of its "of which" phases; ``place_funding_<phase>`` are those phases (``early_years``,
  ``primary``, ``secondary``, ``special``, ``ap``, ``post_school``).
- ``top_up_maintained_total`` (maintained schools, academies, free schools and colleges) and
  ``top_up_independent_total`` (non-maintained and independent schools and colleges): net top-ups,
  equal to the sum of the ``<prefix>_<phase>`` lines minus ``<prefix>_income`` (income is positive).
- ``sen_support_services``, ``alternative_provision_services``, ``hospital_education_services``,
  ``therapies_health_services``.
- Derived here (sums that are NaN when a part is missing):
  ``place_funding_total`` = the six place-funding phases;
  ``high_needs_total_excl_place_funding`` = both top-up totals + the four services lines;
  ``high_needs_total`` = ``place_funding_total`` + ``high_needs_total_excl_place_funding``.

``high_needs_total_excl_place_funding`` (outturn) reproduces ``s251`` ``hn_spend_gbp`` 2021-22
(S251 lines 1.2.x) within GBP 2 for 128 of 150 LAs; for the other 22 the S251 bucket is higher,
by GBP 47k to 2.1m (largest: Lancashire 2.1m, Lincolnshire 1.0m; England 6.477bn vs 6.487bn),
presumably 1.2.x lines the tool does not show (e.g. direct payments, PFI, targeted mainstream
funding). Adding place funding breaks the equality (fewer than 10 LAs would match).

:func:`read_hn_benchmarking_placements` gives the 2-18 population (ONS mid-2021 projection) and the
EHC plans (statements + EHCPs, aged up to 25) by placement. The counts sit on the pre-April-2021
geography (Northamptonshire has them, North/West Northamptonshire do not) and sum to 430,665 for
England, i.e. they are the January 2021 SEN2 counts, not January 2022. No value in the blocks
read is suppressed; a suppression marker would give NaN (flagged in the long table only).

The "Number of individuals qualifying for ... NFF factors" and "High needs NFF allocation" blocks
are empty in this extract, and the per-head "Table 3b" block is derivable (value / population),
so neither is read. Rows for LAs that did not exist in FY2021-22 (Northamptonshire 928;
Bournemouth 837, Poole 836, Dorset CC 835) carry no finance values and yield no rows; City of
London and Isles of Scilly are not in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, parse_numeric, read_excel
from sendlib.years import fy_label, fy_start

DATASET = "hn_benchmarking"
FILE = "Outturn data 202122.xlsx"
SHEET = 0
HEADER_SEARCH_ROWS = 20

STAGES = {"section 251 budget": "budget", "section 251 outturn": "outturn"}
#: heading label -> (prefix of its "of which" lines, name of the heading's own line)
GROUPS = {
    "place funding": ("place_funding", "place_funding_special_and_ap"),
    "top up funding (maintained schools, academies, free schools and colleges)": (
        "top_up_maintained", "top_up_maintained_total"),
    "top up funding (non-maintained and independent schools and colleges)": (
        "top_up_independent", "top_up_independent_total"),
}
PHASES = {
    "early years": "early_years", "primary": "primary", "secondary": "secondary",
    "special schools and academies": "special", "prus and ap academies": "ap",
    "post school": "post_school", "income": "income",
}
SERVICES = {
    "sen support and inclusion services": "sen_support_services",
    "alternative provision services": "alternative_provision_services",
    "hospital education services": "hospital_education_services",
    "therapies and other health related services": "therapies_health_services",
}
PLACE_FUNDING_PHASES = [
    f"place_funding_{phase}" for phase in ("early_years", "primary", "secondary", "special", "ap", "post_school")]
EXCL_PLACE_FUNDING = ["top_up_maintained_total", "top_up_independent_total", *SERVICES.values()]
DERIVED_LINES = {
    "place_funding_total": PLACE_FUNDING_PHASES,
    "high_needs_total_excl_place_funding": EXCL_PLACE_FUNDING,
    "high_needs_total": PLACE_FUNDING_PHASES + EXCL_PLACE_FUNDING,
}
POPULATION_LABEL = "2-18 population"
EHCP_TOTAL_LABEL = "with sen statement or ehcp"
PLACEMENTS = {
    EHCP_TOTAL_LABEL: "ehcp_count",
    "mainstream schools or academies": "ehcp_mainstream_count",
    "resourced provision or sen units": "ehcp_resourced_provision_count",
    "maintained special schools or special academies": "ehcp_special_count",
    "nmss or independent schools": "ehcp_nmss_independent_count",
    "hospital schools or alternative provision": "ehcp_hospital_ap_count",
    "post 16": "ehcp_post16_count",
    "other": "ehcp_other_count",
}
LONG_COLUMNS = ["la_code", "la_name", "fy", "stage", "line", "value_gbp", "value_gbp_suppressed"]
PLACEMENT_COLUMNS = ["la_code", "la_name", "fy", "population_2_18_count", *PLACEMENTS.values()]


@dataclass(frozen=True)
class _Sheet:
    """The sheet split into header rows and LA rows, with the identifier columns located."""

    path: Path
    raw: pd.DataFrame
    header: pd.DataFrame
    data: pd.DataFrame
    ids: pd.DataFrame  # la_code, la_name, aligned with ``data``
    fy: str


def default_path() -> Path:
    """The extract under ``config.raw_dir()``."""
    return config.raw_dir() / DATASET / FILE


def read_hn_benchmarking(path: Path | None = None) -> pd.DataFrame:
    """S251 budget and outturn high-needs lines per LA, long: :data:`LONG_COLUMNS`, sorted by
    ``la_code, stage, line``; see the module docstring for the line names."""
    sheet = _load(path or default_path())
    stage_cells = _cells(sheet.header, lambda text: text in STAGES)
    if sorted(STAGES[label] for _, _, label in stage_cells) != sorted(STAGES.values()):
        raise SourceFormatError(sheet.path, f"sheet {SHEET}: expected one 'Section 251 budget' and one "
                                            f"'Section 251 outturn' block title, found {[c[2] for c in stage_cells]}")
    frames = [_stage_lines(sheet, row, col, STAGES[label]) for row, col, label in stage_cells]
    table = pd.concat(frames, ignore_index=True)
    table = pd.concat([table, _derived_lines(sheet.path, table)], ignore_index=True)
    check_unique(table, ["la_code", "stage", "line"], sheet.path)
    return table[LONG_COLUMNS].sort_values(["la_code", "stage", "line"], ignore_index=True)


def read_hn_benchmarking_placements(path: Path | None = None) -> pd.DataFrame:
    """2-18 population and EHC plans by placement per LA: :data:`PLACEMENT_COLUMNS`, sorted by
    ``la_code``; LAs with no positive value at all (defunct rows) are dropped."""
    sheet = _load(path or default_path())
    population_cols = sorted({col for _, col, _ in _cells(sheet.header, lambda t: t.startswith(POPULATION_LABEL))})
    ehcp_cells = _cells(sheet.header, lambda t: t == EHCP_TOTAL_LABEL)
    if len(population_cols) != 1 or len(ehcp_cells) != 1:
        raise SourceFormatError(sheet.path, f"sheet {SHEET}: expected one '2-18 Population' column and one "
                                            f"'with SEN statement or EHCP' column in the header")
    row, first = ehcp_cells[0][:2]
    table = sheet.ids.assign(fy=sheet.fy, population_2_18_count=_numbers(sheet, population_cols[0])[0])
    for col in range(first, _block_end(sheet.raw, first)):
        label = _label(sheet, row, col)
        if label not in PLACEMENTS:
            raise SourceFormatError(sheet.path, f"sheet {SHEET} column {_letter(col)}: unknown placement "
                                                f"{label!r}; expected one of {list(PLACEMENTS)}")
        table[PLACEMENTS[label]] = _numbers(sheet, col)[0]
    missing = [c for c in PLACEMENT_COLUMNS if c not in table.columns]
    if missing:
        raise SourceFormatError(sheet.path, f"sheet {SHEET}: placement column(s) {missing} not found")
    counts = table[PLACEMENT_COLUMNS[3:]]
    table = table.loc[(counts > 0).any(axis=1), PLACEMENT_COLUMNS]
    return table.sort_values("la_code", ignore_index=True)


def _normalise(value: object) -> str:
    """Lower-case label with whitespace collapsed and the tool's "(1)"/"(2)" footnote marks removed."""
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    return re.sub(r"\s*\(\d\)$", "", text)


def _letter(col: int) -> str:
    """Spreadsheet column letter of a 0-based column index."""
    return get_column_letter(col + 1)


def _cells(frame: pd.DataFrame, predicate) -> list[tuple[int, int, str]]:
    """(row, col, normalised label) of every text cell whose label satisfies ``predicate``."""
    found = []
    for (row, col), value in frame.stack().items():
        if isinstance(value, str) and predicate(_normalise(value)):
            found.append((int(row), int(col), _normalise(value)))
    return found


def _la_code(value: object) -> str | None:
    """A DfE 3-digit LA code as a string, or None if ``value`` is not one."""
    text = str(value).strip()
    if re.fullmatch(r"\d{3}(\.0)?", text):
        return text[:3]
    return None


def _load(path: Path) -> _Sheet:
    """Read the sheet and locate header, LA rows, identifier columns and the year."""
    raw = read_excel(path, SHEET, header=None)
    raw.columns = range(raw.shape[1])
    top = raw.iloc[:HEADER_SEARCH_ROWS]
    code_cells = _cells(top, lambda t: t == "la code")
    if len(code_cells) != 1:
        raise SourceFormatError(path, f"sheet {SHEET}: expected one 'LA code' header cell, found {len(code_cells)}")
    header_row, code_col, _ = code_cells[0]
    name_cells = [c for c in _cells(top, lambda t: t == "la name") if c[0] == header_row]
    if not name_cells:
        raise SourceFormatError(path, f"sheet {SHEET}: no 'LA name' header beside 'LA code' (row {header_row + 1})")
    codes = raw[code_col].map(_la_code)
    data_rows = codes.index[(codes.index > header_row) & codes.notna()]
    if data_rows.empty:
        raise SourceFormatError(path, f"sheet {SHEET}: no LA rows with a 3-digit code in column {_letter(code_col)}")
    first, name_col = data_rows[0], name_cells[0][1]
    body = raw.loc[first:]
    bad = (body[code_col].notna() | body[name_col].notna()) & codes.loc[first:].isna()
    if bad.any():
        row = bad.idxmax()
        raise SourceFormatError(
            path, f"sheet {SHEET} row {row + 1}: LA code {body.at[row, code_col]!r} is not a 3-digit code")
    body = body[body[code_col].notna()]
    ids = pd.DataFrame({"la_code": codes.loc[body.index].astype("str"),
                        "la_name": body[name_col].astype("str").str.strip()})
    check_unique(ids, ["la_code"], path)
    header = raw.loc[: first - 1]
    return _Sheet(path=path, raw=raw, header=header, data=body, ids=ids, fy=_year(path, header))


def _year(path: Path, header: pd.DataFrame) -> str:
    """The FY named next to the first "Year" header cell."""
    cells = _cells(header, lambda t: t == "year")
    if not cells:
        raise SourceFormatError(path, f"sheet {SHEET}: no 'Year' cell in the header")
    row, col, _ = min(cells)
    right = header.loc[row, col + 1:].dropna()
    try:
        return fy_label(fy_start(str(right.iloc[0]).strip()))
    except (IndexError, ValueError) as exc:
        raise SourceFormatError(path, f"sheet {SHEET} row {row + 1}: no 'YYYY-YY' year after 'Year' ({exc})") from exc


def _block_end(raw: pd.DataFrame, start: int) -> int:
    """The first entirely blank column after ``start`` (or the sheet width): blocks end there."""
    blank = raw.isna().all(axis=0)
    after = [col for col in raw.columns if col > start and blank[col]]
    return after[0] if after else raw.shape[1]


def _label(sheet: _Sheet, row: int, col: int) -> str:
    """The normalised header label at (row, col); a blank label is an error."""
    value = sheet.raw.at[row, col]
    if pd.isna(value) or not str(value).strip():
        raise SourceFormatError(sheet.path, f"sheet {SHEET} column {_letter(col)} row {row + 1}: expected a label")
    return _normalise(value)


def _numbers(sheet: _Sheet, col: int) -> tuple[pd.Series, pd.Series]:
    """The LA values of one column as (float values, suppressed flag)."""
    try:
        return parse_numeric(sheet.data[col])
    except ValueError as exc:
        raise SourceFormatError(sheet.path, f"sheet {SHEET} column {_letter(col)}: {exc}") from exc


def _line_names(sheet: _Sheet, row: int, cols: range) -> dict[int, str]:
    """``{column: line name}`` for one stage block, from the labels on ``row``."""
    names: dict[int, str] = {}
    prefix = None
    for col in cols:
        label = _label(sheet, row, col)
        if label in GROUPS:
            prefix, names[col] = GROUPS[label]
        elif label in SERVICES:
            prefix, names[col] = None, SERVICES[label]
        elif label in PHASES and prefix:
            names[col] = f"{prefix}_{PHASES[label]}"
        else:
            raise SourceFormatError(sheet.path, f"sheet {SHEET} column {_letter(col)} row {row + 1}: unexpected "
                                                f"line label {label!r}")
    return names


def _stage_lines(sheet: _Sheet, title_row: int, title_col: int, stage: str) -> pd.DataFrame:
    """One stage block (budget or outturn) as long rows; LA/line cells without a value are dropped."""
    names = _line_names(sheet, title_row + 1, range(title_col, _block_end(sheet.raw, title_col)))
    frames = []
    for col, line in names.items():
        values, suppressed = _numbers(sheet, col)
        frames.append(sheet.ids.assign(fy=sheet.fy, stage=stage, line=line, value_gbp=values,
                                       value_gbp_suppressed=suppressed))
    table = pd.concat(frames, ignore_index=True)
    return table[table["value_gbp"].notna() | table["value_gbp_suppressed"]]


def _derived_lines(path: Path, table: pd.DataFrame) -> pd.DataFrame:
    """The :data:`DERIVED_LINES` sums per LA and stage."""
    wide = table.pivot(index=["la_code", "la_name", "fy", "stage"], columns="line", values="value_gbp")
    missing = sorted({line for parts in DERIVED_LINES.values() for line in parts} - set(wide.columns))
    if missing:
        raise SourceFormatError(path, f"sheet {SHEET}: line(s) {missing} not found in the S251 blocks")
    derived = pd.DataFrame({name: wide[parts].sum(axis=1, skipna=False) for name, parts in DERIVED_LINES.items()})
    derived.columns.name = "line"
    long = derived.stack().rename("value_gbp").reset_index()
    return long[long["value_gbp"].notna()].assign(value_gbp_suppressed=False)
