"""Notebook 06's sentences and tables, on hand-made comparison rows."""

import math

import pandas as pd
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from sendlib import validate
from sendlib.analysis import published
from sendlib.analysis.reconcile import DIFFERENT, EXPLAINED, MATCH, NOT_COMPARABLE
from sendlib.findings import published as words
from sendlib.present import frontpage

URL = "https://example.org/a?b=1&c=2"
REPOST = "https://www.repost.example/k"
BY_CLASS = {
    "independent": {MATCH: 3, EXPLAINED: 1, DIFFERENT: 4, NOT_COMPARABLE: 12},
    "official": {MATCH: 15, EXPLAINED: 2, DIFFERENT: 2, NOT_COMPARABLE: 8},
    "circular": {MATCH: 9, EXPLAINED: 0, DIFFERENT: 1, NOT_COMPARABLE: 7},
    "model": {MATCH: 2, EXPLAINED: 0, DIFFERENT: 3, NOT_COMPARABLE: 5},
}


def rows(*records: dict) -> pd.DataFrame:
    """Comparison rows: every column of published.COMPARISON_COLUMNS, blanks and NaN unless given."""
    numeric = {"row", "interval_low", "interval_high", "ours", "difference"}
    base = {column: (math.nan if column in numeric else "") for column in published.COMPARISON_COLUMNS}
    return pd.DataFrame([{**base, **record} for record in records], columns=published.COMPARISON_COLUMNS)


def example() -> pd.DataFrame:
    return rows(
        {"row": 2, "series": "EHC plans in force", "period": "Jan 2023", "published": "1003", "unit": "count",
         "ours": 1000.0, "difference": -2.5, "status": EXPLAINED, "reason": "ours 1,000 is 2.5 below", "ours_kind": "data",
         "source_title": "A report", "source_url": URL, "source_quote": "the figure is 5", "source_publisher_url": URL,
         "source_quote_from": REPOST, "independence": "official", "derived": "no"},
        {"row": 3, "series": "DBV councils", "period": "23 Jun 2022", "published": "55", "unit": "councils",
         "ours": 54.0, "difference": -1.0, "status": NOT_COMPARABLE, "reason": "names missing",
         "ours_kind": "curated names", "source_title": "MISSING: no source entry found", "independence": "circular",
         "derived": "yes"},
        {"row": 4, "series": "Cumulative DSG deficit", "period": "2027 (forecast)", "published": "over 8",
         "unit": "GBP bn", "ours": 7.5, "difference": -0.5, "status": DIFFERENT, "reason": "ours £7.500bn is below",
         "ours_kind": "projection", "source_title": "IFS | Lost", "source_url": f"{REPOST} | no URL found",
         "source_quote": "over £8 billion | ", "source_publisher_url": " | ", "source_quote_from": f"{REPOST} | ",
         "independence": "model", "derived": "no"},
    )


def test_tally_lines_keep_the_classes_apart():
    assert words.class_tally(BY_CLASS["independent"]) == "20 figures: 3 MATCH, 1 EXPLAINED, 4 DIFFERENT, 12 NOT COMPARABLE"
    text = words.tally_markdown(BY_CLASS)
    assert text.startswith("**74 published figures**")
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert [line.split("**")[1] for line in lines] == [
        "Independent checks", "Official statistics reproduced", "Consistency checks", "Forecasts and estimates"]
    assert "27 figures: 15 MATCH, 2 EXPLAINED, 2 DIFFERENT, 8 NOT COMPARABLE" in lines[1]
    assert "29 MATCH" not in text and "MATCH" not in text.split("\n")[0]  # no MATCH count across classes


def test_front_page_sentence_gives_each_class_apart():
    results = {"n_rows": 74, "status_counts_by_independence": BY_CLASS,
               "status_counts": {MATCH: 29, EXPLAINED: 3, DIFFERENT: 10, NOT_COMPARABLE: 32}}
    assert frontpage.published_finding(results) == (
        "74 published national figures set against our data, counted apart: independent checks, 20 figures: "
        "3 MATCH, 1 EXPLAINED, 4 DIFFERENT, 12 NOT COMPARABLE; official statistics reproduced, 27 figures: 15 MATCH, "
        "2 EXPLAINED, 2 DIFFERENT, 8 NOT COMPARABLE; consistency checks, 17 figures: 9 MATCH, 0 EXPLAINED, "
        "1 DIFFERENT, 7 NOT COMPARABLE; forecasts and estimates, 10 figures: 2 MATCH, 0 EXPLAINED, 3 DIFFERENT, "
        "5 NOT COMPARABLE.")
    assert frontpage.status_tally(results) == BY_CLASS
    # results.json written before the classes existed: no sentence rather than one mixed tally
    assert frontpage.published_finding({"n_rows": 63, "status_counts": results["status_counts"]}) is None
    assert frontpage.status_tally({"status_counts_by_independence": {"official": "many"}}) == {}


def test_markdown_links_the_publisher_first_and_the_repost_as_quote_checked_at():
    table = words.comparison_markdown(example())
    assert table.splitlines()[0] == "| Figure | Period | Published | Ours | Ours is | Difference | Status | Why | Source |"
    first, second, third = table.splitlines()[2:]
    assert f"[A report](<{URL}>): “the figure is 5” quote checked at [repost\\.example](<{REPOST}>)" in first
    assert "| 1,000 | our data | \\-2\\.5 | EXPLAINED |" in first
    assert "55 \\(councils\\), computed by the curator | 54 | count of curated names |" in second
    assert "MISSING&#58; no source entry found (no URL found)" in second
    assert f"[IFS](<{REPOST}>) (the publisher's own page was not located): “over £8 billion”" in third
    assert "<br>Lost (no URL found)" in third and "our projection" in third
    moved = words.source_markdown("T", "http://a.example/x", "q", "https://a.example/x", "https://a.example/x")
    assert moved == "[T](<https://a.example/x>): “q” (also found at [a\\.example](<http://a.example/x>))"
    assert "nan" not in table.lower()
    rendered = markdown2html_mistune(table)
    assert rendered.count("<tr>") == 4 and f'<a href="{URL.replace("&", "&amp;")}">A report</a>' in rendered


def test_sections_by_class_and_difference_lists():
    sections = words.comparison_sections(example())
    assert [line for line in sections.splitlines() if line.startswith("###")] == [
        "### Official statistics reproduced (1)", "### Consistency checks (1)", "### Forecasts and estimates (1)"]
    lines = words.status_lines(example(), EXPLAINED).splitlines()
    assert lines == ["- EHC plans in force (Jan 2023): ours 1,000 is 2\\.5 below"]
    assert words.status_lines(example().iloc[:1], DIFFERENT) == "none."
    assert words.differences_markdown(example()).startswith("**Different, unexplained:**\n- Cumulative DSG deficit")


def test_checks_table_and_markdown():
    figures = pd.DataFrame({"row": [2], "source_key": ["K"]})
    sources = pd.DataFrame({"source_key": ["K"], "url": [URL]})
    checks = published.check_source_keys(figures, sources)
    table = words.checks_table(checks)
    assert table.columns.tolist() == ["Table", "Check", "Result", "Detail"] and set(table["Result"]) == {validate.PASS}
    assert words.checks_markdown(checks).splitlines()[0] == "| Check | Result | Detail |"
