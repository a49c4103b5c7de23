"""A pandera schema for every processed table (validated lazily: every failure listed)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from sendlib.panel import FLOW_COUNTS, SETTING_COUNTS
from sendlib.readers.sen2 import NEED_COLUMNS, SETTING_GROUP_LABELS, SETTING_GROUPS
from sendlib.readers.stat_neighbours import CLOSENESS_BANDS
from sendlib.readers.stat_neighbours import MODEL_FILES as STAT_NEIGHBOUR_MODELS
from sendlib.validate import validate_schema


def la_code_column(nullable: bool = False) -> pa.Column:
    """A 3-digit DfE LA code stored as a string."""
    return pa.Column(str, pa.Check.str_matches(r"^\d{3}$"), nullable=nullable)


def fy_column() -> pa.Column:
    """A financial-year label like 2021-22."""
    return pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$"))


def money_column(nullable: bool = True) -> pa.Column:
    """A GBP amount (may be negative, e.g. net income or a surplus)."""
    return pa.Column(float, nullable=nullable)


def count_column(nullable: bool = True) -> pa.Column:
    """A non-negative count."""
    return pa.Column(float, pa.Check.ge(0), nullable=nullable)


def pct_column(nullable: bool = True, low: float = -1000.0, high: float = 1000.0) -> pa.Column:
    """A percentage (0-100 scale unless the table says otherwise)."""
    return pa.Column(float, pa.Check.in_range(low, high), nullable=nullable)


def _flag() -> pa.Column:
    return pa.Column(bool)


def _year(low: int, high: int) -> pa.Column:
    return pa.Column(int, pa.Check.in_range(low, high))


def _counts(*columns: str) -> dict[str, pa.Column]:
    """Each count column with its ``_suppressed`` flag."""
    return {name: column for c in columns for name, column in ((c, count_column()), (f"{c}_suppressed", _flag()))}


def _sen2(period: str, key: dict[str, pa.Column], counts: list[str], national: bool) -> pa.DataFrameSchema:
    """A SEN2 table per LA (``la_code``, the period, the ``key`` column and its label or group,
    counts with flags, ``source_note``) or, with ``national``, its England rows (no LA columns,
    no note). Unique per LA, period and the first ``key`` column."""
    ids = {} if national else {"la_code": la_code_column(), "la_name": pa.Column(str)}
    note = {} if national else {"source_note": pa.Column("string", nullable=True)}
    unique = [*([] if national else ["la_code"]), period, *list(key)[:1]]
    return pa.DataFrameSchema({**ids, period: _year(2019, 2030), **key, **_counts(*counts), **note}, unique=unique)


_SETTING = {"setting": pa.Column(str, pa.Check.isin(list(SETTING_GROUPS))),
            "setting_group": pa.Column(str, pa.Check.isin(list(SETTING_GROUP_LABELS)))}
_NEED = {"need": pa.Column(str, pa.Check.isin([need for need, _ in NEED_COLUMNS.values()])), "need_label": pa.Column(str)}
_TRIBUNAL = {"appeal_rate_pct": pct_column(low=0, high=100), "appeal_rate_pct_suppressed": _flag()}


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "la_lookup": pa.DataFrameSchema({
        "la_code": la_code_column(), "la_name": pa.Column(str), "ons_code": pa.Column(str, pa.Check.str_matches(r"^E\d{8}$")),
        "region_name": pa.Column(str), "la_type": pa.Column(str, pa.Check.isin(["UA", "MD", "SC", "OLB", "ILB"])),
        "unit": pa.Column(str), "unit_name": pa.Column(str),
    }, unique=["la_code"]),
    "hn_spend": pa.DataFrameSchema({
        "la_code": la_code_column(), "fy": fy_column(), "hn_spend_gbp": money_column(), "total_gbp": money_column(),
    }, unique=["la_code", "fy"]),
    "hn_benchmarking": pa.DataFrameSchema({
        "la_code": la_code_column(), "fy": fy_column(), "stage": pa.Column(str, pa.Check.isin(["budget", "outturn"])),
        "line": pa.Column(str), "value_gbp": money_column(), "value_gbp_suppressed": _flag(),
    }, unique=["la_code", "fy", "stage", "line"]),
    "hnb_allocation": pa.DataFrameSchema({
        "la_code": la_code_column(), "fy": fy_column(), "hnb_before_deductions_gbp": count_column(),
        "hnb_after_deductions_gbp": count_column(), "dsg_total_gbp": count_column(),
    }, unique=["la_code", "fy"]),
    "dsg_balance": pa.DataFrameSchema({
        "la_code": la_code_column(), "fy": fy_column(), "dsg_balance_pct": pct_column(),
        "dsg_balance_pct_suppressed": _flag(), "dsg_balance_gbp": money_column(),
    }, unique=["la_code", "fy"]),
    "ehcp": pa.DataFrameSchema({
        "la_code": la_code_column(), "january": _year(2010, 2030), "ehcp_count": count_column(),
        "ehcp_count_suppressed": _flag(),
    }, unique=["la_code", "january"]),
    "ehcp_national": pa.DataFrameSchema({"january": _year(2010, 2030), "ehcp_count": count_column(False)},
                                        unique=["january"]),
    "population": pa.DataFrameSchema({
        "la_code": la_code_column(), "mid_year": _year(2010, 2030), "pop_0_25_count": count_column(),
        "pop_2_18_count": count_column(), "pop_0_17_count": count_column(), "pop_0_17_dfe_count": count_column(),
        "pop_0_17_dfe_count_suppressed": _flag(),
    }, unique=["la_code", "mid_year"]),
    "population_england": pa.DataFrameSchema({"mid_year": _year(2010, 2030), "pop_0_17_count": count_column(False)},
                                             unique=["mid_year"]),
    "deflator": pa.DataFrameSchema({"fy": fy_column(), "deflator": count_column(False),
                                    "deflator_index": count_column(False)}, unique=["fy"]),
    "sen_support": pa.DataFrameSchema({
        "la_code": la_code_column(), "january": _year(2010, 2030), "sen_support_pct": pct_column(low=0, high=100),
        "ehcp_pupil_pct": pct_column(low=0, high=100),
    }, unique=["la_code", "january"]),
    "deprivation": pa.DataFrameSchema({
        "la_code": la_code_column(), "iod_year": pa.Column(int, pa.Check.isin([2015, 2019])),
        "imd_avg_score": count_column(False), "idaci_avg_score": count_column(False),
    }, unique=["la_code", "iod_year"]),
    "programmes": pa.DataFrameSchema({
        "la_code": la_code_column(), "programme": pa.Column(str), "confidence": pa.Column(str),
        "source": pa.Column(str, nullable=True), "start": pa.Column("datetime64[ns]"),
        **{column: pa.Column("datetime64[ns]", nullable=True) for column in ("invited", "signed", "moved")},
    }),
    "stat_neighbours": pa.DataFrameSchema({
        "model": pa.Column(str, pa.Check.isin(list(STAT_NEIGHBOUR_MODELS))), "la_code": la_code_column(),
        "la_name": pa.Column(str), "rank": pa.Column(int, pa.Check.in_range(1, 10)),
        "neighbour_la_code": la_code_column(), "closeness": pa.Column(str, pa.Check.isin(list(CLOSENESS_BANDS))),
        "old_section": _flag(), "la_current": _flag(), "neighbour_current": _flag(),
    }, unique=["model", "la_code", "rank"], strict=True),
    **{name + suffix: _sen2(period, key, counts, national=bool(suffix))
       for name, period, key, counts in [
           ("ehcp_by_setting", "january", _SETTING, ["ehcp_count"]),
           ("new_plans_by_setting", "calendar_year", _SETTING, ["new_plans_count"]),
           ("new_plans", "calendar_year", {}, FLOW_COUNTS["new_plans"]),
           ("requests", "calendar_year", {}, FLOW_COUNTS["requests"]),
           ("timeliness", "calendar_year", {}, FLOW_COUNTS["timeliness"]),
           ("primary_need", "january", _NEED, ["ehcp_count"])]
       for suffix in ("", "_national")},
    "tribunal_appeals": pa.DataFrameSchema({
        "la_code": la_code_column(), "file_la_code": pa.Column("string", pa.Check.str_matches(r"^\d{3}$"), nullable=True),
        "la_name": pa.Column(str), "calendar_year": _year(2014, 2030), **_counts(*FLOW_COUNTS["tribunal_appeals"]),
        **_TRIBUNAL}, unique=["la_code", "calendar_year"]),
    "tribunal_appeals_national": pa.DataFrameSchema({
        "calendar_year": _year(2014, 2030), **_counts(*FLOW_COUNTS["tribunal_appeals"]), **_TRIBUNAL},
        unique=["calendar_year"]),
    "panel": pa.DataFrameSchema({
        "unit": pa.Column(str), "fy": fy_column(), "fy_start": _year(2010, 2035), "hn_spend_gbp": money_column(),
        "hn_spend_complete": _flag(), "hnb_after_deductions_gbp": count_column(), "dsg_total_gbp": count_column(),
        "dsg_balance_pct": pct_column(), "ehcp_count": count_column(), "pop_2_18_count": count_column(),
        "pop_0_25_count": count_column(), "deflator_index": count_column(), "dbv": _flag(), "safety_valve": _flag(),
        "case_study_2022": _flag(),
        **{column: count_column() for column in [*SETTING_COUNTS, *(c for cs in FLOW_COUNTS.values() for c in cs)]},
    }, unique=["unit", "fy"]),
}


def validate_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Validate every table that has a schema; a table without one is an error (so none is forgotten)."""
    unknown = sorted(set(tables) - set(SCHEMAS))
    if unknown:
        raise KeyError(f"no schema for table(s) {unknown}: add one in sendlib.schemas")
    for name in sorted(tables):
        validate_schema(tables[name], SCHEMAS[name], name)
