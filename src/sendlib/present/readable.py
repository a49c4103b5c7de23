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
    sign = "-" if number < 0 else ""
    formats = {
        "gbp": lambda: f"{sign}£{abs(number):,.0f}",
        "gbp_m": lambda: f"{sign}£{abs(number) / 1e6:,.1f}m",
        "pct": lambda: f"{number:.1f}%",
        "signed_pct": lambda: f"{number:+.1f}%",
        "rate": lambda: f"{number:,.1f}",
        "index": lambda: f"{number:.3f}",
        "count": lambda: f"{number:,.0f}",
    }
    return formats[unit]()


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
    """"£50.3m", "£1.23bn", "-£4.9m", "£754" (per-head values); "not available" for NaN."""
    if value is None or pd.isna(value):
        return "not available"
    sign, size = ("-" if value < 0 else ""), abs(float(value))
    if size >= 1e9:
        return f"{sign}£{size / 1e9:.2f}bn"
    if size >= 1e6:
        return f"{sign}£{size / 1e6:.1f}m"
    return f"{sign}£{size:,.0f}"


def format_pct(share: float, signed: bool = True) -> str:
    """A share as a percentage: 0.743 -> "+74.3%" (or "74.3%"); "not available" for NaN."""
    if share is None or pd.isna(share):
        return "not available"
    return f"{100 * float(share):{'+' if signed else ''}.1f}%"
