"""Dedicated Schools Grant (DSG) allocations per LA, FY2019-20..2023-24, in GBP.

Columns: ``hnb_before_deductions_gbp`` (high needs block before deductions for places funded
directly by ESFA), ``hnb_after_deductions_gbp`` (after them), ``dsg_total_gbp`` (total DSG before
academy recoupment and deductions), plus ``source_file``.

Sources (``dsg_allocations/``), all with one row per LA (3-digit code, then name) followed by
aggregate rows (ENGLAND; LONDON, METROPOLITAN, UNITARY and UPPER TIER AUTHORITIES; the 9 regions):

- ``dedicated-schools-grant_YYYY_MM_DD.ods``: ESFA in-year workbooks for FY2020-21..2023-24 (the FY
  is read from the Information sheet and checked against the summary's title). ``Allocations_summary``
  has the three columns; ``High_needs_block`` ("Total high needs block before deductions") and
  ``High_needs_deductions`` (total deduction for direct funding of places) detail the block.
- ``dedicated-schools-grant.ods``: the SEND dashboard's amalgamation of the summaries, sheets
  ``Allocations_1920`` (GBP MILLION: the unit is read from the column labels and scaled by 1e6)
  and ``Allocations_2021``.. ``_2324`` (GBP).
- ``DSG_by_year_dr.xlsx``: total DSG before recoupment, one sheet per FY (March vintages).

Primary source, per column and year (same for all three columns):

- FY2020-21..2023-24: the ESFA workbook naming that FY (the latest file if several do). These are
  the last in-year updates published for each year (Nov 2021, Jul 2022, Jul 2023, Jul 2024), so the
  closest to what LAs finally received, and the only files with the block's derivation.
- FY2019-20: ``Allocations_1920`` of the amalgamation, the only source of the HNB for that year.

Cross-checks on the real files (see tests): the amalgamation equals the ESFA workbooks exactly for
2020-21 and 2021-22 and for the 2022-23 HNB before deductions; it is an earlier vintage otherwise
(England: 2022-23 HNB after +GBP 0.12m in 4 LAs, total DSG +17.1m; 2023-24 HNB before +1.8m, after
+12.3m, total +29.7m). ``DSG_by_year_dr.xlsx`` equals the amalgamation for 2019-20, 2022-23 and
2023-24 and differs from the primary total DSG by -58.3m (2020-21) and +25.9m (2021-22) for England.
In every ESFA workbook, High_needs_block equals the summary and before - deductions = after.

England HNB before deductions: 6.28bn (2019-20), 7.06, 7.91, 8.99, 9.95bn (2023-24). City of London
and Isles of Scilly are absent from every file (149, 149, 150, 150, 151 LAs a year). The LA-type
aggregates are not returned; LONDON appears as a type and as a region with equal values and is
returned once, as a region.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, parse_numeric, read_excel, require_columns
from sendlib.years import fy_from_time_period, fy_label, fy_start

DATASET = "dsg_allocations"
AMALGAMATED_FILE = "dedicated-schools-grant.ods"
DSG_BY_YEAR_FILE = "DSG_by_year_dr.xlsx"
ESFA_PATTERN = re.compile(r"^dedicated-schools-grant_\d{4}_\d{2}_\d{2}\.ods$")
AMALGAMATED_SHEET = re.compile(r"^Allocations_\d{4}$")
SUMMARY_SHEET = "Allocations_summary"
HNB_SHEET = "High_needs_block"
DEDUCTIONS_SHEET = "High_needs_deductions"
DR_VALUE = "Total DSG allocation (£s)"
DR_COLUMNS = ["la_code", "la_name", DR_VALUE, "time_period"]

LA_LEVEL, NATIONAL, REGIONAL, LA_TYPE = "Local authority", "National", "Regional", "LA type"
REGIONS = {name.lower(): name for name in (
    "London", "East of England", "East Midlands", "North East", "North West", "South East",
    "South West", "West Midlands", "Yorkshire and the Humber")}
LA_TYPES = {name.lower(): name for name in (
    "Metropolitan authorities", "Unitary authorities", "Upper tier authorities")}
UNITS = {"£ million": 1e6, "£s": 1.0}
VALUE_COLUMNS = ["hnb_before_deductions_gbp", "hnb_after_deductions_gbp", "dsg_total_gbp"]
AREA_COLUMNS = ["geographic_level", "la_code", "area_name", "fy", "fy_start"]
SUMMARY_COLUMNS = [*AREA_COLUMNS, *VALUE_COLUMNS, "source_file"]
LA_COLUMNS = ["la_code", "la_name", "fy", "fy_start", *VALUE_COLUMNS, "source_file"]
NATIONAL_COLUMNS = ["geographic_level", "area_name", "fy", "fy_start", *VALUE_COLUMNS, "source_file"]


# --- public readers -------------------------------------------------------------------------

def read_dsg_allocations(raw_dir: Path | None = None) -> pd.DataFrame:
    """LA rows from the primary sources: :data:`LA_COLUMNS`, sorted by ``fy, la_code``."""
    table = _primary(raw_dir)
    las = table[table["geographic_level"] == LA_LEVEL].rename(columns={"area_name": "la_name"})
    return las[LA_COLUMNS].sort_values(["fy", "la_code"], ignore_index=True)


def read_dsg_allocations_national(raw_dir: Path | None = None) -> pd.DataFrame:
    """England and regional rows from the same primary sources: :data:`NATIONAL_COLUMNS`."""
    table = _primary(raw_dir)
    totals = table[table["geographic_level"].isin([NATIONAL, REGIONAL])]
    return totals[NATIONAL_COLUMNS].sort_values(["fy", "geographic_level", "area_name"], ignore_index=True)


def esfa_paths(raw_dir: Path | None = None) -> list[Path]:
    """The ESFA in-year workbooks, oldest first (the date is in the name)."""
    folder = (raw_dir or config.raw_dir()) / DATASET
    paths = sorted(p for p in folder.glob("dedicated-schools-grant_*.ods") if ESFA_PATTERN.match(p.name))
    if not paths:
        raise SourceFormatError(folder, "no dedicated-schools-grant_YYYY_MM_DD.ods workbooks; run `make data`")
    return paths


def read_esfa_summary(path: Path) -> pd.DataFrame:
    """``Allocations_summary`` of one ESFA workbook, every area: :data:`SUMMARY_COLUMNS`."""
    sheets = _workbook(path)
    fy = _esfa_year(path, sheets)
    table = _summary(path, SUMMARY_SHEET, _sheet(path, sheets, SUMMARY_SHEET))
    if set(table["fy"]) != {fy}:
        raise SourceFormatError(path, f"sheet {SUMMARY_SHEET!r} is titled {sorted(set(table['fy']))} but the "
                                      f"Information sheet names {fy}")
    return table


def read_amalgamated_allocations(path: Path | None = None) -> pd.DataFrame:
    """Every ``Allocations_YYYY`` sheet of the amalgamated workbook: :data:`SUMMARY_COLUMNS`."""
    path = path or config.raw_dir() / DATASET / AMALGAMATED_FILE
    sheets = {name: frame for name, frame in _workbook(path).items() if AMALGAMATED_SHEET.match(name)}
    if not sheets:
        raise SourceFormatError(path, "no Allocations_YYYY sheets")
    table = pd.concat([_summary(path, name, frame) for name, frame in sheets.items()], ignore_index=True)
    check_unique(table, ["geographic_level", "la_code", "area_name", "fy"], path)
    return table.sort_values(["fy", "geographic_level", "la_code", "area_name"], ignore_index=True)


def read_esfa_high_needs(path: Path) -> pd.DataFrame:
    """HNB detail of one ESFA workbook: areas with ``hnb_before_deductions_gbp`` (High_needs_block)
    and ``hnb_place_deductions_gbp`` (High_needs_deductions total; NaN for regions, which that sheet
    lacks), plus ``source_file``."""
    sheets = _workbook(path)
    fy = _esfa_year(path, sheets)
    block = _single_column(path, HNB_SHEET, _sheet(path, sheets, HNB_SHEET),
                           r"^total high needs block before deductions", "hnb_before_deductions_gbp")
    deductions = _single_column(path, DEDUCTIONS_SHEET, _sheet(path, sheets, DEDUCTIONS_SHEET),
                                r"^total deduction to high needs block", "hnb_place_deductions_gbp")
    keys = ["geographic_level", "la_code", "area_name"]
    table = block.merge(deductions[[*keys, "hnb_place_deductions_gbp"]], on=keys, how="left", validate="1:1")
    table = table.assign(fy=fy, fy_start=fy_start(fy), source_file=Path(path).name)
    columns = [*AREA_COLUMNS, "hnb_before_deductions_gbp", "hnb_place_deductions_gbp", "source_file"]
    return table[columns].sort_values(keys, ignore_index=True)


HNB_FACTOR_COLUMNS = ["fy", "factor", "label", "england_value", "source_file"]
_FACTOR_LETTER = re.compile(r"^\[([A-Z])\]$")


def read_esfa_hnb_factors(path: Path) -> pd.DataFrame:
    """The England row of one ESFA workbook's ``High_needs_block`` sheet, one row per lettered
    factor column: :data:`HNB_FACTOR_COLUMNS` (``factor`` = the letter, e.g. "F"; ``label`` = its
    header as printed; ``england_value`` as printed: GBP, or a rate or pupil number)."""
    sheets = _workbook(path)
    fy = _esfa_year(path, sheets)
    frame = _sheet(path, sheets, HNB_SHEET)
    rows, header = _area_rows(path, HNB_SHEET, frame)
    england = rows.index[rows["geographic_level"] == NATIONAL]
    records = []
    for col in header.columns:
        letters = [m.group(1) for v in header[col].dropna() if (m := _FACTOR_LETTER.match(str(v).strip()))]
        if letters:
            label = re.sub(r"\s+", " ", str(header.iat[0, col])).strip()
            value = float(_values(path, HNB_SHEET, frame, col, england).iat[0])
            records.append((fy, letters[0], label, value, Path(path).name))
    if not records:
        raise SourceFormatError(path, f"sheet {HNB_SHEET!r}: no lettered factor columns ([A], [B], ...)")
    return pd.DataFrame(records, columns=HNB_FACTOR_COLUMNS)


def read_dsg_by_year(path: Path | None = None) -> pd.DataFrame:
    """``DSG_by_year_dr.xlsx``: total DSG before recoupment per area and FY (one sheet per FY):
    :data:`AREA_COLUMNS` + ``dsg_total_gbp, source_file``."""
    path = path or config.raw_dir() / DATASET / DSG_BY_YEAR_FILE
    frames = [_dr_sheet(path, sheet, frame) for sheet, frame in _workbook(path, header=0).items()]
    table = pd.concat(frames, ignore_index=True)
    check_unique(table, ["geographic_level", "la_code", "area_name", "fy"], path)
    return table.sort_values(["fy", "geographic_level", "la_code", "area_name"], ignore_index=True)


# --- primary selection ----------------------------------------------------------------------

def _primary(raw_dir: Path | None) -> pd.DataFrame:
    """ESFA workbooks for the years they cover (latest file per FY), the amalgamation for the rest."""
    raw_dir = raw_dir or config.raw_dir()
    by_year = {}
    for path in esfa_paths(raw_dir):
        summary = read_esfa_summary(path)
        by_year[summary["fy"].iat[0]] = summary
    amalgamated = read_amalgamated_allocations(raw_dir / DATASET / AMALGAMATED_FILE)
    fallback = amalgamated[~amalgamated["fy"].isin(list(by_year))]
    return pd.concat([fallback, *by_year.values()], ignore_index=True)


# --- sheet layout helpers -------------------------------------------------------------------

def _workbook(path: Path, header: int | None = None) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook, parsed once (each .ods parse takes ~0.5 s)."""
    sheets = read_excel(path, None, header=header)
    if not sheets:
        raise SourceFormatError(path, "workbook has no sheets")
    return sheets


def _sheet(path: Path, sheets: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """One sheet by name, or an error listing the sheets present."""
    if name not in sheets:
        raise SourceFormatError(path, f"sheet {name!r} not found; sheets present: {list(sheets)}")
    return sheets[name]


def _summary(path: Path, sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One allocations summary sheet (ESFA ``Allocations_summary`` or amalgamated ``Allocations_YYYY``).

    The FY comes from the title cell, the before/after sections from the row-1 section titles, the
    columns from their labels ("High needs block", "Total DSG allocation") and the unit from the
    label ("£ million" is scaled to GBP).
    """
    rows, header = _area_rows(path, sheet, frame)
    fy = _fy_in_text(path, sheet, frame.iat[0, 0])
    before, after = _sections(path, sheet, header)
    spec = {"hnb_before_deductions_gbp": (before, "high needs block"),
            "dsg_total_gbp": (before, "total dsg allocation"),
            "hnb_after_deductions_gbp": (after, "high needs block")}
    for column, (cols, label) in spec.items():
        col = _column(path, sheet, header, cols, label)
        rows[column] = _values(path, sheet, frame, col, rows.index) * _unit(path, sheet, header, col)
    return _finish(path, rows.assign(fy=fy), Path(path).name)


def _esfa_year(path: Path, sheets: dict[str, pd.DataFrame]) -> str:
    """The FY an ESFA workbook's Information sheet names ("... 2023 to 2024 financial year ...")."""
    info = [name for name in sheets if name.lower().startswith("information")]
    if len(info) != 1:
        raise SourceFormatError(path, f"expected one Information sheet, found {info}")
    frame = sheets[info[0]]
    years = {int(m.group(1)) for text in frame.stack() if isinstance(text, str)
             for m in re.finditer(r"(\d{4}) to (\d{4}) financial year", text) if int(m.group(2)) == int(m.group(1)) + 1}
    if len(years) != 1:
        raise SourceFormatError(
            path, f"sheet {info[0]!r}: expected one 'YYYY to YYYY financial year', found {sorted(years)}")
    return fy_label(years.pop())


def _normalise(value: object) -> str:
    """Lower-case text with whitespace (including newlines) collapsed."""
    return re.sub(r"\s+", " ", str(value)).strip().lower()


def _classify(path: Path, sheet: str, row: int, code: object, name: object) -> tuple[str, str | None, str] | None:
    """(geographic_level, la_code, area_name) of a data row, None for a blank row."""
    text = str(code).strip() if pd.notna(code) else ""
    if re.fullmatch(r"\d{3}(\.0)?", text):
        return LA_LEVEL, text[:3], str(name).strip()
    key = _normalise(text)
    if not key:
        return None
    if key == "england":
        return NATIONAL, None, "England"
    if key in REGIONS:
        return REGIONAL, None, REGIONS[key]
    if key in LA_TYPES:
        return LA_TYPE, None, LA_TYPES[key]
    raise SourceFormatError(path, f"sheet {sheet!r} row {row + 1}: unexpected area {text!r} (not a 3-digit LA code, "
                                  "ENGLAND, a region or an LA type)")


def _area_rows(path: Path, sheet: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(areas of the data rows, header rows): data start at the ENGLAND row in the first column."""
    first = frame.iloc[:, 0].map(_normalise)
    england = first.index[first == "england"]
    if england.empty:
        raise SourceFormatError(path, f"sheet {sheet!r}: no ENGLAND row in the first column")
    start = england[0]
    areas = {row: _classify(path, sheet, row, frame.iat[row, 0], frame.iat[row, 1]) for row in frame.index[start:]}
    rows = pd.DataFrame.from_dict({r: a for r, a in areas.items() if a}, orient="index",
                                  columns=["geographic_level", "la_code", "area_name"])
    return rows, frame.iloc[:start]


def _fy_in_text(path: Path, sheet: str, text: object) -> str:
    """The FY in a title: "2023 to 2024" or "2019-20"."""
    match = re.search(r"(\d{4})\s*(?:to\s*(\d{4})|-(\d{2}))", str(text))
    if match:
        first = int(match.group(1))
        second = match.group(2) or match.group(3)
        if int(second) % 100 == (first + 1) % 100:
            return fy_label(first)
    raise SourceFormatError(path, f"sheet {sheet!r}: no financial year in the title {str(text)[:80]!r}")


def _sections(path: Path, sheet: str, header: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Column indices of the 'before' and 'after' recoupment/deductions sections."""
    starts = {}
    for col in header.columns[1:]:
        title = _normalise(header.iat[0, col])
        if "after" in title:
            starts.setdefault("after", col)
        elif "before" in title or "prior to" in title:
            starts.setdefault("before", col)
    if set(starts) != {"before", "after"} or starts["before"] > starts["after"]:
        raise SourceFormatError(
            path, f"sheet {sheet!r} row 1: expected a 'before ...' then an 'after ...' section title")
    return list(range(starts["before"], starts["after"])), list(range(starts["after"], header.shape[1]))


def _column(path: Path, sheet: str, header: pd.DataFrame, cols: list[int], label: str) -> int:
    """The one column among ``cols`` whose header cells (below the section titles) contain ``label``."""
    found = [col for col in cols if any(label in _normalise(v) for v in header.iloc[1:, col].dropna())]
    if len(found) != 1:
        span = f"{get_column_letter(cols[0] + 1)}-{get_column_letter(cols[-1] + 1)}"
        raise SourceFormatError(
            path, f"sheet {sheet!r}: expected one column labelled {label!r} in columns {span}, found {len(found)}")
    return found[0]


def _unit(path: Path, sheet: str, header: pd.DataFrame, col: int) -> float:
    """GBP per unit of a column, from its label: "(£ million)" -> 1e6, "(£s)" -> 1."""
    text = " ".join(_normalise(v) for v in header.iloc[1:, col].dropna())
    units = [scale for unit, scale in UNITS.items() if unit in text]
    if len(units) != 1:
        raise SourceFormatError(path, f"sheet {sheet!r} column {get_column_letter(col + 1)}: unit not stated as "
                                      f"one of {list(UNITS)} in {text!r}")
    return units[0]


def _values(path: Path, sheet: str, frame: pd.DataFrame, col: int | str, rows: pd.Index) -> pd.Series:
    """Numbers of one column on the data rows; text that is not a number is an error."""
    try:
        return parse_numeric(frame.loc[rows, col])[0]
    except ValueError as exc:
        where = get_column_letter(col + 1) if isinstance(col, int) else repr(col)
        raise SourceFormatError(path, f"sheet {sheet!r} column {where}: {exc}") from exc


def _finish(path: Path, rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Drop the LA-type aggregates and the repeated LONDON, check keys, set dtypes and order."""
    rows = rows[rows["geographic_level"] != LA_TYPE].drop_duplicates()
    rows = rows.assign(fy_start=rows["fy"].map(fy_start).astype("int64"), source_file=source)
    check_unique(rows, ["geographic_level", "la_code", "area_name", "fy"], path)
    rows = rows.astype({"geographic_level": "str", "la_code": "str", "area_name": "str", "fy": "str"})
    columns = [c for c in SUMMARY_COLUMNS if c in rows.columns]
    return rows[columns].sort_values(["geographic_level", "la_code", "area_name"], ignore_index=True)


def _single_column(path: Path, sheet: str, frame: pd.DataFrame, pattern: str, name: str) -> pd.DataFrame:
    """Areas and the one column whose header matches ``pattern``, from an ESFA detail sheet."""
    rows, header = _area_rows(path, sheet, frame)
    cols = [col for col in header.columns
            if any(re.search(pattern, _normalise(v)) for v in header[col].dropna())]
    if len(cols) != 1:
        raise SourceFormatError(path, f"sheet {sheet!r}: expected one column headed {pattern!r}, found {len(cols)}")
    rows[name] = _values(path, sheet, frame, cols[0], rows.index)
    rows = rows[rows["geographic_level"] != LA_TYPE].drop_duplicates()
    check_unique(rows, ["geographic_level", "la_code", "area_name"], path)
    return rows.astype({"geographic_level": "str", "la_code": "str", "area_name": "str"})


def _dr_sheet(path: Path, sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One FY sheet of ``DSG_by_year_dr.xlsx`` (read with its first row as header)."""
    require_columns(frame, DR_COLUMNS, path, f"sheet {sheet!r}")
    try:
        fys = frame["time_period"].map(fy_from_time_period)
    except ValueError as exc:
        raise SourceFormatError(path, f"sheet {sheet!r} column 'time_period': {exc}") from exc
    if fys.nunique() != 1:
        raise SourceFormatError(path, f"sheet {sheet!r}: expected one time_period, found {sorted(fys.unique())}")
    areas = {row: _classify(path, sheet, row + 1, frame.at[row, "la_code"], frame.at[row, "la_name"])
             for row in frame.index}
    rows = pd.DataFrame.from_dict({r: a for r, a in areas.items() if a}, orient="index",
                                  columns=["geographic_level", "la_code", "area_name"])
    rows["dsg_total_gbp"] = _values(path, sheet, frame, DR_VALUE, rows.index)
    return _finish(path, rows.assign(fy=fys.iat[0]), f"{Path(path).name}")
