"""The `flowc` command: check, build, run.

Exit status (LANGUAGE.md section 7): 0 clean (warnings allowed), 1 errors
found, 2 usage or I/O error. Nothing here ever lets a traceback reach the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .diagnostics import render_human, render_json
from .pipeline import InputError, check_files

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc", description="Compiler for .flow voice-call flows."
    )
    parser.add_argument("--version", action="version", version=f"flowc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="report diagnostics for .flow files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("human", "json"), default="human")
    return parser


def run_check(files: Sequence[str], output_format: str) -> int:
    result = check_files(files)
    if output_format == "json":
        print(render_json(result.diagnostics))
    elif result.diagnostics:
        sys.stdout.write(render_human(result.diagnostics, result.sources))
        print(_summary(result.error_count, result.warning_count))
    return EXIT_ERRORS if result.error_count else EXIT_OK


def _summary(errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args.files, args.format)
    except InputError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
