"""The `sendlib` command."""

from __future__ import annotations

import argparse
import sys

from sendlib.errors import SendlibError


def _cmd_data(args: argparse.Namespace) -> int:
    from sendlib import config
    from sendlib.acquire import acquire

    provenance = acquire(mirror=config.mirror_dir(), progressbar=sys.stderr.isatty())
    print(f"{len(provenance)} raw files verified in data/raw")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sendlib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="get the raw files and build the processed tables")
    data.set_defaults(func=_cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SendlibError as exc:
        print(f"sendlib: error: {exc}", file=sys.stderr)
        return 2
