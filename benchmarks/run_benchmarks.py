"""Time every stage of the pipeline as a user runs it, measure the reports' bytes, and write BENCHMARKS.md
against the aims.

Stages (each a fresh process; wall-clock and CPU seconds, the CPU of the command and every process it
waited for: workers and kernels; data and reports in a temporary folder, so the project's own
data/processed and reports/ are left alone):

1. `sendlib data`, cold: copy and sha256-check the raw files from the mirror into an empty data
   folder, then run notebooks/01_clean_data.ipynb; then the clean step alone, timed inside its process;
2. every analysis notebook, `sendlib run <stem>`;
3. one council report, `sendlib report --la 202`, REPEAT times (median), then once under cProfile
   for where its time goes; with ``--compare REV``, the same REPEAT times with the code of git
   revision REV (the "before", on the same machine at the same time);
4. per report, a fresh kernel each (`runner.run_notebook` without a worker, 6 councils);
5. every council report, `sendlib report --all --jobs N` for each N asked, then the bytes of one
   council's folder, of its page without code and of the whole run;
6. `sendlib reproduce --jobs 2` from an empty data folder (what `make reproduce` runs);
7. the council report's figures written as palette PNG (now and as before) and as SVG
   (benchmarks/figures.py): CPU per figure and bytes;
8. with ``--tests``, the test suite as `make test` runs it (`pytest -n 2 --dist loadfile
   --no-loadscope-reorder tests notebooks --nbval-lax`, on the project's own data folder), with
   its 20 slowest tests.

Usage: .venv/bin/python benchmarks/run_benchmarks.py [--jobs 1 2] [--repeat 3] [--skip-reproduce]
       [--limit K] [--compare REV] [--tests] [--output BENCHMARKS.md]
The raw files come from SENDLIB_DATA_MIRROR, else from the project's data/raw (same layout). The
part of BENCHMARKS.md after NOTES_MARK is written by hand and kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sendlib import config
from sendlib.atomic import write_text_atomic
from sendlib.cli import ANALYSIS_NOTEBOOKS, COUNCIL_NOTEBOOK

SAMPLE_COUNCIL = "202"
FRESH_COUNCILS = ("201", "202", "203", "204", "205", "206")
FIGURE_COUNCILS = ("202", "886", "420")
#: The aims on 2 cores (issue 18): one report within 4 s; every council report with 2 jobs within
#: 90 s; a cold reproduce within 150 s; the test suite within 5 minutes; a full run's folder within
#: 150 MB and one council's page without code within 400 kB (and, from issue 9, data and every
#: analysis notebook within 3 minutes).
AIM_PIPELINE_S = 180.0
AIM_COUNCILS_S = 90.0
AIM_REPRODUCE_S = 150.0
AIM_ONE_REPORT_S = 4.0
AIM_TESTS_MIN = 5.0
AIM_RUN_MB = 150.0
AIM_PAGE_KB = 400.0
PIPELINE, COUNCILS, REPRODUCE, ONE_REPORT, TESTS = "pipeline", "councils", "reproduce", "one report", "tests"
NOTE = "note: "
NOTES_MARK = "<!-- Everything below is written by hand; run_benchmarks.py keeps it. -->"
TEST_COMMAND = ("-m", "pytest", "-n", "2", "--dist", "loadfile", "--no-loadscope-reorder", "tests", "notebooks",
                "--nbval-lax", "-q", "-p", "no:cacheprovider", "--durations=20")
FRESH_SNIPPET = """
import statistics
from sendlib.runner import create_run_dir, run_notebook
run_dir = create_run_dir("fresh-kernels")
seconds = [run_notebook("05_council_profile", {{"la": code}}, run_dir, f"council_{{code}}").duration_s
           for code in {councils!r}]
print(f"note: fresh kernel per report: mean {{statistics.mean(seconds):.1f}} s, "
      f"median {{statistics.median(seconds):.1f}} s over {{len(seconds)}} councils")
print(f"per-report {{statistics.median(seconds)}}")
"""
CLEAN_SNIPPET = """
import time
from pathlib import Path
from sendlib import config
from sendlib.tables import CleanSettings, clean
started = time.monotonic()
clean(CleanSettings(raw_dir=config.raw_dir()), Path({target!r}))
print(f"note: clean() itself {{time.monotonic() - started:.1f}} s, the rest is process start and imports")
"""
#: Where one report's time goes, from a cProfile of the command: (part, file, function), each the
#: function's cumulative time.
PROFILED_PARTS = (
    ("kernel started (its process launched; it boots and warms up from here on)", "runner.py", "__init__"),
    ("parameters validated and prechecked (tables read and schema-checked)", "cli.py", "_council_job"),
    ("notebook run: waiting for the kernel, then every cell", "workers.py", "_execute"),
    ("page to read and executed notebook written", "workers.py", "write"),
    ("manifest written (hashes of inputs and outputs)", "runner.py", "write_manifest"),
    ("front page written", "frontpage.py", "write_index"),
    ("kernel shut down", "runner.py", "close"),
)


@dataclass
class Stage:
    """One timed command, run one or more times."""

    name: str
    command: list[str]
    kind: str = ""  # PIPELINE, COUNCILS (with --jobs 2), REPRODUCE, ONE_REPORT, TESTS: what the aims add up
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    returncode: int = 0
    load: float = 0.0
    notes: list[str] = field(default_factory=list)
    per_report: float | None = None  # median seconds per report, where the stage measures it
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def seconds(self) -> float:
        return statistics.median(self.walls) if self.walls else 0.0

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else 0.0

    @property
    def shown(self) -> str:
        """The command as a user types it (``sendlib ...`` rather than the interpreter path)."""
        if self.command[:3] == [sys.executable, "-m", "sendlib"]:
            return " ".join(["sendlib", *self.command[3:]])
        if self.command[:1] == [sys.executable]:
            return " ".join(["python", *self.command[1:]])
        return " ".join(self.command)


def sendlib(*args: str) -> list[str]:
    return [sys.executable, "-m", "sendlib", *args]


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process waited for, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_stage(stage: Stage, env: dict[str, str], repeat: int = 1, cwd: Path = config.PROJECT_ROOT) -> Stage:
    """Run the stage's command ``repeat`` times from ``cwd``, recording wall and CPU seconds each
    time and the last exit status and output."""
    for attempt in range(repeat):
        print(f"[bench] {stage.name} ({attempt + 1}/{repeat}): {stage.shown[:100]}", flush=True)
        cpu, started = children_cpu(), time.monotonic()
        completed = subprocess.run(stage.command, cwd=cwd, env=env, capture_output=True, text=True)
        stage.walls.append(round(time.monotonic() - started, 2))
        stage.cpus.append(round(children_cpu() - cpu, 2))
        stage.returncode, stage.stdout = completed.returncode, completed.stdout
        print(f"[bench]   {stage.walls[-1]:.1f} s wall, {stage.cpus[-1]:.1f} s CPU"
              f"{'' if stage.ok else ' FAILED'}", flush=True)
        if not stage.ok:
            stage.notes.append(f"FAILED (exit {completed.returncode}): {completed.stderr.strip().splitlines()[-1:]}")
            break
    stage.load = os.getloadavg()[0]
    stage.notes.extend(line.removeprefix(NOTE) for line in stage.stdout.splitlines() if line.startswith(NOTE))
    stage.per_report = next((float(line.split()[1]) for line in stage.stdout.splitlines()
                             if line.startswith("per-report ")), None)
    if repeat > 1:
        stage.notes.append(f"{len(stage.walls)} runs: wall {', '.join(f'{w:.1f}' for w in stage.walls)} s; "
                           f"CPU {', '.join(f'{c:.1f}' for c in stage.cpus)} s (medians shown)")
    return stage


def workspace_env(root: Path, mirror: Path) -> dict[str, str]:
    """Environment for a run whose data and reports live under ``root``."""
    env = {**os.environ, "SENDLIB_DATA_DIR": str(root / "data"), "SENDLIB_REPORTS_DIR": str(root / "reports"),
           "SENDLIB_DATA_MIRROR": str(mirror)}
    env.pop("SENDLIB_RUN_ID", None)
    return env


def mirror_folder() -> Path:
    """SENDLIB_DATA_MIRROR when set, else the project's data/raw (laid out like a mirror)."""
    return config.mirror_dir() or config.raw_dir()


def latest_manifest(reports_dir: Path) -> dict:
    return json.loads((reports_dir / "latest" / "manifest.json").read_text(encoding="utf-8"))


def report_durations_note(reports_dir: Path) -> str:
    """Count, mean, median and max of the per-report durations of the latest run."""
    records = latest_manifest(reports_dir)["reports"].values()
    durations = [r["duration_s"] for r in records]
    failed = sum(r["status"] != "ok" for r in records)
    return (f"{len(durations)} reports ({failed} failed); per report mean {statistics.mean(durations):.2f} s, "
            f"median {statistics.median(durations):.2f} s, max {max(durations):.1f} s")


def warm_per_report(reports_dir: Path) -> float:
    """Median seconds of the latest run's council reports after each worker's first."""
    durations = [r["duration_s"] for name, r in latest_manifest(reports_dir)["reports"].items()
                 if name.startswith("council_")]
    return statistics.median(durations[2:] or durations)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def report_sizes(reports_dir: Path) -> dict[str, int]:
    """Bytes of the latest run's folder, of one council's folder and of its page without code."""
    run = reports_dir / "latest"
    council = run / f"council_{SAMPLE_COUNCIL}"
    return {"run": folder_bytes(run.resolve()), "council": folder_bytes(council),
            "page": (council / f"{COUNCIL_NOTEBOOK}.nocode.html").stat().st_size}


def profiled_breakdown(env: dict[str, str], root: Path) -> tuple[list[tuple[str, float]], float]:
    """Where one `sendlib report --la` goes: the command run under cProfile (which slows Python
    code, not waiting: read the parts as shares), each part's cumulative seconds, the notebook's
    cells from the executed notebook, and the profiled total."""
    profile = root / "report.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "sendlib", "report", "--la", SAMPLE_COUNCIL]
    started = time.monotonic()
    completed = subprocess.run(command, cwd=config.PROJECT_ROOT, env=env, capture_output=True, text=True)
    total = time.monotonic() - started
    if completed.returncode != 0 or not profile.is_file():
        return [("profiled run FAILED: " + " ".join(completed.stderr.strip().splitlines()[-1:]), total)], total
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]

    def cumulative(file: str, function: str) -> float:
        return max((entry[3] for (path, _, name), entry in stats.items()
                    if name == function and Path(path).name == file and "sendlib" in Path(path).parts), default=0.0)

    parts = [(label, cumulative(file, function)) for label, file, function in PROFILED_PARTS]
    record = latest_manifest(Path(env["SENDLIB_REPORTS_DIR"]))["reports"][f"council_{SAMPLE_COUNCIL}"]
    executed = json.loads((Path(env["SENDLIB_REPORTS_DIR"]) / "latest" / record["outputs"]["notebook"])
                          .read_text(encoding="utf-8"))
    cells = sum(float(c["metadata"].get("papermill", {}).get("duration") or 0.0) for c in executed["cells"]
                if c["cell_type"] == "code")
    run = dict(parts)["notebook run: waiting for the kernel, then every cell"]
    parts.insert(3, ("   of which the notebook's cells (in the kernel)", cells))
    parts.insert(4, ("   of which waiting for the kernel and papermill's messages", max(run - cells, 0.0)))
    counted = sum(seconds for label, seconds in parts if not label.startswith("   "))
    parts.append(("the rest: process start, imports, summary (and what cProfile adds)", total - counted))
    return parts, total


def figure_comparison(env: dict[str, str]) -> dict:
    """benchmarks/figures.py's measurements (see there), or {} if it failed."""
    script = Path(__file__).with_name("figures.py")
    completed = subprocess.run([sys.executable, str(script), "--councils", *FIGURE_COUNCILS], cwd=config.PROJECT_ROOT,
                               env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        print(f"[bench] figures FAILED: {completed.stderr[-500:]}", flush=True)
        return {}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def revision_copy(revision: str, target: Path) -> Path:
    """The project's files at git ``revision`` in ``target`` (git archive), for the "before" runs."""
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "archive", revision], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def test_suite(env: dict[str, str]) -> tuple[Stage, list[str], str]:
    """The test suite as `make test` runs it; (stage, its 20 slowest tests, its summary line)."""
    stage = run_stage(Stage("test suite (= make test, after setup)", [sys.executable, *TEST_COMMAND], TESTS), env)
    log = Path(tempfile.gettempdir()) / "sendlib-bench-tests.log"
    log.write_text(stage.stdout, encoding="utf-8")
    print(f"[bench] the test suite's output: {log}", flush=True)
    lines = stage.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "slowest 20 durations" in line), None)
    slowest = [line for line in lines[start + 1:] if re.match(r"^\d+\.\d+s ", line)] if start is not None else []
    summary = next((line.strip("= ") for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line)), "")
    return stage, slowest[:20], summary


def machine() -> dict[str, str]:
    """CPU count, memory, CPU model, Python and pandas versions, load, git commit, date."""
    import pandas

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": cpu,
        "memory": f"{memory_kb / 1024**2:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "pandas": pandas.__version__,
        "git commit": f"{commit}{' (with uncommitted changes)' if dirty else ''}",
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def aims(stages: list[Stage], sizes: dict[str, int]) -> list[str]:
    """Markdown rows comparing what was measured with the aims: measured / aim / met."""
    def total(kind: str) -> float | None:
        chosen = [stage.seconds for stage in stages if stage.kind == kind and stage.walls]
        return sum(chosen) if chosen else None

    tests = total(TESTS)
    rows = [
        (f"one `sendlib report --la {SAMPLE_COUNCIL}` (median), s", total(ONE_REPORT), AIM_ONE_REPORT_S),
        ("every council report, `sendlib report --all --jobs 2`, s", total(COUNCILS), AIM_COUNCILS_S),
        ("cold `sendlib reproduce --jobs 2` (notebook 08 included), s", total(REPRODUCE), AIM_REPRODUCE_S),
        ("the test suite (`make test` after setup), min", tests / 60 if tests is not None else None, AIM_TESTS_MIN),
        ("a full run's `reports/<run-id>/`, MB", sizes["run"] / 1e6 if "run" in sizes else None, AIM_RUN_MB),
        ("one council's page without code, kB", sizes["page"] / 1e3 if "page" in sizes else None, AIM_PAGE_KB),
        ("data and every analysis notebook (`sendlib data`, `sendlib run` each), s", total(PIPELINE),
         AIM_PIPELINE_S),
    ]
    lines = ["", "## Against the aims", "", "| what | measured | aim | met |", "|---|---:|---:|---|"]
    for what, measured, aim in rows:
        shown = "not measured in this run" if measured is None else f"{measured:.1f}"
        met = "" if measured is None else "yes" if measured <= aim else f"no, by {measured - aim:.1f}"
        lines.append(f"| {what} | {shown} | {aim:g} | {met} |")
    return lines


def figures_per_report(figures: dict) -> float:
    """Figures a council report draws, on average over the councils measured."""
    counts = [found["figures"] for found in figures["methods"].values()]
    return counts[0] / len(figures["councils"]) if counts and figures["councils"] else 0.0


def figures_table(figures: dict) -> list[str]:
    if not figures:
        return []
    lines = ["", f"## Figures: palette PNG against SVG (the council report's charts, councils "
             f"{', '.join(figures['councils'])})", "",
             "CPU milliseconds to draw and write one figure (median over every figure, each from a fresh drawing of "
             "the notebook's own cells), and bytes.", "",
             f"| how | ms per figure | bytes per figure (median) | bytes per report ({figures_per_report(figures):.1f} "
             "figures, mean) |",
             "|---|---:|---:|---:|"]
    for method, found in figures["methods"].items():
        lines.append(f"| {method} | {found['ms_per_figure']:.1f} | {found['bytes_per_figure']:,.0f} | "
                     f"{found['bytes_per_report']:,} |")
    return lines


def markdown(info: dict[str, str], stages: list[Stage], breakdown: tuple[list[tuple[str, float]], float],
             sizes: dict[str, int], figures: dict, slowest: list[str], summary: str, notes: str) -> str:
    """BENCHMARKS.md: machine, aims, timings, one report's breakdown, figures, sizes, slowest tests,
    then the hand-written notes."""
    lines = ["# Benchmarks", "", "Written by `benchmarks/run_benchmarks.py` (run it again to refresh this file; "
             "the notes at the end are written by hand). Each command is run as a user runs it, in a fresh process, "
             "data and reports in a temporary folder: wall-clock seconds, and CPU seconds of the command and of "
             "every process it waited for (workers, kernels). Other processes on the machine were not controlled: "
             "see the load averages.", "", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += aims(stages, sizes)
    lines += ["", "## Timings", "", "| stage | command | wall s | CPU s | load (1 min) at end | notes |",
              "|---|---|---:|---:|---:|---|"]
    for stage in stages:
        lines.append(f"| {stage.name} | `{stage.shown}` | {stage.seconds:.1f} | {stage.cpu:.1f} | {stage.load:.2f} | "
                     f"{'; '.join(stage.notes)} |")
    per_report = [(stage.name, stage.per_report) for stage in stages if stage.per_report is not None]
    if per_report:
        lines += ["", "## Per report: fresh kernel against warm worker", "", "| how | median seconds per report |",
                  "|---|---:|"]
        lines += [f"| {name} | {seconds:.2f} |" for name, seconds in per_report]
    parts, total = breakdown
    if parts:
        lines += ["", f"## Where one council report's time goes (`sendlib report --la {SAMPLE_COUNCIL}`)", "",
                  f"One run under cProfile ({total:.1f} s; cProfile slows the Python code, not the waiting: read the "
                  "parts as shares). Validation and prechecks run while the kernel boots and warms up in its own "
                  "process; \"waiting for the kernel\" is what of the kernel's start and warm-up was not hidden.", "",
                  "| part | seconds |", "|---|---:|"]
        lines += [f"| {part} | {seconds:.2f} |" for part, seconds in parts]
    lines += figures_table(figures)
    if sizes:
        lines += ["", "## Bytes (after all council reports with the most jobs)", "", "| what | bytes |", "|---|---:|",
                  f"| whole run folder | {sizes['run']:,} |",
                  f"| one council's folder (council_{SAMPLE_COUNCIL}) | {sizes['council']:,} |",
                  f"| its page without code | {sizes['page']:,} |"]
    if slowest:
        lines += ["", f"## The 20 slowest tests ({summary})", "", "```", *slowest, "```"]
    lines += ["", NOTES_MARK, notes.strip(), ""]
    return "\n".join(lines)


def kept_notes(output: Path) -> str:
    """The hand-written part of an existing BENCHMARKS.md (after NOTES_MARK)."""
    text = output.read_text(encoding="utf-8") if output.is_file() else ""
    return text.split(NOTES_MARK, 1)[1] if NOTES_MARK in text else ""


def benchmark(args: argparse.Namespace) -> tuple[list[Stage], tuple[list[tuple[str, float]], float], dict[str, int],
                                                  dict]:
    """Run every stage; return the stages, the one-report breakdown, the sizes and the figures."""
    mirror = mirror_folder()
    stages: list[Stage] = []
    breakdown: tuple[list[tuple[str, float]], float] = ([], 0.0)
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="sendlib-bench-") as tmp:
        root = Path(tmp) / "main"
        env = workspace_env(root, mirror)
        stages.append(run_stage(Stage("data, cold (acquire + 01_clean_data)", sendlib("data"), PIPELINE), env))
        clean = run_stage(Stage("clean step alone (tables.clean)", [sys.executable, "-c", CLEAN_SNIPPET.format(
            target=str(root / "clean-only"))]), env)
        clean.command = ["python", "-c", "'clean(CleanSettings(raw_dir), processed_dir)'"]
        stages.append(clean)
        for stem in ANALYSIS_NOTEBOOKS:
            stages.append(run_stage(Stage(f"notebook {stem}", sendlib("run", stem), PIPELINE), env))
        one = run_stage(Stage("one council report", sendlib("report", "--la", SAMPLE_COUNCIL), ONE_REPORT), env,
                        repeat=args.repeat)
        stages.append(one)
        if args.compare:
            before = revision_copy(args.compare, Path(tmp) / "before")
            stages.append(run_stage(Stage(f"one council report, the code of {args.compare} (before)",
                                          sendlib("report", "--la", SAMPLE_COUNCIL)),
                                    {**env, "PYTHONPATH": str(before / "src")}, repeat=args.repeat, cwd=before))
        if one.ok:
            breakdown = profiled_breakdown(env, root)
        fresh = run_stage(Stage(f"fresh kernel per report ({len(FRESH_COUNCILS)} councils)",
                                [sys.executable, "-c", FRESH_SNIPPET.format(councils=FRESH_COUNCILS)]), env)
        fresh.command = ["python", "-c", "'run_notebook(05_council_profile, la) for each, no worker'"]
        stages.append(fresh)
        for n_jobs in sorted(args.jobs):
            subset = ["--limit", str(args.limit)] if args.limit else []
            every = run_stage(Stage(f"{'first ' + str(args.limit) if args.limit else 'all'} council reports, "
                                    f"--jobs {n_jobs}", sendlib("report", "--all", *subset, "--jobs", str(n_jobs)),
                                    COUNCILS if n_jobs == 2 and not args.limit else ""), env)
            if every.ok or (root / "reports" / "latest" / "manifest.json").is_file():
                every.notes.append(report_durations_note(root / "reports"))
                every.per_report = warm_per_report(root / "reports")
                if n_jobs == max(args.jobs):
                    sizes = report_sizes(root / "reports")
            stages.append(every)
        if not args.skip_reproduce:
            cold = Path(tmp) / "reproduce"
            stages.append(run_stage(Stage("reproduce, cold (= make reproduce)", sendlib("reproduce", "--jobs", "2"),
                                          REPRODUCE), workspace_env(cold, mirror)))
            if (cold / "reports" / "latest" / "manifest.json").is_file():
                stages[-1].notes.append(report_durations_note(cold / "reports"))
        figures = figure_comparison(env)
        shutil.rmtree(root, ignore_errors=True)
    return stages, breakdown, sizes, figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[2], help="--jobs values for all council reports")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the one-report stage (median shown)")
    parser.add_argument("--skip-reproduce", action="store_true", help="leave out the cold `sendlib reproduce` run")
    parser.add_argument("--limit", type=int, help="only the first K councils (a quick check, not a benchmark)")
    parser.add_argument("--compare", metavar="REV", help="also time one report with the code of git revision REV")
    parser.add_argument("--tests", action="store_true", help="also time the test suite as `make test` runs it")
    parser.add_argument("--output", type=Path, default=config.PROJECT_ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not (config.notebooks_dir() / f"{COUNCIL_NOTEBOOK}.ipynb").is_file():
        parser.error(f"{COUNCIL_NOTEBOOK}.ipynb not found in {config.notebooks_dir()}")
    info = machine()
    stages, breakdown, sizes, figures = benchmark(args)
    slowest, summary = [], ""
    if args.tests:
        suite, slowest, summary = test_suite({k: v for k, v in os.environ.items() if k != "SENDLIB_RUN_ID"})
        stages.append(suite)
    info["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    write_text_atomic(args.output, markdown(info, stages, breakdown, sizes, figures, slowest, summary,
                                            kept_notes(args.output)))
    print(f"[bench] wrote {args.output}")
    return 0 if all(stage.ok for stage in stages) else 1


if __name__ == "__main__":
    sys.exit(main())
