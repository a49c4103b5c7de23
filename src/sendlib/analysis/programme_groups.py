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
DIFFERENCE_COLUMNS = ["measure", "group_a", "group_b", "difference", "low", "high", "low_mc_se", "high_mc_se",
                      "p_value", "n_a", "n_b", "seed", "n_draws"]


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
    bootstrap interval at ``level`` (each end with its Monte Carlo standard error, low_mc_se and
    high_mc_se, over ``n_draws`` resamples) and Welch's p-value (groups.difference_in_means_ci). The
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
                     "low": result.low, "high": result.high, "low_mc_se": result.low_mc_se,
                     "high_mc_se": result.high_mc_se, "p_value": result.p_value, "n_a": result.n_a,
                     "n_b": result.n_b, "seed": seed + k, "n_draws": n_draws})
    table = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
    return table.astype({"measure": "string", "group_a": "string", "group_b": "string", "n_a": "int64",
                         "n_b": "int64", "seed": "int64", "n_draws": "int64"})


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


def summary_results(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """A group_summaries table as {measure: {group: {n, mean, median, sd}}} for results.json."""
    return {
        measure: {row[GROUP_COLUMN]: {"n": int(row["n"]), "mean": row["mean"], "median": row["median"], "sd": row["sd"]}
                  for _, row in rows.iterrows()}
        for measure, rows in summary.groupby("measure", sort=False)
    }


def difference_results(differences: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """A group_differences table as {measure: {"<a> minus <b>": {difference, low, high, low_mc_se,
    high_mc_se, p_value, n_a, n_b}}} for results.json."""
    return {
        measure: {f"{row['group_a']} minus {row['group_b']}": {
            "difference": row["difference"], "low": row["low"], "high": row["high"], "low_mc_se": row["low_mc_se"],
            "high_mc_se": row["high_mc_se"], "p_value": row["p_value"], "n_a": int(row["n_a"]),
            "n_b": int(row["n_b"])} for _, row in rows.iterrows()}
        for measure, rows in differences.groupby("measure", sort=False)
    }


def units_in_both(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per unit in both programmes (dbv and safety_valve): its panel row (first year)."""
    units = panel.drop_duplicates("unit")
    return units[units["dbv"].astype(bool) & units["safety_valve"].astype(bool)].reset_index(drop=True)


def membership_results(counts: pd.DataFrame, membership: pd.DataFrame, inferred: pd.DataFrame,
                       dbv_by_tranche: pd.DataFrame, safety_valve_by_year: pd.DataFrame, events: pd.DataFrame,
                       as_at: str) -> dict[str, object]:
    """The results.json entry of the membership section: our and the published counts, the
    councils in both, the inferred DBV councils, councils per tranche and per year, later events."""
    table = counts.set_index("item")
    return {
        "as_at": as_at, "known": {item: float(value) for item, value in table["known"].items()},
        "claimed": {item: float(value) for item, value in table["claimed"].dropna().items()},
        "councils_in_both": membership.loc[membership["dbv"] & membership["safety_valve"], "la_name"].tolist(),
        "dbv_inferred": inferred["la_name"].tolist(),
        "dbv_by_tranche": dict(zip(dbv_by_tranche["group"], dbv_by_tranche["n_councils"])),
        "safety_valve_by_year": dict(zip(safety_valve_by_year["group"], safety_valve_by_year["n_councils"])),
        "later_events": [f"{r.date.date()} {r.la_name}: {r.event} ({r.programme})" for r in events.itertuples()],
    }


def group_means(summary: pd.DataFrame, measure: str) -> pd.Series:
    """Mean of ``measure`` per programme group, from a group_summaries table."""
    return summary[summary["measure"] == measure].set_index(GROUP_COLUMN)["mean"]


def block_minus_spend_totals(yearly: pd.DataFrame) -> pd.DataFrame:
    """Group totals per FY of the high-needs block after deductions minus spend
    (group_totals_by_year of hnb_minus_spend_gbp), with total_gbp_m = total / 1e6."""
    totals = group_totals_by_year(yearly, "hnb_minus_spend_gbp")
    return totals.assign(total_gbp_m=totals["total"] / 1e6)


def years_results(years: GroupYears) -> dict[str, object]:
    """The years behind the measures, for results.json."""
    return {"allocation_fys": list(years.allocation_fys), "dsg_fys": list(years.dsg_fys),
            "per_head_fy": years.per_head_fy}


def totals_results(totals: pd.DataFrame) -> dict[str, dict[str, float]]:
    """block_minus_spend_totals as {group: {fy: total in GBP million}} for results.json."""
    return {g: dict(zip(rows["fy"], rows["total_gbp_m"].astype(float))) for g, rows in totals.groupby(GROUP_COLUMN)}


def selection_results(summary: pd.DataFrame, years: GroupYears, first_safety_valve_year: str) -> dict[str, object]:
    """The mean DSG balance of each group in the first year with balances, before any
    safety-valve agreement (the programmes chose councils on it), for results.json."""
    return {"dsg_fy": years.dsg_fys[0], "first_safety_valve_year": first_safety_valve_year,
            "mean_dsg_balance_pct": group_means(summary, dsg_column(years.dsg_fys[0])).to_dict()}
