"""What notebook 03 (councils in Delivering Better Value, the safety valve, or neither) states,
built from sendlib.programmes' counts and the numbers of sendlib.analysis.programme_groups:
sentences in Markdown (data-derived names escaped) and tables of text for
sendlib.present.readable.markdown_table. Percentages read "%", differences of percentages
"points", money "£m"; every bootstrap interval says how precise its simulated ends are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sendlib.analysis.groups import DBV, NEITHER, PROGRAMME_GROUPS, SAFETY_VALVE
from sendlib.analysis.programme_groups import GroupYears, dsg_column, group_means
from sendlib.present import readable as rd
from sendlib.present.markup import escape

#: Each item of sendlib.programmes.counts_as_at in words.
COUNT_LABELS = {
    "dbv": "Delivering Better Value councils", "safety_valve": "safety-valve councils (signed or in negotiation)",
    "safety_valve_signed": "safety-valve agreements signed", "safety_valve_not_signed": "safety valve, in negotiation",
    "either": "councils in either programme", "both": "councils in both programmes",
    "total_las": "local authorities", "share_either_pct": "share in either programme (%)",
}
PROGRAMME_NAMES = {"delivering_better_value": "Delivering Better Value", "safety_valve": "safety valve",
                   "case_study_2022": "2022 case study"}
#: How each unit measure is written: "pct" (a percentage), "gbp" (pounds) or "rate" (per 10,000).
MEASURE_KINDS = {"spend_growth_cash_pct": "pct", "spend_growth_real_pct": "pct", "hnb_minus_spend_gbp": "gbp",
                 "spend_to_hnb_pct": "pct", "ehcp_growth_pct": "pct", "ehcp_per_10k_0_25": "rate"}
#: The yearly medians drawn: measure -> (what it is, for the title; its unit, for the axis).
YEARLY_LABELS = {
    "spend_to_hnb_pct": ("spend as % of the high-needs block after deductions", "% of the block"),
    "dsg_balance_pct": ("cumulative DSG balance (positive = deficit)", "% of DSG"),
    "ehcp_per_10k_0_25": ("EHC plans per 10,000 aged 0-25", "plans per 10,000"),
    "hn_spend_real_per_head_2_18_gbp": ("high-needs spend per resident aged 2-18, 2023-24 prices",
                                        "£ per resident aged 2-18"),
}


def measure_labels(years: GroupYears) -> dict[str, str]:
    """A readable label (with its years) for every unit measure."""
    span = f"{years.base_fy} to {years.end_fy}"
    allocation_span = (f"FY{years.allocation_fys[0]} to {years.allocation_fys[-1]}" if years.allocation_fys
                       else "no years")
    return {
        "spend_growth_cash_pct": f"high-needs spend growth {span}, cash",
        "spend_growth_real_pct": f"high-needs spend growth {span}, real terms",
        "hnb_minus_spend_gbp": f"high-needs block minus spend, mean per year {allocation_span}",
        "spend_to_hnb_pct": f"spend as % of the high-needs block, {allocation_span}",
        **{dsg_column(fy): f"cumulative DSG balance, end FY{fy}, % of DSG (positive = deficit)"
           for fy in years.dsg_fys},
        "ehcp_growth_pct": f"EHC plan growth {span} (January after each FY)",
        "ehcp_per_10k_0_25": f"EHC plans per 10,000 aged 0-25, FY{years.per_head_fy}",
    }


def measure_unit(column: str) -> str:
    """The unit of a unit measure, for an axis label."""
    if column.startswith("dsg_balance"):
        return "% of DSG (positive = deficit)"
    units = {"spend_growth_cash_pct": "% growth, cash", "spend_growth_real_pct": "% growth, real terms",
             "ehcp_growth_pct": "% growth", "hnb_minus_spend_gbp": "£ per year", "spend_to_hnb_pct": "% of the block",
             "ehcp_per_10k_0_25": "plans per 10,000 aged 0-25"}
    return units[column]


def _kind(column: str) -> str:
    return "pct" if column.startswith("dsg_balance") else MEASURE_KINDS[column]


def level_text(column: str, value: object) -> str:
    """A unit measure's value: "49.4%", "-£2.0m", "324.9"; "no data" when missing."""
    return rd.format_value(value, {"pct": "pct", "gbp": "gbp_m", "rate": "rate"}[_kind(column)])


def difference_text(column: str, value: object, signed: bool = True) -> str:
    """A difference of a unit measure between groups: "+6.9 points" (of a percentage),
    "-£8.1m", "+40.0 per 10,000"."""
    if pd.isna(value):
        return rd.NO_DATA
    kind = _kind(column)
    if kind == "pct":
        return rd.points(float(value) / 100, signed=signed)
    if kind == "gbp":
        return ("+" if signed and value > 0 else "") + rd.format_value(value, "gbp_m")
    return f"{float(value):{'+' if signed else ''},.1f} per 10,000"


def range_text(column: str, low: object, high: object) -> str:
    """An interval of differences: "-16.3 to +2.4 points", "-£11.2m to -£5.2m", "+17.0 to +62.5 per 10,000"."""
    kind = _kind(column)
    if kind == "gbp":
        return f"{difference_text(column, low)} to {difference_text(column, high)}"
    unit = " points" if kind == "pct" else " per 10,000"
    return f"{difference_text(column, low).removesuffix(unit)} to {difference_text(column, high)}"


def error_text(column: str, se: float) -> str:
    """A Monte Carlo standard error of a unit measure's difference, precise enough to read:
    "0.05 points", "£21,345", "0.27 per 10,000"."""
    kind = _kind(column)
    if kind == "pct":
        return rd.points(se / 100, digits=2, signed=False)
    return rd.format_gbp(se) if kind == "gbp" else f"{se:.2f} per 10,000"


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


def members_frame(members: pd.DataFrame, heading: str) -> pd.DataFrame:
    """A members_by_group table for people: every council named (none cut off)."""
    return pd.DataFrame({heading: members["group"], "councils": members["n_councils"].map(rd.count),
                         "of which inferred": members["n_inferred"].map(rd.count), "names": members["councils"]})


def inferred_frame(inferred: pd.DataFrame) -> pd.DataFrame:
    """The members whose group was inferred, with why."""
    return pd.DataFrame({"council": [rd.unit_with_code(n, c) for n, c in zip(inferred["la_name"], inferred["la_code"])],
                         "group": inferred["group"], "confidence": inferred["confidence"], "why": inferred["note"]})


def membership_tables(dbv_by_tranche: pd.DataFrame, inferred: pd.DataFrame, safety_valve_by_year: pd.DataFrame,
                      events: pd.DataFrame) -> str:
    """The councils behind the counts, as Markdown: DBV by tranche, the inferred DBV councils,
    safety valve by year of agreement, and the events after the date (every row shown)."""
    return "\n\n".join([
        "**DBV councils by tranche** (* = tranche inferred)", rd.markdown_table(members_frame(dbv_by_tranche, "tranche")),
        "**DBV councils whose tranche is inferred**", rd.markdown_table(inferred_frame(inferred)),
        "**Safety-valve councils by year of agreement** (* = year inferred)",
        rd.markdown_table(members_frame(safety_valve_by_year, "year of agreement")),
        "**Later events** (after the date; not counted above)", rd.markdown_table(events_display(events)),
    ])


def events_display(events: pd.DataFrame) -> pd.DataFrame:
    """A later_events table with readable headings and programme names."""
    return pd.DataFrame({"date": events["date"].dt.strftime("%Y-%m-%d"), "council": events["la_name"],
                         "programme": events["programme"].map(PROGRAMME_NAMES).fillna(events["programme"]),
                         "event": events["event"]})


def group_sizes_sentence(group_sizes: pd.Series, both_units: pd.DataFrame, both_rule: str) -> str:
    """How many units are in each group, and which units are in both programmes (and where they go)."""
    sizes = ", ".join(f"{n} {group}" for group, n in group_sizes.items())
    if both_units.empty:
        return f"{int(group_sizes.sum())} units: {sizes}. No unit is in both programmes."
    listing = "; ".join(f"{escape(r.unit_name)} (DBV {escape(r.dbv_tranche)}, safety valve {escape(r.safety_valve_year)})"
                        for r in both_units.itertuples())
    verb = "unit is in both programmes and goes" if len(both_units) == 1 else "units are in both programmes and go"
    return (f"{int(group_sizes.sum())} units: {sizes}. {len(both_units)} {verb} to "
            f"the {both_rule} group (parameter `both_rule`): {listing}.")


def summary_frame(summary: pd.DataFrame, measures: Sequence[str], labels: Mapping[str, str]) -> pd.DataFrame:
    """Group means and medians of every unit measure (group_summaries) for people: one row per
    measure, for each group its units with a value, mean and median, in the measure's unit."""
    rows = []
    for measure in measures:
        by_group = summary[summary["measure"] == measure].set_index("programme_group")
        row = {"measure": labels[measure]}
        for group in PROGRAMME_GROUPS:
            found = group in by_group.index
            row[f"{group}: units"] = rd.count(by_group.loc[group, "n"]) if found else "0"
            row[f"{group}: mean"] = level_text(measure, by_group.loc[group, "mean"] if found else None)
            row[f"{group}: median"] = level_text(measure, by_group.loc[group, "median"] if found else None)
        rows.append(row)
    return pd.DataFrame(rows)


def differences_frame(differences: pd.DataFrame, labels: Mapping[str, str], level: float) -> pd.DataFrame:
    """Every difference of group means (group_differences) for people."""
    return pd.DataFrame({
        "measure": differences["measure"].map(labels),
        "groups": differences["group_a"] + " minus " + differences["group_b"],
        "difference": [difference_text(m, v) for m, v in zip(differences["measure"], differences["difference"])],
        f"{level:.0%} interval": [range_text(m, lo, hi) for m, lo, hi in
                                  zip(differences["measure"], differences["low"], differences["high"])],
        "Welch test": differences["p_value"].map(rd.p_value),
        "units": [f"{a} and {b}" for a, b in zip(differences["n_a"], differences["n_b"])],
    })


def _largest_end_error(differences: pd.DataFrame, measure: str) -> str:
    rows = differences[differences["measure"] == measure]
    return error_text(measure, float(pd.concat([rows["low_mc_se"], rows["high_mc_se"]]).max()))


def differences_note(differences: pd.DataFrame, measures: Sequence[str], labels: Mapping[str, str]) -> str:
    """How the intervals were drawn, and the largest Monte Carlo standard error of their ends per measure."""
    n_draws = int(differences["n_draws"].iloc[0]) if len(differences) else 0
    errors = "; ".join(f"{labels[m]} {_largest_end_error(differences, m)}" for m in measures
                       if (differences["measure"] == m).any())
    return (f"Intervals: percentile bootstrap over {rd.count(n_draws)} resamples of each group. Largest Monte Carlo "
            f"standard error of an interval end, by measure: {errors}.")


def difference_sentence(row: pd.Series, label: str, level: float) -> str:
    """One finding from a group_differences row, e.g. "safety valve minus neither, <label>:
    +6.9 points (95% CI +1.2 to +12.3 points; Welch p = 0.021; n = 34 and 74): the interval
    excludes 0"."""
    measure = row["measure"]
    verdict = "excludes 0" if row["low"] > 0 or row["high"] < 0 else "includes 0: no clear difference"
    return (f"{row['group_a']} minus {row['group_b']}, {label}: {difference_text(measure, row['difference'])} "
            f"({level:.0%} CI {range_text(measure, row['low'], row['high'])}; Welch "
            f"{rd.p_value(row['p_value'])}; n = {row['n_a']} and {row['n_b']}): the interval {verdict}")


def against_neither(differences: pd.DataFrame, labels: Mapping[str, str], level: float) -> str:
    """Each programme group against the councils in neither programme, one line per measure."""
    lines = [f"- {difference_sentence(row, labels[row['measure']], level)}"
             for _, row in differences.iterrows() if row["group_b"] == NEITHER]
    return "**Each programme group against councils in neither programme:**\n\n" + "\n".join(lines)


def box_measures(years: GroupYears) -> list[str]:
    """The unit measures drawn as boxes by group, in order."""
    return ["spend_growth_real_pct", "spend_to_hnb_pct", dsg_column(years.dsg_fys[-1]), "ehcp_growth_pct",
            "ehcp_per_10k_0_25"]


def selection_not_effect(summary: pd.DataFrame, years: GroupYears, first_agreements: str) -> str:
    """Why the differences describe councils selected for their deficits, not programme effects
    (from a group_summaries table)."""
    dsg, growth, share = (group_means(summary, m) for m in (dsg_column(years.dsg_fys[0]), "spend_growth_real_pct",
                                                            "spend_to_hnb_pct"))
    return (f"**Selection, not effect.** At the end of FY{years.dsg_fys[0]}, before any safety-valve agreement (the "
            f"first are for {first_agreements}), the mean cumulative DSG balance was "
            f"**{rd.format_value(dsg[SAFETY_VALVE], 'signed_pct')} of the DSG** in safety-valve councils, "
            f"{rd.format_value(dsg[DBV], 'signed_pct')} in DBV councils and {rd.format_value(dsg[NEITHER], 'signed_pct')} "
            f"in the rest (positive = deficit). Entry to the programmes turned on this measure, so every difference "
            f"above describes councils selected for their deficits, not an effect of the programmes. Their high-needs "
            f"spend grew by a mean {level_text('spend_growth_real_pct', growth[SAFETY_VALVE])} (safety valve), "
            f"{level_text('spend_growth_real_pct', growth[DBV])} (DBV) and "
            f"{level_text('spend_growth_real_pct', growth[NEITHER])} (neither) in real terms from {years.base_fy} to "
            f"{years.end_fy}, while spend as a share of the high-needs block averaged "
            f"{level_text('spend_to_hnb_pct', share[SAFETY_VALVE])}, {level_text('spend_to_hnb_pct', share[DBV])} and "
            f"{level_text('spend_to_hnb_pct', share[NEITHER])}.")


def block_minus_spend_sentence(totals: pd.DataFrame, fy: str) -> str:
    """The groups' total high-needs block minus spend in one year, with why it overstates the headroom."""
    latest = totals[totals["fy"] == fy].set_index("programme_group")["total"]
    gaps = ", ".join(f"{rd.format_gbp(latest[g])} ({g})" for g in PROGRAMME_GROUPS if g in latest.index)
    return (f"In FY{fy} the high-needs block after deductions exceeded S251 1.2.x spend by {gaps} (negative: spend "
            f"above the block). S251 1.2.x excludes maintained-school place funding, which the block still contains, "
            f"so these gaps overstate the headroom; see notebook 06 for the national place-funding check.")
