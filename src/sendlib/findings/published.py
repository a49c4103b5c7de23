"""What notebook 06 states about published figures against our data, built from the comparison
frame of :mod:`sendlib.analysis.published`: the tallies, counted apart by what an agreement
shows (never one number across kinds), the table a reviewer reads (the publisher's page linked
first, the page the quote was checked at after it), the rows that differ, and the source checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlsplit

import pandas as pd

from sendlib.analysis.published import (
    INDEPENDENCE,
    OURS_CURATED,
    OURS_DATA,
    OURS_PROJECTION,
    format_value,
)
from sendlib.analysis.reconcile import DIFFERENT, EXPLAINED, STATUSES
from sendlib.present.markup import escape
from sendlib.present.readable import markdown_table
from sendlib.validate import CheckResult, results_frame

#: Each independence class: its name in a tally, and what a MATCH in it shows.
CLASS_WORDS: dict[str, tuple[str, str]] = {
    "independent": ("independent checks", "another organisation's own computation (NAO, IFS, IfG, LGA, CCN and "
                                          "others, mostly from DfE's returns too): a match is agreement with an "
                                          "independent computation, not with independent data"),
    "official": ("official statistics reproduced", "DfE's or ESFA's own statistic from a collection we also read: "
                                                   "a match shows the pipeline reproduces it from the raw files"),
    "circular": ("consistency checks", "the published value and ours come from the same curated material (the "
                                       "dashboard file we read, the programme lists built from the same pages): a "
                                       "match only confirms transcription"),
    "model": ("forecasts and estimates", "set against our projection, not against outturn: a match shows our "
                                         "projection is in line with theirs, not that either is right"),
}
#: What our figure is, in words (no value: "none").
OURS_WORDS = {OURS_DATA: "our data", OURS_PROJECTION: "our projection", OURS_CURATED: "count of curated names",
              "": "none"}
#: A published unit in words.
UNIT_WORDS = {"GBP bn": "£bn", "GBP m": "£m", "GBP m per year": "£m a year", "GBP real": "£, real terms",
              "count": "count", "councils": "councils", "%": "%"}
HEADINGS = ("Figure", "Period", "Published", "Ours", "Ours is", "Difference", "Status", "Why", "Source")
NO_URL = "no URL found"


def _initial_capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def class_tally(counts: Mapping[str, int]) -> str:
    """"20 figures: 3 MATCH, 1 EXPLAINED, 4 DIFFERENT, 12 NOT COMPARABLE" (every status, in order)."""
    total = sum(counts.get(status, 0) for status in STATUSES)
    return f"{total} figure{'s' if total != 1 else ''}: " + ", ".join(
        f"{counts.get(status, 0)} {status}" for status in STATUSES)


def tally_markdown(by_class: Mapping[str, Mapping[str, int]]) -> str:
    """The notebook's opening: the number of figures, then one line per independence class with
    its own tally and what a match in it shows."""
    total = sum(sum(counts.values()) for counts in by_class.values())
    lines = [f"**{total} published figures**, counted apart by what agreement with each shows (the classes are "
             "never added up):", ""]
    for kind in INDEPENDENCE:
        name, meaning = CLASS_WORDS[kind]
        lines.append(f"- **{_initial_capital(name)}**, {class_tally(by_class.get(kind, {}))}. "
                     f"{_initial_capital(meaning)}.")
    return "\n".join(lines)


def tally_text(by_class: Mapping[str, Mapping[str, int]], n_rows: int | None = None) -> str:
    """The front page's sentence (plain text): the tally of each independence class, apart."""
    total = n_rows if n_rows is not None else sum(sum(counts.values()) for counts in by_class.values())
    parts = [f"{CLASS_WORDS[kind][0]}, {class_tally(by_class[kind])}" for kind in INDEPENDENCE if kind in by_class]
    return f"{total} published national figures set against our data, counted apart: " + "; ".join(parts) + "."


def _host(url: str) -> str:
    """The site of a URL, as a link's words ("www.nao.org.uk" -> "nao.org.uk")."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _href(url: str) -> str:
    return f"<{url.replace('<', '%3C').replace('>', '%3E')}>"


def _site_link(url: str) -> str:
    """A link to ``url`` whose words are its site."""
    return f"[{escape(_host(url))}]({_href(url)})"


def source_markdown(title: str, url: str, quote: str, publisher_url: str = "", quote_from: str = "") -> str:
    """Every source of a row ("A | B" cells split): the title linked to the publisher's own page
    (or to the page found, when the publisher's is not located), the quote, then "quote checked
    at" each page it was checked against that is not the publisher's, and the page found when it
    is neither."""
    parts = []
    columns = [text.split(" | ") for text in (url, quote, publisher_url, quote_from)]
    for position, one_title in enumerate(title.split(" | ")):
        one_url, one_quote, publisher, checked = (cells[position] if position < len(cells) else ""
                                                  for cells in columns)
        found = "" if one_url == NO_URL else one_url
        main = publisher or found
        text = f"[{escape(one_title)}]({_href(main)})" if main else f"{escape(one_title)} ({NO_URL})"
        if main and not publisher:
            text += " (the publisher's own page was not located)"
        text += f": “{escape(one_quote)}”" if one_quote else ""
        checked_at = [page for page in dict.fromkeys(checked.split()) if page != main]
        if checked_at:
            text += " quote checked at " + ", ".join(_site_link(page) for page in checked_at)
        if found and found not in {main, *checked.split()}:
            text += f" (also found at {_site_link(found)})"
        parts.append(text)
    return "<br>".join(parts)


def _difference(difference: float, unit: str) -> str:
    if not math.isfinite(difference):
        return ""
    return "inside" if difference == 0 else ("+" if difference > 0 else "") + format_value(difference, unit)


def comparison_markdown(comparison: pd.DataFrame) -> str:
    """The comparison as a Markdown table a reviewer reads: the published text in its unit
    (marked when the curator computed it), ours and what it is, the difference, the status, the
    reason, and each source (publisher first)."""
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    for r in comparison.itertuples():
        published = f"{r.published} ({UNIT_WORDS.get(r.unit, r.unit)})"
        published += ", computed by the curator" if r.derived == "yes" else ""
        ours = format_value(r.ours, r.unit) if math.isfinite(r.ours) else "none"
        cells = [r.series, r.period, published, ours, OURS_WORDS.get(r.ours_kind, r.ours_kind),
                 _difference(r.difference, r.unit), r.status, r.reason]
        cells = [escape(c) for c in cells] + [source_markdown(r.source_title, r.source_url, r.source_quote,
                                                              r.source_publisher_url, r.source_quote_from)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison_sections(comparison: pd.DataFrame) -> str:
    """One heading, what a match shows and the table per independence class (classes with no
    row left out)."""
    sections = []
    for kind in INDEPENDENCE:
        rows = comparison.loc[comparison["independence"] == kind]
        if rows.empty:
            continue
        name, meaning = CLASS_WORDS[kind]
        sections.append(f"### {_initial_capital(name)} ({len(rows)})\n\n{_initial_capital(meaning)}.\n\n"
                        + comparison_markdown(rows))
    return "\n\n".join(sections)


def status_lines(comparison: pd.DataFrame, status: str) -> str:
    """A Markdown list of the rows with ``status``: "- Figure (period): reason", or "none."."""
    rows = comparison[comparison["status"] == status]
    lines = [f"- {escape(r.series)} ({escape(r.period)}): {escape(r.reason)}" for r in rows.itertuples()]
    return "\n".join(lines) if lines else "none."


def differences_markdown(comparison: pd.DataFrame) -> str:
    """The rows that differ, unexplained, then those a measured difference explains."""
    return (f"**Different, unexplained:**\n{status_lines(comparison, DIFFERENT)}\n\n"
            f"**Explained by a measured difference:**\n{status_lines(comparison, EXPLAINED)}")


def checks_table(results: list[CheckResult]) -> pd.DataFrame:
    """The source QA results with human headings (FAIL first)."""
    return results_frame(results).rename(columns={"table": "Table", "check": "Check", "status": "Result",
                                                  "message": "Detail"})


def checks_markdown(results: list[CheckResult]) -> str:
    """The source QA results as a Markdown table: check, result, detail."""
    return markdown_table(checks_table(results)[["Check", "Result", "Detail"]])
