"""Parameter checks that need the data, run by the `sendlib` command after
sendlib.params.validate_parameters and before any run folder or kernel exists, so that a
bad value exits with status 2 and a message instead of leaving a failed run.

:data:`PRECHECKS` declares, per notebook stem, the check of its parameters: an analysis
module's own check (which the notebook also calls), called as ``function(panel, parameters,
**tables)`` with the processed panel, the run's parameters (the notebook's defaults updated
with the given values) and the other processed tables it names; it raises ParameterError
naming what is wrong. Every table is read with sendlib.tables.read_table, which checks it
against its schema: a missing, truncated or replaced table is named, with the `sendlib data`
remedy, before any kernel starts (for ``report --la`` and ``report --all`` alike).

Notebook 01 builds the panel, so its check reads no table: its years are checked against what
the raw files contain and its folders against the disk. Defaults are prechecked too (a
missing or damaged panel is caught that way); `sendlib data` and `sendlib reproduce` therefore
precheck 01 after acquiring the raw files, and reproduce its analyses after building the panel.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sendlib import config
from sendlib.errors import ParameterError
from sendlib.params import notebook_parameters
from sendlib.years import fy_label, fy_start

if TYPE_CHECKING:
    import pandas as pd  # loaded with the first table read, not with the `sendlib` command


@dataclass(frozen=True)
class Precheck:
    """How a notebook's parameters are checked against the data. ``function``:
    ``"module:function"`` (imported only when that notebook runs), or None when no parameter
    needs the data (the panel must still be readable); ``tables``: the other processed tables
    it takes, as keyword arguments named after them; ``reads_panel=False``: the notebook builds
    the panel, so the function takes the parameters alone."""

    function: str | None = None
    tables: tuple[str, ...] = ()
    reads_panel: bool = True


PRECHECKS: dict[str, Precheck] = {
    "01_clean_data": Precheck("sendlib.prechecks:check_clean_parameters", reads_panel=False),
    "02_case_study_growth": Precheck("sendlib.analysis.case_study:check_parameters"),
    "03_programme_groups": Precheck("sendlib.analysis.programme_groups:check_group_parameters"),
    "04_sustainability": Precheck("sendlib.analysis.projections:check_projection_parameters"),
    "05_council_profile": Precheck("sendlib.analysis.profile:check_profile_parameters",
                                   tables=("la_lookup", "stat_neighbours")),
    "06_published_figures": Precheck(),
    "07_selection_and_follow_up": Precheck("sendlib.analysis.selection:check_selection_parameters"),
    "08_after_2022": Precheck("sendlib.analysis.evaluation:check_evaluation_parameters"),
}


def check_before_run(notebook: Path, overrides: Mapping[str, Any]) -> None:
    """Run the precheck of ``notebook`` (one of the project's notebooks) with the validated
    ``overrides``; a ParameterError prefixed with the notebook's stem, a DataUnavailableError
    when a table has not been built, a SourceFormatError naming a damaged or replaced one."""
    notebook = Path(notebook)
    if notebook.stem not in PRECHECKS or notebook.resolve().parent != config.NOTEBOOKS_DIR.resolve():
        return
    precheck = PRECHECKS[notebook.stem]
    panel = read_processed("panel") if precheck.reads_panel else None
    tables = {name: read_processed(name) for name in precheck.tables}
    if precheck.function is None:
        return
    parameters = {name: p.default for name, p in notebook_parameters(notebook).items()} | dict(overrides)
    function = precheck_function(precheck.function)
    try:
        if panel is None:
            function(parameters)
        else:
            function(panel, parameters, **tables)
    except ParameterError as exc:
        raise ParameterError(f"{notebook.stem}: {exc}") from None


def precheck_function(target: str) -> Callable[..., Any]:
    """The function named ``"module:function"``."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def read_processed(name: str) -> pd.DataFrame:
    """A processed table, checked against its schema (sendlib.tables.read_table: read once per
    process while its file is unchanged; "run `sendlib data` first" when it is missing, the file
    and "run `sendlib data` to rebuild it" when it is damaged or replaced)."""
    from sendlib.tables import read_table  # the readers and schemas: only when a table is read

    return read_table(name)


# --- notebook 01: against the raw files and the disk ---------------------------------------------


def check_clean_parameters(parameters: Mapping[str, Any]) -> None:
    """Notebook 01's raw_dir holds every registered raw file; first_fy and last_fy are in order
    and within the years of high-needs outturn in the raw files; deflator_base_fy is a year of
    the raw GDP deflator; processed_dir is a folder that can be written (or created)."""
    raw = _project_path(parameters["raw_dir"], config.raw_dir())
    _check_raw_files(raw)
    first_fy, last_fy = parameters["first_fy"], parameters["last_fy"]
    if fy_start(first_fy) > fy_start(last_fy):
        raise ParameterError(f"first_fy {first_fy!r} must not come after last_fy {last_fy!r}")
    outturn = outturn_years(raw)
    for name, fy in (("first_fy", first_fy), ("last_fy", last_fy)):
        if fy not in outturn:
            raise ParameterError(f"{name} {fy!r} is outside the years of high-needs outturn in the raw files "
                                 f"({raw}: {outturn[0]} to {outturn[-1]})")
    deflator_years = _deflator_years(raw)
    if parameters["deflator_base_fy"] not in deflator_years:
        raise ParameterError(f"deflator_base_fy {parameters['deflator_base_fy']!r} is not a year of the GDP deflator "
                             f"in the raw files ({deflator_years[0]} to {deflator_years[-1]})")
    _check_writable_folder("processed_dir", _project_path(parameters["processed_dir"], config.processed_dir()))


def outturn_years(raw_dir: Path) -> list[str]:
    """The financial years of the S251 outturn files in ``raw_dir`` (from their names)."""
    from sendlib.readers import s251

    starts = [int(match.group(1)) for path in (raw_dir / s251.DATASET).glob("*.json")
              if (match := s251.FILE_PATTERN.match(path.name))]
    return [fy_label(start) for start in sorted(starts)]


def _deflator_years(raw_dir: Path) -> list[str]:
    from sendlib.readers import deflator

    return deflator.read_gdp_deflator(raw_dir / deflator.GDP_DEFLATOR_CSV)["fy"].tolist()


def _project_path(text: str, default: Path) -> Path:
    """A folder parameter: empty is ``default``; a relative path is taken from the project
    folder, where the notebook runs."""
    return Path(default) if not text else Path(text) if Path(text).is_absolute() else config.PROJECT_ROOT / text


def _check_raw_files(raw: Path) -> None:
    from sendlib.sources import load_registry

    if not raw.is_dir():
        raise ParameterError(f"raw_dir {raw} is not a folder: give the folder of raw files laid out "
                             "<dataset>/<file>, or run `sendlib data` to fetch them into data/raw")
    missing = sorted({raw_file.relpath.split("/")[0] for raw_file in load_registry()
                      if not (raw / raw_file.relpath).is_file()})
    if missing:
        raise ParameterError(f"raw_dir {raw} lacks raw files of {', '.join(missing)}: run `sendlib data` to fetch "
                             "them (or give the folder that holds them)")


def _check_writable_folder(name: str, folder: Path) -> None:
    """``folder`` is a folder, or can be created, and can be written."""
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{name} {folder} is a file, not a folder: give a folder")
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        raise ParameterError(f"{name} {folder}: {existing} is a file, not a folder: give another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{name} {folder} cannot be written ({existing} is read-only, or not writable for you): "
                             "give a folder you can write")
