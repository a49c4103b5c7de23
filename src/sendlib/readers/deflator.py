"""ONS GDP deflator at market prices (series YBGB) as financial-year averages.

The ONS time-series CSV has metadata rows ("Title", "CDID", ...), then annual rows
("1955"), quarterly rows ("1955 Q1") and possibly monthly rows ("1955 JAN"). HM Treasury's
financial-year deflator is the mean of the four quarters April-June Y (Q2) to January-March
Y+1 (Q1); only financial years with all four quarters are returned. The index is kept as
published (its reference year is whatever the ONS release uses).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import require_file
from sendlib.years import fy_label, fy_start

GDP_DEFLATOR_CSV = Path("deflators") / "gdp_deflators.csv"
_QUARTER = r"^(\d{4}) Q([1-4])$"
#: Quarters of FY Y-(Y+1): (offset from Y, quarter).
_FY_QUARTERS = ((0, 2), (0, 3), (0, 4), (1, 1))


def read_ons_quarterly(path: Path) -> pd.DataFrame:
    """The quarterly rows of an ONS time-series CSV: year, quarter, value (sorted)."""
    path = require_file(path)
    try:
        frame = pd.read_csv(path, header=None, names=["label", "value"], usecols=[0, 1], dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise SourceFormatError(path, f"cannot be read as an ONS time-series CSV: {exc}") from exc
    parts = frame["label"].astype("str").str.strip().str.extract(_QUARTER)
    rows = frame[parts[0].notna()]
    if rows.empty:
        raise SourceFormatError(path, "no quarterly rows like '1955 Q1' found")
    values = pd.to_numeric(rows["value"].str.strip(), errors="coerce")
    if values.isna().any():
        bad = rows.loc[values.isna(), "label"].tolist()[:5]
        raise SourceFormatError(path, f"quarterly row(s) {bad} have no numeric value")
    table = pd.DataFrame({"year": parts.loc[rows.index, 0].astype("int64"),
                          "quarter": parts.loc[rows.index, 1].astype("int64"), "value": values.astype("float64")})
    duplicated = table.duplicated(["year", "quarter"], keep=False)
    if duplicated.any():
        raise SourceFormatError(path, f"quarter(s) listed twice: {rows.loc[duplicated, 'label'].unique().tolist()[:5]}")
    return table.sort_values(["year", "quarter"]).reset_index(drop=True)


def financial_year_means(quarterly: pd.DataFrame) -> pd.DataFrame:
    """Mean of Q2 Y..Q1 Y+1 for every FY with all four quarters: fy, fy_start, deflator."""
    lookup = quarterly.set_index(["year", "quarter"])["value"]
    rows = []
    for start in range(int(quarterly["year"].min()), int(quarterly["year"].max()) + 1):
        keys = [(start + offset, quarter) for offset, quarter in _FY_QUARTERS]
        if all(key in lookup.index for key in keys):
            rows.append({"fy": fy_label(start), "fy_start": start, "deflator": float(lookup.loc[keys].mean())})
    table = pd.DataFrame(rows, columns=["fy", "fy_start", "deflator"])
    return table.astype({"fy": "str", "fy_start": "int64", "deflator": "float64"})


def read_gdp_deflator(path: Path | None = None) -> pd.DataFrame:
    """Financial-year GDP deflator (YBGB): columns fy, fy_start, deflator (index as published)."""
    path = Path(path or config.raw_dir() / GDP_DEFLATOR_CSV)
    table = financial_year_means(read_ons_quarterly(path))
    if table.empty:
        raise SourceFormatError(path, "no financial year has all four quarters (Q2..Q4 and the next Q1)")
    return table


def rebase_deflator(deflator: pd.DataFrame, base_fy: str) -> pd.DataFrame:
    """A copy of ``deflator`` with ``deflator_index`` = 100 in ``base_fy``.

    Real-terms values at base_fy prices are ``cash * 100 / deflator_index``.
    """
    fy_start(base_fy)  # a ValueError naming a malformed label
    base = deflator.loc[deflator["fy"] == base_fy, "deflator"]
    if base.empty:
        raise ValueError(
            f"base_fy {base_fy!r} is not in the deflator series, which covers "
            f"{deflator['fy'].min()} to {deflator['fy'].max()}"
        )
    return deflator.assign(deflator_index=deflator["deflator"] / float(base.iloc[0]) * 100.0)
