"""Cumulative DSG balance as a % of total DSG income, per LA, FY2019-20..2021-22.

Source: ``dsg_balance/dsg_deficit_derived.xlsx`` (DfE SEND and AP dashboard). Its ``deficit``
column is 100 x S251 line 1.9.3 (DSG carried forward) / total DSG before recoupment, with the
project's sign convention: POSITIVE = cumulative DEFICIT, negative = surplus. The file's other
column, "DSG cumulative balance as a % of the total income", is the same number with the opposite
sign; the reader checks that and keeps ``deficit`` as ``dsg_balance_pct``. Values are rounded to
2 decimals in the source. GBP amounts can be rebuilt as ``dsg_balance_pct x total DSG / 100``
(``dsg_allocations``).

Keyed by LA NAME only (no codes): ``la_name`` is returned as the source spells it
("Bristol, City of", "St. Helens") for :mod:`sendlib.geography` to map. Real file: 149, 149, 150 LA
rows for 2019-20, 2020-21, 2021-22 (no City of London or Isles of Scilly; Northamptonshire to
2020-21, North and West Northamptonshire in 2021-22), 94, 100, 103 of them in deficit; England
1.08%, 1.69%, 2.26%. No value is suppressed or missing; any suppression marker would give NaN with
``dsg_balance_pct_suppressed`` True.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, parse_numeric, read_excel, require_columns
from sendlib.years import fy_from_time_period

DATASET = "dsg_balance"
FILE = "dsg_deficit_derived.xlsx"
SHEET = 0
DEFICIT = "deficit"
BALANCE = "DSG cumulative balance as a % of the total income"
SOURCE_COLUMNS = ["time_period", "geographic_level", "region_name", "la_name", DEFICIT, "financial_year"]
LA_LEVEL = "Local authority"
AGGREGATE_LEVELS = ("National", "Regional")
SIGN_TOLERANCE = 1e-9
LA_COLUMNS = ["la_name", "region_name", "fy", "fy_start", "geographic_level",
              "dsg_balance_pct", "dsg_balance_pct_suppressed"]
AGGREGATE_COLUMNS = ["area_name", "fy", "fy_start", "geographic_level",
                     "dsg_balance_pct", "dsg_balance_pct_suppressed"]


def default_path() -> Path:
    """The file under ``config.raw_dir()``."""
    return config.raw_dir() / DATASET / FILE


def read_dsg_balance(path: Path | None = None) -> pd.DataFrame:
    """LA rows: :data:`LA_COLUMNS`, sorted by ``fy, la_name``. ``dsg_balance_pct`` > 0 is a deficit."""
    table = _read_all(path or default_path())
    return table.loc[table["geographic_level"] == LA_LEVEL, LA_COLUMNS].reset_index(drop=True)


def read_dsg_balance_aggregates(path: Path | None = None) -> pd.DataFrame:
    """National and regional rows: :data:`AGGREGATE_COLUMNS` (``area_name`` "England" or the region)."""
    table = _read_all(path or default_path())
    aggregates = table[table["geographic_level"].isin(AGGREGATE_LEVELS)]
    aggregates = aggregates.assign(area_name=aggregates["region_name"])
    return aggregates[AGGREGATE_COLUMNS].sort_values(["fy", "geographic_level", "area_name"], ignore_index=True)


def _read_all(path: Path) -> pd.DataFrame:
    """Every row, checked, with ``fy``, ``fy_start`` and the balance columns."""
    raw = read_excel(path, SHEET, dtype={"la_name": "str", "region_name": "str", "geographic_level": "str"})
    require_columns(raw, SOURCE_COLUMNS, path, f"sheet {SHEET}")
    table = raw.assign(fy=_fy(path, raw))
    table["fy_start"] = table["fy"].str[:4].astype("int64")
    table["dsg_balance_pct"], table["dsg_balance_pct_suppressed"] = _balance(path, raw)
    _check_levels(path, table)
    las = table[table["geographic_level"] == LA_LEVEL]
    check_unique(las, ["la_name", "fy"], path)
    check_unique(table[table["geographic_level"] != LA_LEVEL], ["geographic_level", "region_name", "fy"], path)
    return table.sort_values(["fy", "la_name"], ignore_index=True)


def _fy(path: Path, raw: pd.DataFrame) -> pd.Series:
    """FY labels from ``time_period``, which must agree with ``financial_year``."""
    try:
        fy = raw["time_period"].map(fy_from_time_period).astype("str")
    except ValueError as exc:
        raise SourceFormatError(path, f"column 'time_period': {exc}") from exc
    disagree = fy != raw["financial_year"].astype("str").str.strip()
    if disagree.any():
        row = disagree.idxmax()
        raise SourceFormatError(path, f"row {row + 2}: time_period {raw.at[row, 'time_period']} disagrees with "
                                      f"financial_year {raw.at[row, 'financial_year']!r}")
    return fy


def _balance(path: Path, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``deficit`` as (values, suppressed); checked against the opposite-sign balance column if present."""
    try:
        values, suppressed = parse_numeric(raw[DEFICIT])
    except ValueError as exc:
        raise SourceFormatError(path, f"column {DEFICIT!r}: {exc}") from exc
    if BALANCE in raw.columns:
        try:
            balance = parse_numeric(raw[BALANCE])[0]
        except ValueError as exc:
            raise SourceFormatError(path, f"column {BALANCE!r}: {exc}") from exc
        wrong = (values + balance).abs() > SIGN_TOLERANCE
        if wrong.any():
            row = wrong.idxmax()
            raise SourceFormatError(path, f"row {row + 2}: {DEFICIT!r} {values[row]} is not minus {BALANCE!r} "
                                          f"{balance[row]}; the sign convention may have changed")
    return values, suppressed


def _check_levels(path: Path, table: pd.DataFrame) -> None:
    """Known geographic levels only, and every LA row named."""
    levels = set(table["geographic_level"].dropna())
    unknown = sorted(levels - {LA_LEVEL, *AGGREGATE_LEVELS})
    if unknown or table["geographic_level"].isna().any():
        raise SourceFormatError(path, f"column 'geographic_level': unexpected values {unknown or ['(blank)']}")
    unnamed = (table["geographic_level"] == LA_LEVEL) & table["la_name"].isna()
    if unnamed.any():
        raise SourceFormatError(path, f"row {unnamed.idxmax() + 2}: local-authority row without la_name")
