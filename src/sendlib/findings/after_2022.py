"""The sentences and verdicts of notebook 08 ("Four years on"), built from its numbers.

Verdicts on a post-entry estimate (an interval at the notebook's ``level``):

- "slower after entry": the whole interval is below zero;
- "faster after entry": the whole interval is above zero;
- "no detectable difference": the interval contains zero;
- NOT_CREDIBLE replaces any of them when the joint test of the pre-entry leads rejects at
  1 - ``level`` (the groups' paths already differed before entry, so the difference after
  entry cannot be read as a change at entry).

Every sentence says "associated with" or "after entry", never that a programme caused anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sendlib.present.readable import NO_DATA

SLOWER, NO_DIFFERENCE, FASTER = "slower after entry", "no detectable difference", "faster after entry"
NOT_CREDIBLE = "not credible (paths differed before entry)"
NOT_ESTIMATED = "not estimated"
AGREEMENT_METHODS = ("event_study", "neighbours", "matched")
SHORT_METHODS = {"event_study": "event study", "neighbours": "neighbours", "matched": "matched"}
VERDICTS = (SLOWER, NO_DIFFERENCE, FASTER, NOT_CREDIBLE, NOT_ESTIMATED)
PROGRAMME_WORDS = {"dbv": "Delivering Better Value councils", "safety_valve": "safety-valve councils",
                   "frame": "councils in the research's frame"}
SHORT_NAMES = {"dbv": "DBV", "safety_valve": "safety valve", "frame": "the research's frame"}
METHOD_WORDS = {"event_study": "the event study", "neighbours": "statistical neighbours in no programme",
                "matched": "councils matched on their pre-entry path and DSG balance",
                "unmatched": "all comparison councils"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def direction(ci_low: float, ci_high: float) -> str:
    """SLOWER, FASTER or NO_DIFFERENCE from an interval's position against zero (NOT_ESTIMATED
    without one)."""
    if _missing(ci_low) or _missing(ci_high):
        return NOT_ESTIMATED
    if ci_high < 0:
        return SLOWER
    if ci_low > 0:
        return FASTER
    return NO_DIFFERENCE


def pre_trend_fails(pre_trend_p: float, level: float) -> bool:
    """True when the joint test of the leads rejects at 1 - level (False when it was not run)."""
    return not _missing(pre_trend_p) and pre_trend_p < 1 - level


def verdict(ci_low: float, ci_high: float, pre_trend_p: float, level: float) -> str:
    """One of VERDICTS for an event-study estimate (see the module docstring)."""
    found = direction(ci_low, ci_high)
    return NOT_CREDIBLE if found != NOT_ESTIMATED and pre_trend_fails(pre_trend_p, level) else found


def signed_points(value: float, digits: int = 1) -> str:
    """A fraction as signed percentage points or percent digits: 0.0123 -> "+1.2"; a value that
    rounds to zero reads "+0.0", never "-0.0"."""
    return f"{round(100 * value, digits) + 0.0:+.{digits}f}"


def format_effect(value: float, proportional: bool) -> str:
    """-0.049 -> "-4.9%" (proportional) or "-4.9 points" (a share); "no data" when missing."""
    if _missing(value):
        return NO_DATA
    return f"{signed_points(value)}{'%' if proportional else ' points'}"


def format_p(p_value: float) -> str:
    """"p = 0.041", "p < 0.001", or "not tested"."""
    if _missing(p_value):
        return "not tested"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def pre_trend_sentence(pre_trend_p: float, pre_trend_df: int, level: float) -> str:
    """What the joint test of the pre-entry leads says."""
    if _missing(pre_trend_p) or not pre_trend_df:
        return ("No pre-entry years could be tested (too few years before entry), so parallel paths before entry "
                "are assumed, not checked.")
    test = f"joint test of the {pre_trend_df} pre-entry lead{'s' if pre_trend_df > 1 else ''}, {format_p(pre_trend_p)}"
    if pre_trend_fails(pre_trend_p, level):
        return (f"The estimate is not credible: before entry their path already differed from the comparison "
                f"councils' ({test}), so the difference after entry cannot be read as a change at entry.")
    return f"Before entry their path did not differ detectably from the comparison councils' ({test})."


def effect_sentence(effect: Mapping[str, Any], outcome_label: str, level: float) -> str:
    """One programme and outcome in words: estimate, interval, sample, pre-trend test and verdict."""
    who = PROGRAMME_WORDS.get(str(effect["programme"]), str(effect["programme"]))
    if _missing(effect.get("estimate")):
        return f"{who[0].upper()}{who[1:]}, {outcome_label}: {NOT_ESTIMATED} ({effect.get('note') or 'no data'})."
    proportional = effect.get("scale") == "proportional difference"
    size = format_effect(effect["estimate"], proportional)
    found = verdict(effect["ci_low"], effect["ci_high"], effect["pre_trend_p"], level)
    relation = "higher" if effect["estimate"] > 0 else "lower"
    return (f"{who[0].upper()}{who[1:]}, {outcome_label}: after entry, on average {size.lstrip('+-')} {relation} "
            f"than the comparison councils' path predicts ({level:.0%} CI "
            f"{format_effect(effect['ci_low'], proportional)} to {format_effect(effect['ci_high'], proportional)}; "
            f"{effect['n_treated']:.0f} councils against {effect['n_control']:.0f}, {effect['first_fy']} to "
            f"{effect['last_fy']}). {pre_trend_sentence(effect['pre_trend_p'], effect['pre_trend_df'], level)} "
            f"Verdict: {found}.")


def agreement_sentence(programme: str, outcome_label: str, rows: pd.DataFrame, level: float) -> str:
    """Whether the event study, the neighbours' and the matched comparison point the same way
    (``rows``: one programme and outcome of a comparison table, with ``method``, ``ci_low``, ``ci_high``;
    the unmatched comparison is left out: it is what matching corrects)."""
    directions = {row.method: direction(row.ci_low, row.ci_high) for row in rows.itertuples(index=False)
                  if row.method in AGREEMENT_METHODS}
    known = {method: found for method, found in directions.items() if found != NOT_ESTIMATED}
    who = PROGRAMME_WORDS.get(programme, programme)
    listing = "; ".join(f"{METHOD_WORDS.get(method, method)}: {found}" for method, found in known.items())
    if not known:
        return f"{who[0].upper()}{who[1:]}, {outcome_label}: no comparison could be made."
    if len(set(known.values())) == 1:
        return (f"{who[0].upper()}{who[1:]}, {outcome_label}: the {len(known)} comparisons agree "
                f"({next(iter(known.values()))} at {level:.0%}).")
    return f"{who[0].upper()}{who[1:]}, {outcome_label}: the comparisons disagree ({listing})."


def agreement_summary(programme: str, comparisons: pd.DataFrame, labels: Mapping[str, str], level: float) -> str:
    """For one programme, on which outcomes the event study, the neighbours' and the matched
    comparison agree, and what each says where they disagree."""
    rows = comparisons[comparisons["programme"] == programme]
    agree, disagree = [], []
    for outcome, part in rows.groupby("outcome", sort=False):
        directions = {row.method: direction(row.ci_low, row.ci_high) for row in part.itertuples(index=False)
                      if row.method in AGREEMENT_METHODS}
        known = {m: d for m, d in directions.items() if d != NOT_ESTIMATED}
        label = labels.get(outcome, outcome)
        if len(set(known.values())) == 1 and len(known) == len(AGREEMENT_METHODS):
            agree.append(f"{label} ({next(iter(known.values()))})")
        else:
            disagree.append(f"{label} (" + "; ".join(f"{SHORT_METHODS[m]}: {d}" for m, d in known.items()) + ")")
    who = PROGRAMME_WORDS.get(programme, programme)
    total = len(agree) + len(disagree)
    text = f"{who[0].upper()}{who[1:]}: the three comparisons agree at {level:.0%} on {len(agree)} of {total} outcomes"
    text += f": {', '.join(agree)}" if agree else ""
    text += f". They disagree on {', '.join(disagree)}." if disagree else "."
    failed = sum(pre_trend_fails(p, level) for p in rows.loc[rows["method"] == "event_study", "pre_trend_p"])
    if failed:
        text += (f" The event study's direction is read from its interval, although its pre-entry test failed for "
                 f"{failed} of these outcomes.")
    return text


def selection_sentence(programme: str, outcome_label: str, rows: pd.DataFrame, level: float) -> str:
    """Regression to the mean: growth after entry against all comparison councils and against
    councils matched on the pre-entry path (``rows``: one programme and outcome of a comparison
    table, methods "unmatched" and "matched", annual log points or share fractions)."""
    who = PROGRAMME_WORDS.get(programme, programme)
    found = {row.method: row for row in rows.itertuples(index=False)}
    unmatched, matched = found.get("unmatched"), found.get("matched")
    if unmatched is None or matched is None or _missing(matched.estimate) or _missing(unmatched.estimate):
        return f"{who[0].upper()}{who[1:]}, {outcome_label}: no matched comparison could be made."
    before, after = direction(unmatched.ci_low, unmatched.ci_high), direction(matched.ci_low, matched.ci_high)
    reading = ("the two agree" if before == after else
               "matching changes the reading, as regression to the mean would" if after == NO_DIFFERENCE
               else "matching changes the reading")
    return (f"{who[0].upper()}{who[1:]}, {outcome_label}: annual growth after entry differed by "
            f"{signed_points(unmatched.estimate)} points from all comparison councils ({before}), and by "
            f"{signed_points(matched.estimate)} points ({level:.0%} CI {signed_points(matched.ci_low)} to "
            f"{signed_points(matched.ci_high)}) from councils with a similar path and DSG balance before entry "
            f"({after}): {reading}.")


def lever_sentence(levers: pd.DataFrame, level: float) -> str:
    """The mainstream-share associations in words (``levers``: analysis.evaluation.levers)."""
    parts, first_fy, last_fy = [], levers["first_fy"].iloc[0], levers["last_fy"].iloc[0]
    words = {("across units", "share_start"): f"a mainstream share 1 point higher in {first_fy}",
             ("across units", "share_change"): "a mainstream share rising 1 point a year faster",
             ("within units", "share_change"): "within the same council, a year in which its mainstream share rose "
                                               "1 point more"}
    for row in levers.itertuples(index=False):
        found = direction(row.ci_low, row.ci_high)
        tendency = {SLOWER: "slower", FASTER: "faster"}.get(found, "no detectably different")
        parts.append(f"{words[(row.analysis, row.term)]} was associated with {tendency} high-needs spending growth "
                     f"({signed_points(row.estimate, 2)} points a year, {level:.0%} CI {signed_points(row.ci_low, 2)} "
                     f"to {signed_points(row.ci_high, 2)}; {row.n} observations)")
    return (f"From {first_fy} to {last_fy}, with EHC plan growth, deprivation and LA type held constant: "
            + "; ".join(parts) + ". These are associations, not effects of the share.")


def placement_sentence(row: Mapping[str, Any], level: float) -> str:
    """Whether the frame's councils differed in one setting share before they were chosen (a
    row of analysis.evaluation.frame_placement)."""
    found, setting_label = direction(row["ci_low"], row["ci_high"]), str(row["label"])
    differ = "did not differ detectably" if found == NO_DIFFERENCE else (
        "placed a larger share" if found == FASTER else "placed a smaller share")
    return (f"{setting_label[:1].upper()}{setting_label[1:]}, {row['fy']}: the frame's {row['n_frame']:.0f} councils "
            f"averaged {100 * row['frame_mean']:.1f}% against {100 * row['others_mean']:.1f}% for the other "
            f"{row['n_others']:.0f}, so they {differ} before they were chosen (difference "
            f"{signed_points(row['difference'])} points, {level:.0%} CI {signed_points(row['ci_low'])} to "
            f"{signed_points(row['ci_high'])}).")


def group_display(summary: pd.DataFrame) -> pd.DataFrame:
    """analysis.evaluation.group_summary for people: programme, councils' role and entry, units."""
    return pd.DataFrame({"programme": summary["programme"].map(lambda p: PROGRAMME_WORDS.get(p, p)),
                         "councils": summary["entry"], "units": summary["units"].map("{:,}".format)})


def effects_display(effects: pd.DataFrame, labels: Mapping[str, str], level: float) -> pd.DataFrame:
    """The effect table for people: programme, outcome, estimate and interval, pre-trend test,
    councils, verdict."""
    rows = []
    for effect in effects.to_dict("records"):
        proportional = effect.get("scale") == "proportional difference"
        rows.append({
            "programme": PROGRAMME_WORDS.get(effect["programme"], effect["programme"]),
            "outcome": labels.get(effect["outcome"], effect["outcome"]),
            "after entry": format_effect(effect["estimate"], proportional),
            f"{level:.0%} CI": (f"{format_effect(effect['ci_low'], proportional)} to "
                                f"{format_effect(effect['ci_high'], proportional)}"
                                if not _missing(effect["ci_low"]) else NO_DATA),
            "pre-entry test": format_p(effect["pre_trend_p"]),
            "councils (programme / comparison)": (f"{effect['n_treated']:.0f} / {effect['n_control']:.0f}"
                                                  if not _missing(effect["n_treated"]) else NO_DATA),
            "verdict": verdict(effect["ci_low"], effect["ci_high"], effect["pre_trend_p"], level),
        })
    return pd.DataFrame(rows)


def comparisons_display(comparisons: pd.DataFrame, labels: Mapping[str, str], level: float) -> pd.DataFrame:
    """The comparison table for people: programme, outcome, method, what is measured, estimate,
    interval, councils, direction."""
    rows = []
    for row in comparisons.to_dict("records"):
        event = row["method"] == "event_study"
        proportional = row["scale"] == "proportional difference"
        shown = (lambda v: format_effect(v, proportional)) if event else (lambda v: format_effect(v, False))
        rows.append({
            "programme": PROGRAMME_WORDS.get(row["programme"], row["programme"]),
            "outcome": labels.get(row["outcome"], row["outcome"]),
            "compared with": METHOD_WORDS.get(row["method"], row["method"]),
            "measure": "level after entry" if event else "annual growth after entry (points a year)",
            "estimate": shown(row["estimate"]),
            f"{level:.0%} CI": (f"{shown(row['ci_low'])} to {shown(row['ci_high'])}" if not _missing(row["ci_low"])
                                else NO_DATA),
            "councils": f"{row['n_units']:.0f}",
            "direction": direction(row["ci_low"], row["ci_high"]),
        })
    return pd.DataFrame(rows)


def limits_sentence(unknown: Mapping[str, int]) -> str:
    """The limits every reading of notebook 08 carries, with the count of unnamed members."""
    return (f"Limits. The SEN2 series by setting start in January 2019 and the flows (new plans, 20-week "
            f"timeliness) in calendar year 2019, so their pre-entry period is at most 2019-2021: one to three "
            f"years, too few to test parallel paths for the earliest safety-valve agreements. Cumulative DSG "
            f"balances stop in 2021-22, so deficits cannot be an outcome. The programme lists are incomplete: "
            f"{unknown['dbv']} of DBV's {unknown['dbv_published']} invited councils and {unknown['safety_valve']} of "
            f"the {unknown['safety_valve_published']} safety-valve agreements are not named in any stored source, "
            f"so those councils sit among the comparison councils and pull the estimates towards no difference.")


def with_verdicts(effects: pd.DataFrame, level: float) -> pd.DataFrame:
    """``effects`` with a ``verdict`` column (VERDICTS)."""
    found = [verdict(row.ci_low, row.ci_high, row.pre_trend_p, level) for row in effects.itertuples(index=False)]
    return effects.assign(verdict=found)


def headline(results: Mapping[str, Any]) -> str | None:
    """The front page's one-sentence finding from 08's results.json: the headline outcome's
    estimate per programme with its interval, and what the pre-entry test says; None without it."""
    effects, outcome = results.get("effects"), results.get("headline_outcome")
    if not isinstance(effects, list) or not outcome:
        return None
    chosen = [e for e in effects if isinstance(e, dict) and e.get("outcome") == outcome
              and not _missing(e.get("estimate"))]
    if not chosen:
        return None
    level = float(results.get("level", 0.95))
    label = str((results.get("outcome_labels") or {}).get(outcome, outcome))
    proportional = chosen[0].get("scale") == "proportional difference"
    parts = [f"{SHORT_NAMES.get(e['programme'], e['programme'])} {format_effect(e['estimate'], proportional)} "
             f"({format_effect(e['ci_low'], proportional)} to {format_effect(e['ci_high'], proportional)})"
             for e in chosen]
    failed = [SHORT_NAMES.get(e["programme"], e["programme"]) for e in chosen
              if pre_trend_fails(e.get("pre_trend_p"), level)]
    if not failed:
        credibility = "before entry their paths did not differ detectably from the comparison councils'"
    elif len(failed) == len(chosen):
        credibility = ("but its path already differed before entry, so it is not credible as a change at entry"
                       if len(chosen) == 1 else "but every group's path already differed before entry, so none of "
                       "these is credible as a change at entry")
    else:
        which = "that estimate is" if len(failed) == 1 else "those estimates are"
        credibility = (f"but the paths of {' and '.join(failed)} already differed before entry, so {which} not "
                       f"credible as a change at entry")
    return (f"Four years on ({label}, after entry against comparison councils, {level:.0%} CI): {'; '.join(parts)}; "
            f"{credibility} (associations, not effects).")
