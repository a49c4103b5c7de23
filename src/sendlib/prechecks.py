"""Parameter checks that need the data, run by the `sendlib` command after
sendlib.params.validate_parameters and before any run folder or kernel exists, so that a
bad value exits with status 2 and a message instead of leaving a failed run.

:data:`PRECHECKS` names, per notebook stem, a ``"module:function"`` imported only when that
notebook is run. The function takes the panel and the run's parameters (the notebook's
defaults updated with the given values) and raises ParameterError naming what is wrong.
The adapters below call each analysis module's own check (which the notebooks also call).

Defaults are prechecked too (a missing or damaged panel is caught that way);
`sendlib reproduce` therefore prepares its analyses after its data step has built the panel.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sendlib import config
from sendlib.errors import DataUnavailableError, ParameterError, SourceFormatError
from sendlib.params import notebook_parameters

Precheck = Callable[[pd.DataFrame, Mapping[str, Any]], None]

#: Notebook stem -> "module:function" checking its parameters against the panel (None: no
#: parameter needs the data, but the panel must still be there and readable).
PRECHECKS: dict[str, str | None] = {
    "02_case_study_growth": "sendlib.prechecks:case_study_growth",
    "03_programme_groups": "sendlib.prechecks:programme_groups",
    "04_sustainability": "sendlib.prechecks:sustainability",
    "05_council_profile": "sendlib.prechecks:council_profile",
    "06_published_figures": None,
    "07_selection_and_follow_up": "sendlib.prechecks:selection_and_follow_up",
    "08_after_2022": "sendlib.prechecks:after_2022",
}


def check_before_run(notebook: Path, overrides: Mapping[str, Any]) -> None:
    """Run the precheck of ``notebook`` (one of the project's notebooks) with the validated
    ``overrides``; a ParameterError prefixed with the notebook's stem, or a
    DataUnavailableError when the panel has not been built."""
    notebook = Path(notebook)
    if notebook.stem not in PRECHECKS or notebook.resolve().parent != config.NOTEBOOKS_DIR.resolve():
        return
    panel, target = read_processed("panel"), PRECHECKS[notebook.stem]
    if target is None:
        return
    parameters = {name: p.default for name, p in notebook_parameters(notebook).items()} | dict(overrides)
    try:
        precheck_function(target)(panel, parameters)
    except ParameterError as exc:
        raise ParameterError(f"{notebook.stem}: {exc}") from None


def precheck_function(target: str) -> Precheck:
    """The function named ``"module:function"``."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def read_processed(name: str) -> pd.DataFrame:
    """A processed table, read once per process while its file is unchanged; a clear error
    when it is missing ("run `sendlib data` first") or unreadable (damaged)."""
    path = config.processed_dir() / f"{name}.parquet"
    if not path.is_file():
        raise DataUnavailableError(
            f"{path} not found: run `sendlib data` first (parameters are checked against it before a notebook runs)"
        )
    stat = path.stat()
    return _read_parquet(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_parquet(path: Path, mtime_ns: int, size: int) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise SourceFormatError(path, f"cannot be read ({exc}); run `sendlib data` to rebuild it") from exc


# --- adapters: one per notebook, calling its analysis module's own check -------------------------


def case_study_growth(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """02: measure, year order, data in both years, case-study councils, group size, n_draws."""
    from sendlib.analysis import case_study

    case_study.check_parameters(panel, p["case_study"], p["measure"], p["basis"], p["denominator"], p["base_fy"],
                                p["end_fy"], p["group_size"], p["n_draws"], p["sensitivity_base_fy"],
                                p["sensitivity_end_fy"])


def programme_groups(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """03: years in the panel and in order, data in them, n_draws, confidence level."""
    from sendlib.analysis import programme_groups as pg

    pg.check_group_parameters(panel, p["base_fy"], p["end_fy"], p["both_rule"], p["n_draws"], p["level"])


def sustainability(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """04: a start year with DSG balances and outturn, horizon, trend years, growth rates, back-test year."""
    from sendlib.analysis import projections

    projections.check_projection_parameters(
        panel, start_fy=p["start_fy"], horizon=p["horizon"], spend_rule=p["spend_rule"],
        trend_years=p["trend_years"], gap_basis=p["gap_basis"], backtest_base_fy=p["backtest_base_fy"],
        funding_growth_first=p["funding_growth_first"], funding_growth_after=p["funding_growth_after"],
    )


def council_profile(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """05: the council's unit, its statistical neighbours in sn_model, years in the panel and in
    order, n_nearest, growth rates."""
    from sendlib.analysis import profile

    lookup = read_processed("la_lookup")
    council = profile.council_unit(lookup, p["la"])
    profile.check_profile_parameters(
        panel, unit=council.unit, comparators=p["comparators"], n_nearest=p["n_nearest"],
        baseline_fy=p["baseline_fy"], first_fy=p["first_fy"], last_fy=p["last_fy"],
        funding_growth_first=p["funding_growth_first"], funding_growth_after=p["funding_growth_after"],
        sn_model=p["sn_model"], la_code=council.la_code, stat_neighbours=read_processed("stat_neighbours"),
        lookup=lookup,
    )


def selection_and_follow_up(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """07: frame rule, measure, years in the panel and in order, data for the follow-up, n_draws, level."""
    from sendlib.analysis import selection

    selection.check_selection_parameters(panel, **p)


def after_2022(panel: pd.DataFrame, p: Mapping[str, Any]) -> None:
    """08: programmes and outcomes known and in the panel, estimator and comparison together, level, n_boot."""
    from sendlib.analysis import evaluation

    evaluation.check_evaluation_parameters(panel, **p)
