"""Outcomes of the SEND system per harmonised unit and financial year, as ratios of the panel's
counts: where children with EHC plans are placed, how many new plans and requests there are,
how fast plans are issued, how often decisions are appealed.

Every outcome is ``scale x numerator / denominator`` of panel columns of the same unit and FY
(pairing in :mod:`sendlib.years`: plans in force of January Y+1, flows of calendar year Y,
population of mid-year Y). It is missing where the numerator or the denominator is missing
or the denominator is not positive, never 0. Counts of merged units are whole-member-set sums
(:mod:`sendlib.panel`), so a ratio never mixes a partial numerator with a whole denominator.
Shares are fractions (0-1), rates per 10,000; formatting for people is
:mod:`sendlib.present.readable`'s job.

Whether a value rests on a count too small to read (Isles of Scilly, City of London and Rutland
are the tiny councils) is decided for every outcome by sendlib.analysis.small_numbers, the one
registry of counts and thresholds the council profile flags with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from sendlib import years
from sendlib.analysis.measures import require_panel_columns
from sendlib.panel import FLOW_COUNTS, PANEL_KEYS, SETTING_COUNTS, setting_counts

KINDS = ("share", "rate", "money")
PER_10K = 10_000.0


@dataclass(frozen=True)
class Outcome:
    """``scale x numerator / sum(denominator)`` of panel columns; ``kind`` is "share" (a fraction
    0-1), "rate" (per 10,000) or "money"; ``label`` says it in words."""

    name: str
    numerator: str
    denominator: tuple[str, ...]
    scale: float
    label: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"outcome {self.name!r}: kind {self.kind!r} is not one of {list(KINDS)}")

    @property
    def columns(self) -> list[str]:
        """The panel columns the outcome reads."""
        return [self.numerator, *self.denominator]


OUTCOMES: dict[str, Outcome] = {outcome.name: outcome for outcome in [
    Outcome("mainstream_share", "ehcp_mainstream_count", ("ehcp_count",), 1.0,
            "Share of EHC plans in mainstream schools (including resourced provision and SEN units)", "share"),
    Outcome("special_state_share", "ehcp_special_state_count", ("ehcp_count",), 1.0,
            "Share of EHC plans in state special schools", "share"),
    Outcome("special_independent_share", "ehcp_special_independent_count", ("ehcp_count",), 1.0,
            "Share of EHC plans in independent and non-maintained special schools", "share"),
    Outcome("ap_share", "ehcp_ap_count", ("ehcp_count",), 1.0,
            "Share of EHC plans in alternative provision and pupil referral units", "share"),
    Outcome("new_plans_per_10k", "new_plans_count", ("pop_0_25_count",), PER_10K,
            "New EHC plans per 10,000 people aged 0-25", "rate"),
    Outcome("ehcp_per_10k", "ehcp_count", ("pop_0_25_count",), PER_10K,
            "EHC plans per 10,000 people aged 0-25", "rate"),
    Outcome("timely_20wk_ex", "issued_20wk_ex_count", ("issued_ex_count",), 1.0,
            "Share of new EHC plans issued within 20 weeks, excluding exceptions", "share"),
    Outcome("timely_20wk", "issued_20wk_count", ("issued_count",), 1.0,
            "Share of new EHC plans issued within 20 weeks, including exceptions", "share"),
    Outcome("requests_per_10k", "requests_count", ("pop_0_25_count",), PER_10K,
            "Requests for an EHC needs assessment per 10,000 people aged 0-25", "rate"),
    Outcome("refusal_share", "not_assess_count", ("assess_count", "not_assess_count"), 1.0,
            "Share of assessment decisions that refused an assessment", "share"),
    Outcome("appeal_rate", "appeals_count", ("appealable_decisions_count",), 1.0,
            "SEND Tribunal appeals per appealable decision", "share"),
]}

#: The England tables :func:`national_outcomes` reads (the clean step's ``_national`` tables).
NATIONAL_TABLES = ("ehcp_national", "ehcp_by_setting_national", "population_england",
                   *(f"{name}_national" for name in FLOW_COUNTS))


def _outcome(name: str | Outcome) -> Outcome:
    """The outcome called ``name`` (an Outcome is taken as it is: a ratio defined elsewhere, such
    as a share of plans in further education), or a ValueError naming the choices."""
    if isinstance(name, Outcome):
        return name
    if name not in OUTCOMES:
        raise ValueError(f"unknown outcome {name!r}; choose one of {list(OUTCOMES)}")
    return OUTCOMES[name]


def denominator_values(frame: pd.DataFrame, name: str | Outcome) -> pd.Series:
    """The outcome's denominator per row (the sum of its columns; missing if any is missing)."""
    outcome = _outcome(name)
    require_panel_columns(frame, outcome.columns)
    total = frame[list(outcome.denominator)].astype("float64").sum(axis=1, min_count=len(outcome.denominator))
    return total.rename(f"{outcome.name}_denominator")


def outcome_values(frame: pd.DataFrame, name: str | Outcome) -> pd.Series:
    """The outcome per row: scale x numerator / denominator; missing where either is missing or
    the denominator is not positive (never 0 for missing)."""
    outcome = _outcome(name)
    denominator = denominator_values(frame, name)
    values = outcome.scale * frame[outcome.numerator].astype("float64") / denominator.where(denominator > 0)
    return values.rename(outcome.name)


def outcome_frame(panel: pd.DataFrame, names: Iterable[str] | None = None) -> pd.DataFrame:
    """``unit, fy`` and one column per outcome (default: every outcome of :data:`OUTCOMES`)."""
    names = list(OUTCOMES) if names is None else list(names)
    return pd.concat([panel[PANEL_KEYS].reset_index(drop=True),
                      *[outcome_values(panel, name).reset_index(drop=True) for name in names]], axis=1)


def national_counts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """England's counts per FY under the panel's column names, from the ``_national`` tables
    (the files' own England rows) and ``population_england``."""
    plans = tables["ehcp_national"][["january", "ehcp_count"]]
    settings = setting_counts(tables["ehcp_by_setting_national"], ["january"])
    parts = [plans.assign(fy=plans.pop("january").map(years.fy_for_january)),
             settings.assign(fy=settings.pop("january").map(years.fy_for_january)),
             tables["population_england"][["mid_year", "pop_0_25_count"]].assign(
                 fy=lambda f: f.pop("mid_year").map(years.fy_label))]
    for name, columns in FLOW_COUNTS.items():
        flows = tables[f"{name}_national"][["calendar_year", *columns]]
        parts.append(flows.assign(fy=flows.pop("calendar_year").map(years.fy_for_calendar_year)))
    counts = parts[0]
    for part in parts[1:]:
        counts = counts.merge(part, on="fy", how="outer")
    columns = ["ehcp_count", *SETTING_COUNTS, "pop_0_25_count", *(c for cs in FLOW_COUNTS.values() for c in cs)]
    return counts.assign(unit="england")[["unit", "fy", *columns]].sort_values("fy").reset_index(drop=True)


def national_outcomes(tables: Mapping[str, pd.DataFrame] | None = None,
                      names: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
    """``{outcome: {fy: value}}`` for England (years with a value only), from the clean step's
    England tables (read from ``data/processed`` when ``tables`` is not given)."""
    if tables is None:
        from sendlib.tables import read_table

        tables = {name: read_table(name) for name in NATIONAL_TABLES}
    frame = outcome_frame(national_counts(tables), names).set_index("fy").drop(columns="unit")
    return {name: {fy: float(value) for fy, value in frame[name].dropna().items()} for name in frame.columns}
