"""Sentences, marks and readable tables of the council profile (05_council_profile), built from
the numbers of sendlib.analysis (profile, standard_measures, small_numbers, placement,
programme_paths): how the report names the council and its comparators, the council heading,
the headline summary with its small-number marks and notes, the "Placement and process" section,
a programme council's paths before and after entry, spending, EHC plans, ranks, the allocation,
the DSG balance, the programmes and the projection under the June 2022 guidance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from sendlib.analysis import small_numbers
from sendlib.analysis.placement import MEASURES, SETTINGS, Section
from sendlib.analysis.profile import (GUIDANCE_FIRST_FY, SN_NEIGHBOURS, CouncilProgrammes, CouncilUnit, DsgBalance,
                                      LatestAllocation)
from sendlib.analysis.standard_measures import Headline
from sendlib.analysis.programme_paths import ProgrammeEntry
from sendlib.findings.after_2022 import signed_points
from sendlib.geography import search_words
from sendlib.present.markup import code, escape
from sendlib.present.readable import (LA_TYPE_NAMES, NO_DATA, format_gbp, format_outcome, format_pct, format_value,
                                      markdown_table, readable_frame)
from sendlib.present.reportpage import plain_council_name
from sendlib.years import january_for_fy

SMALL_MARK = " (small numbers)"
#: Comparator method -> how its group is named in running text ("Statistical neighbours' average").
COMPARATOR_NAMES = {"stat_neighbours": "statistical neighbours", "region": "councils in the region",
                    "la_type": "councils of the same type", "nearest": "nearest councils"}
QUARTILE_WORDS = {1: "top quarter (highest)", 2: "second quarter", 3: "third quarter", 4: "bottom quarter (lowest)"}


# --- names and the council heading ---------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """How the report names the council (its unit's name), the heading of its comparators'
    average (with their count) and its comparators in running text."""

    council: str
    average: str
    comparators: str


def comparators_heading(method: str, n_comparators: int) -> str:
    """"Statistical neighbours' average (10)": the column heading of the comparators' average."""
    return f"{COMPARATOR_NAMES[method][0].upper()}{COMPARATOR_NAMES[method][1:]}' average ({n_comparators})"


def names(council_label: str, method: str, n_comparators: int) -> Names:
    """The report's :class:`Names` for a council compared with ``n_comparators`` units by ``method``."""
    return Names(council_label, comparators_heading(method, n_comparators), COMPARATOR_NAMES[method])


def describe_unit(council: CouncilUnit) -> str:
    """One sentence (Markdown, names escaped) saying which unit the council is profiled through
    (and who is in it)."""
    who = f"{escape(council.la_name)} ({escape(council.la_code)})"
    if not council.merged:
        return f"{who} is its own harmonised unit ({code(council.unit)}): every figure is for the council alone."
    members = ", ".join(f"{escape(name)} ({escape(la)})"
                        for la, name in zip(council.member_la_codes, council.member_la_names))
    return (
        f"{who} is shown as its harmonised unit {code(council.unit)}, {escape(council.unit_name)}, which joins "
        f"{members} so that years before and after the reorganisation compare like with like: every figure is "
        "for the whole unit, not the council alone."
    )


def council_heading(council: CouncilUnit, region: str, la_type: str) -> str:
    """The report's council heading and its first paragraph, as Markdown."""
    type_name = LA_TYPE_NAMES.get(la_type, la_type)
    return (f"## {escape(council.la_name)} ({escape(council.la_code)})\n\n{describe_unit(council)} "
            f"Region: {escape(region)}; type: {escape(type_name)}.")


def data_zip_name(la_name: str, la_code: str) -> str:
    """The stem of the zip of a council's CSVs: "stockport_356_high_needs_data"."""
    return "_".join([*search_words(plain_council_name(la_name)), la_code, "high_needs_data"])


def data_sentence(zip_stem: str) -> str:
    """The Markdown line that says where the report's data is: a CSV under each figure, and all
    of them in one zip (linked relative to the report folder)."""
    return (f"The data behind each figure is in a CSV linked under it; all of this report's CSVs are in one file: "
            f"[{escape(zip_stem)}.zip]({zip_stem}.zip).")


def council_intro(council: CouncilUnit, results: Mapping[str, Any]) -> str:
    """The report's opening: the council heading (with its region and type from ``results``,
    sendlib.analysis.profile.council_results) and the line that links its data."""
    return (council_heading(council, results["region"], results["la_type"]) + "\n\n"
            + data_sentence(data_zip_name(council.la_name, council.la_code)))


# --- comparators -----------------------------------------------------------------------------------------


def comparators_frame(chosen: pd.DataFrame, method: str) -> pd.DataFrame:
    """The sendlib.analysis.profile.select_comparators table as text for reading: Rank, Statistical neighbour,
    Closeness, Compared as, Note (stat_neighbours); else Council (and Distance for nearest)."""
    if method == "stat_neighbours":
        return readable_frame(chosen, {"rank": ("Rank", "count"), "neighbour_name": ("Statistical neighbour", "text"),
                                       "closeness": ("Closeness", "text"), "unit_name": ("Compared as", "text"),
                                       "note": ("Note", "text")})
    columns = {"unit_name": ("Council", "text")}
    if method == "nearest":
        columns["distance"] = ("Distance (standardised)", "rate")
    return readable_frame(chosen, columns)


def comparators_table(chosen: pd.DataFrame, method: str) -> str:
    """The comparators (:func:`comparators_frame`) as a Markdown table."""
    return markdown_table(comparators_frame(chosen, method))


def comparators_sentence(method: str, chosen: pd.DataFrame, sn_model: str, baseline_fy: str,
                         results: Mapping[str, Any]) -> str:
    """Which comparators the report uses, and why, as Markdown (data-derived text escaped); the
    council's region and type from ``results`` (sendlib.analysis.profile.council_results)."""
    listed = ", ".join(escape(plain_council_name(name)) for name in chosen["unit_name"])  # no ", County of" in a list
    la_type = LA_TYPE_NAMES.get(results["la_type"], results["la_type"])
    basis = {
        "stat_neighbours": f"DfE's statistical neighbours ({escape(sn_model)} model, as in LAIT and the High Needs "
                           "Benchmarking Tool)",
        "nearest": f"the {len(chosen)} units nearest in {escape(baseline_fy)} spending per head and EHC plan rate",
        "region": f"every other unit in {escape(results['region'])}",
        "la_type": f"every other {escape(la_type)}",
    }[method]
    if not len(chosen):
        return f"No comparators: {basis} is empty."
    fewer = ""
    if method == "stat_neighbours" and len(chosen) < SN_NEIGHBOURS:
        fewer = (f" That is {len(chosen)} units for the model's {SN_NEIGHBOURS} neighbours: a neighbour inside the "
                 "council's own harmonised unit is left out, and neighbours sharing a unit count once.")
    return f"Compared with {basis}: {listed}.{fewer}"


# --- the headline summary and small numbers ------------------------------------------------------------


def _with_count(text: str, row: Mapping[str, Any]) -> str:
    """``text`` (the comparators' average) with how many comparators had a value when not all did."""
    if text != NO_DATA and row["n_comparators_with_value"] < row["n_comparators"]:
        text += f" ({row['n_comparators_with_value']} of {row['n_comparators']} with data)"
    return text


def comparator_average_text(row: Mapping[str, Any]) -> str:
    """The comparators' average of a standard measure (sendlib.analysis.standard_measures row),
    with how many had a value when not all did: "£1,205", "£1,180 (9 of 10 with data)", "no data"."""
    return _with_count(format_value(row["comparators_mean"], row["unit"]), row)


def missing_notes(table: pd.DataFrame, subject_label: str) -> list[str]:
    """One note per "no data" in a standard measure table: why the subject, the comparators or
    England have no value for a measure."""
    notes = []
    for row in table.itertuples():
        if pd.isna(row.value):
            notes.append(f"{row.label}: no data for {subject_label} ({row.note}).")
        if pd.isna(row.comparators_mean) and row.n_comparators:
            notes.append(f"{row.label}: no comparator has a value for {row.fy or 'any year'}.")
        if pd.isna(row.england):
            notes.append(f"{row.label}: no England figure (no unit has a value).")
    return notes


def headline_frame(table: pd.DataFrame, subject_label: str, comparators_heading: str) -> pd.DataFrame:
    """The headline summary as text from a standard measure table: Measure, Year, the subject,
    the comparators' average (``comparators_heading``), England (small numbers are marked by
    :func:`mark_small_numbers`)."""
    rows = [row for _, row in table.iterrows()]
    return pd.DataFrame({
        "Measure": [str(row["label"]) for row in rows],
        "Year": [row["fy"] or NO_DATA for row in rows],
        subject_label: [format_value(row["value"], row["unit"]) for row in rows],
        comparators_heading: [comparator_average_text(row) for row in rows],
        "England": [format_value(row["england"], row["unit"]) for row in rows],
    })


def mark_small_numbers(headline: pd.DataFrame, table: pd.DataFrame, flags: pd.DataFrame, column: str) -> pd.DataFrame:
    """``headline`` (a text frame with a row per row of the measure ``table``) with SMALL_MARK
    after the ``column`` value of every measure in ``flags`` (sendlib.analysis.small_numbers) that
    has a value."""
    marked = headline.copy()
    flagged = set(flags["measure"])
    marked[column] = [text + SMALL_MARK if key in flagged and text != NO_DATA else text
                      for key, text in zip(table["measure"], headline[column])]
    return marked


def one_case_moves(basis: str, count: float) -> str:
    """What a count of ``count`` means for the values resting on it, by its ``basis``
    (sendlib.analysis.small_numbers.SmallCount): its chance variation a year ("chance"), or how far
    one case more or fewer moves a share ("share") or a rate per 10,000 ("rate") resting on it."""
    if basis == "chance":
        share = small_numbers.chance_share(count)
        return (f"by chance alone a count that size moves by about {count * share:,.0f} of them, {100 * share:.0f}%, "
                "a year")
    if basis == "share":
        return f"one more or fewer moves a share of them by {100 / count:.1f} percentage points"
    return f"one child more or fewer moves a rate per 10,000 of them by {10_000 / count:.1f}"


def small_count_text(count: float, rule: small_numbers.SmallCount, when: str) -> str:
    """One small count with its threshold and what it means: "11 EHC plans in 2017-18 (fewer
    than 500: by chance alone ...)"."""
    what = rule.singular if count == 1 else rule.label
    return (f"{count:,.0f} {what} in {when} (fewer than {rule.threshold:,.0f}: "
            f"{one_case_moves(rule.basis, count)})")


def small_numbers_note(unit_label: str, counts: list[tuple[float, small_numbers.SmallCount, str]]) -> str | None:
    """The note under a table whose values marked SMALL_MARK rest on the small ``counts`` (count,
    its rule, when), each named once: "Small numbers: Isles of Scilly had 11 EHC plans in 2017-18
    (fewer than 500: ...) and ...; the values marked ... rest on few cases: read them and their
    changes with care."; None when there is none."""
    if not counts:
        return None
    listed = [small_count_text(count, rule, when) for count, rule, when in counts]
    joined = listed[0] if len(listed) == 1 else f"{'; '.join(listed[:-1])}; and {listed[-1]}"
    return (f"Small numbers: {unit_label} had {joined}. The values marked \"{SMALL_MARK.strip(' ()')}\" rest on "
            "few cases: read them and their changes with care.")


def small_numbers_notes(flags: pd.DataFrame, unit_label: str) -> list[str]:
    """The note (:func:`small_numbers_note`) on the counts the flagged measures rest on (flags of
    sendlib.analysis.small_numbers.small_number_flags), each at its smallest; [] when none."""
    rules = {rule.label: rule for rule in small_numbers.SMALL_COUNTS.values()}
    counts = []
    for label, rows in flags.groupby("count_label", sort=False):
        row = rows.sort_values(["count", "count_fy"]).iloc[0]
        rule = rules.get(label) or small_numbers.SmallCount((), label, label, row["threshold"], row["basis"])
        counts.append((row["count"], rule, row["count_fy"]))
    note = small_numbers_note(unit_label, counts)
    return [note] if note else []


def headline_table(headline: Headline, names: Names) -> str:
    """The headline summary (Markdown) of a standard measure table: the measures, the unit's
    values marked where its flags say they rest on small numbers, then the notes on missing
    values and on the small numbers."""
    table, flags = headline.table, headline.flags
    shown = headline_frame(table, names.council, names.average)
    notes = missing_notes(table, names.council) + small_numbers_notes(flags, names.council)
    return markdown_table(mark_small_numbers(shown, table, flags, names.council), notes)


def headline_results(headline: Headline) -> dict[str, Any]:
    """results.json's ``headline`` (per standard measure its label ``measure``, ``key``, ``year``,
    ``unit``, ``value``, ``neighbours`` (the comparators' average), ``n_neighbours_with_value``,
    ``england`` and each figure as shown, ``*_text``) and ``small_numbers`` (the flags)."""
    entries = [
        {"measure": row["label"], "key": row["measure"], "year": row["fy"], "unit": row["unit"],
         "value": row["value"], "neighbours": row["comparators_mean"],
         "n_neighbours_with_value": row["n_comparators_with_value"], "england": row["england"],
         "value_text": format_value(row["value"], row["unit"]), "neighbours_text": comparator_average_text(row),
         "england_text": format_value(row["england"], row["unit"])}
        for _, row in headline.table.iterrows()
    ]
    return {"headline": entries, "small_numbers": headline.flags.to_dict("records")}


def rank_text(row: Mapping[str, Any]) -> str:
    """"7th highest of 11", or "no data"."""
    return NO_DATA if pd.isna(row["rank"]) else f"{ordinal(int(row['rank']))} highest of {row['n_ranked']}"


def quartile_text(row: Mapping[str, Any]) -> str:
    """The national quartile in words, or "no data"."""
    return NO_DATA if pd.isna(row["quartile"]) else QUARTILE_WORDS[int(row["quartile"])]


def ranks_frame(table: pd.DataFrame, comparators_name: str) -> pd.DataFrame:
    """Rank and national quartile of every measure of a standard measure table, as text."""
    rows = [row for _, row in table.iterrows()]
    return pd.DataFrame({
        "Measure": [str(row["label"]) for row in rows],
        "Year": [row["fy"] or NO_DATA for row in rows],
        f"Rank among {comparators_name}": [rank_text(row) for row in rows],
        "National quartile": [quartile_text(row) for row in rows],
        "Units with a value nationally": [f"{row['n_national']:,}" for row in rows],
    })


def ranks_table(table: pd.DataFrame, names: Names) -> str:
    """:func:`ranks_frame` as a Markdown table."""
    return markdown_table(ranks_frame(table, names.comparators))


# --- placement and process ----------------------------------------------------------------------------------

#: Topics shown by setting -> what they count, in words.
COUNTED_TOPICS = {"placement": "EHC plans in force", "new_plan_placement": "new EHC plans"}

#: Setting group -> a short column heading.
SETTING_HEADINGS = {"mainstream": "Mainstream", "special_state": "State special",
                    "special_independent": "Independent special", "alternative_provision": "AP and PRUs",
                    "further_education": "Further education", "elsewhere": "Elsewhere"}

#: Topic -> heading of its first column.
TOPIC_HEADINGS = {"placement": "Setting", "new_plan_placement": "Setting", "process": "Measure",
                  "need": "Primary need"}

def year_text(year: int, period: str) -> str:
    """"January 2025" for plans in force, "2024" for a calendar year's flows."""
    return f"January {year}" if period == "january" else str(year)



def value_text(row: Mapping[str, object]) -> str:
    """The council's value of a comparison row as read: a share with its counts, "50.8% (817 of
    1,607)"; a rate, "23.6"; SMALL_MARK after it when its denominator is small."""
    text = format_outcome(row["value"], row["kind"])
    if text == NO_DATA:
        return text
    if row["kind"] == "share":
        text += f" ({row['numerator']:,.0f} of {row['denominator']:,.0f})"
    return text + (SMALL_MARK if row["small"] else "")



def average_text(row: Mapping[str, Any]) -> str:
    """The comparators' average of a placement row, with how many had a value when not all did."""
    return _with_count(format_outcome(row["comparators_mean"], row["kind"]), row)


def comparison_frame(rows: pd.DataFrame, topic: str, names: Names) -> pd.DataFrame:
    """The rows of one topic of a comparison (placement.comparison) as text: the row label, year,
    the council, the comparators' average, England, rank among the comparators, national quartile."""
    records = [row for _, row in rows[rows["topic"] == topic].iterrows()]
    return pd.DataFrame({
        TOPIC_HEADINGS[topic]: [row["label"] for row in records],
        "Year": [year_text(row["year"], row["period"]) for row in records],
        names.council: [value_text(row) for row in records],
        names.average: [average_text(row) for row in records],
        "England": [format_outcome(row["england"], row["kind"]) for row in records],
        f"Rank among {names.comparators}": [rank_text(row) for row in records],
        "National quartile": [quartile_text(row) for row in records],
    })


def _denominator_words(measure: str) -> str:
    return MEASURES[measure].denominator_label if measure in MEASURES else "EHC plans in force"


def section_small_notes(rows: pd.DataFrame, unit_label: str) -> list[str]:
    """The note (:func:`small_numbers_note`) on the counts that values of ``rows`` marked
    SMALL_MARK rest on (sendlib.analysis.small_numbers.count_key), each at its smallest, in
    reading order; [] when none."""
    found: dict[str, tuple[float, str]] = {}
    for _, row in rows[rows["small"] & rows["value"].notna()].iterrows():
        key = small_numbers.count_key(row["measure"])
        if key is not None and (key not in found or row["denominator"] < found[key][0]):
            found[key] = (row["denominator"], year_text(row["year"], row["period"]))
    note = small_numbers_note(unit_label, [(count, small_numbers.SMALL_COUNTS[key], when)
                                           for key, (count, when) in found.items()])
    return [note] if note else []


def comparison_notes(rows: pd.DataFrame, unit_label: str) -> list[str]:
    """Why a figure of the rows reads "no data", then the notes on small numbers."""
    notes = []
    for _, row in rows.iterrows():
        where = f"{row['label']}, {year_text(row['year'], row['period'])}"
        if pd.isna(row["value"]):
            missing = "the count" if pd.isna(row["numerator"]) else f"the number of {_denominator_words(row['measure'])}"
            notes.append(f"{where}: no data for {unit_label} ({missing} is missing or suppressed in the source).")
        if pd.isna(row["comparators_mean"]) and row["n_comparators"]:
            notes.append(f"{where}: no comparator has a value.")
        if pd.isna(row["england"]):
            notes.append(f"{where}: no England figure in the source for this year.")
    return notes + section_small_notes(rows, unit_label)


def topic_tables(section: Section, topic: str, names: Names) -> str:
    """Markdown for one topic: its measures in their latest year against the comparators and
    England, with notes; for the settings, then the council's counts and shares of every year."""
    rows = section.shown[section.shown["topic"] == topic]
    text = markdown_table(comparison_frame(rows, topic, names), comparison_notes(rows, names.council))
    if topic in COUNTED_TOPICS:
        text += (f"\n\n{names.council}'s {COUNTED_TOPICS[topic]} by setting each year (share in brackets):\n\n"
                 + markdown_table(counts_frame(section.series, topic)))
    return text


def counts_frame(series: pd.DataFrame, topic: str) -> pd.DataFrame:
    """The council's plans (or new plans) in each setting each year, with the share: "817 (50.8%)",
    and the total they are shares of; "no data" where a count is missing."""
    rows = series[series["topic"] == topic]
    keys = {f"{'new_plans_' if topic == 'new_plan_placement' else ''}{short}_share": group
            for group, short in SETTINGS.items()}
    frame = {}
    for year, group in rows.groupby("year", sort=True):
        cells = {"Year": year_text(year, group["period"].iloc[0]),
                 "All": format_value(group["denominator"].dropna().max(), "count")}
        for _, row in group.iterrows():
            share = format_outcome(row["value"], "share")
            cells[SETTING_HEADINGS[keys[row["measure"]]]] = (
                NO_DATA if share == NO_DATA else f"{row['numerator']:,.0f} ({share})")
        frame[year] = cells
    columns = ["Year", *SETTING_HEADINGS.values(), "All"]
    return pd.DataFrame(list(frame.values()), columns=columns).astype(object).fillna(NO_DATA)



def _of(shown: pd.DataFrame, measure: str) -> Mapping[str, object] | None:
    rows = shown[shown["measure"] == measure]
    return None if rows.empty else rows.iloc[0]



def _against(row: Mapping[str, Any], names: Names) -> str:
    """"(statistical neighbours' average 52.1%, England 43.6%; 7th highest of 11)"."""
    rank = "" if pd.isna(row["rank"]) else f"; {rank_text(row)}"
    return (f"({names.comparators}' average {average_text(row)}, England "
            f"{format_outcome(row['england'], row['kind'])}{rank})")


def placement_sentence(shown: pd.DataFrame, names: Names) -> str:
    """Where the council's plans were held in the latest January, against its comparators."""
    mainstream, independent = _of(shown, "mainstream_share"), _of(shown, "special_independent_share")
    if mainstream is None or independent is None:
        return f"{names.council} has no EHC plans by setting in this data."
    if pd.isna(mainstream["value"]) and pd.isna(independent["value"]):
        return (f"{names.council}'s EHC plans by setting are missing for {year_text(mainstream['year'], 'january')} "
                "(the council returned totals only, or the counts are suppressed).")
    return (f"In {year_text(mainstream['year'], 'january')}, {format_outcome(mainstream['value'], 'share')} of "
            f"{names.council}'s EHC plans were held in mainstream schools, including resourced provision and SEN units "
            f"{_against(mainstream, names)}, and {format_outcome(independent['value'], 'share')} in "
            f"independent and non-maintained special schools {_against(independent, names)}.")



def timeliness_sentence(shown: pd.DataFrame, names: Names) -> str:
    """How many new plans the council issued within 20 weeks in the latest year."""
    excluding, including = _of(shown, "timely_20wk_ex"), _of(shown, "timely_20wk")
    if excluding is None:
        return f"{names.council} has no 20-week timeliness figure in this data."
    if pd.isna(excluding["value"]):
        return (f"{names.council} has no 20-week timeliness figure for {excluding['year']} (its counts are missing or "
                "suppressed in the source).")
    flag = SMALL_MARK if excluding["small"] else ""
    return (f"In {excluding['year']} {names.council} issued {format_outcome(excluding['value'], 'share')}{flag} of new "
            f"EHC plans within 20 weeks, excluding exceptions {_against(excluding, names)}; including "
            f"exceptions, {format_outcome(including['value'] if including is not None else None, 'share')}.")



def demand_sentence(shown: pd.DataFrame, names: Names) -> str:
    """Requests and new plans per 10,000 aged 0-25, and the share of decisions that refused an
    assessment, each in its latest year."""
    parts = []
    for measure, words in (("requests_per_10k", "had {} requests for an EHC needs assessment per 10,000 people aged "
                                                "0-25 in {}"),
                           ("new_plans_per_10k", "made {} new EHC plans per 10,000 in {}"),
                           ("refusal_share", "refused an assessment in {} of its decisions in {}")):
        row = _of(shown, measure)
        if row is not None:
            value = format_outcome(row["value"], row["kind"]) + (SMALL_MARK if row["small"] else "")
            parts.append(f"{words.format(value, row['year'])} {_against(row, names)}")
    return f"{names.council} {'; '.join(parts)}." if parts else ""



def appeal_sentence(series: pd.DataFrame, unit_label: str) -> str:
    """The tribunal appeal rate in the first and last year with a value for the council."""
    rows = series[(series["measure"] == "appeal_rate") & series["value"].notna()].sort_values("year")
    if rows.empty:
        return f"{unit_label} has no SEND Tribunal appeal rate in this data."
    first, last = rows.iloc[0], rows.iloc[-1]
    return (f"{unit_label}'s SEND Tribunal appeal rate (appeals per appealable decision) was "
            f"{format_outcome(first['value'], 'share')} in {first['year']} and "
            f"{format_outcome(last['value'], 'share')} in {last['year']} (England "
            f"{format_outcome(first['england'], 'share')} and {format_outcome(last['england'], 'share')}).")



def section_summary(section: Section, names: Names) -> str:
    """The section's findings in a paragraph: placement, timeliness, demand and appeals."""
    shown = section.shown
    return " ".join(part for part in (placement_sentence(shown, names), timeliness_sentence(shown, names),
                                      demand_sentence(shown, names), appeal_sentence(section.series, names.council))
                    if part)


# --- a programme council's paths --------------------------------------------------------------------


#: Programme -> how a council entered it, "{unit}" and "{fy}" to fill.
PROGRAMME_WORDS = {"dbv": "{unit} was invited into Delivering Better Value on 23 June 2022 (entry year {fy}).",
                   "safety_valve": "{unit} signed a safety-valve agreement in {fy} (its entry year)."}

#: Path outcomes named differently inside a sentence.
SENTENCE_LABELS = {"hn_spend_per_head_2_18": "high-needs spending per head aged 2-18 (cash)"}

SELECTION_CAVEAT = ("Councils entered these programmes because of their high-needs deficits, not at random, so a "
                    "difference from their neighbours after entry may come from why they were chosen (a steep rise is "
                    "often followed by a slower one) rather than from the programme.")



def programme_intro(entry: ProgrammeEntry | None, unit_label: str, names: Mapping[str, str]) -> str:
    """Which programme the council entered and when, which of its statistical neighbours were in no
    programme (``names``: unit -> name), and the caveat about selection; or why there is nothing
    to compare."""
    if entry is None:
        return (f"{unit_label} is not on the project's lists of Delivering Better Value or safety-valve councils, so "
                "it has no entry year to compare before and after.")
    chosen = ", ".join(plain_council_name(names.get(unit, unit)) for unit in entry.comparison_neighbours)
    who = (f"{len(entry.comparison_neighbours)} of its {len(entry.neighbours)} DfE statistical neighbours were in no "
           f"programme ({chosen}): the paths below set {unit_label} against their average."
           if entry.comparison_neighbours else
           "None of its DfE statistical neighbours was in no programme, so there is no comparison.")
    entered = PROGRAMME_WORDS[entry.programme].format(unit=unit_label, fy=entry.entry_fy)
    return f"{entered} {who} {SELECTION_CAVEAT}"



def growth_text(value: float, kind: str) -> str:
    """Average annual growth as read: "+11.0% a year" (money, rates: compound), "+0.4 points a
    year" (shares), "no data"."""
    if value is None or pd.isna(value):
        return NO_DATA
    if kind == "share":
        return f"{signed_points(value)} points a year"
    return f"{signed_points(float(np.expm1(value)))}% a year"



def growth_frame(growth: pd.DataFrame, unit_label: str, neighbours_label: str) -> pd.DataFrame:
    """A programme_paths.growth_table as text: measure, years and growth before and after entry
    for the council and its neighbours in no programme, and the difference in the change."""
    def cells(column: str) -> list[str]:
        return [growth_text(value, kind) for value, kind in zip(growth[column], growth["kind"])]

    return pd.DataFrame({
        "Measure": [label[:1].upper() + label[1:] for label in growth["label"]],
        "Before entry": [years or NO_DATA for years in growth["before"]],
        f"{unit_label}, before": cells("council_before"), f"{neighbours_label}, before": cells("neighbours_before"),
        "After entry": [years or NO_DATA for years in growth["after"]],
        f"{unit_label}, after": cells("council_after"), f"{neighbours_label}, after": cells("neighbours_after"),
        "Change against neighbours": [NO_DATA if pd.isna(v) else f"{signed_points(v)} points a year"
                                      for v in growth["difference"]],
    })



GROWTH_NOTE = ("Growth is the average annual change from the first year with data to the year before entry, and "
               "from then to the last year with data: compound % a year for spending and rates, percentage points a "
               "year for shares. The change against neighbours is the council's change in growth (after minus "
               "before) minus its neighbours' average change, in points a year (log points for spending and rates).")



def growth_markdown(growth: pd.DataFrame, unit_label: str) -> str:
    """The growth table (Markdown, with its note) and the sentence on spending per head."""
    return (markdown_table(growth_frame(growth, unit_label, "Neighbours"), [GROWTH_NOTE]) + "\n\n"
            + growth_sentence(growth, unit_label))



def growth_sentence(growth: pd.DataFrame, unit_label: str) -> str:
    """The first outcome of a growth table (spending per head) before and after entry, in words."""
    row = growth.iloc[0]
    label = SENTENCE_LABELS.get(row["outcome"], row["label"])
    if pd.isna(row["difference"]):
        return f"There is no before-and-after comparison of {label} for {unit_label}."
    change = "slowed" if row["difference"] < 0 else "quickened"
    return (f"Before entry ({row['before']}) {unit_label}'s {label} changed by "
            f"{growth_text(row['council_before'], row['kind'])}, its neighbours' in no programme by "
            f"{growth_text(row['neighbours_before'], row['kind'])}; after entry ({row['after']}) by "
            f"{growth_text(row['council_after'], row['kind'])} and {growth_text(row['neighbours_after'], row['kind'])}: "
            f"relative to theirs, its growth {change} by {signed_points(abs(row['difference']))[1:]} points a year.")



# --- spending, EHC plans, allocation and balance ----------------------------------------------------


def spending_sentence(summary: Mapping[str, Any]) -> str:
    """How the unit's high-needs spending grew, and its spending per head, from its results
    (sendlib.analysis.profile.council_results: first_fy, last_fy, level_fy and subject_summary)."""
    first_fy, last_fy, level_fy = summary["first_fy"], summary["last_fy"], summary["level_fy"]
    return (
        f"High-needs spending went from {escape(format_gbp(summary['spend_first_gbp']))} in {escape(first_fy)} to "
        f"{escape(format_gbp(summary['spend_last_gbp']))} in {escape(last_fy)}: "
        f"{escape(format_pct(summary['spend_growth_cash']))} in cash and "
        f"{escape(format_pct(summary['spend_growth_real']))} in real terms. Spending per head aged 2-18 in "
        f"{escape(level_fy or 'the latest year')}: {escape(format_gbp(summary['spend_per_head_2_18_gbp']))}."
    )



def ehcp_sentence(summary: Mapping[str, Any]) -> str:
    """How the unit's EHC plans grew, and their rate per 10,000 aged 0-25, from its results
    (sendlib.analysis.profile.council_results)."""
    first_fy, last_fy, level_fy = summary["first_fy"], summary["last_fy"], summary["level_fy"]

    def count(value: float) -> str:
        return "not available" if pd.isna(value) else f"{value:,.0f}"

    return (
        f"EHC plans went from {escape(count(summary['ehcp_first_count']))} in January "
        f"{escape(january_for_fy(first_fy))} to {escape(count(summary['ehcp_last_count']))} in January "
        f"{escape(january_for_fy(last_fy))} ({escape(format_pct(summary['ehcp_growth']))}); in "
        f"{escape(level_fy or 'the latest year')} there were "
        f"{escape(format_measure('ehcp_per_10k_0_25', summary['ehcp_per_10k_0_25']))} plans per 10,000 aged 0-25."
    )



def format_measure(measure: str, value: float) -> str:
    """A ranked measure's value for a sentence: growth as "+74.4%", money as "£1,205", rates as "201.8"."""
    if pd.isna(value):
        return "not available"
    if measure == "spend_growth":
        return format_pct(value)
    if measure.endswith("_gbp"):
        return format_gbp(value)
    return f"{value:,.1f}"



def allocation_sentence(allocation: LatestAllocation, unit_label: str) -> str:
    """Spending against the allocation in the latest year with both (or that there is none)."""
    if allocation.fy is None:
        return f"No year has both an allocation and spending for {escape(unit_label)}."
    spent, allocated = allocation.spend_gbp, allocation.allocation_gbp
    return (
        f"In {escape(allocation.fy)}, the latest year with both, S251 high-needs spending was "
        f"{escape(format_gbp(spent))} against an allocation of {escape(format_gbp(allocated))} "
        f"({escape(format_pct(spent / allocated - 1))})."
    )


def balance_phrase(balance_gbp: float, balance_pct: float) -> str:
    """"a deficit of £13.2m (7.1% of total DSG)" (POSITIVE = deficit), "a surplus of ...",
    "no balance" at zero, "not available" when unknown."""
    if pd.isna(balance_gbp):
        return "not available"
    if balance_gbp == 0:
        return "no balance"
    kind = "deficit" if balance_gbp > 0 else "surplus"
    share = "" if pd.isna(balance_pct) else f" ({abs(balance_pct):.1f}% of total DSG)"
    return f"a {kind} of {format_gbp(abs(balance_gbp))}{share}"



def balance_sentence(balance: DsgBalance, unit_label: str) -> str:
    """The unit's latest cumulative DSG balance and its rank by deficit share (1st = largest)."""
    if balance.fy is None:
        return f"No DSG balance is available for {escape(unit_label)}."
    ranked = (f": ranked {ordinal(balance.rank)} of {balance.n_ranked} units by deficit as a share of total DSG "
              "(1st = the largest deficit)." if balance.rank else ".")
    return (f"At the end of {escape(balance.fy)} the cumulative DSG balance was "
            f"{escape(balance_phrase(balance.balance_gbp, balance.balance_pct))}{ranked}")


def balance_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The unit's years with a DSG balance (``rows`` indexed by fy: sendlib.analysis.profile.DsgBalance)
    as text: Year, Cumulative balance £m (positive = deficit), % of total DSG."""
    known = rows.loc[rows["dsg_balance_gbp"].notna()].reset_index()
    return readable_frame(known, {"fy": ("Year", "text"),
                                  "dsg_balance_gbp": ("Cumulative DSG balance (positive = deficit)", "gbp_m"),
                                  "dsg_balance_pct": ("% of total DSG", "pct")})



def balance_markdown(balance: DsgBalance, unit_label: str) -> str:
    """The table of the unit's DSG balances (:func:`balance_table`) and the sentence on the latest."""
    return markdown_table(balance_table(balance.rows)) + "\n\n" + balance_sentence(balance, unit_label)


# --- programmes ---------------------------------------------------------------------------------------------


PROGRAMME_NAMES = {"delivering_better_value": "Delivering Better Value", "safety_valve": "Safety Valve",
                   "case_study_2022": "2022 case-study council"}



def programme_sources(rows: pd.DataFrame) -> list[str]:
    """Each distinct non-empty source of sendlib.analysis.profile.programme_rows output, in order."""
    return list(dict.fromkeys(source for source in rows["source"].fillna("").astype(str) if source.strip()))


def programme_table(rows: pd.DataFrame) -> pd.DataFrame:
    """sendlib.analysis.profile.programme_rows output as text: Council, Programme, Group, Amount
    (Safety Valve only; "no data" when unknown), Confidence, Source (its number in
    :func:`programme_sources`, listed under the table by :func:`sources_markdown`: a long
    address would not fit in a cell)."""
    numbers = {source: position for position, source in enumerate(programme_sources(rows), start=1)}
    named = rows.assign(programme=rows["programme"].map(PROGRAMME_NAMES).fillna(rows["programme"]),
                        council=rows["la_name"] + " (" + rows["la_code"] + ")",
                        source=[str(numbers[s]) if s in numbers else "none given"
                                for s in rows["source"].fillna("").astype(str)])
    amounts = [format_value(amount, "gbp_m") if programme == "safety_valve" else "not applicable"
               for programme, amount in zip(rows["programme"], rows["amount_gbp"])]
    named["amount"] = amounts
    return readable_frame(named, {"council": ("Council", "text"), "programme": ("Programme", "text"),
                                  "group": ("Group", "text"), "amount": ("Amount", "text"),
                                  "confidence": ("Confidence", "text"), "source": ("Source", "text")})


_URL = re.compile(r"https?://[^\s()<>\[\]]+")


def source_markdown(source: str) -> str:
    """A curated source as Markdown: each web address in it a link named by its site
    ("[assets.publishing.service.gov.uk](https://...)"), the rest escaped."""
    parts, last = [], 0
    for match in _URL.finditer(source):
        url = match.group(0).rstrip(".,;")
        parts += [escape(source[last:match.start()]), f"[{escape(urlsplit(url).netloc)}]({url})"]
        last = match.start() + len(url)
    return "".join(parts) + escape(source[last:])


def sources_markdown(rows: pd.DataFrame) -> str:
    """The sources of a programme table, numbered as its Source column numbers them, as Markdown."""
    listed = [f"{number}. {source_markdown(source)}" for number, source in enumerate(programme_sources(rows), start=1)]
    return "Sources:\n\n" + "\n".join(listed) if listed else ""


def programme_summary(flags: Mapping[str, object]) -> str:
    """One line per programme from a panel row's flags (dbv, dbv_tranche, safety_valve,
    safety_valve_year, safety_valve_amount_gbp, case_study_2022), as Markdown (data escaped)."""
    def known(value: object) -> bool:
        return value is not None and not pd.isna(value)

    dbv = f"yes ({escape(flags['dbv_tranche'])})" if flags["dbv"] and known(flags["dbv_tranche"]) else (
        "yes" if flags["dbv"] else "not on the known list")
    valve = "not on the list"
    if flags["safety_valve"]:
        details = [f"agreement {escape(flags['safety_valve_year'])}" if known(flags["safety_valve_year"]) else "",
                   escape(format_gbp(flags["safety_valve_amount_gbp"])) if known(flags["safety_valve_amount_gbp"])
                   else ""]
        valve = "yes" + (f" ({', '.join(d for d in details if d)})" if any(details) else "")
    case_study = "yes" if flags["case_study_2022"] else "not known to be one"
    return (f"- Delivering Better Value: {dbv}\n- Safety Valve: {valve}\n"
            f"- one of the ten 2022 case-study councils: {case_study}")



def known_lists_sentence(known: Mapping[str, Any]) -> str:
    """How complete the curated programme lists are (sendlib.analysis.profile.known_lists)."""
    return (f"The known DBV list names {known['dbv']} of the {known['claimed_dbv']:.0f} DBV councils (councils as "
            f"they were in 2022); only {known['case_study_2022']} of the ten 2022 case-study councils "
            f"({escape(', '.join(known['case_studies']))}) is public.")


def programmes_markdown(programmes: CouncilProgrammes) -> str:
    """The unit's rows of the curated programme lists (:func:`programme_table`), its programmes
    in a list (:func:`programme_summary`) and how complete the lists are."""
    membership = programmes.membership
    table = f"{markdown_table(programme_table(membership))}\n\n{sources_markdown(membership)}" if len(membership) \
        else "No programme rows for this unit's councils."
    return f"{table}\n\n{programme_summary(programmes.flags)}\n\n{known_lists_sentence(programmes.known)}"


# --- the projection under the June 2022 guidance ------------------------------------------------------------


def projection_table(projection: pd.DataFrame) -> pd.DataFrame:
    """A sendlib.analysis.profile.guidance_projection table as text for reading: Year, money in £m, growth and
    the balance as %, indices to 3 decimals, "no data" where missing (see :func:`projection_notes`)."""
    return readable_frame(projection.assign(funding_growth_pct=100 * projection["funding_growth"]), {
        "fy": ("Year", "text"), "funding_gbp": ("Funding", "gbp_m"), "spend_gbp": ("Spending", "gbp_m"),
        "gap_gbp": ("In-year gap", "gbp_m"), "balance_gbp": ("DSG balance (positive = deficit)", "gbp_m"),
        "balance_pct_of_dsg": ("Balance as % of DSG", "pct"), "actual_funding_gbp": ("Actual allocation", "gbp_m"),
        "funding_growth_pct": ("Funding growth", "signed_pct"),
        "spend_index_projected": ("Spending index (trend)", "index"),
        "spend_index_actual": ("Spending index (actual)", "index"),
    })



def projection_notes(projection: pd.DataFrame) -> list[str]:
    """Why cells of :func:`projection_table` say "no data": the start year has no growth, and
    the actual allocation and spending exist only for the years published in the data."""
    def missing(column: str) -> str:
        return ", ".join(projection.loc[projection[column].isna(), "fy"].astype(str))

    notes = []
    if pd.isna(projection["funding_growth"].iloc[0]):
        notes.append(f"Funding growth: none for {projection['fy'].iloc[0]}, the start year.")
    actuals = (("actual_funding_gbp", "Actual allocation"), ("spend_index_actual", "Spending index (actual)"))
    for column, what in actuals:
        if years := missing(column):
            notes.append(f"{what}: no data for {years} (not in the published data used here).")
    for column, what in (("funding_gbp", "Funding"), ("balance_gbp", "DSG balance")):
        if years := missing(column):
            notes.append(f"{what}: no data for {years} (an input of the projection is missing).")
    return notes



def projection_markdown(projection: pd.DataFrame) -> str:
    """The projection table with its notes, as Markdown."""
    return markdown_table(projection_table(projection), projection_notes(projection))


def projection_findings(outlook: Mapping[str, object], unit_label: str, assumed_first: float) -> str:
    """The projection's findings as Markdown, from sendlib.analysis.profile.projection_summary: where the
    balance would go under the assumptions, then what actually happened (allocation growth in
    the first assumed year against ``assumed_first``; S251 spend growth against its trend);
    every clause whose numbers are missing is left out."""
    if pd.isna(outlook["balance_end_gbp"]):
        projected = (f"No projection for {escape(unit_label)}: its start-year allocation or DSG balance is "
                     "not available.")
    else:
        path = ", ".join(
            f"{format_pct(rate)} in {fy}{' (actual)' if fy in outlook['actual_funding_years'] else ''}"
            for fy, rate in outlook["funding_growth_by_fy"].items()
        )
        projected = (
            f"With funding growing {path}, and spending growing at its own trend of "
            f"{format_pct(outlook['spend_growth_rate'])} a year, the cumulative DSG balance would go from "
            f"{balance_phrase(outlook['balance_start_gbp'], outlook['balance_start_pct'])} at the end of "
            f"{outlook['start_fy']} to {balance_phrase(outlook['balance_end_gbp'], outlook['balance_end_pct'])} "
            f"by the end of {outlook['end_fy']}."
        )
    happened = []
    if not pd.isna(outlook["actual_funding_growth_first_assumed"]):
        happened.append(f"the allocation grew {format_pct(outlook['actual_funding_growth_first_assumed'])} in "
                        f"{GUIDANCE_FIRST_FY} against {format_pct(assumed_first)} assumed")
    if outlook["actual_spend_fy"] is not None and not pd.isna(outlook["projected_spend_growth"]):
        happened.append(f"S251 high-needs spending grew {format_pct(outlook['actual_spend_growth'])} from "
                        f"{outlook['start_fy']} to {outlook['actual_spend_fy']} against "
                        f"{format_pct(outlook['projected_spend_growth'])} on its trend")
    return projected + (f"\n\nWhat happened: {' and '.join(happened)}." if happened else "")



def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"

