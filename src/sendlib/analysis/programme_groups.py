"""Councils in Delivering Better Value (DBV), the safety valve programme, or neither: how our
membership lists compare with DfE's counts, and the measures compared between the groups.

Groups are of harmonised units (sendlib.analysis.groups.assign_programme_group): a unit in
both programmes goes to the group named by ``both_rule``. Unit measures (one row per unit):

- ``spend_growth_cash_pct``, ``spend_growth_real_pct``: high-needs spend (S251 1.2.x) growth,
  base FY to end FY, in % (sendlib.analysis.growth.unit_growth: complete spend in both years);
- ``hnb_minus_spend_gbp``: mean per year of high-needs block after deductions minus spend, and
  ``spend_to_hnb_pct`` = 100 x total spend / total block, over the allocation years (every one
  of them known for the unit, else missing). S251 1.2.x excludes place funding that the block
  after deductions still holds for maintained schools, so both sit below a like-for-like gap:
  compare groups, not levels;
- ``dsg_balance_<fy>_pct``: cumulative DSG balance as % of total DSG (POSITIVE = deficit) for
  each FY of DSG_BALANCE_FYS;
- ``ehcp_growth_pct``: EHC plans (January after each FY) growth, base FY to end FY, in %;
- ``ehcp_per_10k_0_25``: EHC plans per 10,000 residents aged 0-25 in the per-head FY (the end FY
  or, when its population is not published yet, the latest FY before it with population).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis.groups import (
    DBV,
    NEITHER,
    PROGRAMME_GROUPS,
    SAFETY_VALVE,
    assign_programme_group,
    difference_in_means_ci,
    group_summary,
)
from sendlib.analysis.growth import unit_growth
from sendlib.analysis.measures import require_panel_columns
from sendlib.errors import ParameterError
from sendlib.programmes import ANNOUNCEMENT, MEMBERSHIP_COLUMNS, membership_as_at, membership_by_unit_as_at
from sendlib.years import fy_start

GROUP_COLUMN = "programme_group"
ALLOCATION_COLUMN = "hnb_after_deductions_gbp"
SPEND_COLUMN = "hn_spend_gbp"
DSG_BALANCE_FYS = ("2019-20", "2021-22")
INFERRED = "(inferred)"
#: The choices of ``both_rule``: the group a unit in both programmes goes to.
BOTH_RULES = (SAFETY_VALVE, DBV)
#: Pairs of groups compared, (a, b): difference = mean(a) - mean(b).
COMPARISONS = ((SAFETY_VALVE, NEITHER), (DBV, NEITHER), (SAFETY_VALVE, DBV))
YEARLY_MEASURES = ("spend_to_hnb_pct", "hnb_minus_spend_gbp", "dsg_balance_pct", "ehcp_per_10k_0_25",
                   "hn_spend_real_per_head_2_18_gbp")  # fmt: skip
DIFFERENCE_COLUMNS = ["measure", "group_a", "group_b", "difference", "low", "high", "p_value", "n_a", "n_b", "seed"]


@dataclass(frozen=True)
class GroupYears:
    """The years each unit measure is taken over, for given base and end FYs."""

    base_fy: str
    end_fy: str
    allocation_fys: tuple[str, ...]
    dsg_fys: tuple[str, ...]
    per_head_fy: str


# --- membership and DfE's counts ---------------------------------------------------------------


def membership_on(programmes: pd.DataFrame, lookup: pd.DataFrame, day: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """Programme membership as at ``day`` (sendlib.programmes.membership_as_at) of the LAs
    operating then, the councils DfE counts (on 2022-06-23: 152 LAs, Cumbria counted for
    Cumberland and Westmorland and Furness)."""
    return membership_as_at(programmes, lookup, day)


def panel_as_at(panel: pd.DataFrame, programmes: pd.DataFrame, lookup: pd.DataFrame,
                as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """The panel with its membership columns (dbv, safety_valve, ...) replaced by membership
    as at ``as_at`` (the processed panel counts every listed council, whenever it joined)."""
    members = membership_by_unit_as_at(programmes, lookup, as_at).drop(columns=["unit_name"])
    kept = panel.drop(columns=[c for c in MEMBERSHIP_COLUMNS if c in panel.columns])
    return kept.merge(members, on="unit", how="left", validate="many_to_one")


def counts_sentence(counts: pd.DataFrame) -> str:
    """What sendlib.programmes.counts_as_at shows, in words: the published counts, how many of
    them are known by name, whether any council is in both, and whether the published arithmetic
    (dbv + safety valve = either; either / total LAs = share) holds."""
    table = counts.set_index("item")
    claimed, known = table["claimed"], table["known"]
    day = pd.Timestamp(table["as_at"].iloc[0]).strftime("%-d %B %Y")
    parts = [f"As at {day}, England had {known['total_las']:.0f} local authorities"
             + (f" (published: {claimed['total_las']:.0f})" if pd.notna(claimed["total_las"]) else "") + "."]
    for item, what in (("dbv", "Delivering Better Value councils"), ("safety_valve", "safety-valve councils")):
        if pd.notna(claimed[item]):
            parts.append(f"Of the {claimed[item]:.0f} {what} published, {known[item]:.0f} are known by name "
                         f"({claimed[item] - known[item]:.0f} not identified in any public source found).")
        else:
            parts.append(f"{known[item]:.0f} {what} are known by name (no published count for this date).")
    if pd.notna(claimed["safety_valve_signed"]):
        parts.append(f"The safety-valve count is {claimed['safety_valve_signed']:.0f} councils with signed agreements"
                     + (f" and {claimed['safety_valve_not_signed']:.0f} then in negotiation"
                        if claimed.get("safety_valve_not_signed", 0) > 0 else "")
                     + f" ({known['safety_valve_signed']:.0f} and {known['safety_valve_not_signed']:.0f} known).")
    parts.append("No council was in both programmes." if known["both"] == 0
                 else f"{known['both']:.0f} councils were in both programmes.")
    published = table.loc[["dbv", "safety_valve", "either", "share_either_pct"]]
    if published["claimed"].notna().all() and published["claimed_as_at"].nunique() == 1:
        adds_up = claimed["dbv"] + claimed["safety_valve"] == claimed["either"]
        share = round(100 * claimed["either"] / known["total_las"], 1)
        parts.append(f"The published {claimed['either']:.0f} in either programme "
                     + (f"is {claimed['dbv']:.0f} + {claimed['safety_valve']:.0f}"
                        + (", which is right since no council was in both" if known["both"] == 0
                           else f", which counts the {known['both']:.0f} councils in both twice")
                        if adds_up else f"is not {claimed['dbv']:.0f} + {claimed['safety_valve']:.0f}")
                     + f"; {claimed['either']:.0f} of {known['total_las']:.0f} LAs is {share:.1f}% "
                     + ("(published: the same)." if share == claimed["share_either_pct"]
                        else f"(published: {claimed['share_either_pct']:.1f}%)."))
    return " ".join(parts)


def members_by_group(membership: pd.DataFrame, column: str) -> pd.DataFrame:
    """Councils per value of ``column`` (``dbv_tranche`` or ``safety_valve_year``), with the
    " (inferred)" mark folded into ``n_inferred``: columns group, n_councils, n_inferred, councils
    (names, "; "-joined, inferred ones marked *); sorted by group."""
    require_panel_columns(membership, ["la_name", column])
    rows = membership.dropna(subset=[column])
    label = rows[column].astype(str)
    inferred = label.str.contains(INFERRED, regex=False)
    frame = pd.DataFrame(
        {
            "group": label.str.replace(INFERRED, "", regex=False).str.strip(),
            "inferred": inferred,
            "name": rows["la_name"].astype(str) + np.where(inferred, "*", ""),
        }
    )
    table = frame.sort_values(["group", "name"]).groupby("group", sort=True).agg(
        n_councils=("name", "size"), n_inferred=("inferred", "sum"), councils=("name", "; ".join)
    )
    return table.reset_index().astype({"group": "string", "n_councils": "int64", "n_inferred": "int64",
                                       "councils": "string"})


def inferred_members(programmes: pd.DataFrame, programme: str) -> pd.DataFrame:
    """The rows of one programme whose group is marked " (inferred)": la_code, la_name, group,
    confidence, note; sorted by la_name."""
    rows = programmes[(programmes["programme"] == programme)
                      & programmes["group"].astype("string").str.contains(INFERRED, regex=False).fillna(False)]
    columns = ["la_code", "la_name", "group", "confidence", "note"]
    return rows[columns].sort_values("la_name").reset_index(drop=True)


# --- parameters ------------------------------------------------------------------------------


def _fys_with(panel: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """FYs of the panel where some unit has a value in every one of ``columns``."""
    known = panel[list(columns)].notna().all(axis=1)
    return sorted(panel.loc[known, "fy"].unique())


def group_years(panel: pd.DataFrame, base_fy: str, end_fy: str) -> GroupYears:
    """The years behind each unit measure (see the module docstring)."""
    with_population = [fy for fy in _fys_with(panel, ["ehcp_count", "pop_0_25_count"])
                       if fy_start(fy) <= fy_start(end_fy)]
    return GroupYears(
        base_fy=base_fy,
        end_fy=end_fy,
        allocation_fys=tuple(_fys_with(panel, [ALLOCATION_COLUMN, SPEND_COLUMN])),
        dsg_fys=tuple(fy for fy in DSG_BALANCE_FYS if fy in _fys_with(panel, ["dsg_balance_pct"])),
        per_head_fy=with_population[-1] if with_population else "",
    )


def check_group_parameters(panel: pd.DataFrame, parameters: Mapping[str, Any]) -> GroupYears:
    """The years behind each measure; a ParameterError naming every problem with notebook 03's
    ``parameters`` base_fy, end_fy, both_rule, n_draws and level (a rule other than "safety
    valve"/"DBV", years outside the panel or out of order, no spend or EHC plans in a year, no
    population up to end_fy, n_draws < 1, level outside (0, 1))."""
    base_fy, end_fy, both_rule, n_draws, level = (parameters[name] for name in (
        "base_fy", "end_fy", "both_rule", "n_draws", "level"))
    require_panel_columns(panel, ["unit", "fy", SPEND_COLUMN, "ehcp_count", "pop_0_25_count"])
    fys = sorted(panel["fy"].unique())
    problems = []
    if both_rule not in BOTH_RULES:
        problems.append(f"both_rule must be {' or '.join(map(repr, BOTH_RULES))} (the group of a council in both), "
                        f"got {both_rule!r}")
    for name, fy in (("base_fy", base_fy), ("end_fy", end_fy)):
        if fy not in fys:
            problems.append(f"{name} {fy!r} is not a year of the panel ({fys[0]} to {fys[-1]})")
    if base_fy in fys and end_fy in fys and fy_start(end_fy) <= fy_start(base_fy):
        problems.append(f"end_fy {end_fy!r} must come after base_fy {base_fy!r}")
    for column, what in ((SPEND_COLUMN, "high-needs spend"), ("ehcp_count", "EHC plans")):
        with_data = _fys_with(panel, [column])
        problems += [f"no {what} data for {fy} (the panel has it for {', '.join(with_data)})"
                     for fy in (base_fy, end_fy) if fy in fys and fy not in with_data]
    if n_draws < 1:
        problems.append(f"n_draws must be at least 1, got {n_draws}")
    if not 0 < level < 1:
        problems.append(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if problems:
        raise ParameterError("; ".join(problems))
    years = group_years(panel, base_fy, end_fy)
    if not years.per_head_fy:
        raise ParameterError(f"no population data up to end_fy {end_fy!r}: EHC plans per 10,000 cannot be computed")
    return years


# --- measures per unit and per unit-year ----------------------------------------------------------


def unit_groups(panel: pd.DataFrame, both_rule: str = SAFETY_VALVE) -> pd.DataFrame:
    """One row per unit: unit, unit_name, programme_group (membership is the same in every FY)."""
    require_panel_columns(panel, ["unit", "unit_name", "dbv", "safety_valve"])
    units = panel.drop_duplicates("unit").sort_values("unit")
    group = assign_programme_group(units, both=both_rule)
    return pd.DataFrame({"unit": units["unit"].to_numpy(), "unit_name": units["unit_name"].to_numpy(),
                         GROUP_COLUMN: group.to_numpy()}).astype("string")


def _spend_and_allocation(panel: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Spend where complete, and the high-needs block after deductions where positive (else NaN)."""
    require_panel_columns(panel, [SPEND_COLUMN, "hn_spend_complete", ALLOCATION_COLUMN])
    spend = panel[SPEND_COLUMN].where(panel["hn_spend_complete"].astype(bool))
    allocation = panel[ALLOCATION_COLUMN].where(panel[ALLOCATION_COLUMN] > 0)
    return spend.astype("float64"), allocation.astype("float64")


def _per(numerator: pd.Series, denominator: pd.Series, scale: float = 1.0) -> pd.Series:
    """scale x numerator / denominator, NaN where the denominator is missing or not positive."""
    return scale * numerator.astype("float64") / denominator.astype("float64").where(denominator > 0)


def yearly_unit_measures(panel: pd.DataFrame, both_rule: str = SAFETY_VALVE) -> pd.DataFrame:
    """One row per unit x FY: unit, fy, programme_group and YEARLY_MEASURES (missing where a part
    is missing, a denominator is not positive, or spend is incomplete)."""
    require_panel_columns(panel, ["dsg_balance_pct", "ehcp_count", "pop_0_25_count", "hn_spend_real_gbp",
                                  "pop_2_18_count"])
    spend, allocation = _spend_and_allocation(panel)
    real_spend = panel["hn_spend_real_gbp"].where(panel["hn_spend_complete"].astype(bool))
    frame = pd.DataFrame(
        {
            "unit": panel["unit"].astype("string"),
            "fy": panel["fy"].astype("string"),
            "spend_to_hnb_pct": _per(spend, allocation, 100.0),
            "hnb_minus_spend_gbp": allocation - spend,
            "dsg_balance_pct": panel["dsg_balance_pct"].astype("float64"),
            "ehcp_per_10k_0_25": _per(panel["ehcp_count"], panel["pop_0_25_count"], 1e4),
            "hn_spend_real_per_head_2_18_gbp": _per(real_spend, panel["pop_2_18_count"]),
        }
    )
    frame = frame.merge(unit_groups(panel, both_rule)[["unit", GROUP_COLUMN]], on="unit", how="left")
    return frame[["unit", "fy", GROUP_COLUMN, *YEARLY_MEASURES]].sort_values(["unit", "fy"]).reset_index(drop=True)


def allocation_summary(panel: pd.DataFrame, fys: Sequence[str]) -> pd.DataFrame:
    """Per unit (index) over ``fys``: hnb_minus_spend_gbp = mean of (block - spend) per year and
    spend_to_hnb_pct = 100 x total spend / total block; missing unless both are known in every FY."""
    spend, allocation = _spend_and_allocation(panel)
    rows = pd.DataFrame({"unit": panel["unit"].astype("string"), "fy": panel["fy"], "spend": spend,
                         "allocation": allocation})
    rows = rows[rows["fy"].isin(list(fys))].dropna(subset=["spend", "allocation"])
    by_unit = rows.groupby("unit").agg(known=("fy", "nunique"), spend=("spend", "sum"),
                                       allocation=("allocation", "sum"))
    whole = by_unit["known"] == len(fys)
    summary = pd.DataFrame(
        {
            "hnb_minus_spend_gbp": ((by_unit["allocation"] - by_unit["spend"]) / len(fys)).where(whole),
            "spend_to_hnb_pct": _per(by_unit["spend"], by_unit["allocation"], 100.0).where(whole),
        }
    )
    return summary.reindex(sorted(panel["unit"].astype(str).unique()))


def _growth_pct(panel: pd.DataFrame, measure: str, basis: str, years: GroupYears) -> pd.Series:
    growth = unit_growth(panel, measure, basis, "total", years.base_fy, years.end_fy).set_index("unit")["growth"]
    return 100 * growth


def _in_year(panel: pd.DataFrame, values: pd.Series, fy: str) -> pd.Series:
    """``values`` (aligned with the panel) of the rows of ``fy``, indexed by unit."""
    rows = panel["fy"] == fy
    return pd.Series(values[rows].to_numpy(), index=panel.loc[rows, "unit"].astype(str).to_numpy())


def dsg_column(fy: str) -> str:
    """The unit-measure column of the DSG balance % in ``fy``: "2019-20" -> dsg_balance_2019_20_pct."""
    return f"dsg_balance_{fy.replace('-', '_')}_pct"


def unit_measure_columns(years: GroupYears) -> list[str]:
    """The unit measures compared between groups, in report order."""
    return ["spend_growth_cash_pct", "spend_growth_real_pct", "hnb_minus_spend_gbp", "spend_to_hnb_pct",
            *[dsg_column(fy) for fy in years.dsg_fys], "ehcp_growth_pct", "ehcp_per_10k_0_25"]


def measure_labels(years: GroupYears) -> dict[str, str]:
    """A readable label (with its years and unit) for every unit measure."""
    span = f"{years.base_fy} to {years.end_fy}"
    allocation_span = f"FY{years.allocation_fys[0]}..{years.allocation_fys[-1]}" if years.allocation_fys else "no years"
    return {
        "spend_growth_cash_pct": f"high-needs spend growth {span}, cash (%)",
        "spend_growth_real_pct": f"high-needs spend growth {span}, real terms (%)",
        "hnb_minus_spend_gbp": f"high-needs block minus spend, mean per year {allocation_span} (GBP)",
        "spend_to_hnb_pct": f"spend as % of high-needs block, {allocation_span} (%)",
        **{dsg_column(fy): f"cumulative DSG balance, end FY{fy}, % of DSG (positive = deficit)"
           for fy in years.dsg_fys},
        "ehcp_growth_pct": f"EHC plan growth {span} (January after each FY) (%)",
        "ehcp_per_10k_0_25": f"EHC plans per 10,000 aged 0-25, FY{years.per_head_fy}",
    }


def measure_unit(column: str) -> str:
    """The unit of a unit measure, for an axis label."""
    if column.startswith("dsg_balance"):
        return "% of DSG (positive = deficit)"
    units = {"spend_growth_cash_pct": "% growth, cash", "spend_growth_real_pct": "% growth, real terms",
             "ehcp_growth_pct": "% growth", "hnb_minus_spend_gbp": "GBP per year", "spend_to_hnb_pct": "% of the block",
             "ehcp_per_10k_0_25": "plans per 10,000 aged 0-25"}
    return units[column]


def unit_group_measures(panel: pd.DataFrame, years: GroupYears, both_rule: str = SAFETY_VALVE) -> pd.DataFrame:
    """One row per unit: unit, unit_name, programme_group and every column of
    ``unit_measure_columns(years)`` (missing where the unit lacks the data); sorted by unit."""
    table = unit_groups(panel, both_rule).set_index("unit")
    table["spend_growth_cash_pct"] = _growth_pct(panel, "hn_spend", "cash", years)
    table["spend_growth_real_pct"] = _growth_pct(panel, "hn_spend", "real", years)
    table = table.join(allocation_summary(panel, years.allocation_fys))
    for fy in years.dsg_fys:
        table[dsg_column(fy)] = _in_year(panel, panel["dsg_balance_pct"], fy)
    table["ehcp_growth_pct"] = _growth_pct(panel, "ehcp", "cash", years)
    per_10k = _per(panel["ehcp_count"], panel["pop_0_25_count"], 1e4)
    table["ehcp_per_10k_0_25"] = _in_year(panel, per_10k, years.per_head_fy)
    columns = unit_measure_columns(years)
    table[columns] = table[columns].astype("float64")
    return table.reset_index()[["unit", "unit_name", GROUP_COLUMN, *columns]]


# --- comparisons between groups --------------------------------------------------------------------


def group_summaries(units: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Long table: measure, programme_group, n, mean, median, sd, for every measure and group
    (groups in PROGRAMME_GROUPS order)."""
    parts = [group_summary(units, measure, GROUP_COLUMN).assign(measure=measure) for measure in measures]
    table = pd.concat(parts, ignore_index=True)
    table["order"] = table[GROUP_COLUMN].map({g: i for i, g in enumerate(PROGRAMME_GROUPS)})
    table["measure"] = pd.Categorical(table["measure"], categories=list(measures), ordered=True)
    table = table.sort_values(["measure", "order"]).drop(columns="order")
    table["measure"] = table["measure"].astype("string")
    return table[["measure", GROUP_COLUMN, "n", "mean", "median", "sd"]].reset_index(drop=True)


def group_differences(
    units: pd.DataFrame, measures: Sequence[str], n_draws: int, seed: int, level: float = 0.95
) -> pd.DataFrame:
    """Every measure x COMPARISONS pair: difference of group means (a - b) with a percentile
    bootstrap interval at ``level`` and Welch's p-value (groups.difference_in_means_ci). The
    k-th comparison uses seed ``seed + k`` (recorded in column ``seed``); a pair where a group
    has no value is skipped."""
    require_panel_columns(units, [GROUP_COLUMN, *measures])
    rows = []
    for k, (measure, (group_a, group_b)) in enumerate((m, pair) for m in measures for pair in COMPARISONS):
        values_a = units.loc[units[GROUP_COLUMN] == group_a, measure].dropna()
        values_b = units.loc[units[GROUP_COLUMN] == group_b, measure].dropna()
        if values_a.empty or values_b.empty:
            continue
        result = difference_in_means_ci(values_a, values_b, n_draws, seed + k, level)
        rows.append({"measure": measure, "group_a": group_a, "group_b": group_b, "difference": result.difference,
                     "low": result.low, "high": result.high, "p_value": result.p_value, "n_a": result.n_a,
                     "n_b": result.n_b, "seed": seed + k})
    table = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
    return table.astype({"measure": "string", "group_a": "string", "group_b": "string", "n_a": "int64",
                         "n_b": "int64", "seed": "int64"})


def group_medians_by_year(yearly: pd.DataFrame, measures: Sequence[str] = YEARLY_MEASURES) -> pd.DataFrame:
    """Long table: measure, programme_group, fy, n, median (units with a value only); sorted."""
    require_panel_columns(yearly, ["fy", GROUP_COLUMN, *measures])
    long = yearly.melt(id_vars=["fy", GROUP_COLUMN], value_vars=list(measures), var_name="measure").dropna()
    table = long.groupby(["measure", GROUP_COLUMN, "fy"], sort=True)["value"].agg(n="count", median="median")
    return table.reset_index().astype({"measure": "string", GROUP_COLUMN: "string", "fy": "string", "n": "int64"})


def group_totals_by_year(yearly: pd.DataFrame, column: str) -> pd.DataFrame:
    """Sum of ``column`` per programme_group and fy over units with a value: programme_group, fy,
    n, total; FYs where no unit has a value are left out."""
    require_panel_columns(yearly, ["fy", GROUP_COLUMN, column])
    known = yearly.dropna(subset=[column])
    table = known.groupby([GROUP_COLUMN, "fy"], sort=True)[column].agg(n="count", total="sum")
    return table.reset_index().astype({GROUP_COLUMN: "string", "fy": "string", "n": "int64"})


def difference_sentence(row: pd.Series, label: str, level: float, digits: int = 1) -> str:
    """One finding from a group_differences row, e.g. "safety valve minus neither, <label>:
    +6.9 (95% CI 1.2 to 12.3; Welch p = 0.021; n = 34 and 74): the interval excludes 0"."""
    p_value = "n/a" if pd.isna(row["p_value"]) else f"{row['p_value']:.3f}"
    verdict = "excludes 0" if row["low"] > 0 or row["high"] < 0 else "includes 0: no clear difference"
    return (f"{row['group_a']} minus {row['group_b']}, {label}: {row['difference']:+,.{digits}f} "
            f"({level:.0%} CI {row['low']:,.{digits}f} to {row['high']:,.{digits}f}; Welch p = {p_value}; "
            f"n = {row['n_a']} and {row['n_b']}): the interval {verdict}")


def summary_results(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """A group_summaries table as {measure: {group: {n, mean, median, sd}}} for results.json."""
    return {
        measure: {row[GROUP_COLUMN]: {"n": int(row["n"]), "mean": row["mean"], "median": row["median"], "sd": row["sd"]}
                  for _, row in rows.iterrows()}
        for measure, rows in summary.groupby("measure", sort=False)
    }


def difference_results(differences: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """A group_differences table as {measure: {"<a> minus <b>": {difference, low, high, p_value,
    n_a, n_b}}} for results.json."""
    return {
        measure: {f"{row['group_a']} minus {row['group_b']}": {
            "difference": row["difference"], "low": row["low"], "high": row["high"], "p_value": row["p_value"],
            "n_a": int(row["n_a"]), "n_b": int(row["n_b"])} for _, row in rows.iterrows()}
        for measure, rows in differences.groupby("measure", sort=False)
    }


def group_sizes_sentence(group_sizes: pd.Series, both_units: pd.DataFrame, both_rule: str) -> str:
    """How many units are in each group, and which units are in both programmes (and where they go)."""
    sizes = ", ".join(f"{n} {group}" for group, n in group_sizes.items())
    if both_units.empty:
        return f"{int(group_sizes.sum())} units: {sizes}. No unit is in both programmes."
    listing = "; ".join(f"{r.unit_name} (DBV {r.dbv_tranche}, safety valve {r.safety_valve_year})"
                        for r in both_units.itertuples())
    return (f"{int(group_sizes.sum())} units: {sizes}. {len(both_units)} units are in both programmes and go to "
            f"{both_rule} (both_rule): {listing}.")


COUNT_LABELS = {
    "dbv": "Delivering Better Value councils", "safety_valve": "safety-valve councils (signed or in negotiation)",
    "safety_valve_signed": "safety-valve agreements signed", "safety_valve_not_signed": "safety valve, in negotiation",
    "either": "councils in either programme", "both": "councils in both programmes",
    "total_las": "local authorities", "share_either_pct": "share in either programme (%)",
}


def _shown(value: float, digits: int = 0) -> str:
    """A count for display: blank when missing."""
    return "" if pd.isna(value) else f"{value:,.{digits}f}"


def counts_display(counts: pd.DataFrame) -> pd.DataFrame:
    """A counts_as_at table with readable headings and labels, blanks for nothing published."""
    digits = counts["item"].map(lambda item: 1 if item == "share_either_pct" else 0)
    return pd.DataFrame({
        "": counts["item"].map(COUNT_LABELS),
        "published": [_shown(v, d) for v, d in zip(counts["claimed"], digits)],
        "known by name": [_shown(v, d) for v, d in zip(counts["known"], digits)],
        "not identified": [_shown(v, d) for v, d in zip(counts["shortfall"], digits)],
        "published figure describes": counts["claimed_as_at"].dt.strftime("%Y-%m-%d").fillna(""),
        "source": counts["claimed_source"].fillna(""),
    })


def events_display(events: pd.DataFrame) -> pd.DataFrame:
    """A later_events table with readable headings and programme names."""
    names = {"delivering_better_value": "Delivering Better Value", "safety_valve": "safety valve",
             "case_study_2022": "2022 case study"}
    return pd.DataFrame({"date": events["date"].dt.strftime("%Y-%m-%d"), "council": events["la_name"],
                         "programme": events["programme"].map(names), "event": events["event"]})
