"""Placement and process of one council against its comparators and England: where its children
with EHC plans are placed, where new plans go, how many new plans and requests it has, how many
requests it refuses, how fast it issues plans, how often its decisions are appealed and the
primary needs of its plans (the council profile's "Placement and process" section; numbers and
frames only, the sentences are in sendlib.findings.council).

Every value is a ratio of counts of one harmonised unit (sendlib.analysis.outcomes: shares are
fractions, rates per 10,000 aged 0-25), in the year it belongs to: plans in force and primary need
in **January** (``period`` "january"), flows (new plans, requests and decisions, plans issued,
tribunal appeals) over a **calendar year** ("calendar"); each FY of the panel carries January
Y+1 and calendar year Y (sendlib.years). Measures:

- ``<setting>_share``: plans in force in a setting group (mainstream including resourced
  provision and SEN units, state special, independent and non-maintained special, AP/PRU,
  further education, elsewhere) / all plans in force, January 2019-2025;
- ``new_plans_<setting>_share``: new plans by the setting named in them / all new plans,
  calendar years 2019-2024 (a unit's count of a group is missing when any of its settings is);
- the outcomes ``new_plans_per_10k``, ``requests_per_10k`` (to 2023: population ends mid-2023),
  ``refusal_share`` (from 2023), ``timely_20wk_ex``, ``timely_20wk`` (2019-2024) and
  ``appeal_rate`` (2014-2024, from the tribunal table: the panel starts in 2017);
- ``need_<code>_share``: plans in force by primary need / all plans, January 2025.

The **comparators' average** is the simple mean over the comparators with a value, with how many
had one; **England** is the files' own England row (a national figure, not an average of
councils); **rank** 1 = the highest of the subject and its comparators with a value (ties share
the better rank); **national quartile** 1 = the highest quarter of the units with a value,
ceil(4 x rank / n). A value is **small** when the count it rests on (its denominator) is under
the threshold of sendlib.analysis.small_numbers, the registry the headline summary flags with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib import geography, years
from sendlib.analysis import outcomes, small_numbers
from sendlib.analysis.outcomes import OUTCOMES, Outcome
from sendlib.memo import memoised
from sendlib.panel import FLOW_COUNTS, PANEL_KEYS, SETTING_COUNTS, flows_on_units, setting_counts
from sendlib.readers.sen2 import SETTING_GROUP_LABELS
from sendlib.readers.tribunal import COUNTS as TRIBUNAL_COUNTS

#: The processed tables the section reads besides the panel and the LA lookup.
TABLES = ("new_plans_by_setting", "new_plans_by_setting_national", "tribunal_appeals", "primary_need",
          "primary_need_national", *outcomes.NATIONAL_TABLES)
#: Setting group -> the short name of its panel count (``ehcp_<short>_count``), in reading order.
SETTINGS = {groups[0]: column.removeprefix("ehcp_").removesuffix("_count")
            for column, groups in SETTING_COUNTS.items() if len(groups) == 1}
TOPICS = ("placement", "new_plan_placement", "process", "need")
NEED_JANUARY = 2025


@dataclass(frozen=True)
class SectionMeasure:
    """A measure of the section: its ratio (an Outcome), its row label (the setting, for the
    shares by setting), its topic, its calendar and its denominator in words."""

    outcome: Outcome
    label: str
    topic: str
    period: str  # "january" or "calendar"
    denominator_label: str

    @property
    def key(self) -> str:
        return self.outcome.name


def _share(name: str, numerator: str, denominator: str, label: str) -> Outcome:
    """An outcome of OUTCOMES when one has ``name``, else the same kind of share defined here."""
    return OUTCOMES.get(name) or Outcome(name, numerator, (denominator,), 1.0, label, "share")


def _setting_measures() -> list[SectionMeasure]:
    """The shares of plans in force, then of new plans, in each setting group."""
    found = []
    for prefix, total, topic, period, words in (("", "ehcp_count", "placement", "january", "EHC plans in force"),
                                                ("new_plans_", "new_plans_count", "new_plan_placement", "calendar",
                                                 "new EHC plans")):
        for group, short in SETTINGS.items():
            count = f"{prefix or 'ehcp_'}{short}_count"
            outcome = _share(f"{prefix}{short}_share", count, total, f"Share of {words} in: {SETTING_GROUP_LABELS[group]}")
            found.append(SectionMeasure(outcome, SETTING_GROUP_LABELS[group], topic, period, words))
    return found


#: Process outcome -> its denominator in words.
PROCESS_OUTCOMES = {"new_plans_per_10k": "people aged 0-25", "requests_per_10k": "people aged 0-25",
                    "refusal_share": "assessment decisions", "timely_20wk_ex": "plans issued (excluding exceptions)",
                    "timely_20wk": "plans issued", "appeal_rate": "appealable decisions"}
MEASURES: dict[str, SectionMeasure] = {measure.key: measure for measure in [
    *_setting_measures(),
    *(SectionMeasure(OUTCOMES[name], OUTCOMES[name].label, "process", "calendar", words)
      for name, words in PROCESS_OUTCOMES.items()),
]}
VALUE_COLUMNS = ["unit", "measure", "year", "value", "numerator", "denominator", "small"]
COMPARISON_COLUMNS = ["measure", "label", "topic", "kind", "period", "year", "value", "numerator", "denominator",
                      "small", "comparators_mean", "n_comparators_with_value", "n_comparators", "england", "rank",
                      "n_ranked", "quartile", "n_national"]


# --- counts per unit and for England --------------------------------------------------------------


def _new_plan_setting_counts(by_setting: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``new_plans_<short>_count`` per ``keys`` from a new_plans_by_setting table (a group's count
    missing when any of its settings is: panel.setting_counts, which counts ``ehcp_count``)."""
    counts = setting_counts(by_setting.rename(columns={"new_plans_count": "ehcp_count"}), keys)
    return counts.rename(columns={f"ehcp_{short}_count": f"new_plans_{short}_count" for short in SETTINGS.values()})[
        [*keys, *(f"new_plans_{short}_count" for short in SETTINGS.values())]]


def _whole_unit_sums(frame: pd.DataFrame, columns: list[str], by: list[str], lookup: pd.DataFrame) -> pd.DataFrame:
    """``columns`` summed from councils onto units per ``by``, missing unless the councils with a
    value form a whole member set (sendlib.geography.sum_to_units)."""
    sums = geography.sum_to_units(frame[["la_code", *by, *columns]], columns, by, lookup)
    for column in columns:
        sums[column] = sums[column].where(sums.pop(f"{column}_complete"))
    return sums.drop(columns="unit_name")


def unit_counts(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame], lookup: pd.DataFrame) -> pd.DataFrame:
    """unit, fy and every count the section reads: the panel's, new plans by setting group and
    tribunal appeals and decisions of every year in the tribunal table (FY2014-15 on)."""
    columns = ["ehcp_count", *(f"ehcp_{short}_count" for short in SETTINGS.values()), "pop_0_25_count",
               *(column for name in ("new_plans", "requests", "timeliness") for column in FLOW_COUNTS[name])]
    by_setting = _new_plan_setting_counts(tables["new_plans_by_setting"], ["la_code", "calendar_year"])
    new_plans = _whole_unit_sums(by_setting, list(by_setting.columns[2:]), ["calendar_year"], lookup)
    new_plans["fy"] = new_plans.pop("calendar_year").map(years.fy_for_calendar_year)
    appeals = flows_on_units(tables["tribunal_appeals"], TRIBUNAL_COUNTS, lookup)
    counts = panel[[*PANEL_KEYS, *columns]].astype({"unit": str, "fy": str})
    for part in (new_plans, appeals):
        counts = counts.merge(part.astype({"unit": str, "fy": str}), on=PANEL_KEYS, how="outer")
    return counts.sort_values(PANEL_KEYS).reset_index(drop=True)


def england_counts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """England's counts under the names of :func:`unit_counts` (unit "england"), from the files'
    England rows (sendlib.analysis.outcomes.national_counts) and England's new plans by setting."""
    by_setting = _new_plan_setting_counts(tables["new_plans_by_setting_national"], ["calendar_year"])
    by_setting["fy"] = by_setting.pop("calendar_year").map(years.fy_for_calendar_year)
    return outcomes.national_counts(tables).merge(by_setting, on="fy", how="outer").assign(unit="england")


# --- values and the comparison --------------------------------------------------------------------


def year_of(fy: str, period: str) -> int:
    """The January ("january") or calendar year ("calendar") a panel FY carries."""
    return years.january_for_fy(fy) if period == "january" else years.calendar_year_for_fy(fy)


def measure_values(counts: pd.DataFrame, last_fy: str | None = None) -> pd.DataFrame:
    """VALUE_COLUMNS for every unit, measure and year of ``counts`` (FYs up to ``last_fy``) in which
    some unit has the measure: value, numerator, denominator and whether the denominator is small
    (sendlib.analysis.small_numbers)."""
    if last_fy is not None:
        counts = counts[counts["fy"].map(years.fy_start) <= years.fy_start(last_fy)]
    parts, fys = [], counts["fy"].unique()
    for measure in MEASURES.values():
        outcome = measure.outcome
        frame = pd.DataFrame({
            "unit": counts["unit"].to_numpy(), "measure": measure.key,
            "year": counts["fy"].map({fy: year_of(fy, measure.period) for fy in fys}).to_numpy(),
            "value": outcomes.outcome_values(counts, outcome).to_numpy(),
            "numerator": counts[outcome.numerator].astype("float64").to_numpy(),
            "denominator": outcomes.denominator_values(counts, outcome).to_numpy(),
            "small": small_numbers.small_rows(counts, measure.key).to_numpy(),
        })
        collected = frame.loc[frame["value"].notna(), "year"].unique()  # years the measure exists for some unit
        parts.append(frame[frame["year"].isin(collected)])
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def unit_needs(primary_need: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """unit, need, need_label, ehcp_count: plans in force by primary need in January 2025 on units
    (whole member sets only)."""
    rows = primary_need[primary_need["january"] == NEED_JANUARY]
    sums = _whole_unit_sums(rows, ["ehcp_count"], ["need"], lookup)
    labels = rows.drop_duplicates("need").set_index("need")["need_label"]
    return sums.assign(need_label=sums["need"].map(labels))[["unit", "need", "need_label", "ehcp_count"]]


def need_values(needs: pd.DataFrame) -> pd.DataFrame:
    """VALUE_COLUMNS of the primary-need shares (measure ``need_<code>_share``, year 2025) from
    :func:`unit_needs` rows (or England's, with a ``unit`` column): each need's plans / the
    unit's plans of every need (missing if any need is)."""
    total = needs.groupby("unit")["ehcp_count"].agg(lambda c: c.sum() if c.notna().all() else np.nan)
    denominator = needs["unit"].map(total).astype("float64")
    return pd.DataFrame({
        "unit": needs["unit"].to_numpy(), "measure": "need_" + needs["need"].astype(str) + "_share",
        "year": NEED_JANUARY, "value": (needs["ehcp_count"] / denominator.where(denominator > 0)).to_numpy(),
        "numerator": needs["ehcp_count"].astype("float64").to_numpy(), "denominator": denominator.to_numpy(),
        "small": small_numbers.is_small(denominator, "plans").to_numpy(),
    })[VALUE_COLUMNS]


def need_labels(needs: pd.DataFrame) -> dict[str, str]:
    """``need_<code>_share`` -> the need in words, from primary-need rows."""
    return {f"need_{need}_share": label for need, label in zip(needs["need"], needs["need_label"])}


def comparison(values: pd.DataFrame, england: pd.DataFrame, subject: str, comparators: Collection[str],
               labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """COMPARISON_COLUMNS, one row per measure and year of ``values`` (VALUE_COLUMNS of every
    unit): the subject's value (missing when it has none), numerator, denominator and small flag;
    the comparators' mean over those with a value and their count; England's value (``england``:
    VALUE_COLUMNS of unit "england"); rank among the subject and comparators; national quartile.
    ``labels`` names measures that are not in MEASURES (the needs)."""
    group = [subject, *[unit for unit in dict.fromkeys(comparators) if unit != subject]]
    wide = values.pivot(index=["measure", "year"], columns="unit", values="value")
    own = wide.reindex(columns=[subject])[subject]
    peers = wide.reindex(columns=group[1:])
    ranked = wide.reindex(columns=group)
    above_peers = ranked.gt(own, axis=0).sum(axis=1)
    above_all = wide.gt(own, axis=0).sum(axis=1)
    n_national = wide.notna().sum(axis=1)
    table = pd.DataFrame({
        "comparators_mean": peers.mean(axis=1), "n_comparators_with_value": peers.notna().sum(axis=1),
        "n_comparators": len(group) - 1, "n_ranked": ranked.notna().sum(axis=1), "n_national": n_national,
        "value": own, "rank": (above_peers + 1).where(own.notna()),
        "quartile": np.ceil(4 * (above_all + 1) / n_national).where(own.notna()),
    })
    subject_rows = values[values["unit"] == subject].set_index(["measure", "year"])
    table = table.join(subject_rows[["numerator", "denominator", "small"]])
    table = table.join(england.set_index(["measure", "year"])["value"].rename("england")).reset_index()
    names = {key: (measure.label, measure.topic, measure.outcome.kind, measure.period)
             for key, measure in MEASURES.items()}
    names.update({key: (label, "need", "share", "january") for key, label in (labels or {}).items()})
    info = pd.DataFrame(table["measure"].map(names).tolist(), columns=["label", "topic", "kind", "period"])
    table = pd.concat([table, info], axis=1)
    table["small"] = table["small"].fillna(False).astype(bool)
    return _in_reading_order(table).astype({"rank": "Int64", "quartile": "Int64", "year": "int64"})[COMPARISON_COLUMNS]


def _in_reading_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of MEASURES, then the needs by England's share (largest first), each by year."""
    order = {key: position for position, key in enumerate(MEASURES)}
    known = table["measure"].isin(list(order))
    keys = pd.DataFrame({"order": table["measure"].map(order).fillna(len(order)),
                         "england": np.where(known, 0.0, -table["england"].fillna(0.0)),
                         "measure": table["measure"], "year": table["year"]})
    return table.loc[keys.sort_values(["order", "england", "measure", "year"]).index].reset_index(drop=True)


def latest(table: pd.DataFrame) -> pd.DataFrame:
    """Each measure of a :func:`comparison` in its latest year in which some unit has a value (in
    the order of MEASURES, then the needs by England's share)."""
    known = table[table["n_national"] > 0]
    return _in_reading_order(known.sort_values("year").groupby("measure").tail(1))


@dataclass(frozen=True)
class Section:
    """The section's numbers for one unit: ``series`` (every year of every measure), ``needs``
    (January 2025's primary needs) and ``shown`` (each measure in its latest year, needs last)."""

    series: pd.DataFrame
    needs: pd.DataFrame
    shown: pd.DataFrame


@memoised
def every_unit_values(panel: pd.DataFrame, tables: tuple[tuple[str, pd.DataFrame], ...], lookup: pd.DataFrame,
                      last_fy: str) -> dict[str, object]:
    """What is the same for every council (computed once per process for the tables' content,
    sendlib.memo): VALUE_COLUMNS of every unit (``units``) and of England (``england``) for the
    measures, the same for the primary needs (``unit_needs``, ``england_needs``) and the needs'
    labels (``need_labels``). ``tables``: (name, table) pairs of TABLES."""
    named = dict(tables)
    national_needs = named["primary_need_national"].assign(unit="england")
    return {"units": measure_values(unit_counts(panel, named, lookup), last_fy),
            "england": measure_values(england_counts(named), last_fy),
            "unit_needs": need_values(unit_needs(named["primary_need"], lookup)),
            "england_needs": need_values(national_needs), "need_labels": need_labels(national_needs)}


def section(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame], lookup: pd.DataFrame, subject: str,
            comparators: Collection[str], last_fy: str) -> Section:
    """Every measure of the section for ``subject`` against ``comparators`` and England, years up
    to ``last_fy`` (primary need: January 2025 whatever ``last_fy``)."""
    values = every_unit_values(panel, tuple((name, tables[name]) for name in TABLES), lookup, last_fy)
    series = comparison(values["units"], values["england"], subject, comparators)
    needs = comparison(values["unit_needs"], values["england_needs"], subject, comparators, values["need_labels"])
    return Section(series, needs, pd.concat([latest(series), latest(needs)], ignore_index=True))


RESULT_FIELDS = {"year": "year", "value": "value", "numerator": "numerator", "denominator": "denominator",
                 "small": "small", "comparators_mean": "neighbours",
                 "n_comparators_with_value": "n_neighbours_with_value", "n_comparators": "n_neighbours",
                 "england": "england", "rank": "rank", "n_ranked": "n_ranked", "quartile": "quartile"}


def result_entries(shown: pd.DataFrame) -> dict[str, dict[str, object]]:
    """results.json's entries for the measures shown (:attr:`Section.shown`): per measure key its
    year, value (shares as fractions, rates per 10,000), numerator, denominator, small flag, the
    comparators' average (``neighbours``) and counts, England, rank, n_ranked and quartile."""
    return {row["measure"]: {name: row[column] for column, name in RESULT_FIELDS.items()}
            for _, row in shown.iterrows()}


def figure_frame(table: pd.DataFrame, topic: str, council_label: str, comparators_label: str) -> pd.DataFrame:
    """measure (the row label; "(%)" added to shares, but for the needs, drawn as bars on one
    axis in %), year, series (the council, the comparators' average, England) and value (shares
    in %, rates per 10,000) of one topic of a :func:`comparison`, for a figure and its CSV."""
    rows = table[table["topic"] == topic]
    scale = np.where(rows["kind"] == "share", 100.0, 1.0)
    measure = rows["label"] + np.where((rows["kind"] == "share") & (topic != "need"), " (%)", "")
    parts = [pd.DataFrame({"measure": measure, "year": rows["year"], "series": name, "value": rows[column] * scale})
             for column, name in (("value", council_label), ("comparators_mean", comparators_label),
                                  ("england", "England"))]
    return pd.concat(parts, ignore_index=True)
