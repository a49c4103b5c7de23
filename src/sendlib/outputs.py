"""Where a notebook writes what it produces: one folder per report, holding

- ``results.json``: the numbers the report quotes (sorted keys, stable formatting);
- ``figures/<name>.png`` (sendlib.present.plots) with ``figures/<name>.csv`` beside it: the data behind
  each figure, and any other table, written by :func:`save_table`.

Every file is written atomically (temporary file, then rename) and byte-stable: the same inputs
give the same bytes, so two runs can be compared with a checksum.
"""

from __future__ import annotations

import math
import re
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
        frame.to_csv(tmp, index=named_index, lineterminator="\n", encoding="utf-8")
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
