"""Where a notebook writes what it produces: one folder per report, holding

- ``results.json``: the numbers the report quotes (sorted keys, stable formatting);
- ``figures/<name>.png`` (sendlib.present.plots) with ``figures/<name>.csv`` beside it: the data behind
  each figure, and any other table, written by :func:`save_table`, its numbers rounded by the
  kind of each column (CSV_DECIMALS), so no ``3.6699999999999995``;
- ``<name>.zip``: every CSV of the report in one file (:func:`write_data_zip`).

Every file is written atomically (temporary file, then rename) and byte-stable: the same inputs
give the same bytes, so two runs can be compared with a checksum.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sendlib import config
from sendlib.atomic import atomic_path, write_json_atomic

RESULTS_FILE = "results.json"
FIGURES_DIR = "figures"
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Decimals kept in a CSV by the kind of a numeric column, recognised by its name (the first
#: pattern that matches): whole counts and ranks; pounds to the penny, £ million to £100,
#: £ billion to £1,000; percentages to 0.01 point; fractions (growth, shares, rates,
#: percentiles) and indices to 4 decimals (0.01 point); rates per 10,000 to 0.01. The pages
#: show fewer digits (whole pounds, £m to 0.1, 0.1%). A column of no known kind (None) keeps
#: SIGNIFICANT_DIGITS significant digits: all its precision, without the binary noise
#: (3.6699999999999995 is written 3.67).
CSV_DECIMALS: tuple[tuple[re.Pattern[str], int | None], ...] = (
    (re.compile(r"^(n|count|rank|quartile)$|^n_|_count$|^rank_|_rank$"), 0),
    (re.compile(r"_gbp$"), 2),
    (re.compile(r"(^|_)(gbp_)?m$"), 4),
    (re.compile(r"(^|_)(gbp_)?bn$"), 6),
    (re.compile(r"(^|_)pct($|_)"), 2),
    (re.compile(r"per_10k"), 2),
    (re.compile(r"growth|share|percentile|(^|_)rate($|_)|vs_allocation|(^|_)index($|_)"), 4),
)
SIGNIFICANT_DIGITS = 12
#: Every file in a zip gets this time (the earliest a zip can hold): the same files, the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def prepare_output_dir(output_dir: str, default_name: str) -> Path:
    """The report folder (with ``figures/`` created): ``output_dir`` as set by the runner, or,
    when it is empty (a notebook run by hand), ``reports/scratch/<default_name>``."""
    folder = Path(output_dir).expanduser() if output_dir else config.reports_dir() / "scratch" / default_name
    (folder / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def write_results(output_dir: Path, results: Mapping[str, Any]) -> Path:
    """Write ``results`` to ``output_dir/results.json``: sorted keys, NaN/inf as null,
    numpy/pandas scalars as plain numbers; return the path."""
    target = Path(output_dir) / RESULTS_FILE
    write_json_atomic(target, _jsonable(dict(results), "results"))
    return target


def save_table(frame: pd.DataFrame, output_dir: Path, name: str) -> Path:
    """Write ``frame`` to ``output_dir/figures/<name>.csv`` (UTF-8, ``\\n`` line ends, no index
    unless it is named, missing values empty); return the path."""
    if not _NAME_PATTERN.match(name) or name.endswith(".csv"):
        raise ValueError(f"table name {name!r} must be a plain file stem such as 'growth_by_unit'")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"save_table({name!r}) expects a DataFrame, got {type(frame).__name__}")
    named_index = any(level is not None for level in frame.index.names)
    target = Path(output_dir) / FIGURES_DIR / f"{name}.csv"
    with atomic_path(target) as tmp:
        rounded_for_csv(frame).to_csv(tmp, index=named_index, lineterminator="\n", encoding="utf-8")
    return target


def csv_decimals(column: object) -> int | None:
    """Decimals a CSV keeps of ``column`` by its kind (CSV_DECIMALS); None: significant digits."""
    name = str(column).lower()
    return next((decimals for pattern, decimals in CSV_DECIMALS if pattern.search(name)), None)


def rounded_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every float column rounded as :func:`csv_decimals` says (0 decimals: whole
    numbers, missing kept), no negative zero; other columns unchanged."""
    rounded = frame.copy()
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if not pd.api.types.is_float_dtype(values):
            continue
        decimals = csv_decimals(column)
        if decimals is None:
            shown = values.map(lambda v: float(f"{v:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(v) else v) + 0.0
        else:
            shown = values.round(decimals) + 0.0
        rounded.isetitem(position, shown.round().astype("Int64") if decimals == 0 else shown)
    return rounded


def write_data_zip(output_dir: Path, name: str) -> Path:
    """Every CSV of ``output_dir/figures`` in one file, ``output_dir/<name>.zip``, each as
    ``<name>/<file>.csv``: names sorted, a fixed time and mode on every entry, so the same CSVs
    give the same bytes; written atomically. Return its path."""
    if not _NAME_PATTERN.match(name) or name.endswith(".zip"):
        raise ValueError(f"zip name {name!r} must be a plain file stem such as 'camden_data'")
    target = Path(output_dir) / f"{name}.zip"
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for csv in sorted((Path(output_dir) / FIGURES_DIR).glob("*.csv")):
            entry = zipfile.ZipInfo(f"{name}/{csv.name}", date_time=ZIP_TIME)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, csv.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return target


def _jsonable(value: Any, where: str) -> Any:
    """``value`` as plain JSON types; ``where`` names the key path in errors."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, f"{where}[{key!r}]") for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return [_jsonable(item, f"{where}[{i}]") for i, item in enumerate(list(value))]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{where}: cannot write a {type(value).__name__} to results.json ({value!r})")
