"""Warm workers: long-lived Jupyter kernels that run report after report.

A :class:`Worker` owns one ``sendlib`` kernel and its HTML exporters (each built on first use,
templates compiled once). A kernel started with a :class:`WarmUp` does it as it boots (IPython's
``exec_lines``): it imports what the run's notebook imports and reads the tables its precheck
reads, while the command is still checking parameters. For each report the worker

1. runs a hidden cell (``sendlib.kernel_state``, not saved into the executed notebook) that
   gives the kernel the state of a fresh one: empty namespace, no figure, the recorded
   matplotlib rcParams, default pandas options, the original working directory. The first
   time a notebook runs in a kernel not warmed up for it, the same cell also runs that
   notebook's import statements once (the warm-up), so later reports find their modules
   loaded; the panel is read once too (``sendlib.tables.read_table`` caches each table by
   path, size and modification time and hands out copies);
2. injects the parameters with papermill (``parameterize_notebook``: the executed notebook
   shows the "injected-parameters" cell, as with ``papermill.execute_notebook``) and executes
   the notebook with papermill's nbclient-based client on the worker's kernel;
3. writes the outputs once (see :meth:`Exporters.write`: the page to read first; the page with
   the code only when asked).

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
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sendlib import config
from sendlib.atomic import write_text_atomic
from sendlib.errors import failure_text

# nbformat (under papermill and nbconvert) loads jsonschema, which builds a grammar for the optional
# "iri" format check of rfc3987-syntax (installed for jupyter-events) as it is imported: 0.6-0.8 s
# of every command and worker process. No notebook schema uses that format, so it is not loaded here.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

# Each kernel logs a TCP warning on start and, at times, "KeyboardInterrupt caught" when shut
# down; neither concerns the notebook. No IPython history: reports are not a session to recall.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False")
#: Key of a figure output's image/png metadata naming its file (as sendlib.present.plots.FIGURE_KEY,
#: not imported from there: it would load matplotlib into every CLI process).
FIGURE_KEY = "sendlib_figure"
#: The pages' nbconvert template: JupyterLab's, each figure described (alt text).
PAGE_TEMPLATE = Path(__file__).parent / "present" / "templates" / "sendlib_page"
RESET_TAG = "sendlib-reset"
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_STATE = "from sendlib import kernel_state as _sendlib_state\n"
_RESET = f"{_STATE}_sendlib_state.restore()\n"


@dataclass
class Execution:
    """What one notebook run left: the error message (None when it ran through) and its outputs."""

    error: str | None
    outputs: dict[str, Path]


def notebook_imports(notebook: Any) -> str:
    """Every top-level ``import``/``from ... import`` statement of the notebook's code cells,
    one per line, in order (cells that are not plain Python are skipped). ``notebook``: a
    NotebookNode or the notebook's JSON as read by ``json`` (a cell's source a string or a list)."""
    lines: list[str] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", "") != "__future__":
                statement = ast.unparse(node)
                if statement not in lines:
                    lines.append(statement)
    return "\n".join(lines)


def warm_up_source(imports: str, tables: Sequence[str] = ()) -> str:
    """Code that loads ``imports`` (import statements, one a line), reads ``tables`` and records
    the state reports return to (sendlib.kernel_state.warm_up), binding nothing."""
    return f"{_STATE}_sendlib_state.warm_up({imports!r}, {tuple(tables)!r})\ndel _sendlib_state\n"


def reset_source(imports: str | None) -> str:
    """The hidden cell run before a notebook: back to a fresh kernel's state; with ``imports``
    (first run of that notebook in a kernel not warmed up for it) also import them once and
    record the state."""
    if imports is None:
        return _RESET
    return f"{_RESET}{warm_up_source(imports)}{_RESET}"


@dataclass(frozen=True)
class WarmUp:
    """What a worker's kernel does as it starts, before any report: import what ``notebooks``
    import and read ``tables`` (processed tables, by name), so that it boots and warms up while
    the command still checks the parameters and the data."""

    notebooks: tuple[Path, ...] = ()
    tables: tuple[str, ...] = ()

    def source(self) -> str:
        """The warm-up code (see warm_up_source); the notebooks are read as JSON (no nbformat)."""
        lines: list[str] = []
        for notebook in self.notebooks:
            for line in notebook_imports(json.loads(Path(notebook).read_text(encoding="utf-8"))).splitlines():
                if line not in lines:
                    lines.append(line)
        return warm_up_source("\n".join(lines), self.tables)


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
            described = html.escape(str(metadata.get("alt") or f"figure {relpath}"), quote=True)
            output["data"] = {"text/html": f'<img src="{source}"{width} alt="{described}">',
                              "text/plain": f"<figure {source}>"}
            output["metadata"] = {}
    return referenced


class Exporters:
    """A worker's HTML exporters, each built on first use and kept (templates compile once)."""

    def __init__(self) -> None:
        self._with_code: Any = None
        self._without_code: Any = None

    def _exporter(self, with_code: bool) -> Any:
        from nbconvert import HTMLExporter

        page = {"embed_images": True, "template_name": PAGE_TEMPLATE.name,
                "extra_template_basedirs": [str(PAGE_TEMPLATE.parent)]}
        if with_code:
            self._with_code = self._with_code or HTMLExporter(**page)
            return self._with_code
        self._without_code = self._without_code or HTMLExporter(
            **page, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        return self._without_code

    def prepare(self) -> None:
        """Build the exporter of the page to read and write one empty page with it: the first page
        compiles the templates and reads the stylesheet (sendlib.present.pagecss keeps it), about
        a third of a second that a worker process spends while its kernel boots. (Not in a thread
        while a report runs: it would hold the interpreter lock papermill's client needs to send
        the next cell.)"""
        import nbformat

        from sendlib.present.pagecss import slim_page

        slim_page(self._exporter(False).from_notebook_node(nbformat.v4.new_notebook())[0])

    def write(self, notebook: Any, executed: Path, title: str, with_code: bool = False) -> dict[str, Path]:
        """Write an executed notebook's files beside ``executed`` (``<stem>.ipynb``) and return them:

        - ``<stem>.nocode.html``, the page people read, first: figures embedded, so the file
          alone shows everything (pages keep only the CSS they use: sendlib.present.pagecss);
        - ``<stem>.ipynb`` and, when ``with_code`` (``--with-code``), ``<stem>.html``: figures
          referenced as ``figures/<name>.png`` beside them (the report folder, copied or zipped
          whole, still shows them), so each figure is stored once as a file and once in the page
          to read. The page with code takes four times as long to write as the page to read
          (highlighting and sanitising every cell's code), so it is made only when asked.
        """
        import nbformat

        from sendlib.present.pagecss import slim_page

        resources = {"metadata": {"name": title}}
        targets = {"html_nocode": executed.with_suffix(".nocode.html"), "notebook": executed}
        write_text_atomic(targets["html_nocode"],
                          slim_page(self._exporter(False).from_notebook_node(notebook, resources)[0]))
        referenced = figures_as_files(notebook, executed.parent)
        write_text_atomic(targets["notebook"], nbformat.writes(referenced))
        if with_code:
            targets["html"] = executed.with_suffix(".html")
            write_text_atomic(targets["html"],
                              slim_page(self._exporter(True).from_notebook_node(referenced, resources)[0]))
        return targets


class Worker:
    """One warm kernel (started on first use, or at once by ``start``; replaced when it dies) and
    its exporters. With ``warm_up``, every kernel it starts does that warm-up as it boots."""

    def __init__(self, on_kernel: Callable[[int, str], None] | None = None, warm_up: WarmUp | None = None) -> None:
        self._km: Any = None
        self._kc: Any = None
        self._warmed: set[str] = set()
        self._exporters: Exporters | None = None
        self._on_kernel = on_kernel
        self._warm_up = warm_up

    @property
    def kernel_pid(self) -> int | None:
        return getattr(self._km.provisioner, "pid", None) if self._km is not None and self._km.provisioner else None

    def run(self, source: Path, parameters: Mapping[str, Any], executed: Path, title: str, header: str = "",
            heading: str | None = None, with_code: bool = False) -> Execution:
        """Execute ``source`` with ``parameters`` injected, write the executed notebook to
        ``executed`` and its HTML (titled ``title``; with code too when ``with_code``) beside it,
        with ``header`` (a Markdown cell) and ``heading`` added
        (sendlib.present.reportpage.add_page_header). A failing notebook is kept and exported."""
        from papermill.iorw import load_notebook_node

        from sendlib.present.reportpage import add_page_header

        notebook = load_notebook_node(str(source))
        self._ensure_kernel()
        first = str(Path(source).resolve()) not in self._warmed
        error, notebook = self._execute(notebook, source, executed, parameters,
                                        notebook_imports(notebook) if first else None)
        self._warmed.add(str(Path(source).resolve()))
        if not self._kernel_alive():
            self.stop()  # the next report gets a new kernel
        self._exporters = self._exporters or Exporters()
        notebook = add_page_header(notebook, header, heading)
        return Execution(error, self._exporters.write(notebook, executed, title, with_code))

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

    def preload(self) -> None:
        """Import what running and exporting a report needs (papermill, nbconvert) and build the
        exporter of the page to read, e.g. while the kernel boots."""
        import papermill.clientwrap  # noqa: F401
        import papermill.execute  # noqa: F401

        self._exporters = self._exporters or Exporters()
        self._exporters.prepare()

    def _ensure_kernel(self) -> None:
        if self._km is not None:
            return
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=config.KERNEL_NAME)
        arguments = list(KERNEL_ARGUMENTS)
        if self._warm_up is not None:
            arguments.append(f"--IPKernelApp.exec_lines={self._warm_up.source()}")
        run_sync(km.start_kernel)(cwd=str(config.PROJECT_ROOT), extra_arguments=arguments)
        self._km = km
        self._warmed = {str(Path(notebook).resolve()) for notebook in self._warm_up.notebooks} if self._warm_up else set()
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


def _serve(conn: Connection, parent_pid: int, warm_up: WarmUp | None = None) -> None:
    """A worker process: start a kernel (doing ``warm_up``), then run ``function(worker, *args)``
    for each task received, send back ``("done", index, result)`` (``("error", index, message)``
    if it raised); ``("kernel", pid, connection_file)`` when a kernel starts. It ends its kernel
    and exits, without a traceback, on SIGTERM (sent also when its parent dies) or when the pipe
    closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means

    def terminate(signum: int, frame: Any) -> None:
        quiet_asyncio()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    worker = Worker(on_kernel=lambda pid, connection: conn.send(("kernel", pid, connection)), warm_up=warm_up)
    running = False  # a report is running: an end now interrupts its kernel first
    try:
        end_with_parent(parent_pid)
        with contextlib.suppress(Exception):  # if it cannot start, the first task says why
            worker.start()
            worker.preload()  # while the kernel boots
        while True:
            task = conn.recv()
            if task is None:
                break
            index, function, args = task
            running = True
            try:
                message = ("done", index, function(worker, *args))
            except Exception as exc:  # e.g. a kernel that cannot start: this task fails, the worker goes on
                worker.stop()
                message = ("error", index, failure_text(exc))
            running = False
            conn.send(message)
    except SystemExit:
        pid = worker.kernel_pid
        if pid and running:
            end_kernel(pid)  # interrupted in a report, or the parent is gone: no time for a polite shutdown
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
    """``n`` worker processes, each with a warm kernel; tasks are dispatched one at a time, in order.
    ``warm_ups``: the warm-up of each worker's kernels, by position (the first worker takes the
    first task, and so on)."""

    def __init__(self, n: int, warm_ups: Sequence[WarmUp | None] = ()) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._warm_ups = list(warm_ups) + [None] * (n - len(warm_ups))
        self._processes = [self._start(self._warm_ups[position]) for position in range(n)]

    @property
    def size(self) -> int:
        return len(self._processes)

    def _start(self, warm_up: WarmUp | None = None) -> _Process:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, os.getpid(), warm_up), daemon=True)
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
                    self._processes[position] = self._start(self._warm_ups[position])
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
        """On an interrupt or an error: interrupt then end every kernel running a report, end
        every worker process (an idle worker stops its own kernel)."""
        for slot in self._processes:
            while slot.process.is_alive() and slot.conn.poll():  # kernels started since the last look
                with contextlib.suppress(EOFError, OSError):
                    message = slot.conn.recv()
                    if message[0] == "kernel":
                        slot.kernel = (message[1], message[2])
            if slot.kernel and slot.task is not None:
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
