"""The words of the council profile's "Placement and process" section and of a programme
council's paths (sendlib.findings.council), from hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.analysis import placement
from sendlib.analysis.programme_paths import ProgrammeEntry
from sendlib.findings import council as words
from sendlib.present.readable import NO_DATA
from test_analysis_placement import england, values

NAN = float("nan")
CAMDEN = words.Names("Camden", "Statistical neighbours' average (3)", "statistical neighbours")


def table(measure: str, year: int, by_unit: dict[str, float], denominator: float = 1000.0,
          england_value: float = 0.4, subject: str = "a", comparators: tuple[str, ...] = ("b", "c", "d")):
    every = values(measure, year, by_unit, denominator)
    return placement.comparison(every, england(measure, year, england_value), subject, list(comparators))


def test_values_read_with_counts_the_comparators_count_and_small_numbers():
    row = table("mainstream_share", 2025, {"a": 0.5084, "b": 0.2, "c": 0.6, "d": NAN}, denominator=1607).iloc[0]
    assert words.value_text(row) == "50.8% (817 of 1,607)"
    assert words.average_text(row) == "40.0% (2 of 3 with data)"
    assert (words.rank_text(row), words.quartile_text(row)) == ("2nd highest of 3", "third quarter")  # ceil(4 x 2 / 3)
    small = table("timely_20wk_ex", 2024, {"a": 0.75, "b": 0.5}, denominator=20).iloc[0]
    assert words.value_text(small) == "75.0% (15 of 20) (small numbers)"
    rate = table("new_plans_per_10k", 2023, {"a": 23.625, "b": 40.0}, denominator=76190, england_value=48.12).iloc[0]
    assert words.value_text(rate) == "23.6" and words.average_text(rate) == "40.0 (1 of 3 with data)"
    missing = table("ap_share", 2025, {"a": NAN, "b": 0.01}).iloc[0]
    assert words.value_text(missing) == NO_DATA and words.rank_text(missing) == NO_DATA
    assert words.quartile_text(missing) == NO_DATA


def test_comparison_table_has_readable_headings_and_says_why_a_value_is_missing():
    rows = pd.concat([table("mainstream_share", 2025, {"a": 0.5, "b": 0.4}),
                      table("ap_share", 2025, {"a": NAN, "b": NAN}, england_value=NAN)])
    frame = words.comparison_frame(rows, "placement", CAMDEN)
    assert list(frame.columns) == ["Setting", "Year", "Camden", "Statistical neighbours' average (3)", "England",
                                   "Rank among statistical neighbours", "National quartile"]
    assert frame["Year"].tolist() == ["January 2025"] * 2
    assert frame.iloc[1].tolist()[2:] == [NO_DATA] * 5
    notes = words.comparison_notes(rows, "Camden")
    label = rows["label"].iloc[1]
    assert notes == [f"{label}, January 2025: no data for Camden (the count is missing or suppressed in the source).",
                     f"{label}, January 2025: no comparator has a value.",
                     f"{label}, January 2025: no England figure in the source for this year."]
    text = words.topic_tables(placement.Section(rows, rows.head(0), rows), "placement", CAMDEN)
    assert "nan" not in text.lower().split() and "_share" not in text


def test_small_numbers_note_names_each_small_count_once_with_what_one_case_does():
    rows = pd.concat([table("mainstream_share", 2025, {"a": 0.5, "b": 0.4}, denominator=17),
                      table("ap_share", 2025, {"a": 0.0, "b": 0.4}, denominator=17),
                      table("timely_20wk_ex", 2024, {"a": 1.0}, denominator=1),
                      table("requests_per_10k", 2023, {"a": 142.9}, denominator=560),
                      table("appeal_rate", 2024, {"a": 0.0}, denominator=57),
                      table("refusal_share", 2024, {"a": NAN}, denominator=2)])  # no value: no note
    assert words.section_small_notes(rows, "X") == [
        "Small numbers: X had 17 EHC plans in force in January 2025 (fewer than 100: one more or fewer moves a share "
        "of them by 5.9 percentage points); 1 plan issued (excluding exceptions) in 2024 (fewer than 30: one more or "
        "fewer moves a share of them by 100.0 percentage points); 560 people aged 0-25 in 2023 (fewer than 10,000: "
        "one child more or fewer moves a rate per 10,000 of them by 17.9); and 57 appealable decisions in 2024 (fewer "
        "than 500: one more or fewer moves a share of them by 1.8 percentage points). The values marked \"small "
        "numbers\" rest on few cases: read them and their changes with care."]
    assert words.section_small_notes(table("mainstream_share", 2025, {"a": 0.5}, denominator=5000), "X") == []
    older = pd.concat([table("mainstream_share", 2024, {"a": 0.5}, denominator=15), rows.iloc[[0]]])
    assert "had 15 EHC plans in force in January 2024" in words.section_small_notes(older, "X")[0]  # the smallest


def test_counts_by_setting_each_year_with_shares_and_no_data():
    every = pd.concat([values(f"{short}_share", year, {"a": share}, denominator=200)
                       for year in (2024, 2025) for short, share in zip(placement.SETTINGS.values(),
                                                                         (0.5, 0.2, 0.1, NAN, 0.1, 0.05))])
    series = placement.comparison(every, every.head(0).assign(unit="england"), "a", [])
    frame = words.counts_frame(series, "placement")
    assert list(frame.columns) == ["Year", *words.SETTING_HEADINGS.values(), "All"]
    assert frame.iloc[1].tolist() == ["January 2025", "100 (50.0%)", "40 (20.0%)", "20 (10.0%)", NO_DATA,
                                      "20 (10.0%)", "10 (5.0%)", "200"]


def shown_for_camden() -> pd.DataFrame:
    """The measures the sentences read, in their latest year."""
    parts = [table("mainstream_share", 2025, {"a": 0.508, "b": 0.52}, 1607, 0.4356),
             table("special_independent_share", 2025, {"a": 0.048, "b": 0.043}, 1607, 0.0533),
             table("timely_20wk_ex", 2024, {"a": 0.966, "b": 0.81}, 178, 0.464),
             table("timely_20wk", 2024, {"a": 0.961, "b": 0.8}, 181, 0.459),
             table("requests_per_10k", 2023, {"a": 31.0, "b": 64.1}, 76190, 78.8),
             table("refusal_share", 2024, {"a": 0.068, "b": 0.34}, 235, 0.278)]
    return pd.concat(parts, ignore_index=True)


def test_section_summary_states_placement_timeliness_demand_and_appeals():
    shown = shown_for_camden()
    series = pd.concat([table("appeal_rate", 2014, {"a": 0.0175}, 974, 0.0164),
                        table("appeal_rate", 2024, {"a": 0.0324}, 1636, 0.0323)])
    text = words.section_summary(placement.Section(series, shown.head(0), shown), CAMDEN)
    assert text.startswith(
        "In January 2025, 50.8% of Camden's EHC plans were held in mainstream schools, including resourced provision "
        "and SEN units (statistical neighbours' average 52.0% (1 of 3 with data), England 43.6%; 2nd highest of 2), "
        "and 4.8% in independent and non-maintained special schools")
    assert ("In 2024 Camden issued 96.6% of new EHC plans within 20 weeks, excluding exceptions (statistical "
            "neighbours' average 81.0% (1 of 3 with data), England 46.4%; 1st highest of 2); including exceptions, "
            "96.1%.") in text
    assert "Camden had 31.0 requests for an EHC needs assessment per 10,000 people aged 0-25 in 2023" in text
    assert "refused an assessment in 6.8% of its decisions in 2024" in text
    assert text.endswith("Camden's SEND Tribunal appeal rate (appeals per appealable decision) was 1.8% in 2014 and "
                         "3.2% in 2024 (England 1.6% and 3.2%).")


def test_sentences_without_data_say_so():
    empty = shown_for_camden().head(0)
    x = words.Names("X", "Neighbours' average", "neighbours")
    assert words.placement_sentence(empty, x) == "X has no EHC plans by setting in this data."
    assert words.timeliness_sentence(empty, x) == "X has no 20-week timeliness figure in this data."
    assert words.demand_sentence(empty, x) == ""
    assert words.appeal_sentence(empty, "X") == "X has no SEND Tribunal appeal rate in this data."
    gap = table("timely_20wk_ex", 2024, {"a": NAN, "b": 0.5})
    assert "no 20-week timeliness figure for 2024 (its counts are missing" in words.timeliness_sentence(gap, x)


ENTRY = ProgrammeEntry("safety_valve", "2022-23", ("881", "845", "878"), ("881", "845"))


def test_programme_intro_names_the_entry_the_neighbours_in_no_programme_and_the_caveat():
    names = {"881": "Essex", "845": "East Sussex, County of"}  # plain names in a list
    text = words.programme_intro(ENTRY, "Kent", names)
    assert text.startswith("Kent signed a safety-valve agreement in 2022-23 (its entry year). 2 of its 3 DfE "
                           "statistical neighbours were in no programme (Essex, East Sussex)")
    assert text.endswith(words.SELECTION_CAVEAT) and text.count(". ") >= 2
    dbv = ProgrammeEntry("dbv", "2022-23", ("1",), ())
    assert "invited into Delivering Better Value on 23 June 2022" in words.programme_intro(dbv, "X", {})
    assert "None of its DfE statistical neighbours was in no programme" in words.programme_intro(dbv, "X", {})
    assert "not on the project's lists" in words.programme_intro(None, "Camden", {})


def growth() -> pd.DataFrame:
    return pd.DataFrame({
        "outcome": ["hn_spend_per_head_2_18", "mainstream_share"], "label": ["high-needs spend per head", "share"],
        "kind": ["money", "share"], "before": ["2017-18 to 2021-22", "2018-19 to 2021-22"],
        "after": ["2021-22 to 2023-24", ""], "council_before": [np.log(1.11), 0.004],
        "council_after": [np.log(1.091), NAN], "neighbours_before": [np.log(1.081), -0.003],
        "neighbours_after": [np.log(1.139), NAN], "n_neighbours": [4, 0], "difference": [-0.0697, NAN]})


def test_growth_reads_as_percent_a_year_or_points_and_the_sentence_gives_the_change():
    assert words.growth_text(np.log(1.11), "money") == "+11.0% a year"
    assert words.growth_text(-0.0272, "share") == "-2.7 points a year" and words.growth_text(NAN, "rate") == NO_DATA
    frame = words.growth_frame(growth(), "Kent", "Neighbours")
    assert frame.columns.tolist() == ["Measure", "Before entry", "Kent, before", "Neighbours, before", "After entry",
                                      "Kent, after", "Neighbours, after", "Change against neighbours"]
    assert frame.iloc[0].tolist()[2:] == ["+11.0% a year", "+8.1% a year", "2021-22 to 2023-24", "+9.1% a year",
                                          "+13.9% a year", "-7.0 points a year"]
    assert frame.iloc[1]["After entry"] == NO_DATA and frame.iloc[1]["Change against neighbours"] == NO_DATA
    assert words.growth_sentence(growth(), "Kent") == (
        "Before entry (2017-18 to 2021-22) Kent's high-needs spending per head aged 2-18 (cash) changed by +11.0% a "
        "year, its neighbours' in no programme by +8.1% a year; after entry (2021-22 to 2023-24) by +9.1% a year and "
        "+13.9% a year: relative to theirs, its growth slowed by 7.0 points a year.")
    assert "no before-and-after comparison" in words.growth_sentence(growth().iloc[[1]], "Kent")
    assert words.growth_markdown(growth(), "Kent").endswith(words.growth_sentence(growth(), "Kent"))
    assert "Growth is the average annual change from the first year with data" in words.growth_markdown(growth(), "Kent")
