"""Which councils took part in DfE's high-needs programmes, from ``data/reference/programmes.csv``.

Programmes (``programme`` column): ``delivering_better_value`` (DBV; ``group`` = tranche),
``safety_valve`` (``group`` = year of the agreement) and ``case_study_2022`` (the June 2022 DfE
research). Each row names a council as it was listed by the source; ``la_code`` was filled by
:func:`sendlib.geography.attach_la_code` and checked by eye against DfE's las.csv, and is
re-checked against the name every time the file is read.

Dates (ISO, blank = none): ``invited`` (named for the programme: DBV's 55 on 23 June 2022, the
2022-23 safety-valve round then in negotiation), ``signed`` (safety-valve agreement; the end of
the financial year when the day is not published) and ``moved`` (a DBV council that later signed
a safety-valve agreement). A council counts as a member **as at** a date from its invitation, or
from its agreement when no invitation date is known (``start``). Published counts to compare
with are in ``data/reference/programme_counts.csv`` (:func:`read_claimed_counts`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError
from sendlib.geography import default_lookup, name_index, normalise_name, operating_on
from sendlib.readers.common import require_columns, require_file

DBV = "delivering_better_value"
SAFETY_VALVE = "safety_valve"
CASE_STUDY = "case_study_2022"
PROGRAMMES = (DBV, SAFETY_VALVE, CASE_STUDY)

#: DfE counts programme councils (55 DBV, 34 safety valve) as LAs existed on this date.
COUNT_DATE = pd.Timestamp("2022-04-01")
#: The announcement of 23 June 2022 (guidance, research and the 55 + 34 councils): default ``as_at``.
ANNOUNCEMENT = pd.Timestamp("2022-06-23")
DATE_COLUMNS = ("invited", "signed", "moved")

PROGRAMME_COLUMNS = ["la_code", "la_name", "programme", "group", "amount_gbp", "confidence", "note", "source",
                     "invited", "signed", "moved", "dates_source", "start"]
CSV_COLUMNS = ["la_code", "la_name", "programme", "group", "amount_gbp_m", "confidence", "note", "source",
               "invited", "signed", "moved", "dates_source"]
CLAIMED_COLUMNS = ["as_at", "item", "claimed", "source", "quote"]
#: The items counted as at a date (see counts_as_at).
COUNT_ITEMS = ("dbv", "safety_valve", "safety_valve_signed", "safety_valve_not_signed", "either", "both",
               "total_las", "share_either_pct")
COUNT_COLUMNS = ["as_at", "item", "claimed", "known", "shortfall", "claimed_as_at", "claimed_source"]
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


def _dates(values: pd.Series, column: str, path: Path) -> pd.Series:
    """ISO dates (blank = none) -> datetime64, naming rows that are not dates."""
    text = values.str.strip().replace("", pd.NA)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & text.notna()
    if bad.any():
        lines = [_csv_row(i) for i in values.index[bad]]
        raise SourceFormatError(path, f"column {column!r}: not a YYYY-MM-DD date at line(s) {lines}")
    return dates.astype("datetime64[ns]")


def _start_dates(frame: pd.DataFrame, path: Path) -> pd.Series:
    """The day each row counts from: ``invited``, else ``signed``; a row with neither is an error."""
    start = frame["invited"].fillna(frame["signed"])
    if start.isna().any():
        lines = [_csv_row(i) for i in frame.index[start.isna()]]
        raise SourceFormatError(path, f"line(s) {lines}: neither an 'invited' nor a 'signed' date")
    return start


def read_programmes(path: Path = config.PROGRAMMES_CSV, lookup: pd.DataFrame | None = None) -> pd.DataFrame:
    """Programme membership rows: la_code, la_name, programme, group, amount_gbp (NaN when
    unknown), confidence, note, source, invited, signed, moved (NaT when none), dates_source and
    start (invited, else signed); sorted by programme, la_code. A name matching no LA or
    an la_code disagreeing with its name is a SourceFormatError naming the line."""
    lookup = default_lookup() if lookup is None else lookup
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, CSV_COLUMNS, path)
    frame = frame.apply(lambda col: col.str.strip())
    _check_rows(frame, lookup, path)
    frame["amount_gbp"] = _amounts_gbp(frame["amount_gbp_m"], path)
    for column in DATE_COLUMNS:
        frame[column] = _dates(frame[column], column, path)
    frame["start"] = _start_dates(frame, path)
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


def _credited_la(programmes: pd.DataFrame, lookup: pd.DataFrame, day: pd.Timestamp = COUNT_DATE) -> pd.Series:
    """The LA each programme row counts for on ``day``: itself if it operated then, else the one
    LA of its harmonised unit that did (Cumberland -> Cumbria); itself when there is none."""
    operating = operating_on(lookup, day).drop_duplicates("unit", keep=False)
    single = operating.set_index("unit")["la_code"]
    units = programmes["la_code"].map(lookup.set_index("la_code")["unit"])
    return units.map(single).fillna(programmes["la_code"]).astype(str)


def membership_by_la(programmes: pd.DataFrame, lookup: pd.DataFrame, day: pd.Timestamp = COUNT_DATE) -> pd.DataFrame:
    """One row per LA of ``lookup``: la_code, la_name, unit, dbv, dbv_tranche, safety_valve,
    safety_valve_year, safety_valve_amount_gbp, case_study_2022, programme_la_codes.

    An LA is a member if it is listed. DfE counts councils as they existed in 2022 (55 DBV,
    34 safety valve), so a listed council that did not exist on COUNT_DATE (2022-04-01) is also
    credited to the LA of its unit that did: Cumberland and Westmorland and Furness (DBV
    tranche 1) make Cumbria (909) a DBV council with programme_la_codes "942;943". Count
    councils by keeping the rows of ``operating_on(lookup, COUNT_DATE)``; ``day`` is the date
    whose councils are credited (see membership_as_at). Every row counts, whatever its dates.
    """
    credited = _credited_la(programmes, lookup, pd.Timestamp(day))
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


# --- membership as at a date ------------------------------------------------------------------


def date_span(programmes: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last dates recorded in the programmes table (any of DATE_COLUMNS)."""
    dates = pd.concat([programmes[column] for column in DATE_COLUMNS]).dropna()
    return dates.min(), dates.max()


def recorded_date_span(path: Path = config.PROGRAMMES_CSV) -> tuple[pd.Timestamp, pd.Timestamp]:
    """date_span of the reference CSV itself (no LA lookup needed: for checks before a run)."""
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, CSV_COLUMNS, path)
    return date_span(pd.DataFrame({column: _dates(frame[column], column, path) for column in DATE_COLUMNS}))


def check_as_at(as_at: str | pd.Timestamp, programmes: pd.DataFrame | None = None) -> pd.Timestamp:
    """``as_at`` as a Timestamp; a ParameterError unless it is a YYYY-MM-DD date within the dates
    recorded in ``programmes`` (default: data/reference/programmes.csv): a count before the first
    or after the last recorded event would be a guess."""
    try:
        day = pd.Timestamp(pd.to_datetime(str(as_at), format="%Y-%m-%d"))
    except ValueError:
        raise ParameterError(f"as_at must be a date written YYYY-MM-DD (e.g. 2022-06-23), got {as_at!r}") from None
    first, last = recorded_date_span() if programmes is None else date_span(programmes)
    if not first <= day <= last:
        raise ParameterError(f"as_at {day.date()} is outside the programme dates recorded in "
                             f"data/reference/programmes.csv ({first.date()} to {last.date()})")
    return day


def rows_as_at(programmes: pd.DataFrame, as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """The programme rows whose council was a member on ``as_at`` (``start`` on or before it)."""
    return programmes[programmes["start"] <= pd.Timestamp(as_at)].reset_index(drop=True)


def membership_as_at(programmes: pd.DataFrame, lookup: pd.DataFrame,
                     as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """membership_by_la of the councils operating on ``as_at`` (on 2022-06-23: 152), counting only
    rows that had started by then, plus bool ``safety_valve_signed`` (agreement signed by then)."""
    day = pd.Timestamp(as_at)
    rows = rows_as_at(programmes, day)
    members = membership_by_la(rows, lookup, day)
    signed = rows[(rows["programme"] == SAFETY_VALVE) & (rows["signed"] <= day)]
    credited = set(_credited_la(signed, lookup, day)) | set(signed["la_code"])
    members["safety_valve_signed"] = members["la_code"].isin(credited)
    operating = set(operating_on(lookup, day)["la_code"])
    return members[members["la_code"].isin(operating)].reset_index(drop=True)


def membership_by_unit_as_at(programmes: pd.DataFrame, lookup: pd.DataFrame,
                             as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """membership_by_unit of the rows that had started by ``as_at``."""
    return membership_by_unit(rows_as_at(programmes, as_at), lookup)


def read_claimed_counts(path: Path = config.PROGRAMME_COUNTS_CSV) -> pd.DataFrame:
    """Published programme counts: as_at (the date a figure describes), item (one of
    COUNT_ITEMS), claimed, source, quote; sorted by as_at, item."""
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, CLAIMED_COLUMNS, path)
    frame = frame.apply(lambda col: col.str.strip())
    unknown = frame.index[~frame["item"].isin(COUNT_ITEMS)]
    if len(unknown):
        raise SourceFormatError(path, f"unknown item at line(s) {[_csv_row(i) for i in unknown]} "
                                      f"(expected one of {COUNT_ITEMS})")
    frame["as_at"] = _dates(frame["as_at"], "as_at", path)
    frame["claimed"] = pd.to_numeric(frame["claimed"], errors="raise").astype("float64")
    return frame[CLAIMED_COLUMNS].sort_values(["as_at", "item"]).reset_index(drop=True)


def claimed_as_at(claimed: pd.DataFrame, as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """The latest published figure of each item describing a date on or before ``as_at``."""
    known = claimed[claimed["as_at"] <= pd.Timestamp(as_at)]
    return known.sort_values("as_at").groupby("item").tail(1).set_index("item")


def _known_counts(members: pd.DataFrame) -> dict[str, float]:
    """Counts by name of one membership_as_at table."""
    dbv, sv, signed = (members[c].astype(bool) for c in ("dbv", "safety_valve", "safety_valve_signed"))
    either, total = int((dbv | sv).sum()), len(members)
    return {"dbv": int(dbv.sum()), "safety_valve": int(sv.sum()), "safety_valve_signed": int(signed.sum()),
            "safety_valve_not_signed": int((sv & ~signed).sum()), "either": either, "both": int((dbv & sv).sum()),
            "total_las": total, "share_either_pct": 100 * either / total if total else float("nan")}


def counts_as_at(programmes: pd.DataFrame, lookup: pd.DataFrame, as_at: str | pd.Timestamp = ANNOUNCEMENT,
                 claimed: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each of COUNT_ITEMS as at ``as_at``: the published count (``claimed``, the latest figure
    describing a date on or before ``as_at``; NaN when none), the count ``known`` by name in the
    programmes table, ``shortfall`` = claimed - known, and the claim's date and source.

    Items: dbv, safety_valve (agreements signed or in negotiation), safety_valve_signed,
    safety_valve_not_signed, either, both, total_las (LAs operating on as_at), share_either_pct.
    Columns (stable): as_at, item, claimed, known, shortfall, claimed_as_at, claimed_source.
    """
    day = pd.Timestamp(as_at)
    claimed = read_claimed_counts() if claimed is None else claimed
    published = claimed_as_at(claimed, day).reindex(list(COUNT_ITEMS))
    known = _known_counts(membership_as_at(programmes, lookup, day))
    table = pd.DataFrame({
        "as_at": pd.Series([day] * len(COUNT_ITEMS), dtype="datetime64[ns]"),
        "item": pd.Series(COUNT_ITEMS, dtype="string"),
        "claimed": published["claimed"].to_numpy(dtype="float64"),
        "known": pd.Series([known[item] for item in COUNT_ITEMS], dtype="float64"),
        "claimed_as_at": published["as_at"].to_numpy(dtype="datetime64[ns]"),
        "claimed_source": pd.Series(published["source"].to_numpy(), dtype="string"),
    })
    table["shortfall"] = table["claimed"] - table["known"]
    return table[COUNT_COLUMNS]


EVENT_COLUMNS = ["date", "la_code", "la_name", "programme", "event"]


def later_events(programmes: pd.DataFrame, as_at: str | pd.Timestamp = ANNOUNCEMENT) -> pd.DataFrame:
    """Dated events after ``as_at``: date, la_code, la_name, programme, event ("joined",
    "agreement signed", "moved to the safety valve"); sorted by date, la_name."""
    day, parts = pd.Timestamp(as_at), []
    for column, event in (("start", "joined"), ("signed", "agreement signed"), ("moved", "moved to the safety valve")):
        rows = programmes[programmes[column] > day]
        if column == "signed":
            rows = rows[rows["signed"] != rows["start"]]  # joining by signing is one event
        parts.append(rows.assign(date=rows[column], event=event)[EVENT_COLUMNS])
    events = pd.concat(parts, ignore_index=True).sort_values(["date", "la_name", "event"])
    return events.astype({"la_code": "string", "la_name": "string", "programme": "string",
                          "event": "string"}).reset_index(drop=True)
