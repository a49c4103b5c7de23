"""A programme council's own paths before and after it entered Delivering Better Value (DBV) or the
safety valve, against its DfE statistical neighbours that were in no programme: notebook 08's
neighbours' comparison (sendlib.analysis.evaluation) for one council, as its report shows it
(numbers and frames only; the sentences are in sendlib.findings.council).

Definitions are those of sendlib.analysis.evaluation: a unit's programme is the one it entered
first and its entry year the first treated FY (DBV: the invitation of 23 June 2022, so 2022-23;
safety valve: the FY of its agreement); its comparison neighbours are its statistical neighbours
(``sn_model``, as units) in no programme. Annual growth before entry runs from the first year
with the outcome to the year before entry, after entry from the year before entry to the last
year with the outcome (log points for money and rates, fractions for shares; for people, money
and rates read as % a year, exp(x) - 1, and shares as percentage points a year). The neighbours'
growth is the mean over the neighbours with growth both before and after entry; the difference
is the council's change in growth (after - before) minus the neighbours' mean change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis import evaluation
from sendlib.analysis.profile import ProfileInputs
from sendlib.memo import memoised
from sendlib.years import fy_label, fy_start

#: The paths shown: spending per head, EHC plans, new plans, placement and timeliness.
PATH_OUTCOMES = ("hn_spend_per_head_2_18", "ehcp_per_10k", "new_plans_per_10k", "mainstream_share",
                 "special_independent_share", "timely_20wk_ex")
PATH_COLUMNS = ["outcome", "label", "kind", "fy", "time", "council", "neighbours", "n_neighbours"]
GROWTH_COLUMNS = ["outcome", "label", "kind", "before", "after", "council_before", "council_after",
                  "neighbours_before", "neighbours_after", "n_neighbours", "difference"]


@dataclass(frozen=True)
class ProgrammeEntry:
    """The programme a unit entered first, the first treated FY, its statistical neighbours (as
    units) and those of them in no programme."""

    programme: str
    entry_fy: str
    neighbours: tuple[str, ...]
    comparison_neighbours: tuple[str, ...]

    @property
    def entry(self) -> int:
        return int(self.entry_fy[:4])


def programme_entry(programme_rows: pd.DataFrame, lookup: pd.DataFrame, stat_neighbours: pd.DataFrame,
                    units: Collection[str], unit: str, sn_model: str) -> ProgrammeEntry | None:
    """The unit's ProgrammeEntry (evaluation.programme_timing and treatment_groups over ``units``),
    None when it is in no programme; no neighbours when none of its councils is in the model
    (evaluation.comparison_neighbours)."""
    timing = evaluation.programme_timing(programme_rows, lookup)
    for programme in evaluation.PROGRAMME_ROWS:
        groups = evaluation.treatment_groups(timing, programme, units).set_index("unit")
        if unit in groups.index and groups.at[unit, "role"] == "treated":
            comparison = groups.index[groups["role"] == "comparison"]
            every = evaluation.comparison_neighbours(stat_neighbours, lookup, [unit], sn_model, units)[unit]
            chosen = evaluation.comparison_neighbours(stat_neighbours, lookup, [unit], sn_model, comparison)[unit]
            return ProgrammeEntry(programme, fy_label(int(groups.at[unit, "first_treat"])), tuple(every), tuple(chosen))
    return None


@memoised
def path_values(panel: pd.DataFrame, last_fy: str, names: tuple[str, ...] = PATH_OUTCOMES) -> pd.DataFrame:
    """unit, time, fy and each outcome (evaluation.outcome_values: spending only where complete),
    FYs up to ``last_fy`` (the same for every council: computed once per process, sendlib.memo)."""
    values = evaluation.outcome_values(panel, list(names))
    return values[values["time"] <= fy_start(last_fy)].reset_index(drop=True)


def paths(values: pd.DataFrame, unit: str, neighbours: Collection[str]) -> pd.DataFrame:
    """PATH_COLUMNS: per outcome of ``values`` (path_values) and FY with a value for some unit, the
    council's value and the mean over ``neighbours`` with a value (and how many)."""
    rows = []
    for name in values.columns.drop(["unit", "time", "fy"]):
        spec = evaluation.outcome_spec(name)
        wide = values.pivot(index="unit", columns="fy", values=name)
        wide = wide.loc[:, wide.notna().any()]
        peers = wide.reindex(list(neighbours))
        rows.append(pd.DataFrame({
            "outcome": name, "label": spec.label, "kind": spec.kind, "fy": wide.columns,
            "time": [int(fy[:4]) for fy in wide.columns],
            "council": wide.reindex([unit]).iloc[0].to_numpy(dtype="float64"),
            "neighbours": peers.mean().to_numpy(dtype="float64"), "n_neighbours": peers.notna().sum().to_numpy(),
        }))
    return pd.concat(rows, ignore_index=True)[PATH_COLUMNS]


def _span(wide: pd.DataFrame, entry: int) -> tuple[str, str]:
    """The years of growth before and after entry, as evaluation.growth_around takes them."""
    known = [year for year in wide.columns if wide[year].notna().any()]
    if not known:
        return "", ""
    first, last = min(known), max(known)
    before = f"{fy_label(first)} to {fy_label(entry - 1)}" if first < entry - 1 else ""
    after = f"{fy_label(entry - 1)} to {fy_label(last)}" if last > entry - 1 else ""
    return before, after


def growth_table(values: pd.DataFrame, unit: str, entry: int, neighbours: Collection[str]) -> pd.DataFrame:
    """GROWTH_COLUMNS per outcome of ``values``: the years before and after entry, the council's
    and its ``neighbours``' mean annual growth in each (analysis scale: log points, or fractions for
    shares), how many neighbours have both, and the difference in the change (the council's change
    minus the neighbours' mean change: evaluation.neighbour_comparison)."""
    treated = pd.DataFrame({"unit": [unit], "first_treat": [entry], "role": ["treated"], "note": [""]})
    rows = []
    for name in values.columns.drop(["unit", "time", "fy"]):
        spec, wide = evaluation.outcome_spec(name), evaluation.wide_values(values, name)
        growth = evaluation.growth_around(wide, entry)
        peers = growth.reindex([n for n in neighbours if n in growth.index]).dropna()
        own = growth.reindex([unit]).iloc[0]
        compared = evaluation.neighbour_comparison(wide, treated, {unit: list(neighbours)}).iloc[0]
        rows.append((name, spec.label, spec.kind, *_span(wide, entry), own["pre_growth"], own["post_growth"],
                     peers["pre_growth"].mean() if len(peers) else np.nan,
                     peers["post_growth"].mean() if len(peers) else np.nan, len(peers), compared["difference"]))
    return pd.DataFrame(rows, columns=GROWTH_COLUMNS)


UNIT_WORDS = {"money": " (£)", "rate": "", "share": " (%)"}


def figure_frame(lines: pd.DataFrame, council_label: str, neighbours_label: str) -> pd.DataFrame:
    """measure (the label, capitalised, with its unit), time, fy, series (the council, the
    neighbours' average), value (shares in %) and n_neighbours of :func:`paths`, for a figure
    and its CSV."""
    scale = np.where(lines["kind"] == "share", 100.0, 1.0)
    measure = [label[:1].upper() + label[1:] + UNIT_WORDS[kind] for label, kind in zip(lines["label"], lines["kind"])]
    parts = [pd.DataFrame({"measure": measure, "time": lines["time"], "fy": lines["fy"], "series": name,
                           "value": lines[column] * scale, "n_neighbours": lines["n_neighbours"]})
             for column, name in (("council", council_label), ("neighbours", neighbours_label))]
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class CouncilPaths:
    """A council's programme entry (``entry``: None outside a programme), its paths against its
    neighbours in no programme (``lines``: :func:`paths`) and its growth before and after entry
    (``growth``: :func:`growth_table`); both frames empty outside a programme."""

    entry: ProgrammeEntry | None
    lines: pd.DataFrame
    growth: pd.DataFrame

    def results(self) -> dict[str, Any] | None:
        """results.json's ``programme_paths``: programme, entry_fy, neighbours and those in no
        programme, and per outcome the growth before and after entry (analysis scale: log points
        for money and rates, fractions for shares) and the difference in the change; None
        outside a programme."""
        if self.entry is None:
            return None
        return {"programme": self.entry.programme, "entry_fy": self.entry.entry_fy,
                "neighbour_units": list(self.entry.neighbours),
                "comparison_units": list(self.entry.comparison_neighbours),
                "growth": self.growth.set_index("outcome").drop(columns="label").to_dict("index")}


def council_paths(inputs: ProfileInputs, unit: str, sn_model: str, last_fy: str) -> CouncilPaths:
    """The unit's :class:`CouncilPaths` up to ``last_fy``: its :func:`programme_entry` (its
    statistical neighbours in ``sn_model``) and, in a programme, its paths and growth against
    the entry's comparison neighbours."""
    entry = programme_entry(inputs.programmes, inputs.lookup, inputs.stat_neighbours, inputs.units, unit, sn_model)
    if entry is None:
        return CouncilPaths(None, pd.DataFrame(columns=PATH_COLUMNS), pd.DataFrame(columns=GROWTH_COLUMNS))
    values = path_values(inputs.panel, last_fy)
    return CouncilPaths(entry, paths(values, unit, entry.comparison_neighbours),
                        growth_table(values, unit, entry.entry, entry.comparison_neighbours))
