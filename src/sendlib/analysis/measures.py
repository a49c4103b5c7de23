"""Which number a question is about: a measure (spend, allocation, EHC plans), a basis
(cash or real terms) and a denominator (total, per head, per EHC plan).

One formula, used both when the panel is built (``add_derived_columns``) and by every
analysis (``measure_values``):

- real = cash / deflator_index * 100 (prices of the deflator's base year, index = 100);
- per head = value / population of that age band (mid-year ``fy_start``);
- per EHC plan = value / EHC plans in force in January ``fy_start + 1``.

A denominator that is missing or not positive gives a missing value (NaN), never 0 or inf.
"""

from __future__ import annotations

import pandas as pd

from sendlib.errors import ValidationError

#: Measure name -> the panel's cash (or count) column.
MEASURES: dict[str, str] = {
    "hn_spend": "hn_spend_gbp",
    "hnb_before_deductions": "hnb_before_deductions_gbp",
    "hnb_after_deductions": "hnb_after_deductions_gbp",
    "dsg_total": "dsg_total_gbp",
    "ehcp": "ehcp_count",
}
BASES = ("cash", "real")
DENOMINATORS = ("total", "per_head_2_18", "per_head_0_25", "per_ehcp")

#: Denominator name -> the panel column it divides by ("total" divides by nothing).
DENOMINATOR_COLUMNS: dict[str, str] = {
    "per_head_2_18": "pop_2_18_count",
    "per_head_0_25": "pop_0_25_count",
    "per_ehcp": "ehcp_count",
}
#: Measures that are counts, not money: no real-terms basis and no per-EHC-plan denominator.
COUNT_MEASURES = frozenset({"ehcp"})
#: Measure -> bool column saying the value covers every member LA of the unit.
COMPLETENESS_FLAGS: dict[str, str] = {"hn_spend": "hn_spend_complete"}
DEFLATOR_COLUMN = "deflator_index"

#: Derived column -> (measure, basis, denominator) that ``add_derived_columns`` writes.
DERIVED_COLUMNS: dict[str, tuple[str, str, str]] = {
    "hn_spend_real_gbp": ("hn_spend", "real", "total"),
    "hn_spend_per_head_2_18_gbp": ("hn_spend", "cash", "per_head_2_18"),
    "hn_spend_per_head_0_25_gbp": ("hn_spend", "cash", "per_head_0_25"),
    "hn_spend_per_ehcp_gbp": ("hn_spend", "cash", "per_ehcp"),
}


def check_measure(measure: str, basis: str, denominator: str) -> None:
    """Raise a ValueError naming an unknown name (and the choices) or an invalid combination."""
    for kind, value, choices in (
        ("measure", measure, tuple(MEASURES)),
        ("basis", basis, BASES),
        ("denominator", denominator, DENOMINATORS),
    ):
        if value not in choices:
            raise ValueError(f"unknown {kind} {value!r}; choose one of {list(choices)}")
    if measure in COUNT_MEASURES and basis == "real":
        raise ValueError(f"measure {measure!r} is a count: basis 'real' is invalid; use 'cash' (the plain count)")
    if measure in COUNT_MEASURES and denominator == "per_ehcp":
        raise ValueError(f"measure {measure!r} cannot be divided by itself: denominator 'per_ehcp' is invalid")


def is_valid_combination(measure: str, basis: str, denominator: str) -> bool:
    """True when ``check_measure`` accepts the combination."""
    try:
        check_measure(measure, basis, denominator)
    except ValueError:
        return False
    return True


def required_columns(measure: str, basis: str, denominator: str) -> list[str]:
    """The panel columns a (valid) combination reads."""
    check_measure(measure, basis, denominator)
    columns = [MEASURES[measure]]
    if basis == "real":
        columns.append(DEFLATOR_COLUMN)
    if denominator != "total":
        columns.append(DENOMINATOR_COLUMNS[denominator])
    return columns


def require_panel_columns(panel: pd.DataFrame, columns: list[str]) -> None:
    """Raise a ValidationError naming every missing panel column."""
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise ValidationError(f"panel is missing column(s) {missing}; columns present: {list(panel.columns)}")


def measure_parts(panel: pd.DataFrame, measure: str, basis: str, denominator: str) -> tuple[pd.Series, pd.Series]:
    """(numerator, denominator) of a measure, row by row; the denominator is 1.0 for "total".

    The numerator is in cash (or count), or real terms when ``basis == "real"``; a
    missing or non-positive denominator is NaN.
    """
    require_panel_columns(panel, required_columns(measure, basis, denominator))
    numerator = panel[MEASURES[measure]].astype("float64")
    if basis == "real":
        numerator = numerator / panel[DEFLATOR_COLUMN].astype("float64") * 100.0
    if denominator == "total":
        divisor = pd.Series(1.0, index=panel.index, dtype="float64")
    else:
        divisor = panel[DENOMINATOR_COLUMNS[denominator]].astype("float64")
        divisor = divisor.where(divisor > 0)
    return numerator.rename("numerator"), divisor.rename("denominator")


def measure_values(panel: pd.DataFrame, measure: str, basis: str, denominator: str) -> pd.Series:
    """The measure for every panel row (numerator / denominator), float64, NaN where unknown."""
    numerator, divisor = measure_parts(panel, measure, basis, denominator)
    return (numerator / divisor).rename(f"{measure}_{basis}_{denominator}")


def add_derived_columns(panel: pd.DataFrame) -> pd.DataFrame:
    """A copy of the panel with the derived columns of ``DERIVED_COLUMNS`` (over)written, in that order.

    hn_spend_real_gbp = hn_spend_gbp / deflator_index * 100; the per-head and per-EHC-plan
    columns are in cash. They follow the raw spend: a unit whose spend is incomplete
    (``hn_spend_complete`` False) keeps its partial value, which analyses exclude.
    """
    derived = panel.drop(columns=[c for c in DERIVED_COLUMNS if c in panel.columns])
    for column, (measure, basis, denominator) in DERIVED_COLUMNS.items():
        derived[column] = measure_values(panel, measure, basis, denominator).to_numpy()
    return derived
