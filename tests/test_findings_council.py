"""The words and readable tables of the council profile (sendlib.findings.council) from hand-made
numbers: names and the heading, comparators, the headline summary with its small-number marks
and notes, ranks, spending, EHC plans, allocation, DSG balance, programmes and the projection
(the "Placement and process" words are in test_findings_council_placement.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import profile, small_numbers
from sendlib.analysis import standard_measures as sm
from sendlib.findings import council as words
from sendlib.present.readable import NO_DATA, format_gbp, format_pct
from test_analysis_profile import lookup, neighbours_frame, panel, projection_panel
from test_analysis_small_numbers import PANEL, YEARS
from test_analysis_standard_measures import BASE, LAST
from test_analysis_standard_measures import panel as measures_panel
from test_analysis_standard_measures import table as measure_table

NAMES = words.Names("Unit A", "Neighbours' average (3)", "neighbours")


# --- names, heading, comparators ------------------------------------------------------------------------


def test_names_and_the_comparators_heading():
    assert words.comparators_heading("stat_neighbours", 10) == "Statistical neighbours' average (10)"
    assert words.names("Camden", "region", 32) == words.Names("Camden", "Councils in the region' average (32)",
                                                              "councils in the region")


def test_describe_unit():
    merged = words.describe_unit(profile.council_unit(lookup(), "104"))
    assert merged.startswith("Delta North (104) is shown as its harmonised unit `m`, Delta, which joins "
                             "Delta North (104), Delta South (105)")
    assert "not the council alone" in merged
    assert words.describe_unit(profile.council_unit(lookup(), "101")) == (
        "Alpha (101) is its own harmonised unit (`101`): every figure is for the council alone.")


def test_council_heading_and_intro_link_the_data():
    council = profile.council_unit(lookup(), "101")
    heading = words.council_heading(council, "North East", "UA")
    assert heading.startswith("## Alpha (101)\n\nAlpha (101) is its own") and heading.endswith(
        "Region: North East; type: unitary authority.")
    intro = words.council_intro(council, {"region": "North East", "la_type": "UA"})
    assert intro.startswith(heading + "\n\n") and intro.endswith("(alpha_101_high_needs_data.zip).")


def test_data_zip_name_and_sentence() -> None:
    assert words.data_zip_name("Kingston upon Hull, City of", "810") == "kingston_upon_hull_810_high_needs_data"
    assert words.data_zip_name("St. Helens", "342") == "st_helens_342_high_needs_data"
    assert words.data_sentence("st_helens_342_high_needs_data").endswith(
        "[st\\_helens\\_342\\_high\\_needs\\_data.zip](st_helens_342_high_needs_data.zip).")


def test_comparators_table_sentence_and_heading():
    chosen = profile.select_comparators(panel(), "A", "stat_neighbours", 10, "2021-22", neighbours_frame())
    shown = words.comparators_frame(chosen, "stat_neighbours")
    assert shown.columns.tolist() == ["Rank", "Statistical neighbour", "Closeness", "Compared as", "Note"]
    assert shown.iloc[1].tolist() == ["2", "Bee North", "close", "Unit B", "stands for neighbours 902, 903"]
    assert words.comparators_table(chosen, "stat_neighbours").startswith("| Rank | Statistical neighbour |")
    results = {"region": "North", "la_type": "UA"}
    assert words.comparators_sentence("stat_neighbours", chosen, "2021", "2021-22", results) == (
        "Compared with DfE's statistical neighbours (2021 model, as in LAIT and the High Needs Benchmarking Tool): "
        "Unit D, Unit B. That is 2 units for the model's 10 neighbours: a neighbour inside the council's own "
        "harmonised unit is left out, and neighbours sharing a unit count once.")
    region = profile.select_comparators(panel().assign(unit_name="<b>x</b>, City of"), "A", "region", 10, "2021-22")
    assert words.comparators_sentence("region", region, "2025", "2021-22", results) == (
        "Compared with every other unit in North: &lt;b&gt;x&lt;/b&gt;, &lt;b&gt;x&lt;/b&gt;.")
    same_type = profile.select_comparators(panel(), "A", "la_type", 10, "2021-22")
    assert words.comparators_sentence("la_type", same_type, "2025", "2021-22", results) == (
        "Compared with every other unitary authority: Unit C, Unit D.")
    nearest = profile.select_comparators(panel(), "A", "nearest", 1, "2021-22")
    assert words.comparators_frame(nearest, "nearest").columns.tolist() == ["Council", "Distance (standardised)"]


# --- the headline summary and small numbers ------------------------------------------------------------


def test_headline_ranks_and_results_read_as_text():
    measures = measure_table().reset_index()
    headline = words.headline_frame(measures, "Unit A", "Neighbours' average (3)")
    assert list(headline.columns) == ["Measure", "Year", "Unit A", "Neighbours' average (3)", "England"]
    per_plan = headline.set_index("Measure").loc["High-needs spending per EHC plan"]
    assert (per_plan["Unit A"], per_plan["Neighbours' average (3)"]) == ("£25", "£35 (2 of 3 with data)")
    growth = headline.set_index("Measure").loc["Growth in high-needs spending since the base year (cash)"]
    assert growth["Unit A"] == "+100.0%" and growth["Year"] == "2017-18 to 2018-19"
    ranks = words.ranks_frame(measures, "neighbours").set_index("Measure")
    assert ranks.loc["High-needs spending per EHC plan", "Rank among neighbours"] == "3rd highest of 3"
    assert ranks.loc["High-needs spending per EHC plan", "National quartile"] == "bottom quarter (lowest)"
    assert "| Rank among neighbours |" in words.ranks_table(measures, NAMES)
    found = words.headline_results(sm.Headline(measures, sm.small_flags(measures_panel(), "A", measures)))
    entries = found["headline"]
    assert len(entries) == len(sm.STANDARD_MEASURES)
    assert entries[1] == {
        "measure": "High-needs spending per EHC plan", "key": "spend_per_ehcp_gbp", "year": LAST, "unit": "gbp",
        "value": 25.0, "neighbours": 35.0, "n_neighbours_with_value": 2, "england": pytest.approx(600 / 19),
        "value_text": "£25", "neighbours_text": "£35 (2 of 3 with data)", "england_text": "£32",
    }
    assert {flag["measure"] for flag in found["small_numbers"]} == set(measures.loc[measures["small"], "measure"])


def test_missing_values_say_why():
    notes = words.missing_notes(sm.measure_table(measures_panel(), "D", ["A"], BASE, LAST, "Unit D"), "Unit D")
    assert "High-needs spending per EHC plan: no data for Unit D (no complete high-needs spending for Unit D in " \
           "2018-19)." in notes


def test_flags_are_marked_beside_the_values_and_explained_in_one_note() -> None:
    flags = small_numbers.small_number_flags(PANEL, "420", YEARS)
    table = pd.DataFrame({"measure": ["spend_per_head_2_18_gbp", "dsg_balance_pct", "spend_per_ehcp_gbp"]})
    headline = pd.DataFrame({"Isles of Scilly": ["£1,059", "2.0%", "no data"]})
    marked = words.mark_small_numbers(headline, table, flags, "Isles of Scilly")
    assert marked["Isles of Scilly"].tolist() == ["£1,059 (small numbers)", "2.0%", "no data"]
    (note,) = words.small_numbers_notes(flags, "Isles of Scilly")
    assert note == ("Small numbers: Isles of Scilly had 11 EHC plans in 2017-18 (fewer than 500: by chance alone a "
                    "count that size moves by about 3 of them, 30%, a year). The values marked \"small numbers\" rest "
                    "on few cases: read them and their changes with care.")
    assert words.small_numbers_notes(flags.iloc[0:0], "x") == []


def test_each_count_is_named_once_with_what_one_case_does() -> None:
    rules = small_numbers.SMALL_COUNTS
    assert words.one_case_moves("chance", 100) == (
        "by chance alone a count that size moves by about 10 of them, 10%, a year")
    assert words.one_case_moves("share", 17) == "one more or fewer moves a share of them by 5.9 percentage points"
    assert words.one_case_moves("rate", 560) == "one child more or fewer moves a rate per 10,000 of them by 17.9"
    assert words.small_count_text(1, rules["issued_ex"], "2024") == (
        "1 plan issued (excluding exceptions) in 2024 (fewer than 30: one more or fewer moves a share of them by "
        "100.0 percentage points)")
    note = words.small_numbers_note("X", [(17, rules["plans"], "January 2025"), (57, rules["appealable"], "2024")])
    assert note.startswith("Small numbers: X had 17 EHC plans in force in January 2025 (fewer than 100: ")
    assert "points); and 57 appealable decisions in 2024 (fewer than 500: one more or fewer moves a share of " in note
    assert words.small_numbers_note("X", []) is None


def test_headline_table_marks_and_explains_small_numbers() -> None:
    table = pd.DataFrame({"measure": ["spend_per_head_2_18_gbp"], "label": ["High-needs spending per head aged 2-18"],
                          "unit": ["gbp"], "fy": ["2023-24"], "value": [1059.2], "comparators_mean": [700.0],
                          "n_comparators_with_value": [2], "n_comparators": [2], "england": [758.0], "note": [""]})
    flags = small_numbers.small_number_flags(PANEL, "420", {"spend_per_head_2_18_gbp": "2023-24"})
    names = words.Names("Isles of Scilly", "Neighbours' average (2)", "n")
    text = words.headline_table(sm.Headline(table, flags), names)
    row = "| High\\-needs spending per head aged 2\\-18 | 2023\\-24 | £1,059 \\(small numbers\\) | £700 | £758 |"
    assert row in text
    assert "Small numbers&#58; Isles of Scilly had 18 EHC plans in 2023\\-24" in text


def test_rank_and_quartile_in_words():
    assert [words.rank_text({"rank": r, "n_ranked": 12}) for r in (1, 2, 3, 4, 11, 12, 21)] == [
        "1st highest of 12", "2nd highest of 12", "3rd highest of 12", "4th highest of 12",
        "11th highest of 12", "12th highest of 12", "21st highest of 12"]
    assert words.rank_text({"rank": pd.NA, "n_ranked": 9}) == NO_DATA
    assert words.quartile_text({"quartile": 1}) == "top quarter (highest)"
    assert [words.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111, 148)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th", "148th"]


# --- spending, EHC plans, allocation, balance ---------------------------------------------------------


def test_formatting():
    assert format_gbp(50_294_758) == "£50.3m" and format_gbp(-4_935_833) == "-£4.9m"
    assert format_gbp(1.234e9) == "£1.23bn" and format_gbp(1204.84) == "£1,205"
    assert format_gbp(np.nan) == "not available"
    assert format_pct(0.7431) == "+74.3%" and format_pct(-0.02) == "-2.0%"
    assert format_pct(0.5, signed=False) == "50.0%" and format_pct(np.nan) == "not available"
    assert words.format_measure("spend_growth", 0.5) == "+50.0%"
    assert words.format_measure("spend_per_head_2_18_gbp", 1204.8) == "£1,205"
    assert words.format_measure("ehcp_per_10k_0_25", 201.81) == "201.8"
    assert words.format_measure("ehcp_per_10k_0_25", np.nan) == "not available"


def test_report_sentences():
    summary = {"spend_first_gbp": 28.8e6, "spend_last_gbp": 50.3e6, "spend_growth_cash": 0.744,
               "spend_growth_real": 0.35, "spend_per_head_2_18_gbp": 1204.8, "ehcp_first_count": 1241.0,
               "ehcp_last_count": np.nan, "ehcp_growth": np.nan, "ehcp_per_10k_0_25": 201.08,
               "first_fy": "2017-18", "last_fy": "2024-25", "level_fy": "2023-24"}
    assert words.spending_sentence(summary) == (
        "High-needs spending went from £28\\.8m in 2017\\-18 to £50\\.3m in 2024\\-25: \\+74\\.4% in cash and "
        "\\+35\\.0% in real terms. Spending per head aged 2-18 in 2023\\-24: £1,205.")
    assert words.ehcp_sentence(summary) == (
        "EHC plans went from 1,241 in January 2018 to not available in January 2025 (not available); in 2023\\-24 "
        "there were 201\\.1 plans per 10,000 aged 0-25.")
    assert words.allocation_sentence(profile.LatestAllocation(None, None, None), "Unit <A>") == (
        "No year has both an allocation and spending for Unit &lt;A&gt;.")
    assert words.allocation_sentence(profile.LatestAllocation("2023-24", 100.0e6, 90.0e6), "A") == (
        "In 2023\\-24, the latest year with both, S251 high-needs spending was £90\\.0m against an allocation of "
        "£100\\.0m (\\-10\\.0%).")
    rows = pd.DataFrame({"dsg_balance_gbp": [13.2e6], "dsg_balance_pct": [7.1]}, index=pd.Index(["2021-22"], name="fy"))
    balance = profile.DsgBalance(rows, "2021-22", 13.2e6, 7.1, 3, 148)
    assert words.balance_sentence(balance, "A") == (
        "At the end of 2021\\-22 the cumulative DSG balance was a deficit of £13\\.2m \\(7\\.1% of total DSG\\): "
        "ranked 3rd of 148 units by deficit as a share of total DSG (1st = the largest deficit).")
    none = profile.DsgBalance(rows.iloc[0:0], None, None, None, None, None)
    assert words.balance_sentence(none, "A") == "No DSG balance is available for A."
    assert words.balance_markdown(balance, "A").startswith(
        "| Year | Cumulative DSG balance \\(positive = deficit\\) | % of total DSG |")
    assert words.balance_markdown(balance, "A").endswith(words.balance_sentence(balance, "A"))


def test_balance_phrase():
    assert words.balance_phrase(13_205_538.7, 7.14) == "a deficit of £13.2m (7.1% of total DSG)"
    assert words.balance_phrase(-4_935_833.9, -0.70) == "a surplus of £4.9m (0.7% of total DSG)"
    assert words.balance_phrase(-5.0, np.nan) == "a surplus of £5"
    assert words.balance_phrase(0.0, 0.0) == "no balance"
    assert words.balance_phrase(np.nan, np.nan) == "not available"


# --- programmes and the projection ---------------------------------------------------------------------


def test_programme_summary():
    flags = {"dbv": True, "dbv_tranche": "tranche 1", "safety_valve": True, "safety_valve_year": "2021-22",
             "safety_valve_amount_gbp": 20e6, "case_study_2022": False}
    assert words.programme_summary(flags) == (
        "- Delivering Better Value: yes (tranche 1)\n- Safety Valve: yes (agreement 2021\\-22, £20\\.0m)\n"
        "- one of the ten 2022 case-study councils: not known to be one")
    none = {"dbv": False, "dbv_tranche": pd.NA, "safety_valve": False, "safety_valve_year": None,
            "safety_valve_amount_gbp": np.nan, "case_study_2022": True}
    assert words.programme_summary(none) == (
        "- Delivering Better Value: not on the known list\n- Safety Valve: not on the list\n"
        "- one of the ten 2022 case-study councils: yes")


def programme_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "la_code": ["101", "101"], "la_name": ["Alpha", "Alpha"], "programme": ["safety_valve", "case_study_2022"],
        "group": ["2022-23", "case study"], "amount_gbp": [np.nan, np.nan], "confidence": ["high", "low"],
        "source": ["s1", "s2"],
    })


def test_readable_tables_of_balance_and_programmes():
    rows = projection_panel(1e6).set_index("fy").assign(dsg_balance_pct=[np.nan, np.nan, 0.55, 1.5, np.nan, np.nan])
    assert words.balance_table(rows).values.tolist() == [["2020-21", "£5.0m", "0.6%"],
                                                         ["2021-22", "£15.0m", "1.5%"]]
    table = words.programme_table(programme_rows())
    assert table.columns.tolist() == ["Council", "Programme", "Group", "Amount", "Confidence", "Source"]
    assert table.values.tolist() == [["Alpha (101)", "Safety Valve", "2022-23", "no data", "high", "1"],
                                     ["Alpha (101)", "2022 case-study council", "case study", "not applicable", "low",
                                      "2"]]  # the sources listed under the table, numbered
    same = programme_rows().assign(source=["https://a.gov.uk/x_1.pdf (Annex A)"] * 2)
    assert words.programme_table(same)["Source"].tolist() == ["1", "1"]
    assert words.programme_table(same.assign(source=["", None]))["Source"].tolist() == ["none given"] * 2
    assert words.sources_markdown(same) == "Sources:\n\n1. [a\\.gov\\.uk](https://a.gov.uk/x_1.pdf) \\(Annex A\\)"
    assert words.sources_markdown(same.assign(source="")) == ""


def test_a_source_links_each_address_by_its_site_and_escapes_the_rest():
    assert words.source_markdown("See https://a.gov.uk/x_y.pdf. And (http://b.org/z).") == (
        "See [a\\.gov\\.uk](https://a.gov.uk/x_y.pdf)\\. And \\([b\\.org](http://b.org/z)\\)\\.")
    assert words.source_markdown("DfE <letter> of 2023") == "DfE &lt;letter&gt; of 2023"


def test_programmes_read_as_a_table_a_list_and_how_complete_the_lists_are():
    flags = {"dbv": False, "dbv_tranche": None, "safety_valve": True, "safety_valve_year": "2022-23",
             "safety_valve_amount_gbp": np.nan, "case_study_2022": True}
    known = {"dbv": 46, "safety_valve": 30, "case_study_2022": 1, "claimed_dbv": 55.0, "case_studies": ["Camden"]}
    assert words.known_lists_sentence(known) == (
        "The known DBV list names 46 of the 55 DBV councils (councils as they were in 2022); only 1 of the ten 2022 "
        "case-study councils (Camden) is public.")
    text = words.programmes_markdown(profile.CouncilProgrammes(programme_rows(), flags, known))
    assert text.startswith("| Council | Programme |") and "- Safety Valve: yes (agreement 2022\\-23)" in text
    assert "| Source |" in text and "\n\nSources:\n\n1. s1\n2. s2\n\n- Delivering Better Value" in text
    assert text.endswith(words.known_lists_sentence(known))
    alone = words.programmes_markdown(profile.CouncilProgrammes(programme_rows().iloc[0:0], flags, known))
    assert alone.startswith("No programme rows for this unit's councils.\n\n- Delivering Better Value")


def test_projection_table_for_reading():
    projection = profile.guidance_projection(projection_panel(1e6), "A", "2021-22", "2023-24", 0.05, 0.03)
    table = words.projection_table(projection)
    assert table["Year"].tolist() == ["2021-22", "2022-23", "2023-24"]
    assert table["Funding"].tolist() == ["£100.0m", "£110.0m", "£115.5m"]
    assert table["Spending"].tolist() == ["£106.5m", "£117.1m", "£128.8m"]
    assert table["DSG balance (positive = deficit)"].tolist()[0] == "£15.0m"
    assert table["Funding growth"].tolist() == ["no data", "+10.0%", "+5.0%"]
    assert table["Spending index (trend)"].tolist() == ["1.000", "1.100", "1.210"]
    assert table["Spending index (actual)"].tolist()[2] == "no data"
    assert words.projection_notes(projection) == [
        "Funding growth: none for 2021-22, the start year.",
        "Spending index (actual): no data for 2023-24 (not in the published data used here).",
    ]
    text = words.projection_markdown(projection)
    assert text.startswith("| Year | Funding |") and "Funding growth&#58; none for 2021\\-22" in text


def test_projection_findings():
    outlook = profile.projection_summary(profile.guidance_projection(projection_panel(1e6), "A", "2021-22", "2023-24",
                                                                     0.05, 0.03))
    text = words.projection_findings(outlook, "Unit A", 0.05)
    assert text.startswith("With funding growing +10.0% in 2022-23 (actual), +5.0% in 2023-24, and spending "
                           "growing at its own trend of +10.0% a year, the cumulative DSG balance would go from "
                           "a deficit of £15.0m (1.5% of total DSG) at the end of 2021-22 to a deficit of ")
    assert text.endswith("What happened: the allocation grew +4.5% in 2023-24 against +5.0% assumed and S251 "
                         "high-needs spending grew +12.7% from 2021-22 to 2022-23 against +10.0% on its trend.")
    missing = {**outlook, "balance_end_gbp": np.nan, "actual_funding_growth_first_assumed": np.nan,
               "actual_spend_fy": None}
    assert words.projection_findings(missing, "Unit A", 0.05) == (
        "No projection for Unit A: its start-year allocation or DSG balance is not available.")
