"""Time every stage of the pipeline as a user runs it and write BENCHMARKS.md.

Stages (each a fresh process, wall-clock; data and reports in a temporary folder, so the
project's own data/processed and reports/ are left alone):

1. `sendlib data`, cold: copy and sha256-check the raw files from the mirror into an empty
   data folder, then run notebooks/01_clean_data.ipynb;
2. the clean step alone, `sendlib.tables.clean(...)`, timed inside its process;
3. every analysis notebook, `sendlib run <stem>`;
4. one council report, `sendlib report --la 202`, with where its time goes;
5. every council report, `sendlib report --all --jobs N` for each N asked;
6. `sendlib reproduce --jobs 2` from an empty data folder (what `make reproduce` runs).

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
#: The aims on 2 cores: data and analysis notebooks within 3 minutes, every council report within 2 more.
AIM_PIPELINE_S = 180.0
AIM_COUNCILS_S = 120.0
PIPELINE, COUNCILS, REPRODUCE = "pipeline", "councils", "reproduce"
NOTE = "note: "
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


def council_breakdown(reports_dir: Path, cli_seconds: float) -> list[tuple[str, float]]:
    """Where one council report's time goes, from its executed notebook and the manifest."""
    record = latest_manifest(reports_dir)["reports"][f"council_{SAMPLE_COUNCIL}"]
    executed = json.loads((reports_dir / "latest" / record["outputs"]["notebook"]).read_text(encoding="utf-8"))
    cells = [c for c in executed["cells"] if c["cell_type"] == "code"]
    durations = [float(c["metadata"].get("papermill", {}).get("duration") or 0.0) for c in cells]
    imports = next(d for c, d in zip(cells, durations) if "import" in "".join(c["source"]))
    papermill_total = float(executed["metadata"]["papermill"]["duration"])
    return [
        ("kernel start and papermill overhead", papermill_total - sum(durations)),
        ("imports cell (pandas, matplotlib/seaborn, sendlib.analysis incl. statsmodels)", imports),
        ("analysis and figure cells", sum(durations) - imports),
        ("HTML export (with and without code)", record["duration_s"] - papermill_total),
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


def aims(stages: list[Stage]) -> list[str]:
    """Markdown rows comparing the measured times with the aims (sums of stages by kind)."""
    def total(kind: str) -> float | None:
        chosen = [stage.seconds for stage in stages if stage.kind == kind]
        return sum(chosen) if chosen else None

    rows = [
        ("data and every analysis notebook (`sendlib data`, `sendlib run` each)", total(PIPELINE), AIM_PIPELINE_S),
        ("every council report, `--jobs 2`", total(COUNCILS), AIM_COUNCILS_S),
        ("both in one cold `sendlib reproduce --jobs 2`", total(REPRODUCE), AIM_PIPELINE_S + AIM_COUNCILS_S),
    ]
    lines = ["", "## Against the aims", "", "| what | measured seconds | aim seconds | within aim |",
             "|---|---:|---:|---|"]
    for what, measured, aim in rows:
        if measured is not None:
            lines.append(f"| {what} | {measured:.0f} | {aim:.0f} | {'yes' if measured <= aim else 'no'} |")
    return lines


def markdown(info: dict[str, str], stages: list[Stage], breakdown: list[tuple[str, float]]) -> str:
    """BENCHMARKS.md: machine, timings table, one council report's breakdown."""
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
    lines += aims(stages)
    if breakdown:
        lines += ["", f"## Where one council report's time goes (`sendlib report --la {SAMPLE_COUNCIL}`)", "",
                  "| part | seconds |", "|---|---:|"]
        lines += [f"| {part} | {seconds:.1f} |" for part, seconds in breakdown]
    return "\n".join(lines) + "\n"


def benchmark(
    jobs: list[int], with_reproduce: bool, limit: int | None
) -> tuple[list[Stage], list[tuple[str, float]]]:
    """Run every stage; return the stages and the one-council breakdown."""
    mirror = mirror_folder()
    stages: list[Stage] = []
    breakdown: list[tuple[str, float]] = []
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
        one = run_stage(Stage("one council report", sendlib("report", "--la", SAMPLE_COUNCIL)), env)
        stages.append(one)
        if one.ok:
            breakdown = council_breakdown(root / "reports", one.seconds)
        for n_jobs in jobs:
            subset = ["--limit", str(limit)] if limit else []
            every = run_stage(Stage(f"{'first ' + str(limit) if limit else 'all'} council reports, --jobs {n_jobs}",
                                    sendlib("report", "--all", *subset, "--jobs", str(n_jobs)),
                                    COUNCILS if n_jobs == 2 and not limit else ""), env)
            if every.ok or (root / "reports" / "latest" / "manifest.json").is_file():
                every.notes.append(report_durations_note(root / "reports"))
            stages.append(every)
        if with_reproduce:
            cold = Path(tmp) / "reproduce"
            stages.append(run_stage(Stage("reproduce, cold (= make reproduce)", sendlib("reproduce", "--jobs", "2"),
                                          REPRODUCE), workspace_env(cold, mirror)))
            if (cold / "reports" / "latest" / "manifest.json").is_file():
                stages[-1].notes.append(report_durations_note(cold / "reports"))
        shutil.rmtree(root, ignore_errors=True)
    return stages, breakdown


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
    stages, breakdown = benchmark(args.jobs, not args.skip_reproduce, args.limit)
    info["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    write_text_atomic(args.output, markdown(info, stages, breakdown))
    print(f"[bench] wrote {args.output}")
    return 0 if all(stage.ok for stage in stages) else 1


if __name__ == "__main__":
    sys.exit(main())
