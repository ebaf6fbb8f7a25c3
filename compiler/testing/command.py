"""`flowc test [PATH...]`: run .flowtest files offline; the command's arguments and its run.

Exit status: 0 every test passed, 1 a test failed (or does not check), 2 a
usage or I/O error (a path that does not exist, no test found, a report that
cannot be written).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import TestResult

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH",
        help=".flowtest files or folders to search (default: [tool.flowc] test-paths "
        "of the nearest pyproject.toml, else the current folder)",
    )
    parser.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML")
    parser.add_argument(
        "--coverage", action="store_true",
        help="report the steps and edges of each flow and action the tests took",
    )
    parser.add_argument("--coverage-json", metavar="FILE", help="write the coverage as JSON")


def run_test_command(args: argparse.Namespace) -> int:
    # Imported here: the other commands of `flowc` need not load the runtime's understanding.
    from .check import TestInputError
    from .coverage import render_human, render_json, report
    from .junit import junit_xml
    from .runner import Runner, find_tests

    try:
        paths = args.paths or configured_test_paths(Path.cwd()) or ["."]
        files = find_tests(paths)
    except TestInputError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        where = ", ".join(paths if paths != ["."] else ["the current folder"])
        print(f"flowc: error: no .flowtest files in {where}", file=sys.stderr)
        return EXIT_USAGE
    runner = Runner()
    try:
        results = runner.run_files(files)
    except TestInputError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        runner.close()
    _show(results)
    try:
        if args.junit:
            _write(args.junit, junit_xml(results))
        reports = report(runner.coverage)
        if args.coverage_json:
            _write(args.coverage_json, render_json(reports))
    except OSError as exc:
        print(f"flowc: error: cannot write '{exc.filename}': {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.coverage:
        sys.stdout.write(render_human(reports))
    return EXIT_PASSED if all(r.status == "passed" for r in results) else EXIT_FAILED


def configured_test_paths(folder: Path) -> list[str]:
    """`[tool.flowc] test-paths` of the nearest pyproject.toml at or above `folder`.

    As pytest's `testpaths`: the folders a bare `flowc test` searches, relative to
    the pyproject.toml, so a project can keep deliberately failing fixtures out of
    its default run. No pyproject.toml, or one without the setting, gives [].
    """
    from .check import TestInputError

    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise TestInputError(f"cannot read {pyproject}: {exc}") from None
        paths = settings.get("tool", {}).get("flowc", {}).get("test-paths")
        if paths is None:
            return []
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise TestInputError(
                f"{pyproject}: [tool.flowc] test-paths must be a list of folder names"
            )
        # Shown relative to where flowc runs, as paths given on the command line are.
        return [os.path.relpath(candidate / path, folder) for path in paths]
    return []


def _show(results: Sequence[TestResult]) -> None:
    from .runner import describe_failure

    for result in results:
        if result.status != "passed":
            label = "FAIL" if result.status == "failed" else "ERROR"
            print(f"{label} {result.path} ({result.name})")
            sys.stdout.write(describe_failure(result))
            print()
    counts = {status: sum(1 for r in results if r.status == status)
              for status in ("passed", "failed", "error")}
    seconds = sum(r.seconds for r in results)
    errors = counts["error"]
    print(f"{counts['passed']} passed, {counts['failed']} failed, "
          f"{errors} {'error' if errors == 1 else 'errors'} in {seconds:.2f} s")


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
