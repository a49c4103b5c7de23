"""Local authorities (LAs), harmonised units and identifier resolution.

* :func:`read_la_lookup` builds the ``la_lookup`` table: one row per DfE 3-digit LA code that
  operated at any time in the coverage window (1 April 2015 to 31 March 2025), including LAs
  abolished by boundary changes, with every ONS code each has had.
* Harmonised units (``data/reference/harmonised_units.csv``) let one series span a boundary
  change: ``bcp_dorset``, ``northamptonshire`` and ``cumbria`` each pair an "old" member set
  with a "new" one covering the same area; every other LA is its own unit (``unit == la_code``).
* Readers return the identifier their source carries; :func:`attach_la_code` and
  :func:`check_la_codes` turn it into checked ``la_code`` values, :func:`attach_unit` and
  :func:`sum_to_units` move LA rows onto units, :func:`resolve_la` / :func:`resolve_unit`
  read a council given by a user.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import pandas as pd

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError, ValidationError
from sendlib.readers.common import check_unique, read_excel, require_columns, require_file

WINDOW_START = pd.Timestamp("2015-04-01")
WINDOW_END = pd.Timestamp("2025-03-31")

LA_TYPES = frozenset({"UA", "MD", "SC", "OLB", "ILB"})
#: la_type derived from the ONS entity code for LAs missing from la_code_list.xlsx. London
#: boroughs (E09) follow DfE numbering instead: 2xx inner (ILB), 3xx outer (OLB).
ENTITY_LA_TYPES = {"E06": "UA", "E08": "MD", "E10": "SC"}

#: Member set of an LA that is its own unit (harmonised units use "old"/"new").
SOLE = "sole"

LOOKUP_COLUMNS = [
    "la_code", "la_name", "ons_code", "ons_codes", "region_code", "region_name", "la_type",
    "start_date", "end_date", "unit", "unit_name", "member_set",
]  # fmt: skip

#: Names used by some sources that normalisation alone cannot map (alias -> la_code).
NAME_ALIASES = {
    "Dorset (Pre LG)": "835",
    "Dorset County Council": "835",
    "Dorset CC": "835",
    "Poole (Pre LG)": "836",
    "Bournemouth (Pre LG)": "837",
    "BCP": "839",
    "Hull": "810",
    "Southend": "882",
    "Bedford Borough": "822",
    "Bath and NE Somerset": "800",
    "BANES": "800",
}

#: Normalised names of England, regions and London sub-regions (not LAs).
_AGGREGATE_NAMES = [
    "England", "England (discontinued)", "England total", "Total England", "National",
    "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
    "East of England", "East", "London", "Inner London", "Outer London", "London (Inner)",
    "London (Outer)", "South East", "South West",
]  # fmt: skip

#: Words written several ways in names, as :func:`search_words` writes them.
SAINT_WORDS = {"saint": "st"}
#: How many councils an ambiguous name lists.
MAX_LISTED = 8

_LA_CODE = re.compile(r"^\d{3}$")
_ONS_CODE = re.compile(r"^E\d{8}$")


# --- names -------------------------------------------------------------------------------


def search_words(text: object) -> list[str]:
    """The words of ``text`` as names are compared: lower case, "&" -> "and", punctuation as
    spaces, "Saint" -> "st" (so "St. Helens", "St Helens" and "Saint Helens" read alike). The
    front page's filter does exactly this in JavaScript (sendlib.present.frontpage.SCRIPT)."""
    words = re.sub(r"[^a-z0-9]+", " ", str(text).lower().replace("&", " and ")).split()
    return [SAINT_WORDS.get(word, word) for word in words]


def search_text(text: object) -> str:
    """:func:`search_words` joined by single spaces."""
    return " ".join(search_words(text))


def normalise_name(name: object) -> str:
    """A comparison key for an LA name: :func:`search_text` (lower case, "&" -> "and", no
    punctuation, "St."/"Saint" -> "st") of the name without its ", City of"/", County of"
    suffix nor "City of "/"County of "/"County " prefix (except "City of London")."""
    text = str(name).lower().strip()
    text = re.sub(r",\s*(city|county) of\s*$", "", text)
    text = re.sub(r"^(city|county) of\s+(?!london\b)", "", text)
    text = re.sub(r"^county\s+", "", text)
    return search_text(text)


_AGGREGATE_KEYS = frozenset(normalise_name(n) for n in _AGGREGATE_NAMES)


def is_aggregate_name(name: object) -> bool:
    """True for England, an English region or Inner/Outer London (rows that are not an LA)."""
    return isinstance(name, str) and normalise_name(name) in _AGGREGATE_KEYS


def name_index(lookup: pd.DataFrame) -> dict[str, str]:
    """Normalised name -> la_code. A name shared by several LAs (Dorset: 835 county, 838
    unitary) goes to the most recently created one; aliases name the others."""
    index: dict[str, str] = {}
    for row in lookup.sort_values(["start_date", "la_code"]).itertuples():
        index[normalise_name(row.la_name)] = row.la_code
    known = set(lookup["la_code"])
    index.update({normalise_name(alias): code for alias, code in NAME_ALIASES.items() if code in known})
    return index


def _ons_index(lookup: pd.DataFrame) -> dict[str, str]:
    """Every ONS code an LA has had (current or stale) -> la_code."""
    return {code: row.la_code for row in lookup.itertuples() for code in row.ons_codes.split(";")}


# --- reading the lookup ------------------------------------------------------------------


def _parse_dates(values: pd.Series, path: Path, column: str) -> pd.Series:
    """dd/mm/yyyy dates (blank = none), naming the rows that do not parse."""
    text = values.astype("string").str.strip().replace("", pd.NA)
    parsed = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    bad = parsed.isna() & text.notna()
    if bad.any():
        rows = [int(i) + 2 for i in values.index[bad][:5]]
        raise SourceFormatError(path, f"column {column!r}: dates not in dd/mm/yyyy form at CSV rows {rows}")
    return parsed


def _read_las(path: Path) -> pd.DataFrame:
    """DfE's las.csv: one row per (ONS code, DfE code) record; combined and non-LA rows dropped."""
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    columns = ["new_la_code", "la_name", "date_of_operation", "date_of_termination",
               "parent_geography_code", "entity_code", "old_la_code"]  # fmt: skip
    require_columns(frame, columns, path)
    frame = frame[columns].apply(lambda col: col.str.strip())
    is_la = frame["old_la_code"].str.fullmatch(_LA_CODE.pattern) & frame["new_la_code"].str.fullmatch(_ONS_CODE.pattern)
    frame = frame[is_la]
    check_unique(frame, ["new_la_code"], path)
    return frame.assign(
        start_date=_parse_dates(frame["date_of_operation"], path, "date_of_operation"),
        end_date=_parse_dates(frame["date_of_termination"], path, "date_of_termination"),
    ).rename(columns={"old_la_code": "la_code", "new_la_code": "ons_code", "parent_geography_code": "region_code"})


def _in_window(records: pd.DataFrame) -> pd.Series:
    """Records operating at some time between WINDOW_START and WINDOW_END."""
    return (records["start_date"] <= WINDOW_END) & (records["end_date"].isna() | (records["end_date"] >= WINDOW_START))


def _one_row_per_la(records: pd.DataFrame) -> pd.DataFrame:
    """Collapse ONS-code records to DfE codes: name, ONS code and region of the last record in the
    window, every ONS code ever held (oldest first), first start date and last end date (NaT if live)."""
    ordered = records.sort_values(["la_code", "start_date", "ons_code"])
    codes = ordered.groupby("la_code")["ons_code"].agg(";".join)
    live = records.groupby("la_code")["end_date"].agg(lambda s: s.isna().any())
    dates = records.groupby("la_code").agg(start_date=("start_date", "min"), end_date=("end_date", "max"))
    dates.loc[live, "end_date"] = pd.NaT
    latest = records[_in_window(records)].sort_values(["la_code", "start_date"]).groupby("la_code").tail(1)
    latest = latest.set_index("la_code")[["la_name", "ons_code", "region_code", "entity_code"]]
    return latest.join(codes.rename("ons_codes")).join(dates).reset_index()


def _read_regions(path: Path) -> pd.Series:
    """region_code -> region_name from DfE's regions.csv."""
    frame = pd.read_csv(require_file(path), dtype=str)
    require_columns(frame, ["region_code", "region_name"], path)
    check_unique(frame, ["region_code"], path)
    return frame.set_index("region_code")["region_name"].str.strip()


def _read_la_types(path: Path) -> pd.Series:
    """la_code -> DfE LA type (UA/MD/SC/OLB/ILB) from la_code_list.xlsx; aggregate rows dropped."""
    frame = read_excel(path, 0, dtype=str)
    require_columns(frame, ["LA Number", "Type"], path, "sheet 0")
    frame = frame.assign(la_code=frame["LA Number"].str.strip().str.replace(r"\.0$", "", regex=True),
                         la_type=frame["Type"].str.strip())  # fmt: skip
    frame = frame[frame["la_type"].notna() & (frame["la_type"] != "")]
    bad = sorted(set(frame["la_type"]) - LA_TYPES)
    if bad:
        raise SourceFormatError(path, f"column 'Type': unknown LA type(s) {bad}; expected one of {sorted(LA_TYPES)}")
    check_unique(frame, ["la_code"], path)
    return frame.set_index("la_code")["la_type"]


def _derived_la_type(la_code: str, entity_code: str, path: Path) -> str:
    """LA type from the ONS entity code (E06 UA, E08 MD, E10 SC; E09 by DfE numbering)."""
    if entity_code == "E09":
        return "ILB" if la_code.startswith("2") else "OLB"
    if entity_code not in ENTITY_LA_TYPES:
        problem = f"LA {la_code}: entity_code {entity_code!r} gives no LA type (expected E06/E08/E09/E10)"
        raise SourceFormatError(path, problem)
    return ENTITY_LA_TYPES[entity_code]


def _la_types(frame: pd.DataFrame, types: pd.Series, las_path: Path) -> pd.Series:
    """DfE's type for each LA, derived from the entity code for LAs missing from la_code_list.xlsx."""
    la_type = frame["la_code"].map(types)
    missing = la_type.isna()
    la_type[missing] = [
        _derived_la_type(code, entity, las_path)
        for code, entity in zip(frame.loc[missing, "la_code"], frame.loc[missing, "entity_code"], strict=True)
    ]
    return la_type


def read_harmonised_units(path: Path = config.HARMONISED_UNITS_CSV) -> pd.DataFrame:
    """The committed table of multi-LA units: unit, unit_name, la_code, member_set, note, source."""
    frame = pd.read_csv(require_file(path), dtype=str, keep_default_na=False)
    require_columns(frame, ["unit", "unit_name", "la_code", "member_set", "note", "source"], path)
    check_unique(frame, ["la_code"], path)
    sets = frame.groupby("unit")["member_set"].agg(set)
    bad = sorted(unit for unit, found in sets.items() if found != {"old", "new"})
    if bad:
        raise SourceFormatError(path, f"unit(s) {bad} must have both an 'old' and a 'new' member set (and nothing else)")
    return frame


def _attach_units(frame: pd.DataFrame, units: pd.DataFrame, units_path: Path) -> pd.DataFrame:
    """unit, unit_name, member_set for every LA: harmonised units from the table, else the LA itself."""
    unknown = sorted(set(units["la_code"]) - set(frame["la_code"]))
    if unknown:
        raise SourceFormatError(units_path, f"la_code(s) {unknown} are not LAs of the lookup window")
    members = units.set_index("la_code")[["unit", "unit_name", "member_set"]]
    merged = frame.join(members, on="la_code")
    sole = merged["unit"].isna()
    merged.loc[sole, "unit"] = merged.loc[sole, "la_code"]
    merged.loc[sole, "unit_name"] = merged.loc[sole, "la_name"]
    merged.loc[sole, "member_set"] = SOLE
    return merged


def read_la_lookup(raw_dir: Path | None = None, units_csv: Path = config.HARMONISED_UNITS_CSV) -> pd.DataFrame:
    """The ``la_lookup`` table: one row per DfE LA code operating at any time from 2015-04-01 to
    2025-03-31, sorted by la_code.

    Columns: la_code, la_name, ons_code (of the LA's last record in the window; Barnsley and
    Sheffield's May-2025 codes are only in ons_codes), ons_codes (every ONS code the LA has had,
    in order of start date, ";"-joined), region_code, region_name, la_type (DfE's
    la_code_list.xlsx; derived from the entity code when absent there), start_date, end_date (NaT
    if live), unit, unit_name, member_set ("old"/"new" in a harmonised unit, "sole" otherwise).
    Uses las.csv, regions.csv and la_code_list.xlsx from ``<raw_dir>/la_lookup`` and the
    harmonised-units table. la_name is DfE's: Dorset County Council (835) and the Dorset unitary
    (838) are both "Dorset".
    """
    folder = Path(raw_dir or config.raw_dir()) / "la_lookup"
    las_path, regions_path, types_path = folder / "las.csv", folder / "regions.csv", folder / "la_code_list.xlsx"
    records = _read_las(las_path)
    frame = _one_row_per_la(records)
    regions = _read_regions(regions_path)
    unknown_regions = sorted(set(frame["region_code"]) - set(regions.index))
    if unknown_regions:
        raise SourceFormatError(las_path, f"parent_geography_code(s) {unknown_regions} not in {regions_path.name}")
    frame = frame.assign(
        region_name=frame["region_code"].map(regions),
        la_type=_la_types(frame, _read_la_types(types_path), las_path),
    )
    frame = _attach_units(frame, read_harmonised_units(units_csv), units_csv)
    text_columns = [c for c in LOOKUP_COLUMNS if c not in ("start_date", "end_date")]
    frame[text_columns] = frame[text_columns].astype(str)
    return frame[LOOKUP_COLUMNS].sort_values("la_code").reset_index(drop=True)


@functools.lru_cache(maxsize=2)
def _cached_lookup(raw_dir: Path) -> pd.DataFrame:
    return read_la_lookup(raw_dir)


def default_lookup() -> pd.DataFrame:
    """The lookup built from ``config.raw_dir()`` (read once per process; a copy is returned)."""
    return _cached_lookup(config.raw_dir()).copy()


def operating_on(lookup: pd.DataFrame, date: str | pd.Timestamp) -> pd.DataFrame:
    """The LAs of ``lookup`` in operation on ``date``."""
    day = pd.Timestamp(date)
    mask = (lookup["start_date"] <= day) & (lookup["end_date"].isna() | (lookup["end_date"] >= day))
    return lookup[mask]


# --- resolution --------------------------------------------------------------------------


def _unknown_message(kind: str, unknown: list[str]) -> str:
    aggregates = [v for v in unknown if is_aggregate_name(v)]
    message = f"{len(unknown)} {kind} value(s) match no LA: {unknown}"
    if aggregates:
        message += f"; {aggregates} are England/regional aggregates: drop them first (see is_aggregate_name)"
    return message


def attach_la_code(
    frame: pd.DataFrame, lookup: pd.DataFrame, by: Literal["ons_code", "la_name"], source: str | Path
) -> pd.DataFrame:
    """``frame`` with a first column ``la_code`` found from its ``ons_code`` (current or stale) or
    ``la_name`` (normalised, see :func:`normalise_name` and NAME_ALIASES). Any value matching no
    LA, aggregates and blanks included, is a SourceFormatError naming ``source`` and listing them."""
    if by not in ("ons_code", "la_name"):
        raise ValueError(f"by must be 'ons_code' or 'la_name', not {by!r}")
    if "la_code" in frame.columns:
        raise ValueError("frame already has an la_code column")
    require_columns(frame, [by], Path(source))
    values = frame[by].astype("string").str.strip()
    if by == "ons_code":
        codes = values.str.upper().map(_ons_index(lookup))
    else:
        index = name_index(lookup)
        codes = values.map(lambda v: index.get(normalise_name(v)) if pd.notna(v) else None)
    missing = codes.isna()
    if missing.any():
        unknown = sorted({str(v) for v in frame.loc[missing, by]})
        raise SourceFormatError(source, _unknown_message(by, unknown))
    result = frame.copy()
    result.insert(0, "la_code", codes.astype(str).to_numpy())
    return result


def check_la_codes(frame: pd.DataFrame, lookup: pd.DataFrame, source: str | Path) -> None:
    """Raise a SourceFormatError naming ``source`` and every ``la_code`` not in the lookup."""
    require_columns(frame, ["la_code"], Path(source))
    unknown = sorted({str(v) for v in frame["la_code"]} - set(lookup["la_code"]))
    if unknown:
        raise SourceFormatError(source, _unknown_message("la_code", unknown))


def attach_unit(frame: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``unit`` and ``unit_name`` inserted after ``la_code``."""
    unknown = sorted(set(frame["la_code"]) - set(lookup["la_code"]))
    if unknown:
        raise ValidationError(f"la_code(s) {unknown} are not in the LA lookup")
    units = lookup.set_index("la_code")
    result = frame.copy()
    at = result.columns.get_loc("la_code") + 1
    result.insert(at, "unit", result["la_code"].map(units["unit"]))
    result.insert(at + 1, "unit_name", result["la_code"].map(units["unit_name"]))
    return result


def _complete_flags(rows: pd.DataFrame, column: str, keys: list[str], set_sizes: pd.Series) -> pd.Series:
    """Per (unit, *by) group: True when the LAs with a value form exactly one whole member set.
    Raises a ValidationError when "old" and "new" members both have values (double counting)."""
    present = rows[rows[column].notna()]
    counts = present.groupby(keys + ["member_set"], dropna=False).size().rename("n").reset_index()
    sets_per_group = counts.groupby(keys, dropna=False)["member_set"].transform("nunique")
    if (sets_per_group > 1).any():
        clash = counts.loc[sets_per_group > 1, keys].drop_duplicates().head(5).to_dict("records")
        raise ValidationError(
            f"{column}: old and new members of a harmonised unit both have values in the same period "
            f"(double counting): {clash}"
        )
    counts = counts.join(set_sizes.rename("size"), on=["unit", "member_set"])
    counts["complete"] = counts["n"] == counts["size"]
    return counts.set_index(keys)["complete"]


def sum_to_units(frame: pd.DataFrame, value_columns: list[str], by: list[str], lookup: pd.DataFrame) -> pd.DataFrame:
    """Sum LA rows into harmonised units per ``by`` keys (e.g. ["fy"]).

    Output: unit, unit_name, *by, the summed value columns, then ``<col>_complete`` per value column:
    True only when the LAs with a value form exactly one member set of the unit (all "old" or all
    "new"; a single-LA unit: its value present). A partial member set gives the partial sum with
    complete=False; no value at all stays NaN. Old and new members both with values in one
    period is double counting: ValidationError naming unit and period. Duplicate (la_code, *by)
    rows are a ValidationError too.
    """
    require_columns(frame, ["la_code", *by, *value_columns], Path("<frame>"))
    duplicated = frame.duplicated(["la_code", *by], keep=False)
    if duplicated.any():
        examples = frame.loc[duplicated, ["la_code", *by]].drop_duplicates().head(5).to_dict("records")
        raise ValidationError(f"duplicated LA rows (would be double counted): {examples}")
    rows = attach_unit(frame[["la_code", *by, *value_columns]], lookup)
    rows["member_set"] = rows["la_code"].map(lookup.set_index("la_code")["member_set"])
    keys = ["unit", *by]
    sums = rows.groupby(keys, dropna=False)[value_columns].sum(min_count=1)
    set_sizes = lookup.groupby(["unit", "member_set"]).size()
    for column in value_columns:
        flags = _complete_flags(rows, column, keys, set_sizes)
        sums[f"{column}_complete"] = flags.reindex(sums.index).fillna(False).astype(bool)
    result = sums.reset_index()
    result.insert(1, "unit_name", result["unit"].map(lookup.drop_duplicates("unit").set_index("unit")["unit_name"]))
    return result.sort_values(keys).reset_index(drop=True)


def _suggestions(query: str, lookup: pd.DataFrame) -> list[str]:
    """Up to 3 "Name (code)" labels closest to ``query`` by name, DfE code or ONS code."""
    labels: dict[str, str] = {}
    for row in lookup.itertuples():
        label = f"{row.la_name} ({row.la_code})"
        labels.setdefault(normalise_name(row.la_name), label)
        labels[row.la_code] = label
        for code in row.ons_codes.split(";"):
            labels[code.lower()] = label
    key = normalise_name(query) if not query.strip().isdigit() else query.strip()
    matches = difflib.get_close_matches(key, list(labels), n=6, cutoff=0.5)
    return list(dict.fromkeys(labels[m] for m in matches))[:3]


def name_variants(name: str) -> list[str]:
    """The ways a council's name is written: DfE's ("Bristol, City of"), the tail moved to the
    front ("City of Bristol") and left out ("Bristol"), "County Durham" as "Durham"."""
    variants = [name]
    tail = re.match(r"^(.*?),\s*((?:City|County) of)\s*$", name, flags=re.IGNORECASE)
    if tail:
        variants += [f"{tail.group(2)} {tail.group(1)}", tail.group(1)]
    if re.match(r"^County\s+\S", name, flags=re.IGNORECASE):
        variants.append(re.sub(r"^County\s+", "", name, flags=re.IGNORECASE))
    return variants


def search_key(la_code: str, la_name: str, ons_codes: Iterable[str] = ()) -> str:
    """What a council is found by, as :func:`search_text`: each way its name is written (and
    the aliases of NAME_ALIASES), its 3-digit code and every ONS code it has had, e.g.
    "st helens 342 e08000013". The front page puts it on each council's row."""
    names = [*name_variants(la_name), *(alias for alias, code in NAME_ALIASES.items() if code == la_code)]
    parts = [search_text(name) for name in names] + [search_text(la_code), *map(search_text, ons_codes)]
    return " ".join(dict.fromkeys(part for part in parts if part))


def matching_councils(query: str, keys: Mapping[str, str]) -> list[str]:
    """The councils (keys of ``keys``: code -> :func:`search_key`) that ``query`` finds, in
    ``keys`` order: those where every word of the query starts a word of the key ("Kingston"
    finds both Kingstons, not Islington); when none does, those whose key contains every word
    ("amde" finds Camden). An empty query finds all. The front page's filter is the same
    rule in JavaScript."""
    words = list(dict.fromkeys(search_words(query)))
    if not words:
        return list(keys)
    by_prefix = [code for code, key in keys.items() if _starts_words(words, key)]
    return by_prefix or [code for code, key in keys.items() if all(word in key for word in words)]


def _starts_words(words: Iterable[str], key: str) -> bool:
    """True when every word starts some word of ``key``."""
    parts = key.split()
    return all(any(part.startswith(word) for part in parts) for word in words)


def council_keys(lookup: pd.DataFrame) -> dict[str, str]:
    """la_code -> :func:`search_key` for every council of the lookup."""
    return {row.la_code: search_key(row.la_code, row.la_name, row.ons_codes.split(";")) for row in lookup.itertuples()}


def _short(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut to about ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def resolve_la(query: str, lookup: pd.DataFrame | None = None) -> str:
    """A council given as 3-digit DfE code, ONS code (current or stale) or name (compared as
    :func:`normalise_name`: case, punctuation, "St."/"Saint", "&"/"and", "City of") -> la_code.
    Anything else: ParameterError offering the councils whose words start with the words given
    ("Kingston": Kingston upon Hull and Kingston upon Thames, not Islington), else up to 3 close
    names or codes."""
    lookup = default_lookup() if lookup is None else lookup
    text = str(query).strip()
    if text in set(lookup["la_code"]):
        return text
    code = _ons_index(lookup).get(text.upper()) or name_index(lookup).get(normalise_name(text))
    if code is not None:
        return code
    if is_aggregate_name(text):
        raise ParameterError(f"{_short(text)} is England or a region, not a council")
    words = list(dict.fromkeys(search_words(text)))
    starting = [code for code, key in council_keys(lookup).items() if words and _starts_words(words, key)]
    if starting:
        names = lookup.set_index("la_code").loc[starting, "la_name"].sort_values()
        hint = [f"{name} ({code})" for code, name in names.head(MAX_LISTED).items()]
        hint += [f"{len(starting) - MAX_LISTED} more"] if len(starting) > MAX_LISTED else []
    else:
        hint = _suggestions(text, lookup)
    raise ParameterError(f"unknown council {_short(text)}" + (f"; did you mean: {', '.join(hint)}?" if hint else ""))


def resolve_unit(query: str, lookup: pd.DataFrame | None = None) -> str:
    """A unit id (e.g. "cumbria") given directly, or the unit of the council ``query`` names."""
    lookup = default_lookup() if lookup is None else lookup
    text = str(query).strip()
    units = set(lookup["unit"])
    if text.lower() in units:
        return text.lower()
    la_code = resolve_la(text, lookup)
    return str(lookup.loc[lookup["la_code"] == la_code, "unit"].iloc[0])
