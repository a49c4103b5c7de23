"""What notebook 07 (how the ten "effective" councils could have been chosen, and what happened
to them afterwards) states, built from the numbers of sendlib.analysis.selection: sentences in
Markdown (data-derived names escaped) and tables of text for
sendlib.present.readable.markdown_table. Growth is in %, differences in percentage points, and
every simulated share or interval end carries its Monte Carlo standard error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sendlib.analysis.growth import SimulatedShare
from sendlib.analysis.selection import Decomposition, FrameSummary, RuleAnalysis, verdict
from sendlib.present import readable as rd
from sendlib.present.markup import escape

#: Each frame rule (analysis.selection.FRAME_RULES) in words.
FRAME_RULE_NAMES = {
    "dsg_in_year": "DSG balance improved during FY2020-21 (no 2020-21 safety-valve payment)",
    "hnb_vs_spend": "FY2020-21 high-needs block covered spend plus place funding",
    "dsg_cumulative": "no cumulative DSG deficit at the end of FY2020-21 (no 2020-21 safety-valve payment)",
}
#: Each follow-up measure (analysis.selection.FOLLOW_UP_MEASURES) in words.
FOLLOW_UP_NAMES = {
    "spend": "high-needs spend (S251 1.2.x), cash",
    "spend_per_head": "high-needs spend per resident aged 2-18, cash",
    "ehcp": "EHC plans in force (January after the FY)",
    "allocation": "high-needs block after deductions, cash",
}
#: The two groups of the paths (analysis.selection.FRAME, OTHERS) in a legend.
GROUP_NAMES = {"frame": "units in the frame", "others": "other units"}
#: What each follow-up verdict (analysis.selection.verdict) means, completing "the slower growth ...".
VERDICT_WORDS = {
    "persisted": "persisted (the interval is below 0)",
    "vanished": "vanished (the interval includes 0)",
    "reversed": "reversed: the frame grew faster (the interval is above 0)",
    "no gap before": "was never there: the frame did not grow more slowly before selection",
}


def rule_name(frame_rule: str) -> str:
    """"dsg_in_year" -> "DSG balance improved during FY2020-21 (...)"."""
    return FRAME_RULE_NAMES.get(frame_rule, frame_rule)


def frame_sentence(summary: FrameSummary) -> str:
    """The frame in words, saying plainly when it leaves out Camden (a named case study)."""
    camden = ("Camden, the one named case study, is in it." if summary.camden_in_frame else
              "Camden, the one named case study, is NOT in it: evidence against this reading of the rule.")
    excluded = (f" Left out for a 2020-21 safety-valve agreement: "
                f"{rd.listing([escape(name) for name in summary.excluded_safety_valve])}."
                if summary.excluded_safety_valve else "")
    return f"**{rule_name(summary.frame_rule)}**: {summary.size} units. {camden}{excluded}"


def overview_frame(analyses: Sequence[RuleAnalysis]) -> pd.DataFrame:
    """One row per frame rule: what it tests, its units, whether Camden is in it, the frame's and
    the other units' mean growth, the share of random groups from the frame at most the claim
    (with its Monte Carlo standard error) and the follow-up verdict."""
    return pd.DataFrame([{
        "frame rule": rule_name(a.summary.frame_rule), "units": a.summary.size,
        "Camden in it": "yes" if a.summary.camden_in_frame else "no",
        "frame mean growth": rd.share(a.parts.frame_mean), "others' mean growth": rd.share(a.parts.others_mean),
        "random groups from the frame at most the claim": rd.mc_share_cell(
            SimulatedShare(a.claim["claim_pct_frame_groups"], a.claim["n_draws"])),
        "slower growth after selection": a.verdict,
    } for a in analyses])


def members_sentence(summary: FrameSummary) -> str:
    """The members of one frame, by name."""
    return (f"**Members of the frame \"{rule_name(summary.frame_rule)}\"** ({summary.size}): "
            f"{'; '.join(escape(name) for name in summary.members)}.")


def overlap_sentence(overlap: Mapping[str, Sequence[str]], as_at: str) -> str:
    """The frame's programme members as at a date, in words."""
    programmes = (("Delivering Better Value", overlap["dbv"]), ("the safety valve", overlap["safety_valve"]))
    parts = [f"{len(names)} in {label}" + (f" ({'; '.join(escape(n) for n in names)})" if names else "")
             for label, names in programmes]
    return f"As at {escape(as_at)}, of the frame's units: {'; '.join(parts)}."


def claim_conclusion(rule: str, claimed: float, claim: Mapping[str, float], parts: Decomposition, level: float,
                     group_size: int) -> str:
    """The claim inside one frame, and how much of its gap from the all-unit mean the rule explains."""
    explained = parts.share_explained
    amount = ("none" if explained <= 0 else "all of it, and more" if explained >= 1
              else f"about {explained:.0%}")
    n_draws = int(claim["n_draws"])
    groups = {pool: SimulatedShare(claim[f"claim_pct_{pool}_groups"], n_draws) for pool in ("frame", "all", "other")}
    interval = (f"{level:.0%} CI {rd.points_range(parts.low, parts.high)}, Monte Carlo s.e. of the ends at most "
                f"{rd.points(max(parts.low_mc_se, parts.high_mc_se), digits=2, signed=False)}")
    return (f"Under **{rule_name(rule)}**, the {claim['n_frame']:.0f} frame units grew by a mean "
            f"{rd.share(parts.frame_mean)} against {rd.share(parts.others_mean)} for the other {claim['n_others']:.0f} "
            f"(difference {rd.points(parts.difference)}; {interval}). The claimed {rd.share(claimed)} is "
            f"{rd.points(abs(parts.claim_minus_all), signed=False)} {'below' if parts.claim_minus_all < 0 else 'above'} "
            f"the all-unit mean ({rd.share(parts.all_mean)}); choosing from the frame alone moves the mean "
            f"{rd.points(parts.frame_minus_all)}, so the rule explains {amount} of that gap. Random groups of "
            f"{group_size} averaging at most the claim: {rd.mc_share(groups['frame'], 'groups from the frame')}; "
            f"{rd.mc_share(groups['all'], 'groups from all units')}; "
            f"{rd.mc_share(groups['other'], 'groups from outside the frame')}.")


def claim_table_frame(claims: pd.DataFrame) -> pd.DataFrame:
    """A claim_table (every combination of notebook 02's sensitivity table, inside one frame)
    for people: growth in %, each share of random groups with its Monte Carlo standard error."""
    def cells(pool: str) -> list[str]:
        return [rd.mc_share_cell(SimulatedShare(v, n)) for v, n in zip(claims[f"claim_pct_{pool}_groups"],
                                                                       claims["n_draws"])]

    return pd.DataFrame({
        "measure": [rd.measure_label(m, b, d) for m, b, d in zip(claims["measure"], claims["basis"],
                                                                   claims["denominator"])],
        "years": claims["base_fy"] + " to " + claims["end_fy"],
        "frame units": claims["n_frame"].map(rd.count), "other units": claims["n_others"].map(rd.count),
        "frame mean growth": claims["frame_mean"].map(rd.share),
        "others' mean growth": claims["others_mean"].map(rd.share),
        "groups from the frame at most the claim": cells("frame"),
        "groups from outside": cells("other"),
        "groups from all units": cells("all"),
    })


def claim_table_note(claims: pd.DataFrame, group_size: int) -> str:
    """How the shares of a claim table were drawn (and what "no data" means there)."""
    n_draws = int(claims["n_draws"].iloc[0]) if len(claims) else 0
    return (f"Each share: {rd.count(n_draws)} random groups of {group_size} units, drawn without replacement. "
            f"\"{rd.NO_DATA}\": fewer units than {group_size} in that pool. {rd.MC_CELL_NOTE}")


def follow_up_frame(follow: pd.DataFrame, level: float) -> pd.DataFrame:
    """A follow_up table for people: measures in words, growth in %, the difference and its
    bootstrap interval in percentage points."""
    return pd.DataFrame({
        "measure": follow["measure"].map(FOLLOW_UP_NAMES).fillna(follow["measure"]),
        "years": follow["from_fy"] + " to " + follow["to_fy"],
        "frame units": follow["n_frame"].map(rd.count), "other units": follow["n_others"].map(rd.count),
        "frame mean growth": follow["frame_mean"].map(rd.share),
        "others' mean growth": follow["others_mean"].map(rd.share),
        "difference": follow["difference"].map(rd.points),
        f"{level:.0%} interval": [rd.points_range(lo, hi) for lo, hi in zip(follow["low"], follow["high"])],
    })


def follow_up_note(follow: pd.DataFrame) -> str:
    """How precise the bootstrap intervals of a follow_up table are."""
    worst = float(pd.concat([follow["low_mc_se"], follow["high_mc_se"]]).max()) if len(follow) else float("nan")
    return (f"Difference = frame minus other units. Intervals: percentile bootstrap, each group resampled with "
            f"replacement; the largest Monte Carlo standard error of an interval end in this table is "
            f"{rd.points(worst, digits=2, signed=False)}.")


def follow_up_sentence(rule: str, before: Decomposition, after: pd.Series, level: float) -> str:
    """The follow-up verdict on spending in words, from the last follow_up row of spending."""
    return (f"Under **{rule_name(rule)}**, before selection the frame's mean growth differed from the rest's by "
            f"{rd.points(before.difference)}; from {after['from_fy']} to {after['to_fy']} the difference is "
            f"{rd.points(after['difference'])} "
            f"({level:.0%} CI {rd.points_range(after['low'], after['high'])}): the slower growth "
            f"{VERDICT_WORDS[verdict(before, after)]}.")
