"""Population estimates: ONS mid-year estimates by single year of age (MYE2 persons sheet of
each annual workbook) and DfE's tidy series of children aged 0-17 per LA.

The ONS workbooks are each on the geography current when published (the mid-2018 file
already has BCP and Dorset UA; mid-2020 has North/West Northamptonshire; mid-2022 has
Cumberland and Westmorland and Furness) and are kept that way. Files for mid-2015..mid-2020
were published before the 2021 Census results (``vintage`` "pre-2021-census") and were
never revised in these files; DfE's series uses the revised estimates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, numeric_column, read_excel, require_columns, require_file, sheet_names
from sendlib.readers.ees import ees_identifiers

DATASET = "population"
#: The ONS MYE2 workbooks, mid-2015 to mid-2023 (the mid-year is read from each sheet's title).
POPULATION_WORKBOOKS = (
    "MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls",
    "ukmidyearestimates2016.xls",
    "ukmidyearestimates2017finalversion.xls",
    "ukmidyearestimates20182019ladcodes.xls",
    "ukmidyearestimates20192020ladcodes.xls",
    "ukpopestimatesmid2020on2021geography.xls",
    "ukpopestimatesmid2021on2021geographyfinal.xls",
    "mye22final.xlsx",
    "mye23tablesew.xlsx",
)
DFE_POPULATION_CSV = "ons_mid-year_population_estimates_2012_to_2024.csv"

#: Upper-tier LA code prefixes (unitary, metropolitan district, London borough, county) and England.
UPPER_TIER_PREFIXES = ("E06", "E08", "E09", "E10")
ENGLAND = "E92000001"
#: Output column -> inclusive single-year age range summed into it.
AGE_BANDS = {"pop_0_25_count": (0, 25), "pop_2_18_count": (2, 18), "pop_0_17_count": (0, 17)}
#: Last mid-year whose ONS file predates the 2021 Census results.
LAST_PRE_CENSUS_MID_YEAR = 2020
ONS_COLUMNS = ["ons_code", "la_name", "mid_year", *AGE_BANDS, "vintage", "source_file"]
DFE_COLUMNS = ["geographic_level", "la_code", "ons_code", "la_name", "mid_year", "pop_0_17_count",
               "pop_0_17_count_suppressed"]

_PERSONS_SHEET = re.compile(r"^(mye2)?(persons|all)(uk)?$")
_MID_YEAR = re.compile(r"mid-(\d{4})")
_AGE_LABEL = re.compile(r"^(\d{1,2})(\.0+)?\+?$")


def persons_sheet(path: Path) -> str:
    """The name of the MYE2 all-persons sheet ("MYE2 - Persons", "MYE2-All", "Persons UK", ...)."""
    names = sheet_names(path)
    matches = [n for n in names if _PERSONS_SHEET.match(re.sub(r"[\s\-]", "", n.lower()))]
    if len(matches) != 1:
        raise SourceFormatError(path, f"expected one MYE2 persons sheet, found {matches} among sheets {names}")
    return matches[0]


def _header_row(grid: pd.DataFrame, where: str) -> int:
    """Index of the row whose first cell is "Code" (case-insensitive)."""
    first = grid.iloc[:, 0].astype("str").str.strip().str.lower()
    hits = first.index[first == "code"]
    if hits.empty:
        raise SourceFormatError(where, "no header row starting with 'Code' found")
    return int(hits[0])


def _mid_year(grid: pd.DataFrame, header: int, where: str) -> int:
    """The mid-year named in the sheet title above the header ("... mid-2019")."""
    above = " ".join(grid.iloc[:header].stack().dropna().astype(str))
    years = sorted(set(_MID_YEAR.findall(above)))
    if len(years) != 1:
        raise SourceFormatError(where, f"cannot tell the mid-year from the title rows (found {years or 'none'})")
    return int(years[0])


def _age_positions(labels: pd.Series, where: str) -> dict[int, int]:
    """Single year of age -> column position, from header labels like 0, 1.0, "2", "90+"."""
    ages = {}
    for position, label in enumerate(labels):
        match = _AGE_LABEL.match(str(label).strip())
        if match:
            ages[int(match.group(1))] = position
    needed = [a for lo, hi in AGE_BANDS.values() for a in range(lo, hi + 1)]
    missing = sorted(set(needed) - set(ages))
    if missing:
        raise SourceFormatError(where, f"header row lacks single-year age column(s) {missing}")
    return ages


def read_mye2_workbook(path: Path) -> pd.DataFrame:
    """Age-band totals for England and its upper-tier LAs from one ONS MYE2 workbook."""
    sheet = persons_sheet(path)
    where = f"{path} [sheet {sheet!r}]"
    grid = read_excel(path, sheet, header=None)
    header = _header_row(grid, where)
    mid_year = _mid_year(grid, header, where)
    ages = _age_positions(grid.iloc[header], where)
    body = grid.iloc[header + 1:]
    codes = body.iloc[:, 0].astype("str").str.strip()
    keep = codes.str.startswith(UPPER_TIER_PREFIXES) | (codes == ENGLAND)
    rows = body[keep]
    if not (codes[keep] == ENGLAND).any():
        raise SourceFormatError(where, f"no England row ({ENGLAND})")
    table = pd.DataFrame({"ons_code": codes[keep], "la_name": rows.iloc[:, 1].astype("str").str.strip(),
                          "mid_year": mid_year})
    for column, (lo, hi) in AGE_BANDS.items():
        table[column] = _sum_ages(rows, [ages[a] for a in range(lo, hi + 1)], where)
    table["vintage"] = "pre-2021-census" if mid_year <= LAST_PRE_CENSUS_MID_YEAR else "post-2021-census"
    table["source_file"] = Path(path).name
    check_unique(table, ["ons_code"], where)
    return table[ONS_COLUMNS].sort_values("ons_code").reset_index(drop=True)


def _sum_ages(rows: pd.DataFrame, positions: list[int], where: str) -> pd.Series:
    """Row sums of the given age columns; every cell must be a number."""
    total = pd.Series(0.0, index=rows.index)
    for position in positions:
        label = f"column {position + 1}"
        values = numeric_column(rows.iloc[:, position], where, label)[0]
        if values.isna().any():
            raise SourceFormatError(where, f"{label} has no number on row {int(values.isna().idxmax()) + 1}")
        total += values
    return total


def read_ons_population(raw_dir: Path | None = None, files: tuple[str, ...] = POPULATION_WORKBOOKS) -> pd.DataFrame:
    """ONS mid-year estimates for England and upper-tier LAs, one row per area and mid-year.

    Columns: ons_code, la_name, mid_year, pop_0_25_count, pop_2_18_count, pop_0_17_count,
    vintage, source_file. Each file keeps its own geography.
    """
    folder = Path(raw_dir or config.raw_dir()) / DATASET
    table = pd.concat([read_mye2_workbook(folder / name) for name in files], ignore_index=True)
    check_unique(table, ["mid_year", "ons_code"], folder)
    return table.sort_values(["mid_year", "ons_code"]).reset_index(drop=True)


def read_dfe_population_0_17(path: Path | None = None) -> pd.DataFrame:
    """DfE's series of children aged 0-17 per LA/region/England, mid-2012..mid-2024.

    Columns: geographic_level, la_code, ons_code, la_name, mid_year, pop_0_17_count,
    pop_0_17_count_suppressed ("x" for Bournemouth, Poole and Dorset CC before 2019).
    """
    path = Path(path or config.raw_dir() / DATASET / DFE_POPULATION_CSV)
    frame = _read_csv(path)
    require_columns(frame, ["time_period", "age_group", "population_estimate"], path)
    groups = sorted(set(frame["age_group"].dropna()))
    if groups != ["Children aged 0 to 17 years"]:
        raise SourceFormatError(path, f"column 'age_group' has {groups}; expected only 'Children aged 0 to 17 years'")
    count, suppressed = numeric_column(frame["population_estimate"], path, "population_estimate")
    mid_year = numeric_column(frame["time_period"], path, "time_period")[0]
    if mid_year.isna().any():
        raise SourceFormatError(path, "column 'time_period' has blank values; expected a year")
    table = ees_identifiers(frame, path).assign(
        mid_year=mid_year.astype("int64"), pop_0_17_count=count, pop_0_17_count_suppressed=suppressed
    )[DFE_COLUMNS]
    keys = ["mid_year", "geographic_level", "la_code", "ons_code"]
    check_unique(table, keys, path)
    return table.sort_values(keys, na_position="first").reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV as text columns, naming the file if it is missing or unreadable."""
    try:
        return pd.read_csv(require_file(path), dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SourceFormatError(path, f"cannot be read as CSV: {exc}") from exc
