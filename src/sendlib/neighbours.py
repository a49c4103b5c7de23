"""A council's DfE statistical neighbours as harmonised units (the panel's comparators).

The ``stat_neighbours`` table lists each council's ten neighbours by DfE code. The panel is
on harmonised units, so a neighbour that is now part of a merged unit (Cumbria 909 in the
2021 model -> ``cumbria``; North and West Northamptonshire -> ``northamptonshire``) maps to
that unit. Two neighbours in one unit count once, at the better rank, and a neighbour in the
council's own unit is left out; :func:`neighbour_mapping` says which and why.
"""

from __future__ import annotations

import pandas as pd

from sendlib.errors import ParameterError
from sendlib.memo import memoised

MAPPING_COLUMNS = ["rank", "neighbour_la_code", "neighbour_name", "closeness", "unit", "unit_name", "kept", "note"]
UNIT_COLUMNS = ["rank", "neighbour_la_code", "neighbour_name", "closeness", "unit", "unit_name",
                "neighbour_la_codes", "note"]


class NoNeighboursError(ParameterError):
    """A council has no row in the chosen statistical-neighbour model."""

    def __init__(self, la_code: str, model: str, other_models: list[str]) -> None:
        hint = (f"; model {' or '.join(other_models)} has its neighbours (use sn_model {other_models[0]})"
                if other_models else "; no model lists it")
        super().__init__(f"council {la_code} has no statistical neighbours in the {model} model{hint}")
        self.la_code, self.model, self.other_models = la_code, model, other_models


def check_model(stat_neighbours: pd.DataFrame, model: str) -> None:
    """ParameterError unless ``model`` is a model of the (whole) ``stat_neighbours`` table."""
    models = sorted(set(stat_neighbours["model"]))
    if model not in models:
        raise ParameterError(f"sn_model {model!r} is not a statistical-neighbour model; expected one of {models}")


def council_neighbours(stat_neighbours: pd.DataFrame, la_code: str, model: str) -> pd.DataFrame:
    """The council's rows of one model, by rank; NoNeighboursError naming any model that has it."""
    check_model(stat_neighbours, model)
    rows = stat_neighbours[(stat_neighbours["model"] == model) & (stat_neighbours["la_code"] == la_code)]
    if rows.empty:
        listed = set(stat_neighbours.loc[stat_neighbours["la_code"] == la_code, "model"])
        raise NoNeighboursError(la_code, model, sorted(listed, reverse=True))
    return rows.sort_values("rank").reset_index(drop=True)


def _note(row: pd.Series, own_unit: str, first_rank: dict[str, int], names: pd.Series) -> str:
    """Why a neighbour is left out or what it stands for ("" when it is simply kept)."""
    if row["unit"] == own_unit:
        return f"left out: part of the council's own unit, {row['unit_name']}"
    best = first_rank[row["unit"]]
    if best != row["rank"]:
        return f"counted once with rank {best} ({names[best]}): both are on the panel as {row['unit_name']}"
    if row["unit"] != row["neighbour_la_code"]:
        return f"on the panel as {row['unit_name']}"
    return ""


def neighbour_mapping(stat_neighbours: pd.DataFrame, lookup: pd.DataFrame, la_code: str, model: str) -> pd.DataFrame:
    """Every one of the council's neighbours with its unit: MAPPING_COLUMNS, by rank.

    ``kept`` is False for a neighbour in the council's own unit and for a later-ranked
    neighbour in a unit already listed; ``note`` says why (or that a kept neighbour now stands
    for a merged unit).
    """
    rows = council_neighbours(stat_neighbours, la_code, model)
    councils = lookup.set_index("la_code")
    unknown = sorted(set(rows["neighbour_la_code"]) - set(councils.index))
    if unknown or la_code not in councils.index:
        raise ParameterError(f"model {model}, council {la_code}: code(s) {unknown or [la_code]} are not in the LA lookup")
    own_unit = councils.at[la_code, "unit"]
    codes = rows["neighbour_la_code"]
    mapping = rows[["rank", "neighbour_la_code", "closeness"]].assign(
        neighbour_name=codes.map(councils["la_name"]).to_numpy(),
        unit=codes.map(councils["unit"]).to_numpy(),
        unit_name=codes.map(councils["unit_name"]).to_numpy(),
    )
    candidates = mapping[mapping["unit"] != own_unit]
    first_rank = candidates.groupby("unit")["rank"].min().to_dict()
    names = mapping.set_index("rank")["neighbour_name"]
    mapping["kept"] = (mapping["unit"] != own_unit) & (mapping["rank"] == mapping["unit"].map(first_rank))
    mapping["note"] = [_note(row, own_unit, first_rank, names) for _, row in mapping.iterrows()]
    return mapping[MAPPING_COLUMNS].reset_index(drop=True)


@memoised
def neighbour_units(stat_neighbours: pd.DataFrame, lookup: pd.DataFrame, la_code: str, model: str) -> pd.DataFrame:
    """The council's neighbours as distinct harmonised units, best rank first: UNIT_COLUMNS.

    One row per unit, at the best rank of its neighbours (``neighbour_la_codes``: every
    neighbour code mapped to it, ";"-joined by rank); the council's own unit is left out.
    ``note`` says when a row stands for a merged unit or for several neighbours. A council
    with no row in ``model`` raises NoNeighboursError naming the other model if it has one.
    A report asks twice (its parameter check, then its comparators): computed once for the
    tables' content (sendlib.memo).
    """
    mapping = neighbour_mapping(stat_neighbours, lookup, la_code, model)
    counted = mapping[mapping["unit"] != lookup.set_index("la_code").at[la_code, "unit"]]
    members = counted.groupby("unit", sort=False)["neighbour_la_code"].agg(";".join)
    units = mapping[mapping["kept"]].copy()
    units["neighbour_la_codes"] = units["unit"].map(members)
    several = units["neighbour_la_codes"].str.contains(";")
    units.loc[several, "note"] = ("stands for neighbours " + units.loc[several, "neighbour_la_codes"].str.replace(";", ", ")
                                  + ": all on the panel as " + units.loc[several, "unit_name"])
    return units[UNIT_COLUMNS].reset_index(drop=True)
