"""The `sendlib` command: get the data, run the analysis notebooks and council profiles.

Every run goes to reports/<run-id>/ with a manifest.json; reports/index.html links the
latest run. Exit status: 0 all reports ok, 1 a notebook failed (the index is still
written), 2 a usage or data error (bad parameter, missing file; nothing is run), 130
interrupted (Ctrl-C or SIGTERM: queued reports are not started, running ones are stopped,
the manifest and index record what finished and mark the rest "interrupted").
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sendlib import config, runner
from sendlib.errors import ParameterError, SendlibError
from sendlib.params import load_parameter_file, notebook_parameters, parse_cli_value, validate_parameters
from sendlib.prechecks import check_before_run

CLEAN_NOTEBOOK = "01_clean_data"
ANALYSIS_NOTEBOOKS = ("02_case_study_growth", "03_programme_groups", "04_sustainability", "06_published_figures",
                      "07_selection_and_follow_up", "08_after_2022")
COUNCIL_NOTEBOOK = "05_council_profile"
COUNCIL_PARAMETER = "la"
EXIT_INTERRUPTED = 130

PreparedJob = tuple[Path, dict[str, Any], str]


def _acquire() -> None:
    from sendlib.acquire import acquire

    provenance = acquire(mirror=config.mirror_dir(), progressbar=sys.stderr.isatty())
    print(f"{len(provenance)} raw files verified in data/raw")


def _prepare_job(notebook: str | Path, overrides: Mapping[str, Any], report_name: str) -> PreparedJob:
    """(notebook path, validated parameters, report name); raises before anything runs."""
    path = runner.find_notebook(notebook)
    parameters = validate_parameters(path, overrides)
    check_before_run(path, parameters)
    return path, parameters, report_name


def _council_job(notebook: Path, overrides: Mapping[str, Any], council: str) -> PreparedJob:
    """A council profile job, named after the council's resolved 3-digit code."""
    parameters = validate_parameters(notebook, {**overrides, COUNCIL_PARAMETER: council})
    check_before_run(notebook, parameters)
    return notebook, parameters, f"council_{parameters[COUNCIL_PARAMETER]}"


def _overrides(notebook: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Parameters from ``-f FILE`` then ``-p NAME VALUE`` (the command line wins)."""
    declared = notebook_parameters(notebook)
    overrides = load_parameter_file(args.params_file) if args.params_file else {}
    if args.command == "report" and COUNCIL_PARAMETER in overrides:
        raise ParameterError(f"{args.params_file}: `{COUNCIL_PARAMETER}` is not a parameter of `sendlib report`; "
                             "choose the council(s) with --la, or --all with --la-list/--limit")
    for name, text in args.parameter or []:
        overrides[name] = parse_cli_value(text, declared[name]) if name in declared else text
    return overrides


def _run(jobs: Sequence[PreparedJob], n_jobs: int, run_dir: Path | None = None) -> tuple[Path, list[runner.RunRecord]]:
    """Run prepared jobs into ``run_dir`` (a new run folder by default); write its manifest."""
    runner.check_jobs(jobs, n_jobs)
    run_dir = run_dir or runner.create_run_dir()
    records = runner.run_many(jobs, run_dir, n_jobs)
    runner.write_manifest(run_dir, records)
    return run_dir, records


def _finish(run_dir: Path, records: Sequence[runner.RunRecord]) -> int:
    """Write the index, print one line per report; 130 if the run was interrupted, 1 if any
    report failed, else 0."""
    index = runner.write_index(run_dir.parent)
    for record in records:
        where = record.outputs.get("html_nocode") or record.outputs.get("notebook") or "-"
        print(f"{record.status:6}  {record.report_name}  {record.duration_s:.1f}s  {run_dir / where}")
        if record.error:
            print(f"sendlib: {record.report_name} {record.status}: {record.error}", file=sys.stderr)
    failed = sum(record.status == runner.FAILED for record in records)
    interrupted = sum(record.status == runner.INTERRUPTED for record in records)
    print(f"run {run_dir.name}: {len(records)} report(s), {failed} failed"
          f"{f', {interrupted} interrupted' if interrupted else ''}; index: {index}")
    return EXIT_INTERRUPTED if interrupted else 1 if failed else 0


def _clean_is_current(job: PreparedJob) -> bool:
    """True (and says so) when the processed tables were built from the same inputs, code and settings."""
    from sendlib.tables import is_up_to_date, settings_from_parameters

    parameters = {name: p.default for name, p in notebook_parameters(job[0]).items()} | job[1]
    processed = Path(parameters.get("processed_dir") or config.processed_dir())
    if is_up_to_date(settings_from_parameters(parameters), processed):
        print(f"processed tables in {processed} are up to date (same raw files, code and settings); "
              "use --force to rebuild")
        return True
    return False


def _cmd_data(args: argparse.Namespace) -> int:
    clean = _prepare_job(CLEAN_NOTEBOOK, {}, CLEAN_NOTEBOOK)
    _acquire()
    if not args.force and _clean_is_current(clean):
        return 0
    return _finish(*_run([clean], n_jobs=1))


def _cmd_run(args: argparse.Namespace) -> int:
    notebook = runner.find_notebook(args.notebook)
    job = _prepare_job(notebook, _overrides(notebook, args), notebook.stem)
    return _finish(*_run([job], n_jobs=1))


def _cmd_params(args: argparse.Namespace) -> int:
    parameters = notebook_parameters(runner.find_notebook(args.notebook))
    rows = [("name", "type", "default", "comment")]
    rows += [(p.name, p.type_name, repr(p.default), p.comment) for p in parameters.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3])
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    notebook = runner.find_notebook(COUNCIL_NOTEBOOK)
    overrides = _overrides(notebook, args)
    if args.la is not None:
        councils = [args.la]
    else:
        councils = args.la_list or runner.councils_with_data()
        councils = councils[: args.limit] if args.limit is not None else councils
    jobs = [_council_job(notebook, overrides, council) for council in councils]
    return _finish(*_run(jobs, args.jobs))


def _cmd_reproduce(args: argparse.Namespace) -> int:
    clean = _prepare_job(CLEAN_NOTEBOOK, {}, CLEAN_NOTEBOOK)
    council_notebook = runner.find_notebook(COUNCIL_NOTEBOOK)
    _acquire()
    current = not args.force and _clean_is_current(clean)
    run_dir, records = (runner.create_run_dir(), []) if current else _run([clean], n_jobs=1)
    if records and records[0].status != runner.OK:
        print(f"sendlib: {CLEAN_NOTEBOOK} {records[0].status}: the analyses and council profiles were not run",
              file=sys.stderr)
        return _finish(run_dir, records)
    analyses = [_prepare_job(name, {}, name) for name in ANALYSIS_NOTEBOOKS]  # prechecked on the fresh panel
    councils = [_council_job(council_notebook, {}, code) for code in runner.councils_with_data()]
    _, more = _run(analyses + councils, args.jobs, run_dir)
    return _finish(run_dir, records + more)


def _positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (a bad value reads "argument --jobs: expected ...")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_parameter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--params-file", metavar="FILE", help="YAML file of parameter values (name: value)")
    parser.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="set a parameter (repeatable); lists as a,b or [a, b]; overrides -f",
    )


def _add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="notebooks to run at once (default 1)"
    )


def _command(sub: Any, name: str, summary: str, func: Any) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with ``summary``."""
    parser = sub.add_parser(name, help=summary, description=summary)
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendlib", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = _command(sub, "data", f"get the raw files, then build the processed tables ({CLEAN_NOTEBOOK})", _cmd_data)
    data.add_argument("--force", action="store_true", help="rebuild the processed tables even if up to date")

    run = _command(sub, "run", "run one notebook with parameters", _cmd_run)
    run.add_argument("notebook", metavar="NOTEBOOK", help="a notebook path or stem, e.g. 02_case_study_growth")
    _add_parameter_options(run)

    params = _command(sub, "params", "list a notebook's parameters (name, type, default, comment)", _cmd_params)
    params.add_argument("notebook", metavar="NOTEBOOK", help="a notebook path or stem")

    report = _command(
        sub, "report", f"council profiles ({COUNCIL_NOTEBOOK}) for one, some or every council", _cmd_report
    )
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--la", metavar="CODE_OR_NAME", help="one council: 3-digit code, ONS code or name")
    which.add_argument(
        "--all", action="store_true", help="every council with data in data/processed/panel.parquet"
    )
    subset = report.add_mutually_exclusive_group()
    subset.add_argument(
        "--limit", type=_positive_int, metavar="K", help="with --all: only the first K councils by code"
    )
    subset.add_argument("--la-list", nargs="+", metavar="LA", help="with --all: only these councils")
    _add_parameter_options(report)
    _add_jobs_option(report)

    reproduce = _command(
        sub, "reproduce", "everything: data, every analysis notebook, every council profile, index", _cmd_reproduce
    )
    _add_jobs_option(reproduce)
    reproduce.add_argument("--force", action="store_true", help="rebuild the processed tables even if up to date")
    return parser


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM stops a run as Ctrl-C does (runner.run_many handles KeyboardInterrupt)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "report" and args.la is not None and (args.limit is not None or args.la_list):
        parser.error("--limit and --la-list go with --all, not --la")
    if args.command == "report" and any(name == COUNCIL_PARAMETER for name, _ in args.parameter or []):
        parser.error(f"-p {COUNCIL_PARAMETER} is not a parameter of `sendlib report`: "
                     "choose the council(s) with --la, or --all with --la-list/--limit")
    previous = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    try:
        return args.func(args)
    except SendlibError as exc:
        print(f"sendlib: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside a fan-out (acquiring, writing the manifest): nothing is left half-written
        print("sendlib: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
