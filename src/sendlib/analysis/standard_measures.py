"""The standard benchmarking measures of a council profile, as DfE's benchmarking tools (High
Needs Benchmarking Tool, FBIT, LAIT) show them: the unit's value, its comparators' average,
England's figure, its rank among its comparators and its national quartile.

Definitions (spend = S251 high-needs outturn, lines 1.2.x, cash, complete units only):

- ``spend_per_head_2_18_gbp`` = spend / population aged 2-18;
- ``spend_per_ehcp_gbp`` = spend / EHC plans in force in January ``fy_start + 1``;
- ``spend_pct_of_allocation`` = 100 x spend / high needs block allocation after deductions;
- ``ehcp_per_10k_0_25`` = 10,000 x EHC plans / population aged 0-25;
- ``dsg_balance_pct`` = 100 x cumulative DSG balance (POSITIVE = deficit) / total DSG;
- ``spend_growth_pct`` = 100 x (spend in ``last_fy`` / spend in the base year ``first_fy`` - 1);
- ``mainstream_share_pct``, ``special_independent_share_pct`` = 100 x EHC plans in mainstream
  schools (including resourced provision and SEN units) / in independent and non-maintained
  special schools, over all EHC plans in force that January;
- ``timely_20wk_ex_pct`` = 100 x new EHC plans issued within 20 weeks / plans issued, both
  excluding exceptions, in the calendar year the FY starts (DfE's headline timeliness).

The last three are outcomes of :mod:`sendlib.analysis.outcomes` (``outcome``): given England's
outcomes (``national``, from :func:`sendlib.analysis.outcomes.national_outcomes`), their England
figure is the files' own England row. A value is flagged ``small`` where the count it rests on
is below its threshold (sendlib.analysis.small_numbers, the registry every measure of the
profile is flagged by: :func:`small_flags`).

Each measure is ``scale x numerator / denominator + offset`` per unit (a missing or non-positive
denominator gives a missing value). **England** is the same ratio of the numerators' and
denominators' sums over every unit with both (a national figure, not an average of councils).
The **comparators' average** is the simple mean over the comparators with a value, as LAIT
shows it, with how many had one. **Rank** 1 = the highest of the subject and its comparators
with a value (ties share the better rank). **National quartile** 1 = the highest quarter:
ceil(4 x national rank / number of units with a value). Each level measure is taken in its
latest year up to ``last_fy`` in which some unit has a value.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.analysis import small_numbers
from sendlib.analysis.measures import require_panel_columns
from sendlib.analysis.profile import complete_spend, rank_of
from sendlib.memo import memoised
from sendlib.years import fy_start

SPEND = "spend"  # the complete S251 spend, computed by profile.complete_spend


@dataclass(frozen=True)
class StandardMeasure:
    """One standard measure: its ratio (panel columns, or SPEND) and how it reads."""

    key: str
    label: str
    unit: str  # "gbp" (pounds), "pct" (a percentage), "signed_pct" (a change in %), "rate"
    numerator: str
    denominator: str
    numerator_label: str
    denominator_label: str
    scale: float = 1.0
    offset: float = 0.0
    growth: bool = False  # numerator in last_fy, denominator = the same column in first_fy
    outcome: str = ""  # the sendlib.analysis.outcomes outcome it shows (England and small numbers from there)


STANDARD_MEASURES: tuple[StandardMeasure, ...] = (
    StandardMeasure("spend_per_head_2_18_gbp", "High-needs spending per head aged 2-18", "gbp", SPEND,
                    "pop_2_18_count", "complete high-needs spending", "population aged 2-18"),
    StandardMeasure("spend_per_ehcp_gbp", "High-needs spending per EHC plan", "gbp", SPEND, "ehcp_count",
                    "complete high-needs spending", "EHC plan count"),
    StandardMeasure("spend_pct_of_allocation", "Spending as % of the high needs block allocation", "pct", SPEND,
                    "hnb_after_deductions_gbp", "complete high-needs spending", "high needs block allocation",
                    scale=100.0),
    StandardMeasure("ehcp_per_10k_0_25", "EHC plans per 10,000 aged 0-25", "rate", "ehcp_count", "pop_0_25_count",
                    "EHC plan count", "population aged 0-25", scale=10_000.0),
    StandardMeasure("dsg_balance_pct", "Cumulative DSG balance as % of DSG (positive = deficit)", "pct",
                    "dsg_balance_gbp", "dsg_total_gbp", "DSG balance", "total DSG", scale=100.0),
    StandardMeasure("spend_growth_pct", "Growth in high-needs spending since the base year (cash)", "signed_pct",
                    SPEND, SPEND, "complete high-needs spending in the last year",
                    "complete high-needs spending in the base year", scale=100.0, offset=-100.0, growth=True),
    StandardMeasure("mainstream_share_pct",
                    "Share of EHC plans in mainstream schools (incl. resourced provision, SEN units)", "pct", "ehcp_mainstream_count", "ehcp_count", "EHC plans in mainstream schools",
                    "EHC plans in force", scale=100.0, outcome="mainstream_share"),
    StandardMeasure("special_independent_share_pct",
                    "Share of EHC plans in independent and non-maintained special schools", "pct",
                    "ehcp_special_independent_count", "ehcp_count", "EHC plans in independent special schools",
                    "EHC plans in force", scale=100.0, outcome="special_independent_share"),
    StandardMeasure("timely_20wk_ex_pct",
                    "New EHC plans issued within 20 weeks, excl. exceptions (calendar year the FY starts in)", "pct",
                    "issued_20wk_ex_count", "issued_ex_count", "EHC plans issued within 20 weeks",
                    "EHC plans issued", scale=100.0, outcome="timely_20wk_ex"),
)
MEASURES_BY_KEY = {measure.key: measure for measure in STANDARD_MEASURES}
QUARTILES = 4


def _column(rows: pd.DataFrame, column: str) -> pd.Series:
    """A panel column as float64 (SPEND: the complete spend), indexed like ``rows``."""
    if column == SPEND:
        return complete_spend(rows)
    return rows[column].astype("float64")


def measure_parts(panel: pd.DataFrame, measure: StandardMeasure, fy: str, base_fy: str) -> pd.DataFrame:
    """Per unit (index, sorted): numerator and denominator of ``measure`` in ``fy`` (for a
    growth measure: numerator in ``fy``, denominator in ``base_fy``); a denominator that is
    not positive is missing."""
    columns = [c for c in (measure.numerator, measure.denominator) if c != SPEND]
    require_panel_columns(panel, ["unit", "fy", *columns])

    def year_rows(year: str) -> pd.DataFrame:
        return panel.loc[panel["fy"] == year].set_index("unit").sort_index()

    top = year_rows(fy)
    bottom = year_rows(base_fy) if measure.growth else top
    numerator = pd.Series(_column(top, measure.numerator).to_numpy(), index=top.index, dtype="float64")
    denominator = pd.Series(_column(bottom, measure.denominator).to_numpy(), index=bottom.index, dtype="float64")
    parts = pd.DataFrame({"numerator": numerator, "denominator": denominator.reindex(numerator.index)})
    parts["denominator"] = parts["denominator"].where(parts["denominator"] > 0)
    return parts.rename_axis("unit")


def unit_values(parts: pd.DataFrame, measure: StandardMeasure) -> pd.Series:
    """The measure per unit from :func:`measure_parts` (NaN where a part is missing)."""
    return (measure.scale * parts["numerator"] / parts["denominator"] + measure.offset).rename(measure.key)


def england_value(parts: pd.DataFrame, measure: StandardMeasure) -> float:
    """The measure for England: the ratio of the sums over units with both parts (NaN if none)."""
    known = parts.dropna()
    if known.empty:
        return float("nan")
    return float(measure.scale * known["numerator"].sum() / known["denominator"].sum() + measure.offset)


def national_quartile(values: pd.Series, subject: str) -> int | None:
    """1 = the highest quarter of the units with a value: ceil(4 x rank / n); None without a value."""
    rank, n_ranked = rank_of(values, subject)
    return None if rank is None else math.ceil(QUARTILES * rank / n_ranked)


def measure_year(panel: pd.DataFrame, measure: StandardMeasure, first_fy: str, last_fy: str) -> str | None:
    """The year the measure is shown for: ``last_fy`` for growth, else the latest year up to
    ``last_fy`` in which some unit has a value (None if none)."""
    if measure.growth:
        return last_fy
    years = sorted((fy for fy in panel["fy"].astype(str).unique() if fy_start(fy) <= fy_start(last_fy)),
                   key=fy_start, reverse=True)
    for fy in years:
        if unit_values(measure_parts(panel, measure, fy, first_fy), measure).notna().any():
            return fy
    return None


def missing_reason(parts: pd.DataFrame, measure: StandardMeasure, unit: str, unit_label: str, fy: str,
                   base_fy: str) -> str:
    """Why the unit has no value: which part is missing (or not positive), in which year."""
    row = parts.reindex([unit]).iloc[0]
    if pd.isna(row["numerator"]):
        return f"no {measure.numerator_label} for {unit_label} in {fy}"
    return f"no {measure.denominator_label} for {unit_label} in {base_fy if measure.growth else fy}"


@memoised
def national_parts(panel: pd.DataFrame, first_fy: str, last_fy: str) -> dict[str, tuple[str | None, pd.DataFrame]]:
    """Per standard measure key: the year it is shown for (:func:`measure_year`, None when no
    year has it) and every unit's parts in that year (:func:`measure_parts`; empty without a
    year). The same for every council, so computed once per process for the panel's content
    (sendlib.memo)."""
    national = {}
    for measure in STANDARD_MEASURES:
        fy = measure_year(panel, measure, first_fy, last_fy)
        national[measure.key] = (fy, measure_parts(panel, measure, fy, first_fy) if fy else pd.DataFrame(
            {"numerator": [], "denominator": []}, index=pd.Index([], name="unit"), dtype="float64"))
    return national


def england_figure(parts: pd.DataFrame, measure: StandardMeasure, fy: str | None,
                   national: Mapping[str, Mapping[str, float]] | None) -> float:
    """England's figure: for a measure of an outcome, given ``national`` ({outcome: {fy: value}}),
    the outcome's England value that year (NaN if none); else :func:`england_value`."""
    if measure.outcome and national is not None:
        return float(measure.scale * national.get(measure.outcome, {}).get(fy, np.nan) + measure.offset)
    return england_value(parts, measure)


def measure_table(
    panel: pd.DataFrame, subject: str, comparators: Collection[str], first_fy: str, last_fy: str,
    subject_label: str | None = None, national: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """One row per standard measure for ``subject`` against its ``comparators`` (units) and
    England: measure, label, unit, fy (the year shown; growth: ``first_fy`` to ``last_fy``),
    value, comparators_mean, n_comparators_with_value, n_comparators, england, rank (among the
    subject and comparators), n_ranked, quartile (national), n_national, note (why the value
    is missing, else empty), denominator (the subject's), small (its count is small: :func:`small_flags`).
    ``national``: England's outcomes (sendlib.analysis.outcomes.national_outcomes), for the
    measures of an outcome; without it their England figure is the ratio of the units' sums."""
    group = [subject, *[unit for unit in dict.fromkeys(comparators) if unit != subject]]
    label = subject_label or subject
    every_unit = national_parts(panel, first_fy, last_fy)
    rows = []
    for measure in STANDARD_MEASURES:
        fy, parts = every_unit[measure.key]
        values = unit_values(parts, measure)
        neighbour_values = values.reindex(group[1:])
        rank, n_ranked = rank_of(values.reindex(group), subject)
        value = values.get(subject, np.nan)
        rows.append({
            "measure": measure.key, "label": measure.label, "unit": measure.unit,
            "fy": f"{first_fy} to {fy}" if measure.growth else (fy or ""),
            "value": value, "comparators_mean": neighbour_values.mean(),
            "n_comparators_with_value": int(neighbour_values.notna().sum()), "n_comparators": len(group) - 1,
            "england": england_figure(parts, measure, fy, national), "rank": rank, "n_ranked": n_ranked,
            "quartile": national_quartile(values, subject), "n_national": int(values.notna().sum()),
            "note": "" if pd.notna(value) else (
                missing_reason(parts, measure, subject, label, fy, first_fy) if fy else "no year has this measure"),
            "denominator": parts["denominator"].get(subject, np.nan),
        })
    table = pd.DataFrame(rows)
    table["small"] = table["measure"].isin(small_flags(panel, subject, table)["measure"])
    return table.astype({"measure": "string", "label": "string", "unit": "string", "fy": "string",
                         "value": "float64", "comparators_mean": "float64", "england": "float64",
                         "rank": "Int64", "quartile": "Int64", "note": "string", "denominator": "float64",
                         "small": "bool"})


def small_flags(panel: pd.DataFrame, subject: str, table: pd.DataFrame) -> pd.DataFrame:
    """The small-number flags (sendlib.analysis.small_numbers.small_number_flags) of the measures
    of a :func:`measure_table` for ``subject``, each in the year it is shown (both years of a growth)."""
    return small_numbers.small_number_flags(panel, subject, dict(zip(table["measure"], table["fy"])))


@dataclass(frozen=True)
class Headline:
    """The headline summary's numbers: the standard measure table (:func:`measure_table`) and
    the small-number flags of its measures (:func:`small_flags`)."""

    table: pd.DataFrame
    flags: pd.DataFrame


def headline(panel: pd.DataFrame, subject: str, comparators: Collection[str], first_fy: str, last_fy: str,
             subject_label: str | None = None, national: Mapping[str, Mapping[str, float]] | None = None) -> Headline:
    """The :class:`Headline` of ``subject`` (arguments as :func:`measure_table`)."""
    table = measure_table(panel, subject, comparators, first_fy, last_fy, subject_label, national)
    return Headline(table, small_flags(panel, subject, table))
