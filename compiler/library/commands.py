"""The library commands of `flowc`: pack, publish, review, diff, upgrade, catalog.

cli.py registers them with `add_library_commands` and runs them with
`run_library_command`. Exit status as for every command: 0 done, 1 diagnostics
(a .flow or pyproject.toml line, a review finding, a version too small, a use site
an upgrade breaks), 2 anything else that stops a command (an index down, an
upload refused, a missing tool), always as a message, never a traceback. Each
command imports its modules when it runs, so that `flowc check` loads none of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..diagnostics import Diagnostic, render_human
from ..source import SourceFile
from .errors import LibraryError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("pack", "publish", "review", "diff", "upgrade", "catalog")
_INDEX_HELP = "the simple index to read releases from (default: pip's configured index)"


def add_library_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pack = commands.add_parser("pack", help="build an action library's wheel and sdist")
    pack.add_argument("folder", metavar="DIR", help="the library project (with pyproject.toml)")
    pack.add_argument("-o", "--output", metavar="DIST", help="output folder (default: DIR/dist)")

    publish = commands.add_parser("publish", help="upload an action library to a package index")
    publish.add_argument("folder", metavar="DIR")
    publish.add_argument("--repository", required=True, metavar="URL", help="twine's upload URL")
    publish.add_argument(
        "--index-url", metavar="URL", help="the index's simple API (default: URL/simple/)"
    )
    publish.add_argument("-o", "--output", metavar="DIST", help="output folder (default: DIR/dist)")

    review = commands.add_parser("review", help="the marketplace review of an action library")
    review.add_argument("folder", metavar="DIR")

    diff = commands.add_parser("diff", help="interface changes between two library versions")
    diff.add_argument("old", metavar="OLD", help="a library folder, a wheel, or NAME==VERSION")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--index-url", metavar="URL", help=_INDEX_HELP)

    upgrade = commands.add_parser("upgrade", help="what a library release would break")
    upgrade.add_argument(
        "--check", required=True, metavar="PACKAGE[==VERSION]", help="the release to check"
    )
    upgrade.add_argument("--project", default=".", metavar="DIR", help="default: this folder")
    upgrade.add_argument("--index-url", metavar="URL", help=_INDEX_HELP)

    catalog = commands.add_parser("catalog", help="the actions a project can use, by integration")
    catalog.add_argument("folder", nargs="?", default=".", metavar="DIR")
    catalog.add_argument("--format", choices=("text", "json", "html"), default="text")
    catalog.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")


def run_library_command(args: argparse.Namespace) -> int:
    run: Callable[[argparse.Namespace], int] = _RUNNERS[args.command]
    try:
        return run(args)
    except LibraryError as exc:
        if exc.diagnostics:
            _show(exc.diagnostics, exc.sources)
            return EXIT_ERRORS
        print(f"flowc: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE


def _pack(args: argparse.Namespace) -> int:
    from .manifest import check_library
    from .pack import pack
    from .project import read_project

    library = check_library(read_project(args.folder))
    _show_warnings(library.check.diagnostics, library.check.sources)
    for path in pack(library, _dist(args)):
        print(f"built {path}")
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    from .manifest import check_library
    from .project import read_project
    from .publish import index_of, publish

    library = check_library(read_project(args.folder))
    _show_warnings(library.check.diagnostics, library.check.sources)
    index_url = args.index_url or index_of(args.repository)
    verdict, built = publish(library, args.repository, index_url, _dist(args))
    if verdict.latest is None:
        print(f"first release of {library.project.name} on {index_url}")
    else:
        print(f"since {verdict.latest.describe()}:")
        print("".join(f"  {change}\n" for change in verdict.changes) or "  no interface change")
    for path in built:
        print(f"uploaded {path.name}")
    print(f"published {library.project.describe()} to {args.repository}")
    return EXIT_OK


def _review(args: argparse.Namespace) -> int:
    from .manifest import check_library
    from .project import read_project
    from .review import review_library

    library = check_library(read_project(args.folder))
    review = review_library(library)
    name = library.project.describe()
    if not review.reviewed:
        print(f"{name}: no action is published to the marketplace; nothing to review")
        return EXIT_OK
    passed = sum(1 for result in review.tests if result.status == "passed")
    tests = f"{passed} of {len(review.tests)} tests passed"
    if review.passed:
        print(f"{name}: the marketplace review passed ({', '.join(review.reviewed)}; {tests})")
        return EXIT_OK
    _show(review.diagnostics, review.sources)
    print(f"{name}: the marketplace review did not pass ({tests})")
    return EXIT_ERRORS


def _diff(args: argparse.Namespace) -> int:
    from .operands import load_interface
    from .semver import interface_changes, required_bump

    old, new = load_interface(args.old, args.index_url), load_interface(args.new, args.index_url)
    changes = interface_changes(old, new)
    print(f"{old.describe()} -> {new.describe()}")
    for change in changes:
        print(f"  {change}")
    needed = required_bump(changes)
    print(f"needs a {needed.word} release" if needed else "no interface change")
    return EXIT_OK


def _upgrade(args: argparse.Namespace) -> int:
    from .upgrade import check_upgrade

    found = check_upgrade(args.check, Path(args.project), args.index_url)
    candidate = found.candidate.describe()
    installed = f"installed: {found.installed.describe()}" if found.installed else "not installed"
    print(f"{candidate} ({installed})")
    for change in found.changes:
        print(f"  {change}")
    if found.broken:
        _show(found.broken, found.check.sources)
        sites = "use site" if len(found.broken) == 1 else "use sites"
        print(f"upgrading to {candidate} breaks {len(found.broken)} {sites}")
        return EXIT_ERRORS
    print(f"{candidate} breaks no flow of the project ({len(found.files)} files checked)")
    return EXIT_OK


def _catalog(args: argparse.Namespace) -> int:
    from .catalog import project_catalog, render_html, render_json, render_text

    groups = project_catalog(Path(args.folder))
    if args.format == "json":
        text = render_json(groups)
    elif args.format == "html":
        text = render_html(groups, f"Actions for {Path(args.folder).resolve().name}")
    else:
        text = render_text(groups)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LibraryError(f"cannot write '{args.output}': {exc.strerror or exc}") from exc
    print(f"wrote {args.output}")
    return EXIT_OK


_RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "pack": _pack,
    "publish": _publish,
    "review": _review,
    "diff": _diff,
    "upgrade": _upgrade,
    "catalog": _catalog,
}


def _dist(args: argparse.Namespace) -> Path:
    return Path(args.output) if args.output else Path(args.folder) / "dist"


def _show(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile]) -> None:
    sys.stdout.write(render_human(diagnostics, sources))
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    print(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")


def _show_warnings(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile]) -> None:
    if diagnostics:
        _show(diagnostics, sources)
