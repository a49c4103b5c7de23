"""What notebook 02 (is the ~25% growth of DfE's ten "effective" councils low?) states, built
from the numbers of sendlib.analysis.case_study: each function returns Markdown (data-derived
names escaped) or a table of text for sendlib.present.readable.markdown_table. Shares and
growth are percentages, differences percentage points, and every simulated share or
percentile carries its Monte Carlo standard error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sendlib.analysis.case_study import ClaimAmongGroups, ClaimAmongUnits, GroupInterval
from sendlib.analysis.growth import SimulatedShare
from sendlib.present import readable as rd
from sendlib.present.markup import escape

#: A membership column of the regressions in words.
MEMBERSHIP_NAMES = {"case_study": "named case-study councils", "dbv": "Delivering Better Value (DBV)",
                    "safety_valve": "safety valve"}
#: Rows of the unit growth distribution table in words.
STATISTIC_NAMES = {"n": "units with a growth value", "mean": "mean", "min": "lowest", "p10": "10th percentile",
                   "p25": "25th percentile", "p50": "median", "p75": "75th percentile", "p90": "90th percentile",
                   "max": "highest"}
#: The two sensitivity heatmaps: column of the sensitivity table -> title.
SENSITIVITY_TITLES = {
    "claim_percentile_among_units": "Share of units whose growth was at most the claim",
    "claim_percentile_among_random_groups": "Share of random groups averaging at most the claim",
}


def named_units(named: pd.DataFrame) -> str:
    """The named case-study units with their codes: "Camden (202)" (escaped)."""
    return rd.listing([escape(rd.unit_with_code(r.unit_name, r.unit)) for r in named.itertuples()])


def run_summary(label: str, base_fy: str, end_fy: str, named: pd.DataFrame, group_size: int, claimed: float) -> str:
    """What this run measures, in one sentence."""
    return (f"Measure: **{label}**, growth from **{base_fy}** to **{end_fy}**. Named case-study council(s): "
            f"{named_units(named)}. The claimed group has {group_size} councils averaging {rd.share(claimed)} growth.")


def distribution_frame(distribution: pd.DataFrame) -> pd.DataFrame:
    """The unit growth distribution (case_study.distribution_table) for people: the count as a
    whole number, every other statistic as a percentage."""
    values = [rd.count(v) if s == "n" else rd.share(v) for s, v in zip(distribution["statistic"], distribution["value"])]
    return pd.DataFrame({"statistic": distribution["statistic"].map(STATISTIC_NAMES).fillna(distribution["statistic"]),
                         "growth": values})


def claim_among_units(units: ClaimAmongUnits, label: str, base_fy: str, end_fy: str) -> str:
    """England's growth, the median unit's and where the claim and the named units sit."""
    national = units.national
    coverage = (f"{national.n_units} units" if national.complete
                else f"{national.n_units} units; left out for lack of data: {rd.listing(national.excluded_units)}")
    named = "; ".join(f"{escape(r.unit_name)} grew by {rd.share(r.growth)} ({rd.share(r.percentile)} of units grew "
                      f"by at most that)" for r in units.named.itertuples())
    excluded = units.excluded
    missing = (" Units without a growth value: " + "; ".join(
        f"{escape(rd.unit_with_code(r.unit_name, r.unit))} ({escape(r.excluded_reason)})" for r in excluded.itertuples())
        + "." if len(excluded) else "")
    return (f"From {base_fy} to {end_fy}, {label} grew by **{rd.share(national.growth)}** in England ({coverage}). "
            f"The median unit grew by {rd.share(units.known['growth'].median())}. The claimed "
            f"{rd.share(units.claimed)} is at or above the growth of **{rd.share(units.percentile)}** of the "
            f"{len(units.known)} units: {units.n_below} of them grew by less. {named}.{missing}")


def claim_among_groups(groups: ClaimAmongGroups, claimed: float) -> str:
    """How often random groups of the claimed size average the claim, and what the unnamed
    members would need; every simulated number with its Monte Carlo standard error."""
    text = (f"The central 95% of random groups of {groups.group_size} averaged {rd.mc_interval(groups.central)}. "
            f"Averaging at most the claimed {rd.share(claimed)}: "
            f"**{rd.mc_share(groups.share, f'random groups of {groups.group_size} units')}**.")
    unnamed = groups.unnamed
    if unnamed.n_unnamed:
        others = rd.mc_share(unnamed.simulated, f"random groups of {unnamed.n_unnamed} other units")
        text += (f" With {groups.group_size - unnamed.n_unnamed} of the {groups.group_size} councils named, the other "
                 f"{unnamed.n_unnamed} would have to average **{rd.share(unnamed.implied_mean)}** for the group to "
                 f"average {rd.share(claimed)}; {others} average that little.")
    return text


def named_group_interval(interval: GroupInterval, group_size: int) -> str:
    """The named units' mean growth and its bootstrap interval, or why there is none."""
    text = (f"The named case-study unit(s) with a growth value: {interval.n} of a claimed {group_size}; their mean "
            f"growth is {rd.share(interval.mean)}. ")
    if interval.estimable and interval.simulated is not None:
        return text + f"{interval.level:.0%} bootstrap interval: {rd.mc_interval(interval.simulated)} ({interval.note})."
    return (text + f"**No interval can be estimated** ({interval.note}). How uncertain the {group_size} councils' "
            f"average is cannot be known without the other {group_size - interval.n} councils.")


def _se_text(se: object, defined: bool) -> str:
    return rd.points(se, signed=False) if defined else "not defined (a member has leverage 1)"


def regression_frame(effects: pd.DataFrame) -> pd.DataFrame:
    """The membership regressions (case_study.membership_effects) for people: coefficients and
    standard errors in percentage points of growth, p-values, and why an HC3 error is missing."""
    return pd.DataFrame({
        "membership": effects["membership"].map(MEMBERSHIP_NAMES).fillna(effects["membership"]),
        "units (members)": [f"{n} ({m})" for n, m in zip(effects["n"], effects["n_members"])],
        "difference in growth": [rd.points(c) for c in effects["coefficient"]],
        "robust (HC3) s.e.": [_se_text(se, d) for se, d in zip(effects["robust_se"], effects["hc3_defined"])],
        "robust p": [rd.p_value(p) if d else "not defined" for p, d in zip(effects["robust_p_value"],
                                                                             effects["hc3_defined"])],
        "classical s.e.": [rd.points(se, signed=False) for se in effects["classical_se"]],
        "classical p": [rd.p_value(p) for p in effects["classical_p_value"]],
    })


def regressions(effects: pd.DataFrame, claimed_counts: Mapping[str, float], as_at: str) -> str:
    """Each membership's association with growth, and how the member counts compare with DfE's."""
    lines = []
    for row in effects.itertuples():
        robust = (f"HC3 s.e. {rd.points(row.robust_se, signed=False)}, {rd.p_value(row.robust_p_value)}"
                  if row.hc3_defined else "HC3 s.e. not defined (a member has leverage 1)")
        lines.append(f"- **{MEMBERSHIP_NAMES.get(row.membership, row.membership)}** ({row.n_members} of {row.n} "
                     f"units): {rd.points(row.coefficient)} of growth; {robust}; classical s.e. "
                     f"{rd.points(row.classical_se, signed=False)}, {rd.p_value(row.classical_p_value)}.")
    members = effects.set_index("membership")["n_members"]
    lines.append(f"\nMember units in the regressions, as at {escape(as_at)}: DBV {members['dbv']} (DfE counts "
                 f"{rd.count(claimed_counts['dbv'])} DBV councils), safety valve {members['safety_valve']} (DfE counts "
                 f"{rd.count(claimed_counts['safety_valve'])}). Units are councils or merged councils, so the counts "
                 f"are not strictly comparable.")
    return "\n".join(lines)


def sensitivity_frame(sensitivity: pd.DataFrame, n_draws: int) -> pd.DataFrame:
    """The sensitivity table (case_study.claim_sensitivity) for people, every row shown; the
    share of random groups with its Monte Carlo standard error (readable.mc_share_cell)."""
    return pd.DataFrame({
        "measure": [rd.measure_label(m, b, d) for m, b, d in zip(sensitivity["measure"], sensitivity["basis"],
                                                                   sensitivity["denominator"])],
        "years": sensitivity["base_fy"] + " to " + sensitivity["end_fy"],
        "units": sensitivity["n_units"].map(rd.count),
        "England's growth": sensitivity["national_growth"].map(rd.share),
        "units at most the claim": sensitivity["claim_percentile_among_units"].map(rd.share),
        "random groups at most the claim": [rd.mc_share_cell(SimulatedShare(v, n_draws))
                                            for v in sensitivity["claim_percentile_among_random_groups"]],
    })


def sensitivity_note(sensitivity: pd.DataFrame, n_draws: int) -> str:
    """How the simulated shares of the sensitivity table were drawn, and how precise they are."""
    worst = float(sensitivity["claim_percentile_among_random_groups_mc_se"].max())
    return (f"Random groups: {rd.count(n_draws)} groups of {int(sensitivity['random_group_size'].iloc[0])} units "
            f"for each row; the largest Monte Carlo standard error in the table is "
            f"{rd.points(worst, digits=2, signed=False)}. {rd.MC_CELL_NOTE}")


def sensitivity(sensitivity: pd.DataFrame, ranges: pd.DataFrame, skipped: Mapping[str, Sequence[str]],
                claimed: float, group_size: int) -> str:
    """How the verdict moves with the measure, basis, denominator and years."""
    below_median = int((sensitivity["claim_percentile_among_units"] <= 0.5).sum())
    rare = int((sensitivity["claim_percentile_among_random_groups"] < 0.05).sum())
    lines = [f"- {rd.measure_label(r.measure, r.basis, r.denominator)}: {rd.share(r.low)} to {rd.share(r.high)} of "
             f"units grew by at most the claim" for r in ranges.itertuples()]
    text = (f"Over {len(sensitivity)} combinations, the claimed {rd.share(claimed)} is at or below the median unit in "
            f"{below_median}. A random group of {group_size} averages that little less than 5% of the time in {rare}. "
            f"Where the claim sits among units, by measure:\n" + "\n".join(lines))
    if skipped:
        text += ("\n\nNot in the table, for lack of data in these years: " + "; ".join(
            f"{rd.measure_label(m)} (data {years[0]} to {years[-1]})" for m, years in skipped.items()) + ".")
    return text


def selection_frame(selection: pd.DataFrame, names: Mapping[str, str], n_draws: int) -> pd.DataFrame:
    """Groups picked on an outcome (case_study.selection_against_random_groups) for people:
    members by name, mean growth, and the share of random groups at most it."""
    return pd.DataFrame({
        "group": selection["rule"],
        "mean growth": selection["mean_growth"].map(rd.share),
        "random groups at most that": [rd.mc_share_cell(SimulatedShare(s, n_draws))
                                       for s in selection["share_of_random_groups"]],
        "members": ["; ".join(names.get(u, u) for u in units.split("+")) for units in selection["units"]],
    })


def selection(selection: pd.DataFrame, case_units: Sequence[str], names: Mapping[str, str], random_mean: float,
              claimed: float, group_size: int) -> str:
    """How far picking councils on their outcome moves a group's mean growth."""
    lines = []
    for row in selection.itertuples():
        named = [escape(names.get(u, u)) for u in row.units.split("+") if u in set(case_units)]
        lines.append(f"- {escape(row.rule)}: mean growth **{rd.share(row.mean_growth)}**"
                     + (f"; includes {rd.listing(named)}" if named else "") + ".")
    return (f"Picking {group_size} units on the outcome gives group averages from "
            f"{rd.share(selection['mean_growth'].min())} to {rd.share(selection['mean_growth'].max())}. Random groups "
            f"average {rd.share(random_mean)} and the claim is {rd.share(claimed)}:\n" + "\n".join(lines))


def what_is_known(units: ClaimAmongUnits, groups: ClaimAmongGroups, interval: GroupInterval,
                  sensitivity: pd.DataFrame, by_base: Mapping[str, float], label: str, end_fy: str) -> str:
    """The closing list: who, since when, which spending, against random groups, and how
    uncertain the group's own mean is."""
    n_named, size = len(units.named), groups.group_size
    since = (f"- **Since when:** \"since 2018\" could mean a 2017-18 or a 2018-19 base. On the headline measure "
             f"({label}) to {end_fy}, the share of units growing by at most the claim is "
             + rd.listing([f"{rd.share(v)} from {b}" for b, v in by_base.items()]) + "."
             if by_base else f"- **Since when:** \"since 2018\" is ambiguous; no sensitivity row matches {label} to "
                             f"{end_fy}.")
    uncertainty = (f"{interval.level:.0%} interval {rd.mc_interval(interval.simulated)}."
                   if interval.estimable and interval.simulated is not None
                   else "not estimable from the named member(s) alone.")
    return "\n".join([
        f"- **Who:** {n_named} of the {size} councils {'is' if n_named == 1 else 'are'} named "
        f"({named_units(units.named)}); the other {size - n_named} have not been published.",
        since,
        f"- **Which spending:** not stated. Across the {len(sensitivity)} measure, basis, denominator and year "
        f"combinations tried, the share of units growing by at most the claim ranges from "
        f"{rd.share(sensitivity['claim_percentile_among_units'].min())} to "
        f"{rd.share(sensitivity['claim_percentile_among_units'].max())}.",
        f"- **Against random groups:** on the headline measure, "
        f"{rd.mc_share(groups.share, f'random groups of {size} units')} average at most {rd.share(units.claimed)}; "
        f"nationally, {label} grew by {rd.share(units.national.growth)}.",
        f"- **Uncertainty of the group's own mean:** {uncertainty}",
    ])
