"""Small numbers: which values of a council profile rest on a count too small to read their
level or their year-to-year change as more than chance. One registry for every measure of the
profile (the headline summary, the "Placement and process" section, the front page's key
figures): each measure rests on a count (:data:`MEASURE_COUNTS`), and each count has its
threshold and the reason for it (:data:`SMALL_COUNTS`). A value is flagged when its count is
known, above zero (a ratio over none has no value) and below the threshold in the year shown (for
a growth, at its smallest in either of its two years).

The counts, their thresholds and why (``basis``):

- **EHC plans, 500** (``children``; basis "chance"): high-needs spending and every rate of the
  headline follow the children with an EHC plan. A count of n children moves by about sqrt(n)
  from one year to the next by chance alone (the spread of a Poisson count), that is by
  1/sqrt(n) of itself: 4.5% at 500, 24% at 18. From 2017-18 to 2024-25 this flags the Isles of
  Scilly (11 to 18 plans), the City of London (13 to 26) and Rutland (197 to 376), and no other
  unit (the next smallest count of any year is 509).
- **EHC plans in force, 100** (``plans``; basis "share"): shares of plans by setting and by
  primary need. One child moves a share of n plans by 100/n percentage points: more than one
  point below 100 plans, as much as England's mainstream share changes in a year. Flags the
  Isles of Scilly and the City of London (10-30 plans).
- **new EHC plans, 100** (``new_plans``; "share"): shares of new plans by setting, likewise.
- **plans issued, 30** (``issued_ex``, ``issued``: excluding and including exceptions) and
  **assessment decisions, 30** (``decisions``; "share"): 20-week timeliness and the share of
  decisions refusing an assessment. One plan moves the share by more than 3 points below 30;
  these shares differ between councils by tens of points, so 30 is enough (the usual rule of
  thumb for small numbers).
- **people aged 0-25, 10,000** (``people``; basis "rate"): rates per 10,000 of new plans and
  requests. One child moves the rate by 10,000/n per 10,000: more than 1 below 10,000 people
  (England: about 40 new plans per 10,000 a year). Flags the Isles of Scilly (500-600 people)
  and the City of London (1,400-3,500); Rutland (about 11,000) is just above.
- **appealable decisions, 500** (``appealable``; "share"): the SEND Tribunal appeal rate. One
  appeal moves it by more than 0.2 points below 500, a tenth of a typical rate (1-3%). Flags the
  Isles of Scilly, the City of London and Rutland (200-400 decisions).

A count is the sum of its panel columns (missing when any is). Numbers only: the words are in
sendlib.findings.council.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sendlib.analysis.measures import require_panel_columns
from sendlib.panel import SETTING_COUNTS

BASES = ("chance", "share", "rate")


@dataclass(frozen=True)
class SmallCount:
    """A count that measures rest on (the sum of the panel ``columns``), in words (``label``,
    plural; ``singular``), the threshold below which a value resting on it is flagged, and why
    (``basis``): "chance" (the count itself moves by about sqrt(n) a year by chance), "share"
    (one more or fewer moves a share of n by 100/n percentage points) or "rate" (a rate per
    10,000 by 10,000/n)."""

    columns: tuple[str, ...]
    label: str
    singular: str
    threshold: float
    basis: str

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"small count {self.label!r}: basis {self.basis!r} is not one of {list(BASES)}")


SMALL_COUNTS: dict[str, SmallCount] = {
    "children": SmallCount(("ehcp_count",), "EHC plans", "EHC plan", 500, "chance"),
    "plans": SmallCount(("ehcp_count",), "EHC plans in force", "EHC plan in force", 100, "share"),
    "new_plans": SmallCount(("new_plans_count",), "new EHC plans", "new EHC plan", 100, "share"),
    "issued_ex": SmallCount(("issued_ex_count",), "plans issued (excluding exceptions)",
                            "plan issued (excluding exceptions)", 30, "share"),
    "issued": SmallCount(("issued_count",), "plans issued", "plan issued", 30, "share"),
    "decisions": SmallCount(("assess_count", "not_assess_count"), "assessment decisions", "assessment decision", 30,
                            "share"),
    "people": SmallCount(("pop_0_25_count",), "people aged 0-25", "person aged 0-25", 10_000, "rate"),
    "appealable": SmallCount(("appealable_decisions_count",), "appealable decisions", "appealable decision", 500,
                             "share"),
}
#: The setting groups with a count of their own (``ehcp_<short>_count``): mainstream, special_state, ...
_SETTINGS = [column.removeprefix("ehcp_").removesuffix("_count")
             for column, groups in SETTING_COUNTS.items() if len(groups) == 1]
#: Measure -> the count (SMALL_COUNTS key) it rests on: the headline's standard measures
#: (sendlib.analysis.standard_measures), the outcomes (sendlib.analysis.outcomes) and the
#: placement section's shares by setting (sendlib.analysis.placement). The DSG balance rests on no count.
MEASURE_COUNTS: dict[str, str] = {
    "spend_per_head_2_18_gbp": "children", "spend_per_ehcp_gbp": "children", "spend_pct_of_allocation": "children",
    "ehcp_per_10k_0_25": "children", "spend_growth_pct": "children",
    "mainstream_share_pct": "plans", "special_independent_share_pct": "plans", "timely_20wk_ex_pct": "issued_ex",
    **{f"{short}_share": "plans" for short in _SETTINGS},
    **{f"new_plans_{short}_share": "new_plans" for short in _SETTINGS},
    "new_plans_per_10k": "people", "ehcp_per_10k": "people", "requests_per_10k": "people",
    "timely_20wk_ex": "issued_ex", "timely_20wk": "issued", "refusal_share": "decisions", "appeal_rate": "appealable",
}
FLAG_COLUMNS = ["measure", "count_label", "count", "count_fy", "threshold", "basis", "chance_share"]


def count_key(measure: str) -> str | None:
    """The SMALL_COUNTS key ``measure`` rests on (MEASURE_COUNTS; a share of plans by primary need,
    ``need_<code>_share``, on the plans in force); None when it rests on no count."""
    if measure in MEASURE_COUNTS:
        return MEASURE_COUNTS[measure]
    return "plans" if measure.startswith("need_") and measure.endswith("_share") else None


def is_small(counts: pd.Series, key: str) -> pd.Series:
    """True where a count (of SMALL_COUNTS ``key``) is known, above zero and below its threshold."""
    values = counts.astype("float64")
    return values.notna() & (values > 0) & (values < SMALL_COUNTS[key].threshold)


def count_values(frame: pd.DataFrame, rule: SmallCount) -> pd.Series:
    """The count of ``rule`` per row of ``frame``: the sum of its columns, missing if any is."""
    columns = list(rule.columns)
    require_panel_columns(frame, columns)
    return frame[columns].astype("float64").sum(axis=1, min_count=len(columns))


def small_rows(frame: pd.DataFrame, measure: str) -> pd.Series:
    """Per row of ``frame`` (panel columns): True where the count ``measure`` rests on is small;
    ValueError for a measure resting on no count."""
    key = count_key(measure)
    if key is None:
        raise ValueError(f"measure {measure!r} rests on no count of SMALL_COUNTS; add it to MEASURE_COUNTS")
    return is_small(count_values(frame, SMALL_COUNTS[key]), key).rename(f"{measure}_small")


def chance_share(count: float) -> float:
    """How much of itself a count moves by chance from year to year: 1 / sqrt(count)."""
    return 1 / math.sqrt(count)


def smallest_count(panel: pd.DataFrame, unit: str, rule: SmallCount, fys: list[str]) -> tuple[float, str] | None:
    """The unit's smallest count of ``rule`` over ``fys`` and its year (None if it has none)."""
    require_panel_columns(panel, ["unit", "fy"])
    rows = panel.loc[(panel["unit"] == unit) & panel["fy"].isin(fys)]
    counts = pd.DataFrame({"fy": rows["fy"].astype(str), "count": count_values(rows, rule)}).dropna()
    if counts.empty:
        return None
    smallest = counts.sort_values(["count", "fy"]).iloc[0]
    return float(smallest["count"]), str(smallest["fy"])


def small_number_flags(panel: pd.DataFrame, unit: str, measure_years: Mapping[str, str],
                       measure_counts: Mapping[str, str] = MEASURE_COUNTS,
                       small_counts: Mapping[str, SmallCount] = SMALL_COUNTS) -> pd.DataFrame:
    """FLAG_COLUMNS, one row per measure of ``measure_years`` (key -> its year, or "first to last"
    for a growth) whose count is small for ``unit``: measure, count_label, count (the smallest
    over the years), count_fy, threshold, basis and chance_share (1/sqrt(count))."""
    rows = []
    for measure, fy in measure_years.items():
        if measure not in measure_counts or not fy:
            continue
        rule = small_counts[measure_counts[measure]]
        found = smallest_count(panel, unit, rule, [year.strip() for year in fy.split(" to ")])
        if found is not None and 0 < found[0] < rule.threshold:
            rows.append({"measure": measure, "count_label": rule.label, "count": found[0], "count_fy": found[1],
                         "threshold": rule.threshold, "basis": rule.basis, "chance_share": chance_share(found[0])})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)
