"""The panel: one row per harmonised unit x financial year, joining every table.

Pairings (see sendlib.years): FY Y-(Y+1) takes EHC plans (all and by setting) and pupil
percentages of January Y+1, population of mid-year Y, and the flows of calendar year Y (new
plans, requests and decisions, plans issued within 20 weeks, tribunal appeals). Values
summed from LAs onto a unit are kept only when the LAs reporting form one whole member set
of the unit (see sendlib.geography.sum_to_units); otherwise they are missing, so no partial
sum is ever mistaken for a whole one. Percentages of merged units are weighted by their members'
population (pupil percentages by ages 2-18, deprivation scores by ages 0-17).
"""

from __future__ import annotations

import pandas as pd

from sendlib import geography, programmes, years
from sendlib.analysis.measures import add_derived_columns
from sendlib.readers import sen2, tribunal

PANEL_KEYS = ["unit", "fy"]
DEPRIVATION_EDITION = 2019

#: Panel column -> the setting groups (readers.sen2.SETTING_GROUPS) whose plans it counts.
SETTING_COUNTS: dict[str, tuple[str, ...]] = {
    "ehcp_mainstream_count": ("mainstream",),
    "ehcp_special_state_count": ("special_state",),
    "ehcp_special_independent_count": ("special_independent",),
    "ehcp_ap_count": ("alternative_provision",),
    "ehcp_fe_count": ("further_education",),
    "ehcp_elsewhere_count": ("elsewhere",),
    "ehcp_setting_total_count": tuple(sorted(set(sen2.SETTING_GROUP_LABELS) - {"not_recorded"})),
}
#: Table -> its counts that go into the panel (calendar year Y under FY Y-(Y+1)).
FLOW_COUNTS: dict[str, list[str]] = {
    **{name: list(columns.values()) for name, (_, _, columns) in sen2.COUNT_TABLES.items()},
    "tribunal_appeals": tribunal.COUNTS,
}


def unit_attributes(lookup: pd.DataFrame) -> pd.DataFrame:
    """Per unit: name, region, LA type (of its newest members) and member LA codes."""
    newest = lookup.sort_values(["unit", "start_date", "la_code"]).groupby("unit").tail(1)
    attrs = newest.set_index("unit")[["unit_name", "region_name", "la_type"]]
    attrs["la_codes"] = lookup.groupby("unit")["la_code"].agg(lambda s: "+".join(sorted(s)))
    return attrs.reset_index().sort_values("unit").reset_index(drop=True)


def _unit_sums(frame: pd.DataFrame, columns: list[str], lookup: pd.DataFrame) -> pd.DataFrame:
    """Sum LA rows per fy onto units; incomplete unit sums become missing."""
    sums = geography.sum_to_units(frame[["la_code", "fy", *columns]], columns, ["fy"], lookup)
    for column in columns:
        sums[column] = sums[column].where(sums[f"{column}_complete"])
    return sums.drop(columns=["unit_name"])


def _weighted_unit_mean(frame: pd.DataFrame, columns: list[str], weight: str, by: list[str],
                        lookup: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of LA percentages per unit; missing when any member lacks a value or weight."""
    rows = geography.attach_unit(frame, lookup)
    out = []
    for keys, group in rows.groupby(["unit", *by], sort=True):
        record = dict(zip(["unit", *by], keys if isinstance(keys, tuple) else (keys,)))
        for column in columns:
            if len(group) == 1:
                record[column] = group[column].iloc[0]
            elif group[[column, weight]].notna().all().all():
                record[column] = (group[column] * group[weight]).sum() / group[weight].sum()
            else:
                record[column] = float("nan")
        out.append(record)
    return pd.DataFrame(out, columns=["unit", *by, *columns])


def spend_on_units(hn_spend: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    sums = geography.sum_to_units(hn_spend[["la_code", "fy", "hn_spend_gbp"]], ["hn_spend_gbp"], ["fy"], lookup)
    sums["hn_spend_complete"] = sums.pop("hn_spend_gbp_complete")
    sums["hn_spend_gbp"] = sums["hn_spend_gbp"].where(sums["hn_spend_complete"])
    return sums.drop(columns=["unit_name"])


def allocation_on_units(allocation: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    columns = ["hnb_before_deductions_gbp", "hnb_after_deductions_gbp", "dsg_total_gbp"]
    return _unit_sums(allocation, columns, lookup)[["unit", "fy", *columns]]


def balance_on_units(balance: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Cumulative DSG balance in GBP summed onto units; % = 100 x balance / total DSG of the same LAs."""
    sums = _unit_sums(balance.rename(columns={"dsg_total_gbp": "balance_dsg_total_gbp"}),
                      ["dsg_balance_gbp", "balance_dsg_total_gbp"], lookup)
    sums["dsg_balance_pct"] = 100 * sums["dsg_balance_gbp"] / sums["balance_dsg_total_gbp"]
    return sums[["unit", "fy", "dsg_balance_pct", "dsg_balance_gbp"]]


def ehcp_on_units(ehcp: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    frame = ehcp.assign(fy=ehcp["january"].map(years.fy_for_january))
    return _unit_sums(frame, ["ehcp_count"], lookup)[["unit", "fy", "ehcp_count"]]


def setting_counts(by_setting: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The :data:`SETTING_COUNTS` columns per ``keys`` (e.g. la_code, january) from an
    ``ehcp_by_setting`` table: a count is missing when any of its leaves is (an LA that
    returned totals only), never a partial sum."""
    sums = {}
    for column, groups in SETTING_COUNTS.items():
        rows = by_setting[by_setting["setting_group"].isin(groups)]
        grouped = rows.groupby(keys)["ehcp_count"]
        sums[column] = grouped.sum().where(grouped.count() == grouped.size())
    return pd.DataFrame(sums).reset_index()


def settings_on_units(by_setting: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """EHC plans by setting group (January Y+1 under FY Y-(Y+1)) summed onto units."""
    frame = setting_counts(by_setting, ["la_code", "january"])
    frame["fy"] = frame.pop("january").map(years.fy_for_january)
    return _unit_sums(frame, list(SETTING_COUNTS), lookup)[["unit", "fy", *SETTING_COUNTS]]


def flows_on_units(table: pd.DataFrame, columns: list[str], lookup: pd.DataFrame) -> pd.DataFrame:
    """Counts of calendar year Y (under FY Y-(Y+1)) summed onto units. A tribunal row without
    appealable decisions (Northamptonshire's appeals of early 2021, before its split) is left
    out, so a unit's appeals and decisions come from the same councils, as the file's rates do."""
    frame = table.assign(fy=table["calendar_year"].map(years.fy_for_calendar_year))
    if "appealable_decisions_count" in columns:
        frame = frame[frame["appealable_decisions_count"].notna()]
    return _unit_sums(frame, columns, lookup)[["unit", "fy", *columns]]


def population_on_units(population: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Populations per unit on one consistent (post-2021-Census) vintage for children.

    ONS files for mid-2015..mid-2020 predate the 2021 Census and overstate children in some
    areas (inner London most); DfE's 0-17 series is revised throughout. Where both exist for
    a unit, ``pop_0_17_count`` is DfE's, ``pop_2_18_count`` is the ONS count scaled by
    ``pop_vintage_ratio`` = DfE 0-17 / ONS 0-17, and ``pop_0_25_count`` swaps its 0-17 part
    for DfE's (the ONS 18-25 part is kept: the children's ratio does not describe young
    adults). Elsewhere the ONS counts are kept and the ratio is missing.
    """
    ons_columns = ["pop_0_25_count", "pop_2_18_count", "pop_0_17_count"]
    frame = population.assign(fy=population["mid_year"].map(years.fy_label))
    sums = _unit_sums(frame, [*ons_columns, "pop_0_17_dfe_count"], lookup)
    ratio = sums["pop_0_17_dfe_count"] / sums["pop_0_17_count"]
    revised = ratio.notna()
    sums["pop_vintage_ratio"] = ratio
    sums["pop_2_18_count"] = (sums["pop_2_18_count"] * ratio).where(revised, sums["pop_2_18_count"])
    sums["pop_0_25_count"] = (sums["pop_0_25_count"] - sums["pop_0_17_count"] + sums["pop_0_17_dfe_count"]).where(
        revised, sums["pop_0_25_count"])
    sums["pop_0_17_count"] = sums["pop_0_17_dfe_count"].where(revised, sums["pop_0_17_count"])
    return sums[["unit", "fy", *ons_columns, "pop_vintage_ratio"]]


def sen_support_on_units(sen: pd.DataFrame, population: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Pupil percentages per unit; merged units weighted by members' population aged 2-18."""
    weights = population[["la_code", "mid_year", "pop_2_18_count"]].assign(january=lambda f: f["mid_year"] + 1)
    frame = sen.merge(weights[["la_code", "january", "pop_2_18_count"]], on=["la_code", "january"], how="left")
    frame["fy"] = frame["january"].map(years.fy_for_january)
    columns = ["sen_support_pct", "ehcp_pupil_pct"]
    return _weighted_unit_mean(frame[["la_code", "fy", *columns, "pop_2_18_count"]], columns, "pop_2_18_count",
                               ["fy"], lookup)


def deprivation_on_units(deprivation: pd.DataFrame, population: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """IoD2019 average IDACI and IMD scores per unit; merged units weighted by mid-2019 population 0-17."""
    iod = deprivation[deprivation["iod_year"] == DEPRIVATION_EDITION]
    weights = population.loc[population["mid_year"] == DEPRIVATION_EDITION, ["la_code", "pop_0_17_count"]]
    frame = iod.merge(weights, on="la_code", how="left").rename(
        columns={"idaci_avg_score": "idaci_score", "imd_avg_score": "imd_score"})
    return _weighted_unit_mean(frame[["la_code", "idaci_score", "imd_score", "pop_0_17_count"]],
                               ["idaci_score", "imd_score"], "pop_0_17_count", [], lookup)


def build_panel(tables: dict[str, pd.DataFrame], fys: list[str]) -> pd.DataFrame:
    """The unit x FY panel over ``fys`` from the processed tables."""
    lookup = tables["la_lookup"]
    attrs = unit_attributes(lookup)
    grid = attrs.merge(pd.DataFrame({"fy": fys}), how="cross")
    grid["fy_start"] = grid["fy"].map(years.fy_start)
    parts = [
        spend_on_units(tables["hn_spend"], lookup),
        allocation_on_units(tables["hnb_allocation"], lookup),
        balance_on_units(tables["dsg_balance"], lookup),
        ehcp_on_units(tables["ehcp"], lookup),
        population_on_units(tables["population"], lookup),
        sen_support_on_units(tables["sen_support"], tables["population"], lookup),
        settings_on_units(tables["ehcp_by_setting"], lookup),
        *[flows_on_units(tables[name], columns, lookup) for name, columns in FLOW_COUNTS.items()],
    ]
    panel = grid
    for part in parts:
        panel = panel.merge(part, on=PANEL_KEYS, how="left")
    panel["hn_spend_complete"] = panel["hn_spend_complete"].fillna(False).astype(bool)
    panel = panel.merge(tables["deflator"][["fy", "deflator_index"]], on="fy", how="left")
    panel = panel.merge(deprivation_on_units(tables["deprivation"], tables["population"], lookup), on="unit", how="left")
    members = programmes.membership_by_unit(tables["programmes"], lookup).drop(columns=["unit_name"])
    panel = panel.merge(members, on="unit", how="left")
    panel = add_derived_columns(panel)
    return panel.sort_values(PANEL_KEYS).reset_index(drop=True)
