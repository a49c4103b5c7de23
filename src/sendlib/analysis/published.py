"""Our figures beside every published national figure in data/reference/published_figures.csv.

Each published row (series, period, value text, unit) is mapped to one computation over the
processed tables, or given the reason it cannot be compared:

- EHC plans in force, January Y: ``ehcp_national`` (DfE SEN2). When our value comes from a
  release later than the January's own (e.g. the 2025 release's January 2024), ours may be a
  later revision: a difference beyond the rounding of the published figure is then labelled
  "PASS — later revision" (within tolerance) or "REVISED" (outside it), never hidden.
- High needs funding, FY: national sum of the high-needs block BEFORE deductions
  (``hnb_allocation``), DfE's headline "high needs funding"; the after-deductions total (academy
  and FE places paid directly by ESFA taken off) is quoted beside it. An increase is the
  difference of two such totals.
- Planned high-needs spend (S251 budget lines): ``hn_benchmarking`` budget excluding place funding.
- Spending minus funding: ``hn_benchmarking`` outturn including place funding minus the
  high-needs block after deductions, over the LAs in both (FY2021-22 is the only year with
  place funding).
- Cumulative DSG deficit: the sum of POSITIVE cumulative DSG balances (``dsg_balance``, LAs in
  deficit only, as DfE's "LAs in deficit" totals), the net total being quoted beside it.
- Forecasts and projections, survey estimates and figures on another definition (e.g. IFS total
  high-needs spending including place funding) are NOT COMPARABLE, with the reason.

Tolerances: counts ``tolerance_count_rel``; money ``tolerance_money_rel``; for a published point
value the tolerance is at least the rounding of the published figure (half a unit of its last
significant digit: "5.6" -> 0.05, "354000" -> 500).
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
from sendlib.analysis.reconcile import FAIL, NOT_COMPARABLE, PASS, Published, compare_published, parse_published
from sendlib.errors import ParameterError, SourceFormatError
from sendlib.readers.common import require_columns, require_file
from sendlib.years import fy_label, fy_start

PASS_LATER_REVISION = "PASS — later revision"
REVISED = "REVISED"
#: Every status a row can get, in the order reports list them.
STATUSES = (PASS, PASS_LATER_REVISION, REVISED, FAIL, NOT_COMPARABLE)
#: Why a row is NOT COMPARABLE (column ``not_comparable_kind``; each reason starts with its kind).
NO_DATA = "no data for that year"
FORECAST = "forecast or projection"
SURVEY = "survey estimate"
OTHER_DEFINITION = "different definition"
NO_RULE = "no rule"
UNREADABLE = "published value unreadable"
NOT_COMPARABLE_KINDS = (NO_DATA, FORECAST, SURVEY, OTHER_DEFINITION, NO_RULE, UNREADABLE)

PUBLISHED_COLUMNS = ["series", "period", "value", "unit", "basis", "source_key", "confidence"]
#: Published unit -> GBP or count per unit.
UNIT_SCALE: dict[str, float] = {"count": 1.0, "GBP bn": 1e9, "GBP m": 1e6, "GBP m per year": 1e6, "GBP real": 1.0}
COUNT_UNITS = frozenset({"count"})
#: The processed tables the comparison reads.
REQUIRED_TABLES = ("ehcp_national", "hnb_allocation", "dsg_balance", "hn_benchmarking", "hn_spend")
COMPARISON_COLUMNS = [
    "row", "series", "period", "published", "unit", "ours", "published_low", "published_high", "difference",
    "difference_pct", "tolerance_pct", "status", "not_comparable_kind", "reason", "our_basis", "published_basis",
    "source_key", "confidence",
]  # fmt: skip

_NUMERIC_COLUMNS = ("ours", "published_low", "published_high", "difference", "difference_pct", "tolerance_pct")
HNB_BEFORE = "hnb_before_deductions_gbp"
HNB_AFTER = "hnb_after_deductions_gbp"
_FORECAST = re.compile(r"\b(forecast|projection)\b", re.IGNORECASE)
_SURVEY = re.compile(r"\bsurvey\b", re.IGNORECASE)
_JANUARY = re.compile(r"^jan(?:uary)?\s+(\d{4})$", re.IGNORECASE)
_FY = re.compile(r"^(?:end\s+)?(\d{4}-\d{2})$", re.IGNORECASE)
_MARCH = re.compile(r"^(?:end\s+)?mar(?:ch)?\s+(\d{4})$", re.IGNORECASE)
_YEAR_SPAN = re.compile(r"^(\d{4})\s*-\s*(\d{4})$")
_RELEASE_YEAR = re.compile(r"_(\d{4})\.zip")
_PLAIN_NUMBER = re.compile(r"^(?:~|≈)?\s*[+-]?(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class OurFigure:
    """Our value (GBP or count; None when we have none), how it was computed, whether it comes
    from a release later than the one the published figure quotes, and, when the two cannot be
    compared, the kind (NOT_COMPARABLE_KINDS) and the reason (a value may still be given for
    reference)."""

    value: float | None
    basis: str
    later_release: bool = False
    not_comparable_kind: str = ""
    not_comparable: str | None = None


def not_comparable(kind: str, detail: str, reference: OurFigure | None = None) -> OurFigure:
    """A NOT COMPARABLE figure: reason "<kind>: <detail>", with our nearest value for reference."""
    if kind not in NOT_COMPARABLE_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {NOT_COMPARABLE_KINDS}")
    value, basis = (reference.value, reference.basis) if reference else (None, "")
    return OurFigure(value, basis, not_comparable_kind=kind, not_comparable=f"{kind}: {detail}")


Rule = Callable[[pd.Series, Mapping[str, pd.DataFrame]], OurFigure]


# --- reading --------------------------------------------------------------------------------


def read_published_figures(path: Path = config.PUBLISHED_FIGURES_CSV) -> pd.DataFrame:
    """The published figures as text, with ``row`` = the line number in the CSV (header = line 1).
    A unit other than those of UNIT_SCALE is a SourceFormatError naming the line."""
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, PUBLISHED_COLUMNS, path)
    frame = frame[PUBLISHED_COLUMNS].apply(lambda column: column.str.strip())
    unknown = frame.index[~frame["unit"].isin(list(UNIT_SCALE))]
    if len(unknown):
        lines = [f"line {i + 2}: {frame.at[i, 'unit']!r}" for i in unknown]
        raise SourceFormatError(path, f"unknown unit(s) {lines}; expected one of {list(UNIT_SCALE)}")
    frame.insert(0, "row", np.arange(2, len(frame) + 2))
    return frame.reset_index(drop=True)


def rounding_half_unit(text: str) -> float:
    """Half a unit of the last significant digit of a published point value ("5.6" -> 0.05,
    "354000" -> 500, "575963" -> 0.5, "~256300" -> 50); 0.0 when the text is not one number."""
    core = re.sub(r"\([^)]*\)", " ", text).replace(",", "").replace("£", "").replace("%", "").strip()
    match = _PLAIN_NUMBER.match(core)
    if not match:
        return 0.0
    whole, decimals = match.group(1), match.group(2)
    if decimals:
        return 0.5 * 10.0 ** -len(decimals)
    trailing_zeros = len(whole) - len(whole.rstrip("0")) if whole.strip("0") else 0
    return 0.5 * 10.0**trailing_zeros


def period_january(period: str) -> int | None:
    """"Jan 2024" -> 2024; None for any other period."""
    match = _JANUARY.match(period.strip())
    return int(match.group(1)) if match else None


def period_fy(period: str) -> str | None:
    """The financial year a period names: "2021-22" and "end 2021-22" -> "2021-22"; "Mar 2022"
    and "end Mar 2022" -> "2021-22" (the year ending that March); None otherwise."""
    text = period.strip()
    if match := _FY.match(text):
        return fy_label(fy_start(match.group(1)))
    if match := _MARCH.match(text):
        return fy_label(int(match.group(1)) - 1)
    return None


def period_fys(period: str) -> list[str]:
    """Every financial year a period covers: one for "2021-22" / "Mar 2022", the FYs starting in
    [a, b) for a calendar span "a-b" ("2018-2022" -> 2018-19..2021-22), else none."""
    single = period_fy(period)
    if single is not None:
        return [single]
    if match := _YEAR_SPAN.match(period.strip()):
        first, last = int(match.group(1)), int(match.group(2))
        return [fy_label(year) for year in range(first, last)]
    return []


# --- our figures, one rule per kind of published series ---------------------------------------


def _no_data(what: str, period: str, available: list[str]) -> OurFigure:
    if not available:
        span = "no year"
    else:
        span = f"{available[0]} only" if len(available) == 1 else f"{available[0]}..{available[-1]}"
    return not_comparable(NO_DATA, f"{what} covers {span}, not {period!r}")


def _release_year(source: str) -> int | None:
    match = _RELEASE_YEAR.search(source)
    return int(match.group(1)) if match else None


def ehcp_in_force(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """EHC plans in force in January (national SEN2 total), flagged when from a later release."""
    national = tables["ehcp_national"]
    januaries = sorted(int(j) for j in national["january"])
    january = period_january(row["period"])
    if january is None or january not in januaries:
        return _no_data("EHC plans (SEN2)", row["period"], [f"Jan {j}" for j in januaries])
    found = national.loc[national["january"] == january].iloc[0]
    release = _release_year(str(found["source"]))
    later = release is not None and release > january
    basis = f"DfE SEN2 national total, January {january}, from {found['source']}"
    return OurFigure(float(found["ehcp_count"]), basis, later_release=later)


def _allocation_totals(tables: Mapping[str, pd.DataFrame], fy: str) -> tuple[float, float, int] | None:
    """(before deductions, after deductions, number of LAs) summed over LAs for ``fy``, or None."""
    rows = tables["hnb_allocation"].loc[lambda f: f["fy"] == fy]
    if rows.empty:
        return None
    return float(rows[HNB_BEFORE].sum()), float(rows[HNB_AFTER].sum()), len(rows)


def _allocation_fys(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    return sorted(tables["hnb_allocation"]["fy"].unique())


def high_needs_funding(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """National high-needs block before deductions for the row's FY."""
    fy = period_fy(row["period"])
    totals = _allocation_totals(tables, fy) if fy else None
    if totals is None:
        return _no_data("high-needs block allocations (ESFA DSG)", row["period"], _allocation_fys(tables))
    before, after, n_las = totals
    basis = (f"high-needs block before deductions, sum of {n_las} LAs, FY{fy} "
             f"(after academy/FE place deductions: £{after / 1e9:.2f}bn)")
    return OurFigure(before, basis)


def high_needs_funding_increase(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Cash increase of the national high-needs block (before deductions) on the previous FY."""
    fy = period_fy(row["period"])
    previous = fy_label(fy_start(fy) - 1) if fy else None
    end = _allocation_totals(tables, fy) if fy else None
    start = _allocation_totals(tables, previous) if previous else None
    if end is None or start is None:
        return _no_data("high-needs block allocations (both years needed)", row["period"], _allocation_fys(tables))
    basis = (f"high-needs block before deductions FY{fy} minus FY{previous} "
             f"(£{end[0] / 1e9:.3f}bn - £{start[0] / 1e9:.3f}bn; after deductions: "
             f"£{(end[1] - start[1]) / 1e9:+.3f}bn); allocation workbooks as updated in year")
    return OurFigure(end[0] - start[0], basis)


def _benchmarking(tables: Mapping[str, pd.DataFrame], stage: str, line: str) -> pd.DataFrame:
    table = tables["hn_benchmarking"]
    return table.loc[(table["stage"] == stage) & (table["line"] == line)]


def planned_high_needs_spend(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """S251 budget high-needs lines excluding place funding (High Needs Benchmarking Tool)."""
    budget = _benchmarking(tables, "budget", "high_needs_total_excl_place_funding")
    fy = period_fy(row["period"])
    rows = budget.loc[budget["fy"] == fy]
    if rows.empty:
        return _no_data("S251 budget (High Needs Benchmarking Tool)", row["period"], sorted(budget["fy"].unique()))
    basis = f"S251 budget high-needs lines excluding place funding, sum of {len(rows)} LAs, FY{fy} (HN benchmarking)"
    return OurFigure(float(rows["value_gbp"].sum()), basis)


def _spend_minus_funding(tables: Mapping[str, pd.DataFrame], fy: str) -> tuple[float, int] | None:
    """Outturn including place funding minus HNB after deductions, over LAs in both, or None."""
    outturn = _benchmarking(tables, "outturn", "high_needs_total").loc[lambda f: f["fy"] == fy]
    allocation = tables["hnb_allocation"].loc[lambda f: f["fy"] == fy]
    both = outturn.merge(allocation, on="la_code", how="inner").dropna(subset=["value_gbp", HNB_AFTER])
    if both.empty:
        return None
    return float((both["value_gbp"] - both[HNB_AFTER]).sum()), len(both)


def spending_minus_funding(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """High-needs outturn (with place funding) minus high-needs block after deductions; over a
    span of years, the mean over the years we have (and which those are)."""
    wanted = period_fys(row["period"])
    found = {fy: result for fy in wanted if (result := _spend_minus_funding(tables, fy)) is not None}
    if not found:
        outturn_fys = sorted(_benchmarking(tables, "outturn", "high_needs_total")["fy"].unique())
        return _no_data("high-needs outturn including place funding (HN benchmarking)", row["period"], outturn_fys)
    parts = ", ".join(f"FY{fy} £{gap / 1e6:,.0f}m ({n} LAs)" for fy, (gap, n) in found.items())
    covered = "" if len(found) == len(wanted) else f"; years with data: {len(found)} of {len(wanted)}"
    basis = (f"high-needs outturn including place funding (HN benchmarking) minus high-needs block after "
             f"deductions: {parts}{covered}")
    return OurFigure(float(np.mean([gap for gap, _ in found.values()])), basis)


def cumulative_dsg_deficit(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Sum of positive cumulative DSG balances (LAs in deficit) at the end of the row's FY."""
    balance = tables["dsg_balance"]
    fy = period_fy(row["period"])
    rows = balance.loc[balance["fy"] == fy, "dsg_balance_gbp"].dropna() if fy else pd.Series(dtype="float64")
    if rows.empty:
        return _no_data("cumulative DSG balances (DfE dashboard)", row["period"], sorted(balance["fy"].unique()))
    deficits = rows[rows > 0]
    basis = (f"sum of positive cumulative DSG balances at end FY{fy} ({len(deficits)} of {len(rows)} LAs in "
             f"deficit; balance % x total DSG); net of surpluses: £{rows.sum() / 1e6:,.0f}m")
    return OurFigure(float(deficits.sum()), basis)


def _other_definition(reason: str, reference: Callable[[Mapping[str, pd.DataFrame]], OurFigure] | None = None) -> Rule:
    """A rule for a series on a definition our data does not have: NOT COMPARABLE with ``reason``,
    with our nearest figure for reference when ``reference`` is given."""

    def rule(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
        return not_comparable(OTHER_DEFINITION, reason, reference(tables) if reference else None)

    return rule


def _latest_s251_spend(tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    spend = tables["hn_spend"]
    fy = spend["fy"].max()
    total = float(spend.loc[spend["fy"] == fy, "hn_spend_gbp"].sum())
    return OurFigure(total, f"for reference: S251 lines 1.2.x outturn, FY{fy}, cash")


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
    "High needs spending (LA)": _other_definition(
        "our high-needs spending is S251 lines 1.2.x (from FY2017-18, cash, no place funding); this figure is "
        "IFS's total high-needs spending including place funding, in real terms, from 2016",
        _latest_s251_spend,
    ),
    "HN top-up outturn (s251)": _other_definition(
        "top-ups by provider type exist here only in the High Needs Benchmarking Tool extract, for FY2021-22 "
        "and without an academy/FE top-up line; no data for FY2022-23"
    ),
    "HN funding per high-needs pupil": _other_definition(
        "no count of 'high-needs pupils' in our data and no high-needs funding before FY2019-20"
    ),
}


# --- comparison -----------------------------------------------------------------------------


def check_tolerances(tolerance_count_rel: float, tolerance_money_rel: float) -> None:
    """Raise ParameterError unless both relative tolerances are in [0, 1)."""
    for name, value in (("tolerance_count_rel", tolerance_count_rel), ("tolerance_money_rel", tolerance_money_rel)):
        if not (isinstance(value, (int, float)) and 0 <= value < 1):
            raise ParameterError(f"{name} must be a share between 0 and 1 (0.005 = 0.5%), got {value!r}")


def our_figure(row: pd.Series, tables: Mapping[str, pd.DataFrame]) -> OurFigure:
    """Our figure for one published row, or why it is not comparable (forecasts, projections and
    survey estimates never are)."""
    text = f"{row['series']} {row['period']} {row['basis']}"
    if _FORECAST.search(text):
        return not_comparable(FORECAST, "not an outturn, nothing to compare with")
    rule = RULES.get(row["series"])
    if rule is None:
        return not_comparable(NO_RULE, f"nothing maps the series {row['series']!r} to our data")
    figure = rule(row, tables)
    if figure.not_comparable is None and _SURVEY.search(row["basis"]):
        return not_comparable(SURVEY, "respondents, or extrapolated from them, not a count over every LA; ours "
                                      "for reference", figure)
    return figure


def _nearest_gap(ours: float, readings: list[Published]) -> tuple[float, float, float, float]:
    """(low, high, difference, difference %) against the published alternative nearest to ours;
    the difference is ours minus the nearest bound of its interval (0 inside)."""
    gaps = []
    for reading in readings:
        if reading.low <= ours <= reading.high:
            return reading.low, reading.high, 0.0, 0.0
        bound = reading.low if ours < reading.low else reading.high
        gap = ours - bound
        gaps.append((reading.low, reading.high, gap, 100 * gap / abs(bound) if bound else math.nan))
    return min(gaps, key=lambda candidate: abs(candidate[2]))


def _tolerance(
    row: pd.Series, readings: list[Published], tolerance_count_rel: float, tolerance_money_rel: float
) -> float:
    """The row type's tolerance, at least the rounding of a published point value."""
    base = tolerance_count_rel if row["unit"] in COUNT_UNITS else tolerance_money_rel
    half_unit = rounding_half_unit(row["value"])
    is_point = len(readings) == 1 and readings[0].low == readings[0].high and readings[0].low != 0
    return max(base, half_unit / abs(readings[0].low)) if is_point else base


def _beyond_rounding(ours: float, text: str, readings: list[Published]) -> bool:
    """True when ours lies outside every published interval widened by the rounding of the text."""
    half_unit = rounding_half_unit(text)
    return not any(r.low - half_unit <= ours <= r.high + half_unit for r in readings)


def compare_row(
    row: pd.Series, tables: Mapping[str, pd.DataFrame], tolerance_count_rel: float, tolerance_money_rel: float
) -> dict[str, object]:
    """One output row (COMPARISON_COLUMNS) for one published figure."""
    figure = our_figure(row, tables)
    ours = figure.value / UNIT_SCALE[row["unit"]] if figure.value is not None else math.nan
    record: dict[str, object] = {
        "row": row["row"], "series": row["series"], "period": row["period"], "published": row["value"],
        "unit": row["unit"], "ours": ours, "published_low": math.nan, "published_high": math.nan,
        "difference": math.nan, "difference_pct": math.nan, "tolerance_pct": math.nan,
        "status": NOT_COMPARABLE, "not_comparable_kind": figure.not_comparable_kind,
        "reason": figure.not_comparable or "", "our_basis": figure.basis,
        "published_basis": row["basis"], "source_key": row["source_key"], "confidence": row["confidence"],
    }  # fmt: skip
    if figure.not_comparable is not None:
        return record
    try:
        readings = parse_published(row["value"])
    except ValueError as exc:
        return {**record, "not_comparable_kind": UNREADABLE, "reason": f"{UNREADABLE}: {exc}"}
    if not math.isfinite(ours):
        return {**record, "not_comparable_kind": NO_DATA, "reason": f"{NO_DATA}: our value is missing"}
    tolerance = _tolerance(row, readings, tolerance_count_rel, tolerance_money_rel)
    status, detail = compare_published(ours, row["value"], tolerance)
    low, high, gap, gap_pct = _nearest_gap(ours, readings)
    if figure.later_release and _beyond_rounding(ours, row["value"], readings):
        status = PASS_LATER_REVISION if status == PASS else REVISED
        detail = f"ours is from a later release than the published figure; {detail}"
    record.update(published_low=low, published_high=high, difference=gap, difference_pct=gap_pct,
                  tolerance_pct=100 * tolerance, status=status, reason=detail)
    return record


def published_comparison(
    published: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    tolerance_count_rel: float = 0.005,
    tolerance_money_rel: float = 0.03,
) -> pd.DataFrame:
    """Every published row (in file order) with our value in its unit, the difference from the
    nearest published bound, the tolerance used and a status from STATUSES with the reason."""
    check_tolerances(tolerance_count_rel, tolerance_money_rel)
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ValueError(f"published_comparison needs the processed table(s) {missing}")
    rows = [compare_row(row, tables, tolerance_count_rel, tolerance_money_rel) for _, row in published.iterrows()]
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    text = [c for c in COMPARISON_COLUMNS if c not in {"row", *_NUMERIC_COLUMNS}]
    return frame.astype({"row": "int64", **dict.fromkeys(_NUMERIC_COLUMNS, "float64"), **dict.fromkeys(text, "string")})



def status_counts(comparison: pd.DataFrame) -> dict[str, int]:
    """Rows per status, every status of STATUSES listed (0 when absent)."""
    counts = comparison["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def ehcp_ours_vs_published(comparison: pd.DataFrame, ehcp_national: pd.DataFrame) -> pd.DataFrame:
    """EHC plans in force by January for a figure: ours (every January of ``ehcp_national``) and
    the published point values compared in ``comparison``. Columns january, series ("ours
    (SEN2)" / "published"), ehcp_count; sorted."""
    rows = comparison[comparison["series"].str.startswith("EHC plans") & (comparison["status"] != NOT_COMPARABLE)]
    rows = rows[rows["published_low"] == rows["published_high"]]
    published_points = pd.DataFrame({"january": rows["period"].map(period_january), "series": "published",
                                     "ehcp_count": rows["published_low"]})
    ours = pd.DataFrame({"january": ehcp_national["january"], "series": "ours (SEN2)",
                         "ehcp_count": ehcp_national["ehcp_count"]})
    frame = pd.concat([ours, published_points], ignore_index=True)
    frame = frame.astype({"january": "int64", "series": "string", "ehcp_count": "float64"})
    return frame.sort_values(["series", "january"]).reset_index(drop=True)


def comparison_results(comparison: pd.DataFrame) -> dict[str, object]:
    """The numbers for results.json: rows, counts per status (and PASS including later revisions),
    NOT COMPARABLE rows per kind, and per CSV row its status, ours and difference %."""
    counts = status_counts(comparison)
    kinds = comparison.loc[comparison["status"] == NOT_COMPARABLE, "not_comparable_kind"].value_counts()
    return {
        "n_rows": len(comparison),
        "status_counts": counts,
        "n_pass": counts[PASS] + counts[PASS_LATER_REVISION],
        "n_fail": counts[FAIL] + counts[REVISED],
        "n_not_comparable": counts[NOT_COMPARABLE],
        "not_comparable_kinds": {kind: int(kinds.get(kind, 0)) for kind in NOT_COMPARABLE_KINDS},
        "rows": {
            str(row.row): {"series": row.series, "period": row.period, "published": row.published, "unit": row.unit,
                           "ours": row.ours, "difference_pct": row.difference_pct, "status": row.status}
            for row in comparison.itertuples()
        },
    }


def describe_row(row: pd.Series) -> str:
    """One line for a compared row: "row 18, <series> (<period>): published <text> <unit>, ours
    <value> (<difference %> from the nearest published bound); <our basis>"."""
    decimals = 0 if row["unit"] in COUNT_UNITS else 3
    return (f"row {row['row']}, {row['series']} ({row['period']}): published {row['published']} {row['unit']}, "
            f"ours {row['ours']:,.{decimals}f} ({row['difference_pct']:+.2f}% from the nearest published bound); "
            f"{row['our_basis']}")
