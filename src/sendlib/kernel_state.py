"""Give every report run in a warm kernel the state of a freshly started one (runs inside the kernel).

A warm worker's kernel runs many notebooks one after another. Before each one the runner
executes ``restore()`` in a hidden cell (not saved into the executed notebook): it clears
the IPython user namespace (every variable and import binding, ``In``/``Out``), closes every
matplotlib figure, puts back the matplotlib rcParams, warning filters, ``sys.path`` and
working directory recorded by ``snapshot()`` after the warm-up imports, resets every pandas
option to its default and restarts the execution counter, so the notebook's cells are
numbered from 1 as in a fresh kernel. Imported modules stay loaded: that is the saving.

``warm_up()`` loads what the notebooks of a run import and reads the processed tables they
read first (sendlib.tables.read_table keeps them), then takes the snapshot: the worker passes it
to a kernel as it starts (IPython's ``exec_lines``), so a kernel boots and warms up while the
command is still checking parameters, and again before a notebook's first run in a kernel not
warmed for it.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

_SNAPSHOT: dict[str, Any] = {}


def snapshot() -> None:
    """Record the state ``restore()`` returns to (call once, after the warm-up imports). What the
    warm-up loaded (modules, tables) is then moved out of the garbage collector's way
    (``gc.freeze``): IPython collects garbage at every reset, and each collection now scans only
    what the reports made (about 0.05 s less a report)."""
    import matplotlib

    _SNAPSHOT.update(
        rc=matplotlib.rcParams.copy(), cwd=os.getcwd(), path=list(sys.path), filters=list(warnings.filters)
    )
    gc.collect()
    gc.freeze()


def warm_up(imports: str, tables: Sequence[str] = ()) -> None:
    """Run each import statement of ``imports`` (one a line) in a scratch namespace and read each
    processed table of ``tables``, then take the snapshot. Nothing is bound in the user
    namespace; an import or a table that fails is left for the notebook's own cell to report,
    in its place."""
    for statement in imports.splitlines():
        try:
            exec(statement, {})  # noqa: S102 (the notebook's own import statements)
        except Exception:
            pass
    if tables:
        try:
            from sendlib.tables import read_table

            for name in tables:
                read_table(name)
        except Exception:
            pass
    snapshot()


def restore() -> None:
    """Back to the snapshot: empty namespace, no figure, the recorded rcParams, pandas option
    defaults, warning filters, ``sys.path``, working directory, execution count 1."""
    if not _SNAPSHOT:
        return  # nothing has run in this kernel yet: it is fresh
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython import get_ipython

    shell = get_ipython()
    shell.reset(new_session=False, aggressive=False)
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_SNAPSHOT["rc"])
        pd.reset_option("all")
    warnings.filters[:] = _SNAPSHOT["filters"]
    sys.path[:] = _SNAPSHOT["path"]
    os.chdir(_SNAPSHOT["cwd"])
    shell.execution_count = 1  # as in a fresh kernel (IPython counts this cell before running it)
