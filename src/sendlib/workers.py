"""Warm workers: long-lived Jupyter kernels that run report after report.

A :class:`Worker` owns one ``sendlib`` kernel and one pair of HTML exporters (templates
compiled once). For each report it

1. runs a hidden cell (``sendlib.kernel_state``, not saved into the executed notebook) that
   gives the kernel the state of a fresh one: empty namespace, no figure, the recorded
   matplotlib rcParams, default pandas options, the original working directory. The first
   time a notebook runs in the kernel, the same cell also runs that notebook's import
   statements once (the warm-up), so later reports find their modules loaded; the panel is
   read once too (``sendlib.tables.read_table`` caches each table by path, size and
   modification time and hands out copies);
2. injects the parameters with papermill (``parameterize_notebook``: the executed notebook
   shows the "injected-parameters" cell, as with ``papermill.execute_notebook``) and executes
   the notebook with papermill's nbclient-based client on the worker's kernel;
3. writes the outputs once (see :func:`write_outputs`).

A kernel that dies fails only the report it was running; the worker starts a new kernel
for the next one. Kernels start without IPython history (nothing is written to
``~/.ipython/.../history.sqlite``) and their connection files are removed when they stop.

:class:`WorkerPool` runs N workers as separate processes (the HTML export is CPU-bound
Python: threads would share one interpreter lock), each receiving one job at a time over
a pipe. On Ctrl-C or SIGTERM the caller's process (see ``sendlib.runner.run_many``) stops
dispatching, interrupts then kills every kernel (they run in their own process session, so
they never see the terminal's signal) and ends the workers. A worker whose parent dies
outright (``kill -9``) gets SIGTERM at once (Linux's parent-death signal, set with
``prctl(PR_SET_PDEATHSIG)``; elsewhere it notices when the pipe closes), ends its kernel and
exits quietly; a kernel whose worker dies ends itself (ipykernel polls its parent).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import ctypes
import html
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sendlib import config
from sendlib.atomic import write_text_atomic
from sendlib.errors import failure_text

# Each kernel logs a TCP warning on start and, at times, "KeyboardInterrupt caught" when shut
# down; neither concerns the notebook. No IPython history: reports are not a session to recall.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False")
#: Key of a figure output's image/png metadata naming its file (as sendlib.present.plots.FIGURE_KEY,
#: not imported from there: it would load matplotlib into every CLI process).
FIGURE_KEY = "sendlib_figure"
RESET_TAG = "sendlib-reset"
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_RESET = "from sendlib import kernel_state as _sendlib_state\n_sendlib_state.restore()\n"
_SNAPSHOT = "from sendlib import kernel_state as _sendlib_state\n_sendlib_state.snapshot()\n"


@dataclass
class Execution:
    """What one notebook run left: the error message (None when it ran through) and its outputs."""

    error: str | None
    outputs: dict[str, Path]


def notebook_imports(notebook: Any) -> str:
    """Every top-level ``import``/``from ... import`` statement of the notebook's code cells,
    one per line, in order (cells that are not plain Python are skipped)."""
    lines: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", "") != "__future__":
                statement = ast.unparse(node)
                if statement not in lines:
                    lines.append(statement)
    return "\n".join(lines)


def reset_source(imports: str | None) -> str:
    """The hidden cell run before a notebook: back to a fresh kernel's state; with ``imports``
    (first run of that notebook in this kernel) also import them once and record the state."""
    if imports is None:
        return _RESET
    warm = "".join(f"    {line}\n" for line in imports.splitlines()) or "    pass\n"
    # An import that fails is left for the notebook's own cell to report, in its place.
    return f"{_RESET}try:\n{warm}except Exception:\n    pass\n{_SNAPSHOT}{_RESET}"


def figures_as_files(notebook: Any, folder: Path) -> Any:
    """A copy of ``notebook`` whose figure outputs (sendlib.present.plots.save_and_display) point at
    their PNG file in ``folder`` (``<img src="figures/x.png">``) instead of embedding it; an
    output is changed only when that file holds exactly the displayed bytes."""
    referenced = copy.deepcopy(notebook)
    for cell in referenced.cells:
        for output in cell.get("outputs", []):
            data, metadata = output.get("data", {}), output.get("metadata", {}).get("image/png", {})
            relpath = metadata.get(FIGURE_KEY)
            if "image/png" not in data or not relpath:
                continue
            file = folder / relpath
            if not file.is_file() or file.read_bytes() != base64.b64decode(data["image/png"]):
                continue
            width = f' width="{int(metadata["width"])}"' if metadata.get("width") else ""
            source = html.escape(Path(relpath).as_posix(), quote=True)
            output["data"] = {"text/html": f'<img src="{source}"{width} alt="figure {source}">',
                              "text/plain": f"<figure {source}>"}
            output["metadata"] = {}
    return referenced


class Exporters:
    """The two HTML exporters of a worker, built once (their templates compile on first use)."""

    def __init__(self) -> None:
        from nbconvert import HTMLExporter

        self.with_code = HTMLExporter(embed_images=True)
        self.without_code = HTMLExporter(
            embed_images=True, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )

    def write(self, notebook: Any, executed: Path, title: str) -> dict[str, Path]:
        """Write an executed notebook's files beside ``executed`` (``<stem>.ipynb``) and return them:

        - ``<stem>.nocode.html``, the page people read: figures embedded, so the file alone
          shows everything (both pages keep only the CSS they use: sendlib.present.pagecss);
        - ``<stem>.html`` (with code) and ``<stem>.ipynb``: figures referenced as
          ``figures/<name>.png`` beside them (the report folder, copied or zipped whole, still
          shows them), so each figure is stored once as a file and once in the page to read.
        """
        import nbformat

        resources = {"metadata": {"name": title}}
        targets = {"notebook": executed, "html": executed.with_suffix(".html"),
                   "html_nocode": executed.with_suffix(".nocode.html")}
        from sendlib.present.pagecss import slim_page

        write_text_atomic(targets["html_nocode"],
                          slim_page(self.without_code.from_notebook_node(notebook, resources)[0]))
        referenced = figures_as_files(notebook, executed.parent)
        write_text_atomic(targets["html"], slim_page(self.with_code.from_notebook_node(referenced, resources)[0]))
        write_text_atomic(targets["notebook"], nbformat.writes(referenced))
        return targets


class Worker:
    """One warm kernel (started on first use, replaced when it dies) and its exporters."""

    def __init__(self, on_kernel: Callable[[int, str], None] | None = None) -> None:
        self._km: Any = None
        self._kc: Any = None
        self._warmed: set[str] = set()
        self._exporters: Exporters | None = None
        self._on_kernel = on_kernel

    @property
    def kernel_pid(self) -> int | None:
        return getattr(self._km.provisioner, "pid", None) if self._km is not None and self._km.provisioner else None

    def run(self, source: Path, parameters: Mapping[str, Any], executed: Path, title: str, header: str = "",
            heading: str | None = None) -> Execution:
        """Execute ``source`` with ``parameters`` injected, write the executed notebook to
        ``executed`` and its HTML (titled ``title``) beside it, with ``header`` (a Markdown cell)
        and ``heading`` added (sendlib.present.reportpage.add_page_header). A failing notebook
        is kept and exported."""
        from papermill.iorw import load_notebook_node

        from sendlib.present.reportpage import add_page_header

        notebook = load_notebook_node(str(source))
        self._ensure_kernel()
        first = str(source) not in self._warmed
        error, notebook = self._execute(notebook, source, executed, parameters,
                                        notebook_imports(notebook) if first else None)
        self._warmed.add(str(source))
        if not self._kernel_alive():
            self.stop()  # the next report gets a new kernel
        self._exporters = self._exporters or Exporters()
        notebook = add_page_header(notebook, header, heading)
        return Execution(error, self._exporters.write(notebook, executed, title))

    def stop(self) -> None:
        """Shut the kernel down now (if any) and remove its connection file."""
        km, kc, self._km, self._kc = self._km, self._kc, None, None
        self._warmed.clear()
        if km is None:
            return
        from jupyter_core.utils import run_sync

        if kc is not None:
            kc.stop_channels()
        pid = getattr(km.provisioner, "pid", None) if km.provisioner else None
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already dead, or the manager is confused: make sure it is gone
            if pid:
                end_kernel(pid)
        remove_connection_file(km.connection_file)

    def start(self) -> None:
        """Start the kernel now, if none runs (``run`` otherwise starts it on first use)."""
        self._ensure_kernel()

    def _ensure_kernel(self) -> None:
        if self._km is not None:
            return
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=config.KERNEL_NAME)
        run_sync(km.start_kernel)(cwd=str(config.PROJECT_ROOT), extra_arguments=list(KERNEL_ARGUMENTS))
        self._km = km
        if self._on_kernel is not None and self.kernel_pid:
            self._on_kernel(self.kernel_pid, km.connection_file)

    def _kernel_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self._km is not None and bool(run_sync(self._km.is_alive)())

    def _execute(self, notebook: Any, source: Path, executed: Path, parameters: Mapping[str, Any],
                 imports: str | None) -> tuple[str | None, Any]:
        """Run the notebook on this worker's kernel with papermill's client; (error, notebook)."""
        import nbformat
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.exceptions import PapermillExecutionError
        from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
        from papermill.engines import NotebookExecutionManager
        from papermill.parameterize import parameterize_notebook

        notebook = parameterize_notebook(notebook, dict(parameters), report_mode=False,
                                         kernel_name=config.KERNEL_NAME, language="python")
        notebook = remove_error_markers(prepare_notebook_metadata(notebook, str(source), str(executed), False))
        reset = nbformat.v4.new_code_cell(reset_source(imports), metadata={"tags": [RESET_TAG]})
        notebook.cells.insert(0, reset)
        manager = NotebookExecutionManager(notebook, output_path=None, progress_bar=False, log_output=False,
                                           autosave_cell_every=0)
        client = PapermillNotebookClient(manager, km=self._km, kernel_name=config.KERNEL_NAME, timeout=None,
                                         startup_timeout=60, log_output=False)
        client.kc = self._kc
        failure = None
        manager.notebook_start()
        try:
            client.execute()
        except Exception as exc:  # a dead kernel fails this report, not the run
            failure = f"{type(exc).__name__}: {exc}"
        finally:
            self._kc = client.kc
            manager.cleanup_pbar()
            manager.notebook_complete()
        notebook = manager.nb
        reset_cell = notebook.cells.pop(0)
        if reset_cell.get("metadata", {}).get("papermill", {}).get("exception"):
            failure = failure or "the kernel could not be reset: " + _error_text(reset_cell)
        try:
            raise_for_execution_errors(notebook, None)
        except PapermillExecutionError as exc:
            return f"cell [{exc.exec_count}]: {exc.ename}: {exc.evalue}", notebook
        return failure, notebook


def _error_text(cell: Any) -> str:
    errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return "; ".join(errors) or "unknown error"


# --- ending kernels from outside ---------------------------------------------------------------


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def end_kernel(pid: int, grace_s: float = 2.0) -> None:
    """Interrupt a kernel's process group (its cell's ``finally`` blocks run, temporary files
    go), then terminate it, then kill it, each after a short wait."""
    for sig, wait_s in ((signal.SIGINT, 0.5), (signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)


def quiet_asyncio() -> None:
    """Silence asyncio's "Task exception was never retrieved" for the cell cut off by an
    interrupt (its kernel is ended on purpose)."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while cleaning up after one (a second press would otherwise
    leave kernels running); restored after. Only possible in the main thread."""
    try:
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remove_connection_file(path: str | Path | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


# --- worker processes ---------------------------------------------------------------------------

Task = tuple[int, Callable[..., Any], tuple[Any, ...]]


def end_with_parent(parent_pid: int) -> None:
    """Have this process receive SIGTERM when its parent dies (Linux: ``prctl(PR_SET_PDEATHSIG)``
    through ctypes; elsewhere nothing, the closed pipe tells); exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or no libc symbols
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        raise SystemExit(0)


def _serve(conn: Connection, parent_pid: int) -> None:
    """A worker process: run ``function(worker, *args)`` for each task received, send back
    ``("done", index, result)`` (``("error", index, message)`` if it raised);
    ``("kernel", pid, connection_file)`` when a kernel starts. It ends its kernel and exits,
    without a traceback, on SIGTERM (sent also when its parent dies) or when the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means

    def terminate(signum: int, frame: Any) -> None:
        quiet_asyncio()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    worker = Worker(on_kernel=lambda pid, connection: conn.send(("kernel", pid, connection)))
    try:
        end_with_parent(parent_pid)
        with contextlib.suppress(Exception):  # if it cannot start, the first task says why
            worker.start()  # the kernel boots while this process imports papermill and nbconvert
        while True:
            task = conn.recv()
            if task is None:
                break
            index, function, args = task
            try:
                message = ("done", index, function(worker, *args))
            except Exception as exc:  # e.g. a kernel that cannot start: this task fails, the worker goes on
                worker.stop()
                message = ("error", index, failure_text(exc))
            conn.send(message)
    except SystemExit:
        pid = worker.kernel_pid
        if pid:
            end_kernel(pid)  # interrupted, or the parent is gone: no time for a polite shutdown
    except (EOFError, OSError):  # the pipe closed: the parent is gone
        pass
    finally:
        with interrupts_deferred():
            worker.stop()


@dataclass
class _Process:
    process: Any
    conn: Connection
    task: int | None = None
    kernel: tuple[int, str] | None = None


class WorkerPool:
    """``n`` worker processes, each with a warm kernel; tasks are dispatched one at a time."""

    def __init__(self, n: int) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes = [self._start() for _ in range(n)]

    def _start(self) -> _Process:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, os.getpid()), daemon=True)
        process.start()
        child.close()
        return _Process(process, parent)

    def run(self, tasks: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
            on_lost: Callable[[int, str], Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(task index, result)`` as tasks finish. A task that raises, or whose worker
        process dies (the process is then replaced), yields ``on_lost(index, reason)``."""
        queue = list(range(len(tasks)))[::-1]
        busy = 0
        while queue or busy:
            for slot in self._processes:
                if slot.task is None and queue:
                    slot.task = queue.pop()
                    function, args = tasks[slot.task]
                    slot.conn.send((slot.task, function, args))
                    busy += 1
            ready = wait([s.conn for s in self._processes if s.task is not None]
                         + [s.process.sentinel for s in self._processes if s.task is not None])
            for position, slot in enumerate(self._processes):
                if slot.task is None:
                    continue
                if slot.conn in ready or slot.conn.poll():
                    try:
                        message = slot.conn.recv()
                    except EOFError:
                        message = None
                    if message is not None and message[0] == "kernel":
                        slot.kernel = (message[1], message[2])
                        continue
                    if message is not None:
                        slot.task, busy = None, busy - 1
                        yield message[1], message[2] if message[0] == "done" else on_lost(message[1], message[2])
                        continue
                if slot.process.sentinel in ready or not slot.process.is_alive():
                    lost, slot.task, busy = slot.task, None, busy - 1
                    self._discard(slot)
                    self._processes[position] = self._start()
                    yield lost, on_lost(lost, f"the worker process ended (exit code {slot.process.exitcode})")

    def close(self) -> None:
        """Let every worker finish: shut its kernel down and exit."""
        for slot in self._processes:
            try:
                slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for slot in self._processes:
            slot.process.join(timeout=30)
            self._discard(slot)

    def terminate(self) -> None:
        """On an interrupt: interrupt then end every kernel, end every worker process."""
        for slot in self._processes:
            if slot.kernel:
                end_kernel(slot.kernel[0])
        for slot in self._processes:
            if slot.process.is_alive():
                slot.process.terminate()
        for slot in self._processes:
            slot.process.join(timeout=10)
            self._discard(slot)

    @staticmethod
    def _discard(slot: _Process) -> None:
        """Make sure a finished worker left no kernel and no connection file behind."""
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join(timeout=5)
        if slot.kernel:
            end_kernel(slot.kernel[0])
            remove_connection_file(slot.kernel[1])
            slot.kernel = None
        slot.conn.close()
