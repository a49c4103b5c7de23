"""Our figures beside every published national figure in data/reference/published_figures.csv,
each with a status (:mod:`sendlib.analysis.reconcile`), a reason built from numbers, and its source.

Each published row (series, period, value text, unit) is mapped to one computation over the
processed tables, or to the reason it cannot be compared (and what data would make it so):

- EHC plans in force, January Y: ``ehcp_national`` (DfE SEN2). When ours comes from a release
  later than January Y's own, a difference beyond the published rounding is EXPLAINED as a
  later revision, sized.
- High needs funding, FY: national high-needs block BEFORE deductions (``hnb_allocation``, the
  last in-year update of each year). An increase is the difference of two such totals.
  Measured definition differences come from the block's factor columns in the ESFA workbooks
  (:data:`FACTOR_ADJUSTMENTS`): e.g. the 2021-22 block has a hospital-education / AP teachers'
  pay and pension factor the 2020-21 block lacks, and the 2023-24 block includes the
  "additional high needs allocation" added after the July 2022 announcement.
- Planned high-needs spend (S251 budget lines): ``hn_benchmarking`` budget excluding place
  funding, the place funding of the same budget quoted.
- Spending minus funding: ``hn_benchmarking`` outturn including place funding minus the
  high-needs block after deductions (FY2021-22 only).
- Cumulative DSG deficit: the GROSS deficit, the sum of POSITIVE cumulative balances
  (``dsg_balance``, LAs in deficit), the net total quoted; councils in deficit = positive
  balances; forecasts beside the gross deficit of our notebook-04 projection
  (:data:`PROJECTION_SETTINGS`).
- Cumulative DSG deficit of a ``model`` row (a forecast or an in-year estimate): our projection.
- Plans issued within 20 weeks (calendar year): the SEN2 timeliness tables (``timeliness_national``,
  else the sum of ``timeliness``), read when the clean step has built them.
- Share of councils overspending: outturn including place funding (High Needs Benchmarking
  Tool) above the high-needs block after deductions.
- Funding per EHC plan, real-terms change: the high-needs block before deductions over the EHC
  plans of the FY's January, in constant prices (GDP deflator).
- Survey estimates and figures on another definition are NOT COMPARABLE, ours quoted.

Each published row carries ``independence`` (:data:`INDEPENDENCE`): what an agreement shows
(another organisation's computation, an official statistic reproduced, a consistency check on
the same curated material, or a forecast set against our projection); the tallies are counted
apart by it (:func:`status_counts_by_independence`). Each figure of ours says what it is
(``ours_kind``: our data, our projection, or a count of curated names).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib import config
from sendlib.analysis import reconcile
from sendlib.analysis.reconcile import DIFFERENT, EXPLAINED, MATCH, NOT_COMPARABLE, STATUSES, Interval
from sendlib.errors import SourceFormatError
from sendlib.readers.common import require_columns, require_file
from sendlib.validate import ADVISORY, FAIL, PASS, CheckResult
from sendlib.years import fy_label, fy_start

__all__ = ["MATCH", "EXPLAINED", "DIFFERENT", "NOT_COMPARABLE", "STATUSES"]

PUBLISHED_COLUMNS = ["series", "period", "value", "unit", "basis", "source_key", "confidence", "independence",
                     "derived"]
SOURCE_COLUMNS = ["source_key", "title", "publisher", "date", "url", "quote", "found", "publisher_url", "quote_from",
                  "note"]
#: What an agreement with a published row shows, in the order reports list them: another
#: organisation's own computation; DfE's or ESFA's statistic from a collection we read (the
#: pipeline reproduces it); a value made from the same curated material as ours (transcription
#: only); a forecast or in-year estimate (set against our projection, not outturn).
INDEPENDENCE = ("independent", "official", "circular", "model")
DERIVED = ("yes", "no")
#: What our figure is: computed from the processed tables, taken from our projection, or a
#: count of names in the curated programme lists.
OURS_DATA, OURS_PROJECTION, OURS_CURATED = "data", "projection", "curated names"
PUBLISHED_SOURCES_CSV = config.REFERENCE_DIR / "published_sources.csv"
#: Published unit -> GBP or count per unit.
UNIT_SCALE: dict[str, float] = {"count": 1.0, "councils": 1.0, "%": 1.0, "GBP bn": 1e9, "GBP m": 1e6,
                                "GBP m per year": 1e6, "GBP real": 1.0}
#: Units whose whole numbers are exact (a count of councils "20" is not "about 20").
EXACT_UNITS = frozenset({"councils"})
#: The processed tables the comparison reads.
REQUIRED_TABLES = ("ehcp_national", "hnb_allocation", "dsg_balance", "hn_benchmarking", "hn_spend", "deflator",
                   "panel")
#: Processed tables read when the clean step has built them (the SEN2 timeliness tables).
OPTIONAL_TABLES = ("timeliness", "timeliness_national")
COMPARISON_COLUMNS = [
    "row", "series", "period", "published", "unit", "interval_low", "interval_high", "ours", "difference",
    "status", "reason", "ours_kind", "our_basis", "published_basis", "source_key", "source_title", "source_url",
    "source_quote", "source_publisher_url", "source_quote_from", "confidence", "independence", "derived",
]  # fmt: skip
_NUMERIC_COLUMNS = ("interval_low", "interval_high", "ours", "difference")
HNB_BEFORE = "hnb_before_deductions_gbp"
HNB_AFTER = "hnb_after_deductions_gbp"
NO_SOURCE = "no source entry found"
#: Notebook 04's default projection (its parameters cell), used for the forecast rows.
PROJECTION_SETTINGS = {"start_fy": "2021-22", "horizon": 6, "spend_rule": "own_trend", "trend_years": 3,
                       "gap_basis": "observed", "backtest_base_fy": "2022-23", "funding_growth_first": 0.05,
                       "funding_growth_after": 0.03}
#: (series, period) -> the block factor whose change is a measured definition difference:
#: (FY whose block has it, label pattern, the earlier FY compared, or None for a level).
FACTOR_ADJUSTMENTS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("High needs funding increase", "2021-22"): ("2021-22", r"^hospital education", "2020-21"),
    ("High needs funding increase", "2021-22 to 2023-24"): ("2023-24", r"^additional high needs allocation", "2021-22"),
    ("High needs funding", "2023-24"): ("2023-24", r"^additional high needs allocation", None),
}
_FORECAST = re.compile(r"\b(forecast|projection)\b", re.IGNORECASE)
_SURVEY = re.compile(r"\bsurvey\b", re.IGNORECASE)
_NOTE = re.compile(r"\s*\([^)]*\)")
_JANUARY = re.compile(r"^jan(?:uary)?\s+(\d{4})$", re.IGNORECASE)
_FY = re.compile(r"^(?:end\s+)?(\d{4}-\d{2})$", re.IGNORECASE)
_MARCH = re.compile(r"^(?:end\s+)?mar(?:ch)?\s+(\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_SPAN = re.compile(r"^(\d{4})\s*-\s*(\d{4})$")
_FY_SPAN = re.compile(r"^(\d{4}-\d{2})\s+to\s+(\d{4}-\d{2})$")
_FY_ARROW = re.compile(r"^(\d{4}-\d{2})\s*(?:->|→)\s*(\d{4}-\d{2})$")
_RELEASE_YEAR = re.compile(r"_(\d{4})\.zip")


@dataclass(frozen=True)
class Adjustment:
    """A measured reason for a difference: ours minus ``amount`` (GBP or count) is on the
    published basis; ``label`` says what the amount is, in words taken from the data."""

    label: str
    amount: float


@dataclass(frozen=True)
class OurFigure:
    """Our value (GBP or count; None when we have none), how it was computed, a measured
    adjustment if one applies, and, when the two cannot be compared, why (ours may still be
    given for reference); ``kind``: what the value is (OURS_DATA, OURS_PROJECTION, OURS_CURATED)."""

    value: float | None
    basis: str
    adjustment: Adjustment | None = None
    not_comparable: str | None = None
    kind: str = OURS_DATA


Rule = Callable[[pd.Series, Mapping[str, pd.DataFrame]], OurFigure]


# --- reading --------------------------------------------------------------------------------


def _read_reference(path: Path, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, columns, path)
    return frame[columns].apply(lambda column: column.str.strip())


def _require_values(frame: pd.DataFrame, column: str, allowed: tuple[str, ...] | list[str], path: Path) -> None:
    """A SourceFormatError naming each line whose ``column`` is not one of ``allowed``."""
    unknown = frame.index[~frame[column].isin(list(allowed))]
    if len(unknown):
        lines = [f"line {i + 2}: {frame.at[i, column]!r}" for i in unknown]
        raise SourceFormatError(path, f"unknown {column} {lines}; expected one of {list(allowed)}")


def read_published_figures(path: Path = config.PUBLISHED_FIGURES_CSV) -> pd.DataFrame:
    """The published figures as text, with ``row`` = the line number in the CSV (header = line 1).
    A unit other than those of UNIT_SCALE, an ``independence`` other than INDEPENDENCE or a
    ``derived`` other than yes/no is a SourceFormatError naming the line."""
    frame = _read_reference(path, PUBLISHED_COLUMNS)
    for column, allowed in (("unit", list(UNIT_SCALE)), ("independence", INDEPENDENCE), ("derived", DERIVED)):
        _require_values(frame, column, allowed, path)
    frame.insert(0, "row", np.arange(2, len(frame) + 2))
    return frame.reset_index(drop=True)


def read_published_sources(path: Path = PUBLISHED_SOURCES_CSV) -> pd.DataFrame:
    """The sources of the published figures (one row per ``source_key``), as text."""
    return _read_reference(path, SOURCE_COLUMNS)


def source_keys(text: str) -> list[str]:
    """The keys of a ``source_key`` cell ("A;B" -> ["A", "B"])."""
    return [key.strip() for key in text.split(";") if key.strip()]


def check_source_keys(figures: pd.DataFrame, sources: pd.DataFrame) -> list[CheckResult]:
    """QA of the sources: FAIL when a figure's source key has no entry (or keys repeat), ADVISORY
    for entries with no URL (the source was not located), else PASS."""
    table = "published_figures"
    duplicated = sources["source_key"][sources["source_key"].duplicated()].tolist()
    known = set(sources["source_key"])
    missing = {f"line {row} {key}" for row, text in zip(figures["row"], figures["source_key"])
               for key in source_keys(text) or [""] if key not in known}
    no_url = sorted({key for text in figures["source_key"] for key in source_keys(text)
                     if key in known} & set(sources.loc[sources["url"] == "", "source_key"]))
    results = [
        CheckResult(table, "every source key has an entry", FAIL if missing else PASS,
                    f"no entry in published_sources.csv for: {', '.join(sorted(missing))}" if missing
                    else f"{len(figures)} rows, every key found"),
        CheckResult("published_sources", "source keys unique", FAIL if duplicated else PASS,
                    f"repeated: {', '.join(duplicated)}" if duplicated else f"{len(sources)} keys"),
        CheckResult(table, "every source has a URL", ADVISORY if no_url else PASS,
                    f"not located (no URL): {', '.join(no_url)}" if no_url else "every cited source has a URL"),
    ]
    return results


def source_columns(text: str, sources: pd.DataFrame) -> dict[str, str]:
    """Title, URL, quote, publisher's page and the page(s) the quote was checked at of a
    ``source_key`` cell (several keys joined with " | "; several quote pages of one key with a
    space); a key with no entry, or an entry with no URL, says so."""
    by_key = sources.set_index("source_key")
    titles, urls, quotes, publishers, checked = [], [], [], [], []
    for key in source_keys(text):
        if key not in by_key.index:
            titles.append(f"{key}: {NO_SOURCE}"); urls.append(""); quotes.append("")  # fmt: skip
            publishers.append(""); checked.append("")  # fmt: skip
            continue
        entry = by_key.loc[key]
        titles.append(entry["title"])
        urls.append(entry["url"] or "no URL found")
        quotes.append(entry["quote"] + (f" [{entry['note']}]" if entry["note"] else ""))
        publishers.append(entry["publisher_url"])
        checked.append(" ".join(url.strip() for url in entry["quote_from"].split("|") if url.strip()))
    return {"source_title": " | ".join(titles) or NO_SOURCE, "source_url": " | ".join(urls),
            "source_quote": " | ".join(quotes), "source_publisher_url": " | ".join(publishers),
            "source_quote_from": " | ".join(checked)}


# --- periods ----------------------------------------------------------------------------------


def period_january(period: str) -> int | None:
    """"Jan 2024" -> 2024; None for any other period."""
    match = _JANUARY.match(period.strip())
    return int(match.group(1)) if match else None


def period_fy(period: str) -> str | None:
    """The financial year a period names, notes in brackets ignored: "2021-22", "end 2021-22" ->
    "2021-22"; "Mar 2022", "end Mar 2022" and a bare "2022" -> "2021-22" (the year ending that
    March); None otherwise."""
    text = _NOTE.sub("", period).strip()
    if match := _FY.match(text):
        return fy_label(fy_start(match.group(1)))
    if match := _MARCH.match(text) or _YEAR.match(text):
        return fy_label(int(match.group(1)) - 1)
    return None


def period_fys(period: str) -> list[str]:
    """Every financial year a period covers: one for "2021-22" / "Mar 2022", the FYs starting in
    [a, b) for a calendar span "a-b" ("2018-2022" -> 2018-19..2021-22), else none."""
    single = period_fy(period)
    if single is not None:
        return [single]
    if match := _YEAR_SPAN.match(period.strip()):
        return [fy_label(year) for year in range(int(match.group(1)), int(match.group(2)))]
    return []


def period_fy_pair(period: str) -> tuple[str, str] | None:
    """(earlier, later) FY of an increase: "2021-22" -> ("2020-21", "2021-22"); "2021-22 to
    2023-24" -> ("2021-22", "2023-24"); None otherwise."""
    if match := _FY_SPAN.match(period.strip()):
        return match.group(1), match.group(2)
    fy = period_fy(period)
    return (fy_label(fy_start(fy) - 1), fy) if fy else None


def period_fy_change(period: str) -> tuple[str, str] | None:
    """(first, last) FY of a change written "2015-16 -> 2024-25"; None otherwise."""
    match = _FY_ARROW.match(period.strip())
    return (match.group(1), match.group(2)) if match else None


def period_calendar_year(period: str) -> int | None:
    """The calendar year of a flow ("2024", notes in brackets ignored) -> 2024; None otherwise."""
    match = _YEAR.match(_NOTE.sub("", period).strip())
    return int(match.group(1)) if match else None


# --- formatting and reasons -------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """A value in a published unit as a person reads it ("£9.952bn", "£675.4m", "576,474", "58.6%")."""
    if not math.isfinite(value):
        return "none"
    sign = "-" if value < 0 else ""
    size = abs(value)
    return {
        "GBP bn": f"{sign}£{size:,.3f}bn", "GBP m": f"{sign}£{size:,.1f}m", "GBP m per year": f"{sign}£{size:,.1f}m",
        "GBP real": f"{sign}£{size:,.0f}", "%": f"{value:.1f}%",
    }.get(unit, f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}")  # fmt: skip


def _gap_words(gap: float, interval: Interval, unit: str) -> str:
    where = "below" if gap < 0 else "above"
    return f"{format_value(abs(gap), unit)} {where} the published interval ({interval.description})"


def reason_text(ours: float, intervals: list[Interval], unit: str, adjustment: Adjustment | None = None,
                adjusted: float | None = None) -> str:
    """Why ours has its status, in numbers: inside which interval, or how far outside, and what
    the measured adjustment (``adjustment``, ``adjusted`` = ours minus it, both in ``unit``) leaves."""
    interval, gap = reconcile.nearest(ours, intervals)
    if gap == 0:
        return f"ours {format_value(ours, unit)} lies inside: {interval.description}"
    text = f"ours {format_value(ours, unit)} is {_gap_words(gap, interval, unit)}"
    if adjustment is None or adjusted is None:
        return text
    _, left = reconcile.nearest(adjusted, intervals)
    amount = format_value(ours - adjusted, unit)
    after = "inside" if left == 0 else f"still {_gap_words(left, interval, unit)}"
    return f"{text}; {adjustment.label} accounts for {amount}: without it ours is {format_value(adjusted, unit)}, {after}"


# --- our figures, one rule per kind of published series ---------------------------------------


def _no_data(what: str, period: str, available: list[str], needed: str) -> OurFigure:
    span = "no year" if not available else (
        f"{available[0]} only" if len(available) == 1 else f"{available[0]} to {available[-1]}")
    return OurFigure(None, "", not_comparable=f"no data for {period}: {what} covers {span}; {needed} would make "
                                              "it comparable")


def _release_year(source: str) -> int | None:
    match = _RELEASE_YEAR.search(source)
    return int(match.group(1)) if match else None


def ehcp_in_force(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """EHC plans in force in January (national SEN2 total); from a later release, the difference
    from the published figure is offered as a later revision."""
    national = tables["ehcp_national"]
    januaries = sorted(int(j) for j in national["january"])
    january = period_january(row["period"])
    if january is None or january not in januaries:
        return _no_data("SEN2", row["period"], [f"Jan {j}" for j in januaries], f"the SEN2 release for {row['period']}")
    found = national.loc[national["january"] == january].iloc[0]
    value, release = float(found["ehcp_count"]), _release_year(str(found["source"]))
    basis = f"DfE SEN2 national total, January {january}, from {found['source']}"
    if release is None or release <= january or not math.isfinite(value):
        return OurFigure(value, basis)
    try:
        interval, _ = reconcile.nearest(value, reconcile.published_interval(row["value"]))
    except ValueError:
        return OurFigure(value, basis)
    label = f"a later revision (ours is from the {release} release, the figure from January {january}'s)"
    return OurFigure(value, basis, Adjustment(label, value - (interval.low + interval.high) / 2))


def _allocation_total(tables: Mapping[str, pd.DataFrame], fy: str) -> tuple[float, float, int] | None:
    """(before deductions, after deductions, number of LAs) summed over LAs for ``fy``, or None."""
    rows = tables["hnb_allocation"].loc[lambda f: f["fy"] == fy]
    if rows.empty:
        return None
    return float(rows[HNB_BEFORE].sum()), float(rows[HNB_AFTER].sum()), len(rows)


def _allocation_fys(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    return sorted(tables["hnb_allocation"]["fy"].unique())


def _factor(factors: pd.DataFrame, fy: str, pattern: str) -> tuple[str, float] | None:
    """(label, England value) of the block factor of ``fy`` whose label matches ``pattern``."""
    rows = factors[(factors["fy"] == fy) & factors["label"].str.lower().str.contains(pattern, regex=True)]
    return (rows["label"].iat[0], float(rows["england_value"].iat[0])) if len(rows) == 1 else None


def factor_adjustment(factors: pd.DataFrame, fy: str, pattern: str, earlier: str | None) -> Adjustment | None:
    """The measured size of a block factor: its value in ``fy`` (for a level), or its change
    since ``earlier`` (0 there when the earlier block has no such factor); None without it."""
    found = _factor(factors, fy, pattern)
    if found is None or (earlier is not None and earlier not in set(factors["fy"])):
        return None
    label, value = found
    if earlier is None:
        return Adjustment(f"the block factor '{label}' (FY{fy})", value)
    before = _factor(factors, earlier, pattern)
    if before is None:
        return Adjustment(f"the block factor '{label}', in FY{fy} and absent from the FY{earlier} block", value)
    return Adjustment(f"the change in the block factor '{label}' from FY{earlier} to FY{fy}", value - before[1])


def _funding_adjustment(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> Adjustment | None:
    spec = FACTOR_ADJUSTMENTS.get((row["series"], row["period"]))
    factors = tables.get("hnb_factors")
    return factor_adjustment(factors, *spec) if spec and factors is not None else None


def high_needs_funding(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """National high-needs block before deductions for the row's FY."""
    fy = period_fy(row["period"])
    total = _allocation_total(tables, fy) if fy else None
    if total is None:
        return _no_data("the high-needs block (ESFA DSG allocations)", row["period"], _allocation_fys(tables),
                        f"the DSG allocations for {row['period']}")
    before, after, n_las = total
    basis = (f"high-needs block before deductions, sum of {n_las} LAs, FY{fy}, last in-year update "
             f"(after academy/FE place deductions: £{after / 1e9:.3f}bn)")
    return OurFigure(before, basis, _funding_adjustment(row, tables))


def high_needs_funding_increase(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Cash increase of the national high-needs block (before deductions) between two FYs."""
    pair = period_fy_pair(row["period"])
    start, end = (_allocation_total(tables, fy) for fy in pair) if pair else (None, None)
    if start is None or end is None:
        return _no_data("the high-needs block (both years needed)", row["period"], _allocation_fys(tables),
                        f"the DSG allocations for {row['period']} and the year before")
    basis = (f"high-needs block before deductions FY{pair[1]} minus FY{pair[0]} (£{end[0] / 1e9:.3f}bn - "
             f"£{start[0] / 1e9:.3f}bn, +{end[0] / start[0] - 1:.1%}); last in-year updates")
    return OurFigure(end[0] - start[0], basis, _funding_adjustment(row, tables))


def _benchmarking(tables: Mapping[str, pd.DataFrame], stage: str, line: str, fy: str | None = None) -> pd.DataFrame:
    table = tables["hn_benchmarking"]
    rows = table.loc[(table["stage"] == stage) & (table["line"] == line)]
    return rows if fy is None else rows.loc[rows["fy"] == fy]


def place_funding(tables: Mapping[str, pd.DataFrame], stage: str) -> tuple[str, float] | None:
    """(FY, national place funding) of the High Needs Benchmarking Tool at ``stage``."""
    rows = _benchmarking(tables, stage, "place_funding_total")
    if rows.empty:
        return None
    fy = rows["fy"].max()
    return fy, float(rows.loc[rows["fy"] == fy, "value_gbp"].sum())


def planned_high_needs_spend(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """S251 budget high-needs lines excluding place funding (High Needs Benchmarking Tool)."""
    fy = period_fy(row["period"])
    rows = _benchmarking(tables, "budget", "high_needs_total_excl_place_funding", fy)
    if rows.empty:
        fys = sorted(_benchmarking(tables, "budget", "high_needs_total_excl_place_funding")["fy"].unique())
        return _no_data("the S251 budget (High Needs Benchmarking Tool)", row["period"], fys,
                        f"the S251 budget for {row['period']}")
    places = float(_benchmarking(tables, "budget", "place_funding_total", fy)["value_gbp"].sum())
    basis = (f"S251 budget high-needs lines excluding place funding, sum of {len(rows)} LAs, FY{fy} (High Needs "
             f"Benchmarking Tool); place funding in the same budget: £{places / 1e9:.3f}bn")
    return OurFigure(float(rows["value_gbp"].sum()), basis)


def _outturn_over_allocation(tables: Mapping[str, pd.DataFrame], fy: str) -> pd.Series:
    """Per LA known in both (index la_code): high-needs outturn including place funding (High
    Needs Benchmarking Tool) minus the high-needs block after deductions in ``fy``."""
    outturn = _benchmarking(tables, "outturn", "high_needs_total", fy)
    allocation = tables["hnb_allocation"].loc[lambda f: f["fy"] == fy]
    both = outturn.merge(allocation, on="la_code", how="inner").dropna(subset=["value_gbp", HNB_AFTER])
    return (both["value_gbp"] - both[HNB_AFTER]).set_axis(both["la_code"])


def _outturn_fys(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The FYs with outturn including place funding (High Needs Benchmarking Tool)."""
    return sorted(_benchmarking(tables, "outturn", "high_needs_total")["fy"].unique())


def _spend_minus_funding(tables: Mapping[str, pd.DataFrame], fy: str) -> tuple[float, int] | None:
    """Outturn including place funding minus HNB after deductions, over LAs in both, or None."""
    gaps = _outturn_over_allocation(tables, fy)
    return (float(gaps.sum()), len(gaps)) if len(gaps) else None


def spending_minus_funding(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """High-needs outturn (with place funding) minus high-needs block after deductions; over a
    span of years, the mean over the years we have (and which those are)."""
    wanted = period_fys(row["period"])
    found = {fy: result for fy in wanted if (result := _spend_minus_funding(tables, fy)) is not None}
    if not found:
        return _no_data("high-needs outturn including place funding (High Needs Benchmarking Tool)", row["period"],
                        _outturn_fys(tables), f"outturn including place funding for {row['period']}")
    parts = ", ".join(f"FY{fy} £{gap / 1e6:,.0f}m ({n} LAs)" for fy, (gap, n) in found.items())
    covered = "" if len(found) == len(wanted) else f"; years with data: {len(found)} of {len(wanted)}"
    basis = (f"high-needs outturn including place funding (High Needs Benchmarking Tool) minus high-needs block "
             f"after deductions: {parts}{covered}")
    return OurFigure(float(np.mean([gap for gap, _ in found.values()])), basis)


def _balances(tables: Mapping[str, pd.DataFrame], fy: str | None) -> pd.DataFrame:
    balance = tables["dsg_balance"]
    return balance.loc[balance["fy"] == fy].dropna(subset=["dsg_balance_gbp"]) if fy else balance.iloc[:0]


def _no_balances(tables: Mapping[str, pd.DataFrame], period: str) -> OurFigure:
    return _no_data("the cumulative DSG balances (SEND and AP dashboard)", period,
                    sorted(tables["dsg_balance"]["fy"].unique()), f"S251 line 1.9.3 for {period}")


def _gross_basis(rows: pd.DataFrame, fy: str) -> str:
    deficits = rows.loc[rows["dsg_balance_gbp"] > 0, "dsg_balance_gbp"]
    return (f"gross deficit: sum of positive cumulative DSG balances at end FY{fy} ({len(deficits)} of {len(rows)} "
            f"LAs in deficit; balance % x total DSG); net of surpluses: £{rows['dsg_balance_gbp'].sum() / 1e6:,.1f}m")


def cumulative_dsg_deficit(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Gross cumulative DSG deficit (positive balances) at the end of the row's FY; for a
    forecast or an in-year estimate (a ``model`` row), the gross deficit of our projection."""
    if _FORECAST.search(row["period"]) or row.get("independence") == "model":
        return projected_deficit(row, tables)
    fy = period_fy(row["period"])
    rows = _balances(tables, fy)
    if rows.empty:
        return _no_balances(tables, row["period"])
    return OurFigure(float(rows.loc[rows["dsg_balance_gbp"] > 0, "dsg_balance_gbp"].sum()), _gross_basis(rows, fy))


def cumulative_dsg_deficit_real(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Gross cumulative DSG deficit in the prices of the FY named in the series ("2022-23 prices")."""
    base = re.search(r"(\d{4}-\d{2}) prices", row["series"])
    cash = cumulative_dsg_deficit(row, tables)
    if cash.value is None or base is None:
        return cash
    index = tables["deflator"].set_index("fy")["deflator_index"]
    fy = period_fy(row["period"])
    factor = float(index[base.group(1)] / index[fy])
    return OurFigure(cash.value * factor, f"{cash.basis}; cash £{cash.value / 1e9:.3f}bn x {factor:.4f} "
                                          f"(GDP deflator FY{fy} -> FY{base.group(1)})")


def councils_in_deficit(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Number of councils with a positive cumulative DSG balance at the end of the FY, the
    three smallest deficits quoted (what a threshold or a revision would turn on)."""
    fy = period_fy(row["period"])
    rows = _balances(tables, fy)
    if rows.empty:
        return _no_balances(tables, row["period"])
    deficits = rows[rows["dsg_balance_gbp"] > 0].sort_values("dsg_balance_gbp")
    smallest = ", ".join(f"{r.la_name} £{r.dsg_balance_gbp / 1e6:.2f}m" for r in deficits.head(3).itertuples())
    basis = (f"councils with a positive cumulative DSG balance at end FY{fy}: {len(deficits)} of {len(rows)}; "
             f"smallest deficits: {smallest}")
    return OurFigure(float(len(deficits)), basis)


def share_in_deficit(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Percentage of councils with a positive cumulative DSG balance at the end of the FY."""
    fy = period_fy(row["period"])
    rows = _balances(tables, fy)
    if rows.empty:
        return _no_balances(tables, row["period"])
    n = int((rows["dsg_balance_gbp"] > 0).sum())
    return OurFigure(100 * n / len(rows), f"{n} of {len(rows)} councils with a positive balance at end FY{fy}")


def projection_by_unit(panel: pd.DataFrame) -> pd.DataFrame:
    """Notebook 04's default projection (:data:`PROJECTION_SETTINGS`), start year included."""
    from sendlib.analysis import projections as pj

    return pj.guidance_projection(panel, **PROJECTION_SETTINGS)


def projected_deficit(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Gross cumulative deficit (sum of positive projected balances) of our projection at the end
    of the row's FY, the net total quoted; NOT COMPARABLE beyond the projection."""
    fy = period_fy(row["period"])
    projection = tables["projection"]
    rows = projection.loc[(projection["fy"] == fy) & projection["balance_gbp"].notna()] if fy else projection.iloc[:0]
    if rows.empty:
        return _no_data("our projection", row["period"], sorted(projection["fy"].unique()),
                        "a longer projection horizon")
    gross = float(rows.loc[rows["balance_gbp"] > 0, "balance_gbp"].sum())
    s = PROJECTION_SETTINGS
    basis = (f"our projection (notebook 04 defaults: from FY{s['start_fy']}, allocations actual to "
             f"FY{s['backtest_base_fy']}, then {s['funding_growth_first']:.0%} and {s['funding_growth_after']:.0%} a "
             f"year, spending on each council's {s['trend_years']}-year trend, gap '{s['gap_basis']}'): gross deficit "
             f"at end FY{fy} over {len(rows)} councils, {int((rows['balance_gbp'] > 0).sum())} in deficit; net "
             f"£{rows['balance_gbp'].sum() / 1e9:.2f}bn")
    return OurFigure(gross, basis, kind=OURS_PROJECTION)


#: Programme series -> ("as_at", an item of programmes.COUNT_ITEMS counted on the period's date) or
#: ("unit", the membership_by_unit column whose value starts with the series' tranche or the period's FY).
PROGRAMME_SERIES: dict[str, tuple[str, str]] = {
    "DBV councils": ("as_at", "dbv"),
    "Safety valve councils (signed or in negotiation)": ("as_at", "safety_valve"),
    "Safety valve agreements signed": ("as_at", "safety_valve_signed"),
    "Share of LAs in DBV or safety valve": ("as_at", "share_either_pct"),
    "DBV phase one areas": ("unit", "dbv_tranche"),
    "DBV phase one areas, tranche 1": ("unit", "dbv_tranche"),
    "DBV phase one areas, tranche 2": ("unit", "dbv_tranche"),
    "DBV phase one areas, tranche 3": ("unit", "dbv_tranche"),
    "Safety valve agreements": ("unit", "safety_valve_year"),
}


def _known_by_name(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    """(count known by name in the curated programmes table, how it was counted)."""
    from sendlib import programmes as pg

    kind, what = PROGRAMME_SERIES[row["series"]]
    if kind == "as_at":
        day = pd.Timestamp(row["period"])
        counts = pg.counts_as_at(tables["programmes"], tables["la_lookup"], day).set_index("item")["known"]
        if what == "share_either_pct":
            return float(counts[what]), (f"councils named in either programme on {day:%d %b %Y}: {counts['either']:.0f} "
                                         f"of the {counts['total_las']:.0f} operating ({counts[what]:.1f}%)")
        return float(counts[what]), f"councils named in the curated programme list as '{what}' on {day:%d %b %Y}"
    units = pg.membership_by_unit(tables["programmes"], tables["la_lookup"])[what].dropna().astype(str)
    tranche = re.search(r"tranche \d", row["series"])
    key = tranche.group(0) if tranche else (row["period"] if what == "safety_valve_year" else "")
    chosen = units[units.str.startswith(key)]
    inferred = int(chosen.str.contains("inferred").sum())
    return float(len(chosen)), (f"areas (2024 harmonised units, reorganised councils as one) named in the curated "
                                f"programme list with {what.replace('_', ' ')} '{key or 'any'}'; {inferred} of "
                                f"them inferred")


def programme_count(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """How many of a published programme count the curated lists know by name; fewer than
    published is NOT COMPARABLE (the missing names would make it so), more is DIFFERENT."""
    if "programmes" not in tables or "la_lookup" not in tables:
        return OurFigure(None, "", not_comparable="the programmes table was not loaded (tables 'programmes', "
                                                  "'la_lookup')")
    known, basis = _known_by_name(row, tables)
    (interval,) = reconcile.published_interval(row["value"], exact_integers=row["unit"] in EXACT_UNITS)
    if known < interval.low:
        return OurFigure(known, basis, kind=OURS_CURATED, not_comparable=(
            f"the curated lists know {format_value(known, row['unit'])} of the {format_value(float(row['value']), row['unit'])} by name; the names of "
            f"the other {format_value(interval.low - known, row['unit'])} would make it comparable"))
    return OurFigure(known, basis, kind=OURS_CURATED)


def timeliness_20wk(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Percentage of EHC plans issued within 20 weeks in the row's calendar year (excluding
    exceptions when the series says so): SEN2's own England row (``timeliness_national``), else
    the sum over LAs with both counts (``timeliness``); NOT COMPARABLE until the clean step has
    built either table."""
    prefix = "issued_ex" if "excl" in row["series"] else "issued"
    issued, within = f"{prefix}_count", prefix.replace("issued", "issued_20wk") + "_count"
    year = period_calendar_year(row["period"])
    national, by_la = tables.get("timeliness_national"), tables.get("timeliness")
    table = national if national is not None else by_la
    if table is None:
        return OurFigure(None, "", not_comparable=(
            "the SEN2 timeliness table (plans issued within 20 weeks, from the 2025 EHC plans release; processed "
            "tables 'timeliness' and 'timeliness_national') is not built yet; building it would make it comparable"))
    years = sorted(int(y) for y in table["calendar_year"].unique())
    rows = table.loc[table["calendar_year"] == year].dropna(subset=[issued, within])
    if year is None or rows.empty:
        return _no_data("the SEN2 timeliness table", row["period"], [str(y) for y in years],
                        f"SEN2 timeliness for {row['period']}")
    n_issued, n_within = float(rows[issued].sum()), float(rows[within].sum())
    where = ("DfE SEN2 England row" if table is national else
             f"sum of the {len(rows)} LAs with both counts (SEN2; {table['calendar_year'].eq(year).sum() - len(rows)} "
             "with a count missing or suppressed left out)")
    exceptions = "excluding" if prefix == "issued_ex" else "including"
    return OurFigure(100 * n_within / n_issued, f"{where}, calendar year {year}: {n_within:,.0f} of {n_issued:,.0f} "
                                                f"plans issued within 20 weeks, {exceptions} exceptions")


def share_overspending(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Percentage of councils whose high-needs outturn including place funding exceeded their
    high-needs block after deductions in the row's FY; without data for it, NOT COMPARABLE with
    our share in the years we have, for reference."""
    fy = period_fy(row["period"])
    fys = _outturn_fys(tables)
    shares = {year: (int((gaps > 0).sum()), len(gaps)) for year in fys
              if len(gaps := _outturn_over_allocation(tables, year))}
    definition = ("councils whose high-needs outturn including place funding (High Needs Benchmarking Tool) "
                  "exceeded their high-needs block after deductions")
    if fy in shares:
        over, n = shares[fy]
        return OurFigure(100 * over / n, f"{definition}, FY{fy}: {over} of {n}")
    reference = "; ".join(f"FY{year}: {over} of {n} ({100 * over / n:.1f}%)" for year, (over, n) in shares.items())
    missing = _no_data("outturn including place funding beside the high-needs block", row["period"], list(shares),
                       f"the S251 outturn with place funding and the DSG allocations for {row['period']}")
    return OurFigure(None, f"for reference, {definition}: {reference}" if reference else "",
                     not_comparable=missing.not_comparable)


def _funding_per_plan(tables: Mapping[str, pd.DataFrame], fy: str, base_fy: str) -> tuple[float, float, float] | None:
    """(high-needs block before deductions, EHC plans of the FY's January, funding per plan in
    ``base_fy`` prices) nationally for ``fy``, or None without all three."""
    total = _allocation_total(tables, fy)
    plans = tables["ehcp_national"].set_index("january")["ehcp_count"].get(fy_start(fy) + 1)
    index = tables["deflator"].set_index("fy")["deflator_index"]
    if total is None or plans is None or not plans > 0 or fy not in index or base_fy not in index:
        return None
    return total[0], float(plans), total[0] / float(plans) * float(index[base_fy] / index[fy])


def funding_per_plan_change(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Real-terms change (%) of high-needs funding per EHC plan between two FYs: the block
    before deductions over the EHC plans of each FY's January, in the later FY's prices (GDP
    deflator); without both years, NOT COMPARABLE with our change over the years we have."""
    pair = period_fy_change(row["period"])
    fys = _allocation_fys(tables)
    first, last = pair if pair else (None, None)
    base = last if last in fys else (fys[-1] if fys else "")
    found = {fy: value for fy in ([first, last] if pair else []) if fy and (value := _funding_per_plan(tables, fy, base))}
    if pair and len(found) == 2:
        (start, end) = found[first][2], found[last][2]
        return OurFigure(100 * (end / start - 1), (
            f"high-needs block before deductions per EHC plan in force that January, FY{last} prices (GDP deflator): "
            f"£{start:,.0f} in FY{first} ({found[first][1]:,.0f} plans), £{end:,.0f} in FY{last} "
            f"({found[last][1]:,.0f} plans)"))
    reference = ""
    if len(fys) >= 2 and (a := _funding_per_plan(tables, fys[0], base)) and (b := _funding_per_plan(tables, fys[-1], base)):
        reference = (f"for reference, the years we have: £{a[2]:,.0f} per plan in FY{fys[0]} to £{b[2]:,.0f} in "
                     f"FY{fys[-1]} (FY{base} prices), {100 * (b[2] / a[2] - 1):+.1f}%")
    missing = _no_data("the high-needs block (ESFA DSG allocations)", row["period"], fys,
                       f"the DSG allocations for both ends of {row['period']}")
    return OurFigure(None, reference, not_comparable=missing.not_comparable)


def _not_comparable(reason: str, reference: Callable[[Mapping[str, pd.DataFrame]], OurFigure] | None = None) -> Rule:
    """A rule for a figure our data cannot check: NOT COMPARABLE with ``reason`` (and what would
    make it comparable), with our nearest figure for reference when ``reference`` is given."""

    def rule(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
        figure = reference(tables) if reference else OurFigure(None, "")
        return OurFigure(figure.value, figure.basis, not_comparable=reason)

    return rule


def _spending_reference(tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    spend = tables["hn_spend"]
    fy = spend["fy"].max()
    total = float(spend.loc[spend["fy"] == fy, "hn_spend_gbp"].sum())
    places = place_funding(tables, "outturn")
    place_text = f"; place funding, which it leaves out, was £{places[1] / 1e9:.2f}bn in FY{places[0]}" if places else ""
    return OurFigure(total, f"for reference: S251 lines 1.2.x outturn, FY{fy}, cash{place_text}")


#: Published series -> the rule computing our figure.
RULES: dict[str, Rule] = {
    "EHC plans (statements+EHCPs) in force": ehcp_in_force,
    "EHC plans in force": ehcp_in_force,
    "High needs funding (HNB allocation)": high_needs_funding,
    "High needs funding": high_needs_funding,
    "High needs block (NAO)": high_needs_funding,
    "High needs funding increase": high_needs_funding_increase,
    "High needs planned spend (s251 HN lines)": planned_high_needs_spend,
    "HN spending minus funding": spending_minus_funding,
    "HN net overspend": spending_minus_funding,
    "Cumulative DSG deficit": cumulative_dsg_deficit,
    "Cumulative DSG deficit (2022-23 prices)": cumulative_dsg_deficit_real,
    "Councils with a cumulative DSG deficit": councils_in_deficit,
    "Share of LAs with a cumulative DSG deficit": share_in_deficit,
    "High needs spending (LA, real terms)": _not_comparable(
        "different definition: IFS's total high-needs spending, in real terms, including place funding, from "
        "2016; ours (S251 lines 1.2.x, from FY2017-18, cash) leaves place funding out; S251 outturn with place "
        "funding for 2016 and 2025 would make it comparable", _spending_reference),
    "HN top-up outturn (s251)": _not_comparable(
        "no data for FY2022-23: top-ups by provider type are here only in the High Needs Benchmarking Tool for "
        "FY2021-22; the S251 outturn top-up lines for FY2022-23 would make it comparable"),
    "HN funding per high-needs pupil": _not_comparable(
        "different definition: no count of 'high-needs pupils' and no high-needs funding before FY2019-20 in our "
        "data; NAO's pupil counts and FY2013-14 to 2017-18 allocations would make it comparable"),
    "DfE forecast HN cost pressure": _not_comparable(
        "a forecast of cost pressure, not of funding or spending we project; DfE's model would make it comparable"),
    **dict.fromkeys(PROGRAMME_SERIES, programme_count),
    "EHC plans issued within 20 weeks (excl. exceptions)": timeliness_20wk,
    "EHC plans issued within 20 weeks": timeliness_20wk,
    "Share of LAs overspending high-needs budget": share_overspending,
    "High needs funding per EHCP (real-terms change)": funding_per_plan_change,
    "Share of LAs with deficits exceeding or close to reserves": _not_comparable(
        "a forecast of deficits against councils' reserves: our data has no council reserves and no balances after "
        "FY2021-22; councils' usable reserves (revenue outturn) beside a projection of each council's deficit would "
        "make it comparable"),
    "Cumulative HN/DSG deficit": _not_comparable(
        "a 2018 projection for calendar 2019 excluding transport; our outturn at end FY2019-20 is the 'end 2019-20' "
        "row; the projection's own basis would make it comparable"),
}


# --- comparison -----------------------------------------------------------------------------


def our_figure(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Our figure for one published row, or why it is not comparable (survey estimates never are)."""
    rule = RULES.get(row["series"])
    if rule is None:
        return OurFigure(None, "", not_comparable=f"nothing maps the series '{row['series']}' to our data")
    figure = rule(row, tables)
    if figure.not_comparable is None and _SURVEY.search(row["basis"]):
        return OurFigure(figure.value, f"for reference: {figure.basis}", not_comparable=(
            "survey estimate (respondents, or extrapolated from them), not a count over every LA; the survey's list "
            "of respondents would make it comparable"), kind=figure.kind)
    return figure


def compare_row(row: pd.Series, tables: Mapping[str, pd.DataFrame], sources: pd.DataFrame) -> dict[str, object]:
    """One output row (COMPARISON_COLUMNS) for one published figure."""
    figure = our_figure(row, tables)
    scale = UNIT_SCALE[row["unit"]]
    ours = figure.value / scale if figure.value is not None else math.nan
    record: dict[str, object] = {
        "row": row["row"], "series": row["series"], "period": row["period"], "published": row["value"],
        "unit": row["unit"], "interval_low": math.nan, "interval_high": math.nan, "ours": ours,
        "difference": math.nan, "status": NOT_COMPARABLE, "reason": figure.not_comparable or "",
        "ours_kind": figure.kind if figure.value is not None else "", "our_basis": figure.basis,
        "published_basis": row["basis"], "source_key": row["source_key"], **source_columns(row["source_key"], sources),
        "confidence": row["confidence"], "independence": row["independence"], "derived": row["derived"],
    }  # fmt: skip
    try:
        intervals = reconcile.published_interval(row["value"], exact_integers=row["unit"] in EXACT_UNITS)
    except ValueError as exc:
        return {**record, "status": NOT_COMPARABLE, "reason": f"{exc}: the figure's text needs a reading"}
    interval, gap = reconcile.nearest(ours, intervals) if math.isfinite(ours) else (intervals[0], math.nan)
    record.update(interval_low=interval.low, interval_high=interval.high, difference=gap)
    if figure.not_comparable is not None:
        return record
    if not math.isfinite(ours):
        return {**record, "reason": "no data: our value is missing"}
    adjusted = ours - figure.adjustment.amount / scale if figure.adjustment else None
    record.update(status=reconcile.classify(ours, intervals, adjusted),
                  reason=reason_text(ours, intervals, row["unit"], figure.adjustment, adjusted))
    return record


def read_hnb_factors() -> pd.DataFrame:
    """The high-needs block factors (England) of every ESFA in-year workbook in data/raw."""
    from sendlib.readers import dsg_allocations

    return pd.concat([dsg_allocations.read_esfa_hnb_factors(p) for p in dsg_allocations.esfa_paths()],
                     ignore_index=True)


def read_tables() -> dict[str, pd.DataFrame]:
    """Everything the comparison reads: the REQUIRED_TABLES, the OPTIONAL_TABLES the clean step
    has built, the lookup and curated programmes, the block factors and our projection."""
    from sendlib import programmes
    from sendlib.tables import read_table

    tables = {name: read_table(name) for name in (*REQUIRED_TABLES, "la_lookup")}
    tables |= {name: read_table(name) for name in OPTIONAL_TABLES if (config.processed_dir() / f"{name}.parquet").is_file()}
    return tables | {"programmes": programmes.read_programmes(), "hnb_factors": read_hnb_factors(),
                     "projection": projection_by_unit(tables["panel"])}


def published_comparison(
    published: pd.DataFrame, tables: Mapping[str, pd.DataFrame], sources: pd.DataFrame
) -> pd.DataFrame:
    """Every published row (in file order) with the interval its text implies, ours in its unit,
    the difference from the nearest bound, a status from STATUSES with its reason, and the source.
    ``tables`` may add ``hnb_factors`` (:func:`read_hnb_factors`) and ``projection``."""
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ValueError(f"published_comparison needs the processed table(s) {missing}")
    if "projection" not in tables:
        tables = {**tables, "projection": projection_by_unit(tables["panel"])}
    rows = [compare_row(row, tables, sources) for _, row in published.iterrows()]
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    text = [c for c in COMPARISON_COLUMNS if c not in {"row", *_NUMERIC_COLUMNS}]
    return frame.astype({"row": "int64", **dict.fromkeys(_NUMERIC_COLUMNS, "float64"), **dict.fromkeys(text, "string")})


def status_counts(comparison: pd.DataFrame) -> dict[str, int]:
    """Rows per status, every status of STATUSES listed (0 when absent)."""
    counts = comparison["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def status_counts_by_independence(comparison: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows per status within each class of INDEPENDENCE (every class and status listed, 0 when
    absent): the tallies a report gives, never one that mixes the classes."""
    return {kind: status_counts(comparison.loc[comparison["independence"] == kind]) for kind in INDEPENDENCE}


def ehcp_ours_vs_published(comparison: pd.DataFrame, ehcp_national: pd.DataFrame) -> pd.DataFrame:
    """EHC plans in force by January for a figure: ours (every January of ``ehcp_national``) and
    the published values compared (interval midpoints). Columns january, series, ehcp_count."""
    in_force = [series for series, rule in RULES.items() if rule is ehcp_in_force]
    rows = comparison[comparison["series"].isin(in_force) & (comparison["status"] != NOT_COMPARABLE)]
    published_points = pd.DataFrame({"january": rows["period"].map(period_january), "series": "published",
                                     "ehcp_count": (rows["interval_low"] + rows["interval_high"]) / 2})
    ours = pd.DataFrame({"january": ehcp_national["january"], "series": "ours (SEN2)",
                         "ehcp_count": ehcp_national["ehcp_count"]})
    frame = pd.concat([ours, published_points], ignore_index=True)
    frame = frame.astype({"january": "int64", "series": "string", "ehcp_count": "float64"})
    return frame.sort_values(["series", "january"]).reset_index(drop=True)


def comparison_results(comparison: pd.DataFrame) -> dict[str, object]:
    """The numbers for results.json: ``status_counts``, ``status_counts_by_independence`` (the
    tallies reports quote) and, per CSV row, the figure, its independence, interval, ours (and
    what it is), difference, status and reason."""
    return {
        "n_rows": len(comparison),
        "status_counts": status_counts(comparison),
        "status_counts_by_independence": status_counts_by_independence(comparison),
        "rows": {
            str(r.row): {"series": r.series, "period": r.period, "published": r.published, "unit": r.unit,
                         "independence": r.independence, "derived": r.derived,
                         "interval_low": r.interval_low, "interval_high": r.interval_high, "ours": r.ours,
                         "ours_kind": r.ours_kind, "difference": r.difference, "status": r.status, "reason": r.reason,
                         "source_title": r.source_title, "source_url": r.source_url,
                         "source_publisher_url": r.source_publisher_url}
            for r in comparison.itertuples()
        },
    }
