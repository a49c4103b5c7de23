"""How the ten "effective" councils of DfE's June 2022 research could have been chosen, what
that choice alone does to their growth, and how the chosen pool grew afterwards.

The research's initial sample was "LAs which [were] in surplus on their annual high needs budget
for the 2020/21 financial year". What that meant operationally was not stated, so the sampling
frame is a parameter, ``frame_rule`` (units are the panel's harmonised units):

- ``dsg_in_year``: the cumulative DSG balance fell during FY2020-21 (deficit at the end of
  2020-21 below that at the end of 2019-20; the panel's balance is positive = deficit). Units with
  a safety-valve agreement signed in FY2020-21 are excluded: the payments cut their deficits
  without any budget surplus, and the 2020-21 payment itself is not published.
- ``hnb_vs_spend``: the FY2020-21 high-needs block after deductions covers FY2020-21 high-needs
  spend plus place funding. S251 lines 1.2.x leave place funding out while the block after
  deductions still pays for maintained-school places, so the place funding of the FY2021-22
  High Needs Benchmarking Tool (outturn, ``place_funding_total``, the only year published) stands
  in for 2020-21: place numbers change slowly, and it is the only place-funding source there is.
- ``dsg_cumulative``: no cumulative DSG deficit at the end of FY2020-21 (balance <= 0), safety-
  valve 2020-21 units excluded as for ``dsg_in_year``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis import growth
from sendlib.analysis.groups import difference_in_means_ci
from sendlib.analysis.measures import is_valid_combination, require_panel_columns
from sendlib.errors import ParameterError
from sendlib.years import fy_start

FRAME_RULES = ("dsg_in_year", "hnb_vs_spend", "dsg_cumulative")
SELECTION_FY = "2020-21"
PREVIOUS_FY = "2019-20"
CAMDEN_UNIT = "202"
FRAME = "frame"
OTHERS = "others"
FRAME_COLUMNS = ["unit", "unit_name", "margin_gbp", "in_frame", "note"]
#: Follow-up measures: key -> (measure, basis, denominator).
FOLLOW_UP_MEASURES = {
    "spend": ("hn_spend", "cash", "total"),
    "spend_per_head": ("hn_spend", "cash", "per_head_2_18"),
    "ehcp": ("ehcp", "cash", "total"),
    "allocation": ("hnb_after_deductions", "cash", "total"),
}
FOLLOW_UP_COLUMNS = ["measure", "from_fy", "to_fy", "n_frame", "n_others", "frame_mean", "others_mean",
                     "difference", "low", "high", "low_mc_se", "high_mc_se"]
#: The pools random groups are drawn from, in the order of their seeds (seed, seed + 1, seed + 2):
#: all units first, so that the share for all units is notebook 02's headline share.
POOLS = ("all", "frame", "other")
CLAIM_COLUMNS = ["measure", "basis", "denominator", "base_fy", "end_fy", "n_frame", "n_others", "frame_mean",
                 "others_mean", "all_mean", *(f"claim_pct_{pool}_groups" for pool in ("frame", "other", "all")),
                 *(f"claim_pct_{pool}_groups_mc_se" for pool in ("frame", "other", "all")), "n_draws"]


# --- the frame -------------------------------------------------------------------------------------


def units_signed_in(programmes: pd.DataFrame, lookup: pd.DataFrame, fy: str, programme: str = "safety_valve") -> set[str]:
    """Harmonised units with a council whose ``programme`` agreement was signed during ``fy``."""
    start = pd.Timestamp(f"{fy_start(fy)}-04-01")
    end = pd.Timestamp(f"{fy_start(fy) + 1}-03-31")
    rows = programmes[(programmes["programme"] == programme) & programmes["signed"].between(start, end)]
    return set(rows["la_code"].map(lookup.set_index("la_code")["unit"]).dropna())


def place_funding_by_unit(hn_benchmarking: pd.DataFrame, lookup: pd.DataFrame) -> pd.Series:
    """FY2021-22 outturn place funding (High Needs Benchmarking Tool, ``place_funding_total``) per
    unit in GBP; missing when a member's value is suppressed or absent."""
    rows = hn_benchmarking[(hn_benchmarking["stage"] == "outturn") & (hn_benchmarking["line"] == "place_funding_total")]
    values = rows["value_gbp"].where(~rows["value_gbp_suppressed"].astype(bool))
    units = rows["la_code"].map(lookup.set_index("la_code")["unit"])
    frame = pd.DataFrame({"unit": units.to_numpy(), "value": values.to_numpy(dtype="float64")})
    return frame.groupby("unit")["value"].agg(lambda v: v.sum() if v.notna().all() else np.nan).rename("place_funding_gbp")


def _in_year(panel: pd.DataFrame, column: str, fy: str) -> pd.Series:
    rows = panel[panel["fy"] == fy]
    return pd.Series(rows[column].to_numpy(dtype="float64"), index=rows["unit"].astype(str).to_numpy())


def _spend(panel: pd.DataFrame, fy: str) -> pd.Series:
    spend = panel["hn_spend_gbp"].where(panel["hn_spend_complete"].astype(bool))
    return _in_year(panel.assign(_spend=spend), "_spend", fy)


def frame_margin(panel: pd.DataFrame, frame_rule: str, place_funding: pd.Series | None = None) -> pd.Series:
    """The margin (GBP) by which each unit meets ``frame_rule``'s test (in the frame when >= 0 for
    hnb_vs_spend and dsg_cumulative, > 0 for dsg_in_year); missing without the data."""
    if frame_rule == "dsg_in_year":
        return _in_year(panel, "dsg_balance_gbp", PREVIOUS_FY) - _in_year(panel, "dsg_balance_gbp", SELECTION_FY)
    if frame_rule == "dsg_cumulative":
        return -_in_year(panel, "dsg_balance_gbp", SELECTION_FY)
    if frame_rule == "hnb_vs_spend":
        if place_funding is None:
            raise ValueError("hnb_vs_spend needs place_funding (place_funding_by_unit)")
        allocation = _in_year(panel, "hnb_after_deductions_gbp", SELECTION_FY)
        return allocation - _spend(panel, SELECTION_FY) - place_funding.reindex(allocation.index)
    raise ParameterError(f"unknown frame_rule {frame_rule!r}; choose from {', '.join(FRAME_RULES)}")


def sampling_frame(panel: pd.DataFrame, frame_rule: str, safety_valve_units: Collection[str] = (),
                   place_funding: pd.Series | None = None) -> pd.DataFrame:
    """One row per unit: unit, unit_name, margin_gbp, in_frame, note (why a unit with a margin is
    left out, or that the data are missing); sorted by unit. See the module docstring."""
    require_panel_columns(panel, ["unit", "unit_name", "fy", "dsg_balance_gbp", "hnb_after_deductions_gbp",
                                  "hn_spend_gbp", "hn_spend_complete"])
    names = panel.drop_duplicates("unit").set_index("unit")["unit_name"].astype(str).sort_index()
    margin = frame_margin(panel, frame_rule, place_funding).reindex(names.index)
    meets = margin > 0 if frame_rule == "dsg_in_year" else margin >= 0
    excluded = names.index.isin(list(safety_valve_units)) & (frame_rule != "hnb_vs_spend")
    note = np.select([margin.isna().to_numpy(), excluded], ["no data for the rule", "safety-valve agreement in 2020-21"],
                     default="")
    frame = pd.DataFrame({"unit": names.index, "unit_name": names.to_numpy(), "margin_gbp": margin.to_numpy(),
                          "in_frame": (meets.to_numpy() & ~excluded), "note": note})
    return frame.astype({"unit": "string", "unit_name": "string", "note": "string", "in_frame": bool})


@dataclass(frozen=True)
class FrameSummary:
    """Who is in one frame."""

    frame_rule: str
    size: int
    units: list[str]
    members: list[str]
    camden_in_frame: bool
    excluded_safety_valve: list[str]


def frame_summary(frame: pd.DataFrame, frame_rule: str) -> FrameSummary:
    """Size, members (unit codes and names, by name) and whether Camden is in the frame."""
    members = frame[frame["in_frame"]].sort_values("unit_name")
    excluded = frame.loc[frame["note"] == "safety-valve agreement in 2020-21", "unit_name"]
    return FrameSummary(frame_rule, len(members), members["unit"].tolist(), members["unit_name"].tolist(),
                        CAMDEN_UNIT in set(members["unit"]), sorted(excluded))


# --- the claim inside the frame ----------------------------------------------------------------------


def growth_by_unit(panel: pd.DataFrame, measure: str, basis: str, denominator: str, base_fy: str, end_fy: str) -> pd.Series:
    """Growth (fraction) of every unit, indexed by unit; NaN where it cannot be measured."""
    table = growth.unit_growth(panel, measure, basis, denominator, base_fy, end_fy)
    return table.set_index("unit")["growth"].astype("float64")


def _split(values: pd.Series, frame_units: Collection[str]) -> tuple[pd.Series, pd.Series]:
    known = values.dropna()
    inside = known.index.isin(list(frame_units))
    return known[inside], known[~inside]


def _claim_share(claimed: float, values: pd.Series, group_size: int, n_draws: int, seed: int) -> growth.SimulatedShare:
    """Share of random groups of ``group_size`` from ``values`` averaging at most the claim
    (growth.claim_share_among_random_groups; NaN when there are fewer values than the group size)."""
    if len(values) < group_size:
        return growth.SimulatedShare(float("nan"), n_draws)
    return growth.claim_share_among_random_groups(values, claimed, group_size, n_draws, seed)


def claim_in_frame(values: pd.Series, frame_units: Collection[str], claimed: float, group_size: int, n_draws: int,
                   seed: int) -> dict[str, float]:
    """The claim against random groups (without replacement) drawn from all units, the frame and
    from outside it (POOLS, seeds ``seed``, ``seed + 1``, ``seed + 2``; all units with ``seed``
    is notebook 02's headline share): n_frame, n_others, frame_mean, others_mean, all_mean,
    claim_pct_<pool>_groups with its Monte Carlo standard error claim_pct_<pool>_groups_mc_se,
    and n_draws."""
    inside, outside = _split(values, frame_units)
    pools = {"all": values.dropna(), "frame": inside, "other": outside}
    shares = {pool: _claim_share(claimed, pools[pool], group_size, n_draws, seed + k) for k, pool in enumerate(POOLS)}
    return {"n_frame": len(inside), "n_others": len(outside), "frame_mean": float(inside.mean()),
            "others_mean": float(outside.mean()), "all_mean": float(values.dropna().mean()),
            **{f"claim_pct_{pool}_groups": share.share for pool, share in shares.items()},
            **{f"claim_pct_{pool}_groups_mc_se": share.mc_se for pool, share in shares.items()},
            "n_draws": n_draws}


def sensitivity_combinations(panel: pd.DataFrame, measures: Sequence[str], bases: Sequence[str],
                             denominators: Sequence[str], base_fys: Sequence[str], end_fys: Sequence[str]
                             ) -> list[tuple[str, str, str, str, str]]:
    """(measure, basis, denominator, base_fy, end_fy) of the sensitivity table of notebook 02:
    valid combinations, end after base, with some unit's growth known."""
    rows = []
    for base_fy in base_fys:
        for measure in measures:
            for basis in bases:
                for denominator in denominators:
                    for end_fy in end_fys:
                        if not is_valid_combination(measure, basis, denominator) or fy_start(end_fy) <= fy_start(base_fy):
                            continue
                        if growth_by_unit(panel, measure, basis, denominator, base_fy, end_fy).notna().any():
                            rows.append((measure, basis, denominator, base_fy, end_fy))
    return rows


def claim_table(panel: pd.DataFrame, frame_units: Collection[str], claimed: float,
                combinations: Sequence[tuple[str, str, str, str, str]], group_size: int, n_draws: int,
                seed: int) -> pd.DataFrame:
    """claim_in_frame for every combination (CLAIM_COLUMNS), all with the same seed."""
    rows = [{"measure": m, "basis": b, "denominator": d, "base_fy": base, "end_fy": end,
             **claim_in_frame(growth_by_unit(panel, m, b, d, base, end), frame_units, claimed, group_size, n_draws, seed)}
            for m, b, d, base, end in combinations]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


@dataclass(frozen=True)
class Decomposition:
    """Frame minus non-frame mean growth (bootstrap interval) beside the claim's distance from the
    all-unit mean; ``share_explained`` = (frame mean - all mean) / (claim - all mean)."""

    frame_mean: float
    others_mean: float
    all_mean: float
    difference: float
    low: float
    high: float
    claim_minus_all: float
    frame_minus_all: float
    share_explained: float
    low_mc_se: float = float("nan")
    high_mc_se: float = float("nan")
    n_draws: int = 0


def decompose(values: pd.Series, frame_units: Collection[str], claimed: float, n_draws: int, seed: int,
              level: float = 0.95) -> Decomposition:
    """How far the frame rule alone moves mean growth, against how far the claim sits from all units."""
    inside, outside = _split(values, frame_units)
    result = difference_in_means_ci(inside, outside, n_draws, seed, level)
    all_mean = float(values.dropna().mean())
    claim_gap, frame_gap = claimed - all_mean, float(inside.mean()) - all_mean
    return Decomposition(float(inside.mean()), float(outside.mean()), all_mean, result.difference, result.low,
                         result.high, claim_gap, frame_gap, frame_gap / claim_gap if claim_gap else float("nan"),
                         result.low_mc_se, result.high_mc_se, n_draws)


# --- after selection ---------------------------------------------------------------------------------


def later_years(panel: pd.DataFrame, measure: str, basis: str, denominator: str, from_fy: str) -> list[str]:
    """FYs after ``from_fy`` in which some unit's growth from ``from_fy`` is known."""
    fys = sorted(fy for fy in panel["fy"].unique() if fy_start(fy) > fy_start(from_fy))
    return [fy for fy in fys if growth_by_unit(panel, measure, basis, denominator, from_fy, fy).notna().any()]


def follow_up(panel: pd.DataFrame, frame_units: Collection[str], from_fy: str, n_draws: int, seed: int,
              level: float = 0.95) -> pd.DataFrame:
    """Growth from ``from_fy`` to every later FY with data, frame against all other units, for
    every FOLLOW_UP_MEASURES entry: FOLLOW_UP_COLUMNS (growth as fractions; difference = frame -
    others with a bootstrap interval; the k-th row uses seed + k)."""
    rows = []
    for key, (measure, basis, denominator) in FOLLOW_UP_MEASURES.items():
        for to_fy in later_years(panel, measure, basis, denominator, from_fy):
            inside, outside = _split(growth_by_unit(panel, measure, basis, denominator, from_fy, to_fy), frame_units)
            if inside.empty or outside.empty:
                continue
            result = difference_in_means_ci(inside, outside, n_draws, seed + len(rows), level)
            rows.append({"measure": key, "from_fy": from_fy, "to_fy": to_fy, "n_frame": len(inside),
                         "n_others": len(outside), "frame_mean": float(inside.mean()),
                         "others_mean": float(outside.mean()), "difference": result.difference, "low": result.low,
                         "high": result.high, "low_mc_se": result.low_mc_se, "high_mc_se": result.high_mc_se})
    return pd.DataFrame(rows, columns=FOLLOW_UP_COLUMNS)


def verdict(before: Decomposition, after: pd.Series) -> str:
    """"persisted" (frame still slower: interval below 0), "reversed" (frame faster: interval above
    0) or "vanished" (interval includes 0) for a follow_up row, given the frame was slower before;
    "no gap before" when it was not."""
    if before.difference >= 0:
        return "no gap before"
    if after["high"] < 0:
        return "persisted"
    return "reversed" if after["low"] > 0 else "vanished"


def indexed_paths(panel: pd.DataFrame, frame_units: Collection[str], first_fy: str, last_fy: str,
                  column: str = "hn_spend_gbp") -> pd.DataFrame:
    """Total ``column`` of the frame and of the other units, indexed to 100 in ``first_fy``, over
    units with complete spend in every FY from first_fy to last_fy: group, fy, n, total_gbp, index."""
    fys = [fy for fy in sorted(panel["fy"].unique()) if fy_start(first_fy) <= fy_start(fy) <= fy_start(last_fy)]
    rows = panel[panel["fy"].isin(fys)]
    value = rows[column].where(rows["hn_spend_complete"].astype(bool))
    wide = rows.assign(value=value).pivot(index="unit", columns="fy", values="value")[fys].dropna()
    group = np.where(wide.index.isin(list(frame_units)), FRAME, OTHERS)
    totals = wide.groupby(group).sum()
    counts = wide.groupby(group).size()
    long = totals.stack().rename("total_gbp").reset_index().set_axis(["group", "fy", "total_gbp"], axis=1)
    long["n"] = long["group"].map(counts).astype("int64")
    long["index"] = 100 * long["total_gbp"] / long["group"].map(totals[first_fy])
    return long[["group", "fy", "n", "total_gbp", "index"]].astype({"group": "string", "fy": "string"})


def balance_path(panel: pd.DataFrame, frame_units: Collection[str]) -> pd.DataFrame:
    """Mean and median cumulative DSG balance (% of DSG, positive = deficit) of the frame and the
    other units in every FY with balances: group, fy, n, mean, median."""
    rows = panel.dropna(subset=["dsg_balance_pct"])
    group = np.where(rows["unit"].isin(list(frame_units)), FRAME, OTHERS)
    table = rows.assign(group=group).groupby(["group", "fy"])["dsg_balance_pct"].agg(n="count", mean="mean",
                                                                                  median="median")
    return table.reset_index().astype({"group": "string", "fy": "string", "n": "int64"})


# --- parameters -----------------------------------------------------------------------------------


def check_selection_parameters(panel: pd.DataFrame, parameters: Mapping[str, Any]) -> None:
    """A ParameterError naming every problem of notebook 07's ``parameters`` (frame_rule,
    measure, basis, denominator, base_fy, end_fy, follow_up_from_fy, claimed_growth,
    group_size, n_draws, level; others are ignored): an unknown frame_rule, an invalid measure,
    years outside the panel or out of order, no growth data for the measure, a follow-up start
    without later data, group_size/n_draws < 1 or level outside (0, 1)."""
    frame_rule, measure, basis, denominator, base_fy, end_fy, follow_up_from_fy = (parameters[name] for name in (
        "frame_rule", "measure", "basis", "denominator", "base_fy", "end_fy", "follow_up_from_fy"))
    claimed_growth, group_size, n_draws, level = (parameters[name] for name in (
        "claimed_growth", "group_size", "n_draws", "level"))
    fys = sorted(panel["fy"].unique())
    problems = []
    if frame_rule not in FRAME_RULES:
        problems.append(f"frame_rule must be one of {', '.join(FRAME_RULES)}, got {frame_rule!r}")
    if not is_valid_combination(measure, basis, denominator):
        problems.append(f"measure {measure!r} with basis {basis!r} and denominator {denominator!r} is not a valid measure")
    for name, fy in (("base_fy", base_fy), ("end_fy", end_fy), ("follow_up_from_fy", follow_up_from_fy)):
        if fy not in fys:
            problems.append(f"{name} {fy!r} is not a year of the panel ({fys[0]} to {fys[-1]})")
    if not problems and fy_start(end_fy) <= fy_start(base_fy):
        problems.append(f"end_fy {end_fy!r} must come after base_fy {base_fy!r}")
    if not problems and growth_by_unit(panel, measure, basis, denominator, base_fy, end_fy).dropna().size < group_size:
        problems.append(f"fewer than group_size = {group_size} units have {measure} ({basis}, {denominator}) growth "
                        f"from {base_fy} to {end_fy}")
    if not problems and not later_years(panel, "hn_spend", "cash", "total", follow_up_from_fy):
        problems.append(f"no high-needs spend after follow_up_from_fy {follow_up_from_fy!r}")
    if group_size < 1 or n_draws < 1:
        problems.append(f"group_size and n_draws must be at least 1, got {group_size} and {n_draws}")
    if not 0 < level < 1:
        problems.append(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if not -1 < claimed_growth < 10:
        problems.append(f"claimed_growth is a fraction (0.25 = 25%), got {claimed_growth}")
    if problems:
        raise ParameterError("; ".join(problems))


# --- one rule from end to end -------------------------------------------------------------------


@dataclass(frozen=True)
class RuleAnalysis:
    """Everything notebook 07 reports for one frame rule."""

    summary: FrameSummary
    frame: pd.DataFrame
    claim: dict[str, float]
    parts: Decomposition
    follow: pd.DataFrame
    verdict: str


def analyse_rule(panel: pd.DataFrame, frame_rule: str, values: pd.Series, safety_valve_units: Collection[str],
                 place_funding: pd.Series, claimed: float, group_size: int, follow_up_from_fy: str, n_draws: int,
                 seed: int, level: float) -> RuleAnalysis:
    """The frame of ``frame_rule``, the claim inside it (growth ``values`` by unit), the
    decomposition and the follow-up from ``follow_up_from_fy``; the verdict is on spending (cash),
    to the last year with data."""
    frame = sampling_frame(panel, frame_rule, safety_valve_units, place_funding)
    summary = frame_summary(frame, frame_rule)
    claim = claim_in_frame(values, summary.units, claimed, group_size, n_draws, seed)
    parts = decompose(values, summary.units, claimed, n_draws, seed, level)
    follow = follow_up(panel, summary.units, follow_up_from_fy, n_draws, seed, level)
    spend = follow[follow["measure"] == "spend"]
    return RuleAnalysis(summary, frame, claim, parts, follow, verdict(parts, spend.iloc[-1]))


def follow_up_results(follow: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """A follow_up table as {measure: {to_fy: {n_frame, n_others, frame_mean, others_mean,
    difference, low, high}}}."""
    columns = ["n_frame", "n_others", "frame_mean", "others_mean", "difference", "low", "high", "low_mc_se",
               "high_mc_se"]
    return {measure: {row["to_fy"]: {c: row[c] for c in columns} for _, row in rows.iterrows()}
            for measure, rows in follow.groupby("measure", sort=False)}


def rule_results(analysis: RuleAnalysis) -> dict[str, object]:
    """The results.json entry of one rule."""
    summary, claim, parts = analysis.summary, analysis.claim, analysis.parts
    return {
        "size": summary.size, "units": summary.units, "members": summary.members,
        "camden_in_frame": summary.camden_in_frame, "excluded_safety_valve": summary.excluded_safety_valve,
        **{f"claim_percentile_among_{pool}_groups{se}": claim[f"claim_pct_{pool}_groups{se}"]
           for pool in POOLS for se in ("", "_mc_se")},
        "n_draws": claim["n_draws"],
        "frame_mean_growth": parts.frame_mean, "others_mean_growth": parts.others_mean,
        "all_mean_growth": parts.all_mean,
        "decomposition": {"frame_minus_others": parts.difference, "low": parts.low, "high": parts.high,
                          "low_mc_se": parts.low_mc_se, "high_mc_se": parts.high_mc_se,
                          "claim_minus_all": parts.claim_minus_all, "frame_minus_all": parts.frame_minus_all,
                          "share_explained": parts.share_explained},
        "follow_up": follow_up_results(analysis.follow),
        "follow_up_verdict": analysis.verdict,
    }


def programme_overlap(units: Collection[str], unit_membership: pd.DataFrame) -> dict[str, list[str]]:
    """The frame's units (names) in DBV and in the safety valve, from a membership_by_unit table."""
    rows = unit_membership[unit_membership["unit"].isin(list(units))]
    return {column: sorted(rows.loc[rows[column].astype(bool), "unit_name"]) for column in ("dbv", "safety_valve")}
