"""Sentences, marks and readable tables of the council profile (05_council_profile) built from
its numbers: the small-number flags beside the headline measures and their note, the line that
links the report's data, the "Placement and process" section (sendlib.analysis.placement) and a
programme council's paths before and after entry against its neighbours in no programme
(sendlib.analysis.programme_paths).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sendlib.analysis import standard_measures
from sendlib.analysis.placement import MEASURES, SETTINGS, Section
from sendlib.analysis.profile import ordinal
from sendlib.analysis.programme_paths import ProgrammeEntry
from sendlib.analysis.standard_measures import QUARTILE_WORDS
from sendlib.findings.after_2022 import signed_points
from sendlib.geography import search_words
from sendlib.present.markup import escape
from sendlib.present.readable import NO_DATA, format_outcome, format_value, markdown_table
from sendlib.present.reportpage import plain_council_name

SMALL_MARK = " (small numbers)"


def mark_small_numbers(headline: pd.DataFrame, table: pd.DataFrame, flags: pd.DataFrame, column: str) -> pd.DataFrame:
    """``headline`` (a text frame with a row per row of the measure ``table``) with SMALL_MARK
    after the ``column`` value of every measure in ``flags`` (sendlib.analysis.small_numbers) that
    has a value."""
    marked = headline.copy()
    flagged = set(flags["measure"])
    marked[column] = [text + SMALL_MARK if key in flagged and text != NO_DATA else text
                      for key, text in zip(table["measure"], headline[column])]
    return marked


def small_numbers_notes(flags: pd.DataFrame, unit_label: str) -> list[str]:
    """One note per count the flagged measures rest on, at its smallest: "Small numbers:
    Isles of Scilly had 11 EHC plans in 2017-18, fewer than 500: by chance alone a count that
    size moves by about 3 of them (30%) a year, so the measures marked "small numbers" rest on few
    children; read them and their changes with care."""
    notes = []
    for label, rows in flags.groupby("count_label", sort=True):
        row = rows.sort_values(["count", "count_fy"]).iloc[0]
        moves = row["count"] * row["chance_share"]
        notes.append(
            f"Small numbers: {unit_label} had {row['count']:,.0f} {label} in {row['count_fy']}, fewer than "
            f"{row['threshold']:,}: by chance alone a count that size moves by about {moves:,.0f} of them "
            f"({100 * row['chance_share']:.0f}%) a year, so the measures marked \"{SMALL_MARK.strip(' ()')}\" "
            "rest on few children; read them and their changes with care.")
    return notes


def headline_table(table: pd.DataFrame, flags: pd.DataFrame, unit_label: str, comparators_heading: str) -> str:
    """The headline summary (Markdown) of a standard measure ``table``: the measures, the unit's
    values marked where ``flags`` says they rest on small numbers, then the notes on missing
    values and on the small numbers."""
    headline = standard_measures.headline_frame(table, unit_label, comparators_heading)
    notes = standard_measures.missing_notes(table, unit_label) + small_numbers_notes(flags, unit_label)
    return markdown_table(mark_small_numbers(headline, table, flags, unit_label), notes)


def data_zip_name(la_name: str, la_code: str) -> str:
    """The stem of the zip of a council's CSVs: "stockport_356_high_needs_data"."""
    return "_".join([*search_words(plain_council_name(la_name)), la_code, "high_needs_data"])


def data_sentence(zip_stem: str) -> str:
    """The Markdown line that says where the report's data is: a CSV under each figure, and all
    of them in one zip (linked relative to the report folder)."""
    return (f"The data behind each figure is in a CSV linked under it; all of this report's CSVs are in one file: "
            f"[{escape(zip_stem)}.zip]({zip_stem}.zip).")


NEIGHBOURS_LABEL = "Neighbours in no programme (average)"
#: Topics shown by setting -> what they count, in words.
COUNTED_TOPICS = {"placement": "EHC plans in force", "new_plan_placement": "new EHC plans"}
#: Setting group -> a short column heading.
SETTING_HEADINGS = {"mainstream": "Mainstream", "special_state": "State special",
                    "special_independent": "Independent special", "alternative_provision": "AP and PRUs",
                    "further_education": "Further education", "elsewhere": "Elsewhere"}
#: Topic -> heading of its first column.
TOPIC_HEADINGS = {"placement": "Setting", "new_plan_placement": "Setting", "process": "Measure",
                  "need": "Primary need"}
#: Topic -> (figure title, x-axis label) of its figure of every year.
FIGURES = {
    "placement": ("EHC plans in force by setting, each January", "January"),
    "new_plan_placement": ("New EHC plans by the setting named in them, each calendar year", "calendar year"),
    "process": ("New plans, requests, refusals, 20-week timeliness and tribunal appeals", "calendar year"),
}
#: Programme -> how a council entered it, "{unit}" and "{fy}" to fill.
PROGRAMME_WORDS = {"dbv": "{unit} was invited into Delivering Better Value on 23 June 2022 (entry year {fy}).",
                   "safety_valve": "{unit} signed a safety-valve agreement in {fy} (its entry year)."}
#: Path outcomes named differently inside a sentence.
SENTENCE_LABELS = {"hn_spend_per_head_2_18": "high-needs spending per head aged 2-18 (cash)"}
SELECTION_CAVEAT = ("Councils entered these programmes because of their high-needs deficits, not at random, so a "
                    "difference from their neighbours after entry may come from why they were chosen (a steep rise is "
                    "often followed by a slower one) rather than from the programme.")


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


def average_text(row: Mapping[str, object]) -> str:
    """The comparators' average, with how many had a value when not all did."""
    text = format_outcome(row["comparators_mean"], row["kind"])
    if text != NO_DATA and row["n_comparators_with_value"] < row["n_comparators"]:
        text += f" ({row['n_comparators_with_value']} of {row['n_comparators']} with data)"
    return text


def rank_text(row: Mapping[str, object]) -> str:
    """"7th highest of 11", or "no data"."""
    return NO_DATA if pd.isna(row["rank"]) else f"{ordinal(int(row['rank']))} highest of {row['n_ranked']}"


def quartile_text(row: Mapping[str, object]) -> str:
    """The national quartile in words, or "no data"."""
    return NO_DATA if pd.isna(row["quartile"]) else QUARTILE_WORDS[int(row["quartile"])]


def comparison_frame(rows: pd.DataFrame, topic: str, unit_label: str, average_label: str,
                     comparators_name: str) -> pd.DataFrame:
    """The rows of one topic of a comparison (placement.comparison) as text: the row label, year,
    the council, the comparators' average, England, rank among the comparators, national quartile."""
    records = [row for _, row in rows[rows["topic"] == topic].iterrows()]
    return pd.DataFrame({
        TOPIC_HEADINGS[topic]: [row["label"] for row in records],
        "Year": [year_text(row["year"], row["period"]) for row in records],
        unit_label: [value_text(row) for row in records],
        average_label: [average_text(row) for row in records],
        "England": [format_outcome(row["england"], row["kind"]) for row in records],
        f"Rank among {comparators_name}": [rank_text(row) for row in records],
        "National quartile": [quartile_text(row) for row in records],
    })


def _denominator_words(measure: str) -> str:
    return MEASURES[measure].denominator_label if measure in MEASURES else "EHC plans in force"


def _threshold(measure: str) -> float:
    return MEASURES[measure].threshold if measure in MEASURES else MEASURES["mainstream_share"].threshold


def one_more_moves(kind: str, threshold: float) -> str:
    """How far one child (or decision) more or fewer moves a value whose denominator is at the
    threshold: "1.0 percentage point" (a share over 100), "1.0 per 10,000" (a rate over 10,000)."""
    return f"{100 / threshold:.1f} percentage points" if kind == "share" else f"{10_000 / threshold:.1f} per 10,000"


def small_numbers_note(rows: pd.DataFrame) -> str | None:
    """One note on the values of ``rows`` marked SMALL_MARK: each small denominator (in words,
    year, count, threshold) once, with how far one more or fewer moves the value; None if none."""
    small = rows[rows["small"] & rows["value"].notna()]
    found = dict.fromkeys(
        f"{_denominator_words(row['measure'])} in {year_text(row['year'], row['period'])}: {row['denominator']:,.0f}, "
        f"under {_threshold(row['measure']):,.0f} (one more or fewer moves the value by over "
        f"{one_more_moves(row['kind'], _threshold(row['measure']))})" for _, row in small.iterrows())
    return f"Small numbers (the values marked): {'; '.join(found)}." if found else None


def comparison_notes(rows: pd.DataFrame, unit_label: str) -> list[str]:
    """Why a figure of the rows reads "no data", then the note on small numbers."""
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
    small = small_numbers_note(rows)
    return notes + ([small] if small else [])


def topic_tables(section: Section, topic: str, unit_label: str, average_label: str, comparators_name: str) -> str:
    """Markdown for one topic: its measures in their latest year against the comparators and
    England, with notes; for the settings, then the council's counts and shares of every year."""
    rows = section.shown[section.shown["topic"] == topic]
    text = markdown_table(comparison_frame(rows, topic, unit_label, average_label, comparators_name),
                          comparison_notes(rows, unit_label))
    if topic in COUNTED_TOPICS:
        text += (f"\n\n{unit_label}'s {COUNTED_TOPICS[topic]} by setting each year (share in brackets):\n\n"
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


def _against(row: Mapping[str, object], comparators_name: str) -> str:
    """"(statistical neighbours' average 52.1%, England 43.6%; 7th highest of 11)"."""
    rank = "" if pd.isna(row["rank"]) else f"; {rank_text(row)}"
    return (f"({comparators_name}' average {average_text(row)}, England "
            f"{format_outcome(row['england'], row['kind'])}{rank})")


def placement_sentence(shown: pd.DataFrame, unit_label: str, comparators_name: str) -> str:
    """Where the council's plans were held in the latest January, against its comparators."""
    mainstream, independent = _of(shown, "mainstream_share"), _of(shown, "special_independent_share")
    if mainstream is None or independent is None:
        return f"{unit_label} has no EHC plans by setting in this data."
    if pd.isna(mainstream["value"]) and pd.isna(independent["value"]):
        return (f"{unit_label}'s EHC plans by setting are missing for {year_text(mainstream['year'], 'january')} "
                "(the council returned totals only, or the counts are suppressed).")
    return (f"In {year_text(mainstream['year'], 'january')}, {format_outcome(mainstream['value'], 'share')} of "
            f"{unit_label}'s EHC plans were held in mainstream schools, including resourced provision and SEN units "
            f"{_against(mainstream, comparators_name)}, and {format_outcome(independent['value'], 'share')} in "
            f"independent and non-maintained special schools {_against(independent, comparators_name)}.")


def timeliness_sentence(shown: pd.DataFrame, unit_label: str, comparators_name: str) -> str:
    """How many new plans the council issued within 20 weeks in the latest year."""
    excluding, including = _of(shown, "timely_20wk_ex"), _of(shown, "timely_20wk")
    if excluding is None:
        return f"{unit_label} has no 20-week timeliness figure in this data."
    if pd.isna(excluding["value"]):
        return (f"{unit_label} has no 20-week timeliness figure for {excluding['year']} (its counts are missing or "
                "suppressed in the source).")
    flag = SMALL_MARK if excluding["small"] else ""
    return (f"In {excluding['year']} {unit_label} issued {format_outcome(excluding['value'], 'share')}{flag} of new "
            f"EHC plans within 20 weeks, excluding exceptions {_against(excluding, comparators_name)}; including "
            f"exceptions, {format_outcome(including['value'] if including is not None else None, 'share')}.")


def demand_sentence(shown: pd.DataFrame, unit_label: str, comparators_name: str) -> str:
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
            parts.append(f"{words.format(value, row['year'])} {_against(row, comparators_name)}")
    return f"{unit_label} {'; '.join(parts)}." if parts else ""


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


def section_summary(shown: pd.DataFrame, series: pd.DataFrame, unit_label: str, comparators_name: str) -> str:
    """The section's findings in a paragraph: placement, timeliness, demand and appeals."""
    return " ".join(part for part in (placement_sentence(shown, unit_label, comparators_name),
                                      timeliness_sentence(shown, unit_label, comparators_name),
                                      demand_sentence(shown, unit_label, comparators_name),
                                      appeal_sentence(series, unit_label)) if part)


# --- a programme council's paths --------------------------------------------------------------------


def programme_intro(entry: ProgrammeEntry | None, unit_label: str, names: Mapping[str, str]) -> str:
    """Which programme the council entered and when, which of its statistical neighbours were in no
    programme (``names``: unit -> name), and the caveat about selection; or why there is nothing
    to compare."""
    if entry is None:
        return (f"{unit_label} is not on the project's lists of Delivering Better Value or safety-valve councils, so "
                "it has no entry year to compare before and after.")
    chosen = ", ".join(names.get(unit, unit) for unit in entry.comparison_neighbours)
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


def programme_results(entry: ProgrammeEntry | None, growth: pd.DataFrame | None) -> dict[str, object] | None:
    """results.json's ``programme_paths``: programme, entry_fy, neighbours and those in no
    programme, and per outcome the growth before and after entry (analysis scale: log points for
    money and rates, fractions for shares) and the difference in the change; None outside a programme."""
    if entry is None:
        return None
    return {"programme": entry.programme, "entry_fy": entry.entry_fy, "neighbour_units": list(entry.neighbours),
            "comparison_units": list(entry.comparison_neighbours),
            "growth": {} if growth is None else growth.set_index("outcome").drop(columns="label").to_dict("index")}
