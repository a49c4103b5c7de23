"""Section 251 outturn: net education spending per LA and financial year, by bucket.

Source: ``s251_outturn/s251_lookup_YYYY.json`` (YYYY = 2017..2024 is FY YYYY-(YYYY+1)), a public
aggregation of DfE's S251 outturn file, in cash pounds, keyed by ONS code (stale codes kept as the
source has them, e.g. North Yorkshire E10000023; mapping to DfE codes happens in geography).

Buckets -> columns (all ``_gbp``):

- "High needs (SEND)" -> ``hn_spend_gbp``: S251 lines 1.2.x (top-ups, SEN support, hospital,
  AP services, therapies, direct payments, ...). It EXCLUDES high-needs place funding (line 1.0.2),
  which sits in "Schools block"; it is not DfE's "total high needs" definition.
- "Schools block" -> ``schools_block_gbp``; "Central school services" -> ``central_services_gbp``;
  "Early years" -> ``early_years_gbp``; "Other education & community" -> ``other_education_gbp``;
  the file's ``total`` -> ``total_gbp`` (checked to equal the sum of the buckets present).

Missing buckets: the aggregation never holds a zero or negative bucket (none in 2017-2024), so an
absent bucket most likely means zero or net-negative spend. We cannot tell which, so it is NaN
(never 0). Real files miss only "Early years" (1-3 LAs a year, e.g. Lancashire from FY2018-19) and
"Other education & community" (Bedford 2018-19, Sutton 2021-22). A missing "High needs (SEND)"
bucket would be logged as a warning naming the LA (none occurs in the real files).

Coverage: 152, 152, 151, 151, 152, 152, 151, 153 LAs for FY2017-18..2024-25 (City of London and
Isles of Scilly included). FY2023-24 has neither Cumbria (E10000006) nor its successors Cumberland
(E06000063) and Westmorland and Furness (E06000064). Boundary changes: Bournemouth, Poole and
Dorset CC to 2018-19, BCP and Dorset from 2019-20; Northamptonshire to 2020-21, North and West
Northamptonshire after.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, require_file
from sendlib.years import fy_label

logger = logging.getLogger(__name__)

DATASET = "s251_outturn"
FILE_PATTERN = re.compile(r"^s251_lookup_(\d{4})\.json$")
HIGH_NEEDS_BUCKET = "High needs (SEND)"
BUCKET_COLUMNS = {
    HIGH_NEEDS_BUCKET: "hn_spend_gbp",
    "Schools block": "schools_block_gbp",
    "Central school services": "central_services_gbp",
    "Early years": "early_years_gbp",
    "Other education & community": "other_education_gbp",
}
COLUMNS = ["ons_code", "la_name", "fy", "fy_start", *BUCKET_COLUMNS.values(), "total_gbp"]
ENTRY_KEYS = ("la_name", "la_code", "year", "education_breakdown", "total")
TOTAL_TOLERANCE_GBP = 1.0


def s251_paths(raw_dir: Path | None = None) -> list[Path]:
    """The S251 lookup files under ``raw_dir`` (default ``config.raw_dir()``), oldest year first."""
    folder = (raw_dir or config.raw_dir()) / DATASET
    paths = sorted(p for p in folder.glob("s251_lookup_*.json") if FILE_PATTERN.match(p.name))
    if not paths:
        raise SourceFormatError(folder, "no s251_lookup_YYYY.json files; run `make data` (or `sendlib data`)")
    return paths


def read_s251_outturn(paths: list[Path] | None = None) -> pd.DataFrame:
    """One row per LA and FY: ``ons_code, la_name, fy, fy_start``, the bucket ``_gbp`` columns and
    ``total_gbp``, sorted by ``fy_start, ons_code``."""
    paths = list(paths) if paths is not None else s251_paths()
    if not paths:
        raise SourceFormatError(config.raw_dir() / DATASET, "no S251 files given")
    table = pd.concat([read_s251_file(path) for path in paths], ignore_index=True)
    check_unique(table, ["ons_code", "fy"], Path(paths[0]).parent)
    return table.sort_values(["fy_start", "ons_code"], ignore_index=True)


def read_s251_file(path: Path) -> pd.DataFrame:
    """One ``s251_lookup_YYYY.json`` file as rows of :data:`COLUMNS`."""
    path = require_file(path)
    year = _year_from_name(path)
    rows = [_entry_row(path, key, entry, year) for key, entry in _load_entries(path).items()]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table = table.astype({"ons_code": "str", "la_name": "str", "fy": "str", "fy_start": "int64"})
    table = table.astype({column: "float64" for column in COLUMNS[4:]})
    for name in table.loc[table["hn_spend_gbp"].isna(), "la_name"]:
        logger.warning("%s: no %r bucket for %s; hn_spend_gbp left missing", path, HIGH_NEEDS_BUCKET, name)
    return table.sort_values("ons_code", ignore_index=True)


def _year_from_name(path: Path) -> int:
    """2021 from ``s251_lookup_2021.json``."""
    match = FILE_PATTERN.match(path.name)
    if not match:
        raise SourceFormatError(path, "file name should be s251_lookup_YYYY.json (YYYY = first year of the FY)")
    return int(match.group(1))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json`` object hook: a repeated key (e.g. an LA listed twice) is an error, not a silent overwrite."""
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"duplicated keys {repeated[:5]}")
    return dict(pairs)


def _load_entries(path: Path) -> dict[str, Any]:
    """The top-level ``{ons_code: entry}`` mapping."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(path, f"not valid JSON (truncated or corrupted?): {exc}") from exc
    except ValueError as exc:
        raise SourceFormatError(path, str(exc)) from exc
    if not isinstance(data, dict) or not data:
        raise SourceFormatError(path, "expected a non-empty JSON object {ons_code: {...}}")
    return data


def _entry_row(path: Path, key: str, entry: Any, year: int) -> dict[str, Any]:
    """Check one LA entry and flatten it to a row."""
    where = f"entry {key!r}"
    if not isinstance(entry, dict) or any(k not in entry for k in ENTRY_KEYS):
        raise SourceFormatError(path, f"{where}: expected an object with keys {list(ENTRY_KEYS)}")
    if entry["la_code"] != key:
        raise SourceFormatError(path, f"{where}: la_code {entry['la_code']!r} differs from its key")
    if str(entry["year"]) != str(year):
        raise SourceFormatError(path, f"{where}: year {entry['year']!r} disagrees with the file name ({year})")
    buckets = _buckets(path, where, entry["education_breakdown"])
    total = _amount(path, f"{where} total", entry["total"])
    if abs(sum(buckets.values()) - total) > TOTAL_TOLERANCE_GBP:
        raise SourceFormatError(path, f"{where}: total {total} is not the sum of its buckets {sum(buckets.values())}")
    row = {"ons_code": key, "la_name": entry["la_name"], "fy": fy_label(year), "fy_start": year}
    row.update({column: buckets.get(name, float("nan")) for name, column in BUCKET_COLUMNS.items()})
    row["total_gbp"] = total
    return row


def _buckets(path: Path, where: str, breakdown: Any) -> dict[str, float]:
    """``{bucket name: value}`` from ``education_breakdown``; unknown or repeated buckets are errors."""
    if not isinstance(breakdown, list):
        raise SourceFormatError(path, f"{where}: education_breakdown should be a list of {{name, value}}")
    buckets: dict[str, float] = {}
    for item in breakdown:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in BUCKET_COLUMNS:
            raise SourceFormatError(path, f"{where}: unknown bucket {name!r}; expected one of {list(BUCKET_COLUMNS)}")
        if name in buckets:
            raise SourceFormatError(path, f"{where}: bucket {name!r} appears twice")
        buckets[name] = _amount(path, f"{where} bucket {name!r}", item.get("value"))
    return buckets


def _amount(path: Path, where: str, value: Any) -> float:
    """A GBP amount that must be a JSON number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourceFormatError(path, f"{where}: expected a number of pounds, got {value!r}")
    return float(value)
