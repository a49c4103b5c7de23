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

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, numeric_column, read_csv_in_zip, require_columns

DATASET = "ehcp_sen2"
RELEASE_2022 = "education-health-and-care-plans_2022.zip"
RELEASE_2025 = "education-health-and-care-plans_2025.zip"
MEMBER_2022 = "data/sen2_age_caseload.csv"
MEMBER_2025 = "data/caseload.csv"
#: First January taken from the 2025 release (earlier Januaries come from the 2022 release).
FIRST_JANUARY_2025_RELEASE = 2019

#: The geography columns of every Explore Education Statistics (EES) tidy file.
EES_GEOGRAPHY_COLUMNS = (
    "time_period", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
)
EES_LEVELS = ("National", "Regional", "Local authority")
ID_COLUMNS = ["geographic_level", "la_code", "ons_code", "la_name"]
EHCP_COLUMNS = [*ID_COLUMNS, "january", "ehcp_count", "ehcp_count_suppressed", "source"]
SETTING_COLUMNS = [*ID_COLUMNS, "january", "setting", "setting_group", "ehcp_count", "ehcp_count_suppressed"]

#: Leaf setting columns of caseload.csv (subtotals ``*_total``, ``ed_elsewhere`` and ``*_pc``
#: are left out) and the group each belongs to. The leaves are disjoint and sum to
#: ``ehcplans`` except where an LA returned totals only (Hackney and Peterborough in
#: January 2024; Cambridgeshire and North East Lincolnshire placements in January 2025).
SETTING_GROUPS = {
    "mainstream_la_maintained": "mainstream",
    "mainstream_la_maintained_resourced_provision": "mainstream",
    "mainstream_la_maintained_senunit": "mainstream",
    "mainstream_academy": "mainstream",
    "mainstream_academy_resourced_provision": "mainstream",
    "mainstream_academy_senunit": "mainstream",
    "mainstream_free_school": "mainstream",
    "mainstream_free_school_resourced_provision": "mainstream",
    "mainstream_free_school_senunit": "mainstream",
    "mainstream_independent": "mainstream",
    "special_la_maintained": "special",
    "special_academy_free": "special",
    "special_independent": "special",
    "special_non_maintained": "special",
    "ap_pru_academy": "alternative_provision",
    "ap_pru_free_school": "alternative_provision",
    "ap_pru_la_maintained": "alternative_provision",
    "general_fe_tertiary_colleges": "post_16",
    "specialist_post_16_institutions": "post_16",
    "ukrlp_provider": "post_16",
    "elective_home_education": "elsewhere",
    "other_arrangements_la": "elsewhere",
    "other_arrangements_parents": "elsewhere",
    "online_provider": "elsewhere",
    "w_settings": "elsewhere",
    "other_schools": "elsewhere",
    "other_placement_settings": "elsewhere",
    "neet": "elsewhere",
    "neet_ntci": "elsewhere",
    "neet_other": "elsewhere",
    "neet_other_csa": "elsewhere",
    "await_prov_2022": "elsewhere",
    "perm_ex_2022": "elsewhere",
    "nm_early_years": "early_years",
    "placement_unknown": "not_recorded",
}

_CALENDAR_YEAR = re.compile(r"^\d{4}$")
_ACADEMIC_YEAR = re.compile(r"^(\d{4})(\d{2})$")


def ees_identifiers(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``geographic_level, la_code, ons_code, la_name`` of each row of an EES tidy file.

    LA rows keep their 3-digit ``old_la_code`` and ``new_la_code``; regional rows take the
    region's code and name, the national row the country's (E92000001, England).
    """
    require_columns(frame, EES_GEOGRAPHY_COLUMNS, path)
    level = frame["geographic_level"].astype("str")
    unknown = sorted(set(level) - set(EES_LEVELS))
    if unknown:
        raise SourceFormatError(path, f"column 'geographic_level' has unexpected values {unknown}")
    is_la, is_region = level == "Local authority", level == "Regional"
    la_code = frame["old_la_code"].astype("str").str.strip().where(is_la)
    bad = is_la & ~la_code.str.fullmatch(r"\d{3}").fillna(False).astype(bool)
    if bad.any():
        rows = (frame.index[bad] + 2).tolist()[:5]
        raise SourceFormatError(path, f"column 'old_la_code' is not a 3-digit LA code on line(s) {rows}")
    ons_code = np.select([is_la, is_region], [frame["new_la_code"], frame["region_code"]], frame["country_code"])
    la_name = np.select([is_la, is_region], [frame["la_name"], frame["region_name"]], frame["country_name"])
    return pd.DataFrame(
        {"geographic_level": level, "la_code": la_code,
         "ons_code": pd.Series(ons_code, index=frame.index, dtype="str"),
         "la_name": pd.Series(la_name, index=frame.index, dtype="str").str.strip()},
        index=frame.index,
    )


def january_from_time_period(values: pd.Series, path: Path) -> pd.Series:
    """The January of an EES ``time_period``: "2022" -> 2022, academic "201819" -> 2019."""
    text = values.astype("str").str.strip()
    calendar = text.str.fullmatch(_CALENDAR_YEAR.pattern).fillna(False).astype(bool)
    parts = text.str.extract(_ACADEMIC_YEAR)
    start = pd.to_numeric(parts[0], errors="coerce")
    academic = parts[1].notna() & ((start + 1) % 100 == pd.to_numeric(parts[1], errors="coerce"))
    bad = ~(calendar | academic)
    if bad.any():
        examples = sorted(set(text[bad].astype(str)))[:5]
        raise SourceFormatError(path, f"column 'time_period' has values {examples}; expected YYYY or YYYYyy")
    january = pd.to_numeric(text.where(calendar), errors="coerce").fillna(start + 1)
    return january.astype("int64")


def _ehcp_table(rows: pd.DataFrame, value_column: str, path: Path, source: str) -> pd.DataFrame:
    """The standard EHCP columns from the selected total rows of one release."""
    require_columns(rows, [value_column], path)
    count, suppressed = numeric_column(rows[value_column], path, value_column)
    table = ees_identifiers(rows, path).assign(
        january=january_from_time_period(rows["time_period"], path),
        ehcp_count=count, ehcp_count_suppressed=suppressed, source=source,
    )
    return _sorted(table[EHCP_COLUMNS], ["january", "geographic_level", "la_code", "ons_code"], path)


def _sorted(table: pd.DataFrame, keys: list[str], path: Path) -> pd.DataFrame:
    """Check ``keys`` are unique, then sort by them with a fresh index."""
    check_unique(table, keys, path)
    return table.sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)


def read_ehcp_2022_release(path: Path) -> pd.DataFrame:
    """Statements + EHC plans (``Total_all``) each January 2010..2022, 2022 release."""
    frame = read_csv_in_zip(path, MEMBER_2022, dtype=str)
    where = f"{path}:{MEMBER_2022}"
    require_columns(frame, ["characteristic_age", "Total_all"], where)
    totals = frame[frame["characteristic_age"].str.strip() == "Total"]
    return _ehcp_table(totals, "Total_all", where, f"{Path(path).name}:{MEMBER_2022}")


def read_ehcp_2025_release(path: Path) -> pd.DataFrame:
    """EHC plans (``ehcplans``, "All EHC plans" rows) each January 2019..2025, 2025 release."""
    frame = read_csv_in_zip(path, MEMBER_2025, dtype=str)
    where = f"{path}:{MEMBER_2025}"
    return _ehcp_table(_all_plans_rows(frame, where), "ehcplans", where, f"{Path(path).name}:{MEMBER_2025}")


def _all_plans_rows(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """The rows of caseload.csv that count all plans (no breakdown)."""
    require_columns(frame, ["breakdown_topic", "breakdown", "ehcplans"], where)
    rows = frame[frame["breakdown_topic"].str.strip() == "All EHC plans"]
    if rows.empty:
        raise SourceFormatError(where, "no rows with breakdown_topic 'All EHC plans'")
    return rows


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
    return _sorted(combined, ["january", "geographic_level", "la_code", "ons_code"], folder)


def read_ehcp_by_setting(raw_dir: Path | None = None) -> pd.DataFrame:
    """EHC plans each January 2019..2025 by type of setting attended (2025 release caseload.csv).

    One row per area, January and leaf setting (see SETTING_GROUPS). Columns:
    geographic_level, la_code, ons_code, la_name, january, setting, setting_group,
    ehcp_count, ehcp_count_suppressed. "x" (setting not collected that year, or the LA
    returned totals only) becomes NaN with the flag set.
    """
    path = Path(raw_dir or config.raw_dir()) / DATASET / RELEASE_2025
    where = f"{path}:{MEMBER_2025}"
    rows = _all_plans_rows(read_csv_in_zip(path, MEMBER_2025, dtype=str), where)
    require_columns(rows, list(SETTING_GROUPS), where)
    ids = ees_identifiers(rows, where).assign(january=january_from_time_period(rows["time_period"], where))
    parts = []
    for setting, group in SETTING_GROUPS.items():
        count, suppressed = numeric_column(rows[setting], where, setting)
        parts.append(ids.assign(setting=setting, setting_group=group, ehcp_count=count, ehcp_count_suppressed=suppressed))
    table = pd.concat(parts, ignore_index=True)[SETTING_COLUMNS]
    return _sorted(table, ["january", "geographic_level", "la_code", "ons_code", "setting"], where)
