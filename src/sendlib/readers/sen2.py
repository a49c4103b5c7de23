"""The SEN2 2025 release ("Education, health and care plans", reporting year 2025), read straight
from its "download all" zip: plans in force by setting, new plans (all and by setting), requests
for assessment and decisions, plans issued within 20 weeks, and primary need.

Periods (see :mod:`sendlib.years`): plans in force are counted in **January** (``january``,
``time_period`` 201819 = January 2019); new plans, requests and plans issued are flows over a
**calendar year** (``calendar_year``, ``time_period`` 2019), returned the following January.

Every table keeps the file's England, regional and LA rows (``geographic_level``). Values
marked ``x`` (not available) are missing with a ``<column>_suppressed`` flag, never 0. A
value that repeats its region's total in two or more LAs is impossible for a count and is set
aside (missing, named in ``source_note``): in this release every Yorkshire and the Humber
council has the region's 6,078 new plans in 2022.

Series break: SEN2 became a person-level return in 2023; DfE restated the counts back to
2019, but some items start in 2023 (requests decided to assess) and settings were added or
retired (see :data:`SETTING_GROUPS`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import read_csv_in_zip, require_columns
from sendlib.readers.ehcp import DATASET, MEMBER_2025
from sendlib.readers.ehcp import RELEASE_2025 as RELEASE
from sendlib.readers.ees import (
    EES_GEOGRAPHY_COLUMNS,
    LEVEL_KEYS,
    breakdown_rows,
    calendar_year_from_time_period,
    count_columns,
    ees_identifiers,
    january_from_time_period,
    set_aside_note,
    sorted_unique,
)

CASELOAD = MEMBER_2025
NEW_PLANS = "data/newplans.csv"
REQUESTS = "data/requests.csv"
TIMELINESS = "data/timeliness_20_week.csv"
NEEDS = "data/sen_needs_all_plans.csv"

#: Leaf setting columns of caseload.csv and newplans.csv (DfE's subtotals ``*_total``,
#: ``ed_elsewhere`` and the ``*_pc`` shares are left out) and the group each belongs to. The
#: leaves are disjoint and sum to the total except where an LA returned totals only (Hackney
#: and Peterborough in January 2024; Cambridgeshire and North East Lincolnshire in January
#: 2025; Wakefield's new plans of 2022). ``mainstream`` is DfE's ``mainstream_total``
#: (resourced provision, SEN units and mainstream independent schools included);
#: ``special_state`` + ``special_independent`` is DfE's ``special_total``.
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
    "special_la_maintained": "special_state",
    "special_academy_free": "special_state",
    "special_independent": "special_independent",
    "special_non_maintained": "special_independent",
    "ap_pru_academy": "alternative_provision",
    "ap_pru_free_school": "alternative_provision",
    "ap_pru_la_maintained": "alternative_provision",
    "general_fe_tertiary_colleges": "further_education",
    "specialist_post_16_institutions": "further_education",
    "ukrlp_provider": "further_education",
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

#: Each setting group in words, for people.
SETTING_GROUP_LABELS = {
    "mainstream": "Mainstream schools (including resourced provision and SEN units)",
    "special_state": "State special schools (LA maintained, academy and free)",
    "special_independent": "Independent and non-maintained special schools",
    "alternative_provision": "Alternative provision and pupil referral units",
    "further_education": "Further education colleges and post-16 providers",
    "elsewhere": "Educated elsewhere (home, other arrangements, not in education, awaiting provision)",
    "early_years": "Non-maintained early years settings",
    "not_recorded": "Setting not recorded",
}

#: sen_needs_all_plans.csv count column -> (need, words for people).
NEED_COLUMNS = {
    "number_asd": ("asd", "Autistic spectrum disorder"),
    "number_hi": ("hi", "Hearing impairment"),
    "number_mld": ("mld", "Moderate learning difficulty"),
    "number_msi": ("msi", "Multi-sensory impairment"),
    "number_oth": ("oth", "Other difficulty or disability"),
    "number_pd": ("pd", "Physical disability"),
    "number_pmld": ("pmld", "Profound and multiple learning difficulty"),
    "number_semh": ("semh", "Social, emotional and mental health"),
    "number_slcn": ("slcn", "Speech, language and communication needs"),
    "number_sld": ("sld", "Severe learning difficulty"),
    "number_spld": ("spld", "Specific learning difficulty"),
    "number_vi": ("vi", "Visual impairment"),
    "number_need_unknown": ("need_unknown", "Primary need not recorded"),
}

#: Count tables: name -> (member, breakdown_topic of the totals, {source column: our column}).
COUNT_TABLES = {
    "new_plans": (NEW_PLANS, "New EHC plans", {"new_ehc_plans": "new_plans_count"}),
    "requests": (REQUESTS, "All requests for EHC needs assessments", {
        "requests_received_in_year": "requests_count",
        "requests_decided_to_assess": "assess_count",
        "requests_decided_not_to_assess": "not_assess_count"}),
    "timeliness": (TIMELINESS, "All EHC plans issued", {
        "plans_issued_den": "issued_count",
        "plans_issued_within_20_weeks": "issued_20wk_count",
        "plans_issued_den_ex": "issued_ex_count",
        "plans_issued_20_weeks_ex": "issued_20wk_ex_count"}),
}


def release_path(raw_dir: Path | None = None) -> Path:
    """The mirrored 2025 release zip."""
    return Path(raw_dir or config.raw_dir()) / DATASET / RELEASE


def _total_rows(raw_dir: Path | None, member: str, topic: str, columns: list[str]) -> tuple[pd.DataFrame, str]:
    """The rows of ``member`` counting everything (no breakdown), with the geography and
    ``columns`` only (a missing one is reported by the caller), and "zip:member" for errors."""
    path = release_path(raw_dir)
    where = f"{path}:{member}"
    wanted = {*EES_GEOGRAPHY_COLUMNS, "breakdown_topic", "breakdown", *columns}
    frame = read_csv_in_zip(path, member, dtype=str, usecols=lambda column: column in wanted)
    return breakdown_rows(frame, topic, where), where


def _identifiers(rows: pd.DataFrame, period: str, where: str) -> pd.DataFrame:
    """The ID columns and the period (``january`` or ``calendar_year``) of each row."""
    parse = january_from_time_period if period == "january" else calendar_year_from_time_period
    return ees_identifiers(rows, where).assign(**{period: parse(rows["time_period"], where)})


def read_counts(name: str, raw_dir: Path | None = None) -> pd.DataFrame:
    """One of :data:`COUNT_TABLES` ("new_plans", "requests", "timeliness") per calendar year.

    Columns: geographic_level, la_code, ons_code, la_name, calendar_year, then each count with
    its ``_suppressed`` flag, then ``source_note``.
    """
    member, topic, columns = COUNT_TABLES[name]
    rows, where = _total_rows(raw_dir, member, topic, list(columns))
    counts, set_aside = count_columns(rows, columns, where)
    table = pd.concat([_identifiers(rows, "calendar_year", where), counts], axis=1)
    table["source_note"] = set_aside_note(set_aside)
    return sorted_unique(table, ["calendar_year", *LEVEL_KEYS], where)


def _melt(ids: pd.DataFrame, counts: pd.DataFrame, set_aside: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    """Wide counts (one column per ``key`` value, as :func:`count_columns` returns them) to one
    row per area, period and ``key``, with ``value``, its flag and ``source_note``."""
    names = list(set_aside.columns)
    long = ids.iloc[np.tile(np.arange(len(ids)), len(names))].reset_index(drop=True)
    long[key] = np.repeat(names, len(ids))
    long[value] = counts[names].to_numpy().ravel(order="F")
    long[f"{value}_suppressed"] = counts[[f"{n}_suppressed" for n in names]].to_numpy().ravel(order="F")
    long["source_note"] = set_aside_note(pd.DataFrame({value: set_aside.to_numpy().ravel(order="F")}))
    return long


def _by_setting(raw_dir: Path | None, member: str, topic: str, period: str, value: str) -> pd.DataFrame:
    """A by-setting file melted to one row per area, period and leaf setting collected that
    period (a leaf whose England value is ``x`` was not collected that year and has no rows)."""
    rows, where = _total_rows(raw_dir, member, topic, list(SETTING_GROUPS))
    require_columns(rows, list(SETTING_GROUPS), where)
    ids = _identifiers(rows, period, where)
    missing = sorted(set(ids[period]) - set(ids.loc[ids["geographic_level"] == "National", period]))
    if missing:
        raise SourceFormatError(where, f"no National row for {period} {missing}: cannot tell which settings were collected")
    table = _melt(ids, *count_columns(rows, {s: s for s in SETTING_GROUPS}, where), "setting", value)
    table.insert(table.columns.get_loc("setting") + 1, "setting_group", table["setting"].map(SETTING_GROUPS))
    national = table["geographic_level"] == "National"
    not_collected = table.loc[national & table[f"{value}_suppressed"], [period, "setting"]]
    table = table.merge(not_collected, how="left", indicator=True)
    table = table[table.pop("_merge") == "left_only"]
    return sorted_unique(table, [period, *LEVEL_KEYS, "setting"], where)


def read_ehcp_by_setting(raw_dir: Path | None = None) -> pd.DataFrame:
    """EHC plans in force each January 2019..2025 by type of setting attended (caseload.csv).

    One row per area, January and leaf setting collected that January (see SETTING_GROUPS).
    Columns: geographic_level, la_code, ons_code, la_name, january, setting, setting_group,
    ehcp_count, ehcp_count_suppressed, source_note.
    """
    return _by_setting(raw_dir, CASELOAD, "All EHC plans", "january", "ehcp_count")


def read_new_plans_by_setting(raw_dir: Path | None = None) -> pd.DataFrame:
    """New EHC plans made each calendar year 2019..2024 by type of setting (newplans.csv); the
    columns of :func:`read_ehcp_by_setting` with calendar_year and new_plans_count."""
    return _by_setting(raw_dir, NEW_PLANS, "New EHC plans", "calendar_year", "new_plans_count")


def read_primary_need(raw_dir: Path | None = None) -> pd.DataFrame:
    """EHC plans in force in January 2025 by primary type of need (sen_needs_all_plans.csv).

    One row per area and need. Columns: geographic_level, la_code, ons_code, la_name, january,
    need, need_label, ehcp_count, ehcp_count_suppressed, source_note.
    """
    rows, where = _total_rows(raw_dir, NEEDS, "All EHC plans", list(NEED_COLUMNS))
    table = _melt(_identifiers(rows, "january", where), *count_columns(rows, {c: c for c in NEED_COLUMNS}, where),
                  "need", "ehcp_count")
    need = table.pop("need")
    table.insert(table.columns.get_loc("january") + 1, "need", need.map(lambda c: NEED_COLUMNS[c][0]))
    table.insert(table.columns.get_loc("need") + 1, "need_label", need.map(lambda c: NEED_COLUMNS[c][1]))
    return sorted_unique(table, ["january", *LEVEL_KEYS, "need"], where)
