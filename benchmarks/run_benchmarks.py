"""Time every stage of the pipeline as a user runs it, measure the reports' bytes, and write BENCHMARKS.md.

Stages (each a fresh process, wall-clock; data and reports in a temporary folder, so the
project's own data/processed and reports/ are left alone):

1. `sendlib data`, cold: copy and sha256-check the raw files from the mirror into an empty
   data folder, then run notebooks/01_clean_data.ipynb;
2. the clean step alone, `sendlib.tables.clean(...)`, timed inside its process;
3. every analysis notebook, `sendlib run <stem>`;
4. one council report, `sendlib report --la 202`, with where its time goes;
5. per report, a fresh kernel each (`runner.run_notebook` without a worker, K councils)
   against warm workers (the reports after each worker's first in `--jobs 1`);
6. every council report, `sendlib report --all --jobs N` for each N asked, then the bytes
   of one council's folder, of its page without code and of the whole run;
7. `sendlib reproduce --jobs 2` from an empty data folder (what `make reproduce` runs).

Usage: .venv/bin/python benchmarks/run_benchmarks.py [--jobs 1 2] [--skip-reproduce] [--limit K]
       [--output BENCHMARKS.md]
The raw files come from SENDLIB_DATA_MIRROR, else from the project's data/raw (same layout).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sendlib import config
from sendlib.atomic import write_text_atomic
from sendlib.cli import ANALYSIS_NOTEBOOKS, COUNCIL_NOTEBOOK

SAMPLE_COUNCIL = "202"
FRESH_COUNCILS = ("201", "202", "203", "204", "205", "206")
#: The aims on 2 cores (issue 9): data and analysis notebooks within 3 minutes; every council
#: report with 2 jobs within 90 s; a cold reproduce within 150 s; one report within 4 s; a
#: full run's folder within 150 MB and one council's page without code within 400 kB.
AIM_PIPELINE_S = 180.0
AIM_COUNCILS_S = 90.0
AIM_REPRODUCE_S = 150.0
AIM_ONE_REPORT_S = 4.0
AIM_RUN_MB = 150.0
AIM_PAGE_KB = 400.0
PIPELINE, COUNCILS, REPRODUCE, ONE_REPORT = "pipeline", "councils", "reproduce", "one report"
NOTE = "note: "
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


@dataclass
class Stage:
    """One timed command."""

    name: str
    command: list[str]
    kind: str = ""  # PIPELINE, COUNCILS (with --jobs 2), REPRODUCE: what the aims add up
    seconds: float = 0.0
    returncode: int = 0
    load: float = 0.0
    notes: list[str] = field(default_factory=list)
    per_report: float | None = None  # median seconds per report, where the stage measures it

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def shown(self) -> str:
        """The command as a user types it (``sendlib ...`` rather than the interpreter path)."""
        if self.command[:3] == [sys.executable, "-m", "sendlib"]:
            return " ".join(["sendlib", *self.command[3:]])
        return " ".join(self.command)


def sendlib(*args: str) -> list[str]:
    return [sys.executable, "-m", "sendlib", *args]


def run_stage(stage: Stage, env: dict[str, str]) -> Stage:
    """Run the stage's command from the project root, recording wall time and exit status."""
    print(f"[bench] {stage.name}: {stage.shown[:100]}", flush=True)
    started = time.monotonic()
    completed = subprocess.run(stage.command, cwd=config.PROJECT_ROOT, env=env, capture_output=True, text=True)
    stage.seconds = round(time.monotonic() - started, 1)
    stage.returncode = completed.returncode
    stage.load = os.getloadavg()[0]
    if not stage.ok:
        stage.notes.append(f"FAILED (exit {completed.returncode}): {completed.stderr.strip().splitlines()[-1:]}")
    stage.notes.extend(line.removeprefix(NOTE) for line in completed.stdout.splitlines() if line.startswith(NOTE))
    stage.per_report = next((float(line.split()[1]) for line in completed.stdout.splitlines()
                             if line.startswith("per-report ")), None)
    print(f"[bench]   {stage.seconds:.1f} s{'' if stage.ok else ' FAILED'}", flush=True)
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
    durations = [r["duration_s"] for r in latest_manifest(reports_dir)["reports"].values()]
    failed = sum(r["status"] != "ok" for r in latest_manifest(reports_dir)["reports"].values())
    return (f"{len(durations)} reports ({failed} failed); per report mean {statistics.mean(durations):.1f} s, "
            f"median {statistics.median(durations):.1f} s, max {max(durations):.1f} s")


def warm_per_report(reports_dir: Path) -> tuple[float, str]:
    """Median seconds of the latest run's reports that ran in an already warm worker (with
    one job, every report after the first), and a note saying so."""
    durations = [r["duration_s"] for r in latest_manifest(reports_dir)["reports"].values()]
    warm = durations[1:] or durations
    median = statistics.median(warm)
    return median, (f"warm worker per report (all but the first, {len(warm)} reports): median {median:.1f} s, "
                    f"first report (kernel start and warm-up) {durations[0]:.1f} s")


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def report_sizes(reports_dir: Path) -> dict[str, int]:
    """Bytes of the latest run's folder, of one council's folder and of its page without code."""
    run = reports_dir / "latest"
    council = run / f"council_{SAMPLE_COUNCIL}"
    return {"run": folder_bytes(run.resolve()), "council": folder_bytes(council),
            "page": (council / f"{COUNCIL_NOTEBOOK}.nocode.html").stat().st_size}


def council_breakdown(reports_dir: Path, cli_seconds: float) -> list[tuple[str, float]]:
    """Where one council report's time goes, from its executed notebook and the manifest."""
    record = latest_manifest(reports_dir)["reports"][f"council_{SAMPLE_COUNCIL}"]
    executed = json.loads((reports_dir / "latest" / record["outputs"]["notebook"]).read_text(encoding="utf-8"))
    cells = [c for c in executed["cells"] if c["cell_type"] == "code"]
    durations = [float(c["metadata"].get("papermill", {}).get("duration") or 0.0) for c in cells]
    imports = next(d for c, d in zip(cells, durations) if "import" in "".join(c["source"]))
    papermill_total = float(executed["metadata"]["papermill"]["duration"])
    return [
        ("papermill overhead and the hidden reset cell (warm-up imports in a fresh kernel)",
         papermill_total - sum(durations)),
        ("imports cell", imports),
        ("analysis and figure cells", sum(durations) - imports),
        ("kernel start, HTML export (with and without code), writing the files",
         record["duration_s"] - papermill_total),
        ("CLI process: start, imports, parameter check, manifest, index", cli_seconds - record["duration_s"]),
    ]


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
    """Markdown rows comparing what was measured with the aims."""
    def total(kind: str) -> float | None:
        chosen = [stage.seconds for stage in stages if stage.kind == kind]
        return sum(chosen) if chosen else None

    rows = [
        ("data and every analysis notebook (`sendlib data`, `sendlib run` each), s", total(PIPELINE), AIM_PIPELINE_S),
        ("every council report, `sendlib report --all --jobs 2`, s", total(COUNCILS), AIM_COUNCILS_S),
        ("cold `sendlib reproduce --jobs 2`, s", total(REPRODUCE), AIM_REPRODUCE_S),
        (f"one `sendlib report --la {SAMPLE_COUNCIL}`, s", total(ONE_REPORT), AIM_ONE_REPORT_S),
        ("a full run's `reports/<run-id>/`, MB", sizes["run"] / 1e6 if "run" in sizes else None, AIM_RUN_MB),
        ("one council's page without code, kB", sizes["page"] / 1e3 if "page" in sizes else None, AIM_PAGE_KB),
    ]
    lines = ["", "## Against the aims", "", "| what | measured | aim | within aim |", "|---|---:|---:|---|"]
    for what, measured, aim in rows:
        if measured is not None:
            lines.append(f"| {what} | {measured:.1f} | {aim:.0f} | {'yes' if measured <= aim else 'no'} |")
    lines.append("| `make test` on CI, min | not measured here (see the CI log) | 5 | |")
    return lines


def markdown(info: dict[str, str], stages: list[Stage], breakdown: list[tuple[str, float]],
             sizes: dict[str, int]) -> str:
    """BENCHMARKS.md: machine, timings table, sizes, aims, one council report's breakdown."""
    lines = ["# Benchmarks", "", "Written by `benchmarks/run_benchmarks.py` (run it again to refresh this file).",
             "Wall-clock seconds of each command run as a user would, each in a fresh process, data and reports",
             "in a temporary folder. Other processes on the machine were not controlled: see the load averages.",
             "", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += ["", "## Timings", "", "| stage | command | seconds | load (1 min) at end | notes |",
              "|---|---|---:|---:|---|"]
    for stage in stages:
        lines.append(f"| {stage.name} | `{stage.shown}` | {stage.seconds:.1f} | {stage.load:.2f} | "
                     f"{'; '.join(stage.notes)} |")
    per_report = [(stage.name, stage.per_report) for stage in stages if stage.per_report is not None]
    if per_report:
        lines += ["", "## Per report: fresh kernel against warm worker", "", "| how | median seconds per report |",
                  "|---|---:|"]
        lines += [f"| {name} | {seconds:.1f} |" for name, seconds in per_report]
    if sizes:
        lines += ["", "## Bytes (after all council reports with the most jobs)", "", "| what | bytes |", "|---|---:|",
                  f"| whole run folder | {sizes['run']:,} |",
                  f"| one council's folder (council_{SAMPLE_COUNCIL}) | {sizes['council']:,} |",
                  f"| its page without code | {sizes['page']:,} |"]
    lines += aims(stages, sizes)
    if breakdown:
        lines += ["", f"## Where one council report's time goes (`sendlib report --la {SAMPLE_COUNCIL}`)", "",
                  "| part | seconds |", "|---|---:|"]
        lines += [f"| {part} | {seconds:.1f} |" for part, seconds in breakdown]
    return "\n".join(lines) + "\n"


def benchmark(
    jobs: list[int], with_reproduce: bool, limit: int | None
) -> tuple[list[Stage], list[tuple[str, float]], dict[str, int]]:
    """Run every stage; return the stages, the one-council breakdown and the sizes."""
    mirror = mirror_folder()
    stages: list[Stage] = []
    breakdown: list[tuple[str, float]] = []
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="sendlib-bench-") as tmp:
        root = Path(tmp) / "main"
        env = workspace_env(root, mirror)
        stages.append(run_stage(Stage("data, cold (acquire + 01_clean_data)", sendlib("data"), PIPELINE), env))
        target = root / "clean-only"
        snippet = CLEAN_SNIPPET.format(target=str(target))
        clean = run_stage(Stage("clean step alone (tables.clean)", [sys.executable, "-c", snippet]), env)
        clean.command = ["python", "-c", "'clean(CleanSettings(raw_dir), processed_dir)'"]
        stages.append(clean)
        for stem in ANALYSIS_NOTEBOOKS:
            stages.append(run_stage(Stage(f"notebook {stem}", sendlib("run", stem), PIPELINE), env))
        one = run_stage(Stage("one council report", sendlib("report", "--la", SAMPLE_COUNCIL), ONE_REPORT), env)
        stages.append(one)
        if one.ok:
            breakdown = council_breakdown(root / "reports", one.seconds)
        fresh = run_stage(Stage(f"fresh kernel per report ({len(FRESH_COUNCILS)} councils)",
                                [sys.executable, "-c", FRESH_SNIPPET.format(councils=FRESH_COUNCILS)]), env)
        fresh.command = ["python", "-c", "'run_notebook(05_council_profile, la) for each, no worker'"]
        stages.append(fresh)
        for n_jobs in sorted(jobs):
            subset = ["--limit", str(limit)] if limit else []
            every = run_stage(Stage(f"{'first ' + str(limit) if limit else 'all'} council reports, --jobs {n_jobs}",
                                    sendlib("report", "--all", *subset, "--jobs", str(n_jobs)),
                                    COUNCILS if n_jobs == 2 and not limit else ""), env)
            if every.ok or (root / "reports" / "latest" / "manifest.json").is_file():
                every.notes.append(report_durations_note(root / "reports"))
                if n_jobs == 1:
                    every.per_report, note = warm_per_report(root / "reports")
                    every.notes.append(note)
                if n_jobs == max(jobs):
                    sizes = report_sizes(root / "reports")
            stages.append(every)
        if with_reproduce:
            cold = Path(tmp) / "reproduce"
            stages.append(run_stage(Stage("reproduce, cold (= make reproduce)", sendlib("reproduce", "--jobs", "2"),
                                          REPRODUCE), workspace_env(cold, mirror)))
            if (cold / "reports" / "latest" / "manifest.json").is_file():
                stages[-1].notes.append(report_durations_note(cold / "reports"))
        shutil.rmtree(root, ignore_errors=True)
    return stages, breakdown, sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values for all council reports")
    parser.add_argument("--skip-reproduce", action="store_true", help="leave out the cold `sendlib reproduce` run")
    parser.add_argument("--limit", type=int, help="only the first K councils (a quick check, not a benchmark)")
    parser.add_argument("--output", type=Path, default=config.PROJECT_ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not (config.notebooks_dir() / f"{COUNCIL_NOTEBOOK}.ipynb").is_file():
        parser.error(f"{COUNCIL_NOTEBOOK}.ipynb not found in {config.notebooks_dir()}")
    info = machine()
    stages, breakdown, sizes = benchmark(args.jobs, not args.skip_reproduce, args.limit)
    info["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    write_text_atomic(args.output, markdown(info, stages, breakdown, sizes))
    print(f"[bench] wrote {args.output}")
    return 0 if all(stage.ok for stage in stages) else 1


if __name__ == "__main__":
    sys.exit(main())
