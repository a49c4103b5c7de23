"""Small numbers: which of a unit's measures rest on a count of children too small to read
their level or their year-to-year change as more than chance.

A count of n children moves by about sqrt(n) from one year to the next by chance alone (the
spread of a Poisson count), that is by 1/sqrt(n) of itself: 4.5% at 500, 24% at 18. A measure
is flagged when the count it rests on is below its threshold in the year shown (for a growth,
in either of its two years). High-needs spending, and every rate of a council profile, follow
the children with an EHC plan, so the standard measures rest on the EHC plan count; below 500
plans (where chance variation passes 4.5%) they are flagged. From 2017-18 to 2024-25 this flags
the Isles of Scilly (11 to 18 plans), the City of London (13 to 26) and Rutland (197 to 376),
and no other unit (the next smallest count of any year is 509).

The registry is open: a measure is added to MEASURE_COUNTS with the count it rests on, and a
new count (e.g. plans issued in a year, for 20-week timeliness) to SMALL_COUNTS with its own
threshold. Numbers only: sendlib.findings.council words the flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sendlib.analysis.measures import require_panel_columns


@dataclass(frozen=True)
class SmallCount:
    """A count of children that measures rest on, and below how many a measure is flagged."""

    column: str  # the panel column
    label: str  # in words, plural: "EHC plans"
    threshold: int


SMALL_COUNTS = {"ehcp_count": SmallCount("ehcp_count", "EHC plans", 500)}
#: Measure key (sendlib.analysis.standard_measures) -> the count (SMALL_COUNTS key) it rests on.
MEASURE_COUNTS = {
    "spend_per_head_2_18_gbp": "ehcp_count",
    "spend_per_ehcp_gbp": "ehcp_count",
    "spend_pct_of_allocation": "ehcp_count",
    "ehcp_per_10k_0_25": "ehcp_count",
    "spend_growth_pct": "ehcp_count",
}
FLAG_COLUMNS = ["measure", "count_label", "count", "count_fy", "threshold", "chance_share"]


def chance_share(count: float) -> float:
    """How much of itself a count moves by chance from year to year: 1 / sqrt(count)."""
    return 1 / math.sqrt(count)


def smallest_count(panel: pd.DataFrame, unit: str, column: str, fys: list[str]) -> tuple[float, str] | None:
    """The unit's smallest value of ``column`` over ``fys`` and its year (None if it has none)."""
    require_panel_columns(panel, ["unit", "fy", column])
    rows = panel.loc[(panel["unit"] == unit) & panel["fy"].isin(fys), ["fy", column]].dropna()
    if rows.empty:
        return None
    smallest = rows.sort_values([column, "fy"]).iloc[0]
    return float(smallest[column]), str(smallest["fy"])


def small_number_flags(panel: pd.DataFrame, unit: str, measure_years: Mapping[str, str],
                       measure_counts: Mapping[str, str] = MEASURE_COUNTS,
                       small_counts: Mapping[str, SmallCount] = SMALL_COUNTS) -> pd.DataFrame:
    """One row per measure of ``measure_years`` (key -> its year, or "first to last" for a
    growth) whose count is below its threshold for ``unit``: measure, count_label, count (the
    smallest over the years), count_fy, threshold, chance_share (1/sqrt(count))."""
    rows = []
    for measure, fy in measure_years.items():
        if measure not in measure_counts or not fy:
            continue
        rule = small_counts[measure_counts[measure]]
        found = smallest_count(panel, unit, rule.column, [year.strip() for year in fy.split(" to ")])
        if found is not None and 0 < found[0] < rule.threshold:
            rows.append({"measure": measure, "count_label": rule.label, "count": found[0], "count_fy": found[1],
                         "threshold": rule.threshold, "chance_share": chance_share(found[0])})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)
