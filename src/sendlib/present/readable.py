"""Numbers and tables as a person reads them in a report: pounds as £ or £m with sensible
rounding, percentages with %, "no data" instead of NaN, and Markdown tables whose every cell
and heading goes through sendlib.present.markup.escape (values come from data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sendlib.present.markup import escape

NO_DATA = "no data"
#: Unit name -> how a value of it is written (see :func:`format_value`).
UNITS = ("gbp", "gbp_m", "pct", "signed_pct", "rate", "index", "count", "text")
LA_TYPE_NAMES = {
    "ILB": "inner London borough", "OLB": "outer London borough", "MD": "metropolitan district",
    "UA": "unitary authority", "SC": "shire county",
}


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
