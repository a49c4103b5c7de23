"""Share of pupils with SEN support and with a statement/EHC plan (DfE LAIT, long format).

Items (``Short Desc``), as described in ``lait_data_dictionary.csv``:

- ``SEN_TotSENSuP``: % of pupils ("All Schools") with SEN support, i.e. SEN without a
  statement/EHC plan;
- ``SEN_TotStat``: % of pupils with a statement of SEN or an EHC plan.

Both are "Academic Year" items from the January school census, counted where the pupil
attends school (not the LA responsible for the plan); ``Years`` "2025" is the 2024/25
academic year, i.e. January 2025. ``LA Number`` carries the 3-digit DfE code for LAs and
LAIT's own codes for aggregates (970 England, 980-990 regions incl. Inner/Outer London).
"-" marks a value not available; LA-years where both items are "-" (the council did not
exist that January, or the Inner/Outer London split is not published) are dropped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, numeric_column, require_columns, require_file

LAIT_PARQUET = Path("sen_pupils") / "bds_long_0.parquet"
#: LAIT item -> output column.
ITEMS = {"SEN_TotSENSuP": "sen_support_pct", "SEN_TotStat": "ehcp_pupil_pct"}
SOURCE_COLUMNS = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
ENGLAND_NUMBER = 970
#: LAIT numbers 980..990 are regions (986 London, 987/988 Inner/Outer London).
REGION_NUMBERS = range(980, 991)
COLUMNS = ["geographic_level", "la_code", "la_name", "january",
           "sen_support_pct", "sen_support_pct_suppressed", "ehcp_pupil_pct", "ehcp_pupil_pct_suppressed"]


def _read_parquet(path: Path) -> pd.DataFrame:
    """The LAIT parquet, naming the file if it cannot be read."""
    try:
        return pd.read_parquet(require_file(path))
    except SourceFormatError:
        raise
    except Exception as exc:  # pyarrow raises several error types for truncated files
        raise SourceFormatError(path, f"cannot be read as Parquet (truncated or corrupted?): {exc}") from exc


def _geographic_level(numbers: pd.Series) -> pd.Series:
    """"National", "Regional" or "Local authority" from LAIT's LA Number."""
    level = pd.Series("Local authority", index=numbers.index, dtype="str")
    level[numbers.isin(REGION_NUMBERS)] = "Regional"
    level[numbers == ENGLAND_NUMBER] = "National"
    return level


def _item_rows(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The rows of the two SEN items with parsed LA number and January."""
    rows = frame[frame["Short Desc"].isin(list(ITEMS))].copy()
    missing = sorted(set(ITEMS) - set(rows["Short Desc"]))
    if missing:
        raise SourceFormatError(path, f"column 'Short Desc' has no rows for item(s) {missing}")
    years = rows["Years"].astype("str").str.strip()
    bad_years = ~years.str.fullmatch(r"\d{4}")
    if bad_years.any():
        raise SourceFormatError(path, f"column 'Years' has {sorted(set(years[bad_years]))[:5]}; expected YYYY")
    numbers = pd.to_numeric(rows["LA Number"], errors="coerce")
    if numbers.isna().any() or (numbers % 1 != 0).any():
        raise SourceFormatError(path, "column 'LA Number' has blank or non-integer values for the SEN items")
    return rows.assign(january=years.astype("int64"), number=numbers.astype("int64"))


def read_sen_support(path: Path | None = None) -> pd.DataFrame:
    """% of pupils with SEN support and with a statement/EHC plan, each January 2016..2025.

    Columns: geographic_level, la_code (3-digit, LAs only), la_name, january,
    sen_support_pct, ehcp_pupil_pct and their ``_suppressed`` flags.
    """
    path = Path(path or config.raw_dir() / LAIT_PARQUET)
    frame = _read_parquet(path)
    require_columns(frame, SOURCE_COLUMNS, path)
    rows = _item_rows(frame, path)
    check_unique(rows, ["Short Desc", "number", "january"], path)
    keys = ["number", "january"]
    wide = rows[keys + ["LA and Regions"]].drop_duplicates(keys).set_index(keys)
    for item, column in ITEMS.items():
        subset = rows[rows["Short Desc"] == item].set_index(keys)
        values, suppressed = numeric_column(subset["Values"], path, f"Values ({item})")
        wide[column], wide[f"{column}_suppressed"] = values, suppressed
    flags = [f"{c}_suppressed" for c in ITEMS.values()]
    wide[flags] = wide[flags].fillna(False).astype(bool)  # an item row absent from the source
    wide = wide[~wide[flags].all(axis=1)].reset_index()
    level = _geographic_level(wide["number"])
    table = wide.assign(
        geographic_level=level,
        la_code=wide["number"].astype("str").where(level == "Local authority"),
        la_name=wide["LA and Regions"].astype("str").str.strip(),
    )
    return table.sort_values(["january", "number"]).reset_index(drop=True)[COLUMNS]
