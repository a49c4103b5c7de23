"""EHC plans in force each January per LA (DfE SEN2, "Education, health and care plans").

Two releases are read straight from their "download all" zips:

- 2022 release, ``data/sen2_age_caseload.csv``: statements + EHC plans (``Total_all``),
  Januaries 2010..2022, ``characteristic_age == "Total"`` rows;
- 2025 release, ``data/caseload.csv``: EHC plans, Januaries 2019..2025
  (``time_period`` 201819 = January 2019), ``breakdown_topic == "All EHC plans"`` rows.

The combined series takes 2010..2018 from the 2022 release and 2019..2025 from the 2025
release. Series break: SEN2 became a person-level collection in 2023; DfE restated the
caseload totals back to January 2019 on the new basis. On the 2019..2022 overlap the two
releases agree exactly (every LA and the national total), so the join itself adds no step.
Reorganised councils appear as in the source (e.g. Bournemouth/Poole/Dorset CC in January
2019, Northamptonshire to January 2021, Cumbria to January 2023).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.readers.common import numeric_column, read_csv_in_zip, require_columns
from sendlib.readers.ees import (
    EES_GEOGRAPHY_COLUMNS,
    ID_COLUMNS,
    LEVEL_KEYS,
    breakdown_rows,
    ees_identifiers,
    january_from_time_period,
    sorted_unique,
)

DATASET = "ehcp_sen2"
RELEASE_2022 = "education-health-and-care-plans_2022.zip"
RELEASE_2025 = "education-health-and-care-plans_2025.zip"
MEMBER_2022 = "data/sen2_age_caseload.csv"
MEMBER_2025 = "data/caseload.csv"
#: First January taken from the 2025 release (earlier Januaries come from the 2022 release).
FIRST_JANUARY_2025_RELEASE = 2019

EHCP_COLUMNS = [*ID_COLUMNS, "january", "ehcp_count", "ehcp_count_suppressed", "source"]
SORT_KEYS = ["january", *LEVEL_KEYS]


def _wanted(*columns: str) -> Callable[[str], bool]:
    """A ``usecols`` keeping the EES geography and ``columns`` (a missing one is reported later)."""
    wanted = {*EES_GEOGRAPHY_COLUMNS, *columns}
    return lambda column: column in wanted


def _ehcp_table(rows: pd.DataFrame, value_column: str, path: Path, source: str) -> pd.DataFrame:
    """The standard EHCP columns from the selected total rows of one release."""
    require_columns(rows, [value_column], path)
    count, suppressed = numeric_column(rows[value_column], path, value_column)
    table = ees_identifiers(rows, path).assign(
        january=january_from_time_period(rows["time_period"], path),
        ehcp_count=count, ehcp_count_suppressed=suppressed, source=source,
    )
    return sorted_unique(table[EHCP_COLUMNS], SORT_KEYS, path)


def read_ehcp_2022_release(path: Path) -> pd.DataFrame:
    """Statements + EHC plans (``Total_all``) each January 2010..2022, 2022 release."""
    frame = read_csv_in_zip(path, MEMBER_2022, dtype=str, usecols=_wanted("characteristic_age", "Total_all"))
    where = f"{path}:{MEMBER_2022}"
    require_columns(frame, ["characteristic_age", "Total_all"], where)
    totals = frame[frame["characteristic_age"].str.strip() == "Total"]
    return _ehcp_table(totals, "Total_all", where, f"{Path(path).name}:{MEMBER_2022}")


def read_ehcp_2025_release(path: Path) -> pd.DataFrame:
    """EHC plans (``ehcplans``, "All EHC plans" rows) each January 2019..2025, 2025 release."""
    frame = read_csv_in_zip(path, MEMBER_2025, dtype=str, usecols=_wanted("breakdown_topic", "breakdown", "ehcplans"))
    where = f"{path}:{MEMBER_2025}"
    return _ehcp_table(breakdown_rows(frame, "All EHC plans", where), "ehcplans", where, f"{Path(path).name}:{MEMBER_2025}")


def read_ehcp(raw_dir: Path | None = None) -> pd.DataFrame:
    """EHC plans (statements + EHC plans) in force each January 2010..2025, per LA/region/England.

    Columns: geographic_level, la_code, ons_code, la_name, january, ehcp_count,
    ehcp_count_suppressed, source. Januaries before 2019 come from the 2022 release, later
    ones from the 2025 release (person-level SEN2 basis, restated back to 2019).
    """
    folder = Path(raw_dir or config.raw_dir()) / DATASET
    early = read_ehcp_2022_release(folder / RELEASE_2022)
    late = read_ehcp_2025_release(folder / RELEASE_2025)
    combined = pd.concat(
        [early[early["january"] < FIRST_JANUARY_2025_RELEASE], late[late["january"] >= FIRST_JANUARY_2025_RELEASE]],
        ignore_index=True,
    )
    return sorted_unique(combined, SORT_KEYS, folder)
