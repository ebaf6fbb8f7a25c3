"""The `flowc` command: check, build, run, lsp for editors, call and deploy for servers.

Exit status (LANGUAGE.md section 7): 0 clean (warnings allowed), 1 errors
found, 2 usage or I/O error. Nothing here ever lets a traceback reach the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from flowc_runtime.serve.options import (
    add_call_arguments,
    add_deploy_arguments,
    add_serve_options,
)
from flowc_runtime.temporal.cli import add_worker_options

from . import __version__
from .build import build_files, write_files
from .diagnostics import render_human, render_json
from .fixes import apply_fixes
from .fmt import add_arguments as add_fmt_arguments
from .fmt import run as run_fmt
from .library.commands import COMMANDS as LIBRARY_COMMANDS
from .library.commands import add_library_commands, run_library_command
from .picture import add_arguments as add_graph_arguments
from .picture import run as run_graph
from .pipeline import CheckResult, InputError, check_files
from .run import RunError, RunOptions, discard_further_output, run_built
from .testing.command import add_test_arguments, run_test_command

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc", description="Compiler for .flow voice-call flows."
    )
    parser.add_argument("--version", action="version", version=f"flowc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="report diagnostics for .flow files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("human", "json"), default="human")
    check.add_argument(
        "--fix",
        action="store_true",
        help="first apply the machine-applicable fixes to the files, then report what is left",
    )

    build = commands.add_parser("build", help="generate Python modules from .flow files")
    build.add_argument("files", nargs="+", metavar="FILE")
    build.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")

    run = commands.add_parser("run", help="talk to a flow in the terminal")
    run.add_argument("file", metavar="FILE")
    run.add_argument(
        "--flow", metavar="NAME", help="the flow to run (default: the file's only one)"
    )
    run.add_argument("--caller", default="+15550000000", metavar="NUMBER", help="call.caller")
    run.add_argument("--callee", default="+15550000001", metavar="NUMBER", help="call.callee")
    run.add_argument("--log", metavar="FILE", help="write the event log (JSON lines) here")
    run.add_argument(
        "--record", metavar="FILE", help="write the call as a .flowtest test (docs/testing.md)"
    )

    test = commands.add_parser("test", help="run .flowtest conversation tests offline")
    add_test_arguments(test)

    serve = commands.add_parser("serve", help="answer phone calls: serve a flow to Twilio")
    serve.add_argument("files", nargs="+", metavar="FILE")
    serve.add_argument(
        "--flow", metavar="NAME", help="the flow calls start at (default: the first file's only)"
    )
    add_serve_options(serve)

    worker = commands.add_parser("worker", help="run a flow's calls on Temporal, as a worker")
    worker.add_argument("files", nargs="+", metavar="FILE")
    worker.add_argument(
        "--flow", metavar="NAME", help="the flow calls start at (default: the first file's only)"
    )
    add_worker_options(worker)

    commands.add_parser("lsp", help="serve editors: a language server on stdin/stdout")
    fmt = commands.add_parser("fmt", help="format .flow files in place, in one canonical layout")
    add_fmt_arguments(fmt)
    graph = commands.add_parser("graph", help="draw a flow: Mermaid, Graphviz dot, or SVG")
    add_graph_arguments(graph)
    call = commands.add_parser("call", help="place a test call to a server, as Twilio does")
    add_call_arguments(call)
    deploy = commands.add_parser("deploy", help="point a phone number at a server")
    add_deploy_arguments(deploy)
    add_library_commands(commands)
    return parser


def run_check(files: Sequence[str], output_format: str, fix: bool = False) -> int:
    result = fix_and_recheck(files) if fix else check_files(files)
    if output_format == "json":
        print(render_json(result.diagnostics))
    elif result.diagnostics:
        sys.stdout.write(render_human(result.diagnostics, result.sources))
        print(_summary(result.error_count, result.warning_count))
    return EXIT_ERRORS if result.error_count else EXIT_OK


MAX_FIX_ROUNDS = 10


def fix_and_recheck(files: Sequence[str]) -> CheckResult:
    """Apply fixes and check again until none applies; say on stderr what was changed.

    Rounds, because a fix left out for overlapping another may still apply after it,
    and a bound, because a fix that brought back its own diagnostic would go on forever.
    stdout is left to the report, which reads as `flowc check` prints it.
    """
    result = check_files(files)
    for _ in range(MAX_FIX_ROUNDS):
        applied = apply_fixes(result, files)
        if not applied:
            break
        for change in applied:
            where, code = change.fix.edits[0].span, change.diagnostic.code
            print(f"fixed {where}: [{code}] {change.fix.message}", file=sys.stderr)
        result = check_files(files)
    return result


def run_build(files: Sequence[str], output_dir: str) -> int:
    result = build_files(files)
    _show_diagnostics(result.check, sys.stdout)
    if not result.ok:
        return EXIT_ERRORS
    try:
        written = write_files(result.files, output_dir)
    except OSError as exc:
        print(
            f"flowc: error: cannot write to '{output_dir}': {exc.strerror or exc}", file=sys.stderr
        )
        return EXIT_USAGE
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def run_flow(options: RunOptions) -> int:
    result = build_files([options.file])
    # stdout is the transcript; diagnostics (warnings included) go to stderr
    _show_diagnostics(result.check, sys.stderr)
    if not result.ok:
        return EXIT_ERRORS
    try:
        call = run_built(result, options, sys.stdin, sys.stdout)
    except RunError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nflowc: call abandoned (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if call.fault is not None:
        print(call.fault, file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def serve_flow(args: argparse.Namespace) -> int:
    # Imported here: the server's libraries (starlette, uvicorn) load only to serve.
    from .serve import ServeError, serve_built

    result = build_files(args.files)
    _show_diagnostics(result.check, sys.stderr)
    if not result.ok:
        return EXIT_ERRORS
    try:
        return serve_built(result, args)
    except (RunError, ServeError) as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


def run_worker(args: argparse.Namespace) -> int:
    # Imported here: temporalio loads only to run a worker.
    from .worker import run_worker_built

    result = build_files(args.files)
    _show_diagnostics(result.check, sys.stderr)
    if not result.ok:
        return EXIT_ERRORS
    try:
        return run_worker_built(result, args)
    except RunError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _show_diagnostics(result: CheckResult, stream: TextIO) -> None:
    if result.diagnostics:
        stream.write(render_human(result.diagnostics, result.sources))
        print(_summary(result.error_count, result.warning_count), file=stream)


def _summary(errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args.files, args.format, args.fix)
        if args.command == "build":
            return run_build(args.files, args.output)
        if args.command == "run":
            return run_flow(
                RunOptions(args.file, args.flow, args.caller, args.callee, args.log, args.record)
            )
        if args.command == "test":
            return run_test_command(args)
        if args.command == "serve":
            return serve_flow(args)
        if args.command == "worker":
            return run_worker(args)
        if args.command == "fmt":
            return run_fmt(args)
        if args.command == "graph":
            return run_graph(args)
        if args.command == "lsp":
            # Imported here: the other commands need not pay for loading pygls.
            from .lsp import serve

            return serve()
        if args.command == "call":
            from flowc_runtime.serve.phone import run_call_command

            return run_call_command(args)
        if args.command == "deploy":
            from flowc_runtime.serve.deploy import run_deploy_command

            return run_deploy_command(args)
        if args.command in LIBRARY_COMMANDS:
            return run_library_command(args)
    except InputError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of the output went away (`flowc check ... | head`): as with
        # other Unix tools, stop quietly rather than report what nobody reads.
        discard_further_output(sys.stdout)
        return EXIT_USAGE
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
