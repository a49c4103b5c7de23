"""Numbers and tables as a person reads them in a report: pounds as £ or £m with sensible
rounding, percentages with %, "no data" instead of NaN, and Markdown tables whose every cell
and heading goes through sendlib.present.markup.escape (values come from data).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from sendlib.analysis.growth import SimulatedInterval, SimulatedShare
from sendlib.present.markup import escape

NO_DATA = "no data"
#: Unit name -> how a value of it is written (see :func:`format_value`).
UNITS = ("gbp", "gbp_m", "pct", "signed_pct", "rate", "index", "count", "text")
LA_TYPE_NAMES = {
    "ILB": "inner London borough", "OLB": "outer London borough", "MD": "metropolitan district",
    "UA": "unitary authority", "SC": "shire county",
}


# --- the evidence notebooks' words and numbers: measures, shares, points, p-values, Monte Carlo ---

#: A measure of sendlib.analysis.measures in words, its basis and its denominator.
MEASURE_NAMES = {
    "hn_spend": "high-needs spending", "hnb_before_deductions": "the high needs block before deductions",
    "hnb_after_deductions": "the high needs block after deductions", "dsg_total": "total DSG",
    "ehcp": "EHC plans",
}
BASIS_NAMES = {"cash": "cash", "real": "real terms (2023-24 prices)"}
DENOMINATOR_NAMES = {
    "total": "", "per_head_2_18": "per resident aged 2-18", "per_head_0_25": "per resident aged 0-25",
    "per_ehcp": "per EHC plan",
}


def measure_label(measure: str, basis: str = "cash", denominator: str = "total") -> str:
    """A measure in words: ("hn_spend", "real", "per_head_2_18") -> "high-needs spending per
    resident aged 2-18, real terms (2023-24 prices)"; counts (EHC plans) have no basis."""
    parts = (MEASURE_NAMES.get(measure, measure), DENOMINATOR_NAMES.get(denominator, denominator))
    words = " ".join(part for part in parts if part)
    return words if measure == "ehcp" else f"{words}, {BASIS_NAMES.get(basis, basis)}"


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def share(fraction: object, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.25 -> "25.0%" (signed: "+25.0%"); a share that is not
    exactly 0 or 1 never reads "0.0%" or "100.0%" (more decimals near them: 0.00005 -> "0.005%",
    0.99995 -> "99.995%"); "no data" when missing."""
    if _missing(fraction):
        return NO_DATA
    percent = 100 * float(fraction)
    gap = min(abs(percent), abs(100 - abs(percent)))  # distance to 0% or 100%
    if 0 < gap < 10 ** -digits / 2:
        digits = min(6, -math.floor(math.log10(gap)))  # one significant digit of the gap
    return f"{percent:{'+' if signed else ''}.{digits}f}%"


def whole_share(fraction: float) -> str:
    """A share in whole percent for a crowded figure, never 0% or 100% unless exactly so:
    0.213 -> "21%", 0.00005 -> "<1%", 0.9999 -> ">99%"."""
    if 0 < fraction < 0.005:
        return "<1%"
    if 0.995 <= fraction < 1:
        return ">99%"
    return f"{fraction:.0%}"


def points(difference: object, digits: int = 1, signed: bool = True) -> str:
    """A difference of two fractions in percentage points: 0.061 -> "+6.1 points" (a difference
    that rounds to zero reads "0.0 points", never "-0.0")."""
    if _missing(difference):
        return NO_DATA
    value = 100 * float(difference)
    if round(value, digits) == 0:
        value = 0.0
    return f"{value:{'+' if signed and value else ''}.{digits}f} points"


def points_range(low: object, high: object, digits: int = 1) -> str:
    """An interval of differences in percentage points: "-10.6 to -0.9 points"."""
    return f"{points(low, digits).removesuffix(' points')} to {points(high, digits)}"


def p_value(p: object) -> str:
    """"p = 0.150", "p < 0.001", or "p not defined" (too few values to test)."""
    if _missing(p):
        return "p not defined"
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.3f}"


def count(n: object) -> str:
    """A whole number with thousands separators: 20000 -> "20,000"."""
    return NO_DATA if _missing(n) else f"{float(n):,.0f}"


def capitalised(text: str) -> str:
    """``text`` with its first letter in upper case and the rest untouched ("cumulative DSG" ->
    "Cumulative DSG", where str.capitalize would write "Cumulative dsg")."""
    return text[:1].upper() + text[1:]


def listing(items: Sequence[object]) -> str:
    """"A", "A and B", "A, B and C" (items as text; "none" when empty)."""
    words = [str(item) for item in items]
    if not words:
        return "none"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def unit_with_code(name: object, unit: object) -> str:
    """A harmonised unit for a reader: "Camden (202)" for a council's 3-digit code, the name
    alone for a merged unit (whose id is not a code anyone uses)."""
    code = str(unit)
    return f"{name} ({code})" if re.fullmatch(r"\d{3}", code) else str(name)


def _se_points(se: float) -> str:
    """A standard error in percentage points: one decimal from 0.1 points, else two significant digits."""
    value = 100 * se
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"


def _bounds(simulated: SimulatedShare) -> tuple[str, str]:
    """The 95% bounds near 0% and near 100% (bound_95), with two significant digits of their gap:
    ("0.015%", "99.985%") for 20,000 draws."""
    gap = 100 * simulated.bound_95
    decimals = max(0, 1 - math.floor(math.log10(gap)))
    return f"{gap:.{decimals}f}%", f"{100 - gap:.{decimals}f}%"


def mc_share(simulated: SimulatedShare, of: str = "draws") -> str:
    """A simulated share of ``of`` with its Monte Carlo standard error: "0.6% of random groups
    (Monte Carlo s.e. 0.05 points, 20,000 draws)"; when none or every draw qualifies, the 95%
    bound: "none of 20,000 random groups (below 0.015% at 95% confidence)"."""
    n = count(simulated.n_draws)
    if _missing(simulated.share):
        return f"{NO_DATA} (too few units for a group of that size)"
    if simulated.share == 0:
        return f"none of {n} {of} (below {_bounds(simulated)[0]} at 95% confidence)"
    if simulated.share == 1:
        return f"all {n} {of} (above {_bounds(simulated)[1]} at 95% confidence)"
    return f"{share(simulated.share)} of {of} (Monte Carlo s.e. {_se_points(simulated.mc_se)} points, {n} draws)"


def mc_share_cell(simulated: SimulatedShare) -> str:
    """A simulated share for a table cell, its Monte Carlo standard error in brackets (points):
    "0.6% (0.05)"; none or every draw: "0% (none; < 0.015%)", "100% (all; > 99.985%)"."""
    if _missing(simulated.share):
        return NO_DATA
    if simulated.share == 0:
        return f"0% (none; < {_bounds(simulated)[0]})"
    if simulated.share == 1:
        return f"100% (all; > {_bounds(simulated)[1]})"
    return f"{share(simulated.share)} ({_se_points(simulated.mc_se)})"


MC_CELL_NOTE = ("In brackets: the Monte Carlo standard error in percentage points (how far another seed would "
                "typically move the share); where no draw or every draw qualifies, the 95% bound instead.")


def mc_interval(interval: SimulatedInterval) -> str:
    """A simulated interval of shares with the Monte Carlo standard error of its ends: "27.5% to
    46.7% (Monte Carlo s.e. of the ends at most 0.1 points, 20,000 draws)"."""
    worst = max(interval.low.mc_se, interval.high.mc_se)
    return (f"{share(interval.low.value)} to {share(interval.high.value)} (Monte Carlo s.e. of the ends at most "
            f"{_se_points(worst)} points, {count(interval.n_draws)} draws)")


def format_value(value: object, unit: str) -> str:
    """``value`` for a table cell: "gbp" £1,205 (whole pounds), "gbp_m" £12.3m, "pct" 12.3%,
    "signed_pct" +12.3%, "rate" 201.8, "index" 1.062, "count" 1,234, "text" as is; "no data" when missing."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {list(UNITS)}")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NO_DATA
    if unit == "text":
        return str(value)
    number = float(value)
    size = abs(number)
    formats = {
        "gbp": lambda: f"£{size:,.0f}",
        "gbp_m": lambda: f"£{size / 1e6:,.1f}m",
        "pct": lambda: f"{size:.1f}%",
        "signed_pct": lambda: f"{size:.1f}%",
        "rate": lambda: f"{size:,.1f}",
        "index": lambda: f"{size:.3f}",
        "count": lambda: f"{size:,.0f}",
    }
    return with_sign(formats[unit](), number < 0, plus=unit == "signed_pct")


def readable_frame(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """``frame``'s ``columns`` (column -> (heading, unit)) as text, under their headings, in that order."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the table; it has {list(frame.columns)}")
    return pd.DataFrame({heading: [format_value(v, unit) for v in frame[column]]
                         for column, (heading, unit) in columns.items()})


#: Outcome kind (sendlib.analysis.outcomes.KINDS) -> the unit of format_value it is written in.
OUTCOME_UNITS = {"share": "pct", "rate": "rate", "money": "gbp"}


def format_outcome(value: object, kind: object) -> str:
    """An outcome's value as a person reads it, by its ``kind`` (an Outcome of
    sendlib.analysis.outcomes, or its kind): a share (a fraction) 0.508 -> "50.8%", a rate per
    10,000 23.62 -> "23.6", money 1204.6 -> "£1,205"; "no data" when missing."""
    kind = getattr(kind, "kind", kind)
    if kind not in OUTCOME_UNITS:
        raise ValueError(f"unknown outcome kind {kind!r}; choose one of {list(OUTCOME_UNITS)}")
    if value is None or pd.isna(value):
        return NO_DATA
    return format_value(float(value) * (100 if kind == "share" else 1), OUTCOME_UNITS[kind])


def markdown_table(frame: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """A Markdown table of ``frame`` (cells as text, headings = its columns, no index), every
    heading and cell escaped, then each of ``notes`` as a line below it."""
    def row(cells: Sequence[object]) -> str:
        return "| " + " | ".join(escape(cell) for cell in cells) + " |"

    lines = [row(frame.columns), "|" + "|".join(" --- " for _ in frame.columns) + "|"]
    lines += [row(values) for values in frame.astype(str).itertuples(index=False)]
    if notes:
        lines += ["", *(f"{escape(note)}  " for note in notes)]
    return "\n".join(lines)


def bullet_list(lines: Sequence[str]) -> str:
    """A Markdown bullet list of ``lines``, each escaped (they come from data)."""
    return "\n".join(f"- {escape(line)}" for line in lines)


def format_gbp(value: float) -> str:
    """"£50.3m", "£1.23bn", "-£4.9m", "£754" (per-head values), never "-£0"; "not available" for NaN."""
    if value is None or pd.isna(value):
        return "not available"
    size = abs(float(value))
    if size >= 1e9:
        text = f"£{size / 1e9:.2f}bn"
    elif size >= 1e6:
        text = f"£{size / 1e6:.1f}m"
    else:
        text = f"£{size:,.0f}"
    return with_sign(text, value < 0)


def format_pct(share: float, signed: bool = True) -> str:
    """A share as a percentage: 0.743 -> "+74.3%" (or "74.3%"), -0.0004 -> "0.0%"; "not available" for NaN."""
    if share is None or pd.isna(share):
        return "not available"
    return with_sign(f"{abs(100 * float(share)):.1f}%", share < 0, plus=signed)


def with_sign(magnitude: str, negative: bool, plus: bool = False) -> str:
    """A number written without its sign (``magnitude``: "£4.9m", "12.3%") with "-" in front when
    ``negative`` (or "+" when ``plus`` and not negative), unless every digit shown is zero: a
    value that rounds to nothing is "£0.0m" or "0.0%", never "-£0.0m", "-0.0%" nor "+0.0%"."""
    if not any(char in "123456789" for char in magnitude):
        return magnitude
    return ("-" if negative else "+" if plus else "") + magnitude


# --- national totals and where a report's files are (notebooks 01, 04, 06) ---


def gbp_bn(value: object, signed: bool = False) -> str:
    """Pounds in billions to two decimals, one unit for a column of national totals: 4.404e9 ->
    "£4.40bn", -4.9e8 -> "-£0.49bn" (``signed``: "+£0.35bn"); "no data" when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NO_DATA
    number = float(value)
    return with_sign(f"£{abs(number) / 1e9:,.2f}bn", number < 0, plus=signed)


def years_span(years: Sequence[str]) -> str:
    """Years in order as a span: ["2019-20", "2020-21", "2021-22"] -> "2019-20 to 2021-22"; one
    year alone; "no year" when empty."""
    if not years:
        return "no year"
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def project_path(path: object, root: object) -> str:
    """``path`` as a reader should see it: relative to ``root`` (the project or a run folder),
    never the machine's absolute path; a path outside ``root`` keeps only its last two parts."""
    from pathlib import Path

    target, base = Path(str(path)).resolve(), Path(str(root)).resolve()
    if target.is_relative_to(base):
        return target.relative_to(base).as_posix() or "."
    return Path(*target.parts[-2:]).as_posix()
