"""The `sendlib` command: get the data, run the analysis notebooks and council profiles.

Every run goes to reports/<run-id>/ with a manifest.json; reports/index.html links the
latest run. Exit status: 0 all reports ok, 1 a notebook failed (the index is still
written) or a file could not be written after reports had run, 2 a usage, data or
file-system error before anything ran (bad parameter, missing or damaged table, a reports
folder that cannot be written; nothing is run), 130 interrupted (Ctrl-C or SIGTERM: queued
reports are not started, running ones are stopped, the manifest and index record what
finished and mark the rest "interrupted"). Output is written line by line, so a pipe or a
log file shows each report as it finishes.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sendlib import config, runner
from sendlib.errors import ParameterError, SendlibError, file_system_error
from sendlib.param_rules import Fraction, Percent, rule_for
from sendlib.params import load_parameter_file, notebook_parameters, parse_cli_value, validate_parameters
from sendlib.prechecks import check_before_run

CLEAN_NOTEBOOK = "01_clean_data"
#: The analysis notebooks, longest first (as measured in BENCHMARKS.md): `reproduce` queues them in this
#: order ahead of the council reports, so that the longest do not finish last.
ANALYSIS_NOTEBOOKS = ("08_after_2022", "06_published_figures", "02_case_study_growth", "07_selection_and_follow_up",
                      "03_programme_groups", "04_sustainability")
COUNCIL_NOTEBOOK = "05_council_profile"
COUNCIL_PARAMETER = "la"
EXIT_INTERRUPTED = 130
PARAMETER_OPTIONS = ("-p", "--parameter")
REPORTS_SETTING = "SENDLIB_REPORTS_DIR"
FRACTIONS = ("Shares and growth rates are fractions: 0.05 means 5%. You may also write a percentage, on the "
             "command line (-p {example}) and in a YAML file ({yaml}).")

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
    """A council profile job, named after the council's resolved 3-digit code (the same
    checks for ``--la`` and for each council of ``--all``)."""
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


def _run(jobs: Sequence[PreparedJob], n_jobs: int, args: argparse.Namespace, started: runner.Workers | None = None,
         run_dir: Path | None = None, manifest: bool = True) -> tuple[Path, list[runner.RunRecord]]:
    """Run prepared jobs into ``run_dir`` (a new run folder by default), once the reports
    folder is known to take them, in the workers ``started`` early (runner.warm_workers) or new
    ones; write its manifest unless ``manifest`` is False (a later batch of the same run will)."""
    runner.check_jobs(jobs, n_jobs)
    runner.check_room(config.reports_dir(), len(jobs))
    run_dir = run_dir or runner.create_run_dir()
    records = runner.run_many(jobs, run_dir, n_jobs, with_code=getattr(args, "with_code", False), started=started)
    if manifest:
        _write_manifest(run_dir, records)
    return run_dir, records


def _write_manifest(run_dir: Path, records: Sequence[runner.RunRecord]) -> None:
    try:
        runner.write_manifest(run_dir, records)
    except OSError as exc:
        raise file_system_error(exc, "write the manifest", REPORTS_SETTING, after_work=True) from None


def _finish(run_dir: Path, records: Sequence[runner.RunRecord]) -> int:
    """Print one line per report, write the index; 130 if the run was interrupted, 1 if any
    report failed, else 0."""
    for record in records:
        print(_summary_line(run_dir, record))
        if record.error:
            print(f"sendlib: {record.report_name} {record.status}: {record.error}", file=sys.stderr)
    try:
        from sendlib.present.frontpage import write_index  # loads pandas: only once a run is done

        index = write_index(run_dir.parent)
    except OSError as exc:
        raise file_system_error(exc, "write the front page", REPORTS_SETTING, after_work=True) from None
    failed = sum(record.status == runner.FAILED for record in records)
    interrupted = sum(record.status == runner.INTERRUPTED for record in records)
    print(f"run {run_dir.name}: {len(records)} report(s), {failed} failed"
          f"{f', {interrupted} interrupted' if interrupted else ''}; index: {index}")
    return EXIT_INTERRUPTED if interrupted else 1 if failed else 0


def _summary_line(run_dir: Path, record: runner.RunRecord) -> str:
    """``ok  council_202  5.2s  <its page>``; an interrupted report says nothing was kept."""
    if record.status == runner.INTERRUPTED:
        return f"{record.status:11}  {record.report_name}  not finished: its partial folder was removed"
    where = record.outputs.get("html_nocode") or record.outputs.get("notebook")
    return (f"{record.status:11}  {record.report_name}  {record.duration_s:.1f}s  "
            f"{run_dir / where if where else 'no output written'}")


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
    notebook = runner.find_notebook(CLEAN_NOTEBOOK)
    _acquire()
    clean = _prepare_job(notebook, {}, CLEAN_NOTEBOOK)  # prechecked against the raw files just verified
    if not args.force and _clean_is_current(clean):
        return 0
    return _finish(*_run([clean], 1, args))


def _cmd_run(args: argparse.Namespace) -> int:
    notebook = runner.find_notebook(args.notebook)
    with runner.warm_workers(1, [notebook]) as started:  # the kernel boots while the parameters are checked
        job = _prepare_job(notebook, _overrides(notebook, args), notebook.stem)
        return _finish(*_run([job], 1, args, started))


def _cmd_params(args: argparse.Namespace) -> int:
    notebook = runner.find_notebook(args.notebook)
    print(f"Parameters of {notebook.stem} (set them with -p NAME VALUE, or name: value lines in a YAML file "
          "given with -f FILE):\n")
    declared = notebook_parameters(notebook)
    rules = {name: rule_for(notebook.stem, name) for name in declared}
    for p in declared.values():
        print(f"{p.name}  ({p.type_name}, default {p.default!r})")
        if p.comment:
            print(f"    {p.comment}")
        if p.name == "output_dir":
            print("    allowed: set by the runner, not by you")
        elif rules[p.name] is not None:
            print(f"    allowed: {rules[p.name].describe()}")
    percentages = [(name, rule) for name, rule in rules.items() if isinstance(rule, (Fraction, Percent))]
    if percentages:
        name, rule = percentages[0]
        default = declared[name].default * (100 if isinstance(rule, Fraction) else 1)
        print("\n" + FRACTIONS.format(example=f"{name} {default:g}%", yaml=f"{name}: {default:g}%"))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    notebook = runner.find_notebook(COUNCIL_NOTEBOOK)
    expected = 1 if args.la is not None else len(args.la_list) if args.la_list else args.limit or args.jobs
    # The kernels boot and warm up while the councils are listed and each one's parameters are
    # checked against the data.
    with runner.warm_workers(min(args.jobs, expected), [notebook]) as started:
        if args.la is not None:
            councils = [args.la]
        else:
            councils = args.la_list or runner.councils_with_data()
            councils = councils[: args.limit] if args.limit is not None else councils
        overrides = _overrides(notebook, args)
        jobs = [_council_job(notebook, overrides, council) for council in councils]
        return _finish(*_run(jobs, args.jobs, args, started))


def _cmd_reproduce(args: argparse.Namespace) -> int:
    """Data, then the analysis notebooks and every council profile in one pool of workers (the
    analyses first, longest first: they take several times a council's time), the manifest
    and the front page written once, at the end."""
    clean_notebook, council_notebook = runner.find_notebook(CLEAN_NOTEBOOK), runner.find_notebook(COUNCIL_NOTEBOOK)
    analysis_notebooks = [runner.find_notebook(name) for name in ANALYSIS_NOTEBOOKS]
    _acquire()
    clean = _prepare_job(clean_notebook, {}, CLEAN_NOTEBOOK)
    current = not args.force and _clean_is_current(clean)
    # Workers for the analyses start now: their kernels boot and import while the data is cleaned.
    with runner.warm_workers(args.jobs, analysis_notebooks) as started:
        run_dir, records = (runner.create_run_dir(), []) if current else _run([clean], 1, args, manifest=False)
        if records and records[0].status != runner.OK:
            print(f"sendlib: {CLEAN_NOTEBOOK} {records[0].status}: the analyses and council profiles were not run",
                  file=sys.stderr)
            _write_manifest(run_dir, records)
            return _finish(run_dir, records)
        analyses = [_prepare_job(path, {}, path.stem) for path in analysis_notebooks]  # prechecked on the new panel
        councils = [_council_job(council_notebook, {}, code) for code in runner.councils_with_data()]
        _, more = _run(analyses + councils, args.jobs, args, started, run_dir, manifest=False)
    _write_manifest(run_dir, records + more)
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


def _add_with_code_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--with-code", action="store_true",
                        help="also write each report's page with its code (<notebook>.html); slower")


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
    _add_with_code_option(run)

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
    _add_with_code_option(report)

    reproduce = _command(
        sub, "reproduce", "everything: data, every analysis notebook, every council profile, index", _cmd_reproduce
    )
    _add_jobs_option(reproduce)
    _add_with_code_option(reproduce)
    reproduce.add_argument("--force", action="store_true", help="rebuild the processed tables even if up to date")
    return parser


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM stops a run as Ctrl-C does (runner.run_many handles KeyboardInterrupt)."""
    raise KeyboardInterrupt


def split_parameters(argv: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the other arguments, the ``-p NAME VALUE`` pairs): taken out before argparse, which
    would read a VALUE such as ``-1e308`` as an option. A ``-p`` without two arguments after
    it is left for argparse to report."""
    rest: list[str] = []
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(argv):
        if argv[position] in PARAMETER_OPTIONS and position + 2 < len(argv):
            pairs.append((argv[position + 1], argv[position + 2]))
            position += 3
        else:
            rest.append(argv[position])
            position += 1
    return rest, pairs


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # each line as it is written, also into a pipe or a log file
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    parser = build_parser()
    rest, pairs = split_parameters(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(rest)
    if pairs and not hasattr(args, "parameter"):
        parser.error(f"-p goes with `sendlib run` and `sendlib report`, not `sendlib {args.command}`")
    if pairs:
        args.parameter = [list(pair) for pair in pairs]
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
        return exc.exit_status
    except OSError as exc:  # a file-system fault outside a run (acquiring the data, reading a folder)
        print(f"sendlib: error: {file_system_error(exc, 'use', 'the folder settings (SENDLIB_*_DIR)')}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside a fan-out (acquiring, writing the manifest): nothing is left half-written
        print("sendlib: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
