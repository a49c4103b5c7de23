"""Which councils took part in DfE's high-needs programmes, from ``data/reference/programmes.csv``.

Programmes (``programme`` column): ``delivering_better_value`` (DBV; ``group`` = tranche),
``safety_valve`` (``group`` = year of the agreement) and ``case_study_2022`` (the June 2022 DfE
research). Each row names a council as it was listed by the source; ``la_code`` was filled by
:func:`sendlib.geography.attach_la_code` and checked by eye against DfE's las.csv, and is
re-checked against the name every time the file is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.geography import default_lookup, name_index, normalise_name, operating_on
from sendlib.readers.common import require_columns, require_file

DBV = "delivering_better_value"
SAFETY_VALVE = "safety_valve"
CASE_STUDY = "case_study_2022"
PROGRAMMES = (DBV, SAFETY_VALVE, CASE_STUDY)

#: DfE counts programme councils (55 DBV, 34 safety valve) as LAs existed on this date.
COUNT_DATE = pd.Timestamp("2022-04-01")

PROGRAMME_COLUMNS = ["la_code", "la_name", "programme", "group", "amount_gbp", "confidence", "note", "source"]
CSV_COLUMNS = ["la_code", "la_name", "programme", "group", "amount_gbp_m", "confidence", "note", "source"]
MEMBERSHIP_COLUMNS = [
    "dbv", "dbv_tranche", "safety_valve", "safety_valve_year", "safety_valve_amount_gbp",
    "case_study_2022", "programme_la_codes",
]  # fmt: skip


def _csv_row(index: int) -> int:
    """The 1-based line number in the CSV file of data row ``index`` (header is line 1)."""
    return int(index) + 2


def _check_rows(frame: pd.DataFrame, lookup: pd.DataFrame, path: Path) -> None:
    """Every row: a known programme, a name that is an LA and an la_code that agrees with it."""
    index = name_index(lookup)
    problems = []
    for i, row in frame.iterrows():
        line, named = _csv_row(i), index.get(normalise_name(row["la_name"]))
        if row["programme"] not in PROGRAMMES:
            problems.append(f"line {line}: unknown programme {row['programme']!r} (expected one of {PROGRAMMES})")
        if named is None:
            problems.append(f"line {line}: la_name {row['la_name']!r} matches no LA")
        elif named != row["la_code"]:
            problems.append(f"line {line}: la_code {row['la_code']!r} disagrees with la_name {row['la_name']!r} ({named})")
    twice = frame[frame.duplicated(["la_code", "programme"], keep=False)]
    problems += [f"line {_csv_row(i)}: {row['la_code']} listed twice in {row['programme']}" for i, row in twice.iterrows()]
    if problems:
        raise SourceFormatError(path, "; ".join(problems))


def _amounts_gbp(values: pd.Series, path: Path) -> pd.Series:
    """amount_gbp_m (GBP million, blank = unknown) -> GBP, naming rows that are not numbers."""
    text = values.str.strip().replace("", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna()
    if bad.any():
        lines = [_csv_row(i) for i in values.index[bad]]
        raise SourceFormatError(path, f"column 'amount_gbp_m': not a number at line(s) {lines}")
    return numbers.astype("float64") * 1e6


def read_programmes(path: Path = config.PROGRAMMES_CSV, lookup: pd.DataFrame | None = None) -> pd.DataFrame:
    """Programme membership rows: la_code, la_name, programme, group, amount_gbp (NaN when
    unknown), confidence, note, source; sorted by programme, la_code. A name matching no LA or
    an la_code disagreeing with its name is a SourceFormatError naming the line."""
    lookup = default_lookup() if lookup is None else lookup
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, CSV_COLUMNS, path)
    frame = frame.apply(lambda col: col.str.strip())
    _check_rows(frame, lookup, path)
    frame["amount_gbp"] = _amounts_gbp(frame["amount_gbp_m"], path)
    frame["group"] = frame["group"].replace("", pd.NA)
    return frame[PROGRAMME_COLUMNS].sort_values(["programme", "la_code"]).reset_index(drop=True)


def _joined(values: pd.Series) -> str | None:
    """Distinct non-missing values, sorted and ";"-joined; None when there are none."""
    distinct = sorted(set(values.dropna().astype(str)))
    return ";".join(distinct) if distinct else None


def _amount_total(values: pd.Series) -> float:
    """Sum of amounts; NaN if any is unknown (a partial total would understate)."""
    return float(values.sum()) if len(values) and values.notna().all() else float("nan")


def _membership(programmes: pd.DataFrame, key: str) -> pd.DataFrame:
    """Membership columns per ``key`` from programme rows carrying that key (members only)."""
    by_programme = {p: programmes[programmes["programme"] == p].groupby(key) for p in PROGRAMMES}
    return pd.DataFrame(
        {
            "dbv": by_programme[DBV].size() > 0,
            "dbv_tranche": by_programme[DBV]["group"].agg(_joined),
            "safety_valve": by_programme[SAFETY_VALVE].size() > 0,
            "safety_valve_year": by_programme[SAFETY_VALVE]["group"].agg(_joined),
            "safety_valve_amount_gbp": by_programme[SAFETY_VALVE]["amount_gbp"].agg(_amount_total),
            "case_study_2022": by_programme[CASE_STUDY].size() > 0,
            "programme_la_codes": programmes.groupby(key)["la_code"].agg(_joined),
        }
    )


def _finish(members: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Membership columns for every key in ``index``, with explicit dtypes (non-members False/NA)."""
    table = members.reindex(index)
    for flag in ("dbv", "safety_valve", "case_study_2022"):
        table[flag] = table[flag].fillna(False).astype(bool)
    for text in ("dbv_tranche", "safety_valve_year", "programme_la_codes"):
        table[text] = table[text].astype("string")
    table["safety_valve_amount_gbp"] = table["safety_valve_amount_gbp"].astype("float64")
    return table[MEMBERSHIP_COLUMNS]


def _credited_la(programmes: pd.DataFrame, lookup: pd.DataFrame) -> pd.Series:
    """The LA each programme row counts for in 2022: itself if it operated on COUNT_DATE, else the
    one LA of its harmonised unit that did (Cumberland -> Cumbria); itself when there is none."""
    operating = operating_on(lookup, COUNT_DATE).drop_duplicates("unit", keep=False)
    single = operating.set_index("unit")["la_code"]
    units = programmes["la_code"].map(lookup.set_index("la_code")["unit"])
    return units.map(single).fillna(programmes["la_code"]).astype(str)


def membership_by_la(programmes: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """One row per LA of ``lookup``: la_code, la_name, unit, dbv, dbv_tranche, safety_valve,
    safety_valve_year, safety_valve_amount_gbp, case_study_2022, programme_la_codes.

    An LA is a member if it is listed. DfE counts councils as they existed in 2022 (55 DBV,
    34 safety valve), so a listed council that did not exist on COUNT_DATE (2022-04-01) is also
    credited to the LA of its unit that did: Cumberland and Westmorland and Furness (DBV
    tranche 1) make Cumbria (909) a DBV council with programme_la_codes "942;943". Count
    councils by keeping the rows of ``operating_on(lookup, COUNT_DATE)``.
    """
    credited = _credited_la(programmes, lookup)
    moved = credited != programmes["la_code"]
    rows = pd.concat([programmes.assign(key=programmes["la_code"]), programmes[moved].assign(key=credited[moved])])
    table = _finish(_membership(rows, "key"), pd.Index(lookup["la_code"], name="la_code"))
    names = lookup.set_index("la_code")
    table.insert(0, "la_name", names["la_name"])
    table.insert(1, "unit", names["unit"])
    return table.reset_index().sort_values("la_code").reset_index(drop=True)


def membership_by_unit(programmes: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """One row per harmonised unit of ``lookup``: unit, unit_name, dbv, dbv_tranche, safety_valve,
    safety_valve_year, safety_valve_amount_gbp, case_study_2022, programme_la_codes.

    A unit is in a programme if any member LA is: ``cumbria`` is DBV via Cumberland and
    Westmorland and Furness; ``bcp_dorset`` is DBV via Bournemouth, Christchurch and Poole and
    safety valve via Dorset (838). Tranches/years of several members are ";"-joined; the safety
    valve amount is the members' total, NaN if any member's amount is unknown.
    """
    units = lookup.set_index("la_code")["unit"]
    members = _membership(programmes.assign(unit=programmes["la_code"].map(units)), "unit")
    names = lookup.drop_duplicates("unit").set_index("unit")["unit_name"]
    table = _finish(members, pd.Index(sorted(names.index), name="unit"))
    table.insert(0, "unit_name", names)
    return table.reset_index()
